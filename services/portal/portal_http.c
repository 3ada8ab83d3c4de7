/*  portal_http — HTTP/JSON for portal frontends, and the frontend's files.  */
#include "portal_http.h"
#include <microhttpd.h>
#include <arpa/inet.h>

struct _portal_http_t {
    struct MHD_Daemon *daemon;      //  libmicrohttpd in external-poll mode
    portal_server_t *server;        //  does the work, not owned
    char *openapi;                  //  the OpenAPI document, or NULL
    char *www;                      //  the frontend's folder, or NULL
    int port;                       //  listening port
    zmq_pollitem_t item;            //  the daemon's epoll descriptor on the loop
};

//  A request's body as it arrives.
typedef struct {
    char *data;                     //  bytes so far (zero-terminated)
    size_t size;                    //  bytes used
    bool too_large;                 //  over PORTAL_MAX_BODY: answered 413
} s_upload_t;

//  ---------------------------------------------------------------------
//  Routing, independent of the socket

//  The id of /api/v1/applications/{id}; false when path is not of that shape.
static bool
s_application_path (const char *path, char *id, size_t id_size)
{
    const char *prefix = "/api/v1/applications/";
    if (strncmp (path, prefix, strlen (prefix)) != 0)
        return false;
    const char *rest = path + strlen (prefix);
    size_t length = strlen (rest);
    if (length == 0 || length >= id_size || strchr (rest, '/'))
        return false;
    memcpy (id, rest, length + 1);
    return true;
}

//  Parses the body as JSON; NULL with reply 400 BAD_JSON.
static json_t *
s_json (const char *body, size_t size, portal_reply_t *reply)
{
    json_error_t parse;
    json_t *document = body && size ? json_loadb (body, size, JSON_REJECT_DUPLICATES, &parse) : NULL;
    if (!document) {
        json_t *detail = portal_reply_error (reply, 400, "BAD_JSON", "the body is not JSON: %s",
                                             body && size ? parse.text : "empty body");
        if (body && size) {
            json_object_set_new (detail, "line", json_integer (parse.line));
            json_object_set_new (detail, "column", json_integer (parse.column));
        }
    }
    return document;
}

void
portal_http_route (portal_http_t *self, const char *method, const char *path, const char *token,
                   const char *body, size_t body_size, portal_reply_t *reply)
{
    bool get = streq (method, "GET"), post = streq (method, "POST");
    char id [64];
    enum { UNKNOWN, OPENAPI, CITIZENS, LOGIN, SERVICES, ME, APPLICATIONS, APPLICATION,
           NOTIFICATIONS } route = UNKNOWN;
    const char *allowed = "GET";
    if (streq (path, "/api/v1/openapi.json"))
        route = OPENAPI;
    else
    if (streq (path, "/api/v1/citizens")) {
        route = CITIZENS;
        allowed = "POST";
    }
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
    if (s_application_path (path, id, sizeof (id)))
        route = APPLICATION;
    if (route == UNKNOWN) {
        portal_reply_error (reply, 404, "UNKNOWN_ROUTE", "no such resource: %.200s", path);
        return;
    }
    if ((get && !strstr (allowed, "GET")) || (post && !strstr (allowed, "POST")) || (!get && !post)) {
        json_t *detail = portal_reply_error (reply, 405, "METHOD_NOT_ALLOWED",
                                             "%.16s is not allowed here; use %s", method, allowed);
        json_object_set_new (detail, "allow", json_string (allowed));
        return;
    }
    if (route == OPENAPI) {
        json_t *document = self->openapi ? json_loads (self->openapi, 0, NULL) : NULL;
        if (document)
            portal_reply_set (reply, 200, document);
        else
            portal_reply_error (reply, 503, "OPENAPI_UNAVAILABLE",
                                "the OpenAPI document was not found at start (--openapi)");
        return;
    }
    if (route == SERVICES) {
        portal_server_services (self->server, reply);
        return;
    }
    json_t *document = NULL;
    if (route == CITIZENS || route == LOGIN) {
        if ((document = s_json (body, body_size, reply))) {
            if (route == CITIZENS)
                portal_server_register (self->server, document, reply);
            else
                portal_server_login (self->server, document, reply);
        }
        json_decref (document);
        return;
    }
    char iin [13];
    if (!portal_server_authenticate (self->server, token, iin, reply))
        return;
    if (route == ME)
        portal_server_me (self->server, iin, reply);
    else
    if (route == NOTIFICATIONS)
        portal_server_notifications (self->server, iin, reply);
    else
    if (route == APPLICATION)
        portal_server_application (self->server, iin, id, reply);
    else
    if (get)
        portal_server_applications (self->server, iin, reply);
    else
    if ((document = s_json (body, body_size, reply))) {
        portal_server_submit (self->server, iin, document, reply);
        json_decref (document);
    }
}

//  ---------------------------------------------------------------------
//  The frontend's files

