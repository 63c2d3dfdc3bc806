"""One settings object for the whole project, read from the environment and `.env`."""

from __future__ import annotations

import re
from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = f"sqlite:///{PROJECT_ROOT / 'data' / 'newsdigest.sqlite3'}"
DEFAULT_TELEGRAM_API_BASE_URL = "https://api.telegram.org/bot"

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$", re.IGNORECASE)
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(value: str | int | float | timedelta) -> timedelta:
    """Parse `90`, `90s`, `15m`, `6h` or `7d` into a timedelta (bare numbers are seconds)."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, int | float):
        return timedelta(seconds=value)
    match = _DURATION.match(value)
    if not match:
        raise ValueError(f"not a duration: {value!r} (use e.g. 90s, 15m, 6h, 7d)")
    number, unit = match.groups()
    return timedelta(seconds=float(number) * _UNIT_SECONDS[unit.lower()])


def parse_lookback(value: str) -> timedelta | None:
    """A `--since` value: `24h`, `7d`, `90m`… as a look-back; `all` as None (no lower bound).

    Raises UserError naming the value when it is not a positive duration.
    """
    from digests.errors import UserError

    if value.strip().lower() == "all":
        return None
    try:
        span = parse_duration(value)
    except ValueError:
        raise UserError(f"--since {value!r} is not a duration (use e.g. 24h, 7d or all)") from None
    if span <= timedelta(0):
        raise UserError(f"--since {value!r} must be longer than zero (or 'all')")
    return span


class Settings(BaseSettings):
    """Every setting newsdigest reads; `.env.example` lists them all."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    # Telegram
    telegram_bot_token: str = ""
    telegram_api_base_url: str = DEFAULT_TELEGRAM_API_BASE_URL
    admin_chat_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)
    webhook_url: str = ""
    webhook_secret: str = ""
    webhook_listen: str = "0.0.0.0"
    webhook_port: int = 8443

    # Digests
    default_digest_time: str = "08:00"
    default_timezone: str = "UTC"
    max_items_per_digest: int = 10
    missed_digest_grace: timedelta = timedelta(hours=6)
    summary_sentences: int = 3

    # Pipeline
    database_url: str = DEFAULT_DATABASE_URL
    feeds_file: str = ""
    poll_interval_minutes: int = 15
    fetch_connect_timeout: float = 10.0
    fetch_timeout: float = 30.0
    fetch_max_bytes: int = 10 * 1024 * 1024
    fetch_concurrency: int = 20
    user_agent: str = "newsdigest/0.1 (+https://github.com/newsdigest/newsdigest; news digest bot)"
    extract_workers: int = 0
    extract_timeout: float = 30.0

    log_level: str = "INFO"

    @field_validator("*", mode="before")
    @classmethod
    def _empty_means_default(cls, value: object, info) -> object:
        # `.env.example` lists every setting with an empty value: empty means "the default".
        if isinstance(value, str) and not value.strip() and info.field_name:
            field = cls.model_fields[info.field_name]
            return field.get_default(call_default_factory=True)
        return value

    @field_validator("admin_chat_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            return [int(part) for part in re.split(r"[,\s]+", value.strip()) if part]
        if isinstance(value, int):
            return [value]
        return value

    @field_validator("missed_digest_grace", mode="before")
    @classmethod
    def _duration(cls, value: object) -> object:
        if isinstance(value, str | int | float):
            return parse_duration(value)
        return value

    @field_validator("default_digest_time")
    @classmethod
    def _hhmm(cls, value: str) -> str:
        if not re.fullmatch(r"([01]?\d|2[0-3]):[0-5]\d", value.strip()):
            raise ValueError(f"DEFAULT_DIGEST_TIME must be HH:MM, got {value!r}")
        hours, minutes = value.strip().split(":")
        return f"{int(hours):02d}:{minutes}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (read once)."""
    return Settings()
