-- intake: the State Corporation operator's desk (МК АЖ). Applied at every start;
-- idempotent. Times: *_sim are simulated ms since the epoch (the gateway's clock),
-- *_wall are the wall clock. The inbox and the outbox are the participant runtime's
-- (gateway/client/shep_participant.sql), applied first.

CREATE TABLE IF NOT EXISTS operator (
    login           text PRIMARY KEY,
    iin             text NOT NULL,
    name            text NOT NULL,
    cert_label      text NOT NULL,          -- certs/LABEL.pem and keys/LABEL.key in the PKI folder
    password_hash   text NOT NULL           -- crypto_pwhash_str (Argon2id)
);
-- Wrong passwords in a row, and the lock they bring (wall clock)
ALTER TABLE operator ADD COLUMN IF NOT EXISTS failed_logins integer NOT NULL DEFAULT 0;
ALTER TABLE operator ADD COLUMN IF NOT EXISTS locked_until_wall timestamptz;

CREATE TABLE IF NOT EXISTS session (
    token_sha256    text PRIMARY KEY,       -- the bearer token is never stored
    login           text NOT NULL REFERENCES operator (login),
    created_wall    timestamptz NOT NULL DEFAULT now(),
    expires_wall    timestamptz NOT NULL
);

-- Numbered receipts: acceptance (A) and refusal (R), one sequence each.
CREATE SEQUENCE IF NOT EXISTS acceptance_receipt_seq;
CREATE SEQUENCE IF NOT EXISTS refusal_receipt_seq;
CREATE SEQUENCE IF NOT EXISTS register_line_seq;

CREATE TABLE IF NOT EXISTS refusal_receipt (
    number          text PRIMARY KEY,
    service         text NOT NULL,
    region          text NOT NULL,
    applicant_iin   text NOT NULL,
    operator_login  text NOT NULL,
    missing         text[] NOT NULL,        -- document types absent from the package
    issued_sim      bigint NOT NULL,
    issued_wall     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS application (
    id                  uuid PRIMARY KEY,
    service             text NOT NULL,
    region              text NOT NULL,
    applicant_iin       text NOT NULL,
    applicant_name      text NOT NULL,
    representative_iin  text,
    representative_name text,
    poa_number          text,
    operator_login      text NOT NULL,
    status              text NOT NULL,
    receipt_number      text NOT NULL UNIQUE,
    paper               boolean NOT NULL,   -- paper route: register, courier, barcode
    register_number     text,               -- the collection sector's register line
    submitted_sim       bigint NOT NULL,
    received_sim        bigint NOT NULL,
    result_due_sim      bigint,
    registration_number text,               -- the regional gateway's (Process 7)
    result_approved     boolean,
    result_grounds      text[],
    result_document     bytea,
    result_signer       text,
    result_signature    text,               -- outcome of checking the provider's signature
    result_decided_sim  bigint,
    refusal_note        text,               -- a refusal without a result document
    storage_until_sim   bigint,             -- unclaimed result kept until then
    recall_due_sim      bigint,             -- asked back: the provider's term
    barcode             text,
    issued_to           text,
    created_wall        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS application_storage ON application (storage_until_sim)
    WHERE storage_until_sim IS NOT NULL;

-- A submission sent again under the operator's Idempotency-Key is answered with the
-- application it made (request_sha256: the body it came with)
ALTER TABLE application ADD COLUMN IF NOT EXISTS idempotency_key text;
ALTER TABLE application ADD COLUMN IF NOT EXISTS request_sha256 text;
CREATE UNIQUE INDEX IF NOT EXISTS application_idempotency ON application (operator_login, idempotency_key);

-- The package as accepted, for the acceptance receipt: [{type, name, size, sha256}]
ALTER TABLE application ADD COLUMN IF NOT EXISTS documents jsonb;

-- The service's request form as filled in (checked against the catalogue's; json keeps
-- the order it came in), and the child it names as the registry knows them:
-- {iin, name, birth_certificate}. NULL in rows from before forms were asked.
ALTER TABLE application ADD COLUMN IF NOT EXISTS form json;
ALTER TABLE application ADD COLUMN IF NOT EXISTS child jsonb;
-- The hand-over's Idempotency-Key, its operator and the digest of the request
-- (receipt and identity document): a retry answers what the first one made.
ALTER TABLE application ADD COLUMN IF NOT EXISTS handover_key text;
ALTER TABLE application ADD COLUMN IF NOT EXISTS handover_login text;
ALTER TABLE application ADD COLUMN IF NOT EXISTS handover_sha256 text;
-- A package on paper travels with the courier (within one working day): its
-- message to the regional gateway waits here until the courier is there.
ALTER TABLE application ADD COLUMN IF NOT EXISTS courier_due_sim bigint;
ALTER TABLE application ADD COLUMN IF NOT EXISTS courier_envelope bytea;
-- A result unclaimed for a month kept in the centre's own archive (seed 001 item 8 7),
-- the catalogue's "unclaimed": "archive"): when it went there, simulated ms.
ALTER TABLE application ADD COLUMN IF NOT EXISTS archived_sim bigint;

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

-- Databases from before the participant runtime kept their own outbox and inbox:
-- unsent messages go to the route of their application's region, under the same ids.
SELECT shep_adopt (
    $q$SELECT 'intake', o.message_id::text, 'route:' || a.region, o.service_id,
              o.application_id::text, o.envelope
         FROM outbox o JOIN application a ON a.id = o.application_id
        WHERE o.sent_wall IS NULL ORDER BY o.created_wall$q$,
    $q$SELECT message_id::text, 'intake', service_id, '', '' FROM inbox$q$);
