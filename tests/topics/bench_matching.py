"""Timing of topic matching (not a test): `.venv/bin/python tests/topics/bench_matching.py`.

Analyzes 200 synthetic ~870-word English stories built from the labelled set's words (and
measures with tracemalloc what each analyzed story keeps in memory) and matches 20 of them
against 10,000 subscribers' topics."""

import json
import random
import time
import tracemalloc
from pathlib import Path

from digests.topics import StoryText, analyze_story, match_story, parse_query

TOPICS = [
    "ukraine", "germany", "election", "tariff", "ai", "art", "war", "US", "NATO", "china",
    '"coalition of the willing"', "ukraine -football", "ukraine grain", "united states",
    "україна", "=ukraine", "climate change", "bitcoin OR crypto", "apple iphone", "football",
]  # fmt: skip


def main() -> None:
    data = json.loads((Path(__file__).parent / "data" / "stories.json").read_text("utf-8"))
    started = time.perf_counter()
    parse_query("ukraine")
    print(f"first place query (loads the gazetteer): {time.perf_counter() - started:.2f} s")
    words = [w for s in data["stories"] for w in f"{s['title']} {s['summary']}".split()]
    rng = random.Random(1)
    stories = [
        StoryText(
            " ".join(rng.choices(words, k=12)),
            " ".join(rng.choices(words, k=60)),
            " ".join(rng.choices(words, k=800)),
            "en",
        )
        for _ in range(200)
    ]
    started = time.perf_counter()
    analyzed = [analyze_story(story) for story in stories]
    per_story = (time.perf_counter() - started) / len(stories)
    print(f"analyze_story: {per_story * 1000:.2f} ms per story")
    tracemalloc.start()  # caches are warm: what is left is the analyses themselves
    before = tracemalloc.get_traced_memory()[0]
    kept = [analyze_story(story) for story in stories]
    size = (tracemalloc.get_traced_memory()[0] - before) / len(kept)
    tracemalloc.stop()
    print(f"analyze_story: {size / 1024:.1f} KiB kept per analyzed story")
    queries = [parse_query(rng.choice(TOPICS)) for _ in range(10_000)]
    started = time.perf_counter()
    hits = sum(1 for story in analyzed[:20] for q in queries if match_story(q, story))
    elapsed = (time.perf_counter() - started) / 20
    print(
        f"match_story: {elapsed * 1000:.0f} ms per story against 10,000 topics "
        f"({elapsed / 10_000 * 1e6:.1f} us per match; {hits} matches)"
    )


if __name__ == "__main__":
    main()
