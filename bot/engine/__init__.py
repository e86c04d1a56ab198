"""Debate engine: articles, packs, matching, rebuttals, bot speeches and speech scoring.

Light to import: the model and indexes load on the first `get_engine()` call.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .article import Article, Paragraph, Sentence, load_article
from .pack import Claim, Evidence, Motion, Pack, PackError, load_pack
from .results import BotSpeech, Criterion, Decline, Rebuttal, SpeechScore

if TYPE_CHECKING:
    from .core import Engine, get_engine

__all__ = [
    "Article", "Paragraph", "Sentence", "load_article",
    "Claim", "Evidence", "Motion", "Pack", "PackError", "load_pack",
    "BotSpeech", "Criterion", "Decline", "Rebuttal", "SpeechScore",
    "Engine", "get_engine",
]


def __getattr__(name: str):
    if name in {"Engine", "get_engine"}:
        from . import core

        return getattr(core, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
