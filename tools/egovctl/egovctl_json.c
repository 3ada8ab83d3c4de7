/*  egovctl_json — protobuf to JSON for egovctl --json. protobuf-c has no
    JSON of its own, so this walks a message's descriptor: every field by
    its proto name, repeated fields as arrays, oneofs only when set.     */
#include "egovctl.h"
#include "egovctl_json.h"
#include "egov_proto.h"

json_t *
egovctl_json_text (const char *text)
{
    json_t *string = json_string (text ? text : "");
    if (string)
        return string;
    char *ascii = strdup (text);
    assert (ascii);
    for (char *cursor = ascii; *cursor; cursor++)
        if ((unsigned char) *cursor > 127)
            *cursor = '?';
    string = json_string (ascii);
    free (ascii);
    return string;
}

char *
egovctl_hex (const uint8_t *bytes, size_t size)
{
    char *text = malloc (size * 2 + 1);
    assert (text);
    for (size_t index = 0; index < size; index++)
        snprintf (text + index * 2, 3, "%02x", bytes [index]);
    text [size * 2] = 0;
    return text;
}

//  One value of a field; enums by name, bytes as hex.
static json_t *
s_value (const ProtobufCFieldDescriptor *field, const void *member)
{
    switch (field->type) {
        case PROTOBUF_C_TYPE_STRING:
            return egovctl_json_text (*(char * const *) member);
        case PROTOBUF_C_TYPE_BOOL:
            return json_boolean (*(const protobuf_c_boolean *) member);
        case PROTOBUF_C_TYPE_INT32: case PROTOBUF_C_TYPE_SINT32: case PROTOBUF_C_TYPE_SFIXED32:
            return json_integer (*(const int32_t *) member);
        case PROTOBUF_C_TYPE_UINT32: case PROTOBUF_C_TYPE_FIXED32:
            return json_integer (*(const uint32_t *) member);
        case PROTOBUF_C_TYPE_INT64: case PROTOBUF_C_TYPE_SINT64: case PROTOBUF_C_TYPE_SFIXED64:
            return json_integer (*(const int64_t *) member);
        case PROTOBUF_C_TYPE_UINT64: case PROTOBUF_C_TYPE_FIXED64:
            return json_integer ((json_int_t) *(const uint64_t *) member);
        case PROTOBUF_C_TYPE_FLOAT:
            return json_real (*(const float *) member);
        case PROTOBUF_C_TYPE_DOUBLE:
            return json_real (*(const double *) member);
        case PROTOBUF_C_TYPE_ENUM: {
            int value = *(const int *) member;
            const ProtobufCEnumValue *name =
                protobuf_c_enum_descriptor_get_value (field->descriptor, value);
            return name ? json_string (name->name) : json_integer (value);
        }
        case PROTOBUF_C_TYPE_BYTES: {
            const ProtobufCBinaryData *bytes = member;
            char *hex = egovctl_hex (bytes->data, bytes->len);
            json_t *string = json_string (hex);
            free (hex);
            return string;
        }
        case PROTOBUF_C_TYPE_MESSAGE: {
            const ProtobufCMessage *child = *(ProtobufCMessage * const *) member;
            return child ? egovctl_json_message (child) : json_null ();
        }
    }
    return json_null ();
}

json_t *
egovctl_json_message (const ProtobufCMessage *message)
{
    json_t *object = json_object ();
    const ProtobufCMessageDescriptor *descriptor = message->descriptor;
    for (unsigned index = 0; index < descriptor->n_fields; index++) {
        const ProtobufCFieldDescriptor *field = descriptor->fields + index;
        const char *base = (const char *) message;
        if (field->flags & PROTOBUF_C_FIELD_FLAG_ONEOF
        &&  *(const uint32_t *) (base + field->quantifier_offset) != field->id)
            continue;
        json_t *value;
        if (field->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t count = *(const size_t *) (base + field->quantifier_offset);
            const char *items = *(char * const *) (base + field->offset);
            value = json_array ();
            for (size_t item = 0; item < count; item++)
                json_array_append_new (value, s_value (
                    field, items + item * egov_proto_element_size (field)));
        }
        else
        if (field->type == PROTOBUF_C_TYPE_MESSAGE
        &&  *(ProtobufCMessage * const *) (base + field->offset) == NULL)
            continue;           //  absent sub-message: leave the key out
        else
            value = s_value (field, base + field->offset);
        json_object_set_new (object, field->name, value);
    }
    return object;
}

int
egovctl_json_print (json_t *document, int exit_code)
{
    int rc = json_dumpf (document, stdout, JSON_INDENT (2) | JSON_PRESERVE_ORDER);
    json_decref (document);
    if (rc == 0)
        fputc ('\n', stdout);
    if (rc != 0 || fflush (stdout) != 0) {
        fprintf (stderr, "egovctl: cannot write output\n");
        return EGOVCTL_LOCAL_ERROR;
    }
    return exit_code;
}
