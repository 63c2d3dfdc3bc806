"""The fake Telegram is only useful if it is as strict as Telegram: these pin its rules,
talking to it through python-telegram-bot's real HTTP stack."""

from __future__ import annotations

import asyncio
import time

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter

from tests.support.fake_telegram import FakeTelegram
from tests.support.telegram_html import TelegramHTMLError, check_message_text, parse_telegram_html


@pytest.fixture
async def bot(fake_telegram: FakeTelegram):
    async with fake_telegram.bot() as bot:
        yield bot


@pytest.mark.parametrize(
    "html",
    [
        "a <br> b",
        "a < b",
        "fish & chips",
        "&nbsp;",
        "<b>open",
        "</b>",
        "<b><i>x</b></i>",
        "<span>x</span>",
        "<div>x</div>",
        '<a href="javascript:alert(1)">x</a>',
        "<code><b>x</b></code>",
        "<a href='https://a.b'><a href='https://c.d'>x</a></a>",
    ],
)
def test_html_telegram_refuses(html: str) -> None:
    with pytest.raises(TelegramHTMLError):
        parse_telegram_html(html)


def test_html_entities_and_lengths_are_counted_like_telegram() -> None:
    parsed = parse_telegram_html(
        '<b>Kyiv &amp; <a href="https://e.com/?a=1&amp;b=2">Lviv</a></b> 😀 &lt;ok&gt; &#x27;'
    )
    assert parsed.text == "Kyiv & Lviv 😀 <ok> '"
    assert parsed.utf16_length == len(parsed.text) + 1  # the emoji takes two units
    assert parsed.entities == [
        {"type": "bold", "offset": 0, "length": 11},
        {"type": "text_link", "url": "https://e.com/?a=1&b=2", "offset": 7, "length": 4},
    ]
    accepted = [
        '<span class="tg-spoiler">s</span><tg-spoiler>t</tg-spoiler>',
        '<pre><code class="language-python">x = 1</code></pre>',
        "<blockquote expandable>q</blockquote><s>a</s><u>b</u><ins>c</ins><del>d</del>",
        '<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>',
    ]
    for html in accepted:
        parse_telegram_html(html)


def test_length_is_measured_after_parsing_in_utf16_units() -> None:
    check_message_text("<b>" + "x" * 4096 + "</b>", "HTML")
    check_message_text("&amp;" * 4096, "HTML")
    with pytest.raises(TelegramHTMLError, match="message is too long"):
        check_message_text("😀" * 2049, "HTML")
    with pytest.raises(TelegramHTMLError, match="too many"):
        check_message_text("<b>x</b> " * 101, "HTML")
    with pytest.raises(TelegramHTMLError, match="empty"):
        check_message_text("  <b> </b> ", "HTML")


async def test_send_message_is_recorded_with_entities_and_preview_options(
    fake_telegram: FakeTelegram, bot
) -> None:
    fake_telegram.add_chat(5)
    message = await bot.send_message(
        5,
        '<b><a href="https://example.com/a">Title</a></b>\n&lt;summary&gt;',
        parse_mode="HTML",
        link_preview_options=LinkPreviewOptions(is_disabled=True),
    )
    assert message.text == "Title\n<summary>"
    [sent] = fake_telegram.sent_to(5)
    assert sent.message_id == message.message_id
    assert sent.links == ["https://example.com/a"]
    assert sent.link_preview_disabled
    assert fake_telegram.texts(5) == ["Title\n<summary>"]


async def test_bad_html_and_long_text_get_telegrams_400(fake_telegram: FakeTelegram, bot) -> None:
    fake_telegram.add_chat(5)
    with pytest.raises(BadRequest, match="parse entities"):
        await bot.send_message(5, "AT&T <3", parse_mode="HTML")
    with pytest.raises(BadRequest, match="too long"):
        await bot.send_message(5, "x" * 4097)
    assert fake_telegram.sent_to(5) == []
    assert [r.status for r in fake_telegram.calls("sendMessage")] == [400, 400]


async def test_chats_unknown_blocked_and_migrated(fake_telegram: FakeTelegram, bot) -> None:
    with pytest.raises(BadRequest, match="hat not found"):
        await bot.send_message(404, "hello")
    fake_telegram.block(7)
    with pytest.raises(Forbidden, match="blocked by the user"):
        await bot.send_message(7, "hello")
    fake_telegram.migrate(-55, -10055)
    with pytest.raises(ChatMigrated) as migrated:
        await bot.send_message(-55, "hello")
    assert migrated.value.new_chat_id == -10055
    await bot.send_message(-10055, "hello")
    assert fake_telegram.texts(-10055) == ["hello"]


