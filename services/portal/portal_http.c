/*  portal_http — HTTP/JSON for portal frontends, and the frontend's files.  */
#include "portal_http.h"

struct _portal_http_t {
    egov_http_t *http;              //  the embedded HTTP server
    portal_server_t *server;        //  does the work, not owned
    char *openapi;                  //  the OpenAPI document, or NULL
};

//  ---------------------------------------------------------------------
//  Routing, independent of the socket

//  The id of /api/v1/applications/{id}[/result|/receipt] (*page: "result",
//  "receipt" or ""); false when path is not of that shape.
static bool
s_application_path (const char *path, char *id, size_t id_size, const char **page)
{
    const char *prefix = "/api/v1/applications/";
    if (strncmp (path, prefix, strlen (prefix)) != 0)
        return false;
    const char *rest = path + strlen (prefix);
    const char *slash = strchr (rest, '/');
    size_t length = slash ? (size_t) (slash - rest) : strlen (rest);
    if (length == 0 || length >= id_size || (slash && !streq (slash, "/result") && !streq (slash, "/receipt")))
        return false;
    memcpy (id, rest, length);
    id [length] = 0;
    *page = slash ? slash + 1 : "";
    return true;
}

//  Answers a deferred request, once what it waited for is done.
static void
s_resume (void *argument, egov_http_reply_t *reply, const char *request)
{
    egov_http_deferred_t *deferred = (egov_http_deferred_t *) argument;
    zsys_info ("portal: %s -> %d %s", request, reply->status, egov_http_reply_code (reply));
    egov_http_resume (&deferred, reply);
}

static void
s_registered (void *argument, egov_http_reply_t *reply)
{
    s_resume (argument, reply, "POST /api/v1/citizens");
}

static void
s_logged_in (void *argument, egov_http_reply_t *reply)
{
    s_resume (argument, reply, "POST /api/v1/login");
}

static void
s_identified (void *argument, egov_http_reply_t *reply)
{
    s_resume (argument, reply, "GET /api/v1/me");
}

static void
s_submitted (void *argument, egov_http_reply_t *reply)
{
    s_resume (argument, reply, "POST /api/v1/applications");
}

