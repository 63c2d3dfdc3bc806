"""summarize: order, count, budget, cut sentences, never empty; and the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli import main
from digests.summarize.sentences import split_sentences
from digests.summarize.summarizer import summarize
from tests.extract.corpus import all_pages, seed_page

SEED = seed_page()


def test_sentences_are_whole_and_in_article_order() -> None:
    summary = summarize(SEED.body, title=SEED.title)
    sentences = split_sentences(SEED.body)
    assert len(summary) == 3
    positions = [sentences.index(s) for s in summary]
    assert positions == sorted(positions)


@pytest.mark.parametrize("count", [1, 2, 5])
def test_count_is_respected(count: int) -> None:
    assert len(summarize(SEED.body, title=SEED.title, sentences=count, max_chars=5000)) == count


@pytest.mark.parametrize("page", all_pages(), ids=lambda p: p.name)
def test_budget_holds_for_every_language(page) -> None:
    summary = summarize(page.body, title=page.title, language=page.language)
    assert 1 <= len(summary) <= 3
    assert sum(len(s) for s in summary) + len(summary) - 1 <= 600


def test_a_single_sentence_over_the_budget_is_cut_at_a_word() -> None:
    sentence = "The council " + "debated the long and winding budget proposal " * 20 + "today."
    [summary] = summarize(sentence, max_chars=100)
    assert summary.endswith("…") and len(summary) <= 100
    assert sentence.startswith(summary[:-1].rstrip())
    assert not summary[:-1].endswith((" ", "debat"))


def test_never_empty_when_there_is_text() -> None:
    assert summarize("Short.") == ["Short."]
    assert summarize("no punctuation at all here") == ["no punctuation at all here"]
    assert summarize("") == [] and summarize("   ") == []


def test_language_without_a_tokenizer_still_summarizes() -> None:
    korean = next(p for p in all_pages() if p.language == "ko")
    assert summarize(korean.body, title=korean.title, language="ko")


def test_cli_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text_file = tmp_path / "article.txt"
    text_file.write_text(SEED.body, encoding="utf-8")
    assert main(["summarize", "--text-file", str(text_file), "--title", SEED.title, "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert list(payload) == ["summary"] and len(payload["summary"]) == 3

    assert main(["summarize", "--text-file", str(text_file), "--sentences", "1", "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)["summary"]) == 1


def test_cli_missing_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["summarize", "--text-file", "missing.txt"]) == 1
    assert "cannot read missing.txt" in capsys.readouterr().err


def test_a_repeated_sentence_is_summarized_once() -> None:
    repeated = "Voters in Thailand said the ceremony for the prize was delayed by a week. "
    text = repeated * 6 + "Officials blamed the heat. The count resumes on Monday in Bangkok."
    summary = summarize(text, title="Thailand election results", sentences=3)
    folded = [" ".join(sentence.casefold().split()) for sentence in summary]
    assert len(folded) == len(set(folded))
    assert repeated.strip() in summary
