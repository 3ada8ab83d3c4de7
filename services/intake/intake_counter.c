/*  intake_counter — the desk's window to the applicant: an application as
    the operator sees it (status, history, result or motivated refusal), and
    Process 9, handing the result over on the receipt and an identity
    document from the registry of individuals (or asking a returned result
    back from the provider).                                             */
#include "intake_desk_private.h"
#include "egov_lifecycle.h"
#include "egov_application.h"

//  GET /api/v1/applications/{id}

//  Boolean column value, or JSON null when NULL.
static json_t *
s_bool (PGresult *result, int column)
{
    return PQgetisnull (result, 0, column) ? json_null ()
         : json_boolean (*PQgetvalue (result, 0, column) == 't');
}

//  Text column value, or JSON null when NULL.
static json_t *
s_text (PGresult *result, int row, int column)
{
    return PQgetisnull (result, row, column) ? json_null ()
         : json_string (PQgetvalue (result, row, column));
}

//  A simulated-time column as ISO text, or null.
static json_t *
s_moment (PGresult *result, int row, int column)
{
    return PQgetisnull (result, row, column) ? json_null ()
         : intake_desk__time (strtoll (PQgetvalue (result, row, column), NULL, 10));
}

//  A text[] column as a JSON array (PostgreSQL's array_to_json text).
static json_t *
s_array (PGresult *result, int column)
{
    if (PQgetisnull (result, 0, column))
        return json_array ();
    json_t *array = json_loads (PQgetvalue (result, 0, column), 0, NULL);
    return array ? array : json_array ();
}

