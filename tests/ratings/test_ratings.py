"""Ratings: PlackettLuce updates, pools, seasons, leaderboards and the min-rounds rule, on both databases."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot import chat
from bot.config import Settings
from bot.ratings import MIN_ROUNDS, record_round, season_key, top
from bot.service import DebateService
from bot.storage import db, repo
from bot.storage import models as m
from tests.fakes.clock import VirtualClock
from tests.fakes.incoming import SERVER, incoming
from tests.fakes.messenger import RecordingMessenger
from tests.ratings.helpers import T0, finished_round, person


@pytest.fixture
def sessions(database_url: str):  # type: ignore[no-untyped-def]
    engine = db.make_engine(database_url)
    yield db.session_factory(engine)
    engine.dispose()


def rating(session, user: m.User, pool: str = "people", season: str = "all") -> m.Rating:  # type: ignore[no-untyped-def]
    return session.scalars(select(m.Rating).where(m.Rating.user_id == user.id, m.Rating.pool == pool,
                                                  m.Rating.season == season)).one()


def test_winner_rises_loser_falls_and_results_are_written(sessions) -> None:  # type: ignore[no-untyped-def]
    with db.transaction(sessions) as s:
        ann, bob = person(s, "ann"), person(s, "bob")
        rnd = finished_round(s, {"pro": [ann], "con": [bob]}, "con", scores={"ann": 61.0, "bob": 74.0})
        a, b = rating(s, ann), rating(s, bob)
        assert b.mu > 25.0 > a.mu
        assert b.ordinal > a.ordinal
        assert (a.rounds, a.wins, b.rounds, b.wins) == (1, 0, 1, 1)
        results = {r.user_id: r for r in s.scalars(select(m.Result).where(m.Result.round_id == rnd.id))}
        assert results[bob.id].won and not results[ann.id].won
        assert results[bob.id].rank == 0 and results[ann.id].rank == 1
        assert results[ann.id].speaker_score == 61.0 and results[bob.id].speaker_score == 74.0
        assert results[bob.id].mu_after == pytest.approx(b.mu)
        assert results[ann.id].pool == "people"
        # the season row moved the same way
        season = season_key(None, T0)
        assert rating(s, bob, season=season).mu == pytest.approx(b.mu)
        # recording the same round again changes nothing
        assert record_round(s, rnd) == []
        assert rating(s, bob).rounds == 1


def test_british_parliamentary_orders_four_teams(sessions) -> None:  # type: ignore[no-untyped-def]
    with db.transaction(sessions) as s:
        names = ["a1", "a2", "b1", "b2", "c1", "c2", "d1", "d2"]
        u = {n: person(s, n) for n in names}
        teams = {"og": [u["a1"], u["a2"]], "oo": [u["b1"], u["b2"]], "cg": [u["c1"], u["c2"]],
                 "co": [u["d1"], u["d2"]]}
        # CO first, OG second, CG third, OO last
        finished_round(s, teams, "co", ranks={"co": 0, "og": 1, "cg": 2, "oo": 3})
        mus = {side: rating(s, members[0]).mu for side, members in teams.items()}
        assert mus["co"] > mus["og"] > mus["cg"] > mus["oo"]
        assert mus["co"] > 25.0 > mus["oo"]
        assert rating(s, u["d2"]).mu == pytest.approx(mus["co"])  # teammates move together
        places = {r.user_id: r.rank for r in s.scalars(select(m.Result))}
        assert places[u["a1"].id] == 1 and places[u["b2"].id] == 3 and places[u["d1"].id] == 0


def test_rounds_against_the_bot_are_a_separate_pool_and_the_bot_is_never_rated(sessions) -> None:  # type: ignore[no-untyped-def]
    with db.transaction(sessions) as s:
        ann, bob = person(s, "ann"), person(s, "bob")
        botu = repo.bot_user(s, "shell")
        for i in range(3):
            finished_round(s, {"pro": [ann], "con": [botu]}, "pro", at=T0 + timedelta(hours=i))
        finished_round(s, {"pro": [ann], "con": [bob]}, "con", at=T0 + timedelta(hours=5))
        assert rating(s, ann, "bot").rounds == 3 and rating(s, ann, "bot").mu > 25
        assert rating(s, ann, "people").rounds == 1 and rating(s, ann, "people").mu < 25
        assert s.scalars(select(m.Rating).where(m.Rating.user_id == botu.id)).first() is None
        assert s.scalars(select(m.Result).where(m.Result.user_id == botu.id)).first() is None
        pools = {r.pool for r in s.scalars(select(m.Result).where(m.Result.user_id == ann.id))}
        assert pools == {"bot", "people"}
        server = repo.server(s, SERVER)
        assert [x.user_id for x in top(s, server.id, pool="bot")] == [ann.id]
        assert top(s, server.id, pool="people") == []  # nobody has 3 rounds between people yet


def test_leaderboard_orders_by_ordinal_and_needs_min_rounds(sessions) -> None:  # type: ignore[no-untyped-def]
    with db.transaction(sessions) as s:
        ann, bob, cat, dan = (person(s, n) for n in ("ann", "bob", "cat", "dan"))
        at = T0
        # ann beats everyone, bob beats cat, cat never wins; dan plays only twice
        for winner, loser in [(ann, bob), (ann, cat), (bob, cat), (ann, bob), (bob, cat), (ann, cat),
                              (dan, cat), (dan, bob)]:
            at += timedelta(hours=1)
            finished_round(s, {"pro": [winner], "con": [loser]}, "pro", at=at)
        server = repo.server(s, SERVER)
        board = top(s, server.id, pool="people", period="all")
        assert [x.name for x in board] == ["Ann", "Bob", "Cat"]
        assert [x.ordinal for x in board] == sorted((x.ordinal for x in board), reverse=True)
        assert rating(s, dan).ordinal > rating(s, cat).ordinal  # rated, but below the min-rounds line
        assert all(x.rounds >= MIN_ROUNDS for x in board)
        assert "Dan" in [x.name for x in top(s, server.id, pool="people", min_rounds=2)]


def test_periods_thirty_days_and_season(sessions) -> None:  # type: ignore[no-untyped-def]
    now = T0 + timedelta(days=100)  # 2026-02-09 is Q1 of the next year
    with db.transaction(sessions) as s:
        old, fresh, foe = person(s, "old"), person(s, "fresh"), person(s, "foe")
        for i in range(4):  # long ago, in the previous season
            finished_round(s, {"pro": [old], "con": [foe]}, "pro", at=T0 + timedelta(hours=i))
        for i in range(3):  # within the last 30 days and this season
            finished_round(s, {"pro": [fresh], "con": [foe]}, "pro", at=now - timedelta(days=2, hours=i))
        server = repo.server(s, SERVER)
        settings_row = repo.server_settings(s, server)
        all_time = [x.name for x in top(s, server.id, period="all", now=now)]
        recent = [x.name for x in top(s, server.id, period="30d", now=now)]
        season = [x.name for x in top(s, server.id, period="season", season=season_key(settings_row, now),
                                      now=now)]
        assert set(all_time) == {"Old", "Fresh", "Foe"}
        assert recent == ["Fresh", "Foe"] and season == ["Fresh", "Foe"]
        assert season_key(settings_row, now) == "2027Q1"
        # an admin-started season replaces the quarter
        settings_row.season_started_at = now - timedelta(days=1)
        assert season_key(settings_row, now).startswith("s2027")
        assert top(s, server.id, period="season", season=season_key(settings_row, now), now=now) == []


async def test_leaderboard_command_tells_how_many_rounds_are_missing(settings: Settings) -> None:
    service = DebateService(settings, RecordingMessenger(), platform="shell", clock=VirtualClock(T0 + timedelta(days=1)))
    try:
        with db.transaction(service.sessions) as s:
            ann, bob, cat = person(s, "ann"), person(s, "bob"), person(s, "cat")
            evil = repo.user(s, chat.User("shell", "evil", "@everyone"))
            for i in range(3):
                finished_round(s, {"pro": [ann], "con": [bob]}, "pro", at=T0 + timedelta(hours=i))
                finished_round(s, {"pro": [evil], "con": [bob]}, "pro", at=T0 + timedelta(hours=i, minutes=5))
            finished_round(s, {"pro": [cat], "con": [bob]}, "con", at=T0 + timedelta(hours=9))
        [board] = await service.handle(incoming("leaderboard", "cat"))
        text = chat.plain(board.text)
        assert "Leaderboard" in (board.title or "")
        assert text.index("Ann") < text.index("Bob")  # bob lost six of seven rounds
        assert "1 rated round here; 2 more to appear" in text
        assert "Cat" not in text.split("You have")[0]
        # the display name is marked as user text, so adapters escape it
        assert chat.user_text("@everyone") in board.text
        [mine] = await service.handle(incoming("leaderboard", "bob", period="30d"))
        assert "more to appear" not in mine.text
        [bot_board] = await service.handle(incoming("leaderboard", "ann", pool="bot"))
        assert "Nobody has 3 rated rounds" in bot_board.text
        [bad] = await service.handle(incoming("leaderboard", period="forever"))
        assert bad.kind == chat.Kind.ERROR
    finally:
        await service.stop()


def test_round_finished_event_rates_the_round_in_the_same_transaction(sessions) -> None:  # type: ignore[no-untyped-def]
    from bot import events, ratings

    ratings.install()
    ratings.install()  # idempotent: one listener
    with db.transaction(sessions) as s:
        ann, bob = person(s, "ann"), person(s, "bob")
        server = repo.server(s, SERVER)
        rnd = m.Round(server_id=server.id, channel_id="general", motion_id="m1", motion_text="THW m1",
                      format_key="quick", state="finished", winner="pro", finished_at=T0)
        s.add(rnd)
        s.flush()
        s.add_all([m.Participant(round_id=rnd.id, user_id=ann.id, role="pro"),
                   m.Participant(round_id=rnd.id, user_id=bob.id, role="con"),
                   m.Participant(round_id=rnd.id, user_id=person(s, "cat").id, role="audience")])
        s.flush()
        events.emit(events.RoundFinished(round_id=rnd.id, server_id=server.id, format_key="quick", winner="pro",
                                         winner_source="audience"), s)
        round_id = rnd.id
    with db.transaction(sessions) as s:
        results = s.scalars(select(m.Result).where(m.Result.round_id == round_id)).all()
        assert sorted((r.user_id, r.won) for r in results) == sorted([(ann.id, True), (bob.id, False)])
        assert s.scalars(select(m.Rating).where(m.Rating.user_id == ann.id, m.Rating.season == "all")).one().wins == 1


def test_thirty_day_board_is_the_same_by_aggregation_and_by_probing(sessions, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from bot import ratings

    now = T0 + timedelta(days=60)
    with db.transaction(sessions) as s:
        players = [person(s, f"p{i}") for i in range(6)]
        at = T0
        for i in range(40):  # older rounds: everyone plays
            at += timedelta(hours=1)
            finished_round(s, {"pro": [players[i % 6]], "con": [players[(i + 1) % 6]]}, "pro", at=at)
        for i in range(12):  # last 30 days: only p0..p3 play, p0 wins most
            a, b = players[i % 4], players[(i + 2) % 4]
            finished_round(s, {"pro": [a], "con": [b]}, "pro" if a is players[0] or i % 3 else "con",
                           at=now - timedelta(days=3, hours=i))
        server = repo.server(s, SERVER)
        by_aggregate = top(s, server.id, period="30d", now=now)
        monkeypatch.setattr(ratings, "AGGREGATE_WINDOW_BELOW", 0)
        by_probe = top(s, server.id, period="30d", now=now)
        assert by_aggregate == by_probe
        assert {x.name for x in by_probe} <= {"P0", "P1", "P2", "P3"} and by_probe
        assert all(x.rounds >= MIN_ROUNDS for x in by_probe)
        assert sum(x.rounds for x in by_probe) <= 24  # the window's rounds, not all-time ones
        assert [x.ordinal for x in by_probe] == sorted((x.ordinal for x in by_probe), reverse=True)


def test_draws_and_scores_on_other_scales(sessions) -> None:  # type: ignore[no-untyped-def]
    with db.transaction(sessions) as s:
        ann, bob = person(s, "ann"), person(s, "bob")
        rnd = finished_round(s, {"pro": [ann], "con": [bob]}, "pro", ranks={"pro": 0, "con": 0})
        a, b = rating(s, ann), rating(s, bob)
        assert a.mu == pytest.approx(25.0) and b.mu == pytest.approx(25.0) and a.sigma < 25 / 3
        assert a.wins == b.wins == 0
        assert not any(r.won for r in s.scalars(select(m.Result).where(m.Result.round_id == rnd.id)))
        # World Schools points (60-80) and a judge's ballot become shares of the scale
        cat, dan = person(s, "cat"), person(s, "dan")
        ws = finished_round(s, {"pro": [cat], "con": [dan]}, "pro", at=T0 + timedelta(hours=1),
                            scores={"cat": 75.0, "dan": 65.0})
        s.execute(m.Result.__table__.delete().where(m.Result.round_id == ws.id))
        ws.format_spec = {"speaker_scale": [60, 80]}
        speech_of = {sp.participant_id: sp.id for sp in s.scalars(select(m.Speech).where(m.Speech.round_id == ws.id))}
        parts = {p.user_id: p.id for p in s.scalars(select(m.Participant).where(m.Participant.round_id == ws.id))}
        judge = person(s, "judy")
        s.add(m.Ballot(round_id=ws.id, judge_id=judge.id, winner="pro",
                       speaker_points={str(speech_of[parts[cat.id]]): 80}))
        s.flush()
        record_round(s, ws)
        scores = {r.user_id: r.speaker_score for r in s.scalars(select(m.Result).where(m.Result.round_id == ws.id))}
        assert scores[cat.id] == pytest.approx(100.0)  # the judge's 80 of 60-80
        assert scores[dan.id] == pytest.approx(25.0)  # the engine's 65 of 60-80
