/*  leb_server — the local executive body's participant and its state
    machine: applications, their tasks, decisions and signed results.  */
#include "leb_server.h"
#include "leb_rules.h"
#include "egov_queue.h"
#include "egov_application.h"
#include "egov_catalogue.h"
#include "egov_calendar.h"
#include "egov_clock.h"
#include "egov_cms.h"
#include "egov_pki.h"
#include "egov_db.h"
#include "egov_lifecycle.h"
#include "applications.pb-c.h"
#include "shep_accounts.h"
#include "egov_worker.h"
#include <sodium.h>
#include <openssl/evp.h>
#include <arpa/inet.h>

extern const char *leb_schema_sql;

#define s_MAX_ID        128             //  longest message or correlation id we take
#define s_MAX_TEXT      256             //  longest short field of an application
#define s_ADVANCE_MAX   1000            //  tasks completed in one pass at most
#define s_ADVANCE_BATCH 64              //  of them in one transaction at most
#define s_RETRY_MS      1000            //  wall time before retrying after a failure
#define s_QUEUE_WAIT_MS 60000           //  simulated: a decision waiting for the queue register looks again

struct _leb_server_t {
    leb_config_t config;                //  borrowed strings
    shep_participant_t *engine;         //  the gateway and the database, not owned
    PGconn *conn;                       //  the engine's connection, set by s_db
    egov_catalogue_t *catalogue;        //  the services and their steps
    egov_calendar_t *calendar;          //  the provider's working days
    egov_cms_signer_t *signer;          //  the authorised person's key
    char signer_name [2 * EGOV_PKI_TEXT_MAX + 8];   //  "Name (Organisation)"
    char head_name [EGOV_PKI_TEXT_MAX]; //  who signs as head in auto mode
    egov_timers_t *timers;              //  due moments of tasks, simulated
    bool due;                           //  a timer fired: look at the tasks
    int64_t retry_wall_ms;              //  after a store failure, not before this
    shep_accounts_t *staff;             //  who logs in to the task API
    egov_worker_t *worker;              //  Argon2 off the loop
    char *dummy_hash;                   //  what an unknown login's password is checked against
    char office [32];                   //  office-<KATO>: the provider's own front desk
    zhashx_t *queue_calls;              //  correlation id -> s_queue_call_t: enqueues in flight
};

//  An enqueue in flight for one application.
typedef struct {
    leb_server_t *server;
    char correlation_id [LEB_ID_MAX];
} s_queue_call_t;

//  Demo staff, one per role: the logins and passwords docs/leb.md gives for
//  local runs. The head signs, so the head's name is the signer's.
static const struct {
    const char *login;
    const char *password;
    const char *role;
    const char *name;                   //  NULL: the signer's name
} s_demo_staff [] = {
    { "clerk1", "demo-clerk1", "clerk", "Кеңсе қызметкері Әлия" },
    { "head1", "demo-head1", "head", NULL },
    { "executor1", "demo-executor1", "executor", "Жауапты орындаушы Марат" },
};

//  An application as stored, with what its steps need.
typedef struct {
    char correlation_id [LEB_ID_MAX];   //  the key
    egov_status_t status;               //  IN_PROGRESS, READY, REFUSED, RETURNED_TO_PROVIDER
    bool recalled;                      //  returned, then asked for again: a resend is due
    char decision [8];                  //  approve, refuse or ""
    json_t *grounds;                    //  refusal grounds, a JSON array
    Egov__Applications__RegisteredApplication *registered;  //  as received
    ProtobufCBinaryData result;         //  the signed Result, packed; len 0 before
    const egov_catalogue_entry_t *entry;    //  its catalogue entry
    char reply_to [LEB_ID_MAX];         //  who registered it: the regional gateway or our office
    Egov__Queue__EnqueueResponse *queue_answer; //  the queue register's answer, when it came
} s_app_t;

//  ---------------------------------------------------------------------
//  Construction

//  The name and organisation of the signer's certificate, from the index.
static void
s_signer_name (leb_server_t *self)
{
    egov_pki_t *pki = egov_pki_new (self->config.pki_dir);
    egov_error_t error;
    const egov_pki_entry_t *entry = NULL;
    if (egov_pki_load (pki, &error) == 0)
        entry = egov_pki_find (pki, self->config.signer_label);
    if (entry && *entry->organisation)
        snprintf (self->signer_name, sizeof (self->signer_name), "%s (%s)", entry->name,
                  entry->organisation);
    else
        snprintf (self->signer_name, sizeof (self->signer_name), "%s",
                  entry ? entry->name : self->config.signer_label);
    snprintf (self->head_name, sizeof (self->head_name), "%s",
              entry ? entry->name : self->config.signer_label);
    egov_pki_destroy (&pki);
}

leb_server_t *
leb_server_new (const leb_config_t *config, shep_participant_t *engine, egov_error_t *error)
{
    assert (config && engine);
    if (!config->kato || strlen (config->kato) != 9
    ||  strspn (config->kato, "0123456789") != 9 || !config->regional || !*config->regional
    ||  !config->pki_dir || !config->signer_label || !config->regulations) {
        egov_error_set (error, "CONFIG_INVALID",
                        "a region is a 9-digit KATO code; the regional gateway, the PKI folder,"
                        " the signer and the regulations must be given");
        return NULL;
    }
    leb_server_t *self = calloc (1, sizeof (leb_server_t));
    assert (self);
    self->config = *config;
    self->engine = engine;
    self->queue_calls = zhashx_new ();
    assert (self->queue_calls);
    egov_regulations_load (config->regulations, &self->calendar, &self->catalogue, error);
    bool served = false;
    for (size_t index = 0; self->calendar && index < egov_catalogue_size (self->catalogue); index++)
        if (streq (egov_catalogue_entry (self->catalogue, index)->kato, config->kato))
            served = true;
    if (self->calendar && !served)
        egov_error_set (error, "UNKNOWN_REGION", "the catalogue has no service in region %s",
                        config->kato);
    if (served) {
        self->signer = egov_cms_signer_for (config->pki_dir, config->signer_label, error);
    }
    if (!self->signer) {
        leb_server_destroy (&self);
        return NULL;
    }
    s_signer_name (self);
    self->timers = egov_timers_new ();
    shep_accounts_config_t staff = { .accounts = "staff", .sessions = "staff_session", .key = "login",
        .key_name = "login", .role = "role",
        .policy = { .session_ms = LEB_SESSION_MS, .lock_after = LEB_LOCK_AFTER, .lock_ms = LEB_LOCK_MS } };
    self->staff = shep_accounts_new (engine, &staff);
    self->worker = egov_worker_new (2, 64);
    //  The hash an unknown login's password is checked against: of a password nobody knows
    char hash [crypto_pwhash_STRBYTES];
    bool hashed = egov_password_dummy (hash);
    assert (hashed);
    self->dummy_hash = strdup (hash);
    //  Applications, returns and recalls come from our regional gateway, and
    //  from our own office's desk (the office channel: its clerk registers
    //  who came in person), and from nobody else
    snprintf (self->office, sizeof (self->office), "office-%s", self->config.kato);
    const char *services [] = { LEB_SERVICE_REGISTERED, LEB_SERVICE_RETURN, LEB_SERVICE_RECALL };
    for (size_t index = 0; index < 3; index++) {
        shep_participant_on (engine, services [index], NULL, leb_server_deliver);
        shep_participant_accept (engine, services [index], self->config.regional);
        shep_participant_accept (engine, services [index], self->office);
    }
    //  A referral made later comes from the kindergarten queue register only
    shep_participant_on (engine, EGOV_QUEUE_REFERRAL, &egov__queue__referral__descriptor,
                         leb_server_deliver);
    shep_participant_accept (engine, EGOV_QUEUE_REFERRAL, EGOV_QUEUE_REGISTER);
    return self;
}

void
leb_server_destroy (leb_server_t **self_p)
{
    assert (self_p);
    leb_server_t *self = *self_p;
    if (self) {
        s_queue_call_t *call = (s_queue_call_t *) zhashx_first (self->queue_calls);
        while (call) {
            shep_participant_forget (self->engine, call);
            free (call);
            call = (s_queue_call_t *) zhashx_next (self->queue_calls);
        }
        zhashx_destroy (&self->queue_calls);
        egov_timers_destroy (&self->timers);
        shep_accounts_destroy (&self->staff);
        egov_worker_destroy (&self->worker);
        free (self->dummy_hash);
        egov_cms_signer_destroy (&self->signer);
        egov_calendar_destroy (&self->calendar);
        egov_catalogue_destroy (&self->catalogue);
        free (self);
        *self_p = NULL;
    }
}

//  ---------------------------------------------------------------------
//  Small helpers

//  The database for a unit of work: true when usable (a broken connection
//  is re-established by the engine, at most once a second).
static bool
s_db (leb_server_t *self)
{
    self->conn = shep_participant_db (self->engine);
    return self->conn != NULL;
}

//  Runs BEGIN, COMMIT or ROLLBACK; true when it worked.
static bool
s_exec (leb_server_t *self, const char *sql)
{
    PGresult *result = egov_db_params (self->conn, sql, 0, NULL, NULL, NULL, NULL, 0);
    bool ok = egov_db_check (result, PGRES_COMMAND_OK, sql);
    PQclear (result);
    return ok;
}

//  Starts a transaction on a live connection; false with DB_UNAVAILABLE.
static bool
s_begin (leb_server_t *self, egov_error_t *error)
{
    if (s_db (self) && s_exec (self, "BEGIN"))
        return true;
    egov_error_set (error, "DB_UNAVAILABLE", "the database is not available");
    return false;
}

//  Commits, or rolls back when ok is false; true when committed.
static bool
s_end (leb_server_t *self, bool ok, egov_error_t *error)
{
    if (ok && s_exec (self, "COMMIT"))
        return true;
    s_exec (self, "ROLLBACK");
    if (ok)
        egov_error_set (error, "DB_UNAVAILABLE", "the commit failed");
    return false;
}

//  Runs a statement with text parameters; true when it worked, else
//  DB_UNAVAILABLE.
static bool
s_run (leb_server_t *self, const char *sql, int count, const char *const *values,
       egov_error_t *error)
{
    PGresult *result = egov_db_params (self->conn, sql, count, NULL, values, NULL, NULL, 0);
    bool ok = egov_db_check (result, PGRES_COMMAND_OK, "leb statement");
    if (!ok)
        egov_error_set (error, "DB_UNAVAILABLE", "%s", PQresultErrorMessage (result));
    PQclear (result);
    return ok;
}

//  True when text is set, not empty and at most max bytes.
static bool
s_text_ok (const char *text, size_t max)
{
    return text && *text && strlen (text) <= max;
}

//  Timer handler: the task rows decide what is due.
static void
s_on_timer (uint64_t timer_id, int64_t due_ms, void *argument)
{
    (void) timer_id;
    (void) due_ms;
    ((leb_server_t *) argument)->due = true;
}

