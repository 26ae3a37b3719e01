"""A fresh PostgreSQL database for each test, made fast.

Making one by `DROP DATABASE …; CREATE DATABASE … TEMPLATE …` costs 0.3-0.6 s on the
2-core CI machine (8 MB of catalog copied through the WAL, and fsynced). Instead each
worker keeps its database and, between tests, puts it back to the state of a fresh copy:

- other connections to it (a pool or a process the last test left behind) are ended;
- its schema is checked against a fresh copy's (a fingerprint of the catalog: schemas,
  tables, columns, defaults, constraints, indexes, triggers, functions, types, sequences'
  parameters, views, rules, policies, privileges, extensions, event triggers and the
  database's own settings); any difference, or a test that managed the database itself
  (`reset_postgres`, or `database_url` without the `database` fixture), makes a true
  fresh copy instead;
- every table that holds anything is emptied by DELETE with session_replication_role =
  replica (superuser), so audit_events' append-only triggers (migration 0013) and the
  foreign keys' triggers stay out of it, then VACUUMed back to zero pages (no dead rows,
  no free-space map left over); TRUNCATE would be the same but fsyncs every index it
  rebuilds, about 30 ms a table here, slower than a new database;
- the rows the migrations seed (alembic_version, send_pacing) are put back as they were;
- every sequence is set back to its fresh value (last_value and is_called).

tests/test_fresh_database.py proves it: after a test's worth of writes, every table's
rows and every sequence equal the template's, and the triggers are still there and work.
Anything that fails on the way (no superuser, a lock held too long) falls back to the
true fresh copy."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

# One row per catalog object of the non-system schemas, and the database's own settings:
# equal fingerprints mean equal schemas. Names, not OIDs (OIDs differ between copies).
FINGERPRINT = r"""
WITH ns AS (
    SELECT oid, nspname FROM pg_namespace
    WHERE nspname NOT LIKE 'pg\_%' AND nspname <> 'information_schema'
), rel AS (
    SELECT c.* FROM pg_class c JOIN ns ON ns.oid = c.relnamespace
), rows(x) AS (
    SELECT format('schema %s %s', nspname, (SELECT nspacl FROM pg_namespace n
                                            WHERE n.oid = ns.oid)) FROM ns
    UNION ALL
    SELECT format('rel %s %s %s %s %s %s %s', oid::regclass, relkind, relpersistence,
                  reloptions, relrowsecurity, relforcerowsecurity, relacl) FROM rel
    UNION ALL
    SELECT format('col %s %s %s %s %s %s %s %s %s %s', a.attrelid::regclass, a.attnum,
                  a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
                  a.attidentity, a.attgenerated, a.attisdropped, a.attcollation,
                  pg_get_expr(d.adbin, d.adrelid))
    FROM pg_attribute a JOIN rel ON rel.oid = a.attrelid
    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
    WHERE a.attnum > 0
    UNION ALL
    SELECT format('constraint %s %s %s %s', conrelid::regclass, contypid::regtype, conname,
                  pg_get_constraintdef(c.oid))
    FROM pg_constraint c JOIN ns ON ns.oid = c.connamespace
    UNION ALL
    SELECT format('index %s', pg_get_indexdef(indexrelid))
    FROM pg_index JOIN rel ON rel.oid = indexrelid
    UNION ALL
    SELECT format('trigger %s %s', tgenabled, pg_get_triggerdef(t.oid))
    FROM pg_trigger t JOIN rel ON rel.oid = t.tgrelid WHERE NOT t.tgisinternal
    UNION ALL
    SELECT format('function %s %s %s %s', p.oid::regprocedure, p.prokind, p.proacl,
                  md5(p.prosrc))
    FROM pg_proc p JOIN ns ON ns.oid = p.pronamespace
    UNION ALL
    SELECT format('type %s %s', t.oid::regtype, t.typtype)
    FROM pg_type t JOIN ns ON ns.oid = t.typnamespace
    UNION ALL
    SELECT format('enum %s %s %s', enumtypid::regtype, enumsortorder, enumlabel)
    FROM pg_enum
    UNION ALL
    SELECT format('sequence %s %s %s %s %s %s %s %s', seqrelid::regclass, seqtypid::regtype,
                  seqstart, seqincrement, seqmax, seqmin, seqcache, seqcycle)
    FROM pg_sequence JOIN rel ON rel.oid = seqrelid
    UNION ALL
    SELECT format('rule %s', pg_get_ruledef(r.oid))
    FROM pg_rewrite r JOIN rel ON rel.oid = r.ev_class
    UNION ALL
    SELECT format('policy %s %s %s %s %s', polrelid::regclass, polname, polcmd,
                  pg_get_expr(polqual, polrelid), pg_get_expr(polwithcheck, polrelid))
    FROM pg_policy JOIN rel ON rel.oid = polrelid
    UNION ALL
    SELECT format('extension %s %s', extname, extversion) FROM pg_extension
    UNION ALL
    SELECT format('event trigger %s %s %s', evtname, evtevent, evtenabled)
    FROM pg_event_trigger
    UNION ALL
    SELECT format('setting %s %s', setrole, setconfig) FROM pg_db_role_setting
    WHERE setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database())
    UNION ALL
    SELECT format('largeobjects %s', count(*)) FROM pg_largeobject_metadata
)
SELECT md5(string_agg(x, E'\n' ORDER BY x)) FROM rows
"""

TABLES = r"""
SELECT format('%I.%I', n.nspname, c.relname), pg_relation_size(c.oid), n.nspname, c.relname
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'r' AND n.nspname NOT LIKE 'pg\_%' AND n.nspname <> 'information_schema'
ORDER BY 1
"""

SEQUENCES = r"""
SELECT format('%I.%I', n.nspname, c.relname)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'S' AND n.nspname NOT LIKE 'pg\_%' AND n.nspname <> 'information_schema'
ORDER BY 1
"""

OTHERS = """
SELECT pid FROM pg_stat_activity
WHERE datname = current_database() AND pid <> pg_backend_pid()
"""


@dataclass
class FreshState:
    """What a fresh copy holds: its schema's fingerprint, the seeded rows, the sequences."""

    fingerprint: str
    tables: list[str]
    seeded: dict[str, tuple[list[str], list[tuple[Any, ...]]]] = field(default_factory=dict)
    names: dict[str, tuple[str, str]] = field(default_factory=dict)  # table -> schema, name
    sequences: dict[str, tuple[int, bool]] = field(default_factory=dict)


