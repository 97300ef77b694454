"""How a chat surface hands over a request it has acknowledged.

A surface must acknowledge at once and answer later. Choosing a request's lane means routing
its text (CPU), so that happens here, on a small pool of intake threads, never on the
threads that acknowledge; then the request is queued fairly on the work queue, and the
asker is told its place or that the queue is full. The surface says what to run and how to
tell (a Slack note, a terminal line); the sequence is the same for every surface.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from assistant.chat.conversation import Conversations, Lane, Requester
from assistant.chat.work_queue import WorkQueue

log = logging.getLogger(__name__)


class Intake:
    def __init__(
        self, conversations: Conversations, work: WorkQueue, threads: int = 2, name: str = "intake"
    ) -> None:
        self.conversations = conversations
        self.work = work
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix=name)

    def background(self, fn: Callable[..., None], *args: object) -> None:
        """Run `fn` on the intake threads (work an acknowledging thread must not do: routing,
        reading a thread back); its errors are logged, never lost."""

        def run() -> None:
            try:
                fn(*args)
            except Exception:
                log.exception("background step %s failed", getattr(fn, "__name__", fn))

        self._pool.submit(run)

    def submit(
        self,
        who: Requester,
        text: str,
        conversation: str,
        run: Callable[[Lane], None],
        *,
        on_queued: Callable[[int], None],
        on_refused: Callable[[], None],
    ) -> None:
        """Route `text` to its lane, then queue `run(lane)`; returns at once. `on_queued(ahead)`
        when it cannot start at once, `on_refused()` when the lane's queue is full."""

        def enqueue() -> None:
            lane: Lane = "light"
            try:
                lane = self.conversations.lane(text, conversation, who)
            except Exception:  # routing is retried by the answer itself, which reports errors
                log.exception("choosing the lane of %r failed", text[:200])
            if self.work.submit(who.user, lane, lambda: run(lane), on_queued).refused:
                on_refused()  # its errors are logged by background()

        self.background(enqueue)

    def close(self) -> None:
        """Stop taking requests: the queue finishes what it holds."""
        self.work.close()
        self._pool.shutdown(wait=False)
