/*  egov_util — time, ids, environment, protobuf packing, errors.  */
#include "egov_util.h"
#include "egov_clock.h"
#include "egov_proto.h"
#include <sys/time.h>
#include <stdarg.h>
#include <unistd.h>
#include <pthread.h>
#include <sodium.h>

void
egov_error_set (egov_error_t *error, const char *code, const char *format, ...)
{
    if (!error)
        return;
    memset (error, 0, sizeof (*error));
    snprintf (error->code, sizeof (error->code), "%s", code);
    va_list args;
    va_start (args, format);
    vsnprintf (error->message, sizeof (error->message), format, args);
    va_end (args);
}

void
egov_error_from_info (egov_error_t *error, const Egov__ErrorInfo *info)
{
    if (!error || !info)
        return;
    memset (error, 0, sizeof (*error));
    snprintf (error->code, sizeof (error->code), "%s", info->code);
    snprintf (error->message, sizeof (error->message), "%s", info->message);
    if (info->sub_error) {
        snprintf (error->sub_code, sizeof (error->sub_code), "%s", info->sub_error->code);
        snprintf (error->sub_message, sizeof (error->sub_message), "%s", info->sub_error->message);
    }
}

Egov__ErrorInfo *
egov_error_info_new (const char *code, const char *message)
{
    Egov__ErrorInfo *info = malloc (sizeof (Egov__ErrorInfo));
    assert (info);
    egov__error_info__init (info);
    info->code = strdup (code);
    info->message = strdup (message ? message : "");
    assert (info->code && info->message);
    return info;
}

int64_t
egov_now_ms (void)
{
    return egov_now_us () / 1000;
}

int64_t
egov_now_us (void)
{
    struct timeval now;
    gettimeofday (&now, NULL);
    return (int64_t) now.tv_sec * 1000000 + now.tv_usec;
}

static pthread_once_t s_sodium_once = PTHREAD_ONCE_INIT;

static void
s_sodium_init (void)
{
    int rc = sodium_init ();
    assert (rc >= 0);
}

//  Every message gets one: from libsodium's generator, which costs a few
//  hundred nanoseconds, not from libuuid's (zuuid), which re-seeds random()
//  and asks the kernel on each call.
char *
egov_uuid_new (void)
{
    pthread_once (&s_sodium_once, s_sodium_init);
    uint8_t bytes [16];
    randombytes_buf (bytes, sizeof (bytes));
    bytes [6] = (uint8_t) ((bytes [6] & 0x0f) | 0x40);     //  version 4: random
    bytes [8] = (uint8_t) ((bytes [8] & 0x3f) | 0x80);     //  the RFC 4122 variant
    char *text = (char *) malloc (37);
    assert (text);
    static const char digits [] = "0123456789abcdef";
    size_t at = 0;
    for (int index = 0; index < 16; index++) {
        if (index == 4 || index == 6 || index == 8 || index == 10)
            text [at++] = '-';
        text [at++] = digits [bytes [index] >> 4];
        text [at++] = digits [bytes [index] & 0x0f];
    }
    text [at] = 0;
    return text;
}

bool
egov_uuid_valid (const char *text)
{
    if (!text || strlen (text) != 36)
        return false;
    for (int index = 0; index < 36; index++) {
        bool dash = index == 8 || index == 13 || index == 18 || index == 23;
        if (dash ? text [index] != '-' : !isxdigit ((unsigned char) text [index]))
            return false;
    }
    return true;
}

char *
egov_file_read (const char *path, size_t max, size_t *size)
{
    assert (path);
    FILE *file = fopen (path, "rb");
    if (!file)
        return NULL;
    char *text = NULL;
    size_t length = 0, capacity = 0;
    bool ok = true;
    while (ok) {
        if (length == capacity) {
            capacity = capacity ? capacity * 2 : 4096;
            char *grown = (char *) realloc (text, capacity + 1);
            assert (grown);
            text = grown;
        }
        size_t got = fread (text + length, 1, capacity - length, file);
        length += got;
        if (length > max)
            ok = false;
        else
        if (got == 0) {
            ok = !ferror (file);
            break;
        }
    }
    fclose (file);
    if (!ok) {
        free (text);
        return NULL;
    }
    //  Kept as long as the caller likes: no spare room of the doubling
    char *fitted = (char *) realloc (text, length + 1);
    assert (fitted);
    text = fitted;
    text [length] = 0;
    if (size)
        *size = length;
    return text;
}

char *
egov_repo_path (const char *relative, char *out, size_t size)
{
    char executable [2048];
    ssize_t length = readlink ("/proc/self/exe", executable, sizeof (executable) - 1);
    if (length > 0) {
        executable [length] = 0;
        char *slash = strrchr (executable, '/');
        if (slash) {
            *slash = 0;
            char candidate [2300], resolved [PATH_MAX];
            snprintf (candidate, sizeof (candidate), "%s/../../../%s", executable, relative);
            if (realpath (candidate, resolved) && strlen (resolved) < size) {
                snprintf (out, size, "%s", resolved);
                return out;
            }
        }
    }
    snprintf (out, size, "%s", relative);
    return out;
}

