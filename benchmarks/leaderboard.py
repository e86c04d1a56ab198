"""Leaderboard query speed: top 10 with 1,000,000 results ("ballots") and 100,000 users, SQLite and PostgreSQL.

    .venv/bin/python benchmarks/leaderboard.py [--users 100000] [--results 1000000] [--runs 200]
                                               [--backends sqlite,postgres] [--pg-url URL]

Loads a fresh, migrated database in bulk (sqlite3 executemany; PostgreSQL COPY), then times the exact
queries `/debate leaderboard` runs (`bot.ratings.top` for all time, season and last 30 days, and
`standing_of` for the caller's place). Prints load time and median / p99 per query. Target: ≤ 20 ms.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.ratings import season_key, standing_of, top  # noqa: E402
from bot.storage import db  # noqa: E402

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
SQLITE_TS = "%Y-%m-%d %H:%M:%S.%f"

USER_COLS = ("id", "platform", "external_id", "display_name", "is_bot", "created_at")
ROUND_COLS = ("id", "server_id", "channel_id", "motion_id", "motion_text", "format_key", "format_spec", "state",
              "is_practice", "time_scale", "phase_index", "created_at", "updated_at", "finished_at", "winner")
RESULT_COLS = ("id", "round_id", "server_id", "user_id", "pool", "side", "rank", "won", "speaker_score",
               "motion_id", "mu_after", "sigma_after", "finished_at")
RATING_COLS = ("id", "server_id", "user_id", "pool", "season", "mu", "sigma", "ordinal", "rounds", "wins",
               "updated_at")


def generate(users: int, results: int, seed: int = 7) -> dict[str, list[tuple]]:
    """Synthetic but consistent data: rounds of two people (90%) or one person vs the bot (10%)."""
    rng = np.random.default_rng(seed)
    bot_id = users + 1
    n_bot = results // 10
    n_people_rounds = (results - n_bot) // 2
    n_rounds = n_people_rounds + n_bot
    ages = rng.uniform(0, 365 * 86400, n_rounds)
    finished = [NOW - timedelta(seconds=float(a)) for a in ages]
    now_s = NOW.strftime(SQLITE_TS)
    user_rows = [(i, "discord", str(10**17 + i), f"user{i}", False, now_s) for i in range(1, users + 1)]
    user_rows.append((bot_id, "discord", "__bot__", "Debate Bot", True, now_s))
    round_rows, result_rows = [], []
    pro = rng.integers(1, users + 1, n_rounds)
    con = (pro + rng.integers(1, users, n_rounds) - 1) % users + 1  # a different person
    pro_wins = rng.random(n_rounds) < 0.5
    for r in range(n_rounds):
        rid = r + 1
        people = r < n_people_rounds
        at = finished[r]
        round_rows.append((rid, 1, "general", "m1", "THW test", "quick", "{}", "finished", not people, 1.0, 5,
                           at, at, at, "pro" if pro_wins[r] else "con"))
        pool = "people" if people else "bot"
        sides = [("pro", int(pro[r]), bool(pro_wins[r]))] + ([("con", int(con[r]), not pro_wins[r])] if people else [])
        for side, uid, won in sides:
            result_rows.append((len(result_rows) + 1, rid, 1, uid, pool, side, 0 if won else 1, won, 60.0 + 20 * rng.random(),
                                "m1", 25.0, 8.0, at))
    # ratings consistent with the results: rounds and wins per user, pool and season
    season = season_key(None, NOW)
    counts: dict[tuple[int, str, str], list[int]] = {}
    for row in result_rows:
        keys = [(row[3], row[4], "all")]
        if season_key(None, row[12]) == season:
            keys.append((row[3], row[4], season))
        for key in keys:
            c = counts.setdefault(key, [0, 0])
            c[0] += 1
            c[1] += int(row[7])
    rating_rows = []
    for (uid, pool, key), (n, w) in counts.items():
        sigma = max(1.2, 8.333 / (1 + n / 4) ** 0.5)
        mu = 25.0 + 6 * (w / n - 0.5) + rng.normal(0, 1.5)
        rating_rows.append((len(rating_rows) + 1, 1, uid, pool, key, mu, sigma, mu - 3 * sigma, n, w, NOW))
    return {"users": user_rows, "rounds": round_rows, "results": result_rows, "ratings": rating_rows}


def _sqlite_value(v: object) -> object:
    return v.astimezone(UTC).strftime(SQLITE_TS) if isinstance(v, datetime) else v


def load_sqlite(path: Path, data: dict[str, list[tuple]]) -> None:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("INSERT INTO servers (id, platform, external_id, name, created_at) VALUES (1, 'discord', '1', 'Bench', ?)",
                 (NOW.strftime(SQLITE_TS),))
    for table, cols in (("users", USER_COLS), ("rounds", ROUND_COLS), ("results", RESULT_COLS),
                        ("ratings", RATING_COLS)):
        sql = f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
        conn.executemany(sql, ([_sqlite_value(v) for v in row] for row in data[table]))
    conn.commit()
    conn.execute("ANALYZE")
    conn.close()


def load_postgres(url: str, data: dict[str, list[tuple]]) -> None:
    import psycopg

    conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo) as conn, conn.cursor() as cur:
        cur.execute("INSERT INTO servers (id, platform, external_id, name, created_at) VALUES (1, 'discord', '1', 'Bench', %s)",
                    (NOW,))
        for table, cols in (("users", USER_COLS), ("rounds", ROUND_COLS), ("results", RESULT_COLS),
                            ("ratings", RATING_COLS)):
            with cur.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy:
                for row in data[table]:
                    copy.write_row(row)
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        conn.commit()
        conn.autocommit = True
        cur.execute("VACUUM (ANALYZE)")  # the steady state autovacuum keeps: visibility map set


def time_queries(url: str, users: int, runs: int) -> dict[str, list[float]]:
    engine = db.make_engine(url)
    sessions = db.session_factory(engine)
    season = season_key(None, NOW)
    rng = np.random.default_rng(1)
    queries = {
        "top 10, all time": lambda s, _: top(s, 1, pool="people", period="all", now=NOW),
        "top 10, season": lambda s, _: top(s, 1, pool="people", period="season", season=season, now=NOW),
        "top 10, last 30 days": lambda s, _: top(s, 1, pool="people", period="30d", now=NOW),
        "top 10, vs bot, all time": lambda s, _: top(s, 1, pool="bot", period="all", now=NOW),
        "caller's place, all time": lambda s, uid: standing_of(s, 1, uid, pool="people", period="all", now=NOW),
        "caller's place, 30 days": lambda s, uid: standing_of(s, 1, uid, pool="people", period="30d", now=NOW),
    }
    timings: dict[str, list[float]] = {}
    with sessions() as session:
        board = top(session, 1, pool="people", period="all", now=NOW)
        assert len(board) == 10 and board[0].ordinal >= board[-1].ordinal, board
        for name, query in queries.items():
            for _ in range(5):  # warm caches and statement compilation
                query(session, int(rng.integers(1, users + 1)))
            samples = []
            for _ in range(runs):
                uid = int(rng.integers(1, users + 1))
                t = time.perf_counter()
                query(session, uid)
                samples.append((time.perf_counter() - t) * 1000)
            timings[name] = samples
    engine.dispose()
    return timings


def p99(samples: list[float]) -> float:
    return float(np.percentile(samples, 99))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--results", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL database afterwards")
    parser.add_argument("--pg-url", default=os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"))
    args = parser.parse_args()

    t = time.perf_counter()
    data = generate(args.users, args.results)
    print(f"generated {len(data['users']):,} users, {len(data['rounds']):,} rounds, {len(data['results']):,} results, "
          f"{len(data['ratings']):,} rating rows in {time.perf_counter() - t:.1f} s")
    table: list[tuple[str, str, float, float]] = []
    for backend in args.backends.split(","):
        if backend == "sqlite":
            folder = tempfile.mkdtemp(prefix="bench-lb-")
            path = Path(folder) / "bench.sqlite3"
            url = f"sqlite:///{path}"
            db.upgrade(url)
            t = time.perf_counter()
            load_sqlite(path, data)
            load = time.perf_counter() - t
        else:
            name = "debate_bench_leaderboard"
            url = db.create_postgres_database(args.pg_url, name)
            db.upgrade(url)
            t = time.perf_counter()
            load_postgres(url, data)
            load = time.perf_counter() - t
        rows = sum(len(v) for v in data.values())
        print(f"{backend}: bulk-loaded {rows:,} rows in {load:.1f} s ({rows / load:,.0f} rows/s)")
        for query, samples in time_queries(url, args.users, args.runs).items():
            table.append((backend, query, statistics.median(samples), p99(samples)))
        if backend == "postgres" and not args.keep:
            db.drop_postgres_database(args.pg_url, name)
    print()
    print(f"{'backend':<9} {'query':<28} {'median ms':>10} {'p99 ms':>8}  target ≤ 20 ms")
    for backend, query, med, tail in table:
        print(f"{backend:<9} {query:<28} {med:>10.2f} {tail:>8.2f}  {'ok' if tail <= 20 else 'SLOW'}")


if __name__ == "__main__":
    main()