void
portal_http_route (portal_http_t *self, const char *method, const char *path, const char *token,
                   const char *body, size_t body_size, egov_http_request_t *request,
                   egov_http_reply_t *reply)
{
    bool get = streq (method, "GET"), post = streq (method, "POST");
    char id [64];
    const char *page = "";
    enum { UNKNOWN, OPENAPI, HEALTH, CITIZENS, CHALLENGE, LOGIN, SERVICES, ME, APPLICATIONS,
           APPLICATION, RESULT, RECEIPT, NOTIFICATIONS } route = UNKNOWN;
    const char *allowed = "GET";
    if (streq (path, "/api/v1/openapi.json"))
        route = OPENAPI;
    else
    if (streq (path, "/api/v1/health"))
        route = HEALTH;
    else
    if (streq (path, "/api/v1/citizens")) {
        route = CITIZENS;
        allowed = "POST";
    }
    else
    if (streq (path, "/api/v1/citizens/challenge"))
        route = CHALLENGE;
    else
    if (streq (path, "/api/v1/login")) {
        route = LOGIN;
        allowed = "POST";
    }
    else
    if (streq (path, "/api/v1/services"))
        route = SERVICES;
    else
    if (streq (path, "/api/v1/me"))
        route = ME;
    else
    if (streq (path, "/api/v1/applications")) {
        route = APPLICATIONS;
        allowed = "GET, POST";
    }
    else
    if (streq (path, "/api/v1/notifications"))
        route = NOTIFICATIONS;
    else
    if (s_application_path (path, id, sizeof (id), &page))
        route = streq (page, "result") ? RESULT : streq (page, "receipt") ? RECEIPT : APPLICATION;
    if (route == UNKNOWN) {
        egov_http_reply_error (reply, 404, "UNKNOWN_ROUTE", "no such resource: %.200s", path);
        return;
    }
    if ((get && !strstr (allowed, "GET")) || (post && !strstr (allowed, "POST")) || (!get && !post)) {
        egov_http_reply_not_allowed (reply, method, allowed);
        return;
    }
    if (route == OPENAPI) {
        egov_http_reply_document (reply, self->openapi);
        return;
    }
    if (route == HEALTH) {
        portal_server_health (self->server, reply);
        return;
    }
    if (route == SERVICES) {
        portal_server_services (self->server, reply);
        return;
    }
    if (route == CHALLENGE) {
        portal_server_challenge (self->server, reply);
        return;
    }
    //  What waits for the registry or a worker thread is answered later,
    //  the loop serving others meanwhile (at once in the selftest)
    portal_answer_fn *later = request ? NULL : egov_http_answer_into;
    void *deferred = reply;
    json_t *document = NULL;
    if (route == CITIZENS || route == LOGIN) {
        if ((document = egov_http_json (body, body_size, reply))) {
            if (request) {
                later = route == CITIZENS ? s_registered : s_logged_in;
                deferred = egov_http_defer (request);
            }
            if (route == CITIZENS)
                portal_server_register (self->server, document, later, deferred);
            else
                portal_server_login (self->server, document, later, deferred);
        }
        json_decref (document);
        return;
    }
    char iin [13];
    if (!portal_server_authenticate (self->server, token, iin, reply))
        return;
    if (route == ME) {
        if (request) {
            later = s_identified;
            deferred = egov_http_defer (request);
        }
        portal_server_me (self->server, iin, later, deferred);
    }
    else
    if (route == NOTIFICATIONS)
        portal_server_notifications (self->server, iin, reply);
    else
    if (route == APPLICATION)
        portal_server_application (self->server, iin, id, reply);
    else
    if (route == RESULT)
        portal_server_result_page (self->server, iin, id, reply);
    else
    if (route == RECEIPT)
        portal_server_receipt_page (self->server, iin, id, reply);
    else
    if (get)
        portal_server_applications (self->server, iin, reply);
    else
    if ((document = egov_http_json (body, body_size, reply))) {
        if (request) {
            later = s_submitted;
            deferred = egov_http_defer (request);
        }
        portal_server_submit (self->server, iin, document, later, deferred);
        json_decref (document);
    }
}

//  ---------------------------------------------------------------------
//  Serving

//  Answers one complete request of the API (egov_http serves the frontend's files).
static void
s_on_request (void *argument, egov_http_request_t *request)
{
    portal_http_t *self = (portal_http_t *) argument;
    egov_http_reply_t reply = { 0, NULL, NULL };
    if (request->too_large)
        egov_http_reply_error (&reply, 413, "PAYLOAD_TOO_LARGE", "the body exceeds %d KiB",
                               PORTAL_MAX_BODY / 1024);
    else
        portal_http_route (self, request->method, request->url, egov_http_bearer (request),
                           request->body, request->body_size, request, &reply);
    if (!request->deferred) {
        zsys_info ("portal: %s %s -> %d %s", request->method, request->url, reply.status,
                   egov_http_reply_code (&reply));
        egov_http_answer (request, &reply);
    }
    egov_http_reply_reset (&reply);
}

//  /metrics: the portal's health document's numbers.
static json_t *
s_metrics (void *argument)
{
    portal_http_t *self = (portal_http_t *) argument;
    egov_http_reply_t reply = { 0, NULL, NULL };
    portal_server_health (self->server, &reply);
    json_t *body = json_incref (reply.body);
    egov_http_reply_reset (&reply);
    return body;
}

portal_http_t *
portal_http_new (const char *address, portal_server_t *server, const char *openapi,
                 const char *www, egov_error_t *error)
{
    portal_http_t *self = (portal_http_t *) zmalloc (sizeof (portal_http_t));
    assert (self);
    self->server = server;
    self->openapi = openapi ? strdup (openapi) : NULL;
    egov_http_config_t config = { PORTAL_MAX_BODY, 256, 30, 64 * 1024, false, true };
    self->http = egov_http_new (address, &config, s_on_request, self, error);
    if (self->http) {
        egov_http_set_metrics (self->http, s_metrics, self);
        egov_http_set_www (self->http, www);
    }
    else {
        if (error && streq (error->code, "HTTP_ADDRESS"))
            memcpy (error->code, "HTTP_LISTEN", sizeof ("HTTP_LISTEN"));
        portal_http_destroy (&self);
    }
    return self;
}

