/*  portal_flow — the portal's side of the gateway (ЭҮШ), as handlers of
    the participant runtime (shep_participant): the gateway's receipt for
    an application.submit makes the application SENT, and the deliveries
    from the regional gateway (ЭҮӨШ) — application.status and
    application.result — are applied with the personal cabinet's
    notifications, in the runtime's transaction, once per message id.     */
#include "egov_application.h"
#include "portal_server_private.h"

void
portal_server_sent (void *service, const Egov__Envelope *envelope, Egov__DeliveryStatus status)
{
    portal_server_t *self = (portal_server_t *) service;
    assert (self && envelope);
    if (!streq (envelope->service_id, "application.submit"))
        return;
    const char *id = envelope->correlation_id;
    if (!egov_uuid_valid (id)) {
        zsys_warning ("portal: the gateway stored a submission %s without an application id",
                      envelope->message_id);
        return;
    }
    PGconn *conn = shep_participant_db (self->engine);
    //  Without waiting for the WAL flush: lost in a crash, the mark comes
    //  again with the outbox's re-submission (and the regional gateway's
    //  notice moves the application on in any case)
    if (!conn || !portal_server__exec (conn, "BEGIN")
    ||  !portal_server__exec (conn, "SET LOCAL synchronous_commit TO off")) {
        zsys_error ("portal: application %s is with the gateway, but the database cannot say so", id);
        if (conn)
            portal_server__exec (conn, "ROLLBACK");
        return;
    }
    //  Only from ACCEPTED: a second call, or a notice that came first, changes nothing
    const char *values [] = { id };
    PGresult *result = portal_server__sql (conn, PGRES_TUPLES_OK,
        "UPDATE application SET status = 'SENT' WHERE id = $1 AND status = 'ACCEPTED'"
        " RETURNING citizen_iin, region, receipt_number", 1, values, NULL, NULL);
    bool done = result != NULL;
    if (result && PQntuples (result) == 1) {
        char note [128], text [256];
        int64_t now = egov_clock_now_ms ();
        snprintf (note, sizeof (note), "for the regional gateway of region %s", PQgetvalue (result, 0, 1));
        snprintf (text, sizeof (text), "Your application %s went to the regional gateway of region %s.",
                  PQgetvalue (result, 0, 2), PQgetvalue (result, 0, 1));
        done = portal_server__history (conn, id, "SENT",
                   "the signed electronic document goes through the central gateway (ЭҮШ)",
                   "gateway", "shep", note, now)
            && portal_server__notify (conn, PQgetvalue (result, 0, 0), id, "STATUS", "SENT", text, 0, now);
    }
    PQclear (result);
    if (!done || !portal_server__exec (conn, "COMMIT")) {
        portal_server__exec (conn, "ROLLBACK");
        zsys_error ("portal: application %s is with the gateway, but could not be marked SENT", id);
    }
    else
    if (self->verbose)
        zsys_info ("portal: application %s stored by the gateway (%s)", id,
                   egov_delivery_status_name (status));
}

//  ---------------------------------------------------------------------
//  Deliveries

//  The application a delivery is about: its citizen, status and receipt.
typedef struct {
    char id [40];                   //  application id
    char iin [13];                  //  the citizen's
    char status [32];               //  before this delivery
    char receipt [64];              //  the portal's receipt number
    bool numbered;                  //  it holds its registration number already
} s_target_t;

//  Applies a status notice inside the delivery's transaction; forward when
//  the lifecycle moves the application to the notice's status.
static bool
s_apply_notice (PGconn *conn, const s_target_t *target, bool forward,
                const Egov__Applications__StatusNotice *notice)
{
    egov_notice_line_t line;
    egov_notice_line (notice, &line);
    const char *name = line.status, *step = line.step, *registration = NULL;
    int64_t at = line.at;
    if (!portal_server__history (conn, target->id, name, step, line.role, notice->actor,
                                 line.note, at)
    ||  !egov_application_apply_notice (conn, target->id, forward ? name : NULL, target->numbered,
                                        notice, &registration))
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
    return portal_server__notify (conn, target->iin, target->id, streq (name, "REFUSED") ? "REFUSAL" : "STATUS",
                                  name, text, 0, at);
}

