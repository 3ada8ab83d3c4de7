-- queue: the electronic register of the kindergarten waiting queue
-- (балаларды кезекке қою бойынша электрондық Тізілім). Idempotent: applied at every start.

-- A queue: one kindergarten's, or the common queue of a district. Its row is the lock
-- that makes numbers consecutive and a released place go to one child only.
CREATE TABLE IF NOT EXISTS queue (
    code          text PRIMARY KEY CHECK (code ~ '^[0-9]{9}-[A-Z0-9-]{1,32}$'),
    region        char(9) NOT NULL CHECK (region ~ '^[0-9]{9}$'),
    name          text NOT NULL,
    kind          text NOT NULL CHECK (kind IN ('kindergarten', 'district')),
    free_places   integer NOT NULL DEFAULT 0 CHECK (free_places >= 0),  -- released, nobody waiting
    last_number   integer NOT NULL DEFAULT 0 CHECK (last_number >= 0),  -- the last queue number given
    referrals     integer NOT NULL DEFAULT 0 CHECK (referrals >= 0),    -- referrals issued so far
    CHECK (left (code, 9) = region)
);

-- A child's place in a queue: waiting while referral is NULL.
CREATE TABLE IF NOT EXISTS entry (
    queue         text NOT NULL REFERENCES queue,
    number        integer NOT NULL CHECK (number > 0),
    child_iin     char(12) NOT NULL,
    birth_date    date NOT NULL,
    desired_date  date NOT NULL,
    application   text NOT NULL DEFAULT '',     -- the caller's application id
    requester     text NOT NULL,                -- who enqueued it: a referral later goes back there
    registered_ms bigint NOT NULL,              -- simulated moment
    referral      text UNIQUE,                  -- the referral's number, once given
    referred_ms   bigint,
    PRIMARY KEY (queue, number),
    UNIQUE (queue, child_iin),
    CHECK ((referral IS NULL) = (referred_ms IS NULL))
);
CREATE INDEX IF NOT EXISTS entry_waiting ON entry (queue, number) WHERE referral IS NULL;
CREATE INDEX IF NOT EXISTS entry_child ON entry (child_iin);

-- Applications the register answers itself (seed 004's direct routes, docs/queue.md): the
-- regional gateway hands them over as application.registered; the answer is the provider's
-- result document, signed with the provider's key the register holds.
CREATE TABLE IF NOT EXISTS direct_application (
    correlation_id  text PRIMARY KEY CHECK (length (correlation_id) BETWEEN 1 AND 128),
    region          char(9) NOT NULL CHECK (region ~ '^[0-9]{9}$'),
    requester       text NOT NULL,              -- the regional gateway that brought it
    registered      bytea NOT NULL,             -- the RegisteredApplication as it came
    received_ms     bigint NOT NULL,            -- simulated moment
    state           text NOT NULL DEFAULT 'WAITING' CHECK (state IN ('WAITING', 'ANSWERED')),
    outgoing_number text UNIQUE,                -- <KATO>-EQ-<YYYY>-<NNNNNN>
    result          bytea,                      -- the Result sent, for a recall
    answered_ms     bigint,
    returned_ms     bigint                      -- returned unclaimed by the channel
);
CREATE INDEX IF NOT EXISTS direct_application_waiting ON direct_application (received_ms)
    WHERE state = 'WAITING';
CREATE SEQUENCE IF NOT EXISTS outgoing_number_seq;
