"""The files service's runtime: its store, spool folder, link signer, and the background
work that removes deleted blobs (retrying until the store confirms) and sweeps crash
leftovers."""

import asyncio
import contextlib
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import structlog

from tasksync.common.clock import utcnow
from tasksync.common.db import Database
from tasksync.files import queries, upload
from tasksync.files.links import LinkSigner, signing_key
from tasksync.files.settings import FilesSettings
from tasksync.files.storage import Storage
from tasksync.files.storage.local import LocalStorage
from tasksync.files.storage.s3 import S3Storage

log = structlog.get_logger("tasksync.files")
PURGE_BATCH = 100
RETRY_BACKOFF = timedelta(seconds=5)


def make_storage(settings: FilesSettings) -> Storage:
    if settings.uses_s3():
        if not settings.files_s3_bucket:
            raise ValueError("TASKSYNC_FILES_BACKEND=s3 needs TASKSYNC_FILES_S3_BUCKET.")
        return S3Storage(
            bucket=settings.files_s3_bucket,
            endpoint_url=settings.files_s3_endpoint,
            region=settings.files_s3_region,
            access_key=settings.files_s3_access_key,
            secret_key=settings.files_s3_secret_key,
            prefix=settings.files_s3_prefix,
        )
    return LocalStorage(settings.files_folder() / "blobs")


@dataclass
class FilesRuntime:
    settings: FilesSettings
    db: Database
    storage: Storage
    signer: LinkSigner
    # Uploads being received (beside the local blobs, so that finishing one is a rename).
    spool: Path
    _worker: asyncio.Task[None] | None = field(default=None, init=False)

    @classmethod
    async def start(cls, settings: FilesSettings, db: Database) -> "FilesRuntime":
        storage = make_storage(settings)
        await storage.start()
        spool = settings.files_folder() / "incoming"
        upload.ensure_spool(spool)
        async with db.sessionmaker.begin() as session:
            signer = await signing_key(session)
        runtime = cls(settings=settings, db=db, storage=storage, signer=signer, spool=spool)
        runtime._worker = asyncio.create_task(runtime._work())
        return runtime

    async def stop(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
        await self.storage.close()

    async def _work(self) -> None:
        swept_at = 0.0
        while True:
            try:
                await self.purge()
                if time.monotonic() - swept_at >= self.settings.housekeeping_interval:
                    swept_at = time.monotonic()
                    await self.sweep()
            except Exception as exc:
                log.warning("files_cleanup_failed", error=str(exc))
            await asyncio.sleep(self.settings.files_purge_interval)

    async def purge(self) -> int:
        """Removes the blobs of deleted files from the store; a blob the store does not
        confirm stays queued and is tried again later. How many went."""
        async with self.db.sessionmaker() as session:
            keys = await queries.due_blobs(session, limit=PURGE_BATCH)
        removed = 0
        for key in keys:
            try:
                await self.storage.delete(key)
            except Exception as exc:
                log.warning("blob_deletion_failed", key=key, error=str(exc))
                async with self.db.sessionmaker.begin() as session:
                    await queries.retry_later(session, key, backoff=RETRY_BACKOFF)
                continue
            async with self.db.sessionmaker.begin() as session:
                await queries.blob_gone(session, key)
            removed += 1
        return removed

    async def sweep(self, *, older_than: timedelta | None = None) -> int:
        """Removes what crashes left behind: blobs no row knows of, unfinished uploads and
        spool files, all older than `files_orphan_hours`. How many blobs went."""
        age = (
            older_than
            if older_than is not None
            else timedelta(hours=self.settings.files_orphan_hours)
        )
        horizon = utcnow() - age
        await self.storage.forget_unfinished(horizon)
        upload.forget_old_spools(
            self.spool, older_than_seconds=age.total_seconds(), now=time.time()
        )
        candidates = [
            blob.key async for blob in self.storage.listing() if blob.modified_at < horizon
        ]
        async with self.db.sessionmaker() as session:
            known = await queries.known_keys(session, candidates)
        orphans = [key for key in candidates if key not in known]
        for key in orphans:
            await self.storage.delete(key)
        return len(orphans)
