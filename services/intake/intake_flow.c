/*  intake_flow — the desk's side of the gateway, as actions the participant
    runtime (shep_participant) calls: the deliveries of application.status
    and application.result applied in its transaction, the step the
    gateway's receipt of an application.submit means, and the business
    timers: an unclaimed result goes back to the provider after one month of
    simulated time (application.return) and is asked back when the
    applicant comes later (application.recall).                          */
#include "intake_desk_private.h"
#include "egov_application.h"
#include "egov_iin.h"
#include "egov_db.h"

//  Wall milliseconds the timers wait for the database after it failed them.
#define s_DB_RETRY 1000

Egov__Envelope *
intake_desk__envelope (const char *service_id, const char *id, const char *region,
                       Egov__MessageType type)
{
    Egov__Envelope *envelope = egov_envelope_new (service_id, type);
    egov_string_set (&envelope->correlation_id, id);
    egov_string_set (&envelope->route_id, region);
    return envelope;
}

bool
intake_desk__outbox (intake_desk_t *self, Egov__Envelope *envelope)
{
    egov_error_t error;
    return shep_participant_put (self->engine, self->conn, envelope, 0, NULL, &error) == 0;
}

//  An office's application is in the provider's system: the gateway stored
//  it for leb-<KATO>, registered under the receipt's number.
static void
s_office_sent (intake_desk_t *self, const Egov__Envelope *envelope)
{
    const char *id = envelope->correlation_id;
    if (!intake_desk__db (self, NULL) || !intake_desk__exec (self, "BEGIN")) {
        zsys_warning ("intake: %s stored by the gateway, but the database is away: it stays"
                      " ACCEPTED until the provider's notice", id);
        return;
    }
    const char *values [] = { id };
    PGresult *result = intake_desk__sql (self, PGRES_TUPLES_OK,
        "UPDATE application SET status = 'REGISTERED', registration_number = receipt_number"
        " WHERE id = $1 AND status = 'ACCEPTED' RETURNING receipt_number", 1, values, NULL, NULL);
    bool done = result != NULL;
    if (result && PQntuples (result) == 1) {
        int64_t now = egov_clock_now_ms ();
        char note [128];
        snprintf (note, sizeof (note), "for %s", self->provider);
        done = intake_desk__history (self, id, "SENT",
                "the registered request goes through the central gateway (ЭҮШ) to the provider's system",
                "gateway", "shep", note, now)
            && intake_desk__history (self, id, "REGISTERED",
                "the provider's office registers the application in its register",
                "clerk", "", PQgetvalue (result, 0, 0), now);
    }
    PQclear (result);
    if (!done || !intake_desk__exec (self, "COMMIT"))
        intake_desk__exec (self, "ROLLBACK");
}

void
intake_desk_sent (void *service, const Egov__Envelope *envelope, Egov__DeliveryStatus status)
{
    intake_desk_t *self = (intake_desk_t *) service;
    assert (self && envelope);
    (void) status;                  //  stored is stored, whatever became of it since
    if (streq (envelope->service_id, "application.registered")) {
        s_office_sent (self, envelope);
        return;
    }
    if (!streq (envelope->service_id, "application.submit"))
        return;
    const char *id = envelope->correlation_id;
    //  Without waiting for the WAL flush: lost in a crash, the mark comes
    //  again with the outbox's re-submission (and the regional gateway's
    //  notice moves the application on in any case)
    if (!intake_desk__db (self, NULL) || !intake_desk__exec (self, "BEGIN")
    ||  !intake_desk__exec (self, "SET LOCAL synchronous_commit TO off")) {
        zsys_warning ("intake: %s stored by the gateway, but the database is away: it stays"
                      " ACCEPTED until the regional gateway's notice", id);
        if (intake_desk__db (self, NULL))
            intake_desk__exec (self, "ROLLBACK");
        return;
    }
    //  Only from ACCEPTED: called again, or after the registration, it changes nothing
    const char *values [] = { id };
    PGresult *result = intake_desk__sql (self, PGRES_TUPLES_OK,
        "UPDATE application SET status = 'SENT' WHERE id = $1 AND status = 'ACCEPTED'"
        " RETURNING paper", 1, values, NULL, NULL);
    bool done = result != NULL;
    if (result && PQntuples (result) == 1) {
        char note [128];
        snprintf (note, sizeof (note), "for the regional gateway of region %s", envelope->route_id);
        done = intake_desk__history (self, id, "SENT",
            "the signed request goes through the central gateway (ЭҮШ)", "gateway", "shep", note,
            egov_clock_now_ms ());
    }
    PQclear (result);
    if (!done || !intake_desk__exec (self, "COMMIT"))
        intake_desk__exec (self, "ROLLBACK");
}

//  ---------------------------------------------------------------------
//  Deliveries

//  One calendar month after a moment (the same local time; the day clamped
//  to the month's last): how long an unclaimed result is kept.
static int64_t
s_one_month_after (intake_desk_t *self, int64_t ms)
{
    int64_t offset = egov_calendar_offset_ms (self->calendar);
    int64_t day_ms = 24LL * 3600 * 1000;
    int64_t local = ms + offset;
    int64_t days = local >= 0 ? local / day_ms : (local - day_ms + 1) / day_ms;
    int64_t time_of_day = local - days * day_ms;
    int year, month, day;
    egov_date_from_days (days, &year, &month, &day);
    if (++month > 12) {
        month = 1;
        year++;
    }
    while (!egov_date_valid (year, month, day))
        day--;
    return egov_date_days (year, month, day) * day_ms + time_of_day - offset;
}

