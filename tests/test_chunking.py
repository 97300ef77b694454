import re
from itertools import groupby

from assistant.index.types import Document
from assistant.methodology.chunking import MAX_CHARS, chunk_document, unit_view
from assistant.methodology.loaders import load_methodology
from conftest import SEEDS

DOCS = {d.id: d for d in load_methodology(SEEDS)}


def _chunks(doc_id: str):
    return chunk_document(DOCS[doc_id])


def _units(doc_id: str) -> dict[str, list]:
    """group -> its chunks, in order."""
    return {g: list(cs) for g, cs in groupby(_chunks(doc_id), key=lambda c: c.group)}


def _unit_with(doc_id: str, text: str):
    return next(unit_view(cs) for cs in _units(doc_id).values() if text in unit_view(cs).text())


def _step_heads(text: str) -> list[str]:
    return re.findall(r"^(\d{1,2})\. ", text, flags=re.M)


def test_chunks_are_verbatim_lines_of_the_document():
    for doc in DOCS.values():
        lines = {line.rstrip() for line in doc.text.split("\n")}
        for chunk in chunk_document(doc):
            assert chunk.group, chunk.id  # every chunk belongs to a unit
            for line in chunk.text.split("\n"):
                assert line in lines, (chunk.id, line[:60])  # lines are never cut


def test_ten_jcxm_steps_have_an_outline_and_one_chunk_per_step():
    chunks = _chunks("jcxm-part3")
    outline = [c for c in chunks if c.role == "list_outline" and "10 bước" in c.text]
    assert len(outline) == 1
    assert _step_heads(outline[0].text) == [str(i) for i in range(1, 11)]
    assert outline[0].text.split("\n")[0].endswith("chuyển đổi sang JCXM:")  # its lead-in
    items = [c for c in chunks if c.group == outline[0].group and c.role == "list_items"]
    assert [_step_heads(c.text) for c in items] == [[str(i)] for i in range(1, 11)]
    # Step 8 has two paragraphs: both stay with it.
    step8 = items[7]
    assert "Thu thập dữ liệu và thông tin chi tiết từ chương trình thử nghiệm" in step8.text
    assert all(len(c.text) <= MAX_CHARS for c in outline)


def test_seven_steps_stay_one_list_despite_a_heading_like_line_between_steps():
    chunks = _chunks("cx-program-7-steps")
    groups = {c.group for c in chunks if "BƯỚC" in c.text}
    assert len(groups) == 1
    outline = next(c for c in chunks if c.role == "list_outline")
    assert re.findall(r"BƯỚC (\d)", outline.text) == [str(i) for i in range(1, 8)]
    step5 = next(c for c in chunks if c.text.startswith("BƯỚC 5"))
    assert "Trước khi bước vào triển khai thực hiện chúng ta cần có roadmap" in step5.text


def test_table2_keeps_both_columns_apart_with_their_headers():
    view = _unit_with("gartner-customer-centricity", "Khách hàng là Cá nhân")
    assert view.kind == "table" and view.columnar
    assert view.lead == [
        "Bảng 2: Xác định các khía cạnh của Persona bằng cách sử dụng các đặc điểm này"
    ]
    columns = dict(view.columns())
    # The header row names the columns; it is not an item.
    assert columns["Khách hàng là Cá nhân"] == [
        "Nhân khẩu học", "Công nghệ", "Tâm lý học", "Dân tộc học", "Hành vi", "Giao dịch",
    ]  # fmt: skip
    assert columns["Khách hàng là tổ chức"] == [
        "Công ty", "Công nghệ", "Tâm lý học", "Tình hình doanh nghiệp", "Kinh doanh",
        "Mô hình của tổ chức", "Nguồn lực",
    ]  # fmt: skip


def test_long_table_rows_are_read_with_caption_and_column_names():
    table1 = [c for c in _chunks("gartner-customer-centricity") if "Tiếng nói KH" in c.text]
    assert len(table1) == 1
    lines = table1[0].text.split("\n")
    assert lines[0].startswith("Bảng 1:")
    assert lines[1] == "Khả năng lấy khách hàng làm trung tâm | Diễn giải |"
    assert lines[2].startswith("Tiếng nói KH (VoC) |")
    view = _unit_with("gartner-customer-centricity", "Tiếng nói KH (VoC)")
    assert view.header == ["Khả năng lấy khách hàng làm trung tâm", "Diễn giải"]
    assert [r[0] for r in view.rows][:2] == ["Tiếng nói KH (VoC)", "Personas"]


def test_table3_is_one_unit_of_nine_rows():
    view = _unit_with("gartner-customer-centricity", "Bảng 3: Chín khía cạnh")
    assert view.header == ["Các khía cạnh"]
    assert len(view.rows) == 9 and view.rows[8] == ["9. Completeness: Các trường thông tin đầy đủ."]


