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


def test_a_persons_limit_holds_across_claimers_and_others_go_ahead(engine):
    front = JobStore(engine, "front")
    ann = [front.enqueue("slack", {"n": i}, "T0", asker="U_ANN") for i in range(3)]
    bob = front.enqueue("slack", {"n": 9}, "T0", asker="U_BOB")
    vote = front.enqueue("slack", {"click": 1}, "T0")  # no asker: no limit
    one, two = JobStore(engine, "one"), JobStore(engine, "two")
    assert [j.id for j in one.claim("slack", 30, per_asker=1)] == [ann[0]]
    # Ann has one running (on the first instance): the second instance takes Bob's, then
    # the click, never Ann's next.
    assert [(j.id, j.asker) for j in two.claim("slack", 30, limit=5, per_asker=1)] == [
        (bob, "U_BOB"), (vote, "")]  # fmt: skip
    assert two.claim("slack", 30, per_asker=1) == []
    assert one.running_by_asker("slack") == {"U_ANN": 1, "U_BOB": 1, "": 1}
    assert one.complete(ann[0])
    assert [j.id for j in two.claim("slack", 30, limit=5, per_asker=1)] == [ann[1]]
    # Limit 2: the third of Ann's may run beside the second.
    assert [j.id for j in one.claim("slack", 30, limit=5, per_asker=2)] == [ann[2]]


def test_an_expired_lease_frees_the_persons_slot(engine):
    front = JobStore(engine, "front")
    first, second = (front.enqueue("slack", {}, asker="U_ANN") for _ in range(2))
    dead, alive = JobStore(engine, "dead"), JobStore(engine, "alive")
    assert [j.id for j in dead.claim("slack", lease_s=0.2, per_asker=1)] == [first]
    assert alive.claim("slack", 30, per_asker=1) == []
    time.sleep(0.3)  # the holder died: its job is due again and no longer counts
    assert [j.id for j in alive.claim("slack", 30, per_asker=1)] == [first]
    assert alive.complete(first)
    assert [j.id for j in alive.claim("slack", 30, per_asker=1)] == [second]


def test_concurrent_claimers_never_run_more_than_a_persons_limit(engine):
    """Six workers in threads claim at once (each its own connection): every job is
    claimed once, and no asker ever has more than the limit running in the table."""
    front = JobStore(engine, "front")
    ids = [front.enqueue("slack", {"n": i}, "T0", asker=("U_ANN", "U_BOB", "U_CAT")[i % 3])
           for i in range(36)]  # fmt: skip
    claimed: list[int] = []
    peaks: list[int] = []
    lock = threading.Lock()

    def worker(name: str) -> None:
        store = JobStore(engine, name)
        while jobs := store.claim("slack", lease_s=30, per_asker=2):
            running = store.running_by_asker("slack")  # what every instance sees now
            with lock:
                claimed.append(jobs[0].id)
                peaks.append(max(running.values()))
            time.sleep(0.005)
            assert store.complete(jobs[0].id)

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(claimed) == ids
    assert max(peaks) <= 2


def test_a_waiting_jobs_note_is_taken_once_and_counts_the_askers_jobs_before_it(engine):
    front = JobStore(engine, "front")
    ann = [front.enqueue("slack", {"n": i}, asker="U_ANN") for i in range(3)]
    front.enqueue("slack", {"n": 9}, asker="U_BOB")
    one, two = JobStore(engine, "one"), JobStore(engine, "two")
    assert [j.id for j in one.claim("slack", 30, per_asker=1)] == [ann[0]]
    # Ann's two others wait for her turn; Bob's waits for nobody (a worker will take it).
    taken = one.waiting("slack", per_asker=1, after_s=0, lease_s=30)
    assert [(j.id, ahead) for j, ahead in taken] == [(ann[1], 0), (ann[2], 1)]
    assert two.waiting("slack", per_asker=1, after_s=0, lease_s=30) == []  # taken once
    assert two.claim("slack", 30, limit=5, per_asker=1)[0].asker == "U_BOB"  # not held up
    one.noted(ann[1], "1700000000.000100")
    one.noted(ann[2], "")
    assert one.waiting("slack", per_asker=1, after_s=0, lease_s=30) == []  # noted already
    assert one.complete(ann[0])
    got = two.claim("slack", 30, per_asker=1)
    assert [(j.id, j.note) for j in got] == [(ann[1], "1700000000.000100")]


def test_migration_6_adds_the_asker_to_a_jobs_table_of_version_5(engine):
    """A database made at version 5 (jobs without asker and note, one job in it) gains the
    columns once; `db upgrade` again changes nothing."""
    from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text, inspect

    from assistant.storage import current_version
    from assistant.storage.schema import schema_version

    old = MetaData()
    v5 = Table("jobs", old, Column("id", Integer, primary_key=True, autoincrement=True),
               *(Column(n, String(80), nullable=False) for n in ("queue", "team", "state",
                                                                 "owner")),
               Column("payload", Text, nullable=False),
               *(Column(n, Float, nullable=False) for n in ("lease_until", "available_at",
                                                            "created_at", "updated_at")),
               Column("attempts", Integer, nullable=False))  # fmt: skip
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE jobs")
        v5.create(conn)
        conn.execute(v5.insert().values(queue="slack", team="T0", state="pending", owner="",
                                        payload="{}", lease_until=0, available_at=0,
                                        created_at=0, updated_at=0, attempts=0))  # fmt: skip
        conn.execute(schema_version.update().values(version=5))
    from assistant.storage.migrations import MIGRATIONS

    assert upgrade(engine)[0] == 6 and upgrade(engine) == []
    assert current_version(engine) == MIGRATIONS[-1][0]
    with engine.connect() as conn:
        assert {"asker", "note"} <= {c["name"] for c in inspect(conn).get_columns("jobs")}
    store = JobStore(engine, "me")
    store.enqueue("slack", {}, asker="U_ANN")
    assert [(j.asker, j.note) for j in store.claim("slack", 30, limit=5, per_asker=1)] == [
        ("", ""), ("U_ANN", "")]  # fmt: skip