//  Arms the timer of a task: its due moment in auto mode, just past it in
//  manual mode (to flag it overdue).
static void
s_arm (leb_server_t *self, int64_t due_ms)
{
    egov_timers_add (self->timers, self->config.manual ? due_ms + 1 : due_ms, s_on_timer, self);
}

//  The assignee of an auto task: the head by name, the others by title.
static const char *
s_auto_assignee (leb_server_t *self, const char *role)
{
    if (streq (role, "head"))
        return self->head_name;
    return streq (role, "clerk") ? "кеңсе қызметкері" : "жауапты орындаушы";
}

//  ---------------------------------------------------------------------
//  Applications

//  Frees what an application holds.
static void
s_app_reset (s_app_t *app)
{
    if (app->registered)
        egov__applications__registered_application__free_unpacked (app->registered, NULL);
    json_decref (app->grounds);
    free (app->result.data);
    if (app->queue_answer)
        egov__queue__enqueue_response__free_unpacked (app->queue_answer, NULL);
    memset (app, 0, sizeof (*app));
}

//  Loads an application, locking its row. 0, or -1 with UNKNOWN_APPLICATION,
//  APPLICATION_BROKEN or DB_UNAVAILABLE.
static int
s_app_load (leb_server_t *self, const char *correlation_id, s_app_t *app, egov_error_t *error)
{
    memset (app, 0, sizeof (*app));
    const char *values [] = { correlation_id };
    PGresult *result = egov_db_params (self->conn,
        "SELECT status, coalesce (decision, ''), grounds::text, registered,"
        "       coalesce (result, '\\x'::bytea),"
        "       coalesce (recalled_ms >= coalesce (returned_ms, 0), false), reply_to,"
        "       coalesce (queue_answer, '\\x'::bytea)"
        " FROM application WHERE correlation_id = $1 FOR UPDATE",
        1, NULL, values, NULL, NULL, 1);
    int rc = -1;
    if (!egov_db_check (result, PGRES_TUPLES_OK, "application read"))
        egov_error_set (error, "DB_UNAVAILABLE", "%s", PQresultErrorMessage (result));
    else
    if (PQntuples (result) == 0)
        egov_error_set (error, "UNKNOWN_APPLICATION", "no application with correlation id %s",
                        correlation_id);
    else {
        snprintf (app->correlation_id, sizeof (app->correlation_id), "%s", correlation_id);
        if (!egov_status_parse (PQgetvalue (result, 0, 0), &app->status))
            app->status = EGOV__APPLICATIONS__STATUS__STATUS_UNSPECIFIED;
        app->recalled = streq (PQgetvalue (result, 0, 5), "t");
        snprintf (app->reply_to, sizeof (app->reply_to), "%s", PQgetvalue (result, 0, 6));
        snprintf (app->decision, sizeof (app->decision), "%.*s", PQgetlength (result, 0, 1),
                  PQgetvalue (result, 0, 1));
        app->grounds = json_loadb (PQgetvalue (result, 0, 2), PQgetlength (result, 0, 2), 0, NULL);
        app->registered = egov__applications__registered_application__unpack (
            NULL, PQgetlength (result, 0, 3), (const uint8_t *) PQgetvalue (result, 0, 3));
        size_t size = PQgetlength (result, 0, 4);
        if (size) {
            app->result.data = malloc (size);
            assert (app->result.data);
            memcpy (app->result.data, PQgetvalue (result, 0, 4), size);
            app->result.len = size;
        }
        if (PQgetlength (result, 0, 7))
            app->queue_answer = egov__queue__enqueue_response__unpack (
                NULL, PQgetlength (result, 0, 7), (const uint8_t *) PQgetvalue (result, 0, 7));
        if (app->registered && app->registered->application && app->registered->registration)
            app->entry = egov_catalogue_find (self->catalogue,
                app->registered->application->service, self->config.kato);
        if (!app->grounds)
            app->grounds = json_array ();
        if (!app->entry || app->status == EGOV__APPLICATIONS__STATUS__STATUS_UNSPECIFIED) {
            egov_error_set (error, "APPLICATION_BROKEN",
                            "the stored application %s cannot be read back", correlation_id);
            s_app_reset (app);
        }
        else
            rc = 0;
    }
    PQclear (result);
    return rc;
}

//  Moves the application's status as the lifecycle table (egov_lifecycle)
//  says for event, to being the status the event carries. 1 moved, 0 kept
//  (a late or repeated event; with must_move, -1 instead), -1 with
//  STATUS_NOT_ALLOWED or DB_UNAVAILABLE.
static int
s_status_move (leb_server_t *self, s_app_t *app, egov_event_t event, egov_status_t to,
               bool must_move, egov_error_t *error)
{
    egov_status_t next;
    egov_lifecycle_t verdict = egov_lifecycle_decide (app->status, event, to, &next, error);
    if (verdict == EGOV_LIFECYCLE_KEEP && must_move)
        egov_error_set (error, "STATUS_NOT_ALLOWED", "the application %s is %s already",
                        app->correlation_id, egov_status_name (app->status));
    if (verdict != EGOV_LIFECYCLE_MOVE)
        return verdict == EGOV_LIFECYCLE_KEEP && !must_move ? 0 : -1;
    const char *values [] = { app->correlation_id, egov_status_name (next) };
    if (!s_run (self, "UPDATE application SET status = $2 WHERE correlation_id = $1",
                2, values, error))
        return -1;
    app->status = next;
    return 1;
}

//  The status the application's decision gives: READY or REFUSED.
static egov_status_t
s_decided (const s_app_t *app)
{
    return streq (app->decision, "refuse") ? EGOV__APPLICATIONS__STATUS__REFUSED
                                           : EGOV__APPLICATIONS__STATUS__READY;
}

//  Queues a StatusNotice IN_PROGRESS about a task of the application.
static int
s_notice (leb_server_t *self, s_app_t *app, const leb_task_t *task, const char *actor,
          const char *note, int64_t at_ms, egov_error_t *error)
{
    Egov__Applications__StatusNotice notice = EGOV__APPLICATIONS__STATUS_NOTICE__INIT;
    notice.application_id = app->registered->application->application_id;
    notice.status = EGOV__APPLICATIONS__STATUS__IN_PROGRESS;
    notice.step = (char *) task->action;
    notice.role = (char *) task->role;
    notice.actor = (char *) (actor ? actor : "");
    notice.note = (char *) note;
    notice.at = at_ms;
    notice.registration_number = app->registered->registration->registration_number;
    return shep_participant_put_message (self->engine, self->conn, LEB_SERVICE_STATUS, EGOV__MESSAGE_TYPE__UPDATE,
                                         app->correlation_id, app->reply_to, NULL,
                                         &notice.base, NULL, error);
}

//  Queues a packed Result for whoever registered the application: the regional
//  gateway, or our office (caller's transaction).
static int
s_put_result (leb_server_t *self, s_app_t *app, const uint8_t *packed, size_t size,
              egov_error_t *error)
{
    Egov__Envelope *envelope = egov_envelope_new (LEB_SERVICE_RESULT, EGOV__MESSAGE_TYPE__RESPONSE);
    egov_string_set (&envelope->correlation_id, app->correlation_id);
    egov_string_set (&envelope->recipient_id, app->reply_to);
    egov_string_set (&envelope->payload_type, egov__applications__result__descriptor.name);
    envelope->payload.data = malloc (size ? size : 1);
    assert (envelope->payload.data);
    memcpy (envelope->payload.data, packed, size);
    envelope->payload.len = size;
    int rc = shep_participant_put (self->engine, self->conn, envelope, 0, NULL, error);
    egov__envelope__free_unpacked (envelope, NULL);
    return rc;
}

//  Opens the task of a catalogue step (or of a recall, step -1) started at
//  start_ms and says so to the regional gateway.
static int
s_task_open (leb_server_t *self, s_app_t *app, int step, int64_t start_ms, egov_error_t *error)
{
    leb_task_t task = { .step = step, .recall = step < 0, .started_ms = start_ms };
    snprintf (task.correlation_id, sizeof (task.correlation_id), "%s", app->correlation_id);
    bool ok;
    if (step < 0) {
        snprintf (task.role, sizeof (task.role), "clerk");
        snprintf (task.action, sizeof (task.action),
                  "sends the result again on the State Corporation's request");
        ok = leb_rules_term_due (self->calendar, LEB_RECALL_TERM, start_ms, &task.due_ms, error);
    }
    else {
        const egov_catalogue_step_t *entry_step = app->entry->steps + step;
        snprintf (task.role, sizeof (task.role), "%s", entry_step->role);
        snprintf (task.action, sizeof (task.action), "%s", entry_step->action);
        task.decides = (size_t) step == leb_rules_decision_step (app->entry);
        ok = leb_rules_step_due (self->calendar, entry_step, start_ms, &task.due_ms, error);
        if (ok && !self->config.manual)
            task.planned_ms = leb_rules_step_planned (app->entry, (size_t) step, start_ms, task.due_ms,
                                                      app->registered->application->result_due);
    }
    if (!ok)
        return -1;
    if (!self->config.manual)
        snprintf (task.assignee, sizeof (task.assignee), "%.128s",
                  s_auto_assignee (self, task.role));
    int64_t id = leb_tasks_open (self->conn, &task, error);
    if (id < 0)
        return -1;
    if (id == 0)
        return 0;               //  this step exists already
    char due [40], note [80];
    egov_clock_format (task.due_ms, due, sizeof (due));
    snprintf (note, sizeof (note), "task %" PRId64 " started, due %s", id, due);
    if (s_notice (self, app, &task, task.assignee, note, start_ms, error))
        return -1;
    s_arm (self, task.planned_ms ? task.planned_ms : task.due_ms);
    if (self->config.verbose)
        zsys_info ("leb: %s: task %" PRId64 " (%s: %s) due %s", app->correlation_id, id,
                   task.role, task.action, due);
    return 0;
}

