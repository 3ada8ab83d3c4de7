/*  egov_catalogue — the service catalogue: what the regional regulations
    (регламент / регламент) fix for each public service and region, as data.

    One JSON file per service and regional variant in regulations/catalogue,
    named <code>.<kato>.json (e.g. externat-permit.750000000.json). Each entry
    cites its seed file and items: names (kk, ru, en), the provider, the
    channels, the form (paper, electronic) and the request form's fields
    (egov_form), results and refusal grounds, the required documents
    of Standard item 9 (marked "assumed" where the seed does not list them),
    the provider's steps with role and maximum duration, the overall
    deadline, and the application windows. docs/regulations.md describes
    every field. Every file is validated at load: one broken file fails the
    whole catalogue with CATALOGUE_INVALID naming the file and the field.  */
#ifndef EGOV_CATALOGUE_H_INCLUDED
#define EGOV_CATALOGUE_H_INCLUDED

#include "egov_calendar.h"
#include "egov_form.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct _egov_catalogue_t egov_catalogue_t;

//  The one register a channel may send applications to directly
//  ("register" of a channel): the kindergarten queue register.
#define EGOV_CATALOGUE_QUEUE_REGISTER "queue"

//  A result kind, a refusal ground or a required document.
typedef struct {
    const char *code;               //  stable code: kind / code / type in the file
    const char *en;                 //  what it is
    const char *kk;                 //  the seed's words, or NULL
    const char *when;               //  documents: when it is needed, NULL if always
    const char *source;             //  seed item; NULL only when assumed
    const char *note;               //  why assumed, or a remark; may be NULL
    bool assumed;                   //  not in the seed: our reading or general knowledge
} egov_catalogue_item_t;

//  A maximum duration with where it comes from.
typedef struct {
    bool set;                       //  false: the entry has none
    egov_duration_t max;            //  the term
    const char *source;             //  seed item; NULL only when assumed
    const char *note;               //  remark, may be NULL
    bool assumed;                   //  not stated by the seed
} egov_catalogue_term_t;

//  One step inside the provider (clerk -> head -> executor -> head -> clerk).
typedef struct {
    const char *role;               //  clerk, head or executor
    const char *action;             //  what the step does
    egov_catalogue_term_t term;     //  its maximum duration (set false: none, see note)
} egov_catalogue_step_t;

typedef enum {
    EGOV_WINDOW_APPLICATION,        //  applications are accepted from..to
    EGOV_WINDOW_RESULT              //  the result is due by "to"
} egov_window_kind_t;

//  A yearly window, by month and day.
typedef struct {
    egov_window_kind_t kind;        //  application or result
    const char *form;               //  study form it is for, NULL for every form
    int from_month, from_day;       //  opening day; 0 for a result window without one
    int to_month, to_day;           //  closing day, inclusive
    const char *source;             //  seed item; NULL only when assumed
    const char *note;               //  remark, may be NULL
    bool assumed;                   //  not stated by the seed
} egov_catalogue_window_t;

//  One service in one region. Strings live as long as the catalogue.
typedef struct {
    const char *file;               //  the file it was loaded from
    const char *code;               //  stable service code, e.g. externat-permit
    const char *kato;               //  region's KATO code, e.g. 750000000
    egov_names_t region;            //  region's name
    const char *seed;               //  seed file name
    const char *part;               //  which regulation of the seed, items
    const char *act;                //  the akimat's resolution
    const char *standard;           //  the service standard it is built on
    egov_names_t name;              //  the service's name
    const char *provider_kind;      //  school, leb, preschool or college
    egov_names_t provider;          //  who provides it
    const char *provider_source;    //  seed item
    bool channels [EGOV_CHANNEL_COUNT];             //  offered channels
    const char *channel_source [EGOV_CHANNEL_COUNT];    //  seed item per offered channel
    const char *channel_note [EGOV_CHANNEL_COUNT];      //  remark per channel, may be NULL
    //  The register (participant id) that answers the channel's applications
    //  itself, NULL when the provider's staff decide them (the usual route)
    const char *channel_register [EGOV_CHANNEL_COUNT];
    //  A result unclaimed for a month at the State Corporation goes to the
    //  centre's own archive, not back to the provider (seed 001 item 8 7))
    bool unclaimed_archive;
    bool paper;                     //  the service has a paper form
    bool electronic;                //  the service has an electronic form
    const char *form_source;        //  seed item
    egov_catalogue_item_t *results;     //  result kinds
    size_t result_count;
    egov_catalogue_item_t *refusals;    //  refusal grounds
    size_t refusal_count;
    egov_catalogue_item_t *documents;   //  required documents (Standard item 9)
    size_t document_count;
    egov_catalogue_step_t *steps;       //  the provider's steps, in order
    size_t step_count;
    egov_catalogue_term_t deadline;     //  overall deadline, counted from receipt
    egov_catalogue_term_t max_wait;     //  longest wait to hand in documents, if given
    egov_catalogue_term_t max_service;  //  longest service at the desk, if given
    egov_catalogue_window_t *windows;   //  application and result windows
    size_t window_count;
    egov_form_t *request_form;      //  the fields the applicant fills in (egov_form)
    const char *request_form_source;    //  seed item, or NULL when assumed
    const char *request_form_note;      //  why assumed, or a remark; may be NULL
    bool request_form_assumed;          //  the fields are ours, not the seed's
    const char *note;               //  remark on the whole entry, may be NULL
} egov_catalogue_entry_t;

