/*  egov_calendar — Kazakhstan's working-day calendar (өндірістік күнтізбе /
    производственный календарь) as data plus rules, and the one deadline
    convention every service uses.

    The data is regulations/calendar/kz.json: weekly schedules per channel
    (the provider's office, the State Corporation, the portal), the public
    holidays of the holidays law, the rule that moves a day off when a
    national or state holiday falls on a weekly rest day, and the yearly
    transfer orders. Local time is UTC plus the file's fixed utc_offset.

    The convention (docs/regulations.md has worked examples):
      receipt  A submission inside its channel's working hours is received
               at that moment; in a lunch break, when work resumes; before
               opening, at opening; after closing or on a day off, at the
               opening of the next working day. The portal accepts around
               the clock but receives on the provider's hours (seed 000,
               externat item 12 3)). The local date of the receipt moment
               is the day of receipt and is never counted.
      N wd     ends at the close of the Nth working day after the day of
               receipt, on the counting schedule's working days.
      N cd     ends at 24:00 of the Nth calendar day after the day of
               receipt.
      N m, h   working minutes on the counting schedule from the receipt
               moment; closed time (lunch, nights, days off) does not count.
    The submission channel decides the receipt; the schedule that counts is
    a parameter: the provider's ("office") for a service's deadline and the
    provider's steps, whatever the channel. Nothing here reads the clock:
    the submission moment is always a parameter.                         */
#ifndef EGOV_CALENDAR_H_INCLUDED
#define EGOV_CALENDAR_H_INCLUDED

#include "egov_util.h"
#include <jansson.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct _egov_calendar_t egov_calendar_t;

//  Where an application arrives; also names a working schedule.
typedef enum {
    EGOV_CHANNEL_OFFICE,            //  the provider's office (кеңсе)
    EGOV_CHANNEL_STATE_CORP,        //  the State Corporation (ХҚКО / ЦОН)
    EGOV_CHANNEL_PORTAL             //  www.egov.kz (ЭҮП)
} egov_channel_t;
#define EGOV_CHANNEL_COUNT 3

typedef enum {
    EGOV_UNIT_MINUTES,              //  "m"
    EGOV_UNIT_HOURS,                //  "h"
    EGOV_UNIT_WORKING_DAYS,         //  "wd"
    EGOV_UNIT_CALENDAR_DAYS         //  "cd"
} egov_unit_t;

//  A term from the regulations: "15m", "1h", "15wd", "29cd".
typedef struct {
    int amount;                     //  1..99999
    egov_unit_t unit;               //  what is counted
} egov_duration_t;

typedef enum {
    EGOV_DAY_WORKING,
    EGOV_DAY_OFF,
    EGOV_DAY_UNKNOWN                //  outside the years the calendar covers
} egov_day_status_t;

//  One day walked while finding a receipt or a due moment.
typedef struct {
    int64_t day;                    //  local date, days since 1970-01-01
    int ordinal;                    //  wd/cd: the Nth counted day (1..N); 0 otherwise
    int minutes;                    //  m/h: working minutes counted on this day
    const char *skipped;            //  why the day was not counted (calendar's text), NULL if counted
} egov_calendar_day_t;

//  The days walked, in order; heap array.
typedef struct {
    egov_calendar_day_t *days;      //  entries
    size_t size;                    //  entries used
    size_t capacity;                //  entries allocated
} egov_calendar_trace_t;

//  When a submission counts as received, and why.
typedef struct {
    int64_t submitted_ms;           //  the moment given
    int64_t received_ms;            //  when it counts as received
    int64_t receipt_day;            //  local date of receipt: never counted
    const char *rule;               //  which part of the convention applied (static text)
    egov_calendar_trace_t skipped;  //  days off walked to reach the receipt
} egov_receipt_t;

//  When a term ends, and the days that decided it.
typedef struct {
    int64_t due_ms;                 //  the term ends at this moment
    egov_calendar_trace_t days;     //  every day after the day of receipt up to the end
} egov_due_t;

//  Loads and validates a calendar file. NULL with error CALENDAR_INVALID
//  naming the file and the JSON path of the field that is wrong.
egov_calendar_t *egov_calendar_new (const char *path, egov_error_t *error);
//  Frees the calendar and nulls the pointer; safe twice.
void egov_calendar_destroy (egov_calendar_t **self_p);
//  The years covered (inclusive); outside them a day is EGOV_DAY_UNKNOWN.
int egov_calendar_first_year (egov_calendar_t *self);
int egov_calendar_last_year (egov_calendar_t *self);
//  UTC offset of local time in milliseconds.
int64_t egov_calendar_offset_ms (egov_calendar_t *self);

//  Whether a local date is a working day on a channel's schedule (the portal
//  uses its receipt schedule). *why (may be NULL) gets why the day is off,
//  or why an otherwise free day works (a transfer), else NULL.
egov_day_status_t egov_calendar_day (egov_calendar_t *self, egov_channel_t channel,
                                     int64_t day, const char **why);
