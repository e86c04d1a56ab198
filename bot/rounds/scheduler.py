"""The round scheduler: APScheduler 3.11 (AsyncIOScheduler + SQLAlchemyJobStore on the bot's database).

- Every deadline is a row in `deadlines` and a job `deadline:<id>` running `bot.rounds.scheduler:fire`
  with the row id as its only argument. A job reloads the round and asks the state machine what
  happens next, so a late, duplicate or stale job does the right thing.
- Exactly one process per platform runs a scheduler, with its own job table: it takes a lock (a
  PostgreSQL advisory lock on a dedicated connection, or a file lock beside the SQLite file). Its timers
  post through that platform's messenger, so a Discord process and a Slack process on one database each
  time their own rounds. Other processes of the same platform only write deadline rows, and stand by:
  every `LOCK_CHECK_SECONDS` each one tries the lock, so one takes over within seconds of the holder's
  death. The holder checks its lock connection as often; when it is lost (a database restart drops
  advisory locks), it stops scheduling at once and competes again like any standby.
- The scheduler arms every pending deadline row of its platform that it has not armed (or armed for
  another time) every `SYNC_SECONDS`, and all of them when it takes over. There is no "armed up to id"
  mark, which skipped rows that another process committed after a higher id.
- Missed jobs run when the process comes back (`misfire_grace_time=None`, coalesced); the state
  round drops warnings that no longer apply, so there is no burst of stale messages.
- The scheduler reads the time from the service's `Clock` port (`ClockScheduler`), so a test drives
  every timer with a virtual clock (`tests/fakes/clock.py`) instead of racing the wall clock.
- A timer or a handler never waits for the engine inside its transaction: it moves the round on and marks
  what the engine owes (see `bot.rounds.engine_work`). The runtime then reads that work, computes it in a
  worker of its own (one thread, or `ENGINE_PROCESSES` processes) with no transaction open, and writes it
  in a second short transaction. So judging one speech never holds up another round's timer, and on
  SQLite the one write lock is never held while the engine thinks.
- Messages of one round are delivered in the order they were produced: each round has one outbox,
  drained by one task, and a command's reply is returned before its round's timed posts go out.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import multiprocessing
import re
import zlib
from collections import OrderedDict, defaultdict, deque
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from apscheduler.events import EVENT_JOB_MAX_INSTANCES, EVENT_JOB_SUBMITTED, JobSubmissionEvent
from apscheduler.executors.asyncio import AsyncIOExecutor
from apscheduler.executors.base import MaxInstancesReachedError, run_coroutine_job
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.schedulers.base import STATE_PAUSED, STATE_RUNNING
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from bot.chat import Outgoing, Place, Server
from bot.rounds import engine_work, live, states, timers
from bot.rounds.engine_work import ArticleRef, EngineResults, EngineWork
from bot.rounds.live import Effects, LiveRound
from bot.storage import db, repo
from bot.storage import models as m

if TYPE_CHECKING:
    from bot.ports import Clock
    from bot.service import DebateService

log = logging.getLogger(__name__)

SYNC_SECONDS = 2.0  # how often the scheduler process arms deadline rows written by other processes
LOCK_CHECK_SECONDS = 1.0  # how often a standby tries the lock, and the holder checks its lock connection
PENDING_HORIZON_SECONDS = 300  # debate seconds: a deadline this close keeps `pending_work()` true
ADVISORY_LOCK_KEY = 4_447_001
MAX_RETRIES = 5
MAX_ENGINE_STEPS = 50  # one round's engine steps in a row (each moves the round on; a cap against a loop)
TIMER_THREADS = 2  # threads for timer transactions, apart from the handlers' and the engine's
CACHED_ROUNDS = 4096  # rounds whose places and keyed posts are kept in memory (older ones are read again)
OWED_SWEEP_SECONDS = 30.0  # a round owing the engine work this long with no step running here gets one

_active: Runtime | None = None  # the runtime whose scheduler runs in this process (jobs fire into it)


class TrackedExecutor(AsyncIOExecutor):
    """APScheduler's asyncio executor, keeping the tasks it starts so a driver can wait for them."""

    def __init__(self) -> None:
        super().__init__()
        self.running: set[asyncio.Future[Any]] = set()

    def _do_submit_job(self, job: Any, run_times: list[datetime]) -> None:
        def done(f: asyncio.Future[Any]) -> None:
            self.running.discard(f)
            try:
                events = f.result()
            except BaseException as exc:  # noqa: BLE001 - reported to APScheduler's listeners as it does
                self._run_job_error(job.id, exc, exc.__traceback__)
            else:
                self._run_job_success(job.id, events)

        task = self._eventloop.create_task(run_coroutine_job(job, job._jobstore_alias, run_times,
                                                             self._logger.name))
        task.add_done_callback(done)
        self.running.add(task)