json_t *
intake_desk__view (intake_desk_t *self, const char *id, bool *failed)
{
    *failed = false;
    if (!egov_uuid_valid (id))
        return NULL;
    const char *values [] = { id };
    PGresult *result = intake_desk__sql (self, PGRES_TUPLES_OK,
        "SELECT id, service, region, applicant_iin, applicant_name, representative_iin,"
        " representative_name, poa_number, operator_login, status, receipt_number, paper,"
        " register_number, submitted_sim, received_sim, result_due_sim, registration_number,"
        " result_approved, array_to_json (result_grounds), convert_from (result_document, 'UTF8'),"
        " result_signer, result_signature, result_decided_sim, refusal_note, storage_until_sim,"
        " recall_due_sim, barcode, issued_to, coalesce (form::text, '{}'), child::text, archived_sim"
        " FROM application WHERE id = $1", 1, values, NULL, NULL);
    if (!result) {
        *failed = true;
        return NULL;
    }
    if (PQntuples (result) != 1) {
        PQclear (result);
        return NULL;
    }
    json_t *representative = PQgetisnull (result, 0, 5) ? json_null ()
        : json_pack ("{s:o, s:o, s:o}", "iin", s_text (result, 0, 5), "name", s_text (result, 0, 6),
                     "poa_number", s_text (result, 0, 7));
    const char *status = PQgetvalue (result, 0, 9);
    json_t *outcome = json_null ();
    if (!PQgetisnull (result, 0, 17)) {
        const char *document_text = PQgetisnull (result, 0, 19) ? "" : PQgetvalue (result, 0, 19);
        json_t *document = json_loads (document_text, 0, NULL);
        outcome = json_pack ("{s:o, s:o, s:o, s:o, s:o, s:o}",
            "approved", s_bool (result, 17), "grounds", s_array (result, 18),
            "document", document ? document : json_string (document_text),
            "signer", s_text (result, 0, 20), "signature", s_text (result, 0, 21),
            "decided_at", s_moment (result, 0, 22));
    }
    json_t *refusal = json_null ();
    if (streq (status, "REFUSED") || (!PQgetisnull (result, 0, 17) && *PQgetvalue (result, 0, 17) == 'f'))
        refusal = json_pack ("{s:o, s:o}", "grounds", s_array (result, 18),
                             "note", s_text (result, 0, 23));
    json_t *paper = json_null ();
    if (*PQgetvalue (result, 0, 11) == 't')
        paper = json_pack ("{s:o, s:o}", "register_number", s_text (result, 0, 12),
                           "barcode", s_text (result, 0, 26));
    json_t *view = json_pack ("{s:o, s:o, s:o, s:{s:o, s:o}, s:o, s:o, s:s, s:o, s:o, s:o,"
                              " s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
        "id", s_text (result, 0, 0), "service", s_text (result, 0, 1), "region", s_text (result, 0, 2),
        "applicant", "iin", s_text (result, 0, 3), "name", s_text (result, 0, 4),
        "representative", representative, "operator", s_text (result, 0, 8), "status", status,
        "receipt_number", s_text (result, 0, 10),
        "route", json_string (*self->office ? "office" : json_is_null (paper) ? "electronic" : "paper"),
        "paper", paper, "submitted_at", s_moment (result, 0, 13),
        "received_at", s_moment (result, 0, 14), "result_due", s_moment (result, 0, 15),
        "registration_number", s_text (result, 0, 16), "result", outcome, "refusal", refusal,
        "storage_until", s_moment (result, 0, 24), "recall_due", s_moment (result, 0, 25));
    assert (view);
    json_object_set_new (view, "issued_to", s_text (result, 0, 27));
    //  Unclaimed for a month and kept in the centre's archive (seed 001 item 8 7))
    json_object_set_new (view, "archived_at", s_moment (result, 0, 30));
    //  The form as filled in, and the child it names ({iin, name, birth_certificate})
    json_t *form = json_loads (PQgetvalue (result, 0, 28), JSON_DECODE_ANY, NULL);
    json_object_set_new (view, "form", json_is_object (form) ? form : json_object ());
    if (form && !json_is_object (form))
        json_decref (form);
    json_t *child = PQgetisnull (result, 0, 29) ? NULL : json_loads (PQgetvalue (result, 0, 29), 0, NULL);
    json_object_set_new (view, "child", child ? child : json_null ());
    json_object_set_new (view, "overdue", json_boolean (egov_application_overdue (status,
        PQgetisnull (result, 0, 15) ? 0 : strtoll (PQgetvalue (result, 0, 15), NULL, 10),
        PQgetisnull (result, 0, 22) ? 0 : strtoll (PQgetvalue (result, 0, 22), NULL, 10),
        egov_clock_now_ms ())));
    PQclear (result);
    result = intake_desk__sql (self, PGRES_TUPLES_OK,
        "SELECT status, step, role, actor, note, at_sim,"
        " (extract (epoch FROM at_wall) * 1000)::bigint FROM history"
        " WHERE application_id = $1 ORDER BY seq", 1, values, NULL, NULL);
    if (!result) {
        json_decref (view);
        *failed = true;
        return NULL;
    }
    json_t *history = json_array ();
    for (int row = 0; row < PQntuples (result); row++)
        json_array_append_new (history, json_pack ("{s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
            "status", s_text (result, row, 0), "step", s_text (result, row, 1),
            "role", s_text (result, row, 2), "actor", s_text (result, row, 3),
            "note", s_text (result, row, 4), "simulated_at", s_moment (result, row, 5),
            "wall_at", s_moment (result, row, 6)));
    PQclear (result);
    json_object_set_new (view, "history", history);
    return view;
}

void
intake_desk_show (intake_desk_t *self, const char *id, egov_http_reply_t *reply)
{
    if (!intake_desk__db (self, reply))
        return;
    bool failed = false;
    json_t *view = intake_desk__view (self, id, &failed);
    if (view)
        egov_http_reply_set (reply, 200, view);
    else
    if (failed)
        intake_desk__unavailable (reply);
    else
        egov_http_reply_error (reply, 404, "APPLICATION_NOT_FOUND", "no application %.64s", id);
}

//  A query parameter that is wrong: 400 INVALID_REQUEST naming it.
static void
s_bad_parameter (egov_http_reply_t *reply, const char *name, const char *what)
{
    json_t *detail = egov_http_reply_error (reply, 400, "INVALID_REQUEST", "%s must be %s", name, what);
    json_object_set_new (detail, "field", json_string (name));
}

