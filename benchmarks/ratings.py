"""Rating updates per second: openskill PlackettLuce alone, and a finished round recorded end to end.

    .venv/bin/python benchmarks/ratings.py [--matches 20000] [--rounds 500] [--backends sqlite,postgres]

1. The model alone (`bot.ratings.rate_teams`, which wraps `PlackettLuce.rate`) for 1 v 1, World Schools
   3 v 3 and British Parliamentary (four teams of two). Target: ≥ 5,000 matches/s.
2. `bot.ratings.record_round` in the database, one transaction per round as in the bot: read or create
   the rating rows (all time and season), rate, write one Result per debater, commit.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot import chat  # noqa: E402
from bot.ratings import rate_teams, record_round  # noqa: E402
from bot.storage import db, repo  # noqa: E402
from bot.storage import models as m  # noqa: E402

SHAPES = {"1 v 1": (2, 1), "3 v 3 (World Schools)": (2, 3), "BP: 4 teams of 2": (4, 2)}


def model_only(matches: int) -> list[tuple[str, float]]:
    rng = np.random.default_rng(3)
    out = []
    for name, (teams, size) in SHAPES.items():
        pool = [(25.0 + rng.normal(0, 3), 8.333 * rng.uniform(0.3, 1)) for _ in range(1000)]
        games = [[[pool[int(i)] for i in rng.integers(0, 1000, size)] for _ in range(teams)] for _ in range(matches)]
        ranks = list(range(teams))
        rate_teams(games[0], ranks)  # warm up
        t = time.perf_counter()
        for game in games:
            rate_teams(game, ranks)
        out.append((name, matches / (time.perf_counter() - t)))
    return out


def end_to_end(url: str, rounds: int, players: int = 200) -> tuple[float, list[float]]:
    """Rounds recorded per second, one transaction each; returns (rounds/s, per-round ms samples)."""
    engine = db.make_engine(url)
    sessions = db.session_factory(engine)
    rng = np.random.default_rng(5)
    with db.transaction(sessions) as s:
        server = repo.server(s, chat.Server("bench", "srv"))
        repo.server_settings(s, server)
        user_ids = [repo.user(s, chat.User("bench", f"u{i}", f"User {i}")).id for i in range(players)]
        server_id = server.id
    start = datetime(2026, 11, 1, tzinfo=UTC)
    samples = []
    t_all = time.perf_counter()
    for r in range(rounds):
        a, b = (int(x) for x in rng.choice(user_ids, 2, replace=False))
        with db.transaction(sessions) as s:
            rnd = m.Round(server_id=server_id, channel_id="c", motion_id="m1", motion_text="THW",
                          format_key="quick", state="finished", winner="pro" if rng.random() < 0.5 else "con",
                          finished_at=start + timedelta(minutes=r))
            s.add(rnd)
            s.flush()
            s.add_all([m.Participant(round_id=rnd.id, user_id=a, role="pro"),
                       m.Participant(round_id=rnd.id, user_id=b, role="con")])
            s.flush()
            t_rate = time.perf_counter()
            record_round(s, rnd)
            samples.append((time.perf_counter() - t_rate) * 1000)
    rate = rounds / (time.perf_counter() - t_all)
    engine.dispose()
    return rate, samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--matches", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=500)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--pg-url", default=os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"))
    args = parser.parse_args()

    print(f"{'openskill PlackettLuce (model only)':<40} {'matches/s':>12}  target ≥ 5,000")
    for name, rate in model_only(args.matches):
        print(f"{name:<40} {rate:>12,.0f}  {'ok' if rate >= 5000 else 'SLOW'}")
    print()
    print(f"{'record_round, one transaction per round':<40} {'rounds/s':>12} {'rate+write median ms':>21} {'p99 ms':>7}")
    for backend in args.backends.split(","):
        if backend == "sqlite":
            url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='bench-rt-')) / 'bench.sqlite3'}"
            db.upgrade(url)
            rate, samples = end_to_end(url, args.rounds)
        else:
            name = "debate_bench_ratings"
            url = db.create_postgres_database(args.pg_url, name)
            db.upgrade(url)
            rate, samples = end_to_end(url, args.rounds)
            db.drop_postgres_database(args.pg_url, name)
        print(f"{backend:<40} {rate:>12,.0f} {statistics.median(samples):>21.2f} "
              f"{float(np.percentile(samples, 99)):>7.2f}")


if __name__ == "__main__":
    main()
