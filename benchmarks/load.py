"""Load: simulated users on many servers for minutes, through the fakes, with the production shape.

Processes (real `debate-bot`, each its own OS process, one PostgreSQL database):
two Slack web workers (`--role web`, the driver spreads requests over them as a load balancer would), one
Slack scheduler (`--role scheduler`), and one Discord process (`run discord`, its own timers), against the
fake Slack Web API and the fake Discord (REST and gateway), both served by this driver.

Each simulated user thinks, then does one thing: a command (help, status, leaderboard, stats) or, now and
then, a practice round against the bot, in which it speaks two chunks in its first turn and waits for the
results. Slack users are spread over `--servers - 1` workspaces; Discord users share the fake's one guild
(it serves one), each in a channel of their own.

Reported: errors (non-200 acks, unanswered commands, "Something went wrong", tracebacks in any process's
output), ack and first-response latency, rounds completed, each process's memory (RSS) when ready, after the
first minute (models loaded) and at the end,
the scheduler's lag (from its /metrics histogram) and the largest inbox depth seen on the workers.

    .venv/bin/python benchmarks/load.py [--users 200] [--servers 50] [--minutes 10] [--time-scale 20]
                                        [--database-url postgresql://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import re
import socket
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.storage import db  # noqa: E402
from tests.fakes import slack_client as sc  # noqa: E402
from tests.fakes.discord_fake import FakeDiscord  # noqa: E402
from tests.fakes.slack_fake import Call, SlackFake  # noqa: E402

SECRET = "load-signing-secret"
COMMANDS = ("help", "status", "leaderboard", "stats")
CHUNKS = ("Talks froze the nuclear tests, and that is worth keeping.",
          "Sanctions alone never moved Pyongyang, so walking away throws away the only lever that worked.")
PRACTICE_SHARE = 0.2


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


@dataclass
class Tally:
    """What the simulated users saw."""

    ack_ms: dict[str, list[float]] = field(default_factory=lambda: {"slack": [], "discord": []})
    first_ms: dict[str, list[float]] = field(default_factory=lambda: {"slack": [], "discord": []})
    errors: list[str] = field(default_factory=list)
    actions: int = 0
    rounds_started: int = 0
    rounds_completed: int = 0

    def error(self, what: str) -> None:
        if len(self.errors) < 1000:
            self.errors.append(what)


class Watch:
    """Futures resolved when a fake records a matching call: by response_url id, or by channel and text."""

    def __init__(self) -> None:
        self.responses: dict[str, asyncio.Future[float]] = {}
        self.posts: dict[str, list[tuple[re.Pattern[str], asyncio.Future[dict[str, Any]]]]] = {}
        self.went_wrong = 0

    def expect_response(self, rid: str) -> asyncio.Future[float]:
        self.responses[rid] = asyncio.get_running_loop().create_future()
        return self.responses[rid]

    def expect_post(self, channel: str, pattern: str) -> asyncio.Future[dict[str, Any]]:
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.posts.setdefault(channel, []).append((re.compile(pattern), future))
        return future

    def saw(self, channel: str, text: str, record: dict[str, Any]) -> None:
        if "Something went wrong" in text:
            self.went_wrong += 1
        waiting = self.posts.get(channel, [])
        for item in list(waiting):
            pattern, future = item
            if future.done():
                waiting.remove(item)
            elif pattern.search(text):
                future.set_result(record)
                waiting.remove(item)

    def slack_call(self, call: Call) -> None:
        text = call.blocks_text()
        if call.method == "response_url":
            rid = call.path.rsplit("/", 1)[-1]
            if (future := self.responses.pop(rid, None)) is not None and not future.done():
                future.set_result(time.perf_counter())
            if "Something went wrong" in text:
                self.went_wrong += 1
        elif call.method in ("chat.postMessage", "chat.update", "files.completeUploadExternal"):
            self.saw(str(call.params.get("channel") or call.params.get("channel_id", "")), text, call.params)


class Process:
    """One `debate-bot` process, its output in a log file."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], log_dir: Path) -> None:
        self.name, self.args, self.env = name, args, env
        self.log = log_dir / f"{name}.log"
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        out = self.log.open("w")
        self.proc = await asyncio.create_subprocess_exec(*self.args, cwd=ROOT, env=self.env, stdout=out,
                                                         stderr=asyncio.subprocess.STDOUT,
                                                         stdin=asyncio.subprocess.DEVNULL)
        out.close()

    def rss_mb(self) -> float:
        assert self.proc is not None
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return float("nan")

    async def stop(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.terminate()
            try:
                await asyncio.wait_for(self.proc.wait(), 30)
            except TimeoutError:
                self.proc.kill()

    def tracebacks(self) -> int:
        return self.log.read_text(errors="replace").count("Traceback")


async def get(http: aiohttp.ClientSession, url: str) -> tuple[int, str]:
    try:
        async with http.get(url, timeout=aiohttp.ClientTimeout(total=10)) as response:
            return response.status, await response.text()
    except (aiohttp.ClientError, TimeoutError):
        return 0, ""


async def wait_ready(http: aiohttp.ClientSession, url: str, process: Process, timeout: float = 180) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if (await get(http, url))[0] == 200:
            return
        assert process.proc is not None
        if process.proc.returncode is not None:
            raise SystemExit(f"{process.name} exited: see {process.log}")
        await asyncio.sleep(0.5)
    raise SystemExit(f"{process.name} never became ready: see {process.log}")


def metric_values(text: str, name: str) -> list[tuple[str, float]]:
    return [(m.group(1) or "", float(m.group(2))) for m in
            re.finditer(rf"^{name}(\{{[^}}]*\}})? ([0-9.e+-]+|NaN)$", text, re.MULTILINE)]


def histogram_quantile(text: str, name: str, q: float) -> float:
    """The upper bound of the bucket holding quantile q of a Prometheus histogram (summed over labels)."""
    buckets: dict[float, float] = {}
    for labels, value in metric_values(text, f"{name}_bucket"):
        le = re.search(r'le="([^"]+)"', labels)
        if le:
            bound = float("inf") if le.group(1) == "+Inf" else float(le.group(1))
            buckets[bound] = buckets.get(bound, 0.0) + value
    total = buckets.get(float("inf"), 0.0)
    for bound in sorted(buckets):
        if total and buckets[bound] >= q * total:
            return bound
    return float("nan")


class SlackUser:
    def __init__(self, run: Run, team: str, user: str) -> None:
        self.run, self.team, self.user = run, team, user
        self.channel = f"C{team[1:]}{user[1:]}"

    def _slash(self, text: str, rid: str) -> tuple[str, str]:
        fields = {"token": "legacy", "team_id": self.team, "team_domain": self.team.lower(),
                  "channel_id": self.channel, "channel_name": "practice", "user_id": self.user,
                  "user_name": self.user.lower(), "command": "/debate", "text": text, "api_app_id": "AFAKE",
                  "response_url": f"{self.run.slack.url}/response/{rid}", "trigger_id": f"tr.{uuid.uuid4().hex}"}
        return urlencode(fields), "application/x-www-form-urlencoded"

    def _message(self, text: str, thread_ts: str, ts: str) -> tuple[str, str]:
        event = {"type": "message", "channel": self.channel, "user": self.user, "text": text, "ts": ts,
                 "thread_ts": thread_ts, "channel_type": "channel", "event_ts": ts, "team": self.team}
        envelope = {"token": "legacy", "team_id": self.team, "api_app_id": "AFAKE", "type": "event_callback",
                    "event_id": f"Ev{uuid.uuid4().hex[:12].upper()}", "event_time": int(time.time()),
                    "event": event, "authorizations": [{"team_id": self.team, "user_id": "UBOT0001", "is_bot": True}]}
        return json.dumps(envelope), "application/json"

    async def _post(self, body: tuple[str, str]) -> tuple[int, str, float]:
        text, content_type = body
        url = self.run.next_worker()
        headers = {"Content-Type": content_type, **sc.sign(SECRET, text)}
        t0 = time.perf_counter()
        try:
            async with self.run.http.post(url, data=text.encode(), headers=headers,
                                          timeout=aiohttp.ClientTimeout(total=30)) as response:
                body_text = await response.text()
                status = response.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            status, body_text = 0, repr(exc)
        ms = (time.perf_counter() - t0) * 1000
        self.run.tally.ack_ms["slack"].append(ms)
        return status, body_text, ms

    async def command(self, name: str) -> None:
        rid = uuid.uuid4().hex[:12]
        answered = self.run.watch.expect_response(rid)
        t0 = time.perf_counter()
        status, body, ack_ms = await self._post(self._slash(name, rid))
        if status != 200:
            self.run.tally.error(f"slack {name}: HTTP {status} {body[:100]}")
            return
        if '"blocks"' in body or '"text"' in body:  # answered in the ack itself
            self.run.tally.first_ms["slack"].append(ack_ms)
            self.run.watch.responses.pop(rid, None)
            return
        # a reply comes through the response_url, or as a post in the channel (leaderboards and charts)
        posted = self.run.watch.expect_post(self.channel, ".")
        done, _ = await asyncio.wait({answered, posted}, timeout=60, return_when=asyncio.FIRST_COMPLETED)
        self.run.watch.responses.pop(rid, None)
        for future in (answered, posted):
            if not future.done():
                future.cancel()
        if done:
            self.run.tally.first_ms["slack"].append((time.perf_counter() - t0) * 1000)
        else:
            self.run.tally.error(f"slack {name}: no reply in 60 s")

    async def _speak(self, turn: dict[str, Any], text: str) -> None:
        thread_ts = str(turn.get("thread_ts") or turn.get("ts"))
        status, body, _ = await self._post(self._message(text, thread_ts, f"{time.time():.6f}"))
        if status != 200:
            self.run.tally.error(f"slack chunk: HTTP {status} {body[:100]}")

    async def practice(self) -> None:
        await self.run.practice_round("slack", self.channel, lambda: self.command("practice diplomacy pro"),
                                      self._speak)

    async def live(self) -> None:
        await self.run.user_loop(self.command, self.practice)


class DiscordUser:
    def __init__(self, run: Run, name: str, channel_id: str) -> None:
        self.run, self.name, self.channel_id = run, name, channel_id

    async def command(self, name: str, options: dict[str, Any] | None = None) -> Any:
        fake = self.run.discord
        t0 = time.perf_counter()
        try:
            record = await fake.slash(name, options or {}, user=self.name, channel_id=self.channel_id)
            await record.wait_response(60)
        except TimeoutError:
            self.run.tally.error(f"discord {name}: no response in 60 s")
            return None
        assert record.responded_at is not None
        self.run.tally.ack_ms["discord"].append((record.responded_at - record.sent_at) * 1000)
        try:
            await record.wait_replies(1, timeout=60)
            self.run.tally.first_ms["discord"].append((time.perf_counter() - t0) * 1000)
        except TimeoutError:
            self.run.tally.error(f"discord {name}: no finished reply in 60 s")
        return record

    async def _speak(self, turn: dict[str, Any], text: str) -> None:
        await self.run.discord.say(text, user=self.name, channel_id=turn["channel_id"])

    async def practice(self) -> None:
        await self.run.practice_round("discord", f"d:{self.channel_id}",
                                      lambda: self.command("practice", {"motion": "diplomacy", "side": "pro"}),
                                      self._speak)

    async def live(self) -> None:
        await self.run.user_loop(self.command, self.practice)


class Run:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.tally = Tally()
        self.watch = Watch()
        self.slack = SlackFake(verbose=0)
        self.discord = FakeDiscord()
        self.workers: list[str] = []
        self._next = 0
        self.end = 0.0
        self.round_seconds = 0.0
        self.http: aiohttp.ClientSession
        self.processes: list[Process] = []

    def next_worker(self) -> str:
        self._next += 1
        return self.workers[self._next % len(self.workers)]

    async def practice_round(self, platform: str, where: str, start: Any, speak: Any) -> None:
        """Start a practice round, speak two chunks in the first turn (posted in `where`), wait for the results."""
        turn = self.watch.expect_post(where, "Speech 1 of")
        results = self.watch.expect_post(where, r"results")
        await start()
        try:
            post = await asyncio.wait_for(turn, 120)
        except TimeoutError:
            self.tally.error(f"{platform} practice: the first turn never came")
            return
        self.tally.rounds_started += 1
        for text in CHUNKS:
            await speak(post, text)
            await asyncio.sleep(random.uniform(0.5, 2.0))
        try:
            await asyncio.wait_for(results, self.round_seconds * 3 + 120)
            self.tally.rounds_completed += 1
        except TimeoutError:
            self.tally.error(f"{platform} practice: no results")

    async def user_loop(self, command: Any, practice: Any) -> None:
        await asyncio.sleep(random.uniform(0, self.args.think))  # people arrive over the first minute or so
        while time.monotonic() < self.end:
            if random.random() < PRACTICE_SHARE:
                await practice()
            else:
                await command(random.choice(COMMANDS))
            self.tally.actions += 1
            await asyncio.sleep(random.expovariate(1 / self.args.think))

    def hook_fakes(self) -> None:
        record = self.slack._record

        def slack_record(call: Call) -> None:
            record(call)
            self.watch.slack_call(call)

        self.slack._record = slack_record  # type: ignore[method-assign]
        make_message = self.discord._message
        fake = self.discord

        def discord_message(channel_id: str, body: dict[str, Any], **kw: Any) -> dict[str, Any]:
            message = make_message(channel_id, body, **kw)
            channel = fake.channels.get(channel_id, {})
            where = channel.get("parent_id") if channel.get("type") == 11 else channel_id
            if kw.get("author") is fake.bot_user or kw.get("interaction") is not None or "author" not in kw:
                self.watch.saw(f"d:{where}", FakeDiscord.text_of(message), message)
            return message

        self.discord._message = discord_message  # type: ignore[method-assign]

    async def main(self) -> None:
        args = self.args
        console = Console()
        name = f"load_{os.getpid()}"
        url = db.create_postgres_database(args.database_url, name)
        db.upgrade(url)
        discord_users = max(1, args.users // args.servers)
        slack_users = args.users - discord_users
        teams = [f"T{i:04d}" for i in range(args.servers - 1)]
        for i in range(discord_users):
            self.discord.add_user(f"d{i:03d}")
        channels = [self.discord.add_channel(f"practice-{i}")["id"] for i in range(discord_users)]
        await self.slack.start()
        await self.discord.start()
        self.hook_fakes()
        log_dir = Path(tempfile.mkdtemp(prefix="load-"))
        debate_bot = str(Path(sys.executable).with_name("debate-bot"))
        base_env = {**os.environ, "DATABASE_URL": url, "DATA_DIR": str(log_dir / "data"),
                    "TIME_SCALE": str(args.time_scale), "LOG_LEVEL": "WARNING", "PYTHONPATH": str(ROOT),
                    "ENGINE_PROCESSES": str(args.engine_processes)}
        slack_env = {**base_env, "SLACK_BOT_TOKEN": "xoxb-load", "SLACK_SIGNING_SECRET": SECRET,
                     "SLACK_API_BASE": self.slack.api_base}
        ports = [free_port() for _ in range(4)]
        self.workers = [f"http://127.0.0.1:{p}/slack/events" for p in ports[:2]]
        self.processes = [
            Process("slack-web-1", [debate_bot, "run", "slack", "--role", "web", "--port", str(ports[0])],
                    {**slack_env, "OPS_PORT": "0"}, log_dir),
            Process("slack-web-2", [debate_bot, "run", "slack", "--role", "web", "--port", str(ports[1])],
                    {**slack_env, "OPS_PORT": "0"}, log_dir),
            Process("slack-scheduler", [debate_bot, "run", "slack", "--role", "scheduler"],
                    {**slack_env, "OPS_PORT": str(ports[2])}, log_dir),
            Process("discord", [debate_bot, "run", "discord", "--role", "all"],
                    {**base_env, "OPS_PORT": str(ports[3]), "DISCORD_TOKEN": self.discord.token,
                     "DISCORD_API_BASE": self.discord.api_base, "DISCORD_GATEWAY_URL": self.discord.gateway_url,
                     "DISCORD_GUILD_IDS": self.discord.guild_id}, log_dir),
        ]
        ready = [f"http://127.0.0.1:{p}/readyz" for p in ports]
        self.http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
        try:
            for process in self.processes:
                await process.start()
            for process, ready_url in zip(self.processes, ready, strict=True):
                await wait_ready(self.http, ready_url, process)
            await self.discord.wait_ready(60)
            rss_start = {p.name: p.rss_mb() for p in self.processes}
            # the practice format's speeches, in real seconds at this time scale
            self.round_seconds = 600 / args.time_scale
            users: list[Any] = [SlackUser(self, teams[i % len(teams)], f"U{i:05d}") for i in range(slack_users)]
            users += [DiscordUser(self, f"d{i:03d}", channels[i]) for i in range(discord_users)]
            self.end = time.monotonic() + args.minutes * 60
            inbox_max = 0.0
            rss_warm: dict[str, float] = {}
            rss_minutes: dict[str, list[float]] = {p.name: [] for p in self.processes}
            next_sample = 60.0
            tasks = [asyncio.create_task(u.live()) for u in users]
            with Progress(console=console, transient=True) as progress:
                bar = progress.add_task("simulated users at work", total=args.minutes * 60)
                t0 = time.monotonic()
                while time.monotonic() < self.end:
                    await asyncio.sleep(5)
                    progress.update(bar, completed=time.monotonic() - t0)
                    if not rss_warm and time.monotonic() - t0 >= min(60.0, args.minutes * 30):
                        rss_warm = {p.name: p.rss_mb() for p in self.processes}  # models loaded, caches warm
                    if time.monotonic() - t0 >= next_sample:
                        next_sample += 60.0
                        for p in self.processes:
                            rss_minutes[p.name].append(p.rss_mb())
                    for worker in self.workers:
                        _, metrics = await get(self.http, worker.removesuffix("/slack/events") + "/metrics")
                        for _, value in metric_values(metrics, "debate_inbox_depth"):
                            inbox_max = max(inbox_max, value)
            done, pending = await asyncio.wait(tasks, timeout=self.round_seconds * 3 + 180)
            for task in pending:
                task.cancel()
                self.tally.error("a user was still waiting at the end")
            for task in done:
                if task.exception() is not None:
                    self.tally.error(f"user task failed: {task.exception()!r}")
            rss_end = {p.name: p.rss_mb() for p in self.processes}
            _, slack_metrics = await get(self.http, ready[2].removesuffix("/readyz") + "/metrics")
            _, discord_metrics = await get(self.http, ready[3].removesuffix("/readyz") + "/metrics")
        finally:
            await self.http.close()
            for process in self.processes:
                await process.stop()
            await self.slack.stop()
            await self.discord.stop()
        tracebacks = {p.name: p.tracebacks() for p in self.processes}
        for p_name, count in tracebacks.items():
            if count:
                self.tally.error(f"{p_name}: {count} tracebacks in {log_dir / (p_name + '.log')}")
        if self.watch.went_wrong:
            self.tally.error(f'"Something went wrong" posted {self.watch.went_wrong} times')
        self.report(console, rss_start, rss_warm, rss_end, slack_metrics, discord_metrics, inbox_max, log_dir)
        for p_name, series in rss_minutes.items():
            console.print(f"RSS {p_name} each minute (MB): {' '.join(f'{v:.0f}' for v in series)}")
        db.drop_postgres_database(args.database_url, name)

    def report(self, console: Console, rss_start: dict[str, float], rss_warm: dict[str, float],
               rss_end: dict[str, float], slack_metrics: str,
               discord_metrics: str, inbox_max: float, log_dir: Path) -> None:
        t = self.tally
        table = Table(title=f"{self.args.users} users, {self.args.servers} servers, {self.args.minutes} min, "
                            f"time scale {self.args.time_scale}")
        table.add_column("measure")
        table.add_column("value", justify="right")
        table.add_row("errors", str(len(t.errors)))
        table.add_row("actions (commands and practice rounds)", str(t.actions))
        table.add_row("practice rounds started / completed", f"{t.rounds_started} / {t.rounds_completed}")
        for platform in ("slack", "discord"):
            ack, first = t.ack_ms[platform], t.first_ms[platform]
            table.add_row(f"{platform} ack p50 / p99 (ms, n={len(ack)})", f"{pct(ack, .5):.0f} / {pct(ack, .99):.0f}")
            table.add_row(f"{platform} first response p50 / p99 (ms, n={len(first)})",
                          f"{pct(first, .5):.0f} / {pct(first, .99):.0f}")
        for name in rss_start:
            table.add_row(f"RSS {name} ready / warm (1 min) / end (MB)",
                          f"{rss_start[name]:.0f} / {rss_warm.get(name, float('nan')):.0f} / {rss_end[name]:.0f}")
        for label, metrics in (("Slack", slack_metrics), ("Discord", discord_metrics)):
            table.add_row(f"{label} scheduler lag p50 / p99 (s, bucket bound)",
                          f"{histogram_quantile(metrics, 'debate_scheduler_lag_seconds', .5):g} / "
                          f"{histogram_quantile(metrics, 'debate_scheduler_lag_seconds', .99):g}")
        table.add_row("largest inbox depth seen on a worker", f"{inbox_max:.0f}")
        console.print(table)
        if t.errors:
            console.print("first errors:", *t.errors[:15], sep="\n  ")
        console.print(f"process logs: {log_dir}")
        mean_ack = statistics.fmean(t.ack_ms["slack"]) if t.ack_ms["slack"] else float("nan")
        console.print(f"mean Slack ack {mean_ack:.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--servers", type=int, default=50)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--think", type=float, default=30.0, help="mean seconds a user waits between actions")
    parser.add_argument("--time-scale", type=float, default=20.0)
    parser.add_argument("--engine-processes", type=int, default=1)
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/test")
    asyncio.run(Run(parser.parse_args()).main())


if __name__ == "__main__":
    main()
