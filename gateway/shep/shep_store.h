/*  shep_store — the gateway's database actor. Every write and read of the
    gateway's PostgreSQL database happens in this one thread, so the reactor
    never blocks on a commit. The reactor hands over a batch (log records,
    async submissions, final statuses, registrations) or a job (a query);
    the store commits the batch in one transaction — group commit — and
    hands the same object back with its results. Work is done in the order
    it is handed over, so a query sees every batch sent before it.       */
#ifndef SHEP_STORE_H_INCLUDED
#define SHEP_STORE_H_INCLUDED

#include "shep_log.h"
#include "egov_clock.h"
#include "shep.pb-c.h"

#ifdef __cplusplus
extern "C" {
#endif

//  An async message to store.
typedef struct {
    Egov__Envelope *envelope;       //  the envelope, sender already set (owned)
    uint8_t *packed;                //  the packed envelope as it will be delivered (owned)
    size_t packed_size;
    char *recipient_id;             //  resolved recipient
    int64_t ttl_ms;                 //  time to live from acceptance
    zframe_t *requester;            //  routing id to send the receipt to (owned)
    uint64_t tag;                   //  the requester's tag, echoed in the receipt
    char *order_key;                //  in_order submissions: the recipient as the sender orders it
    //  results
    int64_t seq;                    //  queue position when newly stored, 0 for a duplicate
    Egov__DeliveryStatus status;    //  ON_DELIVERY when new, the stored status for a duplicate
    bool failed;                    //  the store could not take it (the batch failed)
} shep_submit_t;

//  A final status for an async message: acknowledged, rejected; or, with
//  status ON_DELIVERY, only the number of deliveries made so far.
typedef struct {
    char *message_id;
    char *recipient_id;             //  only the recipient can finish its message
    Egov__DeliveryStatus status;
    char *error_code;               //  NULL or the rejection code
    char *error_message;
    uint32_t attempts;              //  deliveries made
} shep_final_t;

//  A participant's hello to remember: its services and routes.
typedef struct {
    char *participant_id;
    zlist_t *services;              //  service ids it receives async messages for (char *)
    zlist_t *routes;                //  route ids it serves (char *)
} shep_registration_t;

//  A change of the simulation clock, answered and announced once committed.
typedef struct {
    egov_clock_state_t state;       //  the clock after the change
    char *changed_by;               //  participant that asked
    zframe_t *requester;            //  routing id to answer (owned)
    uint64_t tag;
} shep_clock_change_t;

typedef struct {
    zlistx_t *entries;              //  shep_log_entry_t *, in order of crossing
    zlistx_t *submits;              //  shep_submit_t *
    zlistx_t *finals;               //  shep_final_t *
    zlistx_t *registrations;        //  shep_registration_t *
    zlistx_t *clock_changes;        //  shep_clock_change_t *, the last one stays
    bool failed;                    //  rolled back: submits were not stored
} shep_batch_t;

typedef enum {
    SHEP_JOB_STATUS,                //  delivery status of one message
    SHEP_JOB_LOG,                   //  page of the message log
    SHEP_JOB_VERIFY,                //  walk the hash chain
    SHEP_JOB_LOAD,                  //  pending messages for a recipient
    SHEP_JOB_EXPIRE                 //  give up messages past their time to live
} shep_job_kind_t;

//  A message loaded for delivery.
typedef struct {
    int64_t seq;
    char *message_id;
    uint8_t *packed;                //  packed envelope
    size_t packed_size;
    uint32_t attempts;              //  deliveries made before
} shep_loaded_t;

typedef struct {
    shep_job_kind_t kind;
    zframe_t *requester;            //  who asked (NULL for the gateway's own jobs)
    uint64_t tag;                   //  echoed in the answer
    Egov__Shep__Frame *query;       //  the query frame for STATUS/LOG (owned)
    char *asker;                    //  STATUS: only this sender or recipient may see it (NULL: anyone)
    char *recipient_id;             //  LOAD: whose messages
    int64_t after_seq;              //  LOAD: above this queue position
    int limit;                      //  LOAD/EXPIRE: at most this many
    int64_t max_bytes;              //  LOAD: and of at most about these bytes (one at least)
    zframe_t *answer;               //  STATUS/LOG/VERIFY: packed answer frame
    zlistx_t *loaded;               //  LOAD: shep_loaded_t *
    zlistx_t *expired;              //  EXPIRE: shep_final_t * (message id, recipient)
    bool failed;                    //  LOAD/EXPIRE: the database could not be used
} shep_job_t;

shep_batch_t *shep_batch_new (void);
void shep_batch_destroy (shep_batch_t **self_p);
//  True when there is nothing to commit.
bool shep_batch_empty (shep_batch_t *self);

shep_submit_t *shep_submit_new (Egov__Envelope *envelope, const char *recipient_id,
                                int64_t ttl_ms, zframe_t *requester, uint64_t tag);
void shep_submit_destroy (shep_submit_t **self_p);
shep_final_t *shep_final_new (const char *message_id, const char *recipient_id,
                              Egov__DeliveryStatus status, const char *error_code,
                              const char *error_message, uint32_t attempts);
void shep_final_destroy (shep_final_t **self_p);
shep_registration_t *shep_registration_new (const char *participant_id);
void shep_registration_destroy (shep_registration_t **self_p);

shep_clock_change_t *shep_clock_change_new (egov_clock_state_t state, const char *changed_by,
                                           zframe_t *requester, uint64_t tag);
void shep_clock_change_destroy (shep_clock_change_t **self_p);

shep_job_t *shep_job_new (shep_job_kind_t kind);
void shep_job_destroy (shep_job_t **self_p);

//  What the store actor starts with (copied).
typedef struct {
    const char *conninfo;                   //  the gateway's database
    uint8_t log_key [SHEP_HASH_SIZE];       //  the message log chain's key (shep_log_key)
} shep_store_config_t;

//  The actor: args is a shep_store_config_t *. Signals 0 when ready,
//  -1 when the database cannot be reached. Commands on the pipe:
//  "BATCH" + shep_batch_t *  -> answered "BATCH" + the same pointer;
//  "JOB"   + shep_job_t *    -> answered "JOB" + the same pointer.
void shep_store_actor (zsock_t *pipe, void *args);

//  Applies the schema; false (logged) on failure.
bool shep_store_setup (const char *conninfo);

void shep_store_test (bool verbose);

#ifdef __cplusplus
}
#endif
#endif
