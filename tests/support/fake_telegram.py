"""A strict, wire-level fake of the Telegram Bot API on 127.0.0.1.

python-telegram-bot reaches it through its real HTTP stack:

    fake = FakeTelegram().start()
    bot = Bot(fake.token, base_url=f"{fake.base_url}/bot",
              base_file_url=f"{fake.base_url}/file/bot")

(or `fake.bot()`). It answers like Telegram: updates through long-polling `getUpdates`,
messages validated as Telegram validates them (HTML parse mode, 4096 UTF-16 units after
entity parsing, 100 entities), flood limits answered with 429 and `retry_after`, blocked
chats with 403, unknown chats with 400 "chat not found", migrated groups with
`migrate_to_chat_id`; faults can be injected (5xx, 429 storms, hangs). Every request is
recorded for assertions.

Chats must be known before the bot can write to them: a chat becomes known when a user
writes in it (`push_message`, `push_command`) or through `add_chat`.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import math
import threading
import time
import urllib.request
from collections import deque
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tests.support.telegram_html import TelegramHTMLError, check_message_text, utf16_length
from tests.support.web import LoopbackHTTPServer

# Methods that put a message into a chat: these count against the flood limits.
SEND_METHODS = frozenset(
    {
        "sendmessage",
        "sendphoto",
        "senddocument",
        "sendaudio",
        "sendvideo",
        "sendanimation",
        "sendvoice",
        "sendsticker",
        "sendlocation",
        "sendpoll",
        "copymessage",
        "forwardmessage",
        "sendmediagroup",
    }
)
# Parameters Telegram reads as integers, and ones sent JSON-encoded.
_INT_PARAMS = frozenset(
    {"chat_id", "message_id", "offset", "limit", "timeout", "max_connections", "cache_time"}
)
_JSON_PARAMS = frozenset(
    {
        "reply_markup",
        "link_preview_options",
        "entities",
        "commands",
        "scope",
        "allowed_updates",
        "reply_parameters",
        "disable_web_page_preview",
        "disable_notification",
        "protect_content",
        "drop_pending_updates",
        "show_alert",
    }
)


class FakeTelegramError(Exception):
    """An error answer: HTTP status, Telegram's description, optional parameters."""

    def __init__(
        self, status: int, description: str, parameters: dict[str, Any] | None = None
    ) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters


def _bad_request(text: str, parameters: dict[str, Any] | None = None) -> FakeTelegramError:
    return FakeTelegramError(400, f"Bad Request: {text}", parameters)


@dataclass
class Chat:
    """A chat the fake knows about."""

    id: int
    type: str  # private | group | supergroup | channel
    title: str = ""
    first_name: str = ""
    username: str | None = None
    # A 403 description when the bot can no longer write here (blocked, kicked...).
    forbidden: str | None = None
    # Set when this group became a supergroup: its new chat id.
    migrated_to: int | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "type": self.type}
        if self.type == "private":
            data["first_name"] = self.first_name or "Test"
            if self.username:
                data["username"] = self.username
        else:
            data["title"] = self.title or f"Chat {self.id}"
        return data


@dataclass
class SentMessage:
    """A message the bot sent (and its later edits)."""

    message_id: int
    chat_id: int
    text: str  # exactly as the bot sent it (HTML source in HTML mode)
    parse_mode: str | None
    plain: str  # the visible text after entity parsing, as Telegram stores it
    entities: list[dict[str, Any]]
    link_preview_options: dict[str, Any] | None
    reply_markup: dict[str, Any] | None
    time: float
    date: int
    edits: list[str] = field(default_factory=list)
    deleted: bool = False

    def to_dict(self, chat: Chat, bot_user: dict[str, Any]) -> dict[str, Any]:
        data: dict[str, Any] = {
            "message_id": self.message_id,
            "from": bot_user,
            "chat": chat.to_dict(),
            "date": self.date,
            "text": self.plain,
        }
        if self.entities:
            data["entities"] = self.entities
        if self.link_preview_options:
            data["link_preview_options"] = self.link_preview_options
        if self.reply_markup:
            data["reply_markup"] = self.reply_markup
        return data

    @property
    def links(self) -> list[str]:
        return [str(e["url"]) for e in self.entities if e.get("type") == "text_link"]

    @property
    def link_preview_disabled(self) -> bool:
        options = self.link_preview_options or {}
        return bool(options.get("is_disabled"))


