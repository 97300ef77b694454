"""State several instances share through the relational store, on both backends: a
conversation's memory written by one instance is read by another; a message is taken by one
job only, yet the same job run again elsewhere (its holder died) may answer it; askers and
stopped workspaces are seen by every instance; one indexer at a time."""

from __future__ import annotations

from datetime import date

import pytest

from assistant.agent.frame import Frame
from assistant.agent.memory import StoredMemory, Turn
from assistant.core.settings import Settings
from assistant.feedback.scope import FeedbackFilters
from assistant.storage import open_engine, upgrade
from assistant.storage.shared_state import (
    ConversationTurns,
    LockHeld,
    SeenMessages,
    StoppedTeams,
    ThreadAskers,
    ThreadContexts,
    exclusive,
)


@pytest.fixture(params=["sqlite", "postgresql"])
def engines(request: pytest.FixtureRequest, tmp_path):  # noqa: ANN201 - two Engines
    """Two engines on one store, as two instances would have."""
    settings = Settings(_env_file=None, cx_data_dir=tmp_path)
    if request.param == "postgresql":
        url = request.getfixturevalue("pg_url")
        settings = settings.model_copy(update={"cx_database_url": url})
    one, two = open_engine(settings), open_engine(settings)
    upgrade(one)
    yield one, two
    one.dispose()
    two.dispose()


def test_a_thread_started_on_one_instance_keeps_its_context_on_another(engines):
    a, b = StoredMemory(engines[0], window=3), StoredMemory(engines[1], window=3)
    a.add("C1:1.0", Turn("pains warranty", "Top pains: …", "pain_points", {"journey": "warranty"}))
    assert [t.args for t in b.turns("C1:1.0")] == [{"journey": "warranty"}]
    for i in range(4):
        b.add("C1:1.0", Turn(f"q{i}", f"a{i}", "t", {}))
    assert [t.question for t in a.turns("C1:1.0")] == ["q1", "q2", "q3"]  # the window
    assert b.turns("C2:1.0") == [] and len(a) == 1
    a.forget("C1:1.0")
    assert b.turns("C1:1.0") == []
    # The frame of the last request goes with the thread (issue #19: follow-ups edit it).
    frame = Frame(tool="pain_points", filters={"journey": "warranty", "start": date(2020, 7, 1)},
                  lang="vi", text="pains bảo hành")  # fmt: skip
    a.add("C3:1.0", Turn("pains bảo hành", "…", "pain_points", {}, frame))
    a.add("C3:1.0", Turn("help", "…", "help", {}))
    found = b.frame("C3:1.0")
    assert found is not None and found.model_dump(mode="json") == frame.model_dump(mode="json")
    assert FeedbackFilters.model_validate(found.filters).start == date(2020, 7, 1)


def test_a_message_is_taken_by_one_job_and_its_rerun_elsewhere_still_answers(engines):
    a, b = SeenMessages(engines[0]), SeenMessages(engines[1])
    assert a.first_time("msg:C1:1.0", 7)
    assert not b.first_time("msg:C1:1.0", 8)  # the edited mention, a new job: a repeat
    assert b.first_time("msg:C1:1.0", 7)  # job 7 again, its first holder died
    b.forget("msg:C1:1.0")
    assert a.first_time("msg:C1:1.0", 9)
    assert b.forget_before(3600) == 0 and b.forget_before(-1) == 1  # pruned when old
    assert b.first_time("msg:C1:1.0", 10)


def test_the_memory_of_idle_threads_is_pruned(engines):
    memory = StoredMemory(engines[0])
    memory.add("C1:1.0", Turn("q", "a", "t", {}))
    turns = ConversationTurns(engines[1], 10)
    assert turns.forget_before(3600) == 0 and memory.turns("C1:1.0")
    assert turns.forget_before(-1) == 1 and memory.turns("C1:1.0") == []


def test_askers_and_stopped_workspaces_are_seen_by_every_instance(engines):
    ThreadAskers(engines[0]).add("C1:1.0", "U1")
    ThreadAskers(engines[0]).add("C1:1.0", "U1")  # twice: no error
    assert ThreadAskers(engines[1]).has("C1:1.0", "U1")
    assert not ThreadAskers(engines[1]).has("C1:1.0", "U2")
    StoppedTeams(engines[0]).add("T9", "app_uninstalled")
    StoppedTeams(engines[1]).add("T9", "tokens_revoked")
    assert "T9" in StoppedTeams(engines[1]) and "T1" not in StoppedTeams(engines[1])
    StoppedTeams(engines[1]).remove("T9")
    assert "T9" not in StoppedTeams(engines[0])


def test_what_an_assistant_threads_user_views_is_read_by_every_instance(engines):
    one, two = ThreadContexts(engines[0]), ThreadContexts(engines[1])
    assert two.get("D1:1.0") is None
    one.put("D1:1.0", {"channel_id": "C_SALES", "team_id": "T1"})
    assert two.get("D1:1.0") == {"channel_id": "C_SALES", "team_id": "T1"}
    two.put("D1:1.0", {"channel_id": "C_CX", "team_id": "T1"})  # the user moved on
    assert one.get("D1:1.0") == {"channel_id": "C_CX", "team_id": "T1"}
    assert one.get("D2:1.0") is None


def test_one_holder_of_a_lock_at_a_time(engines):
    with exclusive(engines[0], "index"):
        with pytest.raises(LockHeld), exclusive(engines[1], "index"):
            pass
        with exclusive(engines[1], "other"):
            pass
    with exclusive(engines[1], "index"):  # released
        pass


def test_a_second_indexer_against_the_same_database_is_refused(
    tmp_path, pg_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
):
    """Machines sharing CX_DATABASE_URL: `index` waits for the one running, then gives up
    saying why (the data folders differ, so only the database lock can tell)."""
    from assistant.surfaces.cli import main

    monkeypatch.setenv("CX_DATA_DIR", str(tmp_path / "other-machine"))
    monkeypatch.setenv("CX_DATABASE_URL", pg_url)
    monkeypatch.setenv("CX_WRITE_LOCK_TIMEOUT_S", "0.2")
    engine = open_engine(Settings(_env_file=None, cx_data_dir=tmp_path, cx_database_url=pg_url))
    upgrade(engine)
    with exclusive(engine, "cx-assistant index"):
        assert main(["index", "--only", "atlas", "--quiet"]) == 2
    assert "Another `cx-assistant index` is running" in capsys.readouterr().err
    engine.dispose()