//  Signs the result of a decided application, stores it and queues it.
static int
s_result (leb_server_t *self, s_app_t *app, int64_t at_ms, egov_error_t *error)
{
    bool approved = streq (app->decision, "approve");
    if (!*app->decision) {
        //  A catalogue whose decision step came after the last one cannot
        //  happen (leb_rules_decision_step); decide by the rule all the same
        json_array_clear (app->grounds);
        approved = leb_rules_decide (app->entry, app->registered->application, app->grounds);
    }
    PGresult *result = egov_db_params (self->conn, "SELECT nextval ('outgoing_number_seq')",
                                     0, NULL, NULL, NULL, NULL, 0);
    if (!egov_db_check (result, PGRES_TUPLES_OK, "outgoing number")) {
        egov_error_set (error, "DB_UNAVAILABLE", "%s", PQresultErrorMessage (result));
        PQclear (result);
        return -1;
    }
    char number [64], moment [40];
    egov_clock_format (at_ms, moment, sizeof (moment));
    snprintf (number, sizeof (number), "%s-OUT-%.4s-%06lld", self->config.kato, moment,
              strtoll (PQgetvalue (result, 0, 0), NULL, 10));
    PQclear (result);
    char *document = egov_application_result_document (app->entry, app->registered, approved,
                                                app->grounds, number, at_ms, self->signer_name);
    if (approved && app->queue_answer) {
        char *with_queue = egov_queue_document (document, app->queue_answer, app->entry);
        free (document);
        document = with_queue;
    }
    Egov__Applications__Result answer;
    if (egov_application_result_make (&answer, app->registered->application->application_id, approved,
                                      app->grounds, document, self->signer, self->signer_name, at_ms,
                                      number, error)) {
        free (document);
        return -1;
    }
    size_t size = protobuf_c_message_get_packed_size (&answer.base);
    uint8_t *packed = malloc (size);
    assert (packed);
    protobuf_c_message_pack (&answer.base, packed);
    egov_application_result_clear (&answer);
    free (document);
    const char *values [] = { app->correlation_id, number, (const char *) packed };
    int lengths [] = { 0, 0, (int) size };
    int formats [] = { 0, 0, 1 };
    result = egov_db_params (self->conn,
        "UPDATE application SET outgoing_number = $2, result = $3"
        " WHERE correlation_id = $1", 3, NULL, values, lengths, formats, 0);
    int rc = egov_db_check (result, PGRES_COMMAND_OK, "result store") ? 0 : -1;
    if (rc)
        egov_error_set (error, "DB_UNAVAILABLE", "%s", PQresultErrorMessage (result));
    PQclear (result);
    if (rc == 0 && s_status_move (self, app, EGOV_EVENT_RESULT, s_decided (app), true, error) != 1)
        rc = -1;
    if (rc == 0)
        rc = s_put_result (self, app, packed, size, error);
    free (packed);
    if (rc == 0)
        zsys_info ("leb: %s: %s, %s signed by %s", app->correlation_id,
                   approved ? "approved" : "refused", number, self->signer_name);
    return rc;
}

//  Queues the stored result again (a recall) and marks it sent.
static int
s_resend (leb_server_t *self, s_app_t *app, int64_t at_ms, egov_error_t *error)
{
    (void) at_ms;
    if (s_status_move (self, app, EGOV_EVENT_RESULT, s_decided (app), true, error) < 0
    ||  s_put_result (self, app, app->result.data, app->result.len, error))
        return -1;
    zsys_info ("leb: %s: the result went back on recall", app->correlation_id);
    return 0;
}

//  The queue register answered an enqueue (a shep_participant_reply_fn):
//  the answer is stored with the application and its waiting decision is
//  due now. An answer the register could not give (it or the registry of
//  individuals away) is not stored: the decision asks again.
static void
s_queue_on_answer (void *argument, const Egov__Envelope *reply, const egov_error_t *error)
{
    s_queue_call_t *call = (s_queue_call_t *) argument;
    leb_server_t *self = call->server;
    Egov__Queue__EnqueueResponse *answer = NULL;
    Egov__Queue__EnqueueResponse refused = EGOV__QUEUE__ENQUEUE_RESPONSE__INIT;
    if (!reply)
        zsys_warning ("leb: %s: the queue register did not answer: %s %s", call->correlation_id,
                      error->code, error->message);
    else
    if (reply->error && (streq (reply->error->code, "INVALID_IIN")
                     ||  streq (reply->error->code, "INVALID_REQUEST"))) {
        //  The form's values are wrong: that is the applicant's, a refusal
        refused.status = EGOV__QUEUE__ENQUEUE_RESPONSE__STATUS__REFUSED;
        refused.refusal_code = reply->error->code;
        refused.refusal_reason = reply->error->message;
        answer = &refused;
    }
    else
    if (reply->error)
        zsys_warning ("leb: %s: the queue register answered %s %s", call->correlation_id,
                      reply->error->code, reply->error->message);
    else
    if (!(answer = (Egov__Queue__EnqueueResponse *)
              egov_envelope_payload (reply, &egov__queue__enqueue_response__descriptor))
    ||  answer->status == EGOV__QUEUE__ENQUEUE_RESPONSE__STATUS__STATUS_UNSPECIFIED
    ||  (answer->status != EGOV__QUEUE__ENQUEUE_RESPONSE__STATUS__REFUSED && !answer->entry)) {
        zsys_warning ("leb: %s: the queue register's answer does not read", call->correlation_id);
        if (answer)
            egov__queue__enqueue_response__free_unpacked (answer, NULL);
        answer = NULL;
    }
    if (answer && s_db (self)) {
        size_t size = protobuf_c_message_get_packed_size (&answer->base);
        uint8_t *packed = malloc (size + 1);
        assert (packed);
        protobuf_c_message_pack (&answer->base, packed);
        char now [24];
        snprintf (now, sizeof (now), "%" PRId64, egov_clock_now_ms ());
        const char *values [] = { call->correlation_id, (const char *) packed, now };
        int lengths [] = { 0, (int) size, 0 };
        int formats [] = { 0, 1, 0 };
        PGresult *result = egov_db_params (self->conn,
            "WITH stored AS (UPDATE application SET queue_answer = $2 WHERE correlation_id = $1)"
            " UPDATE task SET planned_ms = $3::bigint WHERE correlation_id = $1 AND state <> 'done'"
            "   AND coalesce (planned_ms, due_ms) > $3::bigint", 3, NULL, values, lengths, formats, 0);
        if (egov_db_check (result, PGRES_COMMAND_OK, "storing the queue register's answer")) {
            self->due = true;
            s_arm (self, egov_clock_now_ms ());
        }
        PQclear (result);
        free (packed);
    }
    if (answer && answer != &refused)
        egov__queue__enqueue_response__free_unpacked (answer, NULL);
    zhashx_delete (self->queue_calls, call->correlation_id);
    free (call);
}

//  Puts the application's child in the queue register, unless a call is in
//  flight already; the answer comes to s_queue_on_answer.
static void
s_queue_ask (leb_server_t *self, s_app_t *app, Egov__Queue__EnqueueRequest *request)
{
    if (zhashx_lookup (self->queue_calls, app->correlation_id))
        return;
    Egov__Envelope *envelope = egov_envelope_new (EGOV_QUEUE_ENQUEUE, EGOV__MESSAGE_TYPE__REQUEST);
    egov_string_set (&envelope->correlation_id, app->correlation_id);
    egov_envelope_set_payload (envelope, &request->base);
    s_queue_call_t *call = calloc (1, sizeof (s_queue_call_t));
    assert (call);
    call->server = self;
    snprintf (call->correlation_id, sizeof (call->correlation_id), "%s", app->correlation_id);
    egov_error_t error;
    if (shep_participant_call (self->engine, envelope, EGOV_QUEUE_TIMEOUT_MS, s_queue_on_answer,
                               call, &error))
        zhashx_insert (self->queue_calls, call->correlation_id, call);
    else {
        zsys_warning ("leb: %s: cannot ask the queue register: %s %s", app->correlation_id,
                      error.code, error.message);
        free (call);
    }
    egov__envelope__free_unpacked (envelope, NULL);
}

//  The kindergarten queue's decision: the register's answer approves (its
//  entry goes into the result) or refuses with its reasoning; a form that
//  names no child is refused without asking. Before the answer came: asks,
//  and -1 with QUEUE_PENDING (the decision waits, nothing is stored).
static int
s_queue_decide (leb_server_t *self, s_app_t *app, const char **decision, egov_error_t *error)
{
    if (app->queue_answer) {
        if (!egov_queue_decide (app->queue_answer, app->grounds))
            *decision = "refuse";
        return 0;
    }
    char today [40], ground [200];
    egov_clock_format (egov_clock_now_ms (), today, sizeof (today));
    today [10] = 0;
    Egov__Queue__EnqueueRequest *request = egov_queue_request (app->registered->application,
        app->correlation_id, today, ground, sizeof (ground));
    if (!request) {
        json_array_append_new (app->grounds, json_string (ground));
        *decision = "refuse";
        return 0;
    }
    s_queue_ask (self, app, request);
    egov__queue__enqueue_request__free_unpacked (request, NULL);
    egov_error_set (error, "QUEUE_PENDING", "the kindergarten queue register has not answered yet;"
                    " the decision waits for it");
    return -1;
}

//  Completes a task (inside the caller's transaction, task row locked):
//  records the decision on the decision step, says the step is done and
//  starts what comes next: the next step, the result, or the resend.
static int
s_task_complete (leb_server_t *self, s_app_t *app, const leb_task_t *task, const char *assignee,
                 int64_t at_ms, const char *decision, json_t *grounds, egov_error_t *error)
{
    char note [1200] = "done";
    if (task->decides) {
        json_array_clear (app->grounds);
        if (decision) {
            if (grounds)
                json_array_extend (app->grounds, grounds);
        }
        else
            decision = leb_rules_decide (app->entry, app->registered->application, app->grounds)
                     ? "approve" : "refuse";
        //  The kindergarten queue: the register's answer decides an approval
        if (streq (decision, "approve") && egov_queue_applies (app->entry)
        &&  s_queue_decide (self, app, &decision, error))
            return -1;
        snprintf (app->decision, sizeof (app->decision), "%s", decision);
        char *text = json_dumps (app->grounds, JSON_COMPACT);
        snprintf (note, sizeof (note), "done: %s%s%.1000s", decision,
                  json_array_size (app->grounds) ? " " : "",
                  json_array_size (app->grounds) ? text : "");
        const char *values [] = { app->correlation_id, decision, text };
        bool ok = s_run (self, "UPDATE application SET decision = $2, grounds = $3::jsonb"
                               " WHERE correlation_id = $1", 3, values, error);
        free (text);
        if (!ok)
            return -1;
    }
    char *task_grounds = task->decides ? json_dumps (app->grounds, JSON_COMPACT) : NULL;
    int rc = leb_tasks_finish (self->conn, task->id, self->config.manual, assignee, at_ms,
                               task->decides ? app->decision : NULL, task_grounds, error);
    free (task_grounds);
    const char *actor = assignee && *assignee ? assignee : task->assignee;
    if (rc == 0)
        rc = s_notice (self, app, task, actor, note, at_ms, error);
    if (rc)
        return -1;
    if (self->config.verbose)
        zsys_info ("leb: %s: task %" PRId64 " (%s) %s by %s", app->correlation_id, task->id,
                   task->role, note, actor);
    if (task->recall)
        return s_resend (self, app, at_ms, error);
    if ((size_t) task->step + 1 < app->entry->step_count)
        return s_task_open (self, app, task->step + 1, at_ms, error);
    return s_result (self, app, at_ms, error);
}

//  ---------------------------------------------------------------------
//  Deliveries

