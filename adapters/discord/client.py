"""The Discord bot: `/debate` generated from the command table, buttons, modals, speeches as messages.

The adapter only translates. Interactions, button clicks and messages become `Incoming`; the
`Outgoing` replies are rendered by `render.py`. The first reply answers the interaction (or edits the
deferred "thinking…" message); later replies are follow-ups; replies addressed to another place (a
round's thread) and every timed message go through the bot token (`DiscordMessenger`), because
interaction tokens expire after 15 minutes.
"""

from __future__ import annotations

import asyncio
import gc
import inspect
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Optional

import aiohttp
import discord
from discord import app_commands
from discord.ext import commands as ext_commands

from adapters.discord.render import (
    ACTION_PREFIX,
    FORM_PREFIX,
    MODAL_PREFIX,
    Rendered,
    render,
    truncate,
)
from bot import chat, commands, hygiene
from bot.chat import Incoming, Outgoing, Place, Server, User
from bot.config import Settings
from bot.ports import Clock
from bot.service import DebateService

log = logging.getLogger(__name__)

# Commands that may take a while (engine, charts, round set-up): defer first, answer within 3 s.
SLOW_COMMANDS = frozenset({"practice", "start", "schedule", "speech", "stats", "article", "config", "motions"})
DISCORD_STR_MAX = 6000  # Discord's max_length for a string option
MODAL_TEXT_MAX = 4000
EPHEMERAL_REPLY_SECONDS = 30.0  # a "private" reply to a chat message is deleted after this  # Discord's max_length for a modal text input
GROUP_DESCRIPTION = "Debate practice: spar with the bot, run timed rounds, vote and climb the leaderboard."


# --------------------------------------------------------------------------------------------------
# Messenger: messages outside a command's reply, with the bot token
# --------------------------------------------------------------------------------------------------
class DiscordMessenger:
    def __init__(self, bot: discord.Client) -> None:
        self.bot = bot

    def _bot_id(self) -> int | None:
        return self.bot.user.id if self.bot.user else None

    def _channel(self, server: Server, place: Place) -> discord.PartialMessageable:
        return self.bot.get_partial_messageable(int(place.thread_id or place.channel_id),
                                                guild_id=int(server.external_id))

    async def send(self, server: Server, place: Place, message: Outgoing) -> str:
        rendered = render(message, bot_id=self._bot_id())
        sent = await self._channel(server, place).send(**rendered.kwargs())
        return str(sent.id)

    @staticmethod
    def describe_error(exc: BaseException) -> str | None:
        """One line for a call Discord refused after discord.py's own retries (its HTTP client waits out a
        429's `retry_after` and retries 500/502/504 up to five tries); None for anything else (a bug keeps
        its traceback)."""
        if isinstance(exc, discord.HTTPException):
            text = " ".join(str(exc.text or "").split()) or "no message"
            return f"Discord answered HTTP {exc.status} (code {exc.code}): {text}"
        if isinstance(exc, discord.RateLimited):
            return f"Discord asked to wait {exc.retry_after:.1f} s, longer than the bot waits"
        if isinstance(exc, aiohttp.ClientError | asyncio.TimeoutError):
            return f"no answer from Discord: {type(exc).__name__}: {exc}"
        return None

    async def edit(self, server: Server, place: Place, message_id: str, message: Outgoing) -> None:
        rendered = render(message, bot_id=self._bot_id())
        await self._channel(server, place).get_partial_message(int(message_id)).edit(**rendered.kwargs(edit=True))

    async def open_thread(self, server: Server, place: Place, name: str) -> Place:
        """A public thread under the channel; falls back to the channel if Discord refuses."""
        if place.thread_id:
            return place
        try:
            channel = self.bot.get_channel(int(place.channel_id)) or await self.bot.fetch_channel(int(place.channel_id))
            if isinstance(channel, discord.TextChannel):
                thread = await channel.create_thread(name=truncate(chat.plain(name), 100) or "debate",
                                                     type=discord.ChannelType.public_thread,
                                                     auto_archive_duration=1440)
                return Place(channel_id=place.channel_id, thread_id=str(thread.id))
        except discord.HTTPException as exc:
            log.warning("could not open a thread in %s: %s", place.channel_id, exc)
        return place


# --------------------------------------------------------------------------------------------------
# Translation: Discord objects → neutral types
# --------------------------------------------------------------------------------------------------
def server_of(guild_id: int, guild: discord.Guild | None) -> Server:
    return Server(platform="discord", external_id=str(guild_id), name=guild.name if guild else "")


def place_of(channel: Any, channel_id: int | None) -> Place:
    if isinstance(channel, discord.Thread) and channel.parent_id:
        return Place(channel_id=str(channel.parent_id), thread_id=str(channel.id))
    return Place(channel_id=str(channel_id if channel_id is not None else getattr(channel, "id", "")))


