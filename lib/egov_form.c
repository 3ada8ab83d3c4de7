/*  egov_form — request forms: reading them from the catalogue, describing
    them to frontends and validating what an applicant filled in.        */
#include "egov_form.h"
#include "egov_iin.h"
#include "egov_http.h"
#include <stdarg.h>

#define s_TEXT_MAX      10000           //  the longest text field a form may allow
#define s_INTEGER_LIMIT 1000000000LL    //  integer bounds stay within +-10^9

struct _egov_form_t {
    egov_field_t *fields;               //  in display order
    size_t size;                        //  fields used
};

static const char *s_kind_names [] = { "text", "integer", "choice", "date", "iin", "boolean", NULL };

//  A field key: 1-64 of a-z, 0-9 and _, starting with a letter.
static bool
s_key_valid (const char *text)
{
    size_t length = strlen (text);
    return length > 0 && length <= EGOV_FORM_KEY_MAX && islower ((unsigned char) text [0])
        && strspn (text, "abcdefghijklmnopqrstuvwxyz0123456789_") == length;
}

//  A choice: 1-64 of a-z, 0-9, dashes and _.
static bool
s_choice_valid (const char *text)
{
    size_t length = strlen (text);
    return length > 0 && length <= EGOV_FORM_KEY_MAX
        && strspn (text, "abcdefghijklmnopqrstuvwxyz0123456789-_") == length;
}

//  True when the member is present although the kind does not take it
//  (after setting the error).
static bool
s_foreign (egov_regfile_t *reader, json_t *object, const char *path, const char *key,
           const char *kind)
{
    if (!json_object_get (object, key))
        return false;
    egov_regfile_fail (reader, path, "\"%s\" does not apply to a field of kind %s", key, kind);
    return true;
}

//  An optional boolean member, false when absent; false with the error set
//  when it is not a boolean.
static bool
s_flag (egov_regfile_t *reader, json_t *object, const char *path, const char *key, bool *flag)
{
    json_t *value = egov_regfile_get (reader, object, path, key, JSON_TRUE, false);
    *flag = value && json_is_true (value);
    return !reader->error->code [0];
}

//  The choices of a CHOICE field: a non-empty array of distinct codes.
static bool
s_choices (egov_regfile_t *reader, json_t *object, const char *path, egov_field_t *field)
{
    json_t *array = egov_regfile_get (reader, object, path, "choices", JSON_ARRAY, false);
    if (!array)
        return reader->error->code [0] ? false
             : egov_regfile_fail (reader, path, "a field of kind choice needs \"choices\"");
    size_t count = json_array_size (array);
    if (count == 0 || count > EGOV_FORM_FIELDS_MAX)
        return egov_regfile_fail (reader, path, "\"choices\" must list 1-%d choices",
                                  EGOV_FORM_FIELDS_MAX);
    field->choices = (const char **) calloc (count + 1, sizeof (char *));
    assert (field->choices);
    for (size_t index = 0; index < count; index++) {
        const char *choice = json_string_value (json_array_get (array, index));
        if (!choice || !s_choice_valid (choice))
            return egov_regfile_fail (reader, path, "choices[%zu] must be a code of a-z, 0-9,"
                                      " dashes and _", index);
        for (size_t other = 0; other < index; other++)
            if (streq (field->choices [other], choice))
                return egov_regfile_fail (reader, path, "choice '%s' is listed twice", choice);
        field->choices [index] = egov_regfile_keep (reader, choice);
        field->choice_count = index + 1;
    }
    return true;
}

