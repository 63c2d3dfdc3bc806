"""One bot per database: the single-instance lease."""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta

import pytest

from bot.lease import (
    LEASE_TTL,
    LeaseHeld,
    acquire_lease,
    lease_holder,
    release_lease,
    renew_lease,
)
from digests.storage import Database

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
OTHER = "elsewhere.example:4321:abcd1234"


def test_a_second_owner_is_refused_while_the_lease_is_fresh(db: Database) -> None:
    acquire_lease(db, OTHER, now=NOW)
    with pytest.raises(LeaseHeld) as held:
        acquire_lease(db, "me:1:x", now=NOW + timedelta(seconds=10))
    assert OTHER in str(held.value)
    assert "stop it first" in str(held.value)


def test_an_expired_lease_is_taken_over(db: Database) -> None:
    acquire_lease(db, OTHER, now=NOW)
    acquire_lease(db, "me:1:x", now=NOW + LEASE_TTL + timedelta(seconds=1))
    assert lease_holder(db).owner == "me:1:x"
    # The old owner notices at its next renewal.
    assert not renew_lease(db, OTHER, now=NOW + LEASE_TTL + timedelta(seconds=2))


def test_renewal_keeps_the_lease(db: Database) -> None:
    acquire_lease(db, OTHER, now=NOW)
    assert renew_lease(db, OTHER, now=NOW + LEASE_TTL - timedelta(seconds=1))
    with pytest.raises(LeaseHeld):
        acquire_lease(db, "me:1:x", now=NOW + LEASE_TTL + timedelta(seconds=1))


def test_a_lease_of_a_dead_process_on_this_host_is_taken_at_once(db: Database) -> None:
    dead = f"{socket.gethostname()}:999999999:dead"
    acquire_lease(db, dead, now=NOW)
    acquire_lease(db, "me:1:x", now=NOW + timedelta(seconds=1))
    assert lease_holder(db).owner == "me:1:x"


def test_release_frees_the_lease_only_for_its_owner(db: Database) -> None:
    acquire_lease(db, OTHER, now=NOW)
    release_lease(db, "me:1:x")
    assert lease_holder(db).owner == OTHER
    release_lease(db, OTHER)
    assert lease_holder(db) is None
    acquire_lease(db, "me:1:x", now=NOW)
