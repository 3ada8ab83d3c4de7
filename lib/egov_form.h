/*  egov_form — a service's request form (өтініш нысаны / форма заявления):
    the fields an applicant fills in (Process 3 of the regulations: "the
    form appears, the applicant fills it in respecting its structure and
    format"), read from the catalogue entry, and their validation with one
    stable error per wrong field. The portal and the State Corporation's
    desk ask the same form and answer the same mistakes the same way.

    A field is text, integer, choice, date, iin or boolean. A field marked
    "child" names the child the parent applies for (the channel checks the
    link in the registry of individuals); one marked "study_form" names the
    catalogue's study form, which decides the application window.
    docs/regulations.md describes the format.                            */
#ifndef EGOV_FORM_H_INCLUDED
#define EGOV_FORM_H_INCLUDED

#include "egov_calendar.h"

#ifdef __cplusplus
extern "C" {
#endif

#define EGOV_FORM_FIELDS_MAX    50          //  fields in one form
#define EGOV_FORM_KEY_MAX       64          //  bytes of a field's key

typedef enum {
    EGOV_FIELD_TEXT,                //  1..max_length bytes of printable text
    EGOV_FIELD_INTEGER,             //  a JSON integer from min to max
    EGOV_FIELD_CHOICE,              //  one of choices
    EGOV_FIELD_DATE,                //  YYYY-MM-DD, a real day
    EGOV_FIELD_IIN,                 //  a well-formed IIN
    EGOV_FIELD_BOOLEAN              //  true or false
} egov_field_kind_t;

//  One field. Strings point into the JSON the form was read from.
typedef struct {
    const char *key;                //  member of the submitted form object
    egov_field_kind_t kind;         //  what it holds
    bool required;                  //  must be present (and not null)
    int64_t min, max;               //  INTEGER: the range
    size_t max_length;              //  TEXT: bytes at most
    const char **choices;           //  CHOICE: NULL-terminated list
    size_t choice_count;            //  CHOICE: how many
    bool child;                     //  IIN of the applicant's child (registry link checked)
    bool study_form;                //  CHOICE naming the catalogue's study form (windows)
    egov_names_t label;             //  for people: kk, ru, en
} egov_field_t;

typedef struct _egov_form_t egov_form_t;

//  Reads the form at parent.key (path names parent in errors): an object
//  {fields: [...]} plus what the caller allows beside it (the catalogue's
//  source / assumed / note, checked by the caller). NULL after setting the
//  reader's error for a malformed form: an unknown kind or member, a
//  choice without choices, a duplicate key, min > max ... The form points
//  into parent, which must outlive it.
egov_form_t *egov_form_new (egov_regfile_t *reader, json_t *object, const char *path);
//  Frees the form and nulls the pointer; safe twice.
void egov_form_destroy (egov_form_t **self_p);
//  Number of fields, and one of them in display order (NULL past the end).
size_t egov_form_size (const egov_form_t *self);
const egov_field_t *egov_form_field (const egov_form_t *self, size_t index);
//  The field marked child, or NULL.
const egov_field_t *egov_form_child (const egov_form_t *self);
//  The field marked study_form, or NULL.
const egov_field_t *egov_form_study_form (const egov_form_t *self);
//  The form for frontends: [{key, kind, required, label, labels {kk, ru,
//  en}, min, max (integer), max_length (text), choices (choice), child,
//  study_form (when true)}]. Caller owns it.
json_t *egov_form_json (const egov_form_t *self);
//  Validates the submitted values (a JSON object) against the form.
//  Appends one {field: "form.KEY", code, message} per wrong field to
//  errors (codes REQUIRED, WRONG_TYPE, TOO_LONG, OUT_OF_RANGE,
//  NOT_A_CHOICE, INVALID_DATE, INVALID_IIN, UNKNOWN_FIELD; "form" itself
//  WRONG_TYPE when values is not an object); true when there are none.
//  *child and *study_form (may be NULL) point into values at the child's
//  IIN and the study form when they are valid, else NULL.
bool egov_form_validate (const egov_form_t *self, json_t *values, json_t *errors,
                         const char **child, const char **study_form);

void egov_form_test (bool verbose);

#ifdef __cplusplus
}
#endif
#endif
