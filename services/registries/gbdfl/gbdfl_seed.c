/*  gbdfl_seed — the registry of individuals' first start.  */
#include "gbdfl_seed.h"
#include "egov_db.h"

extern const char *gbdfl_schema_sql;

//  COPY text-format writer: escapes fields, buffers rows, flushes in chunks.
typedef struct {
    PGconn *conn;                   //  connection in COPY IN state
    char *buffer;                   //  pending bytes
    size_t size;                    //  pending length
    size_t capacity;                //  allocated length
    bool failed;                    //  a PQputCopyData failed
} s_copy_t;

//  Appends raw bytes to the COPY buffer.
static void
s_copy_raw (s_copy_t *copy, const char *bytes, size_t length)
{
    if (copy->size + length > copy->capacity) {
        size_t capacity = copy->capacity ? copy->capacity * 2 : 65536;
        while (capacity < copy->size + length)
            capacity *= 2;
        copy->buffer = realloc (copy->buffer, capacity);
        assert (copy->buffer);
        copy->capacity = capacity;
    }
    memcpy (copy->buffer + copy->size, bytes, length);
    copy->size += length;
}

//  Sends what is buffered.
static void
s_copy_flush (s_copy_t *copy)
{
    if (copy->size && !copy->failed && PQputCopyData (copy->conn, copy->buffer, (int) copy->size) != 1)
        copy->failed = true;
    copy->size = 0;
}

//  Appends one field (NULL or "" with as_null writes \N), then a tab or,
//  for the last field, a newline.
static void
s_copy_field (s_copy_t *copy, const char *value, bool as_null, bool last)
{
    if (!value || (as_null && !*value))
        s_copy_raw (copy, "\\N", 2);
    else
        for (const char *cursor = value; *cursor; cursor++) {
            switch (*cursor) {
                case '\\': s_copy_raw (copy, "\\\\", 2); break;
                case '\t': s_copy_raw (copy, "\\t", 2); break;
                case '\n': s_copy_raw (copy, "\\n", 2); break;
                case '\r': s_copy_raw (copy, "\\r", 2); break;
                default:   s_copy_raw (copy, cursor, 1);
            }
        }
    s_copy_raw (copy, last ? "\n" : "\t", 1);
    if (last && copy->size > 1 << 20)
        s_copy_flush (copy);
}

//  Writes the rows of one table for one person.
typedef void (s_rows_fn) (const Egov__Registries__Person *person, s_copy_t *copy);

//  Starts COPY into a table, writes every person's rows, ends it; false
//  with error set when the server refused any of it.
static bool
s_copy_table (gbdfl_population_t *population, PGconn *conn, const char *statement,
              s_rows_fn *write_rows, egov_error_t *error)
{
    PGresult *result = egov_db_params (conn, statement, 0, NULL, NULL, NULL, NULL, 0);
    if (PQresultStatus (result) != PGRES_COPY_IN) {
        egov_error_set (error, "DB_FAILED", "%s: %s", statement, PQresultErrorMessage (result));
        PQclear (result);
        return false;
    }
    PQclear (result);
    s_copy_t copy = { conn, NULL, 0, 0, false };
    //  One person at a time, so memory stays flat for any population size
    for (size_t index = 0; index < gbdfl_population_size (population) && !copy.failed; index++) {
        Egov__Registries__Person *person = gbdfl_population_person (population, index);
        write_rows (person, &copy);
        egov__registries__person__free_unpacked (person, NULL);
    }
    s_copy_flush (&copy);
    free (copy.buffer);
    bool ok = PQputCopyEnd (conn, copy.failed ? "client failed to send rows" : NULL) == 1;
    while ((result = PQgetResult (conn))) {
        if (PQresultStatus (result) != PGRES_COMMAND_OK) {
            if (ok)
                egov_error_set (error, "DB_FAILED", "%s: %s", statement, PQresultErrorMessage (result));
            ok = false;
        }
        PQclear (result);
    }
    if (!ok && !*error->code)
        egov_error_set (error, "DB_FAILED", "%s: %s", statement, PQerrorMessage (conn));
    return ok && !copy.failed;
}

