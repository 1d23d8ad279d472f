"""Empties every table of a service database (except the migration history)."""

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine


async def wipe(url: str) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                rows = await conn.execute(
                    text(
                        "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
                        " AND tablename <> 'alembic_version'"
                    )
                )
                tables = ", ".join(f'"{name}"' for (name,) in rows)
                if tables:
                    await conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
            else:
                await conn.execute(text("PRAGMA foreign_keys=OFF"))
                rows = await conn.execute(
                    text(
                        "SELECT name FROM sqlite_master WHERE type = 'table'"
                        " AND name NOT LIKE 'sqlite_%' AND name <> 'alembic_version'"
                    )
                )
                for (name,) in rows.all():
                    await conn.execute(text(f'DELETE FROM "{name}"'))
    finally:
        await engine.dispose()
