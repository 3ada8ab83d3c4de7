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
-- Who the registered application went to: '' for the region's local
-- executive body, else the register the catalogue routes its channel to
-- (the kindergarten queue register, seed 004). Its statuses and results
-- come from there only.
ALTER TABLE registration ADD COLUMN IF NOT EXISTS provider_id text NOT NULL DEFAULT '';

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
-- inbox: unsent messages are sent by regional-<route> under the same ids.
SELECT shep_adopt (
    $q$SELECT 'regional-' || route_id, message_id, recipient_id, service_id, '', envelope
         FROM outbox WHERE submitted_at IS NULL ORDER BY id$q$,
    $q$SELECT message_id, 'regional-' || route_id, service_id, sender_id, correlation_id
         FROM inbox$q$);