def test_lead_in_ending_in_colon_keeps_the_titled_items_that_follow():
    # "… thì người đó phải thực sự:" is followed by three duties, each a short heading line
    # with a case study under it.
    view = _unit_with("cx-team", "phải thực sự:")
    assert view.kind == "list"
    assert view.lead[0].endswith("thì người đó phải thực sự:")
    assert view.heads() == [
        "Đưa CX vào thành phần không thể thiếu của các buổi họp Ban điều hành",
        "Xây dựng được các quan hệ đối tác trên toàn tổ chức",
        "Áp dụng trực tiếp các thực tiễn Quản trị CX",
    ]
    assert view.items[0].split("\n")[1].startswith("Case-study: CMO của AARP")
    # A heading that asks a question opens the next section: it is not a fourth duty.
    assert "Team CX phải có kiến thức, kỹ năng tối thiểu" not in view.text()


def test_titled_list_ends_before_the_articles_own_text_resumes():
    view = _unit_with("cx-team", "những việc sau:")
    assert len(view.items) == 5
    assert view.heads()[-1] == "Đo lường hiệu quả và chứng minh lợi ích tài chính"
    assert "Đọc đến đây" not in view.text()


def test_figure_caption_keeps_its_note_list():
    view = _unit_with("gartner-customer-centricity", "Ad Hoc: tự phát")
    assert view.lead[0].startswith("Hình 1.") and view.lead[1] == "Note:"
    assert [_h.strip("- ") for _h in view.heads()] == [
        "Ad Hoc: tự phát", "Establishing: xây dựng", "Performing: đang thực hiện",
        "Optimizing: đang tối ưu hóa", "Embedded: đã được tích hợp",
    ]  # fmt: skip


def test_a_list_without_a_lead_in_line_keeps_the_paragraph_before_it():
    view = _unit_with("gartner-customer-centricity", "Năng lực cốt lõi là các khả năng")
    assert view.lead[0].startswith("Với thị trường CJA bị phân mảnh")
    assert len(view.items) == 3


def test_list_items_keep_their_nested_bullets():
    chunks = _chunks("customer-journey-mapping")
    step3 = next(
        c for c in chunks if "Có được quan điểm của Khách hàng" in c.text and c.role == "list_items"
    )
    assert "Định tính" in step3.text and "Định lượng" in step3.text
    moments = _unit_with("customer-journey-mapping", "Xác định khoảnh khắc của sự thật")
    item = next(i for i in moments.items if "khoảnh khắc của sự thật" in i)
    assert "“Điểm đau” và “lĩnh vực xuất sắc”" in item  # the sub-bullet stays with its item


def test_sections_are_the_headings_above_each_unit():
    sponsor = next(c for c in _chunks("cx-team") if "phải thực sự:" in c.text)
    assert sponsor.section.startswith("Team CX nên ở đâu? Báo cáo trực tiếp cho ai?")
    table3 = next(c for c in _chunks("gartner-customer-centricity") if "Bảng 3" in c.text)
    assert table3.section == "Vận hành CJM bằng cách xác định các điểm tiếp xúc chính"


def test_english_rendering_is_cut_with_the_originals_line_ranges():
    for doc_id in (d for d in DOCS if "@" not in d):
        vi, en = _chunks(doc_id), _chunks(f"{doc_id}@en")
        assert [f"{c.id}@en" for c in vi] == [c.id for c in en]
        assert [f"{c.group}@en" for c in vi] == [c.group for c in en]
        assert [(c.role, c.position) for c in vi] == [(c.role, c.position) for c in en]
        for a, b in zip(vi, en, strict=True):
            assert a.text.count("\n") == b.text.count("\n")
            assert b.doc_id == f"{doc_id}@en" and b.title == DOCS[f"{doc_id}@en"].title
    sponsor = next(c for c in _chunks("cx-team@en") if "must truly:" in c.text)
    assert sponsor.section.startswith("Where should the CX team sit?")
    table2 = _unit_with("gartner-customer-centricity@en", "Customer as an individual")
    assert dict(table2.columns())["Customer as an organization"][-1] == "Resources"


def test_chunk_ids_are_stable():
    assert [c.id for c in _chunks("cx-team")] == [c.id for c in _chunks("cx-team")]


def test_a_short_list_read_back_from_one_chunk_keeps_bullets_inside_numbered_items():
    doc = Document(
        id="t",
        kind="methodology",
        title="T",
        text="Heading\nThe steps are:\n1. Plan\n- with the team\n2. Act\n- carefully\n"
        "Next heading\nA paragraph.",
    )
    chunks = chunk_document(doc)
    listing = next(c for c in chunks if c.role == "list_items")
    view = unit_view([listing])
    assert view.lead == ["The steps are:"]
    assert view.items == ["1. Plan\n- with the team", "2. Act\n- carefully"]
    assert listing.section == "Heading"
    assert chunks[-1].text == "A paragraph." and chunks[-1].section == "Next heading"
