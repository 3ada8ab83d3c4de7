/*  leb_http — the manual-mode HTTP API, served by egov_http.  */
#include "leb_http.h"
#include <arpa/inet.h>
#include <poll.h>

#define s_ASSIGNEE_MAX  128             //  bytes of an assignee's name
#define s_GROUND_MAX    500             //  bytes of one ground
#define s_GROUNDS_MAX   20              //  grounds in one refusal
#define s_PREFIX        "/api/v1/tasks"

struct _leb_http_t {
    egov_http_t *server;                //  the server, polled by leb_http_run
    leb_http_backend_t backend;         //  what answers
    bool verbose;                       //  log every request
};

//  Error codes and their HTTP status.
static const struct {
    const char *code;                   //  stable code
    int status;                         //  HTTP status
} s_statuses [] = {
    { "BAD_JSON", 400 }, { "UNKNOWN_FIELD", 400 }, { "INVALID_ROLE", 400 },
    { "INVALID_ASSIGNEE", 400 }, { "INVALID_DECISION", 400 }, { "INVALID_GROUNDS", 400 },
    { "DECISION_REQUIRED", 400 }, { "DECISION_NOT_ALLOWED", 400 },
    { "GROUNDS_REQUIRED", 400 }, { "GROUNDS_NOT_ALLOWED", 400 },
    { "NOT_FOUND", 404 }, { "TASK_NOT_FOUND", 404 }, { "METHOD_NOT_ALLOWED", 405 },
    { "TASK_TAKEN", 409 }, { "TASK_DONE", 409 }, { "TASK_NOT_TAKEN", 409 },
    { "AUTO_MODE", 409 }, { "BODY_TOO_LARGE", 413 }, { "DB_UNAVAILABLE", 503 },
    { "AUTH_REQUIRED", 401 }, { "AUTH_FAILED", 401 }, { "FORBIDDEN_ROLE", 403 },
    { "NOT_YOUR_ROLE", 403 }, { "NOT_YOUR_NAME", 403 }, { "LOCKED", 429 },
    { "INVALID_LOGIN", 400 }, { "BUSY", 503 }, { "QUEUE_PENDING", 503 },
};

int
leb_http_status (const char *code)
{
    for (size_t index = 0; index < sizeof (s_statuses) / sizeof (s_statuses [0]); index++)
        if (streq (s_statuses [index].code, code))
            return s_statuses [index].status;
    return 500;
}

//  Answers with JSON (takes the reference).
static void
s_answer (egov_http_request_t *request, int status, json_t *json)
{
    egov_http_reply_t reply = { status, json, NULL };
    egov_http_answer (request, &reply);
    egov_http_reply_reset (&reply);
}

//  Answers an error with the status its code implies.
static void
s_error (egov_http_request_t *request, const egov_error_t *error)
{
    s_answer (request, leb_http_status (error->code),
        json_pack ("{s:{s:s, s:s}}", "error", "code", error->code, "message", error->message));
}

//  A task id from the path: 1-18 digits; 0 when it is not one.
static int64_t
s_task_id (const char *text, size_t length)
{
    if (length == 0 || length > 18 || strspn (text, "0123456789") < length)
        return 0;
    return strtoll (text, NULL, 10);
}

//  The body as a JSON object, or NULL with BAD_JSON.
static json_t *
s_body (egov_http_request_t *request, egov_error_t *error)
{
    json_error_t parse;
    json_t *body = request->body_size
                 ? json_loadb (request->body, request->body_size, JSON_REJECT_DUPLICATES, &parse)
                 : NULL;
    if (!json_is_object (body)) {
        egov_error_set (error, "BAD_JSON", "the body is a JSON object%s%s",
                        body || !request->body_size ? "" : ": ",
                        body || !request->body_size ? "" : parse.text);
        json_decref (body);
        return NULL;
    }
    return body;
}

//  False with UNKNOWN_FIELD when body has a member outside the allowed two.
static bool
s_fields (json_t *body, const char *first, const char *second, egov_error_t *error)
{
    const char *key;
    json_t *value;
    json_object_foreach (body, key, value) {
        if (!streq (key, first) && !(second && streq (key, second))) {
            egov_error_set (error, "UNKNOWN_FIELD", "unknown field \"%.60s\"", key);
            return false;
        }
    }
    return true;
}