//  Applies a status notice inside the delivery's transaction; the
//  application moves to update (the lifecycle's decision) or stays (NULL);
//  numbered when it holds its registration number already.
static bool
s_apply_notice (intake_desk_t *self, const char *id, const char *update, const char *paper,
                bool numbered, const Egov__Applications__StatusNotice *notice)
{
    egov_notice_line_t line;
    egov_notice_line (notice, &line);
    const char *name = line.status, *registration = NULL;
    int64_t at = line.at;
    if (!intake_desk__history (self, id, name, line.step, line.role, notice->actor, line.note, at)
    ||  !egov_application_apply_notice (self->conn, id, update, numbered, notice, &registration))
        return false;
    if (streq (name, "REGISTERED") && *paper == 't') {
        char date [11], receipt [256];
        egov_date_format (egov_calendar_local_day (self->calendar, at), date);
        snprintf (receipt, sizeof (receipt), "receipt No %s dated %s",
                  registration ? registration : "-", date);
        if (!intake_desk__history (self, id, name,
                "the provider's office gives the courier a dated receipt for the package",
                "courier", "State Corporation courier", receipt, at))
            return false;
    }
    return true;
}

//  A barcode for a returned paper result: EAN-13 from the application id.
static void
s_barcode (const char *id, char out [14])
{
    uint64_t hash = 1469598103934665603ULL;
    const uint64_t range = 100000000000ULL;
    for (const char *cursor = id; *cursor; cursor++)
        hash = (hash ^ (uint8_t) *cursor) * 1099511628211ULL;
    snprintf (out, 14, "2%011" PRIu64, (uint64_t) (hash % range));
    int sum = 0;
    for (int index = 0; index < 12; index++)
        sum += (out [index] - '0') * (index % 2 ? 3 : 1);
    out [12] = (char) ('0' + (10 - sum % 10) % 10);
    out [13] = 0;
}

//  Applies the provider's result inside the delivery's transaction; one
//  that the lifecycle says comes late (move false) is history only.
static bool
s_apply_result (intake_desk_t *self, const char *id, const char *status, const char *paper,
                bool move, const Egov__Applications__Result *result_message, const char *signed_by)
{
    int64_t now = egov_clock_now_ms ();
    if (!move)
        return intake_desk__history (self, id, status, streq (status, "ISSUED")
                                     ? "a result arrived after the hand-over; kept as is"
                                     : "the result arrived again; kept as is",
                                     "provider", result_message->signer, "", now);
    //  The provider's e-signature held at delivery (egov_application_update_trusted)
    const char *outcome = "OK";
    char signer [400];
    snprintf (signer, sizeof (signer), "%s", *result_message->signer ? result_message->signer : signed_by);
    bool recalled = streq (status, "RETURNED_TO_PROVIDER");
    int64_t until = s_one_month_after (self, now);
    char decided [24], until_text [24], barcode [14];
    snprintf (decided, sizeof (decided), "%" PRId64,
              result_message->decided_at ? result_message->decided_at : now);
    snprintf (until_text, sizeof (until_text), "%" PRId64, until);
    s_barcode (id, barcode);
    json_t *grounds = json_array ();
    for (size_t index = 0; index < result_message->n_grounds; index++)
        json_array_append_new (grounds, json_string (result_message->grounds [index]));
    char *grounds_text = json_dumps (grounds, JSON_COMPACT);
    json_decref (grounds);
    const char *values [] = { id, result_message->approved ? "READY" : "REFUSED",
        result_message->approved ? "true" : "false", grounds_text,
        (const char *) result_message->document.data, signer, outcome, decided, until_text,
        *paper == 't' ? barcode : NULL };
    int lengths [] = { 0, 0, 0, 0, (int) result_message->document.len, 0, 0, 0, 0, 0 };
    int formats [] = { 0, 0, 0, 0, 1, 0, 0, 0, 0, 0 };
    if (!values [4])
        values [4] = "";
    PGresult *result = intake_desk__sql (self, PGRES_COMMAND_OK,
        "UPDATE application SET status = $2, result_approved = $3,"
        " result_grounds = ARRAY (SELECT json_array_elements_text ($4::json)),"
        " result_document = $5, result_signer = $6, result_signature = $7,"
        " result_decided_sim = $8, storage_until_sim = $9, recall_due_sim = NULL,"
        " barcode = coalesce ($10, barcode) WHERE id = $1", 10, values, lengths, formats);
    free (grounds_text);
    PQclear (result);
    if (!result)
        return false;
    char note [600], until_iso [40];
    egov_clock_format (until, until_iso, sizeof (until_iso));
    if (result_message->approved)
        snprintf (note, sizeof (note), "approved, outgoing No %s; signature %s; kept until %s",
                  result_message->registration_number, outcome, until_iso);
    else {
        char grounds_list [400] = "";
        for (size_t index = 0; index < result_message->n_grounds; index++)
            snprintf (grounds_list + strlen (grounds_list), sizeof (grounds_list) - strlen (grounds_list),
                      "%s%s", index ? "; " : "", result_message->grounds [index]);
        snprintf (note, sizeof (note), "motivated refusal: %s; signature %s; kept until %s",
                  grounds_list, outcome, until_iso);
    }
    const char *step = recalled ? "the provider sends the result back after the recall"
                     : result_message->approved ? "the provider's result arrives"
                     : "the provider's motivated refusal arrives";
    if (!intake_desk__history (self, id, result_message->approved ? "READY" : "REFUSED", step,
                               "provider", signer, note, now))
        return false;
    if (*paper == 't') {
        snprintf (note, sizeof (note), "barcode %s", barcode);
        if (!intake_desk__history (self, id, result_message->approved ? "READY" : "REFUSED",
                "collection sector marks the returned result by barcode scan and passes it to "
                "the issuing inspector", "collection-sector", "collection sector", note, now))
            return false;
    }
    return true;
}

