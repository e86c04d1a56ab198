"""Outgoing → Discord: content or an embed, buttons, an attached image, safe mentions, Discord's limits.

Pure functions (no network), so they are unit-tested directly. Discord's limits: content 2000, embed
title 256, description 4096, field name 256, field value 1024, 25 fields, 6000 characters per embed in
all, footer 2048, button label 80, custom_id 100, 5 buttons a row and 5 rows.
"""

from __future__ import annotations

import io
import logging
import re
from dataclasses import dataclass, field
from typing import Any

import discord

from bot import chat
from bot.chat import Button, ButtonStyle, Kind, Outgoing

log = logging.getLogger(__name__)

CONTENT_MAX = 2000
TITLE_MAX = 256
DESCRIPTION_MAX = 4096
FIELD_NAME_MAX = 256
FIELD_VALUE_MAX = 1024
FIELDS_MAX = 25
EMBED_TOTAL_MAX = 6000
FOOTER_MAX = 2048
LABEL_MAX = 80
CUSTOM_ID_MAX = 100
BUTTONS_MAX = 25

# custom_id prefixes: a plain button (its id is a core command in text form) or one that opens a modal.
ACTION_PREFIX = "dbt:"
FORM_PREFIX = "dbf:"
MODAL_PREFIX = "dbm:"
BOT_MENTION_ID = "__bot__"  # the core's external id for the bot itself (repo.bot_user)

COLOURS: dict[Kind, discord.Colour] = {
    Kind.INFO: discord.Colour.blurple(),
    Kind.ERROR: discord.Colour.red(),
    Kind.SUCCESS: discord.Colour.green(),
    Kind.ANNOUNCE: discord.Colour.gold(),
    Kind.TURN: discord.Colour.orange(),
    Kind.SPEECH: discord.Colour.light_grey(),
    Kind.RESULTS: discord.Colour.purple(),
}
STYLES: dict[ButtonStyle, discord.ButtonStyle] = {
    ButtonStyle.PRIMARY: discord.ButtonStyle.primary,
    ButtonStyle.SECONDARY: discord.ButtonStyle.secondary,
    ButtonStyle.SUCCESS: discord.ButtonStyle.success,
    ButtonStyle.DANGER: discord.ButtonStyle.danger,
}
_SNOWFLAKE = re.compile(r"^\d{15,21}$")


def escape(text: str) -> str:
    """Escape user text: no markdown tricks, no @everyone/@here/user/role pings."""
    return discord.utils.escape_mentions(discord.utils.escape_markdown(text))


def truncate(text: str, limit: int) -> str:
    """Cut to `limit` characters, preferring a word boundary, never leaving a dangling backslash."""
    if len(text) <= limit:
        return text
    cut = text[: max(0, limit - 1)]
    space = cut.rfind(" ")
    if space > limit * 0.8:
        cut = cut[:space]
    return cut.rstrip("\\") + "…"


@dataclass(slots=True)
class Mentions:
    """User ids mentioned by the bot itself (never from user text)."""

    ids: list[int] = field(default_factory=list)


def render_text(text: str, mentions: Mentions | None = None, bot_id: int | None = None) -> str:
    """Substitute chat markers: escaped user text, <t:UNIX:R> timestamps, <@id> mentions."""

    def mention(external_id: str) -> str:
        if external_id == BOT_MENTION_ID and bot_id:
            return f"<@{bot_id}>"
        if _SNOWFLAKE.match(external_id):
            if mentions is not None:
                mentions.ids.append(int(external_id))
            return f"<@{external_id}>"
        return "@" + escape(external_id)

    return chat.render(text, escape=escape, time=lambda t: f"<t:{t}:R>", mention_fmt=mention)


class StaticView(discord.ui.View):
    """Buttons only: clicks are routed by custom_id in `on_interaction`, so nothing is kept in memory."""

    def __init__(self) -> None:
        super().__init__(timeout=None)

    def is_finished(self) -> bool:  # not stored in discord.py's view store
        return True


def button_custom_id(button: Button) -> str | None:
    custom_id = (FORM_PREFIX if button.opens_form else ACTION_PREFIX) + button.id
    if len(custom_id) > CUSTOM_ID_MAX:
        log.warning("button id too long for Discord, dropped: %s", button.id)
        return None
    return custom_id