//  POST .../take: validates {} or {"assignee"}, the caller's own name,
//  and asks the backend.
static json_t *
s_take (leb_http_t *self, int64_t id, const leb_http_staff_t *staff, egov_http_request_t *request,
        egov_error_t *error)
{
    json_t *body = request->body_size ? s_body (request, error) : json_object ();
    if (!body || !s_fields (body, "assignee", NULL, error)) {
        json_decref (body);
        return NULL;
    }
    json_t *given = json_object_get (body, "assignee");
    const char *assignee = json_string_value (given);
    json_t *answer = NULL;
    if (given && (!assignee || !*assignee || strlen (assignee) > s_ASSIGNEE_MAX
                  || !egov_http_printable (assignee)))
        egov_error_set (error, "INVALID_ASSIGNEE", "\"assignee\" is a name of 1-%d bytes",
                        s_ASSIGNEE_MAX);
    else
    if (given && !streq (assignee, staff->name))
        egov_error_set (error, "NOT_YOUR_NAME", "a task is taken under one's own name, %s",
                        staff->name);
    else
        answer = self->backend.take (self->backend.argument, id, staff, error);
    json_decref (body);
    return answer;
}

//  POST .../complete: validates {"decision", "grounds"} and asks the backend.
static json_t *
s_complete (leb_http_t *self, int64_t id, const leb_http_staff_t *staff,
            egov_http_request_t *request, egov_error_t *error)
{
    json_t *body = s_body (request, error);
    if (!body || !s_fields (body, "decision", "grounds", error)) {
        json_decref (body);
        return NULL;
    }
    json_t *decision = json_object_get (body, "decision");
    json_t *grounds = json_object_get (body, "grounds");
    bool valid = true;
    if (decision && !(json_is_string (decision)
                      && (streq (json_string_value (decision), "approve")
                          || streq (json_string_value (decision), "refuse")))) {
        egov_error_set (error, "INVALID_DECISION", "\"decision\" is \"approve\" or \"refuse\"");
        valid = false;
    }
    if (valid && grounds) {
        valid = json_is_array (grounds) && json_array_size (grounds) <= s_GROUNDS_MAX;
        size_t index;
        json_t *ground;
        json_array_foreach (grounds, index, ground) {
            const char *text = json_string_value (ground);
            if (!text || !*text || strlen (text) > s_GROUND_MAX || !egov_http_printable (text))
                valid = false;
        }
        if (!valid)
            egov_error_set (error, "INVALID_GROUNDS", "\"grounds\" is an array of at most %d"
                            " texts of 1-%d bytes", s_GROUNDS_MAX, s_GROUND_MAX);
    }
    json_t *answer = valid
        ? self->backend.complete (self->backend.argument, id, staff,
                                  decision ? json_string_value (decision) : NULL, grounds, error)
        : NULL;
    json_decref (body);
    return answer;
}

//  The answer to a deferred login.
static void
s_login_done (void *argument, json_t *answer, const egov_error_t *error)
{
    egov_http_deferred_t *deferred = (egov_http_deferred_t *) argument;
    egov_http_reply_t reply = { 200, answer, NULL };
    if (!answer) {
        reply.status = leb_http_status (error->code);
        reply.body = json_pack ("{s:{s:s, s:s}}", "error", "code", error->code, "message", error->message);
        if (streq (error->code, "LOCKED") || streq (error->code, "BUSY"))
            reply.retry_after = strdup (streq (error->code, "BUSY") ? "1" : "60");
    }
    egov_http_resume (&deferred, &reply);
    egov_http_reply_reset (&reply);
}

