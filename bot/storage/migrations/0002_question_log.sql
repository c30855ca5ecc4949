-- Shipped: never edit; add a new numbered file instead (see bot/storage/database.py).
-- An anonymous count of every question asked (intent and outcome, no text, no user), so
-- staff statistics can give questions per intent and the share not understood over all
-- traffic; holding nothing personal, it is not touched by /forget.

CREATE TABLE question_log (
    id         INTEGER PRIMARY KEY,
    intent     TEXT,
    language   TEXT NOT NULL,
    outcome    TEXT NOT NULL CHECK (outcome IN ('answered', 'unsure', 'not_understood')),
    created_at TEXT NOT NULL
);
CREATE INDEX question_log_created_at ON question_log (created_at);
