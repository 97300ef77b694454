"""Learned routing and conversation frames (issue #19): every example of the issue's "Why"
behaves as asked: the tool, the filters and the scope it answers with."""

from __future__ import annotations

import io
import json

import pytest

from assistant.agent.agent import Agent
from assistant.agent.frame import Frame
from assistant.agent.intent import Prediction
from assistant.agent.router import default_intent_path
from assistant.agent.steps import StepMatcher
from assistant.core.tools import ToolContext
from assistant.feedback.tools.pain_points import PainPointsInput, summarize_pain_points
from assistant.surfaces.cli import main


@pytest.fixture(scope="module")
def agent(full_kb):
    return Agent(full_kb)


def _applied(answer) -> dict:
    return {k: v for k, v in answer.result.filters.items() if v is not None}


def _total(kb, **filters) -> int:
    """The records in scope, counted by the tool itself on the same data."""
    return summarize_pain_points(PainPointsInput(**filters), ToolContext(kb=kb, lang="en")).total


def test_a_star_follow_up_edits_the_frame_without_adding_the_price_aspect(agent, full_kb):
    first = agent.ask("Khách phàn nàn gì nhiều nhất về bảo hành?", "stars")
    assert (first.tool, _applied(first)) == ("pain_points", {"journey": "warranty"})
    second = agent.ask("chỉ lấy đánh giá 1-2 sao", "stars")
    assert second.tool == "pain_points" and second.act == "edit"
    assert _applied(second) == {"journey": "warranty", "min_rating": 1, "max_rating": 2}
    # "giá" inside "đánh giá" is no price filter: the scope is all of 1-2 star warranty.
    assert second.result.total == _total(full_kb, journey="warranty", min_rating=1, max_rating=2)
    assert second.result.total > _total(full_kb, journey="warranty", min_rating=1,
                                        max_rating=2, aspect="PRICE")  # fmt: skip
    assert "Đã đổi: + 1–2 sao" in second.answer
    assert "Phạm vi" in second.answer  # the scope line beside what changed


def test_follow_ups_after_a_pain_summary_keep_its_scope(agent):
    agent.ask("What do customers complain about in the delivery journey?", "more")
    turns = [("only 1-2 stars", "edit"), ("why?", "more"), ("show me more quotes", "more"),
             ("now in English", "language")]  # fmt: skip
    for text, act in turns:
        answer = agent.ask(text, "more")
        assert (answer.tool, answer.act) == ("pain_points", act), text
        assert _applied(answer) == {"journey": "delivery", "min_rating": 1, "max_rating": 2}
    assert answer.lang == "en"
    vi = agent.ask("trả lời bằng tiếng Việt", "more")
    assert (vi.tool, vi.lang, vi.act) == ("pain_points", "vi", "language")


def test_a_tool_asked_for_this_group_keeps_the_segment(agent):
    first = agent.ask("sinh viên phàn nàn gì về pin?", "group")
    assert _applied(first) == {"aspect": "BATTERY", "segment": "students"}
    persona = agent.ask("persona cho nhóm này", "group")
    assert (persona.tool, persona.act) == ("persona", "switch_tool")
    assert persona.result.filters["segment"] == "students"  # never a segment "nhom nay"
    assert persona.result.records > 0


def test_a_turn_that_fits_nothing_is_answered_with_a_question_and_keeps_the_frame(agent):
    agent.ask("Khách chê gì về camera?", "vague")
    vague = agent.ask("ừm, còn cái vụ hôm bữa?", "vague")
    assert vague.status == "clarify" and vague.tool != "search"
    again = agent.ask("5 sao thôi", "vague")
    assert again.tool == "pain_points"
    assert _applied(again) == {"aspect": "CAMERA", "min_rating": 5, "max_rating": 5}


@pytest.mark.parametrize(
    ("text", "journey"),
    [
        ("what should I show my boss about warranty?", "warranty"),
        ("Sếp hỏi tình hình bảo hành dạo này thế nào, em nên báo cáo gì?", "warranty"),
        ("em cần slide 1 trang về trải nghiệm mua online", "buy-online"),
    ],
)
def test_manager_phrasing_gets_a_journey_summary(agent, text, journey):
    route = agent.route(text)
    assert route.tool == "journey_summary" and route.args["journey"] == journey


@pytest.mark.parametrize("text", ["pain point là gì", "Journey atlas là gì?",
                                  "persona là gì vậy", "What is a roadmap?"])  # fmt: skip
def test_a_definition_goes_to_the_methodology_whatever_tool_shares_the_name(agent, text):
    from assistant.methodology.answer import TEXT

    answer = agent.ask(text)
    assert answer.tool == "search" and answer.status == "answered" and answer.citations
    assert not answer.answer.startswith(TEXT[answer.lang]["none"][:30])  # defined, not abstained


