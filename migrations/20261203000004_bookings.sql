-- A project's booking of a Stg environment for a range of days (both
-- inclusive, `YYYY-MM-DD` in the configured time zone). Cancelled rows
-- stay, so the audit log and the calendar agree on who had what.
CREATE TABLE bookings (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    environment  TEXT NOT NULL,
    project      TEXT NOT NULL,
    pairs        TEXT NOT NULL,   -- `service=branch` per line
    first_day    TEXT NOT NULL,
    last_day     TEXT NOT NULL,
    booked_by    TEXT NOT NULL,
    booked_at    BIGINT NOT NULL,
    cancelled_by TEXT,
    cancelled_at BIGINT
);
CREATE INDEX bookings_open ON bookings (environment, last_day) WHERE cancelled_at IS NULL;

-- Notifications of sharing events ride the deploy markers' queue with no
-- release; each is queued once per sink and key.
CREATE INDEX deploy_markers_notices ON deploy_markers (sink, image_tag) WHERE release_id = 0;
