/*  portal_reply — request readers of the citizen portal.  */
#include "portal_reply.h"
#include <sodium.h>

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
