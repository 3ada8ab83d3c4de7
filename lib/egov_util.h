/*  egov_util — small helpers every service uses: time, ids, environment,
    protobuf packing and the error value passed between layers.           */
#ifndef EGOV_UTIL_H_INCLUDED
#define EGOV_UTIL_H_INCLUDED

#include <czmq.h>
#include <protobuf-c/protobuf-c.h>
#include "envelope.pb-c.h"

#ifdef __cplusplus
extern "C" {
#endif

//  An error crossing a function boundary: a stable code and a message for
//  people, with the cause's code and message when there is one.
typedef struct {
    char code [48];             //  stable code, e.g. NO_PROVIDER; "" when no error
    char message [256];         //  human-readable explanation
    char sub_code [48];         //  the cause's code, "" when none
    char sub_message [256];     //  the cause's message
} egov_error_t;

//  Sets code and printf-style message; clears the cause.
void egov_error_set (egov_error_t *error, const char *code, const char *format, ...)
    __attribute__ ((format (printf, 3, 4)));
//  Copies an ErrorInfo received over the wire (its first sub-error too).
void egov_error_from_info (egov_error_t *error, const Egov__ErrorInfo *info);
//  Builds a heap ErrorInfo (freed with egov__error_info__free_unpacked).
Egov__ErrorInfo *egov_error_info_new (const char *code, const char *message);

//  Wall clock, milliseconds / microseconds since the epoch.
int64_t egov_now_ms (void);
int64_t egov_now_us (void);

//  A fresh random UUID in canonical lower-case form; caller frees.
char *egov_uuid_new (void);
//  True when text is a canonical UUID (36 chars, hex and dashes).
bool egov_uuid_valid (const char *text);

//  A path inside the repository the running binary was built in (it lives
//  in build/<kind>/bin), e.g. "regulations"; falls back to the path relative
//  to the current directory. Returns out.
char *egov_repo_path (const char *relative, char *out, size_t size);

//  Reads a whole file of at most max bytes, NUL-terminated (binary files
//  too: *size, when size is not NULL, says how long). NULL when it cannot be
//  read or is larger than max. Caller frees.
char *egov_file_read (const char *path, size_t max, size_t *size);

//  getenv with a default.
const char *egov_env (const char *name, const char *fallback);
//  text for HTML or XML: & < > " ' as entities, control characters other
//  than tab and line breaks as '?' (XML cannot hold them); NULL as "".
//  Free the result.
char *egov_markup_escape (const char *text);

//  Packs a protobuf message into a new frame.
zframe_t *egov_pb_frame (const ProtobufCMessage *message);

//  Heap envelope with a fresh message id, message date and the given service
//  and type; free with egov__envelope__free_unpacked (envelope, NULL).
Egov__Envelope *egov_envelope_new (const char *service_id, Egov__MessageType type);
//  Replaces a string field of a heap message (frees the old value).
void egov_string_set (char **field, const char *value);
//  Packs payload into envelope->payload and names its type.
void egov_envelope_set_payload (Egov__Envelope *envelope, const ProtobufCMessage *payload);
//  Sets envelope->error (replacing any) from code and message.
void egov_envelope_set_error (Egov__Envelope *envelope, const char *code, const char *message);
//  Adds a key/value property.
void egov_envelope_add_property (Egov__Envelope *envelope, const char *key, const char *value);
//  Value of a property or NULL.
const char *egov_envelope_property (const Egov__Envelope *envelope, const char *key);
//  Unpacks the payload when its type is descriptor's and all its text is
//  UTF-8; NULL otherwise. Free with protobuf_c_message_free_unpacked.
ProtobufCMessage *egov_envelope_payload (const Egov__Envelope *envelope,
                                         const ProtobufCMessageDescriptor *descriptor);
//  Deep copy through pack/unpack; free with egov__envelope__free_unpacked.
Egov__Envelope *egov_envelope_dup (const Egov__Envelope *envelope);
//  Name of a message type, e.g. "REQUEST".
const char *egov_message_type_name (Egov__MessageType type);
//  Name of a delivery status, e.g. "DELIVERED".
const char *egov_delivery_status_name (Egov__DeliveryStatus status);

void egov_util_test (bool verbose);

#ifdef __cplusplus
}
#endif
#endif
