/*  portal_flow — the portal's side of the gateway (ЭҮШ): the outbox sent
    as async submissions without blocking the reactor (receipts come back
    as frames; an unanswered submission is sent again with the same message
    id, which the gateway stores once), and the deliveries from the regional
    gateway (ЭҮӨШ) — application.status and application.result — applied
    once each (inbox), with the personal cabinet's notifications, then
    acknowledged.                                                         */
#include "egov_application.h"
#include "portal_server_private.h"

//  Wall milliseconds a submission waits for its receipt before it is sent again.
#define s_RESEND_MS 3000
//  After the gateway refused a submission (no route yet, say): wait longer.
#define s_REFUSED_BACKOFF_MS 5000

//  After the gateway stored the submission: the application is SENT.
static void
s_sent (portal_server_t *self, const char *message_id)
{
    const char *values [] = { message_id };
    if (!portal_server__exec (self, "BEGIN"))
        return;
    PGresult *result = portal_server__sql (self, PGRES_TUPLES_OK,
        "WITH sent AS (UPDATE outbox SET sent_wall = now () WHERE message_id = $1 AND sent_wall IS NULL"
        "   RETURNING application_id, service_id)"
        " UPDATE application a SET status = 'SENT' FROM sent"
        " WHERE a.id = sent.application_id AND sent.service_id = 'application.submit'"
        "   AND a.status = 'ACCEPTED' RETURNING a.id, a.citizen_iin, a.region, a.receipt_number",
        1, values, NULL, NULL);
    bool done = result != NULL;
    if (result && PQntuples (result) == 1) {
        const char *id = PQgetvalue (result, 0, 0);
        char note [128], text [256];
        int64_t now = egov_clock_now_ms ();
        snprintf (note, sizeof (note), "for the regional gateway of region %s", PQgetvalue (result, 0, 2));
        snprintf (text, sizeof (text), "Your application %s went to the regional gateway of region %s.",
                  PQgetvalue (result, 0, 3), PQgetvalue (result, 0, 2));
        done = portal_server__history (self, id, "SENT",
                   "the signed electronic document goes through the central gateway (ЭҮШ)",
                   "gateway", "shep", note, now)
            && portal_server__notify (self, PQgetvalue (result, 0, 1), id, "STATUS", "SENT", text, 0, now);
    }
    PQclear (result);
    if (!done || !portal_server__exec (self, "COMMIT"))
        portal_server__exec (self, "ROLLBACK");
}

void
portal_server_flush (portal_server_t *self)
{
    if (!self->client)
        return;
    PGresult *result = portal_server__sql (self, PGRES_TUPLES_OK,
        "SELECT message_id, envelope FROM outbox WHERE sent_wall IS NULL"
        " ORDER BY created_wall LIMIT 100", 0, NULL, NULL, NULL);
    if (!result)
        return;
    int64_t now = egov_now_ms ();
    for (int row = 0; row < PQntuples (result); row++) {
        const char *message_id = PQgetvalue (result, row, 0);
        const char *last = (const char *) zhashx_lookup (self->in_flight, message_id);
        if (last && now < strtoll (last, NULL, 10))
            continue;
        size_t size = 0;
        uint8_t *packed = PQunescapeBytea ((const unsigned char *) PQgetvalue (result, row, 1), &size);
        Egov__Envelope *envelope = packed ? egov__envelope__unpack (NULL, size, packed) : NULL;
        PQfreemem (packed);
        if (!envelope) {
            zsys_error ("portal: outbox message %s does not unpack; dropped", message_id);
            const char *values [] = { message_id };
            PQclear (portal_server__sql (self, PGRES_COMMAND_OK,
                "UPDATE outbox SET sent_wall = now () WHERE message_id = $1", 1, values, NULL, NULL));
            continue;
        }
        if (shep_client_send_submit (self->client, envelope, 0, 0) == 0) {
            char *again = zsys_sprintf ("%" PRId64, now + s_RESEND_MS);
            zhashx_update (self->in_flight, message_id, again);
            if (self->verbose)
                zsys_info ("portal: %s %s sent to the gateway%s", envelope->service_id, message_id,
                           last ? " again" : "");
        }
        egov__envelope__free_unpacked (envelope, NULL);
    }
    PQclear (result);
}

