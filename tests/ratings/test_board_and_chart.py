"""The leaderboard says which pool it shows and defaults to the caller's; the chart is drawn against dates."""

from __future__ import annotations

from datetime import timedelta

from bot.service import DebateService
from bot.stats import chart_figure
from tests.fakes.clock import VirtualClock
from tests.fakes.incoming import incoming
from tests.fakes.messenger import RecordingMessenger
from tests.ratings.helpers import T0, finished_round, person


def test_a_lone_round_gets_a_date_axis_and_singular_legend() -> None:
    fig = chart_figure({"bot": [(T0, 3.0)]}, "Rating")
    ax = fig.axes[0]
    lo, hi = ax.get_xlim()
    assert hi - lo >= 2  # days either side, not 0.945–1.050
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["vs the bot (1 round)"]
    fig = chart_figure({"bot": [(T0, 1.0), (T0 + timedelta(days=3), 2.0)],
                        "people": [(T0 + timedelta(days=1), 0.5)]}, "Rating")
    texts = sorted(t.get_text() for t in fig.axes[0].get_legend().get_texts())
    assert texts == ["vs people (1 round)", "vs the bot (2 rounds)"]


async def test_leaderboard_defaults_to_the_callers_pool_and_says_so(settings) -> None:  # type: ignore[no-untyped-def]
    service = DebateService(settings, RecordingMessenger(), platform="shell",
                            clock=VirtualClock(T0 + timedelta(days=1)))
    await service.start()
    try:
        from bot.storage import db, repo

        with db.transaction(service.sessions) as session:
            ann, ben, cat = (person(session, n) for n in ("ann", "ben", "cat"))
            bot = repo.bot_user(session, "shell")
            finished_round(session, {"pro": [ann], "con": [ben]}, "pro")  # a people round exists...
            for _ in range(3):  # ...but cat only practises against the bot
                finished_round(session, {"pro": [cat], "con": [bot]}, "pro")
        (reply,) = await service.handle(incoming("leaderboard", "cat"))
        assert "rounds against the bot" in reply.title and "the pool with your rounds" in reply.text
        (reply,) = await service.handle(incoming("leaderboard", "ann"))
        assert "rounds between people" in reply.title and "Showing rounds between people" in reply.text
        (reply,) = await service.handle(incoming("leaderboard", "cat", pool="people"))
        assert "rounds between people" in reply.title
    finally:
        await service.stop()
