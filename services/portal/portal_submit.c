/*  portal_submit — Process 3-5 and Condition 2 of Diagram 2: the signed
    request checked (the e-signature, the document, the form, the window),
    the identity data asked of the registry of individuals, and the
    application stored with its message for the regional gateway (ЭҮӨШ).  */
#include "portal_server_private.h"
#include "portal_document.h"
#include "egov_application.h"
#include "egov_iin.h"
#include <openssl/sha.h>
#include <sodium.h>

const char *
portal_server__signature_code (egov_cms_outcome_t outcome)
{
    switch (outcome) {
        case EGOV_CMS_CERT_EXPIRED:
        case EGOV_CMS_CERT_NOT_YET_VALID:
            return "CERT_EXPIRED";
        case EGOV_CMS_CERT_REVOKED:
            return "CERT_REVOKED";
        case EGOV_CMS_UNKNOWN_ISSUER:
            return "UNKNOWN_ISSUER";
        case EGOV_CMS_IIN_MISMATCH:
            return "IIN_MISMATCH";
        default:
            return "SIGNATURE_INVALID";
    }
}

//  Adds an attachment to the outgoing application (copies content).
static void
s_attach (Egov__Applications__Application *application, const char *type, const char *name,
          const uint8_t *content, size_t size)
{
    Egov__Applications__Attachment *attachment =
        (Egov__Applications__Attachment *) malloc (sizeof (Egov__Applications__Attachment));
    assert (attachment);
    egov__applications__attachment__init (attachment);
    attachment->type = strdup (type);
    attachment->name = strdup (name);
    attachment->content.data = (uint8_t *) malloc (size ? size : 1);
    attachment->sha256.data = (uint8_t *) malloc (SHA256_DIGEST_LENGTH);
    assert (attachment->type && attachment->name && attachment->content.data && attachment->sha256.data);
    if (size)
        memcpy (attachment->content.data, content, size);
    attachment->content.len = size;
    SHA256 (content, size, attachment->sha256.data);
    attachment->sha256.len = SHA256_DIGEST_LENGTH;
    application->attachments = (Egov__Applications__Attachment **) realloc (application->attachments,
        (application->n_attachments + 1) * sizeof (attachment));
    assert (application->attachments);
    application->attachments [application->n_attachments++] = attachment;
}

//  Adds a registry extract (JSON) as an attachment of type.
static void
s_attach_extract (Egov__Applications__Application *application, const char *type, json_t *extract)
{
    char *text = json_dumps (extract, JSON_COMPACT | JSON_SORT_KEYS);
    assert (text);
    char name [96];
    snprintf (name, sizeof (name), "gbdfl-%s.json", type);
    s_attach (application, type, name, (const uint8_t *) text, strlen (text));
    free (text);
    json_decref (extract);
}

//  True when the document carries an attachment of type.
static bool
s_has (const portal_document_t *document, const char *type)
{
    for (size_t index = 0; index < document->attachment_count; index++)
        if (streq (document->attachments [index].type, type))
            return true;
    return false;
}

//  True when the catalogue entry lists the document type.
static bool
s_listed (const egov_catalogue_entry_t *entry, const char *type)
{
    for (size_t index = 0; index < entry->document_count; index++)
        if (streq (entry->documents [index].code, type))
            return true;
    return false;
}

//  Frees an application built by the submission (heap fields only).
static void
s_application_free (Egov__Applications__Application *application)
{
    egov_application_form_reset (application);
    for (size_t index = 0; index < application->n_attachments; index++)
        egov__applications__attachment__free_unpacked (application->attachments [index], NULL);
    free (application->attachments);
}

