/*  shep-probe — sends the gateway what a broken or hostile participant
    might: garbage bytes, empty and multi-part messages, frames before a
    hello, a frame nested thousands deep, envelopes without ids, text that
    is not UTF-8, a field numbered 0, a clock set past the year 9999,
    oversized messages, and random mutations of every kind of frame. Used by the integration tests.
      shep-probe [GATEWAY [LARGE]]         the catalogue: one line per probe
                                           with the code the gateway answered
      shep-probe --mutate N [GATEWAY [SEED]]
                                           N mutated frames over every body type,
                                           the same ones for the same SEED
    Both end by checking that a well-formed request on a fresh connection
    still gets its answer; exit 1 when any answer is missing.             */
#include "shep_client.h"
#include "egov_proto.h"
#include "shep_keys.h"

//  How long a probe waits for its answer.
#define s_ANSWER_MS 2000
//  How long the mutation loop may run, whatever N says.
#define s_MUTATE_MAX_MS 20000
//  Deepest a sample message for the mutation loop is filled in.
#define s_SAMPLE_DEPTH 6

//  Sends raw parts on a DEALER and returns the code of the Error answer (or
//  of the receipt's error, or the status it stored).
static char *
s_probe (zsock_t *dealer, zmsg_t *msg)
{
    zmsg_send (&msg, dealer);
    zpoller_t *poller = zpoller_new (dealer, NULL);
    char *code = NULL;
    while (!code && zpoller_wait (poller, s_ANSWER_MS)) {
        zframe_t *body = zframe_recv (dealer);
        Egov__Shep__Frame *frame = body ? egov__shep__frame__unpack (NULL, zframe_size (body), zframe_data (body)) : NULL;
        zframe_destroy (&body);
        if (frame && frame->body_case == EGOV__SHEP__FRAME__BODY_ERROR && frame->error->error)
            code = strdup (frame->error->error->code);
        else
        if (frame && frame->body_case == EGOV__SHEP__FRAME__BODY_WELCOME)
            code = strdup ("WELCOME");
        else
        if (frame && frame->body_case == EGOV__SHEP__FRAME__BODY_ASYNC_RECEIPT)
            code = strdup (frame->async_receipt->error ? frame->async_receipt->error->code
                           : egov_delivery_status_name (frame->async_receipt->status));
        if (frame)
            egov__shep__frame__free_unpacked (frame, NULL);
    }
    zpoller_destroy (&poller);
    return code ? code : strdup ("NO_ANSWER");
}

//  A frame packed as a one-part message.
static zmsg_t *
s_frame_msg (Egov__Shep__Frame *frame)
{
    zmsg_t *msg = zmsg_new ();
    zframe_t *body = egov_pb_frame (&frame->base);
    zmsg_append (msg, &body);
    return msg;
}

static int s_missing = 0;

//  Prints a probe's outcome and frees it; counts the missing answers.
static void
s_print (const char *what, char *code)
{
    printf ("%-40s %s\n", what, code);
    if (strncmp (code, "NO_ANSWER", 9) == 0)
        s_missing++;
    free (code);
}

//  A DEALER to the gateway with participant id's CURVE key pair from the
//  keys folder (EGOV_KEYS_DIR), or with cert when it is given.
static zsock_t *
s_dealer_with (const char *gateway, const char *id, zcert_t *cert)
{
    char path [PATH_MAX];
    const char *dir = shep_keys_dir (path, sizeof (path));
    egov_error_t error;
    zcert_t *own = cert ? NULL : shep_keys_participant (dir, id, &error);
    char server_key [41];
    if ((!cert && !own) || shep_keys_gateway_public (dir, server_key, &error)) {
        fprintf (stderr, "shep-probe: %s %s\n", error.code, error.message);
        exit (1);
    }
    zsock_t *dealer = zsock_new (ZMQ_DEALER);
    assert (dealer);
    zcert_apply (cert ? cert : own, dealer);
    zsock_set_curve_serverkey (dealer, server_key);
    zcert_destroy (&own);
    zsock_connect (dealer, "%s", gateway);
    return dealer;
}

