"""One running bot per database: a lease row (owner + expiry) renewed while the bot runs.

A second instance refuses to start while the lease is held (one clear line, non-zero exit);
it does not wait, because two bots polling one token fight over getUpdates anyway. A lease
left by a crashed instance stops counting when it expires (LEASE_TTL after its last
renewal), or at once when its owner was a process on this host that no longer exists.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError

from digests.storage import Database
from digests.storage.models import Lease, utcnow

log = logging.getLogger(__name__)

LEASE_NAME = "bot"
LEASE_TTL = timedelta(seconds=60)
LEASE_RENEW_EVERY = timedelta(seconds=15)


class LeaseHeld(Exception):
    """Another live instance holds the lease; the message says who and until when."""

    def __init__(self, owner: str, expires_at: datetime) -> None:
        self.owner = owner
        self.expires_at = expires_at
        super().__init__(
            f"another newsdigest bot ({owner}) is running on this database "
            f"(its lease runs until {expires_at:%Y-%m-%d %H:%M:%S} UTC); stop it first "
            f"(a crashed instance's lease lapses within {int(LEASE_TTL.total_seconds())} s)"
        )


def instance_owner() -> str:
    """A name for this process: `host:pid:nonce`."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _owner_is_gone(owner: str) -> bool:
    """True when `owner` was a process on this host that no longer runs."""
    host, _, rest = owner.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return True  # our pid, reused after a restart (e.g. pid 1 in a container)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def acquire_lease(
    db: Database,
    owner: str,
    *,
    name: str = LEASE_NAME,
    ttl: timedelta = LEASE_TTL,
    now: datetime | None = None,
) -> datetime:
    """Take the lease for `owner`; returns its expiry. Raises LeaseHeld when another live
    instance holds it."""
    moment = now or utcnow()
    expires_at = moment + ttl
    with db.session() as session:
        current = session.get(Lease, name)
        if current is None:
            session.add(Lease(name=name, owner=owner, expires_at=expires_at))
            try:
                session.flush()
            except IntegrityError:
                session.rollback()
                current = session.get(Lease, name)
                if current is None:  # pragma: no cover - vanished again
                    raise
                raise LeaseHeld(current.owner, current.expires_at) from None
            return expires_at
        free = (
            current.owner == owner or current.expires_at <= moment or _owner_is_gone(current.owner)
        )
        if not free:
            raise LeaseHeld(current.owner, current.expires_at)
        # Compare-and-set: only if nobody renewed or took it since we read it.
        taken = session.execute(
            update(Lease)
            .where(Lease.name == name)
            .where(Lease.owner == current.owner)
            .where(Lease.expires_at == current.expires_at)
            .values(owner=owner, expires_at=expires_at)
            .execution_options(synchronize_session=False)
        )
        if taken.rowcount != 1:
            session.rollback()
            fresh = session.get(Lease, name, populate_existing=True)
            raise LeaseHeld(fresh.owner if fresh else "?", fresh.expires_at if fresh else moment)
        if current.owner != owner:
            log.warning("took over the lease from %s (expired or gone)", current.owner)
    return expires_at


def renew_lease(
    db: Database,
    owner: str,
    *,
    name: str = LEASE_NAME,
    ttl: timedelta = LEASE_TTL,
    now: datetime | None = None,
) -> bool:
    """Extend `owner`'s lease; False when it is no longer theirs (taken over meanwhile)."""
    moment = now or utcnow()
    with db.session() as session:
        result = session.execute(
            update(Lease)
            .where(Lease.name == name)
            .where(Lease.owner == owner)
            .values(expires_at=moment + ttl)
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1


def release_lease(db: Database, owner: str, *, name: str = LEASE_NAME) -> None:
    """Give the lease up (at a clean shutdown), if it is still `owner`'s."""
    with db.session() as session:
        session.execute(delete(Lease).where(Lease.name == name).where(Lease.owner == owner))


@dataclass(frozen=True)
class LeaseState:
    """Who holds a lease, for diagnostics."""

    owner: str
    expires_at: datetime


def lease_holder(db: Database, *, name: str = LEASE_NAME) -> LeaseState | None:
    """The current holder of the lease, or None."""
    with db.session() as session:
        current = session.get(Lease, name)
        return None if current is None else LeaseState(current.owner, current.expires_at)
