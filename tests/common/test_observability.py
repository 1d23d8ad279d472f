"""Log lines name the request they were written for."""

import io
import sys

import pytest

from tasksync.common.observability import _add_request_id, _NamedBytesLogger, request_id_var


class TestRequestIdInLogLines:
    def test_a_line_written_during_a_request_names_it(self) -> None:
        token = request_id_var.set("req-42")
        try:
            assert _add_request_id(None, "info", {"event": "x"})["request_id"] == "req-42"
        finally:
            request_id_var.reset(token)

    def test_a_line_outside_any_request_names_none(self) -> None:
        assert "request_id" not in _add_request_id(None, "info", {"event": "x"})

    def test_an_id_given_to_the_line_itself_is_kept(self) -> None:
        token = request_id_var.set("req-42")
        try:
            line = _add_request_id(None, "info", {"event": "x", "request_id": "own"})
            assert line["request_id"] == "own"
        finally:
            request_id_var.reset(token)


class TestWhereLinesGo:
    def test_a_logger_writes_to_the_stderr_of_the_moment_not_the_one_it_first_saw(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        logger = _NamedBytesLogger("test")
        first = io.TextIOWrapper(io.BytesIO())
        monkeypatch.setattr(sys, "stderr", first)
        logger.msg(b"one")
        first.close()  # as a test's capture is closed when the test ends
        second = io.TextIOWrapper(io.BytesIO())
        monkeypatch.setattr(sys, "stderr", second)
        logger.msg(b"two")
        assert second.buffer.getvalue() == b"two\n"
