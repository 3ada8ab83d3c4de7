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
