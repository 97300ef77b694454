"""The Chroma store: embedded PersistentClient by default, HttpClient when a host is set.

Every call to a Chroma server has a deadline (CX_CHROMA_TIMEOUT_S); a server that does not
answer, refuses the connection or is not a Chroma server raises ChromaUnavailableError,
whose text names CHROMA_HOST and CHROMA_PORT.
"""

from __future__ import annotations

import atexit
import logging
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, Literal, TypeVar

import httpx
import numpy as np

from assistant.core.datadir import is_read_only, storage_error
from assistant.core.errors import AssistantError, ChromaUnavailableError, IndexNotReadyError
from assistant.core.settings import Settings
from assistant.index.types import Chunk

log = logging.getLogger(__name__)

T = TypeVar("T")
# Collection metadata written at the end of a complete indexing run (the number of chunks
# then) and set to -1 when a run starts changing the collection: a run that died half-way
# leaves -1 behind.
COMPLETE_KEY = "cx_complete_chunks"
PROBES = 5  # records checked by their own vector in the cheap check
# HNSW search is approximate: in a healthy collection of thousands of short, similar
# comments a few records (measured: 3 to 29 of 7,786, a different few after each re-embed)
# are never returned by a query with their own vector. Lost vector files lose most of them.
# Misses up to this share of the records checked are the search's, not damage.
APPROXIMATE_MISS_SHARE = 0.01
WIDE_PROBES = 100  # a probe that misses is confirmed on this many records spread over all
CheckVectors = Literal["sample", "all"]


def lost_of(unreadable: list[str], missed: list[str], checked: int) -> list[str]:
    """The lost vectors of a check (ChunkStore.vector_check): every unreadable one, and the
    records not returned by their own vector once they are more than the approximate
    search's expected misses (APPROXIMATE_MISS_SHARE of the records checked)."""
    return unreadable + (missed if len(missed) > APPROXIMATE_MISS_SHARE * checked else [])


def _reason(exc: BaseException, timeout_s: float | None) -> str:
    """Why the server could not be used, in fixed words (details go to the log)."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, httpx.TimeoutException):
            return f"no answer within {timeout_s:g} s" if timeout_s else "no answer in time"
        if isinstance(seen, httpx.ConnectError):
            return "the connection was refused or the host is unknown"
        if isinstance(seen, httpx.TransportError):
            return "the connection broke"
        seen = seen.__cause__ or seen.__context__
    return "it did not answer as a Chroma server"


def chroma_unavailable(
    host: str, port: int, timeout_s: float | None, exc: BaseException
) -> ChromaUnavailableError:
    log.warning("Chroma server %s:%s unavailable: %r", host, port, exc)
    return ChromaUnavailableError(
        f"Cannot use the Chroma server at {host}:{port}: {_reason(exc, timeout_s)}. Check that "
        f"it is running (`chroma run --path DIR --port {port}`) and that CHROMA_HOST and "
        f"CHROMA_PORT point to it; unset CHROMA_HOST to use the embedded index in CX_DATA_DIR."
    )


def _http_client(settings: Settings):  # noqa: ANN202 - chromadb's Client
    from chromadb.api.client import Client
    from chromadb.config import Settings as ChromaSettings

    timeout = settings.cx_chroma_timeout_s

    class DeadlineClient(Client):
        """chromadb 1.5's HTTP session has no timeout and no setting for one: set ours
        before the client's first request (the identity check in its constructor)."""

        def get_user_identity(self):  # noqa: ANN202
            session = getattr(self._server, "_session", None)
            if isinstance(session, httpx.Client):
                session.timeout = httpx.Timeout(timeout)
            else:  # chromadb changed: calls would have no deadline
                log.warning("cannot set a deadline on Chroma calls (chromadb internals changed)")
            return super().get_user_identity()

    chroma_settings = ChromaSettings(
        anonymized_telemetry=False,
        chroma_api_impl="chromadb.api.fastapi.FastAPI",
        chroma_server_host=settings.chroma_host,
        chroma_server_http_port=settings.chroma_port,
        chroma_server_ssl_enabled=settings.chroma_ssl,
    )
    try:
        return DeadlineClient(settings=chroma_settings)
    except Exception as exc:  # timeouts, refused connections, a server that is not Chroma
        host = str(settings.chroma_host)
        raise chroma_unavailable(host, settings.chroma_port, timeout, exc) from exc