//  The members that depend on the kind: range, length, choices, flags.
static bool
s_kind_members (egov_regfile_t *reader, json_t *object, const char *path, egov_field_t *field)
{
    const char *kind = s_kind_names [field->kind];
    if ((field->kind != EGOV_FIELD_INTEGER
         && (s_foreign (reader, object, path, "min", kind) || s_foreign (reader, object, path, "max", kind)))
    ||  (field->kind != EGOV_FIELD_TEXT && s_foreign (reader, object, path, "max_length", kind))
    ||  (field->kind != EGOV_FIELD_CHOICE
         && (s_foreign (reader, object, path, "choices", kind)
             || s_foreign (reader, object, path, "study_form", kind)))
    ||  (field->kind != EGOV_FIELD_IIN && s_foreign (reader, object, path, "child", kind)))
        return false;
    if (field->kind == EGOV_FIELD_INTEGER) {
        json_t *min = egov_regfile_get (reader, object, path, "min", JSON_INTEGER, true);
        json_t *max = min ? egov_regfile_get (reader, object, path, "max", JSON_INTEGER, true) : NULL;
        if (!max)
            return false;
        field->min = json_integer_value (min);
        field->max = json_integer_value (max);
        if (field->min < -s_INTEGER_LIMIT || field->max > s_INTEGER_LIMIT)
            return egov_regfile_fail (reader, path, "\"min\" and \"max\" must lie within"
                                      " -%lld..%lld", s_INTEGER_LIMIT, s_INTEGER_LIMIT);
        if (field->min > field->max)
            return egov_regfile_fail (reader, path, "\"min\" %" PRId64 " is above \"max\" %" PRId64,
                                      field->min, field->max);
    }
    if (field->kind == EGOV_FIELD_TEXT) {
        json_t *length = egov_regfile_get (reader, object, path, "max_length", JSON_INTEGER, true);
        if (!length)
            return false;
        if (json_integer_value (length) < 1 || json_integer_value (length) > s_TEXT_MAX)
            return egov_regfile_fail (reader, path, "\"max_length\" must be 1-%d", s_TEXT_MAX);
        field->max_length = (size_t) json_integer_value (length);
    }
    if (field->kind == EGOV_FIELD_CHOICE && !s_choices (reader, object, path, field))
        return false;
    return s_flag (reader, object, path, "child", &field->child)
        && s_flag (reader, object, path, "study_form", &field->study_form);
}

//  One field of the form at path.
static bool
s_field (egov_regfile_t *reader, json_t *object, const char *path, egov_field_t *field)
{
    if (!json_is_object (object))
        return egov_regfile_fail (reader, path, "must be an object");
    if (!egov_regfile_keys (reader, object, path, "key", "kind", "required", "label", "min", "max",
                            "max_length", "choices", "child", "study_form", NULL))
        return false;
    field->key = egov_regfile_text (reader, object, path, "key", true);
    if (!field->key)
        return false;
    if (!s_key_valid (field->key))
        return egov_regfile_fail (reader, path, "\"key\" must be 1-%d of a-z, 0-9 and _ starting"
                                  " with a letter, not '%s'", EGOV_FORM_KEY_MAX, field->key);
    const char *kind = egov_regfile_text (reader, object, path, "kind", true);
    if (!kind)
        return false;
    size_t index = 0;
    while (s_kind_names [index] && !streq (s_kind_names [index], kind))
        index++;
    if (!s_kind_names [index])
        return egov_regfile_fail (reader, path, "\"kind\" must be text, integer, choice, date,"
                                  " iin or boolean, not '%s'", kind);
    field->kind = (egov_field_kind_t) index;
    json_t *required = egov_regfile_get (reader, object, path, "required", JSON_TRUE, true);
    if (!required)
        return false;
    field->required = json_is_true (required);
    return s_kind_members (reader, object, path, field)
        && egov_regfile_names (reader, object, path, "label", &field->label);
}

//  Frees what a form allocated (its strings belong to the JSON).
static void
s_free (egov_form_t *self)
{
    for (size_t index = 0; index < self->size; index++)
        free (self->fields [index].choices);
    free (self->fields);
    free (self);
}

