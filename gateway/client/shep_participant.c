/*  shep_participant — the participant runtime: gateway link, database
    link, outbox, inbox, dispatch and sync calls, on one zloop.
    See shep_participant.h for the model.                                */
#include "shep_participant.h"
#include "egov_db.h"
#include "egov_clock.h"
#include "egov_proto.h"
#include "applications.pb-c.h"

extern const char *shep_participant_schema_sql;

#define s_TICK_MS           100         //  the engine's timer
#define s_WINDOW            128         //  submissions in flight, by default
#define s_BATCH_MAX         64          //  deliveries committed together at most
#define s_BATCH             256         //  outbox rows read per flush
#define s_SUBMIT_WAIT_MS    5000        //  a receipt later than this: submit again
#define s_RETRY_MS          1000        //  after a transient refusal or failure
#define s_SWEEP_MS          1000        //  look at the outbox even when not told
#define s_DB_RETRY_MS       1000        //  between attempts to reach the database
#define s_ID_MAX            64          //  longest message id we keep
#define s_TAG_BASE          (1ULL << 40)    //  our tags, apart from shep_client's own

//  What to do with deliveries for one service id.
typedef struct {
    char *service_id;                           //  the key
    const ProtobufCMessageDescriptor *payload;  //  the payload's type, or NULL
    shep_participant_handler_fn *handler;       //  the service's action
    zlist_t *senders;                           //  who may send it: ids, or prefixes ending in *
} s_handler_t;

//  A submission waiting for its receipt.
typedef struct {
    uint64_t tag;                   //  matches the receipt
    int64_t seq;                    //  the outbox row
    char *recipient;                //  its order key
    Egov__Envelope *envelope;       //  what was sent (for the sent handler)
    int64_t sent_mono;              //  when
    Egov__DeliveryStatus status;    //  the gateway's answer, once it came
} s_flight_t;

//  An acknowledgement owed to the gateway once the burst's transaction
//  committed: applied (code NULL), or rejected with code and message.
typedef struct {
    char *message_id;
    char *code;
    char *message;
    bool repeated;                  //  decided before: said again, not counted again
} s_ack_t;

static s_ack_t *
s_ack_new (const char *message_id, const char *code, const char *message)
{
    s_ack_t *self = calloc (1, sizeof (s_ack_t));
    assert (self);
    self->message_id = strdup (message_id);
    self->code = code ? strdup (code) : NULL;
    self->message = code ? strdup (message ? message : "") : NULL;
    assert (self->message_id && (!code || (self->code && self->message)));
    return self;
}

static void
s_ack_destroy (s_ack_t **self_p)
{
    if (*self_p) {
        free ((*self_p)->message_id);
        free ((*self_p)->code);
        free ((*self_p)->message);
        free (*self_p);
        *self_p = NULL;
    }
}

//  A sync call waiting for its answer.
typedef struct {
    uint64_t tag;                   //  matches the answer
    int64_t deadline_mono;          //  then TIMEOUT (or the error below, at once)
    shep_participant_reply_fn *callback;
    void *argument;                 //  the caller's
} s_call_t;

struct _shep_participant_t {
    char *gateway;                  //  endpoint
    char *participant_id;           //  who we are
    char *conninfo;                 //  the service's database
    bool verbose;                   //  log every message
    int window;                     //  submissions in flight at most
    void *service;                  //  handed to every handler
    shep_client_t *client;          //  the gateway link
    PGconn *conn;                   //  the database link, NULL until it first works
    bool db_ok;                     //  last known state, for messages once per change
    int64_t db_retry_mono;          //  next attempt to reach the database
    zhashx_t *handlers;             //  service id -> s_handler_t
    shep_participant_sent_fn *on_sent;      //  after the gateway committed ours
    shep_participant_answer_fn *answer;     //  sync requests for us
    zlistx_t *flights;              //  s_flight_t, oldest first
    zlistx_t *calls;                //  s_call_t
    zlistx_t *receipted;            //  s_flight_t the gateway stored, to mark sent
    bool batch_open;                //  a transaction holds this burst's deliveries
    zlistx_t *batch_acks;           //  s_ack_t owed once that transaction commits
    uint64_t next_tag;              //  for submissions and calls
    bool flush_wanted;              //  something may wait in the outbox
    zhashx_t *paused;               //  recipient -> monotonic ms before which it waits
                                    //  (the gateway refused its last message for now)
    zhashx_t *sending;              //  recipient -> its submissions awaiting receipts
    zhashx_t *pending;              //  outbox seq -> 1 while submitted and not yet marked
    int64_t outbox_from;            //  the rows before this seq are pending or done
    int64_t swept_mono;             //  last look at the outbox
    char refused_code [64];         //  the last transient refusal logged
    uint64_t applied;               //  deliveries applied since start
    uint64_t rejected;              //  deliveries rejected since start
    zloop_t *loop;                  //  where we run, once attached
    int timer;                      //  our timer on loop
};

//  ---------------------------------------------------------------------
//  Small helpers

static void
s_handler_destroy (s_handler_t **self_p)
{
    if (*self_p) {
        free ((*self_p)->service_id);
        zlist_destroy (&(*self_p)->senders);
        free (*self_p);
        *self_p = NULL;
    }
}

//  True when handler takes deliveries from sender (the gateway stamped it).
static bool
s_sender_accepted (s_handler_t *handler, const char *sender)
{
    if (!sender)
        return false;
    for (const char *allowed = (const char *) zlist_first (handler->senders); allowed;
         allowed = (const char *) zlist_next (handler->senders)) {
        size_t length = strlen (allowed);
        if (length && allowed [length - 1] == '*' ? strncmp (sender, allowed, length - 1) == 0
                                                  : streq (sender, allowed))
            return true;
    }
    return false;
}

static void
s_flight_destroy (s_flight_t **self_p)
{
    if (*self_p) {
        free ((*self_p)->recipient);
        egov__envelope__free_unpacked ((*self_p)->envelope, NULL);
        free (*self_p);
        *self_p = NULL;
    }
}

static void
s_call_destroy (s_call_t **self_p)
{
    free (*self_p);
    *self_p = NULL;
}

//  True for a message id we can store and answer about.
static bool
s_id_ok (const char *id)
{
    if (!id || !*id || strlen (id) > s_ID_MAX)
        return false;
    for (const char *cursor = id; *cursor; cursor++)
        if (*cursor <= ' ' || *cursor > '~')
            return false;
    return true;
}

//  Runs one statement without parameters; true when it did.
static bool
s_exec (PGconn *conn, const char *sql)
{
    PGresult *result = PQexec (conn, sql);
    bool ok = egov_db_check (result, PGRES_COMMAND_OK, sql);
    PQclear (result);
    return ok;
}

//  The outbox's order key of an envelope: its recipient, or its route.
static char *
s_recipient (const Egov__Envelope *envelope)
{
    char *key = envelope->recipient_id && *envelope->recipient_id
              ? strdup (envelope->recipient_id)
              : zsys_sprintf ("route:%s", envelope->route_id ? envelope->route_id : "");
    assert (key);
    return key;
}

//  ---------------------------------------------------------------------
//  The database link

PGconn *
shep_participant_db (shep_participant_t *self)
{
    assert (self);
    if (self->conn && PQstatus (self->conn) == CONNECTION_OK)
        return self->conn;
    int64_t now = zclock_mono ();
    if (now < self->db_retry_mono)
        return NULL;
    self->db_retry_mono = now + s_DB_RETRY_MS;
    if (self->conn)
        PQreset (self->conn);
    else
        self->conn = PQconnectdb (self->conninfo);
    bool ok = self->conn && PQstatus (self->conn) == CONNECTION_OK;
    if (ok != self->db_ok) {
        if (ok)
            zsys_info ("%s: the database is back", self->participant_id);
        else
            zsys_error ("%s: the database is unavailable: %s", self->participant_id,
                        self->conn ? PQerrorMessage (self->conn) : "no connection");
        self->db_ok = ok;
    }
    return ok ? self->conn : NULL;
}

//  Marks the database as failed after a statement did; the next use
//  re-establishes it when the connection broke.
static void
s_db_failed (shep_participant_t *self)
{
    if (self->conn && PQstatus (self->conn) != CONNECTION_OK && self->db_ok) {
        zsys_error ("%s: lost the database connection", self->participant_id);
        self->db_ok = false;
    }
}

//  ---------------------------------------------------------------------
//  The outbox

int
shep_participant_put (shep_participant_t *self, PGconn *conn, const Egov__Envelope *envelope,
                      uint32_t ttl_ms, char *message_id, egov_error_t *error)
{
    assert (self && conn && envelope);
    Egov__Envelope copy = *envelope;
    char *fresh = NULL;
    if (!copy.message_id || !*copy.message_id) {
        fresh = egov_uuid_new ();
        copy.message_id = fresh;
    }
    if (!copy.correlation_id)
        copy.correlation_id = "";
    size_t size = egov__envelope__get_packed_size (&copy);
    uint8_t *packed = malloc (size ? size : 1);
    assert (packed);
    egov__envelope__pack (&copy, packed);
    char *recipient = s_recipient (&copy);
    char ttl [16];
    snprintf (ttl, sizeof (ttl), "%u", ttl_ms);
    const char *values [] = { self->participant_id, copy.message_id, recipient, copy.service_id,
                              copy.correlation_id, (const char *) packed, ttl };
    int lengths [] = { 0, 0, 0, 0, 0, (int) size, 0 };
    int formats [] = { 0, 0, 0, 0, 0, 1, 0 };
    PGresult *result = egov_db_params (conn,
        "INSERT INTO shep_outbox (sender, message_id, recipient, service_id, correlation_id,"
        " envelope, ttl_ms) VALUES ($1, $2, $3, $4, $5, $6, $7::bigint)",
        7, NULL, values, lengths, formats, 0);
    int rc = 0;
    if (!egov_db_check (result, PGRES_COMMAND_OK, "outbox insert")) {
        egov_error_set (error, "DB_UNAVAILABLE", "the outbox could not store the message: %s",
                        PQresultErrorMessage (result));
        rc = -1;
    }
    else
    if (message_id)
        snprintf (message_id, 37, "%s", copy.message_id);
    PQclear (result);
    free (recipient);
    free (packed);
    free (fresh);
    return rc;
}