void
intake_desk_list (intake_desk_t *self, const intake_list_query_t *query, egov_http_reply_t *reply)
{
    egov_status_t status;
    char *end = NULL;
    long limit = query->limit ? strtol (query->limit, &end, 10) : 50;
    if (query->status && !egov_status_parse (query->status, &status)) {
        s_bad_parameter (reply, "status", "a status: ACCEPTED, SENT, REGISTERED, IN_PROGRESS, READY, REFUSED,"
                         " ISSUED or RETURNED_TO_PROVIDER");
        return;
    }
    if (query->applicant_iin && (strlen (query->applicant_iin) != 12
                              || strspn (query->applicant_iin, "0123456789") != 12)) {
        s_bad_parameter (reply, "applicant_iin", "12 digits");
        return;
    }
    if (query->receipt_number && (!*query->receipt_number || strlen (query->receipt_number) > 64)) {
        s_bad_parameter (reply, "receipt_number", "a receipt number");
        return;
    }
    if ((query->limit && (end == query->limit || *end)) || limit < 1 || limit > 200) {
        s_bad_parameter (reply, "limit", "a number from 1 to 200");
        return;
    }
    if (query->after && !egov_uuid_valid (query->after)) {
        s_bad_parameter (reply, "after", "the id of the last application of the page before");
        return;
    }
    if (!intake_desk__db (self, reply))
        return;
    char wanted [16];
    snprintf (wanted, sizeof (wanted), "%ld", limit + 1);
    const char *values [] = {
        query->status ? query->status : "", query->applicant_iin ? query->applicant_iin : "",
        query->receipt_number ? query->receipt_number : "", query->after ? query->after : "", wanted
    };
    //  Newest first; a page starts after the application it names (keyset paging)
    PGresult *result = intake_desk__sql (self, PGRES_TUPLES_OK,
        "SELECT id, service, region, applicant_iin, applicant_name, status, receipt_number,"
        "       submitted_sim, result_due_sim, result_decided_sim, registration_number"
        "  FROM application"
        " WHERE ($1 = '' OR status = $1) AND ($2 = '' OR applicant_iin = $2)"
        "   AND ($3 = '' OR receipt_number = $3)"
        "   AND ($4 = '' OR (created_wall, id) < (SELECT created_wall, id FROM application"
        "                                         WHERE id = NULLIF ($4, '')::uuid))"
        " ORDER BY created_wall DESC, id DESC LIMIT $5::integer", 5, values, NULL, NULL);
    if (!result) {
        intake_desk__unavailable (reply);
        return;
    }
    int rows = PQntuples (result);
    int shown = rows > limit ? (int) limit : rows;
    json_t *list = json_array ();
    int64_t now = egov_clock_now_ms ();
    for (int row = 0; row < shown; row++) {
        int64_t due = PQgetisnull (result, row, 8) ? 0 : strtoll (PQgetvalue (result, row, 8), NULL, 10);
        int64_t decided = PQgetisnull (result, row, 9) ? 0 : strtoll (PQgetvalue (result, row, 9), NULL, 10);
        json_array_append_new (list, json_pack ("{s:o, s:o, s:o, s:{s:o, s:o}, s:o, s:o, s:o, s:o, s:o, s:b}",
            "id", s_text (result, row, 0), "service", s_text (result, row, 1), "region", s_text (result, row, 2),
            "applicant", "iin", s_text (result, row, 3), "name", s_text (result, row, 4),
            "status", s_text (result, row, 5), "receipt_number", s_text (result, row, 6),
            "submitted_at", s_moment (result, row, 7), "result_due", s_moment (result, row, 8),
            "registration_number", s_text (result, row, 10),
            "overdue", egov_application_overdue (PQgetvalue (result, row, 5), due, decided, now)));
    }
    json_t *next = rows > limit ? s_text (result, shown - 1, 0) : json_null ();
    PQclear (result);
    egov_http_reply_set (reply, 200, json_pack ("{s:o, s:o}", "applications", list, "next", next));
}