shep_outcome_t
intake_desk_deliver (void *service, PGconn *conn, const shep_delivery_t *delivery,
                     egov_error_t *reject)
{
    intake_desk_t *self = (intake_desk_t *) service;
    assert (self && conn && delivery && reject);
    const Egov__Envelope *envelope = delivery->envelope;
    egov_application_update_t update;
    if (!egov_application_update_decode (envelope, &update, reject))
        return SHEP_REJECT;
    self->conn = conn;
    const char *id = update.application_id;
    const char *key [] = { id };
    PGresult *result = intake_desk__sql (self, PGRES_TUPLES_OK,
        "SELECT status, paper, region, registration_number IS NOT NULL FROM application"
        " WHERE id = $1 FOR UPDATE", 1, key, NULL, NULL);
    shep_outcome_t outcome = SHEP_RETRY;
    char signer [400];
    if (result && PQntuples (result) == 1
    &&  !egov_application_update_trusted (&update, envelope, PQgetvalue (result, 0, 2),
                                          *self->office ? self->provider : NULL, self->verifier,
                                          egov_clock_now_ms (), signer, sizeof (signer), reject)) {
        //  Not from the application's region's gateway, or not signed by its provider
        zsys_warning ("intake: %s %s for %s refused: %s %s", envelope->service_id,
                      envelope->message_id, id, reject->code, reject->message);
        outcome = SHEP_REJECT;
    }
    else
    if (result && PQntuples (result) == 1) {
        char status [32], paper [2];
        snprintf (status, sizeof (status), "%s", PQgetvalue (result, 0, 0));
        snprintf (paper, sizeof (paper), "%s", PQgetvalue (result, 0, 1));
        //  The one lifecycle decides: a move, a late update kept as history, or poison
        egov_status_t next;
        egov_lifecycle_t decision = egov_application_update_decide (&update, status, &next, reject);
        bool move = decision == EGOV_LIFECYCLE_MOVE;
        if (decision == EGOV_LIFECYCLE_REFUSE)
            outcome = SHEP_REJECT;
        else
        if (update.notice ? s_apply_notice (self, id, move ? egov_status_name (next) : NULL, paper,
                                            streq (PQgetvalue (result, 0, 3), "t"), update.notice)
                          : s_apply_result (self, id, status, paper, move, update.result, signer))
            outcome = SHEP_APPLIED;
    }
    else
    if (result) {
        egov_error_set (reject, "UNKNOWN_APPLICATION", "no such application at this desk");
        outcome = SHEP_REJECT;
    }
    PQclear (result);
    if (outcome == SHEP_RETRY)
        zsys_error ("intake: could not apply %s; the gateway will deliver it again",
                    envelope->message_id);
    else
    if (outcome == SHEP_APPLIED && self->verbose)
        zsys_info ("intake: %s %s for %s applied", envelope->service_id, envelope->message_id, id);
    //  A result starts (or ends) a month of storage: the timer follows the rows
    if (outcome == SHEP_APPLIED && update.result)
        self->rearm_wanted = true;
    egov_application_update_reset (&update);
    return outcome;
}

//  ---------------------------------------------------------------------
//  One month of storage, return and recall

//  Queues a ResultMovement for the provider (caller's transaction).
static bool
s_movement (intake_desk_t *self, const char *service_id, const char *id, const char *region,
            const char *reason, int64_t at)
{
    Egov__Applications__ResultMovement movement = EGOV__APPLICATIONS__RESULT_MOVEMENT__INIT;
    movement.application_id = (char *) id;
    movement.reason = (char *) reason;
    movement.at = at;
    Egov__Envelope *envelope = intake_desk__envelope (service_id, id, *self->office ? "" : region,
                                                      EGOV__MESSAGE_TYPE__REQUEST);
    if (*self->office)              //  an office's applications are its provider's own
        egov_string_set (&envelope->recipient_id, self->provider);
    egov_envelope_set_payload (envelope, &movement.base);
    bool stored = intake_desk__outbox (self, envelope);
    egov__envelope__free_unpacked (envelope, NULL);
    return stored;
}