egov_form_t *
egov_form_new (egov_regfile_t *reader, json_t *object, const char *path)
{
    assert (reader && object && path);
    char where [160];
    snprintf (where, sizeof (where), "%s.fields", path);
    json_t *array = egov_regfile_get (reader, object, path, "fields", JSON_ARRAY, true);
    if (!array)
        return NULL;
    if (json_array_size (array) > EGOV_FORM_FIELDS_MAX) {
        egov_regfile_fail (reader, where, "at most %d fields", EGOV_FORM_FIELDS_MAX);
        return NULL;
    }
    egov_form_t *self = (egov_form_t *) calloc (1, sizeof (egov_form_t));
    assert (self);
    self->fields = (egov_field_t *) calloc (json_array_size (array) + 1, sizeof (egov_field_t));
    assert (self->fields);
    bool valid = true;
    size_t index;
    json_t *item;
    json_array_foreach (array, index, item) {
        char at [192];
        snprintf (at, sizeof (at), "%s[%zu]", where, index);
        egov_field_t *field = self->fields + index;
        self->size = index + 1;
        valid = s_field (reader, item, at, field);
        for (size_t other = 0; valid && other < index; other++) {
            const egov_field_t *before = self->fields + other;
            if (streq (before->key, field->key))
                valid = egov_regfile_fail (reader, at, "key '%s' is listed twice", field->key);
            else
            if ((before->child && field->child) || (before->study_form && field->study_form))
                valid = egov_regfile_fail (reader, at, "only one field may be marked %s",
                                           field->child ? "child" : "study_form");
        }
        if (!valid)
            break;
    }
    if (!valid) {
        s_free (self);
        return NULL;
    }
    return self;
}

void
egov_form_destroy (egov_form_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        s_free (*self_p);
        *self_p = NULL;
    }
}

size_t
egov_form_size (const egov_form_t *self)
{
    return self->size;
}

const egov_field_t *
egov_form_field (const egov_form_t *self, size_t index)
{
    return index < self->size ? self->fields + index : NULL;
}

const egov_field_t *
egov_form_child (const egov_form_t *self)
{
    for (size_t index = 0; index < self->size; index++)
        if (self->fields [index].child)
            return self->fields + index;
    return NULL;
}

const egov_field_t *
egov_form_study_form (const egov_form_t *self)
{
    for (size_t index = 0; index < self->size; index++)
        if (self->fields [index].study_form)
            return self->fields + index;
    return NULL;
}

json_t *
egov_form_json (const egov_form_t *self)
{
    json_t *fields = json_array ();
    for (size_t index = 0; index < self->size; index++) {
        const egov_field_t *field = self->fields + index;
        json_t *item = json_pack ("{s:s, s:s, s:b, s:s, s:{s:s, s:s, s:s}}", "key", field->key,
                                  "kind", s_kind_names [field->kind], "required", field->required,
                                  "label", field->label.en, "labels", "kk", field->label.kk,
                                  "ru", field->label.ru, "en", field->label.en);
        if (field->kind == EGOV_FIELD_INTEGER) {
            json_object_set_new (item, "min", json_integer (field->min));
            json_object_set_new (item, "max", json_integer (field->max));
        }
        if (field->kind == EGOV_FIELD_TEXT)
            json_object_set_new (item, "max_length", json_integer ((json_int_t) field->max_length));
        if (field->choices) {
            json_t *choices = json_array ();
            for (size_t choice = 0; choice < field->choice_count; choice++)
                json_array_append_new (choices, json_string (field->choices [choice]));
            json_object_set_new (item, "choices", choices);
        }
        if (field->child)
            json_object_set_new (item, "child", json_true ());
        if (field->study_form)
            json_object_set_new (item, "study_form", json_true ());
        json_array_append_new (fields, item);
    }
    return fields;
}

