"""The journey atlas: the shipped sample, validation problems with lines, navigation."""

import shutil
from pathlib import Path

import pytest

from assistant.cli import main
from assistant.knowledge.atlas import UnknownNameError, load_atlas, validate_atlas
from conftest import REPO

ATLAS = REPO / "corpus" / "atlas"


@pytest.fixture(scope="module")
def atlas():
    return load_atlas(ATLAS)


def test_sample_atlas_is_valid_and_big_enough(atlas):
    assert len(atlas.journeys) >= 5
    assert len(atlas.step_refs()) >= 40
    assert len(atlas.personas) >= 3
    assert {p.customer_type for p in atlas.personas} == {"individual", "organization"}
    assert {a.id for a in atlas.taxonomy} == {
        "BATTERY", "CAMERA", "DESIGN", "FEATURES", "GENERAL", "PERFORMANCE", "PRICE", "SCREEN",
        "SER&ACC", "STORAGE",
    }  # fmt: skip
    # Every journey is connected to another one through a link.
    linked = {ref.split(".")[0] for link in atlas.links for ref in (link.from_, link.to)}
    assert linked == {j.id for j in atlas.journeys}


def test_walk_crosses_into_linked_journeys(atlas):
    assert atlas.walk("delivery.track-order", "before") == [
        "buy-online.confirm-call",
        "buy-online.checkout",
        "buy-online.choose-delivery",
    ]
    assert atlas.walk("buy-online.checkout", "after") == [
        "buy-online.confirm-call",
        "delivery.track-order",
        "delivery.schedule-delivery",
    ]


def test_walk_stops_where_the_atlas_ends(atlas):
    assert atlas.walk("research.need-trigger", "before") == []
    assert atlas.walk("research.browse-web", "before") == ["research.need-trigger"]


def test_find_journey_by_name_without_diacritics(atlas):
    assert atlas.find_journey("giao hang va cai dat").id == "delivery"
    assert atlas.find_journey("Warranty and repair").id == "warranty"
    assert atlas.find_journey("giao hang").id == "delivery"  # a keyword of the journey
    assert atlas.find_journey("bao hanh").id == "warranty"
    with pytest.raises(UnknownNameError, match="No journey named 'bao tri may lanh'"):
        atlas.find_journey("bao tri may lanh")


def _broken_copy(tmp_path: Path) -> Path:
    root = tmp_path / "atlas"
    shutil.copytree(ATLAS, root)
    delivery = root / "journeys" / "delivery.yaml"
    text = delivery.read_text(encoding="utf-8")
    text = text.replace("personas: [first-time-online-buyer,", "personas: [ghost-persona,", 1)
    text = text.replace("        emotion: -1\n", "        emotion: 3\n", 1)
    text = text.replace("      - id: schedule-delivery", "      - id: track-order", 1)
    delivery.write_text(text, encoding="utf-8")
    links = root / "links.yaml"
    links.write_text(
        links.read_text(encoding="utf-8") + "- {from: delivery.teleport, to: warranty.pick-up}\n",
        encoding="utf-8",
    )
    (root / "journeys" / "trade-in.yaml").write_text("id: trade-in\nname: vi: x\nstages: []\n")
    return root


def _line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text().split("\n"), 1) if needle in line)


def test_broken_copy_reports_file_line_and_field(tmp_path):
    root = _broken_copy(tmp_path)
    atlas, problems = validate_atlas(root)
    by_message = {p.message: p for p in problems}
    delivery = root / "journeys" / "delivery.yaml"

    ghost = by_message["unknown persona 'ghost-persona'"]
    assert ghost.file == "atlas/journeys/delivery.yaml"
    assert ghost.line == _line_of(delivery, "ghost-persona") and ghost.field == "personas[0]"

    emotion = next(p for p in problems if p.field.endswith(".emotion"))
    assert emotion.line == _line_of(delivery, "emotion: 3")
    assert "less than or equal to 2" in emotion.message

    dup = next(p for p in problems if p.message.startswith("duplicate step id"))
    assert dup.field == "stages[0].steps[1].id"

    dangling = by_message["dangling link: no step 'delivery.teleport'"]
    assert dangling.file == "atlas/links.yaml" and dangling.field.endswith(".from")
    assert dangling.line == _line_of(root / "links.yaml", "delivery.teleport")

    syntax = next(p for p in problems if p.file.endswith("trade-in.yaml"))
    assert syntax.message.startswith("YAML syntax error") and syntax.line == 2

    # Valid parts are kept: the other journeys still load.
    assert {j.id for j in atlas.journeys} >= {"research", "warranty", "daily-use"}


def test_persona_dimension_must_fit_customer_type(tmp_path):
    root = tmp_path / "atlas"
    shutil.copytree(ATLAS, root)
    personas = root / "personas.yaml"
    personas.write_text(
        personas.read_text(encoding="utf-8").replace("    company:", "    demographics:", 1),
        encoding="utf-8",
    )
    _, problems = validate_atlas(root)
    assert any("do not apply to a organization" in p.message for p in problems)


def test_atlas_validate_cli(tmp_path, capsys):
    assert main(["atlas", "validate", str(ATLAS)]) == 0
    assert "0 problem(s)" in capsys.readouterr().out
    assert main(["atlas", "validate", str(_broken_copy(tmp_path))]) == 1
    out = capsys.readouterr().out
    assert "atlas/journeys/delivery.yaml:" in out and "unknown persona 'ghost-persona'" in out


def test_atlas_show_cli(capsys, monkeypatch):
    monkeypatch.setenv("CX_CORPUS_DIR", str(REPO / "corpus"))
    assert main(["atlas", "show", "Delivery and setup", "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# Delivery and setup (delivery)")
    assert "Comes from: buy-online.confirm-call" in out and "moment of truth" in out
    assert main(["atlas", "show", "nowhere"]) == 2
    assert "No journey named 'nowhere'" in capsys.readouterr().err
