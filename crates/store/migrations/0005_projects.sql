-- Imported repositories. `status` is 'importing' only while the mirror is being cloned; a failed
-- import removes the row (nothing half-imported remains), and a server that died mid-import
-- removes leftovers at start.
CREATE TABLE projects (
    id              TEXT PRIMARY KEY NOT NULL,
    name            TEXT NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('forge','url','local')),
    owner           TEXT,
    repo            TEXT,
    clone_url       TEXT NOT NULL,
    default_branch  TEXT NOT NULL,
    private         INTEGER NOT NULL DEFAULT 0,
    shallow         INTEGER NOT NULL DEFAULT 0,
    status          TEXT NOT NULL CHECK (status IN ('importing','ready')),
    detected        TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE UNIQUE INDEX projects_clone_url ON projects (clone_url);

-- Pull requests AnyCode opened (or learned about through the webhook) for a project.
CREATE TABLE pull_requests (
    project_id      TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    number          INTEGER NOT NULL,
    sandbox_id      TEXT,
    title           TEXT NOT NULL,
    url             TEXT NOT NULL,
    head            TEXT NOT NULL,
    base            TEXT NOT NULL,
    head_sha        TEXT,
    state           TEXT NOT NULL CHECK (state IN ('open','closed','merged')),
    draft           INTEGER NOT NULL DEFAULT 0,
    mergeable       INTEGER,
    conflicts       TEXT NOT NULL DEFAULT '[]',
    checks          TEXT,
    merge_sha       TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    PRIMARY KEY (project_id, number)
);

-- A sandbox made for a project works on its own branch, started from `base_sha`.
ALTER TABLE sandboxes ADD COLUMN project_id TEXT REFERENCES projects(id);
ALTER TABLE sandboxes ADD COLUMN branch TEXT;
ALTER TABLE sandboxes ADD COLUMN base_ref TEXT;
ALTER TABLE sandboxes ADD COLUMN base_sha TEXT;
