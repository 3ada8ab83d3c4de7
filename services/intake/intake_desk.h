/*  intake_desk — the State Corporation operator's desk (МК АЖ, the
    operator's workstation АЖО / АРМ): Diagram 1 from the operator's side.

    Process 1 the operator logs in; Processes 2-4 the registries are asked
    through the gateway (ЭҮШ) about the applicant and the representative's
    power of attorney, and absent data stop the application; the package is
    checked against the catalogue (refusal receipt when incomplete, else an
    acceptance receipt with the term from the calendar); Processes 5-6 the
    request is signed with the operator's certificate and sent as an async
    message to the regional gateway (ЭҮӨШ) of the region. Status notices and
    the provider's result come back as deliveries; Process 9 the result is
    handed over on the receipt and an identity document from the registry.
    An unclaimed result goes back to the provider after one month of
    simulated time and is asked back when the applicant comes later.

    Paper routes (services without an electronic form, the duplicates):
    the collection sector's register of packages, the courier with the
    provider's dated receipt and the barcode marking of returned results
    are steps of the history.

    Everything is in PostgreSQL: operators, sessions, applications and
    their history. The gateway link, the database link, the inbox and the
    outbox are the participant runtime's (shep_participant): the desk's
    deliveries are handlers applied once in the runtime's transaction, its
    messages are stored with the business row, and every unit of work (an
    HTTP request, a timer) takes the database from the runtime at its start,
    so a PostgreSQL restart is answered 503 DATABASE_UNAVAILABLE while it
    lasts and survived without restarting the desk.                     */
#ifndef INTAKE_DESK_H_INCLUDED
#define INTAKE_DESK_H_INCLUDED

#include "intake_request.h"
#include "shep_participant.h"
#include "egov_catalogue.h"
#include <libpq-fe.h>

