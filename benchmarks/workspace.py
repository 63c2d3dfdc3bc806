"""A benchmark's scratch space: a fresh SQLite database and the settings the product would use."""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy import insert

from benchmarks.report import OUT_DIR
from digests.config import Settings
from digests.storage import Database, open_database
from digests.storage.models import Feed, utcnow

BENCH_TOKEN = "123456:BENCHMARK-TOKEN"


@dataclass
class Workspace:
    directory: Path
    db_path: Path
    db: Database

    @property
    def db_url(self) -> str:
        return f"sqlite:///{self.db_path}"

    def settings(self, **overrides: object) -> Settings:
        """The product's defaults (no `.env` read), on this workspace's database."""
        values: dict[str, object] = {"database_url": self.db_url, "log_level": "WARNING"}
        values.update(overrides)
        return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@contextmanager
def workspace(name: str) -> Iterator[Workspace]:
    """A temporary folder under benchmarks/out/tmp with a migrated SQLite database in it."""
    root = OUT_DIR / "tmp"
    root.mkdir(parents=True, exist_ok=True)
    directory = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=root))
    db_path = directory / "newsdigest.sqlite3"
    db = open_database(f"sqlite:///{db_path}")
    try:
        yield Workspace(directory, db_path, db)
    finally:
        db.dispose()
        shutil.rmtree(directory, ignore_errors=True)


def add_feeds(db: Database, base_url: str, count: int) -> None:
    """`count` feeds pointing at the local corpus server, all due now."""
    due = utcnow() - timedelta(minutes=1)
    rows = [
        {
            "url": f"{base_url}/feeds/{n}.xml",
            "title": f"Feed {n}",
            "site_url": base_url,
            "enabled": True,
            "added_at": due,
            "next_poll_at": due,
            "consecutive_failures": 0,
        }
        for n in range(count)
    ]
    with db.session() as session:
        session.execute(insert(Feed), rows)


def sqlite_size_mb(path: Path) -> float:
    """Size of a SQLite database file once its WAL is folded in, in MB."""
    with sqlite3.connect(path, timeout=30) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path.stat().st_size / 1e6
