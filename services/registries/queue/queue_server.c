/*  queue_server — the kindergarten queue register answering through the gateway.  */
#include "queue_server.h"
#include "queue_rules.h"
#include "egov_clock.h"
#include "egov_db.h"
#include "egov_iin.h"
#include "egov_catalogue.h"
#include "registries.pb-c.h"

extern const char *queue_schema_sql;
extern const char *queue_places_sql;

//  An application id we keep with an entry; longer is a malformed request.
#define s_APPLICATION_MAX 128

struct _queue_server_t {
    shep_participant_t *engine;     //  gateway, database and outbox; not owned
    zlistx_t *pending;              //  s_pending_t: enqueues waiting for gbdfl
    bool verbose;                   //  log every request
};

//  An enqueue waiting for the registry of individuals' answer.
typedef struct {
    queue_server_t *server;         //  back to the server
    void *handle;                   //  our place in server->pending
    Egov__Envelope *reply;          //  the reply, addressed already
    char message_id [64];           //  the request's, to answer
    char sender [72];               //  who asked, as the gateway stamped it
    char child_iin [13];
    char queue [QUEUE_CODE_MAX + 1];
    char desired_date [11];
    char application [s_APPLICATION_MAX + 1];
} s_pending_t;

//  What a unit of work on the database came to.
typedef enum {
    S_DONE,                         //  committed (or nothing to commit)
    S_REFUSED,                      //  a motivated refusal: nothing stored
    S_FAILED                        //  the database failed: rolled back
} s_outcome_t;

//  ---------------------------------------------------------------------
//  The database

//  Runs one parameterised statement; the result when it has the expected
//  status, else NULL (logged, cleared).
static PGresult *
s_sql (PGconn *conn, const char *sql, int count, const char *const *values,
       ExecStatusType expected, const char *what)
{
    PGresult *result = PQexecParams (conn, sql, count, NULL, values, NULL, NULL, 0);
    if (egov_db_check (result, expected, what))
        return result;
    PQclear (result);
    return NULL;
}

//  Runs a statement that returns nothing; true when it did.
static bool
s_command (PGconn *conn, const char *sql, int count, const char *const *values, const char *what)
{
    PGresult *result = s_sql (conn, sql, count, values, PGRES_COMMAND_OK, what);
    PQclear (result);
    return result != NULL;
}

//  Rolls back what a failed unit of work began.
static void
s_rollback (PGconn *conn)
{
    PGresult *result = PQexec (conn, "ROLLBACK");
    PQclear (result);
}

//  A heap copy of a column for a protobuf field.
static char *
s_column (const PGresult *result, int row, int column)
{
    char *copy = strdup (PQgetvalue (result, row, column));
    assert (copy);
    return copy;
}

//  A simulated moment (ms, as a column) as ISO 8601, or "" for none.
static char *
s_moment (const PGresult *result, int row, int column)
{
    char moment [40] = "";
    if (!PQgetisnull (result, row, column))
        egov_clock_format (strtoll (PQgetvalue (result, row, column), NULL, 10), moment,
                           sizeof (moment));
    char *copy = strdup (moment);
    assert (copy);
    return copy;
}

//  The entry columns, position computed: waiting entries before it, plus one.
#define s_ENTRY_SELECT \
    "SELECT e.queue, q.name, q.region, e.number," \
    " CASE WHEN e.referral IS NULL THEN (SELECT count(*) FROM entry w WHERE w.queue = e.queue" \
    "   AND w.referral IS NULL AND w.number <= e.number) ELSE 0 END," \
    " e.child_iin, to_char (e.birth_date, 'YYYY-MM-DD'), to_char (e.desired_date, 'YYYY-MM-DD')," \
    " e.registered_ms, coalesce (e.referral, ''), e.referred_ms, e.application" \
    " FROM entry e JOIN queue q ON q.code = e.queue "

//  One entry from a row of s_ENTRY_SELECT (free with egov__queue__entry__free_unpacked).
static Egov__Queue__Entry *
s_entry_from_row (const PGresult *result, int row)
{
    Egov__Queue__Entry *entry = malloc (sizeof (*entry));
    assert (entry);
    egov__queue__entry__init (entry);
    entry->queue = s_column (result, row, 0);
    entry->queue_name = s_column (result, row, 1);
    entry->region = s_column (result, row, 2);
    entry->number = (uint32_t) strtoul (PQgetvalue (result, row, 3), NULL, 10);
    entry->position = (uint32_t) strtoul (PQgetvalue (result, row, 4), NULL, 10);
    entry->child_iin = s_column (result, row, 5);
    entry->birth_date = s_column (result, row, 6);
    entry->desired_date = s_column (result, row, 7);
    entry->registered_at = s_moment (result, row, 8);
    entry->referral = s_column (result, row, 9);
    entry->referred_at = s_moment (result, row, 10);
    entry->application = s_column (result, row, 11);
    entry->state = *entry->referral ? EGOV__QUEUE__ENTRY__STATE__REFERRED
                                    : EGOV__QUEUE__ENTRY__STATE__WAITING;
    return entry;
}

//  The entry numbered number in queue, or NULL when the database failed.
static Egov__Queue__Entry *
s_entry_read (PGconn *conn, const char *queue, const char *number)
{
    PGresult *result = s_sql (conn, s_ENTRY_SELECT "WHERE e.queue = $1 AND e.number = $2",
                              2, (const char *[]) { queue, number }, PGRES_TUPLES_OK,
                              "reading an entry");
    Egov__Queue__Entry *entry = result && PQntuples (result) == 1
                              ? s_entry_from_row (result, 0) : NULL;
    PQclear (result);
    return entry;
}

//  The queue columns with the number waiting.
#define s_QUEUE_SELECT \
    "SELECT q.code, q.region, q.name, q.kind, q.free_places," \
    " (SELECT count(*) FROM entry w WHERE w.queue = q.code AND w.referral IS NULL)," \
    " q.last_number, q.referrals FROM queue q "