//  The application a signed request made before (same signature): true
//  with reply set to 200 and that application, as if accepted now again.
static bool
s_first (portal_server_t *self, PGconn *conn, const char *iin, const char *digest,
         egov_http_reply_t *reply)
{
    (void) self;
    const char *values [] = { digest, iin };
    PGresult *result = portal_server__sql (conn, PGRES_TUPLES_OK,
        "SELECT id, status, receipt_number, service, region, submitted_sim, received_sim, result_due_sim"
        " FROM application WHERE signature_sha256 = $1 AND citizen_iin = $2", 2, values, NULL, NULL);
    bool found = result && PQntuples (result) == 1;
    if (found) {
        int64_t due = PQgetisnull (result, 0, 7) ? 0 : strtoll (PQgetvalue (result, 0, 7), NULL, 10);
        egov_http_reply_set (reply, 200, json_pack ("{s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:b}",
            "id", PQgetvalue (result, 0, 0), "status", PQgetvalue (result, 0, 1),
            "receipt_number", PQgetvalue (result, 0, 2), "service", PQgetvalue (result, 0, 3),
            "region", PQgetvalue (result, 0, 4),
            "submitted_at", portal_server__time (strtoll (PQgetvalue (result, 0, 5), NULL, 10)),
            "received_at", portal_server__time (strtoll (PQgetvalue (result, 0, 6), NULL, 10)),
            "result_due", due ? portal_server__time (due) : json_null (), "duplicate", 1));
        zsys_info ("portal: %s sent the signed request of application %s again; answered with it",
                   iin, PQgetvalue (result, 0, 0));
    }
    PQclear (result);
    return found;
}

//  Stores the accepted application with its history, the cabinet's notice
//  and the outgoing message (the runtime's outbox), in one transaction on
//  conn. False on a database failure.
static bool
s_store (portal_server_t *self, PGconn *conn, Egov__Applications__Application *application,
         const egov_catalogue_entry_t *entry, const char *subject_iin, const char *subject_name,
         const char *signer, const char *receipt_rule, const char *digest, char **receipt_number)
{
    if (!portal_server__exec (conn, "BEGIN"))
        return false;
    char year [8];
    int64_t local = application->submitted_at + egov_calendar_offset_ms (self->config.calendar);
    int y, m, d;
    egov_date_from_days (local / (24LL * 3600 * 1000), &y, &m, &d);
    snprintf (year, sizeof (year), "%d", y);
    const char *year_values [] = { year };
    PGresult *result = portal_server__sql (conn, PGRES_TUPLES_OK,
        "SELECT 'PORTAL-' || $1 || '-' || lpad (nextval ('receipt_seq')::text, 6, '0')",
        1, year_values, NULL, NULL);
    bool done = result && PQntuples (result) == 1;
    if (done) {
        *receipt_number = strdup (PQgetvalue (result, 0, 0));
        assert (*receipt_number);
        application->receipt_number = *receipt_number;
    }
    PQclear (result);
    char submitted [24], received [24], due [24];
    snprintf (submitted, sizeof (submitted), "%" PRId64, application->submitted_at);
    snprintf (received, sizeof (received), "%" PRId64, application->received_at);
    snprintf (due, sizeof (due), "%" PRId64, application->result_due);
    if (done) {
        const char *values [] = { application->application_id, application->applicant_iin,
            subject_iin, subject_name, application->service, application->region,
            application->receipt_number, (const char *) application->document.data,
            (const char *) application->signature.data, signer, submitted, received, due, digest };
        int lengths [14] = { 0 };
        int formats [14] = { 0 };
        lengths [7] = (int) application->document.len;
        lengths [8] = (int) application->signature.len;
        formats [7] = formats [8] = 1;
        result = portal_server__sql (conn, PGRES_COMMAND_OK,
            "INSERT INTO application (id, citizen_iin, subject_iin, subject_name, service, region,"
            " status, receipt_number, document, signature, signer, submitted_sim, received_sim,"
            " result_due_sim, signature_sha256)"
            " VALUES ($1, $2, $3, $4, $5, $6, 'ACCEPTED', $7, $8, $9, $10, $11, $12, $13, $14)",
            14, values, lengths, formats);
        done = result != NULL;
        PQclear (result);
    }
    char due_text [40], note [400];
    egov_calendar_time_format (self->config.calendar, application->result_due, due_text, sizeof (due_text));
    snprintf (note, sizeof (note), "receipt %s; %s; result due %s",
              *receipt_number ? *receipt_number : "-", receipt_rule, due_text);
    done = done && portal_server__history (conn, application->application_id, "ACCEPTED",
        "the portal checks the e-signature (Condition 2) and accepts the signed request",
        "portal", signer, note, application->submitted_at);
    char text [700];
    snprintf (text, sizeof (text), "Your application %s (%s) is accepted. The result will be ready by %s.",
              *receipt_number ? *receipt_number : "-", entry->name.en, due_text);
    done = done && portal_server__notify (conn, application->applicant_iin,
        application->application_id, "ACCEPTED", "ACCEPTED", text, application->result_due,
        application->submitted_at);
    Egov__Envelope *envelope = egov_envelope_new ("application.submit", EGOV__MESSAGE_TYPE__REQUEST);
    egov_string_set (&envelope->correlation_id, application->application_id);
    egov_string_set (&envelope->route_id, application->region);
    egov_envelope_set_payload (envelope, &application->base);
    egov_error_t error;
    done = done && shep_participant_put (self->engine, conn, envelope, 0, NULL, &error) == 0;
    egov__envelope__free_unpacked (envelope, NULL);
    if (!done || !portal_server__exec (conn, "COMMIT")) {
        portal_server__exec (conn, "ROLLBACK");
        return false;
    }
    shep_participant_flush (self->engine);
    return true;
}

