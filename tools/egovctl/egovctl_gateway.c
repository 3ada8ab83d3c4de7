/*  egovctl_gateway — what the gateway (ЭҮШ / ШЭП) tells about itself:
      log           pages through the hash-chained message log;
      log verify    asks the gateway to recompute the chain;
      participants  who is connected (the health check of `make run`).  */
#include "egovctl.h"
#include "egovctl_json.h"
#include "egovctl_time.h"

#define EGOVCTL_LOG_PAGE    1000    //  the gateway's largest LogQuery page

//  ---------------------------------------------------------------------
//  log, log verify

static void
s_print_record (const Egov__Shep__LogRecord *record)
{
    char when [48], simulated [48];
    char *digest = egovctl_hex (record->payload_sha256.data,
                                record->payload_sha256.len < 8 ? record->payload_sha256.len : 8);
    printf ("%6" PRIu64 "  %s  sim %s  %-5s  %s -> %s  %s  %s  %s  %s  %u  %s%s%s\n",
            record->seq, egovctl_time_text (record->logged_at_us, when, sizeof (when)),
            egovctl_time_text (record->sim_at_us, simulated, sizeof (simulated)),
            egovctl_or_dash (record->channel), egovctl_or_dash (record->sender_id),
            egovctl_or_dash (record->recipient_id), egovctl_or_dash (record->service_id),
            egov_message_type_name (record->message_type), egovctl_or_dash (record->message_id),
            egovctl_or_dash (record->correlation_id), record->payload_size,
            egovctl_or_dash (digest), *record->note ? "  " : "", record->note);
    free (digest);
}

static int
s_log_verify (egovctl_t *self)
{
    Egov__Shep__LogVerify verify = EGOV__SHEP__LOG_VERIFY__INIT;
    Egov__Shep__Frame query = EGOV__SHEP__FRAME__INIT;
    query.body_case = EGOV__SHEP__FRAME__BODY_LOG_VERIFY;
    query.log_verify = &verify;
    int exit_code = EGOVCTL_OK;
    Egov__Shep__Frame *answer = egovctl_ask (self, &query,
        EGOV__SHEP__FRAME__BODY_LOG_VERIFY_REPLY, &exit_code);
    if (!answer)
        return exit_code;
    Egov__Shep__LogVerifyReply *reply = answer->log_verify_reply;
    exit_code = reply->ok ? EGOVCTL_OK : EGOVCTL_LOG_BROKEN;
    if (self->json)
        exit_code = egovctl_json_print (egovctl_json_message (&reply->base), exit_code);
    else
    if (reply->ok)
        printf ("message log intact: %" PRIu64 " records\n", reply->checked);
    else
        printf ("message log BROKEN at seq %" PRIu64 ": %s\n", reply->broken_at,
                egovctl_or_dash (reply->reason));
    egov__shep__frame__free_unpacked (answer, NULL);
    return exit_code;
}

//  Pages through the log with after_seq until the gateway says no more or
//  --limit records were printed.
int
egovctl_log (egovctl_t *self)
{
    if (self->argument)
        return s_log_verify (self);
    Egov__Shep__LogQuery filter = EGOV__SHEP__LOG_QUERY__INIT;
    filter.correlation_id = (char *) (self->correlation ? self->correlation : "");
    filter.participant = (char *) (self->participant ? self->participant : "");
    filter.since_ms = self->since_ms;
    filter.until_ms = self->until_ms;
    Egov__Shep__Frame query = EGOV__SHEP__FRAME__INIT;
    query.body_case = EGOV__SHEP__FRAME__BODY_LOG_QUERY;
    query.log_query = &filter;
    json_t *records = json_array ();
    long printed = 0;
    int exit_code = EGOVCTL_OK;
    bool more = true;
    while (more && (self->limit == 0 || printed < self->limit)) {
        long wanted = self->limit ? self->limit - printed : EGOVCTL_LOG_PAGE;
        filter.limit = (uint32_t) (wanted < EGOVCTL_LOG_PAGE ? wanted : EGOVCTL_LOG_PAGE);
        Egov__Shep__Frame *answer = egovctl_ask (self, &query,
            EGOV__SHEP__FRAME__BODY_LOG_REPLY, &exit_code);
        if (!answer)
            break;
        Egov__Shep__LogReply *reply = answer->log_reply;
        uint64_t before = filter.after_seq;
        for (size_t index = 0; index < reply->n_records; index++) {
            Egov__Shep__LogRecord *record = reply->records [index];
            if (record->seq <= filter.after_seq)
                continue;       //  paging must move forward; never print twice
            filter.after_seq = record->seq;
            printed++;
            if (self->json)
                json_array_append_new (records, egovctl_json_message (&record->base));
            else
                s_print_record (record);
        }
        more = reply->more && filter.after_seq > before;
        egov__shep__frame__free_unpacked (answer, NULL);
    }
    if (self->json && exit_code == EGOVCTL_OK)
        return egovctl_json_print (json_pack ("{s:o, s:I}", "records", records,
                                              "count", (json_int_t) printed), exit_code);
    json_decref (records);
    return exit_code;
}

