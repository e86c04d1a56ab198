"""Engine fixtures: the model and the seed engine load once per test session."""

from __future__ import annotations

import pytest

from bot.config import DEFAULT_ARTICLE, DEFAULT_PACK


@pytest.fixture(scope="session")
def engine():
    from bot.engine import get_engine

    return get_engine()


@pytest.fixture(scope="session")
def article():
    from bot.engine import load_article

    return load_article(DEFAULT_ARTICLE)


@pytest.fixture(scope="session")
def pack_yaml() -> str:
    return DEFAULT_PACK.read_text(encoding="utf-8")