def make_chroma_client(settings: Settings):  # noqa: ANN201 - chromadb's ClientAPI
    """Chroma client from the settings; telemetry off (these machines have no network)."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    if settings.chroma_host:
        return _http_client(settings)
    path = settings.chroma_path
    if is_read_only(settings.cx_data_dir, settings.cx_read_only):
        path = _read_only_copy(path)
    else:
        path.mkdir(parents=True, exist_ok=True)
    try:
        return chromadb.PersistentClient(
            path=str(path), settings=ChromaSettings(anonymized_telemetry=False)
        )
    except Exception as exc:  # chromadb raises several types for a damaged folder
        if err := storage_error(exc, settings.cx_data_dir):
            raise err from exc
        raise IndexNotReadyError(
            f"The index folder {settings.chroma_path} cannot be opened ({type(exc).__name__}). "
            f"Delete it and run `cx-assistant index` to rebuild it."
        ) from exc


def _read_only_copy(path: Path) -> Path:
    """A temporary copy of a read-only Chroma folder: Chroma writes (migrations, its WAL)
    whenever it opens one, so it cannot open the folder itself. Answers read the copy; every
    write is refused before it reaches Chroma (KnowledgeBase.writing)."""
    copy = Path(tempfile.mkdtemp(prefix="cx-chroma-ro-"))
    atexit.register(shutil.rmtree, copy, ignore_errors=True)
    if path.is_dir():
        shutil.copytree(path, copy, dirs_exist_ok=True)
        for p in [copy, *copy.rglob("*")]:  # the copy keeps the original's read-only modes
            p.chmod(p.stat().st_mode | 0o200)
    log.info("data folder read-only: Chroma opened from a copy in %s", copy)
    return copy


def collection_name(prefix: str, kind: str, embedder_name: str) -> str:
    """One collection per kind and embedder: vectors of different models never mix."""
    raw = f"{prefix}_{kind}_{embedder_name}"
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", raw).strip("-._")
    return name[:512] if len(name) >= 3 else f"{name}-cx"


def _batches(items: Sequence[T], size: int) -> Iterator[list[T]]:
    for i in range(0, len(items), size):
        yield list(items[i : i + size])


class ChunkStore:
    """Chunks with their vectors and metadata in one Chroma collection (cosine space)."""

    def __init__(
        self, client, name: str, timeout_s: float | None = None, folder: Path | None = None  # noqa: ANN001
    ) -> None:
        self.name = name
        self._timeout_s = timeout_s
        self._folder = folder  # the data folder of an embedded Chroma (full-disk checks)
        get_settings = getattr(client, "get_settings", None)
        chroma = get_settings() if get_settings else None
        self._server = (
            (str(chroma.chroma_server_host), int(chroma.chroma_server_http_port or 0))
            if chroma is not None and chroma.chroma_api_impl.endswith("FastAPI")
            else None
        )
        # embedding_function=None: we always pass vectors, and Chroma's default function
        # would try to download a model.
        self._col = self._call(
            client.get_or_create_collection,
            name,
            metadata={"hnsw:space": "cosine"},
            embedding_function=None,
        )

    def _call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """One call to Chroma; a server that fails to answer gets the settings named, a full
        disk or a read-only folder under an embedded one gets its fixed message."""
        try:
            return fn(*args, **kwargs)
        except httpx.TransportError as exc:
            host, port = self._server or ("?", 0)
            raise chroma_unavailable(host, port, self._timeout_s, exc) from exc
        except Exception as exc:
            if self._folder is not None and (err := storage_error(exc, self._folder)):
                raise err from exc
            raise

    def count(self) -> int:
        return self._call(self._col.count)

    def upsert(
        self,
        chunks: Sequence[Chunk],
        vectors: np.ndarray,
        extra: dict[str, Any] | Sequence[dict[str, Any]],
    ) -> None:
        """Add or replace chunks; `extra` is metadata for all of them, or one dict each."""
        if not chunks:
            return
        extras = [extra] * len(chunks) if isinstance(extra, dict) else list(extra)
        self._call(
            self._col.upsert,
            ids=[c.id for c in chunks],
            embeddings=np.asarray(vectors, dtype=np.float32).tolist(),
            documents=[c.text for c in chunks],
            metadatas=[{**c.metadata(), **x} for c, x in zip(chunks, extras, strict=True)],
        )

    def ids(self) -> list[str]:
        return self._call(self._col.get, include=[])["ids"]

    def delete(self, ids: Sequence[str]) -> None:
        for batch in _batches(ids, 1000):
            self._call(self._col.delete, ids=batch)

    # -- completeness and health ----------------------------------------------------------
    def set_complete(self, complete: bool) -> None:
        """Mark the collection complete (with its size now) or being changed."""
        value = self.count() if complete else -1
        if (self._col.metadata or {}).get(COMPLETE_KEY) != value:
            self._call(self._col.modify, metadata={COMPLETE_KEY: value})

    def completed_size(self) -> int | None:
        """The size recorded by the last complete run; -1 while a run is (or died) changing
        the collection; None for a collection indexed before this mark existed."""
        value = (self._col.metadata or {}).get(COMPLETE_KEY)
        return int(value) if isinstance(value, int) else None

    def sample_ids(self, n: int = PROBES) -> list[str]:
        """A few ids spread over the collection (first, last and between)."""
        total = self.count()
        if not total:
            return []
        offsets = sorted({round(i * (total - 1) / max(n - 1, 1)) for i in range(n)})
        out: list[str] = []
        for offset in offsets:
            out += self._call(self._col.get, limit=1, offset=offset, include=[])["ids"]
        return out

    def lost_vectors(self, ids: Sequence[str]) -> list[str]:
        """Ids among `ids` (all stored) whose vector Chroma can no longer read or find: their
        vector files were lost or damaged while the records' other data remained. A vector
        that cannot be read is always lost; records that a query with their own vector does
        not return count only beyond APPROXIMATE_MISS_SHARE of `ids`."""
        return lost_of(*self.vector_check(ids), len(ids))

    def vector_check(self, ids: Sequence[str]) -> tuple[list[str], list[str]]:
        """(ids whose vector cannot be read, ids a query with their own vector does not
        return) among `ids`, all stored."""
        unreadable: list[str] = []
        missed: list[str] = []
        stack = list(_batches(ids, 256))
        while stack:
            batch = stack.pop()
            try:
                got = self._call(self._col.get, ids=batch, include=["embeddings"])
            except AssistantError:
                raise
            except Exception:  # chromadb: "Error finding id" when a vector is missing
                if len(batch) == 1:
                    unreadable += batch
                else:
                    stack += [batch[: len(batch) // 2], batch[len(batch) // 2 :]]
                continue
            missed += self._not_found_by_own_vector(got["ids"], got["embeddings"])
        return unreadable, missed

    def _not_found_by_own_vector(self, ids: Sequence[str], vectors: Any) -> list[str]:
        """Ids that a query with their own vector does not return. A record whose exact
        vector is returned under another id (same text) counts as found."""
        if not len(ids):
            return []
        total = self.count()
        res = self._call(
            self._col.query,
            query_embeddings=np.asarray(vectors, dtype=np.float32).tolist(),
            n_results=min(10, total),
            include=["distances"],
        )
        return [
            rid
            for rid, found, dist in zip(ids, res["ids"], res["distances"], strict=True)
            if rid not in found and not (dist and dist[0] < 1e-4)
        ]

    def probe(self, ids: Sequence[str] | None = None) -> list[str]:
        """The cheap check: of a few records (these ids, or a sample), those whose vector
        cannot be read or is not found by a query with it. A miss is confirmed on
        WIDE_PROBES records spread over the collection, judged as lost_vectors judges: one
        record the approximate search never returns is not a damaged index."""
        ids = list(ids) if ids is not None else self.sample_ids()
        if not ids:
            return []
        try:
            got = self._call(self._col.get, ids=ids, include=["embeddings"])
        except AssistantError:
            raise
        except Exception:
            return self.lost_vectors(ids)
        missed = self._not_found_by_own_vector(got["ids"], got["embeddings"])
        if not missed:
            return []
        every = self.ids()
        wide = every[:: max(1, len(every) // WIDE_PROBES)]
        lost = set(self.lost_vectors(list(dict.fromkeys([*missed, *wide]))))
        return [i for i in missed if i in lost]

    def check_vectors(self, ids: Sequence[str], mode: CheckVectors = "sample") -> list[str]:
        """Lost vectors among `ids`: "sample" probes a few and checks every one only when a
        probe fails; "all" checks every one."""
        if not ids:
            return []
        if mode == "sample":
            step = max(1, len(ids) // PROBES)
            if not self.probe(list(ids)[::step][:PROBES] + [ids[-1]]):
                return []
        return self.lost_vectors(ids)

    # -- reading ---------------------------------------------------------------------------
    def manifest(self) -> dict[str, dict[str, Any]]:
        """doc_id -> {"hash", "ids"}: what is indexed now, read from the chunks themselves."""
        got = self._call(self._col.get, include=["metadatas"])
        out: dict[str, dict[str, Any]] = {}
        for cid, meta in zip(got["ids"], got["metadatas"] or [], strict=True):
            entry = out.setdefault(
                meta["doc_id"],
                {"hash": meta.get("doc_hash", ""), "ids": [], "expected": meta.get("doc_chunks")},
            )
            entry["ids"].append(cid)
            if entry["hash"] != meta.get("doc_hash", ""):
                entry["hash"] = ""  # mixed hashes: a half-finished update, re-index this doc
        for entry in out.values():
            if entry["expected"] is not None and entry["expected"] != len(entry["ids"]):
                entry["hash"] = ""  # chunks missing: an interrupted run, re-index this doc
        return out

    def all_chunks(self) -> list[Chunk]:
        got = self._call(self._col.get, include=["documents", "metadatas"])
        chunks = [
            _to_chunk(cid, doc, meta)
            for cid, doc, meta in zip(got["ids"], got["documents"], got["metadatas"], strict=True)
        ]
        return sorted(chunks, key=lambda c: (c.doc_id, c.position))

    def query(
        self, vector: np.ndarray, n: int, where: dict[str, Any] | None = None
    ) -> list[tuple[Chunk, float]]:
        """Nearest chunks with their cosine similarity."""
        total = self.count()
        if total == 0:
            return []
        res = self._call(
            self._col.query,
            query_embeddings=[np.asarray(vector, dtype=np.float32).tolist()],
            n_results=min(n, total),
            where=where or None,
            include=["documents", "metadatas", "distances"],
        )
        return [
            (_to_chunk(cid, doc, meta), 1.0 - float(dist))
            for cid, doc, meta, dist in zip(
                res["ids"][0],
                res["documents"][0],
                res["metadatas"][0],
                res["distances"][0],
                strict=True,
            )
        ]


def _to_chunk(cid: str, text: str, meta: dict[str, Any]) -> Chunk:
    return Chunk(
        id=cid,
        doc_id=meta["doc_id"],
        kind=meta["kind"],
        title=meta.get("title", ""),
        section=meta.get("section", ""),
        text=text,
        position=int(meta.get("position", 0)),
        group=meta.get("group", ""),
        role=meta.get("role", "text"),
    )


def stored_vectors(
    store: ChunkStore, ids: Sequence[str], batch: int = 500
) -> dict[str, np.ndarray]:
    """The vectors Chroma holds for these ids (ids it lacks are left out), read back so that
    nothing already embedded is embedded again."""
    out: dict[str, np.ndarray] = {}
    wanted = list(dict.fromkeys(ids))
    for i in range(0, len(wanted), batch):
        got = store._col.get(ids=wanted[i : i + batch], include=["embeddings"])
        for cid, vec in zip(got["ids"], got["embeddings"], strict=True):
            out[cid] = np.asarray(vec, dtype=np.float32)
    return out