#ifdef __cplusplus
extern "C" {
#endif

#define INTAKE_PARTICIPANT      "intake"
//  The sync service that says where one of our applications stands (egovctl wait)
#define INTAKE_STATE_SERVICE    "intake.application"
#define INTAKE_SESSION_HOURS    12          //  a login lasts this long

typedef struct _intake_desk_t intake_desk_t;

//  The operator behind a request.
typedef struct {
    char login [INTAKE_TEXT_MAX];   //  login
    char name [256];                //  full name, from the certificate
    char iin [13];                  //  IIN, from the certificate
} intake_operator_t;

//  A desk on engine (not owned; it holds the gateway and the database, with
//  the schema applied), the regulations (not owned) and the PKI folder
//  (operators' keys and the trust anchors). Names its delivery handlers and
//  its sent handler on engine. office NULL: the State Corporation's desk
//  (every region, its hours, through the regional gateways); a KATO: that
//  region's provider's own office (its services offered at the office, the
//  office's hours, straight to leb-<KATO>). NULL with PKI_MISSING when the
//  PKI has no certificates for its operators, INVALID_OFFICE for an office
//  that is not a KATO code.
intake_desk_t *intake_desk_new (shep_participant_t *engine, egov_catalogue_t *catalogue,
                                egov_calendar_t *calendar, const char *pki_dir,
                                const char *office, egov_error_t *error);
//  The participant id of a desk: "intake", or office-<KATO> (buffer).
const char *intake_desk_participant (const char *office, char *buffer, size_t size);
void intake_desk_destroy (intake_desk_t **self_p);
void intake_desk_set_verbose (intake_desk_t *self, bool verbose);
//  lock_after wrong passwords in a row lock an operator's login for lock_ms
//  (wall time); default 5 and 15 minutes.
void intake_desk_set_lock (intake_desk_t *self, int lock_after, int64_t lock_ms);
//  Runs the desk's worker threads (the operators' passwords, Argon2) from
//  loop; until then a password is checked on the caller's thread.
void intake_desk_attach (intake_desk_t *self, zloop_t *loop);
//  Creates the demo operators whose certificates the PKI issued (operator1..3)
//  with their documented passwords; returns how many were created, -1 on error.
int intake_desk_seed_operators (intake_desk_t *self, egov_error_t *error);

//  How an answer that may come later is given: reply is the caller's to
//  take (its body may be stolen) until the call returns.
typedef void (intake_desk_answer_fn) (void *argument, egov_http_reply_t *reply);

//  HTTP-facing: each fills reply (status and JSON body), or gives its
//  answer to answer(argument) when it may come later; 503
//  DATABASE_UNAVAILABLE while the database is away.
//  Process 1: the password is checked (Argon2) on a worker thread, the
//  loop serving others meanwhile; answer is called once, at once when the
//  login is refused before that (400, unknown login 401, 503), else when
//  the worker's verdict came. 503 BUSY when too many logins wait.
void intake_desk_login (intake_desk_t *self, json_t *body, intake_desk_answer_fn *answer,
                        void *argument);
//  True when token names a live session; otherwise reply is 401 AUTH_REQUIRED.
bool intake_desk_authenticate (intake_desk_t *self, const char *token,
                               intake_operator_t *operator_, egov_http_reply_t *reply);
void intake_desk_services (intake_desk_t *self, egov_http_reply_t *reply);
//  Processes 2-6 for one package: checks it, asks the registries
//  (Condition 1) without waiting on the loop, then accepts or refuses it.
//  answer is called once: at once when the package is refused before the
//  registries are asked (or they cannot be), else when their answers came.
//  idempotency_key (may be NULL), the request's Idempotency-Key: the same
//  key of the same operator with the same body answers 200 with the
//  application it made (duplicate: true), with another body 422
//  IDEMPOTENCY_KEY_REUSED; 400 INVALID_IDEMPOTENCY_KEY when malformed.
void intake_desk_submit (intake_desk_t *self, const intake_operator_t *operator_,
                         json_t *body, const char *idempotency_key,
                         intake_desk_answer_fn *answer, void *argument);
//  egov_http_answer_into serves callers that cannot wait: the answer comes
//  before the call returns without a gateway and with the desk not
//  attached to a loop.
void intake_desk_show (intake_desk_t *self, const char *id, egov_http_reply_t *reply);
//  GET /api/v1/applications/{id}/receipt: the acceptance receipt to print
//  (HTML); 404 APPLICATION_NOT_FOUND.
void intake_desk_receipt (intake_desk_t *self, const char *id, egov_http_reply_t *reply);
//  GET /api/v1/applications/{id}/result: the provider's result to print
//  (HTML); 404 APPLICATION_NOT_FOUND, 409 RESULT_NOT_READY.
void intake_desk_result_page (intake_desk_t *self, const char *id, egov_http_reply_t *reply);
//  GET /api/v1/refusal-receipts/{number}: a refusal receipt to print (HTML);
//  404 RECEIPT_NOT_FOUND.
void intake_desk_refusal_receipt (intake_desk_t *self, const char *number, egov_http_reply_t *reply);
//  GET /api/v1/applications: a page of applications, newest first, filtered.
typedef struct {
    const char *status;             //  a status name, or NULL
    const char *applicant_iin;      //  12 digits, or NULL
    const char *receipt_number;     //  the acceptance receipt, or NULL
    const char *limit;              //  1..200, NULL: 50
    const char *after;              //  the last id of the page before, or NULL
} intake_list_query_t;
void intake_desk_list (intake_desk_t *self, const intake_list_query_t *query, egov_http_reply_t *reply);
//  Process 9: the result handed over on the receipt and an identity
//  document the registry of individuals confirms, asked without waiting
//  on the loop. answer is called once: at once when it is refused before
//  the registry is asked (or it cannot be), else when its answers came.
//  idempotency_key (may be NULL): the same key of the same operator with the
//  same body again answers 200 with the application it issued ("duplicate":
//  true); with another body 422 IDEMPOTENCY_KEY_REUSED.
void intake_desk_handover (intake_desk_t *self, const intake_operator_t *operator_,
                           const char *id, json_t *body, const char *idempotency_key,
                           intake_desk_answer_fn *answer, void *argument);
//  GET /api/v1/health: the runtime's shep_participant_health with "status"
//  "ok", or "degraded" (503) while the gateway or the database is away.
void intake_desk_health (intake_desk_t *self, egov_http_reply_t *reply);

//  Gateway-facing (service is the desk). The handler of application.status
//  and application.result: applies the delivery on conn inside the
//  runtime's transaction; UNKNOWN_APPLICATION and the payload's own codes
//  (MALFORMED_PAYLOAD, ...) reject it, a database failure retries it.
shep_outcome_t intake_desk_deliver (void *service, PGconn *conn, const shep_delivery_t *delivery,
                                    egov_error_t *reject);
//  The gateway stored one of our messages: an application.submit moves its
//  application from ACCEPTED to SENT, once however often it is called.
void intake_desk_sent (void *service, const Egov__Envelope *envelope,
                       Egov__DeliveryStatus status);
//  Fires business timers that are due on the simulation clock, and arms the
//  storage timer from the database when something changed (at start, after
//  a result or a hand-over, after the database came back).
void intake_desk_fire (intake_desk_t *self);

void intake_desk_test (bool verbose);

#ifdef __cplusplus
}
#endif
#endif
