"""The service: one transaction per event, admin checks, duplicate events, friendly errors."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.chat import Incoming, Kind, Outgoing, Place, Server, User
from bot.config import Settings
from bot.service import DebateService
from bot.storage import models as m

SERVER = Server("shell", "srv", "Club")
PLACE = Place("general")


class RecordingMessenger:
    def __init__(self) -> None:
        self.sent: list[tuple[Place, Outgoing]] = []

    async def send(self, server: Server, place: Place, message: Outgoing) -> str:
        self.sent.append((place, message))
        return str(len(self.sent))

    async def edit(self, server: Server, place: Place, message_id: str, message: Outgoing) -> None:
        self.sent.append((place, message))

    async def open_thread(self, server: Server, place: Place, name: str) -> Place:
        return Place(place.channel_id, name)


def incoming(command: str | None, *, admin: bool = False, event_id: str | None = None, **options) -> Incoming:  # type: ignore[no-untyped-def]
    return Incoming(server=SERVER, user=User("shell", "ann", "Ann", is_admin=admin), place=PLACE, command=command,
                    options=options, event_id=event_id)


async def test_help_needs_no_database_but_other_commands_record_the_server(settings: Settings) -> None:
    service = DebateService(settings, RecordingMessenger(), platform="shell")
    await service.start()
    try:
        [reply] = await service.handle(incoming("help"))
        assert "/debate practice" in reply.text and reply.ephemeral
        with service.sessions() as session:
            assert session.scalar(select(func.count()).select_from(m.Server)) == 0
        [reply] = await service.handle(incoming("motions"))
        assert "diplomacy" in reply.fields[0].name
        with service.sessions() as session:
            assert session.scalar(select(func.count()).select_from(m.Server)) == 1
    finally:
        await service.stop()


async def test_admin_commands_are_refused_for_members(settings: Settings) -> None:
    service = DebateService(settings, RecordingMessenger(), platform="shell")
    await service.start()
    try:
        [reply] = await service.handle(incoming("schedule", when="in 10m", motion="x"))
        assert reply.kind == Kind.ERROR and "admins only" in reply.text
        with service.sessions() as session:
            assert session.scalar(select(func.count()).select_from(m.Round)) == 0
    finally:
        await service.stop()


async def test_duplicate_events_have_no_second_effect(settings: Settings) -> None:
    service = DebateService(settings, RecordingMessenger(), platform="shell")
    await service.start()
    try:
        first = await service.handle(incoming("motions", event_id="Ev123"))
        second = await service.handle(incoming("motions", event_id="Ev123"))
        assert first and second == []
    finally:
        await service.stop()


async def test_bad_options_get_usage_and_unknown_help_topic_is_friendly(settings: Settings) -> None:
    service = DebateService(settings, RecordingMessenger(), platform="shell")
    await service.start()
    try:
        [reply] = await service.handle(incoming("practice", side="sideways"))
        assert reply.kind == Kind.ERROR and "Usage: `/debate practice" in reply.text
        event = incoming("help")
        event.options = {"command": "dance"}
        [reply] = await service.handle(event)
        assert reply.kind == Kind.ERROR and "no command `dance`" in reply.text
    finally:
        await service.stop()


async def test_bot_users_are_ignored(settings: Settings) -> None:
    service = DebateService(settings, RecordingMessenger(), platform="shell")
    await service.start()
    try:
        event = incoming(None)
        event.user = User("shell", "other-bot", "Bot", is_bot=True)
        event.text = "@everyone hello"
        assert await service.handle(event) == []
    finally:
        await service.stop()