//  The content type of a frontend file by its extension, NULL when not served.
static const char *
s_content_type (const char *name)
{
    const char *dot = strrchr (name, '.');
    if (!dot)
        return NULL;
    if (streq (dot, ".html"))
        return "text/html; charset=utf-8";
    if (streq (dot, ".js"))
        return "text/javascript; charset=utf-8";
    if (streq (dot, ".css"))
        return "text/css; charset=utf-8";
    return NULL;
}

//  True when name is a plain file name of the frontend: [a-z0-9-]+.ext, no folders.
static bool
s_static_name (const char *name)
{
    size_t length = strlen (name);
    return length > 0 && length < 64 && name [0] != '.'
        && strspn (name, "abcdefghijklmnopqrstuvwxyz0123456789-.") == length
        && !strstr (name, "..") && s_content_type (name);
}

//  Reads a frontend file; NULL when it is not there or too large.
static char *
s_read (const char *folder, const char *name, size_t *size)
{
    char path [PATH_MAX];
    snprintf (path, sizeof (path), "%s/%s", folder, name);
    FILE *file = fopen (path, "rb");
    if (!file)
        return NULL;
    char *text = (char *) malloc (PORTAL_MAX_STATIC + 1);
    assert (text);
    *size = fread (text, 1, PORTAL_MAX_STATIC + 1, file);
    fclose (file);
    if (*size > PORTAL_MAX_STATIC) {
        free (text);
        return NULL;
    }
    return text;
}

//  ---------------------------------------------------------------------
//  libmicrohttpd

//  Adds the headers every answer carries.
static void
s_headers (struct MHD_Response *response, const char *content_type)
{
    MHD_add_response_header (response, "Content-Type", content_type);
    MHD_add_response_header (response, "Cache-Control", "no-store");
    MHD_add_response_header (response, "X-Content-Type-Options", "nosniff");
}

