-- Previewed plans, waiting for apply. `sealed` is the AES-256-GCM sealed
-- draft (it may hold secret values); emptied once applied.
CREATE TABLE plans (
    id TEXT PRIMARY KEY NOT NULL,
    owner_hash BLOB NOT NULL,
    kind TEXT NOT NULL,
    view TEXT NOT NULL,
    sealed BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    applied_at INTEGER
);
CREATE INDEX plans_expires_at ON plans (expires_at);

-- Audit records: events (a preview), and for applies an intent before the first write and an
-- outcome after the last, linked by `intent_id`. Secret values never
-- appear: diffs are redacted before they are stored.
CREATE TABLE audit_records (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    groups TEXT NOT NULL,
    action TEXT NOT NULL,
    phase TEXT NOT NULL CHECK (phase IN ('intent', 'outcome', 'event')),
    intent_id INTEGER REFERENCES audit_records (id),
    plan_id TEXT,
    targets TEXT NOT NULL,
    summary TEXT NOT NULL,
    detail TEXT NOT NULL,
    outcome TEXT,
    correlation_id TEXT
);
