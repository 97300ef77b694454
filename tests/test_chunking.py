import re

from assistant.knowledge.chunking import MAX_CHARS, chunk_document
from assistant.knowledge.loaders import load_methodology
from conftest import SEEDS

DOCS = {d.id: d for d in load_methodology(SEEDS)}


def _chunks(doc_id: str):
    return chunk_document(DOCS[doc_id])


def _step_heads(text: str) -> list[str]:
    return re.findall(r"^(\d{1,2})\. ", text, flags=re.M)


def test_chunks_are_verbatim_lines_of_the_document():
    for doc in DOCS.values():
        lines = {line.strip() for line in doc.text.split("\n")}
        for chunk in chunk_document(doc):
            for line in chunk.text.split("\n"):
                # a long paragraph may be cut at a sentence end; its pieces stay verbatim
                assert line in lines or line in doc.text, (chunk.id, line[:60])


def test_ten_jcxm_steps_have_an_outline_and_whole_items():
    chunks = _chunks("jcxm-part3")
    outline = [c for c in chunks if c.role == "list_outline"]
    assert len(outline) == 1
    assert _step_heads(outline[0].text) == [str(i) for i in range(1, 11)]
    items = [c for c in chunks if c.group == outline[0].group and c.role == "list_items"]
    heads = [h for c in items for h in _step_heads(c.text)]
    assert heads == [str(i) for i in range(1, 11)]  # every step once, in order, adjacent chunks
    # Step 8 has two paragraphs: both stay with it.
    step8 = next(c for c in items if "8. Bắt đầu với" in c.text)
    assert "Thu thập dữ liệu và thông tin chi tiết từ chương trình thử nghiệm" in step8.text
    assert all(len(c.text) <= MAX_CHARS for c in outline)


def test_seven_steps_stay_one_list_despite_a_heading_like_line_between_steps():
    chunks = _chunks("cx-program-7-steps")
    groups = {c.group for c in chunks if "BƯỚC" in c.text and c.group}
    assert len(groups) == 1
    outline = next(c for c in chunks if c.role == "list_outline")
    assert re.findall(r"BƯỚC (\d)", outline.text) == [str(i) for i in range(1, 8)]


def test_table_rows_stay_whole():
    chunks = _chunks("gartner-customer-centricity")
    table2 = [c for c in chunks if c.section.startswith("Bảng 2")]
    assert len(table2) == 1
    assert "Nhân khẩu học | Công ty |" in table2[0].text.split("\n")
    for c in chunks:
        if c.role == "table":
            assert all(line.endswith("|") for line in c.text.split("\n"))


def test_list_items_keep_their_nested_bullets():
    chunks = _chunks("customer-journey-mapping")
    step3 = next(
        c for c in chunks if "Có được quan điểm của Khách hàng" in c.text and c.role == "list_items"
    )
    assert "Định tính" in step3.text and "Định lượng" in step3.text


def test_chunk_ids_are_stable():
    assert [c.id for c in _chunks("cx-team")] == [c.id for c in _chunks("cx-team")]