int
shep_participant_put_message (shep_participant_t *self, PGconn *conn,
                              const char *service_id, Egov__MessageType type,
                              const char *correlation_id, const char *recipient_id,
                              const char *route_id, const ProtobufCMessage *payload,
                              char *message_id, egov_error_t *error)
{
    Egov__Envelope *envelope = egov_envelope_new (service_id, type);
    if (correlation_id)
        egov_string_set (&envelope->correlation_id, correlation_id);
    if (recipient_id)
        egov_string_set (&envelope->recipient_id, recipient_id);
    if (route_id)
        egov_string_set (&envelope->route_id, route_id);
    if (payload)
        egov_envelope_set_payload (envelope, payload);
    int rc = shep_participant_put (self, conn, envelope, 0, message_id, error);
    egov__envelope__free_unpacked (envelope, NULL);
    return rc;
}

//  The outbox key of a row: its seq in text.
static const char *
s_seq_key (int64_t seq, char *key, size_t size)
{
    snprintf (key, size, "%" PRId64, seq);
    return key;
}

//  Submissions of recipient waiting for their receipts.
static size_t
s_sending (shep_participant_t *self, const char *recipient)
{
    return (size_t) (uintptr_t) zhashx_lookup (self->sending, recipient);
}

static void
s_sending_add (shep_participant_t *self, const char *recipient, int delta)
{
    size_t count = s_sending (self, recipient) + delta;
    if (count)
        zhashx_update (self->sending, recipient, (void *) (uintptr_t) count);
    else
        zhashx_delete (self->sending, recipient);
}

//  Reads the outbox again from seq on: a row there is owed again.
static void
s_rewind (shep_participant_t *self, int64_t seq)
{
    if (seq < self->outbox_from)
        self->outbox_from = seq;
    self->flush_wanted = true;
}

//  A submission done with: its row is no longer pending (marked, failed
//  for good, or owed again from s_rewind).
static void
s_flight_end (shep_participant_t *self, s_flight_t **flight_p)
{
    char key [24];
    zhashx_delete (self->pending, s_seq_key ((*flight_p)->seq, key, sizeof (key)));
    s_flight_destroy (flight_p);
}

//  Every submission in flight forgotten (the gateway went away, or its
//  answers did not come): the outbox says again what is owed.
static void
s_flights_drop (shep_participant_t *self, bool late_only)
{
    int64_t now = zclock_mono ();
    s_flight_t *flight = (s_flight_t *) zlistx_first (self->flights);
    while (flight) {
        if (!late_only || now - flight->sent_mono > s_SUBMIT_WAIT_MS) {
            s_flight_t *gone = (s_flight_t *) zlistx_detach_cur (self->flights);
            s_sending_add (self, gone->recipient, -1);
            //  Its later ones may still come back: the recipient waits for them
            if (!zhashx_lookup (self->paused, gone->recipient)) {
                int64_t *until = (int64_t *) malloc (sizeof (int64_t));
                assert (until);
                *until = now;
                zhashx_insert (self->paused, gone->recipient, until);
            }
            s_rewind (self, gone->seq);
            s_flight_end (self, &gone);
        }
        flight = (s_flight_t *) zlistx_next (self->flights);
    }
}

//  Ends the waits that are over: a recipient past its pause, whose
//  submissions from before the refusal have all come back, takes messages
//  again. Its rows were passed over: the outbox is read again from the start.
static void
s_end_waits (shep_participant_t *self)
{
    if (zhashx_size (self->paused) == 0)
        return;                     //  the usual case: nobody waits
    int64_t now = zclock_mono ();
    zlistx_t *keys = zhashx_keys (self->paused);
    for (const char *key = (const char *) zlistx_first (keys); key; key = (const char *) zlistx_next (keys)) {
        int64_t *until = (int64_t *) zhashx_lookup (self->paused, key);
        if (now >= *until && s_sending (self, key) == 0) {
            zhashx_delete (self->paused, key);
            s_rewind (self, 0);
        }
    }
    zlistx_destroy (&keys);
}

//  The recipients waiting now, as a PostgreSQL text array ("{}" when none).
static char *
s_waiting_array (shep_participant_t *self)
{
    size_t size = 3;
    for (void *item = zhashx_first (self->paused); item; item = zhashx_next (self->paused))
        size += 2 * strlen ((const char *) zhashx_cursor (self->paused)) + 3;
    char *array = (char *) malloc (size);
    assert (array);
    size_t used = 0;
    array [used++] = '{';
    for (void *item = zhashx_first (self->paused); item; item = zhashx_next (self->paused)) {
        const char *key = (const char *) zhashx_cursor (self->paused);
        if (used > 1)
            array [used++] = ',';
        array [used++] = '"';
        for (const char *cursor = key; *cursor; cursor++) {
            if (*cursor == '"' || *cursor == '\\')
                array [used++] = '\\';
            array [used++] = *cursor;
        }
        array [used++] = '"';
    }
    array [used++] = '}';
    array [used] = 0;
    return array;
}

//  Records that the gateway refused a message for good: it stays in the
//  outbox, out of the way of the recipient's next messages, for people to see.
static void
s_mark_failed (shep_participant_t *self, PGconn *conn, int64_t seq, const char *code,
               const char *message)
{
    char key [24];
    s_seq_key (seq, key, sizeof (key));
    zsys_error ("%s: the gateway refuses outbox message %s for good: %s %s",
                self->participant_id, key, code, message);
    const char *values [] = { key, code, message };
    PGresult *result = egov_db_params (conn,
        "UPDATE shep_outbox SET failed_code = $2, failed_message = $3 WHERE seq = $1::bigint",
        3, NULL, values, NULL, NULL, 0);
    if (!egov_db_check (result, PGRES_COMMAND_OK, "outbox failed")) {
        s_db_failed (self);
        s_rewind (self, seq);
    }
    PQclear (result);
}

//  A big-endian integer of a binary result.
static int64_t
s_int8 (const PGresult *result, int row, int column)
{
    const unsigned char *bytes = (const unsigned char *) PQgetvalue (result, row, column);
    uint64_t value = 0;
    for (int index = 0; index < 8; index++)
        value = value << 8 | bytes [index];
    return (int64_t) value;
}

void
shep_participant_flush (shep_participant_t *self)
{
    assert (self);
    self->flush_wanted = true;
    if (!shep_client_connected (self->client) || (int) zlistx_size (self->flights) >= self->window)
        return;
    PGconn *conn = shep_participant_db (self);
    if (!conn)
        return;
    self->flush_wanted = false;
    self->swept_mono = zclock_mono ();
    //  The rows the window has room for, and those submitted since the
    //  last rewind (read again, passed over): not the waiting recipients'
    s_end_waits (self);
    char limit [16], from [24];
    size_t room = (size_t) self->window - zlistx_size (self->flights) + zhashx_size (self->pending);
    size_t limit_rows = room < s_BATCH ? room : s_BATCH;
    snprintf (limit, sizeof (limit), "%zu", limit_rows);
    char *waiting = s_waiting_array (self);
    int64_t started_from = self->outbox_from;
    s_seq_key (self->outbox_from, from, sizeof (from));
    const char *values [] = { self->participant_id, limit, from, waiting };
    PGresult *result = egov_db_params (conn,
        "SELECT seq, recipient, envelope, ttl_ms FROM shep_outbox WHERE sender = $1"
        " AND sent_at IS NULL AND failed_code IS NULL AND seq >= $3::bigint"
        " AND recipient <> ALL ($4::text []) ORDER BY seq LIMIT $2::integer",
        4, NULL, values, NULL, NULL, 1);
    free (waiting);
    if (!egov_db_check (result, PGRES_TUPLES_OK, "outbox read")) {
        PQclear (result);
        s_db_failed (self);
        self->flush_wanted = true;
        return;
    }
    //  Each recipient's messages in the order stored, from its earliest
    //  unsent one on, while it may take more: once one of them waits, so do
    //  its later ones in this pass
    zhashx_t *stopped = zhashx_new ();
    int64_t left = -1;              //  the first row this pass leaves for later
    int rows = PQntuples (result);
    for (int row = 0; row < rows; row++) {
        int64_t seq = s_int8 (result, row, 0);
        char key [24];
        if (zhashx_lookup (self->pending, s_seq_key (seq, key, sizeof (key))))
            continue;               //  submitted, its receipt on the way
        const char *recipient = PQgetvalue (result, row, 1);
        if (zhashx_lookup (stopped, recipient) || zhashx_lookup (self->paused, recipient)
        ||  (int) zlistx_size (self->flights) >= self->window) {
            zhashx_update (stopped, recipient, (void *) 1);
            if (left < 0)
                left = seq;
            self->flush_wanted = true;      //  look again on the next tick
            continue;
        }
        Egov__Envelope *envelope = egov__envelope__unpack (NULL, PQgetlength (result, row, 2),
                                        (const uint8_t *) PQgetvalue (result, row, 2));
        if (!envelope) {
            s_mark_failed (self, conn, seq, "OUTBOX_CORRUPT", "the stored envelope does not unpack");
            continue;
        }
        uint64_t tag = self->next_tag++;
        uint32_t ttl = (uint32_t) s_int8 (result, row, 3);
        if (shep_client_send_submit (self->client, envelope, ttl, tag, true)) {
            s_mark_failed (self, conn, seq, "MESSAGE_TOO_LARGE",
                           "the message does not fit the gateway's limit");
            egov__envelope__free_unpacked (envelope, NULL);
            continue;
        }
        s_flight_t *flight = (s_flight_t *) zmalloc (sizeof (s_flight_t));
        assert (flight);
        flight->tag = tag;
        flight->seq = seq;
        flight->recipient = strdup (recipient);
        flight->envelope = envelope;
        flight->sent_mono = zclock_mono ();
        zlistx_add_end (self->flights, flight);
        zhashx_insert (self->pending, key, (void *) 1);
        s_sending_add (self, recipient, 1);
    }
    if ((size_t) rows == limit_rows)
        self->flush_wanted = true;          //  there may be more behind these
    //  On from where this pass stopped, unless something sent it back meanwhile
    //  (a wait that ended, a refusal)
    if (self->outbox_from < started_from)
        self->flush_wanted = true;
    else
    if (left >= 0)
        self->outbox_from = left;
    else
    if (rows > 0)
        self->outbox_from = s_int8 (result, rows - 1, 0) + 1;
    zhashx_destroy (&stopped);
    PQclear (result);
}

