"""README promises that must stay true: its commands, and the test command CI runs."""

from __future__ import annotations

import re
from pathlib import Path

from bot import commands
from bot.config import Settings

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()


def _first_sh_blocks(n: int) -> list[str]:
    return [b.strip() for b in re.findall(r"```sh\n(.*?)```", README, re.S)[:n]]


def test_readme_opens_with_the_demo_and_the_test_command_and_ci_runs_the_latter() -> None:
    demo, tests = _first_sh_blocks(2)
    assert demo.endswith("debate-bot demo")
    assert tests.endswith("pytest")
    assert tests in (ROOT / ".ci" / "run").read_text()


def test_readme_lists_every_command_and_setting() -> None:
    for command in commands.COMMANDS:
        assert f"`{command.usage}`" in README, command.name
    for name in Settings.model_fields:
        assert f"`{name.upper()}`" in README, name
