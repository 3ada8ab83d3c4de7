-- leb: the local executive body (ЖАО АЖ) of one region. Applications handed
-- over by the regional gateway and the provider's tasks (one row per step,
-- with its due moment on the simulation clock). The inbox and the outbox are
-- the participant runtime's (gateway/client/shep_participant.sql), applied
-- first. Applied at every start: idempotent.
SELECT pg_advisory_xact_lock (7790);

-- One application per correlation id (the channel's application id).
CREATE TABLE IF NOT EXISTS application (
    correlation_id      text PRIMARY KEY,
    application_id      text NOT NULL,
    service             text NOT NULL,              -- catalogue code
    region              text NOT NULL,              -- KATO
    registration_number text NOT NULL,              -- the regional gateway's
    applicant_iin       text NOT NULL,
    reply_to            text NOT NULL,              -- who registered it: regional-<KATO> or office-<KATO>
    registered          bytea NOT NULL,             -- RegisteredApplication as received
    -- The provider's part of the lifecycle (lib/egov_lifecycle): READY or
    -- REFUSED once the result is sent; a recall keeps RETURNED_TO_PROVIDER
    -- (recalled_ms) until the result goes again.
    status              text NOT NULL DEFAULT 'IN_PROGRESS' CONSTRAINT application_status
        CHECK (status IN ('IN_PROGRESS', 'READY', 'REFUSED', 'RETURNED_TO_PROVIDER')),
    received_ms         bigint NOT NULL,            -- simulated
    decision            text CHECK (decision IN ('approve', 'refuse')),
    grounds             jsonb NOT NULL DEFAULT '[]',
    outgoing_number     text,                       -- the provider's number of the result
    result              bytea,                      -- the signed Result, packed
    returned_ms         bigint,                     -- unclaimed result came back
    recalled_ms         bigint,                     -- asked for again
    created_at          timestamptz NOT NULL DEFAULT now()
);

-- The provider's tasks: a catalogue step, or the clerk's resend on a recall.
CREATE TABLE IF NOT EXISTS task (
    id              bigserial PRIMARY KEY,
    correlation_id  text NOT NULL REFERENCES application (correlation_id),
    kind            text NOT NULL CHECK (kind IN ('step', 'recall')),
    step            integer NOT NULL,               -- index into the entry's steps; recall: -1
    role            text NOT NULL CHECK (role IN ('clerk', 'head', 'executor')),
    action          text NOT NULL,
    decides         boolean NOT NULL DEFAULT false, -- the step that approves or refuses
    state           text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'taken', 'done')),
    assignee        text,
    started_ms      bigint NOT NULL,                -- simulated
    due_ms          bigint NOT NULL,                -- simulated, from the calendar
    completed_ms    bigint,
    overdue         boolean NOT NULL DEFAULT false, -- was still open past due_ms
    decision        text CHECK (decision IN ('approve', 'refuse')),
    grounds         jsonb NOT NULL DEFAULT '[]'
);
CREATE UNIQUE INDEX IF NOT EXISTS task_step_once ON task (correlation_id, step) WHERE kind = 'step';
CREATE INDEX IF NOT EXISTS task_open ON task (due_ms) WHERE state <> 'done';
-- Auto mode's moment to complete a step: its maximum (due_ms), or earlier, so that the
-- chain ends by the term promised on the receipt (NULL: due_ms)
ALTER TABLE task ADD COLUMN IF NOT EXISTS planned_ms bigint;
-- The next task due (auto mode): by its planned moment, else its due one
CREATE INDEX IF NOT EXISTS task_next ON task ((coalesce (planned_ms, due_ms)), id) WHERE state <> 'done';
-- The kindergarten queue register's answer (egov.queue.EnqueueResponse, packed): its
-- entry goes into the result, its refusal is the motivated refusal (lib/egov_queue.h).
ALTER TABLE application ADD COLUMN IF NOT EXISTS queue_answer bytea;
ALTER TABLE application ADD COLUMN IF NOT EXISTS queue_referral text;   -- a referral made later

-- The provider's outgoing numbers of results.
CREATE SEQUENCE IF NOT EXISTS outgoing_number_seq;

-- Databases from before the participant runtime kept their own inbox:
-- its message ids move to shep_inbox. (Unsent rows of the old outbox move in
-- leb_server_start.)
SELECT shep_adopt (NULL, $q$SELECT message_id, '', service_id, sender_id, correlation_id
                              FROM inbox$q$);

-- Databases from before the lifecycle table named the provider's states
-- its own way (in-progress, sent, returned, recalled): they take the
-- lifecycle's names; a recall waiting for its resend keeps recalled_ms.
DO $$
DECLARE
    old_check text;
BEGIN
    SELECT conname INTO old_check FROM pg_constraint
     WHERE conrelid = 'application'::regclass AND contype = 'c'
       AND pg_get_constraintdef (oid) LIKE '%in-progress%';
    IF old_check IS NOT NULL THEN
        EXECUTE format ('ALTER TABLE application DROP CONSTRAINT %I', old_check);
        UPDATE application SET status = CASE status
            WHEN 'in-progress' THEN 'IN_PROGRESS'
            WHEN 'sent' THEN CASE decision WHEN 'refuse' THEN 'REFUSED' ELSE 'READY' END
            ELSE 'RETURNED_TO_PROVIDER' END;
        ALTER TABLE application ALTER COLUMN status SET DEFAULT 'IN_PROGRESS';
        ALTER TABLE application ADD CONSTRAINT application_status
            CHECK (status IN ('IN_PROGRESS', 'READY', 'REFUSED', 'RETURNED_TO_PROVIDER'));
    END IF;
END $$;

-- The provider's staff who work the tasks through the HTTP API (manual mode):
-- one login per role, with a password (Argon2id) and a lock after repeated
-- wrong ones (gateway/client/shep_accounts). Demo accounts are made at start.
CREATE TABLE IF NOT EXISTS staff (
    login           text PRIMARY KEY,
    name            text NOT NULL,          -- the assignee their tasks show
    role            text NOT NULL CHECK (role IN ('clerk', 'head', 'executor')),
    password_hash   text NOT NULL,
    failed_logins   integer NOT NULL DEFAULT 0,
    locked_until    timestamptz
);
CREATE TABLE IF NOT EXISTS staff_session (
    token_sha256    text PRIMARY KEY,       -- the bearer token is never stored
    login           text NOT NULL REFERENCES staff (login),
    expires_wall    timestamptz NOT NULL
);
