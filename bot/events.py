"""A tiny in-process event bus. Listeners run synchronously inside the emitting transaction.

    subscribe(RoundFinished, on_round_finished)   # fn(event, session)
    emit(RoundFinished(...), session)

A listener that raises rolls back the whole transaction (the round stays unfinished and the timer
retries), so listeners should only fail for real errors.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy.orm import Session

E = TypeVar("E")
Listener = Callable[[Any, Session], None]
_listeners: dict[type, list[Listener]] = defaultdict(list)


@dataclass(frozen=True, slots=True)
class RoundFinished:
    """A round has finished and its winner is decided (rows: rounds, participants, speeches, votes, ballots)."""

    round_id: int
    server_id: int
    format_key: str
    winner: str | None  # a side key (pro, con, og, ...), None for a draw/no decision
    winner_source: str  # judges | audience | engine
    ranks: dict[str, int] = field(default_factory=dict)  # side -> rank, 0 = first
    is_practice: bool = False  # True when the bot debated (rated in the "bot" pool)


def subscribe(event_type: type[E], listener: Callable[[E, Session], None]) -> None:
    if listener not in _listeners[event_type]:
        _listeners[event_type].append(listener)


def unsubscribe(event_type: type[E], listener: Callable[[E, Session], None]) -> None:
    if listener in _listeners[event_type]:
        _listeners[event_type].remove(listener)


def emit(event: object, session: Session) -> None:
    for listener in list(_listeners[type(event)]):
        listener(event, session)
