"""/time, /timezone and /settings: when the digest arrives and what it holds."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session
from telegram import Update
from telegram.ext import ContextTypes

from bot.handlers.base import (
    argument_text,
    in_session,
    local_time,
    now_of,
    reply,
    schedule_line,
    settings_of,
    subscriber_for,
)
from bot.render import escape
from bot.scheduling import next_digest_time
from bot.zones import (
    TIME_EXAMPLE,
    ZONE_EXAMPLE,
    TimeOfDayError,
    ZoneError,
    parse_time_of_day,
    parse_timezone,
    zone_for,
)
from digests.storage.models import Subscriber

MIN_ITEMS, MAX_ITEMS = 1, 30
SETTINGS_EXAMPLES = "/settings items 5 · /settings empty on · /time 08:30 · /timezone Europe/Kyiv"


@dataclass(frozen=True)
class SettingsView:
    """A subscriber's settings, for the /settings reply."""

    schedule: str
    timezone: str
    local_now: str
    topics: tuple[str, ...]
    items: int
    notify_empty: bool
    active: bool


async def _update_subscriber(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    change: Callable[[Subscriber], None],
) -> SettingsView:
    """Apply `change` to the chat's subscriber (created if new), reschedule, and return
    the settings afterwards."""
    chat = update.effective_chat
    assert chat is not None
    settings, now = settings_of(context), now_of(context)

    def apply(session: Session) -> SettingsView:
        subscriber, _ = subscriber_for(session, chat, settings, now)
        before = (subscriber.digest_time, subscriber.timezone)
        change(subscriber)
        if (subscriber.digest_time, subscriber.timezone) != before:
            subscriber.next_digest_at = next_digest_time(
                subscriber.digest_time, subscriber.timezone, now
            )
        zone = zone_for(subscriber.timezone)
        return SettingsView(
            schedule=schedule_line(subscriber),
            timezone=subscriber.timezone,
            local_now=local_time(now, zone),
            topics=tuple(topic.query for topic in subscriber.topics),
            items=subscriber.max_items or settings.max_items_per_digest,
            notify_empty=subscriber.notify_empty,
            active=subscriber.active,
        )

    return await in_session(context, apply)


async def _store_argument(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    parse: Callable[[str], str],
    field: str,
) -> SettingsView | None:
    """Parse the command's argument with `parse` and store it in the subscriber's `field`;
    a bad value gets its problem (and an example) as the reply, and None."""
    try:
        value = parse(argument_text(context))
    except (TimeOfDayError, ZoneError) as problem:
        await reply(update, escape(str(problem)))
        return None
    return await _update_subscriber(
        update, context, lambda subscriber: setattr(subscriber, field, value)
    )


async def set_time(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/time HH:MM: the daily hour of the digest, in the chat's time zone."""
    if not argument_text(context):
        view = await _update_subscriber(update, context, lambda subscriber: None)
        await reply(
            update,
            f"Your digest arrives {escape(view.schedule)}.\n"
            f"To change it, give the time, for example: {TIME_EXAMPLE}",
        )
        return
    view = await _store_argument(update, context, parse_time_of_day, "digest_time")
    if view is not None:
        await reply(update, f"Done: your digest arrives {escape(view.schedule)}.")


async def set_timezone(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/timezone NAME: the chat's time zone (IANA name or UTC offset)."""
    if not argument_text(context):
        view = await _update_subscriber(update, context, lambda subscriber: None)
        await reply(
            update,
            f"Your time zone is {escape(view.timezone)} (it is {escape(view.local_now)} "
            f"there now).\nTo change it: {ZONE_EXAMPLE}",
        )
        return
    view = await _store_argument(update, context, parse_timezone, "timezone")
    if view is not None:
        await reply(
            update,
            f"Time zone set to {escape(view.timezone)} (it is {escape(view.local_now)} "
            f"there now).\nYour digest arrives {escape(view.schedule)}.",
        )


def _settings_text(view: SettingsView) -> str:
    topics = ", ".join(f"<b>{escape(topic)}</b>" for topic in view.topics) or "none yet"
    status = "on" if view.active else "stopped (/start turns them on)"
    return "\n".join(
        [
            "Your settings:",
            f"• Digests: {status}",
            f"• Time: {escape(view.schedule)}",
            f"• Topics: {topics}",
            f"• Stories per digest: at most {view.items}",
            f"• “Nothing new” note on quiet days: {'on' if view.notify_empty else 'off'}",
            "",
            f"Change: {SETTINGS_EXAMPLES}",
        ]
    )


def _parse_switch(value: str) -> bool | None:
    return {"on": True, "yes": True, "true": True, "off": False, "no": False, "false": False}.get(
        value.lower()
    )


async def show_or_change_settings(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/settings, /settings items N, /settings empty on|off (also time/timezone)."""
    args = list(context.args or [])
    if not args:
        view = await _update_subscriber(update, context, lambda subscriber: None)
        await reply(update, _settings_text(view))
        return
    name, values = args[0].lower(), args[1:]
    if name in ("time", "hour"):
        context.args = values
        await set_time(update, context)
        return
    if name in ("timezone", "zone", "tz"):
        context.args = values
        await set_timezone(update, context)
        return
    value = " ".join(values)
    if name in ("items", "stories"):
        if not value.isdigit() or not MIN_ITEMS <= int(value) <= MAX_ITEMS:
            shown = escape(value[:30]) if value else "nothing"
            await reply(
                update,
                f"Stories per digest must be a number from {MIN_ITEMS} to {MAX_ITEMS} "
                f"(got {shown}). For example: /settings items 5",
            )
            return
        count = int(value)

        def change(subscriber: Subscriber) -> None:
            subscriber.max_items = count

    elif name in ("empty", "quiet", "nothing"):
        switch = _parse_switch(value)
        if switch is None:
            await reply(
                update,
                "Say on or off: should quiet days get a short “nothing new” note? "
                "For example: /settings empty on",
            )
            return

        def change(subscriber: Subscriber) -> None:
            subscriber.notify_empty = switch

    else:
        await reply(
            update,
            f"I can't change “{escape(args[0][:30])}”. What I can change: {SETTINGS_EXAMPLES}",
        )
        return
    view = await _update_subscriber(update, context, change)
    await reply(update, "Saved.\n" + _settings_text(view))
