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

//  ---------------------------------------------------------------------
//  JSON to the wire format

static void
s_varint (zchunk_t *out, uint64_t value)
{
    uint8_t bytes [10];
    size_t used = 0;
    do {
        bytes [used] = (uint8_t) (value & 0x7f);
        value >>= 7;
        if (value)
            bytes [used] |= 0x80;
        used++;
    } while (value);
    zchunk_extend (out, bytes, used);
}

static void
s_fixed (zchunk_t *out, uint64_t value, size_t size)
{
    uint8_t bytes [8];
    for (size_t index = 0; index < size; index++)
        bytes [index] = (uint8_t) (value >> (8 * index));
    zchunk_extend (out, bytes, size);
}

//  The integer in value, within minimum and maximum; false when not.
static bool
s_integer (json_t *value, int64_t minimum, int64_t maximum, int64_t *out)
{
    if (!json_is_integer (value))
        return false;
    *out = json_integer_value (value);
    return *out >= minimum && *out <= maximum;
}

//  Appends one value of field; -1 with problem.
static int
s_pack_value (const ProtobufCFieldDescriptor *field, json_t *value, zchunk_t *out,
              const char *path, char *problem, size_t size)
{
    int64_t number = 0;
    uint32_t key = field->id << 3;
    switch (field->type) {
        case PROTOBUF_C_TYPE_BOOL:
            if (!json_is_boolean (value))
                break;
            s_varint (out, key);
            s_varint (out, json_is_true (value));
            return 0;
        case PROTOBUF_C_TYPE_INT32:
            if (!s_integer (value, INT32_MIN, INT32_MAX, &number))
                break;
            s_varint (out, key);
            s_varint (out, (uint64_t) number);      //  negative: ten bytes, as protobuf wants
            return 0;
        case PROTOBUF_C_TYPE_INT64:
            if (!s_integer (value, INT64_MIN, INT64_MAX, &number))
                break;
            s_varint (out, key);
            s_varint (out, (uint64_t) number);
            return 0;
        case PROTOBUF_C_TYPE_UINT32:
            if (!s_integer (value, 0, UINT32_MAX, &number))
                break;
            s_varint (out, key);
            s_varint (out, (uint64_t) number);
            return 0;
        case PROTOBUF_C_TYPE_UINT64:
            if (!s_integer (value, 0, INT64_MAX, &number))
                break;
            s_varint (out, key);
            s_varint (out, (uint64_t) number);
            return 0;
        case PROTOBUF_C_TYPE_SINT32: case PROTOBUF_C_TYPE_SINT64:
            if (!s_integer (value, field->type == PROTOBUF_C_TYPE_SINT32 ? INT32_MIN : INT64_MIN,
                            field->type == PROTOBUF_C_TYPE_SINT32 ? INT32_MAX : INT64_MAX, &number))
                break;
            s_varint (out, key);
            s_varint (out, ((uint64_t) number << 1) ^ (uint64_t) (number >> 63));
            return 0;
        case PROTOBUF_C_TYPE_FIXED32: case PROTOBUF_C_TYPE_SFIXED32:
            if (!s_integer (value, field->type == PROTOBUF_C_TYPE_FIXED32 ? 0 : INT32_MIN,
                            field->type == PROTOBUF_C_TYPE_FIXED32 ? UINT32_MAX : INT32_MAX, &number))
                break;
            s_varint (out, key | 5);
            s_fixed (out, (uint64_t) number, 4);
            return 0;
        case PROTOBUF_C_TYPE_FIXED64: case PROTOBUF_C_TYPE_SFIXED64:
            if (!s_integer (value, field->type == PROTOBUF_C_TYPE_FIXED64 ? 0 : INT64_MIN, INT64_MAX, &number))
                break;
            s_varint (out, key | 1);
            s_fixed (out, (uint64_t) number, 8);
            return 0;
        case PROTOBUF_C_TYPE_FLOAT: {
            if (!json_is_number (value))
                break;
            float real = (float) json_number_value (value);
            uint32_t bits;
            memcpy (&bits, &real, sizeof (bits));
            s_varint (out, key | 5);
            s_fixed (out, bits, 4);
            return 0;
        }
        case PROTOBUF_C_TYPE_DOUBLE: {
            if (!json_is_number (value))
                break;
            double real = json_number_value (value);
            uint64_t bits;
            memcpy (&bits, &real, sizeof (bits));
            s_varint (out, key | 1);
            s_fixed (out, bits, 8);
            return 0;
        }
        case PROTOBUF_C_TYPE_ENUM: {
            const ProtobufCEnumValue *named = json_is_string (value)
                ? protobuf_c_enum_descriptor_get_value_by_name (field->descriptor, json_string_value (value))
                : NULL;
            if (named)
                number = named->value;
            else
            if (!s_integer (value, INT32_MIN, INT32_MAX, &number))
                break;
            s_varint (out, key);
            s_varint (out, (uint64_t) number);
            return 0;
        }
        case PROTOBUF_C_TYPE_STRING:
            if (!json_is_string (value))
                break;
            s_varint (out, key | 2);
            s_varint (out, json_string_length (value));
            zchunk_extend (out, json_string_value (value), json_string_length (value));
            return 0;
        case PROTOBUF_C_TYPE_BYTES: {
            const char *hex = json_string_value (value);
            size_t length = hex ? strlen (hex) : 0;
            if (!hex || length % 2 || strspn (hex, "0123456789abcdefABCDEF") != length)
                break;
            s_varint (out, key | 2);
            s_varint (out, length / 2);
            for (size_t index = 0; index < length; index += 2) {
                char pair [3] = { hex [index], hex [index + 1], 0 };
                uint8_t byte = (uint8_t) strtoul (pair, NULL, 16);
                zchunk_extend (out, &byte, 1);
            }
            return 0;
        }
        case PROTOBUF_C_TYPE_MESSAGE: {
            if (!json_is_object (value))
                break;
            zchunk_t *inner = zchunk_new (NULL, 64);
            int rc = egovctl_json_pack ((const ProtobufCMessageDescriptor *) field->descriptor, value,
                                        inner, problem, size);
            if (rc == 0) {
                s_varint (out, key | 2);
                s_varint (out, zchunk_size (inner));
                zchunk_extend (out, zchunk_data (inner), zchunk_size (inner));
            }
            zchunk_destroy (&inner);
            return rc;
        }
    }
    snprintf (problem, size, "%s is not a %s", path,
              field->type == PROTOBUF_C_TYPE_STRING ? "string"
            : field->type == PROTOBUF_C_TYPE_BYTES ? "hex string"
            : field->type == PROTOBUF_C_TYPE_BOOL ? "boolean"
            : field->type == PROTOBUF_C_TYPE_ENUM ? "value of its enum"
            : field->type == PROTOBUF_C_TYPE_MESSAGE ? "JSON object" : "number in range");
    return -1;
}

int
egovctl_json_pack (const ProtobufCMessageDescriptor *descriptor, json_t *object, zchunk_t *out,
                   char *problem, size_t size)
{
    if (!json_is_object (object)) {
        snprintf (problem, size, "a %s is a JSON object", descriptor->name);
        return -1;
    }
    const char *key;
    json_t *value;
    json_object_foreach (object, key, value) {
        const ProtobufCFieldDescriptor *field = protobuf_c_message_descriptor_get_field_by_name (descriptor, key);
        if (!field) {
            snprintf (problem, size, "%s has no field \"%.64s\"", descriptor->name, key);
            return -1;
        }
        if (json_is_null (value))
            continue;
        char path [160];
        snprintf (path, sizeof (path), "%s.%s", descriptor->short_name, key);
        if (field->label == PROTOBUF_C_LABEL_REPEATED) {
            if (!json_is_array (value)) {
                snprintf (problem, size, "%s is a JSON array", path);
                return -1;
            }
            size_t index;
            json_t *item;
            json_array_foreach (value, index, item)
                if (s_pack_value (field, item, out, path, problem, size))
                    return -1;
        }
        else
        if (s_pack_value (field, value, out, path, problem, size))
            return -1;
    }
    return 0;
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
