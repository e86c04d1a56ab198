"""Outgoing → Discord rendering: escaping, pings, limits, buttons, images, timestamps (no network)."""

from __future__ import annotations

from datetime import UTC, datetime

import discord

from adapters.discord import render as r
from bot import chat
from bot.chat import Button, ButtonStyle, Field, Image, Kind, Outgoing
from tests.fakes.discord_fake import FakeDiscord


def payload(message: Outgoing) -> dict:
    """What discord.py would send: content, embeds, components and allowed_mentions as JSON."""
    out = r.render(message, bot_id=111111111111111111)
    data: dict = {"content": out.content, "allowed_mentions": out.allowed_mentions.to_dict()}
    data["embeds"] = [out.embed.to_dict()] if out.embed else []
    data["components"] = out.view.to_components() if out.view else []
    return data


def test_user_text_cannot_ping_or_break_markdown() -> None:
    evil = "@everyone @here <@&123456789012345678> <@123456789012345678> **bold** `code` ||spoiler|| > quote"
    for message in (Outgoing(text="Said: " + chat.user_text(evil)),
                    Outgoing(title=chat.user_text(evil), text=chat.user_text(evil),
                             fields=[Field(chat.user_text(evil), chat.user_text(evil))], kind=Kind.SPEECH)):
        data = payload(message)
        assert FakeDiscord.pings(data["content"] or "", data["allowed_mentions"]) == []
        assert data["allowed_mentions"]["parse"] == []
        text = FakeDiscord.text_of(data)
        assert "@everyone" not in text and "@here" not in text
        assert "<@&123456789012345678>" not in text and "<@123456789012345678>" not in text
        assert "\\*\\*bold\\*\\*" in text and "\\|\\|spoiler\\|\\|" in text


def test_bot_markdown_is_kept_and_timestamps_use_discord_syntax() -> None:
    when = datetime(2026, 12, 1, 18, 0, tzinfo=UTC)
    data = payload(Outgoing(text=f"**Round 3** starts {chat.timestamp(when)}"))
    assert data["content"] == f"**Round 3** starts <t:{int(when.timestamp())}:R>"


def test_turn_pings_only_the_speaker_chosen_by_the_bot() -> None:
    speaker = "222222222222222222"
    message = Outgoing(title="Your turn", text=f"{chat.mention(speaker)} speaks now; said "
                       + chat.user_text("<@333333333333333333> @everyone"), kind=Kind.TURN)
    data = payload(message)
    assert data["content"] == f"<@{speaker}>"
    assert FakeDiscord.pings(data["content"], data["allowed_mentions"]) == [speaker]
    assert data["allowed_mentions"]["parse"] == []


def test_mentions_elsewhere_never_ping_and_the_bot_mention_resolves() -> None:
    data = payload(Outgoing(text=f"{chat.mention('222222222222222222')} vs {chat.mention('__bot__')}"))
    assert data["content"] == "<@222222222222222222> vs <@111111111111111111>"
    assert FakeDiscord.pings(data["content"], data["allowed_mentions"]) == []


def test_limits_are_respected() -> None:
    message = Outgoing(title="T" * 400, text="word " * 2000, kind=Kind.RESULTS, footer="f" * 3000,
                       fields=[Field("n" * 300, "v" * 2000) for _ in range(40)])
    out = r.render(message)
    embed = out.embed
    assert embed is not None
    assert len(embed.title or "") <= 256
    assert len(embed.description or "") <= 4096
    assert len(embed.fields) <= 25
    assert all(len(f.name or "") <= 256 and len(f.value or "") <= 1024 for f in embed.fields)
    assert len(embed) <= 6000
    assert "more not shown" in (embed.footer.text or "")


def test_long_plain_text_becomes_an_embed_and_short_text_stays_content() -> None:
    assert r.render(Outgoing(text="x" * 1999)).content == "x" * 1999
    long = r.render(Outgoing(text="x" * 3000))
    assert long.content is None and long.embed is not None and len(long.embed.description or "") == 3000
    huge = r.render(Outgoing(text="x" * 9000))
    assert huge.embed is not None and len(huge.embed.description or "") <= 4096


def test_truncate_never_leaves_a_dangling_escape() -> None:
    text = r.escape("a" * 99 + "*" * 10)
    cut = r.truncate(text, 101)
    assert len(cut) <= 101 and not cut[:-1].endswith("\\")


def test_buttons_carry_the_core_command_and_forms_are_marked() -> None:
    message = Outgoing(text="Round 12 is open", buttons=[
        Button("join pro round:12", "Join pro", ButtonStyle.SUCCESS),
        Button("join con round:12", "Join con", ButtonStyle.DANGER),
        Button("speech", "Submit a speech", opens_form=True),
        Button("x" * 120, "Too long an id"),
    ] + [Button(f"vote pro round:{i}", f"Vote {i}") for i in range(30)])
    components = payload(message)["components"]
    buttons = [c for row in components for c in row["components"]]
    ids = [b["custom_id"] for b in buttons]
    assert ids[:3] == ["dbt:join pro round:12", "dbt:join con round:12", "dbf:speech"]
    assert all(len(i) <= 100 for i in ids)
    assert len(buttons) <= 25 and len(components) <= 5
    assert all(len(row["components"]) <= 5 for row in components)
    assert buttons[0]["style"] == discord.ButtonStyle.success.value


def test_image_is_attached_and_shown_in_the_embed() -> None:
    out = r.render(Outgoing(title="Stats", text="chart", image=Image("rating chart.png", b"\x89PNG...")))
    assert out.embed is not None and out.embed.image.url == "attachment://rating_chart.png"
    file = out.file()
    assert file is not None and file.filename == "rating_chart.png"
    assert out.kwargs()["file"].filename == "rating_chart.png"


def test_ephemeral_flag_is_passed_to_interaction_replies_only() -> None:
    out = r.render(Outgoing(text="only you", ephemeral=True))
    assert out.kwargs(interaction=True)["ephemeral"] is True
    assert "ephemeral" not in out.kwargs()
