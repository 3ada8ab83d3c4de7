/*  intake_http — HTTP/JSON for the operator terminals.  */
#include "intake_http.h"

struct _intake_http_t {
    egov_http_t *server;            //  the embedded HTTP server
    intake_desk_t *desk;            //  does the work, not owned
    char *openapi;                  //  the OpenAPI document, or NULL
};

//  ---------------------------------------------------------------------
//  Routing, independent of the socket

//  The application id and action of /api/v1/applications/{id}[/handover|
//  /receipt|/result] (*action: "", "handover", "receipt" or "result");
//  false when path is not of that shape.
static bool
s_application_path (const char *path, char *id, size_t id_size, const char **action)
{
    const char *prefix = "/api/v1/applications/";
    if (strncmp (path, prefix, strlen (prefix)) != 0)
        return false;
    const char *rest = path + strlen (prefix);
    const char *slash = strchr (rest, '/');
    size_t length = slash ? (size_t) (slash - rest) : strlen (rest);
    if (length == 0 || length >= id_size)
        return false;
    if (slash && !streq (slash, "/handover") && !streq (slash, "/receipt") && !streq (slash, "/result"))
        return false;
    memcpy (id, rest, length);
    id [length] = 0;
    *action = slash ? slash + 1 : "";
    return true;
}

//  A submission's answer, when the registries have answered: the deferred
//  request is answered now.
static void
s_answer_later (void *argument, egov_http_reply_t *reply)
{
    egov_http_deferred_t *deferred = (egov_http_deferred_t *) argument;
    zsys_info ("intake: POST /api/v1/applications -> %d (after the registries)", reply->status);
    egov_http_resume (&deferred, reply);
}

//  A login's answer, once a worker thread checked the password.
static void
s_login_later (void *argument, egov_http_reply_t *reply)
{
    egov_http_deferred_t *deferred = (egov_http_deferred_t *) argument;
    zsys_info ("intake: POST /api/v1/operator/login -> %d", reply->status);
    egov_http_resume (&deferred, reply);
}

//  A hand-over's answer, once the registry confirmed the identity document.
static void
s_handover_later (void *argument, egov_http_reply_t *reply)
{
    egov_http_deferred_t *deferred = (egov_http_deferred_t *) argument;
    zsys_info ("intake: POST /api/v1/applications/.../handover -> %d (after the registry)",
               reply->status);
    egov_http_resume (&deferred, reply);
}