//  Appends {field: "form.KEY", code, message} to errors.
static void
s_wrong (json_t *errors, const char *key, const char *code, const char *format, ...)
    __attribute__ ((format (printf, 4, 5)));
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
s_check (const egov_field_t *field, json_t *value, json_t *errors)
{
    const char *text = json_string_value (value);
    const char *label = field->label.en;
    switch (field->kind) {
        case EGOV_FIELD_TEXT:
            if (!text)
                s_wrong (errors, field->key, "WRONG_TYPE", "%s must be text", label);
            else
            if (json_string_length (value) == 0 || !egov_http_printable (text)
            ||  strlen (text) != json_string_length (value))
                s_wrong (errors, field->key, "REQUIRED", "%s must not be empty or hold control"
                         " characters", label);
            else
            if (json_string_length (value) > field->max_length)
                s_wrong (errors, field->key, "TOO_LONG", "%s is at most %zu bytes", label,
                         field->max_length);
            break;
        case EGOV_FIELD_INTEGER:
            if (!json_is_integer (value))
                s_wrong (errors, field->key, "WRONG_TYPE", "%s must be a whole number", label);
            else
            if (json_integer_value (value) < field->min || json_integer_value (value) > field->max)
                s_wrong (errors, field->key, "OUT_OF_RANGE", "%s must be from %" PRId64 " to %" PRId64,
                         label, field->min, field->max);
            break;
        case EGOV_FIELD_CHOICE: {
            bool found = false;
            for (size_t choice = 0; text && choice < field->choice_count && !found; choice++)
                found = streq (field->choices [choice], text);
            if (!text)
                s_wrong (errors, field->key, "WRONG_TYPE", "%s must be text", label);
            else
            if (!found) {
                char list [200] = "";
                for (size_t choice = 0; choice < field->choice_count; choice++)
                    snprintf (list + strlen (list), sizeof (list) - strlen (list), "%s%s",
                              choice ? ", " : "", field->choices [choice]);
                s_wrong (errors, field->key, "NOT_A_CHOICE", "%s must be one of: %s", label, list);
            }
            break;
        }
        case EGOV_FIELD_DATE: {
            int year, month, day;
            if (!text)
                s_wrong (errors, field->key, "WRONG_TYPE", "%s must be text (YYYY-MM-DD)", label);
            else
            if (!egov_date_parse (text, &year, &month, &day))
                s_wrong (errors, field->key, "INVALID_DATE", "%s must be a date YYYY-MM-DD", label);
            break;
        }
        case EGOV_FIELD_IIN: {
            egov_error_t why = { { 0 } };
            if (!text)
                s_wrong (errors, field->key, "WRONG_TYPE", "%s must be text (12 digits)", label);
            else
            if (!egov_iin_valid (text, &why))
                s_wrong (errors, field->key, "INVALID_IIN", "%s: %s", label, why.message);
            break;
        }
        case EGOV_FIELD_BOOLEAN:
            if (!json_is_boolean (value))
                s_wrong (errors, field->key, "WRONG_TYPE", "%s must be true or false", label);
            break;
    }
}

