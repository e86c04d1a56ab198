"""The one command table. Every adapter is generated from it, and `/debate help` prints from it.

The table holds names, options and help. Each command's handler registers itself with the `@handles`
decorator where it is written (``bot.rounds.commands``, ``bot.admin``, ...), so this module imports
no handler (only the small time-phrase reader) and adapters build their command trees from it alone;
`handler_of` returns the registered function. `parse_text` and `parse_partial` are the one parser of
``name:value`` text: the shell, Slack text, button ids, Slack forms and Discord modals.
"""

from __future__ import annotations

import difflib
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from bot.rounds import timeparse

OptionType = Literal["str", "int", "user"]


class UsageError(ValueError):
    """Bad command syntax or option value; carries the usage line of the command."""

    def __init__(self, message: str, command: Command | None = None) -> None:
        self.command = command
        super().__init__(message)

    @property
    def reply(self) -> str:
        usage = f"\nUsage: `{self.command.usage}`" if self.command else f"\nTry `{ROOT} help`."
        return f"{self}{usage}"


@dataclass(frozen=True, slots=True)
class Option:
    name: str
    description: str
    type: OptionType = "str"
    required: bool = False
    choices: tuple[str, ...] = ()
    autocomplete: Literal["motion", "format", "round", "article", None] = None
    min_value: int | None = None
    max_value: int | None = None
    max_length: int = 200
    rest: bool = False  # in text form, swallow the remaining words (e.g. a motion or a speech)
    time_phrase: bool = False  # in text form, one time phrase of one or more words (`in 1h 30m`)


@dataclass(frozen=True, slots=True)
class Command:
    name: str
    description: str
    options: tuple[Option, ...] = ()
    admin_only: bool = False
    examples: tuple[str, ...] = field(default=())
    stateless: bool = False  # answered from the table alone: no database, handler(incoming, **options)

    @property
    def usage(self) -> str:
        parts = [ROOT, self.name]
        for opt in self.options:
            label = "|".join(opt.choices) if opt.choices and len(opt.choices) <= 6 else opt.name
            parts.append(f"<{label}>" if opt.required else f"[{label}]")
        return " ".join(parts)

    def option(self, name: str) -> Option | None:
        return next((o for o in self.options if o.name == name), None)


ROOT = "/debate"
SIDES = ("pro", "con")
ROLES = ("pro", "con", "judge", "audience")
CONFIG_KEYS = ("channel", "timezone", "format", "fill_policy", "winner_rule", "add_format", "remove_format", "season", "show")

