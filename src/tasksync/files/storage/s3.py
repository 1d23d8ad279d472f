"""Blobs in any S3-compatible object store (AWS S3, MinIO, Ceph, R2...) through aiobotocore.

A file up to one part is sent with one PUT; a larger one as a multipart upload of
`PART_SIZE` parts, so at most one part per upload is in memory. An upload that fails is
aborted; one cut short by a crash is aborted by `forget_unfinished` (the sweep).
"""

import functools
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from datetime import datetime
from pathlib import Path
from typing import Any

from aiobotocore.config import AioConfig
from aiobotocore.session import AioSession, get_session
from botocore.exceptions import ClientError

from tasksync.files.storage import CHUNK, BlobMissing, StoredBlob

# S3's smallest part (but the last) is 5 MiB.
PART_SIZE = 8 * 1024 * 1024
MISSING = frozenset({"NoSuchKey", "404", "NotFound"})


@functools.cache
def _session() -> AioSession:
    """One session per process, made when a store first starts: it keeps the S3 API
    description it loaded (a new session reads it again, some 70 ms of CPU a client)."""
    return get_session()


class S3Storage:
    name = "s3"

    def __init__(
        self,
        *,
        bucket: str,
        endpoint_url: str | None,
        region: str,
        access_key: str | None,
        secret_key: str | None,
        prefix: str = "",
    ) -> None:
        self.bucket = bucket
        self.prefix = prefix
        self._options: dict[str, Any] = {
            "endpoint_url": endpoint_url,
            "region_name": region,
            "aws_access_key_id": access_key,
            "aws_secret_access_key": secret_key,
            "config": AioConfig(
                s3={"addressing_style": "path"},
                retries={"max_attempts": 3, "mode": "standard"},
                connect_timeout=5,
                read_timeout=30,
            ),
        }
        self._stack = AsyncExitStack()
        self._client: Any = None

    async def start(self) -> None:
        self._client = await self._stack.enter_async_context(
            _session().create_client("s3", **self._options)
        )
        try:
            await self._client.head_bucket(Bucket=self.bucket)
        except ClientError as exc:
            if _code(exc) not in MISSING | {"NoSuchBucket"}:
                raise
            await self._client.create_bucket(Bucket=self.bucket)

    async def close(self) -> None:
        await self._stack.aclose()

    async def ping(self) -> None:
        await self._client.head_bucket(Bucket=self.bucket)

    def _key(self, key: str) -> str:
        return f"{self.prefix}{key}"

    async def put(self, key: str, source: Path, *, size: int, content_type: str) -> None:
        with source.open("rb") as handle:
            if size <= PART_SIZE:
                await self._client.put_object(
                    Bucket=self.bucket,
                    Key=self._key(key),
                    Body=handle.read(),
                    ContentType=content_type,
                )
                return
            await self._put_in_parts(key, handle, content_type)

    async def _put_in_parts(self, key: str, handle: Any, content_type: str) -> None:
        started = await self._client.create_multipart_upload(
            Bucket=self.bucket, Key=self._key(key), ContentType=content_type
        )
        upload_id = started["UploadId"]
        try:
            parts = []
            number = 1
            while part := handle.read(PART_SIZE):
                sent = await self._client.upload_part(
                    Bucket=self.bucket,
                    Key=self._key(key),
                    UploadId=upload_id,
                    PartNumber=number,
                    Body=part,
                )
                parts.append({"PartNumber": number, "ETag": sent["ETag"]})
                number += 1
            await self._client.complete_multipart_upload(
                Bucket=self.bucket,
                Key=self._key(key),
                UploadId=upload_id,
                MultipartUpload={"Parts": parts},
            )
        except BaseException:
            await self._client.abort_multipart_upload(
                Bucket=self.bucket, Key=self._key(key), UploadId=upload_id
            )
            raise

    async def read(
        self, key: str, *, start: int = 0, end: int | None = None
    ) -> AsyncIterator[bytes]:
        options: dict[str, Any] = {"Bucket": self.bucket, "Key": self._key(key)}
        if start or end is not None:
            options["Range"] = f"bytes={start}-{'' if end is None else end}"
        try:
            answer = await self._client.get_object(**options)
        except ClientError as exc:
            if _code(exc) in MISSING:
                raise BlobMissing(key) from None
            raise
        async with answer["Body"] as body:
            while chunk := await body.read(CHUNK):
                yield chunk

    async def delete(self, key: str) -> None:
        await self._client.delete_object(Bucket=self.bucket, Key=self._key(key))

    async def listing(self) -> AsyncIterator[StoredBlob]:
        pages = self._client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self.prefix
        )
        async for page in pages:
            for item in page.get("Contents", []):
                key = item["Key"][len(self.prefix) :]
                yield StoredBlob(key=key, modified_at=item["LastModified"])

    async def forget_unfinished(self, older_than: datetime) -> int:
        answer = await self._client.list_multipart_uploads(Bucket=self.bucket, Prefix=self.prefix)
        removed = 0
        for upload in answer.get("Uploads", []):
            if upload["Initiated"] < older_than:
                await self._client.abort_multipart_upload(
                    Bucket=self.bucket, Key=upload["Key"], UploadId=upload["UploadId"]
                )
                removed += 1
        return removed


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))
