/*  intake_flow — the desk's side of the gateway: the outbox drained into
    async submissions, the deliveries of application.status and
    application.result applied once each (inbox) and acknowledged, and the
    business timers: an unclaimed result goes back to the provider after one
    month of simulated time (application.return) and is asked back when the
    applicant comes later (application.recall).                          */
#include "intake_desk_private.h"
#include "egov_application.h"
#include "egov_iin.h"

//  Milliseconds a submission may wait for the gateway's receipt.
#define s_SUBMIT_TIMEOUT 3000
//  Wall milliseconds before a failed flush is tried again.
#define s_FLUSH_RETRY 1000

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
intake_desk__outbox (intake_desk_t *self, const char *id, Egov__Envelope *envelope)
{
    size_t size = egov__envelope__get_packed_size (envelope);
    uint8_t *packed = malloc (size ? size : 1);
    assert (packed);
    egov__envelope__pack (envelope, packed);
    const char *values [] = { envelope->message_id, id, envelope->service_id, (char *) packed };
    int lengths [] = { 0, 0, 0, (int) size };
    int formats [] = { 0, 0, 0, 1 };
    PGresult *result = intake_desk__sql (self, PGRES_COMMAND_OK,
        "INSERT INTO outbox (message_id, application_id, service_id, envelope)"
        " VALUES ($1, $2, $3, $4) ON CONFLICT (message_id) DO NOTHING",
        4, values, lengths, formats);
    free (packed);
    PQclear (result);
    return result != NULL;
}

//  After the gateway stored a message: the step it means for the application.
static void
s_sent (intake_desk_t *self, const char *id, const char *service_id, const char *region)
{
    if (!streq (service_id, "application.submit"))
        return;
    const char *values [] = { id };
    if (!intake_desk__exec (self, "BEGIN"))
        return;
    PGresult *result = intake_desk__sql (self, PGRES_TUPLES_OK,
        "UPDATE application SET status = 'SENT' WHERE id = $1 AND status = 'ACCEPTED'"
        " RETURNING paper", 1, values, NULL, NULL);
    bool done = result != NULL;
    if (result && PQntuples (result) == 1) {
        char note [128];
        snprintf (note, sizeof (note), "for the regional gateway of region %s", region);
        done = intake_desk__history (self, id, "SENT",
            "the signed request goes through the central gateway (ЭҮШ)", "gateway", "shep", note,
            egov_clock_now_ms ());
        if (done && *PQgetvalue (result, 0, 0) == 't')
            done = intake_desk__history (self, id, "SENT",
                "courier takes the package to the provider's office (within one working day)",
                "courier", "State Corporation courier", "", egov_clock_now_ms ());
    }
    PQclear (result);
    if (!done || !intake_desk__exec (self, "COMMIT"))
        intake_desk__exec (self, "ROLLBACK");
}

