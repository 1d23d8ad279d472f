"""Empties the service databases between tests (every table but the migration history).

Most tests touch a few tables of a few services, so only what holds rows is emptied: one
round trip finds the non-empty tables of a database, and a database left untouched costs
nothing more. PostgreSQL connections stay open for the whole run.
"""

import sqlite3
from pathlib import Path

import asyncpg

_HISTORY = "alembic_version"


class Wiper:
    def __init__(self) -> None:
        self._connections: dict[str, asyncpg.Connection] = {}
        self._tables: dict[str, list[str]] = {}

    async def wipe(self, url: str) -> None:
        if url.startswith("sqlite"):
            _wipe_sqlite(Path(url.split(":///", 1)[1]))
        else:
            await self._wipe_postgres(url.replace("postgresql+asyncpg://", "postgresql://", 1))

    async def _wipe_postgres(self, url: str) -> None:
        conn = self._connections.get(url)
        if conn is None or conn.is_closed():
            conn = self._connections[url] = await asyncpg.connect(url)
            rows = await conn.fetch(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
                " AND tablename <> $1 ORDER BY tablename",
                _HISTORY,
            )
            self._tables[url] = [row["tablename"] for row in rows]
        tables = self._tables[url]
        if not tables:
            return
        # A table whose rows were all deleted may still have moved its identity sequence,
        # so a used sequence counts as well.
        probe = " UNION ALL ".join(
            f"SELECT '{name}' AS name WHERE EXISTS (SELECT 1 FROM \"{name}\")" for name in tables
        )
        used = await conn.fetch(
            f"{probe} UNION ALL SELECT DISTINCT d.refobjid::regclass::text FROM pg_sequences s"
            " JOIN pg_depend d ON d.objid = (quote_ident(s.schemaname) || '.' ||"
            " quote_ident(s.sequencename))::regclass AND d.deptype IN ('a', 'i')"
            " WHERE s.last_value IS NOT NULL"
        )
        touched = sorted({row["name"].strip('"') for row in used} & set(tables))
        if touched:
            names = ", ".join(f'"{name}"' for name in touched)
            await conn.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")

    def close(self) -> None:
        for conn in self._connections.values():
            conn.terminate()  # its database may be dropped already
        self._connections.clear()


def _wipe_sqlite(path: Path) -> None:
    if not path.exists():
        return
    conn = sqlite3.connect(path, isolation_level=None, timeout=30)
    try:
        tables = [
            name
            for (name,) in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'"
                " AND name NOT LIKE 'sqlite_%' AND name <> ?",
                (_HISTORY,),
            )
        ]
        probe = " UNION ALL ".join(
            f"SELECT '{name}' WHERE EXISTS (SELECT 1 FROM \"{name}\")" for name in tables
        )
        touched = [name for (name,) in conn.execute(probe)] if tables else []
        if touched:
            conn.execute("PRAGMA foreign_keys=OFF")
            conn.execute("BEGIN")
            for name in touched:
                conn.execute(f'DELETE FROM "{name}"')
            conn.execute("COMMIT")
    finally:
        conn.close()