//  ---------------------------------------------------------------------
//  participants

//  Joins a repeated string field with commas into buffer.
static const char *
s_join (char **items, size_t count, char *buffer, size_t size)
{
    buffer [0] = 0;
    for (size_t index = 0; index < count; index++) {
        size_t used = strlen (buffer);
        snprintf (buffer + used, size - used, "%s%s", index ? "," : "", items [index]);
    }
    return count ? buffer : "-";
}

//  Participants in the order of their ids.
static int
s_by_id (const void *one, const void *other)
{
    return strcmp ((*(Egov__Shep__Participant *const *) one)->participant_id,
                   (*(Egov__Shep__Participant *const *) other)->participant_id);
}

int
egovctl_participants (egovctl_t *self)
{
    Egov__Shep__ParticipantsQuery participants = EGOV__SHEP__PARTICIPANTS_QUERY__INIT;
    Egov__Shep__Frame query = EGOV__SHEP__FRAME__INIT;
    query.body_case = EGOV__SHEP__FRAME__BODY_PARTICIPANTS_QUERY;
    query.participants_query = &participants;
    int exit_code = EGOVCTL_OK;
    Egov__Shep__Frame *answer = egovctl_ask (self, &query,
        EGOV__SHEP__FRAME__BODY_PARTICIPANTS_REPLY, &exit_code);
    if (!answer)
        return exit_code;
    Egov__Shep__ParticipantsReply *reply = answer->participants_reply;
    //  In the order of their ids, so that two listings compare
    if (reply->n_participants > 1)
        qsort (reply->participants, reply->n_participants, sizeof (reply->participants [0]), s_by_id);
    if (self->json)
        exit_code = egovctl_json_print (egovctl_json_message (&reply->base), EGOVCTL_OK);
    else {
        char when [48], services [512], routes [512];
        printf ("gateway %s, up since %s, %zu participants\n", egovctl_or_dash (reply->gateway_id),
                egovctl_time_text (reply->started_at * 1000, when, sizeof (when)),
                reply->n_participants);
        printf ("%-28s %-5s %9s  %-29s  %-24s %s\n", "PARTICIPANT", "ASYNC", "IN FLIGHT",
                "LAST SEEN", "SERVICES", "ROUTES");
        for (size_t index = 0; index < reply->n_participants; index++) {
            Egov__Shep__Participant *participant = reply->participants [index];
            printf ("%-28s %-5s %9u  %-29s  %-24s %s\n", participant->participant_id,
                    participant->receive_async ? "yes" : "no", participant->in_flight,
                    egovctl_time_text (participant->last_seen * 1000, when, sizeof (when)),
                    s_join (participant->services, participant->n_services,
                            services, sizeof (services)),
                    s_join (participant->routes, participant->n_routes,
                            routes, sizeof (routes)));
        }
    }
    egov__shep__frame__free_unpacked (answer, NULL);
    return exit_code;
}
