/*  portal_server_private — what the portal's files share: the state and
    the database helpers. Not for other classes. Every unit of work (an
    HTTP request, a delivery, a receipt) takes its connection from the
    participant runtime when it starts and hands it to the helpers.      */
#ifndef PORTAL_SERVER_PRIVATE_H_INCLUDED
#define PORTAL_SERVER_PRIVATE_H_INCLUDED

#include "portal_server.h"
#include "egov_cms.h"
#include "egov_clock.h"
#include "registries.pb-c.h"
#include "applications.pb-c.h"

struct _portal_server_t {
    shep_participant_t *engine;     //  the database and the gateway, not owned
    portal_config_t config;         //  regulations, PKI, policy
    portal_accounts_t *accounts;    //  citizens and sessions
    egov_cms_verifier_t *verifier;  //  Condition 2, and the provider's result
    bool verbose;                   //  log every step
};

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
//  Asks gbdfl.person (under correlation_id, may be NULL) through the
//  engine's client, waiting at most the registry timeout (the loop waits
//  with it; at once GATEWAY_UNREACHABLE while the gateway is away). 1 found
//  (*response set, free with free_unpacked), 0 not found (error NOT_FOUND
//  or the registry's INVALID_IIN), -1 the registry could not be reached
//  (error: the gateway's code).
int portal_server__person (portal_server_t *self, const char *iin, const char *correlation_id,
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
