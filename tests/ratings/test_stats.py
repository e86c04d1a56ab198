"""`/debate stats`: numbers, strongest motion, a real PNG chart, and unknown users."""

from __future__ import annotations

from datetime import timedelta

from bot import chat
from bot.config import Settings
from bot.service import DebateService
from bot.storage import db, repo
from tests.fakes.clock import VirtualClock
from tests.fakes.incoming import incoming
from tests.fakes.messenger import RecordingMessenger
from tests.ratings.helpers import T0, finished_round, person

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


async def test_stats_show_rounds_wins_scores_motion_and_a_png(settings: Settings) -> None:
    service = DebateService(settings, RecordingMessenger(), platform="shell", clock=VirtualClock(T0 + timedelta(days=1)))
    try:
        with db.transaction(service.sessions) as s:
            ann, bob = person(s, "ann"), person(s, "bob")
            botu = repo.bot_user(s, "shell")
            plan = [("diplomacy", ann, 70.0), ("diplomacy", ann, 72.0), ("sanctions", bob, 60.0),
                    ("sanctions", ann, 66.0)]
            for i, (motion, winner, score) in enumerate(plan):
                side = "pro" if winner is ann else "con"
                finished_round(s, {"pro": [ann], "con": [bob]}, side, motion=motion, at=T0 + timedelta(hours=i),
                               scores={"ann": score, "bob": 65.0})
            finished_round(s, {"pro": [ann], "con": [botu]}, "con", motion="exercises", at=T0 + timedelta(hours=9),
                           scores={"ann": 50.0})
        [reply] = await service.handle(incoming("stats", "ann"))
        fields = {f.name: chat.plain(f.value) for f in reply.fields}
        assert fields["Rounds"] == "5"
        assert fields["Wins"].startswith("3 ")
        assert fields["Average speaker score"] == f"{(70 + 72 + 60 + 66 + 50) / 5:.1f} / 100"
        assert "THW diplomacy" in fields["Strongest motion"] and "2/2 won" in fields["Strongest motion"]
        assert "Rating vs people" in fields and "#1 on the board" in fields["Rating vs people"]
        assert "2 more round(s)" in fields["Rating vs the bot"]
        assert reply.image is not None and reply.image.mime == "image/png"
        assert reply.image.data.startswith(PNG_MAGIC) and len(reply.image.data) > 2000

        # someone else's stats, by external id or display name (case-insensitive), from another user
        [by_id] = await service.handle(incoming("stats", "cat", user="bob"))
        [by_name] = await service.handle(incoming("stats", "cat", user="BOB"))
        assert by_id.title == by_name.title and "Bob" in chat.plain(by_id.title or "")
        assert {f.name: f.value for f in by_id.fields}["Rounds"] == "4"
    finally:
        await service.stop()


async def test_stats_for_newcomers_unknown_users_and_the_bot(settings: Settings) -> None:
    service = DebateService(settings, RecordingMessenger(), platform="shell")
    try:
        [empty] = await service.handle(incoming("stats", "newbie"))
        assert "no rated rounds" in chat.plain(empty.text) and empty.image is None
        [unknown] = await service.handle(incoming("stats", "ann", user="nobody-like-this"))
        assert unknown.kind == chat.Kind.ERROR and "don't know" in chat.plain(unknown.text)
        [botq] = await service.handle(incoming("stats", "ann", user="__bot__"))
        assert botq.kind == chat.Kind.ERROR or "no rated rounds" in chat.plain(botq.text)
    finally:
        await service.stop()
