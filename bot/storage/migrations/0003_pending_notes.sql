-- Shipped: never edit; add a new numbered file instead (see bot/storage/database.py).
-- The note a staff member was asked for ("Add a note" on a lead card: their next text
-- message in that chat is the note), so a restart in between does not turn the note into a
-- question (bot/staff/notes.py). One row per staff member, deleted once 30 minutes old. No
-- foreign key to leads: a lead erased meanwhile is reported when the note arrives. It holds
-- the staff member's id, so /mydata and /forget cover it.

CREATE TABLE pending_notes (
    user_id INTEGER PRIMARY KEY,
    chat_id INTEGER NOT NULL,
    lead_id INTEGER NOT NULL,
    since   TEXT NOT NULL
);