//  One queue from a row of s_QUEUE_SELECT (free with egov__queue__queue__free_unpacked).
static Egov__Queue__Queue *
s_queue_from_row (const PGresult *result, int row)
{
    Egov__Queue__Queue *queue = malloc (sizeof (*queue));
    assert (queue);
    egov__queue__queue__init (queue);
    queue->code = s_column (result, row, 0);
    queue->region = s_column (result, row, 1);
    queue->name = s_column (result, row, 2);
    queue->kind = s_column (result, row, 3);
    queue->free_places = (uint32_t) strtoul (PQgetvalue (result, row, 4), NULL, 10);
    queue->waiting = (uint32_t) strtoul (PQgetvalue (result, row, 5), NULL, 10);
    queue->last_number = (uint32_t) strtoul (PQgetvalue (result, row, 6), NULL, 10);
    queue->referrals = (uint32_t) strtoul (PQgetvalue (result, row, 7), NULL, 10);
    return queue;
}

//  The region the sender acts for: leb-<KATO> acts for its own region only;
//  NULL for the administrator's tool, which acts for any.
static const char *
s_sender_region (const char *sender)
{
    return strncmp (sender, "leb-", 4) == 0 ? sender + 4 : NULL;
}

//  Puts the child in the queue in one transaction, once judged by the rules:
//  the next number (the queue's row locked, so numbers are consecutive
//  whoever else enqueues at once), or a referral at once when a released
//  place is free. The same application asking again gets its entry again.
//  S_DONE with *entry_p set, S_REFUSED with refusal set, or S_FAILED.
static s_outcome_t
s_enqueue_store (PGconn *conn, const char *sender, const char *child_iin, const char *birth_date,
                 const char *queue, const char *desired_date, const char *application,
                 Egov__Queue__Entry **entry_p, egov_error_t *refusal)
{
    *entry_p = NULL;
    if (!s_command (conn, "BEGIN", 0, NULL, "beginning an enqueue"))
        return S_FAILED;
    PGresult *row = s_sql (conn, "SELECT region, free_places, last_number, referrals FROM queue"
                           " WHERE code = $1 FOR UPDATE", 1, (const char *[]) { queue },
                           PGRES_TUPLES_OK, "locking the queue");
    if (!row)
        goto failed;
    if (PQntuples (row) == 0) {
        egov_error_set (refusal, "UNKNOWN_QUEUE", "there is no queue %s", queue);
        goto refused;
    }
    const char *own_region = s_sender_region (sender);
    if (own_region && !streq (own_region, PQgetvalue (row, 0, 0))) {
        egov_error_set (refusal, "WRONG_REGION", "queue %s is of region %s, not %s", queue,
                        PQgetvalue (row, 0, 0), own_region);
        goto refused;
    }
    long free_places = strtol (PQgetvalue (row, 0, 1), NULL, 10);
    long number = strtol (PQgetvalue (row, 0, 2), NULL, 10) + 1;
    long referrals = strtol (PQgetvalue (row, 0, 3), NULL, 10);
    PQclear (row);
    row = s_sql (conn, "SELECT number, application, requester FROM entry"
                 " WHERE queue = $1 AND child_iin = $2", 2, (const char *[]) { queue, child_iin },
                 PGRES_TUPLES_OK, "looking for the child in the queue");
    if (!row)
        goto failed;
    if (PQntuples (row) == 1) {
        //  The caller's retry of its own application is not a duplicate
        if (*application && streq (PQgetvalue (row, 0, 1), application)
        &&  streq (PQgetvalue (row, 0, 2), sender)) {
            *entry_p = s_entry_read (conn, queue, PQgetvalue (row, 0, 0));
            PQclear (row);
            if (!*entry_p || !s_command (conn, "COMMIT", 0, NULL, "ending an enqueue"))
                goto failed;
            return S_DONE;
        }
        egov_error_set (refusal, "ALREADY_QUEUED", "the child %s is already in queue %s, number %s",
                        child_iin, queue, PQgetvalue (row, 0, 0));
        goto refused;
    }
    PQclear (row);
    row = NULL;
    char number_text [24], now_text [24], referral [QUEUE_CODE_MAX + 16] = "";
    snprintf (number_text, sizeof (number_text), "%ld", number);
    snprintf (now_text, sizeof (now_text), "%" PRId64, egov_clock_now_ms ());
    if (free_places > 0)
        snprintf (referral, sizeof (referral), "%s-R%06ld", queue, referrals + 1);
    if (!s_command (conn, "UPDATE queue SET last_number = last_number + 1,"
                    " free_places = free_places - $2::int, referrals = referrals + $2::int"
                    " WHERE code = $1", 2, (const char *[]) { queue, *referral ? "1" : "0" },
                    "numbering the entry")
    ||  !s_command (conn, "INSERT INTO entry (queue, number, child_iin, birth_date, desired_date,"
                    " application, requester, registered_ms, referral, referred_ms)"
                    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, nullif ($9, ''),"
                    " CASE WHEN $9 = '' THEN NULL ELSE $8::bigint END)", 9,
                    (const char *[]) { queue, number_text, child_iin, birth_date, desired_date,
                                       application, sender, now_text, referral },
                    "storing the entry"))
        goto failed;
    *entry_p = s_entry_read (conn, queue, number_text);
    if (!*entry_p || !s_command (conn, "COMMIT", 0, NULL, "committing the entry"))
        goto failed;
    return S_DONE;

refused:
    PQclear (row);
    s_rollback (conn);
    return S_REFUSED;
failed:
    PQclear (row);
    s_rollback (conn);
    if (*entry_p)
        egov__queue__entry__free_unpacked (*entry_p, NULL);
    *entry_p = NULL;
    return S_FAILED;
}