//  Moves every result kept past its month, each in its own transaction:
//  back to its provider, or, where the catalogue says so (seed 001 item 8
//  7): "ХҚКО қызмет нәтижесін ХҚКО-ның мұрағатына жолдайды"), into the
//  centre's own archive, where it stays to be handed over. False when the
//  database failed (the rest waits).
static bool
s_return_unclaimed (intake_desk_t *self)
{
    int64_t now = egov_clock_now_ms ();
    char now_text [24];
    snprintf (now_text, sizeof (now_text), "%" PRId64, now);
    const char *values [] = { now_text };
    PGresult *due = intake_desk__sql (self, PGRES_TUPLES_OK,
        "SELECT id, region, paper, service, status FROM application WHERE storage_until_sim <= $1"
        " AND status IN ('READY', 'REFUSED') ORDER BY storage_until_sim", 1, values, NULL, NULL);
    if (!due)
        return false;
    bool done = true;
    for (int row = 0; row < PQntuples (due) && done; row++) {
        const char *id = PQgetvalue (due, row, 0);
        const egov_catalogue_entry_t *entry = egov_catalogue_find (self->catalogue, PQgetvalue (due, row, 3),
                                                                   PQgetvalue (due, row, 1));
        bool archive = !*self->office && entry && entry->unclaimed_archive;
        const char *keys [] = { id, now_text };
        done = intake_desk__exec (self, "BEGIN");
        PGresult *result = done ? intake_desk__sql (self, PGRES_COMMAND_OK, archive
            ? "UPDATE application SET storage_until_sim = NULL, archived_sim = $2::bigint WHERE id = $1"
            : "UPDATE application SET status = 'RETURNED_TO_PROVIDER', storage_until_sim = NULL"
              " WHERE id = $1", archive ? 2 : 1, keys, NULL, NULL) : NULL;
        done = result != NULL;
        PQclear (result);
        if (archive)
            done = done && intake_desk__history (self, id, PQgetvalue (due, row, 4),
                "unclaimed for one month: the result goes to the centre's archive (ХҚКО мұрағаты)",
                "operator", "State Corporation", "kept there to be handed over", now);
        else
            done = done && intake_desk__history (self, id, "RETURNED_TO_PROVIDER",
                "unclaimed for one month: the result goes back to the provider", "operator",
                *self->office ? "the provider's office" : "State Corporation", *PQgetvalue (due, row, 2) == 't'
                ? "by courier, with the collection sector's register" : "", now)
                && s_movement (self, "application.return", id, PQgetvalue (due, row, 1),
                               "unclaimed for one month", now);
        done = done && intake_desk__exec (self, "COMMIT");
        if (done)
            zsys_info ("intake: application %s unclaimed for a month: %s", id,
                       archive ? "kept in the centre's archive" : "returned to the provider");
        else
            intake_desk__exec (self, "ROLLBACK");
    }
    PQclear (due);
    shep_participant_flush (self->engine);
    return done;
}

//  Asks the provider to send a returned result back within one working day.
bool
intake_desk__recall (intake_desk_t *self, const char *id, const char *region,
                     const intake_operator_t *operator_, int64_t *ready_by)
{
    int64_t now = egov_clock_now_ms ();
    egov_duration_t one_day = { 1, EGOV_UNIT_WORKING_DAYS };
    egov_due_t due;
    egov_error_t error = { { 0 } };
    *ready_by = now + 24LL * 3600 * 1000;
    if (egov_calendar_due (self->calendar, EGOV_CHANNEL_OFFICE, now, one_day, &due, &error)) {
        *ready_by = due.due_ms;
        egov_due_reset (&due);
    }
    char by [24], by_iso [40], note [128];
    snprintf (by, sizeof (by), "%" PRId64, *ready_by);
    egov_clock_format (*ready_by, by_iso, sizeof (by_iso));
    snprintf (note, sizeof (note), "the provider sends it back within one working day, by %s", by_iso);
    const char *values [] = { id, by };
    bool done = intake_desk__exec (self, "BEGIN");
    PGresult *result = done ? intake_desk__sql (self, PGRES_COMMAND_OK,
        "UPDATE application SET recall_due_sim = $2 WHERE id = $1", 2, values, NULL, NULL) : NULL;
    done = result != NULL;
    PQclear (result);
    done = done && intake_desk__history (self, id, "RETURNED_TO_PROVIDER",
        *self->office ? "the applicant came for the result: the office asks the provider's archive for it"
                      : "the applicant came for the result: the State Corporation asks the provider for it",
        "operator", operator_->name, note, now);
    done = done && s_movement (self, "application.recall", id, region,
                               "the applicant came for the result", now);
    if (!done || !intake_desk__exec (self, "COMMIT")) {
        intake_desk__exec (self, "ROLLBACK");
        return false;
    }
    zsys_info ("intake: application %s recalled from the provider", id);
    shep_participant_flush (self->engine);
    return true;
}

bool
intake_desk__courier (intake_desk_t *self, const char *id, int64_t received_ms,
                      const Egov__Envelope *envelope)
{
    egov_duration_t one_day = { 1, EGOV_UNIT_WORKING_DAYS };
    egov_due_t due;
    egov_error_t error = { { 0 } };
    if (!egov_calendar_due (self->calendar, EGOV_CHANNEL_OFFICE, received_ms, one_day, &due, &error)) {
        zsys_warning ("intake: %s: the courier's day cannot be counted: %s", id, error.message);
        return false;
    }
    int64_t arrives = due.due_ms;
    egov_due_reset (&due);
    size_t size = egov__envelope__get_packed_size (envelope);
    uint8_t *packed = (uint8_t *) malloc (size ? size : 1);
    assert (packed);
    egov__envelope__pack (envelope, packed);
    char at [24], by [40], note [96];
    snprintf (at, sizeof (at), "%" PRId64, arrives);
    const char *values [] = { id, at, (const char *) packed };
    int lengths [] = { 0, 0, (int) size };
    int formats [] = { 0, 0, 1 };
    PGresult *result = intake_desk__sql (self, PGRES_COMMAND_OK,
        "UPDATE application SET courier_due_sim = $2, courier_envelope = $3 WHERE id = $1",
        3, values, lengths, formats);
    free (packed);
    bool done = result != NULL;
    PQclear (result);
    egov_clock_format (arrives, by, sizeof (by));
    snprintf (note, sizeof (note), "at the provider's office by %s", by);
    done = done && intake_desk__history (self, id, "ACCEPTED",
        "courier takes the package to the provider's office (within one working day)",
        "courier", "State Corporation courier", note, received_ms);
    self->rearm_wanted = true;
    return done;
}