//  A signed request past Condition 2 whose identity data the registry is
//  asked for: the citizen, then the child the form names.
typedef struct {
    portal_wait_t base;                         //  the server's list (first)
    char iin [13];                              //  the citizen
    uint8_t *bytes;                             //  the signed document, owned
    size_t size;                                //  its bytes
    uint8_t *der;                               //  the CMS signature, owned
    size_t der_size;                            //  its bytes
    portal_document_t document;                 //  read from bytes
    const egov_catalogue_entry_t *entry;        //  the service
    const char *child_iin;                      //  the form's child (in document), or NULL
    char signer [600];                          //  who signed, from the certificate
    char *id;                                   //  the application's id, names the look-ups too
    char digest [65];                           //  SHA-256 of der, in hex: one application each
    int64_t now;                                //  the moment of submission
    Egov__Registries__PersonResponse *citizen;  //  found, owned
    Egov__Registries__PersonResponse *child;    //  found, owned; NULL when not
    const Egov__Registries__BirthCertificate *link;     //  the child's, in citizen
} s_submission_t;

//  Frees a submission; an answer still to come is forgotten.
static void
s_submission_destroy (portal_wait_t **wait_p)
{
    s_submission_t *self = (s_submission_t *) *wait_p;
    if (self) {
        shep_participant_forget (self->base.server->engine, self);
        if (self->citizen)
            egov__registries__person_response__free_unpacked (self->citizen, NULL);
        if (self->child)
            egov__registries__person_response__free_unpacked (self->child, NULL);
        portal_document_reset (&self->document);
        free (self->id);
        free (self->bytes);
        free (self->der);
        free (self);
        *wait_p = NULL;
    }
}