void
portal_http_destroy (portal_http_t **self_p)
{
    assert (self_p);
    portal_http_t *self = *self_p;
    if (self) {
        egov_http_destroy (&self->http);
        free (self->openapi);
        free (self);
        *self_p = NULL;
    }
}

void
portal_http_run (portal_http_t *self)
{
    egov_http_run (self->http);
}

void
portal_http_attach (portal_http_t *self, zloop_t *loop)
{
    egov_http_attach (self->http, loop);
}

int
portal_http_port (portal_http_t *self)
{
    return egov_http_port (self->http);
}

//  ---------------------------------------------------------------------

//  Routes and returns the error code ("" for none) and status.
static const char *
s_try (portal_http_t *self, const char *method, const char *path, const char *body, int *status)
{
    static char code [48];
    egov_http_reply_t reply = { 0, NULL, NULL };
    portal_http_route (self, method, path, NULL, body, body ? strlen (body) : 0, NULL, &reply);
    *status = reply.status;
    snprintf (code, sizeof (code), "%s", egov_http_reply_code (&reply));
    egov_http_reply_reset (&reply);
    return code;
}

void
portal_http_test (bool verbose)
{
    printf (" * portal_http: ");
    if (verbose)
        printf ("\n");
    char id [64];
    const char *page = NULL;
    assert (s_application_path ("/api/v1/applications/abc", id, sizeof (id), &page)
            && streq (id, "abc") && streq (page, ""));
    assert (s_application_path ("/api/v1/applications/abc/result", id, sizeof (id), &page)
            && streq (id, "abc") && streq (page, "result"));
    assert (s_application_path ("/api/v1/applications/abc/receipt", id, sizeof (id), &page)
            && streq (page, "receipt"));
    assert (!s_application_path ("/api/v1/applications/", id, sizeof (id), &page));
    assert (!s_application_path ("/api/v1/applications/abc/x", id, sizeof (id), &page));
    assert (!s_application_path ("/api/v1/applicationsx", id, sizeof (id), &page));

    egov_error_t error = { { 0 } };
    assert (portal_http_new ("nonsense", NULL, NULL, NULL, &error) == NULL);
    assert (streq (error.code, "HTTP_LISTEN"));
    assert (portal_http_new ("localhost:80", NULL, NULL, NULL, &error) == NULL);
    assert (portal_http_new ("127.0.0.1:99999", NULL, NULL, NULL, &error) == NULL);
    assert (portal_http_new ("127.0.0.1:", NULL, NULL, NULL, &error) == NULL);
    //  Routes that need no server: unknown, wrong method, bad JSON, the OpenAPI document
    portal_http_t *http = portal_http_new ("127.0.0.1:0", NULL, "{\"openapi\": \"3.0.3\"}", NULL, &error);
    assert (http);
    assert (portal_http_port (http) > 0);
    int status;
    assert (streq (s_try (http, "GET", "/nowhere", NULL, &status), "UNKNOWN_ROUTE") && status == 404);
    assert (streq (s_try (http, "GET", "/api/v1/applications/x/y", NULL, &status), "UNKNOWN_ROUTE"));
    assert (streq (s_try (http, "DELETE", "/api/v1/services", NULL, &status), "METHOD_NOT_ALLOWED")
            && status == 405);
    assert (streq (s_try (http, "GET", "/api/v1/login", NULL, &status), "METHOD_NOT_ALLOWED"));
    assert (streq (s_try (http, "POST", "/api/v1/notifications", NULL, &status), "METHOD_NOT_ALLOWED"));
    assert (streq (s_try (http, "POST", "/api/v1/health", NULL, &status), "METHOD_NOT_ALLOWED"));
    assert (streq (s_try (http, "POST", "/api/v1/citizens", "{\"iin\":", &status), "BAD_JSON")
            && status == 400);
    assert (streq (s_try (http, "POST", "/api/v1/login", NULL, &status), "BAD_JSON"));
    assert (streq (s_try (http, "GET", "/api/v1/openapi.json", NULL, &status), "") && status == 200);
    portal_http_destroy (&http);
    portal_http_destroy (&http);
    printf ("OK\n");
}