//  The courier is at the provider's office with every package due by now:
//  their requests go to the regional gateways, each in its own transaction;
//  false when the database failed (the rest waits).
static bool
s_courier_arrives (intake_desk_t *self)
{
    char now [24];
    snprintf (now, sizeof (now), "%" PRId64, egov_clock_now_ms ());
    const char *values [] = { now };
    PGresult *due = intake_desk__sql (self, PGRES_TUPLES_OK,
        "SELECT id FROM application WHERE courier_due_sim <= $1 AND courier_envelope IS NOT NULL"
        " ORDER BY courier_due_sim", 1, values, NULL, NULL);
    if (!due)
        return false;
    bool done = true;
    for (int row = 0; row < PQntuples (due) && done; row++) {
        const char *keys [] = { PQgetvalue (due, row, 0) };
        done = intake_desk__exec (self, "BEGIN");
        PGresult *result = done ? intake_desk__sql (self, PGRES_TUPLES_OK,
            "SELECT courier_envelope FROM application WHERE id = $1 AND courier_envelope IS NOT NULL"
            " FOR UPDATE", 1, keys, NULL, NULL) : NULL;
        done = result != NULL;
        Egov__Envelope *envelope = NULL;
        if (result && PQntuples (result) == 1) {
            size_t size = 0;
            unsigned char *packed = PQunescapeBytea ((const unsigned char *) PQgetvalue (result, 0, 0), &size);
            envelope = packed ? egov__envelope__unpack (NULL, size, packed) : NULL;
            PQfreemem (packed);
            if (!envelope)
                zsys_error ("intake: %s: the courier's package cannot be read back", keys [0]);
        }
        PQclear (result);
        done = done && (!envelope || intake_desk__outbox (self, envelope));
        PGresult *cleared = done ? intake_desk__sql (self, PGRES_COMMAND_OK,
            "UPDATE application SET courier_envelope = NULL WHERE id = $1", 1, keys, NULL, NULL)
            : NULL;
        done = cleared != NULL;
        PQclear (cleared);
        if (envelope)
            egov__envelope__free_unpacked (envelope, NULL);
        if (done && intake_desk__exec (self, "COMMIT"))
            zsys_info ("intake: application %s: the courier is at the provider's office", keys [0]);
        else {
            intake_desk__exec (self, "ROLLBACK");
            done = false;
        }
    }
    PQclear (due);
    shep_participant_flush (self->engine);
    return done;
}

//  The courier timer fired: deliver what is due; the next one is armed from
//  the rows afterwards.
static void
s_on_courier (uint64_t timer_id, int64_t due_ms, void *argument)
{
    (void) due_ms;
    intake_desk_t *self = (intake_desk_t *) argument;
    if (self->courier_timer == timer_id)
        self->courier_timer = 0;
    self->rearm_wanted = true;
    if (!intake_desk__db (self, NULL) || !s_courier_arrives (self))
        self->retry_wall = egov_now_ms () + s_DB_RETRY;
}

//  Keeps one timer at the moment next (0: none), re-armed when it moved.
static void
s_arm (intake_desk_t *self, uint64_t *timer, int64_t *due, int64_t next, egov_timer_fn *handler)
{
    if (*timer && *due == next)
        return;
    if (*timer)
        egov_timers_cancel (self->timers, *timer);
    *timer = 0;
    if (next) {
        *due = next;
        *timer = egov_timers_add (self->timers, next, handler, self);
    }
}

//  The storage timer fired: return what is due; the next one is armed from
//  the rows afterwards.
static void
s_on_storage (uint64_t timer_id, int64_t due_ms, void *argument)
{
    (void) due_ms;
    intake_desk_t *self = (intake_desk_t *) argument;
    if (self->storage_timer == timer_id)
        self->storage_timer = 0;
    self->rearm_wanted = true;
    if (!intake_desk__db (self, NULL) || !s_return_unclaimed (self))
        self->retry_wall = egov_now_ms () + s_DB_RETRY;
}

//  Arms the storage timer at the earliest moment a kept result is due back,
//  and the courier's at the earliest arrival (on the connection taken);
//  false when the database did not answer.
static bool
s_rearm (intake_desk_t *self)
{
    PGresult *result = intake_desk__sql (self, PGRES_TUPLES_OK,
        "SELECT (SELECT min (storage_until_sim) FROM application"
        "        WHERE status IN ('READY', 'REFUSED') AND storage_until_sim IS NOT NULL),"
        "       (SELECT min (courier_due_sim) FROM application WHERE courier_envelope IS NOT NULL)",
        0, NULL, NULL, NULL);
    if (!result)
        return false;
    int64_t storage = PQgetisnull (result, 0, 0) ? 0 : strtoll (PQgetvalue (result, 0, 0), NULL, 10);
    int64_t courier = PQgetisnull (result, 0, 1) ? 0 : strtoll (PQgetvalue (result, 0, 1), NULL, 10);
    PQclear (result);
    s_arm (self, &self->storage_timer, &self->storage_due, storage, s_on_storage);
    s_arm (self, &self->courier_timer, &self->courier_due, courier, s_on_courier);
    return true;
}