//  Frees places of queue in one transaction: each is one referral to the
//  first child waiting (the queue's row locked, so two releases at once
//  never refer one child twice), or stays free. A referral of an entry that
//  a local executive body's application made goes to it through the
//  outbox, in the same transaction. S_DONE with *response_p set, S_REFUSED
//  (UNKNOWN_QUEUE), or S_FAILED.
static s_outcome_t
s_release_store (shep_participant_t *engine, PGconn *conn, const char *queue, uint32_t places,
                 Egov__Queue__ReleaseResponse **response_p, egov_error_t *refusal)
{
    *response_p = NULL;
    if (!s_command (conn, "BEGIN", 0, NULL, "beginning a release"))
        return S_FAILED;
    Egov__Queue__ReleaseResponse *response = malloc (sizeof (*response));
    assert (response);
    egov__queue__release_response__init (response);
    PGresult *row = s_sql (conn, "SELECT referrals FROM queue WHERE code = $1 FOR UPDATE", 1,
                           (const char *[]) { queue }, PGRES_TUPLES_OK, "locking the queue");
    if (!row)
        goto failed;
    if (PQntuples (row) == 0) {
        egov_error_set (refusal, "UNKNOWN_QUEUE", "there is no queue %s", queue);
        PQclear (row);
        s_rollback (conn);
        egov__queue__release_response__free_unpacked (response, NULL);
        return S_REFUSED;
    }
    long referrals = strtol (PQgetvalue (row, 0, 0), NULL, 10);
    PQclear (row);
    char now_text [24];
    snprintf (now_text, sizeof (now_text), "%" PRId64, egov_clock_now_ms ());
    for (uint32_t place = 0; place < places; place++) {
        row = s_sql (conn, "SELECT number, application, requester FROM entry"
                     " WHERE queue = $1 AND referral IS NULL ORDER BY number LIMIT 1", 1,
                     (const char *[]) { queue }, PGRES_TUPLES_OK, "finding the first waiting");
        if (!row)
            goto failed;
        if (PQntuples (row) == 0) {
            PQclear (row);
            if (!s_command (conn, "UPDATE queue SET free_places = free_places + 1 WHERE code = $1",
                            1, (const char *[]) { queue }, "freeing a place"))
                goto failed;
            continue;
        }
        char referral [QUEUE_CODE_MAX + 16];
        snprintf (referral, sizeof (referral), "%s-R%06ld", queue, ++referrals);
        bool stored = s_command (conn, "UPDATE entry SET referral = $3, referred_ms = $4"
                                 " WHERE queue = $1 AND number = $2", 4,
                                 (const char *[]) { queue, PQgetvalue (row, 0, 0), referral, now_text },
                                 "referring the child")
                   && s_command (conn, "UPDATE queue SET referrals = referrals + 1 WHERE code = $1",
                                 1, (const char *[]) { queue }, "counting the referral");
        Egov__Queue__Entry *entry = stored ? s_entry_read (conn, queue, PQgetvalue (row, 0, 0)) : NULL;
        if (entry) {
            response->referred = realloc (response->referred,
                                          (response->n_referred + 1) * sizeof (Egov__Queue__Entry *));
            assert (response->referred);
            response->referred [response->n_referred++] = entry;
        }
        //  Whom it concerns: the local executive body whose application made the entry
        const char *application = PQgetvalue (row, 0, 1), *requester = PQgetvalue (row, 0, 2);
        if (entry && engine && *application && s_sender_region (requester)) {
            Egov__Queue__Referral notice = EGOV__QUEUE__REFERRAL__INIT;
            notice.entry = entry;
            egov_error_t error;
            if (shep_participant_put_message (engine, conn, QUEUE_SERVICE_REFERRAL,
                                              EGOV__MESSAGE_TYPE__NOTIFICATION, application,
                                              requester, NULL, &notice.base, NULL, &error))
                entry = NULL;
        }
        PQclear (row);
        if (!entry)
            goto failed;
    }
    row = s_sql (conn, s_QUEUE_SELECT "WHERE q.code = $1", 1, (const char *[]) { queue },
                 PGRES_TUPLES_OK, "reading the queue");
    if (!row || PQntuples (row) != 1)
        goto failed;
    response->queue = s_queue_from_row (row, 0);
    PQclear (row);
    if (!s_command (conn, "COMMIT", 0, NULL, "committing the release")) {
        row = NULL;
        goto failed;
    }
    *response_p = response;
    return S_DONE;

failed:
    PQclear (row);
    s_rollback (conn);
    egov__queue__release_response__free_unpacked (response, NULL);
    return S_FAILED;
}

//  ---------------------------------------------------------------------
//  Requests

//  The reply envelope every answer starts from.
static Egov__Envelope *
s_reply_new (const Egov__Envelope *request)
{
    Egov__Envelope *reply = egov_envelope_new (request->service_id, EGOV__MESSAGE_TYPE__RESPONSE);
    egov_string_set (&reply->correlation_id, request->correlation_id);
    egov_string_set (&reply->recipient_id, request->sender_id);
    egov_string_set (&reply->route_id, request->route_id);
    egov_string_set (&reply->session_id, request->session_id);
    return reply;
}

//  True when sender may use service: deny by default, whatever the
//  gateway's rights would let through. Local executive bodies put children
//  in their region's queues and read them; the administrator's tool does
//  everything, and alone releases places.
static bool
s_sender_allowed (const char *service, const char *sender)
{
    bool leb = s_sender_region (sender) && egov_kato_valid (sender + 4);
    bool admin = streq (sender, "egovctl");
    if (streq (service, QUEUE_SERVICE_RELEASE))
        return admin;
    return admin || leb;
}

//  The enqueue answer: entry stored, or the refusal.
static void
s_set_enqueue_answer (Egov__Envelope *reply, Egov__Queue__Entry *entry, const egov_error_t *refusal)
{
    Egov__Queue__EnqueueResponse response = EGOV__QUEUE__ENQUEUE_RESPONSE__INIT;
    if (entry) {
        response.status = entry->state == EGOV__QUEUE__ENTRY__STATE__REFERRED
                        ? EGOV__QUEUE__ENQUEUE_RESPONSE__STATUS__REFERRED
                        : EGOV__QUEUE__ENQUEUE_RESPONSE__STATUS__QUEUED;
        response.entry = entry;
    }
    else {
        response.status = EGOV__QUEUE__ENQUEUE_RESPONSE__STATUS__REFUSED;
        response.refusal_code = (char *) refusal->code;
        response.refusal_reason = (char *) refusal->message;
    }
    egov_envelope_set_payload (reply, &response.base);
}

