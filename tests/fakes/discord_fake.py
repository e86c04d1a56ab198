"""A small fake Discord on 127.0.0.1: REST v10 and a JSON gateway on one aiohttp server.

Enough of Discord for the real discord.py to log in, connect, receive a guild, sync app commands,
answer interactions (responses, deferrals, follow-ups, modals, autocomplete), post messages and files,
and open threads. Tests, benchmarks and people drive it:

    fake = FakeDiscord(); await fake.start()          # fake.api_base / fake.gateway_url for the bot
    await fake.wait_ready()
    rec = await fake.slash("help", user="alice"); await rec.wait_response()
    python -m tests.fakes.discord_fake --port 8090    # by hand; then type commands at the prompt

Platform errors: ``fake.fail_next(times=1, status=429)`` makes the next create-message call(s) answer as
Discord does when it rate limits (429, JSON ``retry_after`` and ``global``, ``Retry-After`` and
``X-RateLimit-*`` headers) or fails (500, 503, ...); another endpoint by ``method`` and ``path`` (a regex on
the path after ``/api/v10``). Refused calls are listed in ``fake.refused``; they never create anything.

Facts learned from discord.py 2.7: JSON must be served as exactly `application/json`; members need
`flags`; a plain Client never asks `/gateway/bot`; callbacks with `with_response` return the
interaction and its resource; plain text frames work (no zlib).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any

from aiohttp import WSMsgType, web

from tests.fakes.server import new_app, start_app

TOKEN = "fake-discord-token"
EPOCH_MS = 1420070400000
MANAGE_GUILD = 1 << 5
ADMINISTRATOR = 1 << 3
MEMBER_PERMISSIONS = (1 << 10) | (1 << 11) | (1 << 14) | (1 << 15) | (1 << 16) | (1 << 31) | (1 << 38)
ADMIN_PERMISSIONS = (1 << 51) - 1
BOT_PERMISSIONS = MEMBER_PERMISSIONS | (1 << 35) | (1 << 34)  # + create public threads, manage threads
# Response types of an interaction callback
PONG, MESSAGE, DEFERRED_MESSAGE, DEFERRED_UPDATE, UPDATE_MESSAGE, AUTOCOMPLETE, MODAL = 1, 4, 5, 6, 7, 8, 9
EPHEMERAL, LOADING = 1 << 6, 1 << 7
_USER_PING = re.compile(r"<@!?(\d+)>")
_ROLE_PING = re.compile(r"<@&(\d+)>")
_EVERYONE_PING = re.compile(r"@(everyone|here)")


def _json(data: Any, status: int = 200) -> web.Response:
    # exactly application/json, no charset: discord.py reads anything else as text
    return web.Response(body=json.dumps(data).encode(), status=status, headers={"Content-Type": "application/json"})


CREATE_MESSAGE = r"/channels/\d+/messages"  # POST: what `Messageable.send` calls


@dataclass
class Fault:
    """The next `times` calls of `method` `path` whose JSON body contains `contains` are refused with `status`."""

    method: str
    path: re.Pattern[str]
    times: int
    status: int
    retry_after: float
    contains: str = ""

    def response(self) -> web.Response:
        if self.status != 429:
            return _json({"message": f"{self.status}: {HTTPStatus(self.status).phrase}", "code": 0}, self.status)
        body = {"message": "You are being rate limited.", "retry_after": self.retry_after, "global": False}
        headers = {
            "Content-Type": "application/json",
            "Retry-After": str(max(1, math.ceil(self.retry_after))),
            "X-RateLimit-Limit": "5", "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": f"{time.time() + self.retry_after:.3f}",
            "X-RateLimit-Reset-After": f"{self.retry_after:.3f}",
            "X-RateLimit-Bucket": "fakebucket0000", "X-RateLimit-Scope": "user",
            # Discord's answers pass through Google's front end; discord.py reads a 429 without `Via` as a
            # Cloudflare ban and raises at once instead of waiting `retry_after`
            "Via": "1.1 google",
        }
        return web.Response(body=json.dumps(body).encode(), status=429, headers=headers)


def _now_iso() -> str:
    return datetime.now(UTC).isoformat()


@dataclass
class InteractionRecord:
    """One interaction sent to the bot, and everything the bot answered to it."""

    id: str
    token: str
    type: int
    payload: dict[str, Any]
    sent_at: float = 0.0
    responded_at: float | None = None
    response_type: int | None = None
    response_data: dict[str, Any] = field(default_factory=dict)
    original_id: str | None = None
    followup_ids: list[str] = field(default_factory=list)
    responded: asyncio.Event = field(default_factory=asyncio.Event)
    fake: FakeDiscord | None = None

    async def wait_response(self, timeout: float = 10.0) -> InteractionRecord:
        await asyncio.wait_for(self.responded.wait(), timeout)
        return self

    @property
    def original(self) -> dict[str, Any] | None:
        assert self.fake is not None
        return self.fake.messages.get(self.original_id) if self.original_id else None

    @property
    def followups(self) -> list[dict[str, Any]]:
        assert self.fake is not None
        return [self.fake.messages[m] for m in self.followup_ids if m in self.fake.messages]

    @property
    def replies(self) -> list[dict[str, Any]]:
        """The original response message (if any, not deleted) and the follow-ups, in order."""
        first = [self.original] if self.original else []
        return first + self.followups

    async def wait_replies(self, count: int = 1, timeout: float = 10.0) -> list[dict[str, Any]]:
        """Wait until the bot has answered with `count` finished (not loading) messages."""
        assert self.fake is not None
        await self.fake.wait_for(
            lambda: len([m for m in self.replies if not m["flags"] & LOADING]) >= count, timeout)
        return [m for m in self.replies if not m["flags"] & LOADING]


class GatewaySession:
    def __init__(self, ws: web.WebSocketResponse) -> None:
        self.ws = ws
        self.seq = 0
        self.identified = False

    async def dispatch(self, event: str, data: Any) -> None:
        self.seq += 1
        await self.ws.send_str(json.dumps({"op": 0, "t": event, "s": self.seq, "d": data}))


class FakeDiscord:
    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, token: str = TOKEN) -> None:
        self.host, self.port, self.token = host, port, token
        self._ids = itertools.count(int(time.time() * 1000 - EPOCH_MS) << 22)
        self.bot_user = self._user("DebateBot", bot=True)
        self.app_id = self.bot_user["id"]
        self.guild_id = self.snowflake()
        self.users: dict[str, dict[str, Any]] = {}
        self.admins: set[str] = set()
        self.channels: dict[str, dict[str, Any]] = {}
        self.general = self.add_channel("general")["id"]
        self.add_user("alice", admin=True)
        self.add_user("bob")
        self.add_user("carol")
        self.messages: dict[str, dict[str, Any]] = {}
        self.files: dict[str, bytes] = {}  # attachment id -> bytes
        self.interactions: dict[str, InteractionRecord] = {}
        self._by_token: dict[str, InteractionRecord] = {}
        self.commands: dict[str, list[dict[str, Any]]] = {}  # "global" or guild id -> synced commands
        self.sessions: list[GatewaySession] = []
        self.requests: list[tuple[str, str]] = []
        self.unhandled: list[tuple[str, str]] = []
        self.faults: list[Fault] = []
        self.refused: list[dict[str, Any]] = []  # answered 429/5xx by `fail_next`: method, path, status, body, user_agent
        self.ready = asyncio.Event()
        self.on_response: Callable[[InteractionRecord], None] | None = None
        self.record_requests = True
        self._runner: web.AppRunner | None = None
        self._changed = asyncio.Event()

    # -- ids and objects ---------------------------------------------------------------------------
    def snowflake(self) -> str:
        return str(next(self._ids))

    def _user(self, name: str, *, bot: bool = False) -> dict[str, Any]:
        return {"id": self.snowflake(), "username": name, "discriminator": "0", "global_name": name.title(),
                "avatar": None, "bot": bot, "public_flags": 0}

    def add_user(self, name: str, *, admin: bool = False) -> dict[str, Any]:
        self.users[name] = self._user(name)
        if admin:
            self.admins.add(name)
        return self.users[name]

    def user(self, name_or_id: str) -> dict[str, Any]:
        if name_or_id in self.users:
            return self.users[name_or_id]
        return next(u for u in self.users.values() if u["id"] == name_or_id)

    def add_channel(self, name: str) -> dict[str, Any]:
        channel = {"id": self.snowflake(), "type": 0, "guild_id": self.guild_id, "name": name, "position":
                   len(self.channels), "permission_overwrites": [], "nsfw": False, "parent_id": None,
                   "topic": None, "last_message_id": None, "rate_limit_per_user": 0, "flags": 0}
        self.channels[channel["id"]] = channel
        return channel

    def member(self, name: str) -> dict[str, Any]:
        return {"user": self.users[name], "roles": [], "joined_at": _now_iso(), "deaf": False, "mute": False,
                "flags": 0, "nick": None, "avatar": None, "pending": False,
                "permissions": str(ADMIN_PERMISSIONS if name in self.admins else MEMBER_PERMISSIONS)}

    def guild_payload(self) -> dict[str, Any]:
        everyone = {"id": self.guild_id, "name": "@everyone", "permissions": str(MEMBER_PERMISSIONS),
                    "position": 0, "color": 0, "hoist": False, "managed": False, "mentionable": False, "flags": 0}
        members = [{k: v for k, v in self.member(n).items() if k != "permissions"} for n in self.users]
        members.append({"user": self.bot_user, "roles": [], "joined_at": _now_iso(), "deaf": False,
                        "mute": False, "flags": 0})
        owner = self.users[next(iter(self.admins))]["id"] if self.admins else self.bot_user["id"]
        return {"id": self.guild_id, "name": "Debate Club", "icon": None, "owner_id": owner,
                "roles": [everyone], "channels": [c for c in self.channels.values() if c["type"] == 0],
                "threads": [c for c in self.channels.values() if c["type"] == 11],
                "members": members, "member_count": len(members), "emojis": [], "stickers": [], "features": [],
                "large": False, "unavailable": False, "voice_states": [], "presences": [], "premium_tier": 0,
                "verification_level": 0, "default_message_notifications": 0, "explicit_content_filter": 0,
                "mfa_level": 0, "system_channel_flags": 0, "preferred_locale": "en-US", "nsfw_level": 0,
                "joined_at": _now_iso(), "stage_instances": [], "guild_scheduled_events": [],
                "soundboard_sounds": []}

    # -- lifecycle --------------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def api_base(self) -> str:
        return f"{self.base_url}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://{self.host}:{self.port}/gateway"

    async def start(self) -> FakeDiscord:
        app = new_app()
        app.router.add_get("/gateway", self._gateway)
        app.router.add_route("*", "/api/v10/{path:.*}", self._api)
        app.router.add_get("/attachments/{id}/{name}", self._attachment)
        self._runner, self.port = await start_app(app, self.host, self.port)
        return self

    async def stop(self) -> None:
        for session in list(self.sessions):
            await session.ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> FakeDiscord:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def wait_ready(self, timeout: float = 10.0) -> None:
        await asyncio.wait_for(self.ready.wait(), timeout)

    def _touch(self) -> None:
        self._changed.set()

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 10.0) -> None:
        """Wait until `predicate()` holds, re-checking whenever the fake records something."""
        deadline = asyncio.get_running_loop().time() + timeout
        while not predicate():
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise TimeoutError("condition not met on the fake Discord")
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), min(remaining, 0.2))

    # -- gateway --------------------------------------------------------------------------------------
    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        session = GatewaySession(ws)
        await ws.send_str(json.dumps({"op": 10, "d": {"heartbeat_interval": 41250}}))
        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    break
                data = json.loads(msg.data)
                op = data.get("op")
                if op == 1:
                    await ws.send_str(json.dumps({"op": 11}))
                elif op == 2:
                    if data["d"].get("token") != self.token:
                        await ws.close(code=4004, message=b"Authentication failed.")
                        break
                    await self._identify(session)
                elif op == 6:  # resume: ask for a fresh identify
                    await ws.send_str(json.dumps({"op": 9, "d": False}))
        finally:
            if session in self.sessions:
                self.sessions.remove(session)
        return ws

    async def _identify(self, session: GatewaySession) -> None:
        session.identified = True
        self.sessions.append(session)
        await session.dispatch("READY", {
            "v": 10, "user": self.bot_user, "guilds": [{"id": self.guild_id, "unavailable": True}],
            "session_id": f"session-{self.snowflake()}", "resume_gateway_url": self.gateway_url,
            "shard": [0, 1], "application": {"id": self.app_id, "flags": 0}, "private_channels": [],
            "relationships": [], "user_settings": {}})
        await session.dispatch("GUILD_CREATE", self.guild_payload())
        self.ready.set()
        self._touch()

    async def dispatch(self, event: str, data: Any) -> None:
        for session in list(self.sessions):
            with contextlib.suppress(ConnectionError):
                await session.dispatch(event, data)

    # -- driving the bot: interactions and messages --------------------------------------------------
    def _interaction_payload(self, type_: int, data: dict[str, Any], user: str, channel_id: str | None,
                             message: dict[str, Any] | None = None) -> dict[str, Any]:
        channel = self.channels[channel_id or self.general]
        payload = {
            "id": self.snowflake(), "application_id": self.app_id, "type": type_, "data": data,
            "guild_id": self.guild_id, "channel_id": channel["id"], "channel": channel,
            "guild": {"id": self.guild_id, "locale": "en-US", "features": []},
            "member": self.member(user), "token": f"itoken-{self.snowflake()}", "version": 1,
            "app_permissions": str(BOT_PERMISSIONS), "locale": "en-US", "guild_locale": "en-US",
            "entitlements": [], "authorizing_integration_owners": {"0": self.guild_id}, "context": 0,
            "attachment_size_limit": 10 * 1024 * 1024,
        }
        if message is not None:
            payload["message"] = message
        return payload

    async def _send_interaction(self, payload: dict[str, Any]) -> InteractionRecord:
        record = InteractionRecord(id=payload["id"], token=payload["token"], type=payload["type"], payload=payload,
                                   fake=self)
        self.interactions[record.id] = record
        self._by_token[record.token] = record
        record.sent_at = time.perf_counter()
        await self.dispatch("INTERACTION_CREATE", payload)
        return record

    def _options(self, values: dict[str, Any], focused: str | None = None) -> tuple[list[dict[str, Any]],
                                                                                  dict[str, Any]]:
        options: list[dict[str, Any]] = []
        resolved: dict[str, Any] = {}
        for name, value in values.items():
            if isinstance(value, bool):
                option = {"name": name, "type": 5, "value": value}
            elif isinstance(value, int):
                option = {"name": name, "type": 4, "value": value}
            elif isinstance(value, str) and value.startswith("@") and value[1:] in self.users:
                user = self.users[value[1:]]
                option = {"name": name, "type": 6, "value": user["id"]}
                resolved.setdefault("users", {})[user["id"]] = user
                member = {k: v for k, v in self.member(value[1:]).items() if k != "user"}
                resolved.setdefault("members", {})[user["id"]] = member
            else:
                option = {"name": name, "type": 3, "value": value}
            if name == focused:
                option["focused"] = True
            options.append(option)
        return options, resolved

    def _command_id(self, name: str) -> str:
        for commands in self.commands.values():
            for command in commands:
                if command["name"] == name:
                    return command["id"]
        return self.snowflake()

    async def slash(self, subcommand: str | None, options: dict[str, Any] | None = None, *, user: str = "alice",
                    channel_id: str | None = None, group: str = "debate", _type: int = 2,
                    focused: str | None = None) -> InteractionRecord:
        """Send `/debate <subcommand> ...` as `user`. `@name` values are user options."""
        sub_options, resolved = self._options(options or {}, focused)
        top: list[dict[str, Any]] = sub_options
        if subcommand is not None:
            top = [{"name": subcommand, "type": 1, "options": sub_options}]
        data: dict[str, Any] = {"id": self._command_id(group), "name": group, "type": 1, "options": top,
                                "guild_id": self.guild_id}
        if resolved:
            data["resolved"] = resolved
        return await self._send_interaction(self._interaction_payload(_type, data, user, channel_id))

    async def autocomplete(self, subcommand: str, option: str, current: str, *, user: str = "alice",
                           others: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        values = dict(others or {})
        values[option] = current
        record = await self.slash(subcommand, values, user=user, _type=4, focused=option)
        await record.wait_response()
        return list(record.response_data.get("choices", []))

    async def click(self, message: dict[str, Any], custom_id: str, *, user: str = "alice") -> InteractionRecord:
        """Click the button `custom_id` on `message` (a message dict from this fake)."""
        ids = [c.get("custom_id") for row in message.get("components", []) for c in row.get("components", [])]
        if custom_id not in ids:
            raise AssertionError(f"no button {custom_id!r} on message {message['id']}; buttons: {ids}")
        data = {"custom_id": custom_id, "component_type": 2}
        payload = self._interaction_payload(3, data, user, message["channel_id"], message=message)
        return await self._send_interaction(payload)

    async def submit_modal(self, custom_id: str, values: dict[str, str], *, user: str = "alice",
                           channel_id: str | None = None) -> InteractionRecord:
        rows = [{"type": 1, "components": [{"type": 4, "custom_id": k, "value": v}]} for k, v in values.items()]
        payload = self._interaction_payload(5, {"custom_id": custom_id, "components": rows}, user, channel_id)
        return await self._send_interaction(payload)

    async def say(self, text: str, *, user: str = "alice", channel_id: str | None = None) -> dict[str, Any]:
        """A user posts a chat message (MESSAGE_CREATE)."""
        channel = self.channels[channel_id or self.general]
        message = self._message(channel["id"], {"content": text}, author=self.users[user])
        member = {k: v for k, v in self.member(user).items() if k not in ("user", "permissions")}
        await self.dispatch("MESSAGE_CREATE", {**message, "member": member})
        return message

    # -- platform errors ---------------------------------------------------------------------------
    def fail_next(self, times: int = 1, *, status: int = 429, retry_after: float = 1.0, contains: str = "",
                  method: str = "POST", path: str = CREATE_MESSAGE) -> None:
        """Refuse the next `times` calls of `method` `path` (only those whose JSON body contains `contains`)
        with HTTP `status`: 429 with `retry_after` seconds, or a 5xx."""
        assert status == 429 or status >= 500, "a platform error: 429 or 5xx"
        self.faults.append(Fault(method, re.compile(path), times, status, retry_after, contains))

    def _fault(self, method: str, path: str, payload: Any) -> Fault | None:
        text = json.dumps(payload, ensure_ascii=False)
        for fault in self.faults:
            if fault.times > 0 and fault.method == method and fault.path.fullmatch(path) and fault.contains in text:
                fault.times -= 1
                return fault
        return None

    # -- queries for tests -------------------------------------------------------------------------
    def channel_messages(self, channel_id: str) -> list[dict[str, Any]]:
        return [m for m in self.messages.values() if m["channel_id"] == channel_id and not m.get("deleted")]

    def bot_messages(self) -> list[dict[str, Any]]:
        return [m for m in self.messages.values() if m["author"]["id"] == self.bot_user["id"] and not m.get("deleted")]

    def threads(self) -> list[dict[str, Any]]:
        return [c for c in self.channels.values() if c["type"] == 11]

    @staticmethod
    def text_of(message: dict[str, Any]) -> str:
        """Everything readable in a message: content, embed titles, descriptions, fields, footers."""
        parts = [message.get("content") or ""]
        for embed in message.get("embeds") or []:
            parts += [embed.get("title") or "", embed.get("description") or ""]
            for item in embed.get("fields") or []:
                parts += [item.get("name", ""), item.get("value", "")]
            parts.append((embed.get("footer") or {}).get("text", ""))
        return "\n".join(p for p in parts if p)

    @staticmethod
    def buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
        return [c for row in message.get("components") or [] for c in row.get("components", []) if c.get("type") == 2]

    async def _attachment(self, request: web.Request) -> web.Response:
        data = self.files.get(request.match_info["id"])
        return web.Response(body=data) if data is not None else web.Response(status=404)

    # -- REST --------------------------------------------------------------------------------------
    async def _api(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["path"]
        method = request.method
        if self.record_requests:
            self.requests.append((method, path))
        parts = path.strip("/").split("/")
        webhook = parts[0] in ("webhooks", "interactions")
        if not webhook and request.headers.get("Authorization") != f"Bot {self.token}":
            return _json({"message": "401: Unauthorized", "code": 0}, 401)
        try:
            payload, files = await self._body(request)
            if (fault := self._fault(method, path, payload)) is not None:
                self.refused.append({"method": method, "path": path, "status": fault.status, "body": payload,
                                     "user_agent": request.headers.get("User-Agent", "")})
                self._touch()
                return fault.response()
            result = await self._route(method, parts, payload, files, request)
        except KeyError as exc:
            return _json({"message": f"Unknown object {exc}", "code": 10003}, 404)
        if result is None:
            self.unhandled.append((method, path))
            return _json({"message": "404: Not Found", "code": 0}, 404)
        if isinstance(result, web.StreamResponse):
            return result
        return _json(result)

    async def _body(self, request: web.Request) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        if not request.can_read_body:
            return {}, []
        if request.content_type.startswith("multipart/"):
            form = await request.post()
            payload = json.loads(str(form.get("payload_json", "{}")))
            files = []
            for key, value in form.items():
                if key.startswith("files") and hasattr(value, "file"):
                    data = value.file.read()
                    files.append({"filename": value.filename, "size": len(data), "data": data,
                                  "content_type": value.content_type})
            return payload, files
        raw = await request.read()
        return (json.loads(raw) if raw else {}), []

    async def _route(self, method: str, p: list[str], body: dict[str, Any], files: list[dict[str, Any]],
                     request: web.Request) -> Any:
        n = len(p)
        if p[:2] == ["users", "@me"] and method == "GET":
            return self.bot_user
        if p[:3] == ["oauth2", "applications", "@me"]:
            return {"id": self.app_id, "name": "Debate Bot", "icon": None, "description": "", "rpc_origins": [],
                    "bot_public": True, "bot_require_code_grant": False, "owner": self.users["alice"],
                    "verify_key": "0" * 64, "flags": 0, "team": None, "summary": ""}
        if p[0] == "gateway":
            return {"url": self.gateway_url, "shards": 1, "session_start_limit": {
                "total": 1000, "remaining": 1000, "reset_after": 0, "max_concurrency": 1}}
        if p[0] == "applications" and p[-1] == "commands":
            key = p[3] if n == 5 else "global"
            if method == "PUT":
                synced = [{**c, "id": self.snowflake(), "application_id": self.app_id, "version": self.snowflake(),
                           **({"guild_id": key} if key != "global" else {})} for c in body]  # type: ignore[union-attr]
                self.commands[key] = synced
                return synced
            if method == "GET":
                return self.commands.get(key, [])
        if p[0] == "interactions" and n == 4 and p[3] == "callback" and method == "POST":
            return self._callback(p[1], p[2], body, files, request)
        if p[0] == "webhooks" and n >= 3:
            return self._webhook(method, p, body, files)
        if p[0] == "channels":
            return await self._channels(method, p, body, files)
        return None

    def _callback(self, interaction_id: str, token: str, body: dict[str, Any], files: list[dict[str, Any]],
                  request: web.Request) -> web.Response | dict[str, Any]:
        record = self.interactions.get(interaction_id)
        if record is None or record.token != token:
            return _json({"message": "Unknown interaction", "code": 10062}, 404)
        if record.response_type is not None:
            return _json({"message": "Interaction has already been acknowledged.", "code": 40060}, 400)
        type_ = int(body["type"])
        data = body.get("data") or {}
        record.response_type, record.response_data = type_, data
        record.responded_at = time.perf_counter()
        info: dict[str, Any] = {"id": record.id, "type": record.type}
        resource: dict[str, Any] = {"type": type_}
        if type_ in (MESSAGE, DEFERRED_MESSAGE):
            flags = int(data.get("flags", 0)) | (LOADING if type_ == DEFERRED_MESSAGE else 0)
            message = self._message(record.payload["channel_id"], {**data, "flags": flags}, files=files,
                                    interaction=record)
            record.original_id = message["id"]
            info.update(response_message_id=message["id"], response_message_loading=type_ == DEFERRED_MESSAGE,
                        response_message_ephemeral=bool(flags & EPHEMERAL))
            resource["message"] = message
        elif type_ == UPDATE_MESSAGE and "message" in record.payload:
            message = self._edit(record.payload["message"]["id"], data, files)
            resource["message"] = message
        record.responded.set()
        self._touch()
        if self.on_response is not None:
            self.on_response(record)
        if request.query.get("with_response") in ("1", "true", "True"):
            return {"interaction": info, "resource": resource}
        return web.Response(status=204)

    def _webhook(self, method: str, p: list[str], body: dict[str, Any], files: list[dict[str, Any]]) -> Any:
        record = self._by_token.get(p[2])
        if record is None:
            return _json({"message": "Unknown Webhook", "code": 10015}, 404)
        if len(p) == 3 and method == "POST":  # follow-up
            if record.response_type is None:
                return _json({"message": "Unknown Webhook", "code": 10015}, 404)
            message = self._message(record.payload["channel_id"], body, files=files, interaction=record)
            record.followup_ids.append(message["id"])
            self._touch()
            return message
        if len(p) == 5 and p[3] == "messages":
            message_id = record.original_id if p[4] == "@original" else p[4]
            if message_id is None or message_id not in self.messages:
                return _json({"message": "Unknown Message", "code": 10008}, 404)
            if method == "GET":
                return self.messages[message_id]
            if method == "PATCH":
                return self._edit(message_id, body, files)
            if method == "DELETE":
                self.messages[message_id]["deleted"] = True
                self._touch()
                return web.Response(status=204)
        return None

    async def _channels(self, method: str, p: list[str], body: dict[str, Any], files: list[dict[str, Any]]) -> Any:
        channel = self.channels[p[1]]
        n = len(p)
        if n == 2 and method == "GET":
            return channel
        if n == 3 and p[2] == "messages" and method == "POST":
            message = self._message(channel["id"], body, files=files, author=self.bot_user)
            await self.dispatch("MESSAGE_CREATE", message)
            return message
        if n == 4 and p[2] == "messages":
            if method == "PATCH":
                return self._edit(p[3], body, files)
            if method == "DELETE":
                self.messages[p[3]]["deleted"] = True
                return web.Response(status=204)
            if method == "GET":
                return self.messages[p[3]]
        if (n == 3 and p[2] == "threads") or (n == 5 and p[2] == "messages" and p[4] == "threads"):
            if method != "POST":
                return None
            thread = {"id": p[3] if n == 5 else self.snowflake(), "type": int(body.get("type", 11)),
                      "guild_id": self.guild_id, "parent_id": channel["id"], "name": body.get("name", "thread"),
                      "owner_id": self.bot_user["id"], "last_message_id": None, "rate_limit_per_user": 0,
                      "message_count": 0, "member_count": 1, "flags": 0, "total_message_sent": 0,
                      "thread_metadata": {"archived": False, "locked": False, "create_timestamp": _now_iso(),
                                          "archive_timestamp": _now_iso(),
                                          "auto_archive_duration": int(body.get("auto_archive_duration", 1440))}}
            self.channels[thread["id"]] = thread
            await self.dispatch("THREAD_CREATE", {**thread, "newly_created": True})
            self._touch()
            return thread
        return None

    # -- messages ----------------------------------------------------------------------------------
    def _attachments(self, body: dict[str, Any], files: list[dict[str, Any]]) -> list[dict[str, Any]]:
        out = []
        for file in files:
            attachment_id = self.snowflake()
            self.files[attachment_id] = file["data"]
            out.append({"id": attachment_id, "filename": file["filename"], "size": file["size"],
                        "content_type": file["content_type"],
                        "url": f"{self.base_url}/attachments/{attachment_id}/{file['filename']}",
                        "proxy_url": f"{self.base_url}/attachments/{attachment_id}/{file['filename']}"})
        return out

    @staticmethod
    def pings(content: str, allowed: dict[str, Any] | None) -> list[str]:
        """Who a message would notify: 'everyone', 'role:<id>' or user ids, honouring allowed_mentions."""
        parse = {"users", "roles", "everyone"} if allowed is None else set(allowed.get("parse", []))
        users = {str(u) for u in allowed.get("users", [])} if allowed else set()
        roles = {str(r) for r in allowed.get("roles", [])} if allowed else set()
        out: list[str] = []
        if "everyone" in parse and _EVERYONE_PING.search(content):
            out.append("everyone")
        out += [f"role:{r}" for r in _ROLE_PING.findall(content) if "roles" in parse or r in roles]
        out += [u for u in _USER_PING.findall(content) if "users" in parse or u in users]
        return out

    def _message(self, channel_id: str, body: dict[str, Any], *, files: list[dict[str, Any]] | None = None,
                 author: dict[str, Any] | None = None, interaction: InteractionRecord | None = None) -> dict[str, Any]:
        content = body.get("content") or ""
        allowed = body.get("allowed_mentions")
        message: dict[str, Any] = {
            "id": self.snowflake(), "channel_id": channel_id, "guild_id": self.guild_id,
            "author": author or self.bot_user, "content": content, "timestamp": _now_iso(),
            "edited_timestamp": None, "tts": False, "mention_everyone": False, "mentions": [], "mention_roles": [],
            "attachments": self._attachments(body, files or []), "embeds": body.get("embeds") or [],
            "components": body.get("components") or [], "pinned": False, "type": 0 if interaction is None else 20,
            "flags": int(body.get("flags") or 0), "allowed_mentions": allowed,
            "pings": self.pings(content, allowed),
        }
        if interaction is not None:
            message["interaction_metadata"] = {"id": interaction.id, "type": interaction.type,
                                               "user": interaction.payload["member"]["user"],
                                               "authorizing_integration_owners": {"0": self.guild_id}}
            message["webhook_id"] = self.app_id
            message["application_id"] = self.app_id
        self.messages[message["id"]] = message
        self._touch()
        return message

    def _edit(self, message_id: str, body: dict[str, Any], files: list[dict[str, Any]]) -> dict[str, Any]:
        message = self.messages[message_id]
        for key in ("content", "embeds", "components", "allowed_mentions"):
            if key in body:
                message[key] = body[key] if body[key] is not None else ([] if key != "content" else "")
        if files or "attachments" in body:
            message["attachments"] = self._attachments(body, files)
        message["flags"] = int(message.get("flags", 0)) & ~LOADING
        message["edited_timestamp"] = _now_iso()
        message["edits"] = int(message.get("edits", 0)) + 1
        message["pings"] = self.pings(message.get("content") or "", message.get("allowed_mentions"))
        self._touch()
        return message


# -- by hand ------------------------------------------------------------------------------------------
HELP = """Commands (you are alice, an admin; prefix a line with @bob or @carol to act as them):
  /debate <sub> [name=value ...]     e.g. /debate practice motion=diplomacy side=pro
  click <message-id> <custom_id>     press a button
  modal <custom_id> | <text>         submit a speech form (in the last thread)
  say <text>                         post a chat message in #general (or in the last thread: tsay <text>)
  (an empty line just shows new messages)
  quit"""


def _print_message(fake: FakeDiscord, message: dict[str, Any]) -> None:
    where = fake.channels.get(message["channel_id"], {}).get("name", message["channel_id"])
    flags = " (ephemeral)" if message["flags"] & EPHEMERAL else ""
    print(f"\n[{message['id']} in #{where}{flags}]")
    print("  " + fake.text_of(message).replace("\n", "\n  "))
    for button in fake.buttons(message):
        print(f"  [button {button.get('label')!r} custom_id={button.get('custom_id')}]")
    for attachment in message.get("attachments", []):
        print(f"  [attachment {attachment['filename']}, {attachment['size']} bytes]")


async def _interactive(fake: FakeDiscord) -> None:
    print(f"fake Discord on {fake.base_url}\n  DISCORD_API_BASE={fake.api_base}\n  DISCORD_GATEWAY_URL={fake.gateway_url}"
          f"\n  DISCORD_TOKEN={fake.token}\n  DISCORD_GUILD_IDS={fake.guild_id}", flush=True)
    seen: set[str] = set()
    loop = asyncio.get_running_loop()
    print("waiting for the bot to connect…", flush=True)
    await fake.wait_ready(timeout=3600)
    print("bot connected.\n" + HELP, flush=True)
    last_thread: str | None = None
    while True:
        line = await loop.run_in_executor(None, input, "> ")
        user = "alice"
        if line.startswith("@"):
            name, _, line = line[1:].partition(" ")
            user = name
        line = line.strip()
        if line in ("quit", "exit"):
            return
        try:
            if line.startswith("/"):
                words = line[1:].split()
                group, sub = words[0], (words[1] if len(words) > 1 else None)
                options: dict[str, Any] = {}
                for word in re.findall(r'(\w+)=("[^"]*"|\S+)', line):
                    value = word[1].strip('"')
                    options[word[0]] = int(value) if value.isdigit() and word[0] == "round" else value
                record = await fake.slash(sub, options, user=user, group=group)
                await record.wait_response()
            elif line.startswith("click "):
                _, message_id, custom_id = line.split(" ", 2)
                record = await fake.click(fake.messages[message_id], custom_id, user=user)
                await record.wait_response()
            elif line.startswith("modal "):
                custom_id, _, text = line[len("modal "):].partition("|")
                await (await fake.submit_modal(custom_id.strip(), {"text": text.strip()}, user=user,
                                               channel_id=last_thread)).wait_response()
            elif line.startswith(("say ", "tsay ")):
                verb, text = line.split(" ", 1)
                await fake.say(text, user=user, channel_id=last_thread if verb == "tsay" else None)
            elif line:
                print(HELP)
        except (KeyError, AssertionError, TimeoutError, ValueError) as exc:
            print(f"error: {exc!r}")
        await asyncio.sleep(1.0)
        for message in list(fake.messages.values()):
            if message["id"] not in seen and message["author"]["id"] == fake.bot_user["id"]:
                seen.add(message["id"])
                _print_message(fake, message)
        threads = fake.threads()
        last_thread = threads[-1]["id"] if threads else None


async def _main(port: int, interactive: bool) -> None:
    fake = await FakeDiscord(port=port).start()
    try:
        if interactive:
            await _interactive(fake)
        else:
            print(f"fake Discord on {fake.base_url} (api {fake.api_base}, gateway {fake.gateway_url}, "
                  f"token {fake.token}, guild {fake.guild_id})", flush=True)
            await asyncio.Event().wait()
    finally:
        await fake.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=8090)
    parser.add_argument("--serve-only", action="store_true", help="no prompt; just serve")
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt, EOFError):
        asyncio.run(_main(args.port, not args.serve_only))
