-- The central gateway's own database (ЭҮШ): async store-and-forward queue,
-- routing tables and the message log. Applied by the gateway at start; idempotent.

-- Every participant that ever said hello: async messages to it are stored
-- while it is away.
CREATE TABLE IF NOT EXISTS participant (
    participant_id  text PRIMARY KEY,
    first_seen      timestamptz NOT NULL DEFAULT now(),
    last_hello      timestamptz NOT NULL DEFAULT now()
);

-- Which participant receives async messages for a service id (the latest to
-- announce it), so a message can wait for a provider that is down.
CREATE TABLE IF NOT EXISTS service_route (
    service_id      text PRIMARY KEY,
    participant_id  text NOT NULL REFERENCES participant,
    updated_at      timestamptz NOT NULL DEFAULT now()
);

-- Routing by route id: a region's KATO code to the regional gateway (ЭҮӨШ)
-- serving it. Filled when a regional gateway announces its routes; rows can
-- also be added by hand to pre-route a region before its gateway first runs.
CREATE TABLE IF NOT EXISTS route (
    route_id        text PRIMARY KEY,
    participant_id  text NOT NULL REFERENCES participant,
    updated_at      timestamptz NOT NULL DEFAULT now()
);

-- The async channel: a message is here, committed, before its sender hears
-- ON_DELIVERY.
CREATE TABLE IF NOT EXISTS async_message (
    seq             bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    message_id      text PRIMARY KEY,
    sender_id       text NOT NULL,
    recipient_id    text NOT NULL,
    service_id      text NOT NULL,
    correlation_id  text NOT NULL,
    envelope        bytea NOT NULL,
    status          text NOT NULL DEFAULT 'ON_DELIVERY'
                    CHECK (status IN ('ON_DELIVERY', 'DELIVERED', 'NOT_DELIVERED', 'DELIVERY_STOPPED')),
    accepted_at     timestamptz NOT NULL DEFAULT now(),
    expires_at      timestamptz NOT NULL,
    finished_at     timestamptz,
    attempts        integer NOT NULL DEFAULT 0,
    error_code      text,
    error_message   text
);
-- A message of a few kilobytes stays in its row as it is: compressing each one (TOAST's
-- default past 2 kB) cost more CPU than the disk it saved
ALTER TABLE async_message SET (toast_tuple_target = 8160);
CREATE INDEX IF NOT EXISTS async_message_pending
    ON async_message (recipient_id, seq) WHERE status = 'ON_DELIVERY';
CREATE INDEX IF NOT EXISTS async_message_expiry
    ON async_message (expires_at) WHERE status = 'ON_DELIVERY';

-- The one simulation clock (a single row): simulated time =
-- base_sim_ms + (wall - base_wall_ms) * speed. Kept so a restart keeps it.
CREATE TABLE IF NOT EXISTS sim_clock (
    id              integer PRIMARY KEY CHECK (id = 1),
    base_wall_ms    bigint NOT NULL,
    base_sim_ms     bigint NOT NULL,
    speed           double precision NOT NULL CHECK (speed >= 0),
    version         bigint NOT NULL,
    changed_by      text NOT NULL,
    changed_at      timestamptz NOT NULL DEFAULT now ()
);

-- The message log: every envelope crossing the gateway, both channels, with a
-- hash chain (hash = HMAC-SHA-256, keyed from the gateway's secret key, over the
-- record and the previous hash) so that an edited or deleted record shows, and
-- rewriting the chain after it takes the gateway's key.
CREATE TABLE IF NOT EXISTS message_log (
    seq             bigint PRIMARY KEY,
    logged_at_us    bigint NOT NULL,        -- wall time, microseconds since the epoch
    sim_at_us       bigint NOT NULL,        -- simulated time, microseconds since the epoch
    channel         text NOT NULL,          -- sync | async
    sender_id       text NOT NULL,
    recipient_id    text NOT NULL,
    service_id      text NOT NULL,
    message_type    integer NOT NULL,
    message_id      text NOT NULL,
    correlation_id  text NOT NULL,
    payload_size    integer NOT NULL,
    payload_sha256  bytea NOT NULL,
    note            text NOT NULL,
    prev_hash       bytea NOT NULL,
    hash            bytea NOT NULL
);
-- One index beyond the key: every record costs a B-tree insert per index, and
-- the log takes two records per sync call. Reading by correlation id is what
-- integrators do; filters by participant or time scan in seq order.
CREATE INDEX IF NOT EXISTS message_log_correlation ON message_log (correlation_id, seq);

-- The first record chained with the gateway's key; records before it (a log
-- kept before the chain was keyed) are plain SHA-256. One row.
CREATE TABLE IF NOT EXISTS log_chain (
    keyed_from      bigint NOT NULL,
    mac             bytea NOT NULL          -- HMAC of keyed_from under the chain's key
);