//  POST /api/v1/login: the password is checked off the loop, the request
//  answered when the verdict comes; false with error when the body is wrong.
static bool
s_login (leb_http_t *self, egov_http_request_t *request, egov_error_t *error)
{
    json_t *body = s_body (request, error);
    bool valid = body && s_fields (body, "login", "password", error);
    const char *login = json_string_value (json_object_get (body, "login"));
    const char *password = json_string_value (json_object_get (body, "password"));
    if (valid && (!login || !password || !*login || strlen (login) > 63 || strlen (password) > 256
                  || !egov_http_printable (login))) {
        egov_error_set (error, "INVALID_LOGIN", "the body is {\"login\", \"password\"}");
        valid = false;
    }
    if (valid)
        self->backend.login (self->backend.argument, login, password, s_login_done,
                             egov_http_defer (request));
    json_decref (body);
    return valid;
}

//  Who calls, from the bearer token; false with error (AUTH_REQUIRED, DB_UNAVAILABLE).
static bool
s_staff (leb_http_t *self, egov_http_request_t *request, leb_http_staff_t *staff, egov_error_t *error)
{
    const char *token = egov_http_bearer (request);
    int live = token ? self->backend.authenticate (self->backend.argument, token, staff, error) : 0;
    if (live == 0)
        egov_error_set (error, "AUTH_REQUIRED", "log in first (POST /api/v1/login) and send"
                        " \"Authorization: Bearer <token>\"");
    return live == 1;
}

//  Routes a complete request; answers with JSON or an error.
static void
s_route (void *argument, egov_http_request_t *request)
{
    leb_http_t *self = (leb_http_t *) argument;
    const char *url = request->url, *method = request->method;
    if (self->verbose)
        zsys_info ("leb http: %s %.100s", method, url);
    egov_error_t error = { { 0 } };
    bool get = streq (method, "GET"), post = streq (method, "POST");
    json_t *answer = NULL;
    int status = 200;
    if (request->too_large)
        egov_error_set (&error, "BODY_TOO_LARGE", "a request body is at most %d bytes",
                        LEB_HTTP_BODY_MAX);
    else
    if (streq (url, "/api/v1/health")) {
        if (get)
            answer = self->backend.health (self->backend.argument);
        else
            egov_error_set (&error, "METHOD_NOT_ALLOWED", "use GET");
    }
    else
    if (streq (url, "/api/v1/login")) {
        if (!post)
            egov_error_set (&error, "METHOD_NOT_ALLOWED", "use POST");
        else
        if (s_login (self, request, &error))
            return;                 //  answered when the password is checked
    }
    else
    if (streq (url, s_PREFIX)) {
        leb_http_staff_t staff;
        if (!get)
            egov_error_set (&error, "METHOD_NOT_ALLOWED", "use GET");
        else
        if (s_staff (self, request, &staff, &error)) {
            //  One's own role's tasks
            const char *role = egov_http_argument (request, "role");
            if (role && !streq (role, staff.role))
                egov_error_set (&error, "FORBIDDEN_ROLE", "you are %s: the tasks of that role only",
                                staff.role);
            else {
                json_t *tasks = self->backend.tasks (self->backend.argument, staff.role, &error);
                if (tasks)
                    answer = json_pack ("{s:o}", "tasks", tasks);
            }
        }
    }
    else
    if (strncmp (url, s_PREFIX "/", strlen (s_PREFIX) + 1) == 0) {
        const char *id_text = url + strlen (s_PREFIX) + 1;
        const char *slash = strchr (id_text, '/');
        const char *verb = slash ? slash + 1 : "";
        bool known = streq (verb, "take") || streq (verb, "complete");
        int64_t id = slash ? s_task_id (id_text, (size_t) (slash - id_text)) : 0;
        leb_http_staff_t staff;
        if (!known)
            egov_error_set (&error, "NOT_FOUND", "no such resource: %.100s", url);
        else
        if (!post)
            egov_error_set (&error, "METHOD_NOT_ALLOWED", "use POST");
        else
        if (!s_staff (self, request, &staff, &error))
            ;
        else
        if (id == 0)
            egov_error_set (&error, "TASK_NOT_FOUND", "a task id is a positive number");
        else {
            json_t *task = streq (verb, "take") ? s_take (self, id, &staff, request, &error)
                                                : s_complete (self, id, &staff, request, &error);
            if (task)
                answer = json_pack ("{s:o}", "task", task);
        }
    }
    else
        egov_error_set (&error, "NOT_FOUND", "no such resource: %.100s", url);
    if (answer) {
        s_answer (request, status, answer);
        return;
    }
    if (!*error.code)
        egov_error_set (&error, "INTERNAL", "no answer");
    if (self->verbose || leb_http_status (error.code) >= 500)
        zsys_info ("leb http: %s %.100s: %s %s", method, url, error.code, error.message);
    s_error (request, &error);
}