//  Runs unit on the database, once more on a fresh connection when the
//  first try failed because the connection broke (PostgreSQL restarted).
#define s_WITH_DATABASE(self, conn, outcome, unit) \
    for (int attempt_ = 0; attempt_ < 2; attempt_++) { \
        PGconn *conn = shep_participant_db ((self)->engine); \
        if (!conn) { outcome = S_FAILED; break; } \
        outcome = (unit); \
        if (outcome != S_FAILED || PQstatus (conn) == CONNECTION_OK) break; \
    }

//  Judges and stores a pending enqueue once the registry answered, and
//  answers its caller.
static void
s_enqueue_judged (s_pending_t *pending, const char *birth_date, bool has_certificate)
{
    queue_server_t *self = pending->server;
    char today [11], reason [256];
    queue_rules_today (today);
    egov_error_t refusal = { { 0 } };
    Egov__Queue__Entry *entry = NULL;
    const char *code = queue_rules_judge (birth_date, has_certificate, pending->desired_date, today,
                                          reason, sizeof (reason));
    s_outcome_t outcome = S_REFUSED;
    if (code)
        egov_error_set (&refusal, code, "%s", reason);
    else {
        s_WITH_DATABASE (self, conn, outcome,
            s_enqueue_store (conn, pending->sender, pending->child_iin, birth_date, pending->queue,
                             pending->desired_date, pending->application, &entry, &refusal));
    }
    if (outcome == S_FAILED)
        egov_envelope_set_error (pending->reply, "REGISTER_UNAVAILABLE",
                                 "the queue register cannot use its database");
    else
        s_set_enqueue_answer (pending->reply, entry, &refusal);
    if (self->verbose)
        zsys_info ("queue: enqueue %s in %s from %s: %s %s", pending->child_iin, pending->queue,
                   pending->sender, outcome == S_FAILED ? "REGISTER_UNAVAILABLE"
                   : entry ? (*entry->referral ? entry->referral : "queued") : refusal.code,
                   entry ? "" : refusal.message);
    if (entry)
        egov__queue__entry__free_unpacked (entry, NULL);
}

//  Answers the caller of a pending enqueue and forgets it.
static void
s_pending_finish (s_pending_t *pending)
{
    queue_server_t *self = pending->server;
    shep_participant_reply (self->engine, pending->message_id, pending->reply);
    egov__envelope__free_unpacked (pending->reply, NULL);
    zlistx_delete (self->pending, pending->handle);
    free (pending);
}

//  The registry of individuals answered (a shep_participant_reply_fn).
static void
s_on_person (void *argument, const Egov__Envelope *reply, const egov_error_t *error)
{
    s_pending_t *pending = (s_pending_t *) argument;
    Egov__Registries__PersonResponse *response = NULL;
    if (!reply)
    {
        char message [320];
        snprintf (message, sizeof (message), "the registry of individuals did not answer: %s %.200s",
                  error->code, error->message);
        egov_envelope_set_error (pending->reply, "REGISTRY_UNAVAILABLE", message);
    }
    else
    if (reply->error)
        egov_envelope_set_error (pending->reply,
                                 streq (reply->error->code, "INVALID_IIN") ? "INVALID_IIN"
                                                                          : "REGISTRY_UNAVAILABLE",
                                 reply->error->message);
    else
    if (!(response = (Egov__Registries__PersonResponse *)
              egov_envelope_payload (reply, &egov__registries__person_response__descriptor)))
        egov_envelope_set_error (pending->reply, "REGISTRY_UNAVAILABLE",
                                 "the registry of individuals answered something else");
    else
    if (response->status != EGOV__REGISTRIES__PERSON_RESPONSE__STATUS__FOUND || !response->person) {
        egov_error_t refusal;
        egov_error_set (&refusal, "CHILD_NOT_FOUND",
                        "the registry of individuals has nobody with IIN %s", pending->child_iin);
        s_set_enqueue_answer (pending->reply, NULL, &refusal);
    }
    else {
        const Egov__Registries__Person *person = response->person;
        bool certified = person->birth_certificate
                      && streq (person->birth_certificate->child_iin, pending->child_iin);
        s_enqueue_judged (pending, person->birth_date, certified);
    }
    if (response)
        egov__registries__person_response__free_unpacked (response, NULL);
    s_pending_finish (pending);
}

