"""The answer work queue: lanes that do not wait for each other, a per-user limit that lets
others go first, the place in the queue told before the work starts, a bounded queue."""

import threading
import time

from assistant.chat.work_queue import WorkQueue


def _blocker(started: list, gate: threading.Event, name: str):
    def run() -> None:
        started.append(name)
        gate.wait(10)

    return run


def test_light_requests_do_not_wait_behind_heavy_ones():
    q = WorkQueue({"heavy": 1, "light": 1})
    gate, started, done = threading.Event(), [], threading.Event()
    for i in range(3):
        q.submit(f"u{i}", "heavy", _blocker(started, gate, f"h{i}"))
    q.submit("u9", "light", done.set)
    assert done.wait(2)  # while all heavy work is stuck
    deadline = time.monotonic() + 2  # the heavy worker may not have been scheduled yet
    while not started and time.monotonic() < deadline:
        time.sleep(0.01)
    assert started == ["h0"]
    gate.set()
    q.close()


def test_one_users_burst_does_not_hold_every_worker():
    q = WorkQueue({"heavy": 2}, per_user=1)
    gate, started = threading.Event(), []
    for i in range(3):
        q.submit("greedy", "heavy", _blocker(started, gate, f"greedy{i}"))
    q.submit("other", "heavy", _blocker(started, gate, "other"))
    time.sleep(0.3)
    assert started == ["greedy0", "other"]  # the second worker went to someone else
    gate.set()
    q.close()


def test_a_waiting_request_is_told_how_many_are_ahead_before_it_starts():
    q = WorkQueue({"heavy": 1})
    gate, started, told = threading.Event(), [], []
    assert not q.submit("a", "heavy", _blocker(started, gate, "a")).queued
    time.sleep(0.1)
    second = q.submit("b", "heavy", lambda: told.append("b ran"), told.append)
    third = q.submit("c", "heavy", lambda: told.append("c ran"), told.append)
    assert (second.queued, second.ahead, third.ahead) == (True, 0, 1)
    gate.set()
    deadline = time.monotonic() + 5
    while len(told) < 4 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert told == [0, 1, "b ran", "c ran"]
    q.close()


def test_a_full_queue_refuses_instead_of_growing():
    q = WorkQueue({"heavy": 1}, queue_limit=2)
    gate, started = threading.Event(), []
    results = [q.submit(f"u{i}", "heavy", _blocker(started, gate, str(i))) for i in range(5)]
    assert [r.refused for r in results].count(True) >= 2
    gate.set()
    q.close()
