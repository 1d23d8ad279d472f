"""Which backends a stack test runs on (tests/conftest.py runs each on both by default)."""

import pytest

# What is decided the same way on both backends (bad input, outsiders, anonymous callers:
# the same code and the same plain queries, nothing of Redis, locking or a database's
# dialect) runs on the embedded backend alone; PostgreSQL runs what depends on it.
ONE_BACKEND = pytest.mark.only_backend("sqlite")
