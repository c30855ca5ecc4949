-- Shipped: never edit; add a new numbered file instead (see bot/storage/database.py).
-- Talking to a person (bot/handoff/). A `handoffs` row is one conversation between a user and
-- the team: 'asking' while the bot waits for the user's message, then 'open', then 'closed'
-- (by the user, staff, the idle timeout, or because the user blocked the bot). At most one in
-- progress per user. `handoff_messages` holds every message of it in both directions; a
-- message with delivery 'pending' is the outbox (retried until it gets through), and
-- (staff_chat_id, staff_message_id) maps a message of the staff chat back to its conversation,
-- so a staff reply to a message posted before a restart still finds its user. Both hold the
-- user's id: /mydata, /forget and the retention purge cover them.

CREATE TABLE handoffs (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id           INTEGER NOT NULL,
    language          TEXT NOT NULL,
    user_name         TEXT NOT NULL,
    username          TEXT,
    status            TEXT NOT NULL CHECK (status IN ('asking', 'open', 'closed')),
    opened_at         TEXT NOT NULL,
    last_activity_at  TEXT NOT NULL,
    closed_at         TEXT,
    closed_by         TEXT CHECK (closed_by IN ('user', 'staff', 'idle', 'blocked')),
    first_answer_at   TEXT,
    first_answered_by INTEGER
);
CREATE UNIQUE INDEX handoffs_one_in_progress ON handoffs (user_id)
    WHERE status IN ('asking', 'open');
CREATE INDEX handoffs_user_id ON handoffs (user_id);
CREATE INDEX handoffs_last_activity_at ON handoffs (last_activity_at);

CREATE TABLE handoff_messages (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    handoff_id       INTEGER NOT NULL REFERENCES handoffs (id) ON DELETE CASCADE,
    direction        TEXT NOT NULL CHECK (direction IN ('user', 'staff')),
    author_id        INTEGER NOT NULL,
    text             TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    delivery         TEXT NOT NULL DEFAULT 'pending'
                     CHECK (delivery IN ('pending', 'delivered', 'failed')),
    staff_chat_id    INTEGER,
    staff_message_id INTEGER
);
CREATE INDEX handoff_messages_handoff_id ON handoff_messages (handoff_id);
CREATE INDEX handoff_messages_pending ON handoff_messages (delivery)
    WHERE delivery = 'pending';
CREATE UNIQUE INDEX handoff_messages_staff_message
    ON handoff_messages (staff_chat_id, staff_message_id);
