/*  shep-probe — sends the gateway what a broken or hostile participant
    might: garbage bytes, empty and multi-part messages, frames before a
    hello, envelopes without ids, oversized messages. Prints one line per
    probe with the error code the gateway answered, then checks that a
    well-formed request on a fresh connection still gets its answer.
    Used by the integration tests; exits 1 when any answer is missing.   */
#include "shep_client.h"

//  Sends raw parts on a DEALER and returns the code of the Error answer.
static char *
s_probe (zsock_t *dealer, zmsg_t *msg)
{
    zmsg_send (&msg, dealer);
    zpoller_t *poller = zpoller_new (dealer, NULL);
    char *code = NULL;
    while (!code && zpoller_wait (poller, 2000)) {
        zframe_t *body = zframe_recv (dealer);
        Egov__Shep__Frame *frame = body ? egov__shep__frame__unpack (NULL, zframe_size (body), zframe_data (body)) : NULL;
        zframe_destroy (&body);
        if (frame && frame->body_case == EGOV__SHEP__FRAME__BODY_ERROR && frame->error->error)
            code = strdup (frame->error->error->code);
        else
        if (frame && frame->body_case == EGOV__SHEP__FRAME__BODY_WELCOME)
            code = strdup ("WELCOME");
        if (frame)
            egov__shep__frame__free_unpacked (frame, NULL);
    }
    zpoller_destroy (&poller);
    return code ? code : strdup ("NO_ANSWER");
}

static zmsg_t *
s_frame_msg (Egov__Shep__Frame *frame)
{
    zmsg_t *msg = zmsg_new ();
    zframe_t *body = egov_pb_frame (&frame->base);
    zmsg_append (msg, &body);
    return msg;
}

static int s_missing = 0;

static void
s_print (const char *what, char *code)
{
    printf ("%-40s %s\n", what, code);
    if (streq (code, "NO_ANSWER"))
        s_missing++;
    free (code);
}

int
main (int argc, char *argv [])
{
    const char *gateway = argc > 1 ? argv [1] : egov_env ("EGOV_GATEWAY", SHEP_DEFAULT_ENDPOINT);
    size_t large = argc > 2 ? (size_t) atol (argv [2]) : 2 * 1024 * 1024;
    zsys_init ();
    zsock_t *dealer = zsock_new_dealer (gateway);
    assert (dealer);

    uint8_t garbage [64];
    for (size_t index = 0; index < sizeof (garbage); index++)
        garbage [index] = (uint8_t) (index * 37 + 11);
    zmsg_t *msg = zmsg_new ();
    zmsg_addmem (msg, garbage, sizeof (garbage));
    s_print ("garbage bytes", s_probe (dealer, msg));

    msg = zmsg_new ();
    zmsg_addmem (msg, NULL, 0);
    s_print ("empty message", s_probe (dealer, msg));

    msg = zmsg_new ();
    zmsg_addstr (msg, "one");
    zmsg_addstr (msg, "two");
    s_print ("two-part message", s_probe (dealer, msg));

    Egov__Shep__Heartbeat heartbeat = EGOV__SHEP__HEARTBEAT__INIT;
    Egov__Shep__Frame frame = EGOV__SHEP__FRAME__INIT;
    frame.body_case = EGOV__SHEP__FRAME__BODY_HEARTBEAT;
    frame.heartbeat = &heartbeat;
    s_print ("heartbeat before hello", s_probe (dealer, s_frame_msg (&frame)));

    Egov__Shep__Hello hello = EGOV__SHEP__HELLO__INIT;
    hello.participant_id = "bad id with spaces";
    frame.body_case = EGOV__SHEP__FRAME__BODY_HELLO;
    frame.hello = &hello;
    s_print ("hello with a bad participant id", s_probe (dealer, s_frame_msg (&frame)));

    hello.participant_id = "probe";
    s_print ("hello", s_probe (dealer, s_frame_msg (&frame)));

    Egov__Shep__SyncRequest request = EGOV__SHEP__SYNC_REQUEST__INIT;
    frame.body_case = EGOV__SHEP__FRAME__BODY_SYNC_REQUEST;
    frame.sync_request = &request;
    s_print ("sync request without an envelope", s_probe (dealer, s_frame_msg (&frame)));

    Egov__Envelope *envelope = egov_envelope_new ("gbdfl.person", EGOV__MESSAGE_TYPE__REQUEST);
    egov_string_set (&envelope->message_id, "not-a-uuid");
    request.envelope = envelope;
    s_print ("sync request with a bad message id", s_probe (dealer, s_frame_msg (&frame)));

    egov_string_set (&envelope->message_id, "6f1c2b1e-8d0a-4c8e-9a52-3b7f0f6d2a10");
    envelope->message_type = 42;
    s_print ("sync request with an unknown type", s_probe (dealer, s_frame_msg (&frame)));

    envelope->message_type = EGOV__MESSAGE_TYPE__REQUEST;
    egov_string_set (&envelope->service_id, "nobody.provides.this");
    s_print ("sync request for an unknown service", s_probe (dealer, s_frame_msg (&frame)));

    Egov__Shep__AsyncSubmit submit = EGOV__SHEP__ASYNC_SUBMIT__INIT;
    submit.envelope = envelope;
    frame.body_case = EGOV__SHEP__FRAME__BODY_ASYNC_SUBMIT;
    frame.async_submit = &submit;
    egov_string_set (&envelope->route_id, "999999999");
    egov_string_set (&envelope->service_id, "");
    s_print ("async message to an unknown route", s_probe (dealer, s_frame_msg (&frame)));

    envelope->payload.data = (uint8_t *) calloc (1, large);
    envelope->payload.len = large;
    s_print ("oversized message", s_probe (dealer, s_frame_msg (&frame)));
    egov__envelope__free_unpacked (envelope, NULL);
    zsock_destroy (&dealer);

    //  After all that, a well-formed participant is served as usual
    shep_client_t *client = shep_client_new (gateway, "probe-after");
    bool served = shep_client_connect (client, 3000) == 0;
    if (served) {
        Egov__Shep__ParticipantsQuery query = EGOV__SHEP__PARTICIPANTS_QUERY__INIT;
        Egov__Shep__Frame ask = EGOV__SHEP__FRAME__INIT;
        ask.body_case = EGOV__SHEP__FRAME__BODY_PARTICIPANTS_QUERY;
        ask.participants_query = &query;
        egov_error_t error;
        Egov__Shep__Frame *answer = shep_client_ask (client, &ask, 3000, &error);
        served = answer && answer->body_case == EGOV__SHEP__FRAME__BODY_PARTICIPANTS_REPLY;
        if (answer)
            egov__shep__frame__free_unpacked (answer, NULL);
    }
    printf ("%-40s %s\n", "well-formed query afterwards", served ? "ANSWERED" : "NO_ANSWER");
    shep_client_destroy (&client);
    return served && s_missing == 0 ? 0 : 1;
}
