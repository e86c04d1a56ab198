"""Debate formats as data. Built-ins live here; admins add their own per server (validated by `Format`).

A format is a list of speeches in speaking order. Each speech belongs to one side, or to "both" for
shared phases (crossfire, cross-examination) where any debater of the round may talk and nothing is
scored. Times are debate seconds; a round divides them by its time scale.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

SHARED = "both"  # a speech side meaning "any debater" (crossfire, cross-examination)
KEY_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")


class FormatError(ValueError):
    """An unknown format key or an invalid custom format; the message is safe to show to users."""


class SpeechSpec(BaseModel):
    """One speech of a format: whose it is, its kind and length, an optional label and protected time."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    side: str
    kind: str = Field(min_length=1, max_length=32)  # opening, rebuttal, closing, reply, crossfire, ...
    seconds: int = Field(ge=5, le=3600)
    protected_seconds: int = Field(default=0, ge=0, le=600)  # no points of information at start and end
    label: str | None = Field(default=None, max_length=60)  # e.g. "Prime Minister"

    @property
    def shared(self) -> bool:
        """Open to every debater (crossfire, cross-examination), and not scored."""
        return self.side == SHARED

    @property
    def is_reply(self) -> bool:
        """A reply speech (scored on the reply scale where the format has one)."""
        return self.kind == "reply"


class Format(BaseModel):
    """One debate format. `custom_formats` in server settings stores `Format.model_dump()` per key."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str
    name: str = Field(min_length=1, max_length=60)
    sides: tuple[str, ...] = ("pro", "con")
    side_names: dict[str, str] = Field(default_factory=dict)  # display names, e.g. pro -> "Proposition"
    team_size: int = Field(default=1, ge=1, le=4)
    speeches: tuple[SpeechSpec, ...]
    speaker_scale: tuple[int, int] = (0, 100)
    reply_scale: tuple[int, int] | None = None
    grace_seconds: int = Field(default=15, ge=0, le=120)
    warnings: tuple[int, ...] = (60, 30)
    prep_seconds: int = Field(default=0, ge=0, le=7200)
    team_points: tuple[int, ...] | None = None  # points per team rank (BP: 3, 2, 1, 0)

    @field_validator("key")
    @classmethod
    def _key(cls, value: str) -> str:
        value = value.strip().lower()
        if not KEY_RE.match(value):
            raise ValueError("key must be 1-32 lowercase letters, digits, '-' or '_'")
        return value

    @field_validator("sides")
    @classmethod
    def _sides(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if len(value) not in (2, 4):
            raise ValueError("a format has 2 sides (or 4 teams, as in British Parliamentary)")
        if len(set(value)) != len(value) or SHARED in value:
            raise ValueError(f"side names must be distinct and not '{SHARED}'")
        for side in value:
            if not KEY_RE.match(side) or len(side) > 16:
                raise ValueError(f"bad side name {side!r}")
        return value

    @field_validator("warnings")
    @classmethod
    def _warnings(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if any(w <= 0 or w > 3600 for w in value):
            raise ValueError("warnings are seconds left, between 1 and 3600")
        return tuple(sorted(set(value), reverse=True))

    @model_validator(mode="after")
    def _consistent(self) -> Format:
        if not self.speeches:
            raise ValueError("a format needs at least one speech")
        if len(self.speeches) > 24:
            raise ValueError("at most 24 speeches")
        for spec in self.speeches:
            if spec.side not in self.sides and spec.side != SHARED:
                raise ValueError(f"speech side {spec.side!r} is not one of {', '.join(self.sides)} or {SHARED}")
        for side in self.sides:
            if not any(s.side == side for s in self.speeches):
                raise ValueError(f"side {side!r} never speaks")
        for scale in (self.speaker_scale, self.reply_scale):
            if scale is not None and not (0 <= scale[0] < scale[1] <= 1000):
                raise ValueError("a score scale is (low, high) with 0 <= low < high <= 1000")
        if self.team_points is not None and len(self.team_points) != len(self.sides):
            raise ValueError("team_points needs one value per side")
        return self

    # -- helpers used by the state machine -----------------------------------------------------------
    def side_name(self, side: str) -> str:
        """The side as this format names it (`Proposition`, `Opening Government`, ...)."""
        if side == SHARED:
            return "Both sides"
        return self.side_names.get(side, side.upper() if len(side) <= 3 else side.title())

    def scale_for(self, spec: SpeechSpec) -> tuple[int, int]:
        """The speaker-point scale of a speech."""
        return self.reply_scale if spec.is_reply and self.reply_scale else self.speaker_scale

    def speech_title(self, spec: SpeechSpec) -> str:
        """`Pro opening`, or the speech's own label."""
        if spec.label:
            return spec.label
        return f"{self.side_name(spec.side)} {spec.kind.replace('_', ' ')}"

    @property
    def total_seconds(self) -> int:
        """Debate seconds from the first speech (or prep) to the last, grace included."""
        return self.prep_seconds + sum(s.seconds + (0 if s.shared else self.grace_seconds) for s in self.speeches)

    def summary(self) -> str:
        """`Quick 1 v 1: 6 speeches, about 10 min`."""
        minutes = round(self.total_seconds / 60)
        return f"{self.name}: {len(self.speeches)} speeches, about {minutes} min"


