-- Each sandbox's model-proxy token, kept only as a SHA-256; revoked with the sandbox.
CREATE TABLE sandbox_tokens (
    sandbox_id  TEXT PRIMARY KEY NOT NULL,
    token_hash  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    revoked_at  TEXT
);

-- Tokens metered by the model proxy, per sandbox, model and UTC day.
CREATE TABLE usage_daily (
    day                     TEXT NOT NULL,
    sandbox_id              TEXT NOT NULL,
    model                   TEXT NOT NULL,
    requests                INTEGER NOT NULL DEFAULT 0,
    input_tokens            INTEGER NOT NULL DEFAULT 0,
    output_tokens           INTEGER NOT NULL DEFAULT 0,
    cache_creation_tokens   INTEGER NOT NULL DEFAULT 0,
    cache_read_tokens       INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (day, sandbox_id, model)
);