//  The submission waiting under tag, taken off the list; NULL when none.
static s_flight_t *
s_flight_take (shep_participant_t *self, uint64_t tag)
{
    for (s_flight_t *flight = (s_flight_t *) zlistx_first (self->flights); flight;
         flight = (s_flight_t *) zlistx_next (self->flights))
        if (flight->tag == tag) {
            zlistx_detach_cur (self->flights);
            s_sending_add (self, flight->recipient, -1);
            return flight;
        }
    return NULL;
}

//  Refusals that will never change for the same message.
static bool
s_permanent (const char *code)
{
    return streq (code, "MALFORMED_ENVELOPE") || streq (code, "MESSAGE_TOO_LARGE")
        || streq (code, "DUPLICATE_MESSAGE_ID") || streq (code, "MALFORMED_FRAME");
}

//  A submission failed for now: its recipient waits a little, the others
//  go on; then it goes again under the same message id.
static void
s_flight_retry (shep_participant_t *self, s_flight_t *flight, const char *code, const char *message)
{
    if (!streq (self->refused_code, code))
        zsys_warning ("%s: the gateway did not take %s (%s) for %s: %s %s; trying again",
                      self->participant_id, flight->envelope->message_id,
                      flight->envelope->service_id, flight->recipient, code, message);
    snprintf (self->refused_code, sizeof (self->refused_code), "%s", code);
    int64_t *until = (int64_t *) malloc (sizeof (int64_t));
    assert (until);
    *until = zclock_mono () + s_RETRY_MS;
    zhashx_update (self->paused, flight->recipient, until);
    s_rewind (self, flight->seq);
}

//  The gateway's answer to one of our submissions.
static void
s_on_receipt (shep_participant_t *self, const Egov__Shep__Frame *frame)
{
    s_flight_t *flight = s_flight_take (self, frame->tag);
    if (!flight)
        return;                     //  answered after we gave up on it: sent again already
    const Egov__Shep__AsyncReceipt *receipt = frame->async_receipt;
    if (receipt->error) {
        const char *code = receipt->error->code ? receipt->error->code : "";
        const char *message = receipt->error->message ? receipt->error->message : "";
        PGconn *conn = shep_participant_db (self);
        if (s_permanent (code) && conn)
            s_mark_failed (self, conn, flight->seq, code, message);
        else
            s_flight_retry (self, flight, code, message);
        s_flight_end (self, &flight);
        return;
    }
    *self->refused_code = 0;
    //  Marked sent with the others of this burst (s_receipts_settle); its
    //  row stays pending until then
    flight->status = receipt->status;
    zlistx_add_end (self->receipted, flight);
}

//  Marks the submissions the gateway stored in this burst as sent, in one
//  transaction that does not wait for its WAL flush, then tells the sent
//  handler of each. A mark lost in a crash costs nothing: the row is
//  submitted again and the gateway answers the same status, storing
//  nothing twice; so the only durable commits left on a message's way are
//  the ones that decide something.
static void
s_receipts_settle (shep_participant_t *self)
{
    size_t count = zlistx_size (self->receipted);
    if (count == 0)
        return;
    //  {seq,...} and {status,...} as PostgreSQL arrays
    size_t size = count * 48 + 8;
    char *seqs = malloc (size), *statuses = malloc (size);
    assert (seqs && statuses);
    size_t seqs_used = 0, statuses_used = 0;
    seqs [seqs_used++] = '{';
    statuses [statuses_used++] = '{';
    for (s_flight_t *flight = (s_flight_t *) zlistx_first (self->receipted); flight;
         flight = (s_flight_t *) zlistx_next (self->receipted)) {
        const char *comma = seqs_used > 1 ? "," : "";
        seqs_used += snprintf (seqs + seqs_used, size - seqs_used, "%s%" PRId64, comma, flight->seq);
        statuses_used += snprintf (statuses + statuses_used, size - statuses_used, "%s%s", comma,
                                   egov_delivery_status_name (flight->status));
    }
    snprintf (seqs + seqs_used, size - seqs_used, "}");
    snprintf (statuses + statuses_used, size - statuses_used, "}");
    PGconn *conn = shep_participant_db (self);
    const char *values [] = { seqs, statuses };
    bool marked = conn && s_exec (conn, "BEGIN") && s_exec (conn, "SET LOCAL synchronous_commit TO off");
    if (marked) {
        PGresult *result = egov_db_params (conn,
            "UPDATE shep_outbox o SET sent_at = now (), delivery_status = v.status"
            " FROM unnest ($1::bigint [], $2::text []) AS v (seq, status) WHERE o.seq = v.seq",
            2, NULL, values, NULL, NULL, 0);
        marked = egov_db_check (result, PGRES_COMMAND_OK, "outbox mark");
        PQclear (result);
        marked = marked && s_exec (conn, "COMMIT");
        if (!marked)
            s_exec (conn, "ROLLBACK");
    }
    free (seqs);
    free (statuses);
    if (!marked)
        //  Submitted again later: the gateway answers the same status, stores nothing twice
        s_db_failed (self);
    s_flight_t *flight;
    while ((flight = (s_flight_t *) zlistx_detach (self->receipted, NULL))) {
        if (!marked)
            s_rewind (self, flight->seq);
        if (self->verbose)
            zsys_info ("%s: %s %s to %s stored by the gateway (%s)", self->participant_id,
                       flight->envelope->service_id, flight->envelope->message_id, flight->recipient,
                       egov_delivery_status_name (flight->status));
        if (marked && self->on_sent)
            self->on_sent (self->service, flight->envelope, flight->status);
        s_flight_end (self, &flight);
    }
    self->flush_wanted = true;
}

//  ---------------------------------------------------------------------
//  The inbox

//  The decision already recorded for a message id: APPLIED, a reject code,
//  or "" when none; reject_message gets its message.
static bool
s_inbox_decision (PGconn *conn, const char *message_id, char *outcome, size_t outcome_size,
                  char *reject_message, size_t message_size)
{
    const char *values [] = { message_id };
    PGresult *result = egov_db_params (conn,
        "SELECT outcome, reject_message FROM shep_inbox WHERE message_id = $1",
        1, NULL, values, NULL, NULL, 0);
    bool ok = egov_db_check (result, PGRES_TUPLES_OK, "inbox read");
    *outcome = *reject_message = 0;
    if (ok && PQntuples (result) == 1) {
        snprintf (outcome, outcome_size, "%s", PQgetvalue (result, 0, 0));
        snprintf (reject_message, message_size, "%s", PQgetvalue (result, 0, 1));
    }
    PQclear (result);
    return ok;
}

//  Records a decision; in the caller's transaction when there is one.
//  1 when recorded now, 0 when one was there already, -1 on failure.
static int
s_inbox_record (shep_participant_t *self, PGconn *conn, const Egov__Envelope *envelope,
                const char *outcome, const char *reject_message)
{
    const char *values [] = { envelope->message_id, self->participant_id, envelope->service_id,
                              envelope->sender_id ? envelope->sender_id : "",
                              envelope->correlation_id ? envelope->correlation_id : "",
                              outcome, reject_message };
    PGresult *result = egov_db_params (conn,
        "INSERT INTO shep_inbox (message_id, recipient, service_id, sender_id, correlation_id,"
        " outcome, reject_message) VALUES ($1, $2, $3, $4, $5, $6, $7)"
        " ON CONFLICT (message_id) DO NOTHING", 7, NULL, values, NULL, NULL, 0);
    int rc = egov_db_check (result, PGRES_COMMAND_OK, "inbox insert")
           ? (streq (PQcmdTuples (result), "1") ? 1 : 0) : -1;
    PQclear (result);
    return rc;
}

//  A delivery's payload unpacked as the type its handler wants, its text
//  checked like every frame's (egov_proto); NULL when it is not that.
static ProtobufCMessage *
s_payload (const Egov__Envelope *envelope, const ProtobufCMessageDescriptor *descriptor)
{
    if (!envelope->payload_type || !streq (envelope->payload_type, descriptor->name))
        return NULL;
    ProtobufCMessage *payload = protobuf_c_message_unpack (descriptor, NULL, envelope->payload.len,
                                                           envelope->payload.data);
    char path [128];
    if (payload && egov_proto_check (payload, 0, path, sizeof (path)) != EGOV_PROTO_VALID) {
        protobuf_c_message_free_unpacked (payload, NULL);
        payload = NULL;
    }
    return payload;
}

