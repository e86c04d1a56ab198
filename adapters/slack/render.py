"""Neutral `Outgoing` messages → Slack mrkdwn and Block Kit.

All text is escaped (``&``, ``<``, ``>``) before Slack sees it, so neither user text nor the bot's own
usage lines (``<when>``) can turn into ``<!channel>`` pings or broken links. Real Slack markup
(mentions, ``<!date^...>``) only comes from the core's markers, substituted after escaping.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from bot import chat
from bot.chat import Button, ButtonStyle, Kind, Outgoing

Block = dict[str, Any]

SECTION_LIMIT = 3000  # characters in a section's text
FIELD_LIMIT = 2000  # characters in one section field
MAX_BLOCKS = 50  # per message (100 in a modal or Home tab)
BUTTONS_PER_ROW = 5
ACTION_ID_LIMIT = 255
# action_id prefixes: run the button's command, or open a form (modal) for it first
RUN_PREFIX, FORM_PREFIX = "run:", "form:"

_SLACK_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
_TOKEN_OPEN, _TOKEN_CLOSE = "\ue010", "\ue011"
_TOKEN_RE = re.compile(f"{_TOKEN_OPEN}(\\d+){_TOKEN_CLOSE}")
_BOLD_MARK = "\ue012"
_KIND_ICON = {Kind.ERROR: ":warning:", Kind.SUCCESS: ":white_check_mark:", Kind.ANNOUNCE: ":mega:",
              Kind.TURN: ":stopwatch:", Kind.RESULTS: ":trophy:", Kind.SPEECH: ":speech_balloon:"}


def escape(text: str) -> str:
    """Slack's three control characters; everything else is shown as typed."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def format_time(unix: int) -> str:
    """`<!date^...>` shows the instant in each reader's own timezone; the fallback is UTC."""
    fallback = datetime.fromtimestamp(unix, UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{unix}^{{date_short_pretty}} {{time}}|{fallback}>"


def format_mention(external_id: str) -> str:
    if _SLACK_USER_ID.match(external_id):
        return f"<@{external_id}>"
    return escape("@Debate Bot" if external_id == "__bot__" else f"@{external_id}")


def _markdown(text: str) -> str:
    """The core's light markdown (``**bold**``, ``*italic*``, ``- bullet``) in Slack's mrkdwn dialect."""
    text = re.sub(r"\*\*(.+?)\*\*", f"{_BOLD_MARK}\\1{_BOLD_MARK}", text, flags=re.S)
    text = re.sub(r"(?<![\w*])\*(?![\s*])([^*\n]+?)(?<!\s)\*(?![\w*])", r"_\1_", text)
    text = re.sub(r"(?m)^(\s*)[-*] ", "\\1• ", text)
    text = re.sub(r"(?m)^#{1,6} +(.+)$", f"{_BOLD_MARK}\\1{_BOLD_MARK}", text)
    return text.replace(_BOLD_MARK, "*")


def mrkdwn(text: str) -> str:
    """Core text (with markers) → safe Slack mrkdwn."""
    if not text:
        return ""
    tokens: list[str] = []

    def keep(rendered: str) -> str:
        tokens.append(rendered)
        return f"{_TOKEN_OPEN}{len(tokens) - 1}{_TOKEN_CLOSE}"

    text = text.replace(_TOKEN_OPEN, "").replace(_TOKEN_CLOSE, "").replace(_BOLD_MARK, "")
    marked = chat.render(text, escape=lambda s: keep(escape(s)), time=lambda t: keep(format_time(t)),
                         mention_fmt=lambda uid: keep(format_mention(uid)))
    body = _markdown(escape(marked))
    return _TOKEN_RE.sub(lambda m: tokens[int(m.group(1))], body)


def plain_text(text: str, limit: int) -> dict[str, Any]:
    """A plain_text object (labels, titles): markers resolved, nothing parsed by Slack."""
    return {"type": "plain_text", "text": chat.truncate(chat.plain(text).strip() or " ", limit), "emoji": True}


def section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": chat.truncate(text, SECTION_LIMIT)}}


def _chunks(text: str, limit: int = SECTION_LIMIT) -> list[str]:
    """Split long text at line breaks (or hard) into pieces that fit one section each."""
    out: list[str] = []
    while len(text) > limit:
        cut = text.rfind("\n", 0, limit)
        cut = cut if cut > limit // 2 else limit
        # never cut inside an escape such as &amp;
        amp = text.rfind("&", max(0, cut - 5), cut)
        if amp != -1 and ";" not in text[amp:cut]:
            cut = amp
        out.append(text[:cut])
        text = text[cut:].lstrip("\n")
    if text.strip():
        out.append(text)
    return out


def button_element(button: Button, taken: set[str]) -> Block:
    prefix = FORM_PREFIX if button.opens_form else RUN_PREFIX
    action_id = (prefix + button.id)[:ACTION_ID_LIMIT - 4]
    n = 1
    while action_id in taken:  # action ids must be unique within a message
        n += 1
        action_id = f"{action_id[:ACTION_ID_LIMIT - 4]}#{n}"
    taken.add(action_id)
    element: Block = {"type": "button", "text": plain_text(button.label, 75), "action_id": action_id,
                      "value": button.id[:2000]}
    if button.style in (ButtonStyle.PRIMARY, ButtonStyle.SUCCESS):
        element["style"] = "primary"
    elif button.style is ButtonStyle.DANGER:
        element["style"] = "danger"
    return element


def blocks(message: Outgoing, *, with_buttons: bool = True, max_blocks: int = MAX_BLOCKS) -> list[Block]:
    """Block Kit for one message: title, text, fields, buttons, image note, footer."""
    out: list[Block] = []
    icon = _KIND_ICON.get(message.kind, "")
    if message.title:
        out.append(section(f"{icon} *{mrkdwn(message.title)}*".strip()))
    text = mrkdwn(message.text)
    if text:
        pieces = _chunks(text)
        if not message.title and icon:
            pieces[0] = f"{icon} {pieces[0]}"
        out.extend(section(p) for p in pieces)
    inline: list[Block] = []

    def flush_inline() -> None:
        if inline:
            out.append({"type": "section", "fields": list(inline)})
            inline.clear()

    for item in message.fields:
        body = f"*{mrkdwn(item.name)}*\n{mrkdwn(item.value)}"
        if item.inline:
            inline.append({"type": "mrkdwn", "text": chat.truncate(body, FIELD_LIMIT)})
            if len(inline) == 10:
                flush_inline()
        else:
            flush_inline()
            out.append(section(body))
    flush_inline()
    if with_buttons and message.buttons:
        taken: set[str] = set()
        for start in range(0, len(message.buttons), BUTTONS_PER_ROW):
            row = message.buttons[start:start + BUTTONS_PER_ROW]
            out.append({"type": "actions", "elements": [button_element(b, taken) for b in row]})
    if message.image:
        out.append({"type": "context", "elements": [
            {"type": "mrkdwn", "text": f":bar_chart: {escape(message.image.filename)} (attached below)"}]})
    if message.footer:
        out.append({"type": "context", "elements": [{"type": "mrkdwn", "text": section(mrkdwn(message.footer))
                                                     ["text"]["text"]}]})
    if not out:
        out.append(section(" "))
    if len(out) > max_blocks:
        out = out[:max_blocks - 1] + [{"type": "context", "elements": [
            {"type": "mrkdwn", "text": "…more than fits in one Slack message."}]}]
    return out


def fallback_text(message: Outgoing) -> str:
    """The top-level `text`: shown in notifications and by clients that cannot draw blocks."""
    parts = [p for p in (message.title, message.text) if p]
    if not parts and message.fields:
        parts = [f"{message.fields[0].name}: {message.fields[0].value}"]
    return chat.truncate(mrkdwn("\n".join(parts)) or "Debate bot", 3000)


def payload(message: Outgoing) -> dict[str, Any]:
    """Keyword arguments for chat.postMessage / chat.update / respond."""
    return {"text": fallback_text(message), "blocks": blocks(message)}
