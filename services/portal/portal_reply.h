/*  portal_reply — the shape of every answer of the citizen portal (ЭҮП,
    "электрондық үкімет" веб-порталы): an HTTP status and a JSON body,
    errors as {"error": {"code", "message", ...}} with a stable code, and
    the small readers that validate request members before anything runs.

    The same shapes serve the State Corporation desk (intake_request): when
    both services are in, this belongs in lib/ as one egov_http_reply.   */
#ifndef PORTAL_REPLY_H_INCLUDED
#define PORTAL_REPLY_H_INCLUDED

#include "egov_util.h"
#include <jansson.h>

#ifdef __cplusplus
extern "C" {
#endif

//  An HTTP answer: status and body (owned).
typedef struct {
    int status;                     //  HTTP status
    json_t *body;                   //  JSON body, NULL for none
    char *retry_after;              //  Retry-After header (seconds), NULL for none
} portal_reply_t;

//  Sets reply to an error; returns the error object for extra members.
json_t *portal_reply_error (portal_reply_t *reply, int status, const char *code,
                            const char *format, ...) __attribute__ ((format (printf, 4, 5)));
//  Sets reply to status with body (takes it).
void portal_reply_set (portal_reply_t *reply, int status, json_t *body);
//  Frees the body and headers; safe twice.
void portal_reply_reset (portal_reply_t *reply);
//  The error code of a reply, "" when it is not an error.
const char *portal_reply_code (const portal_reply_t *reply);

//  Reads a required string member of 1..max-1 printable bytes into out;
//  false with INVALID_REQUEST naming the member otherwise.
bool portal_request_text (json_t *body, const char *key, char *out, size_t max,
                          egov_error_t *error);
//  False with INVALID_REQUEST when body has a key outside the NULL-terminated list.
bool portal_request_keys (json_t *body, egov_error_t *error, ...) __attribute__ ((sentinel));
//  True when text is exactly count ASCII digits.
bool portal_digits (const char *text, size_t count);
//  True when text has no control characters.
bool portal_printable (const char *text);
//  Decodes standard base64 (whitespace ignored) into a malloc'd buffer;
//  false when it is not base64. An empty text gives an empty buffer.
bool portal_base64_decode (const char *text, size_t length, uint8_t **bytes, size_t *size);

void portal_reply_test (bool verbose);

#ifdef __cplusplus
}
#endif
#endif
