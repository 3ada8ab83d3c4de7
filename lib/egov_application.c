/*  egov_application — a channel's view of the updates about its applications.  */
#include "egov_application.h"
#include "egov_pki.h"
#include "egov_clock.h"
#include "egov_db.h"
#include <stdlib.h>

bool
egov_application_update_decode (const Egov__Envelope *envelope,
                                egov_application_update_t *update, egov_error_t *reject)
{
    memset (update, 0, sizeof (*update));
    bool notice = streq (envelope->service_id, "application.status");
    if (!notice && !streq (envelope->service_id, "application.result")) {
        egov_error_set (reject, "UNSUPPORTED_SERVICE",
                        "a channel takes application.status and application.result, not '%s'",
                        envelope->service_id);
        return false;
    }
    const char *named;
    if (notice) {
        update->notice = (Egov__Applications__StatusNotice *)
            egov_envelope_payload (envelope, &egov__applications__status_notice__descriptor);
        named = update->notice ? update->notice->application_id : NULL;
    }
    else {
        update->result = (Egov__Applications__Result *)
            egov_envelope_payload (envelope, &egov__applications__result__descriptor);
        named = update->result ? update->result->application_id : NULL;
    }
    if (!update->notice && !update->result) {
        egov_error_set (reject, "MALFORMED_PAYLOAD", "the payload is not the message this service carries");
        return false;
    }
    const char *id = egov_uuid_valid (named) ? named : envelope->correlation_id;
    if (!egov_uuid_valid (id)) {
        egov_application_update_reset (update);
        egov_error_set (reject, "UNKNOWN_APPLICATION", "no application id");
        return false;
    }
    snprintf (update->application_id, sizeof (update->application_id), "%s", id);
    return true;
}

egov_lifecycle_t
egov_application_update_decide (const egov_application_update_t *update, const char *status,
                                egov_status_t *next, egov_error_t *error)
{
    assert (update && status && next);
    egov_status_t from;
    if (!egov_status_parse (status, &from)) {
        egov_error_set (error, "STATUS_NOT_ALLOWED", "the application's status '%.32s' is unknown",
                        status);
        *next = EGOV__APPLICATIONS__STATUS__STATUS_UNSPECIFIED;
        return EGOV_LIFECYCLE_REFUSE;
    }
    if (update->notice)
        return egov_lifecycle_decide (from, EGOV_EVENT_NOTICE, update->notice->status, next, error);
    return egov_lifecycle_decide (from, EGOV_EVENT_RESULT,
                                  update->result->approved ? EGOV__APPLICATIONS__STATUS__READY
                                                           : EGOV__APPLICATIONS__STATUS__REFUSED,
                                  next, error);
}

bool
egov_application_update_trusted (const egov_application_update_t *update,
                                 const Egov__Envelope *envelope, const char *region,
                                 const char *from, egov_cms_verifier_t *verifier, int64_t now,
                                 char *signer, size_t size, egov_error_t *reject)
{
    assert (update && envelope && region && verifier && signer && reject);
    *signer = 0;
    char expected [64];
    if (from)
        snprintf (expected, sizeof (expected), "%.60s", from);
    else
        snprintf (expected, sizeof (expected), "regional-%.40s", region);
    if (!streq (envelope->sender_id, expected)) {
        //  Named by role: the sender may be anybody, and says nothing here
        egov_error_set (reject, "UNEXPECTED_SENDER", "updates of this application come from %s only",
                        from ? "its provider" : "its region's regional gateway");
        return false;
    }
    if (!update->result)
        return true;
    const Egov__Applications__Result *result = update->result;
    if (!result->signature.len) {
        egov_error_set (reject, "RESULT_UNSIGNED", "a result must carry the provider's e-signature");
        return false;
    }
    egov_cms_result_t checked;
    egov_cms_outcome_t verdict = egov_cms_verify (verifier, result->signature.data, result->signature.len,
                                                  result->document.data, result->document.len, now,
                                                  NULL, &checked);
    if (verdict != EGOV_CMS_OK) {
        egov_error_set (reject, "SIGNATURE_INVALID", "the result's signature does not hold");
        snprintf (reject->sub_code, sizeof (reject->sub_code), "%s", egov_cms_outcome_name (verdict));
        snprintf (reject->sub_message, sizeof (reject->sub_message), "%s", checked.detail);
        return false;
    }
    const char *provider = egov_pki_provider_bin (region);
    if (!provider || !streq (checked.bin, provider)) {
        egov_error_set (reject, "NOT_THE_PROVIDER",
                        "the result is signed by %s, not by the provider organisation of region %.16s",
                        *checked.bin ? "another organisation" : "an individual", region);
        return false;
    }
    snprintf (signer, size, "%s, %s (BIN %s)", checked.name, checked.organisation, checked.bin);
    return true;
}