//  The gateway's answer to a submission.
static void
s_receipt (portal_server_t *self, const Egov__Shep__AsyncReceipt *receipt)
{
    if (!receipt->message_id || !zhashx_lookup (self->in_flight, receipt->message_id))
        return;
    if (receipt->error) {
        zsys_warning ("portal: the gateway did not take %s: %s %s; trying again", receipt->message_id,
                      receipt->error->code, receipt->error->message);
        char *again = zsys_sprintf ("%" PRId64, egov_now_ms () + s_REFUSED_BACKOFF_MS);
        zhashx_update (self->in_flight, receipt->message_id, again);
        return;
    }
    s_sent (self, receipt->message_id);
    zhashx_delete (self->in_flight, receipt->message_id);
    if (self->verbose)
        zsys_info ("portal: %s stored by the gateway (%s)", receipt->message_id,
                   egov_delivery_status_name (receipt->status));
}

//  ---------------------------------------------------------------------
//  Deliveries

//  The name of a Status value, or NULL when out of range.
static const char *
s_status_name (int status)
{
    const ProtobufCEnumValue *value =
        protobuf_c_enum_descriptor_get_value (&egov__applications__status__descriptor, status);
    return value && status != EGOV__APPLICATIONS__STATUS__STATUS_UNSPECIFIED ? value->name : NULL;
}

//  The rank of a status: an application's status only moves forward.
static int
s_rank (const char *status)
{
    const char *order [] = { "ACCEPTED", "SENT", "REGISTERED", "IN_PROGRESS", "READY", "REFUSED", NULL };
    for (int index = 0; order [index]; index++)
        if (streq (order [index], status))
            return index;
    return 99;
}

//  The application a delivery is about: its citizen, status and receipt.
typedef struct {
    char id [40];                   //  application id
    char iin [13];                  //  the citizen's
    char status [32];               //  before this delivery
    char receipt [64];              //  the portal's receipt number
} s_target_t;

//  Applies a status notice inside the delivery's transaction.
static bool
s_apply_notice (portal_server_t *self, const s_target_t *target,
                const Egov__Applications__StatusNotice *notice)
{
    const char *name = s_status_name (notice->status);
    if (!name) {
        zsys_warning ("portal: status notice for %s with an unknown status %d", target->id, notice->status);
        return true;
    }
    int64_t at = notice->at ? notice->at : egov_clock_now_ms ();
    char step [300];
    snprintf (step, sizeof (step), "%s", *notice->step ? notice->step
        : streq (name, "REGISTERED") ? "the regional gateway (ЭҮӨШ) registers the electronic document"
        : streq (name, "REFUSED") ? "refusal" : name);
    const char *role = *notice->role ? notice->role
                     : streq (name, "REGISTERED") || streq (name, "REFUSED") ? "regional-gateway" : "";
    char note [600];
    snprintf (note, sizeof (note), "%s%s%s", notice->note,
              *notice->registration_number && *notice->note ? "; " : "",
              *notice->registration_number ? notice->registration_number : "");
    if (!portal_server__history (self, target->id, name, step, role, notice->actor, note, at))
        return false;
    //  READY comes with the result; a notice moves the status forward only
    bool forward = !streq (name, "READY") && s_rank (name) > s_rank (target->status)
                && !streq (target->status, "READY") && !streq (target->status, "REFUSED");
    const char *registration = *notice->registration_number ? notice->registration_number : NULL;
    const char *values [] = { target->id, forward ? name : NULL, registration,
        forward && streq (name, "REFUSED") ? (*notice->note ? notice->note : "refused") : NULL };
    PGresult *result = portal_server__sql (self, PGRES_COMMAND_OK,
        "UPDATE application SET status = coalesce ($2, status),"
        " registration_number = coalesce (registration_number, $3),"
        " refusal_note = coalesce ($4, refusal_note) WHERE id = $1", 4, values, NULL, NULL);
    PQclear (result);
    if (!result)
        return false;
    if (!forward)
        return true;
    char text [900];
    if (streq (name, "REFUSED"))
        snprintf (text, sizeof (text), "Your application %s is refused: %s.", target->receipt,
                  *notice->note ? notice->note : "no reason given");
    else
    if (streq (name, "REGISTERED"))
        snprintf (text, sizeof (text), "Your application %s is registered by the regional gateway%s%s.",
                  target->receipt, registration ? ", No " : "", registration ? registration : "");
    else
        snprintf (text, sizeof (text), "Your application %s is in progress at the provider: %s.",
                  target->receipt, step);
    return portal_server__notify (self, target->iin, target->id, streq (name, "REFUSED") ? "REFUSAL" : "STATUS",
                                  name, text, 0, at);
}

