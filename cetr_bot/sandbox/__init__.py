"""Local Telegram Bot API sandbox for running, demonstrating and testing the bot offline.

Typical use inside a test (all on the running event loop)::

    sandbox = await start_sandbox()
    bot = telegram.Bot(sandbox.token, base_url=sandbox.base_url,
                       base_file_url=sandbox.base_file_url)
    async with SandboxClient(sandbox.url) as client:
        replies = await client.user(42).ask("/start")
    await sandbox.stop()
"""

from .client import SandboxClient, SandboxUser, SentMessage
from .server import Sandbox, serve_forever, start_sandbox

__all__ = [
    "Sandbox",
    "SandboxClient",
    "SandboxUser",
    "SentMessage",
    "serve_forever",
    "start_sandbox",
]
