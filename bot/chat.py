"""Platform-neutral chat types, shared by the core and every adapter.

Outgoing text is light markdown written by the bot (**bold**, `> quote`, `- bullet`). Two kinds of
inline markers let adapters render what only they know how to:

- user-supplied text is wrapped by :func:`user_text`; adapters escape it for their platform, so a
  user can never inject a ping (``@everyone``, ``<!channel>``) or break formatting;
- :func:`timestamp` marks an instant that each reader should see in their own timezone
  (Discord ``<t:UNIX:R>``, Slack ``<!date^...>``, the shell prints it in UTC);
- :func:`mention` names a user; adapters render it as a real mention.

:func:`render` does the substitution with platform callbacks, so no adapter re-implements it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

# Private-use characters delimit markers; incoming user text is stripped of them first.
_USER_OPEN, _USER_CLOSE = "\ue000", "\ue001"
_TIME_OPEN, _TIME_CLOSE = "\ue002", "\ue003"
_MENTION_OPEN, _MENTION_CLOSE = "\ue004", "\ue005"
_MARKERS = re.compile("[\ue000-\ue005]")
# Unicode's Bidi_Control characters (ALM, LRM, RLM, LRE, RLE, PDF, LRO, RLO, LRI, RLI, FSI, PDI): an
# override such as U+202E makes text display in another order than it is stored ("Trojan Source"), so
# none of them reaches a public post.
BIDI_CONTROLS = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_MARKER_RE = re.compile(
    f"{_USER_OPEN}(?P<user>.*?){_USER_CLOSE}"
    f"|{_TIME_OPEN}(?P<time>-?\\d+){_TIME_CLOSE}"
    f"|{_MENTION_OPEN}(?P<mention>[^\ue005]*){_MENTION_CLOSE}",
    re.S,
)


class Kind(StrEnum):
    """What a message is, so adapters can pick a colour or a layout."""

    INFO = "info"
    ERROR = "error"
    SUCCESS = "success"
    ANNOUNCE = "announce"
    TURN = "turn"
    SPEECH = "speech"
    RESULTS = "results"


@dataclass(frozen=True, slots=True)
class Server:
    """A Discord guild, a Slack workspace, or the shell's one room."""

    platform: str
    external_id: str
    name: str = ""


@dataclass(frozen=True, slots=True)
class User:
    platform: str
    external_id: str
    display_name: str
    is_admin: bool = False
    is_bot: bool = False


@dataclass(frozen=True, slots=True)
class Place:
    """Where a message goes: a channel, optionally a thread inside it."""

    channel_id: str
    thread_id: str | None = None


@dataclass(slots=True)
class Incoming:
    """One platform event turned neutral: a command, a button click, or a chat message."""

    server: Server
    user: User
    place: Place
    command: str | None = None  # "practice", "help", ... for commands; None for chat messages
    options: dict[str, Any] = field(default_factory=dict)
    text: str = ""  # chat message text, or the raw command text when parsed by the core
    action_id: str | None = None  # a button's stable id
    event_id: str | None = None  # platform event id, used to drop duplicates
    at: datetime | None = None  # when the platform says it happened (UTC)
    order_key: int | None = None  # the platform's order of messages (Slack ts in microseconds, Discord snowflake)
    durable: bool = False  # came from the inbox: a database failure raises RetryLater (replayed later)

    @property
    def is_button(self) -> bool:
        return self.action_id is not None

    @property
    def is_message(self) -> bool:
        return self.command is None and self.action_id is None


class ButtonStyle(StrEnum):
    PRIMARY = "primary"
    SECONDARY = "secondary"
    SUCCESS = "success"
    DANGER = "danger"


@dataclass(frozen=True, slots=True)
class Button:
    """A button whose id comes back as ``Incoming.action_id`` when clicked: the command in text form, e.g.
    ``join pro round:12`` (parsed by `commands.parse_text`)."""

    id: str
    label: str
    style: ButtonStyle = ButtonStyle.SECONDARY
    opens_form: bool = False  # ask the adapter to open a modal/form (e.g. a long speech) instead


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    value: str
    inline: bool = False


@dataclass(frozen=True, slots=True)
class Image:
    filename: str
    data: bytes
    mime: str = "image/png"


@dataclass(slots=True)
class Outgoing:
    """A neutral message. Adapters render it as an embed, Block Kit, or terminal text."""

    text: str = ""
    title: str | None = None
    fields: list[Field] = field(default_factory=list)
    buttons: list[Button] = field(default_factory=list)
    image: Image | None = None
    kind: Kind = Kind.INFO
    ephemeral: bool = False  # only the caller sees it (where the platform supports that)
    place: Place | None = None  # None: reply where the command came from
    key: str | None = None  # a round message updated in place later (e.g. "signup"), through Messenger.edit
    footer: str | None = None


def strip_bidi(text: str) -> str:
    """Drop bidirectional control characters (see `BIDI_CONTROLS`)."""
    return BIDI_CONTROLS.sub("", text)


def clean_user_text(text: str, limit: int | None = None) -> str:
    """Normalise user text: NFC, drop control, bidi-control and marker characters, optionally truncate."""
    text = unicodedata.normalize("NFC", text or "")
    text = BIDI_CONTROLS.sub("", _MARKERS.sub("", text))
    text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cs"))
    if limit is not None and len(text) > limit:
        text = text[:limit]
    return text


def user_text(text: str) -> str:
    """Mark text that came from a user, so adapters escape it."""
    return f"{_USER_OPEN}{clean_user_text(text)}{_USER_CLOSE}"


def timestamp(when: datetime) -> str:
    """Mark an instant for the reader's own timezone."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return f"{_TIME_OPEN}{int(when.timestamp())}{_TIME_CLOSE}"


def mention(user_external_id: str) -> str:
    return f"{_MENTION_OPEN}{user_external_id}{_MENTION_CLOSE}"


def render(
    text: str,
    *,
    escape: Callable[[str], str],
    time: Callable[[int], str],
    mention_fmt: Callable[[str], str],
) -> str:
    """Substitute markers using the platform's callbacks; text outside markers is left as written.

    Every adapter renders through here, so this is the one place that sanitises what is posted: user
    text was cleaned by `user_text`, and bidi controls are dropped from the whole result too (a raw
    option echoed in an error, a display name), so no platform ever posts one.
    """

    def sub(match: re.Match[str]) -> str:
        if match.group("user") is not None:
            return escape(match.group("user"))
        if match.group("time") is not None:
            return time(int(match.group("time")))
        return mention_fmt(match.group("mention"))

    return BIDI_CONTROLS.sub("", _MARKER_RE.sub(sub, text))


def plain(text: str) -> str:
    """Render for plain-text contexts (logs, tests, the shell): UTC times, raw user text."""
    return render(
        text,
        escape=lambda s: s,
        time=lambda t: datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        mention_fmt=lambda uid: f"@{uid}",
    )


def truncate(text: str, limit: int, suffix: str = "…") -> str:
    return text if len(text) <= limit else text[: max(0, limit - len(suffix))] + suffix
