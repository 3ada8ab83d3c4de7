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
    history and notifications. The portal runs on the participant runtime
    (shep_participant): application.submit is stored in the runtime's
    outbox with the application, and the runtime submits it without
    blocking; the gateway's receipt makes the application SENT
    (portal_server_sent). The regional gateway's application.status and
    the provider's application.result are the runtime's deliveries, applied
    once each by portal_server_deliver in the transaction of their inbox
    row. Deliveries rejected (acknowledged with the code, never retried):
        UNSUPPORTED_SERVICE    neither application.status nor .result
        MALFORMED_PAYLOAD      not the payload the service carries
        UNKNOWN_APPLICATION    no application id, or none the portal sent
    While the database is away every request answers 503
    DATABASE_UNAVAILABLE, and the portal works again once it is back.

    Nothing waits on the portal's loop: the registry is asked through the
    runtime's asynchronous calls (shep_participant_call) and the Argon2
    password hashes run on worker threads (egov_worker); a request that
    needs either is answered by callback when they are done, and the loop
    serves every other request meanwhile.                                */
#ifndef PORTAL_SERVER_H_INCLUDED
#define PORTAL_SERVER_H_INCLUDED

#include "portal_reply.h"
#include "shep_accounts.h"

#define PORTAL_PASSWORD_MIN     8           //  bytes
#define PORTAL_PASSWORD_MAX     128         //  bytes

//  The password policy: 8-128 bytes, printable, a letter and a digit, not
//  containing the IIN. False with WEAK_PASSWORD saying what is missing.
bool portal_password_check (const char *password, const char *iin, egov_error_t *error);
#include "shep_participant.h"
#include "egov_catalogue.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PORTAL_PARTICIPANT      "portal"
//  The sync service that says where one of our applications stands (egovctl wait)
#define PORTAL_STATE_SERVICE    "portal.application"

//  What a portal needs besides its database.
typedef struct {
    egov_catalogue_t *catalogue;    //  the services, not owned
    egov_calendar_t *calendar;      //  working days and hours, not owned
    const char *pki_dir;            //  trust anchors and CRL for Condition 2
    shep_accounts_policy_t policy;  //  sessions and locks
    int registry_timeout_ms;        //  a look-up in the registry of individuals
} portal_config_t;

typedef struct _portal_server_t portal_server_t;

//  A portal on engine (not owned; its database has the portal schema),
//  naming its delivery handlers and its sent handler there. NULL with
//  PKI_MISSING / PKI_BROKEN when the trust anchors cannot be read.
portal_server_t *portal_server_new (shep_participant_t *engine, const portal_config_t *config,
                                    egov_error_t *error);
//  Drops the requests still waiting for the registry or a worker thread,
//  unanswered (the HTTP server answers them as it stops).
void portal_server_destroy (portal_server_t **self_p);
void portal_server_set_verbose (portal_server_t *self, bool verbose);
//  Runs the portal's worker threads (Argon2) from loop; until then a
//  password is hashed on the caller's thread.
void portal_server_attach (portal_server_t *self, zloop_t *loop);

//  How an answer that may come later is given: reply is the caller's to
//  take (its body may be stolen) until the call returns.
typedef void (portal_answer_fn) (void *argument, egov_http_reply_t *reply);
//  egov_http_answer_into serves callers that cannot wait: the answer comes
//  before the call returns without a gateway to ask and with the portal not
//  attached to a loop.

//  HTTP-facing: each fills reply (status and JSON body), or, when the
//  answer may wait for the registry or a worker thread, calls answer once:
//  at once when the request is refused before that, else later on the
//  loop. 503 BUSY (Retry-After) when too many passwords wait for a thread.
//  Registration: the IIN asked of the registry, then the password hashed.
//  How long a registration challenge may be signed and used (wall ms).
#define PORTAL_CHALLENGE_MS     (10 * 60 * 1000)
//  GET /api/v1/citizens/challenge: a document for a registration to sign,
//  good for PORTAL_CHALLENGE_MS (wall clock).
void portal_server_challenge (portal_server_t *self, egov_http_reply_t *reply);
void portal_server_register (portal_server_t *self, json_t *body, portal_answer_fn *answer,
                             void *argument);
//  Login: the password checked (an unknown IIN costs a hash as well).
void portal_server_login (portal_server_t *self, json_t *body, portal_answer_fn *answer,
                          void *argument);
//  True when token names a live session (iin filled); else reply is 401
//  AUTH_REQUIRED, or 503 DATABASE_UNAVAILABLE while the session cannot be
//  looked up.
bool portal_server_authenticate (portal_server_t *self, const char *token, char iin [13],
                                 egov_http_reply_t *reply);
void portal_server_services (portal_server_t *self, egov_http_reply_t *reply);
//  The citizen's identity data and children, asked of the registry.
void portal_server_me (portal_server_t *self, const char *iin, portal_answer_fn *answer,
                       void *argument);
//  The signed request: Condition 2, then the registry, then stored.
void portal_server_submit (portal_server_t *self, const char *iin, json_t *body,
                           portal_answer_fn *answer, void *argument);
//  Requests waiting for the registry or a worker thread.
size_t portal_server_waiting (portal_server_t *self);
void portal_server_applications (portal_server_t *self, const char *iin, egov_http_reply_t *reply);
//  GET /api/v1/applications/{id}/receipt: the notice of acceptance to print
//  (HTML); 404 APPLICATION_NOT_FOUND.
void portal_server_receipt_page (portal_server_t *self, const char *iin, const char *id,
                                 egov_http_reply_t *reply);
//  GET /api/v1/applications/{id}/result: the provider's result to print
//  (HTML); 404 APPLICATION_NOT_FOUND, 409 RESULT_NOT_READY.
void portal_server_result_page (portal_server_t *self, const char *iin, const char *id,
                                egov_http_reply_t *reply);
void portal_server_application (portal_server_t *self, const char *iin, const char *id,
                                egov_http_reply_t *reply);
void portal_server_notifications (portal_server_t *self, const char *iin, egov_http_reply_t *reply);
//  {"status": "ok"|"degraded" and the runtime's "gateway", "database",
//  "outbox", "inbox"}: 200, or 503 while the gateway or the database is away.
void portal_server_health (portal_server_t *self, egov_http_reply_t *reply);

//  Gateway-facing, for the runtime (service is the portal_server_t).
//  The handler of application.status and application.result: applies the
//  delivery on conn inside the runtime's transaction; reject gets the code.
shep_outcome_t portal_server_deliver (void *service, PGconn *conn, const shep_delivery_t *delivery,
                                      egov_error_t *reject);
//  After the gateway committed one of our messages: an application.submit
//  makes its application SENT, once (called again, it changes nothing).
void portal_server_sent (void *service, const Egov__Envelope *envelope, Egov__DeliveryStatus status);

void portal_server_test (bool verbose);

#ifdef __cplusplus
}
#endif
#endif