//  ---------------------------------------------------------------------
//  Process 9: handing the result over

//  The application as a hand-over needs it.
typedef struct {
    char status [32];               //  its status
    bool right_receipt;             //  the receipt given is its acceptance receipt
    char applicant [13];            //  applicant's IIN
    char representative [13];       //  representative's IIN, "" when none
    char region [10];               //  where it went
    bool recalled;                  //  asked back from the provider already
    int64_t recall_due;             //  ... by then
    bool has_result;                //  a result or a refusal came
    char key [65];                  //  the Idempotency-Key its hand-over came with, "" for none
    char key_login [INTAKE_TEXT_MAX];   //  ... of this operator
    char key_sha256 [65];           //  ... and the digest of that request
} s_handover_row_t;

//  A hand-over waiting for the registry of individuals to confirm the
//  identity document: the applicant's, then the representative's.
typedef struct {
    intake_desk_t *desk;                //  where it is asked
    intake_operator_t operator_;        //  who hands over
    char id [64];                       //  the application
    char receipt [INTAKE_TEXT_MAX];     //  the receipt number shown
    char identity [INTAKE_TEXT_MAX];    //  the identity document shown
    s_handover_row_t row;               //  the application when it was asked
    bool representative;                //  the representative's documents are asked
    intake_desk_answer_fn *answer;      //  how the answer is given
    void *argument;                     //  for answer
    void *handle;                       //  its place in desk->handovers
    char expired [16];                  //  the document shown is theirs but expired then
    char key [65];                      //  the Idempotency-Key, "" for none
    char sha256 [65];                   //  the request's digest, with a key
} s_handover_t;

//  The SHA-256 (hex) of a hand-over request, as its Idempotency-Key remembers it.
static void
s_request_digest (const char *receipt, const char *identity, char digest [65])
{
    char *text = zsys_sprintf ("%s\n%s", receipt, identity);
    assert (text);
    intake_desk__sha256_hex (text, digest);
    zstr_free (&text);
}

//  Reads the application; false with reply set when there is none (404)
//  or the database failed (503).
static bool
s_handover_load (intake_desk_t *self, const char *id, s_handover_row_t *row, const char *receipt,
                 egov_http_reply_t *reply)
{
    PGresult *result = NULL;
    if (egov_uuid_valid (id)) {
        const char *values [] = { id };
        result = intake_desk__sql (self, PGRES_TUPLES_OK,
            "SELECT status, receipt_number, applicant_iin, representative_iin, region,"
            " recall_due_sim, result_approved IS NOT NULL OR refusal_note IS NOT NULL,"
            " coalesce (handover_key, ''), coalesce (handover_login, ''),"
            " coalesce (handover_sha256, '')"
            " FROM application WHERE id = $1", 1, values, NULL, NULL);
        if (!result) {
            intake_desk__unavailable (reply);
            return false;
        }
    }
    if (!result || PQntuples (result) != 1) {
        PQclear (result);
        egov_http_reply_error (reply, 404, "APPLICATION_NOT_FOUND", "no application %.64s", id);
        return false;
    }
    memset (row, 0, sizeof (*row));
    snprintf (row->status, sizeof (row->status), "%s", PQgetvalue (result, 0, 0));
    row->right_receipt = streq (PQgetvalue (result, 0, 1), receipt);
    snprintf (row->applicant, sizeof (row->applicant), "%s", PQgetvalue (result, 0, 2));
    if (!PQgetisnull (result, 0, 3))
        snprintf (row->representative, sizeof (row->representative), "%s", PQgetvalue (result, 0, 3));
    snprintf (row->region, sizeof (row->region), "%s", PQgetvalue (result, 0, 4));
    row->recalled = !PQgetisnull (result, 0, 5);
    row->recall_due = row->recalled ? strtoll (PQgetvalue (result, 0, 5), NULL, 10) : 0;
    row->has_result = *PQgetvalue (result, 0, 6) == 't';
    snprintf (row->key, sizeof (row->key), "%s", PQgetvalue (result, 0, 7));
    snprintf (row->key_login, sizeof (row->key_login), "%s", PQgetvalue (result, 0, 8));
    snprintf (row->key_sha256, sizeof (row->key_sha256), "%s", PQgetvalue (result, 0, 9));
    PQclear (result);
    return true;
}

