"""/topic, /topics, /untopic and the remove buttons under the topic list."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace

from sqlalchemy.orm import Session
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot.handlers.base import (
    NO_PREVIEW,
    argument_text,
    find_subscriber,
    in_session,
    now_of,
    reply,
    settings_of,
    subscriber_for,
)
from bot.render import escape
from digests.compose.digest import recent_matches
from digests.storage.models import Subscriber, Topic
from digests.topics import QueryError, check_new_topic, parse_query

log = logging.getLogger(__name__)

REMOVE_PREFIX = "untopic:"
BUTTON_CHARS = 40
TOPIC_EXAMPLE = "/topic ukraine"


@dataclass(frozen=True)
class TopicList:
    """A chat's topics as (id, query) pairs, in the order they were added."""

    topics: tuple[tuple[int, str], ...]
    active: bool


def _topic_list(subscriber: Subscriber | None) -> TopicList:
    if subscriber is None:
        return TopicList(topics=(), active=False)
    return TopicList(
        topics=tuple((topic.id, topic.query) for topic in subscriber.topics),
        active=subscriber.active,
    )


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def render_topic_list(listing: TopicList) -> tuple[str, InlineKeyboardMarkup | None]:
    """The topic list message and its keyboard: one remove button per topic."""
    if not listing.topics:
        return (
            "You follow no topics yet. To follow one, type it after /topic, "
            f"for example: {TOPIC_EXAMPLE}",
            None,
        )
    lines = ["Your topics (tap a button to remove one):"]
    buttons = []
    for number, (topic_id, query) in enumerate(listing.topics, start=1):
        lines.append(f"{number}. <b>{escape(query)}</b>")
        buttons.append(
            [
                InlineKeyboardButton(
                    f"✕ {number}. {_short(query, BUTTON_CHARS)}",
                    callback_data=f"{REMOVE_PREFIX}{topic_id}",
                )
            ]
        )
    lines.append(f"\nAdd another: {TOPIC_EXAMPLE} · remove by number: /untopic 1")
    if not listing.active:
        lines.append("Your digests are stopped; /start turns them back on.")
    return "\n".join(lines), InlineKeyboardMarkup(buttons)


