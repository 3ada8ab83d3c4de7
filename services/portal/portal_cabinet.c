/*  portal_cabinet — the citizen's personal cabinet (жеке кабинет / личный
    кабинет): the applications with their status and history, the result
    as an electronic document signed by the provider's authorised person
    (with the signature, so that anyone can check it: egovctl verify), and
    the notifications. A citizen sees only their own applications; another
    citizen's id answers 404 as if it did not exist.                      */
#include "portal_server_private.h"
#include "egov_application.h"
#include "egov_page.h"

//  A bigint column as a simulated moment, null when NULL.
static json_t *
s_moment (PGresult *result, int row, int column)
{
    if (PQgetisnull (result, row, column))
        return json_null ();
    return portal_server__time (strtoll (PQgetvalue (result, row, column), NULL, 10));
}

//  A text column, null when NULL.
static json_t *
s_text (PGresult *result, int row, int column)
{
    return PQgetisnull (result, row, column) ? json_null () : json_string (PQgetvalue (result, row, column));
}

//  A bytea column as base64, null when NULL or empty.
static json_t *
s_base64 (PGresult *result, int row, int column, json_t **as_json)
{
    if (as_json)
        *as_json = NULL;
    if (PQgetisnull (result, row, column))
        return json_null ();
    size_t size = 0;
    uint8_t *bytes = PQunescapeBytea ((const unsigned char *) PQgetvalue (result, row, column), &size);
    if (!bytes || size == 0) {
        PQfreemem (bytes);
        return json_null ();
    }
    if (as_json)
        *as_json = json_loadb ((const char *) bytes, size, 0, NULL);
    char *text = egov_cms_base64 (bytes, size);
    PQfreemem (bytes);
    json_t *value = json_string (text);
    free (text);
    return value;
}

//  The grounds column (JSON text) as an array.
static json_t *
s_grounds (const char *text)
{
    json_t *grounds = json_loads (text, 0, NULL);
    if (!json_is_array (grounds)) {
        json_decref (grounds);
        grounds = json_array ();
    }
    return grounds;
}

//  The service's English name, or its code.
static json_t *
s_service_name (portal_server_t *self, const char *code, const char *region)
{
    const egov_catalogue_entry_t *entry = egov_catalogue_find (self->config.catalogue, code, region);
    return json_string (entry ? entry->name.en : code);
}

#define s_COLUMNS \
    "id, service, region, status, receipt_number, subject_iin, subject_name, submitted_sim," \
    " received_sim, result_due_sim, registration_number, signer"

//  The summary of an application row (the s_COLUMNS at the row).
static json_t *
s_summary (portal_server_t *self, PGresult *result, int row)
{
    json_t *subject = PQgetisnull (result, row, 5) ? json_null ()
        : json_pack ("{s:s, s:o}", "iin", PQgetvalue (result, row, 5), "name", s_text (result, row, 6));
    return json_pack ("{s:s, s:s, s:o, s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:s}",
        "id", PQgetvalue (result, row, 0), "service", PQgetvalue (result, row, 1),
        "service_name", s_service_name (self, PQgetvalue (result, row, 1), PQgetvalue (result, row, 2)),
        "region", PQgetvalue (result, row, 2), "status", PQgetvalue (result, row, 3),
        "receipt_number", PQgetvalue (result, row, 4), "subject", subject,
        "submitted_at", s_moment (result, row, 7), "received_at", s_moment (result, row, 8),
        "result_due", s_moment (result, row, 9), "registration_number", s_text (result, row, 10),
        "signer", PQgetvalue (result, row, 11));
}

void
portal_server_applications (portal_server_t *self, const char *iin, egov_http_reply_t *reply)
{
    PGconn *conn = portal_server__db (self, reply);
    if (!conn)
        return;
    const char *values [] = { iin };
    PGresult *result = portal_server__sql (conn, PGRES_TUPLES_OK,
        "SELECT " s_COLUMNS " FROM application WHERE citizen_iin = $1 ORDER BY created_wall DESC, id",
        1, values, NULL, NULL);
    if (!result) {
        portal_server__db_down (reply);
        return;
    }
    json_t *list = json_array ();
    for (int row = 0; row < PQntuples (result); row++)
        json_array_append_new (list, s_summary (self, result, row));
    PQclear (result);
    egov_http_reply_set (reply, 200, json_pack ("{s:o}", "applications", list));
}

