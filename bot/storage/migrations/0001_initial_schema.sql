-- Shipped: never edit; add a new numbered file instead (see bot/storage/database.py).
-- Initial schema. Leads keep a copy of the consent the user gave (GDPR: we must be able to
-- show which text they agreed to), so a consent outlives nothing but its lead: `/forget` and
-- `purge_older_than` delete the leads first, then their consents (ON DELETE RESTRICT stops a
-- consent from silently vanishing under a lead that still cites it).

CREATE TABLE user_settings (
    user_id    INTEGER PRIMARY KEY,
    language   TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE unanswered_questions (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id         INTEGER NOT NULL,
    text            TEXT NOT NULL,
    language        TEXT NOT NULL,
    best_score      REAL,
    best_intent     TEXT,
    created_at      TEXT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'open'
                    CHECK (status IN ('open', 'assigned', 'dismissed')),
    assigned_intent TEXT
);
CREATE INDEX unanswered_questions_created_at ON unanswered_questions (created_at);
CREATE INDEX unanswered_questions_user_id ON unanswered_questions (user_id);

CREATE TABLE consents (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id  INTEGER NOT NULL,
    version  TEXT NOT NULL,
    text     TEXT NOT NULL,
    given_at TEXT NOT NULL
);
CREATE INDEX consents_user_id ON consents (user_id);

CREATE TABLE leads (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    -- "W-000123", derived from id and set in the inserting transaction.
    reference         TEXT UNIQUE,
    -- Idempotency key of the confirmation: pressing Confirm twice stores one lead.
    submission_key    TEXT NOT NULL UNIQUE,
    user_id           INTEGER NOT NULL,
    cluster_id        TEXT NOT NULL,
    company_name      TEXT NOT NULL,
    -- casefolded, accents stripped, spaces collapsed: the 24 h duplicate rule's key.
    company_key       TEXT NOT NULL,
    enterprise_number TEXT,
    activity          TEXT NOT NULL,
    company_type      TEXT NOT NULL,
    location          TEXT NOT NULL,
    contact_name      TEXT NOT NULL,
    email             TEXT NOT NULL,
    phone             TEXT,
    language          TEXT NOT NULL,
    status            TEXT NOT NULL
                      CHECK (status IN ('new', 'contacted', 'qualified', 'member',
                                        'rejected')),
    consent_id        INTEGER NOT NULL REFERENCES consents (id) ON DELETE RESTRICT,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    -- NULL until staff were told; the retry loop picks these up.
    notified_at       TEXT
);
CREATE INDEX leads_created_at ON leads (created_at);
CREATE INDEX leads_status ON leads (status);
CREATE INDEX leads_cluster_id ON leads (cluster_id);
CREATE INDEX leads_user_id ON leads (user_id);
CREATE INDEX leads_consent_id ON leads (consent_id);
CREATE INDEX leads_duplicate_rule ON leads (company_key, cluster_id, created_at);

CREATE TABLE lead_history (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    lead_id    INTEGER NOT NULL REFERENCES leads (id) ON DELETE CASCADE,
    old_status TEXT,
    new_status TEXT,
    changed_by INTEGER,
    note       TEXT,
    changed_at TEXT NOT NULL
);
CREATE INDEX lead_history_lead_id ON lead_history (lead_id);

CREATE TABLE learned_examples (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    intent_id  TEXT NOT NULL,
    text       TEXT NOT NULL,
    language   TEXT NOT NULL,
    created_by INTEGER,
    created_at TEXT NOT NULL,
    UNIQUE (text, language)
);

-- per-user bot state (see the key format below and bot/storage/conversation_store.py).
CREATE TABLE persistence (
    kind       TEXT NOT NULL,
    key        TEXT NOT NULL,
    data       TEXT NOT NULL CHECK (json_valid(data)),
    updated_at TEXT NOT NULL,
    PRIMARY KEY (kind, key)
);
