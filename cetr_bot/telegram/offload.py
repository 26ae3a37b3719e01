"""CPU-heavy work off the event loop: the pack's PDF is made in a worker process.

xhtml2pdf is pure Python, so in a thread it would still hold the GIL and slow every
other update the bot is handling; a process runs it on another core. One worker,
started on first use (spawned: a clean interpreter, not a fork of this one's
threads) and kept for the life of the bot; made again if it ever dies.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from cetr_bot.services import pack

log = logging.getLogger(__name__)
_pool: ProcessPoolExecutor | None = None


async def pdf_of(html: str) -> bytes:
    """The pack's HTML as a PDF, made in the worker process."""
    loop = asyncio.get_running_loop()
    try:
        return await loop.run_in_executor(_executor(), pack.to_pdf, html)
    except BrokenProcessPool:
        log.warning("the PDF worker stopped; starting a new one")
        _discard()
        return await loop.run_in_executor(_executor(), pack.to_pdf, html)


def _executor() -> ProcessPoolExecutor:
    global _pool
    if _pool is None:
        context = multiprocessing.get_context("spawn")
        _pool = ProcessPoolExecutor(max_workers=1, mp_context=context, initializer=_quiet)
    return _pool


def _discard() -> None:
    global _pool
    if _pool is not None:
        _pool.shutdown(wait=False, cancel_futures=True)
    _pool = None


def _quiet() -> None:
    # The worker only renders; xhtml2pdf's notes about fonts are not worth a log line.
    logging.getLogger("xhtml2pdf").setLevel(logging.ERROR)
