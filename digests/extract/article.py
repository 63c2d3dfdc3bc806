"""What extraction gives back for one page."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

EXTRACTORS = ("newspaper4k", "trafilatura", "newspaper4k+trafilatura", "feed")


@dataclass(frozen=True)
class Article:
    """A news page's article: its own title, body text and metadata.

    `extractor` names what produced `text`: "newspaper4k", "trafilatura",
    "newspaper4k+trafilatura" (both, merged) or "feed" (the feed's own description).
    """

    title: str
    text: str
    authors: list[str] = field(default_factory=list)
    published: datetime | None = None
    top_image: str = ""
    language: str = ""
    extractor: str = "newspaper4k"