def _s(side: str, kind: str, seconds: int, label: str | None = None, protected: int = 0) -> SpeechSpec:
    return SpeechSpec(side=side, kind=kind, seconds=seconds, label=label, protected_seconds=protected)


_PC = {"pro": "Pro", "con": "Con"}
_GOV = {"pro": "Proposition", "con": "Opposition"}

BUILTIN_FORMATS: dict[str, Format] = {f.key: f for f in (
    Format(key="quick", name="Quick 1 v 1", side_names=_PC, speeches=(
        _s("pro", "opening", 120), _s("con", "opening", 120),
        _s("pro", "rebuttal", 90), _s("con", "rebuttal", 90),
        _s("pro", "closing", 60), _s("con", "closing", 60))),
    Format(key="wsdc", name="World Schools", side_names=_GOV, team_size=3, speaker_scale=(60, 80),
           reply_scale=(30, 40), speeches=(
        _s("pro", "constructive", 480, "First Proposition", 60), _s("con", "constructive", 480, "First Opposition", 60),
        _s("pro", "constructive", 480, "Second Proposition", 60),
        _s("con", "constructive", 480, "Second Opposition", 60),
        _s("pro", "rebuttal", 480, "Third Proposition", 60), _s("con", "rebuttal", 480, "Third Opposition", 60),
        _s("con", "reply", 240, "Opposition reply"), _s("pro", "reply", 240, "Proposition reply"))),
    Format(key="bp", name="British Parliamentary", sides=("og", "oo", "cg", "co"), team_size=2,
           side_names={"og": "Opening Government", "oo": "Opening Opposition", "cg": "Closing Government",
                       "co": "Closing Opposition"},
           speaker_scale=(50, 99), team_points=(3, 2, 1, 0), prep_seconds=900, speeches=(
        _s("og", "opening", 420, "Prime Minister", 60), _s("oo", "opening", 420, "Leader of the Opposition", 60),
        _s("og", "constructive", 420, "Deputy Prime Minister", 60),
        _s("oo", "constructive", 420, "Deputy Leader of the Opposition", 60),
        _s("cg", "extension", 420, "Member of the Government", 60),
        _s("co", "extension", 420, "Member of the Opposition", 60),
        _s("cg", "closing", 420, "Government Whip", 60), _s("co", "closing", 420, "Opposition Whip", 60))),
    Format(key="ap", name="Asian Parliamentary", side_names={"pro": "Government", "con": "Opposition"},
           team_size=3, speaker_scale=(70, 80), reply_scale=(35, 40), prep_seconds=1800, speeches=(
        _s("pro", "opening", 420, "Prime Minister", 60), _s("con", "opening", 420, "Leader of the Opposition", 60),
        _s("pro", "constructive", 420, "Deputy Prime Minister", 60),
        _s("con", "constructive", 420, "Deputy Leader of the Opposition", 60),
        _s("pro", "rebuttal", 420, "Government Whip", 60), _s("con", "rebuttal", 420, "Opposition Whip", 60),
        _s("con", "reply", 240, "Opposition reply"), _s("pro", "reply", 240, "Government reply"))),
    Format(key="pf", name="Public Forum", side_names=_PC, team_size=2, speaker_scale=(25, 30), speeches=(
        _s("pro", "constructive", 240, "Pro constructive"), _s("con", "constructive", 240, "Con constructive"),
        _s(SHARED, "crossfire", 180, "First crossfire"),
        _s("pro", "rebuttal", 240, "Pro rebuttal"), _s("con", "rebuttal", 240, "Con rebuttal"),
        _s(SHARED, "crossfire", 180, "Second crossfire"),
        _s("pro", "summary", 180, "Pro summary"), _s("con", "summary", 180, "Con summary"),
        _s(SHARED, "crossfire", 180, "Grand crossfire"),
        _s("pro", "final_focus", 120, "Pro final focus"), _s("con", "final_focus", 120, "Con final focus"))),
    Format(key="ld", name="Lincoln-Douglas", side_names={"pro": "Affirmative", "con": "Negative"},
           speaker_scale=(25, 30), speeches=(
        _s("pro", "constructive", 360, "Affirmative constructive"),
        _s(SHARED, "cross_examination", 180, "Cross-examination (Negative asks)"),
        _s("con", "constructive", 420, "Negative constructive"),
        _s(SHARED, "cross_examination", 180, "Cross-examination (Affirmative asks)"),
        _s("pro", "rebuttal", 240, "First affirmative rebuttal"), _s("con", "rebuttal", 360, "Negative rebuttal"),
        _s("pro", "rebuttal", 180, "Second affirmative rebuttal"))),
)}
DEFAULT_FORMAT = "quick"


