"""Time zones and times of day as people type them: `Europe/Kyiv`, `kyiv`, `UTC+2`, `08:30`."""

from __future__ import annotations

import re
import zoneinfo
from datetime import UTC, timedelta, timezone, tzinfo
from functools import lru_cache

# `UTC+2`, `GMT-03:30`, `utc +5:45`, `+0530`: a fixed offset from UTC.
_OFFSET = re.compile(
    r"^(?:utc|gmt)?\s*([+-])\s*(\d{1,2})(?:(?::|\.)?(\d{2}))?$",
    re.IGNORECASE,
)
_HHMM = re.compile(r"^(\d{1,2})[:.hH](\d{2})$")
_UTC_NAMES = {"utc", "gmt", "z", "zulu", "utc+0", "utc-0", "gmt+0", "gmt-0"}

ZONE_EXAMPLE = "/timezone Europe/Kyiv (or /timezone UTC+2)"
TIME_EXAMPLE = "/time 08:30"


class ZoneError(ValueError):
    """A time zone nobody knows; the message says what is wrong and shows an example."""


class TimeOfDayError(ValueError):
    """Not a time of day; the message says what is wrong and shows an example."""


@lru_cache(maxsize=1)
def _zones_by_lower_name() -> dict[str, str]:
    return {name.lower(): name for name in zoneinfo.available_timezones()}


@lru_cache(maxsize=1)
def _zones_by_city() -> dict[str, list[str]]:
    cities: dict[str, list[str]] = {}
    for name in zoneinfo.available_timezones():
        if "/" in name and not name.startswith(("Etc/", "SystemV/", "posix/", "right/")):
            cities.setdefault(name.rsplit("/", 1)[1].lower(), []).append(name)
    return cities


def _format_offset(sign: str, hours: int, minutes: int) -> str:
    return f"UTC{sign}{hours:02d}:{minutes:02d}"


def parse_timezone(text: str) -> str:
    """The stored name of the zone `text` names: an IANA name in its proper case
    (`europe/kyiv` and `Kyiv` give `Europe/Kyiv`), `UTC`, or a fixed offset `UTC+02:00`.

    Raises ZoneError naming the input otherwise.
    """
    raw = " ".join(text.split())
    if not raw:
        raise ZoneError(f"Which time zone? For example: {ZONE_EXAMPLE}")
    shown = raw if len(raw) <= 60 else raw[:60] + "…"
    if raw.lower() in _UTC_NAMES:
        return "UTC"
    offset = _OFFSET.match(raw)
    if offset:
        sign, hours_text, minutes_text = offset.groups()
        hours, minutes = int(hours_text), int(minutes_text or 0)
        if minutes >= 60 or hours > 14 or (hours == 14 and minutes):
            raise ZoneError(
                f"“{shown}” is not an offset from UTC (they run from UTC-12 to UTC+14). "
                f"For example: {ZONE_EXAMPLE}"
            )
        if hours == 0 and minutes == 0:
            return "UTC"
        return _format_offset(sign, hours, minutes)
    key = raw.replace(" ", "_").lower()
    name = _zones_by_lower_name().get(key)
    if name is None:
        candidates = _zones_by_city().get(key, [])
        if len(candidates) == 1:
            name = candidates[0]
    if name is None:
        raise ZoneError(
            f"I don't know the time zone “{shown}”. Use a name like Europe/Kyiv or "
            f"America/New_York, or an offset like UTC+2. For example: {ZONE_EXAMPLE}"
        )
    return name


def zone_for(name: str) -> tzinfo:
    """The tzinfo for a stored zone name (IANA or `UTC±HH:MM`); unknown names fall back to UTC."""
    match = re.fullmatch(r"UTC([+-])(\d{2}):(\d{2})", name)
    if match:
        sign, hours, minutes = match.groups()
        delta = timedelta(hours=int(hours), minutes=int(minutes))
        return timezone(-delta if sign == "-" else delta, name)
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        # A name stored by an older version or edited by hand: never crash a digest over it.
        return UTC


def parse_time_of_day(text: str) -> str:
    """`8:30`, `08.30` or `08:30` as the stored `HH:MM`; TimeOfDayError otherwise."""
    raw = text.strip()
    if not raw:
        raise TimeOfDayError(f"At what time? For example: {TIME_EXAMPLE}")
    shown = raw if len(raw) <= 30 else raw[:30] + "…"
    match = _HHMM.match(raw)
    if not match:
        raise TimeOfDayError(
            f"“{shown}” is not a time of day: use hours and minutes, 24-hour clock. "
            f"For example: {TIME_EXAMPLE}"
        )
    hours, minutes = int(match.group(1)), int(match.group(2))
    if hours > 23 or minutes > 59:
        raise TimeOfDayError(
            f"“{shown}” is not a time of day: hours go from 00 to 23 and minutes from 00 "
            f"to 59. For example: {TIME_EXAMPLE}"
        )
    return f"{hours:02d}:{minutes:02d}"
