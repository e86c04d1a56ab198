"""`/debate config`: each good value is saved; each bad value gets a clear reply and changes nothing."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from bot import chat
from bot.config import Settings
from bot.context import UserError
from bot.service import DebateService
from bot.storage import models as m
from tests.fakes.incoming import incoming
from tests.fakes.messenger import RecordingMessenger

MINI = {"key": "mini", "name": "Mini 1v1", "speeches": [
    {"side": "pro", "kind": "opening", "seconds": 60}, {"side": "con", "kind": "opening", "seconds": 60}]}


@pytest.fixture
async def service(settings: Settings):  # type: ignore[no-untyped-def]
    svc = DebateService(settings, RecordingMessenger(), platform="shell")
    yield svc
    await svc.stop()


async def config(service: DebateService, setting: str, value: str | None = None, *, admin: bool = True) -> chat.Outgoing:
    options = {"setting": setting} if value is None else {"setting": setting, "value": value}
    [reply] = await service.handle(incoming("config", "boss", admin=admin, **options))
    return reply


def saved(service: DebateService) -> dict:
    with service.sessions() as s:
        row = s.scalars(select(m.ServerSettings)).one()
        return {"timezone": row.timezone, "channel": row.channel_id, "format": row.default_format,
                "fill_policy": row.fill_policy, "custom": dict(row.custom_formats or {}),
                "season": row.season_started_at}


async def test_good_values_are_saved(service: DebateService) -> None:
    assert (await config(service, "timezone", "Europe/London")).kind == chat.Kind.SUCCESS
    assert saved(service)["timezone"] == "Europe/London"
    await config(service, "timezone", "america/new_york")  # case is forgiven
    assert saved(service)["timezone"] == "America/New_York"
    await config(service, "timezone", "Tokyo")  # a unique city name
    assert saved(service)["timezone"] == "Asia/Tokyo"
    await config(service, "channel", "<#123456789>")
    assert saved(service)["channel"] == "123456789"
    await config(service, "channel", "here")
    assert saved(service)["channel"] == "general"
    await config(service, "fill_policy", "postpone")
    assert saved(service)["fill_policy"] == "postpone"
    await config(service, "format", "bp")
    assert saved(service)["format"] == "bp"
    reply = await config(service, "add_format", json.dumps(MINI))
    assert reply.kind == chat.Kind.SUCCESS and "mini" in reply.text
    assert saved(service)["custom"]["mini"]["name"] == "Mini 1v1"
    await config(service, "format", "mini")
    assert saved(service)["format"] == "mini"
    shown = await config(service, "show")
    values = {f.name: f.value for f in shown.fields}
    assert "Asia/Tokyo" in values["timezone"] and "mini" in values["format"] and "postpone" in values["fill_policy"]
    await config(service, "format", "quick")
    assert (await config(service, "remove_format", "mini")).kind == chat.Kind.SUCCESS
    assert saved(service)["custom"] == {}
    await config(service, "season", "new")
    assert saved(service)["season"] is not None


async def test_yaml_format_definition_is_accepted(service: DebateService) -> None:
    yaml_text = """```yaml
key: duo
name: Duo
team_size: 2
speeches:
  - {side: pro, kind: opening, seconds: 90}
  - {side: con, kind: opening, seconds: 90}
  - {side: pro, kind: closing, seconds: 60}
  - {side: con, kind: closing, seconds: 60}
```"""
    assert (await config(service, "add_format", yaml_text)).kind == chat.Kind.SUCCESS
    assert saved(service)["custom"]["duo"]["team_size"] == 2


@pytest.mark.parametrize(("setting", "value", "expect"), [
    ("timezone", "Mars/Olympus_Mons", "don't know the timezone"),
    ("timezone", "EST", "America/New_York"),
    ("timezone", "IST", "Asia/Kolkata"),
    ("timezone", "ist", "abbreviation"),
    ("timezone", "UTC+2", "fixed offset"),
    ("format", "nonexistent", "Unknown format"),
    ("fill_policy", "maybe", "must be one of"),
    ("add_format", "key: [unclosed", "not valid JSON or YAML"),
    ("add_format", json.dumps({"key": "bad", "name": "Bad", "speeches": [{"side": "pro", "kind": "x",
                                                                         "seconds": 60}]}), "never speaks"),
    ("add_format", json.dumps({**MINI, "key": "bp"}), "built-in"),
    ("add_format", "just words", "mapping"),
    ("remove_format", "quick", "built-in"),
    ("remove_format", "ghost", "no custom format"),
    ("channel", "not a channel!", "not a channel"),
    ("season", "maybe", "season new"),
])
async def test_bad_values_get_a_clear_reply_and_change_nothing(service: DebateService, setting: str, value: str,
                                                               expect: str) -> None:
    await config(service, "show")  # creates the settings row
    before = saved(service)
    reply = await config(service, setting, value)
    assert reply.kind == chat.Kind.ERROR
    assert expect in chat.plain(reply.text)
    assert saved(service) == before


async def test_removing_the_default_format_is_refused(service: DebateService) -> None:
    await config(service, "add_format", json.dumps(MINI))
    await config(service, "format", "mini")
    reply = await config(service, "remove_format", "mini")
    assert reply.kind == chat.Kind.ERROR and "default" in reply.text
    assert "mini" in saved(service)["custom"]


async def test_members_cannot_change_settings(service: DebateService) -> None:
    await config(service, "show")
    reply = await config(service, "timezone", "Europe/Paris", admin=False)
    assert reply.kind == chat.Kind.ERROR and "admins" in reply.text
    assert saved(service)["timezone"] == "UTC"


def test_timezone_resolver_directly() -> None:
    from bot.admin import resolve_timezone

    assert resolve_timezone("Asia/Kolkata") == "Asia/Kolkata"
    assert resolve_timezone("utc") == "UTC"
    assert resolve_timezone("new york") == "America/New_York"
    for bad in ("EST", "PST", "CET", "EST5EDT", "GMT+1", "", "Europe/Nowhere"):
        with pytest.raises(UserError):
            resolve_timezone(bad)