void
intake_desk_fire (intake_desk_t *self)
{
    assert (self);
    if (egov_now_ms () < self->retry_wall)
        return;                     //  the database failed us a moment ago
    egov_timers_fire (self->timers);
    if (!self->rearm_wanted || egov_now_ms () < self->retry_wall)
        return;
    if (intake_desk__db (self, NULL) && s_rearm (self))
        self->rearm_wanted = false;
    else
        self->retry_wall = egov_now_ms () + s_DB_RETRY;
}

//  ---------------------------------------------------------------------
//  Selftest of the gateway's side (run by intake_desk_test): the actions
//  called as the participant runtime calls them, the storage timer, and
//  the move of a database from before the runtime

//  Applies a delivery as the runtime does, in one transaction, and frees
//  it: 1 applied, -2 rejected (code gets the code), -1 left for redelivery.
static int
s_test_apply (intake_desk_t *self, Egov__Envelope *envelope, char *code)
{
    egov_error_t reject = { { 0 } };
    PGconn *conn = shep_participant_db (self->engine);
    assert (conn);
    PQclear (PQexec (conn, "BEGIN"));
    shep_delivery_t delivery = { envelope, NULL, 1 };
    shep_outcome_t outcome = intake_desk_deliver (self, conn, &delivery, &reject);
    PQclear (PQexec (conn, outcome == SHEP_APPLIED ? "COMMIT" : "ROLLBACK"));
    if (code)
        snprintf (code, 48, "%s", reject.code);
    egov__envelope__free_unpacked (envelope, NULL);
    return outcome == SHEP_APPLIED ? 1 : outcome == SHEP_REJECT ? -2 : -1;
}

//  True when the single value of sql (one text parameter, may be NULL) is expected.
static bool
s_test_is (PGconn *conn, const char *sql, const char *parameter, const char *expected)
{
    const char *values [] = { parameter };
    PGresult *result = egov_db_params (conn, sql, parameter ? 1 : 0, NULL, values, NULL, NULL, 0);
    assert (PQresultStatus (result) == PGRES_TUPLES_OK && PQntuples (result) == 1);
    bool same = streq (PQgetvalue (result, 0, 0), expected);
    if (!same)
        printf ("\n   %s: '%s', expected '%s'\n", sql, PQgetvalue (result, 0, 0), expected);
    PQclear (result);
    return same;
}

//  A status notice about application id.
static Egov__Envelope *
s_test_notice (const char *id, Egov__Applications__Status status, const char *registration)
{
    Egov__Applications__StatusNotice notice = EGOV__APPLICATIONS__STATUS_NOTICE__INIT;
    notice.application_id = (char *) id;
    notice.status = status;
    notice.registration_number = (char *) registration;
    Egov__Envelope *envelope = egov_envelope_new ("application.status", EGOV__MESSAGE_TYPE__UPDATE);
    egov_string_set (&envelope->correlation_id, id);
    egov_string_set (&envelope->sender_id, "regional-750000000");
    egov_envelope_set_payload (envelope, &notice.base);
    return envelope;
}

