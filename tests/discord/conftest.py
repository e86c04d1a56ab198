"""Fixtures: a fake Discord on 127.0.0.1 and the real bot (discord.py) connected to it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator

import discord
import pytest
from pydantic import SecretStr

from adapters.discord.client import DebateBot
from adapters.discord.runner import configure_endpoints
from bot.config import Settings
from bot.ports import Clock
from tests.fakes.discord_fake import FakeDiscord


@pytest.fixture
def redirect_points() -> Iterator[None]:
    """Restore discord.py's two redirect points after a test moved them."""
    saved = discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    yield
    discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = saved


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord() as server:
        yield server


@pytest.fixture
def discord_settings(settings: Settings, fake: FakeDiscord) -> Settings:
    return settings.model_copy(update={
        "discord_token": SecretStr(fake.token), "discord_api_base": fake.api_base,
        "discord_gateway_url": fake.gateway_url, "discord_guild_ids": fake.guild_id})


async def connect(bot: discord.Client, token: str) -> asyncio.Task[None]:
    """Log in and connect; fail with the connection task's own exception if it dies (parser errors are silent)."""
    await bot.login(token)
    task = asyncio.create_task(bot.connect(reconnect=False))
    ready = asyncio.create_task(bot.wait_until_ready())
    done, _ = await asyncio.wait({task, ready}, timeout=15, return_when=asyncio.FIRST_COMPLETED)
    if task in done:
        ready.cancel()
        task.result()  # raises what ended the connection
        raise AssertionError("the bot's connection ended before READY")
    if ready not in done:
        raise AssertionError("the bot did not become ready on the fake Discord")
    return task


async def disconnect(bot: discord.Client, task: asyncio.Task[None]) -> None:
    await bot.close()
    with contextlib.suppress(discord.ConnectionClosed):
        await asyncio.wait_for(task, 5)


@contextlib.asynccontextmanager
async def running_bot(settings: Settings, fake: FakeDiscord, clock: Clock | None = None) -> AsyncIterator[DebateBot]:
    """The real bot connected to the fake; re-raises the connection task's exception (parser errors are silent)."""
    configure_endpoints(settings)
    client = DebateBot(settings, guild_ready_timeout=0.05, clock=clock)
    task = await connect(client, fake.token)
    try:
        yield client
    finally:
        failed = task.done() and not task.cancelled() and task.exception() is not None
        await disconnect(client, task)
        if failed:
            raise task.exception()  # type: ignore[misc]


@pytest.fixture
async def bot(discord_settings: Settings, fake: FakeDiscord, redirect_points: None) -> AsyncIterator[DebateBot]:
    async with running_bot(discord_settings, fake) as client:
        yield client
