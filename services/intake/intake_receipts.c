/*  intake_receipts — the receipts the State Corporation's operator prints for
    the applicant (seed 000 §13–14, the Standard's annex forms): the
    acceptance receipt of an application and the refusal receipt of an
    incomplete package, as printable HTML, retrievable at any time.       */
#include "intake_desk_private.h"
#include "egov_clock.h"

//  Appends text, escaped, to page.
static void
s_put (zchunk_t *page, const char *text)
{
    char *escaped = egov_markup_escape (text);
    zchunk_extend (page, escaped, strlen (escaped));
    free (escaped);
}

//  Appends markup as it is.
static void
s_raw (zchunk_t *page, const char *markup)
{
    zchunk_extend (page, markup, strlen (markup));
}

//  A row of the receipt's table: label and value (escaped).
static void
s_row (zchunk_t *page, const char *label, const char *value)
{
    s_raw (page, "<tr><th>");
    s_put (page, label);
    s_raw (page, "</th><td>");
    s_put (page, value && *value ? value : "—");
    s_raw (page, "</td></tr>\n");
}

//  A simulated moment as the receipt prints it (Almaty time).
static void
s_moment_row (zchunk_t *page, const char *label, PGresult *result, int column)
{
    char text [40] = "";
    if (!PQgetisnull (result, 0, column))
        egov_clock_format (strtoll (PQgetvalue (result, 0, column), NULL, 10), text, sizeof (text));
    text [16] = 0;                  //  to the minute
    if (text [10] == 'T')
        text [10] = ' ';
    s_row (page, label, text);
}

//  The page's head and title; the caller closes it with s_close.
static zchunk_t *
s_open (const char *title_kk, const char *title_en, const char *number)
{
    zchunk_t *page = zchunk_new (NULL, 4096);
    s_raw (page, "<!DOCTYPE html>\n<html lang=\"kk\"><head><meta charset=\"utf-8\"><title>");
    s_put (page, title_en);
    s_raw (page, " ");
    s_put (page, number);
    s_raw (page, "</title><style>body{font-family:serif;max-width:42em;margin:2em auto}"
                 "h1{font-size:1.3em;text-align:center}th{text-align:left;vertical-align:top;"
                 "padding-right:1em;font-weight:normal;color:#444}td{padding:.2em 0}"
                 "table{border-collapse:collapse;width:100%}.sign{margin-top:3em}"
                 "@media print{body{margin:0}}</style></head><body>\n<p>«Азаматтарға арналған үкімет» "
                 "мемлекеттік корпорациясы / State Corporation \"Government for Citizens\"</p>\n<h1>");
    s_put (page, title_kk);
    s_raw (page, "<br>");
    s_put (page, title_en);
    s_raw (page, " № ");
    s_put (page, number);
    s_raw (page, "</h1>\n<table>\n");
    return page;
}

