"""Bulk rows for the scale benchmarks: processed stories, subscribers and their topics.

Stories are inserted as the pipeline leaves them (status "extracted", text, summary) and are
then placed by the clustering stage's own `cluster_new_stories`, so sketches, bands and
clusters are the real ones. Each story's opening paragraphs are generated for it (so unrelated
stories do not look alike); the rest of its text is drawn from a pool of paragraphs to keep
generation fast. About 10 % of stories are syndicated copies of an earlier one (same title
and text, another feed and URL), as wire stories are.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, insert, select, update

from benchmarks.textgen import WordModel
from digests.storage import Database
from digests.storage.models import Cluster, Feed, Story, Subscriber, Topic

COPY_SHARE = 0.10


class StoryFactory:
    """Seeded story rows; `rows()` continues where the previous call stopped."""

    def __init__(self, seed: int, *, feeds: int, body_chars: tuple[int, int] = (1500, 5000)):
        self.words = WordModel(seed)
        self.rng = random.Random(seed)
        self.feeds = feeds
        self.body_chars = body_chars
        self.pool = [self.words.paragraph() for _ in range(400)]
        self.made = 0
        self.recent: list[dict] = []  # originals that later stories may copy

    def _original(self, number: int) -> dict:
        words, rng = self.words, self.rng
        subject = words.subject()
        title = words.title(subject)
        opening = [words.paragraph(subject, 3), words.paragraph(subject, 3)]
        rest, total = [], sum(map(len, opening))
        target = rng.randint(*self.body_chars)
        while total < target:
            paragraph = rng.choice(self.pool)
            rest.append(paragraph)
            total += len(paragraph)
        text = "\n\n".join(opening + rest)
        summary = [s + "." for s in opening[0].split(". ")[:3]]
        return {
            "title": title,
            "text": text,
            "summary": summary,
            "feed_summary": opening[0][:300],
            "path": f"/news/{number}-{'-'.join(title.lower().split()[:5])}",
        }

    def rows(self, count: int, *, now: datetime, span: timedelta, status: str = "extracted"):
        """`count` story rows first seen over `span` before `now` (oldest first)."""
        rng = self.rng
        out = []
        for i in range(count):
            number = self.made
            self.made += 1
            if self.recent and rng.random() < COPY_SHARE:
                content = rng.choice(self.recent)
            else:
                content = self._original(number)
                self.recent.append(content)
                if len(self.recent) > 2000:
                    self.recent.pop(0)
            feed_id = rng.randint(1, self.feeds) if self.feeds else None
            seen = now - span + span * ((i + 1) / (count + 1))
            # A copy lives under its own URL on another site, as syndicated stories do.
            url = f"https://site{(feed_id or 0) % 40:02d}.example{content['path']}-{number}"
            out.append(
                {
                    "_content": content,
                    "feed_id": feed_id,
                    "guid": f"g{number}",
                    "url": url,
                    "canonical_url": url,
                    "title": content["title"],
                    "feed_summary": content["feed_summary"],
                    "published_at": seen - timedelta(minutes=rng.randint(0, 90)),
                    "first_seen_at": seen,
                    "status": status,
                    "text": content["text"],
                    "summary": content["summary"],
                    "authors": [],
                    "top_image": "",
                    "language": "en",
                    "extractor": "newspaper4k",
                    "extract_attempts": 1,
                    "processed_at": seen,
                }
            )
        return out


def _sqlite_time(moment: datetime) -> str:
    """A datetime as `UTCDateTime` stores it on SQLite (naive UTC, microseconds)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def insert_stories(db: Database, rows: list[dict], chunk: int = 5000) -> None:
    """Insert rows as the pipeline leaves them: processed, not yet clustered."""
    plain = [{k: v for k, v in row.items() if k != "_content"} for row in rows]
    with db.session() as session:
        for start in range(0, len(plain), chunk):
            session.execute(insert(Story), plain[start : start + chunk])