void
intake_http_route (intake_http_t *self, const char *method, const char *path, const char *token,
                   const char *body, size_t body_size, egov_http_request_t *request,
                   egov_http_reply_t *reply)
{
    bool get = streq (method, "GET"), post = streq (method, "POST");
    char id [64];
    const char *action = "";
    enum { UNKNOWN, OPENAPI, HEALTH, LOGIN, SERVICES, APPLICATIONS, APPLICATION, HANDOVER,
           RECEIPT, RESULT, REFUSAL_RECEIPT } route = UNKNOWN;
    const char *allowed = "GET";
    if (streq (path, "/api/v1/openapi.json"))
        route = OPENAPI;
    else
    if (streq (path, "/api/v1/health"))
        route = HEALTH;
    else
    if (streq (path, "/api/v1/operator/login")) {
        route = LOGIN;
        allowed = "POST";
    }
    else
    if (streq (path, "/api/v1/services"))
        route = SERVICES;
    else
    if (streq (path, "/api/v1/applications")) {
        route = APPLICATIONS;
        allowed = "GET, POST";
    }
    else
    if (s_application_path (path, id, sizeof (id), &action)) {
        route = streq (action, "handover") ? HANDOVER : streq (action, "receipt") ? RECEIPT
              : streq (action, "result") ? RESULT : APPLICATION;
        allowed = route == HANDOVER ? "POST" : "GET";
    }
    else
    if (strncmp (path, "/api/v1/refusal-receipts/", 25) == 0 && path [25] && !strchr (path + 25, '/')) {
        route = REFUSAL_RECEIPT;
        snprintf (id, sizeof (id), "%.63s", path + 25);
    }
    if (route == UNKNOWN) {
        egov_http_reply_error (reply, 404, "UNKNOWN_ROUTE", "no such resource: %.200s", path);
        return;
    }
    if ((streq (allowed, "GET") && !get) || (streq (allowed, "POST") && !post) || (!get && !post)) {
        egov_http_reply_not_allowed (reply, method, allowed);
        return;
    }
    if (route == OPENAPI) {
        egov_http_reply_document (reply, self->openapi);
        return;
    }
    if (route == HEALTH) {
        intake_desk_health (self->desk, reply);
        return;
    }
    json_t *document = NULL;
    if (route == LOGIN) {
        //  Answered when a worker thread has checked the password
        if ((document = egov_http_json (body, body_size, reply)))
            intake_desk_login (self->desk, document, request ? s_login_later : egov_http_answer_into,
                               request ? (void *) egov_http_defer (request) : (void *) reply);
        json_decref (document);
        return;
    }
    intake_operator_t operator_;
    if (!intake_desk_authenticate (self->desk, token, &operator_, reply))
        return;
    if (route == SERVICES)
        intake_desk_services (self->desk, reply);
    else
    if (route == APPLICATION)
        intake_desk_show (self->desk, id, reply);
    else
    if (route == RECEIPT)
        intake_desk_receipt (self->desk, id, reply);
    else
    if (route == RESULT)
        intake_desk_result_page (self->desk, id, reply);
    else
    if (route == REFUSAL_RECEIPT)
        intake_desk_refusal_receipt (self->desk, id, reply);
    else
    if (route == APPLICATIONS && get) {
        intake_list_query_t query = {
            request ? egov_http_argument (request, "status") : NULL,
            request ? egov_http_argument (request, "applicant_iin") : NULL,
            request ? egov_http_argument (request, "receipt_number") : NULL,
            request ? egov_http_argument (request, "limit") : NULL,
            request ? egov_http_argument (request, "after") : NULL };
        intake_desk_list (self->desk, &query, reply);
    }
    else
    if ((document = egov_http_json (body, body_size, reply))) {
        if (route == APPLICATIONS && request)
            //  Answered when the registries have, the loop serving others meanwhile
            intake_desk_submit (self->desk, &operator_, document,
                                egov_http_header (request, "Idempotency-Key"), s_answer_later,
                                egov_http_defer (request));
        else
        if (route == APPLICATIONS)
            intake_desk_submit (self->desk, &operator_, document, NULL, egov_http_answer_into, reply);
        else
        if (request)
            intake_desk_handover (self->desk, &operator_, id, document,
                                  egov_http_header (request, "Idempotency-Key"), s_handover_later,
                                  egov_http_defer (request));
        else
            intake_desk_handover (self->desk, &operator_, id, document, NULL, egov_http_answer_into,
                                  reply);
        json_decref (document);
    }
}

//  ---------------------------------------------------------------------
//  libmicrohttpd

//  Answers one complete request from the desk's routes.
static void
s_on_request (void *argument, egov_http_request_t *request)
{
    intake_http_t *self = (intake_http_t *) argument;
    egov_http_reply_t reply = { 0, NULL, NULL };
    if (request->too_large)
        egov_http_reply_error (&reply, 413, "PAYLOAD_TOO_LARGE", "the body exceeds %d KiB",
                               INTAKE_MAX_BODY / 1024);
    else
        intake_http_route (self, request->method, request->url, egov_http_bearer (request),
                           request->body, request->body_size, request, &reply);
    if (!request->deferred) {
        zsys_info ("intake: %s %s -> %d", request->method, request->url, reply.status);
        egov_http_answer (request, &reply);
    }
    egov_http_reply_reset (&reply);
}

//  /metrics: the desk's health document's numbers.
static json_t *
s_metrics (void *argument)
{
    intake_http_t *self = (intake_http_t *) argument;
    egov_http_reply_t reply = { 0, NULL, NULL };
    intake_desk_health (self->desk, &reply);
    json_t *body = json_incref (reply.body);
    egov_http_reply_reset (&reply);
    return body;
}

intake_http_t *
intake_http_new (const char *address, intake_desk_t *desk, const char *openapi,
                 egov_error_t *error)
{
    intake_http_t *self = (intake_http_t *) zmalloc (sizeof (intake_http_t));
    assert (self);
    self->desk = desk;
    if (openapi) {
        self->openapi = strdup (openapi);
        assert (self->openapi);
    }
    egov_http_config_t config = { INTAKE_MAX_BODY, 256, 30, 64 * 1024, false, false };
    self->server = egov_http_new (address, &config, s_on_request, self, error);
    if (self->server)
        egov_http_set_metrics (self->server, s_metrics, self);
    if (!self->server) {
        if (error && streq (error->code, "HTTP_ADDRESS"))
            memcpy (error->code, "HTTP_LISTEN", sizeof ("HTTP_LISTEN"));
        intake_http_destroy (&self);
    }
    return self;
}

