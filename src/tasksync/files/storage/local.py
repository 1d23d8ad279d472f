"""Blobs as files under a folder: written to a temporary file and renamed into place, so a
crash never leaves half a file under a real key."""

import asyncio
import os
import shutil
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

from tasksync.files.storage import CHUNK, BlobMissing, StoredBlob

PARTIAL = ".partial"


class LocalStorage:
    name = "local"

    def __init__(self, blobs: Path) -> None:
        self.blobs = blobs

    async def start(self) -> None:
        self.blobs.mkdir(parents=True, exist_ok=True)

    async def close(self) -> None:
        return None

    async def ping(self) -> None:
        if not self.blobs.is_dir() or not os.access(self.blobs, os.W_OK):
            raise OSError(f"{self.blobs} is not writable")

    def _path(self, key: str) -> Path:
        path = self.blobs / key
        if self.blobs not in path.resolve().parents:
            raise ValueError(f"not a storage key: {key!r}")
        return path

    async def put(self, key: str, source: Path, *, size: int, content_type: str) -> None:
        target = self._path(key)
        await asyncio.to_thread(_place, source, target)

    async def read(
        self, key: str, *, start: int = 0, end: int | None = None
    ) -> AsyncIterator[bytes]:
        try:
            handle = self._path(key).open("rb")
        except FileNotFoundError:
            raise BlobMissing(key) from None
        with handle:
            handle.seek(start)
            left = None if end is None else end - start + 1
            while left is None or left > 0:
                chunk = await asyncio.to_thread(
                    handle.read, CHUNK if left is None else min(CHUNK, left)
                )
                if not chunk:
                    return
                if left is not None:
                    left -= len(chunk)
                yield chunk

    async def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    async def listing(self) -> AsyncIterator[StoredBlob]:
        for path in await asyncio.to_thread(self._files):
            if not path.name.endswith(PARTIAL):
                yield StoredBlob(
                    key=path.relative_to(self.blobs).as_posix(), modified_at=_mtime(path)
                )

    async def forget_unfinished(self, older_than: datetime) -> int:
        """Copies cut short by a crash (only when the upload folder is on another disk)."""
        removed = 0
        for path in await asyncio.to_thread(self._files):
            if path.name.endswith(PARTIAL) and _mtime(path) < older_than:
                path.unlink(missing_ok=True)
                removed += 1
        return removed

    def _files(self) -> list[Path]:
        return [path for path in self.blobs.rglob("*") if path.is_file()]


def _mtime(path: Path) -> datetime:
    return datetime.fromtimestamp(path.stat().st_mtime, UTC)


def _place(source: Path, target: Path) -> None:
    """Moves a finished upload into place: its bytes reach the disk before its name does."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with source.open("rb") as written:
        os.fsync(written.fileno())
    if source.stat().st_dev != target.parent.stat().st_dev:
        partial = target.with_name(f".{target.name}{PARTIAL}")
        shutil.copyfile(source, partial)
        source = partial
    os.replace(source, target)
