"""encryption at rest: free-text columns become Text holding AES-GCM envelopes

Existing values are encrypted in place with the engine's key ring (the first key).
They are read here with plain SQL, never through the encrypted type: a value the ring
does not already open is legacy plaintext (or JSON text) and is encrypted. So running
this over a partly encrypted table is safe, and the type itself never accepts plaintext.

Revision ID: 0014
Revises: 0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from cetr_bot.storage.encrypted import KeyRing, ring_of

revision: str = "0014"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, primary key, column, type before): the free text, names and JSON holding text.
COLUMNS: list[tuple[str, str, str, sa.types.TypeEngine[object]]] = [
    ("people", "id", "preferred_name", sa.String(length=64)),
    ("pending_inputs", "telegram_user_id", "data", sa.JSON()),
    ("prep_answers", "id", "value", sa.Text()),
    ("prep_flags", "id", "text", sa.Text()),
    ("consent_records", "id", "note", sa.Text()),
    ("actions", "id", "what", sa.Text()),
    ("action_updates", "id", "text", sa.Text()),
    ("feedback_answers", "id", "value", sa.Text()),
    ("review_feedback", "review_id", "answers", sa.JSON()),
    ("reminders", "id", "payload", sa.JSON()),
    ("dsr_entries", "id", "rag_reason", sa.Text()),
    ("dsr_entries", "id", "key_worker", sa.String(length=80)),
    ("dsr_entries", "id", "cetr_settled_reason", sa.Text()),
    ("dsr_changes", "id", "reason", sa.Text()),
    ("recorded_reviews", "id", "outcome", sa.Text()),
]


def _retype(name: str, col: str, old: sa.types.TypeEngine[object], new: object) -> None:
    if isinstance(old, sa.Text) and isinstance(new, sa.Text):
        return
    # SQLite enforces no VARCHAR length and keeps JSON as text already, and its batch mode
    # (copy, drop, rename) cannot drop a table other rows reference (people, dsr_entries)
    # with foreign keys on: there the declared types stay as they were.
    if op.get_bind().dialect.name == "sqlite":
        return
    using = {}
    if isinstance(old, sa.JSON) or isinstance(new, sa.JSON):
        using["postgresql_using"] = f"{col}::{'json' if isinstance(new, sa.JSON) else 'text'}"
    with op.batch_alter_table(name) as batch:
        batch.alter_column(col, existing_type=old, type_=new, **using)


def _rewrite(name: str, pk: str, col: str, change: object) -> None:
    conn = op.get_bind()
    raw = sa.table(name, sa.column(pk), sa.column(col, sa.Text()))
    rows = conn.execute(sa.select(raw.c[pk], raw.c[col]).where(raw.c[col].is_not(None))).all()
    for key, value in rows:
        new = change(value, f"{name}.{col}")  # type: ignore[operator]
        if new != value:
            conn.execute(sa.update(raw).where(raw.c[pk] == key).values({col: new}))


def _ring() -> KeyRing:
    return ring_of(op.get_bind().dialect)


def upgrade() -> None:
    ring: KeyRing | None = None
    for name, pk, col, old in COLUMNS:
        _retype(name, col, old, sa.Text())
        conn = op.get_bind()
        raw = sa.table(name, sa.column(col))
        if conn.scalar(sa.select(sa.func.count()).select_from(raw).where(raw.c[col].is_not(None))):
            ring = ring or _ring()  # only a database with data needs the key here
            current = ring

            def encrypt(value: str, context: str, r: KeyRing = current) -> str:
                return value if r.opens(value, context) else r.encrypt(value, context)

            _rewrite(name, pk, col, encrypt)


def downgrade() -> None:
    ring: KeyRing | None = None
    for name, pk, col, old in reversed(COLUMNS):
        conn = op.get_bind()
        raw = sa.table(name, sa.column(col))
        if conn.scalar(sa.select(sa.func.count()).select_from(raw).where(raw.c[col].is_not(None))):
            ring = ring or _ring()
            current = ring

            def decrypt(value: str, context: str, r: KeyRing = current) -> str:
                return r.decrypt(value, context)

            _rewrite(name, pk, col, decrypt)
        _retype(name, col, sa.Text(), old)