//  True when number is an identity document (not a birth certificate) of
//  the person the registry found, and has not expired; one that is theirs
//  but expired puts its expiry date into expired.
static bool
s_identity_of (intake_desk_t *self, const Egov__Registries__PersonResponse *response,
               const char *number, char *expired, size_t size)
{
    char today [11];
    intake_desk__local_date (self, egov_clock_now_ms (), today);
    bool match = false;
    for (size_t index = 0; index < response->person->n_documents && !match; index++) {
        const Egov__Registries__IdentityDocument *document = response->person->documents [index];
        bool theirs = streq (document->number, number) && !streq (document->type, "BIRTH_CERTIFICATE");
        match = theirs && (!*document->expires || strcmp (document->expires, today) >= 0);
        if (theirs && !match)
            snprintf (expired, size, "%.10s", document->expires);
    }
    return match;
}

//  Frees a hand-over; a look-up still waiting stops waiting.
static void
s_handover_destroy (s_handover_t **self_p)
{
    s_handover_t *self = *self_p;
    if (self) {
        shep_participant_forget (self->desk->engine, self);
        free (self);
        *self_p = NULL;
    }
}

void
intake_desk__handovers_drop (intake_desk_t *self)
{
    s_handover_t *handover;
    while ((handover = (s_handover_t *) zlistx_detach (self->handovers, NULL)))
        s_handover_destroy (&handover);
}

//  The identity is confirmed (holder: "applicant" or "representative"):
//  hands the result over, or says why not; fills reply.
static void
s_hand_over (intake_desk_t *self, s_handover_t *handover, const char *holder,
             egov_http_reply_t *reply)
{
    const char *id = handover->id;
    const intake_operator_t *operator_ = &handover->operator_;
    //  Time passed while the registry answered: the application afresh
    s_handover_row_t row;
    if (!intake_desk__db (self, reply) || !s_handover_load (self, id, &row, handover->receipt, reply))
        return;
    //  The lifecycle says whether there is a result to hand over
    egov_status_t from, next;
    egov_error_t not_allowed;
    egov_lifecycle_t decision = egov_status_parse (row.status, &from)
        ? egov_lifecycle_decide (from, EGOV_EVENT_ISSUED, 0, &next, &not_allowed)
        : EGOV_LIFECYCLE_REFUSE;
    if (decision == EGOV_LIFECYCLE_KEEP && *handover->key && streq (row.key, handover->key)
    &&  streq (row.key_login, operator_->login) && streq (row.key_sha256, handover->sha256)) {
        //  The same request under its key, sent twice at once: the other issued it
        intake_desk_show (self, id, reply);
        if (reply->status == 200)
            json_object_set_new (reply->body, "duplicate", json_true ());
        return;
    }
    if (decision == EGOV_LIFECYCLE_KEEP) {
        egov_http_reply_error (reply, 409, "ALREADY_ISSUED", "the result was already handed over");
        return;
    }
    if (streq (row.status, "RETURNED_TO_PROVIDER")) {
        int64_t recall_due = row.recall_due;
        if (!row.recalled && !intake_desk__recall (self, id, row.region, operator_, &recall_due)) {
            intake_desk__unavailable (reply);
            return;
        }
        json_t *detail = egov_http_reply_error (reply, 409, "RESULT_RETURNED",
            "the unclaimed result was returned to the provider; it has been asked back and "
            "comes back within one working day");
        json_object_set_new (detail, "recalled", json_true ());
        json_object_set_new (detail, "ready_by", intake_desk__time (recall_due));
        return;
    }
    if (decision == EGOV_LIFECYCLE_REFUSE || !row.has_result) {
        json_t *detail = egov_http_reply_error (reply, 409, "RESULT_NOT_READY",
                                                "there is no result to hand over yet (status %s)",
                                                row.status);
        json_object_set_new (detail, "status", json_string (row.status));
        return;
    }
    char who [64], note [512];
    snprintf (who, sizeof (who), "%s %s", holder,
              streq (holder, "applicant") ? row.applicant : row.representative);
    snprintf (note, sizeof (note), "to the %s on receipt %s and identity document %s",
              who, handover->receipt, handover->identity);
    const char *values [] = { id, who, *handover->key ? handover->key : NULL,
                              *handover->key ? operator_->login : NULL,
                              *handover->key ? handover->sha256 : NULL };
    bool done = intake_desk__exec (self, "BEGIN");
    PGresult *result = done ? intake_desk__sql (self, PGRES_COMMAND_OK,
        "UPDATE application SET status = 'ISSUED', issued_to = $2, storage_until_sim = NULL,"
        " handover_key = $3, handover_login = $4, handover_sha256 = $5"
        " WHERE id = $1", 5, values, NULL, NULL) : NULL;
    done = result && intake_desk__history (self, id, "ISSUED", "operator hands the result over",
                                           "operator", operator_->name, note, egov_clock_now_ms ());
    PQclear (result);
    if (!done || !intake_desk__exec (self, "COMMIT")) {
        intake_desk__exec (self, "ROLLBACK");
        intake_desk__unavailable (reply);
        return;
    }
    zsys_info ("intake: application %s issued %s", id, note);
    self->rearm_wanted = true;      //  no longer kept: the storage timer follows the rows
    intake_desk_show (self, id, reply);
}

