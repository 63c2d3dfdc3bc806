"""Rendering a digest into Telegram HTML: what a subscriber reads, and every message one
Telegram accepts, whatever the feeds put in titles and summaries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from telegram import LinkPreviewOptions

from bot.render import escape, render_digest, telegram_text_length
from digests.compose.model import DigestItem, DigestPlan, TopicSection
from tests.support.fake_telegram import FakeTelegram
from tests.support.telegram_html import check_message_text, parse_telegram_html, utf16_length

NOW = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
KYIV = ZoneInfo("Europe/Kyiv")


def make_item(
    n: int,
    *,
    title: str | None = None,
    url: str | None = None,
    summary: tuple[str, ...] = ("Something happened. Then more happened.",),
    sources: tuple[str, ...] = ("BBC News",),
    published: datetime | None = NOW - timedelta(minutes=20),
    topic: str = "ukraine",
    matched: tuple[str, ...] = ("Ukraine",),
) -> DigestItem:
    return DigestItem(
        cluster_id=n,
        story_id=n,
        title=f"Story {n}" if title is None else title,
        url=f"https://news.example/{n}" if url is None else url,
        sources=sources,
        published=published,
        summary=summary,
        topic=topic,
        matched=matched,
        score=1.0,
    )


def make_plan(*sections: tuple[str, list[DigestItem]]) -> DigestPlan:
    return DigestPlan(
        since=NOW - timedelta(days=1),
        until=NOW,
        sections=tuple(TopicSection(topic, tuple(items)) for topic, items in sections),
    )


def test_a_digest_reads_well_in_the_subscribers_zone() -> None:
    item = make_item(
        1,
        title="Kyiv <under> attack & more",
        url='https://e.com/a?x=1&y="2"',
        sources=("BBC News", "Reuters", "AP", "AFP"),
        published=datetime(2026, 11, 28, 7, 40, tzinfo=UTC),
        summary=("First <b>sentence</b>.", "Second one."),
        matched=("Ukraine", "Kyiv"),
    )
    older = make_item(2, published=datetime(2026, 11, 20, 7, 40, tzinfo=UTC), sources=())
    [message] = render_digest(make_plan(("ukraine & <war>", [item, older])), timezone=KYIV, now=NOW)
    parsed = check_message_text(message, "HTML")
    assert parsed.text.splitlines() == [
        "📰 Your digest — Sat 28 Nov · 2 stories",
        "",
        "🔹 ukraine & <war>",
        "",
        "Kyiv <under> attack & more",
        "BBC News, Reuters +2 · 09:40",
        "First <b>sentence</b>. Second one.",
        "matched: Ukraine, Kyiv",
        "",
        "Story 2",
        "20 Nov",
        "Something happened. Then more happened.",
        "matched: Ukraine",
    ]
    links = [e["url"] for e in parsed.entities if e["type"] == "text_link"]
    assert links == ['https://e.com/a?x=1&y="2"', "https://news.example/2"]
    matched_at = utf16_length(parsed.text[: parsed.text.index("matched: U")])
    assert {"type": "italic", "offset": matched_at, "length": 22} in parsed.entities


def test_the_date_is_the_subscribers_own_day() -> None:
    late = datetime(2026, 11, 28, 23, 30, tzinfo=UTC)
    [message] = render_digest(
        make_plan(("x", [make_item(1, published=late)])), timezone=KYIV, now=late
    )
    assert message.startswith("📰 <b>Your digest — Sun 29 Nov · 1 story</b>")
    assert "01:30" in message


def test_only_web_links_become_links() -> None:
    items = [
        make_item(1, url="javascript:alert(1)"),
        make_item(2, url="https://exa mple.com/x"),
        make_item(3, url="ftp://example.com/x"),
        make_item(4, url=""),
    ]
    [message] = render_digest(make_plan(("t", items)), timezone=KYIV, now=NOW)
    parsed = check_message_text(message, "HTML")
    assert not [e for e in parsed.entities if e["type"] == "text_link"]
    for n in range(1, 5):
        assert f"<b>Story {n}</b>" in message


def test_an_empty_plan_renders_nothing() -> None:
    assert render_digest(make_plan(("t", [])), timezone=KYIV, now=NOW) == []


def test_a_long_digest_splits_between_items_and_repeats_the_heading() -> None:
    summary = ("A sentence of some length that fills the digest. " * 12,)
    plan = make_plan(
        ("ukraine", [make_item(n, summary=summary) for n in range(30)]),
        ("climate", [make_item(100 + n, summary=summary) for n in range(5)]),
    )
    messages = render_digest(plan, timezone=KYIV, now=NOW)
    assert len(messages) > 2
    texts = [check_message_text(m, "HTML").text for m in messages]
    assert texts[0].startswith("📰 Your digest")
    for text in texts[1:]:
        assert text.startswith("🔹 ")
    assert any(t.startswith("🔹 ukraine (cont.)") for t in texts[1:])
    # Every story once, in order; no message ends on a bare heading.
    titles = [line for t in texts for line in t.splitlines() if line.startswith("Story ")]
    assert titles == [f"Story {n}" for n in [*range(30), *range(100, 105)]]
    for text in texts:
        assert not text.splitlines()[-1].startswith("🔹")


def test_many_short_items_split_before_100_entities() -> None:
    plan = make_plan(("t", [make_item(n, summary=()) for n in range(80)]))
    messages = render_digest(plan, timezone=KYIV, now=NOW)
    assert len(messages) >= 3
    for message in messages:
        assert len(check_message_text(message, "HTML").entities) <= 100


def test_an_item_too_long_alone_is_shortened_at_a_word_boundary() -> None:
    words = " ".join(f"word{n}" for n in range(3000))
    plan = make_plan(("t", [make_item(1, title="T " * 400, summary=(words,))]))
    [message] = render_digest(plan, timezone=KYIV, now=NOW)
    text = check_message_text(message, "HTML").text
    summary_line = text.splitlines()[-2]
    assert summary_line.endswith("…")
    assert summary_line[:-1].split()[-1].startswith("word")  # a whole word before the cut
    assert words.startswith(summary_line[:-1].rstrip())
    assert telegram_text_length(message) <= 4096


def test_escape_leaves_nothing_telegram_would_read_as_markup() -> None:
    nasty = "<b>&amp; \"'</a> & <"
    assert parse_telegram_html(escape(nasty)).text == nasty


async def test_rendered_messages_are_accepted_by_the_strict_fake() -> None:
    summary = ("Émigrés & <ruble> “quotes” 😀 🇺🇦 — " * 40,)
    plan = make_plan(("Україна", [make_item(n, summary=summary) for n in range(12)]))
    messages = render_digest(plan, timezone=KYIV, now=NOW)
    # Pacing is the sender's job, tested with it; here only the content is judged.
    with FakeTelegram(private_per_second=100) as fast:
        bot = fast.bot()
        await bot.initialize()
        fast.add_chat(5)
        for message in messages:
            await bot.send_message(
                5,
                message,
                parse_mode="HTML",
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        await bot.shutdown()
        assert len(fast.sent_to(5)) == len(messages) > 1


# ---------------------------------------------------------------- property

MARK_OPEN, MARK_CLOSE = "⟦", "⟧"
_outside_text = st.text(
    alphabet=st.characters(blacklist_characters=MARK_OPEN + MARK_CLOSE, codec="utf-8"),
    max_size=60,
) | st.lists(
    st.sampled_from(
        [
            "<b>",
            "</b>",
            "&amp;",
            "&",
            "<",
            ">",
            '"',
            "<a href='x'>",
            "&#x27;",
            "😀",
            "🇺🇦",
            "\n",
            "é",
        ]
    ),
    max_size=20,
).map("".join)
_long_text = st.text(min_size=0, max_size=2500) | st.builds(
    lambda w, n: (w + " ") * n, _outside_text, st.integers(0, 200)
)
_urls = st.sampled_from(
    [
        "https://news.example/a?b=1&c=2",
        'https://e.com/"quoted"<tag>',
        "javascript:alert(1)",
        "http://xn--80ak6aa92e.com/",
        "",
        "https:// spaced",
    ]
)
_item = st.builds(
    lambda title, url, summary, sources, matched: dict(
        title=title, url=url, summary=summary, sources=sources, matched=matched
    ),
    _outside_text | _long_text,
    _urls,
    st.lists(_long_text, max_size=4).map(tuple),
    st.lists(_outside_text, max_size=5).map(tuple),
    st.lists(_outside_text, max_size=12).map(tuple),
)
_sections = st.lists(
    st.tuples(_outside_text, st.lists(_item, min_size=0, max_size=14)), min_size=1, max_size=4
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sections=_sections, zone=st.sampled_from(["UTC", "Europe/Kyiv", "Asia/Kathmandu"]))
def test_any_plan_renders_to_messages_telegram_accepts(sections, zone) -> None:
    counter = 0
    built = []
    for topic, items in sections:
        section_items = []
        for fields in items:
            fields = dict(fields)
            fields["title"] = f"{MARK_OPEN}{counter}{MARK_CLOSE} {fields['title']}"
            section_items.append(make_item(counter, topic=topic, **fields))
            counter += 1
        built.append((topic, section_items))
    plan = make_plan(*built)
    messages = render_digest(plan, timezone=ZoneInfo(zone), now=NOW)
    if plan.is_empty:
        assert messages == []
        return
    seen: list[int] = []
    for message in messages:
        parsed = check_message_text(message, "HTML")  # raises on anything Telegram refuses
        assert parse_telegram_html(message).utf16_length == telegram_text_length(message)
        assert telegram_text_length(message) <= 4096
        assert len(parsed.entities) <= 100
        text = parsed.text
        while MARK_OPEN in text:
            start = text.index(MARK_OPEN) + 1
            seen.append(int(text[start : text.index(MARK_CLOSE, start)]))
            text = text[start:]
    # Every item's title in exactly one message, in plan order.
    assert seen == list(range(counter))
