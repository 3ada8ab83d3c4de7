/*  regional_store — the regional gateway's database.  */
#include "regional_store.h"
#include "egov_db.h"

extern const char *regional_schema_sql;
extern const char *shep_participant_schema_sql;

struct _regional_store_t {
    PGconn *conn;                   //  not owned
    char *route;                    //  the region every row belongs to
};

regional_store_t *
regional_store_new (PGconn *conn, const char *route)
{
    assert (conn && route);
    regional_store_t *self = calloc (1, sizeof (regional_store_t));
    assert (self);
    self->conn = conn;
    self->route = strdup (route);
    assert (self->route);
    return self;
}

void
regional_store_destroy (regional_store_t **self_p)
{
    assert (self_p);
    regional_store_t *self = *self_p;
    if (self) {
        free (self->route);
        free (self);
        *self_p = NULL;
    }
}

//  Runs a parameterised command; true when it succeeded. rows (may be
//  NULL) gets how many rows it touched.
static bool
s_command (regional_store_t *self, const char *what, const char *sql, int count,
           const char *const *values, const int *lengths, const int *formats, long *rows)
{
    PGresult *result = egov_db_params (self->conn, sql, count, NULL, values, lengths, formats, 0);
    bool ok = egov_db_check (result, PGRES_COMMAND_OK, what);
    if (ok && rows)
        *rows = atol (PQcmdTuples (result));
    PQclear (result);
    return ok;
}

//  Copies a column into a fixed buffer, cutting what does not fit.
static void
s_copy (char *target, size_t size, PGresult *result, int row, int column)
{
    snprintf (target, size, "%s", PQgetvalue (result, row, column));
}

int
regional_store_find (regional_store_t *self, const char *correlation_id,
                     regional_record_t *record)
{
    assert (self && correlation_id && record);
    memset (record, 0, sizeof (*record));
    PGresult *result = egov_db_params (self->conn,
        "SELECT correlation_id, application_id, sender_id, status,"
        " coalesce (registration_number, ''), registered_at, registered_wall,"
        " signature_outcome, signer, signer_iin, refusal_code, refusal, service,"
        " applicant_iin, message_id, provider_id"
        " FROM registration WHERE correlation_id = $1 AND route_id = $2",
        2, NULL, (const char *[]) { correlation_id, self->route }, NULL, NULL, 0);
    int found = -1;
    if (egov_db_check (result, PGRES_TUPLES_OK, "registration look-up")) {
        found = PQntuples (result) == 1;
        if (found) {
            s_copy (record->correlation_id, sizeof (record->correlation_id), result, 0, 0);
            s_copy (record->application_id, sizeof (record->application_id), result, 0, 1);
            s_copy (record->sender_id, sizeof (record->sender_id), result, 0, 2);
            s_copy (record->status, sizeof (record->status), result, 0, 3);
            s_copy (record->registration_number, sizeof (record->registration_number), result, 0, 4);
            record->registered_at = atoll (PQgetvalue (result, 0, 5));
            record->registered_wall = atoll (PQgetvalue (result, 0, 6));
            s_copy (record->signature_outcome, sizeof (record->signature_outcome), result, 0, 7);
            s_copy (record->signer, sizeof (record->signer), result, 0, 8);
            s_copy (record->signer_iin, sizeof (record->signer_iin), result, 0, 9);
            s_copy (record->refusal_code, sizeof (record->refusal_code), result, 0, 10);
            s_copy (record->refusal, sizeof (record->refusal), result, 0, 11);
            s_copy (record->service, sizeof (record->service), result, 0, 12);
            s_copy (record->applicant_iin, sizeof (record->applicant_iin), result, 0, 13);
            s_copy (record->message_id, sizeof (record->message_id), result, 0, 14);
            s_copy (record->provider_id, sizeof (record->provider_id), result, 0, 15);
        }
    }
    PQclear (result);
    return found;
}

int64_t
regional_store_next_sequence (regional_store_t *self, int year)
{
    assert (self);
    char year_text [16];
    snprintf (year_text, sizeof (year_text), "%d", year);
    //  The row lock of the upsert orders concurrent registrations
    PGresult *result = egov_db_params (self->conn,
        "INSERT INTO registration_counter (route_id, year, last) VALUES ($1, $2::integer, 1)"
        " ON CONFLICT (route_id, year) DO UPDATE SET last = registration_counter.last + 1"
        " RETURNING last",
        2, NULL, (const char *[]) { self->route, year_text }, NULL, NULL, 0);
    int64_t sequence = -1;
    if (egov_db_check (result, PGRES_TUPLES_OK, "registration counter") && PQntuples (result) == 1)
        sequence = atoll (PQgetvalue (result, 0, 0));
    PQclear (result);
    return sequence;
}

bool
regional_store_register (regional_store_t *self, const regional_record_t *record)
{
    assert (self && record);
    char at [24], wall [24];
    snprintf (at, sizeof (at), "%" PRId64, record->registered_at);
    snprintf (wall, sizeof (wall), "%" PRId64, record->registered_wall);
    const char *values [17] = {
        record->correlation_id, self->route, record->application_id, record->service,
        record->applicant_iin, record->sender_id, record->message_id, record->status,
        *record->registration_number ? record->registration_number : NULL,
        at, wall, record->signature_outcome, record->signer, record->signer_iin,
        record->refusal_code, record->refusal, record->provider_id
    };
    return s_command (self, "registration insert",
        "INSERT INTO registration (correlation_id, route_id, application_id, service,"
        " applicant_iin, sender_id, message_id, status, registration_number, registered_at,"
        " registered_wall, signature_outcome, signer, signer_iin, refusal_code, refusal,"
        " provider_id)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::bigint, $11::bigint, $12, $13,"
        " $14, $15, $16, $17)",
        17, values, NULL, NULL, NULL);
}