static void s_handover_on_person (void *argument, const Egov__Envelope *reply,
                                  const egov_error_t *failure);

//  Asks the registry for the documents of the applicant or the
//  representative; false with reply set when it cannot be asked.
static bool
s_handover_ask (s_handover_t *handover, egov_http_reply_t *reply)
{
    egov_error_t error = { { 0 } };
    const char *iin = handover->representative ? handover->row.representative
                                               : handover->row.applicant;
    if (intake_desk__ask_person (handover->desk, iin, NULL, s_handover_on_person, handover, &error))
        return true;
    intake_desk__registry_unavailable (reply, "gbdfl", &error);
    return false;
}

//  The registry's answer about one holder: the next question, or the end.
static void
s_handover_on_person (void *argument, const Egov__Envelope *reply, const egov_error_t *failure)
{
    s_handover_t *handover = (s_handover_t *) argument;
    intake_desk_t *self = handover->desk;
    const char *iin = handover->representative ? handover->row.representative
                                               : handover->row.applicant;
    Egov__Registries__PersonResponse *response = NULL;
    egov_error_t error = { { 0 } };
    egov_http_reply_t answer = { 0, NULL, NULL };
    int found = intake_desk__person_answer (iin, reply, failure, &response, &error);
    bool identified = found == 1 && s_identity_of (self, response, handover->identity,
                                                   handover->expired, sizeof (handover->expired));
    if (response)
        egov__registries__person_response__free_unpacked (response, NULL);
    if (found < 0)
        intake_desk__registry_unavailable (&answer, "gbdfl", &error);
    else
    if (!identified && !handover->representative && *handover->row.representative) {
        handover->representative = true;
        if (s_handover_ask (handover, &answer))
            return;                 //  the next answer comes later
    }
    else
    if (!identified && *handover->expired) {
        json_t *detail = egov_http_reply_error (&answer, 403, "IDENTITY_NOT_CONFIRMED",
            "identity document %s expired on %s: the registry of individuals holds it, but it is no"
            " longer valid", handover->identity, handover->expired);
        json_object_set_new (detail, "reason", json_string ("EXPIRED"));
        json_object_set_new (detail, "expired_on", json_string (handover->expired));
    }
    else
    if (!identified) {
        json_t *detail = egov_http_reply_error (&answer, 403, "IDENTITY_NOT_CONFIRMED",
            "identity document %s is not a valid identity document of the applicant%s in the"
            " registry of individuals", handover->identity,
            *handover->row.representative ? " or the representative" : "");
        json_object_set_new (detail, "reason", json_string ("NOT_THEIRS"));
    }
    else
        s_hand_over (self, handover, handover->representative ? "representative" : "applicant",
                     &answer);
    zlistx_detach (self->handovers, handover->handle);
    handover->answer (handover->argument, &answer);
    egov_http_reply_reset (&answer);
    s_handover_destroy (&handover);
}

