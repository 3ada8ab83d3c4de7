/*  egov_application — what a channel (the State Corporation intake, the
    portal) receives about an application it sent: a status notice
    (application.status) or the provider's result (application.result),
    decoded and checked the same way for every channel.                  */
#ifndef EGOV_APPLICATION_H_INCLUDED
#define EGOV_APPLICATION_H_INCLUDED

#include "egov_util.h"
#include "applications.pb-c.h"
#include "egov_lifecycle.h"

#ifdef __cplusplus
extern "C" {
#endif

//  One decoded delivery: exactly one of notice and result is set.
typedef struct {
    Egov__Applications__StatusNotice *notice;   //  application.status, or NULL
    Egov__Applications__Result *result;         //  application.result, or NULL
    char application_id [40];                   //  the payload's id, else the correlation id
} egov_application_update_t;

//  Decodes a delivery for a channel. False with reject set to the code to
//  acknowledge it with: UNSUPPORTED_SERVICE, MALFORMED_PAYLOAD or
//  UNKNOWN_APPLICATION (no usable application id). Free with _reset.
bool egov_application_update_decode (const Egov__Envelope *envelope,
                                     egov_application_update_t *update, egov_error_t *reject);
//  What the update does to an application now in status (its name): the
//  lifecycle's decision for a notice or a result (egov_lifecycle.h), *next
//  the status it moves to. REFUSE with STATUS_NOT_ALLOWED also for a status
//  name that is not one.
egov_lifecycle_t egov_application_update_decide (const egov_application_update_t *update,
                                                 const char *status, egov_status_t *next,
                                                 egov_error_t *error);
//  Frees what decode allocated; safe on a zeroed or reset update.
void egov_application_update_reset (egov_application_update_t *update);

void egov_application_test (bool verbose);

#ifdef __cplusplus
}
#endif
#endif