def insert_clustered_stories(db: Database, rows: list[dict], chunk: int = 5000) -> None:
    """Insert rows already placed: sketch, LSH bands and clusters computed with the
    clustering stage's own functions (`sketch_story`, `band_keys`, `title_key`, `url_key`),
    stored as `cluster_new_stories` stores them. A copy joins its original's cluster.

    Equivalent to inserting the rows and running `cluster_new_stories`, at a tenth of the
    time, which is what lets the benchmark reach 100k stories in minutes.
    """
    from digests.cluster.sketch import sketch_story, url_key

    with db.session() as session:
        story_id = (session.scalar(select(func.max(Story.id))) or 0) + 1
        cluster_id = (session.scalar(select(func.max(Cluster.id))) or 0) + 1
        for start in range(0, len(rows), chunk):
            stories, clusters, bands = [], [], []
            for row in rows[start : start + chunk]:
                content = row.pop("_content")
                sketch = content.get("_sketch")
                if sketch is None:
                    sketch = sketch_story(row["title"], row["text"], row["feed_summary"])
                    content["_sketch"] = sketch
                if "_cluster" not in content:
                    content["_cluster"] = cluster_id
                    clusters.append(
                        {
                            "id": cluster_id,
                            "first_seen_at": row["first_seen_at"],
                            "updated_at": row["first_seen_at"],
                            "representative_story_id": story_id,
                            "story_count": 1,
                        }
                    )
                    cluster_id += 1
                stories.append(
                    {
                        **row,
                        "id": story_id,
                        "sketch": sketch.to_bytes(),
                        "cluster_id": content["_cluster"],
                    }
                )
                keys = sketch.band_keys()
                keys += [k for k in (sketch.title_key(), url_key(row["canonical_url"])) if k]
                seen = _sqlite_time(row["first_seen_at"])
                bands.extend((story_id, key, seen) for key in keys)
                story_id += 1
            if clusters:
                session.execute(insert(Cluster), clusters)
            session.connection().execute(Story.__table__.insert(), stories)
            # Millions of band rows: straight to the driver (the ORM's per-row work would be
            # most of the fill time); same columns and time format as SQLAlchemy writes.
            session.connection().exec_driver_sql(
                "INSERT INTO cluster_bands (story_id, band, seen_at) VALUES (?, ?, ?)", bands
            )
        session.execute(
            update(Cluster).values(
                story_count=select(func.count())
                .where(Story.cluster_id == Cluster.id)
                .scalar_subquery()
            )
        )


def insert_feeds(db: Database, count: int, base_url: str = "https://feeds.example") -> None:
    """`count` feeds the stories can belong to; disabled, so no poll ever reaches for them."""
    rows = [
        {"url": f"{base_url}/{n}.xml", "title": f"Feed {n}", "site_url": base_url, "enabled": False}
        for n in range(count)
    ]
    with db.session() as session:
        session.execute(insert(Feed), rows)


def insert_subscribers(
    db: Database,
    count: int,
    *,
    seed: int,
    start_chat_id: int = 10_000_001,
    topics: tuple[int, int] = (1, 5),
    group_share: float = 0.05,
    next_digest_at: datetime | None = None,
    last_digest_at: datetime | None = None,
) -> int:
    """`count` subscribers with 1–5 topics each (queries a person would type); returns how
    many topics were stored."""
    words = WordModel(seed)
    rng = random.Random(seed)
    subscribers, chat_ids = [], []
    for n in range(count):
        group = rng.random() < group_share
        chat_id = -(start_chat_id + n) if group else start_chat_id + n
        chat_ids.append(chat_id)
        subscribers.append(
            {
                "chat_id": chat_id,
                "chat_type": "group" if group else "private",
                "name": f"Reader {n}",
                "active": True,
                "digest_time": "08:00",
                "timezone": "UTC",
                "notify_empty": False,
                "next_digest_at": next_digest_at,
                "last_digest_at": last_digest_at,
            }
        )
    with db.session() as session:
        session.execute(insert(Subscriber), subscribers)
        ids = dict(
            session.execute(
                Subscriber.__table__.select().with_only_columns(Subscriber.chat_id, Subscriber.id)
            ).all()
        )
        topic_rows = []
        for chat_id in chat_ids:
            queries: list[str] = []
            for _ in range(rng.randint(*topics)):
                query = words.topic_query()
                if query not in queries:
                    queries.append(query)
            topic_rows.extend(
                {"subscriber_id": ids[chat_id], "query": query, "position": position}
                for position, query in enumerate(queries)
            )
        session.execute(insert(Topic), topic_rows)
    return len(topic_rows)