void
intake_desk_handover (intake_desk_t *self, const intake_operator_t *operator_, const char *id,
                      json_t *body, const char *idempotency_key, intake_desk_answer_fn *answer,
                      void *argument)
{
    char receipt [INTAKE_TEXT_MAX], identity [INTAKE_TEXT_MAX], digest [65] = "";
    egov_error_t error = { { 0 } };
    egov_http_reply_t reply = { 0, NULL, NULL };
    s_handover_row_t row;
    if (idempotency_key && !intake_desk__key_valid (idempotency_key))
        egov_http_reply_error (&reply, 400, "INVALID_IDEMPOTENCY_KEY",
                               "Idempotency-Key is 1-64 letters, digits and -_.:");
    else
    if (!json_is_object (body)
    ||  !egov_http_keys (body, &error, "receipt_number", "identity_document", NULL)
    ||  !egov_http_text (body, "receipt_number", receipt, sizeof (receipt), &error)
    ||  !egov_http_text (body, "identity_document", identity, sizeof (identity), &error))
        egov_http_reply_error (&reply, 400, "INVALID_REQUEST", "%s",
                               *error.message ? error.message : "the body must be {receipt_number, identity_document}");
    else
    if (!intake_desk__db (self, &reply) || !s_handover_load (self, id, &row, receipt, &reply))
        ;                           //  reply says why
    else
    if (idempotency_key && streq (row.key, idempotency_key) && streq (row.key_login, operator_->login)) {
        //  Sent again under its key (an answer lost on the way): the same
        //  request answers what the first one made, another is refused
        s_request_digest (receipt, identity, digest);
        if (streq (row.key_sha256, digest)) {
            intake_desk_show (self, id, &reply);
            if (reply.status == 200)
                json_object_set_new (reply.body, "duplicate", json_true ());
        }
        else
            egov_http_reply_error (&reply, 422, "IDEMPOTENCY_KEY_REUSED",
                "Idempotency-Key %s named another hand-over; a new request needs a new key",
                idempotency_key);
    }
    else
    if (!row.right_receipt) {
        zsys_info ("intake: handover of %s refused: wrong receipt", id);
        egov_http_reply_error (&reply, 403, "WRONG_RECEIPT",
                               "the receipt number is not this application's acceptance receipt");
    }
    else {
        //  The identity document, asked of the registry; other requests
        //  are served while it answers
        s_handover_t *handover = (s_handover_t *) zmalloc (sizeof (s_handover_t));
        assert (handover);
        handover->desk = self;
        handover->operator_ = *operator_;
        snprintf (handover->id, sizeof (handover->id), "%s", id);
        snprintf (handover->receipt, sizeof (handover->receipt), "%s", receipt);
        snprintf (handover->identity, sizeof (handover->identity), "%s", identity);
        if (idempotency_key) {
            snprintf (handover->key, sizeof (handover->key), "%s", idempotency_key);
            s_request_digest (receipt, identity, handover->sha256);
        }
        handover->row = row;
        handover->answer = answer;
        handover->argument = argument;
        if (s_handover_ask (handover, &reply)) {
            handover->handle = zlistx_add_end (self->handovers, handover);
            return;
        }
        s_handover_destroy (&handover);
    }
    answer (argument, &reply);
    egov_http_reply_reset (&reply);
}
