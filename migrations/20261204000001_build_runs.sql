-- A tag must name one commit of a service: finding the commit a tag
-- already names is a lookup, not a scan of every build.
CREATE INDEX builds_by_tag ON builds (service, image_tag);

-- The CI run that built a commit of a default branch: its page and when it
-- started and finished, so /prod shows how long the build took and links
-- to its log. One row per commit (its latest run); kept 90 days.
CREATE TABLE build_runs (
    service      TEXT NOT NULL,
    sha          TEXT NOT NULL,
    url          TEXT,
    started_at   BIGINT,
    finished_at  BIGINT,
    recorded_at  BIGINT NOT NULL,
    PRIMARY KEY (service, sha)
);
CREATE INDEX build_runs_by_age ON build_runs (recorded_at);

-- A delivery is claimed before it is handled and marked handled once it
-- took effect; a claim left by a process that died is taken over by a
-- redelivery after a while. Rows from before were handled.
ALTER TABLE webhook_deliveries ADD COLUMN handled INTEGER NOT NULL DEFAULT 1;
