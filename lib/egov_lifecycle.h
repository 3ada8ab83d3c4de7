/*  egov_lifecycle — the life of an application, once for every service:
    the statuses (egov.applications.Status) and which change of status
    each event may make.

        ACCEPTED ──sent──▶ SENT ──registered──▶ REGISTERED ──step──▶ IN_PROGRESS
            │                 │                      │                    │
            └─────────────────┴── refused (registration or provider) ─────┴─▶ REFUSED
                                                                 result ────▶ READY
        READY, REFUSED ──issued──▶ ISSUED
        READY, REFUSED ──returned (unclaimed)──▶ RETURNED_TO_PROVIDER
        RETURNED_TO_PROVIDER ──result again (recall)──▶ READY / REFUSED

    A status never moves back: an event that comes late (a notice
    overtaken by a later one, a notice of ACCEPTED or SENT, which only the
    channel sets) leaves the status as it is (EGOV_LIFECYCLE_
    KEEP: the service still records it in the history); an event the table
    does not allow at all is refused with a stable code. The desk, the
    portal and the provider ask the same table.                          */
#ifndef EGOV_LIFECYCLE_H_INCLUDED
#define EGOV_LIFECYCLE_H_INCLUDED

#include "egov_util.h"
#include "applications.pb-c.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef Egov__Applications__Status egov_status_t;

//  What happens to an application.
typedef enum {
    EGOV_EVENT_SENT,                //  the central gateway stored the request
    EGOV_EVENT_NOTICE,              //  a StatusNotice arrived (its status says which)
    EGOV_EVENT_RESULT,              //  the provider's Result arrived (approved or refused)
    EGOV_EVENT_ISSUED,              //  the result was handed to the applicant
    EGOV_EVENT_RETURNED             //  unclaimed: the result goes back to the provider
} egov_event_t;

//  What the table says about an event.
typedef enum {
    EGOV_LIFECYCLE_MOVE,            //  the status becomes *next
    EGOV_LIFECYCLE_KEEP,            //  a late or repeated event: the status stays
    EGOV_LIFECYCLE_REFUSE           //  not allowed from this status: error set
} egov_lifecycle_t;

//  Decides an event for an application in status from. to is the status
//  the event carries: the notice's status (EGOV_EVENT_NOTICE), READY or
//  REFUSED (EGOV_EVENT_RESULT), ignored for the others. *next gets the
//  new status on MOVE (and from otherwise). On REFUSE error gets
//  STATUS_NOT_ALLOWED (with both statuses in its message).
egov_lifecycle_t egov_lifecycle_decide (egov_status_t from, egov_event_t event, egov_status_t to,
                                        egov_status_t *next, egov_error_t *error);
//  The status named name ("IN_PROGRESS"), false when none is.
bool egov_status_parse (const char *name, egov_status_t *status);
//  The name of a status; "STATUS_UNSPECIFIED" for anything unknown.
const char *egov_status_name (egov_status_t status);
//  True for READY and REFUSED: a decision waits to be handed over.
bool egov_status_decided (egov_status_t status);

void egov_lifecycle_test (bool verbose);

#ifdef __cplusplus
}
#endif
#endif
