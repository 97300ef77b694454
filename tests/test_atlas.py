"""The journey atlas: the shipped sample, validation problems with lines, navigation."""

import re
import shutil
from pathlib import Path

import pytest

from assistant.atlas.model import load_atlas, validate_atlas
from assistant.core.errors import AtlasError, UnknownNameError
from assistant.surfaces.cli import main
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


# -- hostile files: problems with file, line and field, in bounded time and memory -------------

ALIAS_BOMB = "".join(
    f"{name}: &{name} [{', '.join([f'*{prev}'] * 9) if prev else ', '.join(['lol'] * 9)}]\n"
    for prev, name in zip(["", *"abcdefgh"], "abcdefghi", strict=True)
)


@pytest.mark.parametrize(
    ("edit", "line", "field", "message"),
    [
        (lambda t: t.replace("id: delivery\n", "id: [a, x]\n", 1), 1, "id",
         "Input should be a valid string (got a list of 2 items)"),
        (lambda t: re.sub(r"^personas: .*$", "personas: 5", t, count=1, flags=re.M), 4,
         "personas", "Input should be a valid list (got 5)"),
        (lambda t: t.replace("      - id: track-order", "      - id: [a, b]", 1), 12,
         "stages[0].steps[0].id", "Input should be a valid string (got a list of 2 items)"),
        (lambda t: "id: x\nstages: " + "[" * 20_000 + "]" * 20_000 + "\n", 2, "",
         "nested deeper than 64 levels"),
        (lambda t: ALIAS_BOMB, 2, "",
         "YAML aliases are not allowed in the atlas (*a): write the value out"),
        (lambda t: "id: x\nname: " + "9" * 5000 + "\n", None, "", "a number is too long to read"),
        (lambda t: "id: x\nname: {vi: '" + "a" * 2_000_000 + "', en: b}\n", None, "",
         "the file is 2,000,028 bytes; the limit is 1,000,000 (CX_MAX_ATLAS_FILE_BYTES)"),
    ],
)  # fmt: skip
def test_hostile_journey_files_are_problems_not_crashes(tmp_path, edit, line, field, message):
    root = tmp_path / "atlas"
    shutil.copytree(ATLAS, root)
    delivery = root / "journeys" / "delivery.yaml"
    delivery.write_text(edit(delivery.read_text(encoding="utf-8")), encoding="utf-8")
    atlas, problems = validate_atlas(root)
    mine = [p for p in problems if p.file == "atlas/journeys/delivery.yaml"]
    assert (mine[0].line, mine[0].field, mine[0].message) == (line, field, message)
    assert all(len(str(p)) < 300 for p in problems)  # values are quoted short
    assert {j.id for j in atlas.journeys} >= {"research", "warranty"}  # the rest still loads


def test_problems_per_file_are_capped_and_counted(tmp_path):
    root = tmp_path / "atlas"
    shutil.copytree(ATLAS, root)
    many = "".join(f"k{i}: {i}\n" for i in range(5000))
    (root / "journeys" / "delivery.yaml").write_text(f"id: x\n{many}", encoding="utf-8")
    _, problems = validate_atlas(root)
    mine = [p for p in problems if p.file.endswith("delivery.yaml")]
    assert len(mine) == 201
    assert mine[-1].message == "4,806 more problems in this file are not listed"


def test_the_file_size_limit_is_a_setting(tmp_path, embedder):
    from assistant.core.settings import Settings
    from assistant.kb.base import KnowledgeBase

    corpus = tmp_path / "corpus"
    shutil.copytree(ATLAS, corpus / "atlas")
    s = Settings(_env_file=None, cx_data_dir=tmp_path / "d", cx_corpus_dir=corpus,
                 cx_max_atlas_file_bytes=5_000)  # fmt: skip
    with pytest.raises(AtlasError, match=r"research.yaml: the file is [\d,]+ bytes; the limit"):
        KnowledgeBase.open(s, embedder).atlas()


def test_price_typed_without_diacritics_is_read_outside_its_compounds(atlas):
    names = atlas.names()

    def aspects(text: str) -> list[str]:
        return [a for a, _ in names.entities(text).get("aspect", [])]

    assert aspects("nguoi mua hay phan nan ra sao ve gia?") == ["PRICE"]
    assert aspects("gia nhu vay co dat qua khong") == ["PRICE"]
    # The same letters inside other words, and "già" (old) typed with its diacritics.
    assert aspects("nhieu khach tham gia chuong trinh thu cu") == []
    assert aspects("mua cho gia dinh dung chung") == []
    assert aspects("cho hoi ty gia hom nay") == []
    assert aspects("điện thoại cho người về già") == []


@pytest.mark.parametrize(("text", "step"), [
    ("luc duoc nhan vien tu van so sanh may", "buy-store.staff-advice"),
    ("chấp nhận giá thu bù tiền", "trade-in.accept-offer"),
    ("set up transfer data in store", "buy-store.setup-in-store"),
])
def test_a_step_named_without_its_and_is_still_that_step(atlas, text, step):
    found = atlas.names().entities(text).get("step", [])
    assert found and found[0][0] == step
