from pathlib import Path

import pytest

from assistant.core.errors import CorpusError
from assistant.methodology.loaders import Rendering, load_methodology, localized_id, split_lang
from conftest import REPO, SEEDS

SHARED_SEEDS = REPO.parent / "shared" / "seeds"


ARTICLES = [
    "jcxm-part3",
    "gartner-customer-centricity",
    "cx-program-7-steps",
    "customer-journey-mapping",
    "cx-team",
]


def test_methodology_has_five_articles_with_metadata():
    docs = list(load_methodology(SEEDS, renderings=False))
    assert [d.id for d in docs] == ARTICLES
    for d in docs:
        assert d.kind == "methodology" and d.lang == "vi"
        assert d.title and d.source and d.text


def test_each_article_is_followed_by_its_english_rendering_aligned_line_by_line():
    docs = list(load_methodology(SEEDS))
    assert [d.id for d in docs] == [i for a in ARTICLES for i in (a, f"{a}@en")]
    for original, rendering in zip(docs[::2], docs[1::2], strict=True):
        assert isinstance(rendering, Rendering)
        assert rendering.lang == "en" and rendering.original_id == original.id
        assert rendering.title == original.title_en  # English title for English answers
        assert rendering.original_text == original.text
        assert rendering.text.count("\n") == original.text.count("\n")
        assert rendering.text != original.text


def test_localized_ids_round_trip():
    assert localized_id("cx-team#003", "en") == "cx-team#003@en"
    assert localized_id("cx-team#003", None) == "cx-team#003"
    assert split_lang("cx-team#003@en") == ("cx-team#003", "en")
    assert split_lang("cx-team#003") == ("cx-team#003", None)
    assert split_lang("someone@example.com") == ("someone@example.com", None)


def _article(folder: Path, text: str, rendering: str) -> None:
    (folder / "en").mkdir()
    (folder / "a.txt").write_text(text, encoding="utf-8")
    (folder / "en" / "a.txt").write_text(rendering, encoding="utf-8")
    (folder / "catalog.yaml").write_text(
        "- {id: a, file: a.txt, title: A, translations: {en: en/a.txt}}\n", encoding="utf-8"
    )


def test_rendering_with_another_line_count_is_refused(tmp_path: Path):
    _article(tmp_path, "Một\nHai\nBa\n", "One\nTwo three\n")
    with pytest.raises(CorpusError, match=r"en/a.txt: 3 lines, but its original a.txt has 4"):
        list(load_methodology(tmp_path))


def test_rendering_with_a_blank_line_out_of_place_is_refused(tmp_path: Path):
    _article(tmp_path, "Một\n\nHai\n", "One\nTwo\n\n")
    with pytest.raises(CorpusError, match=r"en/a.txt:2: text where a.txt:2 is blank"):
        list(load_methodology(tmp_path))


def test_missing_rendering_file_names_it(tmp_path: Path):
    (tmp_path / "a.txt").write_text("x", encoding="utf-8")
    (tmp_path / "catalog.yaml").write_text(
        "- {id: a, file: a.txt, title: A, translations: {en: en/a.txt}}\n", encoding="utf-8"
    )
    with pytest.raises(CorpusError, match="en/a.txt"):
        list(load_methodology(tmp_path))


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
