/*  egov_http — the embedded HTTP/JSON server and the shape of its answers.  */
#include "egov_http.h"
#include <microhttpd.h>
#include <arpa/inet.h>
#include <poll.h>
#include <sys/socket.h>
#include <stdarg.h>

struct _egov_http_t {
    struct MHD_Daemon *daemon;      //  libmicrohttpd in external-poll mode
    egov_http_config_t config;      //  limits and the style of answers
    egov_http_handler_fn *handler;  //  answers each complete request
    void *argument;                 //  passed to handler
    int port;                       //  listening port
    zmq_pollitem_t item;            //  the daemon's epoll descriptor on a loop
    zlistx_t *deferred;             //  egov_http_deferred_t not yet answered
    zlistx_t *arriving;             //  s_arrival_t of requests still coming in
    uint64_t answered [600];        //  answers by HTTP status
    zhashx_t *errors;               //  error code -> uint64_t * answers that carried it
    double seconds;                 //  time from a request's arrival to its answer, summed
    uint64_t timed;                 //  answers in seconds
    egov_http_metrics_fn *metrics;  //  the service's own numbers
    void *metrics_argument;
    char *www;                      //  the folder of a page's files, or NULL
};

//  A connection whose request has not arrived whole yet: however slowly it
//  trickles in (slowloris), it gets request_deadline_ms from its start.
typedef struct {
    struct MHD_Connection *connection;
    int64_t started;                //  monotonic ms the current request began
    bool arrived;                   //  the request is whole (handled, or waiting deferred)
    bool expired;                   //  told to close; the deadline passed
    void *handle;                   //  its place in arriving
} s_arrival_t;

#define s_REQUEST_DEADLINE_MS   10000   //  the default request deadline

struct _egov_http_deferred_t {
    egov_http_t *server;            //  where it came
    struct MHD_Connection *connection;  //  suspended until answered
    bool suspended;                 //  libmicrohttpd was told
    bool answered;                  //  reply holds the answer
    egov_http_reply_t reply;        //  the answer, owned
    void *handle;                   //  its place in server->deferred
};

//  A request's body as it arrives, and its answer when deferred.
typedef struct {
    char *data;                     //  bytes so far (zero-terminated)
    size_t size;                    //  bytes used
    bool too_large;                 //  over max_body: dropped
    egov_http_deferred_t *deferred; //  set while the answer is deferred
    int64_t arrived_us;             //  when it was whole (monotonic)
} s_upload_t;

//  Counts an answer of status (with error code, or NULL) for request.
static void
s_count (egov_http_request_t *request, int status, const char *code)
{
    egov_http_t *self = request->server;
    if (status >= 0 && status < 600)
        self->answered [status]++;
    if (code) {
        uint64_t *count = (uint64_t *) zhashx_lookup (self->errors, code);
        if (!count && zhashx_size (self->errors) < 256) {
            count = (uint64_t *) zmalloc (sizeof (uint64_t));
            assert (count);
            zhashx_insert (self->errors, code, count);
        }
        if (count)
            (*count)++;
    }
    s_upload_t *upload = (s_upload_t *) request->state;
    if (upload && upload->arrived_us) {
        self->seconds += (double) (zclock_usecs () - upload->arrived_us) / 1e6;
        self->timed++;
    }
}

//  ---------------------------------------------------------------------
//  Answers

