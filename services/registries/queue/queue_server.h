/*  queue_server — the electronic register of the kindergarten waiting queue
    (балаларды кезекке қою бойынша электрондық Тізілім; "кезектілікті
    басқарудың арнайы ақпараттық жүйесі", seeds 001 annex 1 and 004) as a
    gateway participant. Sync services, payloads in proto/queue.proto:

      queue.enqueue  a child in a kindergarten's or a district's queue: the
                     register asks the registry of individuals (gbdfl.person,
                     through the gateway, without blocking its loop) for the
                     child's birth date and certificate, judges (queue_rules),
                     and in one transaction gives the next number of the
                     queue, or a referral (жолдама) at once when a released
                     place is free. Motivated refusals: CHILD_TOO_OLD,
                     NO_BIRTH_CERTIFICATE, DESIRED_DATE_PAST, ALREADY_QUEUED,
                     CHILD_NOT_FOUND, UNKNOWN_QUEUE, WRONG_REGION.
      queue.entry    a child's entries with their positions;
      queue.list     the queues with their counters;
      queue.release  places become free: each, in one transaction, is one
                     referral to the first child waiting (by number), or
                     stays free; a referral of an entry that an application
                     of a local executive body made is sent to that leb as an
                     async queue.referral through the outbox of the same
                     transaction.

    Every request is input: the sender as the gateway stamped it must be one
    the service expects (UNEXPECTED_SENDER otherwise), the payload must
    decode and be well-formed (INVALID_IIN, INVALID_REQUEST), and a database
    or a registry that cannot answer is an error (REGISTER_UNAVAILABLE,
    REGISTRY_UNAVAILABLE), never a guess.                                  */
#ifndef QUEUE_SERVER_H_INCLUDED
#define QUEUE_SERVER_H_INCLUDED

#include "egov_util.h"
#include "shep_participant.h"
#include "queue.pb-c.h"
#include "queue_store.h"
#include "egov_catalogue.h"

#ifdef __cplusplus
extern "C" {
#endif

#define QUEUE_SERVICE_ENQUEUE  "queue.enqueue"
#define QUEUE_SERVICE_ENTRY    "queue.entry"
#define QUEUE_SERVICE_LIST     "queue.list"
#define QUEUE_SERVICE_RELEASE  "queue.release"
//  Enqueues waiting for the registry of individuals at once; more is BUSY.
#define QUEUE_PENDING_MAX      1000
//  How long the register waits for the registry of individuals: less than
//  the 3 s a caller such as egovctl waits for the register by default.
#define QUEUE_LOOKUP_TIMEOUT_MS 2000
//  The longest application id the register keeps with an entry.
#define QUEUE_APPLICATION_MAX  128
//  Places one release may free.
#define QUEUE_RELEASE_MAX      100

typedef struct _queue_server_t queue_server_t;

//  Creates the server on engine (not owned): registers its answer.
queue_server_t *queue_server_new (shep_participant_t *engine);
//  Forgets the enqueues still waiting for the registry (unanswered: the
//  callers' deadlines tell them).
void queue_server_destroy (queue_server_t **self_p);
//  Logs every request when true.
void queue_server_set_verbose (queue_server_t *self, bool verbose);
//  Applies the seed of queues (idempotent); false when the database failed.
bool queue_server_seed (queue_server_t *self);
//  Seed 004's direct routes (queue_direct.c): takes application.registered,
//  .return and .recall from the regional gateways for the applications
//  whose channel catalogue (not owned) routes to the register, and answers
//  each with the provider's result document signed with pki_dir's
//  queue-<KATO> key, as application.result. Needs receive_async.
void queue_server_set_direct (queue_server_t *self, egov_catalogue_t *catalogue, const char *pki_dir);
//  Takes the direct applications still WAITING in hand (just stored, after
//  a restart, or when the registry of individuals did not answer): call
//  from a timer; queue_server_pump_wanted says whether one was stored since.
void queue_server_pump (queue_server_t *self);
bool queue_server_pump_wanted (queue_server_t *self);
//  Answers one request (a shep_participant_answer_fn; service: the server).
Egov__Envelope *queue_server_answer (void *service, const Egov__Envelope *request,
                                     egov_error_t *refusal);

void queue_server_test (bool verbose);

#ifdef __cplusplus
}
#endif
#endif