bool
regional_store_note_status (regional_store_t *self, const char *correlation_id,
                            const char *status, int64_t at_ms)
{
    assert (self && correlation_id && status);
    char at [24];
    snprintf (at, sizeof (at), "%" PRId64, at_ms);
    return s_command (self, "status note",
        "UPDATE registration SET last_status = $3, last_status_at = $4::bigint"
        " WHERE correlation_id = $1 AND route_id = $2",
        4, (const char *[]) { correlation_id, self->route, status, at }, NULL, NULL, NULL);
}

bool
regional_store_note_result (regional_store_t *self, const char *correlation_id,
                            bool approved, int64_t decided_ms)
{
    assert (self && correlation_id);
    char at [24];
    snprintf (at, sizeof (at), "%" PRId64, decided_ms);
    return s_command (self, "result note",
        "UPDATE registration SET result_approved = $3::boolean, result_at = $4::bigint"
        " WHERE correlation_id = $1 AND route_id = $2",
        4, (const char *[]) { correlation_id, self->route, approved ? "t" : "f", at },
        NULL, NULL, NULL);
}

void
regional_store_test (bool verbose)
{
    if (verbose)
        printf (" * regional_store: ");
    const char *conninfo = getenv ("EGOV_TEST_DB");
    if (!conninfo || !*conninfo) {
        if (verbose)
            printf ("(skipped: EGOV_TEST_DB unset) ");
        else
            printf ("regional_store: skipped: EGOV_TEST_DB unset\n");
    }
    else {
        PGconn *conn = egov_db_connect (conninfo, 5000);
        assert (conn);
        assert (egov_db_exec_script (conn,
            "DROP SCHEMA IF EXISTS regional_store_test CASCADE;"
            "CREATE SCHEMA regional_store_test;"
            "SET search_path TO regional_store_test", "test schema"));
        assert (egov_db_exec_script (conn, shep_participant_schema_sql, "participant schema"));
        assert (egov_db_exec_script (conn, regional_schema_sql, "regional schema"));
        //  Twice: the schema is applied at every start
        assert (egov_db_exec_script (conn, regional_schema_sql, "regional schema"));
        regional_store_t *store = regional_store_new (conn, "750000000");
        regional_store_t *other = regional_store_new (conn, "230000000");

        //  Numbers run per region and year
        assert (regional_store_next_sequence (store, 2026) == 1);
        assert (regional_store_next_sequence (store, 2026) == 2);
        assert (regional_store_next_sequence (store, 2027) == 1);
        assert (regional_store_next_sequence (other, 2026) == 1);
        Egov__Envelope *envelope = egov_envelope_new ("application.submit",
                                                      EGOV__MESSAGE_TYPE__REQUEST);
        egov_string_set (&envelope->sender_id, "intake");
        regional_record_t record = { .registered_at = 1780000000000, .registered_wall = 1770000000000 };
        snprintf (record.correlation_id, sizeof (record.correlation_id), "%s", envelope->correlation_id);
        snprintf (record.application_id, sizeof (record.application_id), "APP-1");
        snprintf (record.sender_id, sizeof (record.sender_id), "intake");
        snprintf (record.status, sizeof (record.status), "REGISTERED");
        snprintf (record.registration_number, sizeof (record.registration_number), "750000000-2026-000002");
        snprintf (record.signature_outcome, sizeof (record.signature_outcome), "OK");
        snprintf (record.signer, sizeof (record.signer), "Бекова Ақмарал Серікқызы (IIN 900417402817)");
        snprintf (record.service, sizeof (record.service), "externat-permit");
        snprintf (record.message_id, sizeof (record.message_id), "%s", envelope->message_id);
        assert (regional_store_register (store, &record));

        //  The journal reads back; another region does not see it
        regional_record_t found;
        assert (regional_store_find (store, envelope->correlation_id, &found) == 1);
        assert (streq (found.application_id, "APP-1") && streq (found.sender_id, "intake"));
        assert (streq (found.registration_number, "750000000-2026-000002"));
        assert (found.registered_at == 1780000000000 && found.registered_wall == 1770000000000);
        assert (streq (found.signer, record.signer) && streq (found.status, "REGISTERED"));
        assert (regional_store_find (other, envelope->correlation_id, &found) == 0);
        assert (regional_store_find (store, "no-such-application", &found) == 0);
        assert (regional_store_note_status (store, envelope->correlation_id, "IN_PROGRESS", 5));
        assert (regional_store_note_result (store, envelope->correlation_id, true, 6));

        //  A number is never given twice
        snprintf (record.correlation_id, sizeof (record.correlation_id), "another");
        assert (!regional_store_register (store, &record));

        egov__envelope__free_unpacked (envelope, NULL);
        regional_store_destroy (&other);
        regional_store_destroy (&store);
        regional_store_destroy (&store);
        assert (egov_db_exec_script (conn, "DROP SCHEMA regional_store_test CASCADE", "drop"));
        PQfinish (conn);
    }
    if (verbose)
        printf ("OK\n");
}
