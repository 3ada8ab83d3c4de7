/*  leb_http — the local executive body's manual-mode HTTP API (JSON), for
    integrators who play the provider's clerk, head or executor:

      GET  /api/v1/health                  status, mode, region, signer
      POST /api/v1/login                   {"login", "password"} -> a bearer token
      GET  /api/v1/tasks[?role=R]          the caller's role's tasks not done, due first
      POST /api/v1/tasks/{id}/take         {} or {"assignee": the caller's own name}
      POST /api/v1/tasks/{id}/complete     {"decision": "approve"|"refuse",
                                            "grounds": ["..."]}

    Everything but the health and the login needs "Authorization: Bearer
    <token>" of a login (401 AUTH_REQUIRED); a clerk, a head or an executor
    sees, takes and completes the tasks of their own role only, under their
    own name (403 FORBIDDEN_ROLE, NOT_YOUR_ROLE, NOT_YOUR_NAME).

    Errors are {"error": {"code", "message"}} with a stable code and the
    HTTP status it implies: 401 AUTH_REQUIRED, AUTH_FAILED; 403
    FORBIDDEN_ROLE, NOT_YOUR_ROLE, NOT_YOUR_NAME; 429 LOCKED; 400 BAD_JSON,
    UNKNOWN_FIELD, INVALID_ROLE, INVALID_LOGIN,
    INVALID_ASSIGNEE, INVALID_DECISION, INVALID_GROUNDS, DECISION_REQUIRED,
    DECISION_NOT_ALLOWED, GROUNDS_REQUIRED, GROUNDS_NOT_ALLOWED; 404
    NOT_FOUND, TASK_NOT_FOUND; 405 METHOD_NOT_ALLOWED; 409 TASK_TAKEN,
    TASK_DONE, TASK_NOT_TAKEN, AUTO_MODE; 413 BODY_TOO_LARGE; 503
    DB_UNAVAILABLE; 500 anything else.

    The server is egov_http's, without threads of its own: leb_http_run
    serves what is ready without blocking, from the service's zloop.      */
#ifndef LEB_HTTP_H_INCLUDED
#define LEB_HTTP_H_INCLUDED

#include "egov_http.h"

#ifdef __cplusplus
extern "C" {
#endif

#define LEB_HTTP_DEFAULT    "127.0.0.1:8090"
#define LEB_HTTP_BODY_MAX   (64 * 1024)     //  largest request body

//  Who called, from their token.
typedef struct {
    char login [64];
    char name [256];                        //  the assignee they take tasks as
    char role [16];                         //  clerk, head or executor
} leb_http_staff_t;

//  A login's answer: 200 with {token, ...}, or error set. Called once, on
//  the loop, maybe later than the call that asked.
typedef void (leb_http_login_fn) (void *argument, json_t *answer, const egov_error_t *error);

//  What the API asks; each returns new JSON or NULL with error set.
typedef struct {
    json_t *(*tasks) (void *argument, const char *role, egov_error_t *error);
    json_t *(*take) (void *argument, int64_t id, const leb_http_staff_t *staff, egov_error_t *error);
    json_t *(*complete) (void *argument, int64_t id, const leb_http_staff_t *staff,
                         const char *decision, json_t *grounds, egov_error_t *error);
    json_t *(*health) (void *argument);
    //  Checks the password off the loop; done gets the answer.
    void (*login) (void *argument, const char *login, const char *password,
                   leb_http_login_fn *done, void *done_argument);
    //  1 with staff filled for a live token, 0 for none, -1 with error
    //  (DB_UNAVAILABLE).
    int (*authenticate) (void *argument, const char *token, leb_http_staff_t *staff,
                         egov_error_t *error);
    void *argument;                         //  passed to each
} leb_http_backend_t;

typedef struct _leb_http_t leb_http_t;

//  Listens on "HOST:PORT" (IPv4; port 0 picks a free one). NULL with
//  HTTP_ADDRESS (malformed) or HTTP_LISTEN (cannot bind).
leb_http_t *leb_http_new (const char *address, const leb_http_backend_t *backend, bool verbose,
                          egov_error_t *error);
void leb_http_destroy (leb_http_t **self_p);
//  The port it listens on.
int leb_http_port (leb_http_t *self);
//  Serves every request that is ready; never blocks.
void leb_http_run (leb_http_t *self);
//  The HTTP status an error code implies.
int leb_http_status (const char *code);

void leb_http_test (bool verbose);

#ifdef __cplusplus
}
#endif
#endif
