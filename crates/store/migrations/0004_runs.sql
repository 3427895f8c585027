-- Headless Claude runs (`claude -p --output-format stream-json`) and their typed event logs.
CREATE TABLE runs (
    id            TEXT PRIMARY KEY NOT NULL,
    sandbox_id    TEXT NOT NULL,
    terminal_id   TEXT NOT NULL,
    prompt        TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('running', 'completed', 'failed')),
    session_id    TEXT,
    result        TEXT,            -- JSON of the final `result` event
    created_at    TEXT NOT NULL,
    finished_at   TEXT
);
CREATE TABLE run_events (
    run_id   TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    seq      INTEGER NOT NULL,
    kind     TEXT NOT NULL,        -- init | assistant_text | tool_use | tool_result | result | other
    event    TEXT NOT NULL,        -- the raw JSON line
    PRIMARY KEY (run_id, seq)
);