//  The citizen's own application id as sql ($1 the id, $2 the IIN) selects
//  it, or NULL with reply set: 404 APPLICATION_NOT_FOUND, or the database's
//  unavailability.
static PGresult *
s_own_row (portal_server_t *self, const char *iin, const char *id, const char *sql, egov_http_reply_t *reply)
{
    PGconn *conn = portal_server__db (self, reply);
    if (!conn)
        return NULL;
    if (!egov_uuid_valid (id)) {
        egov_http_reply_error (reply, 404, "APPLICATION_NOT_FOUND", "no application %.64s in your cabinet", id);
        return NULL;
    }
    const char *values [] = { id, iin };
    PGresult *result = portal_server__sql (conn, PGRES_TUPLES_OK, sql, 2, values, NULL, NULL);
    if (!result || PQntuples (result) != 1) {
        if (result)
            egov_http_reply_error (reply, 404, "APPLICATION_NOT_FOUND", "no application %s in your cabinet", id);
        else
            portal_server__db_down (reply);
        PQclear (result);
        return NULL;
    }
    return result;
}

void
portal_server_application (portal_server_t *self, const char *iin, const char *id,
                           egov_http_reply_t *reply)
{
    PGresult *result = s_own_row (self, iin, id,
        "SELECT " s_COLUMNS ", document, signature, result_approved, result_grounds::text[],"
        " result_document, result_signature, result_signer, result_outcome, result_decided_sim,"
        " result_number, refusal_note, array_to_json (coalesce (result_grounds, '{}'))"
        " FROM application WHERE id = $1 AND citizen_iin = $2", reply);
    if (!result)
        return;
    PGconn *conn = portal_server__db (self, reply);
    json_t *body = s_summary (self, result, 0);
    json_object_set_new (body, "request", json_pack ("{s:o, s:o}",
        "document_base64", s_base64 (result, 0, 12, NULL),
        "signature_base64", s_base64 (result, 0, 13, NULL)));
    json_t *outcome = json_null ();
    if (!PQgetisnull (result, 0, 14)) {
        json_t *document = NULL;
        json_t *document_base64 = s_base64 (result, 0, 16, &document);
        outcome = json_pack ("{s:b, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
            "approved", *PQgetvalue (result, 0, 14) == 't',
            "grounds", s_grounds (PQgetvalue (result, 0, 23)),
            "number", s_text (result, 0, 21), "decided_at", s_moment (result, 0, 20),
            "signer", s_text (result, 0, 18), "signature_outcome", s_text (result, 0, 19),
            "document", document ? document : json_null (),
            "document_base64", document_base64,
            "signature_base64", s_base64 (result, 0, 17, NULL));
    }
    json_object_set_new (body, "result", outcome);
    json_object_set_new (body, "refusal_note", s_text (result, 0, 22));
    json_object_set_new (body, "overdue", json_boolean (egov_application_overdue (
        PQgetvalue (result, 0, 3), PQgetisnull (result, 0, 9) ? 0 : strtoll (PQgetvalue (result, 0, 9), NULL, 10),
        PQgetisnull (result, 0, 20) ? 0 : strtoll (PQgetvalue (result, 0, 20), NULL, 10),
        egov_clock_now_ms ())));
    PQclear (result);
    const char *keys [] = { id };
    result = portal_server__sql (conn, PGRES_TUPLES_OK,
        "SELECT status, step, role, actor, note, at_sim,"
        " (extract (epoch FROM at_wall) * 1000)::bigint"
        " FROM history WHERE application_id = $1 ORDER BY seq", 1, keys, NULL, NULL);
    if (!result) {
        //  Half a cabinet would read as an application without a past
        json_decref (body);
        portal_server__db_down (reply);
        return;
    }
    json_t *history = json_array ();
    //  Times as at the desk: simulated_at and wall_at, ISO 8601 in Almaty time
    for (int row = 0; row < PQntuples (result); row++)
        json_array_append_new (history, json_pack ("{s:s, s:s, s:s, s:s, s:s, s:o, s:o}",
            "status", PQgetvalue (result, row, 0), "step", PQgetvalue (result, row, 1),
            "role", PQgetvalue (result, row, 2), "actor", PQgetvalue (result, row, 3),
            "note", PQgetvalue (result, row, 4), "simulated_at", s_moment (result, row, 5),
            "wall_at", s_moment (result, row, 6)));
    PQclear (result);
    json_object_set_new (body, "history", history);
    egov_http_reply_set (reply, 200, body);
}