//  application.registered: stores the application and opens its first
//  step. 0, -1 (store), -2 (reject).
static int
s_on_registered (leb_server_t *self, const Egov__Envelope *envelope, const char *correlation_id,
                 egov_error_t *error)
{
    Egov__Applications__RegisteredApplication *registered =
        (Egov__Applications__RegisteredApplication *) egov_envelope_payload (
            envelope, &egov__applications__registered_application__descriptor);
    if (!registered) {
        egov_error_set (error, "MALFORMED_PAYLOAD",
                        "application.registered carries an egov.applications.RegisteredApplication");
        return -2;
    }
    int rc = -2;
    const Egov__Applications__Application *application = registered->application;
    const Egov__Applications__Registration *registration = registered->registration;
    if (!application || !registration || !s_text_ok (application->application_id, s_MAX_ID)
    ||  !s_text_ok (registration->registration_number, s_MAX_TEXT)
    ||  !s_text_ok (application->service, s_MAX_TEXT)
    ||  !s_text_ok (application->region, s_MAX_TEXT)
    ||  strlen (application->applicant_iin) > s_MAX_TEXT)
        egov_error_set (error, "MALFORMED_PAYLOAD", "the application, its id, service, region"
                        " and registration number are required");
    else
    if (!streq (application->region, self->config.kato))
        egov_error_set (error, "WRONG_REGION", "this body serves region %s, not %s",
                        self->config.kato, application->region);
    else
    if (!egov_catalogue_find (self->catalogue, application->service, self->config.kato))
        egov_error_set (error, "UNKNOWN_SERVICE", "no service %s in region %s",
                        application->service, self->config.kato);
    else
        rc = 0;
    if (rc) {
        egov__applications__registered_application__free_unpacked (registered, NULL);
        return rc;
    }
    int64_t now = egov_clock_now_ms ();
    char received [24];
    snprintf (received, sizeof (received), "%" PRId64, now);
    const char *values [] = {
        correlation_id, application->application_id, application->service, application->region,
        registration->registration_number, application->applicant_iin, envelope->sender_id,
        (const char *) envelope->payload.data, received
    };
    int lengths [] = { 0, 0, 0, 0, 0, 0, 0, (int) envelope->payload.len, 0 };
    int formats [] = { 0, 0, 0, 0, 0, 0, 0, 1, 0 };
    PGresult *result = egov_db_params (self->conn,
        "INSERT INTO application (correlation_id, application_id, service, region,"
        "  registration_number, applicant_iin, reply_to, registered, received_ms)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::bigint)"
        " ON CONFLICT (correlation_id) DO NOTHING",
        9, NULL, values, lengths, formats, 0);
    rc = -1;
    bool inserted = false;
    if (egov_db_check (result, PGRES_COMMAND_OK, "application insert")) {
        inserted = streq (PQcmdTuples (result), "1");
        rc = 0;
    }
    else
        egov_error_set (error, "DB_UNAVAILABLE", "%s", PQresultErrorMessage (result));
    PQclear (result);
    egov__applications__registered_application__free_unpacked (registered, NULL);
    if (rc == 0 && !inserted)
        zsys_warning ("leb: %s is registered already; the second registration is ignored",
                      correlation_id);
    if (rc || !inserted)
        return rc;
    s_app_t app;
    rc = s_app_load (self, correlation_id, &app, error);
    if (rc == 0) {
        zsys_info ("leb: %s: application %s (%s) registered as %s", correlation_id,
                   app.registered->application->application_id, app.entry->code,
                   app.registered->registration->registration_number);
        rc = s_task_open (self, &app, 0, now, error);
    }
    s_app_reset (&app);
    return rc < 0 ? -1 : 0;
}

//  application.return and application.recall. 0, -1 (store), -2 (reject).
static int
s_on_movement (leb_server_t *self, const Egov__Envelope *envelope, const char *correlation_id,
               bool recall, egov_error_t *error)
{
    Egov__Applications__ResultMovement *movement =
        (Egov__Applications__ResultMovement *) egov_envelope_payload (
            envelope, &egov__applications__result_movement__descriptor);
    if (!movement) {
        egov_error_set (error, "MALFORMED_PAYLOAD",
                        "%s carries an egov.applications.ResultMovement", envelope->service_id);
        return -2;
    }
    egov__applications__result_movement__free_unpacked (movement, NULL);
    s_app_t app;
    if (s_app_load (self, correlation_id, &app, error))
        return streq (error->code, "DB_UNAVAILABLE") ? -1 : -2;
    if (!streq (app.reply_to, envelope->sender_id)) {
        //  The regional gateway speaks for its applications, our office for its own
        egov_error_set (error, "UNEXPECTED_SENDER", "%s was registered by %s, not %s",
                        correlation_id, app.reply_to, envelope->sender_id);
        s_app_reset (&app);
        return -2;
    }
    int64_t now = egov_clock_now_ms ();
    char at [24];
    snprintf (at, sizeof (at), "%" PRId64, now);
    const char *values [] = { correlation_id, at };
    int rc = 0;
    if (!recall) {
        //  Only a decided result can come back unclaimed; again is a repeat
        rc = s_status_move (self, &app, EGOV_EVENT_RETURNED, 0, false, error);
        if (rc == 1 && !s_run (self, "UPDATE application SET returned_ms = $2::bigint"
                                     " WHERE correlation_id = $1", 2, values, error))
            rc = -1;
        if (rc == 1)
            zsys_info ("leb: %s: the unclaimed result came back (RETURNED_TO_PROVIDER)",
                       correlation_id);
        rc = rc < 0 ? (streq (error->code, "DB_UNAVAILABLE") ? -1 : -2) : 0;
    }
    else
    if (app.status != EGOV__APPLICATIONS__STATUS__RETURNED_TO_PROVIDER)
        //  The result is still on its way or at the desk: nothing to send again
        zsys_warning ("leb: %s: recalled while %s; nothing to send again", correlation_id,
                      egov_status_name (app.status));
    else
    if (app.recalled)
        zsys_info ("leb: %s: recalled again while the resend is on its way", correlation_id);
    else {
        if (!s_run (self, "UPDATE application SET recalled_ms = $2::bigint"
                          " WHERE correlation_id = $1", 2, values, error)
        ||  s_task_open (self, &app, -1, now, error))
            rc = -1;
        else
            zsys_info ("leb: %s: recalled; the clerk sends the result again", correlation_id);
    }
    s_app_reset (&app);
    return rc;
}

//  queue.referral: a place freed up for the child of one of our
//  kindergarten-queue applications. Stored with the application, and a
//  notice with the referral goes to the channel (READY: history only), so
//  it reaches the citizen's cabinet or the desk. 0, -1 (store), -2 (reject).
static int
s_on_referral (leb_server_t *self, const shep_delivery_t *delivery, const char *correlation_id,
               egov_error_t *error)
{
    const Egov__Queue__Referral *referral = (const Egov__Queue__Referral *) delivery->payload;
    const Egov__Queue__Entry *entry = referral ? referral->entry : NULL;
    if (!entry || entry->state != EGOV__QUEUE__ENTRY__STATE__REFERRED
    ||  !s_text_ok (entry->referral, s_MAX_TEXT) || !s_text_ok (entry->queue, s_MAX_TEXT)
    ||  strlen (entry->queue_name) > s_MAX_TEXT) {
        egov_error_set (error, "MALFORMED_PAYLOAD", "a referral names its entry, referred, with its number");
        return -2;
    }
    s_app_t app;
    if (s_app_load (self, correlation_id, &app, error))
        return streq (error->code, "DB_UNAVAILABLE") ? -1 : -2;
    int rc = 0;
    if (!egov_queue_applies (app.entry)) {
        egov_error_set (error, "NOT_A_QUEUE_APPLICATION", "application %s is not for the kindergarten"
                        " queue", correlation_id);
        rc = -2;
    }
    else {
        char note [900];
        snprintf (note, sizeof (note), "referral %s to %s %s (queue number %u)", entry->referral,
                  entry->queue, entry->queue_name, entry->number);
        Egov__Applications__StatusNotice notice = EGOV__APPLICATIONS__STATUS_NOTICE__INIT;
        notice.application_id = app.registered->application->application_id;
        notice.status = EGOV__APPLICATIONS__STATUS__READY;
        notice.step = (char *) "the queue register issues a referral";
        notice.role = (char *) "";
        notice.actor = (char *) EGOV_QUEUE_REGISTER;
        notice.note = note;
        notice.at = egov_clock_now_ms ();
        notice.registration_number = app.registered->registration->registration_number;
        const char *values [] = { correlation_id, entry->referral };
        if (!s_run (self, "UPDATE application SET queue_referral = $2 WHERE correlation_id = $1",
                    2, values, error)
        ||  shep_participant_put_message (self->engine, self->conn, LEB_SERVICE_STATUS,
                                          EGOV__MESSAGE_TYPE__UPDATE, app.correlation_id,
                                          app.reply_to, NULL, &notice.base, NULL, error))
            rc = -1;
        else
            zsys_info ("leb: %s: %s", correlation_id, note);
    }
    s_app_reset (&app);
    return rc;
}

shep_outcome_t
leb_server_deliver (void *service, PGconn *conn, const shep_delivery_t *delivery,
                    egov_error_t *reject)
{
    leb_server_t *self = (leb_server_t *) service;
    assert (self && conn && delivery && reject);
    const Egov__Envelope *envelope = delivery->envelope;
    if (!s_text_ok (envelope->message_id, s_MAX_ID) || strlen (envelope->correlation_id) > s_MAX_ID) {
        egov_error_set (reject, "MALFORMED_ENVELOPE", "a message id of 1-%d bytes is required",
                        s_MAX_ID);
        return SHEP_REJECT;
    }
    const char *service_id = envelope->service_id;
    bool registered = streq (service_id, LEB_SERVICE_REGISTERED);
    bool recall = streq (service_id, LEB_SERVICE_RECALL);
    bool referral = streq (service_id, EGOV_QUEUE_REFERRAL);
    if (!registered && !recall && !referral && !streq (service_id, LEB_SERVICE_RETURN)) {
        egov_error_set (reject, "UNSUPPORTED_SERVICE", "the local executive body does not"
                        " process %.100s", service_id);
        return SHEP_REJECT;
    }
    const char *correlation_id = *envelope->correlation_id ? envelope->correlation_id
                                                           : envelope->message_id;
    self->conn = conn;
    int rc = registered ? s_on_registered (self, envelope, correlation_id, reject)
           : referral ? s_on_referral (self, delivery, correlation_id, reject)
                      : s_on_movement (self, envelope, correlation_id, recall, reject);
    if (rc == -1)
        zsys_error ("leb: %s (%s) not applied, left for redelivery: %s", envelope->message_id,
                    service_id, reject->message);
    return rc == 0 ? SHEP_APPLIED : rc == -2 ? SHEP_REJECT : SHEP_RETRY;
}

//  ---------------------------------------------------------------------
//  Timers

//  A decision waiting for the queue register: due again a while later (the
//  answer makes it due at once), in the caller's transaction. False when
//  the database failed.
static bool
s_queue_postpone (leb_server_t *self, int64_t id)
{
    char task [24], planned [24];
    int64_t when = egov_clock_now_ms () + s_QUEUE_WAIT_MS;
    snprintf (task, sizeof (task), "%" PRId64, id);
    snprintf (planned, sizeof (planned), "%" PRId64, when);
    egov_error_t error;
    if (!s_run (self, "UPDATE task SET planned_ms = $2 WHERE id = $1", 2,
                (const char *[]) { task, planned }, &error))
        return false;
    s_arm (self, when);
    return true;
}