//  Row of the person table.
static void
s_person_rows (const Egov__Registries__Person *person, s_copy_t *copy)
{
    s_copy_field (copy, person->iin, false, false);
    s_copy_field (copy, person->surname, false, false);
    s_copy_field (copy, person->name, false, false);
    s_copy_field (copy, person->patronymic, false, false);
    s_copy_field (copy, person->birth_date, false, false);
    s_copy_field (copy, person->gender, false, false);
    s_copy_field (copy, person->citizenship, false, true);
}

//  Row of the address table, when the person has an address.
static void
s_address_rows (const Egov__Registries__Person *person, s_copy_t *copy)
{
    const Egov__Registries__Address *address = person->address;
    if (!address)
        return;
    s_copy_field (copy, person->iin, false, false);
    s_copy_field (copy, address->region_kato, false, false);
    s_copy_field (copy, address->region_name, false, false);
    s_copy_field (copy, address->locality, false, false);
    s_copy_field (copy, address->street, false, false);
    s_copy_field (copy, address->house, false, false);
    s_copy_field (copy, address->flat, false, true);
}

//  Rows of the identity_document table.
static void
s_document_rows (const Egov__Registries__Person *person, s_copy_t *copy)
{
    for (size_t slot = 0; slot < person->n_documents; slot++) {
        const Egov__Registries__IdentityDocument *document = person->documents [slot];
        s_copy_field (copy, document->type, false, false);
        s_copy_field (copy, document->number, false, false);
        s_copy_field (copy, person->iin, false, false);
        s_copy_field (copy, document->issued, false, false);
        s_copy_field (copy, document->expires, true, false);
        s_copy_field (copy, document->issuer, false, true);
    }
}

//  Row of the birth_certificate table: the person's own certificate (each
//  certificate is some child's own, so each is written once).
static void
s_certificate_rows (const Egov__Registries__Person *person, s_copy_t *copy)
{
    const Egov__Registries__BirthCertificate *certificate = person->birth_certificate;
    if (!certificate)
        return;
    s_copy_field (copy, certificate->number, false, false);
    s_copy_field (copy, certificate->issued, false, false);
    s_copy_field (copy, certificate->child_iin, false, false);
    s_copy_field (copy, certificate->mother_iin, true, false);
    s_copy_field (copy, certificate->father_iin, true, false);
    s_copy_field (copy, certificate->registry_office, false, true);
}

bool
gbdfl_seed_store (gbdfl_population_t *population, PGconn *conn, egov_error_t *error)
{
    assert (population && conn);
    egov_error_t ignored;
    if (!error)
        error = &ignored;
    memset (error, 0, sizeof (*error));
    return s_copy_table (population, conn,
               "COPY person (iin, surname, name, patronymic, birth_date, gender, citizenship)"
               " FROM STDIN", s_person_rows, error)
        && s_copy_table (population, conn,
               "COPY address (iin, region_kato, region_name, locality, street, house, flat)"
               " FROM STDIN", s_address_rows, error)
        && s_copy_table (population, conn,
               "COPY identity_document (type, number, iin, issued, expires, issuer) FROM STDIN",
               s_document_rows, error)
        && s_copy_table (population, conn,
               "COPY birth_certificate (number, issued, child_iin, mother_iin, father_iin,"
               " registry_office) FROM STDIN", s_certificate_rows, error);
}

//  Runs a parameterless statement; false with error set when it fails.
static bool
s_exec (PGconn *conn, const char *statement, egov_error_t *error)
{
    PGresult *result = egov_db_params (conn, statement, 0, NULL, NULL, NULL, NULL, 0);
    bool ok = PQresultStatus (result) == PGRES_COMMAND_OK
           || PQresultStatus (result) == PGRES_TUPLES_OK;
    if (!ok)
        egov_error_set (error, "DB_FAILED", "%s: %s", statement, PQresultErrorMessage (result));
    PQclear (result);
    return ok;
}

