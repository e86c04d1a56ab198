"""The winner rule is a per-server setting: judges before audience by default, configurable by admins."""

from __future__ import annotations

import pytest

from bot import chat
from bot.admin import parse_winner_rule
from bot.context import UserError
from bot.rounds import decision
from bot.rounds.live import LiveRound
from bot.storage import db, repo
from bot.storage import models as m


def _round_with_split_decision(session, rule: str | None) -> m.Round:  # type: ignore[no-untyped-def]
    server = repo.server(session, chat.Server("shell", "club"))
    settings_row = repo.server_settings(session, server)
    if rule:
        settings_row.winner_rule = rule
    rnd = m.Round(server_id=server.id, channel_id="c", motion_id="diplomacy", motion_text="THBT",
                  format_key="quick", format_spec={"sides": ["pro", "con"]}, state="judging")
    session.add(rnd)
    session.flush()
    judge = repo.user(session, chat.User("shell", "judy", "Judy"))
    session.add(m.Ballot(round_id=rnd.id, judge_id=judge.id, winner="pro"))
    for name in ("v1", "v2"):
        voter = repo.user(session, chat.User("shell", name, name))
        session.add(m.Vote(round_id=rnd.id, voter_id=voter.id, side="con"))
    session.flush()
    return rnd


@pytest.mark.parametrize(("rule", "winner", "source"), [
    (None, "pro", "judges"),
    ("audience,judges,engine", "con", "audience"),
    ("engine", None, "engine"),  # no speeches scored: the engine sees a tie
])
def test_decide_follows_the_server_rule(database_url: str, rule: str | None, winner: str | None, source: str) -> None:
    factory = db.session_factory(db.make_engine(database_url))
    with db.transaction(factory) as session:
        rnd = _round_with_split_decision(session, rule)
        got_winner, got_source, _ = LiveRound(session, rnd, rnd.created_at).decide()
    assert (got_winner, got_source) == (winner, source)


def test_parse_winner_rule() -> None:
    assert parse_winner_rule("audience judges") == "audience,judges,engine"
    assert parse_winner_rule("judges, audience, engine") == "judges,audience,engine"
    assert parse_winner_rule("engine") == "engine"
    for bad in ("", "coin-toss", "judges judges", "audience, dice"):
        with pytest.raises(UserError):
            parse_winner_rule(bad)


async def test_admins_set_the_rule_and_bad_values_change_nothing(settings) -> None:  # type: ignore[no-untyped-def]
    from adapters.shell.room import ShellRoom

    out: list[str] = []
    async with ShellRoom(settings, write=out.append) as room:
        await room.line("/debate config winner_rule audience judges")
        await room.line("/debate config winner_rule coin-toss")
        await room.line("/debate config show")
    text = "\n".join(out)
    assert "Winners are decided by: audience → judges → engine" in text
    assert "is an order of judges, audience and engine" in text
    assert "winner_rule: audience → judges → engine" in text


def test_decision_works_on_plain_values() -> None:
    """No database: a tally of ballots, votes and engine scores, and the rule."""
    counts = decision.tally(["pro", "con"], ["pro"], ["con", "con"], [("pro", 60.0, (0, 100)), ("con", 80.0, (0, 100))])
    assert counts.judges == {"pro": 1, "con": 0} and counts.audience == {"pro": 0, "con": 2}
    assert decision.decide(counts)[:2] == ("pro", "judges")
    assert decision.decide(counts, ["audience", "judges", "engine"])[:2] == ("con", "audience")
    assert decision.decide(counts, ["engine"])[:2] == ("con", "engine")
    tie = decision.tally(["pro", "con"], [], [], [])
    assert decision.decide(tie) == (None, "engine", {"pro": 0, "con": 0})