//  Completes the next due task inside the batch's transaction, under a
//  savepoint of its own: 1 done (or put off for the queue register's
//  answer), 0 when none is due, -1 when it failed (rolled back alone).
static int
s_advance_one (leb_server_t *self)
{
    egov_error_t error;
    if (!s_exec (self, "SAVEPOINT task"))
        return -1;
    leb_task_t task;
    int64_t id = leb_tasks_next_due (self->conn, egov_clock_now_ms (), &task, &error);
    if (id <= 0)
        return (int) id;        //  the savepoint stays unused
    s_app_t app = { 0 };
    bool ok = s_app_load (self, task.correlation_id, &app, &error) == 0
           && s_task_complete (self, &app, &task, NULL, task.planned_ms ? task.planned_ms : task.due_ms,
                               NULL, NULL, &error) == 0;
    s_app_reset (&app);
    if (ok)
        return 1;               //  kept; the next savepoint of the name hides this one
    if (!s_exec (self, "ROLLBACK TO SAVEPOINT task"))
        return -1;
    //  The register's answer decides: this task waits for it, the others go on
    if (streq (error.code, "QUEUE_PENDING"))
        return s_queue_postpone (self, id) ? 1 : -1;
    zsys_error ("leb: task %" PRId64 " not completed, retrying: %s %s", id, error.code, error.message);
    return -1;
}

//  Auto mode: completes every task whose moment came, earliest first, each
//  at that moment (its maximum, or earlier to keep the term promised on the
//  receipt), so one jump of the clock runs a whole chain in order. Up to
//  s_ADVANCE_BATCH tasks share a transaction (one commit, one flush of the
//  WAL); a task that fails rolls back alone and the batch keeps what went
//  through before it.
static size_t
s_advance (leb_server_t *self)
{
    size_t completed = 0;
    egov_error_t error;
    while (completed < s_ADVANCE_MAX) {
        if (!s_begin (self, &error)) {
            self->retry_wall_ms = egov_now_ms () + s_RETRY_MS;
            self->due = true;
            break;
        }
        size_t batch = 0;
        int rc = 1;
        while (batch < s_ADVANCE_BATCH && (rc = s_advance_one (self)) == 1)
            batch++;
        bool committed = s_end (self, true, &error);
        if (committed)
            completed += batch;
        if (!committed || rc < 0) {
            self->retry_wall_ms = egov_now_ms () + s_RETRY_MS;
            self->due = true;
            break;
        }
        if (rc == 0)
            break;
    }
    return completed;
}

size_t
leb_server_fire (leb_server_t *self)
{
    assert (self);
    if (egov_now_ms () < self->retry_wall_ms)
        return 0;
    egov_timers_fire (self->timers);
    if (!self->due)
        return 0;
    self->due = false;
    if (!self->config.manual)
        return s_advance (self);
    egov_error_t error;
    int flagged = s_db (self) ? leb_tasks_flag_overdue (self->conn, egov_clock_now_ms (), &error) : -1;
    if (flagged < 0) {
        self->retry_wall_ms = egov_now_ms () + s_RETRY_MS;
        self->due = true;
        return 0;
    }
    return (size_t) flagged;
}

//  Databases from before the participant runtime kept their own outbox:
//  its unsent messages move to the runtime's, under the same message ids,
//  and the old table goes. 0, or -1 with DB_UNAVAILABLE.
static int
s_migrate_outbox (leb_server_t *self, egov_error_t *error)
{
    PGresult *result = PQexec (self->conn, "SELECT to_regclass ('outbox') IS NOT NULL");
    bool old = egov_db_check (result, PGRES_TUPLES_OK, "outbox check")
            && *PQgetvalue (result, 0, 0) == 't';
    PQclear (result);
    if (!old)
        return 0;
    if (!s_begin (self, error))
        return -1;
    result = egov_db_params (self->conn,
        "SELECT message_id, correlation_id, service_id, message_type, recipient_id,"
        "       payload_type, payload FROM outbox WHERE sent_at IS NULL ORDER BY seq",
        0, NULL, NULL, NULL, NULL, 1);
    bool ok = egov_db_check (result, PGRES_TUPLES_OK, "old outbox");
    for (int row = 0; ok && row < PQntuples (result); row++) {
        uint32_t type_be;
        memcpy (&type_be, PQgetvalue (result, row, 3), sizeof (type_be));
        Egov__Envelope *envelope = egov_envelope_new (PQgetvalue (result, row, 2),
                                                      (Egov__MessageType) ntohl (type_be));
        egov_string_set (&envelope->message_id, PQgetvalue (result, row, 0));
        egov_string_set (&envelope->correlation_id, PQgetvalue (result, row, 1));
        egov_string_set (&envelope->recipient_id, PQgetvalue (result, row, 4));
        egov_string_set (&envelope->payload_type, PQgetvalue (result, row, 5));
        size_t size = (size_t) PQgetlength (result, row, 6);
        envelope->payload.data = malloc (size ? size : 1);
        assert (envelope->payload.data);
        memcpy (envelope->payload.data, PQgetvalue (result, row, 6), size);
        envelope->payload.len = size;
        ok = shep_participant_put (self->engine, self->conn, envelope, 0, NULL, error) == 0;
        egov__envelope__free_unpacked (envelope, NULL);
    }
    int moved = ok ? PQntuples (result) : 0;
    PQclear (result);
    ok = ok && s_exec (self, "DROP TABLE outbox");
    if (!s_end (self, ok, error))
        return -1;
    zsys_info ("leb: %d unsent messages moved to the participant runtime's outbox", moved);
    return 0;
}

//  The demo staff, each made once (a hash each: at start, before the loop).
static int
s_seed_staff (leb_server_t *self, egov_error_t *error)
{
    for (size_t index = 0; index < sizeof (s_demo_staff) / sizeof (s_demo_staff [0]); index++) {
        int exists = shep_accounts_exists (self->staff, s_demo_staff [index].login);
        if (exists < 0) {
            egov_error_set (error, "DB_UNAVAILABLE", "cannot read the staff");
            return -1;
        }
        if (exists)
            continue;
        char hash [crypto_pwhash_STRBYTES];
        const char *password = s_demo_staff [index].password;
        if (!egov_password_hash (password, hash)) {
            egov_error_set (error, "PASSWORD_HASH", "out of memory hashing a password");
            return -1;
        }
        const char *name = s_demo_staff [index].name ? s_demo_staff [index].name : self->head_name;
        if (shep_accounts_create (self->staff, s_demo_staff [index].login, name,
                                  s_demo_staff [index].role, hash, error))
            return -1;
    }
    return 0;
}

void
leb_server_attach (leb_server_t *self, zloop_t *loop)
{
    assert (self && loop);
    egov_worker_attach (self->worker, loop);
}

//  A login whose password a worker thread checks.
typedef struct {
    leb_server_t *server;
    char login [64];
    bool known;                         //  an account: the verdict counts
    leb_http_login_fn *done;
    void *done_argument;
} s_login_t;

//  The worker's verdict: a session, or why not.
static void
s_login_on_verdict (void *argument, bool right, const char *hash)
{
    (void) hash;
    s_login_t *login = (s_login_t *) argument;
    leb_server_t *self = login->server;
    char token [SHEP_ACCOUNTS_TOKEN_SIZE] = "";
    int64_t expires = 0, retry = 0;
    egov_error_t error = { { 0 } };
    int rc = -1;
    if (login->known)
        rc = shep_accounts_login_finish (self->staff, login->login, right, token, &expires, &retry, &error);
    else
        egov_error_set (&error, "AUTH_FAILED", "wrong login or password");
    json_t *answer = NULL;
    if (rc == 0) {
        char login_name [64], name [256], role [16];
        char expires_text [40];
        egov_clock_format (expires, expires_text, sizeof (expires_text));
        if (shep_accounts_authenticate (self->staff, token, login_name, sizeof (login_name), name,
                                        sizeof (name), role, sizeof (role)) == 1)
            answer = json_pack ("{s:s, s:s, s:s, s:{s:s, s:s, s:s}}", "token", token,
                                "token_type", "Bearer", "expires_at", expires_text,
                                "staff", "login", login_name, "name", name, "role", role);
        else
            egov_error_set (&error, "DB_UNAVAILABLE", "the database is not available");
    }
    else
    if (streq (error.code, "DATABASE_UNAVAILABLE"))
        egov_error_set (&error, "DB_UNAVAILABLE", "the database is not available");
    if (!answer)
        zsys_info ("leb: login refused for %s: %s", login->login, error.code);
    sodium_memzero (token, sizeof (token));
    login->done (login->done_argument, answer, answer ? NULL : &error);
    free (login);
}

void
leb_server_login (leb_server_t *self, const char *login, const char *password,
                  leb_http_login_fn *done, void *done_argument)
{
    assert (self && login && password && done);
    egov_error_t error = { { 0 } };
    char hash [SHEP_ACCOUNTS_HASH_SIZE] = "";
    int64_t retry = 0;
    int known = shep_accounts_login_start (self->staff, login, hash, &retry, &error);
    if (known < 0) {
        if (streq (error.code, "DATABASE_UNAVAILABLE"))
            egov_error_set (&error, "DB_UNAVAILABLE", "the database is not available");
        done (done_argument, NULL, &error);
        return;
    }
    s_login_t *job = (s_login_t *) zmalloc (sizeof (s_login_t));
    assert (job);
    job->server = self;
    snprintf (job->login, sizeof (job->login), "%s", login);
    job->known = known == 1;
    job->done = done;
    job->done_argument = done_argument;
    //  An unknown login costs the time of a check as well
    if (!egov_worker_verify (self->worker, known == 1 ? hash : self->dummy_hash, password,
                             s_login_on_verdict, job, &error)) {
        free (job);
        done (done_argument, NULL, &error);
    }
    sodium_memzero (hash, sizeof (hash));
}

int
leb_server_authenticate (leb_server_t *self, const char *token, leb_http_staff_t *staff,
                         egov_error_t *error)
{
    int live = shep_accounts_authenticate (self->staff, token, staff->login, sizeof (staff->login),
                                           staff->name, sizeof (staff->name),
                                           staff->role, sizeof (staff->role));
    if (live < 0)
        egov_error_set (error, "DB_UNAVAILABLE", "the database is not available");
    return live;
}

int
leb_server_start (leb_server_t *self, egov_error_t *error)
{
    assert (self);
    if (!s_db (self)) {
        egov_error_set (error, "DB_UNAVAILABLE", "the database is not available");
        return -1;
    }
    if (s_migrate_outbox (self, error) || s_seed_staff (self, error))
        return -1;
    zlistx_t *pending = leb_tasks_pending (self->conn, error);
    if (!pending)
        return -1;
    for (int64_t *due = zlistx_first (pending); due; due = zlistx_next (pending))
        s_arm (self, *due);
    if (zlistx_size (pending))
        zsys_info ("leb: %zu tasks waiting, timers re-armed", zlistx_size (pending));
    zlistx_destroy (&pending);
    self->due = true;               //  what fell due while we were down runs now
    return 0;
}

