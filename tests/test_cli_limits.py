"""The CLI reads files with the limits of the settings (CX_MAX_ATLAS_FILE_BYTES,
CX_MAX_CELL_CHARS), not the loaders' defaults, and `index` says what it repaired."""

from __future__ import annotations

import json
import shutil

import pytest

from assistant.evals.tagging import load_labelled
from assistant.surfaces.cli import _index_line, _ingest_line, main
from conftest import REPO

PADDED = 50_000  # bytes of one padded file; under the default limit (1,000,000)
LIMIT = "40000"


def _padded_corpus(tmp_path):
    """A copy of the shipped atlas and playbook with one file of each grown past LIMIT by a
    YAML comment (valid, and the same data)."""
    corpus = tmp_path / "corpus"
    shutil.copytree(REPO / "corpus" / "atlas", corpus / "atlas")
    shutil.copytree(REPO / "corpus" / "playbook", corpus / "playbook")
    (corpus / "methodology").symlink_to(REPO / "corpus" / "methodology")
    for path in (corpus / "atlas/journeys/delivery.yaml", corpus / "playbook/roadmap.yaml"):
        text = path.read_text(encoding="utf-8")
        path.write_text(text + "#" * (PADDED - len(text.encode())) + "\n", encoding="utf-8")
    return corpus


@pytest.fixture
def padded(tmp_path, monkeypatch):
    corpus = _padded_corpus(tmp_path)
    monkeypatch.setenv("CX_CORPUS_DIR", str(corpus))
    monkeypatch.setenv("CX_DATA_DIR", str(tmp_path / "data"))
    return corpus


def _too_big(out: str) -> set[str]:
    problems = json.loads(out)["problems"]
    return {p["file"] for p in problems if "CX_MAX_ATLAS_FILE_BYTES" in p["message"]}


def test_atlas_validate_uses_the_file_limit_of_the_settings(padded, monkeypatch, capsys):
    assert main(["atlas", "validate", "--json"]) == 0  # the default limit: all is well
    assert _too_big(capsys.readouterr().out) == set()
    monkeypatch.setenv("CX_MAX_ATLAS_FILE_BYTES", LIMIT)
    assert main(["atlas", "validate", "--json"]) == 1
    # The atlas file and the playbook file beside it, both read under the setting's limit.
    assert _too_big(capsys.readouterr().out) == {
        "atlas/journeys/delivery.yaml", "playbook/roadmap.yaml"
    }  # fmt: skip


def test_atlas_show_uses_the_file_limit_of_the_settings(padded, monkeypatch, capsys):
    assert main(["atlas", "show", "delivery", "--lang", "en"]) == 0
    assert capsys.readouterr().out.startswith("# Delivery and setup (delivery)")
    monkeypatch.setenv("CX_MAX_ATLAS_FILE_BYTES", LIMIT)
    assert main(["atlas", "show", "delivery", "--lang", "en"]) == 2
    err = capsys.readouterr().err
    assert "delivery.yaml" in err and "the limit is 40,000" in err


def test_tag_uses_the_cell_limit_of_the_settings(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CX_DATA_DIR", str(tmp_path / "data"))  # no model: zero-shot
    monkeypatch.setenv("CX_CORPUS_DIR", str(REPO / "corpus"))
    long = "pin trâu, giao hàng nhanh " * 6  # 156 characters
    path = tmp_path / "in.csv"
    path.write_text(f'text,n_star\n"{long}",5\n"Màn hình bị sọc",1\n', encoding="utf-8")
    assert main(["tag", str(path), "--text-column", "text", "--json"]) == 0
    rows = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert "error" not in rows[0] and rows[0]["aspects"]
    monkeypatch.setenv("CX_MAX_CELL_CHARS", "100")
    assert main(["tag", str(path), "--text-column", "text", "--json"]) == 0
    rows = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert "CX_MAX_CELL_CHARS" in rows[0]["error"] and rows[0]["aspects"] == []
    assert "error" not in rows[1] and rows[1]["aspects"]  # the short row is still tagged


def test_labelled_comments_of_the_tagging_eval_follow_the_cell_limit(tmp_path):
    path = tmp_path / "dev.csv"
    path.write_text(
        "comment,n_star,date_time,label\n"
        f'"{"Pin tụt nhanh quá. " * 8}",1,1/1/2020,{{BATTERY#Negative}};\n'
        '"Pin tụt nhanh",1,1/1/2020,{BATTERY#Negative};\n',
        encoding="utf-8",
    )
    assert len(load_labelled(path)) == 2
    assert [r.text for r in load_labelled(path, max_cell_chars=100)] == ["Pin tụt nhanh"]


def test_index_output_names_repairs_only_when_there_were_some():
    report = {"documents": 5, "added": 0, "updated": 0, "removed": 0, "unchanged": 3,
              "repaired": 2, "chunks_embedded": 40, "chunks_deleted": 40, "chunks_total": 90,
              "seconds": 1.0}  # fmt: skip
    assert "repaired: 2 documents" in _index_line("methodology", report)
    assert "repaired" not in _index_line("methodology", {**report, "repaired": 0})
    ingest = {"file": "f.csv", "accepted": 0, "rejected": 0, "duplicates": 10, "indexed": 7,
              "repaired": 7, "redactions": 0, "seconds": 1.0}  # fmt: skip
    assert "repaired: 7 records" in _ingest_line(ingest)
    assert "repaired" not in _ingest_line({**ingest, "repaired": 0})


def test_the_shipped_corpus_is_found_from_any_folder(tmp_path, monkeypatch, capsys):
    """Run from another folder with no CX_CORPUS_DIR: the corpus beside the package is used
    (a relative default made every answer 'corpus/atlas: no such folder')."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CX_CORPUS_DIR", raising=False)
    assert main(["atlas", "show", "warranty", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["id"] == "warranty" and not (tmp_path / "corpus").exists()
