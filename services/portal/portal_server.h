/*  portal_server — the citizen portal (ЭҮП, "электрондық үкімет"
    веб-порталы, www.egov.kz): Diagram 2 from the citizen's side.

    The citizen registers with IIN and password (the IIN must be known to
    the registry of individuals, asked through the gateway ЭҮШ) and logs in
    (Process 1, Condition 1, Process 2). Process 3: the citizen picks a
    service, fills in its form, attaches electronic copies and signs the
    request with an e-signature; Condition 2 / Process 4: the portal checks
    the certificate's validity, the revocation list and that the IIN in the
    certificate is the citizen's and the request's. Identity data and the
    child's birth certificate come from the registry, never from the
    citizen: applying for a child needs the registry to link the child to
    the citizen. Process 5: the signed document goes as an async message
    through the gateway to the regional gateway (ЭҮӨШ) of the region, which
    registers it (Process 6) and hands it to the provider; status notices
    and the provider's signed result come back to the personal cabinet
    (жеке кабинет), with a notification for each.

    Everything is in PostgreSQL: citizens, sessions, applications, their
    history, notifications, the inbox (deliveries applied once) and the
    outbox (messages to the gateway, written with the business row).     */
#ifndef PORTAL_SERVER_H_INCLUDED
#define PORTAL_SERVER_H_INCLUDED

#include "portal_reply.h"
#include "portal_accounts.h"
#include "shep_client.h"
#include "egov_catalogue.h"
#include <libpq-fe.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PORTAL_PARTICIPANT      "portal"

//  What a portal needs besides its database.
typedef struct {
    egov_catalogue_t *catalogue;    //  the services, not owned
    egov_calendar_t *calendar;      //  working days and hours, not owned
    const char *pki_dir;            //  trust anchors and CRL for Condition 2
    portal_policy_t policy;         //  sessions and locks
    int registry_timeout_ms;        //  a look-up in the registry of individuals
} portal_config_t;

typedef struct _portal_server_t portal_server_t;

//  A portal over a connection (not owned) with the schema applied. NULL
//  with PKI_MISSING / PKI_BROKEN when the trust anchors cannot be read.
portal_server_t *portal_server_new (PGconn *conn, const portal_config_t *config,
                                    egov_error_t *error);
void portal_server_destroy (portal_server_t **self_p);
//  The gateway connection (not owned), or NULL while there is none.
void portal_server_set_client (portal_server_t *self, shep_client_t *client);
void portal_server_set_verbose (portal_server_t *self, bool verbose);

//  HTTP-facing: each fills reply (status and JSON body).
void portal_server_register (portal_server_t *self, json_t *body, egov_http_reply_t *reply);
void portal_server_login (portal_server_t *self, json_t *body, egov_http_reply_t *reply);
//  True when token names a live session (iin filled); else reply is 401 AUTH_REQUIRED.
bool portal_server_authenticate (portal_server_t *self, const char *token, char iin [13],
                                 egov_http_reply_t *reply);
void portal_server_services (portal_server_t *self, egov_http_reply_t *reply);
void portal_server_me (portal_server_t *self, const char *iin, egov_http_reply_t *reply);
void portal_server_submit (portal_server_t *self, const char *iin, json_t *body,
                           egov_http_reply_t *reply);
void portal_server_applications (portal_server_t *self, const char *iin, egov_http_reply_t *reply);
void portal_server_application (portal_server_t *self, const char *iin, const char *id,
                                egov_http_reply_t *reply);
void portal_server_notifications (portal_server_t *self, const char *iin, egov_http_reply_t *reply);

//  Gateway-facing: applies every frame waiting on the client (receipts
//  of submissions, deliveries of application.status and .result).
void portal_server_drain (portal_server_t *self);
//  Sends what waits in the outbox without blocking; receipts come back
//  through drain, unanswered submissions are sent again.
void portal_server_flush (portal_server_t *self);

void portal_server_test (bool verbose);

#ifdef __cplusplus
}
#endif
#endif
