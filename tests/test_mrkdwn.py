from assistant.bots.slack.mrkdwn import to_mrkdwn


def test_bold_headings_and_bullets():
    md = "## Điểm đau\n**Pin** tụt nhanh\n- một\n  - hai\n1. ba"
    assert to_mrkdwn(md) == "*Điểm đau*\n*Pin* tụt nhanh\n• một\n  • hai\n1. ba"


def test_links_survive_escaping_and_text_is_escaped():
    md = "See [the map](https://example.com/a?b=1&c=2) & <not a tag>"
    assert to_mrkdwn(md) == "See <https://example.com/a?b=1&c=2|the map> &amp; &lt;not a tag&gt;"


def test_tables_become_aligned_text():
    md = "| aspect | count |\n|---|---:|\n| PIN | 1228 |\n| CAMERA | 627 |"
    assert to_mrkdwn(md) == "```\naspect  count\nPIN     1228\nCAMERA  627\n```"


def test_vietnamese_is_kept_intact():
    text = "Người này đã làm gì ngay trước đó (ba lần)?"
    assert to_mrkdwn(text) == text