bool
egov_form_validate (const egov_form_t *self, json_t *values, json_t *errors,
                    const char **child, const char **study_form)
{
    assert (self && errors);
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
        for (size_t index = 0; index < self->size && !known; index++)
            known = streq (self->fields [index].key, key);
        if (!known)
            s_wrong (errors, key, "UNKNOWN_FIELD", "this service's form has no field '%.64s'", key);
    }
    for (size_t index = 0; index < self->size; index++) {
        const egov_field_t *field = self->fields + index;
        value = json_object_get (values, field->key);
        if (!value || json_is_null (value)) {
            if (field->required)
                s_wrong (errors, field->key, "REQUIRED", "%s is required", field->label.en);
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

//  ---------------------------------------------------------------------
//  Selftest

//  A label object for test fields.
#define s_LABEL(en) "\"label\": {\"kk\": \"" en "\", \"ru\": \"" en "\", \"en\": \"" en "\"}"

//  The school admission form as the catalogue gives it, for the tests.
static const char *s_school =
    "{\"fields\": ["
    "{\"key\": \"child_iin\", \"kind\": \"iin\", \"required\": true, \"child\": true, " s_LABEL ("child's IIN") "},"
    "{\"key\": \"study_form\", \"kind\": \"choice\", \"required\": true, \"choices\": [\"first-grade\","
    " \"day\", \"evening\"], \"study_form\": true, " s_LABEL ("study form") "},"
    "{\"key\": \"grade\", \"kind\": \"integer\", \"required\": true, \"min\": 1, \"max\": 11, " s_LABEL ("grade") "},"
    "{\"key\": \"school\", \"kind\": \"text\", \"required\": true, \"max_length\": 200, " s_LABEL ("school") "},"
    "{\"key\": \"language\", \"kind\": \"choice\", \"required\": false, \"choices\": [\"kazakh\","
    " \"russian\", \"english\"], " s_LABEL ("language of study") "},"
    "{\"key\": \"desired_date\", \"kind\": \"date\", \"required\": false, " s_LABEL ("wanted from") "},"
    "{\"key\": \"priority_right\", \"kind\": \"boolean\", \"required\": false, " s_LABEL ("priority") "},"
    "{\"key\": \"note\", \"kind\": \"text\", \"required\": false, \"max_length\": 10, " s_LABEL ("note") "}"
    "]}";

//  Reads text as a form: the form (and *document, to free after it), or
//  NULL with error set.
static egov_form_t *
s_read (const char *text, json_t **document, egov_error_t *error)
{
    *document = json_loads (text, 0, NULL);
    assert (*document);
    egov_regfile_t reader = { "test.json", "CATALOGUE_INVALID", error };
    memset (error, 0, sizeof (*error));
    return egov_form_new (&reader, *document, "$.request_form");
}

//  The school form with one change to field index (member key; NULL value
//  deletes it); the error message, "" when it was read.
static const char *
s_broken (size_t index, const char *key, json_t *value, egov_error_t *error)
{
    json_t *document = json_loads (s_school, 0, NULL);
    assert (document);
    json_t *field = json_array_get (json_object_get (document, "fields"), index);
    if (value)
        json_object_set_new (field, key, value);
    else
        json_object_del (field, key);
    char *text = json_dumps (document, JSON_COMPACT);
    json_decref (document);
    egov_form_t *form = s_read (text, &document, error);
    free (text);
    if (form)
        error->message [0] = 0;
    egov_form_destroy (&form);
    json_decref (document);
    return error->message;
}

//  Validates text against the form; returns "field:CODE ..." of the errors.
static const char *
s_codes (const egov_form_t *form, const char *text)
{
    static char codes [300];
    json_t *values = json_loads (text, 0, NULL);
    assert (values);
    json_t *errors = json_array ();
    egov_form_validate (form, values, errors, NULL, NULL);
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
egov_form_test (bool verbose)
{
    if (verbose)
        printf (" * egov_form: ");
    egov_error_t error;
    json_t *document;
    egov_form_t *form = s_read (s_school, &document, &error);
    assert (form && egov_form_size (form) == 8);
    assert (streq (egov_form_field (form, 1)->key, "study_form") && egov_form_field (form, 8) == NULL);
    assert (streq (egov_form_child (form)->key, "child_iin"));
    assert (streq (egov_form_study_form (form)->key, "study_form"));

    //  Good values, and where the child and the study form are
    const char *good = "{\"child_iin\": \"200510607893\", \"study_form\": \"day\", \"grade\": 1,"
                       " \"school\": \"School No 12\"}";
    assert (streq (s_codes (form, good), ""));
    json_t *values = json_loads (good, 0, NULL);
    json_t *errors = json_array ();
    const char *child, *study_form;
    assert (egov_form_validate (form, values, errors, &child, &study_form));
    assert (streq (child, "200510607893") && streq (study_form, "day"));
    json_decref (values);
    //  Each kind of mistake, with its stable code
    assert (streq (s_codes (form, "{}"), "form.child_iin:REQUIRED form.study_form:REQUIRED"
                                         " form.grade:REQUIRED form.school:REQUIRED"));
    assert (streq (s_codes (form,
        "{\"child_iin\": \"200510607890\", \"study_form\": \"night\", \"grade\": 12,"
        " \"school\": \"\", \"language\": 3, \"colour\": \"red\"}"),
        "form.colour:UNKNOWN_FIELD form.child_iin:INVALID_IIN form.study_form:NOT_A_CHOICE"
        " form.grade:OUT_OF_RANGE form.school:REQUIRED form.language:WRONG_TYPE"));
    assert (streq (s_codes (form,
        "{\"child_iin\": 200510607893, \"study_form\": \"day\", \"grade\": \"1\", \"school\": \"x\","
        " \"desired_date\": \"2026-02-30\", \"priority_right\": 1, \"note\": \"eleven byte\"}"),
        "form.child_iin:WRONG_TYPE form.grade:WRONG_TYPE form.desired_date:INVALID_DATE"
        " form.priority_right:WRONG_TYPE form.note:TOO_LONG"));
    assert (streq (s_codes (form, "{\"child_iin\": \"200510607893\", \"study_form\": \"day\", \"grade\": 1,"
                                  " \"school\": \"a\\u0001b\", \"language\": null}"), "form.school:REQUIRED"));
    assert (!egov_form_validate (form, json_null (), errors, NULL, NULL));
    assert (streq (json_string_value (json_object_get (json_array_get (errors, 0), "field")), "form"));
    json_decref (errors);

    //  As frontends see it
    json_t *described = egov_form_json (form);
    assert (json_array_size (described) == 8);
    json_t *first = json_array_get (described, 0);
    assert (streq (json_string_value (json_object_get (first, "kind")), "iin"));
    assert (json_is_true (json_object_get (first, "child")));
    assert (streq (json_string_value (json_object_get (first, "label")), "child's IIN"));
    assert (json_object_get (json_object_get (first, "labels"), "kk"));
    assert (json_array_size (json_object_get (json_array_get (described, 1), "choices")) == 3);
    assert (json_integer_value (json_object_get (json_array_get (described, 2), "max")) == 11);
    assert (json_integer_value (json_object_get (json_array_get (described, 3), "max_length")) == 200);
    assert (!json_object_get (json_array_get (described, 3), "min"));
    json_decref (described);
    egov_form_destroy (&form);
    egov_form_destroy (&form);
    json_decref (document);

    //  A malformed form is refused, naming the field
    assert (streq (s_broken (0, "required", json_true (), &error), ""));
    assert (strstr (s_broken (2, "kind", json_string ("number"), &error),
                    "test.json: $.request_form.fields[2]: \"kind\" must be text, integer, choice,"
                    " date, iin or boolean, not 'number'"));
    assert (streq (error.code, "CATALOGUE_INVALID"));
    assert (strstr (s_broken (1, "choices", NULL, &error),
                    "$.request_form.fields[1]: a field of kind choice needs \"choices\""));
    assert (strstr (s_broken (1, "choices", json_array (), &error), "\"choices\" must list 1-"));
    assert (strstr (s_broken (1, "choices", json_pack ("[s, s]", "day", "day"), &error),
                    "choice 'day' is listed twice"));
    assert (strstr (s_broken (3, "key", json_string ("grade"), &error),
                    "$.request_form.fields[3]: key 'grade' is listed twice"));
    assert (strstr (s_broken (2, "min", json_integer (12), &error), "\"min\" 12 is above \"max\" 11"));
    assert (strstr (s_broken (2, "max", NULL, &error), "the field \"max\" is missing"));
    assert (strstr (s_broken (3, "max_length", NULL, &error), "the field \"max_length\" is missing"));
    assert (strstr (s_broken (3, "max_length", json_integer (0), &error), "\"max_length\" must be 1-"));
    assert (strstr (s_broken (3, "min", json_integer (1), &error),
                    "\"min\" does not apply to a field of kind text"));
    assert (strstr (s_broken (3, "child", json_true (), &error),
                    "\"child\" does not apply to a field of kind text"));
    assert (strstr (s_broken (0, "colour", json_string ("red"), &error),
                    "$.request_form.fields[0]: unknown field \"colour\""));
    assert (strstr (s_broken (0, "required", NULL, &error), "the field \"required\" is missing"));
    assert (strstr (s_broken (0, "key", json_string ("Child IIN"), &error), "\"key\" must be 1-64"));
    assert (strstr (s_broken (0, "label", json_pack ("{s:s}", "en", "child"), &error),
                    "$.request_form.fields[0].label: the field \"kk\" is missing"));
    assert (strstr (s_broken (4, "study_form", json_true (), &error),
                    "fields[4]: only one field may be marked study_form"));
    assert (!s_read ("{\"fields\": {}}", &document, &error)
            && strstr (error.message, "$.request_form: \"fields\" must be an array"));
    json_decref (document);
    if (verbose)
        printf ("OK\n");
}
