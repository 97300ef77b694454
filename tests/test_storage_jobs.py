"""The job table, the outbox and the event-id claims of the relational store, on both
backends (SQLite, and a real PostgreSQL from tests/pg_server.py): a job is claimed by one
worker at a time, taken again when its lease runs out, done only by its holder; a reply's
messages go out in order; a reply past its deadline comes marked late; an event id is
claimed once."""

import threading
import time

import pytest

from assistant.core.settings import Settings
from assistant.storage import open_engine, upgrade
from assistant.storage.event_ids import EventIds
from assistant.storage.jobs import JobStore
from assistant.storage.outbox import Outbox, Outgoing


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path):  # noqa: ANN201 - an upgraded Engine
    settings = Settings(_env_file=None, cx_data_dir=tmp_path)
    if request.param == "postgresql":
        url = request.getfixturevalue("pg_url")
        settings = settings.model_copy(update={"cx_database_url": url})
    engine = open_engine(settings)
    upgrade(engine)
    yield engine
    engine.dispose()


def test_each_job_is_claimed_by_one_worker_even_when_many_claim_at_once(engine):
    ids = [JobStore(engine, "front").enqueue("slack", {"n": i}, "T0") for i in range(40)]
    claimed: list[int] = []
    lock = threading.Lock()

    def worker(name: str) -> None:
        store = JobStore(engine, name)
        while jobs := store.claim("slack", lease_s=30, limit=2):
            with lock:
                claimed.extend(j.id for j in jobs)

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(claimed) == ids  # every job once, none twice


def test_an_expired_lease_is_taken_again_and_only_the_holder_completes(engine):
    dead, alive = JobStore(engine, "dead"), JobStore(engine, "alive")
    job_id = dead.enqueue("slack", {"q": "help"})
    assert [j.id for j in dead.claim("slack", lease_s=0.2)] == [job_id]
    assert alive.claim("slack", lease_s=30) == []  # leased
    time.sleep(0.3)
    again = alive.claim("slack", lease_s=30)
    assert [j.id for j in again] == [job_id] and again[0].attempts == 2
    assert not dead.complete(job_id)  # no longer its job: its reply must not be stored
    assert alive.complete(job_id)
    assert alive.counts("slack") == {"done": 1}


def test_a_released_job_waits_its_delay_and_a_dropped_team_is_not_claimed(engine):
    store = JobStore(engine, "me")
    first = store.enqueue("slack", {}, "T0")
    store.enqueue("slack", {}, "T9")
    assert store.claim("slack", 30)[0].id == first
    store.release(first, delay_s=0.3)
    assert store.drop_team("T9") == 1
    assert store.claim("slack", 30) == []  # the released one is not due yet
    time.sleep(0.35)
    assert [j.id for j in store.claim("slack", 30)] == [first]


def test_a_replys_messages_go_out_in_order_and_late_ones_are_marked(engine):
    box = Outbox(engine, "sender")
    with engine.begin() as conn:
        box.add(conn, "r1", [Outgoing("post", {"n": 0}), Outgoing("post", {"n": 1})],
                deadline_s=60)  # fmt: skip
        box.add(conn, "r2", [Outgoing("post", {"n": 0})], deadline_s=60,
                since=time.time() - 120)  # acknowledged two minutes ago  # fmt: skip
    due = box.claim(lease_s=30, limit=10)
    assert [(p.grp, p.seq, p.late) for p in due] == [("r1", 0, False), ("r2", 0, True)]
    assert box.claim(lease_s=30, limit=10) == []  # r1's second waits for its first
    box.retry(due[0].id, 0.0, "ratelimited")
    again = box.claim(lease_s=30, limit=10)
    assert [(p.grp, p.seq, p.attempts) for p in again] == [("r1", 0, 2)]
    box.delivered(again[0].id)
    assert [(p.grp, p.seq) for p in box.claim(lease_s=30, limit=10)] == [("r1", 1)]


def test_an_event_id_is_claimed_once(engine):
    one, two = EventIds(engine), EventIds(engine)
    assert one.claim("Ev0ONCE") and not two.claim("Ev0ONCE") and two.claim("Ev0OTHER")
    assert one.forget_before(-1) == 2 and one.claim("Ev0ONCE")
