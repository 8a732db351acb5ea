-- Local sign-in sessions, kept on the server so signing out (here or
-- everywhere) ends a session even if someone kept a copy of its cookie.
-- Only a SHA-256 of each session id is kept.
CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY,
    user_name TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    revoked_at INTEGER
);
CREATE INDEX sessions_user ON sessions (user_name);

-- API tokens expire. Tokens made before expiry existed get 90 days from
-- their creation, the default for new ones.
ALTER TABLE api_tokens ADD COLUMN expires_at INTEGER;
UPDATE api_tokens SET expires_at = created_at + 90 * 86400;
