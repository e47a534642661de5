-- bestpick catalog, first schema. Shipped migrations are never edited: add 0002_*.sql instead.
-- Times are Unix milliseconds (UTC). Sizes are bytes. mtime_ns is the file's modification time
-- in nanoseconds since the Unix epoch, as the scanner saw it.

-- One row per folder the photographer opened. `root` is stored exactly as the caller gave it
-- (the caller canonicalizes), so the same folder always maps to the same shoot.
CREATE TABLE shoots (
    id             INTEGER PRIMARY KEY,
    root           TEXT    NOT NULL UNIQUE,
    created_at     INTEGER NOT NULL,
    last_opened_at INTEGER NOT NULL
);

-- Files of a shoot. Rows are never deleted when a file disappears from disk: the decisions made
-- on it stay until the whole shoot is forgotten.
CREATE TABLE photos (
    id       INTEGER PRIMARY KEY,
    shoot_id INTEGER NOT NULL REFERENCES shoots (id) ON DELETE CASCADE,
    rel_path TEXT    NOT NULL,
    size     INTEGER NOT NULL CHECK (size >= 0),
    mtime_ns INTEGER NOT NULL,
    UNIQUE (shoot_id, rel_path)
);

-- Cached analyses: opaque blobs serialized by the caller. A row is valid only while `version`,
-- `size` and `mtime_ns` match the analysis code version and the photo's current file.
CREATE TABLE analyses (
    photo_id    INTEGER PRIMARY KEY REFERENCES photos (id) ON DELETE CASCADE,
    version     INTEGER NOT NULL,
    size        INTEGER NOT NULL,
    mtime_ns    INTEGER NOT NULL,
    data        BLOB    NOT NULL,
    analyzed_at INTEGER NOT NULL
);

-- The photographer's decisions, kept apart from analyses so re-analysis never touches them.
CREATE TABLE decisions (
    photo_id   INTEGER PRIMARY KEY REFERENCES photos (id) ON DELETE CASCADE,
    flag       TEXT    NOT NULL DEFAULT 'none' CHECK (flag IN ('none', 'pick', 'reject')),
    stars      INTEGER NOT NULL DEFAULT 0 CHECK (stars BETWEEN 0 AND 5),
    label      TEXT    NULL CHECK (label IN ('red', 'yellow', 'green', 'blue', 'purple')),
    updated_at INTEGER NOT NULL
);

-- Undo/redo history of user actions. One action (one `decide` call) is one `action_id` with a row
-- per photo it touched. `before_json` is JSON `null` when the photo had no decision row yet.
-- `undone` = 1 marks actions on the redo stack; they always form the newest actions of a shoot
-- and are dropped when a new action is recorded.
CREATE TABLE decision_log (
    id          INTEGER PRIMARY KEY,
    shoot_id    INTEGER NOT NULL REFERENCES shoots (id) ON DELETE CASCADE,
    action_id   INTEGER NOT NULL,
    photo_id    INTEGER NOT NULL REFERENCES photos (id) ON DELETE CASCADE,
    before_json TEXT    NOT NULL,
    after_json  TEXT    NOT NULL,
    undone      INTEGER NOT NULL DEFAULT 0 CHECK (undone IN (0, 1)),
    at          INTEGER NOT NULL
);
CREATE INDEX decision_log_by_shoot_action ON decision_log (shoot_id, action_id);
CREATE INDEX decision_log_by_photo ON decision_log (photo_id);

-- Small key/value store for front-end preferences.
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