def parse_format(spec: dict[str, Any] | str) -> Format:
    """Validate a custom format (a dict, or JSON/YAML text) and return it; FormatError explains problems."""
    if isinstance(spec, str):
        import yaml

        try:
            spec = yaml.safe_load(spec)
        except yaml.YAMLError as exc:
            raise FormatError(f"That is not valid JSON or YAML: {str(exc).splitlines()[0]}") from None
        if not isinstance(spec, dict):
            raise FormatError("A format is a mapping with key, name, sides and speeches.")
    try:
        return Format.model_validate(spec)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'format'}: {e['msg']}" for e in exc.errors()[:5])
        raise FormatError(f"Invalid format: {problems}") from None


def available_formats(settings_row: Any | None = None) -> dict[str, Format]:
    """Built-ins plus the server's custom formats (a custom key may shadow a built-in)."""
    formats = dict(BUILTIN_FORMATS)
    custom = getattr(settings_row, "custom_formats", None) or {}
    for key, spec in custom.items():
        try:
            formats[key] = Format.model_validate(spec)
        except ValidationError:
            continue  # stored formats were validated on the way in; skip one that no longer is
    return formats


def resolve_format(key: str | None, settings_row: Any | None = None) -> Format:
    """The format for `key` (default: the server's default, then quick); FormatError if unknown."""
    formats = available_formats(settings_row)
    wanted = (key or getattr(settings_row, "default_format", None) or DEFAULT_FORMAT).strip().lower()
    if wanted in formats:
        return formats[wanted]
    by_name = [f for f in formats.values() if f.name.lower() == wanted]
    if by_name:
        return by_name[0]
    raise FormatError(f"Unknown format `{wanted}`. Available: {', '.join(sorted(formats))}.")


def from_snapshot(spec: dict[str, Any]) -> Format:
    """The format stored on a round (`rounds.format_spec`) when it was created."""
    return Format.model_validate(spec)


@dataclass(frozen=True)
class Phase:
    """One step of a running round: preparation, or speech `number` (1-based) of the format."""

    index: int
    kind: str  # "prep" or "speech"
    seconds: int
    spec: SpeechSpec | None = None
    number: int = 0  # 1-based speech number (0 for prep)


def phases(fmt: Format) -> list[Phase]:
    """The format's phases in order: preparation (if any), then every speech."""
    result: list[Phase] = []
    if fmt.prep_seconds:
        result.append(Phase(0, "prep", fmt.prep_seconds))
    for number, spec in enumerate(fmt.speeches, start=1):
        result.append(Phase(len(result), "speech", spec.seconds, spec, number))
    return result
