/*  intake_request — validation of operator requests and the answer shape.  */
#include "intake_request.h"
#include <sodium.h>
#include <openssl/sha.h>

//  True when text is exactly count digits.
static bool
s_digits (const char *text, size_t count)
{
    if (strlen (text) != count)
        return false;
    for (size_t index = 0; index < count; index++)
        if (!isdigit ((unsigned char) text [index]))
            return false;
    return true;
}

//  True when text is a document type code: a-z, 0-9 and dashes.
static bool
s_type_code (const char *text)
{
    return *text && strspn (text, "abcdefghijklmnopqrstuvwxyz0123456789-") == strlen (text);
}

//  Copies the failing field's name for the caller.
static bool
s_fail_field (char *field, size_t field_size, const char *name)
{
    if (field && field_size)
        snprintf (field, field_size, "%s", name);
    return false;
}

//  Parses documents[index] into the request; false with the error set.
static bool
s_parse_document (json_t *item, size_t index, intake_document_t *document, size_t *total,
                  egov_error_t *error)
{
    if (!json_is_object (item)) {
        egov_error_set (error, "INVALID_REQUEST", "documents[%zu] must be an object", index);
        return false;
    }
    egov_error_t inner = { { 0 } };
    if (!egov_http_keys (item, &inner, "type", "name", "content_base64", NULL)
    ||  !egov_http_text (item, "type", document->type, sizeof (document->type), &inner)
    ||  !egov_http_text (item, "name", document->name, sizeof (document->name), &inner)) {
        egov_error_set (error, "INVALID_REQUEST", "documents[%zu]: %s", index, inner.message);
        return false;
    }
    if (!s_type_code (document->type)) {
        egov_error_set (error, "INVALID_REQUEST",
                        "documents[%zu].type must be a catalogue type: a-z, 0-9 and dashes", index);
        return false;
    }
    json_t *content = json_object_get (item, "content_base64");
    if (!json_is_string (content)) {
        egov_error_set (error, "INVALID_REQUEST",
                        "documents[%zu].content_base64 must be a string (base64)", index);
        return false;
    }
    size_t length = json_string_length (content);
    size_t capacity = length / 4 * 3 + 3;
    document->content = malloc (capacity);
    assert (document->content);
    size_t size = 0;
    if (length > 0
    &&  sodium_base642bin (document->content, capacity, json_string_value (content), length,
                           " \r\n", &size, NULL, sodium_base64_VARIANT_ORIGINAL) != 0) {
        egov_error_set (error, "INVALID_REQUEST",
                        "documents[%zu].content_base64 is not base64", index);
        return false;
    }
    document->size = size;
    *total += size;
    if (*total > INTAKE_MAX_CONTENT) {
        egov_error_set (error, "INVALID_REQUEST",
                        "the documents together exceed %d KiB", INTAKE_MAX_CONTENT / 1024);
        return false;
    }
    SHA256 (document->content, size, document->sha256);
    return true;
}