async def show_topics(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/topics (and /topic alone): the list with a remove button per topic."""
    chat = update.effective_chat
    if chat is None:
        return
    listing = await in_session(
        context, lambda session: _topic_list(find_subscriber(session, chat.id))
    )
    text, keyboard = render_topic_list(listing)
    await reply(update, text, keyboard=keyboard)


@dataclass(frozen=True)
class AddedTopic:
    query: str
    matches: int
    newest_title: str | None
    digest_time: str
    timezone: str


async def add_topic(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/topic QUERY: follow a topic and show at once how many recent stories match it."""
    chat = update.effective_chat
    if chat is None:
        return
    text = argument_text(context)
    if not text:
        await show_topics(update, context)
        return
    settings, now = settings_of(context), now_of(context)

    def follow(session: Session) -> AddedTopic:
        subscriber, _ = subscriber_for(session, chat, settings, now)
        query = check_new_topic([topic.query for topic in subscriber.topics], text)
        position = max((topic.position for topic in subscriber.topics), default=0) + 1
        subscriber.topics.append(Topic(query=query.text, position=position, created_at=now))
        subscriber.no_topics_reminded_at = None
        return AddedTopic(query.text, 0, None, subscriber.digest_time, subscriber.timezone)

    try:
        added = await in_session(context, follow)
    except QueryError as problem:
        await reply(update, f"{escape(str(problem))}\nFor example: {TOPIC_EXAMPLE}")
        return
    # Counted in a transaction of its own, after the topic is committed: inside the one
    # that added it, SQLite's write lock was held while the day's stories were matched
    # (seconds on the index's first use), and the pipeline's writes waited for it.
    count, newest = await in_session(
        context, lambda session: recent_matches(session, added.query, now=now)
    )
    added = replace(added, matches=count, newest_title=newest)
    lines = [f"Following <b>{escape(added.query)}</b>."]
    if added.matches:
        stories = "story" if added.matches == 1 else "stories"
        lines.append(
            f"{added.matches} {stories} from the last day match; the newest: "
            f"<i>{escape(added.newest_title or '')}</i>"
        )
    else:
        lines.append(
            "No story from the last day matches yet; new ones will come in your digest "
            f"at {escape(added.digest_time)} ({escape(added.timezone)})."
        )
    await reply(update, "\n".join(lines))


def _find_topic(subscriber: Subscriber, text: str) -> Topic | None:
    """The topic `text` names: its number in the list, or the query itself."""
    topics = list(subscriber.topics)
    if text.isdigit():
        number = int(text)
        return topics[number - 1] if 1 <= number <= len(topics) else None
    wanted = {text.casefold()}
    with contextlib.suppress(QueryError):
        wanted.add(parse_query(text).text.casefold())
    return next((topic for topic in topics if topic.query.casefold() in wanted), None)


async def _unfollow(
    context: ContextTypes.DEFAULT_TYPE,
    chat_id: int,
    pick: Callable[[Subscriber], Topic | None],
) -> tuple[str | None, TopicList]:
    """Remove the topic `pick` chooses from the chat's topics; (its query or None, the
    topics left)."""

    def unfollow(session: Session) -> tuple[str | None, TopicList]:
        subscriber = find_subscriber(session, chat_id)
        if subscriber is None:
            return None, _topic_list(None)
        topic = pick(subscriber)
        removed = None
        if topic is not None:
            removed = topic.query
            subscriber.topics.remove(topic)
            session.flush()
        return removed, _topic_list(subscriber)

    return await in_session(context, unfollow)


async def remove_topic(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/untopic QUERY|N: stop following one topic."""
    chat = update.effective_chat
    if chat is None:
        return
    text = argument_text(context)
    if not text:
        await reply(
            update,
            "Which topic? Give its number from /topics or the topic itself, "
            "for example: /untopic 1 or /untopic ukraine",
        )
        return

    removed, listing = await _unfollow(
        context, chat.id, lambda subscriber: _find_topic(subscriber, text)
    )
    if removed is None:
        shown = text if len(text) <= 60 else text[:60] + "…"
        known = (
            "Your topics: "
            + ", ".join(
                f"{number}. {escape(query)}"
                for number, (_, query) in enumerate(listing.topics, start=1)
            )
            if listing.topics
            else "You follow no topics."
        )
        await reply(
            update,
            f"You don't follow “{escape(shown)}”. {known}\nFor example: /untopic 1",
        )
        return
    remaining = len(listing.topics)
    tail = (
        f" You follow {remaining} more; /topics lists them."
        if remaining
        else f" You follow no topics now; add one with {TOPIC_EXAMPLE}"
    )
    await reply(update, f"Stopped following <b>{escape(removed)}</b>.{tail}")


async def remove_topic_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A remove button under the topic list: drop that topic and redraw the list."""
    query = update.callback_query
    chat = update.effective_chat
    if query is None or chat is None or not query.data:
        return
    topic_id_text = query.data.removeprefix(REMOVE_PREFIX)
    topic_id = int(topic_id_text) if topic_id_text.isdigit() else -1

    removed, listing = await _unfollow(
        context,
        chat.id,
        lambda subscriber: next((t for t in subscriber.topics if t.id == topic_id), None),
    )
    notice = f"Removed “{_short(removed, 150)}”" if removed else "That topic was already removed"
    await query.answer(notice)
    text, keyboard = render_topic_list(listing)
    try:
        await query.edit_message_text(
            text, parse_mode="HTML", reply_markup=keyboard, link_preview_options=NO_PREVIEW
        )
    except BadRequest as problem:
        # Pressing a button of a list that is already up to date: nothing to redraw.
        if "not modified" not in str(problem).lower():
            raise
