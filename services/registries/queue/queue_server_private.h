/*  queue_server_private — what queue_server and queue_direct share: the
    server's state, and the look-up of a child in the registry of
    individuals that ends in an enqueue (a caller's queue.enqueue, or an
    application the register answers itself).                           */
#ifndef QUEUE_SERVER_PRIVATE_H_INCLUDED
#define QUEUE_SERVER_PRIVATE_H_INCLUDED

#include "queue_server.h"
#include "egov_catalogue.h"
#include "egov_cms.h"

struct _queue_server_t {
    shep_participant_t *engine;     //  gateway, database and outbox; not owned
    zlistx_t *pending;              //  queue_lookup_t: enqueues waiting for gbdfl
    bool verbose;                   //  log every request
    //  Seed 004's direct routes (queue_direct), when set up
    egov_catalogue_t *catalogue;    //  not owned
    char *pki_dir;                  //  where the provider's queue-<KATO> keys are
    zhashx_t *signers;              //  egov_cms_signer_t by region, made when first needed
    zhashx_t *answering;            //  correlation ids of direct applications in hand
    bool pump_wanted;               //  a direct application was stored: pump soon
};

typedef struct _queue_lookup_t queue_lookup_t;

//  What an enqueue came to: the entry stored, a motivated refusal, or an
//  error (REGISTRY_UNAVAILABLE, REGISTER_UNAVAILABLE, INVALID_IIN).
typedef struct {
    Egov__Queue__Entry *entry;      //  the entry, or NULL (freed after the finish)
    egov_error_t refusal;           //  the refusal when no entry and no error
    egov_error_t error;             //  code set on an error
} queue_outcome_t;

//  Told how a look-up ended; argument is the finish's own.
typedef void (queue_lookup_fn) (queue_server_t *self, void *argument, const queue_outcome_t *outcome);

//  Asks the registry of individuals for request's child, without blocking;
//  on its answer judges (queue_rules) and stores the entry as sender asked
//  (queue_store_enqueue), then calls finish once. False with error (BUSY,
//  REGISTRY_UNAVAILABLE) when it could not ask: finish is never called.
bool queue_server__lookup (queue_server_t *self, const Egov__Queue__EnqueueRequest *request,
                           const char *sender, const char *correlation_id, queue_lookup_fn *finish,
                           void *argument, egov_error_t *error);

//  Runs unit on the database, once more on a fresh connection when the
//  first try failed because the connection broke (PostgreSQL restarted).
#define QUEUE_WITH_DATABASE(self, conn, outcome, unit) \
    for (int attempt_ = 0; attempt_ < 2; attempt_++) { \
        PGconn *conn = shep_participant_db ((self)->engine); \
        if (!conn) { outcome = QUEUE_STORE_FAILED; break; } \
        outcome = (unit); \
        if (outcome != QUEUE_STORE_FAILED || PQstatus (conn) == CONNECTION_OK) break; \
    }

//  queue_direct: the handler of application.registered, .return and .recall.
shep_outcome_t queue_direct_deliver (void *service, PGconn *conn, const shep_delivery_t *delivery,
                                     egov_error_t *reject);
//  Frees what queue_direct made on the server.
void queue_direct_destroy (queue_server_t *self);

#endif
