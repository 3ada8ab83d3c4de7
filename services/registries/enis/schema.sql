-- enis: БНАЖ (ЕНИС), the unified notarial system: notarised powers of attorney.
-- Idempotent: applied at every start.

CREATE TABLE IF NOT EXISTS power_of_attorney (
    number              text PRIMARY KEY,
    principal_iin       char(12) NOT NULL,      -- who gives the power
    representative_iin  char(12) NOT NULL,      -- who may act for the principal
    notary              text NOT NULL,
    issued              date NOT NULL,
    valid_until         date NOT NULL,
    services            text[] NOT NULL DEFAULT '{}',   -- service codes covered; empty: all
    revoked_on          date,                   -- set when the principal revoked it
    CHECK (valid_until >= issued),
    CHECK (revoked_on IS NULL OR revoked_on >= issued),
    CHECK (array_to_string (services, ',') !~ '[^a-z0-9.,-]')
);
CREATE INDEX IF NOT EXISTS power_of_attorney_representative
    ON power_of_attorney (representative_iin);
CREATE INDEX IF NOT EXISTS power_of_attorney_principal
    ON power_of_attorney (principal_iin);