bool
intake_application_parse (json_t *body, intake_application_t *request, egov_error_t *error,
                          char *field, size_t field_size)
{
    memset (request, 0, sizeof (*request));
    if (!json_is_object (body)) {
        egov_error_set (error, "INVALID_REQUEST", "the body must be a JSON object");
        return s_fail_field (field, field_size, "");
    }
    if (!egov_http_keys (body, error, "service", "region", "applicant_iin",
                         "representative", "documents", "consent", "form", NULL))
        return s_fail_field (field, field_size, "");
    if (!egov_http_text (body, "service", request->service, sizeof (request->service), error))
        return s_fail_field (field, field_size, "service");
    char number [32];
    if (!egov_http_text (body, "region", number, sizeof (number), error)
    ||  !s_digits (number, 9)) {
        egov_error_set (error, "INVALID_REQUEST", "region must be a KATO code of 9 digits");
        return s_fail_field (field, field_size, "region");
    }
    memcpy (request->region, number, 10);
    if (!egov_http_text (body, "applicant_iin", number, sizeof (number), error)
    ||  !s_digits (number, 12)) {
        egov_error_set (error, "INVALID_REQUEST", "applicant_iin must be 12 digits");
        return s_fail_field (field, field_size, "applicant_iin");
    }
    memcpy (request->applicant_iin, number, 13);
    json_t *representative = json_object_get (body, "representative");
    if (representative && !json_is_null (representative)) {
        egov_error_t inner = { { 0 } };
        if (!json_is_object (representative)
        ||  !egov_http_keys (representative, &inner, "iin", "poa_number", NULL)
        ||  !egov_http_text (representative, "iin", number, sizeof (number), &inner)
        ||  !s_digits (number, 12)) {
            egov_error_set (error, "INVALID_REQUEST",
                            "representative must be null or {iin: 12 digits, poa_number}");
            return s_fail_field (field, field_size, "representative");
        }
        memcpy (request->representative_iin, number, 13);
        if (!egov_http_text (representative, "poa_number", request->poa_number,
                             sizeof (request->poa_number), &inner)) {
            egov_error_set (error, "INVALID_REQUEST", "representative.%s", inner.message);
            return s_fail_field (field, field_size, "representative.poa_number");
        }
        request->represented = true;
    }
    json_t *documents = json_object_get (body, "documents");
    if (!json_is_array (documents)) {
        egov_error_set (error, "INVALID_REQUEST", "documents must be an array");
        return s_fail_field (field, field_size, "documents");
    }
    if (json_array_size (documents) > INTAKE_MAX_DOCUMENTS) {
        egov_error_set (error, "INVALID_REQUEST", "at most %d documents", INTAKE_MAX_DOCUMENTS);
        return s_fail_field (field, field_size, "documents");
    }
    request->documents = calloc (json_array_size (documents) + 1, sizeof (intake_document_t));
    assert (request->documents);
    size_t total = 0;
    for (size_t index = 0; index < json_array_size (documents); index++) {
        request->document_count = index + 1;
        if (!s_parse_document (json_array_get (documents, index), index,
                               &request->documents [index], &total, error))
            return s_fail_field (field, field_size, "documents");
    }
    json_t *consent = json_object_get (body, "consent");
    if (consent && !json_is_boolean (consent) && !json_is_null (consent)) {
        egov_error_set (error, "INVALID_REQUEST", "consent must be true or false");
        return s_fail_field (field, field_size, "consent");
    }
    request->consent = json_is_true (consent);
    //  The form's fields are the service's (egov_form checks them later);
    //  here only its shape: an object, absent meaning none filled in
    json_t *form = json_object_get (body, "form");
    if (form && !json_is_object (form)) {
        egov_error_set (error, "INVALID_REQUEST", "form must be an object of the service's fields");
        return s_fail_field (field, field_size, "form");
    }
    request->form = form ? json_incref (form) : json_object ();
    return true;
}

void
intake_application_reset (intake_application_t *request)
{
    if (request->documents) {
        for (size_t index = 0; index < request->document_count; index++)
            free (request->documents [index].content);
        free (request->documents);
    }
    request->documents = NULL;
    request->document_count = 0;
    json_decref (request->form);
    request->form = NULL;
}

bool
intake_application_has (const intake_application_t *request, const char *type)
{
    for (size_t index = 0; index < request->document_count; index++)
        if (streq (request->documents [index].type, type))
            return true;
    return false;
}

//  Parses text as JSON and as an application; returns the error code ("" when fine).
static const char *
s_try (const char *text, char *field, size_t field_size, intake_application_t *request)
{
    static egov_error_t error;
    memset (&error, 0, sizeof (error));
    json_t *body = json_loads (text, 0, NULL);
    assert (body);
    bool parsed = intake_application_parse (body, request, &error, field, field_size);
    json_decref (body);
    if (parsed)
        assert (*error.code == 0);
    return parsed ? "" : error.code;
}

