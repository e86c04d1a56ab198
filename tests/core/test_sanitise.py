"""One shared sanitiser: bidi controls never reach a public post, on any platform (issue 12, item 10)."""

from __future__ import annotations

import json

import pytest

from adapters.discord import render as discord_render
from adapters.shell.room import format_message
from adapters.slack import render as slack_render
from bot import chat
from bot.chat import Field, Outgoing

BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
TRICK = "evil\u202etxt.exe\u2066 and @everyone <!channel>"


def test_clean_user_text_drops_every_bidi_control_and_keeps_the_rest() -> None:
    assert chat.clean_user_text(f"a{BIDI}b") == "ab"
    assert chat.clean_user_text("שלום עולם مرحبا") == "שלום עולם مرحبا"  # RTL letters stay
    assert chat.clean_user_text("👩\u200d💻 café") == "👩\u200d💻 café"  # ZWJ emoji sequences stay
    assert chat.strip_bidi(TRICK) == "eviltxt.exe and @everyone <!channel>"


@pytest.mark.parametrize("text", [chat.user_text(TRICK), TRICK, f"**{BIDI}bold**"])
def test_every_adapter_renders_without_bidi_controls(text: str) -> None:
    message = Outgoing(text=text, title=f"Title {text}", fields=[Field(name=text, value=text)], footer=text)
    outputs = {
        "slack": json.dumps(slack_render.payload(message), ensure_ascii=False),
        "discord": _discord(message),
        "shell": format_message(message),
        "plain": chat.plain(text),
    }
    for platform, out in outputs.items():
        assert not chat.BIDI_CONTROLS.search(out), (platform, out)


def _discord(message: Outgoing) -> str:
    rendered = discord_render.render(message)
    embed = rendered.embed.to_dict() if rendered.embed is not None else {}
    return json.dumps([rendered.content or "", embed], ensure_ascii=False)


def test_user_text_still_cannot_ping() -> None:
    """The bidi sanitiser sits beside the mention neutralising; both still hold."""
    slack = slack_render.mrkdwn(chat.user_text(TRICK))
    assert "<!channel>" not in slack and "&lt;!channel&gt;" in slack
    discord = discord_render.render_text(chat.user_text(TRICK))
    assert "@everyone" not in discord.replace("@\u200beveryone", "")
