-- Builds CI reported, through the API or a GitHub webhook; one row per
-- (service, commit, image tag), the newest report winning.
CREATE TABLE builds (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    service      TEXT NOT NULL,
    branch       TEXT NOT NULL,
    sha          TEXT NOT NULL,
    image_tag    TEXT NOT NULL,
    result       TEXT NOT NULL, -- success, failure
    finished_at  BIGINT NOT NULL,
    received_at  BIGINT NOT NULL,
    reported_by  TEXT NOT NULL,
    UNIQUE (service, sha, image_tag)
);
CREATE INDEX builds_by_branch ON builds (service, branch, result, finished_at);

-- GitHub deliveries already handled, so a redelivery changes nothing.
CREATE TABLE webhook_deliveries (
    delivery     TEXT PRIMARY KEY,
    event        TEXT NOT NULL,
    received_at  BIGINT NOT NULL
);
CREATE INDEX webhook_deliveries_at ON webhook_deliveries (received_at);

-- Default-branch commits on their way to prod. `position` is the commit's
-- place in the branch's first-parent history (larger is newer).
CREATE TABLE pipeline_commits (
    service       TEXT NOT NULL,
    sha           TEXT NOT NULL,
    position      BIGINT NOT NULL,
    author        TEXT NOT NULL,
    message       TEXT NOT NULL,
    committed_at  BIGINT NOT NULL,
    pushed_at     BIGINT NOT NULL,
    stage         TEXT NOT NULL,
    stage_at      BIGINT NOT NULL,
    built_at      BIGINT, -- its build finished
    deploy_started_at BIGINT,
    deploy_ended_at   BIGINT,
    image_tag     TEXT,
    note          TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (service, sha)
);
CREATE INDEX pipeline_commits_by_position ON pipeline_commits (service, position);

-- Every change of the image an environment runs for a service.
CREATE TABLE releases (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    service       TEXT NOT NULL,
    environment   TEXT NOT NULL,
    sha           TEXT NOT NULL,
    image_tag     TEXT NOT NULL,
    started_at    BIGINT NOT NULL,
    finished_at   BIGINT,
    outcome       TEXT NOT NULL, -- deploying, deployed, failed, superseded
    trigger_kind  TEXT NOT NULL, -- build, person, backfill
    triggered_by  TEXT NOT NULL,
    committed_at  BIGINT
);
CREATE INDEX releases_by_time ON releases (environment, started_at);
CREATE INDEX releases_by_service ON releases (service, environment, started_at);
-- The releases still deploying, looked at every half second.
CREATE INDEX releases_open ON releases (id) WHERE outcome = 'deploying';
