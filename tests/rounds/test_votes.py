"""100 concurrent votes count exactly one per voter, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import random
import threading

from sqlalchemy import select

from adapters.shell.room import ROOM
from bot.chat import Incoming, Place, User
from bot.storage import db
from bot.storage import models as m


async def test_100_concurrent_votes_one_per_voter(room_factory) -> None:
    room = await room_factory()  # on the virtual clock, voting stays open until the test moves time
    await room.say("/debate start diplomacy")
    round_id = room.round().id
    await room.say("@alice: /debate join pro")
    await room.say("@bob: /debate join con")
    await room.until_state(round_id, "judging")

    # 60 voters; 40 of them vote twice with different sides (a changed vote), 100 votes in all.
    voters = [f"voter{i}" for i in range(60)]
    ballots = [(v, random.choice(("pro", "con"))) for v in voters]
    ballots += [(v, "con" if side == "pro" else "pro") for v, side in ballots[:40]]
    random.shuffle(ballots)
    assert len(ballots) == 100
    service = room.service
    barrier = threading.Barrier(len(ballots))
    replies: dict[int, list] = {}

    def cast(i: int, voter: str, side: str) -> None:
        incoming = Incoming(server=ROOM, user=User("shell", voter, voter), place=Place("general"),
                            command="vote", options={"side": side, "round": round_id}, event_id=f"vote-{i}")
        barrier.wait()
        replies[i] = asyncio.run(service.handle(incoming))

    threads = [threading.Thread(target=cast, args=(i, v, s)) for i, (v, s) in enumerate(ballots)]
    for t in threads:
        t.start()
    await asyncio.to_thread(lambda: [t.join() for t in threads])

    assert len(replies) == 100
    errors = [r[0].text for r in replies.values() if r and r[0].kind == "error"]
    assert not errors, errors[:3]
    with db.transaction(service.sessions) as session:
        rows = session.execute(select(m.User.external_id, m.Vote.side).join(m.User, m.User.id == m.Vote.voter_id)
                               .where(m.Vote.round_id == round_id)).all()
    by_voter = dict(rows)
    assert len(rows) == 60 and set(by_voter) == set(voters)
    for voter in voters:  # each voter's one vote is one of the sides they chose
        assert by_voter[voter] in {side for v, side in ballots if v == voter}
    await room.say(f"/debate cancel round:{round_id}")
