-- The indexed git history of the GitOps files, so pages never run `git log`.

CREATE TABLE repository_heads (
    repository  TEXT PRIMARY KEY,
    head        TEXT NOT NULL,
    indexed_at  BIGINT NOT NULL
);

CREATE TABLE commits (
    repository    TEXT NOT NULL,
    sha           TEXT NOT NULL,
    author_name   TEXT NOT NULL,
    author_email  TEXT NOT NULL,
    committed_at  BIGINT NOT NULL,
    subject       TEXT NOT NULL,
    PRIMARY KEY (repository, sha)
);

-- One row per service whose branch changed in an environment file commit;
-- ids grow with history, oldest first.
CREATE TABLE environment_changes (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    repository   TEXT NOT NULL,
    file         TEXT NOT NULL,
    service      TEXT NOT NULL,
    from_branch  TEXT,
    to_branch    TEXT,
    sha          TEXT NOT NULL
);
CREATE INDEX environment_changes_by_file ON environment_changes (repository, file, id);

CREATE TABLE sandbox_changes (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    repository  TEXT NOT NULL,
    file        TEXT NOT NULL,
    action      TEXT NOT NULL, -- created, updated, deleted
    sha         TEXT NOT NULL
);
CREATE INDEX sandbox_changes_by_file ON sandbox_changes (repository, file, id);