//  A delivery decided before (our acknowledgement was lost, or it came
//  twice in a burst): acknowledged again with the same answer, once the
//  burst's transaction holds.
static void
s_repeat (shep_participant_t *self, PGconn *conn, const Egov__Envelope *envelope)
{
    char outcome [64], reject_message [512];
    if (!s_inbox_decision (conn, envelope->message_id, outcome, sizeof (outcome),
                           reject_message, sizeof (reject_message)) || !*outcome) {
        s_db_failed (self);
        return;                     //  delivered again; decided then
    }
    const char *code = streq (outcome, "APPLIED") ? NULL : outcome;
    if (self->batch_open) {
        s_ack_t *ack = s_ack_new (envelope->message_id, code, reject_message);
        ack->repeated = true;
        zlistx_add_end (self->batch_acks, ack);
    }
    else
        shep_client_ack (self->client, envelope->message_id, code, reject_message);
}

//  Rejects a delivery once and for all: the decision is kept, so a
//  redelivery gets the same answer without the handler running again.
static void
s_reject (shep_participant_t *self, PGconn *conn, const Egov__Envelope *envelope,
          const char *code, const char *message)
{
    int fresh = conn ? s_inbox_record (self, conn, envelope, code, message) : -1;
    if (fresh < 0)
        s_db_failed (self);
    if (fresh == 0) {
        //  Decided before (our acknowledgement was lost): the same answer
        s_repeat (self, conn, envelope);
        return;
    }
    zsys_warning ("%s: rejected %s (%s) from %s: %s %s", self->participant_id,
                  envelope->message_id, envelope->service_id,
                  envelope->sender_id ? envelope->sender_id : "?", code, message);
    if (self->batch_open)
        //  Its decision is in the burst's transaction: said once that commits
        zlistx_add_end (self->batch_acks, s_ack_new (envelope->message_id, code, message));
    else {
        shep_client_ack (self->client, envelope->message_id, code, message);
        self->rejected++;
    }
}

//  Commits the burst's deliveries, then acknowledges each (applied, or
//  rejected with its code). A commit that fails acknowledges nothing: the
//  gateway delivers them all again, and the inbox decides each once.
static void
s_batch_settle (shep_participant_t *self)
{
    if (!self->batch_open)
        return;
    self->batch_open = false;
    //  Only a transaction still whole commits: one the server aborted, or
    //  lost with a reset connection, would "commit" nothing
    PGconn *conn = self->conn;
    bool committed = conn && PQstatus (conn) == CONNECTION_OK
                  && PQtransactionStatus (conn) == PQTRANS_INTRANS && s_exec (conn, "COMMIT");
    if (!committed) {
        if (conn)
            s_exec (conn, "ROLLBACK");
        s_db_failed (self);
        zsys_error ("%s: %zu deliveries not applied; the gateway will deliver them again",
                    self->participant_id, zlistx_size (self->batch_acks));
    }
    s_ack_t *ack;
    while ((ack = (s_ack_t *) zlistx_detach (self->batch_acks, NULL))) {
        if (committed) {
            shep_client_ack (self->client, ack->message_id, ack->code, ack->message);
            if (!ack->repeated && ack->code)
                self->rejected++;
            else
            if (!ack->repeated)
                self->applied++;
        }
        s_ack_destroy (&ack);
    }
    shep_participant_flush (self);      //  the handlers may have stored messages
}

//  One delivery: checked, decided once, applied with its inbox row in the
//  burst's transaction, acknowledged once that commits.
static void
s_on_deliver (shep_participant_t *self, const Egov__Shep__Deliver *deliver)
{
    const Egov__Envelope *envelope = deliver->envelope;
    if (!envelope || !s_id_ok (envelope->message_id)) {
        zsys_warning ("%s: dropped a delivery without a usable message id", self->participant_id);
        return;
    }
    if (self->verbose)
        zsys_info ("%s: deliver %s (%s) attempt %u from %s", self->participant_id,
                   envelope->message_id, envelope->service_id, deliver->attempt,
                   envelope->sender_id);
    PGconn *conn = shep_participant_db (self);
    if (!conn)
        return;                     //  delivered again once the database is back
    s_handler_t *handler = (s_handler_t *) zhashx_lookup (self->handlers,
                                                          envelope->service_id ? envelope->service_id : "");
    if (!handler) {
        char message [160];
        snprintf (message, sizeof (message), "%s does not process %.80s", self->participant_id,
                  envelope->service_id ? envelope->service_id : "");
        s_reject (self, conn, envelope, "UNSUPPORTED_SERVICE", message);
        return;
    }
    if (!s_sender_accepted (handler, envelope->sender_id)) {
        char message [160];
        snprintf (message, sizeof (message), "%s takes %.80s only from the participants it expects",
                  self->participant_id, envelope->service_id);
        s_reject (self, conn, envelope, "UNEXPECTED_SENDER", message);
        return;
    }
    ProtobufCMessage *payload = handler->payload ? s_payload (envelope, handler->payload) : NULL;
    if (handler->payload && !payload) {
        char message [200];
        snprintf (message, sizeof (message), "%s wants a payload of type %s, with its text in UTF-8",
                  envelope->service_id, handler->payload->name);
        s_reject (self, conn, envelope, "MALFORMED_PAYLOAD", message);
        return;
    }
    shep_delivery_t delivery = { envelope, payload, deliver->attempt };
    egov_error_t reject;
    egov_error_set (&reject, "REJECTED", "the service cannot apply this message");
    shep_outcome_t decided = SHEP_RETRY;
    //  Each delivery of the burst in a savepoint of the burst's transaction:
    //  applied, or rolled back alone; one commit for them all (s_batch_settle).
    //  A savepoint is not released: the next one of the same name hides it,
    //  and the commit keeps what each applied
    if (self->batch_open && PQtransactionStatus (conn) != PQTRANS_INTRANS)
        s_batch_settle (self);          //  the burst's transaction is gone: none of it holds
    int fresh = -1;
    if ((self->batch_open || (self->batch_open = s_exec (conn, "BEGIN")))
    &&  s_exec (conn, "SAVEPOINT delivery")) {
        fresh = s_inbox_record (self, conn, envelope, "APPLIED", "");
        if (fresh == 1)
            decided = handler->handler (self->service, conn, &delivery, &reject);
        if (fresh == 1 && decided != SHEP_APPLIED
        &&  !s_exec (conn, "ROLLBACK TO SAVEPOINT delivery"))
            decided = SHEP_RETRY;
    }
    if (payload)
        protobuf_c_message_free_unpacked (payload, NULL);
    if (fresh == 0) {
        s_repeat (self, conn, envelope);    //  decided before: the same answer
        return;
    }
    if (decided == SHEP_REJECT)
        s_reject (self, conn, envelope, reject.code, reject.message);
    else
    if (decided == SHEP_APPLIED)
        zlistx_add_end (self->batch_acks, s_ack_new (envelope->message_id, NULL, NULL));
    else {
        s_db_failed (self);
        zsys_error ("%s: %s (%s) not applied; the gateway will deliver it again",
                    self->participant_id, envelope->message_id, envelope->service_id);
    }
    if (zlistx_size (self->batch_acks) >= s_BATCH_MAX)
        s_batch_settle (self);
}

shep_outcome_t
shep_participant_apply (shep_participant_t *self, const Egov__Envelope *envelope,
                        egov_error_t *reject)
{
    assert (self && envelope && reject);
    egov_error_set (reject, "", "%s", "");
    s_handler_t *handler = (s_handler_t *) zhashx_lookup (self->handlers,
                                                          envelope->service_id ? envelope->service_id : "");
    if (!handler) {
        egov_error_set (reject, "UNSUPPORTED_SERVICE", "no handler for %.80s",
                        envelope->service_id ? envelope->service_id : "");
        return SHEP_REJECT;
    }
    if (!s_sender_accepted (handler, envelope->sender_id)) {
        egov_error_set (reject, "UNEXPECTED_SENDER", "%.80s only from the participants expected",
                        envelope->service_id);
        return SHEP_REJECT;
    }
    ProtobufCMessage *payload = handler->payload ? s_payload (envelope, handler->payload) : NULL;
    if (handler->payload && !payload) {
        egov_error_set (reject, "MALFORMED_PAYLOAD", "%s wants a payload of type %s",
                        envelope->service_id, handler->payload->name);
        return SHEP_REJECT;
    }
    PGconn *conn = shep_participant_db (self);
    shep_outcome_t outcome = SHEP_RETRY;
    if (conn && s_exec (conn, "BEGIN")) {
        shep_delivery_t delivery = { envelope, payload, 1 };
        outcome = handler->handler (self->service, conn, &delivery, reject);
        if (outcome != SHEP_APPLIED || !s_exec (conn, "COMMIT")) {
            s_exec (conn, "ROLLBACK");
            if (outcome == SHEP_APPLIED)
                outcome = SHEP_RETRY;
        }
    }
    if (payload)
        protobuf_c_message_free_unpacked (payload, NULL);
    return outcome;
}

void
shep_participant_db_cut (shep_participant_t *self)
{
    PGconn *conn = shep_participant_db (self);
    assert (conn);
    char pid [16];
    snprintf (pid, sizeof (pid), "%d", PQbackendPID (conn));
    PGconn *admin = egov_db_connect (self->conninfo, 5000);
    assert (admin);
    const char *values [] = { pid };
    PGresult *result = egov_db_params (admin, "SELECT pg_terminate_backend ($1::int, 5000)",
                                     1, NULL, values, NULL, NULL, 0);
    assert (PQresultStatus (result) == PGRES_TUPLES_OK && *PQgetvalue (result, 0, 0) == 't');
    PQclear (result);
    PQfinish (admin);
}