void
egov_notice_line (const Egov__Applications__StatusNotice *notice, egov_notice_line_t *line)
{
    assert (notice && line);
    const char *name = egov_status_name (notice->status);
    assert (name);
    bool registered = streq (name, "REGISTERED"), refused = streq (name, "REFUSED");
    line->status = name;
    line->at = notice->at ? notice->at : egov_clock_now_ms ();
    snprintf (line->step, sizeof (line->step), "%s", *notice->step ? notice->step
        : registered ? "the regional gateway (ЭҮӨШ) registers the electronic document"
        : refused ? "refusal" : name);
    line->role = *notice->role ? notice->role : registered || refused ? "regional-gateway" : "";
    snprintf (line->note, sizeof (line->note), "%s%s%s", notice->note,
              *notice->registration_number && *notice->note ? "; " : "",
              notice->registration_number);
}

bool
egov_application_apply_notice (PGconn *conn, const char *id, const char *status,
                               bool numbered, const Egov__Applications__StatusNotice *notice,
                               const char **registration)
{
    assert (id && notice);
    //  A step's notice repeats the number the application holds: nothing to change
    const char *number = *notice->registration_number && !numbered
                       ? notice->registration_number : NULL;
    if (registration)
        *registration = number;
    if (!status && !number)
        return true;
    if (!conn)
        return false;               //  the unit of work found no database
    const char *values [] = { id, status, number, status && streq (status, "REFUSED")
                              ? (*notice->note ? notice->note : "refused") : NULL };
    const char *sql = "UPDATE application SET status = coalesce ($2, status),"
                      " registration_number = coalesce (registration_number, $3),"
                      " refusal_note = coalesce ($4, refusal_note) WHERE id = $1";
    PGresult *result = egov_db_params (conn, sql, 4, NULL, values, NULL, NULL, 0);
    bool applied = egov_db_check (result, PGRES_COMMAND_OK, "application notice");
    PQclear (result);
    return applied;
}

void
egov_application_update_reset (egov_application_update_t *update)
{
    if (update->notice)
        egov__applications__status_notice__free_unpacked (update->notice, NULL);
    if (update->result)
        egov__applications__result__free_unpacked (update->result, NULL);
    memset (update, 0, sizeof (*update));
}

//  {kk, ru, en} as a JSON object.
static json_t *
s_names (egov_names_t names)
{
    return json_pack ("{s:s?, s:s?, s:s?}", "kk", names.kk, "ru", names.ru, "en", names.en);
}

char *
egov_application_result_document (const egov_catalogue_entry_t *entry,
                                  const Egov__Applications__RegisteredApplication *registered,
                                  bool approved, json_t *grounds, const char *outgoing_number,
                                  int64_t decided_ms, const char *signer)
{
    assert (entry && registered && registered->application && registered->registration);
    const Egov__Applications__Application *application = registered->application;
    char decided [40];
    egov_clock_format (decided_ms, decided, sizeof (decided));
    const char *kind = approved
                     ? (entry->result_count ? entry->results [0].code : "permit")
                     : "motivated-refusal";
    json_t *document = json_pack (
        "{s:s, s:s, s:s, s:s?, s:s?, s:s?, s:s, s:o, s:o, s:s?, s:s?, s:s?, s:s, s:s, s:s?}",
        "kind", kind,
        "decision", approved ? "approved" : "refused",
        "outgoing_number", outgoing_number,
        "application_id", application->application_id,
        "registration_number", registered->registration->registration_number,
        "receipt_number", application->receipt_number,
        "service", entry->code,
        "service_name", s_names (entry->name),
        "provider", s_names (entry->provider),
        "standard", entry->standard,
        "applicant_iin", application->applicant_iin,
        "applicant_name", application->applicant_name,
        "region", entry->kato,
        "decided_at", decided,
        "signer", signer);
    assert (document);
    if (application->representative && application->representative->iin
    &&  *application->representative->iin)
        json_object_set_new (document, "representative",
            json_pack ("{s:s, s:s?}", "iin", application->representative->iin,
                       "poa_number", application->representative->poa_number));
    if (approved && entry->result_count && entry->results [0].en)
        json_object_set_new (document, "result", json_string (entry->results [0].en));
    if (!approved)
        json_object_set (document, "grounds", grounds);
    char *text = json_dumps (document, JSON_COMPACT | JSON_SORT_KEYS);
    assert (text);
    json_decref (document);
    return text;
}

