"""split_sentences: abbreviations, initials, quotes, paragraphs, Ukrainian and Russian."""

from __future__ import annotations

import pytest

from digests.summarize.sentences import split_sentences


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Mr. Zelensky met Dr. J. Smith in the U.S. on Jan. 7. They talked.",
            ["Mr. Zelensky met Dr. J. Smith in the U.S. on Jan. 7.", "They talked."],
        ),
        (
            "Mrs. Ortiz of St. Louis left at 10 a.m. The vote was 3.5 to 1.",
            ["Mrs. Ortiz of St. Louis left at 10 a.m.", "The vote was 3.5 to 1."],
        ),
        (
            "The U.K. and the E.U. agreed. Sales fell in the U.S. The end came.",
            ["The U.K. and the E.U. agreed.", "Sales fell in the U.S.", "The end came."],
        ),
        ("Room No. 5 was empty. Feb. 12 was cold.", ["Room No. 5 was empty.", "Feb. 12 was cold."]),
        ("Prices rose... Then they fell.", ["Prices rose...", "Then they fell."]),
        ("Wait … what? Yes! Really.", ["Wait … what?", "Yes!", "Really."]),
        (
            'He said, "We will win." Next sentence.',
            ['He said, "We will win."', "Next sentence."],
        ),
        (
            "“We are closer,” Mr. Zelensky said. “It exists.” He left.",
            ["“We are closer,” Mr. Zelensky said.", "“It exists.”", "He left."],
        ),
        ("“Why now?” he asked. Nobody knew.", ["“Why now?” he asked.", "Nobody knew."]),
        (
            "A heading without a stop\nThe body. More.",
            ["A heading without a stop", "The body.", "More."],
        ),
        (
            "Президент В. Зеленський прибув до м. Київ на вул. Хрещатик. Там він виступив.",
            ["Президент В. Зеленський прибув до м. Київ на вул. Хрещатик.", "Там він виступив."],
        ),
        (
            "Це сталося у 2024 р. Наступного року ст. 115 змінили.",
            ["Це сталося у 2024 р.", "Наступного року ст. 115 змінили."],
        ),
        (
            "Набиуллина, т. е. глава ЦБ, сказала: «Мы не спешим». Рубль не изменился.",
            ["Набиуллина, т. е. глава ЦБ, сказала: «Мы не спешим».", "Рубль не изменился."],
        ),
        (
            "Он живет на ул. Ленина в г. Москва. Все хорошо.",
            ["Он живет на ул. Ленина в г. Москва.", "Все хорошо."],
        ),
        (
            "Am 7. Januar kam z. B. Dr. Weber. Er blieb.",
            ["Am 7. Januar kam z. B. Dr. Weber.", "Er blieb."],
        ),
        (
            "地震がありました。津波の心配はありません。",
            ["地震がありました。", "津波の心配はありません。"],
        ),
    ],
)
def test_split(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected


def test_blank_text_has_no_sentences() -> None:
    assert split_sentences("") == []
    assert split_sentences(" \n\n ") == []
