/*  intake_receipts — the receipts the State Corporation's operator prints for
    the applicant (seed 000 §13–14, the Standard's annex forms): the
    acceptance receipt of an application and the refusal receipt of an
    incomplete package, as printable HTML, retrievable at any time.       */
#include "intake_desk_private.h"
#include "egov_page.h"

#define s_ISSUER "«Азаматтарға арналған үкімет» мемлекеттік корпорациясы / State Corporation \"Government for Citizens\""

//  Who gives the receipts: the State Corporation, or at an office the
//  service's provider ("kk / en"), into buffer.
static const char *
s_issuer (intake_desk_t *self, const egov_catalogue_entry_t *entry, char *buffer, size_t size)
{
    if (!*self->office || !entry || !entry->provider.kk)
        return s_ISSUER;
    snprintf (buffer, size, "%s / %s", entry->provider.kk, entry->provider.en ? entry->provider.en : "");
    return buffer;
}

//  A simulated moment of a column (0 when NULL).
static int64_t
s_ms (PGresult *result, int column)
{
    return PQgetisnull (result, 0, column) ? 0 : strtoll (PQgetvalue (result, 0, column), NULL, 10);
}

//  The operator's closing line, and the page to reply.
static void
s_close (egov_page_t *page, egov_http_reply_t *reply, const char *operator_name)
{
    char closing [512];
    snprintf (closing, sizeof (closing), "Қабылдаған / Received by: %.255s ____________ (қолы / signature)",
              operator_name);
    egov_http_reply_text (reply, "text/html; charset=utf-8", egov_page_end (&page, closing));
}

//  The operator's name by login, "" when unknown.
static void
s_operator_name (intake_desk_t *self, const char *login, char *name, size_t size)
{
    const char *values [] = { login };
    PGresult *result = intake_desk__sql (self, PGRES_TUPLES_OK,
        "SELECT name FROM operator WHERE login = $1", 1, values, NULL, NULL);
    snprintf (name, size, "%s", result && PQntuples (result) ? PQgetvalue (result, 0, 0) : login);
    PQclear (result);
}

//  The row of application id that sql (its $1) selects, or NULL with reply
//  set: 404 APPLICATION_NOT_FOUND, or the database's unavailability.
static PGresult *
s_application_row (intake_desk_t *self, const char *id, const char *sql, egov_http_reply_t *reply)
{
    if (!egov_uuid_valid (id)) {
        egov_http_reply_error (reply, 404, "APPLICATION_NOT_FOUND", "no application %.64s", id);
        return NULL;
    }
    if (!intake_desk__db (self, reply))
        return NULL;
    const char *values [] = { id };
    PGresult *result = intake_desk__sql (self, PGRES_TUPLES_OK, sql, 1, values, NULL, NULL);
    if (!result)
        intake_desk__unavailable (reply);
    else
    if (PQntuples (result) != 1) {
        PQclear (result);
        result = NULL;
        egov_http_reply_error (reply, 404, "APPLICATION_NOT_FOUND", "no application %.64s", id);
    }
    return result;
}

//  The form as filled in, one "label: value" line per field given, in the
//  order of the catalogue's form (the key for a field it no longer has).
static void
s_form_list (const egov_catalogue_entry_t *entry, const char *text, egov_page_t *page)
{
    json_t *form = json_loads (text, 0, NULL);
    size_t count = json_object_size (form), used = 0;
    char **lines = (char **) calloc (count + 1, sizeof (char *));
    assert (lines);
    size_t fields = entry ? egov_form_size (entry->request_form) : 0;
    for (size_t index = 0; index <= fields && used < count; index++) {
        const egov_field_t *field = index < fields ? egov_form_field (entry->request_form, index) : NULL;
        const char *key;
        json_t *value;
        json_object_foreach (form, key, value) {
            bool known = false;
            for (size_t other = 0; other < fields && !known; other++)
                known = streq (egov_form_field (entry->request_form, other)->key, key);
            if (field ? !streq (field->key, key) : known)
                continue;
            char *shown = json_is_string (value) ? strdup (json_string_value (value))
                        : json_dumps (value, JSON_ENCODE_ANY | JSON_COMPACT);
            assert (shown);
            lines [used++] = zsys_sprintf ("%s: %s", field ? field->label.en : key, shown);
            free (shown);
        }
    }
    if (used)
        egov_page_list (page, "The form as filled in", (const char *const *) lines, used);
    for (size_t index = 0; index < used; index++)
        zstr_free (&lines [index]);
    free (lines);
    json_decref (form);
}

