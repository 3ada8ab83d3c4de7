/*  portal_document — the request the citizen signs, read and checked.  */
#include "portal_document.h"
#include "portal_reply.h"
#include <openssl/sha.h>

//  Sets the error and the failing member; returns false.
static bool
s_fail (egov_error_t *error, char *field, size_t field_size, const char *name,
        const char *message)
{
    egov_error_set (error, "INVALID_DOCUMENT", "%s", message);
    if (field && field_size)
        snprintf (field, field_size, "%s", name);
    return false;
}

//  True when text is a catalogue code: a-z, 0-9 and dashes.
static bool
s_code (const char *text)
{
    return *text && strspn (text, "abcdefghijklmnopqrstuvwxyz0123456789-") == strlen (text);
}

//  Reads attachments[index]; false with the error set.
static bool
s_attachment (json_t *item, size_t index, portal_attachment_t *attachment, size_t *total,
              egov_error_t *error, char *field, size_t field_size)
{
    char name [48], message [400];
    snprintf (name, sizeof (name), "attachments[%zu]", index);
    egov_error_t inner = { { 0 } };
    if (!json_is_object (item)) {
        snprintf (message, sizeof (message), "%s must be an object {type, name, content_base64}", name);
        return s_fail (error, field, field_size, name, message);
    }
    if (!egov_http_keys (item, &inner, "type", "name", "content_base64", NULL)
    ||  !egov_http_text (item, "type", attachment->type, sizeof (attachment->type), &inner)
    ||  !egov_http_text (item, "name", attachment->name, sizeof (attachment->name), &inner)) {
        snprintf (message, sizeof (message), "%s: %s", name, inner.message);
        return s_fail (error, field, field_size, name, message);
    }
    if (!s_code (attachment->type)) {
        snprintf (message, sizeof (message), "%s.type must be a catalogue document type", name);
        return s_fail (error, field, field_size, name, message);
    }
    json_t *content = json_object_get (item, "content_base64");
    if (!json_is_string (content)
    ||  !portal_base64_decode (json_string_value (content), json_string_length (content),
                               &attachment->content, &attachment->size)) {
        snprintf (message, sizeof (message), "%s.content_base64 must be base64", name);
        return s_fail (error, field, field_size, name, message);
    }
    *total += attachment->size;
    if (*total > PORTAL_MAX_CONTENT) {
        snprintf (message, sizeof (message), "the attachments together exceed %d KiB",
                  PORTAL_MAX_CONTENT / 1024);
        return s_fail (error, field, field_size, name, message);
    }
    SHA256 (attachment->content, attachment->size, attachment->sha256);
    return true;
}

bool
portal_document_parse (const uint8_t *bytes, size_t size, portal_document_t *document,
                       egov_error_t *error, char *field, size_t field_size)
{
    memset (document, 0, sizeof (*document));
    json_error_t parse;
    document->root = json_loadb ((const char *) bytes, size, JSON_REJECT_DUPLICATES, &parse);
    if (!json_is_object (document->root))
        return s_fail (error, field, field_size, "", "the signed document is not a JSON object");
    json_t *root = document->root;
    egov_error_t inner = { { 0 } };
    if (!egov_http_keys (root, &inner, "service", "region", "iin", "form", "attachments", NULL))
        return s_fail (error, field, field_size, "", inner.message);
    if (!egov_http_text (root, "service", document->service, sizeof (document->service), &inner)
    ||  !s_code (document->service))
        return s_fail (error, field, field_size, "service", "service must be a catalogue code");
    char number [32];
    if (!egov_http_text (root, "region", number, sizeof (number), &inner)
    ||  !portal_digits (number, 9))
        return s_fail (error, field, field_size, "region", "region must be a KATO code of 9 digits");
    memcpy (document->region, number, 10);
    if (!egov_http_text (root, "iin", number, sizeof (number), &inner)
    ||  !portal_digits (number, 12))
        return s_fail (error, field, field_size, "iin", "iin must be 12 digits");
    memcpy (document->iin, number, 13);
    document->form = json_object_get (root, "form");
    if (!json_is_object (document->form))
        return s_fail (error, field, field_size, "form", "form must be an object");
    json_t *attachments = json_object_get (root, "attachments");
    if (!attachments)
        attachments = json_array ();
    else
        json_incref (attachments);
    bool fine = true;
    if (!json_is_array (attachments))
        fine = s_fail (error, field, field_size, "attachments", "attachments must be an array");
    else
    if (json_array_size (attachments) > PORTAL_MAX_ATTACHMENTS)
        fine = s_fail (error, field, field_size, "attachments", "at most 20 attachments");
    else {
        document->attachments = (portal_attachment_t *) calloc (json_array_size (attachments) + 1,
                                                                sizeof (portal_attachment_t));
        assert (document->attachments);
        size_t total = 0;
        for (size_t index = 0; fine && index < json_array_size (attachments); index++) {
            document->attachment_count = index + 1;
            fine = s_attachment (json_array_get (attachments, index), index,
                                 &document->attachments [index], &total, error, field, field_size);
        }
    }
    json_decref (attachments);
    return fine;
}

