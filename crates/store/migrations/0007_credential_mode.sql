-- How a sandbox's processes reach the model: 'proxy' (the model proxy swaps in the credential on
-- the host; the sandbox holds only its own token) or 'direct' (the real credential is put into
-- each process's environment when it starts; never stored anywhere, this column included).
ALTER TABLE sandboxes ADD COLUMN credential_mode TEXT NOT NULL DEFAULT 'proxy'
    CHECK (credential_mode IN ('proxy', 'direct'));