char *
egov_markup_escape (const char *text)
{
    size_t length = 0;
    for (const unsigned char *c = (const unsigned char *) (text ? text : ""); *c; c++)
        length += *c == '&' ? 5 : *c == '<' || *c == '>' ? 4 : *c == '"' || *c == '\'' ? 6 : 1;
    char *out = (char *) malloc (length + 1);
    assert (out);
    char *cursor = out;
    for (const unsigned char *c = (const unsigned char *) (text ? text : ""); *c; c++) {
        const char *entity = *c == '&' ? "&amp;" : *c == '<' ? "&lt;" : *c == '>' ? "&gt;"
                           : *c == '"' ? "&quot;" : *c == '\'' ? "&apos;" : NULL;
        if (entity) {
            memcpy (cursor, entity, strlen (entity));
            cursor += strlen (entity);
        }
        else
            *cursor++ = *c < 0x20 && *c != '\t' && *c != '\n' && *c != '\r' ? '?' : (char) *c;
    }
    *cursor = 0;
    return out;
}

const char *
egov_env (const char *name, const char *fallback)
{
    const char *value = getenv (name);
    return value && *value ? value : fallback;
}

zframe_t *
egov_pb_frame (const ProtobufCMessage *message)
{
    size_t size = protobuf_c_message_get_packed_size (message);
    zframe_t *frame = zframe_new (NULL, size);
    assert (frame);
    protobuf_c_message_pack (message, zframe_data (frame));
    return frame;
}

Egov__Envelope *
egov_envelope_new (const char *service_id, Egov__MessageType type)
{
    Egov__Envelope *envelope = malloc (sizeof (Egov__Envelope));
    assert (envelope);
    egov__envelope__init (envelope);
    envelope->message_id = egov_uuid_new ();
    envelope->correlation_id = strdup (envelope->message_id);
    envelope->service_id = strdup (service_id ? service_id : "");
    assert (envelope->correlation_id && envelope->service_id);
    envelope->message_type = type;
    envelope->message_date = egov_now_ms ();
    envelope->sim_date = egov_clock_now_ms ();
    return envelope;
}

void
egov_string_set (char **field, const char *value)
{
    if (*field && *field != protobuf_c_empty_string)
        free (*field);
    *field = strdup (value ? value : "");
    assert (*field);
}

void
egov_envelope_set_payload (Egov__Envelope *envelope, const ProtobufCMessage *payload)
{
    free (envelope->payload.data);
    envelope->payload.len = protobuf_c_message_get_packed_size (payload);
    envelope->payload.data = malloc (envelope->payload.len ? envelope->payload.len : 1);
    assert (envelope->payload.data);
    protobuf_c_message_pack (payload, envelope->payload.data);
    egov_string_set (&envelope->payload_type, payload->descriptor->name);
}

void
egov_envelope_set_error (Egov__Envelope *envelope, const char *code, const char *message)
{
    if (envelope->error)
        egov__error_info__free_unpacked (envelope->error, NULL);
    envelope->error = egov_error_info_new (code, message);
}

void
egov_envelope_add_property (Egov__Envelope *envelope, const char *key, const char *value)
{
    Egov__Property *property = malloc (sizeof (Egov__Property));
    assert (property);
    egov__property__init (property);
    property->key = strdup (key);
    property->value = strdup (value);
    assert (property->key && property->value);
    Egov__Property **grown = realloc (envelope->properties,
        (envelope->n_properties + 1) * sizeof (Egov__Property *));
    assert (grown);
    envelope->properties = grown;
    envelope->properties [envelope->n_properties++] = property;
}

const char *
egov_envelope_property (const Egov__Envelope *envelope, const char *key)
{
    for (size_t index = 0; index < envelope->n_properties; index++)
        if (streq (envelope->properties [index]->key, key))
            return envelope->properties [index]->value;
    return NULL;
}

ProtobufCMessage *
egov_envelope_payload (const Egov__Envelope *envelope,
                       const ProtobufCMessageDescriptor *descriptor)
{
    if (!envelope->payload_type || !streq (envelope->payload_type, descriptor->name))
        return NULL;
    ProtobufCMessage *payload = protobuf_c_message_unpack (descriptor, NULL,
                                      envelope->payload.len, envelope->payload.data);
    //  Text that is not UTF-8 leaves a payload as undecodable as broken bytes
    if (payload && egov_proto_check (payload, 0, NULL, 0) != EGOV_PROTO_VALID) {
        protobuf_c_message_free_unpacked (payload, NULL);
        payload = NULL;
    }
    return payload;
}