class ClockScheduler(AsyncIOScheduler):
    """An AsyncIOScheduler that reads the time from the `Clock` port instead of the wall clock.

    With the system clock it behaves as APScheduler does. With a virtual clock (`clock.virtual`) it sets no
    wake-up timers of its own: the driver moves the clock and calls `run_due()`, so tests never race time.
    """

    def __init__(self, clock: Clock, **options: Any) -> None:
        self.clock = clock
        self.virtual = bool(getattr(clock, "virtual", False))
        super().__init__(**options)

    def _start_timer(self, wait_seconds: float | None) -> None:
        if self.virtual:
            self._stop_timer()
            return
        super()._start_timer(wait_seconds)

    def run_due(self) -> None:
        """Submit every job due by the clock's time now (what a wake-up does), in due order."""
        self._process_jobs()

    def next_due(self) -> datetime | None:
        """The earliest next run time over all job stores, or None when nothing is scheduled."""
        times = [t for store in self._jobstores.values() if (t := store.get_next_run_time()) is not None]
        return min(times) if times else None

    def _process_jobs(self) -> float | None:
        # APScheduler 3.11's loop (BaseScheduler._process_jobs), with `now` from the clock port.
        if self.state == STATE_PAUSED:
            return None
        now = self.clock.now().astimezone(self.timezone)
        next_wakeup: datetime | None = None
        events = []
        with self._jobstores_lock:
            for alias, store in self._jobstores.items():
                try:
                    due_jobs = store.get_due_jobs(now)
                except Exception as exc:  # noqa: BLE001 - retry the store later, as APScheduler does
                    log.warning("error getting due jobs from job store %r: %s", alias, exc)
                    retry_at = now + timedelta(seconds=self.jobstore_retry_interval)
                    next_wakeup = retry_at if next_wakeup is None else min(next_wakeup, retry_at)
                    continue
                for job in due_jobs:
                    try:
                        executor = self._lookup_executor(job.executor)
                    except BaseException:  # noqa: BLE001
                        log.error("executor lookup failed for job %s; removing it", job)
                        self.remove_job(job.id, alias)
                        continue
                    run_times = job._get_run_times(now)
                    run_times = run_times[-1:] if run_times and job.coalesce else run_times
                    if run_times:
                        try:
                            executor.submit_job(job, run_times)
                        except MaxInstancesReachedError:
                            log.warning("job %s skipped: already running", job)
                            events.append(JobSubmissionEvent(EVENT_JOB_MAX_INSTANCES, job.id, alias, run_times))
                        except BaseException:  # noqa: BLE001
                            log.exception("error submitting job %s", job)
                        else:
                            events.append(JobSubmissionEvent(EVENT_JOB_SUBMITTED, job.id, alias, run_times))
                        following = job.trigger.get_next_fire_time(run_times[-1], now)
                        if following:
                            job._modify(next_run_time=following)
                            store.update_job(job)
                        else:
                            self.remove_job(job.id, alias)
                store_next = store.get_next_run_time()
                if store_next and (next_wakeup is None or store_next < next_wakeup):
                    next_wakeup = store_next.astimezone(self.timezone)
        for event in events:
            self._dispatch_event(event)
        if self.state == STATE_PAUSED or next_wakeup is None:
            return None
        return max(0.0, (next_wakeup - self.clock.now()).total_seconds())