const char *
egov_application_register (egov_catalogue_t *catalogue, const char *region,
                           const Egov__Applications__Application *application)
{
    assert (region && application);
    const egov_catalogue_entry_t *entry = catalogue && application->service
        ? egov_catalogue_find (catalogue, application->service, region) : NULL;
    int channel = application->channel == EGOV__APPLICATIONS__CHANNEL__PORTAL ? EGOV_CHANNEL_PORTAL
                : application->channel == EGOV__APPLICATIONS__CHANNEL__STATE_CORPORATION
                                        ? EGOV_CHANNEL_STATE_CORP : -1;
    return entry && channel >= 0 ? entry->channel_register [channel] : NULL;
}

int
egov_application_result_make (Egov__Applications__Result *result, const char *application_id,
                              bool approved, json_t *grounds, const char *document,
                              egov_cms_signer_t *signer, const char *signer_name,
                              int64_t decided_ms, const char *number, egov_error_t *error)
{
    assert (result && application_id && document && signer && signer_name && number);
    egov__applications__result__init (result);
    uint8_t *signature = NULL;
    size_t signature_size = 0;
    if (egov_cms_sign (signer, document, strlen (document), false, decided_ms,
                       &signature, &signature_size, error))
        return -1;
    result->application_id = (char *) application_id;
    result->approved = approved;
    result->n_grounds = approved || !grounds ? 0 : json_array_size (grounds);
    result->grounds = result->n_grounds ? calloc (result->n_grounds, sizeof (char *)) : NULL;
    for (size_t index = 0; index < result->n_grounds; index++)
        result->grounds [index] = (char *) json_string_value (json_array_get (grounds, index));
    result->document.data = (uint8_t *) document;
    result->document.len = strlen (document);
    result->signature.data = signature;
    result->signature.len = signature_size;
    result->signer = (char *) signer_name;
    result->decided_at = decided_ms;
    result->registration_number = (char *) number;
    return 0;
}

void
egov_application_result_clear (Egov__Applications__Result *result)
{
    assert (result);
    free (result->grounds);
    free (result->signature.data);
    egov__applications__result__init (result);
}

//  A result signed as label (a certificate of the test CA in dir), from sender.
static Egov__Envelope *
s_test_result (const char *dir, const char *label, const char *sender)
{
    Egov__Applications__Result result = EGOV__APPLICATIONS__RESULT__INIT;
    char *id = egov_uuid_new ();
    result.application_id = id;
    result.approved = true;
    const char *document = "{\"decision\":\"approved\"}";
    result.document.data = (uint8_t *) document;
    result.document.len = strlen (document);
    uint8_t *der = NULL;
    if (label) {
        egov_error_t error;
        egov_cms_signer_t *signer = egov_cms_signer_for (dir, label, &error);
        assert (signer);
        size_t size;
        assert (egov_cms_sign (signer, document, strlen (document), true, 0, &der, &size, &error) == 0);
        result.signature.data = der;
        result.signature.len = size;
        egov_cms_signer_destroy (&signer);
    }
    Egov__Envelope *envelope = egov_envelope_new ("application.result", EGOV__MESSAGE_TYPE__RESPONSE);
    egov_string_set (&envelope->sender_id, sender);
    egov_envelope_set_payload (envelope, &result.base);
    free (der);
    free (id);
    return envelope;
}

