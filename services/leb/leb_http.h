/*  leb_http — the local executive body's manual-mode HTTP API (JSON), for
    integrators who play the provider's clerk, head or executor:

      GET  /api/v1/health                  status, mode, region, signer
      GET  /api/v1/tasks[?role=R]          tasks not done, due first
      POST /api/v1/tasks/{id}/take         {"assignee": "..."}
      POST /api/v1/tasks/{id}/complete     {"decision": "approve"|"refuse",
                                            "grounds": ["..."]}

    Errors are {"error": {"code", "message"}} with a stable code and the
    HTTP status it implies: 400 BAD_JSON, UNKNOWN_FIELD, INVALID_ROLE,
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

//  What the API asks; each returns new JSON or NULL with error set.
typedef struct {
    json_t *(*tasks) (void *argument, const char *role, egov_error_t *error);
    json_t *(*take) (void *argument, int64_t id, const char *assignee, egov_error_t *error);
    json_t *(*complete) (void *argument, int64_t id, const char *decision, json_t *grounds,
                         egov_error_t *error);
    json_t *(*health) (void *argument);
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
