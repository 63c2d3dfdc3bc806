"""A story's similarity sketch: normalized title words and a MinHash of its opening text.

The sketch is what clustering compares. Titles are short, so they are kept as word sets and
compared exactly; the opening (the first words of the article text, or the feed's
description when there is no text) is reduced to a MinHash over 3-word shingles, stored in
`Story.sketch`, and cut into LSH bands so near-duplicates are found by an indexed lookup.
"""

from __future__ import annotations

import hashlib
import re
import struct
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

import numpy as np
from datasketch import MinHash

# MinHash size and LSH banding: 32 bands of 3 rows. A pair whose openings have Jaccard 0.5
# becomes a candidate with probability 0.99 (0.91 at 0.42, 0.69 at 0.33); unrelated texts
# (Jaccard <= 0.05) with probability < 0.005.
NUM_PERM = 96
BAND_ROWS = 3
BANDS = NUM_PERM // BAND_ROWS
SHINGLE_WORDS = 3
# How much of the article is compared: enough to ride out a shifted lede or a line of
# site chrome, short enough that trimmed endings and different footers do not count.
OPENING_WORDS = 100
# Fewer words than this in the extracted text: treat the story as "feed only".
MIN_BODY_WORDS = 30
# Titles shorter than this are too generic ("Briefing", "Live updates") to be a lookup key.
MIN_TITLE_KEY_WORDS = 3

SKETCH_VERSION = 1
_HEADER = struct.Struct("<BBH")  # version, flags, shingle count (capped)
_FLAG_BODY = 1

_APOSTROPHES = re.compile(r"['’ʼ`´]")
_NON_WORD = re.compile(r"[\W_]+")
# " - The New York Times", " | Reuters": a short trailing segment naming the site.
_SITE_SUFFIX = re.compile(r"\s+[-–—|]\s+(?P<suffix>[^-–—|]+)$")
_MAX_SUFFIX_WORDS = 4


def normalize_words(text: str) -> list[str]:
    """Lower-cased words without punctuation or accents-as-combining-marks: the compared form."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = _APOSTROPHES.sub("", text)
    return _NON_WORD.sub(" ", text).split()


def title_words(title: str) -> tuple[str, ...]:
    """The title's words, with a trailing " - Site Name" removed."""
    match = _SITE_SUFFIX.search(title.strip())
    if match and len(match.group("suffix").split()) <= _MAX_SUFFIX_WORDS:
        head = title.strip()[: match.start()]
        if len(normalize_words(head)) >= MIN_TITLE_KEY_WORDS:
            title = head
    return tuple(normalize_words(title))


def shingles(words: list[str], size: int = SHINGLE_WORDS) -> set[str]:
    """Overlapping word n-grams; a text shorter than `size` is one shingle of all its words."""
    if not words:
        return set()
    if len(words) < size:
        return {" ".join(words)}
    return {" ".join(words[i : i + size]) for i in range(len(words) - size + 1)}


@lru_cache(maxsize=1)
def _permutations() -> np.ndarray:
    # Generated once from datasketch's fixed seed: every sketch shares them, so stored
    # sketches stay comparable across processes (SKETCH_VERSION changes if this does).
    return MinHash(num_perm=NUM_PERM, seed=1).permutations


@dataclass(frozen=True)
class StorySketch:
    """What clustering compares of one story."""

    title: tuple[str, ...]
    # MinHash of the opening's shingles (uint32 per permutation); empty text -> None.
    minhash: np.ndarray | None
    shingle_count: int
    # True when the opening comes from the article text, False when from the feed.
    has_body: bool

    def to_bytes(self) -> bytes:
        """The stored form (`Story.sketch`); the title is not stored (it is on the row)."""
        flags = _FLAG_BODY if self.has_body else 0
        header = _HEADER.pack(SKETCH_VERSION, flags, min(self.shingle_count, 0xFFFF))
        if self.minhash is None:
            return header
        return header + self.minhash.astype("<u4").tobytes()

    @classmethod
    def from_bytes(cls, data: bytes | None, title: str) -> StorySketch | None:
        """Read a stored sketch back; None if missing or of another version."""
        if not data or len(data) < _HEADER.size:
            return None
        version, flags, count = _HEADER.unpack_from(data)
        if version != SKETCH_VERSION:
            return None
        values = data[_HEADER.size :]
        minhash = np.frombuffer(values, dtype="<u4") if values else None
        if minhash is not None and minhash.size != NUM_PERM:
            return None
        return cls(title_words(title), minhash, count, bool(flags & _FLAG_BODY))

    def band_keys(self) -> list[str]:
        """LSH band keys of the opening (empty when there is no opening)."""
        if self.minhash is None:
            return []
        rows = self.minhash.astype("<u4").reshape(BANDS, BAND_ROWS)
        return [f"b{i:02x}{_digest(row.tobytes())}" for i, row in enumerate(rows)]

    def title_key(self) -> str | None:
        """A lookup key for an exactly equal (normalized) title of some length."""
        if len(self.title) < MIN_TITLE_KEY_WORDS:
            return None
        return "t" + _digest(" ".join(self.title).encode())


def sketch_story(title: str, text: str, feed_summary: str) -> StorySketch:
    """The sketch of a story from its title, extracted text and feed description."""
    body = normalize_words(text)
    has_body = len(body) >= MIN_BODY_WORDS
    opening = body if has_body else normalize_words(feed_summary)
    opening = opening[:OPENING_WORDS]
    grams = shingles(opening)
    minhash = None
    if grams:
        sketch = MinHash(num_perm=NUM_PERM, permutations=_permutations(), scheme="affine32")
        sketch.update_batch([gram.encode() for gram in grams])
        minhash = sketch.hashvalues.astype(np.uint32)
    return StorySketch(title_words(title), minhash, len(grams), has_body)


def url_key(url: str) -> str | None:
    """A lookup key equal for URLs that differ only in scheme, `www.`, case of host or a
    trailing slash (the canonical-URL guard)."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").removeprefix("www.")
    if not host:
        return None
    path = parts.path.rstrip("/")
    query = f"?{parts.query}" if parts.query else ""
    return "u" + _digest(f"{host}{path}{query}".encode())


def _digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=8).hexdigest()


def estimated_jaccard(a: StorySketch, b: StorySketch) -> float:
    """Estimated Jaccard similarity of two openings' shingle sets."""
    if a.minhash is None or b.minhash is None:
        return 0.0
    return float(np.count_nonzero(a.minhash == b.minhash)) / NUM_PERM


def estimated_containment(a: StorySketch, b: StorySketch) -> float:
    """Estimated share of the smaller opening's shingles found in the other one.

    From Jaccard J and the set sizes: |A∩B| = J(|A|+|B|)/(1+J). Containment rather than
    Jaccard, so a copy with a trimmed ending or a feed description that is the article's
    first paragraph still counts as the same text.
    """
    smaller = min(a.shingle_count, b.shingle_count)
    if smaller == 0:
        return 0.0
    jaccard = estimated_jaccard(a, b)
    overlap = jaccard * (a.shingle_count + b.shingle_count) / (1 + jaccard)
    return min(1.0, overlap / smaller)


def title_similarity(a: tuple[str, ...], b: tuple[str, ...]) -> float:
    """Jaccard similarity of two titles' word sets (exact: titles are short)."""
    set_a, set_b = set(a), set(b)
    if not set_a or not set_b:
        return 0.0
    return len(set_a & set_b) / len(set_a | set_b)