//  Condition 2 and the checks that need no registry; false with reply set.
static bool
s_check (portal_server_t *self, s_submission_t *submission, egov_http_reply_t *reply)
{
    const char *iin = submission->iin;
    egov_cms_result_t checked;
    egov_cms_outcome_t outcome = egov_cms_verify (self->verifier, submission->der,
        submission->der_size, submission->bytes, submission->size, submission->now, iin, &checked);
    if (outcome != EGOV_CMS_OK) {
        //  Process 4: the signature is not confirmed, the service is refused
        json_t *detail = egov_http_reply_error (reply, 422, portal_server__signature_code (outcome),
            "the e-signature is not confirmed: %s", checked.detail);
        json_object_set_new (detail, "outcome", json_string (egov_cms_outcome_name (outcome)));
        if (*checked.name || *checked.iin)
            json_object_set_new (detail, "signer", json_pack ("{s:s, s:s, s:s, s:o, s:o}",
                "name", checked.name, "iin", checked.iin, "serial", checked.serial,
                "not_before", portal_server__time (checked.not_before_ms),
                "not_after", portal_server__time (checked.not_after_ms)));
        zsys_info ("portal: %s's request refused at Condition 2: %s", iin, egov_cms_outcome_name (outcome));
        return false;
    }
    snprintf (submission->signer, sizeof (submission->signer), "%s (IIN %s)", checked.name, checked.iin);
    portal_document_t *document = &submission->document;
    egov_error_t error = { { 0 } };
    char field [64] = "";
    if (!portal_document_parse (submission->bytes, submission->size, document, &error, field,
                                sizeof (field))) {
        json_t *detail = egov_http_reply_error (reply, 422, "INVALID_DOCUMENT", "%s", error.message);
        json_object_set_new (detail, "field", json_string (field));
        return false;
    }
    if (!streq (document->iin, iin)) {
        json_t *detail = egov_http_reply_error (reply, 422, "IIN_MISMATCH",
            "the signed request names IIN %s, the citizen logged in is %s", document->iin, iin);
        json_object_set_new (detail, "field", json_string ("iin"));
        return false;
    }
    const egov_catalogue_entry_t *entry =
        egov_catalogue_find (self->config.catalogue, document->service, document->region);
    if (!entry) {
        json_t *detail = egov_http_reply_error (reply, 422, "UNKNOWN_SERVICE",
            "no service '%s' in region %s", document->service, document->region);
        json_object_set_new (detail, "field", json_string ("service"));
        return false;
    }
    if (!entry->channels [EGOV_CHANNEL_PORTAL]) {
        json_t *detail = egov_http_reply_error (reply, 422, "CHANNEL_NOT_OFFERED",
            "'%s' in region %s is not offered on the portal", document->service, document->region);
        json_object_set_new (detail, "field", json_string ("service"));
        return false;
    }
    submission->entry = entry;
    //  The form, field by field, and the attachments' types
    json_t *errors = json_array ();
    const char *study_form = NULL;
    egov_form_validate (entry->request_form, document->form, errors, &submission->child_iin,
                        &study_form);
    for (size_t index = 0; index < document->attachment_count; index++)
        if (!s_listed (entry, document->attachments [index].type)) {
            char name [48];
            snprintf (name, sizeof (name), "attachments[%zu].type", index);
            json_array_append_new (errors, json_pack ("{s:s, s:s, s:s+}", "field", name,
                "code", "UNKNOWN_TYPE", "message", "the service's documents have no type ",
                document->attachments [index].type));
        }
    if (json_array_size (errors)) {
        json_t *detail = egov_http_reply_error (reply, 422, "INVALID_FORM",
            "%zu field(s) of the form are wrong", json_array_size (errors));
        json_object_set_new (detail, "fields", errors);
        return false;
    }
    json_decref (errors);
    //  The application window, on the local date of submission
    int64_t day = egov_calendar_local_day (self->config.calendar, submission->now);
    int year, month, mday;
    egov_date_from_days (day, &year, &month, &mday);
    const egov_catalogue_window_t *window = NULL;
    const char *form_name = study_form && egov_catalogue_form_known (entry, study_form) ? study_form : NULL;
    if (!egov_catalogue_window_open (entry, form_name, month, mday, &window)) {
        json_t *detail = egov_http_reply_error (reply, 422, "APPLICATION_WINDOW_CLOSED",
            "applications for %s%s%s are accepted from %02d-%02d to %02d-%02d",
            entry->code, form_name ? " " : "", form_name ? form_name : "",
            window ? window->from_month : 0, window ? window->from_day : 0,
            window ? window->to_month : 0, window ? window->to_day : 0);
        json_object_set_new (detail, "field", json_string (form_name ? "form.study_form" : "service"));
        return false;
    }
    return true;
}

