-- Sharing environments: locks, freeze windows and broken glass. Rows are
-- ended, never deleted, so the page and the audit log can say who lifted
-- what and when.

-- A lock on an environment, or on one service in it (service not NULL).
CREATE TABLE locks (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    environment TEXT NOT NULL,
    service     TEXT,
    reason      TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    ends_at     BIGINT,          -- NULL: until lifted by hand
    lifted_by   TEXT,
    lifted_at   BIGINT
);
CREATE INDEX locks_open ON locks (environment) WHERE lifted_at IS NULL;

-- A freeze window in a time zone's wall-clock time: one-off
-- ('2026-12-24 18:00') or weekly ('Fri 18:00'). environment NULL: all.
CREATE TABLE freezes (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    environment TEXT,
    weekly      BOOLEAN NOT NULL,
    starts      TEXT NOT NULL,
    ends        TEXT NOT NULL,
    time_zone   TEXT NOT NULL,
    reason      TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    lifted_by   TEXT,
    lifted_at   BIGINT
);

-- A write an admin let through a lock or a freeze, with why.
CREATE TABLE glass_breaks (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    environment TEXT NOT NULL,
    actor       TEXT NOT NULL,
    reason      TEXT NOT NULL,
    what        TEXT NOT NULL,   -- the write it let through
    held_by     TEXT NOT NULL,   -- the lock or freeze it went around
    at          BIGINT NOT NULL
);
CREATE INDEX glass_breaks_at ON glass_breaks (at);
