/*  egov_proto — the rules protobuf-c leaves to us, for any message.  */
#include "egov_proto.h"
#include "egov_util.h"
#include "shep.pb-c.h"
#include "registries.pb-c.h"
#include "queue.pb-c.h"
#include "applications.pb-c.h"

//  Deeper than this, egov_proto_depth stops following a chain of types and
//  calls it unbounded: no sane schema nests so far.
#define s_DEPTH_LIMIT 64

size_t
egov_proto_element_size (const ProtobufCFieldDescriptor *field)
{
    switch (field->type) {
        case PROTOBUF_C_TYPE_INT64: case PROTOBUF_C_TYPE_SINT64: case PROTOBUF_C_TYPE_SFIXED64:
        case PROTOBUF_C_TYPE_UINT64: case PROTOBUF_C_TYPE_FIXED64: case PROTOBUF_C_TYPE_DOUBLE:
            return 8;
        case PROTOBUF_C_TYPE_BOOL:
            return sizeof (protobuf_c_boolean);
        case PROTOBUF_C_TYPE_STRING: case PROTOBUF_C_TYPE_MESSAGE:
            return sizeof (void *);
        case PROTOBUF_C_TYPE_BYTES:
            return sizeof (ProtobufCBinaryData);
        default:
            return 4;
    }
}

bool
egov_utf8_valid (const char *text, size_t length)
{
    const unsigned char *bytes = (const unsigned char *) text;
    size_t index = 0;
    while (index < length) {
        unsigned char lead = bytes [index];
        if (lead < 0x80) {
            index++;
            continue;
        }
        //  Unicode's table of well-formed sequences: the lead byte gives the
        //  length and narrows the range of the byte after it
        size_t extra;
        unsigned char low = 0x80, high = 0xBF;
        if (lead >= 0xC2 && lead <= 0xDF)
            extra = 1;
        else
        if (lead == 0xE0) {
            extra = 2;
            low = 0xA0;                 //  no overlong forms
        }
        else
        if ((lead >= 0xE1 && lead <= 0xEC) || lead == 0xEE || lead == 0xEF)
            extra = 2;
        else
        if (lead == 0xED) {
            extra = 2;
            high = 0x9F;                //  no surrogates
        }
        else
        if (lead == 0xF0) {
            extra = 3;
            low = 0x90;                 //  no overlong forms
        }
        else
        if (lead >= 0xF1 && lead <= 0xF3)
            extra = 3;
        else
        if (lead == 0xF4) {
            extra = 3;
            high = 0x8F;                //  nothing past U+10FFFF
        }
        else
            return false;               //  a continuation byte, C0, C1 or F5..FF
        if (extra >= length - index)
            return false;               //  cut short
        if (bytes [index + 1] < low || bytes [index + 1] > high)
            return false;
        for (size_t next = 2; next <= extra; next++)
            if ((bytes [index + next] & 0xC0) != 0x80)
                return false;
        index += extra + 1;
    }
    return true;
}

//  Appends a field's name (".name", or "name[element]" for a repeated one)
//  to path at used; returns the new end, which stays inside the buffer.
static size_t
s_path_push (char *path, size_t size, size_t used, const char *name, bool repeated, size_t element)
{
    if (!path || used + 1 >= size)
        return used;
    int written = repeated
        ? snprintf (path + used, size - used, "%s%s[%zu]", used ? "." : "", name, element)
        : snprintf (path + used, size - used, "%s%s", used ? "." : "", name);
    if (written < 0)
        return used;
    return used + (size_t) written < size ? used + (size_t) written : size - 1;
}

//  Takes path back to its first used bytes.
static void
s_path_cut (char *path, size_t size, size_t used)
{
    if (path && used < size)
        path [used] = 0;
}

//  Checks one string value.
static egov_proto_fault_t
s_check_string (const char *text, size_t max_length)
{
    size_t length = strlen (text);
    if (!egov_utf8_valid (text, length))
        return EGOV_PROTO_NOT_UTF8;
    if (max_length && length > max_length)
        return EGOV_PROTO_TOO_LONG;
    return EGOV_PROTO_VALID;
}

