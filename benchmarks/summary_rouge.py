"""Summary ROUGE on the local corpus: newsdigest's `summarize` against lead-3 and against
newspaper4k's own `nlp.summarize` scoring (with our splitter standing in for NLTK punkt,
which is not installed and would need a download), versus hand-written reference
summaries (tests/summarize/data/references.json).

    .venv/bin/python benchmarks/summary_rouge.py

ROUGE-1 and ROUGE-2 F1 over lower-cased word tokens, averaged over the articles.
"""

from __future__ import annotations

import json
import re
import sys
import warnings
from collections import Counter
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from digests.summarize import summarizer  # noqa: E402
from digests.summarize.sentences import split_sentences  # noqa: E402
from tests.extract.corpus import Page, all_pages  # noqa: E402

REFERENCES = ROOT / "tests" / "summarize" / "data" / "references.json"
_WORD = re.compile(r"[^\W_]+")


def rouge_n(n: int, candidate: str, reference: str) -> float:
    """ROUGE-N F1 of `candidate` against `reference`."""

    def grams(text: str) -> Counter:
        words = _WORD.findall(text.lower())
        return Counter(zip(*(words[i:] for i in range(n)), strict=False))

    got, want = grams(candidate), grams(reference)
    overlap = sum((got & want).values())
    if not overlap:
        return 0.0
    precision, recall = overlap / sum(got.values()), overlap / sum(want.values())
    return 2 * precision * recall / (precision + recall)


def lead3(page: Page) -> list[str]:
    return split_sentences(page.body)[:3]


def newspaper_scoring(page: Page) -> list[str]:
    from newspaper import nlp

    original = nlp.split_sentences
    nlp.split_sentences = lambda text: [s for s in split_sentences(text) if len(s) > 10]
    try:
        stopwords = summarizer.stopwords_for(page.language)
        return nlp.summarize(page.title, page.body, stopwords, 3)
    finally:
        nlp.split_sentences = original


def newsdigest(page: Page) -> list[str]:
    return summarizer.summarize(page.body, title=page.title, language=page.language)


SYSTEMS: dict[str, Callable[[Page], list[str]]] = {
    "lead-3": lead3,
    "newspaper4k scoring": newspaper_scoring,
    "newsdigest summarize": newsdigest,
}


def main() -> None:
    warnings.simplefilter("ignore")
    pages = {page.name: page for page in all_pages()}
    references = json.loads(REFERENCES.read_text(encoding="utf-8"))
    print(f"{len(references)} articles (en, uk, ru, de, fr, es)")
    for name, system in SYSTEMS.items():
        r1 = r2 = 0.0
        for item in references:
            candidate = " ".join(system(pages[item["page"]]))
            r1 += rouge_n(1, candidate, item["reference"])
            r2 += rouge_n(2, candidate, item["reference"])
        print(f"{name:24s} ROUGE-1 {r1 / len(references):.3f}  ROUGE-2 {r2 / len(references):.3f}")


if __name__ == "__main__":
    main()
