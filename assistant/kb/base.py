"""The knowledge base: settings, embedder and Chroma client bundled for the tools.

Built once per process by the CLI, the Slack app or a test, and passed in; nothing here is
created at import time.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tqdm import tqdm

from assistant.atlas.documents import atlas_documents, whole_document_chunk
from assistant.atlas.model import Atlas, load_atlas
from assistant.atlas.playbook import Playbook, load_playbook
from assistant.core.datadir import storage_error, write_lock
from assistant.core.errors import (
    AssistantError,
    ConfigError,
    DataFolderReadOnlyError,
    IndexNotReadyError,
)
from assistant.core.settings import Settings
from assistant.feedback.ingest import (
    IngestLimits,
    IngestReport,
    SyncReport,
    ingest_file,
    source_location,
    sync_feedback_vectors,
)
from assistant.feedback.readers import SUPPORTED
from assistant.feedback.segments import MENTION_RULES
from assistant.feedback.store import FeedbackStore, open_feedback_store, source_slug
from assistant.feedback.tagger import MODEL_FILE, LearnedTagger, Tagger, load_tagger
from assistant.index.embedders import make_embedder
from assistant.index.indexer import IndexReport, index_documents
from assistant.index.store import (
    CheckVectors,
    ChunkStore,
    collection_name,
    make_chroma_client,
)
from assistant.index.types import Chunk, Embedder
from assistant.index.vector_cache import with_shipped_vectors
from assistant.methodology.chunking import chunk_document
from assistant.methodology.loaders import load_methodology
from assistant.methodology.retrieval import HybridRetriever

if TYPE_CHECKING:
    from assistant.feedback.linking import Linker
    from assistant.feedback.segments import SegmentBook


@dataclass
class KnowledgeBase:
    settings: Settings
    embedder: Embedder
    client: Any = None  # the Chroma client, made on first use (answers from SQLite need none)
    _retrievers: dict[str, HybridRetriever] = field(default_factory=dict)
    _atlas: Atlas | None = None
    _feedback: FeedbackStore | None = None
    _playbook: Playbook | None = None
    _linker: Linker | None = None
    _segment_records: tuple[str, dict[str, set[str]]] = ("", {})
    _touchpoint_records: tuple[str, dict[str, set[str]]] = ("", {})
    _article_chunks: dict[str, list[Chunk]] = field(default_factory=dict)
    _indexing_embedder: Embedder | None = None
    # Depth of nested `writing()` blocks, per thread: a thread takes the lock once; another
    # thread (a second chat upload) waits for it like another process would.
    _writing: threading.local = field(default_factory=threading.local)

    @classmethod
    def open(cls, settings: Settings, embedder: Embedder | None = None) -> KnowledgeBase:
        return cls(settings=settings, embedder=embedder or make_embedder(settings))

    def chroma(self) -> Any:
        """The Chroma client (embedded or HTTP), made on first use: importing and opening
        Chroma costs a second or more, and the feedback tools read SQLite only."""
        if self.client is None:
            self.client = make_chroma_client(self.settings)
        return self.client

    @contextmanager
    def writing(self) -> Iterator[None]:
        """One writer per data folder (ingest, index, doctor repairs, chat uploads): hold its
        inter-process lock, waiting for another writer to finish. A failure whose cause is
        the storage (a full disk, a read-only folder) becomes its fixed message."""
        data = self.settings.cx_data_dir
        if getattr(self._writing, "depth", 0):
            yield
            return
        with write_lock(data, self.settings.cx_write_lock_timeout_s, self.settings.cx_read_only):
            self._writing.depth = 1
            try:
                yield
            except Exception as exc:
                if err := storage_error(exc, data):
                    raise err from exc
                raise
            finally:
                self._writing.depth = 0

    def unfinished_feedback(self) -> set[str]:
        """Records a run that stopped left stored but untagged or unlinked."""
        return self.feedback().unfinished_ids()

    # -- the parts -----------------------------------------------------------------------
    def store(self, kind: str) -> ChunkStore:
        name = collection_name(self.settings.cx_collection_prefix, kind, self.embedder.name)
        client = self.chroma()  # its own clear error when the folder cannot be opened
        try:
            return ChunkStore(
                client, name, timeout_s=self.settings.cx_chroma_timeout_s,
                folder=None if self.settings.chroma_host else self.settings.cx_data_dir,
            )  # fmt: skip
        except AssistantError:  # a server that does not answer, a full disk: their own message
            raise
        except Exception as exc:  # a damaged folder
            where = self.settings.chroma_host or self.settings.chroma_path
            raise IndexNotReadyError(
                f"The {kind} index in {where} cannot be read ({type(exc).__name__}). Rebuild "
                f"it with `cx-assistant index` (for a local folder, delete it first)."
            ) from exc

    def atlas(self) -> Atlas:
        if self._atlas is None:
            self._atlas = load_atlas(
                self.settings.atlas_dir, max_file_bytes=self.settings.cx_max_atlas_file_bytes
            )
        return self._atlas

    def playbook(self) -> Playbook:
        """The domain rules in `corpus/playbook/`, checked against the atlas taxonomy."""
        if self._playbook is None:
            aspects = {a.id for a in self.atlas().taxonomy}
            self._playbook = load_playbook(
                self.settings.playbook_dir, aspects,
                max_file_bytes=self.settings.cx_max_atlas_file_bytes,
            )  # fmt: skip
        return self._playbook

    def pinned_passage(self, key: str) -> Chunk:
        """The methodology unit a tool cites for its method (`corpus/playbook/citations.yaml`):
        the tightest unit of the pinned article that contains the pinned phrase.

        The article is chunked here as the indexer chunks it (same ids), so a tool that only
        cites its method never opens Chroma: that alone costs seconds on a cold start."""
        pin = self.playbook().citations.get(key)
        if pin is None:
            raise ConfigError(f"corpus/playbook/citations.yaml: no citation named {key!r}")
        if pin.doc not in self._article_chunks:
            docs = [d for d in load_methodology(self.settings.methodology_dir) if d.id == pin.doc]
            self._article_chunks[pin.doc] = [c for d in docs for c in chunk_document(d)]
        found = [c for c in self._article_chunks[pin.doc] if pin.anchor in c.text]
        if not found:
            raise ConfigError(
                f"corpus/playbook/citations.yaml: {key}: the article {pin.doc!r} has no passage "
                f"with “{pin.anchor}” (check the article id and the anchor phrase)."
            )
        return min(found, key=lambda c: len(c.text))  # the tightest unit that holds it

    def feedback(self) -> FeedbackStore:
        if self._feedback is None:
            self._feedback = open_feedback_store(self.settings)
        return self._feedback

    def retriever(self, kind: str = "methodology") -> HybridRetriever:
        if kind not in self._retrievers:
            retriever = HybridRetriever(self.store(kind), self.embedder)
            if retriever.size == 0:
                raise IndexNotReadyError(
                    f"The {kind} index is empty. Run `cx-assistant index` first."
                )
            self._retrievers[kind] = retriever
        return self._retrievers[kind]

    # -- indexing ------------------------------------------------------------------------
    def _passage_embedder(self) -> Embedder:
        """The embedder for indexing the shipped corpus: answering from its shipped vectors
        where it can (read once per knowledge base, not once per part)."""
        if self._indexing_embedder is None:
            self._indexing_embedder = with_shipped_vectors(
                self.embedder, self.settings.cx_corpus_dir
            )
        return self._indexing_embedder

    def index_methodology(
        self, progress: bool = True, check_vectors: CheckVectors = "sample"
    ) -> IndexReport:
        report = index_documents(
            load_methodology(self.settings.methodology_dir),
            self.store("methodology"),
            self._passage_embedder(),
            chunker=chunk_document,
            batch_size=self.settings.cx_embed_batch_size,
            progress=progress,
            check_vectors=check_vectors,
        )
        self._retrievers.pop("methodology", None)
        return report

    def index_atlas(
        self, progress: bool = True, check_vectors: CheckVectors = "sample"
    ) -> IndexReport:
        self._atlas = None
        report = index_documents(
            atlas_documents(self.atlas()),
            self.store("atlas"),
            self._passage_embedder(),
            batch_size=self.settings.cx_embed_batch_size,
            progress=progress,
            chunker=whole_document_chunk,
            check_vectors=check_vectors,
        )
        self._retrievers.pop("atlas", None)
        return report

    def ingest(
        self,
        path: Path,
        *,
        columns: dict[str, str | None] | None = None,
        reference: date | None = None,
        progress: bool = True,
        embed: bool = True,
    ) -> IngestReport:
        # Files shipped in the corpus own their names; any other file with one of those
        # names gets a source of its own (never rows added into the shipped set).
        location = source_location(path, self.settings.feedback_dir)
        reserved = (
            set() if location.startswith("corpus:")
            else {source_slug(p.stem) for p in self.shipped_feedback_files()}
        )  # fmt: skip
        source = self.feedback().source_for(location, path.stem, reserved)
        return self._ingest(
            path,
            source,
            columns=columns,
            reference=reference,
            progress=progress,
            embed=embed,
            limits=IngestLimits(
                max_bytes=self.settings.cx_max_ingest_bytes,
                max_rows=self.settings.cx_max_ingest_rows,
                rows_setting="CX_MAX_INGEST_ROWS",
            ),
        )

    def ingest_upload(
        self, path: Path, name: str, *, share: bool, limits: IngestLimits, progress: bool = False
    ) -> IngestReport:
        """Ingest a file shared in a chat under the source `name` (the same name for the same
        upload: see Conversations.upload_source). Unless `share`, the source is private: only
        a request that names it counts its records (SQLFeedbackStore.corpus_where). With
        `share`, the source joins the shared corpus, once the file is stored."""
        store = self.feedback()
        source = store.source_for(f"upload:{name}", name, private=not share)
        report = self._ingest(path, source, progress=progress, embed=False, limits=limits)
        if share:
            store.share_source(source)
        return report

    def _ingest(
        self,
        path: Path,
        source: str,
        *,
        columns: dict[str, str | None] | None = None,
        reference: date | None = None,
        progress: bool = True,
        embed: bool = True,
        limits: IngestLimits,
    ) -> IngestReport:
        limits = limits.model_copy(update={"earliest_date": self.settings.cx_earliest_date})
        report = ingest_file(
            path,
            self.feedback(),
            self.store("feedback") if embed else None,
            self.embedder if embed else None,
            rejects_dir=self.settings.rejects_dir,
            columns=columns,
            reference=reference,
            progress=progress,
            batch_size=self.settings.cx_embed_batch_size,
            source=source,
            max_cell_chars=self.settings.cx_max_cell_chars,
            limits=limits,
        )
        self._retrievers.pop("feedback", None)
        return report

    def sync_feedback_index(
        self, progress: bool = True, check_vectors: CheckVectors = "sample", missing: bool = False
    ) -> SyncReport:
        """Embed again the stored records whose vectors were lost (and, with `missing`, those
        never embedded); delete what SQLite does not hold."""
        report = sync_feedback_vectors(
            self.feedback(), self.store("feedback"), self.embedder, check_vectors=check_vectors,
            batch_size=self.settings.cx_embed_batch_size, progress=progress, missing=missing,
        )  # fmt: skip
        self._retrievers.pop("feedback", None)
        return report

    def tagger(self) -> Tagger:
        return load_tagger(self.settings.cx_data_dir, self.atlas().taxonomy)

    def ensure_tagger(self, progress: bool = True) -> Tagger:
        """The tagger to use: the learned one, trained now when it is missing and labelled
        feedback exists (so the first `index` leaves it in place), else zero-shot."""
        model = self.settings.cx_data_dir / MODEL_FILE
        if not model.is_file() and any(r.labelled for r in self.feedback().records()):
            self.train_tagger(progress=progress)
        return self.tagger()

    def tag_feedback(self, retag: bool = False, progress: bool = True) -> dict[str, int]:
        """Tag what is not tagged yet (with `retag`, also what a model tagged before).

        Records that came with human labels keep them as their tags; the others get the
        tagger's output (learned if a model was trained, zero-shot otherwise).
        """
        store = self.feedback()
        tagger = self.tagger()
        todo = list(store.untagged(("learned", "zero-shot") if retag else ()))
        labelled = [(r.id, r.labels) for r in todo if r.labelled]
        store.set_tags(labelled, "label")
        rest = [r for r in todo if not r.labelled]
        done = {"label": len(labelled), tagger.name: 0}
        with tqdm(total=len(rest), desc=f"tagging ({tagger.name})", unit="rec",
                  disable=not progress or not rest) as bar:  # fmt: skip
            for i in range(0, len(rest), 2000):
                batch = rest[i : i + 2000]
                tags = tagger.tag([r.text for r in batch], [r.rating for r in batch])
                done[tagger.name] += store.set_tags(
                    zip([r.id for r in batch], tags, strict=True), tagger.name
                )
                bar.update(len(batch))
        # Themes are clustered here, once per change of a group, never while someone waits.
        from assistant.feedback.themes import compute_themes

        compute_themes(store, progress=progress)
        self.segment_members()  # stored now, so the first question about a segment is quick
        return done

    def train_tagger(self, progress: bool = True) -> LearnedTagger:
        """Fit the learned tagger on every labelled record and save it beside the index."""
        labelled = [r for r in self.feedback().records() if r.labelled]
        if not labelled:
            raise IndexNotReadyError(
                "No labelled feedback to train on: ingest a file with a label column first "
                "(the shipped UIT-ViSFD sample has one: `cx-assistant index`)."
            )
        model = LearnedTagger.train(
            [r.text for r in labelled],
            [r.rating for r in labelled],
            [r.labels for r in labelled],
            [a.id for a in self.atlas().taxonomy],
            progress=progress,
        )
        model.save(self.settings.cx_data_dir / MODEL_FILE)
        return model

    def titles(self) -> dict[str, str]:
        """Methodology document id -> title, for citations."""
        from assistant.methodology.loaders import read_catalog

        return {e.id: e.title for e in read_catalog(self.settings.methodology_dir)}

    def shipped_feedback_files(self) -> list[Path]:
        folder = self.settings.feedback_dir
        if not folder.is_dir():
            return []
        return sorted(p for p in folder.iterdir() if p.suffix.lower() in SUPPORTED)

    # -- journey links -------------------------------------------------------------------
    def segments(self) -> SegmentBook:
        """The customer segments and their cue words (corpus/playbook/segments.yaml)."""
        from assistant.feedback.segments import load_segments

        return load_segments(self.settings.playbook_dir / "segments.yaml")

    def records_of_segment(self, segment_id: str) -> set[str]:
        """Records whose text names the segment ("mình là sinh viên" -> students)."""
        return self.segment_members().get(segment_id, set())

    def segment_state(self) -> str:
        """What the stored segment members are keyed on: the records, the segments file and
        the rules that read mentions."""
        book = self.segments()
        rules = f"{book.model_dump_json()}:{MENTION_RULES}"  # the file, and how it is read
        return f"{self.feedback().state()}:{hashlib.sha256(rules.encode()).hexdigest()}"

    def segment_members(self) -> dict[str, set[str]]:
        """Segment id -> the records whose text names it. Scanning every comment takes
        seconds, so it is done when feedback is tagged and stored, keyed on the records and
        the segments file; a change of either scans again."""
        store = self.feedback()
        book = self.segments()
        state = self.segment_state()
        if self._segment_records[0] != state:
            members = store.segment_members(state)
            if members is None:
                members = {s.id: set() for s in book.segments}
                for rid, text in store.id_texts():
                    for sid in book.segments_mentioned(text):
                        members.setdefault(sid, set()).add(rid)
                # Answers from a read-only folder keep them in memory only.
                with suppress(DataFolderReadOnlyError):
                    store.set_segment_members(state, members)
            self._segment_records = (state, members)
        return self._segment_records[1]

    def records_naming_touchpoint(self, touchpoint: str) -> set[str]:
        """Records whose text names the touchpoint ("gọi tổng đài" -> hotline), by the
        touchpoint words of the journey cue file; scanned once per state of the records
        and of the cue file (a second or so for the shipped corpus), kept in memory."""
        store = self.feedback()
        linker = self.linker()
        state = f"{store.state()}:{linker.signature}"
        if self._touchpoint_records[0] != state:
            members: dict[str, set[str]] = {}
            for rid, text in store.id_texts():
                for t in linker.touchpoints(text):
                    members.setdefault(t, set()).add(rid)
            self._touchpoint_records = (state, members)
        return self._touchpoint_records[1].get(touchpoint, set())

    def linker(self) -> Linker:
        """The journey linker: the atlas, the journey cue file, and this base's embedder."""
        from assistant.feedback.linking import Linker, load_link_cues

        atlas = self.atlas()
        # Built once per atlas: the linker embeds the step descriptions on first use.
        if self._linker is None or self._linker.atlas is not atlas:
            path = self.settings.cx_corpus_dir / "playbook" / "journey_cues.yaml"
            self._linker = Linker(atlas, load_link_cues(atlas, path), self.embedder)
        return self._linker

    def link_feedback(
        self, relink: bool = False, progress: bool = True, batch: int = 1000
    ) -> dict[str, int]:
        """Link the feedback records that are not linked yet to the journeys they talk about.

        Records whose vectors Chroma holds are linked by cue words and semantic similarity
        ("cue+semantic"), the others by cue words only ("cue"); records linked by cue words
        earlier are linked again once their vectors are stored. `relink` links every record
        again (after the atlas or the cue file changed). Returns records linked per mode.
        """
        import numpy as np

        from assistant.index.store import stored_vectors

        store = self.feedback()
        linker = self.linker()
        # Links made by another linker (other cues, rules or atlas steps) are made again.
        signature = store.link_signature()
        if signature != linker.signature and store.count() > store.unlinked_count():
            relink = True
        todo = list(store.to_link(include_modes=("cue", "cue+semantic") if relink else ("cue",)))
        cue_linked = set() if relink else store.linked_ids("cue")
        done = {"cue": 0, "cue+semantic": 0}
        chroma = self.store("feedback") if todo else None
        with tqdm(total=len(todo), desc="linking feedback", unit="rec",
                  disable=not progress or not todo) as bar:  # fmt: skip
            for i in range(0, len(todo), batch):
                part = todo[i : i + batch]
                vectors = stored_vectors(chroma, [r.id for r in part]) if chroma else {}
                with_vec = [r for r in part if r.id in vectors]
                # Cue-linked before and still without vectors: nothing new to learn.
                without = [r for r in part if r.id not in vectors and r.id not in cue_linked]
                if with_vec:
                    links = linker.link(
                        [r.text for r in with_vec], np.stack([vectors[r.id] for r in with_vec])
                    )
                    done["cue+semantic"] += store.set_links(
                        zip([r.id for r in with_vec], links, strict=True), "cue+semantic"
                    )
                if without:
                    links = linker.link([r.text for r in without])
                    done["cue"] += store.set_links(
                        zip([r.id for r in without], links, strict=True), "cue"
                    )
                bar.update(len(part))
        with suppress(DataFolderReadOnlyError):
            store.set_link_signature(linker.signature)
        return done