async def connect(url: str) -> asyncpg.Connection:
    u = make_url(url)
    return await asyncpg.connect(
        host=u.host, port=u.port, user=u.username, password=u.password, database=u.database
    )


async def fingerprint(conn: asyncpg.Connection) -> str:
    return str(await conn.fetchval(FINGERPRINT))


async def sequence_states(conn: asyncpg.Connection, names: list[str]) -> dict[str, tuple]:
    if not names:
        return {}
    query = " UNION ALL ".join(
        f"SELECT '{name}', last_value, is_called FROM {name}" for name in names
    )
    return {name: (value, called) for name, value, called in await conn.fetch(query)}


async def table_rows(conn: asyncpg.Connection, table: str) -> tuple[list[str], list[tuple]]:
    """A table's columns and its rows, sorted (a canonical order for comparing)."""
    records = await conn.fetch(f"SELECT * FROM {table}")
    columns = [a.name for a in (await conn.prepare(f"SELECT * FROM {table}")).get_attributes()]
    return columns, sorted((tuple(r) for r in records), key=repr)


async def capture(conn: asyncpg.Connection) -> FreshState:
    """The state of a database just made from the template."""
    listed = await conn.fetch(TABLES)
    state = FreshState(await fingerprint(conn), [r[0] for r in listed])
    state.names = {r[0]: (r[2], r[3]) for r in listed}
    tables = state.tables
    for table in tables:
        columns, rows = await table_rows(conn, table)
        if rows:
            state.seeded[table] = (columns, rows)
    state.sequences = await sequence_states(conn, [r[0] for r in await conn.fetch(SEQUENCES)])
    return state


class NotResettable(Exception):
    """The database cannot be put back in place: make a fresh copy instead."""


async def _end_other_connections(conn: asyncpg.Connection, seconds: float = 10.0) -> None:
    """What DROP DATABASE … WITH (FORCE) does: end them, and wait until they are gone."""
    deadline = time.monotonic() + seconds
    while others := await conn.fetch(OTHERS):
        if time.monotonic() > deadline:
            raise NotResettable(f"connections still open: {[r[0] for r in others]}")
        await conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        await asyncio.sleep(0.02)


async def reset(conn: asyncpg.Connection, fresh: FreshState) -> list[str]:
    """Put the database back to `fresh`; returns the tables it emptied. Raises
    NotResettable when only a fresh copy will do."""
    await _end_other_connections(conn)
    if await fingerprint(conn) != fresh.fingerprint:
        raise NotResettable("the schema changed")
    sizes = {r[0]: r[1] for r in await conn.fetch(TABLES)}
    if list(sizes) != fresh.tables:
        raise NotResettable("the tables changed")
    used = [t for t, size in sizes.items() if size > 0 or t in fresh.seeded]
    async with conn.transaction():
        # Superuser only; without it, this raises and the caller makes a fresh copy.
        await conn.execute("SET LOCAL session_replication_role = replica")
        await conn.execute("SET LOCAL lock_timeout = '10s'")
        for table in used:
            await conn.execute(f"DELETE FROM {table}")
        for table, (columns, rows) in fresh.seeded.items():
            schema, name = fresh.names[table]
            await conn.copy_records_to_table(
                name, records=rows, columns=columns, schema_name=schema
            )
        if fresh.sequences:
            await conn.execute(
                "SELECT "
                + ", ".join(
                    f"setval('{name}'::regclass, {value}, {'true' if called else 'false'})"
                    for name, (value, called) in fresh.sequences.items()
                )
            )
    if used:  # back to zero pages: no dead rows or free-space map from the last test
        await conn.execute("VACUUM " + ", ".join(used))
    return used
