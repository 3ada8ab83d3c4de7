-- gbdfl: ЖТ ММБ (ГБД ФЛ), the state database of individuals, keyed by IIN.
-- Idempotent: applied at every start.

CREATE TABLE IF NOT EXISTS person (
    iin          char(12) PRIMARY KEY,
    surname      text NOT NULL,
    name         text NOT NULL,
    patronymic   text NOT NULL DEFAULT '',
    birth_date   date NOT NULL,
    gender       text NOT NULL CHECK (gender IN ('MALE', 'FEMALE')),
    citizenship  char(3) NOT NULL DEFAULT 'KAZ'
);

-- Registered address (тіркелген мекенжайы), one per person.
CREATE TABLE IF NOT EXISTS address (
    iin          char(12) PRIMARY KEY REFERENCES person (iin),
    region_kato  char(9) NOT NULL,
    region_name  text NOT NULL,
    locality     text NOT NULL,
    street       text NOT NULL,
    house        text NOT NULL,
    flat         text NOT NULL DEFAULT ''
);

-- Identity documents: ID cards, passports, and a child's birth certificate
-- as the document that identifies the child.
CREATE TABLE IF NOT EXISTS identity_document (
    type         text NOT NULL CHECK (type IN ('ID_CARD', 'PASSPORT', 'BIRTH_CERTIFICATE')),
    number       text NOT NULL,
    iin          char(12) NOT NULL REFERENCES person (iin),
    issued       date NOT NULL,
    expires      date,
    issuer       text NOT NULL,
    PRIMARY KEY (type, number)
);
CREATE INDEX IF NOT EXISTS identity_document_iin ON identity_document (iin);

-- Birth certificates (туу туралы куәлік) of children born after 2008,
-- linking the child to the parents; a parent may be unrecorded (NULL).
CREATE TABLE IF NOT EXISTS birth_certificate (
    number           text PRIMARY KEY,
    issued           date NOT NULL,
    child_iin        char(12) NOT NULL UNIQUE REFERENCES person (iin),
    mother_iin       char(12) REFERENCES person (iin),
    father_iin       char(12) REFERENCES person (iin),
    registry_office  text NOT NULL
);
CREATE INDEX IF NOT EXISTS birth_certificate_mother ON birth_certificate (mother_iin);
CREATE INDEX IF NOT EXISTS birth_certificate_father ON birth_certificate (father_iin);
