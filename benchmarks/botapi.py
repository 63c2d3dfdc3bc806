"""A local Telegram Bot API server enforcing Telegram's flood limits in real time, in its own
process (so its work does not share the bot's interpreter).

Limits, as Telegram documents them: at most 30 messages in any second overall, one message a
second to one private chat, 20 a minute to one group (negative chat id); past them it answers
429 with `parameters.retry_after`, as Telegram does. A small `tolerance` (20 ms) absorbs clock
jitter between a client that paces itself exactly and this server.

Enough of the API for python-telegram-bot's Application: getMe, getUpdates (long polling),
sendMessage, editMessageText, and `true` for the rest (setMyCommands, deleteWebhook, ...).
Control endpoints for the benchmark: POST /control/push {"chat_id", "text"[, "chat_type"]}
queues a message update and starts a latency probe for that chat (closed by the next message
the bot sends there); GET /control/stats; POST /control/reset.

Started by `LocalBotApi` as `python -m benchmarks.botapi`.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import html
import json
import math
import re
import subprocess
import sys
import time
import urllib.request
from urllib.parse import parse_qs

from benchmarks.localweb import exit_with_parent, read_request

BOT_USER = {
    "id": 777000111,
    "is_bot": True,
    "first_name": "Bench",
    "username": "bench_digest_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}
GLOBAL_PER_SECOND = 30
GROUP_PER_MINUTE = 20
PRIVATE_INTERVAL = 1.0


_TAG = re.compile(r"<[^>]*>")


def telegram_length(text: str, parse_mode: str) -> int:
    """The length Telegram checks: UTF-16 code units of the text after entity parsing."""
    if parse_mode.upper() == "HTML":
        text = html.unescape(_TAG.sub("", text))
    return len(text.encode("utf-16-le")) // 2


class BotApiState:
    def __init__(self, tolerance: float = 0.02) -> None:
        self.tolerance = tolerance
        self.reset()

    def reset(self) -> None:
        self.updates: list[dict] = []
        self.next_update_id = 1
        self.new_update = asyncio.Event()
        self.sent_times: collections.deque[float] = collections.deque()
        self.last_private: dict[int, float] = {}
        self.group_times: dict[int, collections.deque[float]] = collections.defaultdict(
            collections.deque
        )
        self.message_id = 0
        self.accepted = 0
        self.rejected_429 = 0
        self.rejected_400 = 0
        self.first_sent = 0.0
        self.last_sent = 0.0
        self.per_chat: collections.Counter[int] = collections.Counter()
        self.texts: collections.Counter[tuple[int, int]] = collections.Counter()
        self.probes: dict[int, float] = {}
        self.latencies: list[float] = []
        self.calls: collections.Counter[str] = collections.Counter()

    # ----- limits
    def flood_wait(self, chat_id: int, now: float) -> int:
        """0 if a message to `chat_id` may go now, else Telegram's retry_after in seconds."""
        window = self.sent_times
        while window and now - window[0] >= 1.0 - self.tolerance:
            window.popleft()
        if len(window) >= GLOBAL_PER_SECOND:
            return 1
        if chat_id > 0:
            last = self.last_private.get(chat_id)
            if last is not None and now - last < PRIVATE_INTERVAL - self.tolerance:
                return 1
        else:
            times = self.group_times[chat_id]
            while times and now - times[0] >= 60.0 - self.tolerance:
                times.popleft()
            if len(times) >= GROUP_PER_MINUTE:
                return max(1, math.ceil(60.0 - (now - times[0])))
        return 0

    def record_send(self, chat_id: int, text: str, now: float) -> int:
        self.sent_times.append(now)
        if chat_id > 0:
            self.last_private[chat_id] = now
        else:
            self.group_times[chat_id].append(now)
        self.accepted += 1
        self.first_sent = self.first_sent or now
        self.last_sent = now
        self.per_chat[chat_id] += 1
        self.texts[(chat_id, hash(text))] += 1
        probe = self.probes.pop(chat_id, None)
        if probe is not None:
            self.latencies.append(now - probe)
        self.message_id += 1
        return self.message_id

    def stats(self) -> dict[str, object]:
        return {
            "accepted": self.accepted,
            "rejected_429": self.rejected_429,
            "rejected_400": self.rejected_400,
            "duplicates": sum(count - 1 for count in self.texts.values() if count > 1),
            "chats": len(self.per_chat),
            "send_seconds": self.last_sent - self.first_sent if self.accepted else 0.0,
            "latencies": self.latencies,
            "open_probes": len(self.probes),
            "calls": dict(self.calls),
            "pending_updates": len(self.updates),
        }

    # ----- updates
    def push(self, chat_id: int, text: str, chat_type: str) -> int:
        update_id = self.next_update_id
        self.next_update_id += 1
        chat = {"id": chat_id, "type": chat_type}
        if chat_type == "private":
            chat.update(first_name=f"User{chat_id}")
        else:
            chat.update(title=f"Group {chat_id}")
        user_id = abs(chat_id) if chat_type == "private" else 900_000_000 + update_id
        message: dict[str, object] = {
            "message_id": 10_000_000 + update_id,
            "date": int(time.time()),
            "chat": chat,
            "from": {"id": user_id, "is_bot": False, "first_name": f"User{user_id}"},
            "text": text,
        }
        if text.startswith("/"):
            command = text.split()[0]
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        self.updates.append({"update_id": update_id, "message": message})
        self.probes[chat_id] = time.monotonic()
        self.new_update.set()
        return update_id