static zsock_t *
s_dealer (const char *gateway, const char *id)
{
    return s_dealer_with (gateway, id, NULL);
}

//  Says hello as participant id on dealer; true when welcomed.
static bool
s_hello (zsock_t *dealer, const char *id)
{
    Egov__Shep__Hello hello = EGOV__SHEP__HELLO__INIT;
    hello.participant_id = (char *) id;
    hello.protocol_version = 1;
    Egov__Shep__Frame frame = EGOV__SHEP__FRAME__INIT;
    frame.body_case = EGOV__SHEP__FRAME__BODY_HELLO;
    frame.hello = &hello;
    char *code = s_probe (dealer, s_frame_msg (&frame));
    bool welcomed = streq (code, "WELCOME");
    free (code);
    return welcomed;
}

//  True when a fresh, well-formed participant gets a query answered.
static bool
s_served (const char *gateway, const char *id)
{
    shep_client_t *client = shep_client_new (gateway, id);
    char path [PATH_MAX];
    egov_error_t error;
    if (shep_client_use_keys (client, shep_keys_dir (path, sizeof (path)), &error))
        fprintf (stderr, "shep-probe: %s %s\n", error.code, error.message);
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
    shep_client_destroy (&client);
    return served;
}

//  ---------------------------------------------------------------------
//  Nesting and text

//  Puts a length-delimited field with key byte key around the bytes from
//  *start to the end of buffer (capacity bytes), in front of them.
static void
s_wrap (uint8_t *buffer, size_t capacity, size_t *start, uint8_t key)
{
    uint8_t head [11];
    size_t size = 0, length = capacity - *start;
    head [size++] = key;
    do {
        head [size++] = (uint8_t) ((length & 0x7f) | (length >= 0x80 ? 0x80 : 0));
        length >>= 7;
    } while (length);
    assert (*start >= size);
    *start -= size;
    memcpy (buffer + *start, head, size);
}

//  Frame.sync_request.envelope.error.sub_error.sub_error... levels deep:
//  the shape that overflowed the stack of a decoder while ErrorInfo
//  contained itself (about 3 bytes a level).
static zmsg_t *
s_deep_frame (size_t levels)
{
    size_t capacity = levels * 4 + 64, start = capacity;
    uint8_t *buffer = malloc (capacity);
    assert (buffer);
    for (size_t level = 0; level < levels; level++)
        s_wrap (buffer, capacity, &start, 0x1a);        //  sub_error = 3
    s_wrap (buffer, capacity, &start, 0x6a);            //  Envelope.error = 13
    s_wrap (buffer, capacity, &start, 0x0a);            //  SyncRequest.envelope = 1
    s_wrap (buffer, capacity, &start, 0x22);            //  Frame.sync_request = 4
    zmsg_t *msg = zmsg_new ();
    zmsg_addmem (msg, buffer + start, capacity - start);
    free (buffer);
    return msg;
}

//  A sync request whose envelope also holds a field numbered 0, its tag
//  padded to two bytes: protobuf-c decodes that but packs it back as one
//  zero byte, which no decoder takes, so relayed it would be lost.
static zmsg_t *
s_field_zero_frame (void)
{
    Egov__Envelope *envelope = egov_envelope_new ("nobody.provides.this", EGOV__MESSAGE_TYPE__REQUEST);
    size_t size = egov__envelope__get_packed_size (envelope);
    size_t capacity = size + 3 + 32, start = capacity - size - 3;
    uint8_t *buffer = malloc (capacity);
    assert (buffer);
    egov__envelope__pack (envelope, buffer + start);
    memcpy (buffer + capacity - 3, "\x80\x00\x01", 3);
    s_wrap (buffer, capacity, &start, 0x0a);            //  SyncRequest.envelope = 1
    s_wrap (buffer, capacity, &start, 0x22);            //  Frame.sync_request = 4
    zmsg_t *msg = zmsg_new ();
    zmsg_addmem (msg, buffer + start, capacity - start);
    free (buffer);
    egov__envelope__free_unpacked (envelope, NULL);
    return msg;
}

