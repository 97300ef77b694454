"""The console script holds garbage collection back for start-up only: a one-shot answer
runs without it, every command that runs on gets it back."""

from __future__ import annotations

import gc
import subprocess
import sys

import pytest

from assistant.surfaces.cli import main
from conftest import REPO


@pytest.fixture
def collector_held_back():
    was = gc.isenabled()
    gc.disable()
    yield
    gc.enable() if was else gc.disable()
    gc.unfreeze()


def test_a_command_that_runs_on_turns_collection_back_on(collector_held_back, capsys):
    assert main(["atlas", "validate"]) == 0
    assert gc.isenabled()


def test_a_one_shot_answer_runs_without_it(collector_held_back, cli_env, capsys):
    assert main(["ask", "What is a journey atlas?"]) == 0
    assert "atlas" in capsys.readouterr().out.lower()
    assert not gc.isenabled()


def test_main_leaves_an_enabled_collector_as_it_is(capsys):
    assert gc.isenabled()
    assert main(["atlas", "validate"]) == 0
    assert gc.isenabled() and gc.get_freeze_count() == 0


def test_the_console_script_starts_through_the_entry_point():
    pyproject = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    assert 'cx-assistant = "assistant.surfaces.entry_point:run"' in pyproject
    code = ("import gc, sys; sys.argv = ['cx-assistant', 'atlas', 'validate']\n"
            "from assistant.surfaces.entry_point import run\n"
            "try:\n    run()\nexcept SystemExit as e:\n    print(e.code, gc.isenabled())")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                         text=True, check=True).stdout  # fmt: skip
    assert out.strip().splitlines()[-1] == "0 True"