void
intake_desk_receipt (intake_desk_t *self, const char *id, egov_http_reply_t *reply)
{
    PGresult *result = s_application_row (self, id,
        "SELECT receipt_number, service, region, applicant_iin, applicant_name, representative_iin,"
        "       representative_name, poa_number, operator_login, submitted_sim, received_sim,"
        "       result_due_sim, coalesce (documents::text, '[]'), registration_number,"
        "       coalesce (form::text, '{}'), child->>'iin', child->>'name'"
        "  FROM application WHERE id = $1::uuid", reply);
    if (!result)
        return;
    const egov_catalogue_entry_t *entry = egov_catalogue_find (self->catalogue, PQgetvalue (result, 0, 1),
                                                               PQgetvalue (result, 0, 2));
    char issuer [1024];
    egov_page_t *page = egov_page_new (s_issuer (self, entry, issuer, sizeof (issuer)), "Құжаттарды қабылдау туралы қолхат",
                                       "Receipt of acceptance of documents", PQgetvalue (result, 0, 0));
    egov_page_row (page, "Service", entry && entry->name.en ? entry->name.en : PQgetvalue (result, 0, 1));
    egov_page_row (page, "Қызмет", entry && entry->name.kk ? entry->name.kk : "");
    egov_page_row (page, "Provider", entry && entry->provider.en ? entry->provider.en : PQgetvalue (result, 0, 2));
    char applicant [256];
    snprintf (applicant, sizeof (applicant), "%s, IIN %s", PQgetvalue (result, 0, 4), PQgetvalue (result, 0, 3));
    egov_page_row (page, "Applicant", applicant);
    if (!PQgetisnull (result, 0, 5)) {
        char representative [320];
        snprintf (representative, sizeof (representative), "%s, IIN %s, power of attorney %s",
                  PQgetvalue (result, 0, 6), PQgetvalue (result, 0, 5), PQgetvalue (result, 0, 7));
        egov_page_row (page, "Representative", representative);
    }
    if (!PQgetisnull (result, 0, 15)) {
        char child [320];
        snprintf (child, sizeof (child), "%s, IIN %s", PQgetisnull (result, 0, 16) ? "-"
                  : PQgetvalue (result, 0, 16), PQgetvalue (result, 0, 15));
        egov_page_row (page, "Child", child);
    }
    s_form_list (entry, PQgetvalue (result, 0, 14), page);
    egov_page_moment (page, "Handed in", s_ms (result, 9));
    egov_page_moment (page, "Counts as received", s_ms (result, 10));
    egov_page_moment (page, "The result is ready by", s_ms (result, 11));
    egov_page_row (page, "Application", id);
    egov_page_row (page, "Registration number", PQgetisnull (result, 0, 13) ? "" : PQgetvalue (result, 0, 13));
    //  The package as accepted: each document by type, name and size
    json_t *documents = json_loads (PQgetvalue (result, 0, 12), 0, NULL);
    size_t count = json_array_size (documents);
    char **lines = (char **) calloc (count + 1, sizeof (char *));
    assert (lines);
    for (size_t index = 0; index < count; index++) {
        json_t *document = json_array_get (documents, index);
        const char *type = json_string_value (json_object_get (document, "type"));
        const char *name = json_string_value (json_object_get (document, "name"));
        lines [index] = zsys_sprintf ("%s — %s (%" JSON_INTEGER_FORMAT " bytes)", type ? type : "",
                                      name ? name : "", json_integer_value (json_object_get (document, "size")));
    }
    egov_page_list (page, "Documents accepted", (const char *const *) lines, count);
    for (size_t index = 0; index < count; index++)
        zstr_free (&lines [index]);
    free (lines);
    json_decref (documents);
    char operator_name [256];
    s_operator_name (self, PQgetvalue (result, 0, 8), operator_name, sizeof (operator_name));
    PQclear (result);
    s_close (page, reply, operator_name);
}

