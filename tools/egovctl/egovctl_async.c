/*  egovctl_async — the gateway's store-and-forward channel (ЭҮШ async):
      send    submits messages and prints the receipt of each, one or many
              pipelined, resending what the gateway has not confirmed;
      status  asks where one message stands (ON_DELIVERY, DELIVERED, ...). */
#include "egovctl.h"
#include "egovctl_json.h"
#include "egovctl_time.h"

#define EGOVCTL_WINDOW      256     //  async submissions in flight with --count

//  ---------------------------------------------------------------------
//  send

//  Gives the envelope a fresh message id (and its own correlation id
//  unless --correlation was given).
static void
s_envelope_renew (egovctl_t *self, Egov__Envelope *envelope, const char *message_id)
{
    egov_string_set (&envelope->message_id, message_id);
    if (!self->correlation)
        egov_string_set (&envelope->correlation_id, message_id);
}

//  Reports one finished submission, as a line or into the JSON array.
static void
s_report_sent (egovctl_t *self, json_t *messages, const char *message_id,
               Egov__DeliveryStatus status, const egov_error_t *error)
{
    if (self->json) {
        json_t *entry = json_pack ("{s:s}", "message_id", message_id);
        if (error && *error->code)
            json_object_set_new (entry, "error", json_pack ("{s:o, s:o}",
                "code", egovctl_json_text (error->code),
                "message", egovctl_json_text (error->message)));
        else
            json_object_set_new (entry, "status", json_string (egov_delivery_status_name (status)));
        json_array_append_new (messages, entry);
    }
    if (error && *error->code)
        fprintf (stderr, "%s error %s: %s\n", message_id, error->code, error->message);
    else
    if (!self->json)
        printf ("%s %s\n", message_id, egov_delivery_status_name (status));
}

//  Sends count messages with at most EGOVCTL_WINDOW awaiting their receipts;
//  on silence resends what is in flight (same ids, the gateway dedupes).
//  Returns the exit code: 0, 2 when some were refused, 4 when the gateway
//  stopped confirming (those ids are reported as not confirmed).
static int
s_send_pipelined (egovctl_t *self, Egov__Envelope *envelope, json_t *messages)
{
    zhashx_t *in_flight = zhashx_new ();        //  tag text -> message id
    assert (in_flight);
    zhashx_set_destructor (in_flight, (zhashx_destructor_fn *) zstr_free);
    uint64_t sent = 0, finished = 0;
    int failures = 0, silences = 0;
    char key [24];
    while (finished < (uint64_t) self->count && !zsys_interrupted) {
        while (sent < (uint64_t) self->count && zhashx_size (in_flight) < EGOVCTL_WINDOW) {
            char *message_id = egov_uuid_new ();
            s_envelope_renew (self, envelope, message_id);
            snprintf (key, sizeof (key), "%" PRIu64, ++sent);
            if (shep_client_send_submit (self->client, envelope, self->ttl_ms, sent, false) == 0) {
                zhashx_insert (in_flight, key, message_id);
                continue;
            }
            egov_error_t error;
            egov_error_set (&error, "MESSAGE_TOO_LARGE", "the message does not fit the"
                            " gateway's limit");
            s_report_sent (self, messages, message_id, 0, &error);
            zstr_free (&message_id);
            failures++;
            finished++;
        }
        shep_client_tick (self->client);
        Egov__Shep__Frame *frame = shep_client_recv (self->client, self->timeout_ms);
        if (!frame) {
            if (++silences == 3)
                break;
            for (char *message_id = zhashx_first (in_flight); message_id;
                 message_id = zhashx_next (in_flight)) {
                s_envelope_renew (self, envelope, message_id);
                uint64_t tag = strtoull (zhashx_cursor (in_flight), NULL, 10);
                shep_client_send_submit (self->client, envelope, self->ttl_ms, tag, false);
            }
            continue;
        }
        silences = 0;
        snprintf (key, sizeof (key), "%" PRIu64, frame->tag);
        const char *message_id = zhashx_lookup (in_flight, key);
        egov_error_t error = { { 0 } };
        bool answered = true;
        if (!message_id)
            answered = false;           //  a late duplicate receipt after a resend
        else
        if (frame->body_case == EGOV__SHEP__FRAME__BODY_ASYNC_RECEIPT && frame->async_receipt) {
            if (frame->async_receipt->error)
                egov_error_from_info (&error, frame->async_receipt->error);
            s_report_sent (self, messages, message_id, frame->async_receipt->status, &error);
        }
        else
        if (frame->body_case == EGOV__SHEP__FRAME__BODY_ERROR && frame->error
        &&  frame->error->error && streq (frame->error->error->code, "NOT_REGISTERED")) {
            //  The gateway restarted; the client said hello again: resubmit
            s_envelope_renew (self, envelope, message_id);
            shep_client_send_submit (self->client, envelope, self->ttl_ms, frame->tag, false);
            answered = false;
        }
        else
        if (frame->body_case == EGOV__SHEP__FRAME__BODY_ERROR && frame->error) {
            if (frame->error->error)
                egov_error_from_info (&error, frame->error->error);
            else
                egov_error_set (&error, "ERROR", "the gateway refused the submission");
            s_report_sent (self, messages, message_id, 0, &error);
        }
        else
            answered = false;
        if (answered) {
            failures += *error.code != 0;
            finished++;
            zhashx_delete (in_flight, key);
        }
        egov__shep__frame__free_unpacked (frame, NULL);
    }
    bool silent = finished < (uint64_t) self->count;
    egov_error_t error;
    egov_error_set (&error, "GATEWAY_UNREACHABLE", "the gateway did not confirm the message");
    for (char *message_id = zhashx_first (in_flight); message_id;
         message_id = zhashx_next (in_flight))
        s_report_sent (self, messages, message_id, 0, &error);
    if (silent)
        fprintf (stderr, "error GATEWAY_UNREACHABLE: %" PRIu64 " of %ld messages not"
                 " confirmed (%" PRIu64 " never sent)\n", self->count - finished,
                 self->count, self->count - sent);
    zhashx_destroy (&in_flight);
    return silent ? EGOVCTL_UNREACHABLE : failures ? EGOVCTL_ERROR : EGOVCTL_OK;
}