//  Adds the headers every answer carries.
static void
s_headers (egov_http_t *self, struct MHD_Response *response, const char *content_type)
{
    MHD_add_response_header (response, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
    if (!self->config.compact)
        MHD_add_response_header (response, "Cache-Control", "no-store");
    if (self->config.nosniff)
        MHD_add_response_header (response, "X-Content-Type-Options", "nosniff");
}

void
egov_http_answer (egov_http_request_t *request, const egov_http_reply_t *reply)
{
    egov_http_t *self = request->server;
    if (reply->text) {
        size_t size = strlen (reply->text);
        char *copy = (char *) malloc (size + 1);
        assert (copy);
        memcpy (copy, reply->text, size + 1);
        struct MHD_Response *response = MHD_create_response_from_buffer (size, copy, MHD_RESPMEM_MUST_FREE);
        s_headers (self, response, reply->content_type);
        MHD_add_response_header (response, "Content-Security-Policy",
                                 "default-src 'none'; style-src 'unsafe-inline'");
        request->queued = MHD_queue_response ((struct MHD_Connection *) request->connection,
                                              (unsigned) reply->status, response);
        MHD_destroy_response (response);
        s_count (request, reply->status, NULL);
        return;
    }
    bool compact = self->config.compact;
    char *text = reply->body
               ? json_dumps (reply->body, compact ? JSON_COMPACT | JSON_ENSURE_ASCII : JSON_INDENT (2))
               : NULL;
    size_t length = text ? strlen (text) : 0;
    if (text && !compact) {
        //  A closing newline, for people reading it with curl
        char *line = (char *) realloc (text, length + 2);
        assert (line);
        text = line;
        text [length++] = '\n';
        text [length] = 0;
    }
    struct MHD_Response *response = MHD_create_response_from_buffer (length, text ? text : (char *) "",
        text ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    s_headers (self, response, compact ? "application/json" : "application/json; charset=utf-8");
    if (reply->status == 405 && reply->body) {
        json_t *allow = json_object_get (json_object_get (reply->body, "error"), "allow");
        if (json_is_string (allow))
            MHD_add_response_header (response, "Allow", json_string_value (allow));
    }
    if (reply->status == 401)
        MHD_add_response_header (response, "WWW-Authenticate", "Bearer");
    if (reply->retry_after)
        MHD_add_response_header (response, "Retry-After", reply->retry_after);
    request->queued = MHD_queue_response ((struct MHD_Connection *) request->connection,
                                          (unsigned) reply->status, response);
    MHD_destroy_response (response);
    json_t *code = json_object_get (json_object_get (reply->body, "error"), "code");
    s_count (request, reply->status, json_is_string (code) ? json_string_value (code) : NULL);
}

void
egov_http_answer_file (egov_http_request_t *request, const char *content_type, char *text,
                       size_t size, const char *policy)
{
    struct MHD_Response *response = MHD_create_response_from_buffer (size, text, MHD_RESPMEM_MUST_FREE);
    s_headers (request->server, response, content_type);
    if (policy)
        MHD_add_response_header (response, "Content-Security-Policy", policy);
    request->queued = MHD_queue_response ((struct MHD_Connection *) request->connection,
                                          MHD_HTTP_OK, response);
    MHD_destroy_response (response);
    s_count (request, 200, NULL);
}

void
egov_http_set_metrics (egov_http_t *self, egov_http_metrics_fn *fn, void *argument)
{
    self->metrics = fn;
    self->metrics_argument = argument;
}

void
egov_http_set_www (egov_http_t *self, const char *folder)
{
    free (self->www);
    self->www = folder ? strdup (folder) : NULL;
}

//  ---------------------------------------------------------------------
//  A page's files

//  The content type of a page's file by its extension, NULL when not served.
static const char *
s_www_type (const char *name)
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

//  True when name is a plain file name of a page: [a-z0-9-.]+ with a served
//  extension, no folders, no dot files.
static bool
s_www_name (const char *name)
{
    size_t length = strlen (name);
    return length > 0 && length < 64 && name [0] != '.'
        && strspn (name, "abcdefghijklmnopqrstuvwxyz0123456789-.") == length
        && !strstr (name, "..") && s_www_type (name);
}

//  Serves a page's file for GET|HEAD / and /NAME; false when url is not one
//  (the handler answers it).
static bool
s_www (egov_http_t *self, egov_http_request_t *request)
{
    if (!self->www || strncmp (request->url, "/api/", 5) == 0)
        return false;
    if (!streq (request->method, "GET") && !streq (request->method, "HEAD"))
        return false;
    const char *name = streq (request->url, "/") ? "index.html" : request->url + 1;
    if (!s_www_name (name))
        return false;
    char path [PATH_MAX];
    snprintf (path, sizeof (path), "%s/%s", self->www, name);
    size_t size = 0;
    char *text = egov_file_read (path, EGOV_HTTP_MAX_WWW_FILE, &size);
    if (!text)
        return false;
    egov_http_answer_file (request, s_www_type (name), text, size,
        "default-src 'self'; script-src 'self'; style-src 'self'; object-src 'none'; "
        "base-uri 'none'; frame-ancestors 'none'");
    return true;
}

//  A metric name's part from text: letters, digits and _ only.
static void
s_metric_name (zchunk_t *out, const char *text)
{
    for (const char *cursor = text; *cursor; cursor++) {
        char c = isalnum ((unsigned char) *cursor) ? *cursor : '_';
        zchunk_extend (out, &c, 1);
    }
}

//  Appends json's leaves as gauges under prefix.
static void
s_metrics_json (zchunk_t *out, const char *prefix, json_t *json)
{
    const char *key;
    json_t *value;
    json_object_foreach (json, key, value) {
        zchunk_t *name = zchunk_new (prefix, strlen (prefix));
        zchunk_extend (name, "_", 1);
        s_metric_name (name, key);
        zchunk_extend (name, "", 1);
        const char *full = (const char *) zchunk_data (name);
        char line [512];
        int length = 0;
        if (json_is_object (value))
            s_metrics_json (out, full, value);
        else
        if (json_is_integer (value))
            length = snprintf (line, sizeof (line), "%s %" JSON_INTEGER_FORMAT "\n", full, json_integer_value (value));
        else
        if (json_is_real (value))
            length = snprintf (line, sizeof (line), "%s %g\n", full, json_real_value (value));
        else
        if (json_is_boolean (value))
            length = snprintf (line, sizeof (line), "%s %d\n", full, json_is_true (value) ? 1 : 0);
        else
        if (json_is_string (value)) {
            //  A label value: no quote, backslash or newline in it
            char text [128];
            snprintf (text, sizeof (text), "%s", json_string_value (value));
            for (char *cursor = text; *cursor; cursor++)
                if (*cursor == '"' || *cursor == '\\' || *cursor == '\n')
                    *cursor = '_';
            length = snprintf (line, sizeof (line), "%s{value=\"%s\"} 1\n", full, text);
        }
        if (length > 0 && (size_t) length < sizeof (line))
            zchunk_extend (out, line, (size_t) length);
        zchunk_destroy (&name);
    }
}

//  GET /metrics: Prometheus' text format.
static void
s_metrics (egov_http_t *self, egov_http_request_t *request)
{
    zchunk_t *out = zchunk_new (NULL, 4096);
    char line [256];
    int length = snprintf (line, sizeof (line), "# TYPE egov_http_requests_total counter\n");
    zchunk_extend (out, line, (size_t) length);
    for (int status = 100; status < 600; status++)
        if (self->answered [status]) {
            length = snprintf (line, sizeof (line), "egov_http_requests_total{status=\"%d\"} %" PRIu64 "\n",
                               status, self->answered [status]);
            zchunk_extend (out, line, (size_t) length);
        }
    length = snprintf (line, sizeof (line), "# TYPE egov_http_errors_total counter\n");
    zchunk_extend (out, line, (size_t) length);
    for (uint64_t *count = (uint64_t *) zhashx_first (self->errors); count;
         count = (uint64_t *) zhashx_next (self->errors)) {
        length = snprintf (line, sizeof (line), "egov_http_errors_total{code=\"%s\"} %" PRIu64 "\n",
                           (const char *) zhashx_cursor (self->errors), *count);
        if (length > 0 && (size_t) length < sizeof (line))
            zchunk_extend (out, line, (size_t) length);
    }
    length = snprintf (line, sizeof (line),
                       "# TYPE egov_http_requests_waiting gauge\negov_http_requests_waiting %zu\n"
                       "# TYPE egov_http_answer_seconds summary\negov_http_answer_seconds_sum %.6f\n"
                       "egov_http_answer_seconds_count %" PRIu64 "\n",
                       zlistx_size (self->deferred), self->seconds, self->timed);
    zchunk_extend (out, line, (size_t) length);
    json_t *own = self->metrics ? self->metrics (self->metrics_argument) : NULL;
    if (json_is_object (own))
        s_metrics_json (out, "egov", own);
    json_decref (own);
    size_t size = zchunk_size (out);
    char *text = (char *) malloc (size + 1);
    assert (text);
    memcpy (text, zchunk_data (out), size);
    text [size] = 0;
    zchunk_destroy (&out);
    egov_http_answer_file (request, "text/plain; version=0.0.4; charset=utf-8", text, size, NULL);
}

const char *
egov_http_header (egov_http_request_t *request, const char *name)
{
    return MHD_lookup_connection_value ((struct MHD_Connection *) request->connection,
                                        MHD_HEADER_KIND, name);
}

const char *
egov_http_bearer (egov_http_request_t *request)
{
    const char *header = MHD_lookup_connection_value ((struct MHD_Connection *) request->connection,
                                                      MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    if (!header || strncasecmp (header, "Bearer ", 7) != 0)
        return NULL;
    header += 7;
    while (*header == ' ')
        header++;
    return *header ? header : NULL;
}

const char *
egov_http_argument (egov_http_request_t *request, const char *name)
{
    return MHD_lookup_connection_value ((struct MHD_Connection *) request->connection,
                                        MHD_GET_ARGUMENT_KIND, name);
}

//  ---------------------------------------------------------------------
//  The server

//  libmicrohttpd's request handler: collects the body, then hands it over.
static enum MHD_Result
s_on_request (void *argument, struct MHD_Connection *connection, const char *url,
              const char *method, const char *version, const char *upload_data,
              size_t *upload_data_size, void **state)
{
    (void) version;
    egov_http_t *self = (egov_http_t *) argument;
    s_upload_t *upload = (s_upload_t *) *state;
    if (!upload) {
        upload = (s_upload_t *) zmalloc (sizeof (s_upload_t));
        assert (upload);
        *state = upload;
        return MHD_YES;
    }
    if (*upload_data_size) {
        if (!upload->too_large && upload->size + *upload_data_size > self->config.max_body) {
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
    //  The request is whole: the deadline no longer applies to it
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info (connection, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    if (info && info->socket_context)
        ((s_arrival_t *) info->socket_context)->arrived = true;
    if (!upload->arrived_us)
        upload->arrived_us = zclock_usecs ();
    egov_http_request_t request = { method, url, upload->data, upload->size, upload->too_large,
                                    connection, self, MHD_NO, upload, false };
    egov_http_deferred_t *deferred = upload->deferred;
    if (deferred) {
        //  Resumed: the answer is there
        if (!deferred->answered)
            return MHD_YES;
        upload->deferred = NULL;
        egov_http_answer (&request, &deferred->reply);
        egov_http_reply_reset (&deferred->reply);
        free (deferred);
        return (enum MHD_Result) request.queued;
    }
    if (streq (url, "/metrics") && streq (method, "GET")) {
        s_metrics (self, &request);
        return (enum MHD_Result) request.queued;
    }
    if (s_www (self, &request))
        return (enum MHD_Result) request.queued;
    self->handler (self->argument, &request);
    deferred = upload->deferred;
    if (deferred && deferred->answered) {
        //  Answered before the handler returned: no need to wait
        upload->deferred = NULL;
        egov_http_answer (&request, &deferred->reply);
        egov_http_reply_reset (&deferred->reply);
        free (deferred);
    }
    else
    if (deferred) {
        MHD_suspend_connection (connection);
        deferred->suspended = true;
        return MHD_YES;
    }
    return (enum MHD_Result) request.queued;
}

void
egov_http_answer_into (void *argument, egov_http_reply_t *reply)
{
    egov_http_reply_t *into = (egov_http_reply_t *) argument;
    egov_http_reply_reset (into);
    *into = *reply;
    //  The body, the text and the header move; the caller's reset finds nothing left
    reply->body = NULL;
    reply->retry_after = NULL;
    reply->text = NULL;
}

egov_http_deferred_t *
egov_http_defer (egov_http_request_t *request)
{
    assert (request && request->state && !request->deferred);
    s_upload_t *upload = (s_upload_t *) request->state;
    egov_http_deferred_t *deferred = (egov_http_deferred_t *) zmalloc (sizeof (egov_http_deferred_t));
    assert (deferred);
    deferred->server = request->server;
    deferred->connection = (struct MHD_Connection *) request->connection;
    deferred->handle = zlistx_add_end (request->server->deferred, deferred);
    upload->deferred = deferred;
    request->deferred = true;
    return deferred;
}

void
egov_http_resume (egov_http_deferred_t **deferred_p, const egov_http_reply_t *reply)
{
    assert (deferred_p && reply);
    egov_http_deferred_t *deferred = *deferred_p;
    if (!deferred)
        return;
    *deferred_p = NULL;
    assert (!deferred->answered);
    deferred->answered = true;
    deferred->reply.status = reply->status;
    deferred->reply.body = reply->body ? json_incref (reply->body) : NULL;
    deferred->reply.retry_after = reply->retry_after ? strdup (reply->retry_after) : NULL;
    deferred->reply.text = reply->text ? strdup (reply->text) : NULL;
    deferred->reply.content_type = reply->content_type;
    zlistx_delete (deferred->server->deferred, deferred->handle);
    //  libmicrohttpd calls the request handler again, which answers it
    if (deferred->suspended)
        MHD_resume_connection (deferred->connection);
}

size_t
egov_http_deferred_count (egov_http_t *self)
{
    return zlistx_size (self->deferred);
}

//  Frees a request's state when the connection is done with it.
static void
s_on_completed (void *argument, struct MHD_Connection *connection, void **state,
                enum MHD_RequestTerminationCode code)
{
    (void) argument;
    (void) code;
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info (connection, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    if (info && info->socket_context) {
        s_arrival_t *arrival = (s_arrival_t *) info->socket_context;
        arrival->arrived = false;
        arrival->started = zclock_mono ();
    }
    s_upload_t *upload = (s_upload_t *) *state;
    if (upload) {
        if (upload->deferred) {
            egov_http_reply_reset (&upload->deferred->reply);
            free (upload->deferred);
        }
        free (upload->data);
        free (upload);
        *state = NULL;
    }
}

//  A connection opens or closes: its arrival is tracked while it lives.
static void
s_on_connection (void *argument, struct MHD_Connection *connection, void **socket_context,
                 enum MHD_ConnectionNotificationCode code)
{
    egov_http_t *self = (egov_http_t *) argument;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        s_arrival_t *arrival = (s_arrival_t *) zmalloc (sizeof (s_arrival_t));
        assert (arrival);
        arrival->connection = connection;
        arrival->started = zclock_mono ();
        arrival->handle = zlistx_add_end (self->arriving, arrival);
        *socket_context = arrival;
    }
    else
    if (*socket_context) {
        s_arrival_t *arrival = (s_arrival_t *) *socket_context;
        zlistx_delete (self->arriving, arrival->handle);
        free (arrival);
        *socket_context = NULL;
    }
}

//  Connections whose request is past its deadline are shut down: their
//  socket reads end, and libmicrohttpd closes and frees them as it would a
//  client that hung up. A trickle of bytes keeps no idle timer from firing,
//  so the deadline counts from the start, not from the last byte.
static void
s_enforce_deadlines (egov_http_t *self)
{
    int64_t now = zclock_mono ();
    unsigned deadline = self->config.request_deadline_ms ? self->config.request_deadline_ms
                                                         : s_REQUEST_DEADLINE_MS;
    for (s_arrival_t *arrival = (s_arrival_t *) zlistx_first (self->arriving); arrival;
         arrival = (s_arrival_t *) zlistx_next (self->arriving))
        if (!arrival->arrived && !arrival->expired && now - arrival->started > deadline) {
            const union MHD_ConnectionInfo *info =
                MHD_get_connection_info (arrival->connection, MHD_CONNECTION_INFO_CONNECTION_FD);
            if (info)
                shutdown (info->connect_fd, SHUT_RDWR);
            arrival->expired = true;
        }
}

egov_http_t *
egov_http_new (const char *address, const egov_http_config_t *config,
               egov_http_handler_fn *handler, void *argument, egov_error_t *error)
{
    assert (config && handler);
    char host [64];
    const char *colon = address ? strrchr (address, ':') : NULL;
    char *end = NULL;
    long port = colon ? strtol (colon + 1, &end, 10) : -1;
    struct sockaddr_in socket_address = { .sin_family = AF_INET };
    if (!colon || (size_t) (colon - address) >= sizeof (host) || !end || *end || end == colon + 1
    ||  port < 0 || port > 65535) {
        egov_error_set (error, "HTTP_ADDRESS", "'%.100s' is not HOST:PORT (IPv4)",
                        address ? address : "");
        return NULL;
    }
    snprintf (host, sizeof (host), "%.*s", (int) (colon - address), address);
    if (inet_pton (AF_INET, host, &socket_address.sin_addr) != 1) {
        egov_error_set (error, "HTTP_ADDRESS", "'%s' is not an IPv4 address", host);
        return NULL;
    }
    socket_address.sin_port = htons ((uint16_t) port);
    egov_http_t *self = (egov_http_t *) zmalloc (sizeof (egov_http_t));
    assert (self);
    self->config = *config;
    self->handler = handler;
    self->argument = argument;
    self->arriving = zlistx_new ();
    assert (self->arriving);
    unsigned per_ip = config->per_ip_limit ? config->per_ip_limit
                    : config->connection_limit / 4 ? config->connection_limit / 4 : 1;
    //  MHD_OPTION_END ends the list early when there is no memory limit to give
    self->daemon = MHD_start_daemon (MHD_USE_EPOLL | MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME,
        (uint16_t) port, NULL, NULL,
        s_on_request, self,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *) &socket_address,
        MHD_OPTION_NOTIFY_COMPLETED, s_on_completed, self,
        MHD_OPTION_NOTIFY_CONNECTION, s_on_connection, self,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, per_ip,
        MHD_OPTION_CONNECTION_LIMIT, config->connection_limit,
        MHD_OPTION_CONNECTION_TIMEOUT, config->connection_timeout,
        config->memory_limit ? MHD_OPTION_CONNECTION_MEMORY_LIMIT : MHD_OPTION_END,
        config->memory_limit,
        MHD_OPTION_END);
    if (!self->daemon) {
        egov_error_set (error, "HTTP_LISTEN", "cannot listen on %s: %s", address, strerror (errno));
        zlistx_destroy (&self->arriving);
        free (self);
        return NULL;
    }
    self->deferred = zlistx_new ();
    self->errors = zhashx_new ();
    zhashx_set_destructor (self->errors, (zhashx_destructor_fn *) zstr_free);
    assert (self->deferred);
    const union MHD_DaemonInfo *info = MHD_get_daemon_info (self->daemon, MHD_DAEMON_INFO_BIND_PORT);
    self->port = info ? info->port : (int) port;
    info = MHD_get_daemon_info (self->daemon, MHD_DAEMON_INFO_EPOLL_FD);
    self->item.fd = info ? info->epoll_fd : -1;
    self->item.events = ZMQ_POLLIN;
    return self;
}

void
egov_http_destroy (egov_http_t **self_p)
{
    assert (self_p);
    egov_http_t *self = *self_p;
    if (self) {
        //  What still waits is answered before the daemon goes
        egov_http_deferred_t *deferred;
        while ((deferred = (egov_http_deferred_t *) zlistx_first (self->deferred))) {
            egov_http_reply_t reply = { 0, NULL, NULL };
            egov_http_reply_error (&reply, 503, "SHUTTING_DOWN", "the service is stopping");
            egov_http_resume (&deferred, &reply);
            egov_http_reply_reset (&reply);
        }
        for (int round = 0; round < 4; round++)
            MHD_run (self->daemon);
        MHD_stop_daemon (self->daemon);
        zlistx_destroy (&self->deferred);
        zhashx_destroy (&self->errors);
        free (self->www);
        zlistx_destroy (&self->arriving);      //  emptied as the daemon closed each connection
        free (self);
        *self_p = NULL;
    }
}

int
egov_http_port (egov_http_t *self)
{
    assert (self);
    return self->port;
}

void
egov_http_run (egov_http_t *self)
{
    assert (self);
    s_enforce_deadlines (self);
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
    egov_http_run ((egov_http_t *) argument);
    return 0;
}

//  Timeouts and anything the edge-triggered poll did not show.
static int
s_on_timer (zloop_t *loop, int timer_id, void *argument)
{
    (void) loop;
    (void) timer_id;
    egov_http_run ((egov_http_t *) argument);
    return 0;
}

void
egov_http_attach (egov_http_t *self, zloop_t *loop)
{
    assert (self);
    if (self->item.fd >= 0)
        zloop_poller (loop, &self->item, s_on_ready, self);
    zloop_timer (loop, 50, 0, s_on_timer, self);
}

//  ---------------------------------------------------------------------
//  Replies and request readers

json_t *
egov_http_reply_error (egov_http_reply_t *reply, int status, const char *code, const char *format, ...)
{
    char message [512];
    va_list args;
    va_start (args, format);
    vsnprintf (message, sizeof (message), format, args);
    va_end (args);
    json_t *error = json_pack ("{s:s, s:s}", "code", code, "message", message);
    assert (error);
    egov_http_reply_set (reply, status, json_pack ("{s:o}", "error", error));
    return error;
}

void
egov_http_reply_set (egov_http_reply_t *reply, int status, json_t *body)
{
    if (reply->body)
        json_decref (reply->body);
    reply->status = status;
    reply->body = body;
}

void
egov_http_reply_reset (egov_http_reply_t *reply)
{
    if (reply->body)
        json_decref (reply->body);
    reply->body = NULL;
    free (reply->retry_after);
    reply->retry_after = NULL;
    free (reply->text);
    reply->text = NULL;
}

void
egov_http_reply_text (egov_http_reply_t *reply, const char *content_type, char *text)
{
    egov_http_reply_reset (reply);
    reply->status = 200;
    reply->text = text;
    reply->content_type = content_type;
}

const char *
egov_http_reply_code (const egov_http_reply_t *reply)
{
    json_t *code = json_object_get (json_object_get (reply->body, "error"), "code");
    return json_is_string (code) ? json_string_value (code) : "";
}

void
egov_http_reply_not_allowed (egov_http_reply_t *reply, const char *method, const char *allowed)
{
    json_t *detail = egov_http_reply_error (reply, 405, "METHOD_NOT_ALLOWED",
                                            "%.16s is not allowed here; use %s", method, allowed);
    json_object_set_new (detail, "allow", json_string (allowed));
}

void
egov_http_reply_document (egov_http_reply_t *reply, const char *text)
{
    json_t *document = text ? json_loads (text, 0, NULL) : NULL;
    if (document)
        egov_http_reply_set (reply, 200, document);
    else
        egov_http_reply_error (reply, 503, "OPENAPI_UNAVAILABLE",
                               "the OpenAPI document was not found at start (--openapi)");
}

json_t *
egov_http_json (const char *body, size_t size, egov_http_reply_t *reply)
{
    json_error_t parse;
    json_t *document = body && size ? json_loadb (body, size, JSON_REJECT_DUPLICATES, &parse) : NULL;
    if (!document) {
        json_t *detail = egov_http_reply_error (reply, 400, "BAD_JSON", "the body is not JSON: %s",
                                                body && size ? parse.text : "empty body");
        if (body && size) {
            json_object_set_new (detail, "line", json_integer (parse.line));
            json_object_set_new (detail, "column", json_integer (parse.column));
        }
    }
    return document;
}

bool
egov_http_printable (const char *text)
{
    for (const unsigned char *cursor = (const unsigned char *) text; *cursor; cursor++)
        if (*cursor < 0x20 || *cursor == 0x7f)
            return false;
    return true;
}

bool
egov_http_text (json_t *body, const char *key, char *out, size_t max, egov_error_t *error)
{
    json_t *value = json_object_get (body, key);
    if (!value) {
        egov_error_set (error, "INVALID_REQUEST", "%s is required", key);
        return false;
    }
    if (!json_is_string (value)) {
        egov_error_set (error, "INVALID_REQUEST", "%s must be a string", key);
        return false;
    }
    size_t length = json_string_length (value);
    const char *text = json_string_value (value);
    if (length == 0 || length >= max || strlen (text) != length || !egov_http_printable (text)) {
        egov_error_set (error, "INVALID_REQUEST", "%s must be 1-%zu printable bytes", key, max - 1);
        return false;
    }
    memcpy (out, text, length + 1);
    return true;
}

bool
egov_http_keys (json_t *body, egov_error_t *error, ...)
{
    const char *key;
    json_t *value;
    json_object_foreach (body, key, value) {
        bool known = false;
        va_list args;
        va_start (args, error);
        for (const char *allowed = va_arg (args, const char *); allowed && !known;
             allowed = va_arg (args, const char *))
            known = streq (key, allowed);
        va_end (args);
        if (!known) {
            egov_error_set (error, "INVALID_REQUEST", "unknown field '%.64s'", key);
            return false;
        }
    }
    return true;
}

//  ---------------------------------------------------------------------
//  Selftest: a handler that echoes, over a real socket

static egov_http_deferred_t *s_test_deferred;  //  the /defer request waiting

//  Answers /echo with the body and the token, /file with a file, /auth
//  with 401, /defer later, anything else with 405.
static void
s_test_handler (void *argument, egov_http_request_t *request)
{
    int *count = (int *) argument;
    (*count)++;
    egov_http_reply_t reply = { 0, NULL, NULL };
    if (streq (request->url, "/defer")) {
        s_test_deferred = egov_http_defer (request);
        return;
    }
    if (request->too_large)
        egov_http_reply_error (&reply, 413, "PAYLOAD_TOO_LARGE", "too large");
    else
    if (streq (request->url, "/echo")) {
        json_t *body = egov_http_json (request->body, request->body_size, &reply);
        if (body) {
            const char *token = egov_http_bearer (request);
            const char *name = egov_http_argument (request, "name");
            egov_http_reply_set (&reply, 200, json_pack ("{s:o, s:s?, s:s?}", "body", body,
                                                         "token", token, "name", name));
        }
    }
    else
    if (streq (request->url, "/file")) {
        char *text = strdup ("<p>hello</p>");
        assert (text);
        egov_http_answer_file (request, "text/html; charset=utf-8", text, strlen (text), "default-src 'self'");
        return;
    }
    else
    if (streq (request->url, "/auth")) {
        egov_http_reply_error (&reply, 401, "UNAUTHENTICATED", "log in");
        reply.retry_after = strdup ("3");
    }
    else
        egov_http_reply_not_allowed (&reply, request->method, "GET");
    egov_http_answer (request, &reply);
    egov_http_reply_reset (&reply);
}

//  Opens a connection and sends a GET without waiting for the answer.
static int
s_test_send (egov_http_t *http, const char *path)
{
    int handle = socket (AF_INET, SOCK_STREAM, 0);
    assert (handle >= 0);
    struct sockaddr_in address = { .sin_family = AF_INET,
                                   .sin_port = htons ((uint16_t) egov_http_port (http)) };
    inet_pton (AF_INET, "127.0.0.1", &address.sin_addr);
    int rc = connect (handle, (struct sockaddr *) &address, sizeof (address));
    assert (rc == 0);
    char request [128];
    snprintf (request, sizeof (request), "GET %s HTTP/1.0\r\n\r\n", path);
    ssize_t sent = send (handle, request, strlen (request), MSG_NOSIGNAL);
    assert (sent == (ssize_t) strlen (request));
    return handle;
}

//  Serves until the connection's answer is complete (or wait_ms pass);
//  returns it, "" when none came.
static char *
s_test_answer (egov_http_t *http, int handle, int wait_ms)
{
    char response [8192];
    size_t received = 0;
    int64_t deadline = zclock_mono () + wait_ms;
    while (zclock_mono () < deadline) {
        egov_http_run (http);
        struct pollfd item = { handle, POLLIN, 0 };
        if (poll (&item, 1, 5) <= 0)
            continue;
        ssize_t got = recv (handle, response + received, sizeof (response) - 1 - received, 0);
        if (got <= 0)
            break;
        received += (size_t) got;
    }
    response [received] = 0;
    char *copy = strdup (response);
    assert (copy);
    return copy;
}

//  Sends one raw HTTP/1.0 request (headers may be NULL, else ending in
//  \r\n) and serves it from this thread; returns the whole response.
static char *
s_exchange (egov_http_t *http, const char *method, const char *path, const char *headers,
            const char *body)
{
    int handle = socket (AF_INET, SOCK_STREAM, 0);
    assert (handle >= 0);
    struct sockaddr_in address = { .sin_family = AF_INET,
                                   .sin_port = htons ((uint16_t) egov_http_port (http)) };
    inet_pton (AF_INET, "127.0.0.1", &address.sin_addr);
    int rc = connect (handle, (struct sockaddr *) &address, sizeof (address));
    assert (rc == 0);
    size_t body_size = body ? strlen (body) : 0;
    char *request = zsys_sprintf ("%s %s HTTP/1.0\r\n%sContent-Length: %zu\r\n\r\n%s", method, path,
                                  headers ? headers : "", body_size, body ? body : "");
    assert (request);
    size_t length = strlen (request);
    char response [8192];
    size_t sent = 0, received = 0;
    while (true) {
        struct pollfd item = { handle, (short) (POLLIN | (sent < length ? POLLOUT : 0)), 0 };
        egov_http_run (http);
        if (poll (&item, 1, 5) <= 0)
            continue;
        if (item.revents & POLLOUT) {
            ssize_t written = send (handle, request + sent, length - sent, MSG_NOSIGNAL);
            if (written > 0)
                sent += (size_t) written;
        }
        if (item.revents & (POLLIN | POLLHUP)) {
            ssize_t got = recv (handle, response + received, sizeof (response) - 1 - received, 0);
            if (got <= 0)
                break;
            received += (size_t) got;
        }
    }
    close (handle);
    zstr_free (&request);
    egov_http_run (http);
    response [received] = 0;
    char *copy = strdup (response);
    assert (copy);
    return copy;
}

void
egov_http_test (bool verbose)
{
    printf (" * egov_http: ");
    if (verbose)
        printf ("\n");
    //  Replies
    egov_http_reply_t reply = { 0, NULL, NULL };
    json_t *error = egov_http_reply_error (&reply, 422, "CONSENT_REQUIRED", "ask %s", "first");
    json_object_set_new (error, "extra", json_true ());
    assert (reply.status == 422);
    assert (streq (egov_http_reply_code (&reply), "CONSENT_REQUIRED"));
    assert (streq (json_string_value (json_object_get (
        json_object_get (reply.body, "error"), "code")), "CONSENT_REQUIRED"));
    assert (streq (json_string_value (json_object_get (
        json_object_get (reply.body, "error"), "message")), "ask first"));
    error = egov_http_reply_error (&reply, 422, "WEAK_PASSWORD", "at least %d", 8);
    assert (error && reply.status == 422);
    assert (streq (egov_http_reply_code (&reply), "WEAK_PASSWORD"));
    assert (streq (json_string_value (json_object_get (error, "message")), "at least 8"));
    egov_http_reply_set (&reply, 200, json_object ());
    assert (streq (egov_http_reply_code (&reply), ""));
    egov_http_reply_not_allowed (&reply, "DELETE", "GET, POST");
    assert (reply.status == 405 && streq (egov_http_reply_code (&reply), "METHOD_NOT_ALLOWED"));
    egov_http_reply_document (&reply, "{\"openapi\": \"3.0.3\"}");
    assert (reply.status == 200);
    egov_http_reply_document (&reply, NULL);
    assert (reply.status == 503 && streq (egov_http_reply_code (&reply), "OPENAPI_UNAVAILABLE"));
    egov_http_reply_reset (&reply);
    egov_http_reply_reset (&reply);

    //  Bodies
    assert (egov_http_json ("{\"a\":", 5, &reply) == NULL && reply.status == 400);
    assert (streq (egov_http_reply_code (&reply), "BAD_JSON"));
    assert (json_integer_value (json_object_get (json_object_get (reply.body, "error"), "line")) == 1);
    assert (egov_http_json (NULL, 0, &reply) == NULL && reply.status == 400);
    json_t *document = egov_http_json ("{\"a\": 1}", 8, &reply);
    assert (document);
    json_decref (document);
    assert (egov_http_json ("{\"a\": 1, \"a\": 2}", 16, &reply) == NULL);
    egov_http_reply_reset (&reply);

    //  Request readers
    egov_error_t failure = { { 0 } };
    json_t *body = json_pack ("{s:s, s:i, s:s}", "iin", "850314301234", "n", 1, "bad", "a\nb");
    char text [16];
    assert (egov_http_text (body, "iin", text, sizeof (text), &failure) && streq (text, "850314301234"));
    assert (!egov_http_text (body, "iin", text, 12, &failure));
    assert (!egov_http_text (body, "n", text, sizeof (text), &failure));
    assert (!egov_http_text (body, "bad", text, sizeof (text), &failure));
    assert (!egov_http_text (body, "absent", text, sizeof (text), &failure)
            && streq (failure.code, "INVALID_REQUEST"));
    assert (egov_http_keys (body, &failure, "iin", "n", "bad", NULL));
    assert (!egov_http_keys (body, &failure, "iin", "n", NULL));
    assert (strstr (failure.message, "'bad'"));
    json_decref (body);
    assert (egov_http_printable ("Бота") && !egov_http_printable ("a\tb"));

    //  Addresses
    int count = 0;
    egov_http_config_t config = { 64, 16, 10, 0, false, true };
    egov_error_t fault = { { 0 } };
    assert (!egov_http_new ("nonsense", &config, s_test_handler, &count, &fault));
    assert (streq (fault.code, "HTTP_ADDRESS"));
    assert (!egov_http_new ("localhost:80", &config, s_test_handler, &count, &fault));
    assert (!egov_http_new ("127.0.0.1:99999", &config, s_test_handler, &count, &fault));
    assert (!egov_http_new ("127.0.0.1:", &config, s_test_handler, &count, &fault));
    assert (!egov_http_new (NULL, &config, s_test_handler, &count, &fault));
    egov_http_t *http = egov_http_new ("127.0.0.1:0", &config, s_test_handler, &count, &fault);
    assert (http && egov_http_port (http) > 0);
    char busy [32];
    snprintf (busy, sizeof (busy), "127.0.0.1:%d", egov_http_port (http));
    assert (!egov_http_new (busy, &config, s_test_handler, &count, &fault));
    assert (streq (fault.code, "HTTP_LISTEN"));

    //  Requests over the socket
    char *response = s_exchange (http, "POST", "/echo?name=x", "Authorization: Bearer  abc\r\n",
                                 "{\"a\":1}");
    if (verbose)
        printf ("%s\n", response);
    assert (strncmp (response, "HTTP/1.0 200", 12) == 0 || strncmp (response, "HTTP/1.1 200", 12) == 0);
    assert (strstr (response, "application/json; charset=utf-8"));
    assert (strstr (response, "no-store") && strstr (response, "nosniff"));
    assert (strstr (response, "\"token\": \"abc\"") && strstr (response, "\"name\": \"x\""));
    assert (strstr (response, "}\n"));
    zstr_free (&response);
    response = s_exchange (http, "POST", "/echo", "Authorization: Basic abc\r\n", "{\"a\":");
    assert (strstr (response, " 400 ") && strstr (response, "BAD_JSON")
            && !strstr (response, "\"token\":"));
    zstr_free (&response);
    response = s_exchange (http, "POST", "/echo", NULL,
                           "{\"a\": \"a body longer than the sixty-four bytes this server takes\"}");
    assert (strstr (response, " 413 ") && strstr (response, "PAYLOAD_TOO_LARGE"));
    zstr_free (&response);
    response = s_exchange (http, "DELETE", "/other", NULL, NULL);
    assert (strstr (response, " 405 ") && strstr (response, "Allow: GET"));
    zstr_free (&response);
    response = s_exchange (http, "GET", "/auth", NULL, NULL);
    assert (strstr (response, " 401 ") && strstr (response, "WWW-Authenticate: Bearer")
            && strstr (response, "Retry-After: 3"));
    zstr_free (&response);
    response = s_exchange (http, "GET", "/file", NULL, NULL);
    assert (strstr (response, " 200 ") && strstr (response, "text/html")
            && strstr (response, "Content-Security-Policy: default-src 'self'")
            && strstr (response, "<p>hello</p>"));
    zstr_free (&response);
    assert (count == 6);

    //  A deferred request waits without holding up the others
    int waiting = s_test_send (http, "/defer");
    char *nothing = s_test_answer (http, waiting, 200);
    assert (s_test_deferred && !*nothing && egov_http_deferred_count (http) == 1);
    zstr_free (&nothing);
    response = s_exchange (http, "GET", "/auth", NULL, NULL);
    assert (strstr (response, " 401 "));
    zstr_free (&response);
    egov_http_reply_set (&reply, 202, json_pack ("{s:s}", "later", "yes"));
    egov_http_resume (&s_test_deferred, &reply);
    egov_http_reply_reset (&reply);
    assert (!s_test_deferred && egov_http_deferred_count (http) == 0);
    response = s_test_answer (http, waiting, 2000);
    close (waiting);
    assert (strstr (response, " 202 ") && strstr (response, "\"later\": \"yes\""));
    zstr_free (&response);
    //  What it answered, in Prometheus' text format, without asking the handler
    response = s_exchange (http, "GET", "/metrics", NULL, NULL);
    assert (strstr (response, " 200 ") && strstr (response, "text/plain; version=0.0.4"));
    assert (strstr (response, "egov_http_requests_total{status=\"401\"} 2"));
    assert (strstr (response, "egov_http_requests_total{status=\"202\"} 1"));
    assert (strstr (response, "egov_http_errors_total{code=\"UNAUTHENTICATED\"} 2"));
    assert (strstr (response, "egov_http_requests_waiting 0"));
    assert (strstr (response, "egov_http_answer_seconds_count "));
    zstr_free (&response);
    //  A page's files, served before the handler sees the request
    char folder [] = "/tmp/egov-http-www-XXXXXX";
    assert (mkdtemp (folder));
    char *file = zsys_sprintf ("%s/index.html", folder);
    FILE *handle = fopen (file, "w");
    assert (handle);
    fputs ("<p>the page</p>", handle);
    fclose (handle);
    egov_http_set_www (http, folder);
    int before = count;
    response = s_exchange (http, "GET", "/", NULL, NULL);
    assert (strstr (response, " 200 ") && strstr (response, "<p>the page</p>")
            && strstr (response, "text/html; charset=utf-8")
            && strstr (response, "Content-Security-Policy: default-src 'self'; script-src 'self'"));
    zstr_free (&response);
    response = s_exchange (http, "HEAD", "/index.html", NULL, NULL);
    assert (strstr (response, " 200 "));
    zstr_free (&response);
    assert (count == before);
    //  ... and nothing else: other names, methods and /api/ go to the handler
    const char *others [] = { "/../index.html", "/.index.html", "/a/index.html", "/index.c",
                              "/missing.js", "/api/index.html" };
    for (size_t index = 0; index < sizeof (others) / sizeof (others [0]); index++) {
        response = s_exchange (http, "GET", others [index], NULL, NULL);
        assert (!strstr (response, "the page"));
        zstr_free (&response);
    }
    response = s_exchange (http, "POST", "/index.html", NULL, "{}");
    assert (!strstr (response, "the page"));
    zstr_free (&response);
    assert (count == before + 7);
    assert (s_www_name ("index.html") && s_www_name ("cms.js") && s_www_name ("style.css"));
    assert (!s_www_name ("x..js") && !s_www_name ("") && !s_www_name ("INDEX.html"));
    egov_http_set_www (http, NULL);
    response = s_exchange (http, "GET", "/", NULL, NULL);
    assert (!strstr (response, "the page"));
    zstr_free (&response);
    unlink (file);
    zstr_free (&file);
    rmdir (folder);
    //  ... and one still waiting when the server stops gets 503
    waiting = s_test_send (http, "/defer");
    nothing = s_test_answer (http, waiting, 200);
    assert (s_test_deferred && egov_http_deferred_count (http) == 1);
    zstr_free (&nothing);
    s_test_deferred = NULL;
    egov_http_destroy (&http);
    egov_http_destroy (&http);
    char stopped [1024] = "";
    ssize_t got = recv (waiting, stopped, sizeof (stopped) - 1, 0);
    close (waiting);
    assert (got > 0 && strstr (stopped, " 503 ") && strstr (stopped, "SHUTTING_DOWN"));

    //  A request that trickles in (slowloris) is closed at its deadline,
    //  while others are served
    config.request_deadline_ms = 600;
    http = egov_http_new ("127.0.0.1:0", &config, s_test_handler, &count, &fault);
    assert (http);
    int slow = socket (AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons ((uint16_t) egov_http_port (http)) };
    inet_pton (AF_INET, "127.0.0.1", &to.sin_addr);
    assert (slow >= 0 && connect (slow, (struct sockaddr *) &to, sizeof (to)) == 0);
    const char *trickle = "GET /auth HTTP/1.0\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n";
    bool closed = false;
    size_t sent = 0;
    for (; sent < strlen (trickle) && !closed; sent++) {
        if (send (slow, trickle + sent, 1, MSG_NOSIGNAL) != 1)
            closed = true;
        int64_t pause = zclock_mono () + 150;
        while (zclock_mono () < pause) {
            egov_http_run (http);
            struct pollfd item = { slow, POLLIN, 0 };
            char byte;
            if (poll (&item, 1, 10) > 0 && recv (slow, &byte, 1, 0) <= 0)
                closed = true;
        }
        if (sent == 4) {
            //  ... the others go on meanwhile
            response = s_exchange (http, "GET", "/auth", NULL, NULL);
            assert (strstr (response, " 401 "));
            zstr_free (&response);
        }
    }
    close (slow);
    assert (closed && sent < strlen (trickle));
    egov_http_destroy (&http);
    config.request_deadline_ms = 0;

    //  Compact answers: one line, ASCII, no cache header
    config.compact = true;
    config.nosniff = false;
    config.memory_limit = 64 * 1024;
    http = egov_http_new ("127.0.0.1:0", &config, s_test_handler, &count, &fault);
    assert (http);
    response = s_exchange (http, "POST", "/echo", NULL, "{\"a\": \"Бота\"}");
    assert (strstr (response, "{\"body\":{\"a\":\"\\u0411\\u043E\\u0442\\u0430\"},"));
    assert (strstr (response, "Content-Type: application/json\r\n"));
    assert (!strstr (response, "no-store") && !strstr (response, "nosniff"));
    zstr_free (&response);
    egov_http_destroy (&http);
    printf ("OK\n");
}
