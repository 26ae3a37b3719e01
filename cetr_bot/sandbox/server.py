"""A local Telegram Bot API: the real bot talks to it, tests play the users.

Start it in the running event loop with ``start_sandbox()`` and point
python-telegram-bot at ``f"{sandbox.url}/bot"``. Bot API calls live under
``/bot<token>/<method>`` and ``/file/bot<token>/<path>``; the simulated-user and
inspection endpoints live under ``/sandbox/...``.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any, NoReturn

from aiohttp import web

from .bot_api import BotApi
from .errors import ApiError, SandboxError
from .params import Params, read_params
from .state import ApiCall, SandboxState
from .webhook import WebhookPusher

__all__ = ["Sandbox", "serve_forever", "start_sandbox"]

_TOKEN_RE = re.compile(r"^(\d+):[A-Za-z0-9_-]+$")
_SANDBOX_KEY: web.AppKey[Sandbox] = web.AppKey("sandbox")
_MAX_WAIT = 60.0  # cap for /sandbox/.../wait long polls
_MAX_BODY = 64 * 1024 * 1024  # above the 50 MB upload limit so we can answer 413 ourselves


class Sandbox(SandboxState):
    """Sandbox state plus its HTTP server. Use start_sandbox() to get a running one."""

    def __init__(self, *, bot_username: str = "cetr_sandbox_bot") -> None:
        super().__init__(bot_username=bot_username)
        self.api = BotApi(self)
        self.pusher = WebhookPusher(self)
        self.url = ""
        self._runner: web.AppRunner | None = None
        # Set by whoever runs the bot in this process (tests, the demo): returns True once
        # the bot has handled every update it took in, False if it cannot tell.
        self.bot_idle: Callable[[], Awaitable[bool]] | None = None

    async def wait_idle(self, seconds: float) -> bool:
        """Whether the bot is known to have finished with everything users sent so far."""
        if self.bot_idle is None:
            return False
        try:
            async with asyncio.timeout(seconds):
                return await self.wait_confirmed(seconds) and await self.bot_idle()
        except TimeoutError:
            return False

    @property
    def base_url(self) -> str:
        """Pass as telegram.Bot(base_url=...) / ApplicationBuilder().base_url(...)."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        """Pass as base_file_url so File.download_* fetches from the sandbox too."""
        return f"{self.url}/file/bot"

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Serve on host:port (0 picks a free port); sets self.url."""
        self._runner = web.AppRunner(build_app(self), shutdown_timeout=2.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, host, port).start()
        bound_port = self._runner.addresses[0][1]  # the real port when port=0
        self.url = f"http://{host}:{bound_port}"
        self.pusher.start()

    async def stop(self) -> None:
        """Release long polls, then shut the server down."""
        self.wake_all()
        await self.pusher.stop()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


async def start_sandbox(
    host: str = "127.0.0.1", port: int = 0, *, bot_username: str = "cetr_sandbox_bot"
) -> Sandbox:
    """Start a sandbox on the running event loop and return it (call .stop() later)."""
    sandbox = Sandbox(bot_username=bot_username)
    await sandbox.start(host, port)
    return sandbox


async def serve_forever(
    host: str = "127.0.0.1",
    port: int = 8081,
    *,
    bot_username: str = "cetr_sandbox_bot",
    on_ready: Callable[[Sandbox], None] | None = None,
) -> NoReturn:
    """Run a sandbox until cancelled; on_ready lets a CLI print the URL."""
    sandbox = await start_sandbox(host, port, bot_username=bot_username)
    try:
        if on_ready is not None:
            on_ready(sandbox)
        await asyncio.Event().wait()  # only cancellation ends this
        raise AssertionError("unreachable")
    finally:
        await sandbox.stop()


# ----- Bot API endpoints ---------------------------------------------------------------


def _bot_id(token: str) -> int:
    match = _TOKEN_RE.match(token)
    if match is None:
        raise ApiError(401, "Unauthorized")
    return int(match.group(1))


async def _bot_endpoint(request: web.Request) -> web.Response:
    sandbox = request.app[_SANDBOX_KEY]
    method = request.match_info["method"]
    params = Params({})
    try:
        bot_id = _bot_id(request.match_info["token"])
        params = await read_params(request)
        result = await sandbox.api.dispatch(bot_id, method, params)
        status, body = 200, {"ok": True, "result": result}
    except ApiError as exc:
        status, body = exc.code, exc.payload()
    sandbox.calls.append(ApiCall(method, params.loggable(), status, time.time()))
    chat = _chat_of(params) if status == 200 else None  # delay_chats: accepted calls only
    delay = sandbox.faults.take_delay(method, chat) if sandbox.api.knows(method) else 0.0
    if delay > 0:
        # The call has already taken effect; only the answer is late (like a timeout).
        await sandbox.pause(delay)
    return web.json_response(body, status=status)