@pytest.mark.parametrize(("opening", "switch", "tool", "lang"), [
    ("Khách hay kêu gì về khâu bảo hành?", "Now write that up as a roadmap for my team.",
     "roadmap", "en"),
    ("What annoys buyers about delivery?", "làm bản tóm tắt gửi trưởng phòng",
     "journey_summary", "vi"),
    ("Khách hay kêu gì về khâu bảo hành?", "ok roadmap di", "roadmap", "vi"),  # no plain word
])  # fmt: skip
def test_another_tool_asked_for_in_words_of_one_language_answers_in_it(
    agent, opening, switch, tool, lang
):
    conv = f"switch-{switch}"
    first = agent.ask(opening, conv)
    then = agent.ask(switch, conv)
    assert (then.tool, then.act, then.lang) == (tool, "switch_tool", lang)
    assert _applied(then)["journey"] == _applied(first)["journey"]  # the same scope


@pytest.mark.parametrize("widen", [
    "mở rộng ra toàn bộ hành trình bảo hành, đừng chỉ bước gửi máy",
    "open it up to the whole warranty journey, not only the drop-off step",
])  # fmt: skip
def test_widening_a_step_to_its_whole_journey_edits_the_last_answer(agent, widen):
    conv = f"widen-{widen}"
    first = agent.ask("Khách than gì lúc mang máy đến gửi bảo hành?", conv)
    assert _applied(first) == {"journey": "warranty", "step": "warranty.drop-off"}
    wider = agent.ask(widen, conv)
    assert (wider.tool, wider.act) == ("pain_points", "edit")
    assert _applied(wider) == {"journey": "warranty"} and wider.result.total > first.result.total
    # Its words asking for another tool still get it, on the widened scope.
    summary = agent.route("tóm tắt toàn bộ hành trình bảo hành cho sếp", conv)
    assert summary.tool == "journey_summary" and summary.frame.filters == {"journey": "warranty"}


def test_the_estimated_dates_the_scope_line_offers_to_leave_out_can_be_left_out_by_asking(agent):
    conv = "exact-dates"
    first = agent.ask("what do people grumble about with repairs over the last 3 months?", conv)
    assert first.result.estimated_dates and "exact dates only" in first.answer
    exact = agent.ask("exact dates only", conv)
    assert (exact.tool, exact.act) == (first.tool, "edit")
    assert exact.result.exact_dates_left_out == first.result.estimated_dates
    assert exact.result.total == first.result.total - first.result.estimated_dates
    assert "_Changed: + exact dates only_" in exact.answer  # shown beside the scope line
    vi = agent.ask("khách chê gì về bảo hành 3 tháng gần đây, chỉ lấy ngày chính xác")
    assert vi.result.total == exact.result.total and "Đã bỏ" in vi.answer
    # Said as taking comments away, it keeps the period ("bỏ … ngày" is not "drop the dates").
    for words in ("bỏ những phản hồi có ngày ước tính đi",
                  "leave out the comments whose dates were estimated"):  # fmt: skip
        again = f"exact-dates-{words}"
        agent.ask("what do people grumble about with repairs over the last 3 months?", again)
        left = agent.ask(words, again)
        assert left.act == "edit" and left.result.total == exact.result.total, words


def test_a_near_tie_the_request_settles_in_so_many_words_is_not_asked_back(agent):
    # A journey named pulls towards its summary; "chê" is asked of a pain summary only.
    route = agent.route("khách chê pin thế nào trong hành trình sử dụng hằng ngày?")
    assert route.tool == "pain_points" and route.act != "clarify"
    assert route.frame.filters == {"journey": "daily-use", "aspect": "BATTERY"}


def test_a_group_the_data_does_not_know_is_said_with_the_groups_it_does(agent, full_kb):
    answer = agent.ask("phác thảo persona cho nhóm khách đi phượt")
    line = next(u for u in answer.result.unapplied if u.startswith("segment"))
    for segment in full_kb.segments().segments:  # named as the user can ask for them
        assert segment.name.vi in line and segment.name.en in line
    assert "segments.yaml" not in answer.answer  # a maintainer's note, for the log
    # and a known group, typed without diacritics, is that group
    office = agent.route("persona cho khach hang van phong ban ron")
    assert office.args.get("segment") == "office-workers"


def test_the_same_methodology_answer_in_the_other_language(agent):
    first = agent.ask("What is a journey atlas?", "lang")
    again = agent.ask("now in Vietnamese", "lang")
    assert (again.tool, again.act, again.lang) == ("search", "language", "vi")
    assert first.citations[0].ref == again.citations[0].ref  # the same passage, translated


def test_parents_buying_for_their_kids_are_not_buyers_for_their_parents(agent):
    route = agent.route("draft a persona for parents who buy a phone for their kids")
    assert route.tool == "persona"
    assert route.args.get("persona") != "parent-buyer" and route.args.get("segment") != "elderly"


@pytest.mark.parametrize("text", [
    "draft a persona for business customers buying phones for their staff",
    "phác thảo persona khách doanh nghiệp mua máy cho nhân viên",
])  # fmt: skip
def test_business_buyers_reach_the_organisation_persona(agent, text):
    answer = agent.ask(text)
    assert answer.tool == "persona" and answer.result.based_on.get("persona") in (
        "small-business-buyer", "Small business buying phones for staff",
        "Doanh nghiệp nhỏ mua máy cho nhân viên",
    )
    # Consumer reviews never describe a business buyer: no "high" confidence from them.
    assert answer.result.records == 0 or not answer.result.enough_evidence or (
        answer.result.customer_type.text.startswith(("organization", "tổ chức")))