//  What a channel accepts: its region's regional gateway, its region's
//  provider's signature.
static void
s_test_trust (void)
{
    char dir [] = "/tmp/egov-application-test-XXXXXX";
    assert (mkdtemp (dir));
    egov_error_t error;
    egov_pki_t *pki = egov_pki_new (dir);
    assert (egov_pki_ensure (pki, NULL, &error) == 0);
    egov_cms_verifier_t *verifier = egov_cms_verifier_new (dir, &error);
    assert (verifier);
    int64_t now = egov_now_ms ();
    struct {
        const char *label, *sender, *region, *code;
    } cases [] = {
        { "org-750000000", "regional-750000000", "750000000", "" },
        { "org-750000000", "regional-230000000", "750000000", "UNEXPECTED_SENDER" },
        { "org-750000000", "leb-750000000", "750000000", "UNEXPECTED_SENDER" },
        { "org-230000000", "regional-750000000", "750000000", "NOT_THE_PROVIDER" },
        { "850314301234", "regional-750000000", "750000000", "NOT_THE_PROVIDER" },
        { "untrusted-850314301234", "regional-750000000", "750000000", "SIGNATURE_INVALID" },
        { "revoked-951203407770", "regional-750000000", "750000000", "SIGNATURE_INVALID" },
        { NULL, "regional-750000000", "750000000", "RESULT_UNSIGNED" },
        { "org-750000000", "regional-999999999", "999999999", "NOT_THE_PROVIDER" },
    };
    for (size_t index = 0; index < sizeof (cases) / sizeof (cases [0]); index++) {
        Egov__Envelope *envelope = s_test_result (dir, cases [index].label, cases [index].sender);
        egov_application_update_t update;
        assert (egov_application_update_decode (envelope, &update, &error));
        char signer [300];
        egov_error_t reject = { { 0 } };
        bool trusted = egov_application_update_trusted (&update, envelope, cases [index].region, NULL,
                                                        verifier, now, signer, sizeof (signer), &reject);
        assert (trusted == !*cases [index].code);
        assert (streq (reject.code, cases [index].code));
        if (trusted)
            assert (strstr (signer, "BIN 990740001235"));
        //  A refusal names nobody: not the signer, not the sender
        assert (!strstr (reject.message, "850314301234") && !strstr (reject.message, "regional-"));
        egov_application_update_reset (&update);
        egov__envelope__free_unpacked (envelope, NULL);
    }
    //  A notice needs only the right sender
    Egov__Envelope *envelope = egov_envelope_new ("application.status", EGOV__MESSAGE_TYPE__UPDATE);
    Egov__Applications__StatusNotice notice = EGOV__APPLICATIONS__STATUS_NOTICE__INIT;
    char *id = egov_uuid_new ();
    notice.application_id = id;
    notice.status = EGOV__APPLICATIONS__STATUS__REGISTERED;
    egov_envelope_set_payload (envelope, &notice.base);
    egov_string_set (&envelope->sender_id, "regional-750000000");
    egov_application_update_t update;
    assert (egov_application_update_decode (envelope, &update, &error));
    char signer [300];
    assert (egov_application_update_trusted (&update, envelope, "750000000", NULL, verifier, now,
                                             signer, sizeof (signer), &error) && !*signer);
    egov_string_set (&envelope->sender_id, "intake");
    assert (!egov_application_update_trusted (&update, envelope, "750000000", NULL, verifier, now,
                                              signer, sizeof (signer), &error)
            && streq (error.code, "UNEXPECTED_SENDER"));
    egov_application_update_reset (&update);
    egov__envelope__free_unpacked (envelope, NULL);
    free (id);
    egov_cms_verifier_destroy (&verifier);
    egov_pki_destroy (&pki);
    assert (egov_pki_remove (dir) == 0);
}

bool
egov_application_overdue (const char *status, int64_t result_due_ms, int64_t decided_ms, int64_t now_ms)
{
    if (result_due_ms <= 0)
        return false;
    if (decided_ms > 0)
        return decided_ms > result_due_ms;
    egov_status_t known;
    bool undecided = !egov_status_parse (status, &known)
                  || known == EGOV__APPLICATIONS__STATUS__ACCEPTED || known == EGOV__APPLICATIONS__STATUS__SENT
                  || known == EGOV__APPLICATIONS__STATUS__REGISTERED
                  || known == EGOV__APPLICATIONS__STATUS__IN_PROGRESS;
    return undecided && now_ms > result_due_ms;
}

