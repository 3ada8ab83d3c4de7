/*  queue_store — the database of the kindergarten queue register
    (балаларды кезекке қою бойынша электрондық Тізілім): its queues and
    entries (schema.sql, places.sql), and the two transactions that matter.
    Each locks the queue's row, so that numbers stay consecutive whoever
    enqueues at the same moment, and a released place goes to one child:
      - an enqueue gives the next number of the queue, or a referral at
        once when a released place is free;
      - a release refers the first child waiting, once per place, or keeps
        the place free, and stores the referral for the local executive body
        whose application made the entry in the same transaction (outbox).
    SQL only, on the connection it is given: the caller owns the connection
    and decides what a failure means.                                    */
#ifndef QUEUE_STORE_H_INCLUDED
#define QUEUE_STORE_H_INCLUDED

#include "egov_util.h"
#include "shep_participant.h"
#include "queue.pb-c.h"

#ifdef __cplusplus
extern "C" {
#endif

//  The async message a later referral goes as, to the local executive body.
#define QUEUE_SERVICE_REFERRAL "queue.referral"

//  What a unit of work on the database came to.
typedef enum {
    QUEUE_STORE_DONE,               //  committed (or nothing to commit)
    QUEUE_STORE_REFUSED,            //  a motivated refusal: nothing stored
    QUEUE_STORE_FAILED              //  the database failed: rolled back
} queue_store_outcome_t;

//  Stores the queues of the seed (places.sql); a queue already there keeps
//  its counters. False when the database failed.
bool queue_store_seed (PGconn *conn);
//  Puts the child, judged already, in the queue as sender asks: the next
//  number, or the referral when a place is free. The same application from
//  the same sender again: its entry again. QUEUE_STORE_DONE with *entry_p
//  (free with egov__queue__entry__free_unpacked); QUEUE_STORE_REFUSED with
//  refusal (UNKNOWN_QUEUE, WRONG_REGION, ALREADY_QUEUED); or FAILED.
queue_store_outcome_t queue_store_enqueue (PGconn *conn, const char *sender, const char *child_iin,
                                           const char *birth_date, const char *queue,
                                           const char *desired_date, const char *application,
                                           Egov__Queue__Entry **entry_p, egov_error_t *refusal);
//  Frees places of queue, each a referral to the first child waiting or a
//  free place; a referral of a local executive body's application goes to
//  it (queue.referral), of a direct application to the channel through its
//  regional gateway (application.status READY with the referral as note),
//  through engine's outbox (engine may be NULL: none is sent).
//  QUEUE_STORE_DONE with *response_p (free with
//  egov__queue__release_response__free_unpacked), REFUSED (UNKNOWN_QUEUE),
//  or FAILED.
queue_store_outcome_t queue_store_release (shep_participant_t *engine, PGconn *conn,
                                           const char *queue, uint32_t places,
                                           Egov__Queue__ReleaseResponse **response_p,
                                           egov_error_t *refusal);
//  The child's entries, in one queue or all ("" ), of one region (NULL:
//  any), with positions; NULL when the database failed.
Egov__Queue__EntryResponse *queue_store_entries (PGconn *conn, const char *child_iin,
                                                 const char *queue, const char *region);
//  The queues of region ("": all) with their counters; NULL on failure.
Egov__Queue__ListResponse *queue_store_list (PGconn *conn, const char *region);
//  The region a sender acts for: leb-<KATO> and regional-<KATO> (a direct
//  application it brought) their own; NULL for anyone else (the
//  administrator's tool acts for every region).
const char *queue_store_sender_region (const char *sender);

void queue_store_test (bool verbose);

#ifdef __cplusplus
}
#endif
#endif
