"""Deadline kinds → `LiveRound` methods: one dict, as RoboDanny dispatches its timers by event name.

A timer that no longer applies (a stale phase, a round already over) does nothing: each method checks
the round's state and phase itself.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.rounds.live import (
    K_JUDGING_END,
    K_PHASE_END,
    K_REMINDER,
    K_SIGNUP,
    K_START,
    K_TIME_UP,
    WARN_PREFIX,
    LiveRound,
)
from bot.rounds.states import SCHEDULED
from bot.storage import models as m


def _open_signup(live: LiveRound, deadline: m.Deadline) -> None:
    if live.row.state == SCHEDULED:
        live.open_signup()


HANDLERS: dict[str, Callable[[LiveRound, m.Deadline], None]] = {
    K_SIGNUP: _open_signup,
    K_REMINDER: lambda live, deadline: live.remind(),
    K_START: LiveRound.start_when_due,
    K_TIME_UP: LiveRound.time_up,
    K_PHASE_END: LiveRound.end_phase_if,
    K_JUDGING_END: lambda live, deadline: live.close_voting(),
}


def kind_of(deadline: m.Deadline) -> str:
    """The dispatch key of a deadline: every `warn_<seconds>` is one kind."""
    return WARN_PREFIX if deadline.kind.startswith(WARN_PREFIX) else deadline.kind


HANDLERS[WARN_PREFIX] = LiveRound.warn


def on_deadline(live: LiveRound, deadline: m.Deadline) -> None:
    """A timer fired: run what its kind calls for (an unknown kind is logged and dropped)."""
    handler = HANDLERS.get(kind_of(deadline))
    if handler is not None:
        handler(live, deadline)