//  The channel's history of an application, oldest first, or NULL.
static PGresult *
s_history (PGconn *conn, const char *application_id)
{
    const char *values [1] = { application_id };
    PGresult *result = egov_db_params (conn,
        "SELECT status, step, role, actor, note, at_sim,"
        "       (extract (epoch FROM at_wall) * 1000)::bigint"
        "  FROM history WHERE application_id = $1::uuid ORDER BY seq LIMIT 500",
        1, NULL, values, NULL, NULL, 0);
    if (PQresultStatus (result) != PGRES_TUPLES_OK) {
        PQclear (result);
        return NULL;
    }
    return result;
}

Egov__Envelope *
egov_application_state_answer (PGconn *conn, const char *service_id,
                               const Egov__Envelope *request, egov_error_t *refusal)
{
    const char *wanted = egov__applications__application_query__descriptor.name;
    if (!streq (request->service_id, service_id)) {
        egov_error_set (refusal, "UNSUPPORTED_SERVICE", "this channel answers %s, not '%.64s'",
                        service_id, request->service_id);
        return NULL;
    }
    if (!streq (request->payload_type, wanted)) {
        egov_error_set (refusal, "UNSUPPORTED_PAYLOAD", "%s takes %s, not '%.64s'",
                        service_id, wanted, request->payload_type);
        return NULL;
    }
    Egov__Applications__ApplicationQuery *query = (Egov__Applications__ApplicationQuery *)
        egov_envelope_payload (request, &egov__applications__application_query__descriptor);
    if (!query) {
        egov_error_set (refusal, "MALFORMED_PAYLOAD", "%s payload does not decode", wanted);
        return NULL;
    }
    Egov__Envelope *reply = egov_envelope_new (service_id, EGOV__MESSAGE_TYPE__RESPONSE);
    egov_string_set (&reply->correlation_id, request->correlation_id);
    egov_string_set (&reply->recipient_id, request->sender_id);
    if (!egov_uuid_valid (query->application_id)) {
        egov_envelope_set_error (reply, "INVALID_ID", "an application id is a UUID");
        egov__applications__application_query__free_unpacked (query, NULL);
        return reply;
    }
    PGresult *result = NULL;
    if (conn) {
        const char *values [1] = { query->application_id };
        result = egov_db_params (conn,
            "SELECT a.status, a.service, a.region, coalesce (a.registration_number, ''),"
            "       coalesce ((SELECT max (h.at_sim) FROM history h WHERE h.application_id = a.id),"
            "                 a.submitted_sim),"
            "       coalesce (a.result_due_sim, 0)"
            "  FROM application a WHERE a.id = $1::uuid", 1, NULL, values, NULL, NULL, 0);
    }
    if (!result || PQresultStatus (result) != PGRES_TUPLES_OK) {
        egov_error_set (refusal, "DB_UNAVAILABLE", "the channel's database cannot be read now");
        PQclear (result);
        egov__applications__application_query__free_unpacked (query, NULL);
        egov__envelope__free_unpacked (reply, NULL);
        return NULL;
    }
    if (PQntuples (result) == 0)
        egov_envelope_set_error (reply, "NOT_FOUND", "no application with this id here");
    else {
        Egov__Applications__ApplicationState state = EGOV__APPLICATIONS__APPLICATION_STATE__INIT;
        state.application_id = query->application_id;
        state.status = PQgetvalue (result, 0, 0);
        state.service = PQgetvalue (result, 0, 1);
        state.region = PQgetvalue (result, 0, 2);
        state.registration_number = PQgetvalue (result, 0, 3);
        state.changed_at = strtoll (PQgetvalue (result, 0, 4), NULL, 10);
        state.result_due = strtoll (PQgetvalue (result, 0, 5), NULL, 10);
        PGresult *history = query->with_history ? s_history (conn, query->application_id) : NULL;
        size_t count = history ? (size_t) PQntuples (history) : 0;
        Egov__Applications__HistoryStep *steps = count ? calloc (count, sizeof (*steps)) : NULL;
        Egov__Applications__HistoryStep **list = count ? calloc (count, sizeof (*list)) : NULL;
        for (size_t row = 0; row < count; row++) {
            Egov__Applications__HistoryStep *step = steps + row;
            egov__applications__history_step__init (step);
            step->status = PQgetvalue (history, (int) row, 0);
            step->step = PQgetvalue (history, (int) row, 1);
            step->role = PQgetvalue (history, (int) row, 2);
            step->actor = PQgetvalue (history, (int) row, 3);
            step->note = PQgetvalue (history, (int) row, 4);
            step->at = strtoll (PQgetvalue (history, (int) row, 5), NULL, 10);
            step->at_wall = strtoll (PQgetvalue (history, (int) row, 6), NULL, 10);
            list [row] = step;
        }
        state.n_history = count;
        state.history = list;
        egov_envelope_set_payload (reply, &state.base);
        free (list);
        free (steps);
        PQclear (history);
    }
    PQclear (result);
    egov__applications__application_query__free_unpacked (query, NULL);
    return reply;
}

