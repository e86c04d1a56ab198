"""The one command table: parsing, validation, help."""

from __future__ import annotations

import pytest

from bot import commands
from bot.commands import UsageError, parse_text


def test_positional_and_named_options() -> None:
    cmd, opts = parse_text("/debate practice diplomacy con")
    assert cmd.name == "practice" and opts == {"motion": "diplomacy", "side": "con"}
    cmd, opts = parse_text('/debate practice side:pro motion:"human rights"')
    assert opts == {"motion": "human rights", "side": "pro"}


def test_rest_option_swallows_words_and_quotes() -> None:
    cmd, opts = parse_text('/debate schedule "every tue 18:00" sanctions')
    assert cmd.name == "schedule" and opts == {"when": "every tue 18:00", "motion": "sanctions"}
    cmd, opts = parse_text("/debate speech I think the summit failed because")
    assert opts == {"text": "I think the summit failed because"}


def test_int_options_are_validated() -> None:
    _, opts = parse_text("/debate status round:3")
    assert opts == {"round": 3}
    with pytest.raises(UsageError, match="whole number"):
        parse_text("/debate status round:three")
    with pytest.raises(UsageError, match="at least 1"):
        parse_text("/debate status round:0")


def test_unknown_command_and_options_explain_usage() -> None:
    with pytest.raises(UsageError) as info:
        parse_text("/debate practise")
    assert "Unknown command" in info.value.reply
    with pytest.raises(UsageError) as info:
        parse_text("/debate vote maybe")
    assert "Usage: `/debate vote" in info.value.reply
    with pytest.raises(UsageError, match="needs `when`"):
        parse_text("/debate schedule")


def test_huge_values_are_refused() -> None:
    with pytest.raises(UsageError, match="too long"):
        parse_text("/debate practice " + "x" * 5000)


def test_help_is_printed_from_the_table() -> None:
    text = commands.help_text()
    for command in commands.COMMANDS:
        assert f"/debate {command.name}" in text
    assert "Admins only" in commands.help_text("schedule")


def test_empty_text_means_help() -> None:
    cmd, opts = parse_text("/debate")
    assert cmd.name == "help" and opts == {}


def test_every_example_in_the_table_parses_and_names_a_real_motion() -> None:
    from bot.engine import get_engine

    engine = get_engine()
    for command in commands.COMMANDS:
        for example in command.examples:
            parsed, opts = parse_text(example)
            assert parsed.name == command.name
            if "motion" in opts:  # examples use motion ids, so a newcomer can paste them as they are
                motion = engine.find_motion(opts["motion"])
                assert motion is not None and motion.id == opts["motion"], example
