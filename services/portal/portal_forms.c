/*  portal_forms — request forms per service, and their validation.  */
#include "portal_forms.h"
#include "portal_reply.h"
#include "egov_iin.h"
#include <stdarg.h>

static const char *const s_study_forms [] = { "first-grade", "day", "evening", NULL };
static const char *const s_languages [] = { "kazakh", "russian", "english", NULL };
static const char *const s_externat_reasons [] =
    { "health", "living-abroad", "sports", "arts", "other", NULL };

static const portal_field_t s_school_admission [] = {
    { "child_iin", PORTAL_FIELD_IIN, true, 0, 0, NULL, true, false, "child's IIN" },
    { "study_form", PORTAL_FIELD_CHOICE, true, 0, 0, s_study_forms, false, true, "study form" },
    { "grade", PORTAL_FIELD_INTEGER, true, 1, 11, NULL, false, false, "grade (1-11)" },
    { "school", PORTAL_FIELD_TEXT, true, 0, 200, NULL, false, false, "school" },
    { "language", PORTAL_FIELD_CHOICE, false, 0, 0, s_languages, false, false, "language of study" },
};

static const portal_field_t s_externat_permit [] = {
    { "child_iin", PORTAL_FIELD_IIN, true, 0, 0, NULL, true, false, "student's IIN" },
    { "grade", PORTAL_FIELD_INTEGER, true, 1, 11, NULL, false, false, "grade (1-11)" },
    { "school", PORTAL_FIELD_TEXT, true, 0, 200, NULL, false, false, "school" },
    { "reason", PORTAL_FIELD_CHOICE, true, 0, 0, s_externat_reasons, false, false,
      "reason for external study" },
    { "reason_note", PORTAL_FIELD_TEXT, false, 0, 500, NULL, false, false, "about the reason" },
};

static const portal_field_t s_kindergarten_queue [] = {
    { "child_iin", PORTAL_FIELD_IIN, true, 0, 0, NULL, true, false, "child's IIN" },
    { "desired_date", PORTAL_FIELD_DATE, true, 0, 0, NULL, false, false, "wanted from (date)" },
    { "kindergarten", PORTAL_FIELD_TEXT, false, 0, 200, NULL, false, false, "preferred kindergarten" },
    { "priority_right", PORTAL_FIELD_BOOLEAN, false, 0, 0, NULL, false, false,
      "the family has a priority right" },
};

static const portal_field_t s_plain [] = {
    { "note", PORTAL_FIELD_TEXT, false, 0, 1000, NULL, false, false, "note" },
};

#define s_FORM(code, table) { code, table, sizeof (table) / sizeof (table [0]) }
static const portal_form_t s_forms [] = {
    s_FORM ("school-admission", s_school_admission),
    s_FORM ("externat-permit", s_externat_permit),
    s_FORM ("kindergarten-queue", s_kindergarten_queue),
};
static const portal_form_t s_plain_form = s_FORM (NULL, s_plain);

const portal_form_t *
portal_forms_find (const char *service)
{
    for (size_t index = 0; index < sizeof (s_forms) / sizeof (s_forms [0]); index++)
        if (service && streq (s_forms [index].service, service))
            return &s_forms [index];
    return &s_plain_form;
}

//  The kind's name in the JSON description.
static const char *
s_kind_name (portal_field_kind_t kind)
{
    switch (kind) {
        case PORTAL_FIELD_TEXT: return "text";
        case PORTAL_FIELD_INTEGER: return "integer";
        case PORTAL_FIELD_CHOICE: return "choice";
        case PORTAL_FIELD_DATE: return "date";
        case PORTAL_FIELD_IIN: return "iin";
        case PORTAL_FIELD_BOOLEAN: return "boolean";
    }
    return "text";
}

json_t *
portal_form_json (const portal_form_t *form)
{
    json_t *fields = json_array ();
    for (size_t index = 0; index < form->count; index++) {
        const portal_field_t *field = form->fields + index;
        json_t *item = json_pack ("{s:s, s:s, s:b, s:s}", "key", field->key,
                                  "kind", s_kind_name (field->kind), "required", field->required,
                                  "label", field->label);
        if (field->kind == PORTAL_FIELD_INTEGER) {
            json_object_set_new (item, "min", json_integer (field->min));
            json_object_set_new (item, "max", json_integer (field->max));
        }
        if (field->kind == PORTAL_FIELD_TEXT)
            json_object_set_new (item, "max_length", json_integer (field->max));
        if (field->choices) {
            json_t *choices = json_array ();
            for (const char *const *choice = field->choices; *choice; choice++)
                json_array_append_new (choices, json_string (*choice));
            json_object_set_new (item, "choices", choices);
        }
        if (field->child)
            json_object_set_new (item, "child", json_true ());
        json_array_append_new (fields, item);
    }
    return fields;
}

