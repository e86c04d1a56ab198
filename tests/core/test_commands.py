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


def test_time_phrases_are_read_greedily() -> None:
    """`/debate schedule in 1m diplomacy` (no quotes): the time is `in 1m`, the motion `diplomacy`."""
    for text, when, motion in (("/debate schedule in 1m diplomacy", "in 1m", "diplomacy"),
                               ('/debate schedule in 1h 30m "human rights"', "in 1h 30m", "human rights"),
                               ("/debate schedule tue 18:00 diplomacy", "tue 18:00", "diplomacy"),
                               ("/debate schedule every tue 18:00 Europe/Paris sanctions",
                                "every tue 18:00 Europe/Paris", "sanctions"),
                               ("/debate schedule 18:30 diplomacy wsdc", "18:30", "diplomacy")):
        _, opts = parse_text(text)
        assert (opts["when"], opts["motion"]) == (when, motion), text
    _, opts = parse_text("/debate schedule yesterday diplomacy")
    assert opts["when"] == "yesterday"  # not a time, but reported as the time (by the handler), not a motion


def test_a_near_miss_is_named_with_its_option() -> None:
    """`/debate practice diplomacy pri`: the side is wrong, not the format."""
    with pytest.raises(UsageError, match=r"`pri` is not a side \(pro, con\); did you mean `pro`"):
        parse_text("/debate practice diplomacy pri")
    assert parse_text("/debate practice diplomacy con quick")[1] == {"motion": "diplomacy", "side": "con",
                                                                    "format": "quick"}


def test_one_parser_for_forms() -> None:
    """Slack forms and Discord modals complete what a button id or typed text names."""
    from adapters.slack.forms import split_id

    cmd, given = commands.parse_partial("schedule in 10m")
    assert cmd.name == "schedule" and given == {"when": "in 10m"}  # the motion is missing: the form asks
    assert split_id("speech round:12") == commands.parse_partial("speech round:12")
    assert commands.parse_partial("speech round:12")[1] == {"round": "12"}


def test_help_lists_usage_lines_and_marks_admin_commands_in_bold() -> None:
    text = commands.help_text()
    assert "`/debate practice [motion] [pro|con] [format]` —" in text
    assert "*(admin)*" not in text and "**Admins only.**" in text