//  An async submission of service (probe.batch when NULL) to recipient
//  with tag, in_order or not, packed as a message; message_id when given.
static zmsg_t *
s_submit_msg_as (const char *service, const char *recipient, const char *correlation_id,
                 uint64_t tag, bool in_order, const char *message_id)
{
    Egov__Envelope *envelope = egov_envelope_new (service ? service : "probe.batch",
                                                  EGOV__MESSAGE_TYPE__NOTIFICATION);
    egov_string_set (&envelope->recipient_id, recipient);
    if (correlation_id)
        egov_string_set (&envelope->correlation_id, correlation_id);
    if (message_id)
        egov_string_set (&envelope->message_id, message_id);
    Egov__Shep__AsyncSubmit submit = EGOV__SHEP__ASYNC_SUBMIT__INIT;
    submit.envelope = envelope;
    submit.in_order = in_order;
    Egov__Shep__Frame frame = EGOV__SHEP__FRAME__INIT;
    frame.body_case = EGOV__SHEP__FRAME__BODY_ASYNC_SUBMIT;
    frame.async_submit = &submit;
    frame.tag = tag;
    zmsg_t *msg = s_frame_msg (&frame);
    egov__envelope__free_unpacked (envelope, NULL);
    return msg;
}

static zmsg_t *
s_submit_msg (const char *recipient, const char *correlation_id, uint64_t tag)
{
    return s_submit_msg_as (NULL, recipient, correlation_id, tag, false, NULL);
}

//  Submissions in_order: once one to a recipient is refused for now, the
//  later ones of the same connection to it are refused OUT_OF_ORDER until it
//  comes again; those not in_order, and a new connection, are not held.
static void
s_probe_order (const char *gateway)
{
    zsock_t *dealer = s_dealer (gateway, "probe-sender");
    assert (dealer);
    if (!s_hello (dealer, "probe-sender")) {
        s_print ("in order: hello", strdup ("NO_ANSWER"));
        zsock_destroy (&dealer);
        return;
    }
    char *first = egov_uuid_new (), *second = egov_uuid_new ();
    //  probe-sender may send probe.batch to itself, not probe.other
    s_print ("in order, refused for now", s_probe (dealer,
             s_submit_msg_as ("probe.other", "probe-sender", "probe-order", 1, true, first)));
    s_print ("in order, the next one", s_probe (dealer,
             s_submit_msg_as (NULL, "probe-sender", "probe-order", 2, true, second)));
    s_print ("in order, not in order beside it", s_probe (dealer,
             s_submit_msg_as (NULL, "probe-sender", "probe-order", 3, false, NULL)));
    s_print ("in order, the refused one again", s_probe (dealer,
             s_submit_msg_as ("probe.other", "probe-sender", "probe-order", 4, true, first)));
    s_print ("in order, the next one again", s_probe (dealer,
             s_submit_msg_as (NULL, "probe-sender", "probe-order", 5, true, second)));
    zsock_destroy (&dealer);
    dealer = s_dealer (gateway, "probe-sender");
    assert (dealer);
    if (s_hello (dealer, "probe-sender"))
        s_print ("in order, on a new connection", s_probe (dealer,
                 s_submit_msg_as (NULL, "probe-sender", "probe-order", 6, true, second)));
    else
        s_print ("in order, on a new connection", strdup ("NO_ANSWER"));
    zsock_destroy (&dealer);
    free (first);
    free (second);
}

