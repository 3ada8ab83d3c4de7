/*  queue_rules — what the kindergarten queue register (балаларды кезекке қою
    бойынша электрондық Тізілім) decides about a child before it stores
    anything: under seven at the simulated today (seed 001 annex 1, seed 004:
    "7 жасқа дейінгі"), born with a birth certificate in the registry of
    individuals, a desired date that is not already past. The rules alone,
    apart from any storage, so a selftest can walk every boundary.      */
#ifndef QUEUE_RULES_H_INCLUDED
#define QUEUE_RULES_H_INCLUDED

#include "egov_util.h"

#ifdef __cplusplus
extern "C" {
#endif

//  A child of this age or more is refused: the queue is for preschoolers.
#define QUEUE_AGE_LIMIT 7
//  Longest queue code (e.g. 430000000-D01); longer is a malformed request.
#define QUEUE_CODE_MAX 48

//  Completed years between birth_date and on_date (YYYY-MM-DD each); -1
//  when a date is malformed or birth is after on_date.
int queue_rules_age (const char *birth_date, const char *on_date);
//  Whether the child may be queued on today: NULL, or the stable refusal
//  code (CHILD_TOO_OLD, NO_BIRTH_CERTIFICATE, DESIRED_DATE_PAST) with the
//  reason for the applicant in reason.
const char *queue_rules_judge (const char *birth_date, bool has_certificate,
                               const char *desired_date, const char *today,
                               char *reason, size_t size);
//  True for a well-formed queue code: the region's KATO code, a dash, 1-32
//  of A-Z 0-9 -.
bool queue_rules_code_valid (const char *code);
//  The simulation clock's today, Almaty time, as YYYY-MM-DD.
void queue_rules_today (char out [11]);

void queue_rules_test (bool verbose);

#ifdef __cplusplus
}
#endif
#endif
