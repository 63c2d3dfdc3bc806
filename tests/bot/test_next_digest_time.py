"""The next digest slot, in the subscriber's own zone, across daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from bot.scheduling import next_digest_time

KYIV = ZoneInfo("Europe/Kyiv")


def local(moment: datetime, zone: ZoneInfo = KYIV) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")


def test_a_0800_digest_stays_at_0800_local_across_spring_forward() -> None:
    # Europe/Kyiv: 2026-03-29 03:00 EET → 04:00 EEST.
    before = next_digest_time("08:00", "Europe/Kyiv", datetime(2026, 3, 28, 5, 0, tzinfo=UTC))
    assert before == datetime(2026, 3, 28, 6, 0, tzinfo=UTC)
    assert local(before) == "2026-03-28 08:00 EET"
    after = next_digest_time("08:00", "Europe/Kyiv", before)
    assert after == datetime(2026, 3, 29, 5, 0, tzinfo=UTC)  # 23 hours later
    assert local(after) == "2026-03-29 08:00 EEST"


def test_a_0800_digest_stays_at_0800_local_across_fall_back() -> None:
    # Europe/Kyiv: 2026-10-25 04:00 EEST → 03:00 EET.
    before = next_digest_time("08:00", "Europe/Kyiv", datetime(2026, 10, 24, 4, 0, tzinfo=UTC))
    assert local(before) == "2026-10-24 08:00 EEST"
    after = next_digest_time("08:00", "Europe/Kyiv", before)
    assert after - before == timedelta(hours=25)
    assert local(after) == "2026-10-25 08:00 EET"


def test_a_time_in_the_spring_forward_gap_goes_out_when_the_clocks_jump() -> None:
    # 03:30 does not exist in Kyiv on 2026-03-29: the first valid instant after is 04:00 EEST.
    slot = next_digest_time("03:30", "Europe/Kyiv", datetime(2026, 3, 28, 12, 0, tzinfo=UTC))
    assert slot == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)
    assert local(slot) == "2026-03-29 04:00 EEST"
    # And the day after it is 03:30 again.
    assert local(next_digest_time("03:30", "Europe/Kyiv", slot)) == "2026-03-30 03:30 EEST"


def test_an_ambiguous_time_at_fall_back_is_its_first_occurrence_only() -> None:
    # 03:30 happens twice in Kyiv on 2026-10-25 (EEST, then EET).
    slot = next_digest_time("03:30", "Europe/Kyiv", datetime(2026, 10, 24, 12, 0, tzinfo=UTC))
    assert slot == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    assert local(slot) == "2026-10-25 03:30 EEST"
    # The second 03:30 (EET) is not another digest: the next one is tomorrow.
    assert local(next_digest_time("03:30", "Europe/Kyiv", slot)) == "2026-10-26 03:30 EET"


def test_strictly_after_and_fixed_offsets() -> None:
    at = datetime(2026, 6, 1, 5, 30, tzinfo=UTC)  # 08:00 at UTC+02:30
    assert next_digest_time("08:00", "UTC+02:30", at) == at + timedelta(days=1)
    assert next_digest_time("08:00", "UTC+02:30", at - timedelta(seconds=1)) == at
    assert next_digest_time("23:59", "UTC", at) == datetime(2026, 6, 1, 23, 59, tzinfo=UTC)


ZONES = ["Europe/Kyiv", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "UTC"]


@given(
    zone=st.sampled_from(ZONES),
    hours=st.integers(0, 23),
    minutes=st.sampled_from([0, 15, 30, 59]),
    after=st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2028, 1, 1)),
)
def test_the_next_slot_is_soon_after_and_at_the_local_time_where_it_exists(
    zone: str, hours: int, minutes: int, after: datetime
) -> None:
    after = after.replace(tzinfo=UTC)
    slot = next_digest_time(f"{hours:02d}:{minutes:02d}", zone, after)
    assert after < slot <= after + timedelta(hours=26)
    wall = slot.astimezone(ZoneInfo(zone))
    shifted = (wall.hour, wall.minute) != (hours, minutes)
    if shifted:
        # Only where that wall time does not exist that day (a DST gap, at most 1 h).
        assert timedelta(0) < wall - wall.replace(hour=hours, minute=minutes) <= timedelta(hours=1)