//  Everything is known: the receipt and the term, the application built
//  and stored with its message; fills reply.
static void
s_accept (portal_server_t *self, s_submission_t *submission, egov_http_reply_t *reply)
{
    //  Time passed while the registry answered: the database afresh
    PGconn *conn = portal_server__db (self, reply);
    if (!conn)
        return;
    const char *iin = submission->iin, *id = submission->id, *child_iin = submission->child_iin;
    const egov_catalogue_entry_t *entry = submission->entry;
    const portal_document_t *document = &submission->document;
    int64_t now = submission->now;
    egov_error_t error = { { 0 } };
    char subject_name [512] = "";
    if (submission->child)
        portal_server__name (submission->child->person, subject_name, sizeof (subject_name));
    //  When the submission counts as received, and when the result is due
    egov_receipt_t receipt;
    egov_due_t due;
    if (!egov_calendar_receipt (self->config.calendar, EGOV_CHANNEL_PORTAL, now, &receipt, &error)) {
        egov_http_reply_error (reply, 503, error.code, "%s", error.message);
        return;
    }
    //  On the provider's hours, or the portal's when a register answers the
    //  request itself (seed 004's kindergarten queue)
    if (!egov_calendar_due (self->config.calendar,
                            egov_catalogue_term_schedule (entry, EGOV_CHANNEL_PORTAL), receipt.received_ms,
                            entry->deadline.max, &due, &error)) {
        egov_receipt_reset (&receipt);
        egov_http_reply_error (reply, 503, error.code, "%s", error.message);
        return;
    }
    Egov__Applications__Application application = EGOV__APPLICATIONS__APPLICATION__INIT;
    char applicant_name [512], *receipt_number = NULL;
    portal_server__name (submission->citizen->person, applicant_name, sizeof (applicant_name));
    application.application_id = (char *) id;
    application.service = (char *) entry->code;
    application.region = (char *) entry->kato;
    application.channel = EGOV__APPLICATIONS__CHANNEL__PORTAL;
    application.applicant_iin = (char *) iin;
    application.applicant_name = applicant_name;
    application.document.data = submission->bytes;
    application.document.len = submission->size;
    application.signature.data = submission->der;
    application.signature.len = submission->der_size;
    application.signer_iin = (char *) iin;
    application.submitted_at = now;
    application.received_at = receipt.received_ms;
    application.result_due = due.due_ms;
    egov_application_form_set (&application, document->form);
    for (size_t index = 0; index < document->attachment_count; index++)
        s_attach (&application, document->attachments [index].type, document->attachments [index].name,
                  document->attachments [index].content, document->attachments [index].size);
    if (s_listed (entry, "identity-document") && !s_has (document, "identity-document"))
        s_attach_extract (&application, "identity-document", json_pack ("{s:s, s:s, s:s, s:o}",
            "source", "gbdfl.person", "iin", iin, "name", applicant_name,
            "documents", portal_server__documents_json (submission->citizen->person)));
    if (submission->link && s_listed (entry, "birth-certificate") && !s_has (document, "birth-certificate"))
        s_attach_extract (&application, "birth-certificate", json_pack ("{s:s, s:s, s:o}",
            "source", "gbdfl.person", "child_name", subject_name,
            "certificate", portal_server__certificate_json (submission->link)));
    bool stored = s_store (self, conn, &application, entry, child_iin, child_iin ? subject_name : NULL,
                           submission->signer, receipt.rule, submission->digest, &receipt_number);
    if (!stored && s_first (self, conn, iin, submission->digest, reply))
        ;                       //  the same request, sent twice at once: the other one made it
    else
    if (stored) {
        zsys_info ("portal: application %s (%s, %s) accepted for %s, due %" PRId64, id, entry->code,
                   application.receipt_number, iin, due.due_ms);
        egov_http_reply_set (reply, 202, json_pack ("{s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:s}",
            "id", id, "status", "ACCEPTED", "receipt_number", application.receipt_number,
            "service", entry->code, "region", entry->kato,
            "submitted_at", portal_server__time (now),
            "received_at", portal_server__time (receipt.received_ms),
            "result_due", portal_server__time (due.due_ms), "receipt_rule", receipt.rule));
    }
    else
        egov_http_reply_error (reply, 503, "DATABASE_UNAVAILABLE",
                               "the portal's database did not take the application");
    free (receipt_number);
    egov_due_reset (&due);
    egov_receipt_reset (&receipt);
    s_application_free (&application);
}

static void s_on_person (void *argument, const Egov__Envelope *answer, const egov_error_t *failure);

//  Asks the registry about iin under the application's id; false with
//  reply set when it cannot be asked.
static bool
s_ask (s_submission_t *submission, const char *iin, egov_http_reply_t *reply)
{
    egov_error_t error = { { 0 } };
    if (portal_server__ask_person (submission->base.server, iin, submission->id, s_on_person,
                                   submission, &error))
        return true;
    portal_server__registry_down (reply, &error);
    return false;
}

