"""Discord adapter latency: INTERACTION_CREATE → initial response, measured on the fake Discord.

Both bots run in their own process, like the real thing:
- the debate bot: `debate-bot run discord` (SQLite in a temporary folder), answering `/debate help`
  through the core (one database transaction, the command table, embed rendering);
- a bare discord.py bot answering the same `/debate help` with a fixed string;
- for diagnosis, the debate bot's adapter with the core stubbed out (no database transaction).

The fake stamps each interaction when it writes the gateway frame and when the callback arrives.
500 interactions one at a time, then 500 in bursts of 50; p50/p99 in ms and the ratio debate/bare.
All bots run at the same time and take turns burst by burst, so they share the same machine load.

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


class BotProcess:
    """One bot in its own process, connected to its own fake Discord."""

    def __init__(self, name: str, command: list[str], env: dict[str, str]) -> None:
        self.name, self.command, self.env = name, command, env
        self.fake = FakeDiscord()
        self.process: subprocess.Popen[str] | None = None
        self.results: dict[str, list[float]] = {}

    async def start(self) -> None:
        await self.fake.start()
        self.fake.record_requests = False
        self.process = subprocess.Popen(
            self.command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
            env={**os.environ, **self.env, "DISCORD_API_BASE": self.fake.api_base,
                 "DISCORD_GATEWAY_URL": self.fake.gateway_url, "DISCORD_TOKEN": self.fake.token})
        try:
            await self.fake.wait_ready(timeout=60)
        except TimeoutError:
            self.process.terminate()
            stderr = self.process.communicate(timeout=10)[1][-3000:]
            raise RuntimeError(f"{self.name} did not connect; stderr:\n{stderr}") from None

    async def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        await self.fake.stop()


async def main(count: int, burst: int, warmup: int) -> None:
    """All bots run at once and take turns, burst by burst, so they see the same machine load."""
    with tempfile.TemporaryDirectory() as tmp:
        bots = [
            BotProcess("debate bot", [str(Path(PYTHON).parent / "debate-bot"), "run", "discord"],
                       {"DATA_DIR": tmp, "DATABASE_URL": "", "LOG_LEVEL": "WARNING"}),
            BotProcess("bare bot", [PYTHON, str(ROOT / "benchmarks" / "bare_discord_bot.py")], {}),
            BotProcess("adapter only (no core)", [PYTHON, str(ROOT / "benchmarks" / "discord_adapter_only_bot.py")],
                       {}),
            BotProcess("bare bot, same embed", [PYTHON, str(ROOT / "benchmarks" / "bare_discord_bot.py")],
                       {"BARE_REPLY": "embed", "PYTHONPATH": str(ROOT)}),
        ]
        try:
            for bot in bots:
                await bot.start()
            await asyncio.sleep(1.0)  # let start-up work finish after READY
            for bot in bots:
                await measure(bot.fake, warmup, 1)
            for mode, size in (("one at a time", 1), (f"bursts of {burst}", burst)):
                for bot in bots:
                    bot.results[mode] = []
                for start in range(0, count, burst):
                    for bot in bots:
                        bot.results[mode] += await measure(bot.fake, min(burst, count - start), size)
        finally:
            for bot in bots:
                await bot.stop()
    debate, bare, adapter, bare_embed = (b.results for b in bots)
    print(f"Discord: INTERACTION_CREATE → initial response on the fake, {count} interactions each, ms")
    print(f"{'mode':<16} {'bot':<22} {'p50':>7} {'p99':>7} {'mean':>7}")
    for mode in debate:
        for name, result in (("debate bot", debate[mode]), ("bare bot", bare[mode]),
                             ("adapter only (no core)", adapter[mode]), ("bare bot, same embed", bare_embed[mode])):
            print(f"{mode:<16} {name:<22} {percentile(result, 50):7.2f} {percentile(result, 99):7.2f} "
                  f"{statistics.fmean(result):7.2f}")
        for name, result, base in (("ratio debate/bare", debate[mode], bare[mode]),
                                   ("ratio adapter/bare", adapter[mode], bare[mode]),
                                   ("ratio debate/same-embed", debate[mode], bare_embed[mode])):
            print(f"{mode:<16} {name:<22} {percentile(result, 50) / percentile(base, 50):7.2f} "
                  f"{percentile(result, 99) / percentile(base, 99):7.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--burst", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=30)
    args = parser.parse_args()
    asyncio.run(main(args.count, args.burst, args.warmup))
