"""A small vi↔en glossary of CX terms, used to expand queries across languages.

The methodology is written in Vietnamese; an English question such as "what is a journey
atlas?" only finds it lexically once "atlas hành trình" is added to the query.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from assistant.core.text import fold

# (English terms, Vietnamese terms). Longer phrases first inside each tuple is not needed:
# every matching term of an entry adds all terms of the other language.
GLOSSARY: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (
        ("customer journey map", "journey map", "journey mapping", "cjm"),
        ("bản đồ hành trình khách hàng", "bản đồ hành trình", "lập bản đồ hành trình"),
    ),
    (("journey atlas", "atlas"), ("atlas hành trình",)),
    (("touchpoint", "touchpoints", "touch point"), ("điểm tiếp xúc", "điểm chạm")),
    (("pain point", "pain points", "pains"), ("nỗi đau", "điểm đau")),
    (("persona", "personas"), ("persona", "chân dung khách hàng")),
    (("roadmap",), ("lộ trình", "roadmap")),
    (("customer experience", "cx"), ("trải nghiệm khách hàng",)),
    (
        ("journey-centric thinking", "journey-thinking", "journey thinking"),
        ("tư duy lấy hành trình làm trung tâm",),
    ),
    (("journey-centric", "jcxm"), ("lấy hành trình làm trung tâm", "jcxm")),
    (("journey analytics", "customer journey analytics", "cja"), ("phân tích hành trình", "cja")),
    (("voice of the customer", "voc"), ("tiếng nói khách hàng", "voc")),
    (("moment of truth", "moments of truth"), ("khoảnh khắc của sự thật",)),
    (("critical moment", "critical moments", "key moments"), ("khoảnh khắc quan trọng",)),
    (
        ("customer-centric", "customer centric", "customer-centricity", "customer centricity"),
        ("lấy khách hàng làm trung tâm",),
    ),
    (
        ("maturity model", "growth model", "maturity", "maturity levels"),
        ("mô hình tăng trưởng", "mô hình trưởng thành", "cấp độ"),
    ),
    (("data quality",), ("chất lượng dữ liệu",)),
    (("metric", "metrics", "kpi", "kpis", "measure", "measurement"), ("chỉ số", "đo lường", "kpi")),
    (("operational metrics", "operational"), ("chỉ số vận hành", "vận hành")),
    (("perception metrics", "perception"), ("chỉ số nhận thức", "nhận thức")),
    (("outcome metrics", "outcome"), ("chỉ số đầu ra", "đầu ra")),
    (("sponsor", "sponsors"), ("bảo trợ", "sponsor")),
    (("cx team",), ("team cx", "bộ phận cx", "nhóm cx")),
    (("design thinking",), ("tư duy thiết kế",)),
    (("pilot", "pilots"), ("thử nghiệm", "thí điểm")),
    (("vision",), ("tầm nhìn",)),
    (("governance",), ("quản trị",)),
    (("step", "steps"), ("bước",)),
    (("question", "questions"), ("câu hỏi",)),
    (("five",), ("năm",)),
    (("seven",), ("7",)),
    (("ten",), ("10",)),
    (("nine",), ("chín",)),
    (("three",), ("ba",)),
    (("goal", "goals"), ("mục tiêu",)),
    (("real goal",), ("mục tiêu thực sự",)),
    (("happy", "happiness"), ("hạnh phúc",)),
    (("before",), ("trước đó",)),
    (("after",), ("sau đó",)),
    (("employee", "employees", "staff"), ("nhân viên",)),
    (("customer", "customers"), ("khách hàng",)),
    (("emotion", "emotions", "feelings"), ("cảm xúc",)),
    (("expectation", "expectations"), ("kỳ vọng", "mong đợi")),
    (("misconception", "misconceptions"), ("quan niệm sai lầm",)),
    (("skill", "skills", "competencies"), ("kỹ năng", "năng lực")),
    (("data",), ("dữ liệu",)),
    (("demographics",), ("nhân khẩu học",)),
    (("psychographics",), ("tâm lý học",)),
    (("ethnography",), ("dân tộc học",)),
    (("behaviour", "behavior", "behaviours", "behaviors"), ("hành vi",)),
    (("transactions", "transaction"), ("giao dịch",)),
    (("technology",), ("công nghệ",)),
    (("survey", "surveys"), ("khảo sát",)),
    (("interview", "interviews"), ("phỏng vấn",)),
    (("individual", "individuals"), ("cá nhân",)),
    (("organization", "organisation", "organizations", "b2b"), ("tổ chức",)),
    (("enabler", "enablers", "success factors"), ("yếu tố hỗ trợ", "thành công")),
    (("visualization", "visualisation"), ("trực quan hóa",)),
    (("platform", "platforms"), ("nền tảng",)),
    (("workshop", "workshops"), ("hội thảo",)),
    (("loyalty",), ("lòng trung thành",)),
    (("churn",), ("tỷ lệ khách hàng rời bỏ",)),
    (("complaint", "complaints"), ("phàn nàn", "khiếu nại")),
    (("satisfaction",), ("sự hài lòng", "hài lòng")),
    (("strategy",), ("chiến lược",)),
    (("dimensions", "characteristics"), ("khía cạnh", "đặc điểm")),
    (("report to", "reports to", "where should"), ("báo cáo trực tiếp", "nên ở đâu")),
    (("program", "programme"), ("chương trình",)),
    (("group", "groups"), ("nhóm",)),
    (("vietnam", "vietnamese"), ("việt nam",)),
    (("start", "begin", "emerge"), ("bắt đầu", "nổi lên")),
    # Terms Vietnamese offices say in English inside a Vietnamese sentence ("CJM dùng
    # qualitative hay quantitative research?"), each with the article's own Vietnamese words.
    (("qualitative",), ("định tính",)),
    (("quantitative",), ("định lượng",)),
    (("customer perspective", "customer's perspective", "perspective"),
     ("quan điểm của khách hàng", "góc nhìn")),
    (("market research",), ("nghiên cứu thị trường",)),
    (("research",), ("nghiên cứu",)),
    (("stakeholder", "stakeholders"), ("các bên liên quan",)),
    (("segment", "segments", "segmentation"), ("phân khúc",)),
    (("prototype", "prototyping"), ("nguyên mẫu",)),
    (("empathy", "empathize", "empathise"), ("đồng cảm",)),
    (("listening", "listen"), ("lắng nghe",)),
    (("external", "outsource", "outsourcing", "agency", "consultant", "consultants"),
     ("bên ngoài",)),
    (("omnichannel", "omni-channel"), ("đa kênh",)),
    (("channel", "channels"), ("kênh",)),
    (("dashboard", "dashboards"), ("bảng điều khiển",)),
    (("mindset",), ("tư duy",)),
    (("business goals", "business objectives"), ("mục tiêu kinh doanh",)),
    (("needs", "customer needs"), ("nhu cầu",)),
    (("role", "roles"), ("vai trò",)),
    (("responsibility", "responsibilities", "duties"), ("trách nhiệm",)),
    (("data source", "data sources"), ("nguồn dữ liệu",)),
    (("graphic", "graphical", "visual"), ("đồ họa", "trực quan")),
    (("insight", "insights"), ("thông tin chi tiết", "insight")),
    (("ideation", "ideate", "ideas"), ("lên ý tưởng", "ý tưởng")),
    (("process", "processes"), ("quy trình",)),
    (("leadership", "leaders", "executives"), ("lãnh đạo",)),
    (("collaboration", "collaborate", "cross-functional"), ("hợp tác",)),
    (("automation", "automated"), ("tự động",)),
)


# The methodology's own concepts, as practitioners name them in either language: a question
# naming one is about the method, even in the middle of a talk about the data ("what are
# moments of truth, by the way?"). The glossary's everyday words (goals, channels, customers)
# are not among them. A closed list: the articles' subjects and the common CX measures.
CONCEPTS: tuple[str, ...] = (
    "customer journey map", "journey map", "journey mapping", "cjm", "ban do hanh trinh",
    "journey atlas", "atlas", "touchpoint", "touchpoints", "touch point", "diem tiep xuc",
    "diem cham", "pain point", "pain points", "noi dau", "diem dau", "persona", "personas",
    "chan dung khach hang", "roadmap", "lo trinh", "customer experience", "cx",
    "trai nghiem khach hang", "journey thinking", "journey-thinking", "tu duy hanh trinh",
    "journey-centric", "jcxm", "cja", "journey analytics", "phan tich hanh trinh", "voc",
    "voice of the customer", "tieng noi khach hang", "moment of truth", "moments of truth",
    "khoanh khac cua su that", "critical moments", "khoanh khac quan trong",
    "customer-centric", "customer centric", "customer-centricity", "customer centricity",
    "lay khach hang lam trung tam", "maturity", "truong thanh", "mo hinh tang truong",
    "nps", "csat", "ces", "net promoter", "design thinking", "tu duy thiet ke", "cx team",
    "team cx", "sponsor", "segment", "segments", "segmentation", "phan khuc", "qualitative",
    "quantitative", "dinh tinh", "dinh luong", "empathy", "dong cam", "omnichannel",
    "da kenh", "prototype", "nguyen mau", "ideation", "stakeholder", "stakeholders",
    "methodology", "phuong phap", "phuong phap luan", "interview", "interviews",
    "phong van", "survey", "surveys", "khao sat", "workshop", "workshops", "service blueprint",
    "five questions", "5 cau hoi", "nam cau hoi", "gartner",
)
_CONCEPT = re.compile(r"(?<!\w)(?:" + "|".join(re.escape(t) for t in CONCEPTS) + r")(?!\w)")


def names_concept(text: str) -> bool:
    """Whether `text` names one of the methodology's concepts (CONCEPTS)."""
    return _CONCEPT.search(" ".join(fold(text).lower().split())) is not None


