-- Shipped: never edit; add a new numbered file instead (see bot/storage/database.py).
-- Each user's conversation state gets a table of its own, keyed by user id. It used to be the
-- `user_data` rows of a generic `persistence` table (kind, key, data) laid out for PTB's
-- persistence, whose other kinds (chat_data, conversations) nothing ever wrote; /mydata and
-- /forget had to search those too. The user_data rows are kept; anything else is dropped.
CREATE TABLE conversation_states (
    user_id    INTEGER PRIMARY KEY,
    data       TEXT NOT NULL CHECK (json_valid(data)),
    updated_at TEXT NOT NULL
);

INSERT INTO conversation_states (user_id, data, updated_at)
    SELECT CAST(key AS INTEGER), data, updated_at FROM persistence
    WHERE kind = 'user_data' AND key <> '' AND key NOT GLOB '*[^0-9]*';

DROP TABLE persistence;
