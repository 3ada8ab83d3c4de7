/*  portal_forms — the request forms of the citizen portal (ЭҮП): for each
    service the fields the citizen fills in (Process 3: "the form appears,
    the applicant fills it in respecting its structure and format"), and
    their validation with one clear error per field.

    The catalogue (lib/egov_catalogue.h) fixes the documents, steps and
    terms of a service but not its request form: the forms live here, one
    table per service code, with a plain form (a free note) for any other
    catalogue entry that lists the portal channel. A field marked "child"
    names the child the parent applies for; the portal checks the link in
    the registry of individuals (birth certificates) and never asks the
    citizen for identity data.                                           */
#ifndef PORTAL_FORMS_H_INCLUDED
#define PORTAL_FORMS_H_INCLUDED

#include "egov_util.h"
#include <jansson.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    PORTAL_FIELD_TEXT,              //  1..max bytes of printable text
    PORTAL_FIELD_INTEGER,           //  a JSON integer from min to max
    PORTAL_FIELD_CHOICE,            //  one of choices
    PORTAL_FIELD_DATE,              //  YYYY-MM-DD, a real day
    PORTAL_FIELD_IIN,               //  a well-formed IIN
    PORTAL_FIELD_BOOLEAN            //  true or false
} portal_field_kind_t;

//  One field of a form.
typedef struct {
    const char *key;                //  member of document.form
    portal_field_kind_t kind;       //  what it holds
    bool required;                  //  must be present
    int min, max;                   //  integer range, or text length (max)
    const char *const *choices;     //  CHOICE: NULL-terminated list
    bool child;                     //  IIN of the citizen's child (registry link checked)
    bool study_form;                //  CHOICE naming the catalogue's study form (windows)
    const char *label;              //  for people (English)
} portal_field_t;

//  A service's form.
typedef struct {
    const char *service;            //  catalogue code, NULL for the plain form
    const portal_field_t *fields;   //  in display order
    size_t count;
} portal_form_t;

//  The form of a service code: its own, or the plain form.
const portal_form_t *portal_forms_find (const char *service);
//  The form as JSON for frontends: [{key, kind, required, label, ...}].
json_t *portal_form_json (const portal_form_t *form);
//  Validates document.form (a JSON object) against the form. Appends one
//  {field, code, message} per wrong field to errors (codes REQUIRED,
//  WRONG_TYPE, TOO_LONG, OUT_OF_RANGE, NOT_A_CHOICE, INVALID_DATE,
//  INVALID_IIN, UNKNOWN_FIELD); true when there are none. *child and
//  *study_form (may be NULL) point into values at the child's IIN and the
//  study form, or are NULL.
bool portal_form_validate (const portal_form_t *form, json_t *values, json_t *errors,
                           const char **child, const char **study_form);

void portal_forms_test (bool verbose);

#ifdef __cplusplus
}
#endif
#endif