def _pattern(term: str) -> re.Pattern[str]:
    return re.compile(rf"(?<!\w){re.escape(fold(term))}(?!\w)")


_ENTRIES = [([_pattern(t) for t in en], [_pattern(t) for t in vi], en, vi) for en, vi in GLOSSARY]


def expand_query(
    query: str, into: str | None = None, used: Callable[[str], bool] | None = None
) -> str:
    """The query plus the glossary terms of every entry it mentions: the other language's
    terms, and a Vietnamese term with its diacritics when it was typed without them.
    `into` ("vi" or "en") keeps only the terms of that language, and the other language's
    terms for which `used` says yes (the Vietnamese articles write "CJM" as it is)."""
    folded = fold(query)
    extra: list[str] = []
    for en_pats, vi_pats, en, vi in _ENTRIES:
        if any(p.search(folded) for p in en_pats) and into != "en":
            extra.extend(vi)
        if any(p.search(folded) for p in vi_pats):
            if into != "vi":
                extra.extend(en)
            elif used is not None:
                extra.extend(t for t in en if used(t))
            if into != "en":
                extra.extend(vi)  # adds the diacritics when the query was typed without them
    extra = [t for t in dict.fromkeys(extra) if fold(t) not in folded or not t.isascii()]
    if into == "vi":
        extra = [t for t in extra if t not in query]
    return f"{query} {' '.join(extra)}" if extra else query