COMMANDS: tuple[Command, ...] = (
    Command("help", "List the commands, or explain one.",
            (Option("command", "a command to explain", choices=()),), stateless=True),
    Command("motions", "List the motions drawn from this server's article."),
    Command(
        "practice", "Practise now against the bot, which takes the other side.",
        (Option("motion", "motion id or words from it", autocomplete="motion"),
         Option("side", "your side", choices=SIDES),
         Option("format", "debate format", autocomplete="format")),
        examples=("/debate practice diplomacy con",),
    ),
    Command(
        "start", "Open a round here now; others join with the buttons.",
        (Option("motion", "motion id or words from it", autocomplete="motion"),
         Option("format", "debate format", autocomplete="format")),
    ),
    Command(
        "schedule", "Schedule a round: `in 10m`, `18:30`, `2026-12-01 18:00`, `tue 18:00`, `every tue 18:00`.",
        (Option("when", "when it starts", required=True, max_length=100, time_phrase=True),
         Option("motion", "motion id or words from it", required=True, autocomplete="motion"),
         Option("format", "debate format", autocomplete="format")),
        admin_only=True,
        examples=("/debate schedule \"in 10m\" diplomacy", "/debate schedule \"every tue 18:00\" step-by-step"),
    ),
    Command("join", "Join a round as pro, con, judge or audience.",
            (Option("role", "your role", choices=ROLES),
             Option("round", "round id (default: the open one here)", type="int", min_value=1,
                    autocomplete="round"))),
    Command("leave", "Leave a round before it starts.",
            (Option("round", "round id", type="int", min_value=1, autocomplete="round"),)),
    Command("status", "Show the round here: phase, speaker and time left.",
            (Option("round", "round id", type="int", min_value=1, autocomplete="round"),)),
    Command("cancel", "Cancel a round (or a recurring schedule).",
            (Option("round", "round id", type="int", min_value=1, autocomplete="round"),), admin_only=True),
    Command("vote", "Vote for the side that won the round.",
            (Option("side", "the winning side", required=True, choices=SIDES + ("og", "oo", "cg", "co")),
             Option("round", "round id", type="int", min_value=1, autocomplete="round"))),
    Command("speech", "Submit a speech in one go (instead of chat messages); it ends your turn.",
            (Option("text", "your speech (longer than 10,000 characters is cut, with notice)", max_length=100_000,
                    rest=True),
             Option("round", "round id", type="int", min_value=1, autocomplete="round"))),
    Command("judge", "Judge a round: the winner, and speaker points per speech in speaking order.",
            (Option("winner", "the winning side", required=True, choices=SIDES + ("og", "oo", "cg", "co")),
             Option("points", "speaker points per speech in order, e.g. 74,72,75,71", max_length=300),
             Option("round", "round id", type="int", min_value=1, autocomplete="round")),
            examples=("/debate judge pro 74,72,75,71,70,73 round:12",)),
    Command("leaderboard", "Top debaters on this server.",
            (Option("period", "time range", choices=("all", "30d", "season")),
             Option("pool", "rounds against people or against the bot", choices=("people", "bot")))),
    Command("stats", "Rounds, wins, scores and a rating chart.",
            (Option("user", "whose stats (default: yours)", type="user"),)),
    Command("config", "Server settings: channel, timezone, format, fill_policy, winner_rule, add/remove_format, season, show.",
            (Option("setting", "what to change", required=True, choices=CONFIG_KEYS),
             Option("value", "the new value", max_length=2000, rest=True)),
            admin_only=True,
            examples=("/debate config timezone Europe/London", "/debate config fill_policy bot")),
    Command("article", "Show, choose or load this server's article.",
            (Option("action", "what to do", choices=("show", "list", "use", "load", "motion")),
             Option("value", "article name, or a pasted article / URL-free text to load", max_length=100_000,
                    rest=True)),
            admin_only=True),
)

BY_NAME: dict[str, Command] = {c.name: c for c in COMMANDS}


_HANDLERS: dict[str, Callable[..., Any]] = {}
F = TypeVar("F", bound=Callable[..., Any])


def handles(name: str) -> Callable[[F], F]:
    """Register the decorated function as the handler of command `name` (which must be in the table)."""
    get(name)

    def register(fn: F) -> F:
        _HANDLERS[name] = fn
        return fn

    return register


def handler_of(command: Command) -> Callable[..., Any]:
    """The function registered for `command`; the service imports every handler module before asking."""
    try:
        return _HANDLERS[command.name]
    except KeyError:
        raise RuntimeError(f"no handler registered for `{command.name}`") from None


def get(name: str) -> Command:
    try:
        return BY_NAME[name]
    except KeyError:
        raise UsageError(f"Unknown command `{name}`.") from None


def coerce(command: Command, raw: dict[str, Any]) -> dict[str, Any]:
    """Validate and convert option values; raise UsageError with a friendly message."""
    values: dict[str, Any] = {}
    for key in raw:
        if command.option(key) is None:
            raise UsageError(f"`{command.name}` has no option `{key}`.", command)
    for opt in command.options:
        value = raw.get(opt.name)
        if isinstance(value, str):
            value = value.strip()
        if value is None or value == "":
            if opt.required:
                raise UsageError(f"`{command.name}` needs `{opt.name}` ({opt.description}).", command)
            continue
        if opt.type == "int":
            try:
                value = int(value)
            except (TypeError, ValueError):
                raise UsageError(f"`{opt.name}` must be a whole number.", command) from None
            if opt.min_value is not None and value < opt.min_value:
                raise UsageError(f"`{opt.name}` must be at least {opt.min_value}.", command)
            if opt.max_value is not None and value > opt.max_value:
                raise UsageError(f"`{opt.name}` must be at most {opt.max_value}.", command)
        else:
            value = str(value)
            if len(value) > opt.max_length:
                raise UsageError(f"`{opt.name}` is too long ({len(value)} characters, limit {opt.max_length}).",
                                 command)
            if opt.choices and value.lower() not in opt.choices:
                raise UsageError(f"`{opt.name}` must be one of: {', '.join(opt.choices)}.", command)
            if opt.choices:
                value = value.lower()
        values[opt.name] = value
    return values


