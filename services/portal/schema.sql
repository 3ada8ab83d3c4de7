-- portal: the citizen portal (ЭҮП). Applied at every start; idempotent.
-- Times: *_sim are simulated ms since the epoch (the gateway's clock), *_wall
-- the wall clock. Accounts and sessions live on the wall clock: a token does
-- not expire because the simulation jumps fifteen working days ahead.
-- The inbox and the outbox are the participant runtime's
-- (gateway/client/shep_participant.sql), applied first.

CREATE TABLE IF NOT EXISTS citizen (
    iin             text PRIMARY KEY,
    name            text NOT NULL,          -- from the registry of individuals at registration
    password_hash   text NOT NULL,          -- crypto_pwhash_str (Argon2id)
    failed_logins   integer NOT NULL DEFAULT 0,     -- consecutive wrong passwords
    locked_until    timestamptz,            -- repeated failures lock the account until then
    created_wall    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS session (
    token_sha256    text PRIMARY KEY,       -- the bearer token is never stored
    iin             text NOT NULL REFERENCES citizen (iin),
    created_wall    timestamptz NOT NULL DEFAULT now(),
    expires_wall    timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS session_expiry ON session (expires_wall);

CREATE SEQUENCE IF NOT EXISTS receipt_seq;

CREATE TABLE IF NOT EXISTS application (
    id                  uuid PRIMARY KEY,
    citizen_iin         text NOT NULL REFERENCES citizen (iin),
    subject_iin         text,                   -- the child applied for, NULL: the citizen
    subject_name        text,
    service             text NOT NULL,
    region              text NOT NULL,
    status              text NOT NULL,
    receipt_number      text NOT NULL UNIQUE,
    document            bytea NOT NULL,         -- the exact signed bytes
    signature           bytea NOT NULL,         -- the citizen's CMS (DER)
    signer              text NOT NULL,          -- name and IIN from the certificate
    submitted_sim       bigint NOT NULL,
    received_sim        bigint NOT NULL,        -- the calendar's receipt (next working day after hours)
    result_due_sim      bigint,
    registration_number text,                   -- the regional gateway's (Process 6)
    result_approved     boolean,
    result_grounds      text[],
    result_document     bytea,
    result_signature    bytea,                  -- the provider's authorised person's CMS
    result_signer       text,
    result_outcome      text,                   -- egov_cms outcome when the result arrived
    result_decided_sim  bigint,
    result_number       text,                   -- the provider's outgoing number
    refusal_note        text,                   -- a refusal without a result document
    created_wall        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS application_citizen ON application (citizen_iin, created_wall);
-- One application per signed request: the same signature sent again is answered with
-- the first application (rows from before this column stay NULL, outside the rule)
ALTER TABLE application ADD COLUMN IF NOT EXISTS signature_sha256 text;
CREATE UNIQUE INDEX IF NOT EXISTS application_signature_once ON application (signature_sha256);

CREATE TABLE IF NOT EXISTS history (
    seq             bigserial PRIMARY KEY,
    application_id  uuid NOT NULL REFERENCES application (id),
    status          text NOT NULL,
    step            text NOT NULL,
    role            text NOT NULL DEFAULT '',
    actor           text NOT NULL DEFAULT '',
    note            text NOT NULL DEFAULT '',
    at_sim          bigint NOT NULL,
    at_wall         timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX IF NOT EXISTS history_application ON history (application_id, seq);

-- The personal cabinet's notices (жеке кабинет): accepted with the ready
-- date, each status change, the result or the refusal.
CREATE TABLE IF NOT EXISTS notification (
    seq             bigserial PRIMARY KEY,
    iin             text NOT NULL REFERENCES citizen (iin),
    application_id  uuid NOT NULL REFERENCES application (id),
    kind            text NOT NULL,          -- ACCEPTED, STATUS, RESULT, REFUSAL
    status          text NOT NULL,
    text            text NOT NULL,
    ready_sim       bigint,                 -- ACCEPTED: when the result will be ready
    at_sim          bigint NOT NULL,
    at_wall         timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX IF NOT EXISTS notification_citizen ON notification (iin, seq);

-- Databases from before the participant runtime kept their own outbox and
-- inbox: unsent submissions go to the route of their region under the same
-- ids (the receipt makes the application SENT).
SELECT shep_adopt (
    $q$SELECT 'portal', o.message_id::text, 'route:' || a.region, o.service_id,
              o.application_id::text, o.envelope
         FROM outbox o JOIN application a ON a.id = o.application_id
        WHERE o.sent_wall IS NULL ORDER BY o.created_wall$q$,
    $q$SELECT message_id::text, 'portal', service_id, '', '' FROM inbox$q$);
