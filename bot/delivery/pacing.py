"""Pacing requests under Telegram's flood limits, as a python-telegram-bot rate limiter.

Telegram allows about 30 messages a second overall, one a second to a private chat and
20 a minute to a group. PTB's AIORateLimiter has no per-private-chat bucket and halts every
chat on a 429; this one keeps a sliding window per chat and one overall, and on a 429
(RetryAfter) pauses only the chat it came from, waits `retry_after` and tries that request
again while other chats keep flowing.

Windows count a request from when it starts until `period` after it finished: Telegram
sees a request somewhere in between, so a window kept this way never lets Telegram count
more than the limit, however long requests take on the way.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

log = logging.getLogger(__name__)

T = TypeVar("T")

# Methods that put a message into a chat: these are paced per chat. Other methods with a
# chat (edits, answers, chat actions) only count against the overall limit.
_MESSAGE_METHODS = frozenset(
    {"copymessage", "copymessages", "forwardmessage", "forwardmessages", "sendmediagroup"}
)
# How many chats answering 429 within a second mean Telegram limits the whole bot.
_GLOBAL_429_CHATS = 3
_MAX_WINDOWS = 4096


@dataclass(frozen=True)
class PacingLimits:
    """Requests allowed per period: overall, per private chat, per group or channel."""

    overall: int = 30
    overall_period: float = 1.0
    private: int = 1
    private_period: float = 1.0
    group: int = 20
    group_period: float = 60.0
    # How often one request is tried again after a RetryAfter before the error is raised.
    max_retries: int = 5
    # Waiting longer than this for one RetryAfter raises it instead (the caller reschedules).
    max_retry_wait: float = 120.0


class _Window:
    """A sliding window: at most `limit` requests in flight or finished within `period`."""

    def __init__(self, limit: int, period: float, clock: Callable[[], float]) -> None:
        self.limit = limit
        self.period = period
        self.clock = clock
        self.finished: deque[float] = deque()
        self.in_flight = 0
        self.paused_until = 0.0
        self._changed: asyncio.Event | None = None

    def idle(self) -> bool:
        self._forget_old(self.clock())
        return not self.finished and not self.in_flight and self.paused_until <= self.clock()

    def _forget_old(self, now: float) -> None:
        while self.finished and self.finished[0] <= now - self.period:
            self.finished.popleft()

    def _wake(self) -> None:
        if self._changed is not None:
            self._changed.set()
            self._changed = None

    async def acquire(self) -> None:
        while True:
            now = self.clock()
            self._forget_old(now)
            timeout: float | None
            if now < self.paused_until:
                timeout = self.paused_until - now
            elif len(self.finished) + self.in_flight < self.limit:
                self.in_flight += 1
                return
            elif self.finished:
                timeout = self.finished[0] + self.period - now
            else:
                timeout = None  # every slot is in flight: wait for one to finish
            if self._changed is None:
                self._changed = asyncio.Event()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), timeout)

    def release(self, *, counted: bool = True) -> None:
        self.in_flight -= 1
        if counted:
            self.finished.append(self.clock())
        self._wake()

    def pause(self, seconds: float) -> None:
        self.paused_until = max(self.paused_until, self.clock() + seconds)
        self._wake()


class TelegramPacer(BaseRateLimiter[int]):
    """Flood-limit pacing for every request the bot makes (`ApplicationBuilder().
    rate_limiter(TelegramPacer())`), and for the outbox sender through `run()`.

    The `rate_limit_args` of a bot method, when given, is the number of RetryAfter retries
    for that request.
    """

    def __init__(
        self,
        limits: PacingLimits | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limits = limits or PacingLimits()
        self.clock = clock
        self._overall = _Window(self.limits.overall, self.limits.overall_period, clock)
        self._chats: dict[int | str, _Window] = {}
        self._recent_429: deque[tuple[float, int | str | None]] = deque()
        self.retries = 0  # RetryAfter answers seen (for reports and tests)

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""

    def _chat_window(self, chat: int | str) -> _Window:
        window = self._chats.get(chat)
        if window is None:
            if len(self._chats) >= _MAX_WINDOWS:
                for key in [k for k, w in self._chats.items() if w.idle()]:
                    del self._chats[key]
            if isinstance(chat, int) and chat > 0:
                window = _Window(self.limits.private, self.limits.private_period, self.clock)
            else:
                window = _Window(self.limits.group, self.limits.group_period, self.clock)
            self._chats[chat] = window
        return window

    @contextlib.asynccontextmanager
    async def _slot(self, chat: int | str | None, per_chat: bool) -> AsyncIterator[None]:
        chat_window = self._chat_window(chat) if chat is not None and per_chat else None
        if chat_window is not None:
            await chat_window.acquire()
        overall = self._overall if chat is not None else None
        if overall is not None:
            try:
                await overall.acquire()
            except BaseException:
                if chat_window is not None:
                    chat_window.release(counted=False)
                raise
        try:
            yield
        finally:
            if overall is not None:
                overall.release()
            if chat_window is not None:
                chat_window.release()

    def _note_429(self, chat: int | str | None, seconds: float) -> None:
        self.retries += 1
        now = self.clock()
        self._recent_429.append((now, chat))
        while self._recent_429 and self._recent_429[0][0] < now - 1.0:
            self._recent_429.popleft()
        chats = {c for _, c in self._recent_429}
        if chat is None or len(chats) >= _GLOBAL_429_CHATS:
            # Several chats refused at once: the whole bot is over the limit.
            self._overall.pause(seconds)
        if chat is not None:
            self._chat_window(chat).pause(seconds)

    async def run(
        self,
        chat_id: int | str | None,
        call: Callable[[], Awaitable[T]],
        *,
        per_chat: bool = True,
        max_retries: int | None = None,
    ) -> T:
        """`call()` when the limits allow, tried again after each RetryAfter (up to
        `max_retries`); the last RetryAfter is raised."""
        retries = self.limits.max_retries if max_retries is None else max_retries
        chat = _chat_key(chat_id)
        attempt = 0
        while True:
            try:
                async with self._slot(chat, per_chat):
                    return await call()
            except RetryAfter as error:
                seconds = retry_after_seconds(error)
                self._note_429(chat, seconds + 0.05)
                if attempt >= retries or seconds > self.limits.max_retry_wait:
                    raise
                attempt += 1
                log.info(
                    "Telegram asked to wait %.0f s (chat %s); retry %d of %d",
                    seconds,
                    chat,
                    attempt,
                    retries,
                )

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        """Pace one Bot API request (PTB calls this for every method but getUpdates)."""
        method = endpoint.lower()
        per_chat = (
            method.startswith("send") and method != "sendchataction"
        ) or method in _MESSAGE_METHODS
        return await self.run(
            data.get("chat_id"),
            lambda: callback(*args, **kwargs),
            per_chat=per_chat,
            max_retries=rate_limit_args,
        )


def _chat_key(chat_id: object) -> int | str | None:
    if chat_id is None or chat_id == "":
        return None
    try:
        return int(chat_id)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return str(chat_id)  # "@channelname": paced like a group


def retry_after_seconds(error: RetryAfter) -> float:
    """How long Telegram asked to wait, in seconds."""
    # The private timedelta: the public property warns while PTB moves from int seconds.
    return error._retry_after.total_seconds()
