"""Feedback tagging on hand-checked comments, both modes; the F1 arithmetic; `tag --json`."""

import json

import pytest

from assistant.atlas.model import load_atlas
from assistant.evals.tagging import score
from assistant.feedback.records import AspectLabel
from assistant.feedback.tagger import LearnedTagger, ZeroShotTagger
from assistant.surfaces.cli import main
from conftest import REPO

TAXONOMY = load_atlas(REPO / "corpus" / "atlas").taxonomy
ASPECTS = [a.id for a in TAXONOMY]


def _pairs(tags):
    return {(t.aspect, t.sentiment) for t in tags}


@pytest.fixture(scope="module")
def learned(tagger_model):
    return LearnedTagger.load(tagger_model)  # what the CLI uses: the saved model


HAND_CHECKED = [
    ("pin trau, giao hang nhanh", None, {("BATTERY", "positive"), ("SER&ACC", "positive")}),
    ("Máy nóng quá, pin tụt nhanh", 2, {("BATTERY", "negative")}),
    ("Camera chụp đêm mờ, nhân viên tư vấn nhiệt tình", 3,
     {("CAMERA", "negative"), ("SER&ACC", "positive")}),
]  # fmt: skip


@pytest.mark.parametrize(("text", "rating", "expected"), HAND_CHECKED)
def test_learned_tagger_on_hand_checked_comments(learned, text, rating, expected):
    got = _pairs(learned.tag([text], [rating])[0])
    assert expected <= got


def test_zero_shot_needs_only_the_taxonomy():
    tagger = ZeroShotTagger(TAXONOMY)
    got = tagger.tag(["pin trau, giao hang nhanh", "Màn hình bị sọc, quá tệ"], [None, 1])
    assert _pairs(got[0]) == {("BATTERY", "positive"), ("SER&ACC", "positive")}
    assert ("SCREEN", "negative") in _pairs(got[1])


def test_f1_arithmetic():
    g = [[AspectLabel(aspect="BATTERY", sentiment="positive")], []]
    p = [[AspectLabel(aspect="BATTERY", sentiment="negative"),
          AspectLabel(aspect="CAMERA", sentiment="positive")], []]  # fmt: skip
    s = score(g, p, ["BATTERY", "CAMERA"])
    # aspect: BATTERY tp, CAMERA fp -> micro 2*1/(2+1+0); macro (1 + 0) / 2
    assert s["aspect_f1_micro"] == pytest.approx(2 / 3)
    assert s["aspect_f1_macro"] == pytest.approx(0.5)
    # sentiment: BATTERY wrong polarity (fp+fn), CAMERA fp -> no tp
    assert s["sentiment_f1_micro"] == 0.0


def test_tag_cli_json_one_object_per_row(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CX_DATA_DIR", str(tmp_path / "data"))  # no model: zero-shot
    monkeypatch.setenv("CX_CORPUS_DIR", str(REPO / "corpus"))
    path = tmp_path / "in.csv"
    path.write_text('text,n_star\n"pin trau, giao hang nhanh",\n,4\n"Màn hình bị sọc",1\n',
                    encoding="utf-8")  # fmt: skip
    assert main(["tag", str(path), "--text-column", "text", "--json"]) == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [x["row"] for x in lines] == [0, 1, 2]
    assert {"aspect": "BATTERY", "sentiment": "positive"} in lines[0]["aspects"]
    assert lines[1]["aspects"] == [] and "empty feedback text" in lines[1]["error"]