//  ---------------------------------------------------------------------
//  Sync calls

uint64_t
shep_participant_call (shep_participant_t *self, Egov__Envelope *request, int timeout_ms,
                       shep_participant_reply_fn *callback, void *argument, egov_error_t *error)
{
    assert (self && request && callback && error);
    if (!request->message_id || !*request->message_id) {
        char *id = egov_uuid_new ();
        egov_string_set (&request->message_id, id);
        free (id);
    }
    if (!shep_client_connected (self->client)) {
        egov_error_set (error, "GATEWAY_UNREACHABLE", "the gateway is not connected");
        return 0;
    }
    uint64_t tag = self->next_tag++;
    if (shep_client_send_request (self->client, request, timeout_ms, tag)) {
        egov_error_set (error, "MESSAGE_TOO_LARGE", "the request does not fit the gateway's limit");
        return 0;
    }
    s_call_t *call = (s_call_t *) zmalloc (sizeof (s_call_t));
    assert (call);
    call->tag = tag;
    call->callback = callback;
    call->argument = argument;
    //  The gateway answers TIMEOUT itself; our margin covers a gateway gone
    call->deadline_mono = zclock_mono () + timeout_ms + 1000;
    zlistx_add_end (self->calls, call);
    return tag;
}

void
shep_participant_forget (shep_participant_t *self, void *argument)
{
    for (s_call_t *call = (s_call_t *) zlistx_first (self->calls); call;
         call = (s_call_t *) zlistx_next (self->calls))
        if (call->argument == argument)
            call->callback = NULL;
}

//  The call waiting under tag, taken off the list; NULL when none.
static s_call_t *
s_call_take (shep_participant_t *self, uint64_t tag)
{
    for (s_call_t *call = (s_call_t *) zlistx_first (self->calls); call;
         call = (s_call_t *) zlistx_next (self->calls))
        if (call->tag == tag) {
            zlistx_detach_cur (self->calls);
            return call;
        }
    return NULL;
}

//  Ends a call with reply or error.
static void
s_call_end (s_call_t *call, const Egov__Envelope *reply, const egov_error_t *error)
{
    if (call->callback)
        call->callback (call->argument, reply, error);
    s_call_destroy (&call);
}

//  The answer to one of our calls, or an error frame for it.
static bool
s_on_answer (shep_participant_t *self, const Egov__Shep__Frame *frame)
{
    s_call_t *call = s_call_take (self, frame->tag);
    if (!call)
        return false;
    egov_error_t error;
    if (frame->body_case == EGOV__SHEP__FRAME__BODY_SYNC_REPLY && frame->sync_reply->envelope)
        s_call_end (call, frame->sync_reply->envelope, NULL);
    else {
        if (frame->body_case == EGOV__SHEP__FRAME__BODY_ERROR && frame->error->error)
            egov_error_from_info (&error, frame->error->error);
        else
            egov_error_set (&error, "PROTOCOL_ERROR", "an unexpected answer to a sync request");
        s_call_end (call, NULL, &error);
    }
    return true;
}

//  Ends the calls past their deadline.
static void
s_calls_expire (shep_participant_t *self)
{
    int64_t now = zclock_mono ();
    s_call_t *call = (s_call_t *) zlistx_first (self->calls);
    while (call) {
        if (call->deadline_mono <= now) {
            zlistx_detach_cur (self->calls);
            egov_error_t error;
            egov_error_set (&error, "GATEWAY_UNREACHABLE", "the gateway did not answer in time");
            s_call_end (call, NULL, &error);
            call = (s_call_t *) zlistx_first (self->calls);
        }
        else
            call = (s_call_t *) zlistx_next (self->calls);
    }
}

//  ---------------------------------------------------------------------
//  Frames and the timer

//  A sync request for a service we provide.
static void
s_on_request (shep_participant_t *self, const Egov__Shep__Frame *frame)
{
    const Egov__Envelope *request = frame->sync_request->envelope;
    if (!request || !s_id_ok (request->message_id)) {
        zsys_warning ("%s: dropped a sync request without a message id", self->participant_id);
        return;
    }
    egov_error_t refusal;
    egov_error_set (&refusal, "UNSUPPORTED_SERVICE", "%s answers no sync requests",
                    self->participant_id);
    Egov__Envelope *reply = self->answer ? self->answer (self->service, request, &refusal) : NULL;
    if (reply) {
        shep_client_reply (self->client, request->message_id, reply);
        egov__envelope__free_unpacked (reply, NULL);
    }
    else
    if (*refusal.code)
        shep_client_refuse (self->client, request->message_id, refusal.code, refusal.message);
    //  else the service answers later, with shep_participant_reply
}

int
shep_participant_reply (shep_participant_t *self, const char *in_reply_to,
                        const Egov__Envelope *reply)
{
    assert (self && in_reply_to && reply);
    return shep_client_reply (self->client, in_reply_to, reply);
}

//  An error frame: for a submission, for a call, or about us.
static void
s_on_error (shep_participant_t *self, const Egov__Shep__Frame *frame)
{
    const Egov__ErrorInfo *info = frame->error->error;
    const char *code = info && info->code ? info->code : "?";
    const char *message = info && info->message ? info->message : "";
    s_flight_t *flight = frame->tag ? s_flight_take (self, frame->tag) : NULL;
    if (flight) {
        PGconn *conn = s_permanent (code) ? shep_participant_db (self) : NULL;
        if (conn)
            s_mark_failed (self, conn, flight->seq, code, message);
        else
            s_flight_retry (self, flight, code, message);
        s_flight_end (self, &flight);
        return;
    }
    if (frame->tag && s_on_answer (self, frame))
        return;
    if (!streq (code, "NOT_REGISTERED"))
        zsys_warning ("%s: gateway error %s: %s", self->participant_id, code, message);
}

//  Every frame there is, then the outbox.
static int
s_on_gateway (zloop_t *loop, zsock_t *socket, void *argument)
{
    (void) loop; (void) socket;
    shep_participant_t *self = (shep_participant_t *) argument;
    size_t handled = 0;
    Egov__Shep__Frame *frame;
    while ((frame = shep_client_recv (self->client, 0))) {
        //  Answers, requests and receipts run their own transactions: the
        //  deliveries before them are committed first
        if (frame->body_case != EGOV__SHEP__FRAME__BODY_DELIVER)
            s_batch_settle (self);
        switch (frame->body_case) {
            case EGOV__SHEP__FRAME__BODY_ASYNC_RECEIPT:
                s_on_receipt (self, frame);
                break;
            case EGOV__SHEP__FRAME__BODY_DELIVER:
                s_on_deliver (self, frame->deliver);
                break;
            case EGOV__SHEP__FRAME__BODY_SYNC_REPLY:
                s_on_answer (self, frame);
                break;
            case EGOV__SHEP__FRAME__BODY_SYNC_REQUEST:
                s_on_request (self, frame);
                break;
            case EGOV__SHEP__FRAME__BODY_ERROR:
                s_on_error (self, frame);
                break;
            default:
                break;
        }
        egov__shep__frame__free_unpacked (frame, NULL);
        //  A long burst must not cost us the gateway's heartbeat
        if (++handled % 256 == 0)
            shep_client_tick (self->client);
    }
    s_batch_settle (self);
    s_receipts_settle (self);
    if (self->flush_wanted)
        shep_participant_flush (self);
    return 0;
}

//  Heartbeats and hellos, receipts that never came, calls past their
//  deadline, and a look at the outbox now and then.
static int
s_on_tick (zloop_t *loop, int timer_id, void *argument)
{
    (void) timer_id;
    shep_participant_t *self = (shep_participant_t *) argument;
    bool was_connected = shep_client_connected (self->client);
    shep_client_tick (self->client);
    if (shep_client_pending (self->client))
        s_on_gateway (loop, NULL, self);
    int64_t now = zclock_mono ();
    if (!shep_client_connected (self->client)) {
        //  Away: what was in flight is submitted again after the next welcome
        if (was_connected)
            zsys_warning ("%s: the gateway is away", self->participant_id);
        s_flights_drop (self, false);
    }
    else
        s_flights_drop (self, true);
    s_calls_expire (self);
    if (now - self->swept_mono >= s_SWEEP_MS)
        //  The whole outbox now and then: a row committed late by another
        //  connection of the same sender has a seq below the ones read
        s_rewind (self, 0);
    if (self->flush_wanted)
        shep_participant_flush (self);
    return 0;
}

//  ---------------------------------------------------------------------
//  The class