class Runtime:
    """Per-service runtime state (the scheduler, the lock, delivery order)."""

    def __init__(self, service: DebateService) -> None:
        self.service = service
        self.scheduler: AsyncIOScheduler | None = None
        self._lock_file: Any = None
        self._lock_conn: Any = None
        self._armed: dict[int, datetime] = {}  # deadline id -> the due time its job was armed for
        self._watcher: asyncio.Task[None] | None = None
        self._outbox: dict[int, deque[tuple[str, Outgoing]]] = defaultdict(deque)
        self._drainers: dict[int, asyncio.Task[None]] = {}
        # (round, Outgoing.key) -> where it was posted; both caches keep the most recent rounds only
        self._keyed: OrderedDict[tuple[int, str], tuple[Place, str]] = OrderedDict()
        self.executor = TrackedExecutor()
        self._places: OrderedDict[int, tuple[Server, Place, Place]] = OrderedDict()
        self.fired = 0
        self.phase_lateness: list[float] = []  # seconds late, for benchmarks
        self.measure = False
        self._retries: dict[int, int] = {}
        self.platform = re.sub(r"[^a-z0-9_]", "_", service.platform.lower())[:24] or "bot"
        self.lock_key = ADVISORY_LOCK_KEY * 1000 + zlib.crc32(self.platform.encode()) % 1000
        self._async_commit = make_url(service.db_url).get_backend_name() == "postgresql"
        self._engine_tasks: dict[int, asyncio.Task[None]] = {}  # round id -> its engine steps
        # round id -> its work in order: prepared in the owing transaction, or None (read it from the database)
        self._engine_queue: dict[int, deque[tuple[EngineWork, Any] | None]] = defaultdict(deque)
        self._engine_pool: Executor | None = None
        self._engine_thread: ThreadPoolExecutor | None = None
        self._timer_threads: ThreadPoolExecutor | None = None
        self._engine_db_thread: ThreadPoolExecutor | None = None
        self.engine_delay: list[float] = []  # seconds from owing work to writing it, for benchmarks

    # -- lock: exactly one scheduler --------------------------------------------------------------------
    def acquire_lock(self) -> bool:
        """Take the one-scheduler-per-platform lock (advisory lock, or a file beside SQLite)."""
        url = make_url(self.service.db_url)
        if url.get_backend_name() == "sqlite":
            path = Path(url.database or "memory") if url.database not in (None, "", ":memory:") else None
            if path is None:
                return True
            self._lock_file = open(f"{path}.scheduler-{self.platform}.lock", "a+")  # noqa: SIM115 - held for the process life
            try:
                fcntl.flock(self._lock_file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                self._lock_file.close()
                self._lock_file = None
                return False
            return True
        conn = self.service.engine_db.connect()
        got = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": self.lock_key}).scalar())
        conn.commit()
        if got:
            self._lock_conn = conn
        else:
            conn.close()
        return got

    def release_lock(self) -> None:
        """Give the scheduler lock back."""
        if self._lock_file is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(self._lock_file.fileno(), fcntl.LOCK_UN)
            self._lock_file.close()
            self._lock_file = None
        if self._lock_conn is not None:
            with contextlib.suppress(Exception):
                self._lock_conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self.lock_key})
                self._lock_conn.commit()
            self._lock_conn.close()
            self._lock_conn = None

    def is_leader(self) -> bool:
        """Does this process run its platform's scheduler now (it holds the lock)?"""
        return self.scheduler is not None

    def lock_alive(self) -> bool:
        """Is the lock still held? On PostgreSQL, the lock's connection must answer (a database restart, or
        a killed backend, drops the advisory lock with it)."""
        if self._lock_conn is None:
            return self._lock_file is not None or self.scheduler is not None
        try:
            self._lock_conn.execute(text("SELECT 1"))
            self._lock_conn.commit()
        except Exception:  # noqa: BLE001 - any failure means the lock may be gone
            return False
        return True

    async def check(self) -> bool:
        """One turn of the watch loop: the holder verifies its lock (losing it stops scheduling at once);
        a standby tries to take the lock and, on success, starts scheduling. Returns `is_leader()`.
        The database calls run in a worker thread, so a database that hangs never blocks the event loop."""
        if self.scheduler is not None:
            if await asyncio.to_thread(self.lock_alive):
                return True
            log.error("the scheduler lock's connection was lost; scheduling stopped, competing again")
            self._demote()
        try:
            got = await asyncio.to_thread(self.acquire_lock)
        except Exception as exc:  # noqa: BLE001 - the database is down: try again next turn
            log.warning("could not try the scheduler lock: %s", type(exc).__name__)
            return False
        if got:
            log.info("took the scheduler lock; this process runs the round timers now")
            self._lead()
        return self.scheduler is not None

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(LOCK_CHECK_SECONDS)
            try:
                await self.check()
            except Exception:
                log.exception("scheduler lock check failed")

    def _demote(self) -> None:
        global _active
        if self.scheduler is not None:
            with contextlib.suppress(Exception):
                self.scheduler.shutdown(wait=False)
            self.scheduler = None
        if _active is self:
            _active = None
        self._armed.clear()
        if self._lock_conn is not None:
            with contextlib.suppress(Exception):
                self._lock_conn.invalidate()
            with contextlib.suppress(Exception):
                self._lock_conn.close()
            self._lock_conn = None

    # -- scheduler ------------------------------------------------------------------------------------------
    async def start(self) -> None:
        """Start the scheduler if this process holds the platform's lock (arming every pending deadline);
        otherwise stand by. Either way a watch loop keeps the lock honest (see `check`)."""
        if not self.service.run_scheduler:
            return
        if self.acquire_lock():
            self._lead()
        else:
            log.warning("another process runs the round scheduler; this one stands by to take over")
        if not getattr(self.service.clock, "virtual", False):  # a virtual clock's test calls check() itself
            self._watcher = asyncio.get_running_loop().create_task(self._watch())

    def _lead(self) -> None:
        from apscheduler.jobstores.memory import MemoryJobStore

        self.executor = TrackedExecutor()
        self.scheduler = ClockScheduler(
            self.service.clock,
            # Jobs live in memory: the `deadlines` table is the durable record of every timer, and the
            # process that takes the lead arms every pending row from it (reconcile(full=True)), so a job
            # store in the database only repeated that record at several statements per timer.
            jobstores={"default": MemoryJobStore(), "local": MemoryJobStore()},
            executors={"default": self.executor},
            job_defaults={"coalesce": True, "misfire_grace_time": None, "max_instances": 1},
            timezone=UTC,
        )
        global _active
        _active = self
        # APScheduler logs every job run at INFO; one line per timer would drown the bot's own log.
        logging.getLogger("apscheduler").setLevel(max(logging.WARNING, logging.getLogger().getEffectiveLevel()))
        self.scheduler.start()
        self.reconcile(full=True)
        with contextlib.suppress(RuntimeError):  # no loop: nothing to resume until the next start
            asyncio.get_running_loop().create_task(self.resume_engine_work())
        if not self.scheduler.virtual:  # a virtual clock's driver reconciles at each step itself
            self.scheduler.add_job("bot.rounds.scheduler:sync", "interval", seconds=SYNC_SECONDS,
                                   id="deadlines:sync", jobstore="local", replace_existing=True, coalesce=True,
                                   misfire_grace_time=None)

    async def stop(self) -> None:
        """Stop the scheduler and release the lock."""
        global _active
        if self._watcher is not None:
            self._watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watcher
            self._watcher = None
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=False)
            self.scheduler = None
        if _active is self:
            _active = None
        self.release_lock()
        for task in self._engine_tasks.values():  # what they owed stays marked; `engine_due` or a restart does it
            task.cancel()
        for pool in (self._engine_pool, self._engine_thread, self._timer_threads, self._engine_db_thread):
            if pool is not None:
                pool.shutdown(wait=False, cancel_futures=True)
        self._engine_pool = self._engine_thread = self._timer_threads = self._engine_db_thread = None

    def pending_deadlines(self) -> list[tuple[int, datetime]]:
        """(id, due) of every pending deadline row of the platform."""
        with db.transaction(self.service.sessions) as session:
            query = (select(m.Deadline.id, m.Deadline.due_at).join(m.Round, m.Round.id == m.Deadline.round_id)
                     .join(m.Server, m.Server.id == m.Round.server_id)
                     .where(m.Deadline.done_at.is_(None), m.Server.platform == self.service.platform))
            return [(i, due) for i, due in session.execute(query)]

    def reconcile(self, *, full: bool = False, pending: list[tuple[int, datetime]] | None = None) -> None:
        """Arm pending deadline rows without a job; drop jobs of rows already done. `pending` (read in a
        worker thread, as the periodic sync does) saves reading them here on the event loop."""
        if self.scheduler is None:
            return
        if pending is None:
            pending = self.pending_deadlines()
        pending_ids = {f"deadline:{i}" for i, _ in pending}
        stale = [j.id for j in self.scheduler.get_jobs(jobstore="default")
                 if j.id.startswith("deadline:") and j.id not in pending_ids] if full else []
        for job_id in stale:
            self._remove(job_id)
        armed = 0
        for deadline_id, due in pending:
            # at start every pending job is (re)written, which also renews jobs stored by an older release;
            # later only rows not armed yet (or armed for another time)
            if full or self._armed.get(deadline_id) != due:
                self._add(deadline_id, due)
                armed += 1
        keep = {deadline_id for deadline_id, _ in pending}
        self._armed = {k: v for k, v in self._armed.items() if k in keep}
        if armed and not full:
            log.info("armed %d deadlines written by other processes", armed)
        if full and pending:
            log.info("armed %d pending deadlines", len(pending))

    def _add(self, deadline_id: int, due: datetime) -> None:
        assert self.scheduler is not None
        self.scheduler.add_job("bot.rounds.scheduler:fire", "date", run_date=due, args=[deadline_id],
                               id=f"deadline:{deadline_id}", replace_existing=True)
        self._armed[deadline_id] = due

    def _remove(self, job_id: str) -> None:
        from apscheduler.jobstores.base import JobLookupError

        assert self.scheduler is not None
        with contextlib.suppress(JobLookupError):
            self.scheduler.remove_job(job_id)

    def rearm(self, deadline_ids: list[int]) -> None:
        """(Re)schedule the jobs of these deadline rows from their current `due_at`."""
        with db.transaction(self.service.sessions) as session:
            rows = session.scalars(select(m.Deadline).where(m.Deadline.id.in_(deadline_ids))).all()
        self.arm(Effects(arm=list(rows)))

    def arm(self, fx: Effects) -> None:
        """Add jobs for new deadline rows and drop obsolete ones, waking the scheduler once for the batch."""
        scheduler = self.scheduler
        if scheduler is None or not (fx.arm or fx.disarm):
            return
        armed = {d.id for d in fx.arm}
        paused = scheduler.state == STATE_RUNNING
        if paused:
            scheduler.pause()  # each add would otherwise queue its own wake-up (two job-store queries each)
        try:
            for deadline in fx.arm:
                if deadline.done_at is None:
                    self._add(deadline.id, deadline.due_at)
            for deadline_id in fx.disarm:
                if deadline_id not in armed:
                    self._remove(f"deadline:{deadline_id}")
        finally:
            if paused:
                scheduler.resume()

    # -- delivery -------------------------------------------------------------------------------------------
    async def deliver(self, fx: Effects) -> None:
        """Arm timers, then queue the messages on each round's outbox; they go out in the order produced.

        Returns at once: the caller's reply (e.g. "Speech recorded") goes out before the round's next posts.
        """
        self.arm(fx)
        for round_id, where, message in fx.posts:
            self._outbox[round_id].append((where, message))
        for round_id in {round_id for round_id, _, _ in fx.posts}:
            drainer = self._drainers.get(round_id)
            if drainer is None or drainer.done():
                self._drainers[round_id] = asyncio.get_running_loop().create_task(self._drain(round_id))
        prepared = fx.work or []
        self.want_engine(fx.engine - {work.round_id for work, _ in prepared} if fx.work is None else set(), prepared)

    async def _drain(self, round_id: int) -> None:
        queue = self._outbox[round_id]
        while queue:
            where, message = queue.popleft()
            try:
                server, channel, thread = await self.places(round_id)
                known = self._keyed.get((round_id, message.key)) if message.key else None
                if where == "edit":  # a keyed message posted earlier, updated in place (`Messenger.edit`)
                    if known is not None:  # unknown after a restart: the next full post carries the news
                        await self.service.messenger.edit(server, known[0], known[1], message)
                    continue
                place = message.place or (channel if where == "channel" else thread)
                message_id = await self.service.messenger.send(server, place, message)
                if message.key:
                    remember(self._keyed, (round_id, message.key), (place, message_id))
            except Exception as exc:
                self.service.metrics.api_error("round post")
                describe = getattr(self.service.messenger, "describe_error", None)
                refusal = describe(exc) if describe is not None else None
                if refusal is not None:  # the platform refused it after its client's own retries: one line
                    log.error("could not post a round message, dropped: %s", refusal, extra={"round": round_id})
                else:
                    log.exception("could not post a round message", extra={"round": round_id})

        if self._drainers.get(round_id) is asyncio.current_task():  # a long-lived process keeps no empty queues
            del self._drainers[round_id]
            if not queue:
                self._outbox.pop(round_id, None)

    def busy(self) -> bool:
        """True while a timer job or an engine step runs, or a round's outbox still holds messages."""
        return any(not t.done() for t in self._tasks())

    def _tasks(self) -> tuple[asyncio.Future[Any], ...]:
        return (*self.executor.running, *self._drainers.values(), *self._engine_tasks.values())

    async def idle(self) -> None:
        """Wait until no timer job or engine step runs and every round's outbox is empty."""
        while True:
            busy = [t for t in self._tasks() if not t.done()]
            if not busy:
                return
            await asyncio.wait(busy)

    async def places(self, round_id: int) -> tuple[Server, Place, Place]:
        """(server, channel, thread) of a round; opens the thread once and stores its id."""
        if round_id in self._places:
            return self._places[round_id]
        # read and write in a worker thread: a wait for the database never stalls the event loop
        server, channel, thread_id, motion = await asyncio.to_thread(self._read_places, round_id)
        if thread_id:
            thread = Place(channel_id=channel.channel_id, thread_id=thread_id)
        else:
            name = f"Round #{round_id}: {motion}"[:90]
            thread = await self.service.messenger.open_thread(server, channel, name)
            await asyncio.to_thread(self._store_thread, round_id, thread.thread_id)
        remember(self._places, round_id, (server, channel, thread))
        return server, channel, thread

    def _read_places(self, round_id: int) -> tuple[Server, Place, str | None, str]:
        with db.transaction(self.service.sessions) as session:
            round_row = session.get(m.Round, round_id)
            assert round_row is not None
            server_row = session.get(m.Server, round_row.server_id)
            assert server_row is not None
            server = Server(platform=server_row.platform, external_id=server_row.external_id, name=server_row.name)
            return server, Place(channel_id=round_row.channel_id), round_row.thread_id, round_row.motion_text

    def _store_thread(self, round_id: int, thread_id: str | None) -> None:
        with db.transaction(self.service.sessions) as session:
            round_row = session.get(m.Round, round_id)
            if round_row is not None and not round_row.thread_id:
                round_row.thread_id = thread_id

    # -- the engine's share, outside the round's transaction -------------------------------------------
    def want_engine(self, round_ids: set[int] | list[int],
                    prepared: list[tuple[EngineWork, Any]] | tuple[()] = ()) -> None:
        """Queue engine steps: work already read (`prepared`), or work to read for these rounds."""
        for work, engine in prepared:
            self._engine_queue[work.round_id].append((work, engine))
        for round_id in round_ids:
            self._engine_queue[round_id].append(None)
        for round_id in {*round_ids, *(work.round_id for work, _ in prepared)}:
            task = self._engine_tasks.get(round_id)
            if task is None or task.done():
                self._engine_tasks[round_id] = asyncio.get_running_loop().create_task(self._engine_step(round_id))

    def prepare_engine_work(self, session: Any, fx: Effects) -> None:
        """Read what the engine owes the rounds in `fx`, in the transaction that made them owe it."""
        fx.work = []
        for round_id in sorted(fx.engine):
            round_row = session.get(m.Round, round_id)
            if round_row is None:
                continue
            ref = (self.article_ref(session, round_row.article_id) if self.service.settings.engine_processes
                   else ArticleRef(round_row.article_id))
            work = LiveRound(session, round_row, self.service.clock.now()).engine_work(ref)
            if work is not None:
                fx.work.append((work, self._engine_of(session, round_row.article_id)))

    def _engine_of(self, session: Any, article_id: int | None) -> Any:
        if self.service.settings.engine_processes:
            return None  # the worker process builds its own from the article's texts
        return self.service.engine_for(session, SimpleNamespace(article_id=article_id))

    async def resume_engine_work(self) -> None:
        """After a restart or a takeover: a step for every active round of the platform (most owe nothing)."""
        try:
            with db.transaction(self.service.sessions) as session:
                ids = list(session.scalars(select(m.Round.id).join(m.Server, m.Server.id == m.Round.server_id).where(
                    m.Round.state.in_((states.RUNNING, states.JUDGING)), m.Server.platform == self.service.platform)))
        except Exception:
            log.exception("could not look for engine work left by the last run")
            return
        self.want_engine(ids)

    async def sweep_engine_work(self) -> None:
        """Rounds that have owed the engine work for `OWED_SWEEP_SECONDS` with no step here get one (the step
        was lost: a process died between the round's transaction and the engine's)."""
        cutoff = self.service.clock.now() - timedelta(seconds=OWED_SWEEP_SECONDS)

        def owed() -> list[int]:
            with db.transaction(self.service.sessions) as session:
                mine = select(m.Server.id).where(m.Server.platform == self.service.platform)
                bot_turns = (select(m.Round.id).join(m.Speech, (m.Speech.round_id == m.Round.id)
                                                     & (m.Speech.phase_index == m.Round.phase_index))
                             .join(m.Participant, m.Participant.id == m.Speech.participant_id)
                             .where(m.Round.state == states.RUNNING, m.Speech.ended_at.is_(None),
                                    m.Participant.is_bot.is_(True), m.Round.phase_started_at < cutoff,
                                    m.Round.server_id.in_(mine)))
                results = select(m.Round.id).where(m.Round.state == states.JUDGING, m.Round.phase_deadline.is_(None),
                                                   m.Round.phase_started_at < cutoff, m.Round.server_id.in_(mine))
                return [*session.scalars(bot_turns), *session.scalars(results)]

        ids = [i for i in await asyncio.to_thread(owed)
               if (task := self._engine_tasks.get(i)) is None or task.done()]
        if ids:
            log.warning("%d rounds owed the engine work with no step running; running it now", len(ids))
            self.want_engine(ids)

    async def _engine_step(self, round_id: int) -> None:
        queue = self._engine_queue[round_id]
        try:
            for _ in range(MAX_ENGINE_STEPS):
                if not queue:
                    return
                item = queue.popleft()
                if item is None:
                    item = await self._in_engine_db_thread(self._read_engine_work, round_id)
                    if item is None:
                        continue
                work, engine = item
                results = await self._compute(work, engine)
                fx = await self._in_engine_db_thread(self._apply_engine_work, work, results)
                await self.deliver(fx)  # queues the next step this one made owed (prepared in its transaction)
            log.error("round %s asked for more than %d engine steps in a row", round_id, MAX_ENGINE_STEPS)
        except Exception:  # what it owed stays marked; the scheduler's sweep runs the step again
            log.exception("engine step failed", extra={"round": round_id})
        finally:
            if self._engine_tasks.get(round_id) is asyncio.current_task():
                del self._engine_tasks[round_id]
                if not queue:
                    self._engine_queue.pop(round_id, None)

    async def _in_engine_db_thread(self, fn: Any, *args: Any) -> Any:
        """The engine's reads and writes run one at a time in a thread of their own, so under load they
        queue among themselves rather than crowd the timers' threads."""
        if self._engine_db_thread is None:
            self._engine_db_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="engine-db")
        return await asyncio.get_running_loop().run_in_executor(self._engine_db_thread, fn, *args)

    def article_ref(self, session: Any, article_id: int | None) -> ArticleRef:
        """The article a round's engine reads, as plain values a worker process can rebuild it from."""
        settings = self.service.settings
        default = ArticleRef(None, default_article=str(settings.default_article),
                             default_pack=str(settings.default_pack))
        if article_id is None:
            return default
        article = session.get(m.Article, article_id)
        pack = max(article.packs, key=lambda p: p.id) if article and article.packs else None
        if article is None or pack is None:
            return default
        return ArticleRef(article_id, article_text=article.text, pack_yaml=pack.body_yaml)

    def _read_engine_work(self, round_id: int) -> tuple[EngineWork, Any] | None:
        with db.transaction(self.service.sessions) as session:
            round_row = session.get(m.Round, round_id)
            if round_row is None or round_row.state not in (states.RUNNING, states.JUDGING):
                return None
            work = LiveRound(session, round_row, self.service.clock.now()).engine_work(
                self.article_ref(session, round_row.article_id))
            return None if work is None else (work, self._engine_of(session, round_row.article_id))

    async def _compute(self, work: EngineWork, engine: Any) -> EngineResults:
        """The work, done in the engine's worker process (`ENGINE_PROCESSES`) or its one thread here."""
        loop = asyncio.get_running_loop()
        if self.service.settings.engine_processes:
            if self._engine_pool is None:
                self._engine_pool = ProcessPoolExecutor(
                    max_workers=self.service.settings.engine_processes,
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=engine_work.warm_worker, initargs=(self.article_ref(None, None),))
            try:
                return await loop.run_in_executor(self._engine_pool, engine_work.compute_in_worker, work)
            except BrokenProcessPool:
                log.exception("the engine's worker process died; this step runs in the bot's own process")
                self._engine_pool = None  # the next step starts a new pool
                with db.transaction(self.service.sessions) as session:
                    engine = self.service.engine_for(session, SimpleNamespace(article_id=work.article.article_id))
        if self._engine_thread is None:
            self._engine_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="engine")
        return await loop.run_in_executor(self._engine_thread, engine_work.compute, engine, work)

    def _apply_engine_work(self, work: EngineWork, results: EngineResults) -> Effects:
        fx = Effects()
        with db.transaction(self.service.sessions) as session:
            if self._async_commit:  # as for a timer: if a database crash lost it, `engine_due` redoes it
                session.execute(text("SET LOCAL synchronous_commit TO OFF"))
            round_row = session.get(m.Round, work.round_id, with_for_update=True)
            if round_row is None:
                return fx
            now = self.service.clock.now()
            owed_since = round_row.phase_started_at  # the bot's turn began when its speech was owed
            live_round = LiveRound(session, round_row, now, fx=fx, defer_engine=True)
            live_round.apply_engine(work, results)
            if fx.engine:
                self.prepare_engine_work(session, fx)
            if self.measure and work.bot is not None and owed_since is not None:
                self.engine_delay.append((now - owed_since).total_seconds())
        return fx

    # -- firing ----------------------------------------------------------------------------------------
    async def fire(self, deadline_id: int) -> None:
        """Run one deadline, then deliver. Its transaction runs in the timers' own threads (never on the event
        loop, where a wait for the database would stall every round, and never queued behind handlers'
        or the engine's writes); it never waits for the engine (see `bot.rounds.engine_work`)."""
        if self._timer_threads is None:
            self._timer_threads = ThreadPoolExecutor(max_workers=TIMER_THREADS, thread_name_prefix="timer")
        fx = await asyncio.get_running_loop().run_in_executor(self._timer_threads, self.fire_now, deadline_id)
        self._retries.pop(deadline_id, None)
        await self.deliver(fx)

    def fire_now(self, deadline_id: int) -> Effects:
        """The deadline's transaction: lock the round, check the deadline still applies, act on it."""
        service = self.service
        fx = Effects()
        with db.transaction(service.sessions) as session:
            if self._async_commit:
                # A timer's commit need not wait for the disk: if a database crash lost it, the deadline is
                # still pending after restart and simply fires again. (People's speeches and votes,
                # committed by their own handlers, keep full durability.)
                session.execute(text("SET LOCAL synchronous_commit TO OFF"))
            # Lock the round first (as every handler does), then read the deadline: another process may
            # have closed it while we waited for the lock.
            round_row = session.scalars(select(m.Round).where(m.Round.id == select(m.Deadline.round_id).where(
                m.Deadline.id == deadline_id).scalar_subquery()).with_for_update()).first()
            deadline = session.get(m.Deadline, deadline_id)
            if round_row is None or deadline is None or deadline.done_at is not None:
                return fx
            now = service.clock.now()
            before = (round_row.state, round_row.phase_index)
            deadline.done_at = now
            engine = service.engine_for(session, SimpleNamespace(article_id=round_row.article_id))
            if deadline.kind == live.K_START:
                settings_row = session.get(m.ServerSettings, round_row.server_id)
                bot: m.User | None = repo.bot_user(session, _platform(session, round_row))
                policy = settings_row.fill_policy if settings_row else "bot"
            else:
                bot, policy = None, "bot"
            timers.on_deadline(LiveRound(session, round_row, now, engine=engine, fx=fx, bot_user=bot,
                                         fill_policy=policy, defer_engine=True), deadline)
            if fx.engine:
                self.prepare_engine_work(session, fx)
            service.metrics.lag((now - deadline.due_at).total_seconds())
            if self.measure and (round_row.state, round_row.phase_index) != before:
                self.phase_lateness.append((now - deadline.due_at).total_seconds())
            self.fired += 1
        return fx

    def retry(self, deadline_id: int, delay: float = 5.0) -> None:
        """A failed timer (e.g. the database blinked) runs again soon instead of leaving the round stuck."""
        self._retries[deadline_id] = self._retries.get(deadline_id, 0) + 1
        if self.scheduler is None or self._retries[deadline_id] > MAX_RETRIES:
            return
        self._add(deadline_id, self.service.clock.now() + timedelta(seconds=delay))

    # -- introspection ---------------------------------------------------------------------------------
    def pending_work(self) -> bool:
        """True while a round of this platform is active, or one of its timers is due soon (so a piped
        shell script keeps running until its rounds are done)."""
        with db.transaction(self.service.sessions) as session:
            mine = select(m.Server.id).where(m.Server.platform == self.service.platform)
            if session.scalar(select(m.Round.id).where(m.Round.state.in_(states.ACTIVE),
                                                       m.Round.server_id.in_(mine)).limit(1)) is not None:
                return True
            horizon = timedelta(seconds=PENDING_HORIZON_SECONDS / max(self.service.time_scale, 1e-9))
            soon = self.service.clock.now() + min(horizon, timedelta(hours=1))
            return session.scalar(select(m.Deadline.id).join(m.Round, m.Round.id == m.Deadline.round_id).where(
                m.Deadline.done_at.is_(None), m.Deadline.due_at <= soon,
                m.Round.server_id.in_(mine)).limit(1)) is not None


