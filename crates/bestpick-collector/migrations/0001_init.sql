-- The collector's metadata in PostgreSQL (the deployment store, src/store/cloud/): the same
-- tables as the embedded SQLite store. Bundle bodies live in object storage under
-- bundles/<id>.sealed; a bundle exists when its row here is committed.
CREATE TABLE bundles (
    id TEXT PRIMARY KEY,
    state TEXT NOT NULL CHECK (state IN ('received', 'deleted')),
    receipt_hash TEXT NOT NULL,
    image_count BIGINT NOT NULL,
    received_at BIGINT NOT NULL
);
CREATE INDEX bundles_received_at ON bundles (received_at);

-- UNIQUE through the primary key: two instances given the same key race on this constraint.
CREATE TABLE idempotency_keys (
    key_hash TEXT PRIMARY KEY,
    bundle_id TEXT NOT NULL REFERENCES bundles (id) ON DELETE CASCADE,
    body_hash TEXT NOT NULL
);

CREATE TABLE dataset_uses (
    bundle_id TEXT NOT NULL REFERENCES bundles (id) ON DELETE CASCADE,
    dataset TEXT NOT NULL,
    used_at BIGINT NOT NULL,
    PRIMARY KEY (bundle_id, dataset)
);

CREATE TABLE export_files (
    bundle_id TEXT NOT NULL REFERENCES bundles (id) ON DELETE CASCADE,
    path TEXT NOT NULL
);
CREATE INDEX export_files_bundle ON export_files (bundle_id);

CREATE TABLE access_log (
    seq BIGSERIAL PRIMARY KEY,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL
);

CREATE TABLE operators (
    name TEXT PRIMARY KEY,
    token_sha256 TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL
);