shep_participant_t *
shep_participant_new (const shep_participant_config_t *config, void *service, egov_error_t *error)
{
    assert (config && config->gateway && config->participant_id && config->conninfo && error);
    PGconn *conn = egov_db_connect (config->conninfo, 30000);
    if (!conn) {
        egov_error_set (error, "DB_UNAVAILABLE", "cannot connect to the database");
        return NULL;
    }
    if (!egov_db_exec_script (conn, shep_participant_schema_sql, "participant schema")
    ||  (config->schema_sql && !egov_db_exec_script (conn, config->schema_sql, "service schema"))) {
        egov_error_set (error, "SCHEMA", "cannot apply the database schema");
        PQfinish (conn);
        return NULL;
    }
    shep_participant_t *self = (shep_participant_t *) zmalloc (sizeof (shep_participant_t));
    assert (self);
    self->gateway = strdup (config->gateway);
    self->participant_id = strdup (config->participant_id);
    self->conninfo = strdup (config->conninfo);
    self->verbose = config->verbose;
    self->window = config->window > 0 ? config->window : s_WINDOW;
    self->service = service;
    self->conn = conn;
    self->db_ok = true;
    self->handlers = zhashx_new ();
    zhashx_set_destructor (self->handlers, (zhashx_destructor_fn *) s_handler_destroy);
    self->flights = zlistx_new ();
    zlistx_set_destructor (self->flights, (zlistx_destructor_fn *) s_flight_destroy);
    self->calls = zlistx_new ();
    zlistx_set_destructor (self->calls, (zlistx_destructor_fn *) s_call_destroy);
    self->receipted = zlistx_new ();
    zlistx_set_destructor (self->receipted, (zlistx_destructor_fn *) s_flight_destroy);
    self->batch_acks = zlistx_new ();
    zlistx_set_destructor (self->batch_acks, (zlistx_destructor_fn *) s_ack_destroy);
    self->next_tag = s_TAG_BASE;
    self->flush_wanted = true;
    self->paused = zhashx_new ();
    zhashx_set_destructor (self->paused, (zhashx_destructor_fn *) zstr_free);
    self->sending = zhashx_new ();
    self->pending = zhashx_new ();
    self->client = shep_client_new (config->gateway, config->participant_id);
    if (config->keys && shep_client_use_keys (self->client, config->keys, error)) {
        shep_participant_destroy (&self);
        return NULL;
    }
    for (const char *const *route = config->routes; route && *route; route++)
        shep_client_serve_route (self->client, *route);
    for (const char *const *id = config->services; id && *id; id++)
        shep_client_provide (self->client, *id);
    shep_client_set_receive_async (self->client, config->receive_async);
    if (shep_client_open (self->client)) {
        egov_error_set (error, "GATEWAY_ENDPOINT", "malformed gateway endpoint '%s'", config->gateway);
        shep_participant_destroy (&self);
    }
    return self;
}

void
shep_participant_destroy (shep_participant_t **self_p)
{
    assert (self_p);
    shep_participant_t *self = *self_p;
    if (!self)
        return;
    if (self->loop) {
        zloop_reader_end (self->loop, shep_client_sock (self->client));
        zloop_timer_end (self->loop, self->timer);
    }
    shep_client_destroy (&self->client);
    zlistx_destroy (&self->flights);
    zlistx_destroy (&self->receipted);
    zlistx_destroy (&self->batch_acks);
    //  Calls still waiting hear that we are going
    s_call_t *call;
    while ((call = (s_call_t *) zlistx_detach (self->calls, NULL))) {
        egov_error_t error;
        egov_error_set (&error, "SHUTDOWN", "the participant is stopping");
        s_call_end (call, NULL, &error);
    }
    zlistx_destroy (&self->calls);
    zhashx_destroy (&self->handlers);
    zhashx_destroy (&self->paused);
    zhashx_destroy (&self->sending);
    zhashx_destroy (&self->pending);
    if (self->conn)
        PQfinish (self->conn);
    free (self->gateway);
    free (self->participant_id);
    free (self->conninfo);
    free (self);
    *self_p = NULL;
}

void
shep_participant_set_service (shep_participant_t *self, void *service)
{
    self->service = service;
}

void
shep_participant_attach (shep_participant_t *self, zloop_t *loop)
{
    assert (self && loop && !self->loop);
    self->loop = loop;
    zloop_reader (loop, shep_client_sock (self->client), s_on_gateway, self);
    self->timer = zloop_timer (loop, s_TICK_MS, 0, s_on_tick, self);
}

void
shep_participant_on (shep_participant_t *self, const char *service_id,
                     const ProtobufCMessageDescriptor *payload, shep_participant_handler_fn *handler)
{
    assert (self && service_id && handler);
    s_handler_t *entry = (s_handler_t *) zmalloc (sizeof (s_handler_t));
    assert (entry);
    entry->service_id = strdup (service_id);
    entry->payload = payload;
    entry->handler = handler;
    entry->senders = zlist_new ();
    zlist_autofree (entry->senders);
    zhashx_update (self->handlers, service_id, entry);
}

void
shep_participant_accept (shep_participant_t *self, const char *service_id, const char *sender)
{
    assert (self && service_id && sender);
    s_handler_t *handler = (s_handler_t *) zhashx_lookup (self->handlers, service_id);
    assert (handler);
    zlist_append (handler->senders, (void *) sender);
}

void
shep_participant_on_sent (shep_participant_t *self, shep_participant_sent_fn *handler)
{
    self->on_sent = handler;
}

void
shep_participant_on_request (shep_participant_t *self, shep_participant_answer_fn *answer)
{
    self->answer = answer;
}

bool
shep_participant_connected (shep_participant_t *self)
{
    return shep_client_connected (self->client);
}

shep_client_t *
shep_participant_client (shep_participant_t *self)
{
    return self->client;
}

const char *
shep_participant_id (shep_participant_t *self)
{
    return self->participant_id;
}

json_t *
shep_participant_health (shep_participant_t *self, bool *ok)
{
    assert (self);
    bool connected = shep_client_connected (self->client);
    PGconn *conn = shep_participant_db (self);
    json_t *outbox = json_object ();
    json_object_set_new (outbox, "in_flight", json_integer ((json_int_t) zlistx_size (self->flights)));
    if (conn) {
        const char *values [] = { self->participant_id };
        PGresult *result = egov_db_params (conn,
            "SELECT count (*) FILTER (WHERE sent_at IS NULL AND failed_code IS NULL),"
            "       count (*) FILTER (WHERE failed_code IS NOT NULL),"
            "       coalesce (extract (epoch FROM clock_timestamp () - min (created_at)"
            "                 FILTER (WHERE sent_at IS NULL AND failed_code IS NULL))::bigint, 0)"
            "  FROM shep_outbox WHERE sent_at IS NULL AND sender = $1", 1, NULL, values, NULL, NULL, 0);
        if (egov_db_check (result, PGRES_TUPLES_OK, "outbox health")) {
            json_object_set_new (outbox, "pending", json_integer (atoll (PQgetvalue (result, 0, 0))));
            json_object_set_new (outbox, "failed", json_integer (atoll (PQgetvalue (result, 0, 1))));
            json_object_set_new (outbox, "oldest_pending_s", json_integer (atoll (PQgetvalue (result, 0, 2))));
        }
        else {
            s_db_failed (self);
            conn = NULL;
        }
        PQclear (result);
    }
    if (ok)
        *ok = connected && conn;
    return json_pack ("{s:s, s:s, s:o, s:{s:I, s:I}}",
                      "gateway", connected ? "connected" : "away",
                      "database", conn ? "ok" : "unavailable", "outbox", outbox,
                      "inbox", "applied", (json_int_t) self->applied,
                      "rejected", (json_int_t) self->rejected);
}

//  ---------------------------------------------------------------------
//  Selftest: a ROUTER socket stands in for the gateway (the real one is
//  exercised by the integration tests), the database is real.

//  Next frame the stand-in receives (heartbeats skipped); identity kept.
static Egov__Shep__Frame *
s_test_recv (zsock_t *router, zframe_t **identity)
{
    zpoller_t *poller = zpoller_new (router, NULL);
    Egov__Shep__Frame *frame = NULL;
    while (!frame && zpoller_wait (poller, 2000)) {
        zmsg_t *message = zmsg_recv (router);
        assert (message && zmsg_size (message) == 2);
        zframe_destroy (identity);
        *identity = zmsg_pop (message);
        zframe_t *body = zmsg_pop (message);
        frame = egov__shep__frame__unpack (NULL, zframe_size (body), zframe_data (body));
        zframe_destroy (&body);
        zmsg_destroy (&message);
        assert (frame);
        if (frame->body_case == EGOV__SHEP__FRAME__BODY_HEARTBEAT) {
            egov__shep__frame__free_unpacked (frame, NULL);
            frame = NULL;
        }
    }
    zpoller_destroy (&poller);
    return frame;
}

//  The stand-in sends a frame to the participant.
static void
s_test_send (zsock_t *router, zframe_t *identity, Egov__Shep__Frame *frame)
{
    size_t size = egov__shep__frame__get_packed_size (frame);
    zframe_t *body = zframe_new (NULL, size);
    egov__shep__frame__pack (frame, zframe_data (body));
    zframe_t *to = zframe_dup (identity);
    zframe_send (&to, router, ZFRAME_MORE);
    zframe_send (&body, router, 0);
}

//  Lets the participant read what the stand-in sent.
static void
s_test_pump (shep_participant_t *self)
{
    zpoller_t *poller = zpoller_new (shep_client_sock (self->client), NULL);
    if (zpoller_wait (poller, 1000))
        s_on_gateway (NULL, NULL, self);
    zpoller_destroy (&poller);
}

//  A delivery of service_id with a StatusNotice payload (or text).
static void
s_test_deliver (zsock_t *router, zframe_t *identity, const char *message_id,
                const char *service_id, bool notice)
{
    Egov__Envelope *envelope = egov_envelope_new (service_id, EGOV__MESSAGE_TYPE__UPDATE);
    egov_string_set (&envelope->message_id, message_id);
    egov_string_set (&envelope->sender_id, "regional-750000000");
    egov_string_set (&envelope->correlation_id, "application-1");
    if (notice) {
        Egov__Applications__StatusNotice payload = EGOV__APPLICATIONS__STATUS_NOTICE__INIT;
        payload.application_id = "application-1";
        payload.status = EGOV__APPLICATIONS__STATUS__IN_PROGRESS;
        egov_envelope_set_payload (envelope, &payload.base);
    }
    else {
        egov_string_set (&envelope->payload_type, "text/plain");
        envelope->payload.data = (uint8_t *) strdup ("not a notice");
        envelope->payload.len = strlen ("not a notice");
    }
    Egov__Shep__Deliver deliver = EGOV__SHEP__DELIVER__INIT;
    deliver.envelope = envelope;
    deliver.attempt = 1;
    Egov__Shep__Frame frame = EGOV__SHEP__FRAME__INIT;
    frame.body_case = EGOV__SHEP__FRAME__BODY_DELIVER;
    frame.deliver = &deliver;
    s_test_send (router, identity, &frame);
    egov__envelope__free_unpacked (envelope, NULL);
}