void
intake_http_set_www (intake_http_t *self, const char *folder)
{
    egov_http_set_www (self->server, folder);
}

void
intake_http_destroy (intake_http_t **self_p)
{
    assert (self_p);
    intake_http_t *self = *self_p;
    if (self) {
        egov_http_destroy (&self->server);
        free (self->openapi);
        free (self);
        *self_p = NULL;
    }
}

void
intake_http_run (intake_http_t *self)
{
    egov_http_run (self->server);
}

void
intake_http_attach (intake_http_t *self, zloop_t *loop)
{
    egov_http_attach (self->server, loop);
}

int
intake_http_port (intake_http_t *self)
{
    return egov_http_port (self->server);
}

//  ---------------------------------------------------------------------

//  Routes and returns the error code ("" for none) and status.
static const char *
s_try (intake_http_t *self, const char *method, const char *path, const char *token,
       const char *body, int *status)
{
    static char code [48];
    egov_http_reply_t reply = { 0, NULL, NULL };
    intake_http_route (self, method, path, token, body, body ? strlen (body) : 0, NULL, &reply);
    *status = reply.status;
    json_t *error = json_object_get (reply.body, "error");
    snprintf (code, sizeof (code), "%s",
              error ? json_string_value (json_object_get (error, "code")) : "");
    egov_http_reply_reset (&reply);
    return code;
}

void
intake_http_test (bool verbose)
{
    printf (" * intake_http: ");
    if (verbose)
        printf ("\n");
    char id [64];
    const char *action = NULL;
    assert (s_application_path ("/api/v1/applications/abc", id, sizeof (id), &action)
            && streq (id, "abc") && streq (action, ""));
    assert (s_application_path ("/api/v1/applications/abc/handover", id, sizeof (id), &action)
            && streq (id, "abc") && streq (action, "handover"));
    assert (s_application_path ("/api/v1/applications/abc/receipt", id, sizeof (id), &action)
            && streq (id, "abc") && streq (action, "receipt"));
    assert (!s_application_path ("/api/v1/applications/", id, sizeof (id), &action));
    assert (!s_application_path ("/api/v1/applications/abc/other", id, sizeof (id), &action));
    assert (!s_application_path ("/api/v1/applicationsx", id, sizeof (id), &action));

    egov_error_t error = { { 0 } };
    assert (intake_http_new ("nonsense", NULL, NULL, &error) == NULL);
    assert (streq (error.code, "HTTP_LISTEN"));
    assert (intake_http_new ("localhost:80", NULL, NULL, &error) == NULL);
    assert (intake_http_new ("127.0.0.1:99999", NULL, NULL, &error) == NULL);
    //  Routes that need no desk: unknown, wrong method, the OpenAPI document
    intake_http_t *http = intake_http_new ("127.0.0.1:0", NULL, "{\"openapi\": \"3.0.3\"}", &error);
    assert (http);
    assert (intake_http_port (http) > 0);
    int status;
    assert (streq (s_try (http, "GET", "/nowhere", NULL, NULL, &status), "UNKNOWN_ROUTE") && status == 404);
    assert (streq (s_try (http, "GET", "/api/v1/applications/x/y", NULL, NULL, &status), "UNKNOWN_ROUTE"));
    assert (streq (s_try (http, "DELETE", "/api/v1/services", NULL, NULL, &status), "METHOD_NOT_ALLOWED")
            && status == 405);
    assert (streq (s_try (http, "GET", "/api/v1/operator/login", NULL, NULL, &status), "METHOD_NOT_ALLOWED"));
    assert (streq (s_try (http, "POST", "/api/v1/health", NULL, "{}", &status), "METHOD_NOT_ALLOWED"));
    assert (streq (s_try (http, "GET", "/api/v1/openapi.json", NULL, NULL, &status), "") && status == 200);
    intake_http_destroy (&http);
    intake_http_destroy (&http);
    printf ("OK\n");
}
