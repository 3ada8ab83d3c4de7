/*  portal_reply — the small readers of the citizen portal (ЭҮП,
    "электрондық үкімет" веб-порталы) that validate request members before
    anything runs. The answers' shape, {"error": {"code", "message", ...}}
    with a stable code, and the member readers both services share are
    egov_http's.                                                         */
#ifndef PORTAL_REPLY_H_INCLUDED
#define PORTAL_REPLY_H_INCLUDED

#include "egov_http.h"

#ifdef __cplusplus
extern "C" {
#endif

//  True when text is exactly count ASCII digits.
bool portal_digits (const char *text, size_t count);
//  Decodes standard base64 (whitespace ignored) into a malloc'd buffer;
//  false when it is not base64. An empty text gives an empty buffer.
bool portal_base64_decode (const char *text, size_t length, uint8_t **bytes, size_t *size);

void portal_reply_test (bool verbose);

#ifdef __cplusplus
}
#endif
#endif
