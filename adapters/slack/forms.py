"""Modals built from the command table: one input per option that the caller has not given yet.

The same builder serves `/debate schedule` and `/debate config` typed without arguments, and buttons
with ``opens_form`` (a long speech). The submission is checked with `commands.coerce` before the modal
closes, so a bad value is shown next to its input.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from adapters.slack.render import plain_text
from bot import chat, commands
from bot.chat import Place
from bot.commands import Command, Option

CALLBACK_PREFIX = "debate:"
BLOCK_PREFIX = "opt:"
INPUT_LIMIT = 3000  # Slack's plain_text_input max_length
MAX_SELECT_OPTIONS = 100
_TITLES = {"speech": "Your speech", "schedule": "Schedule a round", "config": "Server settings"}


def split_id(text: str) -> tuple[Command, dict[str, Any]]:
    """A command in text form whose required options may be missing (a form fills them in): the core's
    one parser, `commands.parse_partial`."""
    return commands.parse_partial(text)


def wants_form(command: Command, text: str) -> bool:
    """`/debate schedule` alone: a form is friendlier than a usage line."""
    words = text.split()
    return len(words) == 1 and any(o.required for o in command.options)


def _element(opt: Option, suggestions: Sequence[tuple[str, str]]) -> dict[str, Any]:
    if opt.choices:
        return {"type": "static_select", "action_id": "value", "placeholder": plain_text(f"Choose {opt.name}", 150),
                "options": [{"text": plain_text(c, 75), "value": c} for c in opt.choices[:MAX_SELECT_OPTIONS]]}
    if opt.type == "user":
        return {"type": "users_select", "action_id": "value", "placeholder": plain_text("Choose a person", 150)}
    if suggestions:
        return {"type": "static_select", "action_id": "value", "placeholder": plain_text(f"Choose {opt.name}", 150),
                "options": [{"text": plain_text(label, 75), "value": str(value)[:150]}
                            for label, value in suggestions[:MAX_SELECT_OPTIONS]]}
    element: dict[str, Any] = {"type": "plain_text_input", "action_id": "value",
                               "max_length": min(opt.max_length, INPUT_LIMIT)}
    if opt.rest or opt.max_length > 200:
        element["multiline"] = True
    if opt.type == "int":
        element = {"type": "number_input", "action_id": "value", "is_decimal_allowed": False}
        if opt.min_value is not None:
            element["min_value"] = str(opt.min_value)
        if opt.max_value is not None:
            element["max_value"] = str(opt.max_value)
    return element


def form_view(command: Command, given: dict[str, Any], place: Place, *,
              suggest: dict[str, Sequence[tuple[str, str]]] | None = None) -> dict[str, Any]:
    """A modal asking for each option of `command` not in `given`."""
    suggest = suggest or {}
    blocks: list[dict[str, Any]] = [{"type": "section", "text": {
        "type": "mrkdwn", "text": f"*{commands.ROOT} {command.name}*: {command.description}"[:3000]}}]
    for opt in command.options:
        if opt.name in given:
            continue
        block: dict[str, Any] = {
            "type": "input", "block_id": BLOCK_PREFIX + opt.name, "optional": not opt.required,
            "label": plain_text(opt.name.replace("_", " ").capitalize(), 2000),
            "hint": plain_text(opt.description, 2000),
            "element": _element(opt, suggest.get(opt.name, ())),
        }
        blocks.append(block)
    metadata = json.dumps({"channel": place.channel_id, "thread": place.thread_id, "given": given})
    if len(metadata) > 3000:
        raise commands.UsageError("That is too long for a form.", command)
    return {
        "type": "modal",
        "callback_id": CALLBACK_PREFIX + command.name,
        "title": plain_text(_TITLES.get(command.name, f"Debate {command.name}"), 24),
        "submit": plain_text("Submit", 24),
        "close": plain_text("Cancel", 24),
        "private_metadata": metadata,
        "blocks": blocks,
    }


def read_submission(view: dict[str, Any]) -> tuple[Command, dict[str, Any], dict[str, Any], Place]:
    """The command, the options given before the form, all raw options, and where it was opened."""
    command = commands.get(view["callback_id"].removeprefix(CALLBACK_PREFIX))
    meta = json.loads(view.get("private_metadata") or "{}")
    raw: dict[str, Any] = dict(meta.get("given") or {})
    for block_id, actions in (view.get("state") or {}).get("values", {}).items():
        if not block_id.startswith(BLOCK_PREFIX):
            continue
        state = actions.get("value") or {}
        value = (state.get("value") or (state.get("selected_option") or {}).get("value")
                 or state.get("selected_user"))
        if value not in (None, ""):
            raw[block_id.removeprefix(BLOCK_PREFIX)] = chat.clean_user_text(str(value))
    return command, dict(meta.get("given") or {}), raw, Place(channel_id=meta.get("channel") or "", thread_id=meta.get("thread"))


def error_block(command: Command, given: dict[str, Any], message: str) -> str:
    """Which input of the form a coerce() error belongs to: the option it names, else the first input."""
    inputs = [o.name for o in command.options if o.name not in given]
    for name in re.findall(r"`([a-z_]+)`", message):
        if name in inputs:
            return BLOCK_PREFIX + name
    return BLOCK_PREFIX + (inputs[0] if inputs else command.options[0].name)
