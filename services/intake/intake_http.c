/*  intake_http — HTTP/JSON for the operator terminals.  */
#include "intake_http.h"
#include <microhttpd.h>
#include <arpa/inet.h>

struct _intake_http_t {
    struct MHD_Daemon *daemon;      //  libmicrohttpd in external-poll mode
    intake_desk_t *desk;            //  does the work, not owned
    char *openapi;                  //  the OpenAPI document, or NULL
    int port;                       //  listening port
    zmq_pollitem_t item;            //  the daemon's epoll descriptor on the loop
};

//  A request's body as it arrives.
typedef struct {
    char *data;                     //  bytes so far (zero-terminated)
    size_t size;                    //  bytes used
    bool too_large;                 //  over INTAKE_MAX_BODY: answered 413
} s_upload_t;

//  ---------------------------------------------------------------------
//  Routing, independent of the socket

//  The application id and action of /api/v1/applications/{id}[/handover];
//  false when path is not of that shape.
static bool
s_application_path (const char *path, char *id, size_t id_size, bool *handover)
{
    const char *prefix = "/api/v1/applications/";
    if (strncmp (path, prefix, strlen (prefix)) != 0)
        return false;
    const char *rest = path + strlen (prefix);
    const char *slash = strchr (rest, '/');
    size_t length = slash ? (size_t) (slash - rest) : strlen (rest);
    if (length == 0 || length >= id_size)
        return false;
    if (slash && !streq (slash, "/handover"))
        return false;
    memcpy (id, rest, length);
    id [length] = 0;
    *handover = slash != NULL;
    return true;
}

//  Answers 405 naming the method allowed.
static void
s_method_not_allowed (intake_reply_t *reply, const char *method, const char *allowed)
{
    json_t *detail = intake_reply_error (reply, 405, "METHOD_NOT_ALLOWED",
                                         "%.16s is not allowed here; use %s", method, allowed);
    json_object_set_new (detail, "allow", json_string (allowed));
}

//  Parses the body as JSON; NULL with reply 400 BAD_JSON.
static json_t *
s_json (const char *body, size_t size, intake_reply_t *reply)
{
    json_error_t parse;
    json_t *document = body && size ? json_loadb (body, size, JSON_REJECT_DUPLICATES, &parse) : NULL;
    if (!document) {
        json_t *detail = intake_reply_error (reply, 400, "BAD_JSON", "the body is not JSON: %s",
                                             body && size ? parse.text : "empty body");
        if (body && size) {
            json_object_set_new (detail, "line", json_integer (parse.line));
            json_object_set_new (detail, "column", json_integer (parse.column));
        }
    }
    return document;
}

void
intake_http_route (intake_http_t *self, const char *method, const char *path, const char *token,
                   const char *body, size_t body_size, intake_reply_t *reply)
{
    bool get = streq (method, "GET"), post = streq (method, "POST");
    char id [64];
    bool handover = false;
    enum { UNKNOWN, OPENAPI, LOGIN, SERVICES, APPLICATIONS, APPLICATION, HANDOVER } route = UNKNOWN;
    const char *allowed = "GET";
    if (streq (path, "/api/v1/openapi.json"))
        route = OPENAPI;
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
        allowed = "POST";
    }
    else
    if (s_application_path (path, id, sizeof (id), &handover)) {
        route = handover ? HANDOVER : APPLICATION;
        allowed = handover ? "POST" : "GET";
    }
    if (route == UNKNOWN) {
        intake_reply_error (reply, 404, "UNKNOWN_ROUTE", "no such resource: %.200s", path);
        return;
    }
    if ((streq (allowed, "GET") && !get) || (streq (allowed, "POST") && !post)) {
        s_method_not_allowed (reply, method, allowed);
        return;
    }
    if (route == OPENAPI) {
        json_t *document = self->openapi ? json_loads (self->openapi, 0, NULL) : NULL;
        if (document)
            intake_reply_set (reply, 200, document);
        else
            intake_reply_error (reply, 503, "OPENAPI_UNAVAILABLE",
                                "the OpenAPI document was not found at start (--openapi)");
        return;
    }
    json_t *document = NULL;
    if (route == LOGIN) {
        if ((document = s_json (body, body_size, reply)))
            intake_desk_login (self->desk, document, reply);
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
    if ((document = s_json (body, body_size, reply))) {
        if (route == APPLICATIONS)
            intake_desk_submit (self->desk, &operator_, document, reply);
        else
            intake_desk_handover (self->desk, &operator_, id, document, reply);
        json_decref (document);
    }
}

//  ---------------------------------------------------------------------
//  libmicrohttpd

