"""The offline router: commands, free text in both languages, fuzzy names, clarification."""

import pytest

from assistant.agent.registry import Registry
from assistant.agent.router import Router
from assistant.atlas.model import load_atlas
from conftest import REPO

ROUTER = Router(load_atlas(REPO / "corpus" / "atlas"), Registry())


@pytest.mark.parametrize(
    ("text", "tool", "args"),
    [
        ("pains warranty", "pain_points", {"journey": "warranty"}),
        ("/cx roadmap giao hàng", "roadmap", {"journey": "delivery"}),
        ("tom tat hanh trinh bao hanh", "journey_summary", {"journey": "warranty"}),
        ("sumarize the warrenty jorney", "journey_summary", {"journey": "warranty"}),
        ("khách phàn nàn gì về màn hình?", "pain_points", {"aspect": "SCREEN"}),
        ("five delivery unbox", "five_questions", {"journey": "delivery", "step": "unbox"}),
        ("What is a journey atlas?", "search", {}),
        # An English plural names the journey ("trade-ins"); no Vietnamese word ends in "s".
        ("What do customers say about trade-ins?", "pain_points", {"journey": "trade-in"}),
    ],
)
def test_routes(text, tool, args):
    route = ROUTER.route(text)
    assert route.tool == tool
    assert {k: route.args.get(k) for k in args} == args


def test_two_journeys_named_equally_ask_which_one():
    en = ROUTER.route("summarize delivery and warranty")
    vi = ROUTER.route("tóm tắt hành trình giao hàng và bảo hành")
    assert en.clarify and "Delivery and setup" in en.clarify and "Warranty and repair" in en.clarify
    assert vi.clarify and vi.clarify.startswith("Bạn muốn nói hành trình nào")


def test_short_vietnamese_words_do_not_match_english_ones():
    # "đơ" (freezes, PERFORMANCE) folds to "do"; an English "do" must not match it.
    assert ROUTER.route("what do customers complain about?").args == {}
    assert ROUTER.route("máy bị đơ, khách phàn nàn nhiều không?").args == {"aspect": "PERFORMANCE"}


def test_pains_of_one_ingested_file():
    assert ROUTER.route("pains source:store-survey").args == {"source": "store-survey"}


@pytest.mark.parametrize(
    "text",
    [
        "pain point là gì",
        "Pain point là cái gì?",
        "touchpoint được hiểu như thế nào?",
        "what does pain point mean?",
        "what is meant by a roadmap?",
        "Giải thích giúp mình pain point",
        "explain pain points",
        "persona khác gì segment?",
        "Persona khác segment ở chỗ nào?",
        "roadmap khác gì lộ trình?",
        "Touchpoint và pain point khác nhau thế nào?",
        "What's the difference between a persona and a segment?",
    ],
)
def test_what_a_term_means_is_a_methodology_question_whichever_tool_shares_its_name(text):
    assert ROUTER.route(text).tool == "search"


@pytest.mark.parametrize(
    ("text", "tool"),
    [
        ("explain the pain points of warranty customers", "pain_points"),
        ("khách Hà Nội khác gì khách Sài Gòn về giao hàng?", "pain_points"),
        ("persona gamer", "persona"),
        ("pains warranty", "pain_points"),
    ],
)
def test_data_requests_that_look_alike_keep_their_tool(text, tool):
    assert ROUTER.route(text).tool == tool


@pytest.mark.parametrize(
    ("text", "tool"),
    [
        ("Persona nên được xây từ những nguồn data nào?", "search"),
        ("Roadmap ban đầu cho một hành trình cần nêu rõ những gì?", "search"),
        ("persona gamer?", "persona"),
        ("roadmap bảo hành?", "roadmap"),
    ],
)
def test_a_question_that_starts_with_a_command_word_is_read_as_a_question(text, tool):
    assert ROUTER.route(text).tool == tool


@pytest.mark.parametrize("text", [
    "Ban giám đốc muốn ngừng tặng ốp lưng khi mua máy, mình cần nghĩ tới gì?",
    "We're thinking of charging a fee for in-store data transfer. Any risks?",
    "neu cat giam nhan vien tu van o cua hang thi sao",
    "Công ty định chỉ giao hàng trong giờ hành chính, có ổn không?",
])  # fmt: skip
def test_a_planned_change_gets_the_five_questions(text):
    assert ROUTER.route(text).tool == "five_questions"


@pytest.mark.parametrize("text", [
    "khach muon bo gio hang vi phi ship cao a",  # what customers want is no plan of ours
    "lam sao de chuyen du lieu sang may moi nhanh hon",  # a how-to
    "sep muon bao cao tinh hinh giao hang quy nay",  # no change named
])  # fmt: skip
def test_what_is_no_planned_change(text):
    from assistant.agent.router import plans_a_change

    assert not plans_a_change(text)


@pytest.mark.parametrize(("text", "tool"), [
    ("Làm sao để persona không bị chung chung?", "search"),
    ("how do I write a one-page summary that executives read?", "search"),
    # naming the company's own journey, it asks about its customers: the tool stays
    ("Lập lộ trình cải thiện trải nghiệm giao hàng giúp mình", "roadmap"),
])  # fmt: skip
def test_how_to_do_the_practice_is_a_methodology_question(text, tool):
    assert ROUTER.route(text).tool == tool