def build_view(buttons: list[Button]) -> StaticView | None:
    if not buttons:
        return None
    view = StaticView()
    for index, button in enumerate(buttons[:BUTTONS_MAX]):
        custom_id = button_custom_id(button)
        if custom_id is None:
            continue
        view.add_item(discord.ui.Button(label=truncate(chat.plain(button.label), LABEL_MAX) or "…",
                                        style=STYLES.get(button.style, discord.ButtonStyle.secondary),
                                        custom_id=custom_id, row=index // 5))
    return view if view.children else None


@dataclass(slots=True)
class Rendered:
    """Keyword arguments for `send`/`followup.send`/`response.send_message`."""

    content: str | None = None
    embed: discord.Embed | None = None
    view: StaticView | None = None
    image: chat.Image | None = None
    allowed_mentions: discord.AllowedMentions = field(default_factory=discord.AllowedMentions.none)
    ephemeral: bool = False

    def file(self) -> discord.File | None:
        # a File is consumed by one send, so build a fresh one each time
        if self.image is None:
            return None
        return discord.File(io.BytesIO(self.image.data), filename=self.image.filename)

    def kwargs(self, *, interaction: bool = False, edit: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {"allowed_mentions": self.allowed_mentions}
        if self.content is not None or edit:
            out["content"] = self.content
        if self.embed is not None or edit:
            out["embed"] = self.embed
        if self.view is not None or edit:
            out["view"] = self.view
        file = self.file()
        if file is not None:
            out["attachments" if edit else "file"] = [file] if edit else file
        if interaction and not edit:
            out["ephemeral"] = self.ephemeral
        return out


def _image_name(image: chat.Image) -> str:
    name = re.sub(r"[^\w.\-]", "_", image.filename) or "image.png"
    return name[:100]


def _embed_size(embed: discord.Embed) -> int:
    return len(embed)


def render(message: Outgoing, *, bot_id: int | None = None) -> Rendered:
    """Render a neutral message for Discord, within every limit."""
    mentions = Mentions()
    text = render_text(message.text, mentions, bot_id)
    title = render_text(message.title, mentions, bot_id) if message.title else None
    out = Rendered(view=build_view(message.buttons), ephemeral=message.ephemeral)
    image = message.image
    if image is not None:
        image = chat.Image(filename=_image_name(image), data=image.data, mime=image.mime)
        out.image = image
    plain_reply = (not title and not message.fields and not message.footer and image is None
                   and message.kind in (Kind.INFO, Kind.ERROR, Kind.SUCCESS) and len(text) <= CONTENT_MAX)
    if plain_reply:
        out.content = text or "…"
    else:
        embed = discord.Embed(title=truncate(title, TITLE_MAX) if title else None,
                              description=truncate(text, DESCRIPTION_MAX) if text else None,
                              colour=COLOURS.get(message.kind, discord.Colour.blurple()))
        for item in message.fields[:FIELDS_MAX]:
            name = truncate(render_text(item.name, mentions, bot_id), FIELD_NAME_MAX) or "\u200b"
            value = truncate(render_text(item.value, mentions, bot_id), FIELD_VALUE_MAX) or "\u200b"
            if _embed_size(embed) + len(name) + len(value) > EMBED_TOTAL_MAX - 200:
                embed.set_footer(text=f"… {len(message.fields) - len(embed.fields)} more not shown")
                break
            embed.add_field(name=name, value=value, inline=item.inline)
        if message.footer and embed.footer.text is None:
            footer = truncate(chat.plain(render_text(message.footer, None, bot_id)), FOOTER_MAX)
            if _embed_size(embed) + len(footer) <= EMBED_TOTAL_MAX:
                embed.set_footer(text=footer)
        if _embed_size(embed) > EMBED_TOTAL_MAX and embed.description:
            overflow = _embed_size(embed) - EMBED_TOTAL_MAX
            embed.description = truncate(embed.description, max(1, len(embed.description) - overflow - 1))
        if image is not None:
            embed.set_image(url=f"attachment://{image.filename}")
        out.embed = embed
        # Embeds never ping; for a turn change, ping the bot-chosen speaker(s) in the content line.
        if message.kind == Kind.TURN and mentions.ids:
            out.content = " ".join(f"<@{uid}>" for uid in dict.fromkeys(mentions.ids))
            out.allowed_mentions = discord.AllowedMentions(
                everyone=False, roles=False, replied_user=False,
                users=[discord.Object(id=uid) for uid in dict.fromkeys(mentions.ids)])
    return out