def test_a_negated_segment_is_not_the_segment(agent, full_kb):
    assert "segment" not in agent.slots("điện thoại này không hợp với gamer").filters
    book = full_kb.segments()
    assert book.segments_mentioned("máy đẹp nhưng không hợp với gamer") == []
    assert book.segments_mentioned("mình là game thủ, máy chạy mượt") == ["gamers"]


def test_every_filter_named_that_cannot_be_applied_is_said_and_nothing_is_added(agent):
    route = agent.route("What do female customers under 25 complain about on Shopee?")
    assert route.tool == "pain_points"
    kinds = {u.split(" ")[0] for u in route.unapplied}
    assert {"age", "gender", "channel"} <= kinds
    assert not {"journey", "aspect", "segment", "step"} & set(route.args)
    # each with the words it was asked by, and a brand too (no field holds it)
    brand = agent.ask("Những người dùng Galaxy hay phàn nàn gì khi đem máy đi bảo hành?")
    assert "product model (Galaxy)" in agent.route(brand.question).unapplied
    assert "dòng máy (Galaxy)" in brand.answer.splitlines()[0]  # said in Vietnamese
    assert "age (under 25)" in route.unapplied and "channel (Shopee)" in route.unapplied
    # said in the answer's language
    vi = agent.ask("Những người dùng Galaxy ở Cần Thơ dạo này chê gì khi đem máy đi bảo hành?")
    first = vi.answer.splitlines()[0]
    assert "dòng máy (Galaxy)" in first and "địa điểm (Cần Thơ)" in first
    assert "dạo này (không nói bao lâu)" in first and "product model" not in first
    # A period without a length is said, not guessed and not dropped.
    lately = agent.ask("What are people unhappy about with the screen lately?")
    assert lately.result.filters.get("start") is None and lately.result.total == _total(
        agent.kb, aspect="SCREEN")
    assert "lately (no length given)" in agent.route(lately.question).unapplied
    assert "lately (no length given)" in lately.answer.splitlines()[0]


@pytest.mark.parametrize("texts", [
    ("We plan to cut the return window to 7 days, what should we think about?",
     "Chúng tôi định rút ngắn thời hạn đổi trả xuống 7 ngày, cần cân nhắc gì?",
     "chung toi dinh rut ngan thoi han doi tra xuong 7 ngay, can can nhac gi?"),
    # the atlas's step says what choosing a delivery costs ("phí giao hỏa tốc"); in English
    # "delivery" names the delivery journey, and the step is looked for there
    ("Bên mình định bỏ giao hỏa tốc miễn phí cho đơn dưới 5 triệu, cần cân nhắc gì?",
     "ben minh dinh bo giao hoa toc mien phi cho don duoi 5 trieu, can luu y gi?"),
])  # fmt: skip
def test_one_decision_lands_on_the_same_step_in_every_language(agent, texts):
    steps = set()
    for text in texts:
        answer = agent.ask(text)
        assert answer.tool == "five_questions" and answer.status == "answered", text
        steps.add(answer.result.step.ref)
        # The feedback part is about this step's comments, with its scope, not the corpus.
        scope = answer.result.feedback_scope
        assert scope is not None and scope.filters["step"] == answer.result.step.ref
    assert len(steps) == 1
    if "hỏa tốc" in texts[0]:
        assert steps == {"buy-online.choose-delivery"}



def test_a_fee_on_returns_is_placed_on_the_return_policy_not_on_charging_a_battery(agent):
    # As a colleague trying the CLI wrote it: it landed on battery life before the placement
    # model learned writer G's decisions.
    answer = agent.ask("We are thinking of charging a 10% restocking fee on returns within 7 "
                       "days. Walk me through the five questions")
    assert answer.tool == "five_questions"
    assert answer.result.step.ref == "warranty.read-policy"


def test_a_decision_keeps_a_journey_only_when_it_says_the_journey(agent):
    # "returns" is a keyword of the warranty journey, not its name: the decision is the
    # company's, and the five questions place it from the situation (on a warranty step).
    text = "Head office is weighing whether to stop accepting returns after 14 days. What " \
           "should we consider?"
    assert agent.route(text).frame.filters == {}  # what the request names: nothing
    returns = agent.ask(text)
    assert returns.tool == "five_questions" and returns.result.step.ref.startswith("warranty.")
    # the step it is placed at becomes the conversation's scope, for the follow-ups
    assert returns.frame["filters"]["step"] == returns.result.step.ref
    # Said by its name ("bảo hành", "delivery"), the journey is the decision's scope.
    for text, journey in [
        ("Chúng tôi định thu phí sửa chữa ngoài bảo hành cao hơn, cần cân nhắc gì?", "warranty"),
        ("We want to make express delivery free for members. Walk me through the five "
         "questions.", "delivery"),
    ]:  # fmt: skip
        assert agent.route(text).frame.filters.get("journey") == journey, text


