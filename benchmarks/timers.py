"""Timer lateness: 1,000 concurrent practice rounds in one process at time scale 1.

Each round uses a short custom format (by default two 30 s openings and two 20 s closings, 5 s grace, a
warning at 10 s left); the human side stays silent, so every human turn ends by its timer and the bot answers
at once. Rounds start spread over the first 30 s, as people would start them. We record, for every
timer that moved a round to its next phase, how late it ran against its deadline, and the CPU used.

The engine's share (the bot's speech and scores, the results) runs after the timer, outside its
transaction; "bot reply" is how long after its turn began each bot speech was written.

    .venv/bin/python benchmarks/timers.py [--rounds 1000] [--spread 30] [--speech-seconds 30] [--database-url URL]
                                          [--engine-processes N]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.chat import Incoming, Outgoing, Place, Server, User  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.logs import configure  # noqa: E402
from bot.service import DebateService  # noqa: E402
from bot.storage import db, repo  # noqa: E402


def bench_format(opening: int = 30, closing: int = 20) -> dict:
    return {"key": "bench", "name": "Benchmark", "grace_seconds": 5, "warnings": [10],
            "speeches": [{"side": "pro", "kind": "opening", "seconds": opening},
                         {"side": "con", "kind": "opening", "seconds": opening},
                         {"side": "pro", "kind": "closing", "seconds": closing},
                         {"side": "con", "kind": "closing", "seconds": closing}]}


BENCH_FORMAT = bench_format()
SERVER = Server("bench", "bench-server", "Benchmark")


class CountingMessenger:
    def __init__(self) -> None:
        self.sent = 0

    async def send(self, server: Server, place: Place, message: Outgoing) -> str:
        self.sent += 1
        return str(self.sent)

    async def edit(self, server: Server, place: Place, message_id: str, message: Outgoing) -> None:
        return None

    async def open_thread(self, server: Server, place: Place, name: str) -> Place:
        return Place(place.channel_id, f"t{self.sent}")


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def run(rounds: int, database_url: str, spread: float, fmt: dict | None = None,
              engine_processes: int = 0) -> dict[str, float]:
    settings = Settings(_env_file=None, database_url=database_url, data_dir=Path(tempfile.mkdtemp()),
                        time_scale=1.0, log_level="WARNING", engine_processes=engine_processes)
    messenger = CountingMessenger()
    service = DebateService(settings, messenger, platform="bench")
    await service.start()
    configure(settings.log_level)  # start-up (migrations) may have set up INFO logging; the table is the output
    runtime = service.rounds_runtime  # type: ignore[attr-defined]
    runtime.measure = True
    with db.transaction(service.sessions) as session:
        server_row = repo.server(session, SERVER)
        repo.server_settings(session, server_row).custom_formats = {"bench": fmt or BENCH_FORMAT}
    service.engine_for(service.sessions(), None)  # load the engine before timing

    wall0, cpu0 = time.perf_counter(), cpu_seconds()
    offsets = sorted(random.uniform(0, spread) for _ in range(rounds))
    start_latency: list[float] = []

    async def start_round(i: int, at: float) -> None:
        await asyncio.sleep(max(0.0, at - (time.perf_counter() - wall0)))
        t = time.perf_counter()
        replies = await service.handle(Incoming(server=SERVER, user=User("bench", f"user{i}", f"user{i}"),
                                                place=Place("arena"), command="practice",
                                                options={"motion": "diplomacy", "side": "pro", "format": "bench"}))
        assert replies and replies[-1].kind != "error", replies
        start_latency.append(time.perf_counter() - t)

    await asyncio.gather(*(start_round(i, at) for i, at in enumerate(offsets)))
    while service.pending_work():
        await asyncio.sleep(0.2)
    wall, cpu = time.perf_counter() - wall0, cpu_seconds() - cpu0
    late, reply = runtime.phase_lateness, runtime.engine_delay or [0.0]
    await service.stop()
    return {"rounds": rounds, "phase changes": len(late), "p50 ms": statistics.median(late) * 1000,
            "p99 ms": pct(late, 0.99) * 1000, "max ms": max(late) * 1000, "wall s": wall, "cpu s": cpu,
            "bot reply p50 ms": statistics.median(reply) * 1000, "bot reply p99 ms": pct(reply, 0.99) * 1000,
            "cpu %": 100 * cpu / wall, "messages": messenger.sent,
            "start p50 ms": statistics.median(start_latency) * 1000}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=1000)
    parser.add_argument("--spread", type=float, default=30.0, help="seconds over which rounds start")
    parser.add_argument("--speech-seconds", type=int, default=30, help="openings; closings are 2/3 of it")
    parser.add_argument("--database-url", default="")
    parser.add_argument("--engine-processes", type=int, default=0, help="ENGINE_PROCESSES (0: one thread)")
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{tempfile.mkdtemp()}/timers.sqlite3"
    backend = "PostgreSQL" if url.startswith("postgres") else "SQLite"
    fmt = bench_format(args.speech_seconds, args.speech_seconds * 2 // 3)
    print(f"timer lateness: {args.rounds} practice rounds, time scale 1, {backend}, {os.cpu_count()} cores; "
          f"speeches {args.speech_seconds}/{args.speech_seconds * 2 // 3} s, starts spread over {args.spread:g} s; "
          f"engine in {args.engine_processes or 'a thread, no'} worker process(es)")
    result = asyncio.run(run(args.rounds, url, args.spread, fmt, args.engine_processes))
    width = max(len(k) for k in result)
    for key, value in result.items():
        print(f"  {key:<{width}}  {value:,.1f}" if isinstance(value, float) else f"  {key:<{width}}  {value}")


if __name__ == "__main__":
    main()
