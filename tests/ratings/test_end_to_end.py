"""A practice round through the shell is rated (bot pool) and shows up in stats and on the leaderboard."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from bot.storage import models as m

SPEECH = ("Trump's personal diplomacy with Kim has produced results: no nuclear tests and no missile launches "
          "since the talks began, so the summits should continue.")


async def test_practice_round_is_rated_in_the_bot_pool(room_factory) -> None:
    room = await room_factory()
    await room.say("/debate practice diplomacy pro")
    round_id = room.round().id
    for number in (1, 3, 5):  # opening, rebuttal, closing; the bot speaks in between
        await room.until(lambda n=number: f"Speech {n} of 6" in room.text, what=f"speech {number}")
        await room.until_speaker(round_id, "you")
        await room.say(SPEECH)
    await room.until_state(round_id, "finished")

    results = room.query(lambda s: [(r.pool, r.side, r.won, r.speaker_score is not None)
                                    for r in s.scalars(select(m.Result).where(m.Result.round_id == round_id))])
    winner = room.round(round_id).winner
    assert results == [("bot", "pro", winner == "pro", True)]  # one row: the bot itself is never rated
    ratings = room.query(lambda s: sorted((r.pool, r.season, r.rounds) for r in s.scalars(select(m.Rating))))
    assert [(p, n) for p, _, n in ratings] == [("bot", 1), ("bot", 1)]  # all time and this season

    out = await room.say("/debate stats")
    assert "Rounds: 1" in out and "Rating vs the bot" in out
    # the shell writes the chart into the data folder and prints its path
    path = Path(out.split("[image: ")[1].split("]")[0])
    assert path.name.startswith("rating-") and path.parent == room.service.settings.data_dir / "images"
    assert path.read_bytes().startswith(b"\x89PNG")
    out = await room.say("/debate leaderboard pool:bot")
    assert "rounds against the bot" in out and "2 more to appear" in out