//  Checks message and everything it holds; path holds the names down to
//  message in its first used bytes.
static egov_proto_fault_t
s_check_message (const ProtobufCMessage *message, size_t max_length,
                 char *path, size_t size, size_t used)
{
    const ProtobufCMessageDescriptor *descriptor = message->descriptor;
    for (unsigned index = 0; index < message->n_unknown_fields; index++)
        if (message->unknown_fields [index].tag == 0) {
            if (used == 0)
                s_path_push (path, size, 0, descriptor->name, false, 0);
            return EGOV_PROTO_FIELD_ZERO;
        }
    const char *base = (const char *) message;
    for (unsigned index = 0; index < descriptor->n_fields; index++) {
        const ProtobufCFieldDescriptor *field = descriptor->fields + index;
        if (field->type != PROTOBUF_C_TYPE_STRING && field->type != PROTOBUF_C_TYPE_MESSAGE)
            continue;
        //  The members of a oneof share their memory: only the set one is real
        if ((field->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
        &&  *(const uint32_t *) (base + field->quantifier_offset) != field->id)
            continue;
        bool repeated = field->label == PROTOBUF_C_LABEL_REPEATED;
        size_t count = repeated ? *(const size_t *) (base + field->quantifier_offset) : 1;
        const void * const *values = repeated ? *(const void * const * const *) (base + field->offset)
                                              : (const void * const *) (base + field->offset);
        for (size_t element = 0; values && element < count; element++) {
            const void *value = values [element];
            if (!value)
                continue;
            size_t end = s_path_push (path, size, used, field->name, repeated, element);
            egov_proto_fault_t fault = field->type == PROTOBUF_C_TYPE_STRING
                ? s_check_string ((const char *) value, max_length)
                : s_check_message ((const ProtobufCMessage *) value, max_length, path, size, end);
            if (fault != EGOV_PROTO_VALID)
                return fault;
            s_path_cut (path, size, used);
        }
    }
    return EGOV_PROTO_VALID;
}

//  Walks once without a path: naming fields costs a formatted print per
//  field, and every frame that crosses a socket is checked while nearly none
//  is at fault. Only a fault walks again to name where it is.
egov_proto_fault_t
egov_proto_check (const ProtobufCMessage *message, size_t max_length,
                  char *path, size_t path_size)
{
    s_path_cut (path, path_size, 0);
    if (!message)
        return EGOV_PROTO_VALID;
    egov_proto_fault_t fault = s_check_message (message, max_length, NULL, 0, 0);
    if (fault != EGOV_PROTO_VALID && path)
        fault = s_check_message (message, max_length, path, path_size, 0);
    return fault;
}

const char *
egov_proto_fault_text (egov_proto_fault_t fault)
{
    switch (fault) {
        case EGOV_PROTO_VALID:
            return "is valid";
        case EGOV_PROTO_NOT_UTF8:
            return "is not valid UTF-8";
        case EGOV_PROTO_TOO_LONG:
            return "is longer than allowed";
        case EGOV_PROTO_FIELD_ZERO:
            return "holds a field numbered 0";
    }
    return "is invalid";
}

//  Depth of descriptor's type below the chain of types in stack; -1 when
//  the type is already on the chain (it contains itself).
static int
s_depth (const ProtobufCMessageDescriptor *descriptor,
         const ProtobufCMessageDescriptor **stack, int height)
{
    for (int index = 0; index < height; index++)
        if (stack [index] == descriptor)
            return -1;
    if (height == s_DEPTH_LIMIT)
        return -1;
    stack [height] = descriptor;
    int deepest = 0;
    for (unsigned index = 0; index < descriptor->n_fields; index++) {
        const ProtobufCFieldDescriptor *field = descriptor->fields + index;
        if (field->type != PROTOBUF_C_TYPE_MESSAGE)
            continue;
        int depth = s_depth ((const ProtobufCMessageDescriptor *) field->descriptor, stack, height + 1);
        if (depth < 0)
            return -1;
        if (depth > deepest)
            deepest = depth;
    }
    return deepest + 1;
}

int
egov_proto_depth (const ProtobufCMessageDescriptor *descriptor)
{
    const ProtobufCMessageDescriptor *stack [s_DEPTH_LIMIT];
    return s_depth (descriptor, stack, 0);
}

//  Looks for full_name in descriptor and the message types of its fields,
//  depth first (the types do not nest in themselves: egov_proto_depth).
static const ProtobufCMessageDescriptor *
s_find (const ProtobufCMessageDescriptor *descriptor, const char *full_name, int depth)
{
    if (streq (descriptor->name, full_name))
        return descriptor;
    if (depth > 32)
        return NULL;
    for (unsigned index = 0; index < descriptor->n_fields; index++) {
        const ProtobufCFieldDescriptor *field = &descriptor->fields [index];
        if (field->type != PROTOBUF_C_TYPE_MESSAGE)
            continue;
        const ProtobufCMessageDescriptor *found =
            s_find ((const ProtobufCMessageDescriptor *) field->descriptor, full_name, depth + 1);
        if (found)
            return found;
    }
    return NULL;
}

const ProtobufCMessageDescriptor *
egov_proto_find (const char *full_name)
{
    //  Every type is a payload, a frame, or inside one of them
    static const ProtobufCMessageDescriptor *roots [] = {
        &egov__shep__frame__descriptor,
        &egov__applications__application__descriptor,
        &egov__applications__registered_application__descriptor,
        &egov__applications__status_notice__descriptor,
        &egov__applications__result__descriptor,
        &egov__applications__result_movement__descriptor,
        &egov__registries__person_request__descriptor,
        &egov__registries__person_response__descriptor,
        &egov__registries__poa_request__descriptor,
        &egov__registries__poa_response__descriptor,
        &egov__queue__enqueue_request__descriptor,
        &egov__queue__enqueue_response__descriptor,
        &egov__queue__entry_request__descriptor,
        &egov__queue__entry_response__descriptor,
        &egov__queue__list_request__descriptor,
        &egov__queue__list_response__descriptor,
        &egov__queue__release_request__descriptor,
        &egov__queue__release_response__descriptor,
        &egov__queue__referral__descriptor,
    };
    for (size_t index = 0; full_name && index < sizeof (roots) / sizeof (roots [0]); index++) {
        const ProtobufCMessageDescriptor *found = s_find (roots [index], full_name, 0);
        if (found)
            return found;
    }
    return NULL;
}

void
egov_proto_test (bool verbose)
{
    if (verbose)
        printf (" * egov_proto: ");

    //  Types by their full names
    assert (egov_proto_find ("egov.applications.Result") == &egov__applications__result__descriptor);
    assert (egov_proto_find ("egov.registries.Address") == &egov__registries__address__descriptor);
    assert (egov_proto_find ("egov.ErrorInfo") == &egov__error_info__descriptor);
    assert (egov_proto_find ("egov.shep.Fault") == &egov__shep__fault__descriptor);
    assert (!egov_proto_find ("egov.Nothing") && !egov_proto_find (NULL));

    //  UTF-8 as PostgreSQL takes it
    assert (egov_utf8_valid ("", 0));
    assert (egov_utf8_valid ("plain ascii", 11));
    const char *kazakh = "Әлихан Бөкейхан";
    assert (egov_utf8_valid (kazakh, strlen (kazakh)));
    assert (egov_utf8_valid ("\xF0\x9F\x98\x80", 4));           //  U+1F600
    assert (egov_utf8_valid ("\xF4\x8F\xBF\xBF", 4));           //  U+10FFFF, the last
    assert (egov_utf8_valid ("\xEF\xBF\xBF", 3));               //  U+FFFF
    assert (!egov_utf8_valid ("\xFF", 1));
    assert (!egov_utf8_valid ("\x80", 1));                      //  a lone continuation
    assert (!egov_utf8_valid ("\xC0\xAF", 2));                  //  overlong '/'
    assert (!egov_utf8_valid ("\xE0\x80\xAF", 3));              //  overlong '/'
    assert (!egov_utf8_valid ("\xF0\x80\x80\xAF", 4));          //  overlong '/'
    assert (!egov_utf8_valid ("\xED\xA0\x80", 3));              //  a surrogate
    assert (!egov_utf8_valid ("\xF4\x90\x80\x80", 4));          //  past U+10FFFF
    assert (!egov_utf8_valid ("\xF5\x80\x80\x80", 4));
    assert (!egov_utf8_valid ("\xD0", 1));                      //  cut short
    assert (!egov_utf8_valid ("\xE2\x82", 2));
    assert (!egov_utf8_valid ("\xD0\x41", 2));                  //  not a continuation
    assert (!egov_utf8_valid ("ok\xE2\x82\xAC\xE2\x82", 7));    //  good, then cut short

    //  A valid frame passes; a bad string is named by its path
    Egov__Envelope *envelope = egov_envelope_new ("gbdfl.person", EGOV__MESSAGE_TYPE__REQUEST);
    egov_envelope_add_property (envelope, "channel", "intake");
    egov_envelope_set_error (envelope, "OUTER", "Қате");
    Egov__ErrorCause cause = EGOV__ERROR_CAUSE__INIT;
    cause.code = "INNER";
    envelope->error->sub_error = &cause;
    Egov__Shep__SyncRequest request = EGOV__SHEP__SYNC_REQUEST__INIT;
    request.envelope = envelope;
    Egov__Shep__Frame frame = EGOV__SHEP__FRAME__INIT;
    frame.body_case = EGOV__SHEP__FRAME__BODY_SYNC_REQUEST;
    frame.sync_request = &request;
    char path [128];
    assert (egov_proto_check (&frame.base, 0, path, sizeof (path)) == EGOV_PROTO_VALID);
    assert (streq (path, ""));

    egov_string_set (&envelope->correlation_id, "caf\xC3");
    assert (egov_proto_check (&frame.base, 0, path, sizeof (path)) == EGOV_PROTO_NOT_UTF8);
    assert (streq (path, "sync_request.envelope.correlation_id"));
    assert (streq (egov_proto_fault_text (EGOV_PROTO_NOT_UTF8), "is not valid UTF-8"));
    egov_string_set (&envelope->correlation_id, envelope->message_id);

    cause.message = "\xED\xA0\x80";
    assert (egov_proto_check (&frame.base, 0, path, sizeof (path)) == EGOV_PROTO_NOT_UTF8);
    assert (streq (path, "sync_request.envelope.error.sub_error.message"));
    cause.message = "";
    envelope->error->sub_error = NULL;

    egov_envelope_add_property (envelope, "note", "\xFF");
    assert (egov_proto_check (&frame.base, 0, path, sizeof (path)) == EGOV_PROTO_NOT_UTF8);
    assert (streq (path, "sync_request.envelope.properties[1].value"));
    //  A path longer than its buffer is cut, never overrun
    char small [12];
    assert (egov_proto_check (&frame.base, 0, small, sizeof (small)) == EGOV_PROTO_NOT_UTF8);
    assert (streq (small, "sync_reques"));
    assert (egov_proto_check (&frame.base, 0, NULL, 0) == EGOV_PROTO_NOT_UTF8);
    egov_string_set (&envelope->properties [1]->value, "fine");

    //  The bound on length, when one is asked for
    assert (egov_proto_check (&frame.base, 36, path, sizeof (path)) == EGOV_PROTO_VALID);
    assert (egov_proto_check (&frame.base, 35, path, sizeof (path)) == EGOV_PROTO_TOO_LONG);
    assert (streq (path, "sync_request.envelope.message_id"));

    //  Only the set member of a oneof is read: the others share its memory
    char *services [] = { "gbdfl.person", "\xC0" };
    Egov__Shep__Hello hello = EGOV__SHEP__HELLO__INIT;
    hello.participant_id = "gbdfl";
    hello.services = services;
    hello.n_services = 2;
    frame.body_case = EGOV__SHEP__FRAME__BODY_HELLO;
    frame.hello = &hello;
    assert (egov_proto_check (&frame.base, 0, path, sizeof (path)) == EGOV_PROTO_NOT_UTF8);
    assert (streq (path, "hello.services[1]"));
    hello.n_services = 1;
    assert (egov_proto_check (&frame.base, 0, path, sizeof (path)) == EGOV_PROTO_VALID);
    hello.n_services = 2;
    frame.body_case = EGOV__SHEP__FRAME__BODY__NOT_SET;      //  the hello is no member now
    assert (egov_proto_check (&frame.base, 0, path, sizeof (path)) == EGOV_PROTO_VALID);
    assert (egov_proto_check (NULL, 0, path, sizeof (path)) == EGOV_PROTO_VALID);
    egov__envelope__free_unpacked (envelope, NULL);

    //  A decoded message is checked the same way
    Egov__Registries__PowerOfAttorney poa = EGOV__REGISTRIES__POWER_OF_ATTORNEY__INIT;
    char *covered [] = { "externat-permit", "bad\xE2\x82" };
    poa.services = covered;
    poa.n_services = 2;
    size_t size = egov__registries__power_of_attorney__get_packed_size (&poa);
    uint8_t *packed = malloc (size);
    assert (packed);
    egov__registries__power_of_attorney__pack (&poa, packed);
    Egov__Registries__PowerOfAttorney *decoded =
        egov__registries__power_of_attorney__unpack (NULL, size, packed);
    assert (decoded);
    assert (egov_proto_check (&decoded->base, 0, path, sizeof (path)) == EGOV_PROTO_NOT_UTF8);
    assert (streq (path, "services[1]"));
    egov__registries__power_of_attorney__free_unpacked (decoded, NULL);
    free (packed);

    //  A field numbered 0 (its tag padded to two bytes, as protobuf-c takes
    //  it) is refused wherever it hides: packed again it would not decode
    uint8_t zero_top [] = { 0x80, 0x00, 0x13 };
    uint8_t zero_inside [] = { 0x92, 0x01, 0x03, 0x80, 0x00, 0x60 };
    Egov__Shep__Frame *odd = egov__shep__frame__unpack (NULL, sizeof (zero_top), zero_top);
    assert (odd);
    assert (egov_proto_check (&odd->base, 0, path, sizeof (path)) == EGOV_PROTO_FIELD_ZERO);
    assert (streq (path, "egov.shep.Frame"));
    egov__shep__frame__free_unpacked (odd, NULL);
    odd = egov__shep__frame__unpack (NULL, sizeof (zero_inside), zero_inside);
    assert (odd && odd->body_case == EGOV__SHEP__FRAME__BODY_PARTICIPANTS_QUERY);
    assert (egov_proto_check (&odd->base, 0, path, sizeof (path)) == EGOV_PROTO_FIELD_ZERO);
    assert (streq (path, "participants_query"));
    assert (streq (egov_proto_fault_text (EGOV_PROTO_FIELD_ZERO), "holds a field numbered 0"));
    uint8_t repacked [8];
    size_t repacked_size = egov__shep__frame__pack (odd, repacked);
    assert (egov__shep__frame__unpack (NULL, repacked_size, repacked) == NULL);
    egov__shep__frame__free_unpacked (odd, NULL);

    //  No type we decode from the wire contains itself: each nests only so deep
    const ProtobufCMessageDescriptor *wire [] = {
        &egov__shep__frame__descriptor, &egov__envelope__descriptor, &egov__error_info__descriptor,
        &egov__registries__person_request__descriptor, &egov__registries__person_response__descriptor,
        &egov__registries__poa_request__descriptor, &egov__registries__poa_response__descriptor,
        &egov__applications__application__descriptor, &egov__applications__registered_application__descriptor,
        &egov__applications__status_notice__descriptor, &egov__applications__result__descriptor,
        &egov__applications__result_movement__descriptor
    };
    for (size_t index = 0; index < sizeof (wire) / sizeof (wire [0]); index++) {
        int depth = egov_proto_depth (wire [index]);
        if (verbose && (depth < 1 || depth > 8))
            printf ("%s nests %d deep ", wire [index]->name, depth);
        assert (depth >= 1 && depth <= 8);
    }
    //  Frame > sync_request > envelope > error > sub_error
    assert (egov_proto_depth (&egov__shep__frame__descriptor) == 5);
    assert (egov_proto_depth (&egov__error_info__descriptor) == 2);
    assert (egov_proto_depth (&egov__error_cause__descriptor) == 1);

    //  A type that contains itself is caught, directly or through another
    ProtobufCFieldDescriptor inner_field = { 0 }, outer_field = { 0 };
    ProtobufCMessageDescriptor inner = { 0 }, outer = { 0 };
    inner_field.name = "outer";
    inner_field.type = PROTOBUF_C_TYPE_MESSAGE;
    inner_field.descriptor = &outer;
    inner.name = "Inner";
    inner.n_fields = 1;
    inner.fields = &inner_field;
    outer_field.name = "inner";
    outer_field.type = PROTOBUF_C_TYPE_MESSAGE;
    outer_field.descriptor = &inner;
    outer.name = "Outer";
    outer.n_fields = 1;
    outer.fields = &outer_field;
    assert (egov_proto_depth (&outer) == -1);
    inner.n_fields = 0;
    assert (egov_proto_depth (&outer) == 2);
    inner_field.descriptor = &inner;
    inner.n_fields = 1;
    assert (egov_proto_depth (&inner) == -1);

    //  Nesting sent by an old or hostile sender decodes without recursing:
    //  the cause's field 3 is an unknown field, skipped as bytes
    size_t levels = 9000, capacity = levels * 4;
    uint8_t *deep = malloc (capacity);
    assert (deep);
    size_t start = capacity;            //  built from the inside out, at the end
    for (size_t level = 0; level < levels; level++) {
        //  Wraps what is there in field 3: tag, length (varint), body
        uint8_t head [6];
        size_t head_size = 0, length = capacity - start;
        head [head_size++] = 0x1a;
        do {
            head [head_size++] = (uint8_t) ((length & 0x7f) | (length >= 0x80 ? 0x80 : 0));
            length >>= 7;
        } while (length);
        start -= head_size;
        memcpy (deep + start, head, head_size);
    }
    Egov__ErrorInfo *info = egov__error_info__unpack (NULL, capacity - start, deep + start);
    assert (info && info->sub_error);
    assert (streq (info->sub_error->code, ""));
    egov__error_info__free_unpacked (info, NULL);
    free (deep);

    if (verbose)
        printf ("OK\n");
}