def _chat_of(params: Params) -> int | None:
    try:
        return int(str(params.values.get("chat_id", "")).strip())
    except ValueError:
        return None


async def _file_endpoint(request: web.Request) -> web.Response:
    sandbox = request.app[_SANDBOX_KEY]
    try:
        _bot_id(request.match_info["token"])
    except ApiError as exc:
        return web.json_response(exc.payload(), status=exc.code)
    stored = sandbox.file_by_path(request.match_info["path"])
    if stored is None:
        return web.json_response(ApiError(404, "Not Found").payload(), status=404)
    content_type = stored.mime_type or "application/octet-stream"
    return web.Response(body=stored.data, content_type=content_type)


# ----- simulated users and inspection ----------------------------------------------------

_Route = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _sandbox_route(func: Callable[[Sandbox, web.Request], Awaitable[Any]]) -> _Route:
    """JSON in/out; misuse (SandboxError, bad input) becomes a 400 with a reason."""

    async def handler(request: web.Request) -> web.StreamResponse:
        try:
            result = await func(request.app[_SANDBOX_KEY], request)
        except (SandboxError, ValueError, KeyError, TypeError) as exc:
            return web.json_response({"ok": False, "error": str(exc)}, status=400)
        except ApiError as exc:
            return web.json_response({"ok": False, "error": exc.description}, status=exc.code)
        if isinstance(result, web.StreamResponse):
            return result
        return web.json_response(result)

    return handler


async def _json(request: web.Request) -> dict[str, Any]:
    if not request.body_exists:
        return {}
    body = await request.json()
    if not isinstance(body, dict):
        raise SandboxError("expected a JSON object")
    return body


def _user_fields(body: dict[str, Any]) -> dict[str, Any]:
    fields = {"first_name": body.get("first_name"), "username": body.get("username")}
    return fields | {"language_code": body.get("language_code")}


def _chat_fields(sandbox: Sandbox, body: dict[str, Any]) -> dict[str, Any]:
    """The group a simulated user writes in (created on first use), if any."""
    chat_id = body.get("chat_id")
    if chat_id is None:
        return {}
    chat_id = int(chat_id)
    if body.get("chat_type") or not sandbox.is_group(chat_id):
        sandbox.add_group(
            chat_id, str(body.get("chat_type") or "group"), str(body.get("title") or "")
        )
    return {"chat_id": chat_id}


async def _user_send(sandbox: Sandbox, request: web.Request) -> Any:
    body = await _json(request)
    user_id = int(request.match_info["user_id"])
    return sandbox.user_send(
        user_id, str(body.get("text", "")), **_user_fields(body), **_chat_fields(sandbox, body)
    )


async def _user_edit(sandbox: Sandbox, request: web.Request) -> Any:
    body = await _json(request)
    return sandbox.user_edit(
        int(request.match_info["user_id"]),
        int(body["message_id"]),
        str(body.get("text", "")),
        **_user_fields(body),
        **_chat_fields(sandbox, body),
    )


async def _user_press(sandbox: Sandbox, request: web.Request) -> Any:
    body = await _json(request)
    return sandbox.user_press(
        int(request.match_info["user_id"]),
        int(body["message_id"]),
        str(body["data"]),
        forge=bool(body.get("forge", False)),
        **_user_fields(body),
        **_chat_fields(sandbox, body),
    )


async def _user_send_media(sandbox: Sandbox, request: web.Request) -> Any:
    body = await _json(request)
    user_id = int(request.match_info["user_id"])
    return sandbox.user_send_media(
        user_id, str(body.get("kind", "")), **_user_fields(body), **_chat_fields(sandbox, body)
    )


async def _user_answers(sandbox: Sandbox, request: web.Request) -> Any:
    return sandbox.user_answers(int(request.match_info["user_id"]))


async def _chat_messages(sandbox: Sandbox, request: web.Request) -> Any:
    return sandbox.chat_messages(int(request.match_info["chat_id"]))


async def _chat_state(sandbox: Sandbox, request: web.Request) -> Any:
    return sandbox.chat_state(int(request.match_info["chat_id"]))


async def _chat_wait(sandbox: Sandbox, request: web.Request) -> Any:
    chat_id = int(request.match_info["chat_id"])
    after = int(request.query.get("after_version", "0"))
    timeout = min(float(request.query.get("timeout", "10")), _MAX_WAIT)
    version = await sandbox.wait_chat(chat_id, after, timeout)
    return {"version": version, "changed": version > after}


async def _idle(sandbox: Sandbox, request: web.Request) -> Any:
    timeout = min(float(request.query.get("timeout", "10")), _MAX_WAIT)
    return {"idle": await sandbox.wait_idle(timeout)}