int64_t
gbdfl_seed (PGconn *conn, uint64_t seed, size_t count, egov_error_t *error)
{
    assert (conn);
    egov_error_t ignored;
    if (!error)
        error = &ignored;
    memset (error, 0, sizeof (*error));
    if (count > GBDFL_POPULATION_MAX) {
        egov_error_set (error, "INVALID_REQUEST", "population %zu is above the limit %d",
                        count, GBDFL_POPULATION_MAX);
        return -1;
    }
    if (!s_exec (conn, "BEGIN", error))
        return -1;
    //  Two registries starting on one database must not both seed it
    int64_t stored = -1;
    if (!s_exec (conn, "LOCK TABLE person IN SHARE ROW EXCLUSIVE MODE", error))
        goto cleanup;
    PGresult *result = egov_db_params (conn, "SELECT EXISTS (SELECT 1 FROM person)",
                                     0, NULL, NULL, NULL, NULL, 0);
    if (PQresultStatus (result) != PGRES_TUPLES_OK || PQntuples (result) != 1) {
        egov_error_set (error, "DB_FAILED", "checking for people: %s", PQresultErrorMessage (result));
        PQclear (result);
        goto cleanup;
    }
    bool populated = streq (PQgetvalue (result, 0, 0), "t");
    PQclear (result);
    if (populated)
        stored = 0;
    else {
        gbdfl_population_t *population = gbdfl_population_new (seed, count);
        if (gbdfl_seed_store (population, conn, error))
            stored = (int64_t) gbdfl_population_size (population);
        gbdfl_population_destroy (&population);
    }
cleanup:
    if (stored >= 0 && s_exec (conn, "COMMIT", error))
        return stored;
    egov_error_t rollback;
    s_exec (conn, "ROLLBACK", &rollback);
    return -1;
}

void
gbdfl_seed_test (bool verbose)
{
    if (verbose)
        printf (" * gbdfl_seed: ");

    //  Seeding a database: only when empty, in one transaction
    const char *conninfo = getenv ("EGOV_TEST_DB");
    if (!conninfo || !*conninfo) {
        if (verbose)
            printf ("(database part skipped: EGOV_TEST_DB unset) ");
        else
            printf ("gbdfl_seed: database part skipped: EGOV_TEST_DB unset\n");
    }
    else {
        PGconn *conn = egov_db_connect (conninfo, 5000);
        assert (conn);
        assert (egov_db_exec_script (conn,
            "DROP SCHEMA IF EXISTS gbdfl_seed_test CASCADE;"
            "CREATE SCHEMA gbdfl_seed_test;"
            "SET search_path TO gbdfl_seed_test", "test schema"));
        assert (egov_db_exec_script (conn, gbdfl_schema_sql, "gbdfl schema"));
        egov_error_t error;
        assert (gbdfl_seed (conn, EGOV_POPULATION_SEED, 500, &error) == 507);
        assert (gbdfl_seed (conn, EGOV_POPULATION_SEED, 500, &error) == 0);
        assert (gbdfl_seed (conn, EGOV_POPULATION_SEED, GBDFL_POPULATION_MAX + 1, &error) == -1);
        assert (streq (error.code, "INVALID_REQUEST"));
        PGresult *result = egov_db_params (conn,
            "SELECT (SELECT count(*) FROM person), (SELECT count(*) FROM birth_certificate),"
            " (SELECT surname FROM person WHERE iin = $1)",
            1, NULL, (const char *[]) { "951203407770" }, NULL, NULL, 0);
        assert (PQresultStatus (result) == PGRES_TUPLES_OK);
        assert (streq (PQgetvalue (result, 0, 0), "507"));
        assert (atoi (PQgetvalue (result, 0, 1)) > 3);
        assert (streq (PQgetvalue (result, 0, 2), "Сейітова"));
        PQclear (result);
        //  A failing COPY leaves nothing behind
        assert (egov_db_exec_script (conn, "TRUNCATE person, address, identity_document,"
                                           " birth_certificate", "truncate"));
        assert (egov_db_exec_script (conn, "ALTER TABLE address ADD CHECK (house <> '52')",
                                     "break address"));
        assert (gbdfl_seed (conn, EGOV_POPULATION_SEED, 10, &error) == -1);
        assert (streq (error.code, "DB_FAILED"));
        result = egov_db_params (conn, "SELECT count(*) FROM person", 0, NULL, NULL, NULL, NULL, 0);
        assert (PQresultStatus (result) == PGRES_TUPLES_OK);
        assert (streq (PQgetvalue (result, 0, 0), "0"));
        PQclear (result);
        assert (egov_db_exec_script (conn, "DROP SCHEMA gbdfl_seed_test CASCADE", "drop"));
        PQfinish (conn);
    }

    if (verbose)
        printf ("OK\n");
}
