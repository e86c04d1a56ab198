"""Isolation between servers (issue 12): for any sequence of commands on two servers, nothing that server A
is told (replies or round posts) names server B's people, rounds or settings, and the other way round."""

from __future__ import annotations

import asyncio
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bot.chat import Place, Server
from bot.config import Settings
from bot.service import DebateService
from bot.storage import models as m
from tests.fakes.incoming import incoming
from tests.fakes.messenger import RecordingMessenger

SERVERS = {"a": Server("shell", "club-alpha", "Alpha Club"), "b": Server("shell", "club-beta", "Beta Club")}
PEOPLE = {"a": ("annalpha", "amyalpha"), "b": ("bobbeta", "benbeta")}
ZONES = {"a": "Europe/Paris", "b": "Asia/Tokyo"}
PLACE = Place("general")
NOT_HERE = r"[Nn]o round #\d+ (here|on this server)|not (a round )?here|isn't here"

# (command, options) pairs a club would send; {round} is replaced by a round id of either server
MOVES = [
    ("practice", {"motion": "diplomacy", "side": "pro"}),
    ("start", {"motion": "exercises"}),
    ("join", {"role": "pro"}),
    ("join", {"role": "con"}),
    ("join", {"role": "audience"}),
    ("status", {}),
    ("status", {"round": "{round}"}),
    ("vote", {"side": "pro"}),
    ("vote", {"side": "con", "round": "{round}"}),
    ("leave", {}),
    ("leave", {"round": "{round}"}),
    ("leaderboard", {}),
    ("stats", {}),
    ("config", {"setting": "timezone", "value": "{zone}"}),
    ("config", {"setting": "show"}),
    ("cancel", {"round": "{round}"}),
    ("motions", {}),
]

step = st.tuples(st.sampled_from(sorted(SERVERS)), st.integers(0, 1), st.sampled_from(range(len(MOVES))),
                 st.integers(1, 6))


def _text(message) -> str:  # type: ignore[no-untyped-def]
    parts = [message.title or "", message.text, message.footer or ""]
    parts += [f"{f.name} {f.value}" for f in message.fields]
    parts += [f"{b.label} {b.id}" for b in message.buttons]
    return "\n".join(parts)


def _foreign(text: str, other: str) -> list[str]:
    """Words of the other server that must never appear."""
    found = [p for p in PEOPLE[other] if p in text.lower()]
    if ZONES[other] in text:
        found.append(ZONES[other])
    if SERVERS[other].name in text:
        found.append(SERVERS[other].name)
    return found


class Recorder(RecordingMessenger):
    """Keeps which server each post went to."""

    def __init__(self) -> None:
        super().__init__()
        self.by_server: list[tuple[str, object]] = []

    async def send(self, server: Server, place: Place, message):  # type: ignore[no-untyped-def,override]
        self.by_server.append((server.external_id, message))
        return await super().send(server, place, message)

    async def edit(self, server: Server, place: Place, message_id: str, message) -> None:  # type: ignore[no-untyped-def,override]
        self.by_server.append((server.external_id, message))
        await super().edit(server, place, message_id, message)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(step, min_size=4, max_size=14))
def test_no_server_hears_of_another(settings: Settings, steps: list[tuple[str, int, int, int]]) -> None:
    async def run() -> None:
        messenger = Recorder()
        service = DebateService(settings.model_copy(update={"database_url": settings.database_url}), messenger,
                                platform="shell")
        try:
            def owners() -> dict[int, str]:
                """Round id -> "a" or "b", read from the database (rounds of earlier examples included)."""
                with service.sessions() as session:
                    rows = session.execute(select(m.Round.id, m.Server.external_id)
                                           .join(m.Server, m.Server.id == m.Round.server_id)).all()
                return {rid: ("a" if ext == SERVERS["a"].external_id else "b") for rid, ext in rows}

            for key, who, move, pick in steps:
                command, options = MOVES[move]
                server, other = SERVERS[key], ("b" if key == "a" else "a")
                ids = sorted(owners())
                values = {}
                for name, value in options.items():
                    value = value.replace("{zone}", ZONES[key])
                    if "{round}" in value:
                        value = str(ids[-1 - pick % len(ids)]) if ids else "1"
                    values[name] = int(value) if name == "round" else value
                user = PEOPLE[key][who]
                event = incoming(command, user, admin=True, server=server, place=PLACE, display_name=user, **values)
                start = len(messenger.by_server)
                replies = await service.handle(event)
                owner = owners()
                for reply in replies:
                    text = _text(reply)
                    assert not _foreign(text, other), (command, values, text[:500])
                    for found in re.findall(r"[Rr]ound #(\d+)", text):
                        if owner.get(int(found)) == other:
                            # another server's round may be named only to say it is not here
                            assert re.search(NOT_HERE, text), (command, values, text[:500])
                for ext_id, message in messenger.by_server[start:]:
                    posted_to = "a" if ext_id == SERVERS["a"].external_id else "b"
                    away = "b" if posted_to == "a" else "a"
                    assert not _foreign(_text(message), away), (posted_to, _text(message)[:500])
                    for found in re.findall(r"[Rr]ound #(\d+)", _text(message)):
                        assert owner.get(int(found)) != away, (posted_to, _text(message)[:500])
        finally:
            await service.stop()

    asyncio.run(run())
