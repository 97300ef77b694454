"""One definition per tool, the access policy where tools run, and the chat layer."""

import json
import logging
import subprocess
import sys

import pytest
from fake_openai import ScriptedOpenAI, final, tool_call
from pydantic import BaseModel, Field

from assistant.agent.agent import Agent, Request
from assistant.agent.registry import Registry
from assistant.agent.router import Router
from assistant.agent.toolset import FilteredToolset, Toolset
from assistant.chat.conversation import AccessPolicy, Conversations, Requester
from assistant.core.errors import ToolRefused
from assistant.core.tools import ToolContext, ToolSpec
from assistant.surfaces.cli import main
from conftest import REPO


class EchoInput(BaseModel):
    """Count the journeys of the atlas, or the steps of one."""

    journey: str | None = Field(None, description="Journey id or name.")


class EchoOutput(BaseModel):
    journey: str | None
    steps: int


def count_steps(inp: EchoInput, ctx: ToolContext) -> EchoOutput:
    """Count the steps of a journey (all journeys when none is named)."""
    atlas = ctx.kb.atlas()
    if inp.journey:
        j = atlas.find_journey(inp.journey)
        return EchoOutput(journey=j.id, steps=sum(1 for _ in j.steps()))
    return EchoOutput(journey=None, steps=len(atlas.step_refs()))


TOY = ToolSpec(
    name="step_count", input_model=EchoInput, output_model=EchoOutput, func=count_steps,
    render=lambda o, lang: f"{o.journey or 'all'}: {o.steps} steps", commands=("stepcount",),
    cues=("how many steps", "bao nhieu buoc"), help={"en": "`stepcount <journey>`: count steps"},
)  # fmt: skip


def test_a_toy_tool_reaches_router_cli_and_llm_from_its_spec_alone(full_kb, cli_env, capsys):
    registry = Registry()
    registry.register(TOY)
    router = Router(full_kb.atlas(), registry)
    route = router.route("how many steps does the warranty journey have?")
    assert (route.tool, route.args) == ("step_count", {"journey": "warranty"})
    assert router.route("stepcount giao hàng").args == {"journey": "delivery"}
    # The CLI builds `stepcount` with --journey from the input model, names resolved.
    assert main(["stepcount", "--journey", "bảo hành", "--json"], registry=registry) == 0
    out = json.loads(capsys.readouterr().out)
    warranty = full_kb.atlas().journey("warranty")
    assert out == {"journey": "warranty", "steps": sum(1 for _ in warranty.steps())}
    assert "count steps" in Toolset(registry).help("en")
    # The LLM is offered it, with the input model as its schema.
    script = [tool_call("step_count", {"journey": "delivery"}), final(lambda r: "Six steps.")]
    kb = _llm_kb(full_kb, None)
    with ScriptedOpenAI(script) as server:
        kb.settings.openai_base_url = server.url
        answer = Agent(kb, registry).ask("how many steps in delivery?")
    tools = {t["function"]["name"]: t for t in server.requests[0]["tools"]}
    assert "journey" in tools["step_count"]["function"]["parameters"]["properties"]
    assert answer.tool == "step_count" and answer.result.steps == 6


def _llm_kb(kb, url):  # noqa: ANN001, ANN202
    settings = kb.settings.model_copy(update={
        "openai_base_url": url, "openai_api_key": "k", "cx_llm_model": "scripted",
    })  # fmt: skip
    return type(kb)(settings=settings, embedder=kb.embedder, client=kb.client)


def test_llm_mode_refuses_a_tool_the_policy_does_not_allow(full_kb, caplog):
    policy = AccessPolicy(full_kb.settings.model_copy(update={"cx_allowed_users": "U1"}),
                          Registry())  # fmt: skip
    who = Requester(user="U2", surface="slack", shared=True)
    assert "pain_points" not in policy.allowed_tools(who)
    quotes = {r.text[:30] for r, _ in zip(full_kb.feedback().records(), range(50), strict=False)}
    script = [tool_call("pain_points", {"aspect": "BATTERY"}),
              final(lambda r: "I could not look at the feedback.")]  # fmt: skip
    with ScriptedOpenAI(script) as server, caplog.at_level(logging.DEBUG):
        kb = _llm_kb(full_kb, server.url)
        # Routed as a methodology question, the model still tries the feedback tool.
        answer = Agent(kb).ask("What is a journey atlas?", request=policy.request(who))
    offered = {t["function"]["name"] for t in server.requests[0]["tools"]}
    assert "pain_points" not in offered and "persona" not in offered and "search" in offered
    refusal = json.loads(server.tool_messages(1)[0]["content"])
    assert refusal == {"error": "this tool is not available for this request"}
    assert answer.result is None and not [c for c in answer.citations if c.kind == "feedback"]
    seen = answer.answer + json.dumps(server.requests) + caplog.text
    assert not any(q in seen for q in quotes)


def test_offline_refusal_and_help_follow_the_policy(full_kb):
    conv = Conversations(Agent(full_kb), AccessPolicy(full_kb.settings, Registry()))
    dm = Requester(user="U2", surface="slack", shared=False)
    refused = conv.ask("pains delivery", "c1", dm).answer
    assert refused.status == "refused" and refused.result is None
    assert "pains" not in conv.ask("help", "c2", dm).answer
    assert conv.ask("pains delivery", "c3", Requester(user="U2", shared=True)).answer.result


def test_memory_is_bounded_in_conversations(full_kb):
    agent = Agent(full_kb)
    agent.memory.max_conversations = 3
    for i in range(5):
        agent.ask("help", conversation=f"c{i}")
    assert len(agent.memory) == 3 and agent.memory.turns("c0") == []


