-- The contributor's own records of the opt-in dataset contribution (issue 5): the consents
-- given and the bundles built. Times are Unix milliseconds (UTC), as in 0001.
--
-- Nothing here is secret and nothing here is ever sent. Receipt tokens, idempotency keys and
-- the staged bundles stay encrypted in the contribution vault (bestpick-share); they are never
-- stored in these tables. Neither table refers to photos: which files went into a bundle is
-- not recorded here.

-- One row per consent given, in the order given (`id`). A consent stays in force until
-- `withdrawn_at` is set; withdrawal marks every open consent at once.
CREATE TABLE consents (
    id                             INTEGER PRIMARY KEY,
    terms_version                  INTEGER NOT NULL CHECK (terms_version >= 1),
    accepted_at                    INTEGER NOT NULL,
    -- The contributor said they are 13–17 and a parent or guardian gave permission.
    minor_with_parental_permission INTEGER NOT NULL CHECK (minor_with_parental_permission IN (0, 1)),
    -- Optional self-declared buckets sent with each bundle, as a JSON object written and read by
    -- the caller (the catalog does not interpret it).
    buckets_json                   TEXT    NOT NULL,
    withdrawn_at                   INTEGER NULL
);

-- One row per bundle built, in the order built (`id`), keyed by the bundle's single-use
-- anonymous id. The row is rewritten as the bundle moves from staged to received, deleted or
-- discarded.
CREATE TABLE contributions (
    id            INTEGER PRIMARY KEY,
    anonymous_id  TEXT    NOT NULL UNIQUE,
    collector     TEXT    NOT NULL,
    -- Assigned by the collector once it confirmed the upload.
    bundle_id     TEXT    NULL,
    image_count   INTEGER NOT NULL CHECK (image_count >= 0),
    created_at    INTEGER NOT NULL,
    sent_at       INTEGER NULL,
    state         TEXT    NOT NULL
                  CHECK (state IN ('staged', 'received', 'deleted', 'discarded')),
    -- Datasets that used the bundle, as last reported by the collector: a JSON array of strings.
    datasets_json TEXT    NOT NULL DEFAULT '[]',
    -- Last problem (failed upload, unreachable collector), for status displays.
    last_error    TEXT    NULL
);