//  /metrics: the leb's health document's numbers.
static json_t *
s_metrics (void *argument)
{
    leb_http_t *self = (leb_http_t *) argument;
    return self->backend.health (self->backend.argument);
}

leb_http_t *
leb_http_new (const char *address, const leb_http_backend_t *backend, bool verbose,
              egov_error_t *error)
{
    assert (address && backend && backend->tasks && backend->take && backend->complete
            && backend->health && backend->login && backend->authenticate);
    leb_http_t *self = (leb_http_t *) zmalloc (sizeof (leb_http_t));
    assert (self);
    self->backend = *backend;
    self->verbose = verbose;
    egov_http_config_t config = { LEB_HTTP_BODY_MAX, 64, 10, 0, true, false };
    self->server = egov_http_new (address, &config, s_route, self, error);
    if (self->server)
        egov_http_set_metrics (self->server, s_metrics, self);
    else
        leb_http_destroy (&self);
    return self;
}

void
leb_http_destroy (leb_http_t **self_p)
{
    assert (self_p);
    leb_http_t *self = *self_p;
    if (self) {
        egov_http_destroy (&self->server);
        free (self);
        *self_p = NULL;
    }
}

int
leb_http_port (leb_http_t *self)
{
    assert (self);
    return egov_http_port (self->server);
}

void
leb_http_run (leb_http_t *self)
{
    assert (self);
    egov_http_run (self->server);
}

//  ---------------------------------------------------------------------
//  Selftest: a backend in memory, requests over a real socket

//  The test backend: one task, 7, open; taken by anyone; completed once.
typedef struct {
    char assignee [64];                 //  who took task 7
    bool done;                          //  task 7 completed
    char decision [16];                 //  what it was completed with
    size_t grounds;                     //  how many grounds
} s_fake_t;

static json_t *
s_fake_tasks (void *argument, const char *role, egov_error_t *error)
{
    s_fake_t *fake = (s_fake_t *) argument;
    if (role && !streq (role, "clerk") && !streq (role, "head") && !streq (role, "executor")) {
        egov_error_set (error, "INVALID_ROLE", "role is clerk, head or executor");
        return NULL;
    }
    if (fake->done || (role && !streq (role, "executor")))
        return json_array ();
    return json_pack ("[{s:i, s:s}]", "id", 7, "role", "executor");
}

static json_t *
s_fake_take (void *argument, int64_t id, const leb_http_staff_t *staff, egov_error_t *error)
{
    s_fake_t *fake = (s_fake_t *) argument;
    const char *assignee = staff->name;
    if (id != 7)
        egov_error_set (error, "TASK_NOT_FOUND", "there is no task %" PRId64, id);
    else
    if (*fake->assignee && !streq (fake->assignee, assignee))
        egov_error_set (error, "TASK_TAKEN", "taken by %s", fake->assignee);
    else {
        snprintf (fake->assignee, sizeof (fake->assignee), "%.60s", assignee);
        return json_pack ("{s:i, s:s}", "id", 7, "assignee", assignee);
    }
    return NULL;
}

static json_t *
s_fake_complete (void *argument, int64_t id, const leb_http_staff_t *staff, const char *decision,
                 json_t *grounds, egov_error_t *error)
{
    s_fake_t *fake = (s_fake_t *) argument;
    (void) staff;
    if (id != 7)
        egov_error_set (error, "TASK_NOT_FOUND", "there is no task %" PRId64, id);
    else
    if (fake->done)
        egov_error_set (error, "TASK_DONE", "done");
    else
    if (!decision)
        egov_error_set (error, "DECISION_REQUIRED", "decide");
    else {
        fake->done = true;
        snprintf (fake->decision, sizeof (fake->decision), "%s", decision);
        fake->grounds = json_array_size (grounds);
        return json_pack ("{s:i, s:s}", "id", 7, "state", "done");
    }
    return NULL;
}

