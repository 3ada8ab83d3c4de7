-- shep-sink: the inbox of a test receiver. One row per message applied;
-- the primary key is what makes at-least-once delivery apply exactly once.
-- The advisory lock lets several sinks set up one database at the same time.
SELECT pg_advisory_xact_lock (7701);

CREATE TABLE IF NOT EXISTS inbox (
    message_id      text PRIMARY KEY,
    correlation_id  text NOT NULL DEFAULT '',
    sender_id       text NOT NULL DEFAULT '',
    service_id      text NOT NULL DEFAULT '',
    payload_type    text NOT NULL DEFAULT '',
    payload         bytea NOT NULL DEFAULT '\x',
    receiver_id     text NOT NULL DEFAULT '',    -- the sink (--id) that applied it
    attempt         integer NOT NULL DEFAULT 1,  -- the delivery attempt that applied it
    received_at     timestamptz NOT NULL DEFAULT now()
);
