CREATE TABLE terminals (
    id          TEXT PRIMARY KEY NOT NULL,
    name        TEXT NOT NULL,
    command     TEXT NOT NULL,              -- JSON array of argv
    cwd         TEXT,
    cols        INTEGER NOT NULL,
    rows        INTEGER NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('running', 'exited')),
    exit_code   INTEGER,
    signal      INTEGER,
    sandbox_id  TEXT,
    created_at  TEXT NOT NULL,              -- RFC 3339 UTC
    updated_at  TEXT NOT NULL,
    closed_at   TEXT                        -- set when deleted; the recording stays
);
CREATE INDEX terminals_open ON terminals (closed_at, created_at);