//  Appends {field: "form.KEY", code, message} to errors.
static void
s_wrong (json_t *errors, const char *key, const char *code, const char *format, ...)
{
    char message [300], field [80];
    va_list args;
    va_start (args, format);
    vsnprintf (message, sizeof (message), format, args);
    va_end (args);
    snprintf (field, sizeof (field), "form.%.64s", key);
    json_array_append_new (errors, json_pack ("{s:s, s:s, s:s}", "field", field, "code", code,
                                              "message", message));
}

//  Checks one present value; appends an error when it is wrong.
static void
s_check (const portal_field_t *field, json_t *value, json_t *errors)
{
    const char *text = json_string_value (value);
    switch (field->kind) {
        case PORTAL_FIELD_TEXT:
            if (!text)
                s_wrong (errors, field->key, "WRONG_TYPE", "%s must be text", field->label);
            else
            if (json_string_length (value) == 0 || !egov_http_printable (text)
            ||  strlen (text) != json_string_length (value))
                s_wrong (errors, field->key, "REQUIRED", "%s must not be empty or hold control characters",
                         field->label);
            else
            if (json_string_length (value) > (size_t) field->max)
                s_wrong (errors, field->key, "TOO_LONG", "%s is at most %d bytes", field->label,
                         field->max);
            break;
        case PORTAL_FIELD_INTEGER:
            if (!json_is_integer (value))
                s_wrong (errors, field->key, "WRONG_TYPE", "%s must be a whole number", field->label);
            else
            if (json_integer_value (value) < field->min || json_integer_value (value) > field->max)
                s_wrong (errors, field->key, "OUT_OF_RANGE", "%s must be from %d to %d",
                         field->label, field->min, field->max);
            break;
        case PORTAL_FIELD_CHOICE: {
            bool found = false;
            for (const char *const *choice = field->choices; text && *choice && !found; choice++)
                found = streq (*choice, text);
            if (!text)
                s_wrong (errors, field->key, "WRONG_TYPE", "%s must be text", field->label);
            else
            if (!found) {
                char list [200] = "";
                for (const char *const *choice = field->choices; *choice; choice++)
                    snprintf (list + strlen (list), sizeof (list) - strlen (list), "%s%s",
                              *list ? ", " : "", *choice);
                s_wrong (errors, field->key, "NOT_A_CHOICE", "%s must be one of: %s",
                         field->label, list);
            }
            break;
        }
        case PORTAL_FIELD_DATE: {
            int year, month, day;
            if (!text)
                s_wrong (errors, field->key, "WRONG_TYPE", "%s must be text (YYYY-MM-DD)", field->label);
            else
            if (!egov_date_parse (text, &year, &month, &day))
                s_wrong (errors, field->key, "INVALID_DATE", "%s must be a date YYYY-MM-DD",
                         field->label);
            break;
        }
        case PORTAL_FIELD_IIN: {
            egov_error_t why = { { 0 } };
            if (!text)
                s_wrong (errors, field->key, "WRONG_TYPE", "%s must be text (12 digits)", field->label);
            else
            if (!egov_iin_valid (text, &why))
                s_wrong (errors, field->key, "INVALID_IIN", "%s: %s", field->label, why.message);
            break;
        }
        case PORTAL_FIELD_BOOLEAN:
            if (!json_is_boolean (value))
                s_wrong (errors, field->key, "WRONG_TYPE", "%s must be true or false", field->label);
            break;
    }
}

bool
portal_form_validate (const portal_form_t *form, json_t *values, json_t *errors,
                      const char **child, const char **study_form)
{
    size_t before = json_array_size (errors);
    if (child)
        *child = NULL;
    if (study_form)
        *study_form = NULL;
    if (!json_is_object (values)) {
        json_array_append_new (errors, json_pack ("{s:s, s:s, s:s}", "field", "form",
            "code", "WRONG_TYPE", "message", "form must be an object of the service's fields"));
        return false;
    }
    const char *key;
    json_t *value;
    json_object_foreach (values, key, value) {
        bool known = false;
        for (size_t index = 0; index < form->count && !known; index++)
            known = streq (form->fields [index].key, key);
        if (!known)
            s_wrong (errors, key, "UNKNOWN_FIELD", "this service's form has no field '%.64s'", key);
    }
    for (size_t index = 0; index < form->count; index++) {
        const portal_field_t *field = form->fields + index;
        value = json_object_get (values, field->key);
        if (!value || json_is_null (value)) {
            if (field->required)
                s_wrong (errors, field->key, "REQUIRED", "%s is required", field->label);
            continue;
        }
        size_t count = json_array_size (errors);
        s_check (field, value, errors);
        if (json_array_size (errors) == count) {
            if (field->child && child)
                *child = json_string_value (value);
            if (field->study_form && study_form)
                *study_form = json_string_value (value);
        }
    }
    return json_array_size (errors) == before;
}