def test_the_unaccented_decision_asked_from_the_cli_prints_json(cli_env, capsys):
    code = main(["ask", "--json", "chung toi dinh rut ngan thoi han doi tra xuong 7 ngay"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["status"] in ("answered", "clarify")


def test_chat_json_holds_a_conversation(cli_env, capsys, monkeypatch):
    lines = "Khách phàn nàn gì nhiều nhất về bảo hành?\nchỉ lấy đánh giá 1-2 sao\nnow in English\n"
    monkeypatch.setattr("sys.stdin", io.StringIO(lines))
    assert main(["chat", "--json"]) == 0
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.strip()]
    assert len(out) == 3
    assert [o["tool"] for o in out] == ["pain_points"] * 3
    assert [o["act"] for o in out] == ["new", "edit", "language"]
    filters = {k: v for k, v in out[2]["result"]["filters"].items() if v is not None}
    assert filters == {"journey": "warranty", "min_rating": 1, "max_rating": 2}
    assert out[2]["lang"] == "en" and out[2]["frame"]["lang"] == "en"


def test_a_frame_is_serialisable():
    frame = Frame(tool="pain_points", filters={"journey": "warranty", "min_rating": 1}, lang="vi")
    assert Frame.model_validate(json.loads(json.dumps(frame.model_dump(mode="json")))) == frame


def test_a_tool_switch_says_what_changed_and_what_it_cannot_apply(agent):
    agent.ask("what do gamers complain about most?", "switch")
    agent.ask("only 1-2 stars", "switch")
    persona = agent.ask("a persona for this group", "switch")
    assert (persona.tool, persona.act) == ("persona", "switch_tool")
    # Both notes: the tool change, and the star filter the persona does not apply.
    assert "Changed: pain points → persona" in persona.answer
    assert "Not applied" in persona.answer and "1–2 stars" in persona.answer


@pytest.mark.parametrize("text", ["asdkjh qwe zzz", "write me a poem about summer"])
def test_text_that_is_not_a_question_gets_examples_not_a_refusal(agent, text):
    answer = agent.ask(text)
    assert answer.citations == []
    assert "did not understand" in answer.answer and "Try, for example" in answer.answer


def _talk(agent, conversation: str, texts: list[str]) -> list:
    """Each turn routed in its conversation as the surfaces do, without running the tools."""
    from assistant.agent.memory import Turn

    agent.memory.forget(conversation)
    routes = []
    for text in texts:
        route = agent.route(text, conversation)
        agent.memory.add(conversation, Turn(text, "", route.tool, route.args, route.frame))
        routes.append(route)
    return routes


@pytest.mark.parametrize("text", ["người dùng kêu ca gì về bộ nhớ?",
                                  "review chê bộ nhớ thế nào"])
def test_an_aspect_asked_alone_gets_no_step_that_shares_its_words(agent, text):
    # "bộ nhớ" is the storage aspect and part of the step "Bộ nhớ đầy dần"; no moment is told.
    route = agent.route(text)
    assert (route.tool, route.frame.filters) == ("pain_points", {"aspect": "STORAGE"})


def test_people_doing_a_step_told_as_a_moment_are_no_segment(agent):
    # "khách chơi game" names gamers elsewhere; "lúc khách chơi game với đa nhiệm" is the step.
    moment = agent.route("Lúc khách chơi game với đa nhiệm, họ chê gì?").frame.filters
    assert moment == {"journey": "daily-use", "step": "daily-use.gaming-performance"}
    # a group named in its own words stays, beside the step
    group = agent.route("Lúc chơi game, nhóm game thủ chê gì?").frame.filters
    assert group.get("segment") == "gamers" and group.get("step") == moment["step"]


@pytest.mark.parametrize("text, step", [
    ("Khách phàn nàn gì lúc phải chờ sửa máy bảo hành lâu?", "warranty.wait-repair"),
    ("What annoys people while they wait for their phone to be repaired under warranty?",
     "warranty.wait-repair"),
    ("Khách phàn nàn gì khi hỏi màu, dung lượng tại cửa hàng mà hết hàng phải chờ chuyển kho?",
     "buy-store.check-stock"),
])  # fmt: skip
def test_a_step_told_in_customers_words_is_found_and_its_words_are_no_aspect(agent, text, step):
    (route,) = _talk(agent, "own-words", [text])
    assert route.tool == "pain_points"
    assert route.frame.filters.get("step") == step
    assert "aspect" not in route.frame.filters  # "dung lượng" describes the step here


def test_an_aspect_asked_for_on_a_step_is_added(agent):
    routes = _talk(agent, "step-aspect", ["Khách phàn nàn gì lúc phải chờ sửa máy bảo hành lâu?",
                                          "chỉ khía cạnh pin"])  # fmt: skip
    assert routes[1].act == "edit"
    assert routes[1].frame.filters.get("step") == "warranty.wait-repair"
    assert routes[1].frame.filters.get("aspect") == "BATTERY"


def test_a_named_filter_is_taken_away_and_a_short_period_edits(agent):
    routes = _talk(agent, "drop", ["What do customers complain about on battery in daily use?",
                                   "drop the battery filter", "last 30 days only"])  # fmt: skip
    assert routes[0].frame.filters.get("aspect") == "BATTERY"
    assert routes[1].act == "edit" and "aspect" not in routes[1].frame.filters
    assert routes[2].act == "edit" and routes[2].tool == "pain_points"
    assert routes[2].frame.filters.get("journey") == "daily-use"
    assert routes[2].frame.filters.get("start") is not None


def test_a_why_question_about_the_answer_and_a_separate_question(agent):
    routes = _talk(agent, "why", ["Tóm tắt hành trình sử dụng hằng ngày cho sếp",
                                  "why is battery the top issue?",
                                  "Separate question: what do students think about prices?"])
    assert (routes[1].act, routes[1].tool) == ("more", "journey_summary")
    assert "aspect" not in routes[1].frame.filters
    assert routes[2].act == "new" and "journey" not in routes[2].frame.filters
    assert routes[2].frame.lang == "en"


def test_one_segment_replaced_by_another_in_one_turn(agent):
    routes = _talk(agent, "swap", ["sinh viên phàn nàn gì về pin?",
                                   "bỏ sinh viên, lấy người lớn tuổi"])  # fmt: skip
    assert routes[0].frame.filters.get("segment") == "students"
    assert routes[1].act == "edit" and routes[1].frame.filters.get("segment") == "elderly"


def test_only_before_a_step_limits_to_the_step_not_to_an_aspect(agent):
    routes = _talk(agent, "only-step", ["Game thủ than gì về hành trình sử dụng hằng ngày?",
                                        "chỉ lúc chơi game nặng với đa nhiệm thôi"])  # fmt: skip
    assert routes[1].act == "edit"
    assert routes[1].frame.filters.get("step") == "daily-use.gaming-performance"
    assert "aspect" not in routes[1].frame.filters  # "chơi game" describes the step
    assert routes[1].frame.filters.get("segment") == "gamers"


@pytest.mark.parametrize("text, unwanted", [
    ("What would a roadmap look like for this persona?", "aspect"),  # "look": no design
    ("thay sinh viên bằng người lớn tuồi", "persona"),  # older customers: not a parent-buyer
])  # fmt: skip
def test_everyday_words_add_no_filter(agent, text, unwanted):
    assert unwanted not in agent.slots(text).filters


@pytest.mark.parametrize("text", ["xem giúp cái này", "xem giup cai do", "check this one for me"])
def test_look_at_this_as_a_first_request_is_asked_back(agent, text):
    (route,) = _talk(agent, f"look-{text}", [text])
    assert route.act == "clarify" and route.clarify


def test_a_term_scoped_to_a_step_asks_for_the_data_not_its_definition(agent):
    (route,) = _talk(agent, "scoped-term", ["pain point của khâu checkout là gì"])
    assert route.tool == "pain_points"
    assert route.frame.filters.get("step") == "buy-online.checkout"
    assert agent.route("pain point là gì").tool == "search"


def test_a_moment_told_without_a_step_word_is_that_step(agent):
    # No "lúc/bước/when": the step stands out by meaning, and "pin" describes it, no aspect.
    filters = agent.route("Pin máy có trụ nổi tới tối không hay khách phải sạc giữa ngày, "
                          "họ nói gì?").frame.filters  # fmt: skip
    assert filters == {"journey": "daily-use", "step": "daily-use.battery-life"}


def test_the_journey_s_own_name_after_a_step_word_is_no_step(agent):
    # "hiện giờ" shares "giờ" with "Hẹn giờ giao hàng"; "giao hàng" is the journey's name.
    filters = agent.route("Vậy hiện giờ khách đang phàn nàn gì nhiều nhất ở khâu giao hàng?"
                          ).frame.filters  # fmt: skip
    assert filters == {"journey": "delivery"}


def test_a_moment_told_with_the_journey_s_own_words_is_no_step(agent):
    filters = agent.route("Người lớn tuổi than gì khi mua hàng online?").frame.filters
    assert filters.get("journey") == "buy-online" and "step" not in filters
    # ... while a moment of its own is one
    filters = agent.route("Khách phàn nàn gì lúc phải chờ sửa máy bảo hành lâu?").frame.filters
    assert filters.get("step") == "warranty.wait-repair"


@pytest.mark.parametrize("text, tool", [
    ("Lúc khách nhận ra máy cũ sắp hư, cần mua máy mới thì họ than gì?", "pain_points"),
    ("Rồi, giờ nhìn dữ liệu thật: khách kêu gì ở bước mở hộp kiểm tra máy và phụ kiện?",
     "pain_points"),
    ("Chúng tôi định bỏ quà tặng khi thu cũ đổi mới, khách sẽ than gì?", "five_questions"),
])  # fmt: skip
def test_what_customers_say_at_a_moment_is_feedback_a_decision_stays_one(agent, text, tool):
    assert agent.route(text).tool == tool


@pytest.mark.parametrize("text, step", [
    # "app" and "website" name the online purchase, yet here they describe other moments
    ("Khách nói gì về chuyện máy đầy bộ nhớ dần, không còn chỗ lưu ảnh với cài app?",
     "daily-use.storage-fill"),
    ("y minh la khach than gi khi len website xem thong tin tim may trong tam gia",
     "research.browse-web"),
])  # fmt: skip
def test_a_step_of_another_journey_beats_a_journey_word_it_contains(agent, text, step):
    filters = agent.route(text).frame.filters
    assert filters.get("step") == step and filters.get("journey") == step.split(".")[0]
    assert "aspect" not in filters  # "bộ nhớ" describes the step


def test_who_the_answer_is_for_is_no_filter_and_more_quotes_are_more_of_it(agent):
    routes = _talk(agent, "audience", ["Tóm tắt hành trình thu cũ đổi mới từ tháng 4 cho sếp",
                                       "thêm mấy câu trích dẫn của khách",
                                       "in Vietnamese pls, for the store team"])  # fmt: skip
    assert routes[1].tool == "journey_summary" and routes[1].act == "more"
    assert routes[2].act in ("language", "more") and routes[2].tool == "journey_summary"
    assert routes[2].frame.filters == routes[0].frame.filters  # "store" named no journey


@pytest.mark.parametrize("text", ["cai do lam lai dc ko", "can you do it for the other team too?"])
def test_redo_that_as_a_first_request_is_asked_back(agent, text):
    (route,) = _talk(agent, f"redo-{text}", [text])
    assert route.act == "clarify"


@pytest.mark.parametrize("text, aspect", [
    ("nam ngoai khach che gia nhieu k", "PRICE"),  # "chê giá" typed without accents
    ("gia dinh toi dung may nay co on khong", None),  # "gia đình" (family): no price
])  # fmt: skip
def test_price_said_without_accents(agent, text, aspect):
    assert agent.slots(text).filters.get("aspect") == aspect


def test_terse_follow_ups_of_a_busy_manager(agent):
    routes = _talk(agent, "terse", ["Lúc bật máy lần đầu rồi cập nhật phần mềm kh gặp gì?",
                                    "người già thôi", "nhung cmt nao vay", "persona đi"])
    scope = routes[1].frame.filters
    assert scope.get("segment") == "elderly" and scope.get("step") == "delivery.first-boot"
    assert (routes[2].act, routes[2].tool) == ("more", "pain_points")  # "which comments"
    assert (routes[3].act, routes[3].tool) == ("switch_tool", "persona")  # "đi": no segment
    assert routes[3].frame.filters == scope


def test_a_date_filter_dropped_in_mixed_words(agent):
    routes = _talk(agent, "drop-date", ["What are the top complaints about battery this year?",
                                        "drop filter ngày đi"])  # fmt: skip
    assert routes[1].act == "edit" and "start" not in routes[1].frame.filters
    assert routes[1].frame.filters.get("aspect") == "BATTERY"


def test_parents_as_mum_and_dad_and_yesterday_s_thing_pointed_at(agent):
    route = agent.route("Draft a persona for people buying a phone for their mum and dad")
    assert route.frame.filters.get("persona") == "parent-buyer"
    (route,) = _talk(agent, "yesterday", ["còn cái hôm qua a gửi?"])
    assert route.act == "clarify"


@pytest.mark.parametrize("text, start, end", [
    ("Only use reviews from Q1 2020.", "2020-01-01", "2020-03-31"),  # written in Q1
    ("complaints since March 2020", "2020-03-01", None),  # open: up to the latest review
    ("what are customers saying about delivery today?", None, None),  # "today": now
])  # fmt: skip
def test_from_since_and_today(agent, text, start, end):
    filters = agent.slots(text).filters
    assert (str(filters["start"]) if "start" in filters else None) == start
    if end is not None:
        assert str(filters["end"]) == end


@pytest.mark.parametrize("text, persona", [
    ("What goes wrong when customers switch the phone on for the first time?", None),
    ("tao persona cho khach lan dau mua dien thoai online", "first-time-online-buyer"),
    ("Dựa vào đó, công ty đang tính bỏ trả góp 0% online", None),  # "our company": no buyer
    ("Write a persona for a small company buying phones for its sales team.",
     "small-business-buyer"),
])  # fmt: skip
def test_persona_words_in_context(agent, text, persona):
    assert agent.slots(text).filters.get("persona") == persona


def test_a_step_asked_by_its_word_and_the_first_months_of_the_year(agent):
    routes = _talk(agent, "khau", ["Khách than gì về bảo hành quý 2?", "chỉ khâu chờ sửa máy",
                                   "6 tháng đầu năm"])  # fmt: skip
    assert routes[1].frame.filters.get("step") == "warranty.wait-repair"
    assert routes[2].act == "edit"
    assert (str(routes[2].frame.filters["start"]), str(routes[2].frame.filters["end"])) == (
        "2020-01-01", "2020-06-30")
    # "khâu giao hàng vậy": the journey and a particle, no step
    filters = agent.route("Dạo này khách hay than phiền chuyện gì ở khâu giao hàng vậy?").frame
    assert filters.filters.get("journey") == "delivery" and "step" not in filters.filters


def test_a_step_said_in_words_of_the_journey_named_stays_in_that_journey(agent):
    # "transferring data" is also the name of a delivery step; "in the store" names the
    # store journey, whose set-up step says the same words
    text = ("How do people feel about staff setting up their phone and transferring data in "
            "the store?")
    assert agent.slots(text).filters.get("step") == "buy-store.setup-in-store"
    text = "What goes wrong when customers transfer data and install apps after delivery?"
    assert agent.slots(text).filters.get("step") == "delivery.transfer-data"


def test_a_step_said_in_words_of_two_journeys_is_the_one_of_the_journey_in_use(agent):
    # "fill in details and pay" is the online checkout's name; "pay" alone the store's till
    for first, step in (("top complaints when buying a phone online", "buy-online.checkout"),
                        ("top complaints in the in-store buying journey", "buy-store.pay")):
        routes = _talk(agent, f"pay-{step}", [first, "ok, the part where they fill in details "
                                                     "and pay?"])
        assert routes[1].act == "edit" and routes[1].frame.filters.get("step") == step


def test_chat_shorthand_is_read_as_the_words(agent):
    routes = _talk(agent, "shorthand", ["Khách chê gì về thiết kế, chỉ 5 sao", "nhóm sv thì sao"])
    assert routes[1].act == "edit" and routes[1].frame.filters.get("segment") == "students"
    filters = agent.slots("giờ xem kh 1 sao nói gì lúc nv tư vấn so sánh máy ở shop").filters
    assert filters.get("step") == "buy-store.staff-advice"


def test_a_request_said_again_in_full_starts_afresh_and_satisfaction_is_feedback(agent):
    routes = _talk(agent, "i-mean", ["Game thủ chê gì về hiệu năng?",
                                     "Sorry, ý mình là khách hay than gì khi bộ nhớ đầy dần, "
                                     "hết chỗ lưu ảnh với app?"])  # fmt: skip
    assert routes[1].act == "new" and "segment" not in routes[1].frame.filters
    assert routes[1].frame.filters.get("step") == "daily-use.storage-fill"
    route = agent.route("Khi khách đi hỏi tư vấn trước khi mua, họ có hài lòng không?")
    assert route.tool == "pain_points"
    (route,) = _talk(agent, "vague-first", ["con cai kia?"])
    assert route.act == "clarify"


@pytest.mark.parametrize("text", ["dựa trên đánh giá từ đầu năm đến nay",
                                  "year to date complaints about battery",
                                  "chi xet phan hoi tu dau nam thoi"])
def test_year_to_date(agent, text):
    filters = agent.slots(text).filters
    assert (str(filters["start"]), str(filters["end"])) == ("2020-01-01", "2020-08-17")


def test_since_the_start_of_another_year_is_that_year(agent):
    filters = agent.slots("khách than gì từ đầu năm ngoái").filters
    assert (str(filters["start"]), str(filters["end"])) == ("2019-01-01", "2019-12-31")


def test_the_words_of_a_persona_s_name_are_its_own_wherever_they_stand(agent):
    # "online" belongs to "Người mua online lần đầu", not to the online purchase journey.
    route = agent.route("soạn persona cho khách lần đầu mua điện thoại online")
    assert (route.tool, route.frame.filters) == ("persona", {"persona": "first-time-online-buyer"})
    # ... while a journey of its own is still read
    route = agent.route("lam persona busy professional mua tai store")
    assert route.frame.filters == {"persona": "busy-professional", "journey": "buy-store"}


def test_the_part_where_names_a_step(agent):
    routes = _talk(agent, "part-where", ["What do customers complain about in delivery in Q2?",
                                         "Can you narrow it to the part where people keep "
                                         "checking where their order is?"])  # fmt: skip
    assert routes[1].act == "edit"
    assert routes[1].frame.filters.get("step") == "delivery.track-order"


@pytest.mark.parametrize("first", ["Khách mua online than gì nhiều nhất?",
                                   "Khách than gì về giao hàng?"])
def test_a_step_clearly_told_is_found_whatever_the_conversation_s_journey(agent, first):
    # Express or standard delivery is chosen when ordering online (the atlas's step), also in
    # a conversation about the delivery journey: the step model is sure of it.
    routes = _talk(agent, f"near-{first}", [first, "cụ thể là lúc khách chọn giao nhanh hay "
                                                   "giao tiêu chuẩn"])  # fmt: skip
    assert routes[1].act == "edit"
    assert routes[1].frame.filters.get("step") == "buy-online.choose-delivery"


class _SureOf:
    """A step model that reads every text as one step, this sure (StepMatcher's side only)."""

    def __init__(self, step: str, p: float) -> None:
        self.ranked = [(step, p), ("none", 1 - p)]

    def predict(self, text: str) -> Prediction:
        return Prediction(self.ranked, semantic=False)


def test_the_conversation_s_journey_asks_more_of_a_step_elsewhere(full_kb):
    def matcher(step: str, p: float) -> StepMatcher:
        shipped = default_intent_path().parent / "step_vectors.npz"
        return StepMatcher(full_kb.atlas(), full_kb.embedder, shipped, _SureOf(step, p))

    unsure = matcher("buy-online.checkout", 0.35)
    assert unsure.learned("cụ thể đoạn trả tiền") == "buy-online.checkout"
    assert unsure.learned("cụ thể đoạn trả tiền", journey="buy-store") is None
    sure = matcher("buy-online.checkout", 0.9)
    assert sure.learned("cụ thể đoạn trả tiền", journey="buy-store") == "buy-online.checkout"
    # a step the atlas does not have (a model trained on another atlas) is no step
    assert matcher("buy-online.gift-wrap", 0.9).learned("gói quà") is None


def test_a_decision_or_a_bare_aspect_needs_a_model_all_but_sure(full_kb):
    def find(p: float, strict: bool) -> str | None:
        shipped = default_intent_path().parent / "step_vectors.npz"
        model = _SureOf("research.ask-advice", p)
        matcher = StepMatcher(full_kb.atlas(), full_kb.embedder, shipped, model)
        return matcher.find("dùng chatbot thay nhân viên trả lời inbox", said=False,
                            strict=strict)

    assert find(0.6, strict=False) == "research.ask-advice"  # a request: sure enough
    assert find(0.6, strict=True) is None  # a decision: about the company, unless all but sure
    assert find(0.95, strict=True) == "research.ask-advice"


@pytest.mark.parametrize(
    ("text", "tool"),
    [
        # How to do a practice of the method is a methodology question, though "how do I"
        # reads like a question about the assistant; one about the assistant stays help.
        ("How do I interview customers without steering their answers?", "search"),
        ("how do i use touchpoints in practice", "search"),
        ("how do I use this?", "help"),
    ],
)
def test_how_to_do_a_practice_is_no_question_about_the_assistant(agent, text, tool):
    assert agent.route(text).tool == tool


def test_the_changed_line_says_a_filter_the_tool_cannot_apply_is_only_kept(agent):
    agent.ask("Draft a persona of students", "kept")
    stars = agent.ask("only the 4 and 5 star ones", "kept")
    assert stars.tool == "persona"
    changed = next(ln for ln in stars.answer.splitlines() if ln.startswith("_Changed"))
    assert changed == "_Changed: + 4–5 stars (kept; this tool does not filter by it)_"
    back = agent.ask("what do they complain about?", "kept")
    assert back.tool == "pain_points" and _applied(back)["min_rating"] == 4
    # Taken away, a star filter reads as itself, not "stars 4–5 stars".
    removed = agent.ask("all ratings again", "kept")
    assert "_Changed: − 4–5 stars_" in removed.answer


def test_a_period_past_the_latest_comment_says_where_the_data_ends(agent):
    latest = agent.kb.feedback().latest_date().isoformat()
    answer = agent.ask("what did customers complain about in Q3 2020?")
    assert answer.result.filters["end"] == "2020-09-30" and answer.result.data_ends == latest
    assert f"(the data ends {latest})" in answer.answer.splitlines()[0]
    # A period inside the data says nothing of it.
    inside = agent.ask("khách chê gì về pin quý 2 năm 2020")
    assert inside.result.data_ends is None and "dữ liệu chỉ đến" not in inside.answer


@pytest.mark.parametrize(("text", "said"), [
    ("Khách than phiền gì sau Tết 2020?", "dịp (sau Tết)"),
    ("What were the complaints about delivery during the pandemic?", "occasion (the pandemic)"),
])
def test_an_occasion_is_said_as_not_applied_beside_the_period_it_names(agent, text, said):
    answer = agent.ask(text)
    assert answer.tool == "pain_points"
    assert said in answer.answer.splitlines()[0]


@pytest.mark.parametrize(("text", "aspect"), [
    ("nói chung khách chê màn hình thế nào?", "SCREEN"),
    ("What do customers say about the camera overall?", "CAMERA"),
    ("Khách nhận xét gì về dịch vụ nói chung?", "SER&ACC"),
    ("khách nói gì về máy nói chung?", "GENERAL"),  # asked alone, it is the aspect
])
def test_on_the_whole_beside_an_aspect_asks_for_that_aspect(agent, text, aspect):
    answer = agent.ask(text)
    assert answer.tool == "pain_points"
    assert answer.result.filters.get("aspect") == aspect


@pytest.mark.parametrize(("text", "lo", "hi"), [
    ("Which warranty complaints should I raise with ops, low ratings only?", None, 2),
    ("chỉ lấy phản hồi sao thấp về pin", None, 2),
    ("what do highly rated comments say about the camera?", 4, None),
])
def test_ratings_said_in_words_are_applied_not_dropped(agent, text, lo, hi):
    answer = agent.ask(text)
    assert answer.tool == "pain_points"
    applied = answer.result.filters
    assert (applied.get("min_rating"), applied.get("max_rating")) == (lo, hi)
