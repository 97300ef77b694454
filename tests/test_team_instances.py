"""Several bot instances sharing one PostgreSQL and one Chroma server (issue #22, phase 2):
three real `cx-assistant slack` processes in HTTP mode, behind no balancer, each event sent
to one of them as a load balancer would. Slack's retries (same event id, X-Slack-Retry-Num)
reach another instance; a thread started on one goes on at another; votes are cast at all
three; one instance is killed (SIGKILL) while it holds jobs. Every question is answered
exactly once. One person's burst of questions, spread over the three instances, never has
more than CX_SLACK_PER_USER answers running at once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
from fake_slack import FakeSlack
from slack_harness import FORM, action, answers, event, sign, thread_of, wait_until
from sqlalchemy import create_engine, select, text
from test_chroma_server import chroma_process  # noqa: F401 - the module's `chroma run`

from assistant.storage.feedback_tables import votes as votes_table
from assistant.storage.schema import jobs as jobs_table
from conftest import REPO, free_port

SECRET = "test-signing-secret"
LIGHT = ["What is a journey atlas?", "What are the five journey-thinking questions?",
         "Team CX nên báo cáo trực tiếp cho ai?", "What is a journey map?"]  # fmt: skip
N_THREADS, N_SINGLE, N_RETRY, N_KILL = 10, 150, 20, 10  # with the follow-ups: 200 events
N_BURST, PER_USER = 9, 2  # one person's questions, each to the next instance


def _copy_vectors(source, port: int) -> int:  # noqa: ANN001 - a chromadb client
    """The session's methodology and atlas vectors into the Chroma server, as they are: the
    instances read the index `cx-assistant index` would have written there, for no new
    embedding."""
    import chromadb

    server = chromadb.HttpClient(host="127.0.0.1", port=port)
    copied = 0
    for found in source.list_collections():
        col = source.get_collection(found if isinstance(found, str) else found.name)
        got = col.get(include=["embeddings", "documents", "metadatas"])
        if not got["ids"]:
            continue
        target = server.get_or_create_collection(col.name, metadata=col.metadata or None)
        for i in range(0, len(got["ids"]), 500):
            target.add(ids=got["ids"][i:i + 500], embeddings=got["embeddings"][i:i + 500],
                       documents=got["documents"][i:i + 500],
                       metadatas=got["metadatas"][i:i + 500])  # fmt: skip
        copied += len(got["ids"])
    return copied


class Instance:
    def __init__(self, n: int, env: dict[str, str], folder: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        data = folder / f"instance-{n}"
        data.mkdir()
        self.log = (folder / f"instance-{n}.log").open("w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "assistant.surfaces.cli", "slack"], cwd=data,
            env={**env, "CX_DATA_DIR": str(data), "CX_SLACK_PORT": str(self.port)},
            stdout=self.log, stderr=subprocess.STDOUT,
        )  # fmt: skip

    def up(self, http: httpx.Client) -> bool:
        try:
            return http.get(f"{self.base}/healthz").status_code == 200
        except httpx.HTTPError:
            return False

    def post(self, http: httpx.Client, body: str, content_type: str = "application/json",
             headers: dict | None = None) -> int:  # fmt: skip
        h = {"Content-Type": content_type, **sign(body), **(headers or {})}
        return http.post(f"{self.base}/slack/events", content=body.encode(), headers=h).status_code

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.log.close()


def _mention(eid: str, ts: str, question: str, user: str, channel: str = "C0GENERAL",
             thread_ts: str | None = None) -> str:  # fmt: skip
    changes = {"ts": ts, "event_ts": ts, "user": user, "channel": channel,
               "text": f"<@U0BOT> {question}"}  # fmt: skip
    if thread_ts:
        changes["thread_ts"] = thread_ts
    return event("app_mention.json", eid, **changes)


def test_three_instances_share_one_store(
    full_kb, small_feedback, chroma_process, pg_url, tmp_path, monkeypatch  # noqa: F811
):  # fmt: skip
    started = time.monotonic()
    chroma_port = chroma_process[0]
    assert _copy_vectors(full_kb.chroma(), chroma_port) > 0
    env = {**os.environ, "CX_CORPUS_DIR": str(REPO / "corpus"), "CX_DATABASE_URL": pg_url,
           "CHROMA_HOST": "127.0.0.1", "CHROMA_PORT": str(chroma_port),
           "ANONYMIZED_TELEMETRY": "False", "CX_DATA_DIR": str(tmp_path / "admin")}  # fmt: skip
    for name in ("SLACK_APP_TOKEN", "OPENAI_API_KEY", "OPENAI_BASE_URL"):
        env.pop(name, None)
    cli = [sys.executable, "-m", "assistant.surfaces.cli"]
    done = subprocess.run([*cli, "db", "upgrade"], env=env, capture_output=True, text=True,
                          timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    # The feedback a team moved from a single-user install (600 shipped comments, tagged).
    copied = subprocess.run([*cli, "db", "copy", "--to", pg_url],
                            env={**env, "CX_DATA_DIR": str(small_feedback.settings.cx_data_dir)},
                            capture_output=True, text=True, timeout=120)  # fmt: skip
    assert copied.returncode == 0, copied.stdout + copied.stderr

    slack = FakeSlack()
    bot_env = {**env, "SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": SECRET,
               "SLACK_API_URL": slack.api_url, "CX_SLACK_HOST": "127.0.0.1",
               "CX_SLACK_LEASE_S": "3", "CX_SLACK_RETRY_BASE_S": "0.2",
               "CX_SLACK_RETRY_MAX_S": "1", "CX_SLACK_LISTENER_THREADS": "4",
               "CX_SLACK_PER_USER": str(PER_USER)}  # fmt: skip
    bots = [Instance(n, bot_env, tmp_path) for n in range(3)]
    engine = create_engine(pg_url.replace("postgresql://", "postgresql+psycopg://"))
    http = httpx.Client(timeout=10)
    sent = 0
    try:
        wait_until(lambda: all(b.up(http) for b in bots), timeout=120, what="3 instances")
        ready = time.monotonic()

        # 1. Threads opened, single questions, and Slack's re-sends to another instance.
        threads = [f"1700001000.{i:06d}" for i in range(N_THREADS)]
        for i, ts in enumerate(threads):
            assert bots[i % 3].post(http, _mention(f"Ev0T{i}", ts, "pains warranty",
                                                   f"U0T{i}")) == 200  # fmt: skip
            sent += 1
        singles = [f"1700002000.{i:06d}" for i in range(N_SINGLE)]
        bodies = [_mention(f"Ev0S{i}", ts, LIGHT[i % len(LIGHT)], f"U0S{i % 25}")
                  for i, ts in enumerate(singles)]  # fmt: skip
        for i, body in enumerate(bodies):
            assert bots[i % 3].post(http, body) == 200
            sent += 1
            if i < N_RETRY:  # Slack timed out on the first instance and sends it again
                retry = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
                assert bots[(i + 1) % 3].post(http, body, headers=retry) == 200
                sent += 1

        def answered(thread: str) -> int:
            return sum(1 for _, p in answers(slack) if thread_of(slack, p) == thread)

        wait_until(lambda: all(answered(t) for t in threads), timeout=60, what="the threads")

        # 2. Each thread goes on at another instance: the follow-up needs the first turn.
        for i, ts in enumerate(threads):
            body = _mention(f"Ev0F{i}", f"1700001000.{i + 500:06d}", "what about delivery?",
                            f"U0T{i}", thread_ts=ts)  # fmt: skip
            assert bots[(i + 1) % 3].post(http, body) == 200
            sent += 1

        # 3. A vote on one answer from three people, each through another instance.
        with engine.connect() as conn:
            first = conn.execute(text("SELECT id FROM answers WHERE conversation = :c"),
                                 {"c": f"C0GENERAL:{threads[0]}"}).scalars().first()  # fmt: skip
        assert first
        container = {"type": "message", "message_ts": "1800000000.000001",
                     "channel_id": "C0GENERAL", "is_ephemeral": False, "thread_ts": threads[0]}
        for n, bot in enumerate(bots):
            body = action("answer_feedback_up", first, f"{slack.base}/response/v{n}",
                          user={"id": f"U0V{n}", "team_id": "T0CX"}, container=container)
            assert bot.post(http, body, content_type=FORM) == 200

        # 3b. One person asks N_BURST feedback questions at once, each through the next
        # instance. The table shows what every instance runs: sampled until all are
        # answered, that person never has more than PER_USER running (leased, not lapsed).
        burst = [f"1700004000.{i:06d}" for i in range(N_BURST)]
        peak: list[int] = []
        watching = threading.Event()

        def watch() -> None:
            j = jobs_table.c
            while not watching.is_set():
                with engine.connect() as conn:
                    peak.append(len(conn.execute(select(j.id).where(
                        j.asker == "U0BURST", j.state == "running",
                        j.lease_until >= time.time())).all()))  # fmt: skip
                time.sleep(0.02)

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        # Each answer takes over a second (Slack is slow to describe the new channels), so
        # the questions past the limit wait long enough to be told, however loaded the machine.
        slack.delays["conversations.info"] = 1.5
        for i, ts in enumerate(burst):
            body = _mention(f"Ev0B{i}", ts, "pains battery" if i % 2 else "pains warranty",
                            "U0BURST", f"C0BURST{i}")  # fmt: skip
            assert bots[i % 3].post(http, body) == 200
            sent += 1
        try:
            wait_until(lambda: all(answered(t) for t in burst), timeout=120,
                       what="the burst answered")  # fmt: skip
        finally:
            watching.set()
            watcher.join(timeout=10)
            slack.delays.pop("conversations.info", None)
        assert peak and max(peak) <= PER_USER, max(peak)
        # Those that waited for their turn were told so, and their answers replaced the note.
        waited = [p for p in slack.of("chat.postMessage") if p.get("thread_ts") in burst
                  and ("ahead of yours" in p.get("text", "") or "yours is next" in
                       p.get("text", ""))]  # fmt: skip
        assert waited, "a question past the limit waits and its asker is told"
        for p in waited:
            assert any(u.get("ts") == p["_ts"] for u in slack.of("chat.update"))

        # 4. One instance dies (SIGKILL) while it holds jobs: Slack is slow to describe the
        # new channels, so the jobs are running when it dies.
        slack.delays["conversations.info"] = 1.0
        victim = bots[2]
        kills = [f"1700003000.{i:06d}" for i in range(N_KILL)]
        for i, ts in enumerate(kills):
            body = _mention(f"Ev0K{i}", ts, LIGHT[i % len(LIGHT)], f"U0K{i}", f"C0KILL{i}")
            assert victim.post(http, body) == 200
            sent += 1
        owner = f"%:{victim.proc.pid}:%"

        def held() -> int:
            with engine.connect() as conn:
                return len(conn.execute(select(jobs_table.c.id).where(
                    jobs_table.c.state == "running", jobs_table.c.owner.like(owner))).all())

        wait_until(lambda: held() > 0, timeout=30, what="the victim to hold jobs")
        holding = held()
        victim.proc.send_signal(signal.SIGKILL)
        victim.proc.wait(timeout=10)
        slack.delays.clear()

        expected = {**{t: 2 for t in threads}, **{t: 1 for t in singles + kills + burst}}
        wait_until(lambda: all(answered(t) >= n for t, n in expected.items()), timeout=90,
                   what="every question answered")  # fmt: skip
        time.sleep(1.0)  # time for a duplicate, were there one, to arrive
        counts = {t: answered(t) for t in expected}
        duplicates = sum(max(0, counts[t] - n) for t, n in expected.items())
        assert duplicates == 0 and counts == expected

        # The follow-ups at another instance were answered with the thread's first turn:
        # without it, "what about delivery?" is a search, not the pains of delivery.
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT conversation, question, tool FROM answers")).all()
            tally = conn.execute(select(votes_table.c.user_id, votes_table.c.vote)
                                 .where(votes_table.c.answer_id == first)).all()  # fmt: skip
        follow = {r.conversation: r.tool for r in rows if r.question == "what about delivery?"}
        assert follow == {f"C0GENERAL:{t}": "pain_points" for t in threads}, [
            tuple(r) for r in rows if r.conversation in {f"C0GENERAL:{t}" for t in threads}]
        assert sorted(tally) == [("U0V0", 1), ("U0V1", 1), ("U0V2", 1)]
        assert len(rows) == len(expected) + N_THREADS  # each question saved once
        print(json.dumps({"events": sent, "duplicates": duplicates, "killed_holding": holding,
                          "start_s": round(ready - started, 1),
                          "run_s": round(time.monotonic() - ready, 1)}))  # fmt: skip
    finally:
        http.close()
        for bot in bots:
            bot.stop()
        engine.dispose()
        slack.close()
        if os.environ.get("CX_TEAM_TEST_LOGS"):
            for log in sorted(tmp_path.glob("instance-*.log")):
                print(log.name, log.read_text()[-3000:])