void
intake_desk__flow_test (intake_desk_t *self, PGconn *conn, bool verbose)
{
    if (verbose)
        printf ("   the gateway's side\n");
    //  An application on paper as the desk stores it when it accepts one
    char *id = egov_uuid_new ();
    const char *key [] = { id };
    PGresult *result = egov_db_params (conn,
        "INSERT INTO application (id, service, region, applicant_iin, applicant_name,"
        " operator_login, status, receipt_number, paper, submitted_sim, received_sim)"
        " VALUES ($1, 'school-duplicate', '750000000', '850314301234', 'Test', 'operator1',"
        " 'ACCEPTED', 'SC-TEST-000001', true, 0, 0)", 1, NULL, key, NULL, NULL, 0);
    assert (PQresultStatus (result) == PGRES_COMMAND_OK);
    PQclear (result);

    //  The courier takes it: its request waits in the row for the courier's
    //  working day (received on a Wednesday: at the provider by Thursday 18:00)
    Egov__Envelope *submit = intake_desk__envelope ("application.submit", id, "750000000",
                                                    EGOV__MESSAGE_TYPE__REQUEST);
    int64_t received = 0;
    assert (egov_clock_parse ("2026-03-04T10:00", &received));
    assert (intake_desk__db (self, NULL));
    assert (intake_desk__courier (self, id, received, submit));
    assert (s_test_is (conn, "SELECT count (*) FROM shep_outbox WHERE correlation_id = $1", id, "0"));
    assert (s_test_is (conn, "SELECT courier_due_sim FROM application WHERE id = $1", id,
                       "1772715600000"));                            //  2026-03-05T18:00+05:00
    egov_clock_hold_at ("2026-03-05T17:59");
    intake_desk_fire (self);                //  armed
    intake_desk_fire (self);                //  not yet
    assert (s_test_is (conn, "SELECT count (*) FROM shep_outbox WHERE correlation_id = $1", id, "0"));
    egov_clock_hold_at ("2026-03-05T18:00");
    intake_desk_fire (self);                //  there: the request goes to the regional gateway
    assert (s_test_is (conn, "SELECT count (*) FROM shep_outbox WHERE correlation_id = $1"
                             " AND service_id = 'application.submit'", id, "1"));
    assert (s_test_is (conn, "SELECT count (*) FROM application WHERE id = $1"
                             " AND courier_envelope IS NULL", id, "1"));
    intake_desk_fire (self);                //  once
    assert (s_test_is (conn, "SELECT count (*) FROM shep_outbox WHERE correlation_id = $1", id, "1"));
    egov_clock_reset ();
    //  The gateway stored its submission: SENT once, however often it says so
    intake_desk_sent (self, submit, EGOV__DELIVERY_STATUS__ON_DELIVERY);
    intake_desk_sent (self, submit, EGOV__DELIVERY_STATUS__DELIVERED);
    egov__envelope__free_unpacked (submit, NULL);
    assert (s_test_is (conn, "SELECT status FROM application WHERE id = $1", id, "SENT"));
    assert (s_test_is (conn, "SELECT count (*) FROM history WHERE application_id = $1"
                             " AND status = 'SENT'", id, "1"));
    assert (s_test_is (conn, "SELECT count (*) FROM history WHERE application_id = $1"
                             " AND step LIKE 'courier takes%'", id, "1"));

    //  Deliveries: applied with their effect; what cannot apply is rejected
    char code [48];
    assert (s_test_apply (self, s_test_notice (id, EGOV__APPLICATIONS__STATUS__REGISTERED,
                                               "750000000-2026-000001"), NULL) == 1);
    assert (s_test_is (conn, "SELECT status || ' ' || registration_number FROM application"
                             " WHERE id = $1", id, "REGISTERED 750000000-2026-000001"));
    assert (s_test_is (conn, "SELECT count (*) FROM history WHERE application_id = $1"
                             " AND step LIKE '%dated receipt%'", id, "1"));
    char *stranger = egov_uuid_new ();
    assert (s_test_apply (self, s_test_notice (stranger, EGOV__APPLICATIONS__STATUS__REGISTERED, ""),
                          code) == -2 && streq (code, "UNKNOWN_APPLICATION"));
    assert (s_test_is (conn, "SELECT count (*) FROM history WHERE application_id = $1", stranger, "0"));
    free (stranger);
    Egov__Envelope *envelope = s_test_notice (id, EGOV__APPLICATIONS__STATUS__IN_PROGRESS, "");
    egov_string_set (&envelope->service_id, "application.result");
    assert (s_test_apply (self, envelope, code) == -2 && streq (code, "MALFORMED_PAYLOAD"));

    //  The provider's result: READY, kept a month, and the storage timer follows
    Egov__Applications__Result outcome = EGOV__APPLICATIONS__RESULT__INIT;
    outcome.application_id = id;
    outcome.approved = true;
    outcome.document.data = (uint8_t *) "{\"permit\": true}";
    outcome.document.len = strlen ((char *) outcome.document.data);
    outcome.signer = "akimat";
    outcome.registration_number = "No 1";
    //  ... not before it is signed by the region's provider and comes from its gateway
    struct {
        const char *label, *sender, *code;
    } refused [] = {
        { NULL, "regional-750000000", "RESULT_UNSIGNED" },
        { "850314301234", "regional-750000000", "NOT_THE_PROVIDER" },
        { "org-230000000", "regional-750000000", "NOT_THE_PROVIDER" },
        { "untrusted-850314301234", "regional-750000000", "SIGNATURE_INVALID" },
        { "org-750000000", "regional-230000000", "UNEXPECTED_SENDER" },
        { "org-750000000", "intake-impostor", "UNEXPECTED_SENDER" },
    };
    uint8_t *der = NULL;
    for (size_t index = 0; index <= sizeof (refused) / sizeof (refused [0]); index++) {
        bool last = index == sizeof (refused) / sizeof (refused [0]);
        const char *label = last ? "org-750000000" : refused [index].label;
        free (der);
        der = NULL;
        outcome.signature.data = NULL;
        outcome.signature.len = 0;
        if (label) {
            egov_error_t error;
            egov_cms_signer_t *signer = egov_cms_signer_for (self->pki_dir, label, &error);
            assert (signer);
            size_t size;
            assert (egov_cms_sign (signer, outcome.document.data, outcome.document.len, true, 0,
                                   &der, &size, &error) == 0);
            egov_cms_signer_destroy (&signer);
            outcome.signature.data = der;
            outcome.signature.len = size;
        }
        envelope = egov_envelope_new ("application.result", EGOV__MESSAGE_TYPE__RESPONSE);
        egov_string_set (&envelope->correlation_id, id);
        egov_string_set (&envelope->sender_id, last ? "regional-750000000" : refused [index].sender);
        egov_envelope_set_payload (envelope, &outcome.base);
        if (last)
            break;
        assert (s_test_apply (self, envelope, code) == -2 && streq (code, refused [index].code));
        assert (s_test_is (conn, "SELECT status FROM application WHERE id = $1", id, "REGISTERED"));
    }
    self->rearm_wanted = false;
    assert (s_test_apply (self, envelope, NULL) == 1);
    free (der);
    assert (self->rearm_wanted);
    assert (s_test_is (conn, "SELECT status || ' ' || result_signature || ' '"
                             " || (storage_until_sim IS NOT NULL) FROM application WHERE id = $1",
                       id, "READY OK true"));
    intake_desk_fire (self);
    assert (!self->rearm_wanted && self->storage_timer);

    //  Unclaimed past its month: returned to the provider through the outbox
    result = egov_db_params (conn, "UPDATE application SET storage_until_sim = 1 WHERE id = $1",
                           1, NULL, key, NULL, NULL, 0);
    assert (PQresultStatus (result) == PGRES_COMMAND_OK);
    PQclear (result);
    self->rearm_wanted = true;
    intake_desk_fire (self);                //  armed at the earlier moment
    assert (self->storage_due == 1);
    intake_desk_fire (self);                //  due: fired
    assert (s_test_is (conn, "SELECT status FROM application WHERE id = $1", id,
                       "RETURNED_TO_PROVIDER"));
    assert (s_test_is (conn, "SELECT sender || ' ' || recipient FROM shep_outbox WHERE correlation_id = $1"
                             " AND service_id = 'application.return' AND sent_at IS NULL", id,
                       "intake route:750000000"));
    assert (self->storage_timer == 0);
    //  ... unless the catalogue keeps it in the centre's archive (Atyrau, seed
    //  001 item 8 7)): still READY there, nothing sent to the provider
    result = egov_db_params (conn, "CREATE TEMP TABLE kept AS SELECT id, service, region FROM application"
                           " WHERE id = $1", 1, NULL, key, NULL, NULL, 0);
    assert (PQresultStatus (result) == PGRES_COMMAND_OK);
    PQclear (result);
    result = egov_db_params (conn, "UPDATE application SET service = 'school-duplicate', region = '230000000',"
                           " status = 'READY', storage_until_sim = 1 WHERE id = $1", 1, NULL, key, NULL, NULL, 0);
    assert (PQresultStatus (result) == PGRES_COMMAND_OK);
    PQclear (result);
    self->rearm_wanted = true;
    intake_desk_fire (self);
    intake_desk_fire (self);
    assert (s_test_is (conn, "SELECT status || ' ' || (archived_sim IS NOT NULL) || ' '"
                             " || (storage_until_sim IS NULL) FROM application WHERE id = $1", id,
                       "READY true true"));
    assert (s_test_is (conn, "SELECT count (*) FROM shep_outbox WHERE correlation_id = $1"
                             " AND service_id = 'application.return'", id, "1"));
    assert (s_test_is (conn, "SELECT count (*) FROM history WHERE application_id = $1"
                             " AND step LIKE '%centre''s archive%'", id, "1"));
    result = PQexec (conn, "UPDATE application a SET service = k.service, region = k.region,"
                           " status = 'RETURNED_TO_PROVIDER', archived_sim = NULL FROM kept k WHERE a.id = k.id;"
                           " DROP TABLE kept");
    assert (PQresultStatus (result) == PGRES_COMMAND_OK);
    PQclear (result);

    //  A database from before the runtime: unsent messages and applied ids move over
    char *applied = egov_uuid_new (), *unsent = egov_uuid_new (), *sent = egov_uuid_new ();
    const char *old [] = { id, applied, unsent, sent };
    result = PQexec (conn,
        "CREATE TABLE inbox (message_id uuid PRIMARY KEY, service_id text NOT NULL,"
        "                    received_wall timestamptz NOT NULL DEFAULT now ());"
        "CREATE TABLE outbox (message_id uuid PRIMARY KEY, application_id uuid NOT NULL,"
        "                     service_id text NOT NULL, envelope bytea NOT NULL,"
        "                     created_wall timestamptz NOT NULL DEFAULT now (), sent_wall timestamptz)");
    assert (PQresultStatus (result) == PGRES_COMMAND_OK);
    PQclear (result);
    result = egov_db_params (conn,
        "WITH i AS (INSERT INTO inbox (message_id, service_id) VALUES ($2, 'application.status'))"
        " INSERT INTO outbox (message_id, application_id, service_id, envelope, sent_wall)"
        " VALUES ($3, $1, 'application.recall', '\\x0a00'::bytea, NULL),"
        "        ($4, $1, 'application.submit', '\\x0a00'::bytea, now ())",
        4, NULL, old, NULL, NULL, 0);
    assert (PQresultStatus (result) == PGRES_COMMAND_OK);
    PQclear (result);
    extern const char *intake_schema_sql;
    assert (egov_db_exec_script (conn, intake_schema_sql, "intake schema over the old tables"));
    assert (s_test_is (conn, "SELECT (to_regclass ('inbox') IS NULL) AND (to_regclass ('outbox') IS NULL)",
                       NULL, "t"));
    assert (s_test_is (conn, "SELECT sender || ' ' || recipient FROM shep_outbox"
                             " WHERE message_id = $1 AND sent_at IS NULL", unsent,
                       "intake route:750000000"));
    assert (s_test_is (conn, "SELECT correlation_id FROM shep_outbox"
                             " WHERE service_id = 'application.recall'", NULL, id));
    assert (s_test_is (conn, "SELECT count (*) FROM shep_outbox WHERE message_id = $1", sent, "0"));
    assert (s_test_is (conn, "SELECT outcome FROM shep_inbox WHERE message_id = $1", applied, "APPLIED"));
    free (applied);
    free (unsent);
    free (sent);
    free (id);
}