//  Applies the provider's result inside the delivery's transaction.
static bool
s_apply_result (portal_server_t *self, const s_target_t *target,
                const Egov__Applications__Result *message)
{
    int64_t now = egov_clock_now_ms ();
    //  The provider's e-signature, judged now on the simulation clock
    const char *outcome = "UNSIGNED";
    char signer [600];
    snprintf (signer, sizeof (signer), "%s", message->signer);
    if (message->signature.len) {
        egov_cms_result_t checked;
        egov_cms_outcome_t verdict = egov_cms_verify (self->verifier, message->signature.data,
            message->signature.len, message->document.data, message->document.len, now, NULL, &checked);
        outcome = egov_cms_outcome_name (verdict);
        if (!*signer && *checked.name)
            snprintf (signer, sizeof (signer), "%s (IIN %s)", checked.name, checked.iin);
    }
    json_t *grounds = json_array ();
    for (size_t index = 0; index < message->n_grounds; index++)
        json_array_append_new (grounds, json_string (message->grounds [index]));
    char *grounds_text = json_dumps (grounds, JSON_COMPACT);
    json_decref (grounds);
    char decided [24];
    int64_t decided_at = message->decided_at ? message->decided_at : now;
    snprintf (decided, sizeof (decided), "%" PRId64, decided_at);
    const char *status = message->approved ? "READY" : "REFUSED";
    const char *values [] = { target->id, status, message->approved ? "true" : "false", grounds_text,
        message->document.len ? (const char *) message->document.data : "",
        message->signature.len ? (const char *) message->signature.data : "",
        signer, outcome, decided, message->registration_number };
    int lengths [] = { 0, 0, 0, 0, (int) message->document.len, (int) message->signature.len, 0, 0, 0, 0 };
    int formats [] = { 0, 0, 0, 0, 1, 1, 0, 0, 0, 0 };
    PGresult *result = portal_server__sql (self, PGRES_COMMAND_OK,
        "UPDATE application SET status = $2, result_approved = $3,"
        " result_grounds = ARRAY (SELECT json_array_elements_text ($4::json)),"
        " result_document = $5, result_signature = $6, result_signer = $7, result_outcome = $8,"
        " result_decided_sim = $9, result_number = $10 WHERE id = $1", 10, values, lengths, formats);
    PQclear (result);
    if (!result) {
        free (grounds_text);
        return false;
    }
    char note [900], text [1200];
    if (message->approved) {
        snprintf (note, sizeof (note), "approved, outgoing No %s; signature %s",
                  message->registration_number, outcome);
        snprintf (text, sizeof (text), "The result of your application %s is ready in your cabinet: "
                  "a document signed by %s (No %s).", target->receipt, signer, message->registration_number);
    }
    else {
        char list [700] = "";
        for (size_t index = 0; index < message->n_grounds; index++)
            snprintf (list + strlen (list), sizeof (list) - strlen (list), "%s%s",
                      index ? "; " : "", message->grounds [index]);
        snprintf (note, sizeof (note), "motivated refusal: %s; signature %s", list, outcome);
        snprintf (text, sizeof (text), "Your application %s is refused with grounds: %s. "
                  "The signed refusal is in your cabinet.", target->receipt, list);
    }
    free (grounds_text);
    return portal_server__history (self, target->id, status, message->approved
                ? "the provider's result, signed by its authorised person, arrives in the cabinet"
                : "the provider's motivated refusal, signed by its authorised person, arrives in the cabinet",
                "provider", signer, note, decided_at)
        && portal_server__notify (self, target->iin, target->id, message->approved ? "RESULT" : "REFUSAL",
                                  status, text, 0, now);
}