//  The participant's acknowledgement: the reject code, or "" for applied.
static char *
s_test_ack (zsock_t *router, zframe_t **identity)
{
    Egov__Shep__Frame *frame = s_test_recv (router, identity);
    assert (frame && frame->body_case == EGOV__SHEP__FRAME__BODY_ACK);
    char *code = strdup (frame->ack->reject ? frame->ack->reject->code : "");
    egov__shep__frame__free_unpacked (frame, NULL);
    return code;
}

static int s_test_applied;          //  handler calls
static shep_participant_t *s_test_self; //  the engine under test
static int s_test_sent;             //  sent-handler calls

static shep_outcome_t
s_test_on_status (void *service, PGconn *conn, const shep_delivery_t *delivery, egov_error_t *reject)
{
    assert (service == (void *) &s_test_applied);
    const Egov__Applications__StatusNotice *notice =
        (const Egov__Applications__StatusNotice *) delivery->payload;
    assert (notice && streq (notice->application_id, "application-1"));
    s_test_applied++;
    if (notice->status != EGOV__APPLICATIONS__STATUS__IN_PROGRESS) {
        egov_error_set (reject, "UNKNOWN_STATUS", "no such status");
        return SHEP_REJECT;
    }
    //  The effect and a message caused by it, in the delivery's transaction
    egov_error_t error;
    return shep_participant_put_message (s_test_self, conn, "application.result", EGOV__MESSAGE_TYPE__RESPONSE,
                                         "application-1", "intake", NULL, NULL, NULL, &error) == 0
         ? SHEP_APPLIED : SHEP_RETRY;
}

static void
s_test_on_sent (void *service, const Egov__Envelope *envelope, Egov__DeliveryStatus status)
{
    (void) service; (void) status;
    assert (envelope && *envelope->message_id);
    s_test_sent++;
}

static void
s_test_on_reply (void *argument, const Egov__Envelope *reply, const egov_error_t *error)
{
    char *answer = (char *) argument;
    snprintf (answer, 64, "%s", reply ? reply->service_id : error->code);
}

//  The message id of the request s_test_defer deferred.
static char s_test_deferred [64];

//  Answers no request at once: keeps its message id (test helper).
static Egov__Envelope *
s_test_defer (void *service, const Egov__Envelope *request, egov_error_t *refusal)
{
    (void) service;
    snprintf (s_test_deferred, sizeof (s_test_deferred), "%s", request->message_id);
    memset (refusal, 0, sizeof (*refusal));
    return NULL;
}

//  Counts outbox rows matching a condition.
static int
s_test_count (PGconn *conn, const char *condition)
{
    char sql [256];
    snprintf (sql, sizeof (sql), "SELECT count (*) FROM shep_outbox WHERE %s", condition);
    PGresult *result = PQexec (conn, sql);
    assert (PQresultStatus (result) == PGRES_TUPLES_OK);
    int count = atoi (PQgetvalue (result, 0, 0));
    PQclear (result);
    return count;
}