//  One submission whose correlation id is not UTF-8, sent by one participant
//  in the middle of valid ones from another, all at once so that they share
//  the gateway's commits: the bad one must fail alone.
static void
s_probe_batch (const char *gateway)
{
    enum { GOOD = 20 };
    zsock_t *sender = s_dealer (gateway, "probe-sender");
    zsock_t *rogue = s_dealer (gateway, "probe-rogue");
    assert (sender && rogue);
    if (!s_hello (sender, "probe-sender") || !s_hello (rogue, "probe-rogue")) {
        s_print ("async batch: hello", strdup ("NO_ANSWER"));
        zsock_destroy (&sender);
        zsock_destroy (&rogue);
        return;
    }
    for (uint64_t tag = 1; tag <= GOOD; tag++) {
        zmsg_t *msg = s_submit_msg ("probe-sender", NULL, tag);
        zmsg_send (&msg, sender);
        if (tag == GOOD / 2) {
            msg = s_submit_msg ("probe-sender", "caf\xC3\x28-\xFF", 99);
            zmsg_send (&msg, rogue);
        }
    }
    char *rogue_code = NULL, *good_code = NULL;
    int committed = 0, answered = 0;
    zpoller_t *poller = zpoller_new (sender, rogue, NULL);
    int64_t deadline = zclock_mono () + 5000;
    while ((answered < GOOD || !rogue_code) && zclock_mono () < deadline) {
        zsock_t *which = (zsock_t *) zpoller_wait (poller, (int) (deadline - zclock_mono ()));
        if (!which)
            break;
        zframe_t *body = zframe_recv (which);
        Egov__Shep__Frame *frame = body ? egov__shep__frame__unpack (NULL, zframe_size (body), zframe_data (body)) : NULL;
        zframe_destroy (&body);
        if (!frame)
            continue;
        const char *code = frame->body_case == EGOV__SHEP__FRAME__BODY_ERROR && frame->error->error
                         ? frame->error->error->code : NULL;
        if (frame->body_case == EGOV__SHEP__FRAME__BODY_ASYNC_RECEIPT) {
            const Egov__Shep__AsyncReceipt *receipt = frame->async_receipt;
            code = receipt->error ? receipt->error->code
                 : egov_delivery_status_name (receipt->status);
        }
        if (which == rogue && code && !rogue_code)
            rogue_code = strdup (code);
        else
        if (which == sender && code) {
            answered++;
            if (streq (code, "ON_DELIVERY"))
                committed++;
            else
            if (!good_code)
                good_code = strdup (code);
        }
        egov__shep__frame__free_unpacked (frame, NULL);
    }
    zpoller_destroy (&poller);
    s_print ("async submit, correlation not UTF-8", rogue_code ? rogue_code : strdup ("NO_ANSWER"));
    s_print ("valid submissions beside it", zsys_sprintf ("%s %d/%d committed",
             answered < GOOD ? "NO_ANSWER" : good_code ? good_code : "ON_DELIVERY", committed, GOOD));
    zstr_free (&good_code);
    zsock_destroy (&sender);
    zsock_destroy (&rogue);
}

//  A frame with a body of one kind, for the trust probes.
static char *
s_ask (zsock_t *dealer, Egov__Shep__Frame *frame)
{
    return s_probe (dealer, s_frame_msg (frame));
}

