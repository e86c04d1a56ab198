"""Formats as data, and schedule time parsing (no database)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.rounds.formats import BUILTIN_FORMATS, SHARED, FormatError, parse_format, phases, resolve_format
from bot.rounds.timeparse import TimeError, next_occurrence, parse_when

NOW = datetime(2026, 11, 25, 22, 0, tzinfo=UTC)  # a Wednesday


class FakeSettings:
    default_format = "quick"
    custom_formats: dict = {}


def test_builtin_formats() -> None:
    assert set(BUILTIN_FORMATS) == {"quick", "wsdc", "bp", "ap", "pf", "ld"}
    quick = BUILTIN_FORMATS["quick"]
    assert [(s.side, s.kind, s.seconds) for s in quick.speeches] == [
        ("pro", "opening", 120), ("con", "opening", 120), ("pro", "rebuttal", 90), ("con", "rebuttal", 90),
        ("pro", "closing", 60), ("con", "closing", 60)]
    assert quick.grace_seconds == 15 and quick.warnings == (60, 30)
    wsdc = BUILTIN_FORMATS["wsdc"]
    assert wsdc.speaker_scale == (60, 80) and wsdc.reply_scale == (30, 40) and wsdc.team_size == 3
    assert [s.seconds for s in wsdc.speeches] == [480] * 6 + [240, 240]
    assert [s.side for s in wsdc.speeches[6:]] == ["con", "pro"]  # the opposition replies first
    bp = BUILTIN_FORMATS["bp"]
    assert bp.sides == ("og", "oo", "cg", "co") and bp.team_points == (3, 2, 1, 0) and bp.speaker_scale == (50, 99)
    assert len(bp.speeches) == 8 and all(s.seconds == 420 for s in bp.speeches)
    ap = BUILTIN_FORMATS["ap"]
    assert [s.seconds for s in ap.speeches] == [420] * 6 + [240, 240]
    assert any(s.kind == "crossfire" and s.side == SHARED for s in BUILTIN_FORMATS["pf"].speeches)
    assert any(s.kind == "cross_examination" for s in BUILTIN_FORMATS["ld"].speeches)


def test_custom_format_validation_and_resolution() -> None:
    spec = {"key": "Mini", "name": "Mini", "speeches": [{"side": "pro", "kind": "opening", "seconds": 60},
                                                        {"side": "con", "kind": "opening", "seconds": 60}]}
    fmt = parse_format(spec)
    assert fmt.key == "mini" and fmt.grace_seconds == 15 and fmt.warnings == (60, 30)
    settings = FakeSettings()
    settings.custom_formats = {"mini": fmt.model_dump(mode="json")}
    assert resolve_format("mini", settings).name == "Mini"
    assert resolve_format(None, settings).key == "quick"
    with pytest.raises(FormatError, match="Unknown format `nope`"):
        resolve_format("nope", settings)
    for bad, message in (
        ({**spec, "speeches": [{"side": "gov", "kind": "opening", "seconds": 60}]}, "not one of"),
        ({**spec, "speeches": [{"side": "pro", "kind": "opening", "seconds": 60}]}, "never speaks"),
        ({**spec, "speeches": [{"side": "pro", "kind": "x", "seconds": 1}]}, "greater than or equal"),
        ({**spec, "sides": ["pro"]}, "2 sides"),
        ("key: [unclosed", "not valid JSON or YAML"),
    ):
        with pytest.raises(FormatError, match=message):
            parse_format(bad)


def test_phases_include_prep() -> None:
    bp = phases(BUILTIN_FORMATS["bp"])
    assert bp[0].kind == "prep" and bp[0].seconds == 900 and bp[1].number == 1 and len(bp) == 9
    assert [p.kind for p in phases(BUILTIN_FORMATS["quick"])] == ["speech"] * 6


@pytest.mark.parametrize(("text", "expected"), [
    ("18:30", datetime(2026, 11, 26, 18, 30, tzinfo=UTC)),  # already past today: tomorrow
    ("23:15", datetime(2026, 11, 25, 23, 15, tzinfo=UTC)),
    ("6pm", datetime(2026, 11, 26, 18, 0, tzinfo=UTC)),
    ("2026-12-01 18:00", datetime(2026, 12, 1, 18, 0, tzinfo=UTC)),
    ("2026-12-01T18:00Z", datetime(2026, 12, 1, 18, 0, tzinfo=UTC)),
    ("2026-12-01T18:00+01:00", datetime(2026, 12, 1, 17, 0, tzinfo=UTC)),
    ("tue 18:00", datetime(2026, 12, 1, 18, 0, tzinfo=UTC)),
    ("wednesday 23:00", datetime(2026, 11, 25, 23, 0, tzinfo=UTC)),
    ("18:30 Europe/Paris", datetime(2026, 11, 26, 17, 30, tzinfo=UTC)),
    ("tomorrow 9:00", datetime(2026, 11, 26, 9, 0, tzinfo=UTC)),
])
def test_parse_absolute_times(text: str, expected: datetime) -> None:
    assert parse_when(text, "UTC", NOW).at == expected


def test_parse_relative_recurring_and_server_timezone() -> None:
    assert parse_when("in 10m", "UTC", NOW).delay.total_seconds() == 600
    assert parse_when("in 1h 30m", "UTC", NOW).delay.total_seconds() == 5400
    weekly = parse_when("every tue 18:00", "Europe/London", NOW)
    assert weekly.rule == "tue 18:00" and weekly.timezone == "Europe/London"
    assert weekly.at == datetime(2026, 12, 1, 18, 0, tzinfo=UTC)  # London is on GMT in December
    assert parse_when("18:30", "America/New_York", NOW).at == datetime(2026, 11, 25, 23, 30, tzinfo=UTC)
    # weekly occurrences follow the local wall clock across a daylight-saving change
    summer = next_occurrence("tue 18:00", "Europe/London", datetime(2027, 6, 1, 0, 0, tzinfo=UTC))
    assert summer == datetime(2027, 6, 1, 17, 0, tzinfo=UTC)


@pytest.mark.parametrize(("text", "tz", "message"), [
    ("2020-01-01 18:00", "UTC", "in the past"),
    ("in 0m", "UTC", "not in the future"),
    ("18:30 EST", "UTC", "ambiguous"),
    ("18:30", "IST", "ambiguous"),
    ("18:30 Mars/Olympus", "UTC", "Unknown timezone"),
    ("2027-03-28 01:30", "Europe/London", "does not exist"),
    ("2027-10-31 01:30", "Europe/London", "happens twice"),
    ("25:00", "UTC", "not a valid time"),
    ("2026-02-30 10:00", "UTC", "not a valid date"),
    ("2026-12-01", "UTC", "no time of day"),
    ("in 5 parsecs", "UTC", "not a unit"),
    ("every funday 9:00", "UTC", "not a weekday"),
    ("whenever", "UTC", "can't read"),
    ("in 400 days", "UTC", "a year ahead"),
])
def test_parse_errors(text: str, tz: str, message: str) -> None:
    with pytest.raises(TimeError, match=message):
        parse_when(text, tz, NOW)