void
intake_desk_refusal_receipt (intake_desk_t *self, const char *number, egov_http_reply_t *reply)
{
    if (strlen (number) > 64) {
        egov_http_reply_error (reply, 404, "RECEIPT_NOT_FOUND", "no refusal receipt %.64s", number);
        return;
    }
    if (!intake_desk__db (self, reply))
        return;
    const char *values [] = { number };
    PGresult *result = intake_desk__sql (self, PGRES_TUPLES_OK,
        "SELECT number, service, region, applicant_iin, operator_login, issued_sim,"
        "       array_to_json (missing)::text"
        "  FROM refusal_receipt WHERE number = $1", 1, values, NULL, NULL);
    if (!result) {
        intake_desk__unavailable (reply);
        return;
    }
    if (PQntuples (result) != 1) {
        PQclear (result);
        egov_http_reply_error (reply, 404, "RECEIPT_NOT_FOUND", "no refusal receipt %.64s", number);
        return;
    }
    const egov_catalogue_entry_t *entry = egov_catalogue_find (self->catalogue, PQgetvalue (result, 0, 1),
                                                               PQgetvalue (result, 0, 2));
    char issuer [1024];
    egov_page_t *page = egov_page_new (s_issuer (self, entry, issuer, sizeof (issuer)), "Құжаттарды қабылдаудан бас тарту туралы қолхат",
                                       "Receipt of refusal to accept documents", PQgetvalue (result, 0, 0));
    egov_page_row (page, "Service", entry && entry->name.en ? entry->name.en : PQgetvalue (result, 0, 1));
    egov_page_row (page, "Applicant IIN", PQgetvalue (result, 0, 3));
    egov_page_moment (page, "Issued", s_ms (result, 5));
    egov_page_row (page, "Ground", "the package is incomplete: the documents of item 9 of the Standard below are missing");
    json_t *missing = json_loads (PQgetvalue (result, 0, 6), 0, NULL);
    size_t count = json_array_size (missing);
    const char **names = (const char **) calloc (count + 1, sizeof (char *));
    assert (names);
    for (size_t index = 0; index < count; index++) {
        const char *code = json_string_value (json_array_get (missing, index));
        names [index] = code ? code : "";
        for (size_t item = 0; entry && code && item < entry->document_count; item++)
            if (streq (entry->documents [item].code, code) && entry->documents [item].en)
                names [index] = entry->documents [item].en;
    }
    egov_page_list (page, "Missing documents", names, count);
    free (names);
    json_decref (missing);
    char operator_name [256];
    s_operator_name (self, PQgetvalue (result, 0, 4), operator_name, sizeof (operator_name));
    PQclear (result);
    s_close (page, reply, operator_name);
}

void
intake_desk_result_page (intake_desk_t *self, const char *id, egov_http_reply_t *reply)
{
    PGresult *result = s_application_row (self, id,
        "SELECT service, region, receipt_number, coalesce (registration_number, ''), result_approved,"
        "       convert_from (result_document, 'UTF8'), coalesce (result_signer, ''),"
        "       coalesce (result_signature, ''), result_decided_sim"
        "  FROM application WHERE id = $1::uuid", reply);
    if (!result)
        return;
    if (PQgetisnull (result, 0, 4) || PQgetisnull (result, 0, 5)) {
        PQclear (result);
        egov_http_reply_error (reply, 409, "RESULT_NOT_READY", "the provider has not decided application %s yet", id);
        return;
    }
    const egov_catalogue_entry_t *entry = egov_catalogue_find (self->catalogue, PQgetvalue (result, 0, 0),
                                                               PQgetvalue (result, 0, 1));
    json_t *document = json_loads (PQgetvalue (result, 0, 5), 0, NULL);
    const char *number = json_string_value (json_object_get (document, "outgoing_number"));
    char *text = egov_page_result (entry, document, *PQgetvalue (result, 0, 4) == 't', s_ms (result, 8),
                                   PQgetvalue (result, 0, 2), PQgetvalue (result, 0, 3),
                                   PQgetvalue (result, 0, 6), PQgetvalue (result, 0, 7), number ? number : id);
    json_decref (document);
    PQclear (result);
    egov_http_reply_text (reply, "text/html; charset=utf-8", text);
}