void
portal_server_receipt_page (portal_server_t *self, const char *iin, const char *id, egov_http_reply_t *reply)
{
    PGresult *result = s_own_row (self, iin, id,
        "SELECT " s_COLUMNS " FROM application WHERE id = $1 AND citizen_iin = $2", reply);
    if (!result)
        return;
    const egov_catalogue_entry_t *entry = egov_catalogue_find (self->config.catalogue, PQgetvalue (result, 0, 1),
                                                               PQgetvalue (result, 0, 2));
    egov_page_t *page = egov_page_new ("«Электрондық үкімет» веб-порталы / The e-government portal (egov.kz)",
                                       "Өтінішті қабылдау туралы хабарлама", "Notice of acceptance of the request",
                                       PQgetvalue (result, 0, 4));
    egov_page_row (page, "Service", entry && entry->name.en ? entry->name.en : PQgetvalue (result, 0, 1));
    egov_page_row (page, "Қызмет", entry && entry->name.kk ? entry->name.kk : "");
    egov_page_row (page, "Provider", entry && entry->provider.en ? entry->provider.en : PQgetvalue (result, 0, 2));
    egov_page_row (page, "Signed by", PQgetvalue (result, 0, 11));
    if (!PQgetisnull (result, 0, 5)) {
        char subject [256];
        snprintf (subject, sizeof (subject), "%.200s, IIN %.12s", PQgetvalue (result, 0, 6), PQgetvalue (result, 0, 5));
        egov_page_row (page, "For", subject);
    }
    egov_page_moment (page, "Sent", PQgetisnull (result, 0, 7) ? 0 : strtoll (PQgetvalue (result, 0, 7), NULL, 10));
    egov_page_moment (page, "Counts as received", PQgetisnull (result, 0, 8) ? 0 : strtoll (PQgetvalue (result, 0, 8), NULL, 10));
    egov_page_moment (page, "The result is ready by", PQgetisnull (result, 0, 9) ? 0 : strtoll (PQgetvalue (result, 0, 9), NULL, 10));
    egov_page_row (page, "Application", id);
    egov_page_row (page, "Status now", PQgetvalue (result, 0, 3));
    egov_page_row (page, "Registration number", PQgetisnull (result, 0, 10) ? "" : PQgetvalue (result, 0, 10));
    PQclear (result);
    egov_http_reply_text (reply, "text/html; charset=utf-8", egov_page_end (&page,
        "Электрондық құжат / An electronic document: the request as signed and its CMS signature are in the cabinet."));
}

void
portal_server_result_page (portal_server_t *self, const char *iin, const char *id, egov_http_reply_t *reply)
{
    PGresult *result = s_own_row (self, iin, id,
        "SELECT service, region, receipt_number, registration_number, result_approved,"
        "       convert_from (result_document, 'UTF8'), result_signer, result_outcome,"
        "       result_decided_sim, result_number"
        "  FROM application WHERE id = $1 AND citizen_iin = $2", reply);
    if (!result)
        return;
    if (PQgetisnull (result, 0, 4)) {
        PQclear (result);
        egov_http_reply_error (reply, 409, "RESULT_NOT_READY", "the provider has not decided application %s yet", id);
        return;
    }
    const egov_catalogue_entry_t *entry = egov_catalogue_find (self->config.catalogue, PQgetvalue (result, 0, 0),
                                                               PQgetvalue (result, 0, 1));
    json_t *document = json_loads (PQgetvalue (result, 0, 5), 0, NULL);
    char *text = egov_page_result (entry, document, *PQgetvalue (result, 0, 4) == 't',
        PQgetisnull (result, 0, 8) ? 0 : strtoll (PQgetvalue (result, 0, 8), NULL, 10),
        PQgetvalue (result, 0, 2), PQgetvalue (result, 0, 3), PQgetvalue (result, 0, 6),
        PQgetvalue (result, 0, 7), PQgetvalue (result, 0, 9));
    json_decref (document);
    PQclear (result);
    egov_http_reply_text (reply, "text/html; charset=utf-8", text);
}

void
portal_server_notifications (portal_server_t *self, const char *iin, egov_http_reply_t *reply)
{
    PGconn *conn = portal_server__db (self, reply);
    if (!conn)
        return;
    const char *values [] = { iin };
    PGresult *result = portal_server__sql (conn, PGRES_TUPLES_OK,
        "SELECT n.seq, n.application_id, n.kind, n.status, n.text, n.ready_sim, n.at_sim,"
        " a.receipt_number FROM notification n JOIN application a ON a.id = n.application_id"
        " WHERE n.iin = $1 ORDER BY n.seq", 1, values, NULL, NULL);
    if (!result) {
        portal_server__db_down (reply);
        return;
    }
    json_t *list = json_array ();
    for (int row = 0; row < PQntuples (result); row++)
        json_array_append_new (list, json_pack ("{s:I, s:s, s:s, s:s, s:s, s:s, s:o, s:o}",
            "seq", (json_int_t) strtoll (PQgetvalue (result, row, 0), NULL, 10),
            "application_id", PQgetvalue (result, row, 1), "receipt_number", PQgetvalue (result, row, 7),
            "kind", PQgetvalue (result, row, 2), "status", PQgetvalue (result, row, 3),
            "text", PQgetvalue (result, row, 4), "ready_at", s_moment (result, row, 5),
            "simulated_at", s_moment (result, row, 6)));
    PQclear (result);
    egov_http_reply_set (reply, 200, json_pack ("{s:o}", "notifications", list));
}
