/*  egov_application — a channel's view of the updates about its applications.  */
#include "egov_application.h"

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

void
egov_application_update_reset (egov_application_update_t *update)
{
    if (update->notice)
        egov__applications__status_notice__free_unpacked (update->notice, NULL);
    if (update->result)
        egov__applications__result__free_unpacked (update->result, NULL);
    memset (update, 0, sizeof (*update));
}

void
egov_application_test (bool verbose)
{
    if (verbose)
        printf (" * egov_application: ");
    egov_application_update_t update;
    egov_error_t reject;

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
    if (verbose)
        printf ("OK\n");
}