static json_t *
s_fake_health (void *argument)
{
    (void) argument;
    return json_pack ("{s:s}", "status", "ok");
}

//  The test's accounts: executor "Бота" (password "right") and executor
//  "Ерлан" (password "right2"); tokens are "token-" and the login.
static void
s_fake_login (void *argument, const char *login, const char *password, leb_http_login_fn *done,
              void *done_argument)
{
    (void) argument;
    egov_error_t error = { { 0 } };
    if ((streq (login, "bota") && streq (password, "right"))
    ||  (streq (login, "erlan") && streq (password, "right2"))) {
        char token [64];
        snprintf (token, sizeof (token), "token-%s", login);
        done (done_argument, json_pack ("{s:s}", "token", token), NULL);
        return;
    }
    egov_error_set (&error, "AUTH_FAILED", "wrong login or password");
    done (done_argument, NULL, &error);
}

static int
s_fake_authenticate (void *argument, const char *token, leb_http_staff_t *staff, egov_error_t *error)
{
    (void) argument; (void) error;
    bool bota = streq (token, "token-bota"), erlan = streq (token, "token-erlan");
    if (!bota && !erlan)
        return 0;
    snprintf (staff->login, sizeof (staff->login), "%s", bota ? "bota" : "erlan");
    snprintf (staff->name, sizeof (staff->name), "%s", bota ? "Бота" : "Ерлан");
    snprintf (staff->role, sizeof (staff->role), "executor");
    return 1;
}

//  The bearer token s_request sends, or NULL for none.
static const char *s_test_token = NULL;