//  Who may connect as whom, and do what: a key nobody trusts, a hello as
//  another participant, services, routes, calls, messages, the clock and
//  the log beyond one's rights.
static void
s_probe_trust (const char *gateway)
{
    //  A key the gateway does not know never gets past the handshake
    zcert_t *stranger = zcert_new ();
    zsock_t *dealer = s_dealer_with (gateway, "probe-guest", stranger);
    Egov__Shep__Hello hello = EGOV__SHEP__HELLO__INIT;
    hello.participant_id = "probe-guest";
    hello.protocol_version = 1;
    Egov__Shep__Frame frame = EGOV__SHEP__FRAME__INIT;
    frame.body_case = EGOV__SHEP__FRAME__BODY_HELLO;
    frame.hello = &hello;
    char *code = s_ask (dealer, &frame);
    printf ("%-40s %s\n", "hello with an unknown key", streq (code, "NO_ANSWER") ? "NOT_LET_IN" : code);
    free (code);
    zsock_destroy (&dealer);
    zcert_destroy (&stranger);

    //  probe-guest's own key: it is probe-guest and nobody else, with no rights
    dealer = s_dealer (gateway, "probe-guest");
    hello.participant_id = "gbdfl";
    s_print ("hello as another participant", s_ask (dealer, &frame));
    hello.participant_id = "probe-guest";
    char *services [] = { "gbdfl.person" };
    hello.services = services;
    hello.n_services = 1;
    s_print ("hello providing a service not granted", s_ask (dealer, &frame));
    hello.n_services = 0;
    char *routes [] = { "430000000" };
    hello.routes = routes;
    hello.n_routes = 1;
    s_print ("hello claiming a route not granted", s_ask (dealer, &frame));
    hello.n_routes = 0;
    s_print ("hello with nothing to serve", s_ask (dealer, &frame));

    Egov__Envelope *envelope = egov_envelope_new ("gbdfl.person", EGOV__MESSAGE_TYPE__REQUEST);
    Egov__Shep__SyncRequest request = EGOV__SHEP__SYNC_REQUEST__INIT;
    request.envelope = envelope;
    frame.body_case = EGOV__SHEP__FRAME__BODY_SYNC_REQUEST;
    frame.sync_request = &request;
    s_print ("sync call not granted", s_ask (dealer, &frame));

    egov_string_set (&envelope->service_id, "application.registered");
    egov_string_set (&envelope->recipient_id, "leb-750000000");
    Egov__Shep__AsyncSubmit submit = EGOV__SHEP__ASYNC_SUBMIT__INIT;
    submit.envelope = envelope;
    frame.body_case = EGOV__SHEP__FRAME__BODY_ASYNC_SUBMIT;
    frame.async_submit = &submit;
    s_print ("async message not granted", s_ask (dealer, &frame));
    egov_string_set (&envelope->recipient_id, "");
    egov_string_set (&envelope->route_id, "750000000");
    egov_string_set (&envelope->message_id, "4b7c1f0e-2a55-4a34-9d0b-6a3f1d2e8c11");
    s_print ("async message to a route not granted", s_ask (dealer, &frame));
    egov_string_set (&envelope->route_id, "");
    egov_string_set (&envelope->recipient_id, "probe-nobody");
    s_print ("async message to an unregistered id", s_ask (dealer, &frame));
    egov__envelope__free_unpacked (envelope, NULL);

    Egov__Shep__ClockSet clock_set = EGOV__SHEP__CLOCK_SET__INIT;
    clock_set.advance_ms = 3600000;
    frame.body_case = EGOV__SHEP__FRAME__BODY_CLOCK_SET;
    frame.clock_set = &clock_set;
    s_print ("clock set not granted", s_ask (dealer, &frame));
    Egov__Shep__LogQuery query = EGOV__SHEP__LOG_QUERY__INIT;
    frame.body_case = EGOV__SHEP__FRAME__BODY_LOG_QUERY;
    frame.log_query = &query;
    s_print ("log read not granted", s_ask (dealer, &frame));
    Egov__Shep__LogVerify verify = EGOV__SHEP__LOG_VERIFY__INIT;
    frame.body_case = EGOV__SHEP__FRAME__BODY_LOG_VERIFY;
    frame.log_verify = &verify;
    s_print ("log verify not granted", s_ask (dealer, &frame));
    zsock_destroy (&dealer);
}

//  ---------------------------------------------------------------------
//  Mutations

//  The next number of a fixed sequence (xorshift64*): every run sends the
//  same mutations, so a failure can be replayed.
static uint64_t
s_random (uint64_t *state)
{
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    return *state * 2685821657736338717ULL;
}

static ProtobufCMessage *s_sample_new (const ProtobufCMessageDescriptor *descriptor, int depth);

//  A plausible text for a field, by its name, so that a sample gets past
//  the gateway's first checks and its mutations reach the handlers.
static char *
s_sample_text (const char *name)
{
    if (strstr (name, "message_id") || streq (name, "in_reply_to") || streq (name, "correlation_id"))
        return egov_uuid_new ();
    if (streq (name, "participant_id") || streq (name, "recipient_id") || streq (name, "participant"))
        return strdup ("probe-mutant");
    if (streq (name, "services") || streq (name, "service_id"))
        return strdup ("probe.mutant");
    if (streq (name, "routes") || streq (name, "route_id"))
        return strdup ("750000000");
    if (streq (name, "code"))
        return strdup ("PROBE");
    return strdup ("Қазақстан");
}

