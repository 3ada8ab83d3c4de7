/*  portal_server_private — what the portal's files share: the state and
    the database helpers. Not for other classes.                          */
#ifndef PORTAL_SERVER_PRIVATE_H_INCLUDED
#define PORTAL_SERVER_PRIVATE_H_INCLUDED

#include "portal_server.h"
#include "egov_cms.h"
#include "egov_clock.h"
#include "registries.pb-c.h"
#include "applications.pb-c.h"

struct _portal_server_t {
    PGconn *conn;                   //  the store, not owned
    shep_client_t *client;          //  gateway connection, not owned; NULL: none
    portal_config_t config;         //  regulations, PKI, policy
    portal_accounts_t *accounts;    //  citizens and sessions
    egov_cms_verifier_t *verifier;  //  Condition 2, and the provider's result
    zhashx_t *in_flight;            //  outbox message id -> wall ms it was last sent
    bool verbose;                   //  log every step
};

//  Runs a parameterised statement; NULL (logged) unless the result has the
//  expected status. lengths/formats may be NULL for text parameters.
PGresult *portal_server__sql (portal_server_t *self, ExecStatusType expected, const char *sql,
                              int count, const char *const *values, const int *lengths,
                              const int *formats);
//  BEGIN / COMMIT / ROLLBACK; false when it failed.
bool portal_server__exec (portal_server_t *self, const char *command);
//  Appends a step to an application's history (inside the caller's transaction).
bool portal_server__history (portal_server_t *self, const char *id, const char *status,
                             const char *step, const char *role, const char *actor,
                             const char *note, int64_t at_sim);
//  Adds a notification to the citizen's cabinet (caller's transaction).
bool portal_server__notify (portal_server_t *self, const char *iin, const char *id,
                            const char *kind, const char *status, const char *text,
                            int64_t ready_sim, int64_t at_sim);
//  Stores an envelope for the gateway in the outbox (caller's transaction).
bool portal_server__outbox (portal_server_t *self, const char *id, Egov__Envelope *envelope);
//  ISO 8601 in Almaty time for a moment, or JSON null for 0.
json_t *portal_server__time (int64_t ms);
//  Asks gbdfl.person (under correlation_id, may be NULL); 1 found (*response set, free with free_unpacked), 0
//  not found (error NOT_FOUND or the registry's INVALID_IIN), -1 the
//  registry could not be reached (error: the gateway's code).
int portal_server__person (portal_server_t *self, const char *iin, const char *correlation_id,
                           Egov__Registries__PersonResponse **response, egov_error_t *error);
//  Full name of a person from the registry.
void portal_server__name (const Egov__Registries__Person *person, char *buffer, size_t size);

#endif