void
shep_participant_test (bool verbose)
{
    if (verbose)
        printf (" * shep_participant: ");
    const char *base = getenv ("EGOV_TEST_DB");
    if (!base || !*base) {
        printf (verbose ? "(skipped: EGOV_TEST_DB unset) OK\n"
                        : "shep_participant: skipped: EGOV_TEST_DB unset\n");
        return;
    }
    PGconn *admin = egov_db_connect (base, 5000);
    assert (admin);
    assert (egov_db_exec_script (admin, "DROP SCHEMA IF EXISTS shep_participant_test CASCADE;"
                                        "CREATE SCHEMA shep_participant_test", "test schema"));
    PQfinish (admin);
    char conninfo [600];
    snprintf (conninfo, sizeof (conninfo), "%s options='-c search_path=shep_participant_test'", base);

    zsock_t *router = zsock_new (ZMQ_ROUTER);
    assert (router);
    int port = zsock_bind (router, "tcp://127.0.0.1:*");
    assert (port > 0);
    char endpoint [64];
    snprintf (endpoint, sizeof (endpoint), "tcp://127.0.0.1:%d", port);
    const char *routes [] = { "750000000", NULL };
    shep_participant_config_t config = {
        .gateway = endpoint, .participant_id = "participant-test", .conninfo = conninfo,
        .routes = routes, .receive_async = true, .window = 8
    };
    egov_error_t error;
    shep_participant_t *self = shep_participant_new (&config, &s_test_applied, &error);
    assert (self);
    s_test_self = self;
    shep_participant_on (self, "application.status", &egov__applications__status_notice__descriptor,
                         s_test_on_status);
    shep_participant_on (self, "application.other", NULL, s_test_on_status);
    shep_participant_accept (self, "application.status", "regional-*");
    shep_participant_on_sent (self, s_test_on_sent);

    //  Hello without waiting; nothing is submitted before the welcome
    zframe_t *identity = NULL;
    Egov__Shep__Frame *frame = s_test_recv (router, &identity);
    assert (frame && frame->body_case == EGOV__SHEP__FRAME__BODY_HELLO);
    assert (streq (frame->hello->participant_id, "participant-test") && frame->hello->receive_async);
    assert (frame->hello->n_routes == 1 && streq (frame->hello->routes [0], "750000000"));
    egov__shep__frame__free_unpacked (frame, NULL);
    assert (!shep_participant_connected (self));
    //  A sync call before the welcome cannot be sent: said at once, no callback
    char early [64] = "";
    Egov__Envelope *question = egov_envelope_new ("gbdfl.person", EGOV__MESSAGE_TYPE__REQUEST);
    assert (!shep_participant_call (self, question, 10, s_test_on_reply, early, &error));
    assert (streq (error.code, "GATEWAY_UNREACHABLE") && !*early);
    egov__envelope__free_unpacked (question, NULL);
    PGconn *conn = shep_participant_db (self);
    assert (conn);
    char first [37], second [37], third [37];
    assert (shep_participant_put_message (self, conn, "application.status", EGOV__MESSAGE_TYPE__UPDATE,
                                          "a", "leb-1", NULL, NULL, first, &error) == 0);
    assert (shep_participant_put_message (self, conn, "application.status", EGOV__MESSAGE_TYPE__UPDATE,
                                          "a", "leb-1", NULL, NULL, second, &error) == 0);
    assert (shep_participant_put_message (self, conn, "application.submit", EGOV__MESSAGE_TYPE__REQUEST,
                                          "b", NULL, "430000000", NULL, third, &error) == 0);
    shep_participant_flush (self);
    assert (zlistx_size (self->flights) == 0);
    Egov__Shep__Welcome welcome = EGOV__SHEP__WELCOME__INIT;
    welcome.heartbeat_ms = 1000;
    Egov__Shep__Frame reply = EGOV__SHEP__FRAME__INIT;
    reply.body_case = EGOV__SHEP__FRAME__BODY_WELCOME;
    reply.welcome = &welcome;
    s_test_send (router, identity, &reply);
    s_test_pump (self);
    assert (shep_participant_connected (self));

    //  Several in flight per recipient, each recipient's in the order stored,
    //  all submitted in_order
    uint64_t tags [3] = { 0 };
    int arrived [3] = { 0 };            //  first, second, third: when each came
    for (int index = 0; index < 3; index++) {
        frame = s_test_recv (router, &identity);
        assert (frame && frame->body_case == EGOV__SHEP__FRAME__BODY_ASYNC_SUBMIT);
        assert (frame->async_submit->in_order);
        const char *id = frame->async_submit->envelope->message_id;
        int which = streq (id, first) ? 0 : streq (id, second) ? 1 : 2;
        assert (which < 2 || streq (id, third));
        assert (!tags [which]);
        tags [which] = frame->tag;
        arrived [which] = index;
        egov__shep__frame__free_unpacked (frame, NULL);
    }
    assert (arrived [0] < arrived [1] && zlistx_size (self->flights) == 3);
    //  leb-1's first refused for now, so the gateway refuses its second too
    //  (OUT_OF_ORDER, an error frame); the route's is stored
    Egov__ErrorInfo busy = EGOV__ERROR_INFO__INIT;
    busy.code = "QUEUE_FULL";
    busy.message = "full";
    Egov__Shep__AsyncReceipt receipt = EGOV__SHEP__ASYNC_RECEIPT__INIT;
    receipt.error = &busy;
    reply.body_case = EGOV__SHEP__FRAME__BODY_ASYNC_RECEIPT;
    reply.async_receipt = &receipt;
    reply.tag = tags [0];
    s_test_send (router, identity, &reply);
    Egov__ErrorInfo out_of_order = EGOV__ERROR_INFO__INIT;
    out_of_order.code = "OUT_OF_ORDER";
    out_of_order.message = "an earlier one was not taken";
    Egov__Shep__Error refusal = EGOV__SHEP__ERROR__INIT;
    refusal.error = &out_of_order;
    Egov__Shep__Frame error_frame = EGOV__SHEP__FRAME__INIT;
    error_frame.body_case = EGOV__SHEP__FRAME__BODY_ERROR;
    error_frame.error = &refusal;
    error_frame.tag = tags [1];
    s_test_send (router, identity, &error_frame);
    receipt.error = NULL;
    receipt.status = EGOV__DELIVERY_STATUS__ON_DELIVERY;
    reply.tag = tags [2];
    s_test_send (router, identity, &reply);
    //  The answers may take more than one wake-up to arrive on a busy machine
    for (int round = 0; round < 10 && !(s_test_sent == 1 && zlistx_size (self->flights) == 0); round++)
        s_test_pump (self);
    assert (s_test_sent == 1 && s_test_count (conn, "sent_at IS NOT NULL") == 1);
    //  leb-1 waits out the pause, then gets its first and second again, in order
    shep_participant_flush (self);
    assert (zlistx_size (self->flights) == 0);
    for (int64_t *until = (int64_t *) zhashx_first (self->paused); until;
         until = (int64_t *) zhashx_next (self->paused))
        *until = 0;             //  the pause is over
    shep_participant_flush (self);
    assert (zlistx_size (self->flights) == 2);
    for (int index = 0; index < 2; index++) {
        frame = s_test_recv (router, &identity);
        assert (frame && frame->body_case == EGOV__SHEP__FRAME__BODY_ASYNC_SUBMIT);
        assert (streq (frame->async_submit->envelope->message_id, index ? second : first));
        reply.tag = frame->tag;
        s_test_send (router, identity, &reply);
        egov__shep__frame__free_unpacked (frame, NULL);
    }
    for (int round = 0; round < 10 && !(s_test_sent == 3 && s_test_count (conn, "sent_at IS NULL") == 0); round++)
        s_test_pump (self);
    assert (s_test_sent == 3 && s_test_count (conn, "sent_at IS NULL") == 0);

    //  A permanent refusal marks the message failed and out of the way
    char fourth [37];
    assert (shep_participant_put_message (self, conn, "application.status", EGOV__MESSAGE_TYPE__UPDATE,
                                          "c", "leb-1", NULL, NULL, fourth, &error) == 0);
    shep_participant_flush (self);
    frame = s_test_recv (router, &identity);
    assert (frame && streq (frame->async_submit->envelope->message_id, fourth));
    Egov__ErrorInfo bad = EGOV__ERROR_INFO__INIT;
    bad.code = "MALFORMED_ENVELOPE";
    bad.message = "no";
    receipt.error = &bad;
    reply.tag = frame->tag;
    s_test_send (router, identity, &reply);
    egov__shep__frame__free_unpacked (frame, NULL);
    s_test_pump (self);
    assert (s_test_count (conn, "failed_code = 'MALFORMED_ENVELOPE'") == 1);
    bool healthy = false;
    json_t *health = shep_participant_health (self, &healthy);
    assert (healthy && json_integer_value (json_object_get (json_object_get (health, "outbox"),
                                                            "failed")) == 1);
    json_decref (health);

    //  Deliveries: applied once with their effect, redelivery answered the
    //  same, poison rejected once, an unknown service rejected
    s_test_deliver (router, identity, "m-1", "application.status", true);
    s_test_pump (self);
    char *code = s_test_ack (router, &identity);
    assert (streq (code, "") && s_test_applied == 1);
    free (code);
    assert (s_test_count (conn, "service_id = 'application.result' AND sent_at IS NULL") == 1);
    frame = s_test_recv (router, &identity);        //  the result the effect stored
    assert (frame && frame->body_case == EGOV__SHEP__FRAME__BODY_ASYNC_SUBMIT);
    egov__shep__frame__free_unpacked (frame, NULL);
    s_test_deliver (router, identity, "m-1", "application.status", true);
    s_test_pump (self);
    code = s_test_ack (router, &identity);
    assert (streq (code, "") && s_test_applied == 1);
    free (code);
    s_test_deliver (router, identity, "m-2", "application.status", false);
    s_test_pump (self);
    code = s_test_ack (router, &identity);
    assert (streq (code, "MALFORMED_PAYLOAD"));
    free (code);
    s_test_deliver (router, identity, "m-2", "application.status", false);
    s_test_pump (self);
    code = s_test_ack (router, &identity);
    assert (streq (code, "MALFORMED_PAYLOAD") && s_test_applied == 1);
    free (code);
    //  A payload whose text is not UTF-8 is poison too, once
    {
        Egov__Envelope *envelope = egov_envelope_new ("application.status", EGOV__MESSAGE_TYPE__UPDATE);
        egov_string_set (&envelope->message_id, "m-4");
        egov_string_set (&envelope->sender_id, "regional-750000000");
        Egov__Applications__StatusNotice bad = EGOV__APPLICATIONS__STATUS_NOTICE__INIT;
        bad.application_id = "application-\xff";
        bad.status = EGOV__APPLICATIONS__STATUS__IN_PROGRESS;
        egov_envelope_set_payload (envelope, &bad.base);
        Egov__Shep__Deliver deliver = EGOV__SHEP__DELIVER__INIT;
        deliver.envelope = envelope;
        Egov__Shep__Frame poison = EGOV__SHEP__FRAME__INIT;
        poison.body_case = EGOV__SHEP__FRAME__BODY_DELIVER;
        poison.deliver = &deliver;
        s_test_send (router, identity, &poison);
        egov__envelope__free_unpacked (envelope, NULL);
        s_test_pump (self);
        code = s_test_ack (router, &identity);
        assert (streq (code, "MALFORMED_PAYLOAD") && s_test_applied == 1);
        free (code);
    }
    s_test_deliver (router, identity, "m-3", "application.unknown", true);
    s_test_pump (self);
    code = s_test_ack (router, &identity);
    assert (streq (code, "UNSUPPORTED_SERVICE"));
    free (code);
    //  A handler takes only the senders it names; one that names none, nobody
    s_test_deliver (router, identity, "m-5", "application.other", true);
    s_test_pump (self);
    code = s_test_ack (router, &identity);
    assert (streq (code, "UNEXPECTED_SENDER") && s_test_applied == 1);
    free (code);

    //  A sync call does not wait: the answer comes to the callback
    char answer [64] = "";
    Egov__Envelope *request = egov_envelope_new ("gbdfl.person", EGOV__MESSAGE_TYPE__REQUEST);
    uint64_t tag = shep_participant_call (self, request, 1000, s_test_on_reply, answer, &error);
    assert (tag);
    frame = s_test_recv (router, &identity);
    assert (frame && frame->body_case == EGOV__SHEP__FRAME__BODY_SYNC_REQUEST && frame->tag == tag);
    egov__shep__frame__free_unpacked (frame, NULL);
    assert (!*answer);
    Egov__Shep__SyncReply sync = EGOV__SHEP__SYNC_REPLY__INIT;
    sync.envelope = egov_envelope_new ("gbdfl.person.reply", EGOV__MESSAGE_TYPE__RESPONSE);
    reply.body_case = EGOV__SHEP__FRAME__BODY_SYNC_REPLY;
    reply.sync_reply = &sync;
    reply.tag = tag;
    s_test_send (router, identity, &reply);
    s_test_pump (self);
    assert (streq (answer, "gbdfl.person.reply"));
    egov__envelope__free_unpacked (sync.envelope, NULL);
    //  ... a call nobody answers ends with the gateway unreachable
    *answer = 0;
    assert (shep_participant_call (self, request, 10, s_test_on_reply, answer, &error));
    zclock_sleep (1100);
    s_calls_expire (self);
    assert (streq (answer, "GATEWAY_UNREACHABLE"));

    egov__envelope__free_unpacked (request, NULL);

    //  A provider may answer later: neither a reply nor a refusal goes back
    //  until it replies itself
    shep_participant_on_request (self, s_test_defer);
    Egov__Shep__SyncRequest asked = EGOV__SHEP__SYNC_REQUEST__INIT;
    asked.envelope = egov_envelope_new ("test.later", EGOV__MESSAGE_TYPE__REQUEST);
    Egov__Shep__Frame asking = EGOV__SHEP__FRAME__INIT;
    asking.body_case = EGOV__SHEP__FRAME__BODY_SYNC_REQUEST;
    asking.sync_request = &asked;
    s_test_send (router, identity, &asking);
    s_test_pump (self);
    assert (streq (s_test_deferred, asked.envelope->message_id));
    Egov__Envelope *later = egov_envelope_new ("test.later", EGOV__MESSAGE_TYPE__RESPONSE);
    assert (shep_participant_reply (self, s_test_deferred, later) == 0);
    frame = s_test_recv (router, &identity);
    //  (the request of the call nobody answered, above, is still there first)
    while (frame && frame->body_case == EGOV__SHEP__FRAME__BODY_SYNC_REQUEST) {
        egov__shep__frame__free_unpacked (frame, NULL);
        frame = s_test_recv (router, &identity);
    }
    assert (frame && frame->body_case == EGOV__SHEP__FRAME__BODY_SYNC_REPLY);
    assert (streq (frame->sync_reply->in_reply_to, asked.envelope->message_id));
    egov__shep__frame__free_unpacked (frame, NULL);
    egov__envelope__free_unpacked (later, NULL);
    egov__envelope__free_unpacked (asked.envelope, NULL);

    shep_participant_destroy (&self);
    shep_participant_destroy (&self);
    zframe_destroy (&identity);
    zsock_destroy (&router);
    admin = egov_db_connect (base, 5000);
    assert (egov_db_exec_script (admin, "DROP SCHEMA shep_participant_test CASCADE", "drop"));
    PQfinish (admin);
    if (verbose)
        printf ("OK\n");
}
