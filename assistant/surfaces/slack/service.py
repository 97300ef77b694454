"""The bot's durable core: acknowledged requests as jobs, replies in the outbox, the bot's
identity, its health, and a clean stop.

- The front door (front.py) stores each request it acknowledges as a job and wakes a
  dispatcher. Dispatchers (CX_SLACK_LISTENER_THREADS threads) claim jobs with a lease and run
  the Bolt listeners on them: every Web API call a listener makes happens here, never on a
  thread that acknowledges.
- A listener either replies at once (`reply`) or hands the job to the answer queue
  (`hand_off`); the answer worker then `finish`es it: the reply goes into the outbox and
  the job is marked done in one transaction. Senders (delivery.py) deliver the outbox.
- A lease is renewed while the process holds the job; a job whose process died is taken
  again when its lease runs out. `stop` (SIGTERM) stops taking work, waits up to
  CX_SLACK_DRAIN_S for what is in hand, hands the rest back and flushes what it can; the
  next start resumes both tables.
- Identity (auth.test) is fetched with a backoff until Slack answers: a start with Slack
  unreachable waits instead of exiting. A refused token (`invalid_auth`, `token_revoked`),
  `tokens_revoked` or `app_uninstalled` stops the work with one log line and makes the
  health report say why (HTTP mode: GET /healthz answers 503).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler
from sqlalchemy import Engine

from assistant.core.settings import Settings
from assistant.storage import open_engine, upgrade
from assistant.storage.event_ids import EventIds
from assistant.storage.jobs import Job, JobStore
from assistant.storage.outbox import Outbox, Outgoing
from assistant.storage.shared_state import ConversationTurns, SeenMessages, StoppedTeams
from assistant.surfaces.slack.delivery import Sender, classify

log = logging.getLogger(__name__)
PRUNE_EVERY_S = 600.0  # the shared tables are pruned this often by each instance
QUEUE = "slack"
POLL_S = 0.5  # jobs and replies stored by another process, or due after a wait


def api_client(settings: Settings, retries: bool = True) -> WebClient:
    """A Web API client: no retry on 429 (a rate limit never holds a thread; the caller
    waits Retry-After its own way), a bounded time per call, and one retry of a dropped
    connection, or none (`retries=False`, the senders': a connection dropped after the
    request was sent may have delivered it, so the outbox decides, after looking)."""
    kwargs = {"base_url": settings.slack_api_url} if settings.slack_api_url else {}
    return WebClient(
        token=settings.slack_bot_token,
        timeout=int(settings.cx_slack_api_timeout_s),
        retry_handlers=[ConnectionErrorRetryHandler(max_retry_count=1)] if retries else [],
        **kwargs,
    )


class RetryLater(Exception):
    """Raised by a listener when Slack must be asked again later (a rate limit while
    reading a thread): the job goes back to the table, due after `delay` seconds."""

    def __init__(self, delay: float, reason: str = "") -> None:
        super().__init__(reason)
        self.delay = delay


def wait_for_slack(exc: BaseException, min_delay: float) -> None:
    """Raise what a listener must when a Web API call failed and the request cannot be
    decided without it: a refused token as itself (the service stops), a rate limit or an
    outage as RetryLater; return when Slack refused for good (the caller decides)."""
    kind, wait, reason = classify(exc)
    if kind == "auth":
        raise exc
    if kind == "transient":
        raise RetryLater(max(wait, min_delay), reason) from exc


@dataclass
class Identity:
    team: str
    bot_user: str
    bot_id: str


@dataclass
class JobHandle:
    """A job being worked on by this process: what it replies so far."""

    job: Job | None
    items: list[Outgoing] = field(default_factory=list)
    handed_off: bool = False
    error: BaseException | None = None

    @property
    def id(self) -> int | None:
        return self.job.id if self.job else None


class Health:
    """What /healthz reports: ok, waiting for Slack, or stopped (and why)."""

    def __init__(self) -> None:
        self.state = "starting"
        self.reason = ""
        self.reachable = True
        self._lock = threading.Lock()

    @property
    def stopped(self) -> bool:
        return self.state == "stopped"

    def ok(self) -> None:
        with self._lock:
            if self.state == "starting":
                self.state = "ok"

    def stop(self, reason: str) -> None:
        """Stopped for a reason the caller has logged (an uninstall)."""
        with self._lock:
            self.state, self.reason = "stopped", reason

    def auth_failed(self, reason: str) -> None:
        with self._lock:
            if self.state == "stopped":
                return
            self.state, self.reason = "stopped", reason
        log.error("Slack refused the bot token (%s): no more requests are answered; set a "
                  "valid SLACK_BOT_TOKEN and restart (acknowledged ones stay stored and are "
                  "answered then). Health: 503.", reason)  # fmt: skip

    def slack_unreachable(self, reason: str) -> None:
        with self._lock:
            was, self.reachable = self.reachable, False
        if was:
            log.warning("Slack is unreachable or refusing calls (%s): replies are stored and "
                        "retried", reason)  # fmt: skip

    def slack_ok(self) -> None:
        with self._lock:
            was, self.reachable = self.reachable, True
        if not was:
            log.info("Slack answers again: stored replies are being delivered")

    def report(self) -> dict[str, Any]:
        return {"status": self.state, "reason": self.reason, "slack_reachable": self.reachable}


class SlackService:
    def __init__(self, settings: Settings, engine: Engine | None = None) -> None:
        self.settings = settings
        self.engine = engine or open_engine(settings)
        upgrade(self.engine)
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.jobs = JobStore(self.engine, self.owner)
        self.outbox = Outbox(self.engine, self.owner)
        self.events = EventIds(self.engine)
        self.api = api_client(settings)
        self.sender_api = api_client(settings, retries=False)
        self.health = Health()
        self.identity: Identity | None = None
        # Shared: an uninstall seen by one instance stops every instance sharing the store.
        self.stopped_teams = StoppedTeams(self.engine)
        self.app: Any = None  # the Bolt app whose listeners run the jobs (app.py)
        # Posts the note of a request waiting for its asker's turn (job, requests of theirs
        # before it) and gives its ts ("" when none); set by the answering layer.
        self.waiting_note: Callable[[Job, int], str] | None = None
        self.note_after_s = 1.0
        self._note_look_at = 0.0
        self._held: dict[int, JobHandle] = {}
        self._held_lock = threading.Lock()
        self._local = threading.local()
        self._jobs_ready = threading.Condition()
        self._outbox_ready = threading.Condition()
        self._taking = threading.Event()  # set: dispatchers take jobs
        self._closed = threading.Event()
        self._threads: list[threading.Thread] = []
        self.sender = Sender(self)

    # -- start and stop -------------------------------------------------------------------

    def start(self, app: Any, senders: int = 2) -> None:
        self.app = app
        self._taking.set()
        self._spawn("slack-identity", self._identify)
        for i in range(self.settings.cx_slack_listener_threads):
            self._spawn(f"slack-job-{i}", self._dispatch_loop)
        for i in range(senders):
            self._spawn(f"slack-send-{i}", self._send_loop)
        self._spawn("slack-lease", self._lease_loop)

    def _spawn(self, name: str, target: Any) -> None:
        t = threading.Thread(target=target, name=name, daemon=True)
        t.start()
        self._threads.append(t)

    def stop(self, drain_s: float | None = None) -> dict[str, int]:
        """Stop taking jobs, wait up to `drain_s` for the ones in hand, hand back the rest,
        try once more to deliver what is due, stop the threads. Returns what was left."""
        drain_s = self.settings.cx_slack_drain_s if drain_s is None else drain_s
        self._taking.clear()
        deadline = time.monotonic() + drain_s
        while self.held() and time.monotonic() < deadline:
            time.sleep(0.05)
        handed_back = 0
        with self._held_lock:
            left = list(self._held)
            self._held.clear()
        for job_id in left:
            self.jobs.release(job_id)
            handed_back += 1
        # Replies due now get one more try within the drain time; the rest wait for the
        # next start in the outbox.
        while time.monotonic() < deadline and self._deliver_due(limit=8):
            pass
        self._closed.set()
        self.wake()
        for t in self._threads:  # a sender finishes the message it is sending
            if t.name.startswith("slack-send"):
                t.join(timeout=max(1.0, self.settings.cx_slack_api_timeout_s))
        self.outbox.release_mine()
        pending = self.outbox.counts().get("pending", 0)
        if handed_back or pending:
            log.warning("stopping: %d request(s) handed back, %d reply(ies) stored; the next "
                        "start resumes them", handed_back, pending)  # fmt: skip
        return {"handed_back": handed_back, "replies_pending": pending}

    def held(self) -> int:
        with self._held_lock:
            return len(self._held)

    def wake(self) -> None:
        with self._jobs_ready:
            self._jobs_ready.notify_all()
        with self._outbox_ready:
            self._outbox_ready.notify_all()

    # -- identity -------------------------------------------------------------------------

    def _identify(self) -> None:
        s = self.settings
        wait = s.cx_slack_retry_base_s
        while not self._closed.is_set():
            try:
                found = self.api.auth_test()
                self.identity = Identity(str(found.get("team_id") or ""),
                                         str(found.get("user_id") or ""),
                                         str(found.get("bot_id") or ""))  # fmt: skip
                self.health.ok()
                self.health.slack_ok()
                self.wake()
                return
            except Exception as exc:
                kind, retry_wait, reason = classify(exc)
                if kind == "auth":
                    self.health.auth_failed(reason)
                    return
                log.warning("Slack's auth.test failed at start (%s): trying again in %.0f s; "
                            "requests are acknowledged and stored meanwhile", reason,
                            max(wait, retry_wait))  # fmt: skip
                self._closed.wait(max(wait, retry_wait))
                wait = min(s.cx_slack_retry_max_s, wait * 2)

    def authorize(self) -> Any:
        """Bolt's authorize: the identity fetched at start (no call per request)."""
        from slack_bolt.authorization import AuthorizeResult

        ident = self.identity or Identity("", "", "")
        return AuthorizeResult(enterprise_id=None, team_id=ident.team or None,
                               bot_token=self.settings.slack_bot_token, bot_id=ident.bot_id,
                               bot_user_id=ident.bot_user)  # fmt: skip

    # -- intake ---------------------------------------------------------------------------

    def enqueue(self, body: str, headers: dict[str, Any], team: str, asker: str = "") -> int:
        job_id = self.jobs.enqueue(QUEUE, {"body": body, "headers": headers}, team=team,
                                   asker=asker)  # fmt: skip
        with self._jobs_ready:
            self._jobs_ready.notify()
        return job_id

    def lifecycle(self, team: str, kind: str, event: dict[str, Any]) -> None:
        """app_uninstalled, tokens_revoked: stop the work for that workspace."""
        if kind == "tokens_revoked":
            bots = set((event.get("tokens") or {}).get("bot") or [])
            ident = self.identity
            if ident is not None and bots and ident.bot_user not in bots:
                log.info("tokens_revoked in %s names other tokens than the bot's", team)
                return
        self.stopped_teams.add(team, kind)
        jobs, replies = self.jobs.drop_team(team), self.outbox.drop_team(team)
        log.warning("Slack: %s for workspace %s: %d request(s) and %d reply(ies) dropped; "
                    "nothing more is answered there", kind, team, jobs, replies)  # fmt: skip
        if self.identity is None or self.identity.team in ("", team):
            self.health.stop(kind)

    # -- jobs -----------------------------------------------------------------------------

    def _dispatch_loop(self) -> None:
        while not self._closed.is_set():
            if not self._taking.is_set() or self.identity is None or self.health.stopped:
                self._closed.wait(POLL_S)
                continue
            try:
                # A person's requests beyond CX_SLACK_PER_USER running in any instance wait
                # in the table; those that wait long enough are told so (`note_waiting`).
                claimed = self.jobs.claim(QUEUE, self.settings.cx_slack_lease_s, limit=1,
                                          per_asker=self.settings.cx_slack_per_user)
                if not claimed:
                    self._note_waiting()
            except Exception:  # the database is busy or away: try again shortly
                log.exception("claiming a Slack request failed")
                self._closed.wait(POLL_S)
                continue
            if not claimed:
                with self._jobs_ready:
                    self._jobs_ready.wait(POLL_S)
                continue
            self._run(claimed[0])

    def _note_waiting(self) -> None:
        """Post the queue note of each request that waits for its asker's turn (their
        limit is reached, maybe on other instances): once, by one instance; its answer
        later replaces it."""
        if self.waiting_note is None:
            return
        with self._held_lock:  # one look per poll interval and process, not per dispatcher
            if time.monotonic() < self._note_look_at:
                return
            self._note_look_at = time.monotonic() + POLL_S
        s = self.settings
        for job, ahead in self.jobs.waiting(QUEUE, s.cx_slack_per_user, self.note_after_s,
                                            s.cx_slack_lease_s):  # fmt: skip
            ts = ""
            try:
                ts = self.waiting_note(job, ahead)
            except Exception:
                log.exception("a queue note for job %d failed", job.id)
            self.jobs.noted(job.id, ts)

    def _run(self, job: Job) -> None:
        from slack_bolt import BoltRequest

        if job.team in self.stopped_teams:  # uninstalled while it was being claimed
            self.jobs.drop_team(job.team)
            return
        handle = JobHandle(job)
        with self._held_lock:
            self._held[job.id] = handle
        self._local.handle = handle
        try:
            headers = {k: v if isinstance(v, list) else [v] for k, v in
                       job.payload.get("headers", {}).items()}  # fmt: skip
            self.app.dispatch(BoltRequest(body=job.payload["body"], headers=headers))
            if handle.error is not None:
                raise handle.error
        except RetryLater as exc:
            s = self.settings
            backoff = min(s.cx_slack_retry_max_s, s.cx_slack_retry_base_s * 2 ** (job.attempts - 1))
            self._give_back(job, max(exc.delay, backoff), str(exc))
            return
        except SlackApiError as exc:
            kind, wait, reason = classify(exc)
            if kind == "auth":
                self.health.auth_failed(reason)
                self._give_back(job, wait, reason)
                return
            if kind == "transient" and job.attempts < 5:
                self._give_back(job, max(wait, self.settings.cx_slack_retry_base_s), reason)
                return
            log.exception("a Slack request (job %d) failed", job.id)
        except Exception:
            log.exception("a Slack request (job %d) failed", job.id)
        finally:
            self._local.handle = None
        if not handle.handed_off:
            self.finish(handle, [])

    def retry_later(self, handle: JobHandle, delay: float, reason: str) -> None:
        """An answer worker could not do the job for Slack now (a download refused): it goes
        back to the table, due after a backoff; nothing of it is stored."""
        job = handle.job
        if job is None:
            log.warning("a request could not be done now and has no job to retry: %s", reason)
            return
        s = self.settings
        backoff = min(s.cx_slack_retry_max_s, s.cx_slack_retry_base_s * 2 ** (job.attempts - 1))
        self._give_back(job, max(delay, backoff), reason)

    def _give_back(self, job: Job, delay: float, reason: str) -> None:
        with self._held_lock:
            self._held.pop(job.id, None)
        self.jobs.release(job.id, delay)
        log.info("request (job %d) put back for %.1f s: %s", job.id, delay, reason[:200])

    def current(self) -> JobHandle | None:
        return getattr(self._local, "handle", None)

    def listener_error(self, error: BaseException) -> None:
        """Bolt's error handler: the error is the job's, raised again by the dispatcher."""
        handle = self.current()
        if handle is not None:
            handle.error = error
        else:
            log.error("a Slack listener failed: %s", error)

    def hand_off(self) -> JobHandle:
        """The current job's reply will come from an answer worker (which calls `finish`)."""
        handle = self.current() or JobHandle(None)
        handle.handed_off = True
        return handle

    def reply(self, items: list[Outgoing]) -> None:
        """Replies of the listener running now: stored with its job when it ends."""
        handle = self.current()
        if handle is not None and not handle.handed_off:
            handle.items.extend(items)
        else:
            self.finish(JobHandle(None), items)

    def finish(self, handle: JobHandle, items: list[Outgoing]) -> bool:
        """Store the job's replies and mark it done, in one transaction. False when this
        process no longer holds the job (handed back at stop): nothing is stored, the next
        run answers it."""
        items = handle.items + items
        handle.items = []
        job = handle.job
        grp = f"job-{job.id}" if job else f"reply-{uuid.uuid4().hex[:12]}"
        try:
            with self.engine.begin() as conn:
                if job is not None and not self.jobs.complete(job.id, conn):
                    raise _NotHeld
                if items:
                    self.outbox.add(conn, grp, items, deadline_s=self.settings.cx_slack_deadline_s,
                                    job_id=job.id if job else None,
                                    team=job.team if job else "",
                                    since=job.created_at if job else None)  # fmt: skip
        except _NotHeld:
            log.info("job %d was handed back before its answer was stored: the next run "
                     "answers it", job.id if job else -1)  # fmt: skip
            return False
        finally:
            if job is not None:
                with self._held_lock:
                    self._held.pop(job.id, None)
        if items:
            with self._outbox_ready:
                self._outbox_ready.notify()
        return True

    def _lease_loop(self) -> None:
        every = max(0.2, self.settings.cx_slack_lease_s / 3)
        pruned = 0.0
        while not self._closed.wait(every):
            with self._held_lock:
                ids = list(self._held)
            try:
                self.jobs.extend(ids, self.settings.cx_slack_lease_s)
                if time.monotonic() - pruned > PRUNE_EVERY_S:
                    pruned = time.monotonic()
                    self.prune()
            except Exception:
                log.exception("renewing job leases failed")

    def prune(self) -> None:
        """Forget what Slack no longer re-sends (event ids, messages taken: it retries
        within the hour) and the memory of threads idle for a week."""
        self.events.forget_before(6 * 3600)
        SeenMessages(self.engine).forget_before(6 * 3600)
        ConversationTurns(self.engine, 0).forget_before(7 * 86400)

    # -- outbox ---------------------------------------------------------------------------

    def _send_loop(self) -> None:
        while not self._closed.is_set():
            if self.health.stopped or self.identity is None:
                self._closed.wait(POLL_S)
                continue
            try:
                if self._deliver_due(limit=1):
                    continue
            except Exception:
                log.exception("delivering replies failed")
            with self._outbox_ready:
                self._outbox_ready.wait(POLL_S)

    def _deliver_due(self, limit: int) -> int:
        items = self.outbox.claim(self.settings.cx_slack_lease_s, limit=limit)
        for item in items:
            self.sender.deliver(item)
        return len(items)

    def report(self) -> dict[str, Any]:
        """The health, with the job and outbox counts (GET /healthz)."""
        return {**self.health.report(), "jobs": self.jobs.counts(QUEUE),
                "replies": self.outbox.counts()}  # fmt: skip


class _NotHeld(Exception):
    pass
