"""Entry points for `debate-bot run discord` and `debate-bot discord sync`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import discord
import yarl
from discord.ext import commands as ext_commands

from adapters.discord.client import DebateBot
from bot.config import Settings

log = logging.getLogger(__name__)


def configure_endpoints(settings: Settings) -> None:
    """Point discord.py at DISCORD_API_BASE / DISCORD_GATEWAY_URL (a proxy or a local fake Discord).

    These are the two redirect points discord.py 2.7 has: `Route.BASE` (REST, webhooks, interaction
    callbacks) and `DiscordWebSocket.DEFAULT_GATEWAY` (a plain Client never asks /gateway/bot).
    tests/discord/test_redirect.py fails loudly if a future discord.py moves them.
    """
    if settings.discord_api_base:
        discord.http.Route.BASE = settings.discord_api_base.rstrip("/")
    if settings.discord_gateway_url:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.discord_gateway_url)


def _token(settings: Settings) -> str:
    assert settings.discord_token is not None, "DISCORD_TOKEN is required"
    return settings.discord_token.get_secret_value()


class ShardedDebateBot(DebateBot, ext_commands.AutoShardedBot):
    """The Discord bot as `AutoShardedBot`: this process runs the shards DISCORD_SHARD_IDS of
    DISCORD_SHARD_COUNT (several gateway processes split the guilds; one of them wins the scheduler lock)."""


def make_bot(settings: Settings, **options: Any) -> DebateBot:
    """The bot for `run discord`: sharded when DISCORD_SHARD_COUNT or DISCORD_SHARD_IDS is set."""
    if settings.discord_shard_count or settings.shard_ids:
        return ShardedDebateBot(settings, shard_count=settings.discord_shard_count,
                                shard_ids=settings.shard_ids, **options)
    return DebateBot(settings, **options)


def run(settings: Settings) -> None:
    """Connect and serve until interrupted, with /healthz, /readyz and /metrics on OPS_PORT. Commands are not
    re-synced here: use `debate-bot discord sync`."""
    configure_endpoints(settings)
    bot = make_bot(settings, freeze_heap=True)

    async def main() -> None:
        async with bot:
            from adapters import ops

            runner = await ops.serve(bot.service, "0.0.0.0", settings.ops_port) if settings.ops_port else None
            try:
                await bot.start(_token(settings))
            finally:
                if runner is not None:
                    await runner.cleanup()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())


async def sync_commands(settings: Settings) -> list[str]:
    """Sync /debate to DISCORD_GUILD_IDS (instant) or globally (may take up to an hour to show)."""
    configure_endpoints(settings)
    bot = DebateBot(settings, start_service=False)
    lines: list[str] = []
    async with bot:
        await bot.login(_token(settings))
        if settings.guild_ids:
            for guild_id in settings.guild_ids:
                guild = discord.Object(id=guild_id)
                bot.tree.copy_global_to(guild=guild)
                synced = await bot.tree.sync(guild=guild)
                lines.append(f"synced {_describe(synced)} to guild {guild_id}")
        else:
            synced = await bot.tree.sync()
            lines.append(f"synced {_describe(synced)} globally (new commands can take a while to appear)")
    return lines


def _describe(synced: list[discord.app_commands.AppCommand]) -> str:
    subcommands = sum(len(c.options) for c in synced)
    return f"{len(synced)} command(s) ({', '.join('/' + c.name for c in synced)}; {subcommands} subcommands)"


def sync(settings: Settings) -> None:
    for line in asyncio.run(sync_commands(settings)):
        print(line)