//  queue.enqueue: checks the request, then asks the registry for the child
//  and answers later (deferred), or answers at once when it cannot ask.
static Egov__Envelope *
s_enqueue (queue_server_t *self, const Egov__Envelope *request, Egov__Envelope *reply,
           egov_error_t *refusal)
{
    Egov__Queue__EnqueueRequest *query = (Egov__Queue__EnqueueRequest *)
        egov_envelope_payload (request, &egov__queue__enqueue_request__descriptor);
    if (!query) {
        egov_error_set (refusal, "MALFORMED_PAYLOAD", "%s takes a decodable %s", QUEUE_SERVICE_ENQUEUE,
                        egov__queue__enqueue_request__descriptor.name);
        egov__envelope__free_unpacked (reply, NULL);
        return NULL;
    }
    egov_error_t error = { { 0 } };
    int year, month, day;
    if (!egov_iin_valid (query->child_iin, &error))
        egov_envelope_set_error (reply, "INVALID_IIN", error.message);
    else
    if (!queue_rules_code_valid (query->queue))
        egov_envelope_set_error (reply, "INVALID_REQUEST",
                                 "queue must be a queue code such as 430000000-D01");
    else
    if (strlen (query->desired_date) != 10
    ||  !egov_date_parse (query->desired_date, &year, &month, &day))
        egov_envelope_set_error (reply, "INVALID_REQUEST", "desired_date must be a date as YYYY-MM-DD");
    else
    if (strnlen (query->application, s_APPLICATION_MAX + 1) > s_APPLICATION_MAX)
        egov_envelope_set_error (reply, "INVALID_REQUEST", "application is longer than 128 bytes");
    else
    if (zlistx_size (self->pending) >= QUEUE_PENDING_MAX)
        egov_envelope_set_error (reply, "BUSY", "too many enqueues wait for the registry of individuals");
    else {
        s_pending_t *pending = calloc (1, sizeof (s_pending_t));
        assert (pending);
        pending->server = self;
        pending->reply = reply;
        snprintf (pending->message_id, sizeof (pending->message_id), "%s", request->message_id);
        snprintf (pending->sender, sizeof (pending->sender), "%s", request->sender_id);
        snprintf (pending->child_iin, sizeof (pending->child_iin), "%s", query->child_iin);
        snprintf (pending->queue, sizeof (pending->queue), "%s", query->queue);
        snprintf (pending->desired_date, sizeof (pending->desired_date), "%s", query->desired_date);
        snprintf (pending->application, sizeof (pending->application), "%s", query->application);
        Egov__Registries__PersonRequest person = EGOV__REGISTRIES__PERSON_REQUEST__INIT;
        person.iin = query->child_iin;
        Egov__Envelope *lookup = egov_envelope_new ("gbdfl.person", EGOV__MESSAGE_TYPE__REQUEST);
        egov_string_set (&lookup->correlation_id, request->correlation_id);
        egov_envelope_set_payload (lookup, &person.base);
        pending->handle = zlistx_add_end (self->pending, pending);
        uint64_t tag = shep_participant_call (self->engine, lookup, QUEUE_LOOKUP_TIMEOUT_MS,
                                              s_on_person, pending, &error);
        egov__envelope__free_unpacked (lookup, NULL);
        egov__queue__enqueue_request__free_unpacked (query, NULL);
        if (tag) {
            memset (refusal, 0, sizeof (*refusal));
            return NULL;        //  answered when the registry answers
        }
        zlistx_delete (self->pending, pending->handle);
        free (pending);
        egov_envelope_set_error (reply, "REGISTRY_UNAVAILABLE", error.message);
        return reply;
    }
    egov__queue__enqueue_request__free_unpacked (query, NULL);
    return reply;
}

//  queue.entry: the child's entries with their positions.
static Egov__Envelope *
s_entry (queue_server_t *self, const Egov__Envelope *request, Egov__Envelope *reply,
         egov_error_t *refusal)
{
    Egov__Queue__EntryRequest *query = (Egov__Queue__EntryRequest *)
        egov_envelope_payload (request, &egov__queue__entry_request__descriptor);
    if (!query) {
        egov_error_set (refusal, "MALFORMED_PAYLOAD", "%s takes a decodable %s", QUEUE_SERVICE_ENTRY,
                        egov__queue__entry_request__descriptor.name);
        egov__envelope__free_unpacked (reply, NULL);
        return NULL;
    }
    egov_error_t error = { { 0 } };
    PGconn *conn = shep_participant_db (self->engine);
    PGresult *result = NULL;
    if (!egov_iin_valid (query->child_iin, &error))
        egov_envelope_set_error (reply, "INVALID_IIN", error.message);
    else
    if (*query->queue && !queue_rules_code_valid (query->queue))
        egov_envelope_set_error (reply, "INVALID_REQUEST", "queue must be a queue code such as 430000000-D01");
    else
    if (!conn || !(result = s_sql (conn, s_ENTRY_SELECT "WHERE e.child_iin = $1"
                                   " AND ($2 = '' OR e.queue = $2) ORDER BY e.queue", 2,
                                   (const char *[]) { query->child_iin, query->queue },
                                   PGRES_TUPLES_OK, "reading a child's entries")))
        egov_envelope_set_error (reply, "REGISTER_UNAVAILABLE", "the queue register cannot read its database");
    else {
        Egov__Queue__EntryResponse response = EGOV__QUEUE__ENTRY_RESPONSE__INIT;
        const char *region = s_sender_region (request->sender_id);
        response.entries = calloc ((size_t) PQntuples (result) + 1, sizeof (Egov__Queue__Entry *));
        assert (response.entries);
        for (int row = 0; row < PQntuples (result); row++)
            //  A local executive body sees its own region's queues only
            if (!region || streq (region, PQgetvalue (result, row, 2)))
                response.entries [response.n_entries++] = s_entry_from_row (result, row);
        egov_envelope_set_payload (reply, &response.base);
        for (size_t index = 0; index < response.n_entries; index++)
            egov__queue__entry__free_unpacked (response.entries [index], NULL);
        free (response.entries);
    }
    PQclear (result);
    egov__queue__entry_request__free_unpacked (query, NULL);
    return reply;
}

//  queue.list: the queues, of one region or all.
static Egov__Envelope *
s_list (queue_server_t *self, const Egov__Envelope *request, Egov__Envelope *reply,
        egov_error_t *refusal)
{
    Egov__Queue__ListRequest *query = (Egov__Queue__ListRequest *)
        egov_envelope_payload (request, &egov__queue__list_request__descriptor);
    if (!query) {
        egov_error_set (refusal, "MALFORMED_PAYLOAD", "%s takes a decodable %s", QUEUE_SERVICE_LIST,
                        egov__queue__list_request__descriptor.name);
        egov__envelope__free_unpacked (reply, NULL);
        return NULL;
    }
    //  A local executive body reads its own region's queues only
    const char *own = s_sender_region (request->sender_id);
    const char *region = *query->region ? query->region : own ? own : "";
    PGconn *conn = shep_participant_db (self->engine);
    PGresult *result = NULL;
    if (*query->region && !egov_kato_valid (query->region))
        egov_envelope_set_error (reply, "INVALID_REQUEST", "region must be a 9-digit KATO code");
    else
    if (own && !streq (region, own))
        egov_envelope_set_error (reply, "WRONG_REGION", "a local executive body reads its own region's queues");
    else
    if (!conn || !(result = s_sql (conn, s_QUEUE_SELECT "WHERE $1 = '' OR q.region = $1 ORDER BY q.code",
                                   1, (const char *[]) { region }, PGRES_TUPLES_OK, "listing the queues")))
        egov_envelope_set_error (reply, "REGISTER_UNAVAILABLE", "the queue register cannot read its database");
    else {
        Egov__Queue__ListResponse response = EGOV__QUEUE__LIST_RESPONSE__INIT;
        response.queues = calloc ((size_t) PQntuples (result) + 1, sizeof (Egov__Queue__Queue *));
        assert (response.queues);
        for (int row = 0; row < PQntuples (result); row++)
            response.queues [response.n_queues++] = s_queue_from_row (result, row);
        egov_envelope_set_payload (reply, &response.base);
        for (size_t index = 0; index < response.n_queues; index++)
            egov__queue__queue__free_unpacked (response.queues [index], NULL);
        free (response.queues);
    }
    PQclear (result);
    egov__queue__list_request__free_unpacked (query, NULL);
    return reply;
}