//  The registry's answer about the citizen, then about the child: the next
//  question, or the end of the submission.
static void
s_on_person (void *argument, const Egov__Envelope *answer, const egov_error_t *failure)
{
    s_submission_t *self = (s_submission_t *) argument;
    const char *iin = self->iin, *child_iin = self->child_iin;
    egov_http_reply_t reply = { 0, NULL, NULL };
    egov_error_t error = { { 0 } };
    if (!self->citizen) {
        //  Identity data from the registry of individuals, never from the citizen
        int found = portal_server__person_answer (iin, answer, failure, &self->citizen, &error);
        if (found <= 0) {
            if (found == 0)
                egov_http_reply_error (&reply, 422, "PERSON_NOT_FOUND",
                                       "the registry of individuals no longer has IIN %s", iin);
            else
                portal_server__registry_down (&reply, &error);
        }
        else
        if (child_iin) {
            const Egov__Registries__Person *person = self->citizen->person;
            for (size_t index = 0; index < person->n_children && !self->link; index++)
                if (streq (person->children [index]->child_iin, child_iin))
                    self->link = person->children [index];
            if (!self->link) {
                json_t *detail = egov_http_reply_error (&reply, 403, "CHILD_NOT_LINKED",
                    "the registry of individuals has no birth certificate naming %s as a parent of %s",
                    iin, child_iin);
                char field [80];
                snprintf (field, sizeof (field), "form.%s", egov_form_child (self->entry->request_form)->key);
                json_object_set_new (detail, "field", json_string (field));
            }
            else
            if (s_ask (self, child_iin, &reply))
                return;             //  the child's answer comes later
        }
        else
            s_accept (self->base.server, self, &reply);
    }
    else {
        //  The child: named when the registry has them, unnamed when it lost them
        if (portal_server__person_answer (child_iin, answer, failure, &self->child, &error) < 0)
            portal_server__registry_down (&reply, &error);
        else
            s_accept (self->base.server, self, &reply);
    }
    portal_server__answer (&self->base, &reply);
    egov_http_reply_reset (&reply);
}

void
portal_server_submit (portal_server_t *self, const char *iin, json_t *body,
                      portal_answer_fn *answer, void *argument)
{
    egov_error_t error = { { 0 } };
    egov_http_reply_t reply = { 0, NULL, NULL };
    PGconn *conn = NULL;
    json_t *document = json_object_get (body, "document");
    json_t *signature = json_object_get (body, "signature");
    uint8_t *bytes = NULL, *der = NULL;
    size_t size = 0, der_size = 0;
    if (!json_is_object (body) || !egov_http_keys (body, &error, "document", "signature", NULL)
    ||  !json_is_string (document) || !json_is_string (signature))
        egov_http_reply_error (&reply, 400, "INVALID_REQUEST",
            "the body must be {document: base64 of the signed JSON, signature: base64 CMS}%s%s",
            *error.message ? ": " : "", error.message);
    else
    if (!portal_base64_decode (json_string_value (document), json_string_length (document), &bytes, &size)
    ||  size == 0) {
        json_t *detail = egov_http_reply_error (&reply, 400, "INVALID_REQUEST", "document must be non-empty base64");
        json_object_set_new (detail, "field", json_string ("document"));
    }
    else
    if (!portal_base64_decode (json_string_value (signature), json_string_length (signature), &der, &der_size)
    ||  der_size == 0) {
        json_t *detail = egov_http_reply_error (&reply, 422, "SIGNATURE_INVALID",
                                                "signature must be the base64 of a CMS SignedData");
        json_object_set_new (detail, "outcome", json_string ("MALFORMED"));
    }
    else
    //  The unit of work's connection, before the registry is asked for nothing
    if ((conn = portal_server__db (self, &reply))) {
        s_submission_t *submission = (s_submission_t *) zmalloc (sizeof (s_submission_t));
        assert (submission);
        snprintf (submission->iin, sizeof (submission->iin), "%s", iin);
        submission->bytes = bytes;
        submission->size = size;
        submission->der = der;
        submission->der_size = der_size;
        submission->now = egov_clock_now_ms ();
        submission->id = egov_uuid_new ();
        uint8_t hash [SHA256_DIGEST_LENGTH];
        SHA256 (der, der_size, hash);
        sodium_bin2hex (submission->digest, sizeof (submission->digest), hash, sizeof (hash));
        portal_server__wait (self, &submission->base, s_submission_destroy, answer, argument);
        //  The application's id names every message about it, the registry look-ups too;
        //  a request signed and sent before is answered with the application it made
        if (s_check (self, submission, &reply) && !s_first (self, conn, iin, submission->digest, &reply)
        &&  s_ask (submission, iin, &reply))
            return;                 //  the registry's answer comes later
        portal_server__answer (&submission->base, &reply);
        egov_http_reply_reset (&reply);
        return;
    }
    free (bytes);
    free (der);
    answer (argument, &reply);
    egov_http_reply_reset (&reply);
}