@dataclass
class RecordedRequest:
    """One request the fake received and how it answered."""

    method: str  # as Telegram spells it, e.g. "sendMessage"
    params: dict[str, Any]
    time: float  # the fake's clock when it arrived
    status: int = 200
    description: str | None = None
    retry_after: int | None = None

    @property
    def ok(self) -> bool:
        return self.status == 200

    @property
    def chat_id(self) -> Any:
        return self.params.get("chat_id")


@dataclass
class Fault:
    """An injected failure: answers matching requests with `status` instead of serving them.

    Applies to `methods` (lower-case names; None means every method but getUpdates), for
    the next `count` matching requests (None: no count limit) and/or until the fake's clock
    passes `until`. `delay` holds the answer that many seconds first (a hang).
    """

    status: int = 500
    description: str = "Internal Server Error"
    parameters: dict[str, Any] | None = None
    methods: Collection[str] | None = None
    count: int | None = 1
    until: float | None = None
    delay: float = 0.0
    raw_body: bytes | None = None  # e.g. an HTML page from a proxy instead of JSON

    def applies(self, method: str, now: float) -> bool:
        if self.methods is None:
            if method == "getupdates":
                return False
        elif method not in self.methods:
            return False
        if self.until is not None and now >= self.until:
            return False
        return self.count is None or self.count > 0


