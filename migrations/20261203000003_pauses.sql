-- Automation paused for one service of an environment (after a rollback):
-- newer builds are listed but not deployed until someone resumes it.
CREATE TABLE automation_pauses (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    environment TEXT NOT NULL,
    service     TEXT NOT NULL,
    reason      TEXT NOT NULL,
    paused_by   TEXT NOT NULL,
    paused_at   BIGINT NOT NULL,
    resumed_by  TEXT,
    resumed_at  BIGINT
);
CREATE UNIQUE INDEX automation_pauses_open ON automation_pauses (environment, service)
    WHERE resumed_at IS NULL;
