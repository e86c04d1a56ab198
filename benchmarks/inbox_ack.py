"""What the inbox adds to a Slack ack: one durable INSERT ... ON CONFLICT DO NOTHING (bot/storage/inbox.py).

Writes N message events (a realistic 2 KB Slack envelope) one after another, then from 8 threads at once,
on SQLite (a file, WAL) and on PostgreSQL (full synchronous_commit), and prints p50/p99/max per insert.
Then, through the real Slack app (Bolt on aiohttp, against the fake Slack Web API), the ack latency of
bursts of signed message events, each written to the inbox before its 200. The budget it has to fit:
Slack wants the 200 within 3 s.

    .venv/bin/python benchmarks/inbox_ack.py [--n 1000] [--bursts 5] [--concurrency 100] [--baseline]
        [--postgres postgresql://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.storage import db, inbox  # noqa: E402

BODY = {"type": "event_callback", "team_id": "T0FAKE", "event_id": "", "event": {
    "type": "message", "channel": "C0GENERAL", "user": "U0ALICE", "thread_ts": "1700000000.000100",
    "ts": "1700000001.000200", "text": "Talks froze the testing, and that alone is worth the summit. " * 30}}


def run(url: str, n: int) -> dict[str, float]:
    engine = db.make_engine(url)
    box = inbox.Inbox(engine, "bench")  # its own platform: the HTTP run below counts only its own rows
    box.put("warm-up", BODY)

    def one(i: int) -> float:
        start = time.perf_counter()
        box.put(f"Ev{uuid.uuid4().hex}", {**BODY, "event_id": str(i)}, order_key=i)
        return (time.perf_counter() - start) * 1000

    serial = sorted(one(i) for i in range(n))
    with ThreadPoolExecutor(8) as pool:
        parallel = sorted(pool.map(one, range(n)))
    box.close()
    engine.dispose()

    def q(xs: list[float], p: float) -> float:
        return xs[min(len(xs) - 1, int(len(xs) * p))]

    return {"serial p50": statistics.median(serial), "serial p99": q(serial, 0.99), "serial max": serial[-1],
            "8 threads p50": statistics.median(parallel), "8 threads p99": q(parallel, 0.99),
            "8 threads max": parallel[-1]}


async def acks(url: str, bursts: int, concurrency: int, inbox_on: bool = True) -> dict[str, float]:
    """Ack latency of signed message events through the Slack app (each one an inbox insert before the 200)."""
    import asyncio

    import aiohttp
    from pydantic import SecretStr

    from adapters.slack.app import SlackAdapter
    from adapters.slack.http import serve
    from bot.config import Settings
    from tests.fakes import slack_client as sc
    from tests.fakes.slack_fake import SlackFake

    secret = "bench-secret"
    times: list[float] = []
    errors = 0
    async with SlackFake() as fake:
        settings = Settings(_env_file=None, database_url=url, data_dir=Path(tempfile.mkdtemp()),
                            slack_bot_token=SecretStr("xoxb-bench"), slack_signing_secret=SecretStr(secret),
                            slack_api_base=fake.api_base)
        adapter = SlackAdapter(settings)
        if not inbox_on:  # the baseline: the same app acking without the inbox write
            async def no_inbox(_: dict) -> bool:
                return True

            adapter.store_event = no_inbox  # type: ignore[method-assign]
        await adapter.start()
        runner = await serve(adapter.web_app(), "127.0.0.1", 0)
        host, port = runner.addresses[0][:2]
        target = f"http://{host}:{port}/slack/events"
        async with aiohttp.ClientSession() as http:
            async def one(i: int) -> None:
                nonlocal errors
                body = sc.event_body(sc.message_event(f"audience chat {i}", user=f"U{i % 50:04d}"))
                start = time.perf_counter()
                status, _ = await sc.post(http, target, secret, body)
                times.append((time.perf_counter() - start) * 1000)
                errors += status != 200

            await asyncio.gather(*(one(i) for i in range(20)))  # warm-up
            times.clear()
            for burst in range(bursts):
                await asyncio.gather(*(one(burst * concurrency + i) for i in range(concurrency)))
                await asyncio.sleep(0.5)
        sent = time.perf_counter()
        while adapter.service.inbox.depth() and time.perf_counter() - sent < 120:
            await asyncio.sleep(0.2)
        drained = time.perf_counter() - sent
        depth = adapter.service.inbox.depth()
        await runner.cleanup()
        await adapter.stop()
    times.sort()
    return {"p50": statistics.median(times), "p99": times[int(len(times) * 0.99) - 1], "max": times[-1],
            "non-200": errors, "n": len(times), "inbox depth at the end": depth,
            "seconds to drain the inbox after the last ack": drained}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--bursts", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--baseline", action="store_true", help="also measure the acks without the inbox")
    args = parser.parse_args()
    import asyncio

    with tempfile.TemporaryDirectory() as tmp:
        targets = {"sqlite": f"sqlite:///{tmp}/bench.sqlite3"}
        name = f"bench_inbox_{uuid.uuid4().hex[:8]}"
        try:
            targets["postgres"] = db.create_postgres_database(args.postgres, name)
        except Exception as exc:  # noqa: BLE001
            print(f"postgres skipped: {exc}")
        for backend, url in targets.items():
            db.upgrade(url)
            figures = run(url, args.n)
            print(f"{backend:8} insert", "  ".join(f"{k} {v:.2f} ms" for k, v in figures.items()), flush=True)
            http = asyncio.run(acks(url, args.bursts, args.concurrency))
            print(f"{backend:8} ack of message events in bursts of {args.concurrency}:",
                  "  ".join(f"{k} {v:.1f}" for k, v in http.items()), "(ms)", flush=True)
            if args.baseline:
                http = asyncio.run(acks(url, args.bursts, args.concurrency, inbox_on=False))
                print(f"{backend:8} the same without the inbox:",
                      "  ".join(f"{k} {v:.1f}" for k, v in http.items()), "(ms)", flush=True)
        if "postgres" in targets:
            db.drop_postgres_database(args.postgres, name)


if __name__ == "__main__":
    main()