void
intake_desk_flush (intake_desk_t *self)
{
    if (!self->client || egov_now_ms () < self->flush_after)
        return;
    PGresult *result = intake_desk__sql (self, PGRES_TUPLES_OK,
        "SELECT message_id, application_id, service_id, envelope FROM outbox"
        " WHERE sent_wall IS NULL ORDER BY created_wall LIMIT 100", 0, NULL, NULL, NULL);
    if (!result)
        return;
    for (int row = 0; row < PQntuples (result); row++) {
        size_t size = 0;
        uint8_t *packed = PQunescapeBytea ((const unsigned char *) PQgetvalue (result, row, 3), &size);
        Egov__Envelope *envelope = packed ? egov__envelope__unpack (NULL, size, packed) : NULL;
        PQfreemem (packed);
        const char *message_id = PQgetvalue (result, row, 0);
        if (!envelope) {
            zsys_error ("intake: outbox message %s does not unpack; dropped", message_id);
            const char *values [] = { message_id };
            PQclear (intake_desk__sql (self, PGRES_COMMAND_OK,
                "UPDATE outbox SET sent_wall = now() WHERE message_id = $1", 1, values, NULL, NULL));
            continue;
        }
        Egov__DeliveryStatus status;
        egov_error_t error = { { 0 } };
        int rc = shep_client_submit (self->client, envelope, 0, s_SUBMIT_TIMEOUT, &status, &error);
        char region [16];
        snprintf (region, sizeof (region), "%s", envelope->route_id);
        egov__envelope__free_unpacked (envelope, NULL);
        if (rc != 0) {
            zsys_warning ("intake: the gateway did not take %s (%s): %s %s; retrying",
                          message_id, PQgetvalue (result, row, 2), error.code, error.message);
            self->flush_after = egov_now_ms () + s_FLUSH_RETRY;
            break;
        }
        const char *values [] = { message_id };
        PQclear (intake_desk__sql (self, PGRES_COMMAND_OK,
            "UPDATE outbox SET sent_wall = now() WHERE message_id = $1", 1, values, NULL, NULL));
        if (self->verbose)
            zsys_info ("intake: %s %s stored by the gateway (%s)", PQgetvalue (result, row, 2),
                       message_id, egov_delivery_status_name (status));
        s_sent (self, PQgetvalue (result, row, 1), PQgetvalue (result, row, 2), region);
    }
    PQclear (result);
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

//  Applies a status notice inside the delivery's transaction.
static bool
s_apply_notice (intake_desk_t *self, const char *id, const char *status, const char *paper,
                const Egov__Applications__StatusNotice *notice)
{
    const char *name = s_status_name (notice->status);
    if (!name) {
        zsys_warning ("intake: status notice for %s with an unknown status %d", id, notice->status);
        return true;
    }
    int64_t at = notice->at ? notice->at : egov_clock_now_ms ();
    const char *step = *notice->step ? notice->step : NULL;
    char text [256];
    if (!step) {
        snprintf (text, sizeof (text), "%s", streq (name, "REGISTERED")
            ? "the regional gateway (ЭҮӨШ) registers the electronic document"
            : streq (name, "REFUSED") ? "refusal" : name);
        step = text;
    }
    const char *role = *notice->role ? notice->role
                     : streq (name, "REGISTERED") ? "regional-gateway" : "";
    char note [512];
    snprintf (note, sizeof (note), "%s%s%s", notice->note,
              *notice->registration_number && *notice->note ? "; " : "",
              *notice->registration_number ? notice->registration_number : "");
    if (!intake_desk__history (self, id, name, step, role, notice->actor, note, at))
        return false;
    //  The application's status only moves forward; results decide READY and REFUSED
    const char *update = NULL;
    if (streq (name, "REGISTERED") && (streq (status, "ACCEPTED") || streq (status, "SENT")))
        update = "REGISTERED";
    else
    if (streq (name, "IN_PROGRESS")
    && (streq (status, "ACCEPTED") || streq (status, "SENT") || streq (status, "REGISTERED")))
        update = "IN_PROGRESS";
    else
    if (streq (name, "REFUSED")
    && (streq (status, "ACCEPTED") || streq (status, "SENT") || streq (status, "REGISTERED")
     || streq (status, "IN_PROGRESS")))
        update = "REFUSED";
    const char *registration = *notice->registration_number ? notice->registration_number : NULL;
    if (update || registration) {
        const char *values [] = { id, update, registration, update && streq (update, "REFUSED")
                                  ? (*notice->note ? notice->note : "refused") : NULL };
        PGresult *result = intake_desk__sql (self, PGRES_COMMAND_OK,
            "UPDATE application SET status = coalesce ($2, status),"
            " registration_number = coalesce (registration_number, $3),"
            " refusal_note = coalesce ($4, refusal_note) WHERE id = $1", 4, values, NULL, NULL);
        PQclear (result);
        if (!result)
            return false;
    }
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

//  Applies the provider's result inside the delivery's transaction.
static bool
s_apply_result (intake_desk_t *self, const char *id, const char *status, const char *paper,
                const Egov__Applications__Result *result_message)
{
    int64_t now = egov_clock_now_ms ();
    if (streq (status, "ISSUED")) {
        return intake_desk__history (self, id, status, "a result arrived after the hand-over; kept as is",
                                     "provider", result_message->signer, "", now);
    }
    //  The provider's e-signature, judged now on the simulation clock
    const char *outcome = "UNSIGNED";
    char signer [400];
    snprintf (signer, sizeof (signer), "%s", result_message->signer);
    if (result_message->signature.len) {
        egov_cms_result_t checked;
        egov_cms_outcome_t verdict = egov_cms_verify (self->verifier,
            result_message->signature.data, result_message->signature.len,
            result_message->document.data, result_message->document.len, now, NULL, &checked);
        outcome = egov_cms_outcome_name (verdict);
        if (verdict == EGOV_CMS_OK && !*signer)
            snprintf (signer, sizeof (signer), "%s (IIN %s)", checked.name, checked.iin);
    }
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

//  Applies one delivery in one transaction with its inbox row; then acks.
static void
s_deliver (intake_desk_t *self, const Egov__Shep__Deliver *deliver)
{
    const Egov__Envelope *envelope = deliver->envelope;
    if (!envelope || !egov_uuid_valid (envelope->message_id)) {
        zsys_warning ("intake: dropped a delivery without a usable message id");
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
    bool applied = intake_desk__exec (self, "BEGIN");
    const char *values [] = { message_id, envelope->service_id };
    PGresult *result = applied ? intake_desk__sql (self, PGRES_COMMAND_OK,
        "INSERT INTO inbox (message_id, service_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        2, values, NULL, NULL) : NULL;
    bool fresh = result && atoi (PQcmdTuples (result)) == 1;
    applied = result != NULL;
    PQclear (result);
    const char *reject = NULL;
    if (fresh) {
        const char *key [] = { id };
        result = intake_desk__sql (self, PGRES_TUPLES_OK,
            "SELECT status, paper FROM application WHERE id = $1 FOR UPDATE", 1, key, NULL, NULL);
        applied = result != NULL;
        if (result && PQntuples (result) == 1) {
            char status [32], paper [2];
            snprintf (status, sizeof (status), "%s", PQgetvalue (result, 0, 0));
            snprintf (paper, sizeof (paper), "%s", PQgetvalue (result, 0, 1));
            applied = update.notice
                ? s_apply_notice (self, id, status, paper, update.notice)
                : s_apply_result (self, id, status, paper, update.result);
        }
        else
        if (result)
            reject = "UNKNOWN_APPLICATION";
        PQclear (result);
    }
    bool result_kind = update.result != NULL;
    if (reject) {
        intake_desk__exec (self, "ROLLBACK");
        zsys_warning ("intake: %s %s for unknown application %s rejected", envelope->service_id,
                      message_id, id);
        shep_client_ack (self->client, message_id, reject, "no such application at this desk");
    }
    else
    if (!applied || !intake_desk__exec (self, "COMMIT")) {
        intake_desk__exec (self, "ROLLBACK");
        zsys_error ("intake: could not apply %s; the gateway will deliver it again", message_id);
    }
    else {
        shep_client_ack (self->client, message_id, NULL, NULL);
        if (self->verbose)
            zsys_info ("intake: %s %s for %s %s", envelope->service_id, message_id, id,
                       fresh ? "applied" : "was a redelivery");
        if (fresh && result_kind)
            intake_desk_rearm (self);
    }
    egov_application_update_reset (&update);
}

void
intake_desk_drain (intake_desk_t *self)
{
    if (!self->client)
        return;
    Egov__Shep__Frame *frame;
    while ((frame = shep_client_recv (self->client, 0))) {
        if (frame->body_case == EGOV__SHEP__FRAME__BODY_DELIVER && frame->deliver)
            s_deliver (self, frame->deliver);
        else
        if (frame->body_case == EGOV__SHEP__FRAME__BODY_ERROR && frame->error && frame->error->error)
            zsys_warning ("intake: gateway error %s: %s", frame->error->error->code,
                          frame->error->error->message);
        egov__shep__frame__free_unpacked (frame, NULL);
    }
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
    Egov__Envelope *envelope = intake_desk__envelope (service_id, id, region,
                                                      EGOV__MESSAGE_TYPE__REQUEST);
    egov_envelope_set_payload (envelope, &movement.base);
    bool stored = intake_desk__outbox (self, id, envelope);
    egov__envelope__free_unpacked (envelope, NULL);
    return stored;
}

//  Returns every result kept past its month to its provider.
static void
s_return_unclaimed (intake_desk_t *self)
{
    int64_t now = egov_clock_now_ms ();
    char now_text [24];
    snprintf (now_text, sizeof (now_text), "%" PRId64, now);
    const char *values [] = { now_text };
    PGresult *due = intake_desk__sql (self, PGRES_TUPLES_OK,
        "SELECT id, region, paper FROM application WHERE storage_until_sim <= $1"
        " AND status IN ('READY', 'REFUSED') ORDER BY storage_until_sim", 1, values, NULL, NULL);
    if (!due)
        return;
    for (int row = 0; row < PQntuples (due); row++) {
        const char *id = PQgetvalue (due, row, 0);
        const char *keys [] = { id };
        bool done = intake_desk__exec (self, "BEGIN");
        PGresult *result = done ? intake_desk__sql (self, PGRES_COMMAND_OK,
            "UPDATE application SET status = 'RETURNED_TO_PROVIDER', storage_until_sim = NULL"
            " WHERE id = $1", 1, keys, NULL, NULL) : NULL;
        done = result != NULL;
        PQclear (result);
        done = done && intake_desk__history (self, id, "RETURNED_TO_PROVIDER",
            "unclaimed for one month: the result goes back to the provider", "operator",
            "State Corporation", *PQgetvalue (due, row, 2) == 't'
            ? "by courier, with the collection sector's register" : "", now);
        done = done && s_movement (self, "application.return", id, PQgetvalue (due, row, 1),
                                   "unclaimed for one month", now);
        if (done && intake_desk__exec (self, "COMMIT"))
            zsys_info ("intake: application %s unclaimed for a month: returned to the provider", id);
        else
            intake_desk__exec (self, "ROLLBACK");
    }
    PQclear (due);
    intake_desk_flush (self);
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
        "the applicant came for the result: the State Corporation asks the provider for it",
        "operator", operator_->name, note, now);
    done = done && s_movement (self, "application.recall", id, region,
                               "the applicant came for the result", now);
    if (!done || !intake_desk__exec (self, "COMMIT")) {
        intake_desk__exec (self, "ROLLBACK");
        return false;
    }
    zsys_info ("intake: application %s recalled from the provider", id);
    intake_desk_flush (self);
    return true;
}

//  The storage timer fired: return what is due, arm the next.
static void
s_on_storage (uint64_t timer_id, int64_t due_ms, void *argument)
{
    (void) due_ms;
    intake_desk_t *self = (intake_desk_t *) argument;
    if (self->storage_timer == timer_id)
        self->storage_timer = 0;
    s_return_unclaimed (self);
    intake_desk_rearm (self);
}

void
intake_desk_rearm (intake_desk_t *self)
{
    PGresult *result = intake_desk__sql (self, PGRES_TUPLES_OK,
        "SELECT min (storage_until_sim) FROM application"
        " WHERE status IN ('READY', 'REFUSED') AND storage_until_sim IS NOT NULL",
        0, NULL, NULL, NULL);
    if (!result)
        return;
    int64_t next = PQgetisnull (result, 0, 0) ? 0 : strtoll (PQgetvalue (result, 0, 0), NULL, 10);
    PQclear (result);
    if (self->storage_timer && self->storage_due == next)
        return;
    if (self->storage_timer)
        egov_timers_cancel (self->timers, self->storage_timer);
    self->storage_timer = 0;
    if (next) {
        self->storage_due = next;
        self->storage_timer = egov_timers_add (self->timers, next, s_on_storage, self);
    }
}

void
intake_desk_fire (intake_desk_t *self)
{
    egov_timers_fire (self->timers);
}