void
intake_request_test (bool verbose)
{
    printf (" * intake_request: ");
    if (verbose)
        printf ("\n");
    intake_application_t request;
    char field [64];
    //  A good package: "aGVsbG8=" is "hello"
    const char *good = "{\"service\":\"externat-permit\",\"region\":\"750000000\","
        "\"applicant_iin\":\"850314301234\",\"representative\":{\"iin\":\"781130306545\","
        "\"poa_number\":\"POA-2026-0001\"},\"form\":{\"grade\":5},\"documents\":[{\"type\":\"application\","
        "\"name\":\"a.pdf\",\"content_base64\":\"aGVsbG8=\"},{\"type\":\"reason-document\","
        "\"name\":\"empty.pdf\",\"content_base64\":\"\"}],\"consent\":true}";
    assert (streq (s_try (good, field, sizeof (field), &request), ""));
    assert (request.represented && request.consent);
    assert (streq (request.poa_number, "POA-2026-0001"));
    assert (request.document_count == 2);
    assert (json_integer_value (json_object_get (request.form, "grade")) == 5);
    assert (request.documents [0].size == 5 && memcmp (request.documents [0].content, "hello", 5) == 0);
    assert (request.documents [1].size == 0);
    assert (intake_application_has (&request, "reason-document"));
    assert (!intake_application_has (&request, "identity-document"));
    //  sha256("hello") starts 2cf24dba
    assert (request.documents [0].sha256 [0] == 0x2c && request.documents [0].sha256 [1] == 0xf2);
    intake_application_reset (&request);
    intake_application_reset (&request);

    //  No representative, no consent: parsed, consent false
    assert (streq (s_try ("{\"service\":\"x\",\"region\":\"750000000\",\"applicant_iin\":"
                          "\"850314301234\",\"representative\":null,\"documents\":[]}",
                          field, sizeof (field), &request), ""));
    assert (!request.represented && !request.consent && request.document_count == 0);
    assert (json_is_object (request.form) && json_object_size (request.form) == 0);
    intake_application_reset (&request);

    //  Each broken field is named
    struct {
        const char *body;
        const char *field;
    } bad [] = {
        { "[]", "" },
        { "{\"service\":\"x\",\"oops\":1}", "" },
        { "{\"region\":\"750000000\"}", "service" },
        { "{\"service\":\"x\",\"region\":\"75000000\"}", "region" },
        { "{\"service\":\"x\",\"region\":\"75000000a\"}", "region" },
        { "{\"service\":\"x\",\"region\":\"750000000\",\"applicant_iin\":12}", "applicant_iin" },
        { "{\"service\":\"x\",\"region\":\"750000000\",\"applicant_iin\":\"8503143012345\"}", "applicant_iin" },
        { "{\"service\":\"x\",\"region\":\"750000000\",\"applicant_iin\":\"850314301234\","
          "\"representative\":{\"iin\":\"781130306545\"},\"documents\":[]}", "representative.poa_number" },
        { "{\"service\":\"x\",\"region\":\"750000000\",\"applicant_iin\":\"850314301234\","
          "\"representative\":\"781130306545\",\"documents\":[]}", "representative" },
        { "{\"service\":\"x\",\"region\":\"750000000\",\"applicant_iin\":\"850314301234\"}", "documents" },
        { "{\"service\":\"x\",\"region\":\"750000000\",\"applicant_iin\":\"850314301234\","
          "\"documents\":[{\"type\":\"Bad Type\",\"name\":\"a\",\"content_base64\":\"\"}]}", "documents" },
        { "{\"service\":\"x\",\"region\":\"750000000\",\"applicant_iin\":\"850314301234\","
          "\"documents\":[{\"type\":\"a\",\"name\":\"a\",\"content_base64\":\"@@@\"}]}", "documents" },
        { "{\"service\":\"x\",\"region\":\"750000000\",\"applicant_iin\":\"850314301234\","
          "\"documents\":[{\"type\":\"a\",\"name\":\"a\"}]}", "documents" },
        { "{\"service\":\"x\",\"region\":\"750000000\",\"applicant_iin\":\"850314301234\","
          "\"documents\":[],\"consent\":\"yes\"}", "consent" },
        { "{\"service\":\"x\",\"region\":\"750000000\",\"applicant_iin\":\"850314301234\","
          "\"documents\":[],\"consent\":true,\"form\":[]}", "form" },
    };
    for (size_t index = 0; index < sizeof (bad) / sizeof (bad [0]); index++) {
        const char *code = s_try (bad [index].body, field, sizeof (field), &request);
        if (verbose)
            printf ("   %s -> %s (%s)\n", bad [index].body, code, field);
        assert (streq (code, "INVALID_REQUEST"));
        assert (streq (field, bad [index].field));
        intake_application_reset (&request);
    }
    printf ("OK\n");
}