Egov__Envelope *
egov_envelope_dup (const Egov__Envelope *envelope)
{
    size_t size = egov__envelope__get_packed_size (envelope);
    uint8_t *buffer = malloc (size ? size : 1);
    assert (buffer);
    egov__envelope__pack (envelope, buffer);
    Egov__Envelope *copy = egov__envelope__unpack (NULL, size, buffer);
    free (buffer);
    assert (copy);
    return copy;
}

const char *
egov_message_type_name (Egov__MessageType type)
{
    const ProtobufCEnumValue *value =
        protobuf_c_enum_descriptor_get_value (&egov__message_type__descriptor, type);
    return value ? value->name : "UNKNOWN";
}

const char *
egov_delivery_status_name (Egov__DeliveryStatus status)
{
    const ProtobufCEnumValue *value =
        protobuf_c_enum_descriptor_get_value (&egov__delivery_status__descriptor, status);
    return value ? value->name : "UNKNOWN";
}

void
egov_util_test (bool verbose)
{
    if (verbose)
        printf (" * egov_util: ");
    char *escaped = egov_markup_escape ("<a href=\"x\">Ақ & 'b'\x01</a>");
    assert (streq (escaped, "&lt;a href=&quot;x&quot;&gt;Ақ &amp; &apos;b&apos;?&lt;/a&gt;"));
    free (escaped);

    //  Files: whole, binary-safe, bounded
    char file [] = "/tmp/egov-util-test.XXXXXX";
    int handle = mkstemp (file);
    assert (handle >= 0);
    char content [10000];
    for (size_t index = 0; index < sizeof (content); index++)
        content [index] = (char) (index % 251);
    assert (write (handle, content, sizeof (content)) == (ssize_t) sizeof (content));
    close (handle);
    size_t read_size = 0;
    char *read_back = egov_file_read (file, sizeof (content), &read_size);
    assert (read_back && read_size == sizeof (content) && read_back [read_size] == 0);
    assert (memcmp (read_back, content, sizeof (content)) == 0);
    free (read_back);
    assert (!egov_file_read (file, sizeof (content) - 1, NULL));
    unlink (file);
    assert (!egov_file_read (file, sizeof (content), NULL));

    char *uuid = egov_uuid_new ();
    assert (egov_uuid_valid (uuid) && uuid [14] == '4' && strchr ("89ab", uuid [19]));
    char *other = egov_uuid_new ();
    assert (egov_uuid_valid (other) && !streq (uuid, other));
    free (other);
    assert (!egov_uuid_valid ("not-a-uuid"));
    assert (!egov_uuid_valid (NULL));
    uuid [8] = 'x';
    assert (!egov_uuid_valid (uuid));
    free (uuid);

    //  An envelope built by hand survives a round trip and frees cleanly
    Egov__Envelope *envelope = egov_envelope_new ("gbdfl.person", EGOV__MESSAGE_TYPE__REQUEST);
    egov_envelope_add_property (envelope, "channel", "intake");
    Egov__ErrorInfo cause = EGOV__ERROR_INFO__INIT;
    cause.code = "INNER";
    egov_envelope_set_payload (envelope, &cause.base);
    egov_envelope_set_error (envelope, "OUTER", "outer failure");
    Egov__Envelope *copy = egov_envelope_dup (envelope);
    assert (streq (copy->message_id, envelope->message_id));
    assert (streq (copy->correlation_id, envelope->message_id));
    assert (streq (egov_envelope_property (copy, "channel"), "intake"));
    assert (egov_envelope_property (copy, "missing") == NULL);
    assert (streq (copy->payload_type, "egov.ErrorInfo"));
    Egov__ErrorInfo *inner = (Egov__ErrorInfo *)
        egov_envelope_payload (copy, &egov__error_info__descriptor);
    assert (inner && streq (inner->code, "INNER"));
    protobuf_c_message_free_unpacked (&inner->base, NULL);
    assert (egov_envelope_payload (copy, &egov__envelope__descriptor) == NULL);
    cause.code = "INNER\xE2\x82";
    egov_envelope_set_payload (copy, &cause.base);
    assert (egov_envelope_payload (copy, &egov__error_info__descriptor) == NULL);
    egov_error_t error;
    egov_error_from_info (&error, copy->error);
    assert (streq (error.code, "OUTER"));
    assert (streq (egov_message_type_name (copy->message_type), "REQUEST"));
    assert (streq (egov_delivery_status_name (EGOV__DELIVERY_STATUS__DELIVERY_STOPPED),
                   "DELIVERY_STOPPED"));
    egov__envelope__free_unpacked (copy, NULL);
    egov__envelope__free_unpacked (envelope, NULL);

    //  Garbage is refused by the decoder, not trusted
    uint8_t garbage [] = { 0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x41 };
    assert (egov__envelope__unpack (NULL, sizeof (garbage), garbage) == NULL);

    egov_error_set (&error, "TIMEOUT", "no answer in %d ms", 250);
    assert (streq (error.code, "TIMEOUT"));
    assert (streq (error.message, "no answer in 250 ms"));

    if (verbose)
        printf ("OK\n");
}
