/*  egovctl_receive — `receive --as ID`: takes ID's deliveries, as the
    participant's serving connection, and prints each as one JSON line
    (the envelope, and the payload decoded by its payload_type when the
    type is one of ours), acknowledging it. For a stub's stand-in: the
    participant's own process, if it runs, hears REPLACED.               */
#include "egovctl.h"
#include "egovctl_json.h"
#include "egov_proto.h"

//  One delivery as a JSON document.
static json_t *
s_delivery (const Egov__Envelope *envelope)
{
    json_t *document = egovctl_json_message (&envelope->base);
    json_object_del (document, "payload");
    const ProtobufCMessageDescriptor *descriptor = egov_proto_find (envelope->payload_type);
    ProtobufCMessage *payload = descriptor
        ? protobuf_c_message_unpack (descriptor, NULL, envelope->payload.len, envelope->payload.data)
        : NULL;
    char path [96];
    if (payload && egov_proto_check (payload, 0, path, sizeof (path)) == EGOV_PROTO_VALID)
        json_object_set_new (document, "payload", egovctl_json_message (payload));
    else {
        char *hex = egovctl_hex (envelope->payload.data, envelope->payload.len);
        json_object_set_new (document, "payload_hex", json_string (hex));
        free (hex);
    }
    if (payload)
        protobuf_c_message_free_unpacked (payload, NULL);
    return document;
}

int
egovctl_receive (egovctl_t *self)
{
    long received = 0;
    int64_t quiet_until = zclock_mono () + self->timeout_ms;
    while (self->count == 0 || received < self->count) {
        int64_t left = quiet_until - zclock_mono ();
        if (left <= 0)
            break;
        Egov__Shep__Frame *frame = shep_client_recv (self->client, (int) left);
        if (!frame)
            continue;
        if (frame->body_case == EGOV__SHEP__FRAME__BODY_DELIVER && frame->deliver->envelope) {
            const Egov__Envelope *envelope = frame->deliver->envelope;
            if (!self->service || streq (envelope->service_id, self->service)) {
                json_t *document = s_delivery (envelope);
                char *line = json_dumps (document, JSON_COMPACT | JSON_PRESERVE_ORDER);
                json_decref (document);
                printf ("%s\n", line ? line : "{}");
                fflush (stdout);
                free (line);
                received++;
                shep_client_ack (self->client, envelope->message_id, NULL, NULL);
            }
            //  Not what was asked for: left unacknowledged, the gateway keeps it and
            //  delivers it again to whoever serves the participant next
            quiet_until = zclock_mono () + self->timeout_ms;
        }
        egov__shep__frame__free_unpacked (frame, NULL);
    }
    if (received == 0)
        fprintf (stderr, "egovctl: nothing was delivered to %s within %d ms\n",
                 self->participant_id, self->timeout_ms);
    return received ? EGOVCTL_OK : EGOVCTL_NEGATIVE;
}
