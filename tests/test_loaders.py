from pathlib import Path

import pytest

from assistant.errors import CorpusError
from assistant.knowledge.loaders import load_methodology
from conftest import REPO, SEEDS

SHARED_SEEDS = REPO.parent / "shared" / "seeds"


def test_methodology_has_five_articles_with_metadata():
    docs = list(load_methodology(SEEDS))
    assert [d.id for d in docs] == [
        "jcxm-part3",
        "gartner-customer-centricity",
        "cx-program-7-steps",
        "customer-journey-mapping",
        "cx-team",
    ]
    for d in docs:
        assert d.kind == "methodology" and d.lang == "vi"
        assert d.title and d.source and d.text


@pytest.mark.skipif(not SHARED_SEEDS.is_dir(), reason="shared seeds not beside the repo")
def test_corpus_text_is_the_seed_text_unchanged():
    for f in sorted(SHARED_SEEDS.glob("0*.txt")):
        assert (SEEDS / f.name).read_bytes() == f.read_bytes()


def test_missing_article_file_names_the_catalog_and_file(tmp_path: Path):
    (tmp_path / "catalog.yaml").write_text(
        "- id: a\n  file: nope.txt\n  title: A\n", encoding="utf-8"
    )
    with pytest.raises(CorpusError, match="nope.txt"):
        list(load_methodology(tmp_path))


def test_catalog_yaml_error_reports_line(tmp_path: Path):
    (tmp_path / "catalog.yaml").write_text("- id: a\n  file: [x\n  title: A\n", encoding="utf-8")
    with pytest.raises(CorpusError, match=r"catalog.yaml:\d+: YAML syntax error"):
        list(load_methodology(tmp_path))


def test_catalog_duplicate_id(tmp_path: Path):
    (tmp_path / "a.txt").write_text("x", encoding="utf-8")
    (tmp_path / "catalog.yaml").write_text(
        "- {id: a, file: a.txt, title: A}\n- {id: a, file: a.txt, title: B}\n", encoding="utf-8"
    )
    with pytest.raises(CorpusError, match="entry 2: duplicate id 'a'"):
        list(load_methodology(tmp_path))