//  queue.release: places become free, each a referral or a free place.
static Egov__Envelope *
s_release (queue_server_t *self, const Egov__Envelope *request, Egov__Envelope *reply,
           egov_error_t *refusal)
{
    Egov__Queue__ReleaseRequest *query = (Egov__Queue__ReleaseRequest *)
        egov_envelope_payload (request, &egov__queue__release_request__descriptor);
    if (!query) {
        egov_error_set (refusal, "MALFORMED_PAYLOAD", "%s takes a decodable %s", QUEUE_SERVICE_RELEASE,
                        egov__queue__release_request__descriptor.name);
        egov__envelope__free_unpacked (reply, NULL);
        return NULL;
    }
    uint32_t places = query->places ? query->places : 1;
    if (!queue_rules_code_valid (query->queue))
        egov_envelope_set_error (reply, "INVALID_REQUEST", "queue must be a queue code such as 430000000-D01");
    else
    if (places > QUEUE_RELEASE_MAX)
        egov_envelope_set_error (reply, "INVALID_REQUEST", "one release frees 1 to 100 places");
    else {
        Egov__Queue__ReleaseResponse *response = NULL;
        egov_error_t error = { { 0 } };
        s_outcome_t outcome = S_FAILED;
        s_WITH_DATABASE (self, conn, outcome,
                         s_release_store (self->engine, conn, query->queue, places, &response, &error));
        if (outcome == S_DONE) {
            egov_envelope_set_payload (reply, &response->base);
            egov__queue__release_response__free_unpacked (response, NULL);
            shep_participant_flush (self->engine);
        }
        else
        if (outcome == S_REFUSED)
            egov_envelope_set_error (reply, error.code, error.message);
        else
            egov_envelope_set_error (reply, "REGISTER_UNAVAILABLE",
                                     "the queue register cannot use its database");
        if (self->verbose)
            zsys_info ("queue: release %u in %s: %s", places, query->queue,
                       outcome == S_DONE ? "done" : outcome == S_REFUSED ? error.code
                                                                         : "REGISTER_UNAVAILABLE");
    }
    egov__queue__release_request__free_unpacked (query, NULL);
    return reply;
}

Egov__Envelope *
queue_server_answer (void *service, const Egov__Envelope *request, egov_error_t *refusal)
{
    queue_server_t *self = (queue_server_t *) service;
    assert (self && request && refusal);
    static const struct {
        const char *service;
        const ProtobufCMessageDescriptor *payload;
        Egov__Envelope *(*answer) (queue_server_t *, const Egov__Envelope *, Egov__Envelope *,
                                   egov_error_t *);
    } s_services [] = {
        { QUEUE_SERVICE_ENQUEUE, &egov__queue__enqueue_request__descriptor, s_enqueue },
        { QUEUE_SERVICE_ENTRY, &egov__queue__entry_request__descriptor, s_entry },
        { QUEUE_SERVICE_LIST, &egov__queue__list_request__descriptor, s_list },
        { QUEUE_SERVICE_RELEASE, &egov__queue__release_request__descriptor, s_release },
    };
    const char *service_id = request->service_id ? request->service_id : "";
    const char *sender = request->sender_id ? request->sender_id : "";
    for (size_t index = 0; index < sizeof (s_services) / sizeof (s_services [0]); index++) {
        if (!streq (service_id, s_services [index].service))
            continue;
        if (!s_sender_allowed (service_id, sender)) {
            egov_error_set (refusal, "UNEXPECTED_SENDER", "%s is not for %.64s", service_id, sender);
            return NULL;
        }
        const char *wanted = s_services [index].payload->name;
        if (!request->payload_type || !streq (request->payload_type, wanted)) {
            egov_error_set (refusal, "UNSUPPORTED_PAYLOAD", "%s takes %s, not '%.64s'", service_id,
                            wanted, request->payload_type ? request->payload_type : "");
            return NULL;
        }
        return s_services [index].answer (self, request, s_reply_new (request), refusal);
    }
    egov_error_set (refusal, "UNSUPPORTED_SERVICE", "the queue register does not answer '%.64s'",
                    service_id);
    return NULL;
}

//  ---------------------------------------------------------------------
//  The server

queue_server_t *
queue_server_new (shep_participant_t *engine)
{
    assert (engine);
    queue_server_t *self = calloc (1, sizeof (queue_server_t));
    assert (self);
    self->engine = engine;
    self->pending = zlistx_new ();
    assert (self->pending);
    shep_participant_on_request (engine, queue_server_answer);
    return self;
}

void
queue_server_destroy (queue_server_t **self_p)
{
    assert (self_p);
    queue_server_t *self = *self_p;
    if (self) {
        s_pending_t *pending = (s_pending_t *) zlistx_first (self->pending);
        while (pending) {
            shep_participant_forget (self->engine, pending);
            egov__envelope__free_unpacked (pending->reply, NULL);
            free (pending);
            pending = (s_pending_t *) zlistx_next (self->pending);
        }
        zlistx_destroy (&self->pending);
        free (self);
        *self_p = NULL;
    }
}

void
queue_server_set_verbose (queue_server_t *self, bool verbose)
{
    assert (self);
    self->verbose = verbose;
}

bool
queue_server_seed (queue_server_t *self)
{
    assert (self);
    PGconn *conn = shep_participant_db (self->engine);
    return conn && egov_db_exec_script (conn, queue_places_sql, "queue places");
}

