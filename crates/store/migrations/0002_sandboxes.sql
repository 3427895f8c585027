CREATE TABLE sandboxes (
    id              TEXT PRIMARY KEY NOT NULL,
    name            TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('pending','creating','ready','running','paused','stopped','destroyed','failed')),
    failure_reason  TEXT,
    driver          TEXT NOT NULL,
    image           TEXT NOT NULL,
    runtime_id      TEXT,
    cpus            REAL NOT NULL,
    memory_mb       INTEGER NOT NULL,
    pids            INTEGER NOT NULL,
    network         TEXT NOT NULL CHECK (network IN ('none','bridge')),
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    last_active_at  TEXT NOT NULL,
    destroyed_at    TEXT
);
-- Names are unique among sandboxes that still exist.
CREATE UNIQUE INDEX sandboxes_live_name ON sandboxes (name) WHERE status != 'destroyed';
