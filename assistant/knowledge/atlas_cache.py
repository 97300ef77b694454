"""The validated atlas, cached beside the index: every CLI call needs the atlas, and
parsing its YAML with line numbers takes about a second; the cache is keyed by the atlas
files' names, sizes and modification times, so an edited atlas is read again."""

from __future__ import annotations

import hashlib
import logging
import pickle
from pathlib import Path

from assistant.knowledge.atlas import Atlas, load_atlas

log = logging.getLogger(__name__)


def _key(root: Path) -> str:
    files = sorted(p for p in root.rglob("*.yaml") if p.is_file())
    parts = [f"{p.relative_to(root)}:{p.stat().st_size}:{p.stat().st_mtime_ns}" for p in files]
    return hashlib.sha256("\n".join([str(root.resolve()), *parts]).encode()).hexdigest()[:24]


def load_atlas_cached(root: Path, cache_dir: Path) -> Atlas:
    """load_atlas(root), from `cache_dir` when the files have not changed since."""
    if not root.is_dir():
        return load_atlas(root)  # its own clear error
    path = cache_dir / f"atlas-{_key(root)}.pickle"
    if path.is_file():
        try:
            atlas = pickle.loads(path.read_bytes())
            if isinstance(atlas, Atlas):
                return atlas
        except Exception:  # a cache from another version: rebuild it
            log.info("atlas cache %s unreadable, rebuilding", path)
    atlas = load_atlas(root)
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        for old in cache_dir.glob("atlas-*.pickle"):
            old.unlink(missing_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(pickle.dumps(atlas))
        tmp.replace(path)
    except OSError as exc:  # a read-only data folder still answers, just slower
        log.info("atlas cache not written: %s", exc)
    return atlas
