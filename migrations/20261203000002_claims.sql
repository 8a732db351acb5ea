-- A person's claim on Dev (all of it, or some services) for a purpose and
-- a time: others are asked to confirm before changing what it covers.
CREATE TABLE claims (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    environment TEXT NOT NULL,
    services    TEXT NOT NULL,   -- comma-separated; empty: the whole environment
    purpose     TEXT NOT NULL,
    claimed_by  TEXT NOT NULL,
    claimed_at  BIGINT NOT NULL,
    ends_at     BIGINT NOT NULL,
    ended_by    TEXT,
    ended_at    BIGINT
);
CREATE INDEX claims_open ON claims (environment) WHERE ended_at IS NULL;
