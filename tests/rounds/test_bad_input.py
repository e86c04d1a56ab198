"""Every bad-input case of issue 4 gets a clear reply and changes nothing."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from bot.rounds import live
from bot.storage import models as m

COUNTED = (m.Round, m.Participant, m.Vote, m.Ballot, m.Schedule, m.Deadline, m.Speech)


def counts(room) -> dict[str, Any]:
    def snapshot(session) -> dict[str, Any]:
        data: dict[str, Any] = {t.__tablename__: session.scalar(select(func.count()).select_from(t)) for t in COUNTED}
        data["states"] = [(r.id, r.state) for r in session.scalars(select(m.Round).order_by(m.Round.id))]
        data["votes"] = sorted((v.voter_id, v.side) for v in session.scalars(select(m.Vote)))
        return data

    return room.query(snapshot)


async def refused(room, line: str, *needles: str) -> str:
    before = counts(room)
    out = await room.say(line)
    assert "⚠" in out, out
    for needle in needles:
        assert needle.lower() in out.lower(), out
    assert counts(room) == before, f"{line!r} changed the database"
    return out


async def test_schedule_time_errors(room_factory) -> None:
    room = await room_factory()
    await refused(room, '/debate schedule "2020-01-01 18:00" diplomacy', "in the past")
    await refused(room, '/debate schedule "18:30 EST" diplomacy', "ambiguous")
    await refused(room, '/debate schedule "18:30 CST" diplomacy', "ambiguous")
    await refused(room, '/debate schedule "18:30 Mars/Olympus" diplomacy', "unknown timezone")
    await refused(room, '/debate schedule "next blursday" diplomacy', "can't read the time")
    await refused(room, '/debate schedule "25:99" diplomacy', "not a valid time")
    await refused(room, '/debate schedule "every funday 18:00" diplomacy', "not a weekday")
    await room.say("/debate config timezone Europe/London")
    await refused(room, '/debate schedule "2027-10-31 01:30" diplomacy', "happens twice")


async def test_unknown_motion_and_format(room_factory) -> None:
    room = await room_factory()
    await refused(room, "/debate practice motion:zzqx-no-such-motion", "no motion matches")
    await refused(room, '/debate schedule "in 10m" zzqx-no-such-motion', "no motion matches")
    await refused(room, "/debate practice diplomacy pro format:nosuchformat", "unknown format")
    await refused(room, "/debate practice diplomacy pro format:bp", "two-sided")


async def test_joining_twice_and_wrong_states(room_factory) -> None:
    room = await room_factory()
    await room.say("/debate start diplomacy")
    round_id = room.round().id
    await room.say("@alice: /debate join pro")
    await refused(room, "@alice: /debate join pro", "already joined")
    await refused(room, "@alice: /debate join con", "already joined")
    await room.say("@bob: /debate join audience")
    await refused(room, "@carol: /debate join pro round:999", "no round #999")
    await refused(room, "@alice: /debate speech I start early", "not your turn")
    await refused(room, "@bob: /debate vote pro", "opens when the last speech ends")
    await room.say(f"/debate cancel round:{round_id}")
    await refused(room, f"@dave: /debate join con round:{round_id}", "cancelled", "can't be joined")
    await refused(room, f"/debate cancel round:{round_id}", "already cancelled")


async def test_voting_rules(room_factory) -> None:
    room = await room_factory()
    await room.say("/debate start diplomacy")
    round_id = room.round().id
    await room.say("@judy: /debate join judge")  # judges join before the round starts
    await room.say("@alice: /debate join pro")
    await room.say("@bob: /debate join con")
    await room.until_state(round_id, "judging")
    await refused(room, "@alice: /debate vote con", "your own round")
    await refused(room, "@judy: /debate vote con", "judging")
    await refused(room, "@judy: /debate judge pro 1,2", "give 6 speaker points")
    await refused(room, "@judy: /debate judge pro 1,2,3,4,5,101", "outside the scale")
    await refused(room, "@eve: /debate judge pro", "only judges")
    assert "counted" in await room.say("@eve: /debate vote pro")
    assert "counted" in await room.say("@eve: /debate vote con")  # a changed vote replaces the old one
    assert room.query(lambda s: [(v.side) for v in s.scalars(select(m.Vote))]) == ["con"]
    await room.say("@judy: /debate judge pro")
    await room.until_state(round_id, "finished")
    await refused(room, "@frank: /debate vote pro", "closed")
    await refused(room, "@eve: /debate vote pro", "closed")


async def test_non_admin_refused(room_factory) -> None:
    room = await room_factory()
    before = counts(room)
    for command, options in (("schedule", {"when": "in 10m", "motion": "diplomacy"}), ("cancel", {"round": 1}),
                             ("config", {"setting": "timezone", "value": "Europe/Paris"})):
        replies = await room.handle("mallory", command, admin=False, **options)
        assert len(replies) == 1 and replies[0].ephemeral and "admins only" in replies[0].text
    assert counts(room) == before


async def test_long_speech_is_truncated_with_notice(room_factory) -> None:
    room = await room_factory()
    await room.say("/debate practice diplomacy pro")
    round_id = room.round().id
    long_text = ("Diplomacy works because talking beats fighting. " * 500)[:20_000]
    assert len(long_text) == 20_000
    out = await room.say(f"/debate speech {long_text}")
    assert "cut there" in out and "10,000" in out
    speech = next(s for s in room.round(round_id).speeches if s.phase_index == 0)
    assert speech.truncated and len(speech.text) == live.MAX_SPEECH_CHARS
    # chat messages are capped the same way, with one notice
    await room.until_speaker(round_id, "you")
    out = await room.say(long_text[:1900])
    for _ in range(5):
        out += await room.say(long_text[:1900])
    assert out.count("the rest was not recorded") == 1
    speech = next(s for s in room.round(round_id).speeches if s.phase_index == 2)
    assert speech.truncated and len(speech.text) == live.MAX_SPEECH_CHARS
    await room.say(f"/debate cancel round:{round_id}")
