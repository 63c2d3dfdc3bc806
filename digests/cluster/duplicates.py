"""Whether two sketched stories are copies of one news story.

Thresholds come from the labelled pairs in `tests/cluster/corpus.py` (the seed's NYT text,
its DNYUZ copy with site chrome, a trimmed aggregator copy, a copy that lost its lede, a
re-titled wire copy, a feed-only copy; six different same-day Ukraine reports). Measured
there: copies of the seed have opening containment 0.40–1.00, different stories at most
0.14 (a report of the same summit quoting the same people); titles of different stories
share at most 0.20 of their words, except recurring titles ("Ukraine war: what we know on
day 1,414" / "…1,415": 0.80) whose descriptions share nothing.
"""

from __future__ import annotations

from digests.cluster.sketch import (
    StorySketch,
    estimated_containment,
    title_similarity,
)

# Both stories have article text: the openings must overlap and the titles agree…
SYNDICATED_CONTAINMENT = 0.3
SYNDICATED_TITLE = 0.5
# …or the openings must be nearly the same text (a wire copy under another headline). Only
# across feeds: one outlet's pages share boilerplate (paywall, cookie notices) that can look
# like "the same text", and an outlet does not carry one wire story under two headlines.
WIRE_CONTAINMENT = 0.7
WIRE_MIN_SHINGLES = 30
# A feed-only story (no readable page): near-identical title and description.
FEED_TITLE = 0.8
FEED_CONTAINMENT = 0.5
FEED_MIN_SHINGLES = 5
# …or, from another feed, the very same title of some length (a description that is a
# standfirst rather than the lede shares no text with the article).
SAME_TITLE_MIN_WORDS = 6


def same_story_strength(a: StorySketch, b: StorySketch, *, same_feed: bool) -> float | None:
    """How strongly `a` and `b` look like copies of one story (higher is surer), or None
    when they are different stories."""
    titles = title_similarity(a.title, b.title)
    text = estimated_containment(a, b)
    strength = titles + text
    if a.has_body and b.has_body:
        if text >= SYNDICATED_CONTAINMENT and titles >= SYNDICATED_TITLE:
            return strength
        if (
            not same_feed
            and text >= WIRE_CONTAINMENT
            and min(a.shingle_count, b.shingle_count) >= WIRE_MIN_SHINGLES
        ):
            return strength
        return None
    smaller = min(a.shingle_count, b.shingle_count)
    if titles >= FEED_TITLE and smaller >= FEED_MIN_SHINGLES and text >= FEED_CONTAINMENT:
        return strength
    if not same_feed and len(a.title) >= SAME_TITLE_MIN_WORDS and a.title == b.title:
        return strength
    return None
