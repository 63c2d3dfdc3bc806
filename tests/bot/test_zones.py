"""Time zones and times of day as people type them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.zones import TimeOfDayError, ZoneError, parse_time_of_day, parse_timezone, zone_for


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("Europe/Kyiv", "Europe/Kyiv"),
        ("europe/kyiv", "Europe/Kyiv"),
        ("EUROPE/KYIV", "Europe/Kyiv"),
        ("Kyiv", "Europe/Kyiv"),
        ("america/new york", "America/New_York"),
        ("UTC", "UTC"),
        ("gmt", "UTC"),
        ("UTC+2", "UTC+02:00"),
        ("utc +2", "UTC+02:00"),
        ("UTC-03:30", "UTC-03:30"),
        ("GMT+1", "UTC+01:00"),
        ("+0545", "UTC+05:45"),
        ("UTC+0", "UTC"),
        ("UTC+14", "UTC+14:00"),
    ],
)
def test_zones_people_type_are_understood(typed: str, stored: str) -> None:
    assert parse_timezone(typed) == stored


@pytest.mark.parametrize("typed", ["Mars/Olympus", "UTC+15", "UTC+2:75", "", "../../etc/passwd"])
def test_unknown_zones_are_refused_with_an_example(typed: str) -> None:
    with pytest.raises(ZoneError) as problem:
        parse_timezone(typed)
    assert "/timezone Europe/Kyiv" in str(problem.value)
    if typed:
        assert typed.split("/")[0] in str(problem.value)


def test_fixed_offsets_and_iana_zones_give_the_right_local_time() -> None:
    moment = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
    assert moment.astimezone(zone_for("UTC-03:30")).hour == 8
    assert moment.astimezone(zone_for("UTC-03:30")).minute == 30
    assert moment.astimezone(zone_for("Europe/Kyiv")).utcoffset() == timedelta(hours=3)
    assert moment.astimezone(zone_for("no/such/zone")).utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("8:30", "08:30"), ("08:30", "08:30"), ("23.59", "23:59"), ("0:00", "00:00")],
)
def test_times_of_day(typed: str, stored: str) -> None:
    assert parse_time_of_day(typed) == stored


@pytest.mark.parametrize("typed", ["25:99", "24:00", "12:60", "noon", "", "8"])
def test_bad_times_are_refused_with_an_example(typed: str) -> None:
    with pytest.raises(TimeOfDayError) as problem:
        parse_time_of_day(typed)
    assert "/time 08:30" in str(problem.value)
