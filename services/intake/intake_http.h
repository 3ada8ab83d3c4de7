/*  intake_http — the operator terminals' HTTP/JSON API of the State
    Corporation desk (МК АЖ), on libmicrohttpd driven from the desk's zloop
    (no threads): routes, the bearer token, bodies parsed as JSON, every
    error as {"error": {"code", "message", ...}} with a stable code.
    services/intake/openapi.json documents it and is served at
    GET /api/v1/openapi.json; the operator's page (services/intake/www)
    under /. The server itself is egov_http's.                          */
#ifndef INTAKE_HTTP_H_INCLUDED
#define INTAKE_HTTP_H_INCLUDED

#include "intake_desk.h"

#ifdef __cplusplus
extern "C" {
#endif

#define INTAKE_DEFAULT_HTTP     "127.0.0.1:8081"
#define INTAKE_MAX_BODY         (640 * 1024)    //  request body bytes; more is 413

typedef struct _intake_http_t intake_http_t;

//  Listens on "HOST:PORT" (IPv4) for the desk (not owned); openapi is the
//  text served at /api/v1/openapi.json (copied; may be NULL). NULL with
//  HTTP_LISTEN when the address is malformed or taken.
intake_http_t *intake_http_new (const char *address, intake_desk_t *desk, const char *openapi,
                                egov_error_t *error);
void intake_http_destroy (intake_http_t **self_p);
//  Serves the operator's page from folder under / (egov_http_set_www).
void intake_http_set_www (intake_http_t *self, const char *folder);
//  Registers the server's sockets and timers on loop.
void intake_http_attach (intake_http_t *self, zloop_t *loop);
//  Serves whatever is ready, without blocking.
void intake_http_run (intake_http_t *self);
//  The port listened on (useful with port 0).
int intake_http_port (intake_http_t *self);

//  Routes one request to the desk (also used by the selftest without a
//  socket): method, path, bearer token (may be NULL), body (NULL: none, or
//  bytes that may not be JSON). request (NULL in the selftest) lets a
//  submission or a hand-over be answered later, when the registries have,
//  and a login when a worker thread has checked the password: then
//  request->deferred is set and reply stays empty.
void intake_http_route (intake_http_t *self, const char *method, const char *path,
                        const char *token, const char *body, size_t body_size,
                        egov_http_request_t *request, egov_http_reply_t *reply);

void intake_http_test (bool verbose);

#ifdef __cplusplus
}
#endif
#endif