def test_chat_session_on_stdin_keeps_memory_and_commands(full_kb, cli_env, tmp_path):
    lines = "\n".join([
        "tóm tắt hành trình giao hàng kèm biểu đồ", "còn bảo hành thì sao?", "/lang en",
        "/reset", "còn bảo hành thì sao?", "/quit",
    ]) + "\n"  # fmt: skip
    env = {"CX_DATA_DIR": str(cli_env.cx_data_dir), "CX_CORPUS_DIR": str(REPO / "corpus"),
           "PATH": "/usr/bin:/bin"}  # fmt: skip
    proc = subprocess.run(
        [sys.executable, "-m", "assistant.surfaces.cli", "chat", "--charts",
         str(tmp_path / "charts")],
        input=lines,
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "Warranty and repair" not in out.split("(lang: en)")[0]
    assert "Bảo hành và sửa chữa" in out  # the follow-up kept the journey summary
    assert "(reset)" in out
    # A terminal draws a chart only for the request that asks for one, and its follow-ups
    # ("còn bảo hành thì sao?" edits it); after /reset the same words ask for none.
    charts = sorted((tmp_path / "charts").glob("*.png"), key=lambda p: p.stat().st_mtime)
    assert [c.name.split("-")[1] for c in charts] == ["delivery", "warranty"]
    assert all(str(c) in out for c in charts)


def test_eval_results_do_not_depend_on_what_the_user_ingested(full_kb, embedder, tmp_path):
    import shutil

    from assistant.evals.runner import run_evals
    from assistant.kb.base import KnowledgeBase

    data = tmp_path / "data"
    shutil.copytree(full_kb.settings.cx_data_dir, data / "eval")  # a warm eval folder
    settings = full_kb.settings.model_copy(update={"cx_data_dir": data})
    folder = tmp_path / "evals"
    folder.mkdir()
    for name in ("thresholds.yaml", "journey_tools.yaml", "routing.yaml"):
        shutil.copy(REPO / "evals" / name, folder / name)
    before = run_evals(settings, only=["journey_tools"], folder=folder)
    # The user ingests feedback that would change the battery counts if evals read it.
    extra = tmp_path / "mine.csv"
    extra.write_text("comment,n_star,label\n" + "".join(
        f"Pin hết nhanh quá lần {i},1,{{BATTERY#Negative}};\n" for i in range(300)
    ), encoding="utf-8")  # fmt: skip
    user_kb = KnowledgeBase.open(settings, embedder)
    assert user_kb.ingest(extra, progress=False, embed=False).accepted == 300
    user_kb.tag_feedback(progress=False)
    after = run_evals(settings, only=["journey_tools"], folder=folder)
    assert [(r.metric, r.value) for r in before.rows] == [(r.metric, r.value) for r in after.rows]
    # (Whether each case passes is the eval's own gate in `make test`, on a fresh eval folder;
    # this copy of the session index is only there to make both runs fast.)
    assert before.details == after.details


def test_one_filtered_toolset_applies_the_policy_offline_and_in_llm_mode(full_kb, monkeypatch):
    """The offline answer and the LLM run tools through the same `FilteredToolset`: it lists
    the tools the LLM is offered and `help` shows, and its `run` refuses the others."""
    request = Request(allowed=frozenset({"search", "five_questions"}))
    tools = Agent(full_kb).toolset(request)
    assert [s.name for s in tools] == ["search", "five_questions"]
    assert tools.refuses("pain_points") and not tools.refuses("help")
    assert "pains" not in tools.help("en") and "five" in tools.help("en")
    with pytest.raises(ToolRefused):
        tools.run("pain_points", {"journey": "delivery"}, ToolContext(kb=full_kb))
    ran: list[tuple[str, frozenset[str] | None]] = []
    run = FilteredToolset.run

    def spy(self, name, args, ctx):  # noqa: ANN001, ANN202
        ran.append((name, self.allowed))
        return run(self, name, args, ctx)

    monkeypatch.setattr(FilteredToolset, "run", spy)
    assert Agent(full_kb).ask("What is a journey atlas?", request=request).tool == "search"
    assert ran == [("search", request.allowed)]
    script = [tool_call("pain_points", {"aspect": "BATTERY"}), final(lambda r: "No data.")]
    with ScriptedOpenAI(script) as server:
        Agent(_llm_kb(full_kb, server.url)).ask("What is a journey atlas?", request=request)
    offered = [t["function"]["name"] for t in server.requests[0]["tools"]]
    assert offered == ["search", "five_questions"]
    assert ran[1:] == [("pain_points", request.allowed)]
    refusal = json.loads(server.tool_messages(1)[0]["content"])
    assert refusal == {"error": "this tool is not available for this request"}


def test_a_journey_tools_case_naming_what_the_output_lacks_fails_and_the_eval_goes_on(
        full_kb, tmp_path):  # fmt: skip
    from assistant.evals.journey_tools import evaluate

    cases = tmp_path / "cases.yaml"
    cases.write_text(
        "- {id: lacks, tool: pain_points, input: {min_rating: 5, max_rating: 5},\n"
        "   expect: {\"pain_points[7].count\": 1}}\n"
        "- {id: has, tool: five_questions, input: {journey: delivery, step: receive},\n"
        "   expect: {\"step.ref\": delivery.receive}}\n",
        encoding="utf-8")  # fmt: skip
    metrics, rows = evaluate(full_kb, cases)
    assert [r["ok"] for r in rows] == [False, True]
    assert rows[0]["failures"] == ["pain_points[7].count: got <missing>, want 1"]
    assert metrics["pain_points_accuracy"] == 0.0 and metrics["five_questions_accuracy"] == 1.0