//  Sets the value at member to a sample for field.
static void
s_sample_value (const ProtobufCFieldDescriptor *field, void *member, int depth)
{
    switch (field->type) {
        case PROTOBUF_C_TYPE_STRING:
            *(char **) member = s_sample_text (field->name);
            break;
        case PROTOBUF_C_TYPE_BYTES: {
            ProtobufCBinaryData *bytes = (ProtobufCBinaryData *) member;
            bytes->len = 24;
            bytes->data = malloc (bytes->len);
            assert (bytes->data);
            for (size_t index = 0; index < bytes->len; index++)
                bytes->data [index] = (uint8_t) (index * 7 + 1);
            break;
        }
        case PROTOBUF_C_TYPE_MESSAGE:
            *(ProtobufCMessage **) member = s_sample_new (
                (const ProtobufCMessageDescriptor *) field->descriptor, depth + 1);
            break;
        case PROTOBUF_C_TYPE_ENUM: {
            const ProtobufCEnumDescriptor *type = (const ProtobufCEnumDescriptor *) field->descriptor;
            *(int *) member = type->values [type->n_values > 1 ? 1 : 0].value;
            break;
        }
        case PROTOBUF_C_TYPE_BOOL:
            *(protobuf_c_boolean *) member = streq (field->name, "force") ? 0 : 1;
            break;
        case PROTOBUF_C_TYPE_DOUBLE:
            *(double *) member = 1.0;
            break;
        case PROTOBUF_C_TYPE_FLOAT:
            *(float *) member = 1.0f;
            break;
        case PROTOBUF_C_TYPE_INT64: case PROTOBUF_C_TYPE_SINT64: case PROTOBUF_C_TYPE_SFIXED64:
        case PROTOBUF_C_TYPE_UINT64: case PROTOBUF_C_TYPE_FIXED64:
            *(int64_t *) member = strstr (field->name, "_ms") ? 1000 : 1;
            break;
        default:
            *(uint32_t *) member = strstr (field->name, "_ms") ? 1000 : 1;
    }
}