//  ---------------------------------------------------------------------
//  Selftest

//  Enqueues in the test schema without the registry (test helper): the
//  number given, 0 for a refusal (its code in code), -1 on failure.
static long
s_test_enqueue (PGconn *conn, const char *sender, const char *child, const char *queue,
                const char *application, char *code, char *referral)
{
    Egov__Queue__Entry *entry = NULL;
    egov_error_t refusal = { { 0 } };
    s_outcome_t outcome = s_enqueue_store (conn, sender, child, "2022-05-01", queue, "2030-09-01",
                                           application, &entry, &refusal);
    snprintf (code, 48, "%s", refusal.code);
    if (referral)
        *referral = 0;
    if (outcome != S_DONE)
        return outcome == S_REFUSED ? 0 : -1;
    assert (entry && streq (entry->child_iin, child) && streq (entry->queue, queue));
    assert (streq (entry->birth_date, "2022-05-01") && streq (entry->desired_date, "2030-09-01"));
    assert ((entry->position == 0) == (entry->state == EGOV__QUEUE__ENTRY__STATE__REFERRED));
    if (referral)
        strcpy (referral, entry->referral);
    long number = (long) entry->number;
    egov__queue__entry__free_unpacked (entry, NULL);
    return number;
}

//  A child's position in queue (test helper); 0 when referred.
static uint32_t
s_test_position (PGconn *conn, const char *queue, long number)
{
    char text [24];
    snprintf (text, sizeof (text), "%ld", number);
    Egov__Queue__Entry *entry = s_entry_read (conn, queue, text);
    assert (entry);
    uint32_t position = entry->position;
    egov__queue__entry__free_unpacked (entry, NULL);
    return position;
}

//  The test's synthetic child IIN number index: valid, born 2022 (test helper).
static void
s_test_child (int index, char iin [13])
{
    for (int serial = index * 10; ; serial++) {
        snprintf (iin, 13, "2205015%04d", serial % 10000);
        for (int digit = 0; digit < 10; digit++) {
            iin [11] = (char) ('0' + digit);
            iin [12] = 0;
            if (egov_iin_valid (iin, NULL))
                return;
        }
    }
}

