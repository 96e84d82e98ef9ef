"""Fetching a Teams file: the pre-authorised `downloadUrl`, streamed in chunks.

Only addresses `check_url` allows are fetched, redirects are not followed (they could lead
anywhere), a declared length over the limit is refused before any byte is read, and a read
that brings nothing for `stall_seconds` ends the download.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
from yarl import URL

from bot.documents.checks import DocumentRefused, Problem, check_url
from bot.documents.settings import DocumentSettings

CHUNK_BYTES = 256 * 1024
TOTAL_SECONDS = 120.0  # a slow trickle that never quite stalls still ends


async def download(session: aiohttp.ClientSession, raw_url: object, settings: DocumentSettings) -> AsyncIterator[bytes]:
    """The file's bytes, chunk by chunk; DocumentRefused for a bad address, an error answer, a stall or too many bytes."""
    check_url(raw_url, settings)  # before any request
    timeout = aiohttp.ClientTimeout(total=TOTAL_SECONDS, connect=settings.stall_seconds, sock_read=settings.stall_seconds)
    try:
        async with session.get(URL(str(raw_url), encoded=True), allow_redirects=False, timeout=timeout) as response:
            if response.status != 200:
                raise DocumentRefused(Problem.DOWNLOAD, f"HTTP {response.status}")
            if response.content_length is not None and response.content_length > settings.max_bytes:
                raise DocumentRefused(Problem.TOO_LARGE)
            received = 0
            while True:
                chunk = await asyncio.wait_for(response.content.read(CHUNK_BYTES), settings.stall_seconds)
                if not chunk:
                    return
                received += len(chunk)
                if received > settings.max_bytes:
                    raise DocumentRefused(Problem.TOO_LARGE)
                yield chunk
    except TimeoutError:
        raise DocumentRefused(Problem.STALLED) from None
    except aiohttp.ClientError as error:
        raise DocumentRefused(Problem.DOWNLOAD, type(error).__name__) from None