//  A heap message of this type with every field set (repeated ones twice),
//  sub-messages down to s_SAMPLE_DEPTH; free with
//  protobuf_c_message_free_unpacked.
static ProtobufCMessage *
s_sample_new (const ProtobufCMessageDescriptor *descriptor, int depth)
{
    ProtobufCMessage *message = (ProtobufCMessage *) calloc (1, descriptor->sizeof_message);
    assert (message);
    descriptor->message_init (message);
    char *base = (char *) message;
    for (unsigned index = 0; index < descriptor->n_fields; index++) {
        const ProtobufCFieldDescriptor *field = descriptor->fields + index;
        if ((field->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
        ||  (field->type == PROTOBUF_C_TYPE_MESSAGE && depth >= s_SAMPLE_DEPTH))
            continue;
        if (field->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t count = 2, size = egov_proto_element_size (field);
            char *items = (char *) calloc (count, size);
            assert (items);
            for (size_t item = 0; item < count; item++)
                s_sample_value (field, items + item * size, depth);
            *(size_t *) (base + field->quantifier_offset) = count;
            *(char **) (base + field->offset) = items;
        }
        else
            s_sample_value (field, base + field->offset, depth);
    }
    return message;
}

//  A valid frame of the body in field, packed, with sample values throughout.
static zframe_t *
s_sample_frame (const ProtobufCFieldDescriptor *field)
{
    ProtobufCMessage *body = s_sample_new ((const ProtobufCMessageDescriptor *) field->descriptor, 1);
    Egov__Shep__Frame frame = EGOV__SHEP__FRAME__INIT;
    frame.body_case = (Egov__Shep__Frame__BodyCase) field->id;
    *(ProtobufCMessage **) ((char *) &frame + field->offset) = body;
    frame.tag = 7;
    zframe_t *packed = egov_pb_frame (&frame.base);
    protobuf_c_message_free_unpacked (body, NULL);
    return packed;
}

//  Makes one to three random edits to the size bytes at bytes (room for
//  three more): flips a bit, overwrites, inserts or deletes a byte. Returns
//  the new size. Inserting or deleting breaks every length around the spot,
//  so those are rarer: most mutants should still decode and reach a handler.
static size_t
s_mutate (uint8_t *bytes, size_t size, uint64_t *state)
{
    static const uint8_t telling [] = { 0x00, 0x01, 0x7f, 0x80, 0xc0, 0xed, 0xf4, 0xff };
    int edits = 1 + (int) (s_random (state) % 3);
    for (int edit = 0; edit < edits; edit++) {
        size_t at = size ? (size_t) (s_random (state) % size) : 0;
        switch (s_random (state) % 8) {
            case 0: case 1: case 2:
                if (size)
                    bytes [at] ^= (uint8_t) (1u << (s_random (state) % 8));
                break;
            case 3: case 4: case 5:
                if (size)
                    bytes [at] = telling [s_random (state) % sizeof (telling)];
                break;
            case 6:
                memmove (bytes + at + 1, bytes + at, size - at);
                bytes [at] = (uint8_t) s_random (state);
                size++;
                break;
            default:
                if (size) {
                    memmove (bytes + at, bytes + at + 1, size - at - 1);
                    size--;
                }
        }
    }
    return size;
}

//  Reads and drops whatever the gateway sent to dealer; returns how much.
static int
s_drain (zsock_t *dealer)
{
    int count = 0;
    while (zsock_events (dealer) & ZMQ_POLLIN) {
        zmsg_t *msg = zmsg_recv (dealer);
        if (!msg)
            break;
        zmsg_destroy (&msg);
        count++;
    }
    return count;
}

//  Sends count mutations of valid frames, spread over every body type of
//  Frame, from a participant that says hello again now and then (mutated
//  hellos and goodbyes change who it is) and, for one in eight, from a
//  connection that never said hello.
static void
s_mutate_all (const char *gateway, int count, uint64_t seed)
{
    const ProtobufCMessageDescriptor *descriptor = &egov__shep__frame__descriptor;
    size_t bodies = 0;
    for (unsigned index = 0; index < descriptor->n_fields; index++)
        if (descriptor->fields [index].flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
            bodies++;
    zsock_t *member = s_dealer (gateway, "probe-mutant");
    zsock_t *stranger = s_dealer (gateway, "probe-stranger");
    assert (member && stranger);
    zsock_set_sndtimeo (member, 1000);
    zsock_set_sndtimeo (stranger, 1000);
    if (!s_hello (member, "probe-mutant"))
        s_missing++;
    int per_body = (count + (int) bodies - 1) / (int) bodies;
    int sent = 0, answers = 0;
    int64_t deadline = zclock_mono () + s_MUTATE_MAX_MS;
    for (unsigned index = 0; index < descriptor->n_fields && sent < count; index++) {
        const ProtobufCFieldDescriptor *field = descriptor->fields + index;
        if (!(field->flags & PROTOBUF_C_FIELD_FLAG_ONEOF))
            continue;
        zframe_t *sample = s_sample_frame (field);
        size_t capacity = zframe_size (sample) + 3;
        uint8_t *bytes = malloc (capacity);
        assert (bytes);
        uint64_t state = (0x9E3779B97F4A7C15ULL + seed * 0xBF58476D1CE4E5B9ULL) ^ field->id;
        for (int round = 0; round < per_body && sent < count && zclock_mono () < deadline; round++) {
            if (round % 25 == 0) {
                //  Who we are may have changed: say hello again, unanswered,
                //  as the provider of the service the sample requests name
                char *services [] = { "probe.mutant" };
                Egov__Shep__Hello hello = EGOV__SHEP__HELLO__INIT;
                hello.participant_id = "probe-mutant";
                hello.services = services;
                hello.n_services = 1;
                Egov__Shep__Frame frame = EGOV__SHEP__FRAME__INIT;
                frame.body_case = EGOV__SHEP__FRAME__BODY_HELLO;
                frame.hello = &hello;
                zmsg_t *msg = s_frame_msg (&frame);
                zmsg_send (&msg, member);
                zmsg_destroy (&msg);
            }
            memcpy (bytes, zframe_data (sample), zframe_size (sample));
            size_t size = s_mutate (bytes, zframe_size (sample), &state);
            zframe_t *mutant = zframe_new (bytes, size);
            if (zframe_send (&mutant, s_random (&state) % 8 ? member : stranger, 0))
                zframe_destroy (&mutant);
            sent++;
            answers += s_drain (member) + s_drain (stranger);
        }
        free (bytes);
        zframe_destroy (&sample);
    }
    //  Take the answers still coming, until 300 ms pass without one
    int64_t quiet_since = zclock_mono (), give_up = quiet_since + 5000;
    while (zclock_mono () - quiet_since < 300 && zclock_mono () < give_up) {
        int more = s_drain (member) + s_drain (stranger);
        answers += more;
        if (more)
            quiet_since = zclock_mono ();
        zclock_sleep (20);
    }
    printf ("%-40s %d\n", "mutated frames sent", sent);
    printf ("%-40s %d\n", "answers to them", answers);
    zsock_destroy (&member);
    zsock_destroy (&stranger);
}

//  ---------------------------------------------------------------------
//  The catalogue

//  Sends each broken input in turn and prints the code it got; large is
//  the size of the oversized message.
static void
s_catalogue (const char *gateway, size_t large)
{
    zsock_t *dealer = s_dealer (gateway, "probe");
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
    s_print ("frame nested 9,000 deep before hello", s_probe (dealer, s_deep_frame (9000)));

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
    s_print ("frame nested 9,000 deep after hello", s_probe (dealer, s_deep_frame (9000)));

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

    egov_string_set (&envelope->correlation_id, "\xD0\x9A\xD0");
    s_print ("sync request with text not UTF-8", s_probe (dealer, s_frame_msg (&frame)));
    egov_string_set (&envelope->correlation_id, envelope->message_id);
    s_print ("envelope with a field numbered 0", s_probe (dealer, s_field_zero_frame ()));

    Egov__Shep__ClockSet clock_set = EGOV__SHEP__CLOCK_SET__INIT;
    clock_set.set_sim_ms = INT64_MAX - 1000;
    frame.body_case = EGOV__SHEP__FRAME__BODY_CLOCK_SET;
    frame.clock_set = &clock_set;
    s_print ("clock set past the year 9999", s_probe (dealer, s_frame_msg (&frame)));
    clock_set.set_sim_ms = 0;
    clock_set.advance_ms = INT64_MAX;
    s_print ("clock advanced past the year 9999", s_probe (dealer, s_frame_msg (&frame)));

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

    s_probe_batch (gateway);
    s_probe_order (gateway);
    s_probe_trust (gateway);
}

int
main (int argc, char *argv [])
{
    zsys_init ();
    const char *gateway;
    if (argc > 2 && streq (argv [1], "--mutate")) {
        gateway = argc > 3 ? argv [3] : egov_env ("EGOV_GATEWAY", SHEP_DEFAULT_ENDPOINT);
        s_mutate_all (gateway, atoi (argv [2]), argc > 4 ? strtoull (argv [4], NULL, 10) : 0);
    }
    else {
        gateway = argc > 1 ? argv [1] : egov_env ("EGOV_GATEWAY", SHEP_DEFAULT_ENDPOINT);
        s_catalogue (gateway, argc > 2 ? (size_t) atol (argv [2]) : 2 * 1024 * 1024);
    }
    //  After all that, a well-formed participant is served as usual
    bool served = s_served (gateway, "probe-after");
    printf ("%-40s %s\n", "well-formed query afterwards", served ? "ANSWERED" : "NO_ANSWER");
    return served && s_missing == 0 ? 0 : 1;
}
