/*  leb_server — the local executive body (ЖАО АЖ, жергілікті атқарушы
    органның ақпараттық жүйесі / ИС МИО) of one region as a participant of
    the gateway: leb-<KATO>, receiving async messages.

    Events (each a Deliver, applied by the participant runtime
    (shep_participant) once per message id in the transaction of its
    effect, acknowledged after the commit):
      application.registered  RegisteredApplication from regional-<KATO>:
                              the application is stored and the first
                              catalogue step becomes a task;
      application.return      ResultMovement: the unclaimed result came
                              back (RETURNED_TO_PROVIDER);
      application.recall      ResultMovement: the clerk sends the result
                              again within one working day.
    A task that completes (auto: at its due moment on the simulation clock;
    manual: when an integrator completes it) starts the next step; the
    decision step applies Condition 2 (leb_rules); after the last step the
    result is signed (CMS) by the provider's authorised person and sent.

    Application states are the lifecycle's (egov_lifecycle): IN_PROGRESS ->
    READY / REFUSED (the result sent) -> RETURNED_TO_PROVIDER -> (recall)
    READY / REFUSED again; an event the table does not allow (a return
    before the result) is rejected with STATUS_NOT_ALLOWED.
    Every message out (StatusNotice IN_PROGRESS when a step starts and
    when it is done, Result at the end) is stored in the runtime's outbox
    with the effect, its message id fixed there, and sent afterwards: a
    restart resends the same ids and the receivers dedupe them. Tasks and
    their due moments are rows; timers are re-armed from them at start.

    Rejected deliveries (acknowledged with a reject code, never retried):
    UNSUPPORTED_SERVICE, MALFORMED_ENVELOPE, MALFORMED_PAYLOAD,
    WRONG_REGION, UNKNOWN_SERVICE, UNKNOWN_APPLICATION, STATUS_NOT_ALLOWED. */
#ifndef LEB_SERVER_H_INCLUDED
#define LEB_SERVER_H_INCLUDED

#include "egov_util.h"
#include "shep_participant.h"
#include "leb_tasks.h"
#include "leb_http.h"
#include <libpq-fe.h>
#include <jansson.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LEB_SERVICE_REGISTERED  "application.registered"
#define LEB_SERVICE_RETURN      "application.return"
#define LEB_SERVICE_RECALL      "application.recall"
#define LEB_SERVICE_STATUS      "application.status"
#define LEB_SERVICE_RESULT      "application.result"

//  The task API's sessions and locks (wall clock)
#define LEB_SESSION_MS  (8 * 3600 * 1000)   //  a working day
#define LEB_LOCK_AFTER  5                   //  wrong passwords in a row that lock a login
#define LEB_LOCK_MS     (15 * 60 * 1000)

typedef struct _leb_server_t leb_server_t;

//  What a server is for; strings are borrowed for the server's life.
typedef struct {
    const char *kato;               //  the region, 9 digits
    const char *regional;           //  recipient of notices and results: regional-<KATO>
    const char *pki_dir;            //  PKI folder (egov_pki.h)
    const char *signer_label;       //  the authorised person's certificate: org-<KATO>
    const char *regulations;        //  folder with catalogue/ and calendar/kz.json
    bool manual;                    //  tasks wait for an integrator
    bool verbose;                   //  log every event
} leb_config_t;

//  Loads the catalogue, the calendar and the signer, and names its
//  delivery handlers on engine (not owned; it holds the database, with the
//  schema applied). NULL with error: CONFIG_INVALID, CATALOGUE_INVALID,
//  CALENDAR_INVALID, UNKNOWN_REGION, SIGNER_KEY, SIGNER_CERT, KEY_MISMATCH.
leb_server_t *leb_server_new (const leb_config_t *config, shep_participant_t *engine,
                              egov_error_t *error);
void leb_server_destroy (leb_server_t **self_p);
//  Arms a timer for every task not done (after a restart) and runs what is
//  due already. 0, or -1 with DB_UNAVAILABLE.
int leb_server_start (leb_server_t *self, egov_error_t *error);

//  The handler of application.registered, .return and .recall (service is
//  the leb_server_t): applies the delivery on conn inside the engine's
//  transaction.
shep_outcome_t leb_server_deliver (void *service, PGconn *conn, const shep_delivery_t *delivery,
                                   egov_error_t *reject);
//  Fires the timers that are due on the simulation clock: auto tasks
//  complete at their due moment, manual ones are flagged overdue. Returns
//  how many tasks it completed or flagged.
size_t leb_server_fire (leb_server_t *self);

//  Manual mode, for leb_http. Tasks not done (role NULL: all) as a JSON
//  array; NULL with INVALID_ROLE or DB_UNAVAILABLE.
json_t *leb_server_tasks (leb_server_t *self, const char *role, egov_error_t *error);
//  Gives a task to assignee, when it is a task of role (NULL: any); the
//  task as JSON, or NULL with AUTO_MODE, TASK_NOT_FOUND, NOT_YOUR_ROLE,
//  TASK_TAKEN, TASK_DONE, DB_UNAVAILABLE.
json_t *leb_server_take (leb_server_t *self, int64_t id, const char *assignee, const char *role,
                         egov_error_t *error);
//  Completes a task assignee took (NULL: whoever took it). decision
//  ("approve" or "refuse") only and always on the decision step; grounds
//  (array of strings) only with "refuse", at least one. The task as JSON,
//  or NULL with AUTO_MODE, TASK_NOT_FOUND, TASK_NOT_TAKEN, TASK_TAKEN
//  (by another), TASK_DONE, DECISION_REQUIRED, DECISION_NOT_ALLOWED,
//  GROUNDS_REQUIRED, GROUNDS_NOT_ALLOWED, DB_UNAVAILABLE, SIGNING_FAILED.
json_t *leb_server_complete (leb_server_t *self, int64_t id, const char *assignee,
                             const char *decision, json_t *grounds, egov_error_t *error);
//  The task API's login: checks the password off the loop (the worker the
//  server attached), answers done with {token, token_type, expires_at,
//  staff: {login, name, role}} or AUTH_FAILED, LOCKED, BUSY, DB_UNAVAILABLE.
//  Demo staff (clerk1, head1, executor1; docs/leb.md) are made at start.
void leb_server_login (leb_server_t *self, const char *login, const char *password,
                       leb_http_login_fn *done, void *done_argument);
//  1 with staff filled for a live token, 0 for none, -1 with DB_UNAVAILABLE.
int leb_server_authenticate (leb_server_t *self, const char *token, leb_http_staff_t *staff,
                             egov_error_t *error);
//  Runs the password checks' answers on loop.
void leb_server_attach (leb_server_t *self, zloop_t *loop);
//  {"status": "ok", "mode", "region", "regional", "signer", and the
//  runtime's "gateway", "database", "outbox", "inbox"}; "degraded" while
//  the gateway or the database is away.
json_t *leb_server_health (leb_server_t *self);
//  The methods above as leb_http's backend.
leb_http_backend_t leb_server_backend (leb_server_t *self);

void leb_server_test (bool verbose);

#ifdef __cplusplus
}
#endif
#endif