//  Applies the provider's result inside the delivery's transaction; one
//  that the lifecycle says comes late (move false) is history only.
static bool
s_apply_result (portal_server_t *self, PGconn *conn, const s_target_t *target, bool move,
                const Egov__Applications__Result *message, const char *signed_by)
{
    (void) self;
    int64_t now = egov_clock_now_ms ();
    if (!move)
        return portal_server__history (conn, target->id, target->status,
                                       "the result arrived again; kept as is", "provider",
                                       message->signer, "", now);
    //  The provider's e-signature held at delivery (egov_application_update_trusted)
    const char *outcome = "OK";
    char signer [600];
    snprintf (signer, sizeof (signer), "%s", *message->signer ? message->signer : signed_by);
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
    PGresult *result = portal_server__sql (conn, PGRES_COMMAND_OK,
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
    return portal_server__history (conn, target->id, status, message->approved
                ? "the provider's result, signed by its authorised person, arrives in the cabinet"
                : "the provider's motivated refusal, signed by its authorised person, arrives in the cabinet",
                "provider", signer, note, decided_at)
        && portal_server__notify (conn, target->iin, target->id, message->approved ? "RESULT" : "REFUSAL",
                                  status, text, 0, now);
}

shep_outcome_t
portal_server_deliver (void *service, PGconn *conn, const shep_delivery_t *delivery,
                       egov_error_t *reject)
{
    portal_server_t *self = (portal_server_t *) service;
    assert (self && conn && delivery && reject);
    const Egov__Envelope *envelope = delivery->envelope;
    egov_application_update_t update;
    if (!egov_application_update_decode (envelope, &update, reject))
        return SHEP_REJECT;
    const char *id = update.application_id;
    const char *key [] = { id };
    PGresult *result = portal_server__sql (conn, PGRES_TUPLES_OK,
        "SELECT id, citizen_iin, status, receipt_number, region, registration_number IS NOT NULL"
        " FROM application WHERE id = $1 FOR UPDATE",
        1, key, NULL, NULL);
    shep_outcome_t outcome = SHEP_RETRY;
    char signer [400];
    if (result && PQntuples (result) == 1
    &&  !egov_application_update_trusted (&update, envelope, PQgetvalue (result, 0, 4), NULL, self->verifier,
                                          egov_clock_now_ms (), signer, sizeof (signer), reject)) {
        //  Not from the application's region's gateway, or not signed by its provider
        zsys_warning ("portal: %s %s for %s refused: %s %s", envelope->service_id,
                      envelope->message_id, id, reject->code, reject->message);
        outcome = SHEP_REJECT;
    }
    else
    if (result && PQntuples (result) == 1) {
        s_target_t target;
        snprintf (target.id, sizeof (target.id), "%s", PQgetvalue (result, 0, 0));
        snprintf (target.iin, sizeof (target.iin), "%s", PQgetvalue (result, 0, 1));
        snprintf (target.status, sizeof (target.status), "%s", PQgetvalue (result, 0, 2));
        snprintf (target.receipt, sizeof (target.receipt), "%s", PQgetvalue (result, 0, 3));
        target.numbered = streq (PQgetvalue (result, 0, 5), "t");
        //  The one lifecycle decides: a move, a late update kept as history, or poison
        egov_status_t next;
        egov_lifecycle_t decision = egov_application_update_decide (&update, target.status, &next,
                                                                    reject);
        bool move = decision == EGOV_LIFECYCLE_MOVE;
        if (decision == EGOV_LIFECYCLE_REFUSE)
            outcome = SHEP_REJECT;
        else
        if (update.notice ? s_apply_notice (conn, &target, move, update.notice)
                          : s_apply_result (self, conn, &target, move, update.result, signer))
            outcome = SHEP_APPLIED;
    }
    else
    if (result) {
        egov_error_set (reject, "UNKNOWN_APPLICATION", "no application %s on the portal", id);
        outcome = SHEP_REJECT;
    }
    PQclear (result);
    if (outcome == SHEP_APPLIED && self->verbose)
        zsys_info ("portal: %s %s for %s applied", envelope->service_id, envelope->message_id, id);
    egov_application_update_reset (&update);
    return outcome;
}
