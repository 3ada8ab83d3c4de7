/*  egov_queue — an application for the kindergarten queue and the
    register's answer (балаларды кезекке қою бойынша электрондық Тізілім):
    the enqueue request an application's form makes, the decision the
    register's answer makes, and its entry in the result document (the
    queue number and position, or the referral, жолдама); its refusals
    become the motivated refusal. The local executive body uses it when its
    executor puts the child in the register; the register itself when an
    application comes to it directly (seed 004's routes, docs/queue.md).

    The request form's fields (Application.form): child_iin (required),
    desired_date (YYYY-MM-DD; today when absent), and the queue: the field
    queue, else kindergarten when it holds a queue code of the region, else
    the region's first district queue (<KATO>-D01).                       */
#ifndef EGOV_QUEUE_H_INCLUDED
#define EGOV_QUEUE_H_INCLUDED

#include "egov_util.h"
#include "egov_catalogue.h"
#include "applications.pb-c.h"
#include "queue.pb-c.h"
#include <jansson.h>

#ifdef __cplusplus
extern "C" {
#endif

#define EGOV_QUEUE_SERVICE       "kindergarten-queue"    //  the catalogue's code
#define EGOV_QUEUE_ENQUEUE       "queue.enqueue"         //  the register's service
#define EGOV_QUEUE_REFERRAL      "queue.referral"        //  a later referral, from the register
#define EGOV_QUEUE_REGISTER      "queue"                 //  the register's participant id
#define EGOV_QUEUE_TIMEOUT_MS    5000                    //  the register asks gbdfl within 2 s

//  True when an application of entry goes through the register.
bool egov_queue_applies (const egov_catalogue_entry_t *entry);
//  The register's request for application (correlation_id: the
//  application's, so a retry answers the same entry), with today as the
//  desired date when the form has none. A new request (free with
//  egov__queue__enqueue_request__free_unpacked), or NULL when the form names
//  no child: ground gets the refusal ground.
Egov__Queue__EnqueueRequest *egov_queue_request (const Egov__Applications__Application *application,
                                                const char *correlation_id, const char *today,
                                                char *ground, size_t size);
//  The decision the register's answer makes: true to approve; false with
//  the refusal ground appended to grounds.
bool egov_queue_decide (const Egov__Queue__EnqueueResponse *answer, json_t *grounds);
//  The approved result document with the register's entry in it, as
//  "queue", and the kind "referral" when the entry was referred and the
//  catalogue has that result. A new string; document is not freed.
char *egov_queue_document (const char *document, const Egov__Queue__EnqueueResponse *answer,
                          const egov_catalogue_entry_t *entry);
//  The entry as JSON (for the document and for notices).
json_t *egov_queue_entry_json (const Egov__Queue__Entry *entry);

void egov_queue_test (bool verbose);

#ifdef __cplusplus
}
#endif
#endif
