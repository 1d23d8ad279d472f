from pathlib import Path
from typing import Any, Literal

from pydantic import field_validator

from tasksync.common.settings import ServiceSettings, UploadSettings

MiB = 1024 * 1024


class FilesSettings(ServiceSettings, UploadSettings):
    """Where attachments are stored, and their limits (`files_max_bytes` is shared with the
    gateway, which enforces it too)."""

    # "auto": S3 when `files_s3_bucket` is set, else the local folder.
    files_backend: Literal["auto", "local", "s3"] = "auto"
    # The local backend's folder; by default `<data_dir>/files`.
    files_dir: Path | None = None
    files_s3_bucket: str | None = None
    files_s3_endpoint: str | None = None
    files_s3_region: str = "us-east-1"
    files_s3_access_key: str | None = None
    files_s3_secret_key: str | None = None
    files_s3_prefix: str = ""
    files_room_quota_bytes: int = 1024 * MiB
    # Images with more pixels than this are stored but never decoded (decompression bombs).
    files_max_image_pixels: int = 50_000_000
    files_thumbnail_size: int = 256
    files_thumbnail_seconds: float = 10.0
    files_link_seconds: int = 300
    # How often deleted blobs are removed from the store (and retried when it was down).
    files_purge_interval: float = 5.0
    # Blobs with no row older than this are crash leftovers, removed by the sweep.
    files_orphan_hours: float = 24.0

    @field_validator(
        "files_s3_bucket",
        "files_s3_endpoint",
        "files_s3_access_key",
        "files_s3_secret_key",
        mode="before",
    )
    @classmethod
    def _empty_is_unset(cls, value: Any) -> Any:
        """`TASKSYNC_FILES_S3_BUCKET=` (as compose passes an unset variable) means none."""
        return None if value == "" else value

    def files_folder(self) -> Path:
        return (self.files_dir or self.data_dir / "files").resolve()

    def uses_s3(self) -> bool:
        return self.files_backend == "s3" or (
            self.files_backend == "auto" and self.files_s3_bucket is not None
        )
