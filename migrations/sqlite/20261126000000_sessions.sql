-- Browser sessions (tower-sessions' record model). Only a hash of the
-- session id is stored, so a copy of the database cannot hijack sessions.
CREATE TABLE sessions (
    id_hash     BLOB PRIMARY KEY NOT NULL,
    data        BLOB NOT NULL,
    expires_at  INTEGER NOT NULL -- unix seconds, UTC
) STRICT;

CREATE INDEX sessions_expires_at ON sessions (expires_at);
