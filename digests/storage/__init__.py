"""Storage: the SQLAlchemy models and the database they live in."""

from digests.storage.database import Database, open_database
from digests.storage.models import (
    Base,
    Cluster,
    ClusterBand,
    Delivery,
    Digest,
    Feed,
    Lease,
    OutboxMessage,
    Story,
    Subscriber,
    Topic,
    utcnow,
)

__all__ = [
    "Base",
    "Cluster",
    "ClusterBand",
    "Database",
    "Delivery",
    "Digest",
    "Feed",
    "Lease",
    "OutboxMessage",
    "Story",
    "Subscriber",
    "Topic",
    "open_database",
    "utcnow",
]
