"""Round behaviour users ran into (issue 11, section 3), each pinned by a test on the virtual clock."""

from __future__ import annotations

from sqlalchemy import select

from bot.storage import models as m


async def _judging_round(room, *, judge: str | None = None, audience: str | None = None) -> int:  # type: ignore[no-untyped-def]
    await room.say("/debate start diplomacy")
    round_id = room.round().id
    if judge:
        await room.say(f"@{judge}: /debate join judge")
    if audience:
        await room.say(f"@{audience}: /debate join audience")
    await room.say("@alice: /debate join pro")
    await room.say("@bob: /debate join con")
    await room.until_state(round_id, "judging")
    return round_id


async def test_vote_without_round_picks_the_round_that_is_voting(room_factory) -> None:
    room = await room_factory()
    voting = await _judging_round(room)
    await room.say("/debate start diplomacy")  # another round, in sign-up, in the same channel
    signup = room.round().id
    assert signup != voting and room.round(signup).state == "signup"
    out = await room.say("@carol: /debate vote pro")
    assert f"round #{voting} is counted" in out
    await room.say(f"/debate cancel round:{signup}")


async def test_vote_lists_the_rounds_when_several_are_voting(room_factory) -> None:
    room = await room_factory()
    ids = []
    for a, b in (("alice", "bob"), ("cat", "dan")):
        await room.say("/debate start diplomacy")
        ids.append(room.round().id)
        await room.say(f"@{a}: /debate join pro round:{ids[-1]}")
        await room.say(f"@{b}: /debate join con round:{ids[-1]}")
    await room.until(lambda: all(room.round(i).state == "judging" for i in ids), what="both voting")
    out = await room.say("@dave: /debate vote pro")
    assert f"#{ids[0]}" in out and f"#{ids[1]}" in out and "round:" in out
    assert "counted" in await room.say(f"@dave: /debate vote pro round:{ids[1]}")


async def test_a_ballot_does_not_close_voting_and_results_show_every_count(room_factory) -> None:
    room = await room_factory()
    round_id = await _judging_round(room, judge="judy", audience="eve")
    out = await room.say(f"@judy: /debate judge con 70,71,72,73,74,75 round:{round_id}")
    assert "Ballot recorded" in out
    assert room.round(round_id).state == "judging"  # voting stays open until its announced end...
    assert "counted" in await room.say("@zed: /debate vote pro")  # ...so a late audience vote still counts
    await room.until_state(round_id, "finished")
    results = room.text[room.text.rindex(f"Round #{round_id} results"):]
    assert "Judges' ballots: Pro 0, Con 1" in results and "audience votes: Pro 1, Con 0" in results
    assert "judges: 70" in results


async def test_everyone_voting_closes_voting_early(room_factory) -> None:
    room = await room_factory()
    round_id = await _judging_round(room, judge="judy", audience="eve")
    await room.say(f"@judy: /debate judge con round:{round_id}")
    assert room.round(round_id).state == "judging"
    await room.say("@eve: /debate vote pro")
    assert room.round(round_id).state == "finished"


async def test_judges_join_before_the_round_starts(room_factory) -> None:
    room = await room_factory()
    await room.say("/debate start diplomacy")
    round_id = room.round().id
    await room.say("@alice: /debate join pro")
    await room.say("@bob: /debate join con")
    assert room.round(round_id).state == "running"
    out = await room.say(f"@judy: /debate join judge round:{round_id}")
    assert "judges join before it starts" in out
    assert not [p for p in room.round(round_id).participants if p.role == "judge"]
    assert "as audience" in await room.say(f"@judy: /debate join audience round:{round_id}")


async def test_no_reminder_within_a_minute_of_the_start(room_factory) -> None:
    room = await room_factory()

    def kinds(round_id: int) -> set[str]:
        return set(room.query(lambda s: s.scalars(select(m.Deadline.kind).where(m.Deadline.round_id == round_id))))

    await room.say('/debate schedule "in 1m" diplomacy')
    assert "reminder" not in kinds(room.round().id)
    await room.say('/debate schedule "in 10m" diplomacy')
    assert "reminder" in kinds(room.round().id)


async def test_schedule_reports_the_time_first(room_factory) -> None:
    room = await room_factory()
    out = await room.say("/debate schedule yesterday x")
    assert "time" in out.lower() and "motion" not in out.lower()
    out = await room.say("/debate schedule in 1m diplomacy")  # no quotes needed
    assert "scheduled" in out and "Unknown format" not in out


async def test_messages_of_a_round_arrive_in_the_order_produced(room_factory) -> None:
    """The reply to a speech comes before the bot's next speech; a warning never precedes its turn."""
    room = await room_factory()
    await room.say("/debate practice diplomacy pro")
    out = await room.say("/debate speech My opening: the talks froze the testing.")
    assert out.index("Speech recorded") < out.index("Speech 2 of 6")
    assert out.index("Speech 2 of 6") < out.index("Speech 3 of 6")
    await room.advance(61)  # into the rebuttal's last minute
    text = room.text
    assert text.index("Speech 3 of 6") < text.index("left (Pro rebuttal)")


async def test_rounds_between_people_name_their_format(room_factory) -> None:
    room = await room_factory()
    out = await room.say("/debate start diplomacy")
    assert "Quick 1 v 1" in room.text and "practice" not in room.text.split("sign-up is open")[1].split("\n")[2]
    assert "open for sign-up" in out


async def test_practice_shows_the_prep_brief_privately(room_factory) -> None:
    from bot.rounds.commands.practice import prep_brief

    class Brief:
        def render(self) -> str:
            return "Your three strongest points: ..."

    class WithBrief:
        def brief(self, motion_id: str, side: str) -> Brief:
            assert side in ("pro", "con")
            return Brief()

    (message,) = prep_brief(WithBrief(), "diplomacy", "con")
    assert message.ephemeral and "strongest points" in message.text
    assert prep_brief(object(), "diplomacy", "pro") == []  # an engine without briefs: nothing extra


async def test_the_signup_announcement_is_edited_as_seats_fill(room_factory) -> None:
    """`Outgoing.key` and `Messenger.edit` are used: joining updates the announcement in place."""
    room = await room_factory()
    await room.say('/debate schedule "in 10m" diplomacy')
    out = await room.say("@alice: /debate join pro")
    assert "[bot edited message" in out and "Seats: Pro (1): alice; Con (1)." in out
    out = await room.say("@alice: /debate leave")
    assert "[bot edited message" in out and "Seats: Pro (1); Con (1)." in out
    assert "[bot edited message" not in await room.say("@carol: /debate join audience")


async def test_join_without_round_picks_the_round_in_signup(room_factory) -> None:
    room = await room_factory()
    await room.say("/debate start diplomacy")
    running = room.round().id
    await room.say("@alice: /debate join pro")
    await room.say("@bob: /debate join con")
    assert room.round(running).state == "running"
    await room.say("/debate start diplomacy")
    signup = room.round().id
    assert f"round #{signup} as" in await room.say("@carol: /debate join pro")
    assert f"round #{signup} as" in await room.say("@judy: /debate join judge")