//  Closes the page with the operator's line and hands it to reply.
static void
s_close (zchunk_t *page, egov_http_reply_t *reply, const char *operator_name)
{
    s_raw (page, "</table>\n<p class=\"sign\">Қабылдаған / Received by: ");
    s_put (page, operator_name);
    s_raw (page, " ____________ (қолы / signature)</p>\n</body></html>\n");
    zchunk_extend (page, "", 1);
    egov_http_reply_text (reply, "text/html; charset=utf-8", strdup ((char *) zchunk_data (page)));
    zchunk_destroy (&page);
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

void
intake_desk_receipt (intake_desk_t *self, const char *id, egov_http_reply_t *reply)
{
    if (!egov_uuid_valid (id)) {
        egov_http_reply_error (reply, 404, "APPLICATION_NOT_FOUND", "no application %.64s", id);
        return;
    }
    if (!intake_desk__db (self, reply))
        return;
    const char *values [] = { id };
    PGresult *result = intake_desk__sql (self, PGRES_TUPLES_OK,
        "SELECT receipt_number, service, region, applicant_iin, applicant_name, representative_iin,"
        "       representative_name, poa_number, operator_login, submitted_sim, received_sim,"
        "       result_due_sim, coalesce (documents::text, '[]'), registration_number"
        "  FROM application WHERE id = $1::uuid", 1, values, NULL, NULL);
    if (!result) {
        intake_desk__unavailable (reply);
        return;
    }
    if (PQntuples (result) != 1) {
        PQclear (result);
        egov_http_reply_error (reply, 404, "APPLICATION_NOT_FOUND", "no application %.64s", id);
        return;
    }
    const egov_catalogue_entry_t *entry = egov_catalogue_find (self->catalogue, PQgetvalue (result, 0, 1),
                                                               PQgetvalue (result, 0, 2));
    zchunk_t *page = s_open ("Құжаттарды қабылдау туралы қолхат", "Receipt of acceptance of documents",
                             PQgetvalue (result, 0, 0));
    s_row (page, "Service", entry && entry->name.en ? entry->name.en : PQgetvalue (result, 0, 1));
    s_row (page, "Қызмет", entry && entry->name.kk ? entry->name.kk : "");
    s_row (page, "Provider", entry && entry->provider.en ? entry->provider.en : PQgetvalue (result, 0, 2));
    char applicant [256];
    snprintf (applicant, sizeof (applicant), "%s, IIN %s", PQgetvalue (result, 0, 4), PQgetvalue (result, 0, 3));
    s_row (page, "Applicant", applicant);
    if (!PQgetisnull (result, 0, 5)) {
        char representative [320];
        snprintf (representative, sizeof (representative), "%s, IIN %s, power of attorney %s",
                  PQgetvalue (result, 0, 6), PQgetvalue (result, 0, 5), PQgetvalue (result, 0, 7));
        s_row (page, "Representative", representative);
    }
    s_moment_row (page, "Handed in", result, 9);
    s_moment_row (page, "Counts as received", result, 10);
    s_moment_row (page, "The result is ready by", result, 11);
    s_row (page, "Application", id);
    s_row (page, "Registration number", PQgetisnull (result, 0, 13) ? "" : PQgetvalue (result, 0, 13));
    //  The package as accepted: each document by type, name and size
    json_t *documents = json_loads (PQgetvalue (result, 0, 12), 0, NULL);
    s_raw (page, "<tr><th>Documents accepted</th><td><ol>");
    size_t index;
    json_t *document;
    json_array_foreach (documents, index, document) {
        char line [512];
        snprintf (line, sizeof (line), "%s — %s (%" JSON_INTEGER_FORMAT " bytes)",
                  json_string_value (json_object_get (document, "type")) ? json_string_value (json_object_get (document, "type")) : "",
                  json_string_value (json_object_get (document, "name")) ? json_string_value (json_object_get (document, "name")) : "",
                  json_integer_value (json_object_get (document, "size")));
        s_raw (page, "<li>");
        s_put (page, line);
        s_raw (page, "</li>");
    }
    if (json_array_size (documents) == 0)
        s_raw (page, "<li>—</li>");
    s_raw (page, "</ol></td></tr>\n");
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
    zchunk_t *page = s_open ("Құжаттарды қабылдаудан бас тарту туралы қолхат",
                             "Receipt of refusal to accept documents", PQgetvalue (result, 0, 0));
    s_row (page, "Service", entry && entry->name.en ? entry->name.en : PQgetvalue (result, 0, 1));
    s_row (page, "Applicant IIN", PQgetvalue (result, 0, 3));
    s_moment_row (page, "Issued", result, 5);
    s_row (page, "Ground", "the package is incomplete: the documents of item 9 of the Standard below are missing");
    json_t *missing = json_loads (PQgetvalue (result, 0, 6), 0, NULL);
    s_raw (page, "<tr><th>Missing documents</th><td><ol>");
    size_t index;
    json_t *type;
    json_array_foreach (missing, index, type) {
        const char *code = json_string_value (type);
        const char *name = code;
        for (size_t item = 0; entry && item < entry->document_count; item++)
            if (streq (entry->documents [item].code, code) && entry->documents [item].en)
                name = entry->documents [item].en;
        s_raw (page, "<li>");
        s_put (page, name);
        s_raw (page, "</li>");
    }
    s_raw (page, "</ol></td></tr>\n");
    json_decref (missing);
    char operator_name [256];
    s_operator_name (self, PQgetvalue (result, 0, 4), operator_name, sizeof (operator_name));
    PQclear (result);
    s_close (page, reply, operator_name);
}
