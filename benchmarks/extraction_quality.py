"""Extraction quality on the local corpus: token F1 of plain newspaper4k, plain trafilatura
and newsdigest's `extract_article` against hand-marked article bodies.

    .venv/bin/python benchmarks/extraction_quality.py [-v]

Token F1 is computed over bags of word tokens (each CJK character one token), page by
page, then averaged. Pages: tests/extract/corpus.py (the seed page and pages in en, uk, ru,
de, fr, es, ja, zh, ko with comments, teasers, cookie banners, captions, pagination…).
"""

from __future__ import annotations

import argparse
import re
import sys
import time
import warnings
from collections import Counter
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.extract.corpus import Page, all_pages

_TOKEN = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]|[^\W_]+")


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.lower()) if text else []


def token_f1(predicted: str, truth: str) -> tuple[float, float, float]:
    """(F1, precision, recall) of predicted vs true text, over bags of tokens."""
    got, want = Counter(tokens(predicted)), Counter(tokens(truth))
    common = sum((got & want).values())
    if not common:
        return 0.0, 0.0, 0.0
    precision, recall = common / sum(got.values()), common / sum(want.values())
    return 2 * precision * recall / (precision + recall), precision, recall


def plain_newspaper(page: Page) -> str:
    from newspaper import Article
    from newspaper.configuration import Configuration

    config = Configuration()
    config.fetch_images = False
    article = Article(page.url, config=config)
    try:
        article.download(input_html=page.html)
        article.parse()
    except Exception:
        return ""
    return article.text


def plain_trafilatura(page: Page) -> str:
    import trafilatura

    return trafilatura.extract(page.html, url=page.url) or ""


def newsdigest(page: Page) -> str:
    from digests.extract.extractor import extract_article

    return extract_article(page.html, page.url).text


EXTRACTORS: dict[str, Callable[[Page], str]] = {
    "newspaper4k": plain_newspaper,
    "trafilatura": plain_trafilatura,
    "newsdigest": newsdigest,
}


def evaluate(verbose: bool = False) -> dict[str, float]:
    """Mean token F1 per extractor over the corpus (printed as a table)."""
    warnings.simplefilter("ignore")
    pages = all_pages()
    for extract in EXTRACTORS.values():  # warm up imports and caches
        extract(pages[0])
    scores: dict[str, list[float]] = {name: [] for name in EXTRACTORS}
    seconds: dict[str, float] = dict.fromkeys(EXTRACTORS, 0.0)
    print(f"{'page':28s} " + " ".join(f"{name:>12s}" for name in EXTRACTORS))
    for page in pages:
        row = []
        for name, extract in EXTRACTORS.items():
            started = time.perf_counter()
            text = extract(page)
            seconds[name] += time.perf_counter() - started
            f1, precision, recall = token_f1(text, page.body)
            scores[name].append(f1)
            row.append(f"{f1:12.3f}")
            if verbose and f1 < 0.97:
                print(f"  {name}: P={precision:.2f} R={recall:.2f}")
        print(f"{page.name:28s} " + " ".join(row))
    means = {name: sum(values) / len(values) for name, values in scores.items()}
    print(f"{'mean F1':28s} " + " ".join(f"{means[name]:12.3f}" for name in EXTRACTORS))
    print(f"{'min F1':28s} " + " ".join(f"{min(scores[name]):12.3f}" for name in EXTRACTORS))
    print(
        f"{'ms/page':28s} "
        + " ".join(f"{seconds[name] * 1000 / len(pages):12.1f}" for name in EXTRACTORS)
    )
    return means


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-v", "--verbose", action="store_true")
    evaluate(parser.parse_args().verbose)