@pytest.mark.parametrize(("text", "args"), [
    # "online" is the persona's: no question about which of two journeys (a persona
    # command keeps one basis, the persona)
    ("persona người mua online lần đầu trong hành trình giao hàng",
     {"persona": "first-time-online-buyer"}),
    # a journey named before the persona is still the journey
    ("lo trinh cai thien hanh trinh mua online cho nguoi mua online lan dau",
     {"persona": "first-time-online-buyer", "journey": "buy-online"}),
])  # fmt: skip
def test_a_persona_s_words_name_no_journey_of_their_own(text, args):
    route = ROUTER.route(text)
    assert route.clarify is None
    assert {k: route.args.get(k) for k in args} == args


def test_a_decision_naming_two_journeys_is_placed_by_its_situation_not_asked_back():
    # "đổi trả" (warranty) and "cửa hàng" (store) weigh the same: a pain summary would ask
    # which journey; a decision is placed among the steps by what it says.
    text = "Công ty quyết định chỉ nhận đổi trả tại cửa hàng đã mua, có ổn không?"
    route = ROUTER.route(text)
    assert (route.tool, route.clarify) == ("five_questions", None)
    assert "journey" not in route.args and route.args["situation"] == text


@pytest.mark.parametrize(
    "text",
    [
        # What customers go through at a moment told at length: the feedback, not a decision.
        "Lúc khách mang máy tới gửi sửa thì họ gặp khó khăn gì?",
        "khach dang phan van co nen doi may moi khong thi ho lo lang gi",
        "When they compare prices before buying, what problems do customers run into?",
        "People reading the return policy on our site: what confuses them?",
        "tuần đầu mới mua máy khách cảm thấy thế nào",
    ],
)
def test_what_customers_go_through_is_a_feedback_question(text):
    assert ROUTER.route(text).tool == "pain_points"


@pytest.mark.parametrize(
    "text",
    [
        "Công ty quyết định bỏ miễn phí giao hàng, khách sẽ phản ứng ra sao?",
        "We plan to stop free data transfer in stores; what problems will customers have?",
    ],
)
def test_a_planned_change_asking_how_customers_react_is_still_a_decision(text):
    assert ROUTER.route(text).tool == "five_questions"


@pytest.mark.parametrize(
    "text",
    [
        # "định giá" is a valuation, "muốn hiểu" wanting to learn, an instalment "plan" a
        # product: none of them is a decision being made.
        "Lúc cửa hàng định giá máy cũ, khách hay than gì? Tháng sau mình làm chương trình thu cũ",
        "Em muốn hiểu khách bực mình gì khi chờ shipper giao máy",
        "When do buyers get stuck choosing an instalment plan at the store counter?",
    ],
)
def test_words_that_only_look_like_a_decision_keep_a_feedback_question(text):
    assert ROUTER.route(text).tool == "pain_points"


@pytest.mark.parametrize("text", [
    "trợ lý có vẽ được customer journey map không, hay bạn làm được những gì?",
    "could you write our NPS survey, or what can you do exactly?",
])
def test_asking_what_the_assistant_can_do_is_help_whatever_else_it_names(text):
    assert ROUTER.route(text).tool == "help"


@pytest.mark.parametrize(("text", "tool"), [
    # a moment asked about, no change stated: what customers say there
    ("What happens for customers when the phone restarts for its first update after unboxing?",
     "pain_points"),
    ("How smooth is it for customers to hand in the old phone and pay the difference?",
     "pain_points"),
    # a change asked about as a question is still a decision
    ("Có nên bỏ quầy bảo hành ở cửa hàng nhỏ không?", "five_questions"),
    ("Should we stop giving a free case with every phone?", "five_questions"),
])  # fmt: skip
def test_a_question_about_a_moment_is_no_decision_unless_it_names_a_change(agent, text, tool):
    assert agent.route(text).tool == tool


@pytest.mark.parametrize("text", [
    # what customers will think is asked, yet the five questions are named for it
    "Tháng sau shop sẽ ngừng tặng sạc nhanh kèm máy, khách sẽ nghĩ gì? Phân tích theo 5 câu hỏi",
    "stores stop lending a spare phone during repairs; what do buyers say, by the five questions",
])
def test_the_five_questions_named_are_asked_for_whatever_the_request_describes(agent, text):
    assert agent.route(text).tool == "five_questions"


@pytest.mark.parametrize("text", [
    "When the courier calls to set a delivery time, what goes wrong? A one-pager on that step "
    "please",
    "Khách hay so sánh giá online và tại cửa hàng trước khi chốt mua. Làm giúp mình bản tóm tắt "
    "bước đó để gửi team marketing",
])
def test_a_summary_named_is_asked_for_after_a_moment_told_at_length(agent, text):
    assert agent.route(text).tool == "journey_summary"


@pytest.fixture(scope="module")
def agent(full_kb):
    """The assistant's own router: the intent model with its embedding, as users get it."""
    from assistant.agent.agent import Agent

    return Agent(full_kb)