void
egov_application_form_set (Egov__Applications__Application *application, json_t *form)
{
    assert (application && json_is_object (form));
    application->form = (Egov__Applications__Field **) calloc (json_object_size (form) + 1,
                                                              sizeof (Egov__Applications__Field *));
    assert (application->form);
    application->n_form = 0;
    const char *key;
    json_t *value;
    json_object_foreach (form, key, value) {
        Egov__Applications__Field *field = (Egov__Applications__Field *) malloc (sizeof (*field));
        assert (field);
        egov__applications__field__init (field);
        field->key = strdup (key);
        field->value = json_is_string (value) ? strdup (json_string_value (value))
                                              : json_dumps (value, JSON_ENCODE_ANY | JSON_COMPACT);
        assert (field->key && field->value);
        application->form [application->n_form++] = field;
    }
}

void
egov_application_form_reset (Egov__Applications__Application *application)
{
    for (size_t index = 0; application->form && index < application->n_form; index++) {
        free (application->form [index]->key);
        free (application->form [index]->value);
        free (application->form [index]);
    }
    free (application->form);
    application->form = NULL;
    application->n_form = 0;
}

void
egov_application_test (bool verbose)
{
    if (verbose)
        printf (" * egov_application: ");
    //  Late for the term on the receipt: undecided past it, or decided after it
    assert (!egov_application_overdue ("IN_PROGRESS", 1000, 0, 1000));
    assert (egov_application_overdue ("IN_PROGRESS", 1000, 0, 1001));
    assert (egov_application_overdue ("REGISTERED", 1000, 0, 5000));
    assert (!egov_application_overdue ("READY", 1000, 900, 5000));
    assert (egov_application_overdue ("READY", 1000, 1100, 5000));
    assert (egov_application_overdue ("ISSUED", 1000, 1100, 5000));
    assert (!egov_application_overdue ("IN_PROGRESS", 0, 0, 5000));
    //  A form travels as Field pairs: text as it is, other values as JSON
    Egov__Applications__Application application = EGOV__APPLICATIONS__APPLICATION__INIT;
    json_t *form = json_pack ("{s:s, s:i, s:b}", "school", "School No 12", "grade", 5, "priority", 1);
    egov_application_form_set (&application, form);
    json_decref (form);
    assert (application.n_form == 3);
    for (size_t index = 0; index < application.n_form; index++) {
        const Egov__Applications__Field *field = application.form [index];
        assert (streq (field->key, "school") ? streq (field->value, "School No 12")
              : streq (field->key, "grade") ? streq (field->value, "5")
              : streq (field->key, "priority") && streq (field->value, "true"));
    }
    egov_application_form_reset (&application);
    egov_application_form_reset (&application);
    assert (application.form == NULL && application.n_form == 0);
    egov_application_update_t update;
    egov_error_t reject;

    //  How notices read in a channel's history
    Egov__Applications__StatusNotice line_notice = EGOV__APPLICATIONS__STATUS_NOTICE__INIT;
    egov_notice_line_t line;
    line_notice.status = EGOV__APPLICATIONS__STATUS__REFUSED;
    line_notice.at = 1234;
    egov_notice_line (&line_notice, &line);
    assert (streq (line.status, "REFUSED") && streq (line.step, "refusal") && line.at == 1234
            && streq (line.role, "regional-gateway") && streq (line.note, ""));
    line_notice.status = EGOV__APPLICATIONS__STATUS__REGISTERED;
    line_notice.registration_number = "KZ-01";
    egov_notice_line (&line_notice, &line);
    assert (strstr (line.step, "registers") && streq (line.role, "regional-gateway")
            && streq (line.note, "KZ-01"));
    line_notice.status = EGOV__APPLICATIONS__STATUS__IN_PROGRESS;
    line_notice.step = "the executor prepares the result";
    line_notice.role = "executor";
    line_notice.note = "done";
    egov_notice_line (&line_notice, &line);
    assert (streq (line.step, "the executor prepares the result") && streq (line.role, "executor")
            && streq (line.note, "done; KZ-01"));
    //  A notice that changes nothing needs no database; one that does, needs one
    const char *taken = "";
    assert (egov_application_apply_notice (NULL, "id", NULL, true, &line_notice, &taken) && !taken);
    assert (!egov_application_apply_notice (NULL, "id", "IN_PROGRESS", true, &line_notice, &taken));

    //  A notice naming its application
    Egov__Envelope *envelope = egov_envelope_new ("application.status", EGOV__MESSAGE_TYPE__UPDATE);
    Egov__Applications__StatusNotice notice = EGOV__APPLICATIONS__STATUS_NOTICE__INIT;
    char *id = egov_uuid_new ();
    notice.application_id = id;
    notice.status = EGOV__APPLICATIONS__STATUS__REGISTERED;
    egov_envelope_set_payload (envelope, &notice.base);
    assert (egov_application_update_decode (envelope, &update, &reject));
    assert (update.notice && !update.result);
    assert (update.notice->status == EGOV__APPLICATIONS__STATUS__REGISTERED);
    assert (streq (update.application_id, id));
    //  ... what it does to an application, by the lifecycle's table
    egov_status_t next;
    assert (egov_application_update_decide (&update, "SENT", &next, &reject) == EGOV_LIFECYCLE_MOVE
            && next == EGOV__APPLICATIONS__STATUS__REGISTERED);
    assert (egov_application_update_decide (&update, "IN_PROGRESS", &next, &reject)
            == EGOV_LIFECYCLE_KEEP);
    assert (egov_application_update_decide (&update, "sent", &next, &reject) == EGOV_LIFECYCLE_REFUSE
            && streq (reject.code, "STATUS_NOT_ALLOWED"));
    egov_application_update_reset (&update);

    //  A result without an id falls back to the correlation id
    egov_string_set (&envelope->service_id, "application.result");
    Egov__Applications__Result result = EGOV__APPLICATIONS__RESULT__INIT;
    result.approved = true;
    egov_envelope_set_payload (envelope, &result.base);
    assert (egov_application_update_decode (envelope, &update, &reject));
    assert (update.result && update.result->approved);
    assert (streq (update.application_id, envelope->correlation_id));
    assert (egov_application_update_decide (&update, "IN_PROGRESS", &next, &reject)
            == EGOV_LIFECYCLE_MOVE && next == EGOV__APPLICATIONS__STATUS__READY);
    assert (egov_application_update_decide (&update, "READY", &next, &reject) == EGOV_LIFECYCLE_KEEP);
    egov_application_update_reset (&update);

    //  ... and with neither, there is nothing to apply it to
    egov_string_set (&envelope->correlation_id, "not-an-id");
    assert (!egov_application_update_decode (envelope, &update, &reject));
    assert (streq (reject.code, "UNKNOWN_APPLICATION"));
    assert (!update.notice && !update.result);

    //  The wrong payload, the wrong service
    egov_string_set (&envelope->service_id, "application.status");
    assert (!egov_application_update_decode (envelope, &update, &reject));
    assert (streq (reject.code, "MALFORMED_PAYLOAD"));
    egov_string_set (&envelope->service_id, "application.submit");
    assert (!egov_application_update_decode (envelope, &update, &reject));
    assert (streq (reject.code, "UNSUPPORTED_SERVICE"));
    egov_application_update_reset (&update);

    free (id);
    egov__envelope__free_unpacked (envelope, NULL);
    s_test_trust ();
    if (verbose)
        printf ("OK\n");
}
