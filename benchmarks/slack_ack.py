"""Ack latency of `/debate help` and `/debate status` under 200 concurrent signed requests.

Compares the debate bot's Slack app with a bare Bolt app that only acks, served the same way
(`adapters.slack.http.web_app` on aiohttp). Each app and the fake Slack Web API run in their own
processes, started fresh; this process only generates load. Bursts alternate between the two apps
because burst-to-burst noise is large. Target: p99 ratio (bot / bare) <= 1.25.

    .venv/bin/python benchmarks/slack_ack.py [--bursts 5] [--concurrency 200]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SECRET = "bench-signing-secret"
TOKEN = "xoxb-bench"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- the two servers (each in its own process) -------------------------------------------------------
async def serve_bare(port: int, fake: str) -> None:
    from slack_bolt.app.async_app import AsyncApp
    from slack_sdk.web.async_client import AsyncWebClient

    from adapters.slack.http import IdleGate, serve, web_app

    app = AsyncApp(client=AsyncWebClient(token=TOKEN, base_url=fake + "/api/"), signing_secret=SECRET,
                   process_before_response=False)

    @app.command("/debate")
    async def only_ack(ack):  # type: ignore[no-untyped-def]
        await ack()

    await serve(web_app(app, SECRET, IdleGate()), "127.0.0.1", port)
    await asyncio.Event().wait()


async def serve_bot(port: int, fake: str, data_dir: str) -> None:
    from pydantic import SecretStr

    from adapters.slack.app import SlackAdapter
    from adapters.slack.http import serve
    from bot.config import Settings

    settings = Settings(_env_file=None, data_dir=Path(data_dir), log_level="WARNING",
                        slack_bot_token=SecretStr(TOKEN), slack_signing_secret=SecretStr(SECRET),
                        slack_api_base=fake + "/api/")
    adapter = SlackAdapter(settings)
    await adapter.start()
    await serve(adapter.web_app(), "127.0.0.1", port)
    await asyncio.Event().wait()


# -- load generator ------------------------------------------------------------------------------------
def signed_requests(text: str, count: int, fake: str) -> list[tuple[bytes, dict[str, str]]]:
    from tests.fakes import slack_client as sc

    out = []
    for i in range(count):
        body, content_type = sc.slash_body(text, user=f"U0B{i % 20:03d}", response_url=f"{fake}/response/b{i}",
                                           trigger_id=f"tr.{uuid.uuid4().hex}")
        out.append((body.encode(), {"Content-Type": content_type, **sc.sign(SECRET, body)}))
    return out


async def burst(url: str, requests: list[tuple[bytes, dict[str, str]]]) -> list[float]:
    import aiohttp

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0, force_close=True)) as session:
        start_gate = asyncio.Event()

        async def one(body: bytes, headers: dict[str, str]) -> float:
            await start_gate.wait()
            t0 = time.perf_counter()
            async with session.post(url, data=body, headers=headers) as response:
                await response.read()
                if response.status != 200:
                    raise RuntimeError(f"HTTP {response.status}")
            return time.perf_counter() - t0

        tasks = [asyncio.create_task(one(b, h)) for b, h in requests]
        await asyncio.sleep(0)
        start_gate.set()
        return list(await asyncio.gather(*tasks))


async def response_posts(fake: str) -> int:
    import aiohttp

    async with aiohttp.ClientSession() as session, session.get(fake + "/_calls") as response:
        return sum(1 for c in await response.json() if c["method"] == "response_url")


async def wait_ready(url: str, timeout: float = 60.0) -> None:
    import aiohttp

    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            try:
                async with session.get(url) as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


async def drive(args: argparse.Namespace) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_") and "proxy" not in k.lower()}
    fake_port, bare_port, bot_port = free_port(), free_port(), free_port()
    fake = f"http://127.0.0.1:{fake_port}"
    data_dir = tempfile.mkdtemp(prefix="slack-bench-")
    py = sys.executable
    procs = [
        subprocess.Popen([py, "-m", "tests.fakes.slack_fake", "--port", str(fake_port), "--quiet"],
                         cwd=ROOT, env=env | {"PYTHONUNBUFFERED": "1"}, stdout=subprocess.DEVNULL),
        subprocess.Popen([py, __file__, "--serve", "bare", "--port", str(bare_port), "--fake", fake], cwd=ROOT, env=env),
        subprocess.Popen([py, __file__, "--serve", "bot", "--port", str(bot_port), "--fake", fake,
                          "--data-dir", data_dir], cwd=ROOT, env=env),
    ]
    try:
        await wait_ready(fake + "/_calls")
        urls = {"bare": f"http://127.0.0.1:{bare_port}/slack/events", "bot": f"http://127.0.0.1:{bot_port}/slack/events"}
        for url in urls.values():
            await wait_ready(url.replace("/slack/events", "/health"))
        # warm up both (auth.test, database, first imports); not measured
        for url in urls.values():
            await burst(url, signed_requests("help", 20, fake))
            await burst(url, signed_requests("status", 20, fake))
        await asyncio.sleep(2.0)
        results: dict[tuple[str, str], list[list[float]]] = {}
        for i in range(args.bursts):
            for text in ("help", "status"):
                order = ["bare", "bot"] if i % 2 == 0 else ["bot", "bare"]
                for name in order:
                    requests = signed_requests(text, args.concurrency, fake)
                    before = await response_posts(fake)
                    latencies = await burst(urls[name], requests)
                    results.setdefault((name, text), []).append(latencies)
                    if args.verbose:
                        print(f"burst {i} {text:<7}{name:<5} p50 {pct(latencies, 0.5) * 1000:6.1f} ms  "
                              f"p99 {pct(latencies, 0.99) * 1000:6.1f} ms", flush=True)
                    if name == "bot":  # let the bot finish the work it acked before the next burst
                        deadline = time.monotonic() + 30
                        while await response_posts(fake) < before + args.concurrency and time.monotonic() < deadline:
                            await asyncio.sleep(0.1)
                    await asyncio.sleep(0.5)
        report(results, args)
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=10)


def report(results: dict[tuple[str, str], list[list[float]]], args: argparse.Namespace) -> None:
    print(f"\nSlack ack latency: {args.bursts} alternating bursts x {args.concurrency} concurrent signed "
          f"requests per app and command ({os.cpu_count()} cores)")
    print(f"{'command':<16}{'app':<6}{'p50 ms':>9}{'p99 ms':>9}{'median burst p99':>18}")
    for text in ("help", "status"):
        rows = {}
        for name in ("bare", "bot"):
            bursts = results[(name, text)]
            pooled = [x for b in bursts for x in b]
            rows[name] = (pct(pooled, 0.5), pct(pooled, 0.99), statistics.median(pct(b, 0.99) for b in bursts))
            p50, p99, med99 = (v * 1000 for v in rows[name])
            print(f"/debate {text:<8}{name:<6}{p50:>9.1f}{p99:>9.1f}{med99:>18.1f}")
        print(f"/debate {text:<8}ratio {rows['bot'][0] / rows['bare'][0]:>8.2f}x{rows['bot'][1] / rows['bare'][1]:>8.2f}x"
              f"{rows['bot'][2] / rows['bare'][2]:>17.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bursts", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=200)
    parser.add_argument("-v", "--verbose", action="store_true", help="print every burst")
    parser.add_argument("--serve", choices=("bare", "bot"))
    parser.add_argument("--port", type=int)
    parser.add_argument("--fake")
    parser.add_argument("--data-dir")
    args = parser.parse_args()
    if args.serve == "bare":
        asyncio.run(serve_bare(args.port, args.fake))
    elif args.serve == "bot":
        asyncio.run(serve_bot(args.port, args.fake, args.data_dir))
    else:
        asyncio.run(drive(args))


if __name__ == "__main__":
    main()