//  ---------------------------------------------------------------------
//  Manual mode

//  A task as JSON for the HTTP API.
static json_t *
s_task_json (leb_server_t *self, int64_t id, egov_error_t *error)
{
    leb_task_t task;
    if (leb_tasks_get (self->conn, id, false, &task, error))
        return NULL;
    char started [40], due [40];
    egov_clock_format (task.started_ms, started, sizeof (started));
    egov_clock_format (task.due_ms, due, sizeof (due));
    json_t *json = json_pack ("{s:I, s:s, s:s, s:i, s:s, s:s, s:s, s:s, s:s, s:I, s:b, s:b}",
        "id", (json_int_t) task.id, "correlation_id", task.correlation_id,
        "kind", task.recall ? "recall" : "step", "step", task.recall ? 0 : task.step + 1,
        "action", task.action, "role", task.role, "state", task.state,
        "started", started, "due", due, "due_ms", (json_int_t) task.due_ms,
        "overdue", task.overdue || (!streq (task.state, "done")
                                    && egov_clock_now_ms () > task.due_ms),
        "decides", task.decides);
    assert (json);
    json_object_set_new (json, "assignee", *task.assignee ? json_string (task.assignee)
                                                          : json_null ());
    if (task.completed_ms) {
        char completed [40];
        egov_clock_format (task.completed_ms, completed, sizeof (completed));
        json_object_set_new (json, "completed", json_string (completed));
    }
    return json;
}

json_t *
leb_server_tasks (leb_server_t *self, const char *role, egov_error_t *error)
{
    assert (self);
    if (role && !leb_rules_role_valid (role)) {
        egov_error_set (error, "INVALID_ROLE", "role is clerk, head or executor");
        return NULL;
    }
    if (!s_db (self)) {
        egov_error_set (error, "DB_UNAVAILABLE", "the database is not available");
        return NULL;
    }
    return leb_tasks_list (self->conn, role, egov_clock_now_ms (), error);
}

json_t *
leb_server_take (leb_server_t *self, int64_t id, const char *assignee, const char *role,
                 egov_error_t *error)
{
    assert (self && assignee);
    if (!self->config.manual) {
        egov_error_set (error, "AUTO_MODE", "tasks complete by themselves in auto mode");
        return NULL;
    }
    if (!s_begin (self, error))
        return NULL;
    leb_task_t task;
    bool ok = leb_tasks_get (self->conn, id, true, &task, error) == 0;
    if (ok && role && !streq (task.role, role)) {
        egov_error_set (error, "NOT_YOUR_ROLE", "task %" PRId64 " is a %s's, not a %s's", id,
                        task.role, role);
        ok = false;
    }
    ok = ok && leb_tasks_take (self->conn, id, assignee, NULL, error) == 0;
    if (!s_end (self, ok, error))
        return NULL;
    if (self->config.verbose)
        zsys_info ("leb: task %" PRId64 " taken by %s", id, assignee);
    return s_task_json (self, id, error);
}

json_t *
leb_server_complete (leb_server_t *self, int64_t id, const char *assignee, const char *decision,
                     json_t *grounds, egov_error_t *error)
{
    assert (self);
    if (!self->config.manual) {
        egov_error_set (error, "AUTO_MODE", "tasks complete by themselves in auto mode");
        return NULL;
    }
    if (!s_begin (self, error))
        return NULL;
    leb_task_t task;
    s_app_t app = { 0 };
    bool ok = leb_tasks_get (self->conn, id, true, &task, error) == 0;
    if (ok && streq (task.state, "done")) {
        egov_error_set (error, "TASK_DONE", "task %" PRId64 " is done", id);
        ok = false;
    }
    else
    if (ok && streq (task.state, "open")) {
        egov_error_set (error, "TASK_NOT_TAKEN", "task %" PRId64 " must be taken first", id);
        ok = false;
    }
    else
    if (ok && assignee && !streq (task.assignee, assignee)) {
        egov_error_set (error, "TASK_TAKEN", "task %" PRId64 " is taken by %s", id, task.assignee);
        ok = false;
    }
    else
    if (ok && task.decides && !decision) {
        egov_error_set (error, "DECISION_REQUIRED",
                        "task %" PRId64 " decides: \"decision\" is approve or refuse", id);
        ok = false;
    }
    else
    if (ok && !task.decides && (decision || grounds)) {
        egov_error_set (error, "DECISION_NOT_ALLOWED",
                        "only the decision step takes a decision and grounds");
        ok = false;
    }
    else
    if (ok && decision && streq (decision, "refuse") && json_array_size (grounds) == 0) {
        egov_error_set (error, "GROUNDS_REQUIRED", "a refusal is motivated: give its grounds");
        ok = false;
    }
    else
    if (ok && decision && streq (decision, "approve") && json_array_size (grounds) > 0) {
        egov_error_set (error, "GROUNDS_NOT_ALLOWED", "an approval has no refusal grounds");
        ok = false;
    }
    if (ok)
        ok = s_app_load (self, task.correlation_id, &app, error) == 0
          && s_task_complete (self, &app, &task, task.assignee, egov_clock_now_ms (),
                              decision, grounds, error) == 0;
    s_app_reset (&app);
    if (!s_end (self, ok, error))
        return NULL;
    return s_task_json (self, id, error);
}

json_t *
leb_server_health (leb_server_t *self)
{
    assert (self);
    bool ok = false;
    json_t *health = shep_participant_health (self->engine, &ok);
    json_t *answer = json_pack ("{s:s, s:s, s:s, s:s, s:s}", "status", ok ? "ok" : "degraded",
                                "mode", self->config.manual ? "manual" : "auto", "region",
                                self->config.kato, "regional", self->config.regional,
                                "signer", self->signer_name);
    json_object_update (answer, health);
    json_decref (health);
    return answer;
}

//  leb_http's view of leb_server_tasks.
static json_t *
s_backend_tasks (void *argument, const char *role, egov_error_t *error)
{
    return leb_server_tasks ((leb_server_t *) argument, role, error);
}

//  leb_http's view of leb_server_take: a task of one's role, under one's name.
static json_t *
s_backend_take (void *argument, int64_t id, const leb_http_staff_t *staff, egov_error_t *error)
{
    return leb_server_take ((leb_server_t *) argument, id, staff->name, staff->role, error);
}

//  leb_http's view of leb_server_complete: a task one took.
static json_t *
s_backend_complete (void *argument, int64_t id, const leb_http_staff_t *staff, const char *decision,
                    json_t *grounds, egov_error_t *error)
{
    return leb_server_complete ((leb_server_t *) argument, id, staff->name, decision, grounds, error);
}

//  leb_http's view of leb_server_login.
static void
s_backend_login (void *argument, const char *login, const char *password, leb_http_login_fn *done,
                 void *done_argument)
{
    leb_server_login ((leb_server_t *) argument, login, password, done, done_argument);
}

//  leb_http's view of leb_server_authenticate.
static int
s_backend_authenticate (void *argument, const char *token, leb_http_staff_t *staff, egov_error_t *error)
{
    return leb_server_authenticate ((leb_server_t *) argument, token, staff, error);
}

//  leb_http's view of leb_server_health.
static json_t *
s_backend_health (void *argument)
{
    return leb_server_health ((leb_server_t *) argument);
}

leb_http_backend_t
leb_server_backend (leb_server_t *self)
{
    assert (self);
    return (leb_http_backend_t) { s_backend_tasks, s_backend_take, s_backend_complete,
                                  s_backend_health, s_backend_login, s_backend_authenticate, self };
}

//  ---------------------------------------------------------------------
//  Selftest

//  Adds an attachment with its digest (spoilt when reliable is false).
static void
s_test_attach (Egov__Applications__Application *application, const char *type, bool reliable)
{
    Egov__Applications__Attachment *attachment = malloc (sizeof (*attachment));
    assert (attachment);
    egov__applications__attachment__init (attachment);
    attachment->type = strdup (type);
    attachment->name = strdup (type);
    attachment->content.data = (uint8_t *) strdup (type);
    attachment->content.len = strlen (type);
    attachment->sha256.data = malloc (32);
    attachment->sha256.len = 32;
    assert (attachment->type && attachment->name && attachment->content.data
            && attachment->sha256.data);
    unsigned int size;
    EVP_Digest (type, strlen (type), attachment->sha256.data, &size, EVP_sha256 (), NULL);
    if (!reliable)
        attachment->sha256.data [5] ^= 0x01;
    application->attachments = realloc (application->attachments,
        (application->n_attachments + 1) * sizeof (attachment));
    assert (application->attachments);
    application->attachments [application->n_attachments++] = attachment;
}

//  An application.registered envelope for the externat permit.
static Egov__Envelope *
s_test_registered (const char *correlation_id, const char *region, const char *service,
                   bool reliable)
{
    Egov__Applications__Application application = EGOV__APPLICATIONS__APPLICATION__INIT;
    application.application_id = (char *) correlation_id;
    application.service = (char *) service;
    application.region = (char *) region;
    application.channel = EGOV__APPLICATIONS__CHANNEL__STATE_CORPORATION;
    application.applicant_iin = "850314301234";
    application.applicant_name = "Асқаров Ерлан Серікұлы";
    application.receipt_number = "R-1";
    s_test_attach (&application, "application", true);
    s_test_attach (&application, "identity-document", true);
    s_test_attach (&application, "reason-document", reliable);
    Egov__Applications__Registration registration = EGOV__APPLICATIONS__REGISTRATION__INIT;
    registration.registration_number = "750000000-2026-000001";
    registration.signature_outcome = "OK";
    Egov__Applications__RegisteredApplication registered =
        EGOV__APPLICATIONS__REGISTERED_APPLICATION__INIT;
    registered.registration = &registration;
    registered.application = &application;
    Egov__Envelope *envelope = egov_envelope_new (LEB_SERVICE_REGISTERED,
                                                  EGOV__MESSAGE_TYPE__REQUEST);
    egov_string_set (&envelope->correlation_id, correlation_id);
    egov_string_set (&envelope->sender_id, "regional-750000000");
    egov_envelope_set_payload (envelope, &registered.base);
    for (size_t index = 0; index < application.n_attachments; index++)
        egov__applications__attachment__free_unpacked (application.attachments [index], NULL);
    free (application.attachments);
    return envelope;
}

//  An application.return or application.recall envelope.
static Egov__Envelope *
s_test_movement (const char *service, const char *correlation_id)
{
    Egov__Applications__ResultMovement movement = EGOV__APPLICATIONS__RESULT_MOVEMENT__INIT;
    movement.application_id = (char *) correlation_id;
    movement.reason = "test";
    Egov__Envelope *envelope = egov_envelope_new (service, EGOV__MESSAGE_TYPE__REQUEST);
    egov_string_set (&envelope->correlation_id, correlation_id);
    egov_string_set (&envelope->sender_id, "regional-750000000");
    egov_envelope_set_payload (envelope, &movement.base);
    return envelope;
}