//  Loads and validates every *.json file in directory. NULL with
//  CATALOGUE_INVALID naming the file and the JSON path of a broken field,
//  or when the directory cannot be read or holds no entry.
egov_catalogue_t *egov_catalogue_new (const char *directory, egov_error_t *error);
//  Loads the regulations folder a service runs by: the working-day
//  calendar (calendar/kz.json) and the catalogue (catalogue/). 0, or -1
//  with the error of the one that failed and both left NULL.
int egov_regulations_load (const char *directory, egov_calendar_t **calendar,
                           egov_catalogue_t **catalogue, egov_error_t *error);
//  Frees the catalogue and nulls the pointer; safe twice.
void egov_catalogue_destroy (egov_catalogue_t **self_p);
//  The entry's file as it is now (for --json output), parsed; NULL with
//  CATALOGUE_INVALID when it can no longer be read. The caller frees it.
json_t *egov_catalogue_entry_json (const egov_catalogue_entry_t *entry, egov_error_t *error);
//  Number of entries; entries are sorted by code, then KATO.
size_t egov_catalogue_size (egov_catalogue_t *self);
const egov_catalogue_entry_t *egov_catalogue_entry (egov_catalogue_t *self, size_t index);
//  The entry for a code in a region; with kato NULL, the code's only
//  variant. NULL when there is none, or several and kato is NULL.
const egov_catalogue_entry_t *egov_catalogue_find (egov_catalogue_t *self, const char *code,
                                                   const char *kato);
//  How many regional variants a code has.
size_t egov_catalogue_variants (egov_catalogue_t *self, const char *code);

//  True when text is a region's KATO code (ӘАОЖ / КАТО, the classifier of
//  administrative-territorial units) as the catalogue keys regions: 9 digits.
bool egov_kato_valid (const char *text);

//  True when a window of the entry names this study form.
bool egov_catalogue_form_known (const egov_catalogue_entry_t *entry, const char *form);
//  True when the window decides: the seed states it (cites a source). A
//  window that is only assumed (borrowed from another region's seed) is
//  shown for information and never refuses anyone.
bool egov_catalogue_window_enforced (const egov_catalogue_window_t *window);
//  Whether applications for form (NULL: none given) are accepted on a local
//  month and day. The application windows that apply are the enforced ones
//  for that form and for every form; with none the service is always open.
//  *window (may be NULL) gets the window that decided, or NULL.
bool egov_catalogue_window_open (const egov_catalogue_entry_t *entry, const char *form,
                                 int month, int day, const egov_catalogue_window_t **window);

//  The schedule the overall term of an application on channel is counted
//  on: the provider's (EGOV_CHANNEL_OFFICE), or the channel's own when the
//  catalogue routes that channel to a register that answers itself (seed
//  004: 30 minutes of the State Corporation's hours).
egov_channel_t egov_catalogue_term_schedule (const egov_catalogue_entry_t *entry,
                                             egov_channel_t channel);

void egov_catalogue_test (bool verbose);

#ifdef __cplusplus
}
#endif
#endif