def is_admin(permissions: discord.Permissions) -> bool:
    return permissions.manage_guild or permissions.administrator


def user_of(user: discord.abc.User, permissions: discord.Permissions | None) -> User:
    return User(platform="discord", external_id=str(user.id), display_name=user.display_name,
                is_admin=bool(permissions and is_admin(permissions)), is_bot=user.bot)


def incoming_from_interaction(interaction: discord.Interaction, **fields: Any) -> Incoming:
    assert interaction.guild_id is not None
    return Incoming(server=server_of(interaction.guild_id, interaction.guild),
                    user=user_of(interaction.user, interaction.permissions),
                    place=place_of(interaction.channel, interaction.channel_id),
                    event_id=f"i{interaction.id}", at=interaction.created_at, **fields)


def option_value(value: Any) -> Any:
    if isinstance(value, discord.abc.User):
        return str(value.id)  # a user option is passed to the core as the user's external id
    if isinstance(value, app_commands.Choice):
        return value.value
    return value


def form_incoming(base: Incoming, action_id: str, text: str) -> Incoming:
    """A modal submit: the form button's command, its `name:value` options, and the typed text."""
    command, options = commands.parse_partial(action_id)  # the core's one `name:value` parser
    text_option = next((o for o in command.options if o.rest or o.name == "text"), None)
    if text_option is None:
        raise commands.UsageError(f"`{command.name}` takes no text.", command)
    options[text_option.name] = text
    base.command, base.options = command.name, options
    return base


class StaticModal(discord.ui.Modal):
    """A speech form; the submit is routed by custom_id in `on_interaction`, nothing is kept in memory."""

    def __init__(self, action_id: str, label: str, max_length: int) -> None:
        super().__init__(title="Your speech", custom_id=MODAL_PREFIX + action_id, timeout=None)
        self.add_item(discord.ui.TextInput(label=truncate(label, 45), custom_id="text",
                                           style=discord.TextStyle.paragraph, max_length=max_length,
                                           placeholder="Write your whole speech here."))

    def is_finished(self) -> bool:
        return True


def modal_text(data: dict[str, Any]) -> str:
    """The first text input's value in a modal submit payload (rows or labelled components)."""
    stack = list(data.get("components", []))
    while stack:
        item = stack.pop(0)
        if item.get("type") == 4 and "value" in item:
            return str(item["value"])
        stack[:0] = list(item.get("components", [])) + ([item["component"]] if "component" in item else [])
    return ""


# --------------------------------------------------------------------------------------------------
# The /debate group, generated from bot.commands.COMMANDS
# --------------------------------------------------------------------------------------------------
def _annotation(option: commands.Option) -> Any:
    if option.type == "int":
        base: Any = int
        if option.min_value is not None or option.max_value is not None:
            base = app_commands.Range[int, option.min_value, option.max_value]
    elif option.type == "user":
        base = discord.User
    else:
        base = app_commands.Range[str, None, min(option.max_length, DISCORD_STR_MAX)]
    return base if option.required else Optional[base]  # noqa: UP045 - discord.py reads typing.Optional


def build_group(bot: DebateBot) -> app_commands.Group:
    group = app_commands.Group(name=commands.ROOT.lstrip("/"), description=GROUP_DESCRIPTION, guild_only=True)
    for command in commands.COMMANDS:
        group.add_command(build_command(bot, command))
    return group


def build_command(bot: DebateBot, command: commands.Command) -> app_commands.Command[Any, ..., Any]:
    async def callback(interaction: discord.Interaction, **options: Any) -> None:
        await bot.run_command(interaction, command, options)

    params = [inspect.Parameter("interaction", inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                annotation=discord.Interaction)]
    for option in sorted(command.options, key=lambda o: not o.required):  # Discord: required first
        params.append(inspect.Parameter(option.name, inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                        annotation=_annotation(option),
                                        default=inspect.Parameter.empty if option.required else None))
    callback.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    callback.__name__ = callback.__qualname__ = f"debate_{command.name}"

    descriptions = {o.name: truncate(o.description, 100) or o.name for o in command.options}
    if descriptions:
        app_commands.describe(**descriptions)(callback)
    choices = {o.name: [app_commands.Choice(name=c, value=c) for c in o.choices[:25]]
               for o in command.options if o.choices}
    if choices:
        app_commands.choices(**choices)(callback)
    completers = {o.name: bot.completer(o) for o in command.options if o.autocomplete and not o.choices}
    if completers:
        app_commands.autocomplete(**completers)(callback)
    return app_commands.Command(name=command.name, description=truncate(command.description, 100),
                                callback=callback)


