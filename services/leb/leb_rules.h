/*  leb_rules — what the local executive body (ЖАО, жергілікті атқарушы
    орган / МИО) decides, apart from any storage: which catalogue step
    carries the decision, when a step is due on the provider's calendar,
    the rule-based decision of Condition 2 (Process 8: a motivated refusal
    with its grounds), and the result document that the provider's
    authorised person signs.

    The rule (docs/diagram1-contract.md): refuse when a document type the
    catalogue entry requires is missing ("incomplete-documents", naming the
    types) or an attachment is empty or its sha256 does not match its
    content ("unreliable-documents", naming it); otherwise approve. A
    document with a "when" condition is required only when it applies: the
    ones about a representative when the application names one.          */
#ifndef LEB_RULES_H_INCLUDED
#define LEB_RULES_H_INCLUDED

#include "egov_catalogue.h"
#include "applications.pb-c.h"
#include <jansson.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LEB_GROUND_INCOMPLETE   "incomplete-documents"
#define LEB_GROUND_UNRELIABLE   "unreliable-documents"
//  A step without a maximum in the catalogue gets this one (our assumption).
#define LEB_DEFAULT_STEP        "1wd"
//  The recall answer: the result goes back within one working day.
#define LEB_RECALL_TERM         "1wd"

//  The index of the step that approves or refuses: the first executor's
//  step, else the last head's, else the last step.
size_t leb_rules_decision_step (const egov_catalogue_entry_t *entry);
//  True when role is clerk, head or executor.
bool leb_rules_role_valid (const char *role);
//  When a step started at start_ms ends on the provider's calendar (its
//  maximum, or LEB_DEFAULT_STEP when the catalogue gives none). False with
//  CALENDAR_RANGE when the count leaves the calendar's years.
bool leb_rules_step_due (egov_calendar_t *calendar, const egov_catalogue_step_t *step,
                         int64_t start_ms, int64_t *due_ms, egov_error_t *error);
//  When a term (e.g. LEB_RECALL_TERM) started at start_ms ends.
//  When auto mode completes step index of entry (started at start_ms, its
//  maximum due at due_ms): at that maximum, unless the chain would then pass
//  result_due_ms, the term the channel printed on the receipt (0: none);
//  then early enough that this step and each after it still fit, a minute
//  apart, by that term (at the earliest at start_ms). A provider in auto mode
//  keeps the deadline it promised.
int64_t leb_rules_step_planned (const egov_catalogue_entry_t *entry, size_t index, int64_t start_ms,
                                int64_t due_ms, int64_t result_due_ms);
bool leb_rules_term_due (egov_calendar_t *calendar, const char *term, int64_t start_ms,
                         int64_t *due_ms, egov_error_t *error);
//  Condition 2: appends the grounds of a refusal (strings "code: why") to
//  grounds, a JSON array; true when the application is to be approved.
bool leb_rules_decide (const egov_catalogue_entry_t *entry,
                       const Egov__Applications__Application *application, json_t *grounds);
void leb_rules_test (bool verbose);

#ifdef __cplusplus
}
#endif
#endif