//  Applies an envelope, frees it, returns what apply did; code (may be
//  NULL) gets the reject code.
static shep_participant_t *s_test_engine;

//  Applies a delivery as the runtime does, in one transaction: 1 applied,
//  -2 rejected (code set), -1 left for redelivery.
static int
s_test_apply (leb_server_t *server, Egov__Envelope *envelope, char *code)
{
    egov_error_t reject;
    shep_participant_set_service (s_test_engine, server);
    shep_outcome_t outcome = shep_participant_apply (s_test_engine, envelope, &reject);
    if (code)
        snprintf (code, 48, "%s", reject.code);
    egov__envelope__free_unpacked (envelope, NULL);
    return outcome == SHEP_APPLIED ? 1 : outcome == SHEP_REJECT ? -2 : -1;
}

//  A single value from SQL with one text parameter.
static char *
s_test_value (PGconn *conn, const char *sql, const char *parameter)
{
    const char *values [] = { parameter };
    PGresult *result = egov_db_params (conn, sql, parameter ? 1 : 0, NULL, values, NULL, NULL, 0);
    assert (PQresultStatus (result) == PGRES_TUPLES_OK && PQntuples (result) == 1);
    char *value = strdup (PQgetvalue (result, 0, 0));
    PQclear (result);
    return value;
}

//  True when SQL's single value is expected.
static bool
s_test_is (PGconn *conn, const char *sql, const char *parameter, const char *expected)
{
    char *value = s_test_value (conn, sql, parameter);
    bool same = streq (value, expected);
    if (!same)
        zsys_error ("leb_server test: %s gave '%s', expected '%s'", sql, value, expected);
    free (value);
    return same;
}

//  The number-th Result (from 0) queued for an application, unpacked.
static Egov__Applications__Result *
s_test_result (PGconn *conn, const char *correlation_id, int number)
{
    char offset [8];
    snprintf (offset, sizeof (offset), "%d", number);
    const char *values [] = { correlation_id, offset };
    PGresult *result = egov_db_params (conn,
        "SELECT envelope FROM shep_outbox WHERE correlation_id = $1"
        " AND service_id = 'application.result' ORDER BY seq OFFSET $2::integer LIMIT 1",
        2, NULL, values, NULL, NULL, 1);
    assert (PQresultStatus (result) == PGRES_TUPLES_OK);
    Egov__Envelope *envelope = PQntuples (result)
        ? egov__envelope__unpack (NULL, PQgetlength (result, 0, 0),
                                  (const uint8_t *) PQgetvalue (result, 0, 0))
        : NULL;
    PQclear (result);
    Egov__Applications__Result *answer = envelope
        ? (Egov__Applications__Result *) egov_envelope_payload (
              envelope, &egov__applications__result__descriptor)
        : NULL;
    egov__envelope__free_unpacked (envelope, NULL);
    return answer;
}

//  Completes a task through the manual API; returns the error code or "".
static const char *
s_test_complete (leb_server_t *server, int64_t id, const char *decision, const char *grounds,
                 egov_error_t *error)
{
    json_t *list = grounds ? json_pack ("[s]", grounds) : NULL;
    json_t *task = leb_server_complete (server, id, NULL, decision, list, error);
    json_decref (list);
    if (!task)
        return error->code;
    json_decref (task);
    return "";
}

//  The id of the only open task of a role.
static int64_t
s_test_task (leb_server_t *server, const char *role)
{
    egov_error_t error;
    json_t *tasks = leb_server_tasks (server, role, &error);
    assert (tasks && json_array_size (tasks) == 1);
    int64_t id = json_integer_value (json_object_get (json_array_get (tasks, 0), "id"));
    json_decref (tasks);
    return id;
}

