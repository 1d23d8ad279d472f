"""Log lines name the request they were written for."""

from tasksync.common.observability import _add_request_id, request_id_var


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
