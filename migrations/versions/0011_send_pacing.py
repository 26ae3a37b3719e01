"""send pacing shared by every process (PostgreSQL only)

An unlogged table, a row per chat holding the earliest time (epoch seconds, the
database's clock) its next message may go, and row 0 holding the next overall slot. The function
send_pacing_reserve books both in one round trip, under the row lock of row 0, so
any number of processes together keep to Telegram's 30 messages/s and 1/s per chat.
SQLite runs one process and paces in memory: nothing to do there.

Revision ID: 0011
Revises: 0010
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Returns (at, booked) in epoch seconds of the database's clock: booked, the slot's time;
# not booked (the chat is busy past the next overall slot), when the chat is free.
# Nothing is booked then, so a busy chat never holds the overall slots back.
RESERVE = """
CREATE FUNCTION send_pacing_reserve(
    p_chat bigint, p_gap double precision, p_interval double precision,
    OUT at double precision, OUT booked boolean
) LANGUAGE plpgsql AS $$
DECLARE
    v_now double precision;
    v_slot double precision;
    v_chat double precision;
BEGIN
    -- Nothing here is worth a disk flush at commit (the caller runs in autocommit).
    PERFORM set_config('synchronous_commit', 'off', true);
    SELECT next_at INTO v_slot FROM send_pacing WHERE chat_id = 0 FOR UPDATE;
    IF NOT FOUND THEN
        INSERT INTO send_pacing (chat_id, next_at) VALUES (0, 0) ON CONFLICT DO NOTHING;
        SELECT next_at INTO v_slot FROM send_pacing WHERE chat_id = 0 FOR UPDATE;
    END IF;
    -- The time is read once the lock is held: a wait for it must not book the past.
    v_now := extract(epoch FROM clock_timestamp());
    v_slot := greatest(v_slot, v_now);
    IF p_chat IS NOT NULL AND p_chat <> 0 THEN
        SELECT next_at INTO v_chat FROM send_pacing WHERE chat_id = p_chat;
        IF v_chat IS NOT NULL AND v_chat > v_slot THEN
            at := v_chat;
            booked := false;
            RETURN;
        END IF;
        INSERT INTO send_pacing (chat_id, next_at) VALUES (p_chat, v_slot + p_interval)
        ON CONFLICT (chat_id) DO UPDATE SET next_at = EXCLUDED.next_at;
    END IF;
    UPDATE send_pacing SET next_at = v_slot + p_gap WHERE chat_id = 0;
    at := v_slot;
    booked := true;
END $$
"""


# Just before each send: at most p_limit sends in any second, counted at the moment they
# really go (row 0 keeps the last second's times), however late a process woke for its
# slot. Returns 0 and records the send, or the epoch time to ask again.
SENDING = """
CREATE FUNCTION send_pacing_sending(
    p_chat bigint, p_interval double precision, p_limit integer
) RETURNS double precision LANGUAGE plpgsql AS $$
DECLARE
    v_now double precision;
    v_recent double precision[];
    v_sent double precision;
BEGIN
    PERFORM set_config('synchronous_commit', 'off', true);
    SELECT recent INTO v_recent FROM send_pacing WHERE chat_id = 0 FOR UPDATE;
    v_now := extract(epoch FROM clock_timestamp());
    -- The chat's last send really went at sent_at: a send held up (by a full window)
    -- must not bring the next one to that chat closer than p_interval.
    SELECT sent_at INTO v_sent FROM send_pacing WHERE chat_id = p_chat;
    IF v_sent IS NOT NULL AND v_sent + p_interval > v_now THEN
        RETURN v_sent + p_interval;
    END IF;
    v_recent := ARRAY(SELECT t FROM unnest(v_recent) AS t WHERE t > v_now - 1 ORDER BY t);
    IF cardinality(v_recent) >= p_limit THEN
        RETURN v_recent[cardinality(v_recent) - p_limit + 1] + 1;
    END IF;
    UPDATE send_pacing SET recent = v_recent || v_now WHERE chat_id = 0;
    IF p_chat IS NOT NULL AND p_chat <> 0 THEN
        INSERT INTO send_pacing (chat_id, next_at, sent_at)
        VALUES (p_chat, v_now + p_interval, v_now)
        ON CONFLICT (chat_id) DO UPDATE
        SET next_at = greatest(send_pacing.next_at, EXCLUDED.next_at), sent_at = v_now;
    END IF;
    RETURN 0;
END $$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    # UNLOGGED: no WAL, so no disk flush per booking; after a crash (or on a promoted
    # standby) the table starts empty, which only forgets slots already past.
    op.execute(
        "CREATE UNLOGGED TABLE send_pacing"
        " (chat_id bigint PRIMARY KEY, next_at double precision NOT NULL,"
        " recent double precision[] NOT NULL DEFAULT '{}', sent_at double precision)"
    )
    op.execute("INSERT INTO send_pacing (chat_id, next_at) VALUES (0, 0)")
    op.execute(RESERVE)
    op.execute(SENDING)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP FUNCTION send_pacing_sending(bigint, double precision, integer)")
    op.execute("DROP FUNCTION send_pacing_reserve(bigint, double precision, double precision)")
    op.execute("DROP TABLE send_pacing")