void
portal_document_reset (portal_document_t *document)
{
    for (size_t index = 0; index < document->attachment_count; index++)
        free (document->attachments [index].content);
    free (document->attachments);
    document->attachments = NULL;
    document->attachment_count = 0;
    if (document->root)
        json_decref (document->root);
    document->root = NULL;
    document->form = NULL;
}

//  Parses text; returns the failing member, or "ok".
static const char *
s_try (const char *text)
{
    static char field [64];
    portal_document_t document;
    egov_error_t error = { { 0 } };
    bool parsed = portal_document_parse ((const uint8_t *) text, strlen (text), &document, &error,
                                         field, sizeof (field));
    portal_document_reset (&document);
    portal_document_reset (&document);
    if (parsed)
        return "ok";
    assert (streq (error.code, "INVALID_DOCUMENT"));
    return field;
}

void
portal_document_test (bool verbose)
{
    printf (" * portal_document: ");
    if (verbose)
        printf ("\n");
    const char *good = "{\"service\": \"externat-permit\", \"region\": \"750000000\","
        " \"iin\": \"850314301234\", \"form\": {\"grade\": 5},"
        " \"attachments\": [{\"type\": \"application\", \"name\": \"a.txt\", \"content_base64\": \"aGVsbG8=\"}]}";
    portal_document_t document;
    egov_error_t error = { { 0 } };
    assert (portal_document_parse ((const uint8_t *) good, strlen (good), &document, &error, NULL, 0));
    assert (streq (document.service, "externat-permit") && streq (document.region, "750000000"));
    assert (streq (document.iin, "850314301234"));
    assert (json_integer_value (json_object_get (document.form, "grade")) == 5);
    assert (document.attachment_count == 1 && document.attachments [0].size == 5);
    assert (document.attachments [0].sha256 [0] == 0x2c);     //  sha256 ("hello") = 2cf24d...
    portal_document_reset (&document);

    assert (streq (s_try ("not json"), ""));
    assert (streq (s_try ("[1]"), ""));
    assert (streq (s_try ("{\"service\": \"x\", \"extra\": 1}"), ""));
    assert (streq (s_try ("{\"service\": \"Bad Code\", \"region\": \"750000000\", \"iin\": \"850314301234\", \"form\": {}}"), "service"));
    assert (streq (s_try ("{\"service\": \"x\", \"region\": \"75\", \"iin\": \"850314301234\", \"form\": {}}"), "region"));
    assert (streq (s_try ("{\"service\": \"x\", \"region\": \"750000000\", \"iin\": \"8503\", \"form\": {}}"), "iin"));
    assert (streq (s_try ("{\"service\": \"x\", \"region\": \"750000000\", \"iin\": \"850314301234\", \"form\": []}"), "form"));
    assert (streq (s_try ("{\"service\": \"x\", \"region\": \"750000000\", \"iin\": \"850314301234\", \"form\": {}}"), "ok"));
    assert (streq (s_try ("{\"service\": \"x\", \"region\": \"750000000\", \"iin\": \"850314301234\", \"form\": {},"
                          " \"attachments\": {}}"), "attachments"));
    assert (streq (s_try ("{\"service\": \"x\", \"region\": \"750000000\", \"iin\": \"850314301234\", \"form\": {},"
                          " \"attachments\": [{\"type\": \"a\", \"name\": \"n\", \"content_base64\": \"***\"}]}"),
                   "attachments[0]"));
    assert (streq (s_try ("{\"service\": \"x\", \"region\": \"750000000\", \"iin\": \"850314301234\", \"form\": {},"
                          " \"attachments\": [{\"type\": \"a\", \"name\": \"n\", \"content_base64\": \"\"}, 5]}"),
                   "attachments[1]"));
    assert (streq (s_try ("{\"service\": \"x\", \"service\": \"y\"}"), ""));
    printf ("OK\n");
}