def _message(state: BotApiState, chat_id: int, text: str, message_id: int) -> dict:
    chat_type = "private" if chat_id > 0 else "group"
    chat = {"id": chat_id, "type": chat_type}
    chat.update(first_name="User") if chat_type == "private" else chat.update(title="Group")
    return {
        "message_id": message_id,
        "date": int(time.time()),
        "chat": chat,
        "from": BOT_USER,
        "text": text,
    }


async def _api_call(state: BotApiState, method: str, params: dict[str, str]) -> tuple[int, dict]:
    state.calls[method] += 1
    if method == "getMe":
        return 200, {"ok": True, "result": BOT_USER}
    if method == "getUpdates":
        offset = int(params.get("offset", "0") or 0)
        timeout = float(params.get("timeout", "0") or 0)
        if offset:
            state.updates = [u for u in state.updates if u["update_id"] >= offset]
        if not state.updates and timeout > 0:
            state.new_update.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(state.new_update.wait(), timeout)
        limit = int(params.get("limit", "100") or 100)
        return 200, {"ok": True, "result": state.updates[:limit]}
    if method in ("sendMessage", "editMessageText"):
        try:
            chat_id = int(params["chat_id"])
        except (KeyError, ValueError):
            state.rejected_400 += 1
            return 400, {"ok": False, "error_code": 400, "description": "Bad Request: chat_id"}
        text = params.get("text", "")
        if not text or telegram_length(text, params.get("parse_mode", "")) > 4096:
            state.rejected_400 += 1
            return 400, {
                "ok": False,
                "error_code": 400,
                "description": "Bad Request: message is too long" if text else "text is empty",
            }
        now = time.monotonic()
        wait = state.flood_wait(chat_id, now)
        if wait:
            state.rejected_429 += 1
            return 429, {
                "ok": False,
                "error_code": 429,
                "description": f"Too Many Requests: retry after {wait}",
                "parameters": {"retry_after": wait},
            }
        message_id = state.record_send(chat_id, text, now)
        return 200, {"ok": True, "result": _message(state, chat_id, text, message_id)}
    if method == "getWebhookInfo":
        return 200, {
            "ok": True,
            "result": {"url": "", "has_custom_certificate": False, "pending_update_count": 0},
        }
    if method == "getMyCommands":
        return 200, {"ok": True, "result": []}
    return 200, {"ok": True, "result": True}


async def _handle(state: BotApiState, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
    try:
        while True:
            request = await read_request(reader)
            if request is None:
                break
            verb, target, headers, body = request
            path, _, query = target.partition("?")
            status, payload = await _route(state, verb, path, query, headers, body)
            data = json.dumps(payload).encode()
            writer.write(
                (
                    f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(data)}\r\n\r\n"
                ).encode()
                + data
            )
            await writer.drain()
    except (ConnectionError, ValueError):
        pass
    finally:
        writer.close()


async def _route(state, verb, path, query, headers, body) -> tuple[int, dict]:
    if path == "/control/push":
        data = json.loads(body)
        update_id = state.push(int(data["chat_id"]), data["text"], data.get("chat_type", "private"))
        return 200, {"update_id": update_id}
    if path == "/control/stats":
        return 200, state.stats()
    if path == "/control/reset":
        state.reset()
        return 200, {"ok": True}
    parts = path.strip("/").split("/")
    if len(parts) < 2 or not parts[0].startswith("bot"):
        return 404, {"ok": False, "error_code": 404, "description": "Not Found"}
    method = parts[-1]
    params: dict[str, str] = {k: v[0] for k, v in parse_qs(query).items()}
    kind = headers.get("content-type", "")
    if body and "json" in kind:
        params.update(
            {k: v if isinstance(v, str) else json.dumps(v) for k, v in json.loads(body).items()}
        )
    elif body and "multipart" not in kind:
        params.update({k: v[0] for k, v in parse_qs(body.decode("utf-8")).items()})
    return await _api_call(state, method, params)


async def _serve() -> None:
    state = BotApiState()
    server = await asyncio.start_server(lambda r, w: _handle(state, r, w), "127.0.0.1", 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    asyncio.get_running_loop().create_task(exit_with_parent())
    async with server:
        await server.serve_forever()


class LocalBotApi:
    """The Bot API server in a child process; `base_url` is for TELEGRAM_API_BASE_URL."""

    def __init__(self) -> None:
        self.process: subprocess.Popen[str] | None = None
        self.root = ""

    def __enter__(self) -> LocalBotApi:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.botapi"], stdout=subprocess.PIPE, text=True
        )
        assert self.process.stdout is not None
        self.root = f"http://127.0.0.1:{int(self.process.stdout.readline())}"
        return self

    @property
    def base_url(self) -> str:
        return self.root + "/bot"

    @property
    def pid(self) -> int:
        return self.process.pid if self.process else 0

    def _call(self, path: str, payload: dict | None = None) -> dict:
        data = json.dumps(payload).encode() if payload is not None else None
        request = urllib.request.Request(self.root + path, data=data, method="POST")
        with urllib.request.urlopen(request, timeout=30) as answer:
            return json.loads(answer.read())

    def push(self, chat_id: int, text: str, chat_type: str = "private") -> int:
        return self._call(
            "/control/push", {"chat_id": chat_id, "text": text, "chat_type": chat_type}
        )["update_id"]

    def stats(self) -> dict:
        return self._call("/control/stats")

    def reset(self) -> None:
        self._call("/control/reset", {})

    def __exit__(self, *exc: object) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)


if __name__ == "__main__":
    asyncio.run(_serve())
