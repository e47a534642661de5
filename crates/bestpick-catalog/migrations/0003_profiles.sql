-- Culling profiles (issue 12): the profiles the photographer made or imported (the presets are
-- built into the program and are not stored here unless edited), and what each profile learned
-- from the photographer's own picks. Times are Unix milliseconds (UTC), as in 0001.
--
-- Nothing here is ever sent anywhere: learning happens on the machine, and no image, path or
-- name is kept in `preferences`, only a few numbers per frame of a decided group.

-- One row per profile: its TOML text, as the photographer can read and edit it.
CREATE TABLE profiles (
    name       TEXT    PRIMARY KEY,
    toml       TEXT    NOT NULL,
    updated_at INTEGER NOT NULL
);

-- One row per decided group and profile: the group's frames as taste sees them (traits and
-- penalties), the suggestion and the photographer's choice, as JSON written and read by the
-- caller. A new decision on the same group replaces the row (the last word counts). Learning
-- belongs to the profile, not to the shoot: forgetting a shoot keeps it; resetting the profile
-- deletes it.
CREATE TABLE preferences (
    profile    TEXT    NOT NULL,
    shoot_id   INTEGER NOT NULL,
    group_key  TEXT    NOT NULL,
    data_json  TEXT    NOT NULL,
    decided_at INTEGER NOT NULL,
    PRIMARY KEY (profile, shoot_id, group_key)
);
