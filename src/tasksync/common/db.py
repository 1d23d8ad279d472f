"""Async database access shared by every service: engines, sessions, column types.

A request is one unit of work: `DbSession` opens a session, the route and the service layer
use it, and it commits once when the route returns (rolls back when it raises). The session
is closed before the response is sent, so a slow client never holds a connection.

Hot reads use `Database.reading()` instead: an autocommit connection, so a read is its
statements alone, without the BEGIN and COMMIT round trips of a transaction. The hottest,
fixed statements go one step further with `Database.first()`.
"""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Annotated, Any

import asyncpg
import structlog
from fastapi import Depends, Request
from sqlalchemy import DateTime, MetaData, Select, event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

from tasksync.common.errors import DomainError
from tasksync.common.events.outbox import Outbox, OutboxSession

log = structlog.get_logger("tasksync.db")

# Connections of a service's pool that requests leave to its background work.
RESERVED_CONNECTIONS = 2

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def new_metadata() -> MetaData:
    """Each service declares its tables on its own metadata, so each migrates alone."""
    return MetaData(naming_convention=NAMING_CONVENTION)


def model_base() -> type[DeclarativeBase]:
    """The declarative base of one service's models: its own metadata (so each service
    migrates alone) and UTC datetimes."""

    class Base(DeclarativeBase):
        metadata = new_metadata()
        type_annotation_map = {datetime: UTCDateTime}

    return Base


def escape_like(text: str) -> str:
    """`text` matched literally inside a LIKE pattern written with `escape="\\"`."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def upsert(session: AsyncSession, table: Any) -> Any:
    """An INSERT that takes `on_conflict_do_nothing/update`, for the session's database."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC; always returns an aware UTC datetime, on SQLite as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _sqlite_pragmas(dbapi_connection: Any, _: Any) -> None:
    cursor = dbapi_connection.cursor()
    for pragma in (
        "journal_mode=WAL",
        "synchronous=NORMAL",
        "foreign_keys=ON",
        "busy_timeout=10000",
    ):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


async def ensure_database(url: str) -> None:
    """Creates the PostgreSQL database named in `url` when it does not exist yet."""
    parsed = make_url(url)
    if not parsed.drivername.startswith("postgresql"):
        if parsed.database:
            from pathlib import Path

            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        return
    name = parsed.database
    server = parsed.set(drivername="postgresql", database="postgres")
    conn = await asyncpg.connect(server.render_as_string(hide_password=False))
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if not exists:
            try:
                await conn.execute(f'CREATE DATABASE "{name}"')
                log.info("database_created", database=name)
            except asyncpg.DuplicateDatabaseError:
                pass  # another process created it first
    finally:
        await conn.close()


async def drop_database(url: str) -> None:
    parsed = make_url(url)
    if not parsed.drivername.startswith("postgresql"):
        from pathlib import Path

        for suffix in ("", "-wal", "-shm"):
            Path(f"{parsed.database}{suffix}").unlink(missing_ok=True)
        return
    server = parsed.set(drivername="postgresql", database="postgres")
    conn = await asyncpg.connect(server.render_as_string(hide_password=False))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)')
    finally:
        await conn.close()


async def drop_databases(urls: Iterable[str]) -> None:
    """Drops them side by side: PostgreSQL checkpoints for every DROP DATABASE, and drops
    that wait together share one checkpoint (ten in a row took 40 s on a busy machine,
    side by side under 2 s)."""
    await asyncio.gather(*(drop_database(url) for url in urls))


