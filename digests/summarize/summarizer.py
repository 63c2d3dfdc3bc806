"""Extractive summaries: the few sentences that best carry an article, in article order.

The scoring is newspaper4k's own (`newspaper.nlp`): overlap with the title's words,
frequency of the article's keywords (its stop-word lists per language), sentence length
and position. What differs: sentences come from `split_sentences` (no NLTK punkt, so
nothing is ever downloaded), a title is optional, the lead sentence gets a small extra
weight (news puts the gist first), and the result fits a character budget.
"""

from __future__ import annotations

import re
import warnings
from functools import lru_cache
from typing import Any

from digests.summarize.sentences import split_sentences

# Extra weight for the lead sentence, on top of newspaper4k's position score.
LEAD_BONUS = 0.15
ELLIPSIS = "…"
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")


class _PlainStopWords:
    """newspaper4k's StopWords shape for languages whose tokenizer needs a missing
    package (Chinese: jieba, Korean: NLTK): words, or CJK character pairs."""

    def __init__(self, words: set[str]) -> None:
        self.stop_words = words
        self.find_stopwords = None

    @staticmethod
    def tokenizer(text: str) -> list[str]:
        from newspaper.text import default_tokenizer

        tokens: list[str] = []
        for token in default_tokenizer(text):
            if _CJK.search(token) and len(token) > 2:
                tokens.extend(token[i : i + 2] for i in range(len(token) - 1))
            else:
                tokens.append(token)
        return tokens


@lru_cache(maxsize=32)
def stopwords_for(language: str) -> Any:
    """newspaper4k's stop words and tokenizer for `language` (English when unknown)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "nltk is not installed": we do not use it
        from newspaper import settings
        from newspaper.text import StopWords

    language = (language or "en").lower()[:2]
    try:
        stopwords = StopWords(language)
        stopwords.tokenizer("probe")  # Korean's tokenizer imports NLTK only when called
        return stopwords
    except FileNotFoundError:
        return StopWords("en")
    except (ImportError, LookupError):
        path = f"{settings.STOPWORDS_DIR}/stopwords-{language}.txt"
        with open(path, encoding="utf-8") as handle:
            return _PlainStopWords(set(handle.read().splitlines()))


def cut_at_word(text: str, max_chars: int) -> str:
    """`text` shortened to at most `max_chars` at a word boundary, ending in "…"."""
    if len(text) <= max_chars:
        return text
    room = max(1, max_chars - len(ELLIPSIS))
    head = text[:room]
    if " " in head and not _CJK.search(head[-1:]):
        space = head.rfind(" ")
        if space > room // 2:
            head = head[:space]
    return head.rstrip(" ,;:-–—") + ELLIPSIS


def _ranked(sentences: list[str], title: str, text: str, language: str) -> list[int]:
    """Sentence indexes, best first, by newspaper4k's scoring plus the lead bonus."""
    stopwords = stopwords_for(language)  # imports newspaper4k quietly first
    from newspaper import nlp
    from newspaper import settings as np_settings

    keys = nlp.keywords(text, stopwords, np_settings.SUMMARIZE_KEYWORD_COUNT)
    title_words = list(stopwords.tokenizer(title)) if title else []
    ranks = nlp.scored_sentences(sentences, title_words, keys, stopwords)
    scores = {index: score for index, _sentence, score in ranks}
    if scores:
        scores[0] += LEAD_BONUS
    return sorted(scores, key=lambda i: (-scores[i], i))


def summarize(
    text: str,
    *,
    title: str = "",
    sentences: int = 3,
    max_chars: int = 600,
    language: str = "",
) -> list[str]:
    """Up to `sentences` whole sentences of `text`, in article order, at most `max_chars`
    characters together. Never empty when `text` has any words: a lone sentence over
    the budget is cut at a word boundary with "…"."""
    if sentences <= 0 or not text or not text.strip():
        return []
    candidates = split_sentences(text, language)
    # Like newspaper4k, skip fragments ("Photo.", "Updated 5 min") when there is more.
    substantial = [i for i, s in enumerate(candidates) if len(s) > 10]
    pool = substantial or list(range(len(candidates)))
    if not pool:
        return []
    chosen_sentences = [candidates[i] for i in pool]
    order = _ranked(chosen_sentences, title, text, language)
    picked: list[int] = []
    seen: set[str] = set()
    used = 0
    for rank in order:
        sentence = chosen_sentences[rank]
        # A sentence a page repeats (a pull quote, a caption twice) is said once.
        folded = " ".join(sentence.casefold().split())
        if folded in seen:
            continue
        seen.add(folded)
        extra = len(sentence) + (1 if picked else 0)
        if used + extra <= max_chars:
            picked.append(rank)
            used += extra
            if len(picked) == sentences:
                break
    if not picked:
        return [cut_at_word(chosen_sentences[order[0]], max_chars)]
    return [chosen_sentences[i] for i in sorted(picked)]