def remember(cache: OrderedDict[Any, Any], key: Any, value: Any, keep: int = CACHED_ROUNDS) -> None:
    """Put `key` in a cache that keeps the `keep` most recent entries (a long-lived process stays flat)."""
    cache[key] = value
    cache.move_to_end(key)
    while len(cache) > keep:
        cache.popitem(last=False)


def _platform(session: Any, round_row: m.Round) -> str:
    server = session.get(m.Server, round_row.server_id)
    return server.platform if server else "shell"


def runtime_of(service: DebateService) -> Runtime:
    """The service's scheduler runtime, created on first use."""
    rt = getattr(service, "rounds_runtime", None)
    if rt is None:
        rt = Runtime(service)
        service.rounds_runtime = rt  # type: ignore[attr-defined]
    return rt


async def install(service: DebateService) -> None:
    """Called by `DebateService.start()`: hook the scheduler into the service's start and stop."""
    rt = runtime_of(service)
    service.work_probes.append(rt.pending_work)

    async def _start(_: DebateService) -> None:
        await rt.start()

    async def _stop(_: DebateService) -> None:
        await rt.stop()

    service.on_start.append(_start)
    service.on_stop.append(_stop)


# -- job functions (referenced as text by the job store) ----------------------------------------------------

async def fire(deadline_id: int) -> None:
    """The job function of every deadline: run it in this process's runtime, retrying on failure."""
    if _active is None:
        log.warning("deadline %s fired with no scheduler running", deadline_id)
        return
    try:
        await _active.fire(deadline_id)
    except Exception:
        log.exception("deadline %s failed; retrying shortly", deadline_id)
        _active.retry(deadline_id)


async def sync() -> None:
    """The periodic job: arm deadline rows written by other processes of the platform, and give rounds
    whose engine step was lost another."""
    if _active is not None:
        runtime = _active
        pending = await asyncio.to_thread(runtime.pending_deadlines)  # not on the event loop: rounds wait there
        runtime.reconcile(pending=pending)
        await runtime.sweep_engine_work()
