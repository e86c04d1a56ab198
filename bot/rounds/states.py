"""A round's states and the moves between them. `transition()` is the only code that writes a round's state.

    draft → scheduled → signup → running (prep, speech 1 … n) → judging → finished, or cancelled
"""

from __future__ import annotations

import logging

from bot.storage import models as m

log = logging.getLogger(__name__)

DRAFT, SCHEDULED, SIGNUP, RUNNING, JUDGING, FINISHED, CANCELLED = (
    "draft", "scheduled", "signup", "running", "judging", "finished", "cancelled")
ACTIVE = (SIGNUP, RUNNING, JUDGING)
OPEN = (DRAFT, SCHEDULED, SIGNUP, RUNNING, JUDGING)
ALLOWED: dict[str, tuple[str, ...]] = {
    DRAFT: (SCHEDULED, SIGNUP, RUNNING, CANCELLED),
    SCHEDULED: (SIGNUP, SCHEDULED, RUNNING, CANCELLED),
    SIGNUP: (RUNNING, SCHEDULED, CANCELLED),
    RUNNING: (JUDGING, FINISHED, CANCELLED),
    JUDGING: (FINISHED, CANCELLED),
    FINISHED: (),
    CANCELLED: (),
}


class RoundError(Exception):
    """An invalid action on a round (wrong state, out of turn, ...); the message is shown to the user."""


def round_title(round_row: m.Round) -> str:
    """`Round #12`."""
    return f"Round #{round_row.id}"


def describe_state(state: str) -> str:
    """A state in words: `open for sign-up`, `being judged`, ..."""
    return {DRAFT: "a draft", SCHEDULED: "scheduled", SIGNUP: "open for sign-up", RUNNING: "running",
            JUDGING: "being judged", FINISHED: "finished", CANCELLED: "cancelled"}[state]


def transition(round_row: m.Round, state: str) -> None:
    """Move the round to `state`, or raise RoundError when ALLOWED has no such move."""
    if state not in ALLOWED[round_row.state]:
        raise RoundError(f"{round_title(round_row)} is {describe_state(round_row.state)}; it can't become {state}.")
    log.info("round %s -> %s", round_row.state, state, extra={"server": round_row.server_id, "round": round_row.id})
    round_row.state = state