//  Sends reply as JSON.
static enum MHD_Result
s_send (struct MHD_Connection *connection, intake_reply_t *reply)
{
    char *text = reply->body ? json_dumps (reply->body, JSON_INDENT (2)) : NULL;
    size_t length = text ? strlen (text) : 0;
    if (text) {
        char *line = realloc (text, length + 2);
        assert (line);
        text = line;
        text [length++] = '\n';
        text [length] = 0;
    }
    struct MHD_Response *response = MHD_create_response_from_buffer (length, text ? text : (char *) "",
        text ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    MHD_add_response_header (response, "Content-Type", "application/json; charset=utf-8");
    MHD_add_response_header (response, "Cache-Control", "no-store");
    if (reply->status == 405 && reply->body) {
        json_t *allow = json_object_get (json_object_get (reply->body, "error"), "allow");
        if (allow)
            MHD_add_response_header (response, "Allow", json_string_value (allow));
    }
    if (reply->status == 401)
        MHD_add_response_header (response, "WWW-Authenticate", "Bearer");
    enum MHD_Result queued = MHD_queue_response (connection, (unsigned) reply->status, response);
    MHD_destroy_response (response);
    return queued;
}

//  The token of "Authorization: Bearer <token>", or NULL.
static const char *
s_bearer (struct MHD_Connection *connection)
{
    const char *header = MHD_lookup_connection_value (connection, MHD_HEADER_KIND,
                                                      MHD_HTTP_HEADER_AUTHORIZATION);
    if (!header || strncasecmp (header, "Bearer ", 7) != 0)
        return NULL;
    header += 7;
    while (*header == ' ')
        header++;
    return *header ? header : NULL;
}

//  libmicrohttpd's request handler: collects the body, then routes.
static enum MHD_Result
s_on_request (void *argument, struct MHD_Connection *connection, const char *url,
              const char *method, const char *version, const char *upload_data,
              size_t *upload_data_size, void **state)
{
    (void) version;
    intake_http_t *self = (intake_http_t *) argument;
    s_upload_t *upload = (s_upload_t *) *state;
    if (!upload) {
        upload = (s_upload_t *) zmalloc (sizeof (s_upload_t));
        assert (upload);
        *state = upload;
        return MHD_YES;
    }
    if (*upload_data_size) {
        if (!upload->too_large && upload->size + *upload_data_size > INTAKE_MAX_BODY) {
            upload->too_large = true;
            free (upload->data);
            upload->data = NULL;
            upload->size = 0;
        }
        if (!upload->too_large) {
            char *grown = realloc (upload->data, upload->size + *upload_data_size + 1);
            assert (grown);
            upload->data = grown;
            memcpy (upload->data + upload->size, upload_data, *upload_data_size);
            upload->size += *upload_data_size;
            upload->data [upload->size] = 0;
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    intake_reply_t reply = { 0, NULL };
    if (upload->too_large)
        intake_reply_error (&reply, 413, "PAYLOAD_TOO_LARGE", "the body exceeds %d KiB",
                            INTAKE_MAX_BODY / 1024);
    else
        intake_http_route (self, method, url, s_bearer (connection), upload->data, upload->size,
                           &reply);
    zsys_info ("intake: %s %s -> %d", method, url, reply.status);
    enum MHD_Result queued = s_send (connection, &reply);
    intake_reply_reset (&reply);
    return queued;
}

//  Frees a request's state when the connection is done with it.
static void
s_on_completed (void *argument, struct MHD_Connection *connection, void **state,
                enum MHD_RequestTerminationCode code)
{
    (void) argument;
    (void) connection;
    (void) code;
    s_upload_t *upload = (s_upload_t *) *state;
    if (upload) {
        free (upload->data);
        free (upload);
        *state = NULL;
    }
}

intake_http_t *
intake_http_new (const char *address, intake_desk_t *desk, const char *openapi,
                 egov_error_t *error)
{
    char host [64];
    const char *colon = address ? strrchr (address, ':') : NULL;
    char *end = NULL;
    long port = colon ? strtol (colon + 1, &end, 10) : -1;
    struct sockaddr_in socket_address = { 0 };
    socket_address.sin_family = AF_INET;
    if (!colon || (size_t) (colon - address) >= sizeof (host) || !end || *end || port < 0
    ||  port > 65535) {
        egov_error_set (error, "HTTP_LISTEN", "--http wants HOST:PORT (IPv4), got '%s'",
                        address ? address : "");
        return NULL;
    }
    memcpy (host, address, colon - address);
    host [colon - address] = 0;
    if (inet_pton (AF_INET, host, &socket_address.sin_addr) != 1) {
        egov_error_set (error, "HTTP_LISTEN", "'%s' is not an IPv4 address", host);
        return NULL;
    }
    socket_address.sin_port = htons ((uint16_t) port);
    intake_http_t *self = (intake_http_t *) zmalloc (sizeof (intake_http_t));
    assert (self);
    self->desk = desk;
    if (openapi) {
        self->openapi = strdup (openapi);
        assert (self->openapi);
    }
    self->daemon = MHD_start_daemon (MHD_USE_EPOLL | MHD_USE_ERROR_LOG, (uint16_t) port, NULL, NULL,
        s_on_request, self,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *) &socket_address,
        MHD_OPTION_NOTIFY_COMPLETED, s_on_completed, self,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned int) 256,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int) 30,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t) 64 * 1024,
        MHD_OPTION_END);
    if (!self->daemon) {
        egov_error_set (error, "HTTP_LISTEN", "cannot listen on %s: %s", address, strerror (errno));
        intake_http_destroy (&self);
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info (self->daemon, MHD_DAEMON_INFO_BIND_PORT);
    self->port = info ? info->port : (int) port;
    info = MHD_get_daemon_info (self->daemon, MHD_DAEMON_INFO_EPOLL_FD);
    self->item.fd = info ? info->epoll_fd : -1;
    self->item.events = ZMQ_POLLIN;
    return self;
}

