/*  leb_outbox — outgoing messages stored with the effect, sent afterwards.  */
#include "leb_outbox.h"
#include "egov_db.h"

extern const char *leb_schema_sql;

//  Sets DB_UNAVAILABLE from a failed result.
static void
s_db_error (egov_error_t *error, PGresult *result, const char *what)
{
    egov_error_set (error, "DB_UNAVAILABLE", "%s: %s", what,
                    result ? PQresultErrorMessage (result) : "no connection");
}

int
leb_outbox_put (PGconn *conn, const leb_outgoing_t *message, char *message_id,
                egov_error_t *error)
{
    assert (conn && message);
    char *id = egov_uuid_new ();
    char type [8], created [24];
    snprintf (type, sizeof (type), "%d", (int) message->type);
    snprintf (created, sizeof (created), "%" PRId64, message->created_ms);
    const char *values [] = {
        id, message->correlation_id, message->service_id, type, message->recipient_id,
        message->payload_type, message->payload ? (const char *) message->payload : "", created
    };
    int lengths [] = { 0, 0, 0, 0, 0, 0, (int) message->payload_size, 0 };
    int formats [] = { 0, 0, 0, 0, 0, 0, 1, 0 };
    PGresult *result = PQexecParams (conn,
        "INSERT INTO outbox (message_id, correlation_id, service_id, message_type,"
        "                    recipient_id, payload_type, payload, created_ms)"
        " VALUES ($1, $2, $3, $4::integer, $5, $6, $7, $8::bigint)",
        8, NULL, values, lengths, formats, 0);
    int rc = 0;
    if (!egov_db_check (result, PGRES_COMMAND_OK, "outbox insert")) {
        s_db_error (error, result, "outbox insert");
        rc = -1;
    }
    else
    if (message_id)
        snprintf (message_id, 37, "%s", id);
    PQclear (result);
    free (id);
    return rc;
}

int
leb_outbox_put_message (PGconn *conn, const leb_outgoing_t *message,
                        const ProtobufCMessage *payload, char *message_id, egov_error_t *error)
{
    assert (payload);
    size_t size = protobuf_c_message_get_packed_size (payload);
    uint8_t *packed = malloc (size ? size : 1);
    assert (packed);
    protobuf_c_message_pack (payload, packed);
    leb_outgoing_t copy = *message;
    copy.payload = packed;
    copy.payload_size = size;
    copy.payload_type = payload->descriptor->name;
    int rc = leb_outbox_put (conn, &copy, message_id, error);
    free (packed);
    return rc;
}

int64_t
leb_outbox_pending (PGconn *conn, egov_error_t *error)
{
    PGresult *result = PQexecParams (conn, "SELECT count(*) FROM outbox WHERE sent_at IS NULL",
                                     0, NULL, NULL, NULL, NULL, 0);
    int64_t count = -1;
    if (egov_db_check (result, PGRES_TUPLES_OK, "outbox count"))
        count = strtoll (PQgetvalue (result, 0, 0), NULL, 10);
    else
        s_db_error (error, result, "outbox count");
    PQclear (result);
    return count;
}

//  The envelope of row of result (columns as leb_outbox_flush selects them).
static Egov__Envelope *
s_envelope (PGresult *result, int row)
{
    Egov__Envelope *envelope = egov_envelope_new (PQgetvalue (result, row, 2),
        (Egov__MessageType) atoi (PQgetvalue (result, row, 3)));
    egov_string_set (&envelope->message_id, PQgetvalue (result, row, 0));
    egov_string_set (&envelope->correlation_id, PQgetvalue (result, row, 1));
    egov_string_set (&envelope->recipient_id, PQgetvalue (result, row, 4));
    egov_string_set (&envelope->payload_type, PQgetvalue (result, row, 5));
    size_t size = 0;
    unsigned char *payload = PQunescapeBytea (
        (const unsigned char *) PQgetvalue (result, row, 6), &size);
    assert (payload);
    if (size) {
        envelope->payload.data = malloc (size);
        assert (envelope->payload.data);
        memcpy (envelope->payload.data, payload, size);
        envelope->payload.len = size;
    }
    PQfreemem (payload);
    return envelope;
}