class FakeTelegram:
    """The fake Bot API server. Use as a context manager or `start()` / `stop()`."""

    def __init__(
        self,
        *,
        token: str = "123456789:TEST-fake-telegram-token",
        bot_username: str = "newsdigest_test_bot",
        bot_name: str = "News Digest",
        clock: Callable[[], float] = time.monotonic,
        global_per_second: int = 30,
        private_per_second: int = 1,
        group_per_minute: int = 20,
        enforce_flood_limits: bool = True,
    ) -> None:
        self.token = token
        self.bot_id = int(token.split(":", 1)[0])
        self.bot_username = bot_username
        self.bot_user = {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": bot_name,
            "username": bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }
        self.clock = clock
        self.global_per_second = global_per_second
        self.private_per_second = private_per_second
        self.group_per_minute = group_per_minute
        self.enforce_flood_limits = enforce_flood_limits

        self.chats: dict[int, Chat] = {}
        self.messages: list[SentMessage] = []  # every message the bot sent, in order
        self.requests: list[RecordedRequest] = []
        self.commands: dict[str, list[dict[str, Any]]] = {}  # scope+language -> commands
        self.callback_answers: dict[str, dict[str, Any]] = {}
        self.webhook: dict[str, Any] = {}
        self.faults: list[Fault] = []

        self._lock = threading.RLock()
        self._updates_changed = threading.Condition(self._lock)
        self._updates: deque[dict[str, Any]] = deque()
        self._update_ids = itertools.count(1)
        self._message_ids: dict[int, itertools.count[int]] = {}
        self._callback_ids = itertools.count(1)
        self._callbacks: dict[str, int] = {}  # callback id -> chat id
        self._global_sends: deque[float] = deque()
        self._chat_sends: dict[int, deque[float]] = {}
        self._stopping = False
        self._active_long_polls = 0

        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                fake._handle(self, b"")

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                fake._handle(self, self.rfile.read(length) if length else b"")

        self.server = LoopbackHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    # ---------------------------------------------------------------- lifecycle

    @property
    def base_url(self) -> str:
        """The server root; PTB wants `base_url=f"{fake.base_url}/bot"`."""
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def bot_api_url(self) -> str:
        return f"{self.base_url}/bot"

    @property
    def file_url(self) -> str:
        return f"{self.base_url}/file/bot"

    def start(self) -> FakeTelegram:
        self._thread.start()
        return self

    def stop(self) -> None:
        with self._lock:
            self._stopping = True
            self._updates_changed.notify_all()
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> FakeTelegram:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def bot(self, **kwargs: Any) -> Any:
        """A `telegram.Bot` wired to this fake (extra keyword arguments go to Bot)."""
        from telegram import Bot
        from telegram.request import HTTPXRequest

        kwargs.setdefault("request", HTTPXRequest(connection_pool_size=64))
        return Bot(self.token, base_url=self.bot_api_url, base_file_url=self.file_url, **kwargs)

    # ---------------------------------------------------------------- chats

    def add_chat(
        self,
        chat_id: int,
        chat_type: str | None = None,
        *,
        title: str = "",
        first_name: str = "",
        username: str | None = None,
    ) -> Chat:
        """Make a chat known (positive ids are private chats, -100… supergroups, other
        negative ids groups, unless `chat_type` says otherwise)."""
        with self._lock:
            chat = self.chats.get(chat_id)
            if chat is None:
                if chat_type is None:
                    if chat_id > 0:
                        chat_type = "private"
                    elif str(chat_id).startswith("-100"):
                        chat_type = "supergroup"
                    else:
                        chat_type = "group"
                chat = Chat(chat_id, chat_type, title, first_name, username)
                self.chats[chat_id] = chat
            return chat

    def block(self, chat_id: int, how: str = "blocked") -> None:
        """The bot can no longer write to `chat_id`: `blocked` (by the user), `kicked`
        (from a group), `deactivated` (the user's account)."""
        descriptions = {
            "blocked": "Forbidden: bot was blocked by the user",
            "kicked": "Forbidden: bot was kicked from the group chat",
            "deactivated": "Forbidden: user is deactivated",
        }
        with self._lock:
            self.add_chat(chat_id).forbidden = descriptions.get(how, how)

    def unblock(self, chat_id: int) -> None:
        with self._lock:
            self.add_chat(chat_id).forbidden = None

    def migrate(self, group_id: int, supergroup_id: int) -> Chat:
        """The group became a supergroup: writes to the old id get `migrate_to_chat_id`."""
        with self._lock:
            old = self.add_chat(group_id, "group")
            old.migrated_to = supergroup_id
            return self.add_chat(supergroup_id, "supergroup", title=old.title)

    # ---------------------------------------------------------------- updates

    def _next_message_id(self, chat_id: int) -> int:
        counter = self._message_ids.setdefault(chat_id, itertools.count(1))
        return next(counter)

    def _user(self, user_id: int, first_name: str, username: str | None) -> dict[str, Any]:
        user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
        if username:
            user["username"] = username
        user["language_code"] = "en"
        return user

    def _queue(self, update: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            update["update_id"] = next(self._update_ids)
            self._updates.append(update)
            self._updates_changed.notify_all()
        return update

    def push_message(
        self,
        chat_id: int,
        text: str,
        *,
        chat_type: str | None = None,
        user_id: int | None = None,
        first_name: str = "Test",
        username: str | None = None,
        title: str = "",
        entities: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """A user writes `text` in `chat_id`; returns the queued update. A leading
        `/command` (also `/command@botname`) gets its `bot_command` entity."""
        with self._lock:
            chat = self.add_chat(chat_id, chat_type, title=title, first_name=first_name)
            if user_id is None:
                user_id = chat_id if chat.type == "private" else 4242
            message: dict[str, Any] = {
                "message_id": self._next_message_id(chat_id),
                "from": self._user(user_id, first_name, username),
                "chat": chat.to_dict(),
                "date": int(time.time()),
                "text": text,
            }
            if entities is None and text.startswith("/"):
                word = text.split(maxsplit=1)[0] if text.split() else text
                entities = [{"type": "bot_command", "offset": 0, "length": utf16_length(word)}]
            if entities:
                message["entities"] = entities
            return self._queue({"message": message})

    def push_command(
        self,
        chat_id: int,
        command: str,
        args: str = "",
        *,
        mention_bot: bool | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """A user sends `/command args`; in groups (or with mention_bot=True) it is written
        `/command@botname` as Telegram clients do."""
        command = command.lstrip("/")
        chat_type = kwargs.get("chat_type") or (
            self.chats[chat_id].type if chat_id in self.chats else None
        )
        if mention_bot is None:
            mention_bot = chat_id < 0 and chat_type != "private"
        text = f"/{command}@{self.bot_username}" if mention_bot else f"/{command}"
        if args:
            text += f" {args}"
        return self.push_message(chat_id, text, **kwargs)

    def push_callback(
        self,
        chat_id: int,
        data: str,
        *,
        message_id: int | None = None,
        user_id: int | None = None,
        first_name: str = "Test",
    ) -> str:
        """A user presses an inline button with `data` under the bot's message `message_id`
        (default: the newest bot message in the chat with a keyboard); returns the query id."""
        with self._lock:
            chat = self.add_chat(chat_id)
            message = None
            for sent in reversed(self.messages):
                if sent.chat_id != chat_id:
                    continue
                if message_id is None and sent.reply_markup:
                    message = sent
                    break
                if sent.message_id == message_id:
                    message = sent
                    break
            if message is None:
                raise LookupError(f"no bot message to press a button under in chat {chat_id}")
            if user_id is None:
                user_id = chat_id if chat.type == "private" else 4242
            query_id = str(next(self._callback_ids))
            self._callbacks[query_id] = chat_id
            self._queue(
                {
                    "callback_query": {
                        "id": query_id,
                        "from": self._user(user_id, first_name, None),
                        "message": message.to_dict(chat, self.bot_user),
                        "chat_instance": str(abs(chat_id)),
                        "data": data,
                    }
                }
            )
            return query_id

    def pending_updates(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._updates)

    def wait_for_updates_consumed(self, timeout: float = 5.0) -> bool:
        """Wait until the bot has confirmed every queued update (True) or `timeout`."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while self._updates:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._updates_changed.wait(remaining)
            return True

    # ---------------------------------------------------------------- faults

    def inject(self, fault: Fault) -> Fault:
        with self._lock:
            self.faults.append(fault)
        return fault

    def fail_next(
        self,
        count: int = 1,
        status: int = 500,
        *,
        methods: Collection[str] | None = None,
        description: str | None = None,
    ) -> Fault:
        """The next `count` requests (of `methods`, default all but getUpdates) fail."""
        if description is None:
            description = {502: "Bad Gateway", 504: "Gateway Timeout"}.get(
                status, "Internal Server Error"
            )
        return self.inject(
            Fault(
                status=status,
                description=description,
                methods=None if methods is None else {m.lower() for m in methods},
                count=count,
            )
        )

    def storm_429(
        self,
        seconds: float,
        retry_after: int = 1,
        *,
        methods: Collection[str] = ("sendMessage",),
    ) -> Fault:
        """Every matching request gets 429 "retry after `retry_after`" for `seconds`."""
        return self.inject(
            Fault(
                status=429,
                description=f"Too Many Requests: retry after {retry_after}",
                parameters={"retry_after": retry_after},
                methods={m.lower() for m in methods},
                count=None,
                until=self.clock() + seconds,
            )
        )

    def hang_next(
        self,
        count: int = 1,
        seconds: float = 30.0,
        *,
        methods: Collection[str] = ("sendMessage",),
    ) -> Fault:
        """The next `count` matching requests hang `seconds`, then fail with 500 (the
        message is not delivered)."""
        return self.inject(
            Fault(
                status=500,
                methods={m.lower() for m in methods},
                count=count,
                delay=seconds,
            )
        )

    def clear_faults(self) -> None:
        with self._lock:
            self.faults.clear()

    # ---------------------------------------------------------------- assertions

    def sent_to(self, chat_id: int) -> list[SentMessage]:
        """Messages the bot sent to `chat_id`, in order (deleted ones included)."""
        with self._lock:
            return [m for m in self.messages if m.chat_id == chat_id]

    def texts(self, chat_id: int) -> list[str]:
        """The visible texts of the messages sent to `chat_id`."""
        return [m.plain for m in self.sent_to(chat_id)]

    def calls(self, method: str) -> list[RecordedRequest]:
        with self._lock:
            return [r for r in self.requests if r.method.lower() == method.lower()]

    def errors(self, status: int | None = None) -> list[RecordedRequest]:
        with self._lock:
            return [
                r
                for r in self.requests
                if r.status != 200 and (status is None or r.status == status)
            ]

    # ---------------------------------------------------------------- webhook

    def deliver_webhook_updates(self, timeout: float = 10.0) -> int:
        """POST queued updates to the webhook set with setWebhook (blocking: call it in a
        thread when the bot runs in this event loop). Returns how many were accepted."""
        with self._lock:
            url = self.webhook.get("url")
            secret = self.webhook.get("secret_token")
            updates = list(self._updates)
        if not url:
            raise RuntimeError("no webhook set")
        delivered = 0
        for update in updates:
            request = urllib.request.Request(url, data=json.dumps(update).encode(), method="POST")
            request.add_header("Content-Type", "application/json")
            if secret:
                request.add_header("X-Telegram-Bot-Api-Secret-Token", secret)
            with urllib.request.urlopen(request, timeout=timeout) as response:
                if response.status != 200:
                    break
            with self._lock:
                with contextlib.suppress(ValueError):
                    self._updates.remove(update)
                self._updates_changed.notify_all()
            delivered += 1
        return delivered

    # ---------------------------------------------------------------- HTTP

    def _handle(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        path = urlsplit(handler.path)
        parts = path.path.strip("/").split("/")
        status, payload, delay = (
            404,
            {"ok": False, "error_code": 404, "description": "Not Found"},
            0.0,
        )
        raw: bytes | None = None
        if len(parts) == 2 and parts[0].startswith("bot"):
            token, method = parts[0][3:], parts[1]
            try:
                params = self._read_params(handler, body, path.query)
            except ValueError:
                params = None
            if token != self.token:
                status, payload = (
                    401,
                    {"ok": False, "error_code": 401, "description": "Unauthorized"},
                )
            elif params is None:
                status, payload = (
                    400,
                    {
                        "ok": False,
                        "error_code": 400,
                        "description": "Bad Request: can't parse request body",
                    },
                )
            else:
                status, payload, delay, raw = self._call(method, params)
        if delay:
            time.sleep(delay)
        data = raw if raw is not None else json.dumps(payload).encode()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError, OSError):
            handler.send_response(status)
            handler.send_header(
                "Content-Type", "text/html" if raw is not None else "application/json"
            )
            handler.send_header("Content-Length", str(len(data)))
            handler.end_headers()
            handler.wfile.write(data)

    @staticmethod
    def _read_params(handler: BaseHTTPRequestHandler, body: bytes, query: str) -> dict[str, Any]:
        raw: dict[str, str] = dict(parse_qsl(query, keep_blank_values=True))
        content_type = handler.headers.get("Content-Type", "")
        if body:
            if content_type.startswith("application/json"):
                decoded = json.loads(body)
                if not isinstance(decoded, dict):
                    raise ValueError("JSON body is not an object")
                return {**raw, **decoded}
            if content_type.startswith("multipart/form-data"):
                message = BytesParser(policy=HTTP).parsebytes(
                    b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body
                )
                for part in message.iter_parts():
                    name = part.get_param("name", header="content-disposition")
                    if name and not part.get_filename():
                        raw[name] = part.get_content().strip("\r\n")
            else:
                raw.update(
                    parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
                )
        params: dict[str, Any] = {}
        for name, value in raw.items():
            if name in _INT_PARAMS:
                try:
                    params[name] = int(value)
                except ValueError:
                    params[name] = value  # e.g. "@channelname"
            elif name in _JSON_PARAMS:
                params[name] = json.loads(value) if value else None
            else:
                params[name] = value
        return params

    def _call(
        self, method_name: str, params: dict[str, Any]
    ) -> tuple[int, dict[str, Any], float, bytes | None]:
        method = method_name.lower()
        handler = getattr(self, f"_m_{method}", None)
        with self._lock:
            now = self.clock()
            record = RecordedRequest(method_name, params, now)
            self.requests.append(record)
            fault = next((f for f in self.faults if f.applies(method, now)), None)
            if fault is not None:
                if fault.count is not None:
                    fault.count -= 1
                record.status = fault.status
                record.description = fault.description
                if fault.parameters:
                    record.retry_after = fault.parameters.get("retry_after")
                payload: dict[str, Any] = {
                    "ok": False,
                    "error_code": fault.status,
                    "description": fault.description,
                }
                if fault.parameters:
                    payload["parameters"] = fault.parameters
                return fault.status, payload, fault.delay, fault.raw_body
            if handler is None:
                record.status, record.description = 404, "Not Found"
                return 404, {"ok": False, "error_code": 404, "description": "Not Found"}, 0.0, None
        try:
            if method == "getupdates":
                result = self._m_getupdates(params)
            else:
                with self._lock:
                    result = handler(params)
        except FakeTelegramError as error:
            with self._lock:
                record.status, record.description = error.status, error.description
                if error.parameters:
                    record.retry_after = error.parameters.get("retry_after")
            payload = {"ok": False, "error_code": error.status, "description": error.description}
            if error.parameters:
                payload["parameters"] = error.parameters
            return error.status, payload, 0.0, None
        return 200, {"ok": True, "result": result}, 0.0, None

    # ---------------------------------------------------------------- checks

    def _chat_for(self, params: dict[str, Any]) -> Chat:
        chat_id = params.get("chat_id")
        if chat_id is None or chat_id == "":
            raise _bad_request("chat_id is empty")
        chat = self.chats.get(chat_id) if isinstance(chat_id, int) else None
        if chat is None:
            raise _bad_request("chat not found")
        if chat.migrated_to is not None:
            raise _bad_request(
                "group chat was upgraded to a supergroup chat",
                {"migrate_to_chat_id": chat.migrated_to},
            )
        if chat.forbidden:
            raise FakeTelegramError(403, chat.forbidden)
        return chat

    @staticmethod
    def _window(sends: deque[float], now: float, period: float) -> None:
        while sends and sends[0] <= now - period:
            sends.popleft()

    def _check_flood(self, chat_id: int, now: float) -> None:
        if not self.enforce_flood_limits:
            return
        chat = self.chats[chat_id]
        checks: list[tuple[deque[float], int, float]] = [
            (self._global_sends, self.global_per_second, 1.0)
        ]
        per_chat = self._chat_sends.setdefault(chat_id, deque())
        if chat.type == "private":
            checks.append((per_chat, self.private_per_second, 1.0))
        else:
            checks.append((per_chat, self.group_per_minute, 60.0))
        for sends, limit, period in checks:
            self._window(sends, now, period)
            if len(sends) >= limit:
                retry_after = max(1, math.ceil(sends[0] + period - now))
                raise FakeTelegramError(
                    429,
                    f"Too Many Requests: retry after {retry_after}",
                    {"retry_after": retry_after},
                )

    def _count_send(self, chat_id: int, now: float) -> None:
        """Refuse the send with 429 when it breaks a flood limit, else count it."""
        self._check_flood(chat_id, now)
        self._global_sends.append(now)
        self._chat_sends.setdefault(chat_id, deque()).append(now)

    def _check_text(self, params: dict[str, Any], key: str = "text"):
        text = params.get(key)
        if text is None:
            raise _bad_request("message text is empty")
        parse_mode = params.get("parse_mode") or None
        if parse_mode and parse_mode.upper() not in ("HTML", "MARKDOWN", "MARKDOWNV2"):
            raise _bad_request(f"unsupported parse_mode {parse_mode}")
        try:
            return check_message_text(
                str(text), parse_mode if parse_mode and parse_mode.upper() == "HTML" else None
            )
        except TelegramHTMLError as exc:
            raise _bad_request(str(exc)) from None

    @staticmethod
    def _check_markup(markup: Any) -> None:
        if markup is None:
            return
        if not isinstance(markup, dict):
            raise _bad_request("can't parse reply keyboard markup JSON object")
        for row in markup.get("inline_keyboard", []):
            for button in row:
                if not button.get("text"):
                    raise _bad_request("can't parse inline keyboard button: Text must be non-empty")
                if "callback_data" in button:
                    if not 1 <= len(str(button["callback_data"]).encode()) <= 64:
                        raise _bad_request("BUTTON_DATA_INVALID")
                elif "url" in button:
                    if not str(button["url"]).startswith(("http://", "https://", "tg://")):
                        raise _bad_request("inline keyboard button URL is invalid")
                else:
                    raise _bad_request(
                        "can't parse inline keyboard button: Text buttons are unallowed in the "
                        "inline keyboard"
                    )

    def _preview_options(self, params: dict[str, Any]) -> dict[str, Any] | None:
        options = params.get("link_preview_options")
        if options is None and params.get("disable_web_page_preview"):
            options = {"is_disabled": True}
        return options

    # ---------------------------------------------------------------- methods

    def _m_getme(self, params: dict[str, Any]) -> dict[str, Any]:
        return self.bot_user

    def _m_logout(self, params: dict[str, Any]) -> bool:
        return True

    def _m_close(self, params: dict[str, Any]) -> bool:
        return True

    def _m_getupdates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = params.get("offset")
        limit = max(1, min(int(params.get("limit") or 100), 100))
        timeout = max(0.0, float(params.get("timeout") or 0))
        deadline = time.monotonic() + timeout
        with self._lock:
            if self.webhook.get("url"):
                raise FakeTelegramError(
                    409,
                    "Conflict: can't use getUpdates method while webhook is active; "
                    "use deleteWebhook to delete the webhook first",
                )
            if isinstance(offset, int):
                if offset < 0:
                    keep = list(self._updates)[offset:]
                    self._updates = deque(keep)
                else:
                    while self._updates and self._updates[0]["update_id"] < offset:
                        self._updates.popleft()
                self._updates_changed.notify_all()
            self._active_long_polls += 1
            try:
                while not self._updates and not self._stopping:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        break
                    self._updates_changed.wait(remaining)
                allowed = params.get("allowed_updates")
                result = [
                    u
                    for u in list(self._updates)[:limit]
                    if not allowed or any(key in u for key in allowed)
                ]
            finally:
                self._active_long_polls -= 1
            return result

    def _m_sendmessage(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._chat_for(params)
        parsed = self._check_text(params)
        markup = params.get("reply_markup")
        self._check_markup(markup)
        now = self.clock()
        self._count_send(chat.id, now)
        message = SentMessage(
            message_id=self._next_message_id(chat.id),
            chat_id=chat.id,
            text=str(params["text"]),
            parse_mode=params.get("parse_mode") or None,
            plain=parsed.text,
            entities=parsed.entities,
            link_preview_options=self._preview_options(params),
            reply_markup=markup,
            time=now,
            date=int(time.time()),
        )
        self.messages.append(message)
        return message.to_dict(chat, self.bot_user)

    def _find_message(self, chat: Chat, params: dict[str, Any], what: str) -> SentMessage:
        message_id = params.get("message_id")
        for message in self.messages:
            if message.chat_id == chat.id and message.message_id == message_id:
                if message.deleted:
                    break
                return message
        raise _bad_request(f"message to {what} not found")

    def _m_editmessagetext(self, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("inline_message_id"):
            raise _bad_request("inline messages are not supported by the fake")
        chat = self._chat_for(params)
        message = self._find_message(chat, params, "edit")
        parsed = self._check_text(params)
        markup = params.get("reply_markup")
        self._check_markup(markup)
        if (
            parsed.text == message.plain
            and parsed.entities == message.entities
            and markup == message.reply_markup
        ):
            raise _bad_request(
                "message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message"
            )
        message.edits.append(message.text)
        message.text = str(params["text"])
        message.parse_mode = params.get("parse_mode") or None
        message.plain, message.entities = parsed.text, parsed.entities
        message.reply_markup = markup
        options = self._preview_options(params)
        if options is not None:
            message.link_preview_options = options
        return message.to_dict(chat, self.bot_user)

    def _m_editmessagereplymarkup(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._chat_for(params)
        message = self._find_message(chat, params, "edit")
        markup = params.get("reply_markup")
        self._check_markup(markup)
        if markup == message.reply_markup:
            raise _bad_request(
                "message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message"
            )
        message.reply_markup = markup
        return message.to_dict(chat, self.bot_user)

    def _m_deletemessage(self, params: dict[str, Any]) -> bool:
        chat = self._chat_for(params)
        message = self._find_message(chat, params, "delete")
        message.deleted = True
        return True

    def _m_answercallbackquery(self, params: dict[str, Any]) -> bool:
        query_id = str(params.get("callback_query_id", ""))
        if query_id not in self._callbacks or query_id in self.callback_answers:
            raise _bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        if len(str(params.get("text", ""))) > 200:
            raise _bad_request("MESSAGE_TOO_LONG")
        self.callback_answers[query_id] = params
        return True

    def _m_sendchataction(self, params: dict[str, Any]) -> bool:
        self._chat_for(params)
        return True

    def _m_getchat(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._chat_for(params).to_dict()

    @staticmethod
    def _commands_key(params: dict[str, Any]) -> str:
        scope = params.get("scope") or {"type": "default"}
        return json.dumps(scope, sort_keys=True) + "|" + str(params.get("language_code", ""))

    def _m_setmycommands(self, params: dict[str, Any]) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise _bad_request("commands must be a list of at most 100 BotCommand")
        for command in commands:
            name = str(command.get("command", ""))
            description = str(command.get("description", ""))
            if not (1 <= len(name) <= 32) or not all(
                c.islower() or c.isdigit() or c == "_" for c in name
            ):
                raise _bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(description) <= 256:
                raise _bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        self.commands[self._commands_key(params)] = commands
        return True

    def _m_getmycommands(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        return self.commands.get(self._commands_key(params), [])

    def _m_deletemycommands(self, params: dict[str, Any]) -> bool:
        self.commands.pop(self._commands_key(params), None)
        return True

    def _m_setmydescription(self, params: dict[str, Any]) -> bool:
        return True

    def _m_setmyshortdescription(self, params: dict[str, Any]) -> bool:
        return True

    def _m_setwebhook(self, params: dict[str, Any]) -> bool:
        url = str(params.get("url", ""))
        if url and not url.startswith("https://") and not url.startswith("http://127.0.0.1"):
            raise _bad_request("bad webhook: HTTPS url must be provided for webhook")
        secret = params.get("secret_token")
        if secret is not None and not (
            1 <= len(secret) <= 256 and all(c.isalnum() or c in "_-" for c in secret)
        ):
            raise _bad_request("bad webhook: secret token contains unallowed characters")
        if params.get("drop_pending_updates"):
            self._updates.clear()
        self.webhook = {
            "url": url,
            "secret_token": secret,
            "allowed_updates": params.get("allowed_updates"),
        }
        return True

    def _m_deletewebhook(self, params: dict[str, Any]) -> bool:
        if params.get("drop_pending_updates"):
            self._updates.clear()
        self.webhook = {}
        return True

    def _m_getwebhookinfo(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": self.webhook.get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