void
queue_server_test (bool verbose)
{
    if (verbose)
        printf (" * queue_server: ");
    //  Who may ask what, before any database
    assert (s_sender_allowed (QUEUE_SERVICE_ENQUEUE, "leb-430000000"));
    assert (s_sender_allowed (QUEUE_SERVICE_ENQUEUE, "egovctl"));
    assert (!s_sender_allowed (QUEUE_SERVICE_ENQUEUE, "portal"));
    assert (!s_sender_allowed (QUEUE_SERVICE_ENQUEUE, "leb-43"));
    assert (!s_sender_allowed (QUEUE_SERVICE_RELEASE, "leb-430000000"));
    assert (s_sender_allowed (QUEUE_SERVICE_RELEASE, "egovctl"));

    const char *conninfo = getenv ("EGOV_TEST_DB");
    if (!conninfo || !*conninfo) {
        printf (verbose ? "(database part skipped: EGOV_TEST_DB unset) OK\n"
                        : "queue_server: database part skipped: EGOV_TEST_DB unset\n");
        return;
    }
    PGconn *setup = egov_db_connect (conninfo, 5000);
    assert (setup);
    assert (egov_db_exec_script (setup,
        "DROP SCHEMA IF EXISTS queue_server_test CASCADE; CREATE SCHEMA queue_server_test;",
        "test schema"));
    char engine_db [600];
    snprintf (engine_db, sizeof (engine_db), "%s options='-c search_path=queue_server_test'", conninfo);
    const char *services [] = { QUEUE_SERVICE_ENQUEUE, NULL };
    shep_participant_config_t config = {
        .gateway = "tcp://127.0.0.1:9", .participant_id = "queue", .conninfo = engine_db,
        .schema_sql = queue_schema_sql, .services = services
    };
    egov_error_t error;
    shep_participant_t *engine = shep_participant_new (&config, NULL, &error);
    assert (engine);
    queue_server_t *server = queue_server_new (engine);
    assert (queue_server_seed (server));
    assert (queue_server_seed (server));
    PGconn *conn = shep_participant_db (engine);
    assert (conn);
    const char *queue = "430000000-D01";

    //  Numbers are consecutive per queue, from 1, whatever the other queues do
    char code [48], referral [64], child [13];
    for (int index = 0; index < 5; index++) {
        s_test_child (index, child);
        assert (s_test_enqueue (conn, "leb-430000000", child, queue, "", code, NULL) == index + 1);
        assert (s_test_position (conn, queue, index + 1) == (uint32_t) index + 1);
    }
    s_test_child (0, child);
    assert (s_test_enqueue (conn, "egovctl", child, "430000000-K001", "", code, NULL) == 1);
    //  The same child twice in one queue is refused; the same application again is not
    assert (s_test_enqueue (conn, "leb-430000000", child, queue, "", code, NULL) == 0);
    assert (streq (code, "ALREADY_QUEUED"));
    s_test_child (5, child);
    assert (s_test_enqueue (conn, "leb-430000000", child, queue, "app-6", code, NULL) == 6);
    assert (s_test_enqueue (conn, "leb-430000000", child, queue, "app-6", code, NULL) == 6);
    assert (s_test_enqueue (conn, "leb-430000000", child, queue, "app-7", code, NULL) == 0);
    assert (streq (code, "ALREADY_QUEUED"));
    //  Unknown queues and other regions' queues are refused
    assert (s_test_enqueue (conn, "egovctl", child, "430000000-Z99", "", code, NULL) == 0);
    assert (streq (code, "UNKNOWN_QUEUE"));
    assert (s_test_enqueue (conn, "leb-230000000", child, queue, "", code, NULL) == 0);
    assert (streq (code, "WRONG_REGION"));

    //  A released place is one referral, to the first waiting; positions move up
    Egov__Queue__ReleaseResponse *response = NULL;
    assert (s_release_store (engine, conn, queue, 1, &response, &error) == S_DONE);
    assert (response->n_referred == 1 && response->referred [0]->number == 1);
    assert (streq (response->referred [0]->referral, "430000000-D01-R000001"));
    assert (response->referred [0]->state == EGOV__QUEUE__ENTRY__STATE__REFERRED);
    assert (response->queue->waiting == 5 && response->queue->referrals == 1);
    assert (response->queue->free_places == 0 && response->queue->last_number == 6);
    egov__queue__release_response__free_unpacked (response, NULL);
    assert (s_test_position (conn, queue, 1) == 0);
    assert (s_test_position (conn, queue, 2) == 1);
    assert (s_test_position (conn, queue, 6) == 5);
    //  Entry 6 came from an application of leb-430000000: its referral is sent there
    assert (s_release_store (engine, conn, queue, 4, &response, &error) == S_DONE);
    assert (response->n_referred == 4 && response->referred [3]->number == 5);
    egov__queue__release_response__free_unpacked (response, NULL);
    PGresult *result = PQexec (conn, "SELECT count(*) FROM shep_outbox");
    assert (PQresultStatus (result) == PGRES_TUPLES_OK && streq (PQgetvalue (result, 0, 0), "0"));
    PQclear (result);
    assert (s_release_store (engine, conn, queue, 3, &response, &error) == S_DONE);
    assert (response->n_referred == 1 && response->referred [0]->number == 6);
    assert (response->queue->waiting == 0 && response->queue->free_places == 2);
    egov__queue__release_response__free_unpacked (response, NULL);
    result = PQexec (conn, "SELECT count(*) FROM shep_outbox");
    assert (PQresultStatus (result) == PGRES_TUPLES_OK && streq (PQgetvalue (result, 0, 0), "1"));
    PQclear (result);
    //  A free place refers the next child at once
    s_test_child (6, child);
    assert (s_test_enqueue (conn, "leb-430000000", child, queue, "", code, referral) == 7);
    assert (streq (referral, "430000000-D01-R000007"));
    assert (s_release_store (engine, conn, "430000000-Z99", 1, &response, &error) == S_REFUSED);
    assert (streq (error.code, "UNKNOWN_QUEUE") && response == NULL);

    //  Requests: not ours, from whom, and malformed
    egov_error_t refusal;
    Egov__Envelope *request = egov_envelope_new (QUEUE_SERVICE_RELEASE, EGOV__MESSAGE_TYPE__REQUEST);
    Egov__Queue__ReleaseRequest release = EGOV__QUEUE__RELEASE_REQUEST__INIT;
    release.queue = (char *) "430000000-D02";
    release.places = 101;
    egov_envelope_set_payload (request, &release.base);
    egov_string_set (&request->sender_id, "leb-430000000");
    assert (queue_server_answer (server, request, &refusal) == NULL);
    assert (streq (refusal.code, "UNEXPECTED_SENDER"));
    egov_string_set (&request->sender_id, "egovctl");
    Egov__Envelope *reply = queue_server_answer (server, request, &refusal);
    assert (reply && reply->error && streq (reply->error->code, "INVALID_REQUEST"));
    egov__envelope__free_unpacked (reply, NULL);
    egov_string_set (&request->payload_type, "egov.queue.ListRequest");
    assert (queue_server_answer (server, request, &refusal) == NULL);
    assert (streq (refusal.code, "UNSUPPORTED_PAYLOAD"));
    egov_string_set (&request->service_id, "queue.other");
    assert (queue_server_answer (server, request, &refusal) == NULL);
    assert (streq (refusal.code, "UNSUPPORTED_SERVICE"));
    egov__envelope__free_unpacked (request, NULL);
    //  An enqueue with a malformed IIN or date is answered at once
    request = egov_envelope_new (QUEUE_SERVICE_ENQUEUE, EGOV__MESSAGE_TYPE__REQUEST);
    egov_string_set (&request->sender_id, "egovctl");
    Egov__Queue__EnqueueRequest enqueue = EGOV__QUEUE__ENQUEUE_REQUEST__INIT;
    enqueue.child_iin = (char *) "2205015000";
    enqueue.queue = (char *) queue;
    enqueue.desired_date = (char *) "2030-09-01";
    egov_envelope_set_payload (request, &enqueue.base);
    reply = queue_server_answer (server, request, &refusal);
    assert (reply && reply->error && streq (reply->error->code, "INVALID_IIN"));
    egov__envelope__free_unpacked (reply, NULL);
    enqueue.child_iin = child;
    enqueue.desired_date = (char *) "2030-02-30";
    egov_envelope_set_payload (request, &enqueue.base);
    reply = queue_server_answer (server, request, &refusal);
    assert (reply && reply->error && streq (reply->error->code, "INVALID_REQUEST"));
    egov__envelope__free_unpacked (reply, NULL);
    //  ... and a good one waits for the registry, which is not there: unreachable
    enqueue.desired_date = (char *) "2030-09-01";
    egov_envelope_set_payload (request, &enqueue.base);
    reply = queue_server_answer (server, request, &refusal);
    assert (reply && reply->error && streq (reply->error->code, "REGISTRY_UNAVAILABLE"));
    egov__envelope__free_unpacked (reply, NULL);
    egov__envelope__free_unpacked (request, NULL);

    //  A database that went away is noticed, and used again once back
    shep_participant_db_cut (engine);
    conn = shep_participant_db (engine);
    s_outcome_t outcome = S_FAILED;
    for (int attempt = 0; attempt < 30 && outcome == S_FAILED; attempt++) {
        s_WITH_DATABASE (server, again, outcome,
                         s_release_store (engine, again, "430000000-D02", 1, &response, &error));
        if (outcome == S_FAILED)
            zclock_sleep (100);
    }
    assert (outcome == S_DONE && response->queue->free_places == 1);
    egov__queue__release_response__free_unpacked (response, NULL);

    queue_server_destroy (&server);
    queue_server_destroy (&server);
    shep_participant_destroy (&engine);
    assert (egov_db_exec_script (setup, "DROP SCHEMA queue_server_test CASCADE", "drop"));
    PQfinish (setup);
    if (verbose)
        printf ("OK\n");
}