# --------------------------------------------------------------------------------------------------
# The bot
# --------------------------------------------------------------------------------------------------
class DebateBot(ext_commands.Bot):
    def __init__(self, settings: Settings, *, service: DebateService | None = None, start_service: bool = True,
                 freeze_heap: bool = False, clock: Clock | None = None, **options: Any) -> None:
        intents = discord.Intents.default()
        intents.message_content = True  # privileged: speeches are the speaker's messages in the round thread
        options.setdefault("allowed_mentions", discord.AllowedMentions.none())
        super().__init__(command_prefix=ext_commands.when_mentioned, intents=intents, help_command=None, **options)
        self.settings = settings
        self.messenger = DiscordMessenger(self)
        self.service = service or DebateService(settings, self.messenger, platform="discord", clock=clock,
                                                run_scheduler=settings.role in ("all", "scheduler"))
        self.start_service = start_service
        self.freeze_heap = freeze_heap
        self._service_started = False
        self.group = build_group(self)
        self.tree.add_command(self.group)
        self.tree.on_error = self.on_app_command_error  # type: ignore[method-assign]

    # -- lifecycle -------------------------------------------------------------------------------
    async def setup_hook(self) -> None:
        if self.start_service:
            await self.service.start()
            self._service_started = True
        if self.freeze_heap:
            # Everything loaded so far (discord.py, SQLAlchemy, pydantic, the command tree, the service) is
            # about 100k long-lived objects. Left to the collector, every full (gen 2) collection walks all of
            # them: a 20-55 ms pause that lands in the middle of a burst of interactions. Frozen, collections
            # only scan objects made after start-up. Only for a process that runs one bot (`run`), not tests.
            gc.collect()
            gc.freeze()

    async def close(self) -> None:
        await super().close()
        if self._service_started:
            self._service_started = False
            await self.service.stop()

    @property
    def bot_id(self) -> int | None:
        return self.user.id if self.user else None

    def render(self, message: Outgoing) -> Rendered:
        return render(message, bot_id=self.bot_id)

    # -- slash commands ----------------------------------------------------------------------------
    async def run_command(self, interaction: discord.Interaction, command: commands.Command,
                          options: dict[str, Any]) -> None:
        values = {k: option_value(v) for k, v in options.items() if v is not None}
        incoming = incoming_from_interaction(interaction, command=command.name, options=values)
        try:
            hygiene.check_ids(command, values)  # Discord's integer option goes up to 2^53
        except commands.UsageError as exc:
            await self.deliver(interaction, incoming, [Outgoing(text=exc.reply, kind=chat.Kind.ERROR, ephemeral=True)])
            return
        await self.answer(interaction, incoming, defer=command.name in SLOW_COMMANDS)

    def completer(self, option: commands.Option) -> Callable[..., Awaitable[list[app_commands.Choice[Any]]]]:
        kind = option.autocomplete or ""
        as_int = option.type == "int"

        async def complete(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[Any]]:
            if interaction.guild_id is None:
                return []
            try:
                items = self.service.autocomplete(server_of(interaction.guild_id, interaction.guild), kind,
                                                  str(current or ""))
            except Exception:
                log.exception("autocomplete failed")
                return []
            out: list[app_commands.Choice[Any]] = []
            for label, value in items[:25]:
                if as_int:
                    try:
                        out.append(app_commands.Choice(name=truncate(str(label), 100), value=int(value)))
                    except (TypeError, ValueError):
                        continue
                else:
                    out.append(app_commands.Choice(name=truncate(str(label), 100) or str(value)[:100],
                                                   value=str(value)[:100]))
            return out

        return complete

    async def on_app_command_error(self, interaction: discord.Interaction,
                                   error: app_commands.AppCommandError) -> None:
        if isinstance(error, app_commands.TransformerError):
            text = f"`{error.value!s:.50}` doesn't fit this option. Type `{commands.ROOT} help` for the options."
        elif isinstance(error, app_commands.CommandNotFound):
            text = f"That command isn't known here any more. Type `{commands.ROOT} help`."
        else:
            log.error("app command failed", exc_info=error)
            text = "Something went wrong on our side; nothing was changed. Please try again."
        await self.deliver(interaction, None, [Outgoing(text=text, kind=chat.Kind.ERROR, ephemeral=True)])

    # -- buttons and modals ----------------------------------------------------------------------
    async def on_interaction(self, interaction: discord.Interaction) -> None:
        if interaction.type not in (discord.InteractionType.component, discord.InteractionType.modal_submit) \
                or interaction.guild_id is None:
            return  # slash commands and autocomplete are routed by the command tree
        data: dict[str, Any] = dict(interaction.data or {})
        custom_id = str(data.get("custom_id", ""))
        if interaction.type is discord.InteractionType.component:
            if custom_id.startswith(ACTION_PREFIX):
                action_id = custom_id[len(ACTION_PREFIX):]
                incoming = incoming_from_interaction(interaction, action_id=action_id)
                try:
                    hygiene.check_text(action_id)
                except commands.UsageError as exc:
                    await self.deliver(interaction, incoming,
                                       [Outgoing(text=exc.reply, kind=chat.Kind.ERROR, ephemeral=True)])
                    return
                await self.answer(interaction, incoming, defer=action_id.split(" ", 1)[0] in SLOW_COMMANDS,
                                  component=True)
            elif custom_id.startswith(FORM_PREFIX):
                await self.open_form(interaction, custom_id[len(FORM_PREFIX):])
        elif interaction.type is discord.InteractionType.modal_submit and custom_id.startswith(MODAL_PREFIX):
            base = incoming_from_interaction(interaction)
            try:
                incoming = form_incoming(base, custom_id[len(MODAL_PREFIX):], modal_text(data))
            except commands.UsageError as exc:
                await self.deliver(interaction, base, [Outgoing(text=exc.reply, kind=chat.Kind.ERROR, ephemeral=True)])
                return
            await self.answer(interaction, incoming, defer=True)

    async def open_form(self, interaction: discord.Interaction, action_id: str) -> None:
        try:
            command = commands.get(action_id.split(" ", 1)[0].lower())
        except commands.UsageError as exc:
            await self.deliver(interaction, None, [Outgoing(text=exc.reply, kind=chat.Kind.ERROR, ephemeral=True)])
            return
        option = next((o for o in command.options if o.rest or o.name == "text"), None)
        limit = min(option.max_length if option else MODAL_TEXT_MAX, MODAL_TEXT_MAX)
        label = "Your speech" if command.name == "speech" else (option.name if option else "text")
        await interaction.response.send_modal(StaticModal(action_id, label, limit))

    # -- answering -------------------------------------------------------------------------------
    async def answer(self, interaction: discord.Interaction, incoming: Incoming, *, defer: bool,
                     component: bool = False) -> None:
        if defer and not interaction.response.is_done():
            await interaction.response.defer(thinking=True)
        replies = await self.service.handle(incoming)
        await self.deliver(interaction, incoming, replies, component=component)

    async def deliver(self, interaction: discord.Interaction, incoming: Incoming | None,
                      replies: list[Outgoing], *, component: bool = False) -> None:
        """Send replies: the interaction response first, then follow-ups; other places via the bot token."""
        thinking = interaction.response.is_done() and interaction.response.type is \
            discord.InteractionResponseType.deferred_channel_message
        try:
            for message in replies:
                if incoming is not None and message.place is not None and message.place != incoming.place:
                    await self.messenger.send(incoming.server, message.place, message)
                    continue
                rendered = self.render(message)
                if not interaction.response.is_done():
                    await interaction.response.send_message(**rendered.kwargs(interaction=True))
                elif thinking:
                    thinking = False
                    if rendered.ephemeral:  # the deferred message is public: swap it for a private one
                        await interaction.delete_original_response()
                        await interaction.followup.send(**rendered.kwargs(interaction=True))
                    else:
                        await interaction.edit_original_response(**rendered.kwargs(edit=True))
                else:
                    await interaction.followup.send(**rendered.kwargs(interaction=True))
            if not interaction.response.is_done():
                if component:
                    await interaction.response.defer()  # acknowledge a click that needs no reply
                else:
                    await interaction.response.send_message("Done.", ephemeral=True)
            elif thinking:
                await interaction.delete_original_response()
        except discord.HTTPException as exc:
            log.warning("could not answer interaction %s: %s", interaction.id, exc)

    # -- chat messages (speeches in a round's thread) ----------------------------------------------
    async def on_message(self, message: discord.Message) -> None:
        if message.author.bot or message.guild is None or not message.content:
            return
        permissions = message.author.guild_permissions if isinstance(message.author, discord.Member) else None
        incoming = Incoming(server=server_of(message.guild.id, message.guild),
                            user=user_of(message.author, permissions),
                            place=place_of(message.channel, message.channel.id),
                            text=message.content, event_id=f"m{message.id}", at=message.created_at,
                            order_key=message.id)  # a snowflake: the order Discord gave the messages
        replies = await self.service.handle(incoming)
        for reply in replies:
            try:
                if reply.ephemeral and reply.place in (None, incoming.place):
                    # a message can't get a private reply: answer it briefly, without a ping, then tidy up
                    await message.reply(**self.render(reply).kwargs(), mention_author=False,
                                        delete_after=EPHEMERAL_REPLY_SECONDS)
                else:
                    await self.messenger.send(incoming.server, reply.place or incoming.place, reply)
            except discord.HTTPException as exc:
                log.warning("could not reply to message %s: %s", message.id, exc)

