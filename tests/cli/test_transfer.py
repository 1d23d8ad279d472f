"""The client's file transfers in themselves: how an upload is framed and streamed, and how a
server's file name is made safe before a download is written under it."""

import io
import os
from pathlib import Path

import pytest
from python_multipart.multipart import parse_options_header
from rich.console import Console
from rich.progress import Progress

from tasksync.cli.client import transfer
from tasksync.cli.client.session import ClientError


def _bar() -> Progress:
    bar = Progress(console=Console(file=io.StringIO()))
    bar.add_task("upload", total=None)
    return bar


class TestUpload:
    def test_the_file_is_sent_in_chunks_and_framed_as_its_announced_length(
        self, tmp_path: Path
    ) -> None:
        path = tmp_path / "big.bin"
        path.write_bytes(os.urandom(3 * transfer.CHUNK + 5))
        bar = _bar()
        upload = transfer.Upload(path, bar)
        chunks = list(upload)
        assert max(len(c) for c in chunks) <= transfer.CHUNK  # never the whole file at once
        body = b"".join(chunks)
        assert len(body) == upload.length
        assert path.read_bytes() in body
        assert bar.tasks[0].completed == path.stat().st_size
        boundary = upload.content_type.split("boundary=")[1].encode()
        assert body.startswith(b"--" + boundary + b"\r\n")
        assert body.endswith(b"\r\n--" + boundary + b"--\r\n")

    @pytest.mark.parametrize(
        "name", ['say "hi".txt', "back\\slash.txt", "ünïcode.txt", "semi;colon.txt"]
    )
    def test_the_name_reaches_the_server_as_it_is(self, tmp_path: Path, name: str) -> None:
        path = tmp_path / name
        path.write_bytes(b"x")
        header = transfer.Upload(path, _bar()).head.split(b"\r\n")[1]
        _, options = parse_options_header(header.split(b": ", 1)[1])
        assert (options[b"name"], options[b"filename"].decode()) == (b"file", name)

    def test_a_line_break_in_a_name_cannot_end_the_header(self, tmp_path: Path) -> None:
        path = tmp_path / "a\r\nX-Injected: yes\r\n\r\nb"
        path.write_bytes(b"x")
        head = transfer.Upload(path, _bar()).head
        assert head.count(b"\r\n") == 4  # boundary, disposition, type, blank line

    def test_a_file_that_shrinks_while_sent_is_reported(self, tmp_path: Path) -> None:
        path = tmp_path / "shrinking.bin"
        path.write_bytes(b"x" * (transfer.CHUNK + 10))
        sending = iter(transfer.Upload(path, _bar()))
        next(sending)  # the part's headers
        path.write_bytes(b"x")
        next(sending)  # the first bytes
        with pytest.raises(ClientError, match="got shorter while it was being sent"):
            next(sending)


class TestSafeName:
    @pytest.mark.parametrize(
        ("given", "kept"),
        [
            ("notes.pdf", "notes.pdf"),
            ("../../.bashrc", "bashrc"),
            ("/etc/passwd", "passwd"),
            ("..\\..\\windows\\evil.exe", "evil.exe"),
            ("..", "file-1"),
            (".", "file-1"),
            ("", "file-1"),
            ("a\x00b\nc\x1b[31m.txt", "abc[31m.txt"),
            ("dir/", "file-1"),
            ("  spaced.txt ", "spaced.txt"),
        ],
    )
    def test_only_a_plain_last_part_is_kept(self, given: str, kept: str) -> None:
        assert transfer.safe_name(given, fallback="file-1") == kept


class TestReceive:
    def test_nothing_is_left_behind_when_the_bytes_do_not_match(self, tmp_path: Path) -> None:
        import httpx

        response = httpx.Response(200, content=b"tampered")
        with pytest.raises(ClientError, match="do not match"):
            transfer.receive(response, tmp_path / "out.bin", sha256="0" * 64, force=False)
        assert list(tmp_path.iterdir()) == []
