"""Text in and out of Slack: what people typed reaches the router unescaped and resolved;
what the bot sends is escaped, shows its sources once, is split at segment boundaries, uses a
native table block, and is never empty."""

import json

from slack_harness import event, wait_answers

from assistant.core.answers import Answer, Citation
from assistant.surfaces.slack.blocks import MAX_SECTION, answer_messages, split_sources
from assistant.surfaces.slack.incoming import mentions_others, plain_text


def test_incoming_text_is_unescaped_and_resolved():
    raw = (
        "<@U0BOT> R&amp;D &lt;onboarding&gt; for <@U0LAN> in <#C0CX|cx-team> "
        "see <https://example.com/map|the map> and <https://example.com/x> <!here> "
        "<mailto:a@b.example|a@b.example> &amp;lt;"
    )
    assert plain_text(raw, "U0BOT") == (
        "R&D <onboarding> for @U0LAN in #cx-team see the map and https://example.com/x @here "
        "a@b.example &lt;"
    )
    assert mentions_others(raw, "U0BOT") and not mentions_others("<@U0BOT> hi", "U0BOT")


def _answer(text: str, citations: list[Citation] | None = None) -> Answer:
    return Answer(question="q", lang="en", tool="search", answer=text, citations=citations or [])


def _all_text(messages: list[dict]) -> str:
    return json.dumps([m["blocks"] for m in messages], ensure_ascii=False)


def test_sources_are_shown_once_with_titles_and_links_where_known():
    cite = Citation(doc_id="jcxm-part3", title="Quản trị trải nghiệm (Phần 3)",
                    kind="methodology", quote="…", score=0.9)  # fmt: skip
    source = "[1] Quản trị trải nghiệm (Phần 3) — Atlas"
    text = f"From the methodology:\n- Một ý [1]\n\n*Sources:*\n{source}"
    assert split_sources(text)[1] == [source]
    links = {"jcxm-part3": "https://cx.example/part3"}
    blocks = answer_messages(_answer(text, [cite]), "a1", links=links)[0]["blocks"]
    sections = " ".join(b["text"]["text"] for b in blocks if b["type"] == "section")
    assert "Sources" not in sections and "[1] Quản trị" not in sections
    context = [b for b in blocks if b["type"] == "context"]
    assert len(context) == 1
    assert context[0]["elements"][1]["text"] == (
        "[1] <https://cx.example/part3|Quản trị trải nghiệm (Phần 3) — Atlas>"
    )


def test_long_answers_split_between_segments_never_inside_fences_tables_or_entities():
    paragraphs = [f"Đoạn {i}: " + "R&D <x> " * 150 for i in range(12)]
    code = "```\n" + "\n".join(f"dòng {i}" for i in range(40)) + "\n```"
    table = "| aspect | count |\n|---|---:|\n| PIN | 1228 |\n| CAMERA | 627 |"
    second = "| a | b |\n|---|---|\n| 1 | 2 |"
    text = "\n\n".join(paragraphs[:6] + [code, table] + paragraphs[6:] + [second])
    messages = answer_messages(_answer(text), "a1")
    blocks = [b for m in messages for b in m["blocks"]]
    sections = [b["text"]["text"] for b in blocks if b["type"] == "section"]
    assert all(len(s) <= MAX_SECTION for s in sections)
    assert all(s.count("```") % 2 == 0 for s in sections)  # no fence cut open
    for s in sections:  # no escaped entity cut in two
        assert not s.rstrip().endswith(("&", "&amp", "&lt", "&gt"))
        assert not s.lstrip().startswith(("amp;", "lt;", "gt;"))
    assert any("dòng 0\ndòng 1" in s and "dòng 39" in s for s in sections)  # the fence, whole
    tables = [b for b in blocks if b["type"] == "table"]
    assert len(tables) == 1  # Slack shows one table block per message: the first table
    assert tables[0]["rows"][0][0] == {"type": "raw_text", "text": "aspect"}
    assert tables[0]["rows"][2][1] == {"type": "raw_text", "text": "627"}
    assert any("```\na  b\n1  2\n```" in s for s in sections)  # others as aligned text


def test_an_empty_answer_still_says_something():
    messages = answer_messages(_answer("   "), "a1")
    kinds = [b["type"] for b in messages[0]["blocks"]]
    assert kinds == ["section", "actions"] and "no answer" in messages[0]["text"]


def test_the_router_sees_what_was_typed_not_slacks_escaping(bot):
    text = "<@U0BOT> R&amp;D &lt;onboarding&gt; là gì?"
    bot.post(event("app_mention.json", "Ev0ESC", text=text))
    posted = wait_answers(bot.slack)[0]
    answer_id = next(b for b in posted["blocks"] if b["type"] == "actions")["elements"][0]["value"]
    assert bot.ctx.ratings.answer(answer_id).question == "R&D <onboarding> là gì?"
    assert "&amp;amp;" not in json.dumps(posted, ensure_ascii=False)


def test_a_source_list_the_model_wrote_is_not_shown_as_the_sources():
    cite = Citation(doc_id="jcxm-part3", title="Quản trị trải nghiệm (Phần 3)",
                    kind="methodology", quote="…", score=0.9)  # fmt: skip
    text = "Atlas là bản đồ các hành trình [1].\n\nSources:\n[1] Harvard Business Review, 2019"
    messages = answer_messages(_answer(text, [cite]), "a1")
    shown = _all_text(messages)
    assert "Harvard Business Review" not in shown  # neither as sources nor in the body
    assert "Quản trị trải nghiệm (Phần 3)" in shown  # the tool's real citation


def test_the_notification_text_of_an_answer_opening_with_a_table_is_escaped():
    text = "| <!channel> | <https://evil.example|win> |\n|---|---|\n| a | b |\n\nMore."
    first = answer_messages(_answer(text), "a1")[0]
    assert first["blocks"][0]["type"] == "table"
    assert "<!channel>" not in first["text"] and "&lt;!channel&gt;" in first["text"]
    assert "<https://evil" not in first["text"]