//  "Mon-Fri 09:00-13:00, 14:00-18:00", or "around the clock (receipt: ...)".
const char *egov_calendar_hours (egov_calendar_t *self, egov_channel_t channel);

//  When a submission on a channel at at_ms counts as received. False with
//  CALENDAR_RANGE when the walk leaves the covered years. Reset the receipt
//  with egov_receipt_reset after use.
bool egov_calendar_receipt (egov_calendar_t *self, egov_channel_t channel, int64_t at_ms,
                            egov_receipt_t *receipt, egov_error_t *error);
//  When a term counted on schedule from received_ms ends. False with
//  CALENDAR_RANGE when the count leaves the covered years. Reset the due
//  with egov_due_reset after use.
bool egov_calendar_due (egov_calendar_t *self, egov_channel_t schedule, int64_t received_ms,
                        egov_duration_t duration, egov_due_t *due, egov_error_t *error);
void egov_receipt_reset (egov_receipt_t *receipt);
void egov_due_reset (egov_due_t *due);

//  Local date (days since 1970-01-01) of a moment.
int64_t egov_calendar_local_day (egov_calendar_t *self, int64_t ms);
//  Parses ms since the epoch, or ISO 8601 "YYYY-MM-DD[THH:MM[:SS]]" with an
//  optional Z or +hh:mm; without a zone the time is local (utc_offset).
bool egov_calendar_time_parse (egov_calendar_t *self, const char *text, int64_t *ms);
//  "2026-03-20T19:30:00+05:00" into buffer.
const char *egov_calendar_time_format (egov_calendar_t *self, int64_t ms,
                                       char *buffer, size_t size);

//  "Monday" ... "Sunday" for a date in days since 1970-01-01.
const char *egov_weekday_name (int64_t day);
//  Parses "15m", "1h", "15wd", "29cd": 1..99999 and a unit, nothing else.
bool egov_duration_parse (const char *text, egov_duration_t *duration);
//  "15wd" into buffer.
const char *egov_duration_format (egov_duration_t duration, char *buffer, size_t size);
//  "15 working days", "29 calendar days", "1 hour".
const char *egov_duration_words (egov_duration_t duration, char *buffer, size_t size);
//  "office", "state-corp", "portal"; false for anything else.
bool egov_channel_parse (const char *name, egov_channel_t *channel);
const char *egov_channel_name (egov_channel_t channel);

//  A name in the three languages of the portal.
typedef struct {
    const char *kk;                 //  Kazakh, as in the seed
    const char *ru;                 //  Russian
    const char *en;                 //  English
} egov_names_t;

//  Strings kept together for the life of their owner: what a catalogue
//  keeps of its files once their parse trees are freed (a parsed tree
//  costs three to four times the file; the strings alone less than it).
typedef struct _egov_strings_t egov_strings_t;
egov_strings_t *egov_strings_new (void);
//  Frees every string kept and nulls the pointer; safe twice.
void egov_strings_destroy (egov_strings_t **self_p);
//  A copy of text that lives as long as the store.
const char *egov_strings_keep (egov_strings_t *self, const char *text);

//  Reading regulation files, shared with egov_catalogue and egov_form:
//  every failure sets error to code with "FILE: PATH: message".
typedef struct {
    const char *file;               //  the file being read, for messages
    const char *code;               //  CALENDAR_INVALID or CATALOGUE_INVALID
    egov_error_t *error;            //  where failures go
    egov_strings_t *strings;        //  when set, texts read are copied here (the
                                    //  document may then be freed); else they
                                    //  point into the document
} egov_regfile_t;

//  Sets the error for the field at path; returns false for chaining.
bool egov_regfile_fail (egov_regfile_t *reader, const char *path, const char *format, ...)
    __attribute__ ((format (printf, 3, 4)));
//  The member key of object (at path) with the wanted type, or NULL: when
//  absent and required, or of another type, after setting the error.
json_t *egov_regfile_get (egov_regfile_t *reader, json_t *object, const char *path,
                          const char *key, json_type type, bool required);
//  A string member: non-empty, at most 2000 bytes; NULL as above. Kept in
//  the reader's strings when it has them.
const char *egov_regfile_text (egov_regfile_t *reader, json_t *object, const char *path,
                               const char *key, bool required);
//  False after setting the error when object has a key outside the
//  NULL-terminated list (a misspelt field is an error, not a silent default).
bool egov_regfile_keys (egov_regfile_t *reader, json_t *object, const char *path, ...)
    __attribute__ ((sentinel));
//  A {kk, ru, en} member of parent (at path), each non-empty, into names
//  (may be NULL: only checked); false after setting the error.
bool egov_regfile_names (egov_regfile_t *reader, json_t *parent, const char *path,
                         const char *key, egov_names_t *names);
//  Parses a file into *document; false with the error naming the line.
bool egov_regfile_load (egov_regfile_t *reader, const char *path, json_t **document);
//  A text read from a document, kept in the reader's strings when it has
//  them (for strings read other than by egov_regfile_text).
const char *egov_regfile_keep (egov_regfile_t *reader, const char *text);

void egov_calendar_test (bool verbose);

#ifdef __cplusplus
}
#endif
#endif