async def _commands(sandbox: Sandbox, request: web.Request) -> Any:
    return sandbox.commands


async def _document(sandbox: Sandbox, request: web.Request) -> Any:
    chat_id = int(request.match_info["chat_id"])
    message_id = int(request.match_info["message_id"])
    data = sandbox.document_bytes(chat_id, message_id)
    return web.Response(body=data, content_type="application/octet-stream")


async def _faults(sandbox: Sandbox, request: web.Request) -> Any:
    if request.method == "DELETE":
        sandbox.reset_faults()
    elif request.method == "POST":
        body = await _json(request)
        if body.pop("reset", False):
            sandbox.reset_faults()
        sandbox.faults.update(body)
    return sandbox.faults.to_json()


async def _left_chats(sandbox: Sandbox, request: web.Request) -> Any:
    return list(sandbox.left_chats)


async def _calls(sandbox: Sandbox, request: web.Request) -> Any:
    return [call._asdict() for call in sandbox.calls]


async def _webhook_settings(sandbox: Sandbox, request: web.Request) -> Any:
    """Test hooks: {"balance": [urls]} spreads deliveries over several URLs in turn;
    "timeout" and "retry_seconds" tune how soon a failed delivery is retried."""
    if request.method == "POST":
        body = await _json(request)
        if "balance" in body:
            sandbox.webhook_balance = [str(u) for u in body["balance"] or []]
        if "timeout" in body:
            sandbox.webhook_timeout = float(body["timeout"])
        if "retry_seconds" in body:
            sandbox.webhook_retry_seconds = float(body["retry_seconds"])
    hook = sandbox.webhook
    return {
        "url": hook.url if hook else None,
        "balance": sandbox.webhook_balance,
        "timeout": sandbox.webhook_timeout,
        "retry_seconds": sandbox.webhook_retry_seconds,
        "pending_update_count": sandbox.pending_update_count,
    }


async def _webhook_redeliver(sandbox: Sandbox, request: web.Request) -> Any:
    """Test hook: {"update_ids": [...], "url": optional} POSTs those updates once more."""
    body = await _json(request)
    ids = body.get("update_ids")
    ids = [int(i) for i in ids] if ids is not None else [int(body["update_id"])]
    url = body.get("url")
    done = await sandbox.pusher.redeliver(ids, str(url) if url else None)
    return [{"update_id": d.update_id, "url": d.url, "status": d.status} for d in done]


async def _webhook_deliveries(sandbox: Sandbox, request: web.Request) -> Any:
    return [
        {"update_id": d.update_id, "url": d.url, "status": d.status, "forced": d.forced}
        for d in sandbox.deliveries
    ]


async def _health(sandbox: Sandbox, request: web.Request) -> Any:
    return {"ok": True}


def build_app(sandbox: Sandbox) -> web.Application:
    """The aiohttp application serving one sandbox."""
    app = web.Application(client_max_size=_MAX_BODY)
    app[_SANDBOX_KEY] = sandbox
    add = app.router.add_route
    add("*", "/bot{token}/{method}", _bot_endpoint)
    add("GET", "/file/bot{token}/{path:.+}", _file_endpoint)
    routes: list[tuple[str, str, Callable[[Sandbox, web.Request], Awaitable[Any]]]] = [
        ("GET", "/sandbox/health", _health),
        ("POST", "/sandbox/users/{user_id}/send", _user_send),
        ("POST", "/sandbox/users/{user_id}/press", _user_press),
        ("POST", "/sandbox/users/{user_id}/edit", _user_edit),
        ("POST", "/sandbox/users/{user_id}/send_media", _user_send_media),
        ("GET", "/sandbox/users/{user_id}/answers", _user_answers),
        ("GET", "/sandbox/chats/{chat_id}/messages", _chat_messages),
        ("GET", "/sandbox/chats/{chat_id}/state", _chat_state),
        ("GET", "/sandbox/chats/{chat_id}/wait", _chat_wait),
        ("GET", "/sandbox/idle", _idle),
        ("GET", "/sandbox/commands", _commands),
        ("GET", "/sandbox/documents/{chat_id}/{message_id}", _document),
        ("GET", "/sandbox/faults", _faults),
        ("POST", "/sandbox/faults", _faults),
        ("DELETE", "/sandbox/faults", _faults),
        ("GET", "/sandbox/calls", _calls),
        ("GET", "/sandbox/left_chats", _left_chats),
        ("GET", "/sandbox/webhook", _webhook_settings),
        ("POST", "/sandbox/webhook", _webhook_settings),
        ("POST", "/sandbox/webhook/redeliver", _webhook_redeliver),
        ("GET", "/sandbox/webhook/deliveries", _webhook_deliveries),
    ]
    for http_method, path, func in routes:
        add(http_method, path, _sandbox_route(func))
    return app