void
leb_server_test (bool verbose)
{
    if (verbose)
        printf (" * leb_server: ");
    const char *conninfo = getenv ("EGOV_TEST_DB");
    if (!conninfo || !*conninfo) {
        printf (verbose ? "(database part skipped: EGOV_TEST_DB unset) OK\n"
                        : "leb_server: database part skipped: EGOV_TEST_DB unset\n");
        return;
    }
    char pki_dir [] = "/tmp/leb-server-test-XXXXXX";
    char *made = mkdtemp (pki_dir);
    assert (made);
    egov_error_t error;
    egov_pki_t *pki = egov_pki_new (pki_dir);
    //  The test runs in the spring of 2026 on the simulated clock: its
    //  certificates are current then, whatever today's date
    int64_t spring = 0;
    bool parsed = egov_clock_parse ("2026-03-02T10:00", &spring);
    assert (parsed);
    egov_pki_set_now (pki, spring);
    int rc = egov_pki_ensure (pki, NULL, &error);
    assert (rc == 0);
    const egov_pki_entry_t *head = egov_pki_find (pki, "org-750000000");
    assert (head);
    PGconn *conn = egov_db_connect (conninfo, 5000);
    assert (conn);
    assert (egov_db_exec_script (conn,
        "DROP SCHEMA IF EXISTS leb_server_test CASCADE; CREATE SCHEMA leb_server_test;"
        "SET search_path TO leb_server_test", "test schema"));
    char engine_db [600];
    snprintf (engine_db, sizeof (engine_db), "%s options='-c search_path=leb_server_test'", conninfo);
    shep_participant_config_t engine_config = {
        .gateway = "tcp://127.0.0.1:9", .participant_id = "leb-750000000", .conninfo = engine_db,
        .schema_sql = leb_schema_sql, .receive_async = true
    };
    s_test_engine = shep_participant_new (&engine_config, NULL, &error);
    assert (s_test_engine);
    leb_config_t config = {
        .kato = "750000000", .regional = "regional-750000000", .pki_dir = pki_dir,
        .signer_label = "org-750000000",
        .regulations = egov_env ("EGOV_REGULATIONS", "regulations")
    };
    //  What cannot start
    leb_config_t wrong = config;
    wrong.kato = "75";
    assert (!leb_server_new (&wrong, s_test_engine, &error) && streq (error.code, "CONFIG_INVALID"));
    wrong.kato = "999999999";
    assert (!leb_server_new (&wrong, s_test_engine, &error) && streq (error.code, "UNKNOWN_REGION"));
    wrong = config;
    wrong.signer_label = "org-999999999";
    assert (!leb_server_new (&wrong, s_test_engine, &error) && streq (error.code, "SIGNER_KEY"));

    egov_clock_hold_at ("2026-03-02T10:00");
    leb_server_t *server = leb_server_new (&config, s_test_engine, &error);
    assert (server);
    assert (leb_server_start (server, &error) == 0);
    assert (leb_server_fire (server) == 0);

    //  Deliveries that are never ours are rejected with a stable code
    char code [48];
    Egov__Envelope *envelope = s_test_registered ("c-x", "750000000", "externat-permit", true);
    egov_string_set (&envelope->service_id, "gbdfl.person");
    assert (s_test_apply (server, envelope, code) == -2 && streq (code, "UNSUPPORTED_SERVICE"));
    envelope = s_test_registered ("c-x", "750000000", "externat-permit", true);
    egov_string_set (&envelope->message_id, "");
    assert (s_test_apply (server, envelope, code) == -2 && streq (code, "MALFORMED_ENVELOPE"));
    envelope = s_test_registered ("c-x", "750000000", "externat-permit", true);
    egov_string_set (&envelope->payload_type, "text/plain");
    assert (s_test_apply (server, envelope, code) == -2 && streq (code, "MALFORMED_PAYLOAD"));
    envelope = s_test_registered ("c-x", "230000000", "externat-permit", true);
    assert (s_test_apply (server, envelope, code) == -2 && streq (code, "WRONG_REGION"));
    envelope = s_test_registered ("c-x", "750000000", "tvet-dormitory", true);
    assert (s_test_apply (server, envelope, code) == -2 && streq (code, "UNKNOWN_SERVICE"));
    envelope = s_test_movement (LEB_SERVICE_RECALL, "c-x");
    assert (s_test_apply (server, envelope, code) == -2 && streq (code, "UNKNOWN_APPLICATION"));
    //  ... and nothing is taken from anyone but our regional gateway
    envelope = s_test_registered ("c-x", "750000000", "externat-permit", true);
    egov_string_set (&envelope->sender_id, "regional-230000000");
    assert (s_test_apply (server, envelope, code) == -2 && streq (code, "UNEXPECTED_SENDER"));
    envelope = s_test_movement (LEB_SERVICE_RETURN, "c-x");
    egov_string_set (&envelope->sender_id, "intake");
    assert (s_test_apply (server, envelope, code) == -2 && streq (code, "UNEXPECTED_SENDER"));
    assert (s_test_is (conn, "SELECT count(*) FROM application", NULL, "0"));

    //  A registered application becomes the clerk's task, once
    envelope = s_test_registered ("c-ok", "750000000", "externat-permit", true);
    Egov__Envelope *again = egov_envelope_dup (envelope);
    assert (s_test_apply (server, envelope, NULL) == 1);
    assert (s_test_apply (server, again, NULL) == 1);      //  a second registration: ignored
    assert (s_test_apply (server, s_test_registered ("c-bad", "750000000", "externat-permit",
                                                     false), NULL) == 1);
    assert (s_test_is (conn, "SELECT string_agg (role || ' ' || state, ',') FROM task"
                             " WHERE correlation_id = $1", "c-ok", "clerk open"));
    //  The lifecycle table: nothing to return before the result, nothing to
    //  send again before it came back
    assert (s_test_apply (server, s_test_movement (LEB_SERVICE_RETURN, "c-ok"), code) == -2
            && streq (code, "STATUS_NOT_ALLOWED"));
    assert (s_test_apply (server, s_test_movement (LEB_SERVICE_RECALL, "c-ok"), NULL) == 1);
    assert (s_test_is (conn, "SELECT status || ' ' || count(*) FROM application JOIN task"
                             " USING (correlation_id) WHERE correlation_id = $1 GROUP BY status",
                       "c-ok", "IN_PROGRESS 1"));
    assert (s_test_is (conn, "SELECT count(*) FROM shep_outbox WHERE correlation_id = $1"
                             " AND service_id = 'application.status'", "c-ok", "1"));
    json_t *tasks = leb_server_tasks (server, "clerk", &error);
    assert (tasks && json_array_size (tasks) == 2);
    assert (streq (json_string_value (json_object_get (json_array_get (tasks, 0), "due")),
                   "2026-03-02T10:15:00.000+05:00"));
    json_decref (tasks);
    assert (!leb_server_tasks (server, "boss", &error) && streq (error.code, "INVALID_ROLE"));
    assert (!leb_server_take (server, 1, "Бота", NULL, &error) && streq (error.code, "AUTO_MODE"));

    //  Each step completes at its due moment; one jump runs the whole chain
    assert (leb_server_fire (server) == 0);
    egov_clock_hold_at ("2026-03-02T10:15");
    assert (leb_server_fire (server) == 2);
    assert (s_test_is (conn, "SELECT string_agg (role || ' ' || state, ',' ORDER BY id) FROM task"
                             " WHERE correlation_id = $1", "c-ok", "clerk done,head open"));
    egov_clock_hold_at ("2026-04-30T12:00");
    assert (leb_server_fire (server) == 6);
    assert (s_test_is (conn, "SELECT status || ' ' || decision FROM application"
                             " WHERE correlation_id = $1", "c-ok", "READY approve"));
    assert (s_test_is (conn, "SELECT count(*) FROM task WHERE completed_ms <> due_ms", NULL, "0"));
    //  executor: 14wd across the 8 March and Nauryz days off; clerk: 1wd more
    assert (s_test_is (conn, "SELECT due_ms FROM task WHERE correlation_id = $1 AND step = 3",
                       "c-ok", "1774616400000"));
    assert (s_test_is (conn, "SELECT count(*) FROM shep_outbox WHERE correlation_id = $1", "c-ok", "9"));
    Egov__Applications__Result *result = s_test_result (conn, "c-ok", 0);
    assert (result && result->approved && result->n_grounds == 0);
    assert (result->decided_at == 1774616400000);
    assert (streq (result->registration_number, "750000000-OUT-2026-000001"));
    egov_cms_verifier_t *verifier = egov_cms_verifier_new (pki_dir, &error);
    assert (verifier);
    egov_cms_result_t signed_by;
    assert (egov_cms_verify (verifier, result->signature.data, result->signature.len,
                             result->document.data, result->document.len, result->decided_at,
                             head->iin, &signed_by) == EGOV_CMS_OK);
    assert (streq (signed_by.bin, head->bin));
    json_t *document = json_loadb ((const char *) result->document.data, result->document.len,
                                   0, NULL);
    assert (document);
    assert (streq (json_string_value (json_object_get (document, "decision")), "approved"));
    assert (streq (json_string_value (json_object_get (document, "application_id")), "c-ok"));
    json_decref (document);
    egov__applications__result__free_unpacked (result, NULL);
    result = s_test_result (conn, "c-bad", 0);
    assert (result && !result->approved && result->n_grounds == 1);
    assert (strncmp (result->grounds [0], "unreliable-documents: reason-document", 37) == 0);
    assert (s_test_is (conn, "SELECT status FROM application WHERE correlation_id = $1",
                       "c-bad", "REFUSED"));
    egov__applications__result__free_unpacked (result, NULL);

    //  Return, then recall: the clerk sends the same result within a working day
    assert (s_test_apply (server, s_test_movement (LEB_SERVICE_RETURN, "c-ok"), NULL) == 1);
    assert (s_test_apply (server, s_test_movement (LEB_SERVICE_RETURN, "c-ok"), NULL) == 1);
    assert (s_test_is (conn, "SELECT status FROM application WHERE correlation_id = $1", "c-ok",
                       "RETURNED_TO_PROVIDER"));
    assert (s_test_apply (server, s_test_movement (LEB_SERVICE_RECALL, "c-ok"), NULL) == 1);
    assert (s_test_is (conn, "SELECT status FROM application WHERE correlation_id = $1", "c-ok",
                       "RETURNED_TO_PROVIDER"));
    assert (s_test_is (conn, "SELECT recalled_ms > 0 FROM application WHERE correlation_id = $1",
                       "c-ok", "t"));
    assert (s_test_is (conn, "SELECT count(*) FROM task WHERE correlation_id = $1"
                             " AND kind = 'recall' AND state = 'open'", "c-ok", "1"));
    assert (leb_server_fire (server) == 0);
    egov_clock_hold_at ("2026-05-01T12:00");            //  a holiday: not yet
    assert (leb_server_fire (server) == 0);
    egov_clock_hold_at ("2026-05-04T18:00");
    assert (leb_server_fire (server) == 1);
    assert (s_test_is (conn, "SELECT status FROM application WHERE correlation_id = $1", "c-ok",
                       "READY"));
    Egov__Applications__Result *first = s_test_result (conn, "c-ok", 0);
    Egov__Applications__Result *second = s_test_result (conn, "c-ok", 1);
    assert (first && second && first->signature.len == second->signature.len);
    assert (memcmp (first->signature.data, second->signature.data, first->signature.len) == 0);
    egov__applications__result__free_unpacked (first, NULL);
    egov__applications__result__free_unpacked (second, NULL);
    assert (s_test_is (conn, "SELECT count(DISTINCT message_id) FROM shep_outbox"
                             " WHERE correlation_id = $1 AND service_id = 'application.result'",
                       "c-ok", "2"));

    //  A crash mid-flow: a new server re-arms the timers from the rows
    assert (s_test_apply (server, s_test_registered ("c-crash", "750000000", "externat-permit",
                                                     true), NULL) == 1);
    leb_server_destroy (&server);
    server = leb_server_new (&config, s_test_engine, &error);
    assert (server && leb_server_start (server, &error) == 0);
    assert (leb_server_fire (server) == 0);
    egov_clock_hold_at ("2026-06-30T12:00");
    assert (leb_server_fire (server) == 4);
    assert (s_test_is (conn, "SELECT status FROM application WHERE correlation_id = $1",
                       "c-crash", "READY"));
    leb_server_destroy (&server);

    //  Manual mode: an integrator plays every role
    config.manual = true;
    server = leb_server_new (&config, s_test_engine, &error);
    assert (server && leb_server_start (server, &error) == 0);
    assert (s_test_apply (server, s_test_registered ("c-man", "750000000", "externat-permit",
                                                     true), NULL) == 1);
    int64_t id = s_test_task (server, "clerk");
    json_t *task = leb_server_take (server, 999999, "Бота", NULL, &error);
    assert (!task && streq (error.code, "TASK_NOT_FOUND"));
    assert (streq (s_test_complete (server, id, NULL, NULL, &error), "TASK_NOT_TAKEN"));
    //  A clerk's task is not an executor's to take
    assert (!leb_server_take (server, id, "Маман", "executor", &error)
            && streq (error.code, "NOT_YOUR_ROLE"));
    task = leb_server_take (server, id, "Бота", "clerk", &error);
    assert (task);
    json_decref (task);
    //  ... nor is it anyone's to complete but the one who took it
    task = leb_server_complete (server, id, "Ерлан", NULL, NULL, &error);
    assert (!task && streq (error.code, "TASK_TAKEN"));
    task = leb_server_take (server, id, "Бота", NULL, &error);
    assert (task && streq (json_string_value (json_object_get (task, "state")), "taken"));
    json_decref (task);
    assert (!leb_server_take (server, id, "Ерлан", NULL, &error) && streq (error.code, "TASK_TAKEN"));
    assert (streq (s_test_complete (server, id, "approve", NULL, &error), "DECISION_NOT_ALLOWED"));
    assert (streq (s_test_complete (server, id, NULL, NULL, &error), ""));
    assert (streq (s_test_complete (server, id, NULL, NULL, &error), "TASK_DONE"));
    id = s_test_task (server, "head");
    json_decref (leb_server_take (server, id, "Бастық", NULL, &error));
    assert (streq (s_test_complete (server, id, NULL, NULL, &error), ""));
    id = s_test_task (server, "executor");
    json_decref (leb_server_take (server, id, "Маман", NULL, &error));
    assert (streq (s_test_complete (server, id, NULL, NULL, &error), "DECISION_REQUIRED"));
    assert (streq (s_test_complete (server, id, "refuse", NULL, &error), "GROUNDS_REQUIRED"));
    assert (streq (s_test_complete (server, id, "approve", "x", &error), "GROUNDS_NOT_ALLOWED"));
    assert (streq (s_test_complete (server, id, "refuse", "unreliable-documents: illegible scan",
                                    &error), ""));
    //  The last step waits past its due moment: flagged overdue, once
    id = s_test_task (server, "clerk");
    assert (leb_server_fire (server) == 0);
    egov_clock_hold_at ("2026-07-10T12:00");
    assert (leb_server_fire (server) == 1);
    assert (leb_server_fire (server) == 0);
    tasks = leb_server_tasks (server, NULL, &error);
    assert (tasks && json_array_size (tasks) == 1);
    assert (json_is_true (json_object_get (json_array_get (tasks, 0), "overdue")));
    json_decref (tasks);
    json_decref (leb_server_take (server, id, "Бота", NULL, &error));
    assert (streq (s_test_complete (server, id, NULL, NULL, &error), ""));
    result = s_test_result (conn, "c-man", 0);
    assert (result && !result->approved && result->n_grounds == 1);
    assert (streq (result->grounds [0], "unreliable-documents: illegible scan"));
    egov__applications__result__free_unpacked (result, NULL);
    assert (s_test_is (conn, "SELECT string_agg (assignee, ',' ORDER BY id) FROM task"
                             " WHERE correlation_id = $1", "c-man", "Бота,Бастық,Маман,Бота"));
    json_t *health = leb_server_health (server);
    assert (streq (json_string_value (json_object_get (health, "mode")), "manual"));
    json_decref (health);

    //  Our own office registers who came in person: its applications' notices
    //  go back to it, and only it may return or recall them; another
    //  region's office is nobody here
    envelope = s_test_registered ("c-office", "750000000", "externat-permit", true);
    egov_string_set (&envelope->sender_id, "office-230000000");
    assert (s_test_apply (server, envelope, code) == -2 && streq (code, "UNEXPECTED_SENDER"));
    envelope = s_test_registered ("c-office", "750000000", "externat-permit", true);
    egov_string_set (&envelope->sender_id, "office-750000000");
    assert (s_test_apply (server, envelope, NULL) == 1);
    assert (s_test_is (conn, "SELECT reply_to FROM application WHERE correlation_id = $1",
                       "c-office", "office-750000000"));
    assert (s_test_is (conn, "SELECT string_agg (DISTINCT recipient, ',') FROM shep_outbox"
                             " WHERE correlation_id = $1", "c-office", "office-750000000"));
    assert (s_test_apply (server, s_test_movement (LEB_SERVICE_RECALL, "c-office"), code) == -2
            && streq (code, "UNEXPECTED_SENDER"));
    envelope = s_test_movement (LEB_SERVICE_RECALL, "c-office");
    egov_string_set (&envelope->sender_id, "office-750000000");
    assert (s_test_apply (server, envelope, NULL) == 1);
    leb_server_destroy (&server);
    leb_server_destroy (&server);

    egov_cms_verifier_destroy (&verifier);
    shep_participant_destroy (&s_test_engine);
    assert (egov_db_exec_script (conn, "DROP SCHEMA leb_server_test CASCADE", "drop"));
    PQfinish (conn);
    egov_pki_destroy (&pki);
    egov_pki_remove (pki_dir);
    egov_clock_reset ();
    if (verbose)
        printf ("OK\n");
}
