/*  portal_reply — answers and request readers of the citizen portal.  */
#include "portal_reply.h"
#include <sodium.h>
#include <stdarg.h>

json_t *
portal_reply_error (portal_reply_t *reply, int status, const char *code, const char *format, ...)
{
    char message [512];
    va_list args;
    va_start (args, format);
    vsnprintf (message, sizeof (message), format, args);
    va_end (args);
    json_t *error = json_pack ("{s:s, s:s}", "code", code, "message", message);
    assert (error);
    portal_reply_set (reply, status, json_pack ("{s:o}", "error", error));
    return error;
}

void
portal_reply_set (portal_reply_t *reply, int status, json_t *body)
{
    if (reply->body)
        json_decref (reply->body);
    reply->status = status;
    reply->body = body;
}

void
portal_reply_reset (portal_reply_t *reply)
{
    if (reply->body)
        json_decref (reply->body);
    reply->body = NULL;
    free (reply->retry_after);
    reply->retry_after = NULL;
}

const char *
portal_reply_code (const portal_reply_t *reply)
{
    json_t *code = json_object_get (json_object_get (reply->body, "error"), "code");
    return json_is_string (code) ? json_string_value (code) : "";
}

bool
portal_digits (const char *text, size_t count)
{
    if (strlen (text) != count)
        return false;
    for (size_t index = 0; index < count; index++)
        if (!isdigit ((unsigned char) text [index]))
            return false;
    return true;
}

bool
portal_printable (const char *text)
{
    for (const unsigned char *cursor = (const unsigned char *) text; *cursor; cursor++)
        if (*cursor < 0x20 || *cursor == 0x7f)
            return false;
    return true;
}

bool
portal_request_text (json_t *body, const char *key, char *out, size_t max, egov_error_t *error)
{
    json_t *value = json_object_get (body, key);
    if (!value) {
        egov_error_set (error, "INVALID_REQUEST", "%s is required", key);
        return false;
    }
    if (!json_is_string (value)) {
        egov_error_set (error, "INVALID_REQUEST", "%s must be a string", key);
        return false;
    }
    size_t length = json_string_length (value);
    const char *text = json_string_value (value);
    if (length == 0 || length >= max || strlen (text) != length || !portal_printable (text)) {
        egov_error_set (error, "INVALID_REQUEST", "%s must be 1-%zu printable bytes", key, max - 1);
        return false;
    }
    memcpy (out, text, length + 1);
    return true;
}

bool
portal_request_keys (json_t *body, egov_error_t *error, ...)
{
    const char *key;
    json_t *value;
    json_object_foreach (body, key, value) {
        bool known = false;
        va_list args;
        va_start (args, error);
        for (const char *allowed = va_arg (args, const char *); allowed && !known;
             allowed = va_arg (args, const char *))
            known = streq (key, allowed);
        va_end (args);
        if (!known) {
            egov_error_set (error, "INVALID_REQUEST", "unknown field '%.64s'", key);
            return false;
        }
    }
    return true;
}

bool
portal_base64_decode (const char *text, size_t length, uint8_t **bytes, size_t *size)
{
    size_t capacity = length / 4 * 3 + 3;
    *bytes = (uint8_t *) malloc (capacity);
    assert (*bytes);
    *size = 0;
    const char *end = NULL;
    if (length > 0
    && (sodium_base642bin (*bytes, capacity, text, length, " \r\n\t", size, &end,
                           sodium_base64_VARIANT_ORIGINAL) != 0 || end != text + length)) {
        free (*bytes);
        *bytes = NULL;
        *size = 0;
        return false;
    }
    return true;
}

void
portal_reply_test (bool verbose)
{
    printf (" * portal_reply: ");
    if (verbose)
        printf ("\n");
    portal_reply_t reply = { 0, NULL, NULL };
    json_t *error = portal_reply_error (&reply, 422, "WEAK_PASSWORD", "at least %d", 8);
    assert (error && reply.status == 422);
    assert (streq (portal_reply_code (&reply), "WEAK_PASSWORD"));
    assert (streq (json_string_value (json_object_get (error, "message")), "at least 8"));
    portal_reply_set (&reply, 200, json_object ());
    assert (streq (portal_reply_code (&reply), ""));
    portal_reply_reset (&reply);
    portal_reply_reset (&reply);

    egov_error_t failure = { { 0 } };
    json_t *body = json_pack ("{s:s, s:i, s:s}", "iin", "850314301234", "n", 1, "bad", "a\nb");
    char text [16];
    assert (portal_request_text (body, "iin", text, sizeof (text), &failure) && streq (text, "850314301234"));
    assert (!portal_request_text (body, "iin", text, 12, &failure));
    assert (!portal_request_text (body, "n", text, sizeof (text), &failure));
    assert (!portal_request_text (body, "bad", text, sizeof (text), &failure));
    assert (!portal_request_text (body, "absent", text, sizeof (text), &failure)
            && streq (failure.code, "INVALID_REQUEST"));
    assert (portal_request_keys (body, &failure, "iin", "n", "bad", NULL));
    assert (!portal_request_keys (body, &failure, "iin", "n", NULL));
    assert (strstr (failure.message, "'bad'"));
    json_decref (body);

    assert (portal_digits ("123", 3) && !portal_digits ("12a", 3) && !portal_digits ("12", 3));
    uint8_t *bytes;
    size_t size;
    assert (portal_base64_decode ("aGVsbG8=", 8, &bytes, &size) && size == 5
            && memcmp (bytes, "hello", 5) == 0);
    free (bytes);
    assert (portal_base64_decode ("aGVs\nbG8=", 9, &bytes, &size) && size == 5);
    free (bytes);
    assert (portal_base64_decode ("", 0, &bytes, &size) && size == 0);
    free (bytes);
    assert (!portal_base64_decode ("a*b=", 4, &bytes, &size) && bytes == NULL);
    assert (!portal_base64_decode ("aGVsbG8", 7, &bytes, &size));
    printf ("OK\n");
}
