"""Putting messages into the persistent outbox, inside the caller's transaction.

A digest becomes one Digest row, a Delivery row per cluster (so no story reaches the
subscriber twice) and an OutboxMessage per rendered message, numbered in order. The
sender (`bot.delivery.sender`) takes it from there.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from digests.compose.model import DigestPlan
from digests.storage.models import Delivery, Digest, OutboxMessage, Subscriber, utcnow


def enqueue_digest(
    session: Session,
    subscriber: Subscriber,
    plan: DigestPlan,
    messages: list[str],
    *,
    due_at: datetime,
    kind: str = "scheduled",
) -> Digest:
    """Queue a rendered digest for `subscriber`, in the caller's transaction.

    Idempotent per (subscriber, due_at): when that digest is already queued, the existing
    row is returned and nothing is added (the unique constraint also refuses a concurrent
    twin at commit). No messages: the Digest is recorded as "empty" and nothing is sent.
    """
    session.flush()  # the subscriber needs its id
    existing = session.scalar(
        select(Digest).where(Digest.subscriber_id == subscriber.id, Digest.due_at == due_at)
    )
    if existing is not None:
        return existing
    now = utcnow()
    digest = Digest(
        subscriber_id=subscriber.id,
        due_at=due_at,
        created_at=now,
        kind=kind,
        item_count=len(plan.items) if messages else 0,
        status="pending" if messages else "empty",
    )
    session.add(digest)
    session.flush()
    if not messages:
        return digest
    delivered = set(
        session.scalars(select(Delivery.cluster_id).where(Delivery.subscriber_id == subscriber.id))
    )
    for item in plan.items:
        if item.cluster_id in delivered:
            continue
        delivered.add(item.cluster_id)
        session.add(
            Delivery(
                subscriber_id=subscriber.id,
                cluster_id=item.cluster_id,
                digest_id=digest.id,
                delivered_at=now,
            )
        )
    for seq, text in enumerate(messages):
        session.add(
            OutboxMessage(
                digest_id=digest.id,
                subscriber_id=subscriber.id,
                chat_id=subscriber.chat_id,
                seq=seq,
                text=text,
                status="pending",
                next_attempt_at=min(due_at, now),
                created_at=now,
            )
        )
    session.flush()
    return digest


def enqueue_message(session: Session, subscriber: Subscriber, text: str) -> OutboxMessage:
    """Queue one Telegram-HTML message for `subscriber` (a note, a reminder), in the
    caller's transaction; the sender delivers it in order with the chat's other messages."""
    session.flush()
    now = utcnow()
    message = OutboxMessage(
        digest_id=None,
        subscriber_id=subscriber.id,
        chat_id=subscriber.chat_id,
        seq=0,
        text=text,
        status="pending",
        next_attempt_at=now,
        created_at=now,
    )
    session.add(message)
    session.flush()
    return message