//  Validates text as the form of service; returns the codes of the errors, joined.
static const char *
s_codes (const char *service, const char *text)
{
    static char codes [256];
    json_t *values = json_loads (text, 0, NULL);
    assert (values);
    json_t *errors = json_array ();
    portal_form_validate (portal_forms_find (service), values, errors, NULL, NULL);
    *codes = 0;
    size_t index;
    json_t *error;
    json_array_foreach (errors, index, error)
        snprintf (codes + strlen (codes), sizeof (codes) - strlen (codes), "%s%s:%s",
                  index ? " " : "", json_string_value (json_object_get (error, "field")),
                  json_string_value (json_object_get (error, "code")));
    json_decref (errors);
    json_decref (values);
    return codes;
}

void
portal_forms_test (bool verbose)
{
    printf (" * portal_forms: ");
    if (verbose)
        printf ("\n");
    assert (streq (portal_forms_find ("externat-permit")->service, "externat-permit"));
    assert (portal_forms_find ("tvet-dormitory")->service == NULL);
    assert (portal_forms_find (NULL)->service == NULL);

    const char *good = "{\"child_iin\": \"200510607893\", \"study_form\": \"day\", \"grade\": 1,"
                       " \"school\": \"School No 12\"}";
    assert (streq (s_codes ("school-admission", good), ""));
    json_t *values = json_loads (good, 0, NULL);
    json_t *errors = json_array ();
    const char *child, *study_form;
    assert (portal_form_validate (portal_forms_find ("school-admission"), values, errors,
                                  &child, &study_form));
    assert (streq (child, "200510607893") && streq (study_form, "day"));
    json_decref (values);
    assert (streq (s_codes ("school-admission", "{}"),
                   "form.child_iin:REQUIRED form.study_form:REQUIRED form.grade:REQUIRED form.school:REQUIRED"));
    assert (streq (s_codes ("school-admission",
        "{\"child_iin\": \"200510607890\", \"study_form\": \"night\", \"grade\": 12,"
        " \"school\": \"\", \"language\": 3, \"colour\": \"red\"}"),
        "form.colour:UNKNOWN_FIELD form.child_iin:INVALID_IIN form.study_form:NOT_A_CHOICE"
        " form.grade:OUT_OF_RANGE form.school:REQUIRED form.language:WRONG_TYPE"));
    assert (streq (s_codes ("school-admission",
        "{\"child_iin\": 200510607893, \"study_form\": \"day\", \"grade\": \"1\", \"school\": \"x\"}"),
        "form.child_iin:WRONG_TYPE form.grade:WRONG_TYPE"));
    assert (streq (s_codes ("kindergarten-queue",
        "{\"child_iin\": \"230201503215\", \"desired_date\": \"2026-02-30\", \"priority_right\": 1}"),
        "form.desired_date:INVALID_DATE form.priority_right:WRONG_TYPE"));
    char long_text [700];
    memset (long_text, 'a', sizeof (long_text));
    long_text [sizeof (long_text) - 1] = 0;
    char externat [900];
    snprintf (externat, sizeof (externat), "{\"child_iin\": \"150913500422\", \"grade\": 5,"
              " \"school\": \"x\", \"reason\": \"health\", \"reason_note\": \"%s\"}", long_text);
    assert (streq (s_codes ("externat-permit", externat), "form.reason_note:TOO_LONG"));
    assert (streq (s_codes ("tvet-dormitory", "{}"), ""));
    assert (portal_form_validate (&s_plain_form, json_null (), errors, NULL, NULL) == false);
    json_decref (errors);

    json_t *described = portal_form_json (portal_forms_find ("school-admission"));
    assert (json_array_size (described) == 5);
    json_t *first = json_array_get (described, 0);
    assert (streq (json_string_value (json_object_get (first, "kind")), "iin"));
    assert (json_is_true (json_object_get (first, "child")));
    assert (json_array_size (json_object_get (json_array_get (described, 1), "choices")) == 3);
    json_decref (described);
    printf ("OK\n");
}
