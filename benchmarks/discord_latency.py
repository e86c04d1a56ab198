"""Discord adapter latency: INTERACTION_CREATE → initial response, measured on the fake Discord.

Both bots run in their own process, like the real thing:
- the debate bot: `debate-bot run discord` (SQLite in a temporary folder), answering `/debate help`
  through the core (one database transaction, the command table, embed rendering);
- a bare discord.py bot answering the same `/debate help` with a fixed string;
- for diagnosis, the debate bot's adapter with the core stubbed out (no database transaction).

The fake stamps each interaction when it writes the gateway frame and when the callback arrives.
500 interactions one at a time, then 500 in bursts of 50; p50/p99 in ms and the ratio debate/bare.

    .venv/bin/python benchmarks/discord_latency.py [--count 500] [--burst 50]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.fakes.discord_fake import FakeDiscord  # noqa: E402

PYTHON = sys.executable


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


async def measure(fake: FakeDiscord, count: int, burst: int) -> list[float]:
    """Latencies in ms; `burst` interactions are sent back to back, then all answers awaited."""
    latencies: list[float] = []
    for start in range(0, count, burst):
        records = [await fake.slash("help", user="bob") for _ in range(min(burst, count - start))]
        for record in records:
            await record.wait_response(timeout=30)
            assert record.responded_at is not None
            latencies.append((record.responded_at - record.sent_at) * 1000)
    return latencies


async def run_bot(name: str, command: list[str], env: dict[str, str], count: int, burst: int,
                  warmup: int) -> dict[str, list[float]]:
    fake = await FakeDiscord().start()
    fake.record_requests = False
    process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env, "DISCORD_API_BASE": fake.api_base,
                                                       "DISCORD_GATEWAY_URL": fake.gateway_url,
                                                       "DISCORD_TOKEN": fake.token},
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        await fake.wait_ready(timeout=60)
        await asyncio.sleep(0.5)  # let the bot finish start-up work after READY
        await measure(fake, warmup, 1)
        one = await measure(fake, count, 1)
        bursts = await measure(fake, count, burst)
        return {"one at a time": one, f"bursts of {burst}": bursts}
    except Exception:
        process.terminate()
        print(f"{name} failed; its stderr:\n{process.communicate(timeout=10)[1][-3000:]}", file=sys.stderr)
        raise
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=10)
        await fake.stop()


async def main(count: int, burst: int, warmup: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        debate = await run_bot("debate bot", [str(Path(PYTHON).parent / "debate-bot"), "run", "discord"],
                               {"DATA_DIR": tmp, "DATABASE_URL": "", "LOG_LEVEL": "WARNING"}, count, burst, warmup)
    bare = await run_bot("bare bot", [PYTHON, str(ROOT / "benchmarks" / "bare_discord_bot.py")], {}, count, burst, warmup)
    adapter = await run_bot("adapter only", [PYTHON, str(ROOT / "benchmarks" / "discord_adapter_only_bot.py")], {},
                            count, burst, warmup)
    print(f"Discord: INTERACTION_CREATE → initial response on the fake, {count} interactions each, ms")
    print(f"{'mode':<16} {'bot':<22} {'p50':>7} {'p99':>7} {'mean':>7}")
    for mode in debate:
        for name, result in (("debate bot", debate[mode]), ("bare bot", bare[mode]),
                             ("adapter only (no core)", adapter[mode])):
            print(f"{mode:<16} {name:<22} {percentile(result, 50):7.2f} {percentile(result, 99):7.2f} "
                  f"{statistics.fmean(result):7.2f}")
        for name, result in (("ratio debate/bare", debate[mode]), ("ratio adapter/bare", adapter[mode])):
            print(f"{mode:<16} {name:<22} {percentile(result, 50) / percentile(bare[mode], 50):7.2f} "
                  f"{percentile(result, 99) / percentile(bare[mode], 99):7.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--burst", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=30)
    args = parser.parse_args()
    asyncio.run(main(args.count, args.burst, args.warmup))
