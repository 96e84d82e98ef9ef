"""Documents in Azure Blob Storage, one container, through the async client.

A put stages the stream as blocks and commits the block list only when the stream ended
cleanly, so a refused or broken download leaves no blob (uncommitted blocks are discarded by
the service). Key or Entra ID (DefaultAzureCredential, a managed identity in Azure) as for
Cosmos DB. Any failure to reach the service is DocumentStoreUnavailable.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

from azure.core.exceptions import AzureError, ResourceExistsError, ResourceNotFoundError
from azure.storage.blob import BlobBlock, ContentSettings
from azure.storage.blob.aio import BlobServiceClient, ContainerClient, ExponentialRetry
from yarl import URL

from bot.storage.documents import DocumentMeta, DocumentStoreUnavailable, check_blob_name

BLOCK_BYTES = 1024 * 1024
# A turn waits for the store: one quick retry (after 0.5 s), not the SDK's default of 15 s and more.


def account_name_of(account_url: str) -> str:
    """devstoreaccount1 for Azurite's path-style http://127.0.0.1:PORT/devstoreaccount1, else the host's first label."""
    url = URL(account_url)
    if url.host in ("127.0.0.1", "localhost") and url.path.strip("/"):
        return url.path.strip("/").split("/")[0]
    return (url.host or "").split(".")[0]


def _retry() -> ExponentialRetry:
    return ExponentialRetry(initial_backoff=0.5, increment_base=1, retry_total=1, random_jitter_range=0)  # type: ignore[arg-type]


class BlobDocumentStore:
    name = "blob"

    def __init__(self, account_url: str, account_key: str | None, container: str) -> None:
        self.account_url = account_url
        self.account_key = account_key
        self.container_name = container
        self._credential: Any = None
        self._service: BlobServiceClient | None = None
        self._container: ContainerClient | None = None

    async def open(self) -> None:
        if self.account_key:
            credential: Any = {"account_name": account_name_of(self.account_url), "account_key": self.account_key}
        else:
            from azure.identity.aio import DefaultAzureCredential

            credential = self._credential = DefaultAzureCredential()
        self._service = BlobServiceClient(self.account_url, credential=credential, retry_policy=_retry(),
                                          connection_timeout=3, read_timeout=30)
        self._container = self._service.get_container_client(self.container_name)
        try:
            await self._container.create_container()
        except ResourceExistsError:
            pass
        except AzureError as error:
            await self.close()
            raise DocumentStoreUnavailable(f"Blob Storage at {self.account_url}: {type(error).__name__}") from None

    async def close(self) -> None:
        if self._service is not None:
            await self._service.close()
            self._service = None
        if self._credential is not None:
            await self._credential.close()
            self._credential = None

    @property
    def container(self) -> ContainerClient:
        if self._container is None:
            raise DocumentStoreUnavailable("the document store is not open")
        return self._container

    async def put(self, blob_name: str, chunks: AsyncIterator[bytes], meta: Callable[[], DocumentMeta]) -> None:
        blob = self.container.get_blob_client(check_blob_name(blob_name))
        blocks: list[BlobBlock] = []
        pending = bytearray()  # one block at a time in memory
        # A block is staged while the next one arrives (download and upload overlap; two blocks in memory at most).
        staging: asyncio.Future[BlobBlock] | None = None
        index = 0
        try:
            async for chunk in chunks:
                pending += chunk
                if len(pending) >= BLOCK_BYTES:
                    if staging is not None:
                        blocks.append(await staging)
                    staging = asyncio.ensure_future(self._stage(blob, index, pending))
                    index += 1
                    pending = bytearray()
            if staging is not None:
                blocks.append(await staging)
                staging = None
            if pending:
                blocks.append(await self._stage(blob, index, pending))
            described = meta()
            await blob.commit_block_list(blocks, metadata=described.to_metadata(),
                                         content_settings=ContentSettings(content_type=described.content_type))
        except AzureError as error:
            raise DocumentStoreUnavailable(f"Blob Storage write failed: {type(error).__name__}") from None
        finally:
            if staging is not None and not staging.done():
                staging.cancel()
                with contextlib.suppress(BaseException):
                    await staging

    @staticmethod
    async def _stage(blob: Any, index: int, data: bytearray) -> BlobBlock:
        block_id = base64.b64encode(f"{index:08d}".encode()).decode()
        await blob.stage_block(block_id, bytes(data), length=len(data))
        return BlobBlock(block_id)

    async def meta(self, blob_name: str) -> DocumentMeta | None:
        blob = self.container.get_blob_client(check_blob_name(blob_name))
        try:
            properties = await blob.get_blob_properties()
        except ResourceNotFoundError:
            return None
        except AzureError as error:
            raise DocumentStoreUnavailable(f"Blob Storage read failed: {type(error).__name__}") from None
        data = properties.metadata or {}
        return DocumentMeta(name=data.get("filename", ""), content_type=properties.content_settings.content_type or "",
                            size=int(properties.size), sha256=data.get("sha256", ""), uploaded_by=data.get("uploadedby", ""),
                            uploaded_at=data.get("uploadedat", ""))

    async def read(self, blob_name: str) -> AsyncIterator[bytes]:  # type: ignore[override]
        blob = self.container.get_blob_client(check_blob_name(blob_name))
        try:
            downloader = await blob.download_blob()
            async for chunk in downloader.chunks():
                yield chunk
        except ResourceNotFoundError:
            raise LookupError(blob_name) from None
        except AzureError as error:
            raise DocumentStoreUnavailable(f"Blob Storage read failed: {type(error).__name__}") from None

    async def delete(self, blob_name: str) -> None:
        try:
            await self.container.delete_blob(check_blob_name(blob_name))
        except ResourceNotFoundError:
            pass
        except AzureError as error:
            raise DocumentStoreUnavailable(f"Blob Storage delete failed: {type(error).__name__}") from None