//  Sends reply as JSON.
static enum MHD_Result
s_send (struct MHD_Connection *connection, portal_reply_t *reply)
{
    char *text = reply->body ? json_dumps (reply->body, JSON_INDENT (2)) : NULL;
    size_t length = text ? strlen (text) : 0;
    if (text) {
        char *line = (char *) realloc (text, length + 2);
        assert (line);
        text = line;
        text [length++] = '\n';
        text [length] = 0;
    }
    struct MHD_Response *response = MHD_create_response_from_buffer (length, text ? text : (char *) "",
        text ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    s_headers (response, "application/json; charset=utf-8");
    if (reply->status == 405 && reply->body) {
        json_t *allow = json_object_get (json_object_get (reply->body, "error"), "allow");
        if (allow)
            MHD_add_response_header (response, "Allow", json_string_value (allow));
    }
    if (reply->status == 401)
        MHD_add_response_header (response, "WWW-Authenticate", "Bearer");
    if (reply->retry_after)
        MHD_add_response_header (response, "Retry-After", reply->retry_after);
    enum MHD_Result queued = MHD_queue_response (connection, (unsigned) reply->status, response);
    MHD_destroy_response (response);
    return queued;
}

//  Serves a frontend file for GET / and GET /NAME; false when url is not one.
static bool
s_static (portal_http_t *self, struct MHD_Connection *connection, const char *method,
          const char *url, enum MHD_Result *queued)
{
    if (strncmp (url, "/api/", 5) == 0 || !self->www)
        return false;
    const char *name = streq (url, "/") ? "index.html" : url + 1;
    if (!s_static_name (name))
        return false;
    if (!streq (method, "GET") && !streq (method, "HEAD"))
        return false;
    size_t size = 0;
    char *text = s_read (self->www, name, &size);
    if (!text)
        return false;
    struct MHD_Response *response = MHD_create_response_from_buffer (size, text, MHD_RESPMEM_MUST_FREE);
    s_headers (response, s_content_type (name));
    MHD_add_response_header (response, "Content-Security-Policy",
        "default-src 'self'; script-src 'self'; style-src 'self'; object-src 'none'; frame-ancestors 'none'");
    *queued = MHD_queue_response (connection, MHD_HTTP_OK, response);
    MHD_destroy_response (response);
    return true;
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
    portal_http_t *self = (portal_http_t *) argument;
    s_upload_t *upload = (s_upload_t *) *state;
    if (!upload) {
        upload = (s_upload_t *) zmalloc (sizeof (s_upload_t));
        assert (upload);
        *state = upload;
        return MHD_YES;
    }
    if (*upload_data_size) {
        if (!upload->too_large && upload->size + *upload_data_size > PORTAL_MAX_BODY) {
            upload->too_large = true;
            free (upload->data);
            upload->data = NULL;
            upload->size = 0;
        }
        if (!upload->too_large) {
            char *grown = (char *) realloc (upload->data, upload->size + *upload_data_size + 1);
            assert (grown);
            upload->data = grown;
            memcpy (upload->data + upload->size, upload_data, *upload_data_size);
            upload->size += *upload_data_size;
            upload->data [upload->size] = 0;
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    enum MHD_Result queued = MHD_NO;
    if (s_static (self, connection, method, url, &queued))
        return queued;
    portal_reply_t reply = { 0, NULL, NULL };
    if (upload->too_large)
        portal_reply_error (&reply, 413, "PAYLOAD_TOO_LARGE", "the body exceeds %d KiB",
                            PORTAL_MAX_BODY / 1024);
    else
        portal_http_route (self, method, url, s_bearer (connection), upload->data, upload->size,
                           &reply);
    zsys_info ("portal: %s %s -> %d %s", method, url, reply.status, portal_reply_code (&reply));
    queued = s_send (connection, &reply);
    portal_reply_reset (&reply);
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

portal_http_t *
portal_http_new (const char *address, portal_server_t *server, const char *openapi,
                 const char *www, egov_error_t *error)
{
    char host [64];
    const char *colon = address ? strrchr (address, ':') : NULL;
    char *end = NULL;
    long port = colon ? strtol (colon + 1, &end, 10) : -1;
    struct sockaddr_in socket_address = { 0 };
    socket_address.sin_family = AF_INET;
    if (!colon || (size_t) (colon - address) >= sizeof (host) || !end || *end || end == colon + 1
    ||  port < 0 || port > 65535) {
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
    portal_http_t *self = (portal_http_t *) zmalloc (sizeof (portal_http_t));
    assert (self);
    self->server = server;
    self->openapi = openapi ? strdup (openapi) : NULL;
    self->www = www ? strdup (www) : NULL;
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
        portal_http_destroy (&self);
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
portal_http_destroy (portal_http_t **self_p)
{
    assert (self_p);
    portal_http_t *self = *self_p;
    if (self) {
        if (self->daemon)
            MHD_stop_daemon (self->daemon);
        free (self->openapi);
        free (self->www);
        free (self);
        *self_p = NULL;
    }
}

void
portal_http_run (portal_http_t *self)
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
    portal_http_run ((portal_http_t *) argument);
    return 0;
}

//  Timeouts and anything the edge-triggered poll did not show.
static int
s_on_timer (zloop_t *loop, int timer_id, void *argument)
{
    (void) loop;
    (void) timer_id;
    portal_http_run ((portal_http_t *) argument);
    return 0;
}

void
portal_http_attach (portal_http_t *self, zloop_t *loop)
{
    if (self->item.fd >= 0)
        zloop_poller (loop, &self->item, s_on_ready, self);
    zloop_timer (loop, 50, 0, s_on_timer, self);
}

int
portal_http_port (portal_http_t *self)
{
    return self->port;
}

//  ---------------------------------------------------------------------

//  Routes and returns the error code ("" for none) and status.
static const char *
s_try (portal_http_t *self, const char *method, const char *path, const char *body, int *status)
{
    static char code [48];
    portal_reply_t reply = { 0, NULL, NULL };
    portal_http_route (self, method, path, NULL, body, body ? strlen (body) : 0, &reply);
    *status = reply.status;
    snprintf (code, sizeof (code), "%s", portal_reply_code (&reply));
    portal_reply_reset (&reply);
    return code;
}

void
portal_http_test (bool verbose)
{
    printf (" * portal_http: ");
    if (verbose)
        printf ("\n");
    char id [64];
    assert (s_application_path ("/api/v1/applications/abc", id, sizeof (id)) && streq (id, "abc"));
    assert (!s_application_path ("/api/v1/applications/", id, sizeof (id)));
    assert (!s_application_path ("/api/v1/applications/abc/x", id, sizeof (id)));
    assert (!s_application_path ("/api/v1/applicationsx", id, sizeof (id)));
    assert (s_static_name ("index.html") && s_static_name ("cms.js") && s_static_name ("style.css"));
    assert (!s_static_name ("../schema.sql") && !s_static_name (".hidden.js") && !s_static_name ("a/b.js"));
    assert (!s_static_name ("portal.c") && !s_static_name ("") && !s_static_name ("x..js"));

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
    assert (streq (s_try (http, "POST", "/api/v1/citizens", "{\"iin\":", &status), "BAD_JSON")
            && status == 400);
    assert (streq (s_try (http, "POST", "/api/v1/login", NULL, &status), "BAD_JSON"));
    assert (streq (s_try (http, "GET", "/api/v1/openapi.json", NULL, &status), "") && status == 200);
    portal_reply_t reply = { 0, NULL, NULL };
    json_t *document = s_json ("{\"a\": 1, \"a\": 2}", 16, &reply);
    assert (document == NULL && reply.status == 400);
    portal_reply_reset (&reply);
    portal_http_destroy (&http);
    portal_http_destroy (&http);
    printf ("OK\n");
}