def _words(text: str) -> list[str]:
    text = text.strip()
    if text.startswith(ROOT):
        text = text[len(ROOT):]
    try:
        return shlex.split(text)
    except ValueError:
        return text.split()


def _assign(command: Command, words: list[str]) -> dict[str, Any]:
    """Options by `name:value`, then the remaining words by position. Raw strings; nothing is required."""
    raw: dict[str, Any] = {}
    positional: list[str] = []
    for word in words:
        name, sep, value = word.partition(":")
        if sep and command.option(name.lower()) is not None and not raw.get(name.lower()):
            raw[name.lower()] = value
        else:
            positional.append(word)
    free = [o for o in command.options if o.name not in raw]
    skipped: list[tuple[Option, str]] = []  # a choice option passed over, and the word that did not fit it
    while positional and free:
        opt = free.pop(0)
        if opt.time_phrase:  # `in 1h 30m`, `tue 18:00 Europe/Paris`: one value of several words
            n = max(1, timeparse.phrase_length(positional))
            raw[opt.name], positional = " ".join(positional[:n]), positional[n:]
            continue
        if opt.rest or not free:
            # the last free option (or a rest option) swallows the remaining words,
            # unless later options are choices that match the trailing words
            tail_opts = [o for o in free if o.choices]
            taken: dict[str, str] = {}
            while positional and tail_opts and positional[-1].lower() in tail_opts[-1].choices and len(positional) > 1:
                taken[tail_opts.pop().name] = positional.pop()
            raw[opt.name] = " ".join(positional) if (opt.rest or len(positional) > 1) else positional[0]
            raw.update(taken)
            positional = []
            break
        if opt.choices and positional[0].lower() not in opt.choices and not opt.required:
            # skip an optional choice option that the word does not fit (e.g. a motion word)
            skipped.append((opt, positional[0]))
            continue
        raw[opt.name] = positional.pop(0)
    for opt, word in skipped:  # `practice diplomacy pri`: say `side`, not "unknown format 'pri'"
        close = difflib.get_close_matches(word.lower(), opt.choices, n=1, cutoff=0.6)
        if close and opt.name not in raw and word in raw.values():
            raise UsageError(f"`{word}` is not a {opt.name} ({', '.join(opt.choices)}); did you mean "
                             f"`{close[0]}`?", command)
    if positional:
        raise UsageError(f"Too many words for `{command.name}`: {' '.join(positional)}", command)
    return raw


def parse_text(text: str) -> tuple[Command, dict[str, Any]]:
    """Parse ``/debate practice diplomacy con`` or ``practice side:con motion:"..."`` (shell, Slack text,
    button ids): the command and its validated options."""
    words = _words(text)
    if not words:
        return get("help"), {}
    command = get(words[0].lower())
    return command, coerce(command, _assign(command, words[1:]))


def parse_partial(text: str) -> tuple[Command, dict[str, Any]]:
    """The same parser for text a form completes (Slack forms, Discord modals): the command and the raw
    options it names, by `name:value` or position; required options may be missing."""
    words = _words(text)
    command = get(words[0].lower() if words else "help")
    return command, _assign(command, words[1:])


def help_text(name: str | None = None, *, is_admin: bool = True) -> str:
    if name:
        command = get(name.lower())
        lines = [f"**{ROOT} {command.name}** — {command.description}", f"Usage: `{command.usage}`"]
        for opt in command.options:
            extra = f" ({', '.join(opt.choices)})" if opt.choices else ""
            lines.append(f"- `{opt.name}`{' (required)' if opt.required else ''}: {opt.description}{extra}")
        lines += [f"Example: `{e}`" for e in command.examples]
        if command.admin_only:
            lines.append("Admins only.")
        return "\n".join(lines)
    lines = ["**Debate bot commands**"]
    for command in COMMANDS:  # the usage line, as the README lists them
        tag = " **Admins only.**" if command.admin_only else ""
        lines.append(f"- `{command.usage}` — {command.description}{tag}")
    lines.append(f"Type `{ROOT} help <command>` for details.")
    return "\n".join(lines)
