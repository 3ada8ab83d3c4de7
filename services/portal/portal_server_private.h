/*  portal_server_private — what the portal's files share: the state and
    the database helpers. Not for other classes. Every unit of work (an
    HTTP request, a delivery, a receipt) takes its connection from the
    participant runtime when it starts and hands it to the helpers.      */
#ifndef PORTAL_SERVER_PRIVATE_H_INCLUDED
#define PORTAL_SERVER_PRIVATE_H_INCLUDED

#include "portal_server.h"
#include "egov_cms.h"
#include "egov_clock.h"
#include "egov_worker.h"
#include "registries.pb-c.h"
#include "applications.pb-c.h"

struct _portal_server_t {
    shep_participant_t *engine;     //  the database and the gateway, not owned
    portal_config_t config;         //  regulations, PKI, policy
    shep_accounts_t *accounts;      //  citizens and sessions
    egov_cms_verifier_t *verifier;  //  Condition 2, and the provider's result
    bool verbose;                   //  log every step
    zlistx_t *waiting;              //  portal_wait_t whose answer waits
    egov_worker_t *worker;          //  Argon2 off the loop
    uint8_t challenge_key [32];     //  MACs the registration challenges we hand out
};

//  The stable error code of a failed signature check: SIGNATURE_INVALID,
//  CERT_EXPIRED, CERT_REVOKED, UNKNOWN_ISSUER or IIN_MISMATCH.
const char *portal_server__signature_code (egov_cms_outcome_t outcome);

//  A request whose answer waits for the registry or a worker thread; each
//  kind embeds it as its first member and is the argument of every call
//  it makes, so that forgetting it forgets them.
typedef struct _portal_wait_t portal_wait_t;
//  Frees a wait of its kind, forgetting the calls and jobs it made.
typedef void (portal_wait_destroy_fn) (portal_wait_t **self_p);
struct _portal_wait_t {
    portal_server_t *server;            //  where it waits
    portal_wait_destroy_fn *destroy;    //  frees it
    portal_answer_fn *answer;           //  how the answer is given
    void *argument;                     //  for answer
    void *handle;                       //  its place in server->waiting
};
//  Puts wait on the server's list (before it asks anything: an answer
//  may come at once).
void portal_server__wait (portal_server_t *self, portal_wait_t *wait,
                          portal_wait_destroy_fn *destroy, portal_answer_fn *answer,
                          void *argument);
//  Gives the answer, takes wait off the list and destroys it.
void portal_server__answer (portal_wait_t *wait, egov_http_reply_t *reply);
//  Sets reply to 503 with a full worker queue's code (BUSY), Retry-After 1.
void portal_server__busy (egov_http_reply_t *reply, const egov_error_t *error);

//  The database for a unit of work, or NULL with reply set to 503
//  DATABASE_UNAVAILABLE while it is away (the engine tries again at most
//  once a second).
PGconn *portal_server__db (portal_server_t *self, egov_http_reply_t *reply);
//  Sets reply to 503 DATABASE_UNAVAILABLE.
void portal_server__db_down (egov_http_reply_t *reply);
//  Runs a parameterised statement; NULL (logged) unless the result has the
//  expected status. lengths/formats may be NULL for text parameters.
PGresult *portal_server__sql (PGconn *conn, ExecStatusType expected, const char *sql,
                              int count, const char *const *values, const int *lengths,
                              const int *formats);
//  BEGIN / COMMIT / ROLLBACK; false when it failed.
bool portal_server__exec (PGconn *conn, const char *command);
//  Appends a step to an application's history (inside the caller's transaction).
bool portal_server__history (PGconn *conn, const char *id, const char *status,
                             const char *step, const char *role, const char *actor,
                             const char *note, int64_t at_sim);
//  Adds a notification to the citizen's cabinet (caller's transaction).
bool portal_server__notify (PGconn *conn, const char *iin, const char *id,
                            const char *kind, const char *status, const char *text,
                            int64_t ready_sim, int64_t at_sim);
//  ISO 8601 in Almaty time for a moment, or JSON null for 0.
json_t *portal_server__time (int64_t ms);
//  Asks gbdfl.person about iin (under correlation_id, may be NULL) without
//  waiting: callback gets the answer on the loop, later, once, within the
//  registry timeout. False with error (GATEWAY_UNREACHABLE while the
//  gateway is away) when it could not be asked: callback is never called.
bool portal_server__ask_person (portal_server_t *self, const char *iin, const char *correlation_id,
                                shep_participant_reply_fn *callback, void *argument,
                                egov_error_t *error);
//  What gbdfl.person answered about iin (reply, or NULL with failure): 1
//  found (*response set, free with free_unpacked), 0 not found (error
//  NOT_FOUND or the registry's INVALID_IIN), -1 the registry could not be
//  asked (error: the gateway's code, or BAD_REPLY).
int portal_server__person_answer (const char *iin, const Egov__Envelope *reply,
                                  const egov_error_t *failure,
                                  Egov__Registries__PersonResponse **response, egov_error_t *error);
//  Full name of a person from the registry.
void portal_server__name (const Egov__Registries__Person *person, char *buffer, size_t size);
//  Answers 503 REGISTRY_UNAVAILABLE with the gateway's cause.
void portal_server__registry_down (egov_http_reply_t *reply, const egov_error_t *error);
//  A birth certificate as JSON.
json_t *portal_server__certificate_json (const Egov__Registries__BirthCertificate *certificate);
//  The identity documents of a person as JSON.
json_t *portal_server__documents_json (const Egov__Registries__Person *person);

#endif