//  Applies one delivery in one transaction with its inbox row; then acks.
static void
s_deliver (portal_server_t *self, const Egov__Shep__Deliver *deliver)
{
    const Egov__Envelope *envelope = deliver->envelope;
    if (!envelope || !egov_uuid_valid (envelope->message_id)) {
        zsys_warning ("portal: dropped a delivery without a usable message id");
        return;
    }
    const char *message_id = envelope->message_id;
    egov_application_update_t update;
    egov_error_t refusal;
    if (!egov_application_update_decode (envelope, &update, &refusal)) {
        shep_client_ack (self->client, message_id, refusal.code, refusal.message);
        return;
    }
    const char *id = update.application_id;
    bool applied = portal_server__exec (self, "BEGIN");
    const char *values [] = { message_id, envelope->service_id };
    PGresult *result = applied ? portal_server__sql (self, PGRES_COMMAND_OK,
        "INSERT INTO inbox (message_id, service_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        2, values, NULL, NULL) : NULL;
    bool fresh = result && atoi (PQcmdTuples (result)) == 1;
    applied = result != NULL;
    PQclear (result);
    bool unknown = false;
    if (fresh) {
        const char *key [] = { id };
        result = portal_server__sql (self, PGRES_TUPLES_OK,
            "SELECT id, citizen_iin, status, receipt_number FROM application WHERE id = $1 FOR UPDATE",
            1, key, NULL, NULL);
        applied = result != NULL;
        if (result && PQntuples (result) == 1) {
            s_target_t target;
            snprintf (target.id, sizeof (target.id), "%s", PQgetvalue (result, 0, 0));
            snprintf (target.iin, sizeof (target.iin), "%s", PQgetvalue (result, 0, 1));
            snprintf (target.status, sizeof (target.status), "%s", PQgetvalue (result, 0, 2));
            snprintf (target.receipt, sizeof (target.receipt), "%s", PQgetvalue (result, 0, 3));
            applied = update.notice
                ? s_apply_notice (self, &target, update.notice)
                : s_apply_result (self, &target, update.result);
        }
        else
            unknown = result != NULL;
        PQclear (result);
    }
    if (unknown) {
        portal_server__exec (self, "ROLLBACK");
        zsys_warning ("portal: %s %s for unknown application %s rejected", envelope->service_id,
                      message_id, id);
        shep_client_ack (self->client, message_id, "UNKNOWN_APPLICATION", "no such application on the portal");
    }
    else
    if (!applied || !portal_server__exec (self, "COMMIT")) {
        portal_server__exec (self, "ROLLBACK");
        zsys_error ("portal: could not apply %s; the gateway will deliver it again", message_id);
    }
    else {
        shep_client_ack (self->client, message_id, NULL, NULL);
        if (self->verbose)
            zsys_info ("portal: %s %s for %s %s", envelope->service_id, message_id, id,
                       fresh ? "applied" : "was a redelivery");
    }
    egov_application_update_reset (&update);
}

//  The next frame waiting for us, or NULL without waiting. Only asks the
//  client when something is there, and then with a short timeout:
//  shep_client_recv (client, 0) can wait forever when a millisecond passes
//  between its deadline and its first poll (the -1 that follows means
//  "forever" to zmq_poll).
static Egov__Shep__Frame *
s_next_frame (shep_client_t *client)
{
    if (!shep_client_pending (client)
    &&  !(zsock_events (shep_client_sock (client)) & ZMQ_POLLIN))
        return NULL;
    return shep_client_recv (client, 5);
}

void
portal_server_drain (portal_server_t *self)
{
    if (!self->client)
        return;
    Egov__Shep__Frame *frame;
    while ((frame = s_next_frame (self->client))) {
        if (frame->body_case == EGOV__SHEP__FRAME__BODY_DELIVER && frame->deliver)
            s_deliver (self, frame->deliver);
        else
        if (frame->body_case == EGOV__SHEP__FRAME__BODY_ASYNC_RECEIPT && frame->async_receipt)
            s_receipt (self, frame->async_receipt);
        else
        if (frame->body_case == EGOV__SHEP__FRAME__BODY_ERROR && frame->error && frame->error->error)
            zsys_warning ("portal: gateway error %s: %s", frame->error->error->code,
                          frame->error->error->message);
        egov__shep__frame__free_unpacked (frame, NULL);
    }
}
