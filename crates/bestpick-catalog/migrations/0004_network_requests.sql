-- The network log (issue 14): every request the contribution client made, so anyone can check
-- what bestpick sent, where and when. Nothing else in bestpick opens a connection.
--
-- A row is written before the request leaves (so a crash or a kill mid-request still shows
-- it, with no end) and completed when it ends, failed requests included. Nothing secret:
-- no receipt tokens, keys or bundle contents, and no address beyond the collector's origin.
-- Times are Unix milliseconds (UTC), as everywhere in the catalog.
CREATE TABLE network_requests (
    id             INTEGER PRIMARY KEY,
    started_at     INTEGER NOT NULL,
    -- The collector's origin: scheme://host[:port].
    collector      TEXT    NOT NULL,
    method         TEXT    NOT NULL,
    -- What for, in words: "fetch the collector key", "upload bundle <anonymous id>", …
    purpose        TEXT    NOT NULL,
    -- 1 for the first try; retries of the same request count up.
    attempt        INTEGER NOT NULL CHECK (attempt >= 1),
    -- Body bytes sent (headers not counted).
    bytes_sent     INTEGER NOT NULL CHECK (bytes_sent >= 0),
    -- NULL until the request ended (and forever when the process died during it).
    finished_at    INTEGER NULL,
    -- Body bytes received.
    bytes_received INTEGER NULL CHECK (bytes_received >= 0),
    -- The HTTP status when the collector answered.
    status         INTEGER NULL,
    -- Why it failed (a transport error or the collector's message).
    error          TEXT    NULL
);
