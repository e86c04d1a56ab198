"""Neutral message markers: user text is escaped by each platform, times and mentions rendered."""

from __future__ import annotations

from datetime import UTC, datetime

from bot import chat


def test_render_escapes_only_user_text() -> None:
    text = f"**Speech by** {chat.user_text('@everyone <!channel> **bold**')} due {chat.timestamp(datetime(2026, 1, 1, tzinfo=UTC))}"
    out = chat.render(text, escape=lambda s: s.replace("@", "@\u200b").replace("<", "&lt;"),
                      time=lambda t: f"<t:{t}:R>", mention_fmt=lambda u: f"<@{u}>")
    assert out == "**Speech by** @\u200beveryone &lt;!channel> **bold** due <t:1767225600:R>"


def test_user_text_cannot_forge_markers() -> None:
    forged = "\ue002123\ue003 \ue004everyone\ue005"
    out = chat.plain(chat.user_text(forged))
    assert out == "123 everyone"


def test_clean_user_text_normalises_and_truncates() -> None:
    assert chat.clean_user_text("e\u0301\x00\x07ok") == "éok"
    assert len(chat.clean_user_text("x" * 30_000, limit=20_000)) == 20_000
    assert chat.clean_user_text("") == ""


def test_mentions_render_per_platform() -> None:
    assert chat.render(chat.mention("U1"), escape=str, time=str, mention_fmt=lambda u: f"<@{u}>") == "<@U1>"
    assert chat.plain(chat.mention("U1")) == "@U1"
