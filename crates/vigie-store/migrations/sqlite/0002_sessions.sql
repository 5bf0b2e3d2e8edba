-- Dashboard sessions: a signed-in agent's browser holds a random session secret in a
-- cookie; the store keeps its SHA-256 only, the token it was opened with (so revoking the
-- token ends its sessions), the form (CSRF) secret and the expiry.
CREATE TABLE sessions (
    session_hash TEXT PRIMARY KEY,
    token_hash   TEXT NOT NULL,
    csrf         TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    expires_at   TEXT NOT NULL
);
CREATE INDEX sessions_expiry ON sessions (expires_at);
