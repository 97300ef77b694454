"""A bounded, fair pool of workers for answers, shared by every chat surface.

A chat surface must acknowledge a request at once (Slack allows 3 s) and answer later. The
answers run here, never on the threads that acknowledge. Requests go into lanes (heavy
feedback summaries and light questions have their own workers, so one kind never waits for
the other); within a lane a worker takes the oldest request whose requester has fewer than
`per_user` requests running, so one person's burst cannot hold every worker. A request
that cannot start at once is told how many are ahead of it; a lane whose queue is full
refuses new requests instead of growing without bound.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

log = logging.getLogger(__name__)


@dataclass
class Job:
    user: str
    lane: str
    run: Callable[[], None]
    seq: int = 0
    # Set once the requester has been told its place: the answer never overtakes the note.
    told: threading.Event = field(default_factory=threading.Event)


@dataclass
class Submitted:
    """What became of a submission: started at once, queued behind `ahead` others, or
    refused because the lane's queue is full."""

    queued: bool = False
    ahead: int = 0
    refused: bool = False


@dataclass
class _Lane:
    name: str
    workers: int
    pending: deque[Job] = field(default_factory=deque)
    running: int = 0
    threads: list[threading.Thread] = field(default_factory=list)


class WorkQueue:
    def __init__(
        self,
        lanes: dict[str, int],
        per_user: int = 2,
        queue_limit: int = 100,
        name: str = "answers",
    ) -> None:
        if not lanes or any(n < 1 for n in lanes.values()):
            raise ValueError("every lane needs at least one worker")
        self.per_user = max(1, per_user)
        self.queue_limit = max(1, queue_limit)
        self._lanes = {lane: _Lane(lane, n) for lane, n in lanes.items()}
        self._running_by_user: dict[str, int] = {}
        self._cond = threading.Condition()
        self._seq = 0
        self._closed = False
        for lane in self._lanes.values():
            for i in range(lane.workers):
                t = threading.Thread(
                    target=self._work, args=(lane,), name=f"{name}-{lane.name}-{i}", daemon=True
                )
                t.start()
                lane.threads.append(t)

    def submit(
        self,
        user: str,
        lane: str,
        run: Callable[[], None],
        on_queued: Callable[[int], None] | None = None,
    ) -> Submitted:
        """Queue `run` in `lane`. When it cannot start at once, `on_queued(ahead)` is called
        on the caller's thread (outside the queue's lock; the job waits for it to return)
        with the number of requests that will start before it, so a surface can say so."""
        target = self._lanes.get(lane) or next(iter(self._lanes.values()))
        with self._cond:
            if self._closed or len(target.pending) >= self.queue_limit:
                return Submitted(refused=True)
            # Jobs already handed over but not yet taken by a worker count as started.
            free = target.workers - target.running - len(target.pending)
            mine = self._running_by_user.get(user, 0) + sum(
                1 for j in target.pending if j.user == user
            )
            self._seq += 1
            job = Job(user=user, lane=target.name, run=run, seq=self._seq)
            queued = not (free > 0 and mine < self.per_user)
            ahead = max(0, len(target.pending) - max(0, free)) if queued else 0
            if not queued or on_queued is None:
                job.told.set()
            target.pending.append(job)
            self._cond.notify_all()
        if queued and on_queued is not None:
            try:
                on_queued(ahead)
            except Exception:
                log.exception("telling a requester its queue position failed")
            finally:
                job.told.set()
        return Submitted(queued=queued, ahead=ahead)

    def _next(self, lane: _Lane) -> Job | None:
        for job in lane.pending:
            if self._running_by_user.get(job.user, 0) < self.per_user:
                lane.pending.remove(job)
                return job
        return None

    def _work(self, lane: _Lane) -> None:
        while True:
            with self._cond:
                job = self._next(lane)
                while job is None:
                    if self._closed:
                        return
                    self._cond.wait()
                    job = self._next(lane)
                lane.running += 1
                self._running_by_user[job.user] = self._running_by_user.get(job.user, 0) + 1
            try:
                job.told.wait(timeout=30)
                job.run()
            except Exception:
                log.exception("a queued request failed")
            finally:
                with self._cond:
                    lane.running -= 1
                    left = self._running_by_user.get(job.user, 1) - 1
                    if left:
                        self._running_by_user[job.user] = left
                    else:
                        self._running_by_user.pop(job.user, None)
                    self._cond.notify_all()

    def depth(self, lane: str) -> int:
        """Requests waiting (not running) in a lane."""
        with self._cond:
            return len(self._lanes[lane].pending)

    def close(self) -> None:
        """Stop taking requests; workers finish what is queued and exit."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def join(self, timeout: float) -> None:
        """Wait up to `timeout` seconds in all for the workers to exit after `close`: a
        process that exits while they still read or write the database may crash."""
        deadline = time.monotonic() + timeout
        for lane in self._lanes.values():
            for t in lane.threads:
                t.join(max(0.0, deadline - time.monotonic()))
