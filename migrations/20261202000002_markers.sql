-- Deploy markers: one row per prod release and configured sink, sent in
-- the background and retried with backoff; the payload is made when the
-- release ends, so a restart sends the same thing.
CREATE TABLE deploy_markers (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    release_id  BIGINT NOT NULL,
    sink        TEXT NOT NULL,
    service     TEXT NOT NULL,
    image_tag   TEXT NOT NULL,
    payload     TEXT NOT NULL,
    state       TEXT NOT NULL, -- pending, sent, failed
    attempts    INTEGER NOT NULL DEFAULT 0,
    next_at     BIGINT NOT NULL,
    last_error  TEXT NOT NULL DEFAULT '',
    created_at  BIGINT NOT NULL,
    sent_at     BIGINT
);
CREATE INDEX deploy_markers_due ON deploy_markers (next_at) WHERE state = 'pending';