int
leb_outbox_flush (PGconn *conn, shep_client_t *client, int limit, int timeout_ms,
                  egov_error_t *error)
{
    assert (conn && client);
    char count [16];
    snprintf (count, sizeof (count), "%d", limit);
    const char *values [] = { count };
    PGresult *result = PQexecParams (conn,
        "SELECT message_id, correlation_id, service_id, message_type, recipient_id,"
        "       payload_type, payload, seq"
        " FROM outbox WHERE sent_at IS NULL ORDER BY seq LIMIT $1::integer",
        1, NULL, values, NULL, NULL, 0);
    if (!egov_db_check (result, PGRES_TUPLES_OK, "outbox read")) {
        s_db_error (error, result, "outbox read");
        PQclear (result);
        return -1;
    }
    int sent = 0;
    for (int row = 0; row < PQntuples (result); row++) {
        Egov__Envelope *envelope = s_envelope (result, row);
        Egov__DeliveryStatus status;
        int rc = shep_client_submit (client, envelope, 0, timeout_ms, &status, error);
        egov__envelope__free_unpacked (envelope, NULL);
        if (rc)
            break;
        const char *seq [] = { PQgetvalue (result, row, 7) };
        PGresult *marked = PQexecParams (conn,
            "UPDATE outbox SET sent_at = now () WHERE seq = $1::bigint",
            1, NULL, seq, NULL, NULL, 0);
        bool ok = egov_db_check (marked, PGRES_COMMAND_OK, "outbox mark");
        if (!ok)
            s_db_error (error, marked, "outbox mark");
        PQclear (marked);
        if (!ok)
            break;              //  sent again later: the gateway dedupes the id
        sent++;
    }
    bool failed = sent < PQntuples (result);
    PQclear (result);
    return failed && sent == 0 ? -1 : sent;
}

//  ---------------------------------------------------------------------
//  Selftest

void
leb_outbox_test (bool verbose)
{
    if (verbose)
        printf (" * leb_outbox: ");
    const char *conninfo = getenv ("EGOV_TEST_DB");
    if (!conninfo || !*conninfo) {
        printf (verbose ? "(database part skipped: EGOV_TEST_DB unset) OK\n"
                        : "leb_outbox: database part skipped: EGOV_TEST_DB unset\n");
        return;
    }
    PGconn *conn = egov_db_connect (conninfo, 5000);
    assert (conn);
    assert (egov_db_exec_script (conn,
        "DROP SCHEMA IF EXISTS leb_outbox_test CASCADE; CREATE SCHEMA leb_outbox_test;"
        "SET search_path TO leb_outbox_test", "test schema"));
    assert (egov_db_exec_script (conn, leb_schema_sql, "leb schema"));
    egov_error_t error;
    assert (leb_outbox_pending (conn, &error) == 0);
    //  A message with binary payload, zero bytes included, and an empty one
    Egov__Envelope inner = EGOV__ENVELOPE__INIT;
    inner.message_id = "00000000-0000-4000-8000-000000000001";
    inner.sim_date = 1;
    leb_outgoing_t message = {
        .correlation_id = "c1", .service_id = "application.status",
        .type = EGOV__MESSAGE_TYPE__UPDATE, .recipient_id = "regional-750000000",
        .created_ms = 42
    };
    char first [37], second [37];
    assert (leb_outbox_put_message (conn, &message, &inner.base, first, &error) == 0);
    assert (egov_uuid_valid (first));
    message.payload_type = "egov.applications.StatusNotice";
    assert (leb_outbox_put (conn, &message, second, &error) == 0);
    assert (!streq (first, second));
    assert (leb_outbox_pending (conn, &error) == 2);
    const char *values [] = { first };
    PGresult *result = PQexecParams (conn,
        "SELECT payload_type, length (payload) FROM outbox WHERE message_id = $1",
        1, NULL, values, NULL, NULL, 0);
    assert (PQresultStatus (result) == PGRES_TUPLES_OK && PQntuples (result) == 1);
    assert (streq (PQgetvalue (result, 0, 0), "egov.Envelope"));
    assert (atoi (PQgetvalue (result, 0, 1))
            == (int) protobuf_c_message_get_packed_size (&inner.base));
    PQclear (result);
    //  Without a gateway nothing is marked sent: the rows wait for the next flush
    shep_client_t *client = shep_client_new ("tcp://127.0.0.1:9", "leb-test");
    assert (leb_outbox_flush (conn, client, 10, 300, &error) == -1);
    assert (*error.code);
    assert (leb_outbox_pending (conn, &error) == 2);
    shep_client_destroy (&client);
    //  A broken store says so
    assert (egov_db_exec_script (conn, "DROP TABLE outbox", "drop"));
    assert (leb_outbox_pending (conn, &error) == -1 && streq (error.code, "DB_UNAVAILABLE"));
    assert (leb_outbox_put (conn, &message, NULL, &error) == -1);
    assert (egov_db_exec_script (conn, "DROP SCHEMA leb_outbox_test CASCADE", "drop"));
    PQfinish (conn);
    if (verbose)
        printf ("OK\n");
}
