from collections.abc import Collection

from assistant.surfaces.slack.mrkdwn import (
    cut,
    safe_markdown,
    segment_mrkdwn,
    segments,
    split_mrkdwn,
)


def to_mrkdwn(markdown: str, links: Collection[str] = ()) -> str:
    """A whole answer as the blocks show it, segment by segment (assistant/surfaces/slack/
    blocks.py renders each segment into its own block)."""
    return "\n\n".join(segment_mrkdwn(s, links) for s in segments(markdown))


def test_bold_headings_and_bullets():
    md = "## Điểm đau\n**Pin** tụt nhanh\n- một\n  - hai\n1. ba"
    assert to_mrkdwn(md) == "*Điểm đau*\n*Pin* tụt nhanh\n• một\n  • hai\n1. ba"


def test_links_to_known_sources_survive_escaping_and_text_is_escaped():
    md = "See [the map](https://example.com/a?b=1&c=2) & <not a tag>"
    known = {"https://example.com/a?b=1&c=2"}
    expected = "See <https://example.com/a?b=1&c=2|the map> &amp; &lt;not a tag&gt;"
    assert to_mrkdwn(md, known) == expected


def test_links_from_anything_else_are_shown_not_linked():
    # A customer comment quoted in an answer: its markdown link must not become clickable.
    md = "> “Rẻ quá [bấm vào đây](https://evil.example/win) <!channel> <@U0ADMIN>” — 1★"
    out = to_mrkdwn(md)
    assert "<https://evil" not in out and "|bấm vào đây>" not in out
    assert "bấm vào đây (https://evil.example/win)" in out
    assert "<!channel>" not in out and "&lt;!channel&gt;" in out and "&lt;@U0ADMIN&gt;" in out


def test_nul_characters_in_a_comment_do_not_break_rendering():
    # "\x000\x00" once collided with the link placeholders and raised IndexError.
    md = "Khách viết: \x000\x00 và \x001\x00 [x](https://a.example) hết"
    out = to_mrkdwn(md, {"https://a.example"})
    assert "\x00" not in out and "<https://a.example|x>" in out and "hết" in out


def test_tables_become_aligned_text():
    md = "| aspect | count |\n|---|---:|\n| PIN | 1228 |\n| CAMERA | 627 |"
    assert to_mrkdwn(md) == "```\naspect  count\nPIN     1228\nCAMERA  627\n```"


def test_code_fences_are_kept_whole_and_escaped_not_formatted():
    md = "Before\n```\n**not bold** <x> & y\n- not a bullet\n```\nAfter"
    kinds = [s.kind for s in segments(md)]
    assert kinds == ["text", "code", "text"]
    out = to_mrkdwn(md)
    assert "**not bold** &lt;x&gt; &amp; y\n- not a bullet" in out


def test_vietnamese_is_kept_intact():
    text = "Người này đã làm gì ngay trước đó (ba lần)?"
    assert to_mrkdwn(text) == text


def test_a_cut_never_splits_an_entity_or_a_link():
    text = "a" * 95 + "&amp;" + "b" * 20
    head, rest = cut(text, 98)
    assert head == "a" * 95 and rest.startswith("&amp;")
    text = "x" * 90 + "<https://a.example|label> tail"
    head, rest = cut(text, 100)
    assert "<" not in head and rest.startswith("<https://a.example|label>")


def test_a_long_code_block_is_split_with_its_fence_closed_and_reopened():
    code = "```\n" + "\n".join(f"line {i} " + "z" * 50 for i in range(200)) + "\n```"
    pieces = split_mrkdwn(code, 3000)
    assert len(pieces) > 1
    for piece in pieces:
        assert len(piece) <= 3000 and piece.count("```") % 2 == 0
        assert piece.startswith("```")


def test_streamed_text_can_neither_mention_nor_link():
    out = safe_markdown("Xem [đây](https://evil.example/a) <!here> R&D https://evil.example/b")
    assert "](" not in out and "<!here>" not in out and "&lt;!here&gt;" in out
    assert "R&amp;D" in out and "`https://evil.example/b`" in out
