/*  egovctl_wait — `wait APPLICATION_ID --status STATUS[,STATUS...]`: asks the
    channel that holds the application (the State Corporation's intake or the
    portal, through their sync services intake.application and
    portal.application) where it stands, again and again, until its status is
    one of those wanted or --timeout has passed. A script moves the clock or
    hands the result over only once the application got there, instead of
    sleeping blindly.                                                     */
#include "egovctl.h"
#include "egovctl_json.h"
#include "egovctl_time.h"
#include "egov_lifecycle.h"
#include <ctype.h>

#define s_POLL_MS           200     //  between two questions
#define s_ROUND_TRIP_MS     3000    //  one question at most

//  The channels that hold applications, asked in this order.
static const char *s_channels [] = { "intake.application", "portal.application" };

Egov__Applications__ApplicationState *
egovctl_application_find (egovctl_t *self, const char *id, bool history, const char **channel)
{
    for (size_t index = 0; index < sizeof (s_channels) / sizeof (s_channels [0]); index++) {
        bool not_found;
        egov_error_t error = { { 0 } };
        Egov__Applications__ApplicationState *state =
            egovctl_application_ask (self, s_channels [index], id, history, self->timeout_ms, &not_found, &error);
        if (state) {
            *channel = s_channels [index];
            return state;
        }
    }
    return NULL;
}

//  The wanted statuses from "READY,REFUSED" into wanted (a bit per status);
//  false after saying which name is not a status.
static bool
s_wanted_parse (const char *list, uint32_t *wanted)
{
    *wanted = 0;
    char *copy = strdup (list);
    assert (copy);
    bool ok = true;
    char *rest = copy;
    for (char *name = strsep (&rest, ","); name && ok; name = strsep (&rest, ",")) {
        egov_status_t status;
        for (char *c = name; *c; c++)
            *c = (char) toupper ((unsigned char) *c);
        if (!egov_status_parse (name, &status) || status == EGOV__APPLICATIONS__STATUS__STATUS_UNSPECIFIED) {
            fprintf (stderr, "egovctl: wait --status wants ACCEPTED, SENT, REGISTERED, IN_PROGRESS,"
                     " READY, REFUSED, ISSUED or RETURNED_TO_PROVIDER (comma-separated), not '%s'\n", name);
            ok = false;
        }
        else
            *wanted |= 1u << status;
    }
    free (copy);
    return ok && *wanted;
}

//  How far along the lifecycle a status is (egov_lifecycle.h): a status never
//  moves back, READY and REFUSED are the two decisions, ISSUED and
//  RETURNED_TO_PROVIDER come after them.
static int
s_rank (egov_status_t status)
{
    switch (status) {
        case EGOV__APPLICATIONS__STATUS__ACCEPTED: return 1;
        case EGOV__APPLICATIONS__STATUS__SENT: return 2;
        case EGOV__APPLICATIONS__STATUS__REGISTERED: return 3;
        case EGOV__APPLICATIONS__STATUS__IN_PROGRESS: return 4;
        case EGOV__APPLICATIONS__STATUS__READY: case EGOV__APPLICATIONS__STATUS__REFUSED: return 5;
        default: return 6;
    }
}

//  Whether an application now in status can still come to one of wanted:
//  a later status can; an earlier one, or the other decision, cannot; a
//  result returned unclaimed comes back READY or REFUSED when recalled.
static bool
s_reachable (egov_status_t status, uint32_t wanted)
{
    for (int each = EGOV__APPLICATIONS__STATUS__ACCEPTED; each <= EGOV__APPLICATIONS__STATUS__RETURNED_TO_PROVIDER; each++) {
        if (!(wanted & (1u << each)))
            continue;
        egov_status_t target = (egov_status_t) each;
        if (s_rank (target) > s_rank (status)
        ||  (status == EGOV__APPLICATIONS__STATUS__RETURNED_TO_PROVIDER && s_rank (target) == 5)
        ||  (status == EGOV__APPLICATIONS__STATUS__RETURNED_TO_PROVIDER && target == EGOV__APPLICATIONS__STATUS__ISSUED))
            return true;
    }
    return false;
}