async def test_flood_limits_answer_429_with_retry_after() -> None:
    with FakeTelegram(global_per_second=3, group_per_minute=2) as fake:
        async with fake.bot() as fast_bot:
            for chat in (1, 2, 3, 4, -9):
                fake.add_chat(chat)
            await fast_bot.send_message(1, "one")
            with pytest.raises(RetryAfter) as private:
                await fast_bot.send_message(1, "two")  # 1 per second per private chat
            assert private.value.retry_after == 1
            await fast_bot.send_message(2, "x")
            await fast_bot.send_message(3, "x")
            with pytest.raises(RetryAfter):
                await fast_bot.send_message(4, "x")  # 3 per second overall
            await asyncio.sleep(1.05)
            await fast_bot.send_message(-9, "a")
            await fast_bot.send_message(-9, "b")
            with pytest.raises(RetryAfter) as group:
                await fast_bot.send_message(-9, "c")  # per group per minute
            assert 50 <= group.value.retry_after <= 60
        assert [m.plain for m in fake.sent_to(1)] == ["one"]
        assert len(fake.errors(429)) == 3


async def test_faults_storms_and_hangs(fake_telegram: FakeTelegram, bot) -> None:
    fake_telegram.add_chat(5)
    fake_telegram.fail_next(2, 502)
    for _ in range(2):
        with pytest.raises(NetworkError):
            await bot.get_me()
    await bot.get_me()
    fake_telegram.storm_429(seconds=0.3, retry_after=1)
    with pytest.raises(RetryAfter):
        await bot.send_message(5, "x")
    await asyncio.sleep(0.35)
    await bot.send_message(5, "x")
    fake_telegram.hang_next(1, seconds=0.2)
    with pytest.raises(NetworkError):
        await bot.send_message(5, "y")
    assert fake_telegram.texts(5) == ["x"]


async def test_get_updates_long_polls_and_confirms_with_offset(
    fake_telegram: FakeTelegram, bot
) -> None:
    started = time.monotonic()
    assert await bot.get_updates(timeout=0.3) == ()
    assert time.monotonic() - started >= 0.3
    fake_telegram.push_command(5, "start")
    fake_telegram.push_command(-100200, "topic", "ukraine", chat_type="supergroup")
    fake_telegram.push_message(5, "hello there")
    updates = await bot.get_updates(timeout=1)
    assert [u.effective_message.text for u in updates] == [
        "/start",
        "/topic@newsdigest_test_bot ukraine",
        "hello there",
    ]
    assert updates[1].effective_chat.type == "supergroup"
    assert updates[0].effective_message.entities[0].type == "bot_command"
    assert updates[2].effective_message.entities == ()
    # Not confirmed yet: the same updates again; confirmed: gone.
    assert len(await bot.get_updates(timeout=0)) == 3
    assert await bot.get_updates(offset=updates[-1].update_id + 1, timeout=0) == ()
    assert fake_telegram.pending_updates() == []


async def test_buttons_callbacks_edits_and_commands(fake_telegram: FakeTelegram, bot) -> None:
    fake_telegram.add_chat(5)
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Remove", callback_data="rm:1")]])
    message = await bot.send_message(5, "Topics", reply_markup=keyboard)
    query_id = fake_telegram.push_callback(5, "rm:1")
    [update] = await bot.get_updates(timeout=1)
    assert update.callback_query.data == "rm:1"
    assert update.callback_query.message.message_id == message.message_id
    assert await update.callback_query.answer("Removed")
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_callback_query(query_id)
    await bot.edit_message_text("No topics", chat_id=5, message_id=message.message_id)
    with pytest.raises(BadRequest, match=r"(?i)not modified"):
        await bot.edit_message_text("No topics", chat_id=5, message_id=message.message_id)
    with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
        await bot.send_message(
            5,
            "x",
            reply_markup=InlineKeyboardMarkup(
                [[InlineKeyboardButton("a", callback_data="d" * 65)]]
            ),
        )
    await bot.set_my_commands([("start", "Subscribe"), ("topic", "Follow a topic")])
    assert [c.command for c in await bot.get_my_commands()] == ["start", "topic"]
    with pytest.raises(BadRequest):
        await bot.set_my_commands([("Bad-Name", "x")])
    assert await bot.delete_webhook()
