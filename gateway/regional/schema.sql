-- regional: ЭҮӨШ, the regional gateway ("электрондық үкіметтің" өңірлік
-- шлюзі): its registrations of incoming electronic documents (Process 7).
-- The inbox and the outbox are the participant runtime's
-- (gateway/client/shep_participant.sql), applied first. Several regions may
-- share one database: every row names its route (the region's KATO code).
-- Idempotent: applied at every start; the advisory lock lets two regional
-- gateways set up one database at the same time.
SELECT pg_advisory_xact_lock (7750);

-- The registration journal, one row per application (correlation id).
-- A refused document keeps its row without a number, so its sender is
-- still known and a second submission is recognised.
CREATE TABLE IF NOT EXISTS registration (
    correlation_id      text PRIMARY KEY,
    route_id            text NOT NULL,
    application_id      text NOT NULL,          -- the channel's id
    service             text NOT NULL,          -- catalogue code
    applicant_iin       text NOT NULL,
    sender_id           text NOT NULL,          -- the channel: every answer goes there
    message_id          text NOT NULL,          -- the submission's message id
    status              text NOT NULL CHECK (status IN ('REGISTERED', 'REFUSED')),
    registration_number text UNIQUE,            -- NULL when refused
    registered_at       bigint NOT NULL,        -- simulated ms
    registered_wall     bigint NOT NULL,        -- wall ms
    signature_outcome   text NOT NULL,          -- egov_cms outcome, NOT_CHECKED when not reached
    signer              text NOT NULL DEFAULT '',   -- name and IIN from the certificate
    signer_iin          text NOT NULL DEFAULT '',
    refusal_code        text NOT NULL DEFAULT '',
    refusal             text NOT NULL DEFAULT '',
    last_status         text NOT NULL DEFAULT '',   -- the latest notice carried back
    last_status_at      bigint,                 -- simulated ms of that notice
    result_approved     boolean,                -- set when the result went back
    result_at           bigint                  -- simulated ms of the decision
);
CREATE INDEX IF NOT EXISTS registration_application
    ON registration (application_id);

-- Registration numbers run per region and per (simulated) year.
CREATE TABLE IF NOT EXISTS registration_counter (
    route_id    text NOT NULL,
    year        integer NOT NULL,
    last        bigint NOT NULL,
    PRIMARY KEY (route_id, year)
);

-- Databases from before the participant runtime kept their own outbox and
-- inbox: unsent messages move to shep_outbox (in order, under the same ids,
-- sent by regional-<route>), applied message ids to shep_inbox.
DO $$
BEGIN
    IF to_regclass ('outbox') IS NOT NULL THEN
        INSERT INTO shep_outbox (sender, message_id, recipient, service_id, correlation_id, envelope)
            SELECT 'regional-' || route_id, message_id, recipient_id, service_id, '', envelope
              FROM outbox WHERE submitted_at IS NULL ORDER BY id
            ON CONFLICT (message_id) DO NOTHING;
        DROP TABLE outbox;
    END IF;
    IF to_regclass ('inbox') IS NOT NULL THEN
        INSERT INTO shep_inbox (message_id, recipient, service_id, sender_id, correlation_id, outcome)
            SELECT message_id, 'regional-' || route_id, service_id, sender_id, correlation_id, 'APPLIED'
              FROM inbox
            ON CONFLICT (message_id) DO NOTHING;
        DROP TABLE inbox;
    END IF;
END $$;
