from collections.abc import Iterator

import pytest

from tests.cli.client_server import UPLOAD_LIMIT, running_embedded


@pytest.fixture(scope="session")
def cli_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One real `tasksync up` for the client's tests in a test process (usernames differ per
    test), its attachments capped at `UPLOAD_LIMIT`."""
    data = tmp_path_factory.mktemp("cli-server") / "data"
    yield from running_embedded(data, TASKSYNC_FILES_MAX_BYTES=str(UPLOAD_LIMIT))
