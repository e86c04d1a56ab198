"""One log line per event, with server and round ids where they apply; secrets never appear."""

from __future__ import annotations

import logging
import sys

_CONTEXT_KEYS = ("platform", "server", "round", "user", "command", "event")


class _KeyValueFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        base = super().format(record)
        extras = " ".join(f"{k}={getattr(record, k)}" for k in _CONTEXT_KEYS if getattr(record, k, None) is not None)
        return f"{base} {extras}" if extras else base


class _RedactSecrets(logging.Filter):
    """Replace any configured secret value with *** in the final message."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s and len(s) >= 6]

    def filter(self, record: logging.LogRecord) -> bool:
        if self.secrets:
            message = record.getMessage()
            for secret in self.secrets:
                message = message.replace(secret, "***")
            record.msg, record.args = message, None
        return True


def configure(level: str = "INFO", secrets: list[str] | None = None, stream=None) -> None:  # type: ignore[no-untyped-def]
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(_KeyValueFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(_RedactSecrets(secrets or []))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("apscheduler", "discord", "slack_bolt", "slack_sdk", "aiohttp.access", "alembic"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)
                                              if isinstance(logging.getLevelName(level), int) else logging.WARNING))


def settings_secrets(settings) -> list[str]:  # type: ignore[no-untyped-def]
    values = []
    for name in ("discord_token", "slack_bot_token", "slack_signing_secret", "slack_app_token"):
        secret = getattr(settings, name, None)
        if secret is not None:
            values.append(secret.get_secret_value())
    return values