void
intake_http_destroy (intake_http_t **self_p)
{
    assert (self_p);
    intake_http_t *self = *self_p;
    if (self) {
        if (self->daemon)
            MHD_stop_daemon (self->daemon);
        free (self->openapi);
        free (self);
        *self_p = NULL;
    }
}

void
intake_http_run (intake_http_t *self)
{
    //  Edge-triggered inside: run until the daemon has nothing immediate left
    for (int round = 0; round < 16; round++) {
        MHD_run (self->daemon);
        MHD_UNSIGNED_LONG_LONG timeout;
        if (MHD_get_timeout (self->daemon, &timeout) != MHD_YES || timeout > 0)
            break;
    }
}

//  The daemon's descriptor is readable.
static int
s_on_ready (zloop_t *loop, zmq_pollitem_t *item, void *argument)
{
    (void) loop;
    (void) item;
    intake_http_run ((intake_http_t *) argument);
    return 0;
}

//  Timeouts and anything the edge-triggered poll did not show.
static int
s_on_timer (zloop_t *loop, int timer_id, void *argument)
{
    (void) loop;
    (void) timer_id;
    intake_http_run ((intake_http_t *) argument);
    return 0;
}

void
intake_http_attach (intake_http_t *self, zloop_t *loop)
{
    if (self->item.fd >= 0)
        zloop_poller (loop, &self->item, s_on_ready, self);
    zloop_timer (loop, 50, 0, s_on_timer, self);
}

int
intake_http_port (intake_http_t *self)
{
    return self->port;
}

//  ---------------------------------------------------------------------

//  Routes and returns the error code ("" for none) and status.
static const char *
s_try (intake_http_t *self, const char *method, const char *path, const char *token,
       const char *body, int *status)
{
    static char code [48];
    intake_reply_t reply = { 0, NULL };
    intake_http_route (self, method, path, token, body, body ? strlen (body) : 0, &reply);
    *status = reply.status;
    json_t *error = json_object_get (reply.body, "error");
    snprintf (code, sizeof (code), "%s",
              error ? json_string_value (json_object_get (error, "code")) : "");
    intake_reply_reset (&reply);
    return code;
}

void
intake_http_test (bool verbose)
{
    printf (" * intake_http: ");
    if (verbose)
        printf ("\n");
    char id [64];
    bool handover;
    assert (s_application_path ("/api/v1/applications/abc", id, sizeof (id), &handover)
            && streq (id, "abc") && !handover);
    assert (s_application_path ("/api/v1/applications/abc/handover", id, sizeof (id), &handover)
            && streq (id, "abc") && handover);
    assert (!s_application_path ("/api/v1/applications/", id, sizeof (id), &handover));
    assert (!s_application_path ("/api/v1/applications/abc/other", id, sizeof (id), &handover));
    assert (!s_application_path ("/api/v1/applicationsx", id, sizeof (id), &handover));

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
    assert (streq (s_try (http, "GET", "/api/v1/openapi.json", NULL, NULL, &status), "") && status == 200);
    intake_reply_t reply = { 0, NULL };
    assert (s_json ("{\"a\":", 5, &reply) == NULL && reply.status == 400);
    assert (streq (json_string_value (json_object_get (json_object_get (reply.body, "error"), "code")),
                   "BAD_JSON"));
    assert (s_json (NULL, 0, &reply) == NULL && reply.status == 400);
    json_t *document = s_json ("{\"a\": 1}", 8, &reply);
    assert (document);
    json_decref (document);
    assert (s_json ("{\"a\": 1, \"a\": 2}", 16, &reply) == NULL);
    intake_reply_reset (&reply);
    intake_http_destroy (&http);
    intake_http_destroy (&http);
    printf ("OK\n");
}