//  Sends one raw HTTP/1.0 request and serves it; returns the status and
//  fills body (the response body, cut to size).
static int
s_request (leb_http_t *http, const char *method, const char *path, const char *body,
           char *answer, size_t size)
{
    int handle = socket (AF_INET, SOCK_STREAM, 0);
    assert (handle >= 0);
    struct sockaddr_in address = { .sin_family = AF_INET,
                                   .sin_port = htons ((uint16_t) leb_http_port (http)) };
    inet_pton (AF_INET, "127.0.0.1", &address.sin_addr);
    int rc = connect (handle, (struct sockaddr *) &address, sizeof (address));
    assert (rc == 0);
    char request [LEB_HTTP_BODY_MAX + 1024];
    char authorization [128] = "";
    if (s_test_token)
        snprintf (authorization, sizeof (authorization), "Authorization: Bearer %s\r\n", s_test_token);
    int length = snprintf (request, sizeof (request),
                           "%s %s HTTP/1.0\r\n%sContent-Length: %zu\r\n\r\n%s", method, path,
                           authorization, body ? strlen (body) : 0, body ? body : "");
    //  Writes and reads interleave with serving: the server runs in this thread
    char response [8192];
    size_t sent = 0, received = 0;
    while (true) {
        struct pollfd item = { handle, (short) (POLLIN | (sent < (size_t) length ? POLLOUT : 0)), 0 };
        leb_http_run (http);
        if (poll (&item, 1, 5) <= 0)
            continue;
        if (item.revents & POLLOUT) {
            ssize_t written = send (handle, request + sent, (size_t) length - sent, MSG_NOSIGNAL);
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
    leb_http_run (http);
    response [received] = 0;
    int status = 0;
    sscanf (response, "HTTP/1.%*d %d", &status);
    const char *start = strstr (response, "\r\n\r\n");
    snprintf (answer, size, "%s", start ? start + 4 : "");
    return status;
}

void
leb_http_test (bool verbose)
{
    if (verbose)
        printf (" * leb_http: ");
    egov_error_t error;
    s_fake_t fake = { "" };
    leb_http_backend_t backend = { s_fake_tasks, s_fake_take, s_fake_complete, s_fake_health,
                                   s_fake_login, s_fake_authenticate, &fake };
    //  Addresses
    assert (!leb_http_new ("localhost", &backend, false, &error));
    assert (streq (error.code, "HTTP_ADDRESS"));
    assert (!leb_http_new ("example:80", &backend, false, &error));
    assert (!leb_http_new ("127.0.0.1:99999", &backend, false, &error));
    assert (!leb_http_new ("127.0.0.1:", &backend, false, &error));
    leb_http_t *http = leb_http_new ("127.0.0.1:0", &backend, verbose, &error);
    assert (http && leb_http_port (http) > 0);
    char busy [32];
    snprintf (busy, sizeof (busy), "127.0.0.1:%d", leb_http_port (http));
    assert (!leb_http_new (busy, &backend, false, &error));
    assert (streq (error.code, "HTTP_LISTEN"));

    char body [4096];
    assert (s_request (http, "GET", "/api/v1/health", NULL, body, sizeof (body)) == 200);
    assert (streq (body, "{\"status\":\"ok\"}"));
    //  No token, no tasks; a wrong password, no token
    assert (s_request (http, "GET", "/api/v1/tasks", NULL, body, sizeof (body)) == 401);
    assert (strstr (body, "\"code\":\"AUTH_REQUIRED\""));
    assert (s_request (http, "POST", "/api/v1/tasks/7/take", "{}", body, sizeof (body)) == 401);
    assert (s_request (http, "POST", "/api/v1/tasks/7/complete", "{}", body, sizeof (body)) == 401);
    s_test_token = "token-forged";
    assert (s_request (http, "GET", "/api/v1/tasks", NULL, body, sizeof (body)) == 401);
    s_test_token = NULL;
    assert (s_request (http, "POST", "/api/v1/login", "{\"login\":\"bota\",\"password\":\"wrong\"}",
                       body, sizeof (body)) == 401);
    assert (strstr (body, "\"code\":\"AUTH_FAILED\""));
    assert (s_request (http, "POST", "/api/v1/login", "{\"login\":\"bota\"}", body, sizeof (body)) == 400);
    assert (strstr (body, "\"code\":\"INVALID_LOGIN\""));
    assert (s_request (http, "GET", "/api/v1/login", NULL, body, sizeof (body)) == 405);
    assert (s_request (http, "POST", "/api/v1/login", "{\"login\":\"bota\",\"password\":\"right\"}",
                       body, sizeof (body)) == 200);
    assert (streq (body, "{\"token\":\"token-bota\"}"));
    s_test_token = "token-bota";
    //  One's own role's tasks only
    assert (s_request (http, "GET", "/api/v1/tasks", NULL, body, sizeof (body)) == 200);
    assert (streq (body, "{\"tasks\":[{\"id\":7,\"role\":\"executor\"}]}"));
    assert (s_request (http, "GET", "/api/v1/tasks?role=executor", NULL, body, sizeof (body)) == 200);
    assert (s_request (http, "GET", "/api/v1/tasks?role=clerk", NULL, body, sizeof (body)) == 403);
    assert (strstr (body, "\"code\":\"FORBIDDEN_ROLE\""));
    assert (s_request (http, "GET", "/api/v1/tasks?role=boss", NULL, body, sizeof (body)) == 403);
    //  Paths and methods
    assert (s_request (http, "GET", "/api/v2/tasks", NULL, body, sizeof (body)) == 404);
    assert (strstr (body, "\"NOT_FOUND\""));
    assert (s_request (http, "POST", "/api/v1/tasks", "{}", body, sizeof (body)) == 405);
    assert (s_request (http, "GET", "/api/v1/tasks/7/take", NULL, body, sizeof (body)) == 405);
    assert (s_request (http, "POST", "/api/v1/tasks/7/approve", "{}", body, sizeof (body)) == 404);
    assert (s_request (http, "POST", "/api/v1/tasks/x7/take", "{}",
                       body, sizeof (body)) == 404);
    assert (strstr (body, "\"TASK_NOT_FOUND\""));
    assert (s_request (http, "POST", "/api/v1/tasks/8/take", "{}",
                       body, sizeof (body)) == 404);
    //  Bodies
    assert (s_request (http, "POST", "/api/v1/tasks/7/take", "{\"assignee\":", body,
                       sizeof (body)) == 400);
    assert (strstr (body, "\"BAD_JSON\""));
    assert (s_request (http, "POST", "/api/v1/tasks/7/take", "[1]", body, sizeof (body)) == 400);
    assert (s_request (http, "POST", "/api/v1/tasks/7/take", "{\"assignee\":\"A\",\"x\":1}",
                       body, sizeof (body)) == 400);
    assert (strstr (body, "\"UNKNOWN_FIELD\""));
    assert (s_request (http, "POST", "/api/v1/tasks/7/take", "{\"assignee\":\"\"}", body,
                       sizeof (body)) == 400);
    assert (strstr (body, "\"INVALID_ASSIGNEE\""));
    assert (s_request (http, "POST", "/api/v1/tasks/7/take", "{\"assignee\":\"a\\nb\"}", body,
                       sizeof (body)) == 400);
    assert (s_request (http, "POST", "/api/v1/tasks/7/take", "{\"assignee\":7}", body,
                       sizeof (body)) == 400);
    char *large = malloc (LEB_HTTP_BODY_MAX + 100);
    assert (large);
    memset (large, ' ', LEB_HTTP_BODY_MAX + 99);
    large [LEB_HTTP_BODY_MAX + 99] = 0;
    assert (s_request (http, "POST", "/api/v1/tasks/7/take", large, body, sizeof (body)) == 413);
    assert (strstr (body, "\"BODY_TOO_LARGE\""));
    free (large);
    //  Take under one's own name only, then a second person cannot
    assert (s_request (http, "POST", "/api/v1/tasks/7/take", "{\"assignee\":\"Ерлан\"}", body,
                       sizeof (body)) == 403);
    assert (strstr (body, "\"NOT_YOUR_NAME\""));
    assert (s_request (http, "POST", "/api/v1/tasks/7/take", "{\"assignee\":\"Бота\"}", body,
                       sizeof (body)) == 200);
    assert (streq (fake.assignee, "Бота"));
    assert (s_request (http, "POST", "/api/v1/tasks/7/take", NULL, body, sizeof (body)) == 200);
    s_test_token = "token-erlan";
    assert (s_request (http, "POST", "/api/v1/tasks/7/take", "{}", body, sizeof (body)) == 409);
    assert (strstr (body, "\"TASK_TAKEN\""));
    s_test_token = "token-bota";
    //  Complete: the shape is checked before the backend sees it
    assert (s_request (http, "POST", "/api/v1/tasks/7/complete", "{\"decision\":\"maybe\"}",
                       body, sizeof (body)) == 400);
    assert (strstr (body, "\"INVALID_DECISION\""));
    assert (s_request (http, "POST", "/api/v1/tasks/7/complete",
                       "{\"decision\":\"refuse\",\"grounds\":\"no\"}", body, sizeof (body)) == 400);
    assert (strstr (body, "\"INVALID_GROUNDS\""));
    assert (s_request (http, "POST", "/api/v1/tasks/7/complete",
                       "{\"decision\":\"refuse\",\"grounds\":[\"\"]}", body, sizeof (body)) == 400);
    assert (s_request (http, "POST", "/api/v1/tasks/7/complete", "{}", body, sizeof (body)) == 400);
    assert (strstr (body, "\"DECISION_REQUIRED\""));
    assert (!fake.done);
    assert (s_request (http, "POST", "/api/v1/tasks/7/complete",
                       "{\"decision\":\"refuse\",\"grounds\":[\"unreliable-documents: scan\"]}",
                       body, sizeof (body)) == 200);
    assert (fake.done && streq (fake.decision, "refuse") && fake.grounds == 1);
    assert (s_request (http, "POST", "/api/v1/tasks/7/complete", "{\"decision\":\"approve\"}",
                       body, sizeof (body)) == 409);
    assert (strstr (body, "\"TASK_DONE\""));
    assert (s_request (http, "GET", "/api/v1/tasks", NULL, body, sizeof (body)) == 200);
    assert (streq (body, "{\"tasks\":[]}"));
    //  Status of every code, and the default
    assert (leb_http_status ("DB_UNAVAILABLE") == 503 && leb_http_status ("AUTO_MODE") == 409);
    assert (leb_http_status ("SIGNING_FAILED") == 500);
    s_test_token = NULL;
    leb_http_destroy (&http);
    leb_http_destroy (&http);
    if (verbose)
        printf ("OK\n");
}
