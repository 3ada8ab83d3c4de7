-- The participant side of the gateway's durable channel, the same tables in
-- every service's database (gateway/client/shep_participant.c owns them).
-- Idempotent: applied at every start.

-- Messages to send, written in the transaction of the effect that caused
-- them; the engine submits them in seq order, one at a time per recipient.
CREATE TABLE IF NOT EXISTS shep_outbox (
    seq             bigserial PRIMARY KEY,
    sender          text NOT NULL,              -- the participant sending it (several may share a database)
    message_id      text NOT NULL UNIQUE,
    recipient       text NOT NULL,              -- the order key: recipient id or "route:<id>"
    service_id      text NOT NULL,
    correlation_id  text NOT NULL,
    envelope        bytea NOT NULL,             -- the packed egov.Envelope
    ttl_ms          bigint NOT NULL DEFAULT 0,  -- 0: the gateway's default
    created_at      timestamptz NOT NULL DEFAULT clock_timestamp (),
    sent_at         timestamptz,                -- the gateway committed it
    delivery_status text,                       -- what the gateway said then
    failed_code     text,                       -- the gateway refused it for good
    failed_message  text
);
-- An envelope of a few kilobytes stays in its row as it is (not compressed past 2 kB)
ALTER TABLE shep_outbox SET (toast_tuple_target = 8160);
CREATE INDEX IF NOT EXISTS shep_outbox_unsent ON shep_outbox (sender, seq)
    WHERE sent_at IS NULL AND failed_code IS NULL;

-- One row per delivery decided: applied (its effect committed with it) or
-- rejected (nothing applied); a redelivery gets the same answer again.
CREATE TABLE IF NOT EXISTS shep_inbox (
    message_id      text PRIMARY KEY,           -- unique across the gateway
    recipient       text NOT NULL DEFAULT '',  -- the participant it was delivered to
    service_id      text NOT NULL,
    sender_id       text NOT NULL,
    correlation_id  text NOT NULL,
    outcome         text NOT NULL,              -- APPLIED, or the reject code
    reject_message  text NOT NULL DEFAULT '',
    decided_at      timestamptz NOT NULL DEFAULT clock_timestamp ()
);

-- A participant that kept its own outbox and inbox before the runtime hands
-- them over once, at start: unsent is a query over its old table "outbox"
-- giving (sender, message_id, recipient, service_id, correlation_id,
-- envelope) of the rows still to send, in order; applied one over "inbox"
-- giving (message_id, recipient, service_id, sender_id, correlation_id) of
-- the deliveries it applied, so a late redelivery still finds them applied.
-- Each old table is dropped once adopted; without them nothing happens.
CREATE OR REPLACE FUNCTION shep_adopt (unsent text, applied text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF unsent IS NOT NULL AND to_regclass ('outbox') IS NOT NULL THEN
        EXECUTE 'INSERT INTO shep_outbox (sender, message_id, recipient, service_id,'
             || ' correlation_id, envelope) ' || unsent || ' ON CONFLICT (message_id) DO NOTHING';
        EXECUTE 'DROP TABLE outbox';
    END IF;
    IF applied IS NOT NULL AND to_regclass ('inbox') IS NOT NULL THEN
        EXECUTE 'INSERT INTO shep_inbox (message_id, recipient, service_id, sender_id,'
             || ' correlation_id, outcome) SELECT *, ''APPLIED'' FROM (' || applied || ') old'
             || ' ON CONFLICT (message_id) DO NOTHING';
        EXECUTE 'DROP TABLE inbox';
    END IF;
END $$;
