"""Rounds: formats, the round state machine, practice, scheduling, judging and the timer runtime."""