Egov__Applications__ApplicationState *
egovctl_application_ask (egovctl_t *self, const char *channel, const char *id, bool history,
                         int timeout_ms, bool *not_found, egov_error_t *error)
{
    *not_found = false;
    Egov__Applications__ApplicationQuery query = EGOV__APPLICATIONS__APPLICATION_QUERY__INIT;
    query.application_id = (char *) id;
    query.with_history = history;
    //  Its own correlation id: the questions stay out of the application's journey
    Egov__Envelope *envelope = egov_envelope_new (channel, EGOV__MESSAGE_TYPE__REQUEST);
    egov_envelope_set_payload (envelope, &query.base);
    Egov__Envelope *reply = shep_client_call (self->client, envelope, timeout_ms, error);
    egov__envelope__free_unpacked (envelope, NULL);
    Egov__Applications__ApplicationState *state = NULL;
    if (reply && reply->error) {
        egov_error_from_info (error, reply->error);
        *not_found = streq (error->code, "NOT_FOUND");
    }
    else
    if (reply) {
        state = (Egov__Applications__ApplicationState *)
            egov_envelope_payload (reply, &egov__applications__application_state__descriptor);
        if (!state)
            egov_error_set (error, "BAD_REPLY", "%s answered payload type '%s'", channel, reply->payload_type);
    }
    if (reply)
        egov__envelope__free_unpacked (reply, NULL);
    return state;
}

static int
s_print (egovctl_t *self, const Egov__Applications__ApplicationState *state, const char *channel,
         int exit_code)
{
    if (self->json) {
        json_t *document = egovctl_json_message (&state->base);
        json_object_set_new (document, "channel", json_string (channel));
        return egovctl_json_print (document, exit_code);
    }
    char changed [40];
    egovctl_time_text (state->changed_at * 1000, changed, sizeof (changed));
    printf ("%s %s %s %s %s changed %s\n", state->application_id, state->status, state->service,
            state->region, egovctl_or_dash (state->registration_number), changed);
    return exit_code;
}

int
egovctl_wait (egovctl_t *self)
{
    if (!egov_uuid_valid (self->argument))
        return egovctl_fail_code (self, "INVALID_ID", "an application id is a UUID", EGOVCTL_USAGE);
    uint32_t wanted;
    if (!self->status || !s_wanted_parse (self->status, &wanted)) {
        if (!self->status)
            fprintf (stderr, "egovctl: wait needs --status STATUS[,STATUS...]\n");
        return EGOVCTL_USAGE;
    }
    int64_t deadline = zclock_mono () + (self->timeout_given ? self->timeout_ms : EGOVCTL_WAIT_DEFAULT_MS);
    const char *channel = NULL;             //  the one that holds it, once known
    Egov__Applications__ApplicationState *state = NULL;
    egov_error_t error = { { 0 } };
    while (true) {
        int64_t left = deadline - zclock_mono ();
        int round_trip = (int) (left < s_ROUND_TRIP_MS ? (left > 1 ? left : 1) : s_ROUND_TRIP_MS);
        bool not_found = false;
        size_t unknown = 0;
        for (size_t index = 0; index < sizeof (s_channels) / sizeof (s_channels [0]) && !state; index++) {
            if (channel && !streq (channel, s_channels [index]))
                continue;
            state = egovctl_application_ask (self, s_channels [index], self->argument, false, round_trip,
                                             &not_found, &error);
            if (state)
                channel = s_channels [index];
            else
            if (not_found)
                unknown++;
        }
        if (!state && unknown == sizeof (s_channels) / sizeof (s_channels [0]))
            return egovctl_fail_code (self, "NOT_FOUND", "neither the intake nor the portal holds this application",
                                      EGOVCTL_NEGATIVE);
        if (!state && (streq (error.code, "ACCESS_DENIED") || streq (error.code, "GATEWAY_UNREACHABLE")))
            return egovctl_fail (self, &error, EGOVCTL_ERROR);
        if (state) {
            egov_status_t status;
            bool known = egov_status_parse (state->status, &status);
            if (known && (wanted & (1u << status))) {
                int exit_code = s_print (self, state, channel, EGOVCTL_OK);
                egov__applications__application_state__free_unpacked (state, NULL);
                return exit_code;
            }
            if (known && !s_reachable (status, wanted)) {
                fprintf (stderr, "egovctl: the application is %s, from which none of %s can come\n",
                         state->status, self->status);
                int exit_code = s_print (self, state, channel, EGOVCTL_NEGATIVE);
                egov__applications__application_state__free_unpacked (state, NULL);
                return exit_code;
            }
        }
        if (zclock_mono () + s_POLL_MS >= deadline) {
            int exit_code = EGOVCTL_WAITED_IN_VAIN;
            if (state) {
                fprintf (stderr, "egovctl: still %s after %d ms\n", state->status,
                         self->timeout_given ? self->timeout_ms : EGOVCTL_WAIT_DEFAULT_MS);
                exit_code = s_print (self, state, channel, EGOVCTL_WAITED_IN_VAIN);
            }
            else
                egovctl_fail (self, &error, EGOVCTL_WAITED_IN_VAIN);
            egov__applications__application_state__free_unpacked (state, NULL);
            return exit_code;
        }
        if (state)
            egov__applications__application_state__free_unpacked (state, NULL);
        state = NULL;
        zclock_sleep (s_POLL_MS);
    }
}
