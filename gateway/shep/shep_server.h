/*  shep_server — the central e-government gateway (ЭҮШ, "электрондық
    үкімет" шлюзі / ШЭП): one ROUTER socket that participants connect to,
    a sync channel (request → provider → reply, with a deadline) and an
    async store-and-forward channel whose messages are committed to
    PostgreSQL before the sender hears ON_DELIVERY, and a message log of
    every envelope that crosses it. All database work runs in the store
    actor (shep_store); this reactor never blocks on PostgreSQL.         */
#ifndef SHEP_SERVER_H_INCLUDED
#define SHEP_SERVER_H_INCLUDED

#include "shep_store.h"

#ifdef __cplusplus
extern "C" {
#endif

//  The shipped access rights, relative to the repository.
#define SHEP_RIGHTS_DEFAULT     "gateway/rights.conf"

typedef struct {
    const char *endpoint;           //  where participants connect, tcp://127.0.0.1:7700
    const char *conninfo;           //  the gateway's database
    const char *keys;               //  CURVE keys folder (shep_keys.h)
    const char *rights;             //  the access rights file (shep_rights.h)
    uint32_t max_message_size;      //  bytes; a larger frame gets MESSAGE_TOO_LARGE
    uint32_t heartbeat_ms;          //  participants silent for 3 periods are dropped
    uint32_t sync_timeout_ms;       //  default deadline of a sync call
    uint32_t sync_timeout_max_ms;   //  the longest deadline a requester may ask
    uint32_t async_ttl_ms;          //  default time to live of an async message
    uint32_t redeliver_ms;          //  resend an unacknowledged delivery after this
    uint32_t window;                //  deliveries in flight per recipient
    uint32_t max_calls;             //  sync calls waiting for providers, at most
    uint32_t max_queued;            //  async submissions waiting for a commit, at most
    uint32_t max_queued_bytes;      //  bytes of async messages held in memory at most: waiting
                                    //  for a commit, and (apart) waiting for or in delivery
    bool clock_start_set;           //  a first start begins the simulated clock at
    int64_t clock_start_ms;         //  clock_start_ms (a clock already saved is kept)
    const char *metrics_address;    //  "HOST:PORT" of GET /metrics and /health, NULL: none
    bool verbose;
} shep_config_t;

typedef struct _shep_server_t shep_server_t;

//  Fills config with the documented defaults.
void shep_config_defaults (shep_config_t *config);
//  Sets up the schema, starts the store, binds; NULL (logged) on failure.
shep_server_t *shep_server_new (const shep_config_t *config);
void shep_server_destroy (shep_server_t **self_p);
//  The gateway as an actor (egov_service): argument is its shep_config_t;
//  answers ENDPOINT with the endpoint it bound (a port of * resolved).
void shep_server_actor (zsock_t *pipe, void *argument);
//  The endpoint actually bound (a port of 0 or * is resolved).
const char *shep_server_endpoint (shep_server_t *self);

//  A gateway for other classes' selftests: the actor on tcp://127.0.0.1:*
//  with its tables in a fresh schema of the test database. The struct holds
//  what the actor borrows: keep it until shep_server_test_stop.
typedef struct {
    const char *base;               //  the test database's conninfo
    char schema [64];               //  the gateway's schema in it
    char conninfo [1024];           //  base, on that schema
    shep_config_t config;
    zactor_t *actor;
    char *endpoint;                 //  where participants connect
    char keys [64];                 //  a keys folder of its own, for its participants
    char rights [4096];             //  the shipped rights file
} shep_server_test_t;

//  Starts a test gateway in schema of the database base; 0, or -1 when it
//  could not start.
int shep_server_test_start (shep_server_test_t *self, const char *base, const char *schema);
//  Makes a key pair for participant id in the test gateway's keys folder
//  (what it may do comes from the shipped rights); 0 or -1.
int shep_server_test_admit (shep_server_test_t *self, const char *participant_id);
//  Stops it, drops its schema and its keys.
void shep_server_test_stop (shep_server_test_t *self);

void shep_server_test (bool verbose);

#ifdef __cplusplus
}
#endif
#endif