class Database:
    """One service's database: its engine and its session factory."""

    def __init__(self, url: str, *, pool_size: int = 10, outbox: Outbox | None = None) -> None:
        self.url = url
        # Where `publish` writes, for a service that publishes events (events/outbox.py).
        self.outbox = outbox
        self.is_sqlite = url.startswith("sqlite")
        # A failed statement's error text would carry its parameters (a password hash, a
        # token digest) into the log: they are never shown.
        options: dict[str, Any] = {"pool_pre_ping": False, "hide_parameters": True}
        if not self.is_sqlite:
            # A fixed pool: under load, requests wait for one of these connections rather
            # than open and close extra ones (a new PostgreSQL session per request).
            options |= {"pool_size": pool_size, "max_overflow": 0}
        self.engine: AsyncEngine = create_async_engine(url, **options)
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        self._autocommit = self.engine.execution_options(isolation_level="AUTOCOMMIT")
        self._compiled: dict[Select[Any], tuple[str, tuple[str, ...]]] = {}
        # Requests take turns for the pool here, first come first served, and leave two
        # connections to the event runtime and housekeeping. The pool's own queue lets a
        # newcomer take a returned connection before a request that has waited, which put
        # the p99 of a busy service at five times its p50. A request holds one turn at most:
        # never take `reading()` inside a `DbSession`.
        self.turns = asyncio.Semaphore(max(1, pool_size - RESERVED_CONNECTIONS))
        self.sessionmaker = async_sessionmaker(
            self.engine,
            expire_on_commit=False,
            sync_session_class=OutboxSession,
            info={"database": self},
        )

    def put_in_sessions(self, key: str, value: Any) -> None:
        """Every session opened from now on carries `value` in its `info` under `key`."""
        self.sessionmaker.configure(info={**self.sessionmaker.kw["info"], key: value})

    @classmethod
    async def open(
        cls, url: str, *, pool_size: int = 10, outbox: Outbox | None = None
    ) -> "Database":
        await ensure_database(url)
        return cls(url, pool_size=pool_size, outbox=outbox)

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncConnection]:
        """`async with db.reading() as connection:` a connection for reads alone."""
        async with self.turns, self._autocommit.connect() as connection:
            yield connection

    async def first(self, statement: Select[Any], params: dict[str, Any]) -> dict[str, Any] | None:
        """The first row of a statement built once at import (a module constant), as a dict.

        On PostgreSQL it runs on the pooled asyncpg connection itself, compiled once: a hot
        read then skips SQLAlchemy's execution and result layers, about a fifth of its CPU
        (docs/performance.md). Its columns must need no result processing beyond what the
        connection's own codecs do (UUIDs, aware datetimes, JSON).
        """
        async with self.reading() as connection:
            if self.is_sqlite:
                row = (await connection.execute(statement, params)).mappings().first()
                return None if row is None else dict(row)
            if statement not in self._compiled:
                compiled = statement.compile(dialect=self.engine.dialect)
                self._compiled[statement] = (compiled.string, tuple(compiled.positiontup or ()))
            sql, names = self._compiled[statement]
            driver = (await connection.get_raw_connection()).driver_connection
            record = await driver.fetchrow(sql, *(params[name] for name in names))
            return None if record is None else dict(record)

    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def close(self) -> None:
        await self.engine.dispose()


_AFTER_COMMIT = "tasksync.after_commit"


def after_commit(session: AsyncSession, action: Callable[[], Awaitable[None]]) -> None:
    """Runs `action` once the request's unit of work has committed, before the answer is
    sent (nothing runs when it rolls back). Only request sessions (`DbSession`) run these."""
    session.info.setdefault(_AFTER_COMMIT, []).append(action)


async def _request_session(request: Request) -> AsyncIterator[AsyncSession]:
    db: Database = request.app.state.kit.db
    async with db.turns, db.sessionmaker() as session:
        try:
            yield session
        except DomainError as exc:
            if exc.keeps_changes:
                await session.commit()
                await _run_after_commit(session)
            raise
        await session.commit()
    await _run_after_commit(session)


async def _run_after_commit(session: AsyncSession) -> None:
    for action in session.info.pop(_AFTER_COMMIT, []):
        await action()


DbSession = Annotated[AsyncSession, Depends(_request_session, scope="function")]
