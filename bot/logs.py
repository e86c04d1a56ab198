"""One log line per event, with server and round ids where they apply; secrets never appear."""

from __future__ import annotations

import logging
import re
import sys

_CONTEXT_KEYS = ("platform", "server", "round", "user", "command", "event")


class _KeyValueFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        base = super().format(record)
        extras = " ".join(f"{k}={getattr(record, k)}" for k in _CONTEXT_KEYS if getattr(record, k, None) is not None)
        return f"{base} {extras}" if extras else base


# Credentials and capability URLs in any log line, whoever logs it (a library at DEBUG dumps requests).
_REDACTIONS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\bxox[a-z]-[A-Za-z0-9-]+"), "xox*-***"),  # Slack bot/user/config tokens
    (re.compile(r"\bxapp-[A-Za-z0-9-]+"), "xapp-***"),  # Slack app-level (Socket Mode) tokens
    (re.compile(r"https?://hooks\.slack\.com/[^\s'\"<>,&}]+"), "https://hooks.slack.com/***"),
    (re.compile(r"(response_url['\"]?\s*[:=]\s*['\"]?)[^\s'\"&,}]+"), r"\1***"),  # any response_url value
    (re.compile(r"(/(?:interactions|webhooks)/\d+/)[A-Za-z0-9_.:\-]+"), r"\1***"),  # Discord interaction tokens
    (re.compile(r"\b[MNO][A-Za-z\d_-]{23,27}\.[A-Za-z\d_-]{6}\.[A-Za-z\d_-]{27,40}\b"), "***"),  # Discord bot token
    (re.compile(r"(['\"]token['\"]\s*:\s*['\"])[^'\"]+"), r"\1***"),  # "token": "..." in a dumped payload
    (re.compile(r"((?:Bot|Bearer) )[A-Za-z0-9._\-]{8,}"), r"\1***"),  # Authorization headers
)
_OWN_LOGGERS = ("bot", "adapters", "__main__")
# Loggers whose every URL is a capability (a response_url, an incoming webhook): all URLs go.
_WEBHOOK_LOGGERS = ("slack_sdk.webhook", "discord.webhook")
_URL = re.compile(r"https?://[^\s'\"<>,]+")


class _Redact(logging.Filter):
    """Scrub every record before it is written.

    - configured secret values (tokens, the signing secret) become ***;
    - Slack and Discord credentials and capability URLs (response_url, interaction tokens, every URL a
      webhook client logs) become ***, even where no secret is configured (an interaction's own token);
    - a library's DEBUG line that dumps a payload (Bolt and Socket Mode log whole requests: user text,
      response_url, ids) keeps its words up to the payload, which is dropped.
    """

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s and len(s) >= 6]

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        original = message
        if record.levelno < logging.INFO and not record.name.startswith(_OWN_LOGGERS):
            cut = min((i for i in (message.find("{"), message.find("[{")) if i >= 0), default=-1)
            if cut >= 0:
                message = message[:cut] + "{… payload omitted …}"
        if record.name.startswith(_WEBHOOK_LOGGERS):
            message = _URL.sub("<webhook url>", message)
        for secret in self.secrets:
            message = message.replace(secret, "***")
        for pattern, replacement in _REDACTIONS:
            message = pattern.sub(replacement, message)
        if message != original or record.args:
            record.msg, record.args = message, None
        return True


def redactor(secrets: list[str] | None = None) -> logging.Filter:
    """The filter `configure` puts on its handler, for other handlers (tests' caplog)."""
    return _Redact(secrets or [])


def configure(level: str = "INFO", secrets: list[str] | None = None, stream=None) -> None:  # type: ignore[no-untyped-def]
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(_KeyValueFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(_Redact(secrets or []))
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
