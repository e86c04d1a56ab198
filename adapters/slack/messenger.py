"""The core's `Messenger` port on Slack: chat.postMessage / chat.update with the bot token.

`response_url` expires after 30 minutes and 5 uses, so everything a round posts over time goes
through the bot token. A Slack thread is a message's `thread_ts`. `chat.update` is rate limited
(about one per second per message is safe), so edits to one message are coalesced: the latest
version wins and is sent once the interval has passed.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import render
from bot import chat
from bot.chat import Image, Outgoing, Place, Server

log = logging.getLogger(__name__)


@dataclass
class _UpdateState:
    last: float = float("-inf")
    pending: Outgoing | None = None
    task: asyncio.Task[None] | None = None
    channel: str = ""
    ts: str = ""


@dataclass
class SlackMessenger:
    client: AsyncWebClient
    update_interval: float = 1.0  # seconds between two chat.update calls on one message
    _updates: dict[tuple[str, str], _UpdateState] = field(default_factory=dict)

    async def send(self, server: Server, place: Place, message: Outgoing) -> str:
        response = await self.client.chat_postMessage(
            channel=place.channel_id, thread_ts=place.thread_id, unfurl_links=False, unfurl_media=False,
            **render.payload(message))
        ts = str(response["ts"])
        if message.image:
            await self.upload(place, message.image)
        return ts

    @staticmethod
    def describe_error(exc: BaseException) -> str | None:
        """One line for a call Slack refused after the client's retries (`SlackApiError`, a lost connection);
        None for anything else (a bug keeps its traceback)."""
        if isinstance(exc, SlackApiError):
            # usually a SlackResponse; an aiohttp response when Slack's body was not JSON
            status = getattr(exc.response, "status_code", None) or getattr(exc.response, "status", "?")
            data = getattr(exc.response, "data", None)
            error = data.get("error") if isinstance(data, dict) else None
            return f"Slack answered HTTP {status}: {error or 'no error code'}"
        if isinstance(exc, aiohttp.ClientError | asyncio.TimeoutError):
            return f"no answer from Slack: {type(exc).__name__}: {exc}"
        return None

    async def upload(self, place: Place, image: Image, comment: str | None = None) -> None:
        """Attach an image with the current upload API (files.getUploadURLExternal + complete)."""
        try:
            await self.client.files_upload_v2(channel=place.channel_id, thread_ts=place.thread_id,
                                              content=image.data, filename=image.filename,
                                              title=image.filename, initial_comment=comment)
        except SlackApiError as exc:
            log.warning("image upload failed: %s", exc.response.get("error"))

    async def edit(self, server: Server, place: Place, message_id: str, message: Outgoing) -> None:
        key = (place.channel_id, message_id)
        state = self._updates.setdefault(key, _UpdateState(channel=place.channel_id, ts=message_id))
        loop = asyncio.get_running_loop()
        wait = state.last + self.update_interval - loop.time()
        if wait <= 0 and state.task is None:
            state.last = loop.time()
            await self._update(state.channel, state.ts, message)
            return
        state.pending = message  # coalesce: only the newest version is sent
        if state.task is None:
            state.task = asyncio.create_task(self._flush_later(key, max(wait, 0.0)))

    async def _flush_later(self, key: tuple[str, str], wait: float) -> None:
        await asyncio.sleep(wait)
        state = self._updates[key]
        message, state.pending, state.task = state.pending, None, None
        state.last = asyncio.get_running_loop().time()
        if message is not None:
            await self._update(state.channel, state.ts, message)

    async def _update(self, channel: str, ts: str, message: Outgoing) -> None:
        try:
            await self.client.chat_update(channel=channel, ts=ts, **render.payload(message))
        except SlackApiError as exc:
            log.warning("chat.update failed: %s", exc.response.get("error"))

    async def flush(self) -> None:
        """Send every coalesced edit now (on shutdown)."""
        for key, state in list(self._updates.items()):
            if state.task is not None:
                state.task.cancel()
                message, state.pending, state.task = state.pending, None, None
                if message is not None:
                    await self._update(key[0], key[1], message)

    async def open_thread(self, server: Server, place: Place, name: str) -> Place:
        """Slack threads hang off a message: post the thread's title and return its `thread_ts`."""
        if place.thread_id:
            return place
        response = await self.client.chat_postMessage(
            channel=place.channel_id, text=f":speech_balloon: *{render.mrkdwn(chat.truncate(name, 200))}*")
        return Place(channel_id=place.channel_id, thread_id=str(response["ts"]))
