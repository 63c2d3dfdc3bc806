"""A digest as plain data: what the bot renders and the `preview` command prints."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class DigestItem:
    """One news story (a cluster of copies) in a digest."""

    cluster_id: int
    story_id: int
    title: str
    url: str
    # Outlet names, the representative story's first, each once.
    sources: tuple[str, ...]
    published: datetime | None
    summary: tuple[str, ...]
    # The subscriber's topic (as they typed it) this item is filed under.
    topic: str
    # The words in the story that matched the topic, as they appear there.
    matched: tuple[str, ...]
    score: float


@dataclass(frozen=True)
class TopicSection:
    """The items filed under one topic, best first."""

    topic: str
    items: tuple[DigestItem, ...]


@dataclass(frozen=True)
class DigestPlan:
    """A subscriber's digest at one moment: sections in the order topics were added."""

    since: datetime
    until: datetime
    sections: tuple[TopicSection, ...]
    subscriber_id: int | None = None

    @property
    def items(self) -> list[DigestItem]:
        return [item for section in self.sections for item in section.items]

    @property
    def is_empty(self) -> bool:
        return not any(section.items for section in self.sections)
