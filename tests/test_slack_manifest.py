"""The Slack app manifest asks only for what the bot uses, each scope with its reason in the
README; it uses the current agent view; its static prompts are ones anyone may run."""

import re

import yaml

from assistant.agent.registry import Registry
from assistant.agent.router import Router
from assistant.atlas.model import load_atlas
from assistant.chat.conversation import STARTER_PROMPTS
from conftest import REPO

MANIFEST = yaml.safe_load((REPO / "manifest.yaml").read_text(encoding="utf-8"))


def test_only_used_scopes_each_with_its_reason():
    scopes = MANIFEST["oauth_config"]["scopes"]["bot"]
    assert "im:read" not in scopes and "im:write" not in scopes
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("### Scopes") :]
    documented = set(re.findall(r"^\| `([a-z_:.]+)` \|", table, re.MULTILINE))
    assert documented == set(scopes)


def test_agent_view_and_its_events():
    assert "agent_view" in MANIFEST["features"] and "assistant_view" not in MANIFEST["features"]
    events = MANIFEST["settings"]["event_subscriptions"]["bot_events"]
    assert {"app_home_opened", "app_mention", "assistant_thread_started", "message.im"} <= set(
        events
    )


def test_static_prompts_are_ones_anyone_may_run():
    registry = Registry()
    router = Router(load_atlas(REPO / "corpus" / "atlas"), registry)
    for prompt in MANIFEST["features"]["agent_view"]["suggested_prompts"]:
        assert router.route(prompt["message"]).tool not in registry.feedback_tools, prompt


def test_starter_prompts_run_the_tool_the_policy_filters_them_by():
    # The policy filters a prompt by the tool the router gives it: these, in this order.
    router = Router(load_atlas(REPO / "corpus" / "atlas"), Registry())
    runs = {lang: [router.route(p.message).tool for p in prompts]
            for lang, prompts in STARTER_PROMPTS.items()}  # fmt: skip
    assert runs == {
        "en": ["persona", "journey_summary", "pain_points", "search", "five_questions", "help"],
        "vi": ["persona", "journey_summary", "pain_points", "search", "search", "help"],
    }
