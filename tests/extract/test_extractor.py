"""extract_article on the local corpus: the article body only, the right language, no
page without text, nothing fetched from the network."""

from __future__ import annotations

import socket

import pytest

from benchmarks.extraction_quality import token_f1
from digests.extract.extractor import extract_article
from digests.extract.language import detect_language, page_language
from tests.extract.corpus import all_pages, seed_page

PAGES = all_pages()


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Any attempt to open a connection is recorded and refused."""
    attempts: list[object] = []

    def refuse(self: socket.socket, address: object) -> None:
        attempts.append(address)
        raise OSError("network is off in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    return attempts


def test_corpus_bodies_are_extracted_well(no_network: list[object]) -> None:
    scores = {}
    for page in PAGES:
        article = extract_article(page.html.encode("utf-8"), page.url)
        assert article.text, page.name
        scores[page.name] = token_f1(article.text, page.body)[0]
    mean = sum(scores.values()) / len(scores)
    assert mean >= 0.97, scores
    assert min(scores.values()) >= 0.9, scores
    assert no_network == []


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_each_page_keeps_its_first_and_last_paragraph_and_language(page) -> None:
    article = extract_article(page.html, page.url)
    assert page.first_paragraph in article.text
    assert page.last_paragraph in article.text
    assert article.language == page.language
    assert article.title == page.title


def test_seed_page_metadata() -> None:
    page = seed_page()
    article = extract_article(page.html, page.url)
    assert article.published is not None and article.published.year == 2026
    assert article.published.tzinfo is not None
    assert article.top_image.startswith("https://static01.nyt.com/")
    assert "The post" not in article.text and "Read more" not in article.text


def test_declared_encoding_is_honoured() -> None:
    html = (
        '<html><head><meta charset="windows-1251"><title>Новини</title></head><body><article>'
        + "".join(
            f"<p>Президент України Володимир Зеленський провів зустріч номер {i} з "
            "європейськими лідерами, де обговорили гарантії безпеки для країни.</p>"
            for i in range(6)
        )
        + "</article></body></html>"
    ).encode("windows-1251")
    article = extract_article(html, "https://example.ua/a")
    assert "Зеленський" in article.text
    assert article.language == "uk"


@pytest.mark.parametrize(
    "html",
    [b"", b"\x00\x01\x02garbage", "<html><body></body></html>", "<p>unclosed <div><span>"],
)
def test_bad_html_gives_an_empty_article_not_an_exception(html: str | bytes) -> None:
    article = extract_article(html, "https://example.com/x")
    assert article.text == "" or len(article.text) < 50


def test_language_from_letters_when_the_page_declares_none() -> None:
    assert detect_language("Україна отримала нові гарантії безпеки від європейських країн.") == "uk"
    assert detect_language("Россия заявила, что не будет участвовать в этих переговорах.") == "ru"
    assert (
        detect_language("Die Bundesregierung hat am Montag einen neuen Plan vorgestellt.") == "de"
    )
    assert (
        detect_language("Le gouvernement a présenté lundi un nouveau plan pour les écoles.") == "fr"
    )
    assert detect_language("El Gobierno presentó el lunes un nuevo plan para las escuelas.") == "es"
    assert detect_language("The government presented a new plan for the schools on Monday.") == "en"


def test_declared_language_wins_unless_the_letters_disagree() -> None:
    ukrainian = "<p>Україна отримала нові гарантії безпеки від європейських країн.</p>"
    assert page_language('<html lang="de"><body><p>Die Regierung hat es gesagt.</p>') == "de"
    assert page_language(f'<html lang="en-US"><body>{ukrainian}') == "uk"
    assert page_language(f'<html lang="ru"><body>{ukrainian}') == "uk"
