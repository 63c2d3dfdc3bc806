"""The database schema for the whole product: feeds, stories, clusters, subscribers,
topics, digests, deliveries and the Telegram outbox.

Times are stored as UTC; `UTCDateTime` gives back timezone-aware datetimes on every
backend (SQLite keeps no zone).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    """Now, timezone-aware, in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A datetime stored as naive UTC and read back as aware UTC."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    pass


class Feed(Base):
    """A news source polled on its own schedule, with HTTP validators and health."""

    __tablename__ = "feeds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(String(2048), unique=True)
    title: Mapped[str] = mapped_column(String(512), default="")
    site_url: Mapped[str] = mapped_column(String(2048), default="")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # HTTP cache validators for conditional GET.
    etag: Mapped[str | None] = mapped_column(String(512), nullable=True)
    last_modified: Mapped[str | None] = mapped_column(String(128), nullable=True)
    # The feed's own wish (<ttl>, Cache-Control max-age), in minutes.
    ttl_minutes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    next_poll_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)
    # Health.
    last_polled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_new_entry_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    last_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    stories: Mapped[list[Story]] = relationship(back_populates="feed", passive_deletes=True)


class Cluster(Base):
    """One news story as people see it: every copy of it from every feed."""

    __tablename__ = "clusters"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The copy with the fullest text; the one a digest shows.
    # (No foreign key: stories already point at clusters, and a cycle would complicate
    # table creation on PostgreSQL.)
    representative_story_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    story_count: Mapped[int] = mapped_column(Integer, default=1)

    stories: Mapped[list[Story]] = relationship(
        back_populates="cluster", foreign_keys="Story.cluster_id"
    )


class Story(Base):
    """A feed entry, keyed by canonical URL (and by GUID within its feed).

    `status` is `new` until processed, then `extracted` (page text and summary) or
    `fallback` (the feed's own title and description, `extract_error` says why).
    """

    __tablename__ = "stories"
    __table_args__ = (
        UniqueConstraint("feed_id", "guid", name="uq_stories_feed_guid"),
        Index("ix_stories_status_seen", "status", "first_seen_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    feed_id: Mapped[int | None] = mapped_column(
        ForeignKey("feeds.id", ondelete="SET NULL"), nullable=True, index=True
    )
    guid: Mapped[str | None] = mapped_column(String(2048), nullable=True)
    url: Mapped[str] = mapped_column(String(2048))
    canonical_url: Mapped[str] = mapped_column(String(2048), unique=True)
    title: Mapped[str] = mapped_column(Text, default="")
    feed_summary: Mapped[str] = mapped_column(Text, default="")
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    status: Mapped[str] = mapped_column(String(16), default="new")
    text: Mapped[str] = mapped_column(Text, default="")
    summary: Mapped[list[str]] = mapped_column(JSON, default=list)
    authors: Mapped[list[str]] = mapped_column(JSON, default=list)
    top_image: Mapped[str] = mapped_column(String(2048), default="")
    language: Mapped[str] = mapped_column(String(16), default="")
    extractor: Mapped[str] = mapped_column(String(32), default="")
    extract_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    extract_attempts: Mapped[int] = mapped_column(Integer, default=0)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    # Near-duplicate detection: the story's similarity sketch, and its cluster.
    sketch: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    cluster_id: Mapped[int | None] = mapped_column(
        ForeignKey("clusters.id", ondelete="SET NULL"), nullable=True, index=True
    )

    feed: Mapped[Feed | None] = relationship(back_populates="stories")
    cluster: Mapped[Cluster | None] = relationship(
        back_populates="stories", foreign_keys=[cluster_id]
    )


class ClusterBand(Base):
    """Locality-sensitive hash bands of a story's sketch, for finding near-duplicates."""

    __tablename__ = "cluster_bands"
    __table_args__ = (Index("ix_cluster_bands_band", "band"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    story_id: Mapped[int] = mapped_column(ForeignKey("stories.id", ondelete="CASCADE"), index=True)
    band: Mapped[str] = mapped_column(String(64))
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class Subscriber(Base):
    """A Telegram chat that receives digests."""

    __tablename__ = "subscribers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    chat_type: Mapped[str] = mapped_column(String(16), default="private")
    name: Mapped[str] = mapped_column(String(256), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    inactive_reason: Mapped[str | None] = mapped_column(String(256), nullable=True)

    digest_time: Mapped[str] = mapped_column(String(5), default="08:00")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    max_items: Mapped[int | None] = mapped_column(Integer, nullable=True)
    notify_empty: Mapped[bool] = mapped_column(Boolean, default=False)

    next_digest_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)
    last_digest_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    no_topics_reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    topics: Mapped[list[Topic]] = relationship(
        back_populates="subscriber",
        order_by="Topic.position",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )


class Topic(Base):
    """A query a subscriber follows, in the order they added them."""

    __tablename__ = "topics"
    __table_args__ = (
        UniqueConstraint("subscriber_id", "query", name="uq_topics_subscriber_query"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subscriber_id: Mapped[int] = mapped_column(
        ForeignKey("subscribers.id", ondelete="CASCADE"), index=True
    )
    query: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    subscriber: Mapped[Subscriber] = relationship(back_populates="topics")


class Digest(Base):
    """One digest composed for one subscriber; its messages go through the outbox."""

    __tablename__ = "digests"
    __table_args__ = (
        UniqueConstraint("subscriber_id", "due_at", name="uq_digests_subscriber_due"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subscriber_id: Mapped[int] = mapped_column(
        ForeignKey("subscribers.id", ondelete="CASCADE"), index=True
    )
    # The scheduled slot this digest answers (for /digest: the moment it was asked).
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    kind: Mapped[str] = mapped_column(String(16), default="scheduled")
    item_count: Mapped[int] = mapped_column(Integer, default=0)
    # pending → sent (all messages out) | empty (nothing to send) | failed.
    status: Mapped[str] = mapped_column(String(16), default="pending")


class Delivery(Base):
    """A cluster that reached a subscriber: never sent to them again."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("subscriber_id", "cluster_id", name="uq_deliveries_subscriber_cluster"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subscriber_id: Mapped[int] = mapped_column(
        ForeignKey("subscribers.id", ondelete="CASCADE"), index=True
    )
    cluster_id: Mapped[int] = mapped_column(ForeignKey("clusters.id", ondelete="CASCADE"))
    digest_id: Mapped[int | None] = mapped_column(
        ForeignKey("digests.id", ondelete="SET NULL"), nullable=True
    )
    delivered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class OutboxMessage(Base):
    """One Telegram message waiting to be sent, or sent (with its message id)."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_status_next", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    digest_id: Mapped[int | None] = mapped_column(
        ForeignKey("digests.id", ondelete="CASCADE"), nullable=True, index=True
    )
    subscriber_id: Mapped[int] = mapped_column(
        ForeignKey("subscribers.id", ondelete="CASCADE"), index=True
    )
    chat_id: Mapped[int] = mapped_column(BigInteger)
    seq: Mapped[int] = mapped_column(Integer, default=0)
    text: Mapped[str] = mapped_column(Text)
    # pending → sent | dropped (chat gone: blocked, deleted); attempts count retries.
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    telegram_message_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)


class Lease(Base):
    """A named lease held by one running instance (so a second one sends nothing twice)."""

    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    owner: Mapped[str] = mapped_column(String(128))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
