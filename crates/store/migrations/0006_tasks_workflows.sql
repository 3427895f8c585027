-- Tasks: a prompt for a project, run unattended (or interactively) in its own sandbox.
CREATE TABLE tasks (
    id              TEXT PRIMARY KEY NOT NULL,
    project_id      TEXT NOT NULL,
    type            TEXT NOT NULL CHECK (type IN ('feature','bugfix','refactor','review','custom')),
    title           TEXT NOT NULL,
    prompt          TEXT NOT NULL,
    base_branch     TEXT NOT NULL,
    target_branch   TEXT NOT NULL,
    auto_pr         INTEGER NOT NULL DEFAULT 0,
    mode            TEXT NOT NULL CHECK (mode IN ('headless','interactive')),
    priority        INTEGER NOT NULL DEFAULT 0,
    status          TEXT NOT NULL CHECK (status IN ('pending','queued','running','completed','failed','cancelled')),
    phase           TEXT,
    progress        INTEGER NOT NULL DEFAULT 0,
    wait_reason     TEXT,
    sandbox_id      TEXT,
    run_id          TEXT,
    session_id      TEXT,
    attempt         INTEGER NOT NULL DEFAULT 0,
    max_attempts    INTEGER NOT NULL DEFAULT 3,
    timeout_secs    INTEGER NOT NULL,
    not_before      TEXT,
    error           TEXT,
    error_class     TEXT,
    result          TEXT,
    workflow_run_id TEXT,
    step_id         TEXT,
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    started_at      TEXT,
    finished_at     TEXT
);
CREATE INDEX tasks_status ON tasks (status, priority DESC, created_at);

CREATE TABLE task_logs (
    task_id     TEXT NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
    seq         INTEGER NOT NULL,
    at          TEXT NOT NULL,
    level       TEXT NOT NULL,
    message     TEXT NOT NULL,
    PRIMARY KEY (task_id, seq)
);

CREATE TABLE workflows (
    id          TEXT PRIMARY KEY NOT NULL,
    project_id  TEXT NOT NULL,
    name        TEXT NOT NULL,
    definition  TEXT NOT NULL,
    enabled     INTEGER NOT NULL DEFAULT 1,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

CREATE TABLE workflow_runs (
    id          TEXT PRIMARY KEY NOT NULL,
    workflow_id TEXT NOT NULL REFERENCES workflows(id) ON DELETE CASCADE,
    -- The definition as it was when the run started: editing the workflow does not change a run.
    definition  TEXT NOT NULL,
    trigger     TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('running','succeeded','failed','cancelled')),
    error       TEXT,
    created_at  TEXT NOT NULL,
    finished_at TEXT
);

CREATE TABLE workflow_steps (
    run_id      TEXT NOT NULL REFERENCES workflow_runs(id) ON DELETE CASCADE,
    step_id     TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('pending','running','waiting','succeeded','failed','skipped','cancelled')),
    task_id     TEXT,
    output      TEXT,
    error       TEXT,
    wait_until  TEXT,
    started_at  TEXT,
    finished_at TEXT,
    PRIMARY KEY (run_id, step_id)
);