int
egovctl_send (egovctl_t *self)
{
    Egov__Envelope *envelope = egov_envelope_new (self->service, self->type);
    if (self->to)
        egov_string_set (&envelope->recipient_id, self->to);
    if (self->route)
        egov_string_set (&envelope->route_id, self->route);
    if (self->correlation)
        egov_string_set (&envelope->correlation_id, self->correlation);
    egov_string_set (&envelope->payload_type, self->payload_type ? self->payload_type
                                            : self->file ? "application/octet-stream" : "text/plain");
    if (!egovctl_payload_read (self, envelope)) {
        egov__envelope__free_unpacked (envelope, NULL);
        return EGOVCTL_LOCAL_ERROR;
    }
    json_t *messages = json_array ();
    int exit_code = EGOVCTL_OK;
    if (self->count == 1) {
        egov_error_t error = { { 0 } };
        Egov__DeliveryStatus status = EGOV__DELIVERY_STATUS__DELIVERY_STATUS_UNSPECIFIED;
        if (shep_client_submit (self->client, envelope, self->ttl_ms, self->timeout_ms,
                                &status, &error) == 0)
            s_report_sent (self, messages, envelope->message_id, status, NULL);
        else {
            s_report_sent (self, messages, envelope->message_id, status, &error);
            exit_code = streq (error.code, "GATEWAY_UNREACHABLE")
                      ? EGOVCTL_UNREACHABLE : EGOVCTL_ERROR;
        }
    }
    else
        exit_code = s_send_pipelined (self, envelope, messages);
    egov__envelope__free_unpacked (envelope, NULL);
    if (self->json)
        return egovctl_json_print (json_pack ("{s:o}", "messages", messages), exit_code);
    json_decref (messages);
    return exit_code;
}

//  ---------------------------------------------------------------------
//  status MESSAGE_ID

int
egovctl_status (egovctl_t *self)
{
    egov_error_t error = { { 0 } };
    Egov__Shep__StatusReply *reply =
        shep_client_status (self->client, self->argument, self->timeout_ms, &error);
    if (reply && reply->error && streq (reply->error->code, "NOT_FOUND"))
        egov_error_from_info (&error, reply->error);
    if (streq (error.code, "NOT_FOUND")) {
        if (reply)
            egov__shep__status_reply__free_unpacked (reply, NULL);
        if (self->json)
            return egovctl_json_print (json_pack ("{s:o, s:s}", "message_id",
                egovctl_json_text (self->argument), "status", "NOT_FOUND"), EGOVCTL_NEGATIVE);
        printf ("not found: no message with id %s\n", self->argument);
        return EGOVCTL_NEGATIVE;
    }
    if (!reply)
        return egovctl_fail (self, &error, EGOVCTL_ERROR);
    int exit_code = EGOVCTL_OK;
    if (self->json)
        exit_code = egovctl_json_print (egovctl_json_message (&reply->base), EGOVCTL_OK);
    else {
        char accepted [48], finished [48];
        printf ("message    %s\n", reply->message_id);
        printf ("status     %s\n", egov_delivery_status_name (reply->status));
        printf ("sender     %s\n", egovctl_or_dash (reply->sender_id));
        printf ("recipient  %s\n", egovctl_or_dash (reply->recipient_id));
        printf ("accepted   %s\n", egovctl_time_text (reply->accepted_at * 1000, accepted, 48));
        printf ("finished   %s\n", egovctl_time_text (reply->finished_at * 1000, finished, 48));
        printf ("attempts   %u\n", reply->attempts);
        if (reply->error)
            printf ("error      %s: %s\n", reply->error->code, reply->error->message);
    }
    egov__shep__status_reply__free_unpacked (reply, NULL);
    return exit_code;
}
