"""Parse `/debate schedule` times: `in 10m`, `18:30`, `2026-12-01 18:00`, `tue 18:00`, `every tue 18:00`.

Times are read in the server's timezone (or a zone name written after the time) and returned in UTC.
Relative times (`in 10m`) are debate time: the caller divides them by the time scale.
Every problem raises `TimeError` with a message meant for the user.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

WEEKDAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}
_WEEKDAY_ALIASES = {"monday": "mon", "tuesday": "tue", "tues": "tue", "wednesday": "wed", "thursday": "thu",
                    "thur": "thu", "thurs": "thu", "friday": "fri", "saturday": "sat", "sunday": "sun"}
_UNITS = {"s": 1, "sec": 1, "secs": 1, "second": 1, "seconds": 1, "m": 60, "min": 60, "mins": 60, "minute": 60,
          "minutes": 60, "h": 3600, "hr": 3600, "hrs": 3600, "hour": 3600, "hours": 3600, "d": 86400,
          "day": 86400, "days": 86400, "w": 604800, "week": 604800, "weeks": 604800}
_REL_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([a-z]+)")
_CLOCK = re.compile(r"^(\d{1,2})(?::(\d{2}))?\s*(am|pm)?$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[t ](.+))?$")
# Abbreviations that name several zones, or none unambiguously.
AMBIGUOUS_ABBREVIATIONS = {"CST", "IST", "BST", "EST", "EDT", "CDT", "PST", "PDT", "MST", "MDT", "AST", "ADT",
                           "CET", "CEST", "EET", "EEST", "WET", "AEST", "AEDT", "ACST", "NZST", "JST", "KST",
                           "SST", "GST", "MSK", "HST", "AKST", "WAT", "CAT", "EAT", "SAST", "PHT", "PKT"}
MAX_AHEAD = timedelta(days=366)


class TimeError(ValueError):
    """A time the user wrote that we cannot use; the message says why and what would work."""


@dataclass(frozen=True, slots=True)
class When:
    """A parsed schedule time: an instant, a delay (`in 10m`), or a weekly rule with its next instant."""

    at: datetime | None  # UTC; None for relative times (see `delay`)
    delay: timedelta | None = None  # relative time in debate seconds ("in 10m")
    rule: str | None = None  # recurring rule "tue 18:00" (with `every`)
    timezone: str = "UTC"


def zone(name: str) -> ZoneInfo:
    """A ZoneInfo for an IANA name, with clear errors for abbreviations and unknown names."""
    cleaned = name.strip()
    if cleaned.upper() in ("UTC", "Z", "GMT", "ETC/UTC"):
        return ZoneInfo("UTC")
    if cleaned.upper() in AMBIGUOUS_ABBREVIATIONS:
        raise TimeError(f"The timezone `{cleaned}` is ambiguous (an abbreviation can mean several zones). "
                        "Use a name such as `Europe/London` or `America/New_York`.")
    if "/" not in cleaned and not cleaned.upper().startswith("UTC"):
        raise TimeError(f"Unknown timezone `{cleaned}`. Use a name such as `Europe/London` or `Asia/Tokyo`.")
    try:
        if cleaned not in available_timezones():
            match = next((z for z in available_timezones() if z.lower() == cleaned.lower()), None)
            if match is None:
                raise ZoneInfoNotFoundError(cleaned)
            cleaned = match
        return ZoneInfo(cleaned)
    except (ZoneInfoNotFoundError, ValueError):
        raise TimeError(f"Unknown timezone `{cleaned}`. Use a name such as `Europe/London` or `Asia/Tokyo`.") from None


def _clock(text: str) -> time:
    match = _CLOCK.match(text.strip())
    if not match:
        raise TimeError(f"`{text}` is not a time of day; write it like `18:30` or `6:30pm`.")
    hour, minute, half = int(match.group(1)), int(match.group(2) or 0), match.group(3)
    if half:
        if not 1 <= hour <= 12:
            raise TimeError(f"`{text}`: with am/pm the hour is 1-12.")
        hour = hour % 12 + (12 if half == "pm" else 0)
    elif match.group(2) is None:
        raise TimeError(f"`{text}` is not a time of day; write it like `18:30` or `6pm`.")
    if hour > 23 or minute > 59:
        raise TimeError(f"`{text}` is not a valid time of day.")
    return time(hour, minute)


def localize(day: date, at: time, tz: ZoneInfo) -> datetime:
    """Local wall time -> UTC, refusing times skipped or repeated by a daylight-saving change."""
    first = datetime.combine(day, at, tzinfo=tz).replace(fold=0)
    second = first.replace(fold=1)
    if first.utcoffset() != second.utcoffset():
        roundtrip = first.astimezone(UTC).astimezone(tz)
        if roundtrip.replace(tzinfo=None) != first.replace(tzinfo=None):
            raise TimeError(f"{day} {at:%H:%M} does not exist in {tz.key} (the clocks jump forward then).")
        raise TimeError(f"{day} {at:%H:%M} happens twice in {tz.key} (the clocks go back then); "
                        "pick another time or give it in UTC.")
    return first.astimezone(UTC)


def _split_zone(text: str, default_tz: str) -> tuple[str, ZoneInfo]:
    """Take a trailing zone name (`18:30 Europe/Paris`, `... UTC`, `... EST`) off the text."""
    words = text.split()
    if len(words) >= 2:
        last = words[-1]
        if "/" in last or last.upper() in AMBIGUOUS_ABBREVIATIONS or last.upper() in ("UTC", "GMT", "Z"):
            return " ".join(words[:-1]), zone(last)
    return text, zone(default_tz)


def _weekday(word: str) -> int | None:
    word = word.lower().rstrip(".,")
    word = _WEEKDAY_ALIASES.get(word, word)
    return WEEKDAYS.get(word)


def next_weekly(weekday: int, at: time, tz: ZoneInfo, after: datetime) -> datetime:
    """The first `weekday at` (local) strictly after `after` (UTC)."""
    local_after = after.astimezone(tz)
    day = local_after.date() + timedelta(days=(weekday - local_after.weekday()) % 7)
    for _ in range(3):
        try:
            candidate = localize(day, at, tz)
        except TimeError:
            day += timedelta(days=7)  # skip a week whose wall time does not exist
            continue
        if candidate > after:
            return candidate
        day += timedelta(days=7)
    raise TimeError("Could not find the next occurrence of that weekly time.")


def parse_rule(rule: str) -> tuple[int, time]:
    """`tue 18:00` -> (weekday, time); also accepts `daily 18:00` as every day (weekday -1)."""
    words = rule.lower().split(maxsplit=1)
    if len(words) != 2:
        raise TimeError("A recurring time is a weekday and a time, like `every tue 18:00`.")
    if words[0] in ("day", "daily"):
        return -1, _clock(words[1])
    weekday = _weekday(words[0])
    if weekday is None:
        raise TimeError(f"`{words[0]}` is not a weekday; use mon, tue, wed, thu, fri, sat or sun.")
    return weekday, _clock(words[1])


def next_occurrence(rule: str, tz_name: str, after: datetime) -> datetime:
    """The first instant after `after` that a rule (`tue 18:00`, `daily 09:00`) names, in UTC."""
    weekday, at = parse_rule(rule)
    tz = zone(tz_name)
    if weekday == -1:
        return min(next_weekly(d, at, tz, after) for d in range(7))
    return next_weekly(weekday, at, tz, after)


def parse_when(text: str, tz_name: str, now: datetime) -> When:
    """Parse a schedule time written by a user. `now` is UTC; the result is in the future."""
    raw = " ".join(text.strip().lower().split())
    if not raw:
        raise TimeError("Say when, e.g. `in 10m`, `18:30`, `2026-12-01 18:00`, `tue 18:00` or `every tue 18:00`.")
    original = " ".join(text.strip().split())

    if raw.startswith("in "):
        parts = _REL_PART.findall(raw[3:])
        leftover = _REL_PART.sub("", raw[3:]).replace("and", "").replace(",", "").strip()
        if not parts or leftover:
            raise TimeError(f"`{original}`: write relative times like `in 10m`, `in 1h 30m` or `in 2 days`.")
        seconds = 0.0
        for amount, unit in parts:
            if unit not in _UNITS:
                raise TimeError(f"`{unit}` is not a unit of time; use s, m, h, d or w.")
            seconds += float(amount) * _UNITS[unit]
        if seconds <= 0:
            raise TimeError("That time is not in the future.")
        if seconds > MAX_AHEAD.total_seconds():
            raise TimeError("Rounds can be scheduled at most a year ahead.")
        return When(at=None, delay=timedelta(seconds=seconds))

    if raw.startswith("every "):
        body, tz = _split_zone(original[6:], tz_name)
        weekday, at = parse_rule(body)
        rule = f"{'daily' if weekday == -1 else list(WEEKDAYS)[weekday]} {at:%H:%M}"
        return When(at=next_occurrence(rule, tz.key, now), rule=rule, timezone=tz.key)

    body, tz = _split_zone(original, tz_name)
    low = body.lower()
    iso = _ISO_DATE.match(low.replace("z", " utc") if low.endswith("z") else low)
    if iso or re.match(r"^\d{4}-\d", low):
        return When(at=_parse_iso(body, tz, now), timezone=tz.key)

    words = low.split()
    if len(words) == 2 and _weekday(words[0]) is not None:
        at = next_weekly(_weekday(words[0]), _clock(words[1]), tz, now)  # type: ignore[arg-type]
        return When(at=at, timezone=tz.key)
    if len(words) == 2 and words[0] in ("today", "tomorrow"):
        day = now.astimezone(tz).date() + timedelta(days=1 if words[0] == "tomorrow" else 0)
        return When(at=_future(localize(day, _clock(words[1]), tz), now, original), timezone=tz.key)
    if len(words) == 1 and (":" in low or low.endswith(("am", "pm"))):
        at_time = _clock(low)
        local_now = now.astimezone(tz)
        candidate = localize(local_now.date(), at_time, tz)
        if candidate <= now:  # a clock time already gone today means tomorrow
            candidate = localize(local_now.date() + timedelta(days=1), at_time, tz)
        return When(at=candidate, timezone=tz.key)
    raise TimeError(f"I can't read the time `{original}`. Try `in 10m`, `18:30`, `2026-12-01 18:00`, "
                    "`tue 18:00` or `every tue 18:00`.")


def _parse_iso(body: str, tz: ZoneInfo, now: datetime) -> datetime:
    text = body.strip().replace(" ", "T", 1) if " " in body.strip() else body.strip()
    if text.endswith(("z", "Z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise TimeError(f"`{body}` is not a valid date and time; write it like `2026-12-01 18:00`.") from None
    try:
        if parsed.tzinfo is None:
            if len(text) <= 10:  # a bare date has no time of day
                raise TimeError(f"`{body}` has no time of day; write it like `{text[:10]} 18:00`.")
            at = localize(parsed.date(), parsed.time().replace(second=0, microsecond=0), tz)
        else:
            at = parsed.astimezone(UTC)
    except OverflowError:  # 0001-01-01 or 9999-12-31 moved across a timezone leaves the calendar
        raise TimeError(f"`{body}` is out of range; pick a time within the next year, like "
                        f"`{now:%Y-%m-%d} 18:00`.") from None
    return _future(at, now, body)


def _future(at: datetime, now: datetime, original: str) -> datetime:
    if at <= now:
        raise TimeError(f"`{original}` is in the past. Pick a time after {now:%Y-%m-%d %H:%M} UTC.")
    if at - now > MAX_AHEAD:
        raise TimeError("Rounds can be scheduled at most a year ahead.")
    return at


_NUMBER_OR_UNIT = re.compile(r"^(\d+(?:\.\d+)?[a-z]*|[a-z]+|and|,)$")
_CLOCK_WORD = re.compile(r"^\d{1,2}(?::\d{2})?(?:am|pm)?$")
_ISO_WORD = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}(?:t\S*)?z?$")


def phrase_length(words: list[str]) -> int:
    """How many leading words of a command read as one time phrase (`in 1h 30m`, `tue 18:00 Europe/Paris`),
    so `/debate schedule in 1m diplomacy` keeps `diplomacy` for the motion. 0 when none do."""
    low = [w.lower() for w in words]
    if not low:
        return 0
    if low[0] == "in":
        n = 1
        while n < len(low) and _NUMBER_OR_UNIT.match(low[n]) and (
                low[n][0].isdigit() or low[n] in _UNITS or low[n] in ("and", ",")):
            n += 1
        return n if n > 1 else 0
    if low[0] == "every":
        rest = phrase_length(words[1:])
        return 1 + rest if rest else 0
    n = 0
    if _weekday(low[0]) is not None or low[0] in ("today", "tomorrow", "daily") or _ISO_WORD.match(low[0]):
        n = 1
        if n < len(low) and (_CLOCK_WORD.match(low[n]) or low[n] in ("am", "pm")):
            n += 1
    elif _CLOCK_WORD.match(low[0]) and (":" in low[0] or low[0].endswith(("am", "pm"))):
        n = 1
    if n and n < len(words) and ("/" in words[n] or words[n].upper() in ("UTC", "GMT")):
        n += 1  # a zone name written after the time
    return n
