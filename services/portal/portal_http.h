/*  portal_http — the citizen portal's HTTP/JSON API for frontends and the
    reference frontend's static files, on libmicrohttpd driven from the
    portal's zloop (no threads): routes, the bearer token, bodies parsed as
    JSON, every error as {"error": {"code", "message", ...}} with a stable
    code. services/portal/openapi.json documents the API and is served at
    GET /api/v1/openapi.json; the frontend (services/portal/www) under /.
    The server itself is egov_http's.                                    */
#ifndef PORTAL_HTTP_H_INCLUDED
#define PORTAL_HTTP_H_INCLUDED

#include "portal_server.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PORTAL_DEFAULT_HTTP     "127.0.0.1:8080"
#define PORTAL_MAX_BODY         (2 * 1024 * 1024)   //  request body bytes; more is 413

typedef struct _portal_http_t portal_http_t;

//  Listens on "HOST:PORT" (IPv4) for the server (not owned); openapi is
//  the text served at /api/v1/openapi.json (copied; may be NULL); www the
//  folder of the frontend (copied; may be NULL). NULL with HTTP_LISTEN.
portal_http_t *portal_http_new (const char *address, portal_server_t *server, const char *openapi,
                                const char *www, egov_error_t *error);
void portal_http_destroy (portal_http_t **self_p);
//  Registers the daemon's descriptor and a timer on loop.
void portal_http_attach (portal_http_t *self, zloop_t *loop);
//  Serves whatever is ready, without blocking.
void portal_http_run (portal_http_t *self);
//  The port listened on (useful with port 0).
int portal_http_port (portal_http_t *self);

//  Routes one API request (also used by the selftest without a socket).
//  request (NULL in the selftest) lets a registration, a login, GET
//  /api/v1/me and a submission be answered later, when the registry or a
//  worker thread has: then request->deferred is set and reply stays empty.
void portal_http_route (portal_http_t *self, const char *method, const char *path,
                        const char *token, const char *body, size_t body_size,
                        egov_http_request_t *request, egov_http_reply_t *reply);

void portal_http_test (bool verbose);

#ifdef __cplusplus
}
#endif
#endif
