"""A playbook file that cannot be read is an error that names file, line and field, both at
load (the answer says which filters were not read) and in `atlas validate`."""

import shutil
from pathlib import Path

from assistant.agent.agent import Agent
from assistant.kb.base import KnowledgeBase
from assistant.surfaces.cli import main

REPO = Path(__file__).resolve().parents[1]


def _corpus_with_bad_segments(tmp_path: Path) -> Path:
    corpus = tmp_path / "corpus"
    shutil.copytree(REPO / "corpus", corpus, ignore=shutil.ignore_patterns("feedback"))
    segments = corpus / "playbook" / "segments.yaml"
    segments.write_text("colour: blue\n" + segments.read_text(encoding="utf-8"), encoding="utf-8")
    return corpus


def test_a_broken_segments_file_drops_only_the_segment_cues_and_says_so(full_kb, tmp_path):
    corpus = _corpus_with_bad_segments(tmp_path)
    settings = full_kb.settings.model_copy(update={"cx_corpus_dir": corpus})
    kb = KnowledgeBase.open(settings, full_kb.embedder)
    answer = Agent(kb).ask("Q2 2020, 1-2 star reviews: what do customers complain about?")
    assert answer.tool == "pain_points"
    applied = answer.result.scope.filters
    assert (applied["start"], applied["end"]) == ("2020-04-01", "2020-06-30")
    assert (applied["min_rating"], applied["max_rating"]) == (1, 2)
    assert "segments.yaml" in answer.answer and "segment filters not applied" in answer.answer


def test_atlas_validate_reports_the_segments_file_with_line_and_field(tmp_path, capsys,
                                                                     monkeypatch):
    corpus = _corpus_with_bad_segments(tmp_path)
    monkeypatch.setenv("CX_CORPUS_DIR", str(corpus))
    monkeypatch.setenv("CX_DATA_DIR", str(tmp_path / "data"))
    assert main(["atlas", "validate", str(corpus / "atlas")]) == 1
    out = capsys.readouterr().out
    assert "segments.yaml:1: colour: Extra inputs are not permitted" in out
    assert "1 problem(s)" in out
