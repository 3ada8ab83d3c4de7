/*  egov_http — the HTTP/JSON server the services embed (the State
    Corporation desk, the citizen portal, the local executive body's manual
    mode): libmicrohttpd without threads of its own, run from the service's
    zloop; a request's body collected up to a cap; the bearer token; bodies
    parsed as JSON; answers as JSON, errors as
    {"error": {"code", "message", ...}} with a stable code.

    Routes and what they mean stay with each service: the server hands
    every complete request to one handler, which answers it with
    egov_http_answer (JSON) or egov_http_answer_file (a static file).    */
#ifndef EGOV_HTTP_H_INCLUDED
#define EGOV_HTTP_H_INCLUDED

#include "egov_util.h"
#include <czmq.h>
#include <jansson.h>

#ifdef __cplusplus
extern "C" {
#endif

//  What a server allows; fixed when it starts listening.
typedef struct {
    size_t max_body;                //  request body bytes; more sets too_large
    unsigned connection_limit;      //  connections at once
    unsigned connection_timeout;    //  seconds a quiet connection stays open
    size_t memory_limit;            //  bytes of buffer per connection, 0 for the default
    bool compact;                   //  JSON on one line in ASCII as "application/json";
                                    //  otherwise indented UTF-8 with "Cache-Control: no-store"
    bool nosniff;                   //  "X-Content-Type-Options: nosniff" on every answer
    unsigned request_deadline_ms;   //  a request must have arrived whole this long after
                                    //  its connection opened (or its previous request ended),
                                    //  however slowly it trickles in; 0: 10 s
    unsigned per_ip_limit;          //  connections from one address, 0: a quarter of the limit
} egov_http_config_t;

//  An HTTP answer: status and body (owned).
typedef struct {
    int status;                     //  HTTP status
    json_t *body;                   //  JSON body, NULL for none
    char *retry_after;              //  Retry-After header (seconds, malloc'd), NULL for none
    char *text;                     //  instead of body: a document of content_type (malloc'd,
                                    //  egov_http_reply_text), e.g. a receipt to print
    const char *content_type;       //  of text (a static string)
} egov_http_reply_t;

//  One complete request, as the handler sees it.
typedef struct {
    const char *method;             //  "GET", "POST", ...
    const char *url;                //  the path, without the query
    const char *body;               //  zero-terminated bytes, NULL for none
    size_t body_size;               //  bytes in body
    bool too_large;                 //  the body went past max_body and was dropped
    void *connection;               //  libmicrohttpd's connection
    struct _egov_http_t *server;    //  the server it came to
    int queued;                     //  what answering it gave libmicrohttpd
    void *state;                    //  the server's own state of the request
    bool deferred;                  //  egov_http_defer was called
} egov_http_request_t;

//  A request whose answer comes later (egov_http_defer).
typedef struct _egov_http_deferred_t egov_http_deferred_t;

//  Answers one request: calls egov_http_answer or egov_http_answer_file.
typedef void (egov_http_handler_fn) (void *argument, egov_http_request_t *request);

typedef struct _egov_http_t egov_http_t;

//  Listens on "HOST:PORT" (IPv4; port 0 picks a free one) and hands every
//  complete request to handler. NULL with HTTP_ADDRESS (malformed) or
//  HTTP_LISTEN (cannot bind).
egov_http_t *egov_http_new (const char *address, const egov_http_config_t *config,
                            egov_http_handler_fn *handler, void *argument, egov_error_t *error);
void egov_http_destroy (egov_http_t **self_p);
//  The port listened on (useful with port 0).
int egov_http_port (egov_http_t *self);
//  Serves whatever is ready, without blocking.
void egov_http_run (egov_http_t *self);
//  Registers the daemon's descriptor and a timer on loop, to serve from it.
void egov_http_attach (egov_http_t *self, zloop_t *loop);

//  How an answer that may come later is given: reply is the callee's to
//  take (its body may be moved out) until the call returns.
typedef void (egov_http_answer_fn) (void *argument, egov_http_reply_t *reply);
//  An egov_http_answer_fn that moves the answer into the egov_http_reply_t
//  given as argument: for callers that take the answer synchronously.
void egov_http_answer_into (void *argument, egov_http_reply_t *reply);

//  Instead of answering now: suspends the request's connection, so the
//  loop serves every other request meanwhile, until egov_http_resume
//  answers it. For a request that waits on the network (a registry
//  look-up through the gateway). The handle stays valid until resumed;
//  the server's destroy answers what is still waiting with 503.
egov_http_deferred_t *egov_http_defer (egov_http_request_t *request);
//  Answers a deferred request with reply (copied; the caller resets its
//  own) and nulls the handle.
void egov_http_resume (egov_http_deferred_t **deferred_p, const egov_http_reply_t *reply);
//  Requests deferred and not yet answered.
size_t egov_http_deferred_count (egov_http_t *self);

//  What a service adds to GET /metrics: a JSON object whose numbers (and
//  true/false) become gauges named egov_<path> and whose strings become
//  egov_<path>{value="..."} 1 (its /health document, typically). New
//  reference, or NULL.
typedef json_t *(egov_http_metrics_fn) (void *argument);
//  Serves GET /metrics in Prometheus' text format on this server: requests
//  by status, errors by code, requests waiting, their time to answer, and
//  fn's numbers. Without it /metrics has the server's own counters only.
void egov_http_set_metrics (egov_http_t *self, egov_http_metrics_fn *fn, void *argument);

//  The largest page file egov_http_set_www serves.
#define EGOV_HTTP_MAX_WWW_FILE  (1024 * 1024)
//  Serves a page's files from folder (copied; NULL for none) for GET and
//  HEAD of / (index.html) and /NAME, NAME plain [a-z0-9-.]+ ending .html,
//  .js or .css, before the handler sees the request, under a policy that
//  loads scripts and styles from the page's own origin only. What is not
//  such a file goes to the handler; /api/ never does.
void egov_http_set_www (egov_http_t *self, const char *folder);

//  The value of request header name, or NULL.
const char *egov_http_header (egov_http_request_t *request, const char *name);
//  The token of "Authorization: Bearer <token>", or NULL.
const char *egov_http_bearer (egov_http_request_t *request);
//  The value of a query argument, or NULL.
const char *egov_http_argument (egov_http_request_t *request, const char *name);
//  Answers with reply as JSON; adds Allow to a 405 whose error has "allow",
//  WWW-Authenticate to a 401, Retry-After when set. Leaves reply as it was.
void egov_http_answer (egov_http_request_t *request, const egov_http_reply_t *reply);
//  Answers 200 with a file's bytes (takes text, malloc'd) of content_type;
//  policy is a Content-Security-Policy, or NULL.
void egov_http_answer_file (egov_http_request_t *request, const char *content_type, char *text,
                            size_t size, const char *policy);

//  Sets reply to an error; returns the error object for extra members.
json_t *egov_http_reply_error (egov_http_reply_t *reply, int status, const char *code,
                               const char *format, ...) __attribute__ ((format (printf, 4, 5)));
//  Sets reply to status with body (takes it).
void egov_http_reply_set (egov_http_reply_t *reply, int status, json_t *body);
//  Sets reply to 200 with a document of content_type (takes text, malloc'd),
//  answered with a Content-Security-Policy that loads nothing from anywhere
//  (inline styles only): a page to print, not an application.
void egov_http_reply_text (egov_http_reply_t *reply, const char *content_type, char *text);
//  Frees the body and headers; safe twice.
void egov_http_reply_reset (egov_http_reply_t *reply);
//  The error code of a reply, "" when it is not an error.
const char *egov_http_reply_code (const egov_http_reply_t *reply);
//  Sets reply to 405 METHOD_NOT_ALLOWED naming the methods allowed.
void egov_http_reply_not_allowed (egov_http_reply_t *reply, const char *method,
                                  const char *allowed);
//  Sets reply to the JSON document text (an OpenAPI document), or to 503
//  OPENAPI_UNAVAILABLE when there is none.
void egov_http_reply_document (egov_http_reply_t *reply, const char *text);

//  Parses a body as JSON; NULL with reply 400 BAD_JSON (line and column
//  when it was not empty).
json_t *egov_http_json (const char *body, size_t size, egov_http_reply_t *reply);
//  Reads a required string member of 1..max-1 printable bytes into out;
//  false with INVALID_REQUEST naming the member otherwise.
bool egov_http_text (json_t *body, const char *key, char *out, size_t max, egov_error_t *error);
//  False with INVALID_REQUEST when body has a key outside the NULL-terminated list.
bool egov_http_keys (json_t *body, egov_error_t *error, ...) __attribute__ ((sentinel));
//  True when text has no control characters (it ends up in logs and JSON).
bool egov_http_printable (const char *text);

void egov_http_test (bool verbose);

#ifdef __cplusplus
}
#endif
#endif
