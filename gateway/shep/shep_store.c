/*  shep_store — the gateway's database actor (see shep_store.h).  */
#include "shep_store.h"
#include "egov_db.h"
#include <openssl/crypto.h>
#include <sodium.h>

extern const char *shep_schema_sql;

#define SHEP_LOG_PAGE_MAX 1000

typedef struct {
    zsock_t *pipe;                      //  to the reactor
    char *conninfo;
    PGconn *conn;
    uint64_t last_seq;                  //  last message log record committed
    uint8_t last_hash [SHEP_HASH_SIZE]; //  its hash, the head of the chain
    uint8_t log_key [SHEP_HASH_SIZE];   //  the chain's key
    uint64_t keyed_from;                //  first record chained with the key
    bool keyed_from_forged;             //  its MAC does not hold: nothing before it counts
} s_store_t;

//  The MAC that pins where the keyed chain starts, so that moving the start
//  (to pass rewritten records off as plain SHA-256 ones) shows.
static void
s_keyed_from_mac (s_store_t *self, uint64_t keyed_from, uint8_t mac [SHEP_HASH_SIZE])
{
    char text [48];
    int length = snprintf (text, sizeof (text), "keyed_from=%" PRIu64, keyed_from);
    crypto_auth_hmacsha256_state state;
    crypto_auth_hmacsha256_init (&state, self->log_key, SHEP_HASH_SIZE);
    crypto_auth_hmacsha256_update (&state, (const uint8_t *) text, (unsigned long long) length);
    crypto_auth_hmacsha256_final (&state, mac);
}

//  ---------------------------------------------------------------------
//  The objects handed between the reactor and the store

shep_batch_t *
shep_batch_new (void)
{
    shep_batch_t *self = (shep_batch_t *) zmalloc (sizeof (shep_batch_t));
    assert (self);
    self->entries = zlistx_new ();
    self->submits = zlistx_new ();
    self->finals = zlistx_new ();
    self->registrations = zlistx_new ();
    zlistx_set_destructor (self->entries, (zlistx_destructor_fn *) shep_log_entry_destroy);
    zlistx_set_destructor (self->submits, (zlistx_destructor_fn *) shep_submit_destroy);
    zlistx_set_destructor (self->finals, (zlistx_destructor_fn *) shep_final_destroy);
    zlistx_set_destructor (self->registrations, (zlistx_destructor_fn *) shep_registration_destroy);
    self->clock_changes = zlistx_new ();
    zlistx_set_destructor (self->clock_changes, (zlistx_destructor_fn *) shep_clock_change_destroy);
    return self;
}

void
shep_batch_destroy (shep_batch_t **self_p)
{
    assert (self_p);
    shep_batch_t *self = *self_p;
    if (!self)
        return;
    zlistx_destroy (&self->entries);
    zlistx_destroy (&self->submits);
    zlistx_destroy (&self->finals);
    zlistx_destroy (&self->registrations);
    zlistx_destroy (&self->clock_changes);
    free (self);
    *self_p = NULL;
}

bool
shep_batch_empty (shep_batch_t *self)
{
    return zlistx_size (self->entries) == 0 && zlistx_size (self->submits) == 0
        && zlistx_size (self->finals) == 0 && zlistx_size (self->registrations) == 0
        && zlistx_size (self->clock_changes) == 0;
}

shep_submit_t *
shep_submit_new (Egov__Envelope *envelope, const char *recipient_id,
                 int64_t ttl_ms, zframe_t *requester, uint64_t tag)
{
    shep_submit_t *self = (shep_submit_t *) zmalloc (sizeof (shep_submit_t));
    assert (self);
    self->envelope = envelope;
    self->packed_size = egov__envelope__get_packed_size (envelope);
    self->packed = (uint8_t *) malloc (self->packed_size ? self->packed_size : 1);
    assert (self->packed);
    egov__envelope__pack (envelope, self->packed);
    self->recipient_id = strdup (recipient_id);
    self->ttl_ms = ttl_ms;
    self->requester = requester;
    self->tag = tag;
    return self;
}

void
shep_submit_destroy (shep_submit_t **self_p)
{
    assert (self_p);
    shep_submit_t *self = *self_p;
    if (!self)
        return;
    if (self->envelope)
        egov__envelope__free_unpacked (self->envelope, NULL);
    free (self->packed);
    free (self->recipient_id);
    free (self->order_key);
    zframe_destroy (&self->requester);
    free (self);
    *self_p = NULL;
}

shep_final_t *
shep_final_new (const char *message_id, const char *recipient_id,
                Egov__DeliveryStatus status, const char *error_code,
                const char *error_message, uint32_t attempts)
{
    shep_final_t *self = (shep_final_t *) zmalloc (sizeof (shep_final_t));
    assert (self);
    self->message_id = strdup (message_id);
    self->recipient_id = strdup (recipient_id);
    self->status = status;
    self->error_code = error_code ? strdup (error_code) : NULL;
    self->error_message = error_message ? strdup (error_message) : NULL;
    self->attempts = attempts;
    return self;
}

void
shep_final_destroy (shep_final_t **self_p)
{
    assert (self_p);
    shep_final_t *self = *self_p;
    if (!self)
        return;
    free (self->message_id);
    free (self->recipient_id);
    free (self->error_code);
    free (self->error_message);
    free (self);
    *self_p = NULL;
}

shep_clock_change_t *
shep_clock_change_new (egov_clock_state_t state, const char *changed_by, zframe_t *requester, uint64_t tag)
{
    shep_clock_change_t *self = (shep_clock_change_t *) zmalloc (sizeof (shep_clock_change_t));
    assert (self);
    self->state = state;
    self->changed_by = strdup (changed_by);
    self->requester = requester;
    self->tag = tag;
    return self;
}

void
shep_clock_change_destroy (shep_clock_change_t **self_p)
{
    assert (self_p);
    shep_clock_change_t *self = *self_p;
    if (!self)
        return;
    free (self->changed_by);
    zframe_destroy (&self->requester);
    free (self);
    *self_p = NULL;
}

shep_registration_t *
shep_registration_new (const char *participant_id)
{
    shep_registration_t *self = (shep_registration_t *) zmalloc (sizeof (shep_registration_t));
    assert (self);
    self->participant_id = strdup (participant_id);
    self->services = zlist_new ();
    self->routes = zlist_new ();
    zlist_autofree (self->services);
    zlist_autofree (self->routes);
    return self;
}

void
shep_registration_destroy (shep_registration_t **self_p)
{
    assert (self_p);
    shep_registration_t *self = *self_p;
    if (!self)
        return;
    free (self->participant_id);
    zlist_destroy (&self->services);
    zlist_destroy (&self->routes);
    free (self);
    *self_p = NULL;
}

static void
s_loaded_destroy (shep_loaded_t **self_p)
{
    shep_loaded_t *self = *self_p;
    if (!self)
        return;
    free (self->message_id);
    free (self->packed);
    free (self);
    *self_p = NULL;
}

shep_job_t *
shep_job_new (shep_job_kind_t kind)
{
    shep_job_t *self = (shep_job_t *) zmalloc (sizeof (shep_job_t));
    assert (self);
    self->kind = kind;
    self->loaded = zlistx_new ();
    self->expired = zlistx_new ();
    zlistx_set_destructor (self->loaded, (zlistx_destructor_fn *) s_loaded_destroy);
    zlistx_set_destructor (self->expired, (zlistx_destructor_fn *) shep_final_destroy);
    return self;
}

void
shep_job_destroy (shep_job_t **self_p)
{
    assert (self_p);
    shep_job_t *self = *self_p;
    if (!self)
        return;
    zframe_destroy (&self->requester);
    zframe_destroy (&self->answer);
    if (self->query)
        egov__shep__frame__free_unpacked (self->query, NULL);
    free (self->recipient_id);
    free (self->asker);
    zlistx_destroy (&self->loaded);
    zlistx_destroy (&self->expired);
    free (self);
    *self_p = NULL;
}

//  ---------------------------------------------------------------------
//  Database work

bool
shep_store_setup (const char *conninfo)
{
    PGconn *conn = egov_db_connect (conninfo, 10000);
    if (!conn)
        return false;
    bool ok = egov_db_exec_script (conn, shep_schema_sql, "applying the gateway schema");
    PQfinish (conn);
    return ok;
}

static const char *s_statements [][2] = {
    { "participant_upsert",
      "INSERT INTO participant (participant_id) VALUES ($1) "
      "ON CONFLICT (participant_id) DO UPDATE SET last_hello = now()" },
    { "service_upsert",
      "INSERT INTO service_route (service_id, participant_id) VALUES ($1, $2) "
      "ON CONFLICT (service_id) DO UPDATE SET participant_id = $2, updated_at = now()" },
    { "route_upsert",
      "INSERT INTO route (route_id, participant_id) VALUES ($1, $2) "
      "ON CONFLICT (route_id) DO UPDATE SET participant_id = $2, updated_at = now()" },
    { "submit_staged",
      "INSERT INTO async_message (message_id, sender_id, recipient_id, service_id, "
      "correlation_id, envelope, expires_at) "
      "SELECT message_id, sender_id, recipient_id, service_id, correlation_id, envelope, "
      "now () + ttl_ms * interval '1 millisecond' FROM stage_submit ORDER BY position "
      "ON CONFLICT (message_id) DO NOTHING RETURNING message_id, seq" },
    { "submit_existing",
      "SELECT status FROM async_message WHERE message_id = $1" },
    { "finish_staged",
      "UPDATE async_message a SET "
      "status = CASE WHEN f.status = 'ON_DELIVERY' THEN a.status ELSE f.status END, "
      "finished_at = CASE WHEN f.status = 'ON_DELIVERY' THEN a.finished_at ELSE now () END, "
      "attempts = GREATEST (a.attempts, f.attempts), "
      "error_code = f.error_code, error_message = f.error_message "
      "FROM (SELECT DISTINCT ON (message_id) * FROM stage_final "
      "      ORDER BY message_id, status = 'ON_DELIVERY', attempts DESC) f "
      "WHERE a.message_id = f.message_id AND a.recipient_id = f.recipient_id "
      "AND a.status = 'ON_DELIVERY'" },
    { "status",
      "SELECT status, sender_id, recipient_id, "
      "(extract (epoch FROM accepted_at) * 1000)::bigint, "
      "COALESCE ((extract (epoch FROM finished_at) * 1000)::bigint, 0), "
      "attempts, error_code, error_message FROM async_message WHERE message_id = $1" },
    { "load",
      "SELECT seq, message_id, envelope, attempts FROM ("
      "  SELECT seq, message_id, envelope, attempts, octet_length (envelope) AS size,"
      "         sum (octet_length (envelope)) OVER (ORDER BY seq) AS upto FROM async_message "
      "  WHERE recipient_id = $1 AND status = 'ON_DELIVERY' AND seq > $2 "
      "  ORDER BY seq LIMIT $3) page "
      "WHERE upto - size < $4::bigint ORDER BY seq" },
    { "expire",
      "UPDATE async_message SET status = 'NOT_DELIVERED', finished_at = now(), "
      "error_code = 'TTL_EXPIRED', error_message = 'not acknowledged within its time to live' "
      "WHERE message_id IN (SELECT message_id FROM async_message "
      "  WHERE status = 'ON_DELIVERY' AND expires_at < now() ORDER BY expires_at LIMIT $1) "
      "RETURNING message_id, recipient_id, sender_id, envelope, attempts" },
    { "log_page",
      "SELECT seq, logged_at_us, channel, sender_id, recipient_id, service_id, message_type, "
      "message_id, correlation_id, payload_size, payload_sha256, note, prev_hash, hash, sim_at_us "
      "FROM message_log WHERE seq > $1 "
      "AND ($2::text IS NULL OR correlation_id = $2) "
      "AND ($3::text IS NULL OR sender_id = $3 OR recipient_id = $3) "
      "AND ($4::bigint IS NULL OR logged_at_us >= $4) "
      "AND ($5::bigint IS NULL OR logged_at_us < $5) "
      "ORDER BY seq LIMIT $6" },
    { "clock_save",
      "INSERT INTO sim_clock (id, base_wall_ms, base_sim_ms, speed, version, changed_by) "
      "VALUES (1, $1, $2, $3, $4, $5) ON CONFLICT (id) DO UPDATE SET "
      "base_wall_ms = $1, base_sim_ms = $2, speed = $3, version = $4, changed_by = $5, changed_at = now ()" },
    { "log_head",
      "SELECT seq, hash FROM message_log ORDER BY seq DESC LIMIT 1" },
};

//  Connects (retrying) and prepares every statement; false when it cannot.
static bool
s_store_connect (s_store_t *self, int timeout_ms)
{
    if (self->conn)
        PQfinish (self->conn);
    self->conn = egov_db_connect (self->conninfo, timeout_ms);
    if (!self->conn)
        return false;
    //  Staging tables: a batch's submissions and acknowledgements arrive by
    //  COPY and are applied with one statement each
    const char *staging =
        "CREATE TEMP TABLE IF NOT EXISTS stage_submit (position int, message_id text, "
        "sender_id text, recipient_id text, service_id text, correlation_id text, "
        "envelope bytea, ttl_ms bigint) WITH (toast_tuple_target = 8160) ON COMMIT DELETE ROWS; "
        "CREATE TEMP TABLE IF NOT EXISTS stage_final (message_id text, recipient_id text, "
        "status text, attempts int, error_code text, error_message text) ON COMMIT DELETE ROWS";
    if (!egov_db_exec_script (self->conn, staging, "creating staging tables"))
        return false;
    for (size_t index = 0; index < sizeof (s_statements) / sizeof (s_statements [0]); index++) {
        PGresult *result = PQprepare (self->conn, s_statements [index][0],
                                      s_statements [index][1], 0, NULL);
        bool ok = egov_db_check (result, PGRES_COMMAND_OK, s_statements [index][0]);
        PQclear (result);
        if (!ok)
            return false;
    }
    return true;
}

//  Reads the head of the hash chain so new records continue it.
static bool
s_store_load_head (s_store_t *self)
{
    PGresult *result = PQexecPrepared (self->conn, "log_head", 0, NULL, NULL, NULL, 1);
    bool ok = egov_db_check (result, PGRES_TUPLES_OK, "reading the log head");
    if (ok && PQntuples (result) == 1) {
        uint64_t seq_be;
        memcpy (&seq_be, PQgetvalue (result, 0, 0), 8);
        self->last_seq = be64toh (seq_be);
        if (PQgetlength (result, 0, 1) == SHEP_HASH_SIZE)
            memcpy (self->last_hash, PQgetvalue (result, 0, 1), SHEP_HASH_SIZE);
    }
    PQclear (result);
    //  Where the keyed chain starts: records of a log kept before it was
    //  keyed stay plain SHA-256, and are checked as such
    result = ok ? PQexec (self->conn, "SELECT keyed_from, mac FROM log_chain") : NULL;
    ok = result && egov_db_check (result, PGRES_TUPLES_OK, "reading where the keyed chain starts");
    uint8_t mac [SHEP_HASH_SIZE];
    if (ok && PQntuples (result) == 0) {
        PQclear (result);
        self->keyed_from = self->last_seq + 1;
        s_keyed_from_mac (self, self->keyed_from, mac);
        char from [24], *mac_hex = zmalloc (2 * SHEP_HASH_SIZE + 3);
        snprintf (from, sizeof (from), "%" PRIu64, self->keyed_from);
        strcpy (mac_hex, "\\x");
        sodium_bin2hex (mac_hex + 2, 2 * SHEP_HASH_SIZE + 1, mac, SHEP_HASH_SIZE);
        const char *values [] = { from, mac_hex };
        result = egov_db_params (self->conn, "INSERT INTO log_chain (keyed_from, mac) VALUES ($1, $2::bytea)",
                               2, NULL, values, NULL, NULL, 0);
        ok = egov_db_check (result, PGRES_COMMAND_OK, "noting where the keyed chain starts");
        free (mac_hex);
    }
    else
    if (ok && PQntuples (result) == 1) {
        self->keyed_from = (uint64_t) strtoull (PQgetvalue (result, 0, 0), NULL, 10);
        s_keyed_from_mac (self, self->keyed_from, mac);
        size_t length = 0;
        unsigned char *stored = PQunescapeBytea ((const unsigned char *) PQgetvalue (result, 0, 1), &length);
        self->keyed_from_forged = !stored || length != SHEP_HASH_SIZE
                               || sodium_memcmp (stored, mac, SHEP_HASH_SIZE) != 0;
        PQfreemem (stored);
        if (self->keyed_from_forged)
            zsys_error ("shep: the start of the message log's keyed chain was changed: log verify fails");
    }
    else
        ok = false;
    PQclear (result);
    return ok;
}

//  Runs a prepared statement with text parameters (NULL = SQL NULL).
static PGresult *
s_exec (s_store_t *self, const char *name, int count, const char *const *values,
        const int *lengths, const int *formats)
{
    return PQexecPrepared (self->conn, name, count, values, lengths, formats, 0);
}

//  Runs a prepared statement without parameters; false (logged) on failure.
static bool
s_exec_prepared (s_store_t *self, const char *name)
{
    PGresult *result = s_exec (self, name, 0, NULL, NULL, NULL);
    bool ok = egov_db_check (result, PGRES_COMMAND_OK, name);
    PQclear (result);
    return ok;
}

static bool
s_command (s_store_t *self, const char *sql)
{
    PGresult *result = PQexec (self->conn, sql);
    bool ok = egov_db_check (result, PGRES_COMMAND_OK, sql);
    PQclear (result);
    return ok;
}

//  Appends text to a COPY buffer, escaped for COPY's text format; runs of
//  plain characters go in one piece (the log builder's hot path).
static void
s_copy_text (zchunk_t *buffer, const char *text)
{
    const char *plain = text;
    for (const char *cursor = text; ; cursor++) {
        char special = 0;
        switch (*cursor) {
            case '\\': special = '\\'; break;
            case '\t': special = 't'; break;
            case '\n': special = 'n'; break;
            case '\r': special = 'r'; break;
            case 0: break;
            default: continue;
        }
        if (cursor > plain)
            zchunk_extend (buffer, plain, cursor - plain);
        if (!*cursor)
            return;
        char escaped [2] = { '\\', special };
        zchunk_extend (buffer, escaped, 2);
        plain = cursor + 1;
    }
}

//  Appends a text field or \N for NULL, then the separator.
static void
s_copy_field (zchunk_t *buffer, const char *text, const char *separator)
{
    if (text)
        s_copy_text (buffer, text);
    else
        zchunk_extend (buffer, "\\N", 2);
    zchunk_extend (buffer, separator, 1);
}

//  Runs a COPY ... FROM STDIN with the rows in buffer; false on failure.
static bool
s_copy_send (s_store_t *self, const char *sql, zchunk_t *buffer, const char *what)
{
    PGresult *result = PQexec (self->conn, sql);
    bool ok = PQresultStatus (result) == PGRES_COPY_IN;
    if (!ok)
        egov_db_check (result, PGRES_COPY_IN, what);
    PQclear (result);
    if (!ok)
        return false;
    ok = PQputCopyData (self->conn, (const char *) zchunk_data (buffer), (int) zchunk_size (buffer)) == 1
      && PQputCopyEnd (self->conn, NULL) == 1;
    while ((result = PQgetResult (self->conn))) {
        if (!egov_db_check (result, PGRES_COMMAND_OK, what))
            ok = false;
        PQclear (result);
    }
    return ok;
}

//  Appends a field of COPY's binary format: its length, then its bytes.
static void
s_binary_field (zchunk_t *buffer, const void *bytes, size_t size)
{
    uint32_t length = htobe32 ((uint32_t) size);
    zchunk_extend (buffer, &length, 4);
    zchunk_extend (buffer, bytes, size);
}

static void
s_binary_int64 (zchunk_t *buffer, int64_t value)
{
    uint64_t big_endian = htobe64 ((uint64_t) value);
    s_binary_field (buffer, &big_endian, 8);
}

static void
s_binary_int32 (zchunk_t *buffer, int32_t value)
{
    uint32_t big_endian = htobe32 ((uint32_t) value);
    s_binary_field (buffer, &big_endian, 4);
}

static void
s_binary_text (zchunk_t *buffer, const char *text)
{
    s_binary_field (buffer, text, strlen (text));
}

//  Chains the entries and writes them with one COPY in PostgreSQL's binary
//  format: the server takes numbers and hashes as they are instead of
//  parsing decimal and hex text, a good part of what each record cost it.
static bool
s_store_write_log (s_store_t *self, zlistx_t *entries)
{
    if (zlistx_size (entries) == 0)
        return true;
    zchunk_t *buffer = zchunk_new (NULL, 300 * zlistx_size (entries) + 32);
    static const char header [] = "PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0\0";
    zchunk_extend (buffer, header, sizeof (header) - 1);
    for (shep_log_entry_t *entry = (shep_log_entry_t *) zlistx_first (entries); entry;
         entry = (shep_log_entry_t *) zlistx_next (entries)) {
        shep_log_entry_chain (entry, self->last_seq + 1, self->last_hash, self->log_key);
        self->last_seq = entry->seq;
        memcpy (self->last_hash, entry->hash, SHEP_HASH_SIZE);
        uint16_t fields = htobe16 (15);
        zchunk_extend (buffer, &fields, 2);
        s_binary_int64 (buffer, (int64_t) entry->seq);
        s_binary_int64 (buffer, entry->logged_at_us);
        s_binary_int64 (buffer, entry->sim_at_us);
        s_binary_text (buffer, entry->channel);
        s_binary_text (buffer, entry->sender_id);
        s_binary_text (buffer, entry->recipient_id);
        s_binary_text (buffer, entry->service_id);
        s_binary_int32 (buffer, entry->message_type);
        s_binary_text (buffer, entry->message_id);
        s_binary_text (buffer, entry->correlation_id);
        s_binary_int32 (buffer, (int32_t) entry->payload_size);
        s_binary_field (buffer, entry->payload_sha256, SHEP_HASH_SIZE);
        s_binary_text (buffer, entry->note);
        s_binary_field (buffer, entry->prev_hash, SHEP_HASH_SIZE);
        s_binary_field (buffer, entry->hash, SHEP_HASH_SIZE);
    }
    uint16_t trailer = 0xFFFF;
    zchunk_extend (buffer, &trailer, 2);
    bool ok = s_copy_send (self,
        "COPY message_log (seq, logged_at_us, sim_at_us, channel, sender_id, recipient_id, service_id, "
        "message_type, message_id, correlation_id, payload_size, payload_sha256, note, "
        "prev_hash, hash) FROM STDIN (FORMAT binary)", buffer, "writing the message log");
    zchunk_destroy (&buffer);
    return ok;
}

static Egov__DeliveryStatus
s_status_value (const char *name)
{
    const ProtobufCEnumValue *value =
        protobuf_c_enum_descriptor_get_value_by_name (&egov__delivery_status__descriptor, name);
    return value ? (Egov__DeliveryStatus) value->value : EGOV__DELIVERY_STATUS__DELIVERY_STATUS_UNSPECIFIED;
}

//  Stores a batch's async messages with one COPY and one INSERT; a message
//  id seen before keeps its first copy and reports its current status.
static bool
s_store_submits (s_store_t *self, zlistx_t *submits)
{
    if (zlistx_size (submits) == 0)
        return true;
    //  Binary COPY, a row at a time, the packed envelope handed to libpq as
    //  it is: no hex text twice its size, and no buffer of the whole batch
    //  (a burst of megabyte messages cost the gateway four copies of each)
    PGresult *started = PQexec (self->conn, "COPY stage_submit FROM STDIN (FORMAT binary)");
    bool ok = PQresultStatus (started) == PGRES_COPY_IN;
    if (!ok)
        egov_db_check (started, PGRES_COPY_IN, "staging async messages");
    PQclear (started);
    if (!ok)
        return false;
    static const char header [] = "PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0\0";
    ok = PQputCopyData (self->conn, header, sizeof (header) - 1) == 1;
    zchunk_t *row = zchunk_new (NULL, 512);
    int position = 0;
    for (shep_submit_t *submit = (shep_submit_t *) zlistx_first (submits); submit && ok;
         submit = (shep_submit_t *) zlistx_next (submits)) {
        Egov__Envelope *envelope = submit->envelope;
        zchunk_set (row, NULL, 0);
        uint16_t fields = htobe16 (8);
        zchunk_extend (row, &fields, 2);
        s_binary_int32 (row, position++);
        s_binary_text (row, envelope->message_id ? envelope->message_id : "");
        s_binary_text (row, envelope->sender_id ? envelope->sender_id : "");
        s_binary_text (row, submit->recipient_id);
        s_binary_text (row, envelope->service_id ? envelope->service_id : "");
        s_binary_text (row, envelope->correlation_id ? envelope->correlation_id : "");
        uint32_t length = htobe32 ((uint32_t) submit->packed_size);
        zchunk_extend (row, &length, 4);
        ok = PQputCopyData (self->conn, (const char *) zchunk_data (row), (int) zchunk_size (row)) == 1
          && (submit->packed_size == 0
              || PQputCopyData (self->conn, (const char *) submit->packed, (int) submit->packed_size) == 1);
        zchunk_set (row, NULL, 0);
        s_binary_int64 (row, submit->ttl_ms);
        ok = ok && PQputCopyData (self->conn, (const char *) zchunk_data (row), (int) zchunk_size (row)) == 1;
    }
    zchunk_destroy (&row);
    static const char trailer [] = "\377\377";
    ok = ok && PQputCopyData (self->conn, trailer, 2) == 1;
    if (PQputCopyEnd (self->conn, ok ? NULL : "the batch could not be sent") != 1)
        ok = false;
    PGresult *copied;
    while ((copied = PQgetResult (self->conn))) {
        if (!egov_db_check (copied, PGRES_COMMAND_OK, "staging async messages"))
            ok = false;
        PQclear (copied);
    }
    if (!ok)
        return false;
    PGresult *result = s_exec (self, "submit_staged", 0, NULL, NULL, NULL);
    ok = egov_db_check (result, PGRES_TUPLES_OK, "storing async messages");
    zhashx_t *stored = zhashx_new ();
    for (int row = 0; ok && row < PQntuples (result); row++)
        zhashx_insert (stored, PQgetvalue (result, row, 0), PQgetvalue (result, row, 1));
    for (shep_submit_t *submit = (shep_submit_t *) zlistx_first (submits); submit && ok;
         submit = (shep_submit_t *) zlistx_next (submits)) {
        const char *seq = (const char *) zhashx_lookup (stored, submit->envelope->message_id);
        if (seq) {
            submit->seq = atoll (seq);
            submit->status = EGOV__DELIVERY_STATUS__ON_DELIVERY;
            zhashx_delete (stored, submit->envelope->message_id);    //  a twin in this batch is a duplicate
            continue;
        }
        //  The same message id again (a resend): answer what we know
        const char *values [1] = { submit->envelope->message_id };
        PGresult *existing = s_exec (self, "submit_existing", 1, values, NULL, NULL);
        ok = egov_db_check (existing, PGRES_TUPLES_OK, "reading a stored message");
        if (ok && PQntuples (existing) == 1)
            submit->status = s_status_value (PQgetvalue (existing, 0, 0));
        PQclear (existing);
    }
    zhashx_destroy (&stored);
    PQclear (result);
    return ok;
}

//  Applies acknowledgements, rejections and delivery counts with one COPY
//  and one UPDATE; only the recipient can finish a message still on delivery.
static bool
s_store_finals (s_store_t *self, zlistx_t *finals)
{
    if (zlistx_size (finals) == 0)
        return true;
    zchunk_t *buffer = zchunk_new (NULL, 128 * zlistx_size (finals));
    for (shep_final_t *final = (shep_final_t *) zlistx_first (finals); final;
         final = (shep_final_t *) zlistx_next (finals)) {
        char number [16];
        s_copy_field (buffer, final->message_id, "\t");
        s_copy_field (buffer, final->recipient_id, "\t");
        s_copy_field (buffer, egov_delivery_status_name (final->status), "\t");
        snprintf (number, sizeof (number), "%u\t", final->attempts);
        zchunk_extend (buffer, number, strlen (number));
        s_copy_field (buffer, final->error_code, "\t");
        s_copy_field (buffer, final->error_message, "\n");
    }
    bool ok = s_copy_send (self, "COPY stage_final FROM STDIN", buffer, "staging acknowledgements")
           && s_exec_prepared (self, "finish_staged");
    zchunk_destroy (&buffer);
    return ok;
}

//  The body of a batch transaction; false on any failure.
static bool
s_store_batch_body (s_store_t *self, shep_batch_t *batch)
{
    for (shep_registration_t *registration = (shep_registration_t *) zlistx_first (batch->registrations);
         registration; registration = (shep_registration_t *) zlistx_next (batch->registrations)) {
        const char *values [2] = { registration->participant_id, NULL };
        PGresult *result = s_exec (self, "participant_upsert", 1, values, NULL, NULL);
        bool ok = egov_db_check (result, PGRES_COMMAND_OK, "registering a participant");
        PQclear (result);
        if (!ok)
            return false;
        for (char *service = (char *) zlist_first (registration->services); service && ok;
             service = (char *) zlist_next (registration->services)) {
            const char *pair [2] = { service, registration->participant_id };
            result = s_exec (self, "service_upsert", 2, pair, NULL, NULL);
            ok = egov_db_check (result, PGRES_COMMAND_OK, "registering a service");
            PQclear (result);
        }
        for (char *route = (char *) zlist_first (registration->routes); route && ok;
             route = (char *) zlist_next (registration->routes)) {
            const char *pair [2] = { route, registration->participant_id };
            result = s_exec (self, "route_upsert", 2, pair, NULL, NULL);
            ok = egov_db_check (result, PGRES_COMMAND_OK, "registering a route");
            PQclear (result);
        }
        if (!ok)
            return false;
    }
    //  Log records of submissions join the batch's records in this transaction
    zlistx_t *submit_entries = zlistx_new ();
    zlistx_set_destructor (submit_entries, (zlistx_destructor_fn *) shep_log_entry_destroy);
    shep_clock_change_t *change = (shep_clock_change_t *) zlistx_last (batch->clock_changes);
    if (change) {
        char wall [32], sim [32], speed [32], version [32];
        snprintf (wall, sizeof (wall), "%" PRId64, change->state.base_wall_ms);
        snprintf (sim, sizeof (sim), "%" PRId64, change->state.base_sim_ms);
        snprintf (speed, sizeof (speed), "%.17g", change->state.speed);
        snprintf (version, sizeof (version), "%" PRIu64, change->state.version);
        const char *values [5] = { wall, sim, speed, version, change->changed_by };
        PGresult *result = s_exec (self, "clock_save", 5, values, NULL, NULL);
        bool saved = egov_db_check (result, PGRES_COMMAND_OK, "saving the clock");
        PQclear (result);
        if (!saved) {
            zlistx_destroy (&submit_entries);
            return false;
        }
    }
    bool ok = s_store_submits (self, batch->submits);
    for (shep_submit_t *submit = (shep_submit_t *) zlistx_first (batch->submits); submit && ok;
         submit = (shep_submit_t *) zlistx_next (batch->submits))
        zlistx_add_end (submit_entries, shep_log_entry_new (
            "async", submit->envelope, submit->envelope->sender_id, submit->recipient_id,
            submit->seq ? "stored" : "duplicate submission"));
    ok = ok && s_store_finals (self, batch->finals);
    //  Submission records go first: they were stored before any delivery
    while (ok && zlistx_size (batch->entries)) {
        shep_log_entry_t *entry = (shep_log_entry_t *) zlistx_detach (batch->entries, NULL);
        zlistx_add_end (submit_entries, entry);
    }
    ok = ok && s_store_write_log (self, submit_entries);
    //  Keep the records with the batch so a retry writes them again
    while (zlistx_size (submit_entries)) {
        shep_log_entry_t *entry = (shep_log_entry_t *) zlistx_detach (submit_entries, NULL);
        if (entry->note && (streq (entry->note, "stored") || streq (entry->note, "duplicate submission")))
            shep_log_entry_destroy (&entry);
        else
            zlistx_add_end (batch->entries, entry);
    }
    zlistx_destroy (&submit_entries);
    return ok;
}

//  Commits a batch in one transaction; on a lost connection, reconnects and
//  tries again; on any other failure rolls back and marks the batch failed.
static void
s_store_batch (s_store_t *self, shep_batch_t *batch)
{
    for (int attempt = 0; attempt < 20; attempt++) {
        uint64_t saved_seq = self->last_seq;
        uint8_t saved_hash [SHEP_HASH_SIZE];
        memcpy (saved_hash, self->last_hash, SHEP_HASH_SIZE);
        for (shep_submit_t *submit = (shep_submit_t *) zlistx_first (batch->submits); submit;
             submit = (shep_submit_t *) zlistx_next (batch->submits))
            submit->seq = 0;
        if (s_command (self, "BEGIN")
        &&  s_store_batch_body (self, batch)
        &&  s_command (self, "COMMIT"))
            return;
        self->last_seq = saved_seq;
        memcpy (self->last_hash, saved_hash, SHEP_HASH_SIZE);
        if (PQstatus (self->conn) == CONNECTION_OK) {
            PQclear (PQexec (self->conn, "ROLLBACK"));
            break;              //  a real failure, not a lost connection
        }
        zsys_warning ("shep_store: database connection lost, reconnecting");
        zclock_sleep (100 * (attempt + 1));
        if (s_store_connect (self, 5000))
            s_store_load_head (self);
    }
    batch->failed = true;
    for (shep_submit_t *submit = (shep_submit_t *) zlistx_first (batch->submits); submit;
         submit = (shep_submit_t *) zlistx_next (batch->submits))
        submit->failed = true;
}

static void
s_job_answer (shep_job_t *job, Egov__Shep__Frame *frame)
{
    frame->tag = job->tag;
    job->answer = egov_pb_frame (&frame->base);
}

static int64_t
s_int64_value (PGresult *result, int row, int column)
{
    return PQgetisnull (result, row, column) ? 0 : atoll (PQgetvalue (result, row, column));
}

static void
s_store_status (s_store_t *self, shep_job_t *job)
{
    Egov__Shep__StatusReply reply = EGOV__SHEP__STATUS_REPLY__INIT;
    Egov__ErrorInfo error = EGOV__ERROR_INFO__INIT;
    const char *message_id = job->query->status_query->message_id;
    reply.message_id = (char *) message_id;
    const char *values [1] = { message_id };
    PGresult *result = s_exec (self, "status", 1, values, NULL, NULL);
    if (!egov_db_check (result, PGRES_TUPLES_OK, "reading a status")) {
        error.code = "STORE_UNAVAILABLE";
        error.message = "the gateway's database did not answer";
        reply.error = &error;
    }
    else
    if (PQntuples (result) == 0
    ||  (job->asker && !streq (job->asker, PQgetvalue (result, 0, 1))
                    && !streq (job->asker, PQgetvalue (result, 0, 2)))) {
        //  Another's message is as unknown as a message that never was
        error.code = "NOT_FOUND";
        error.message = "no async message with this id";
        reply.error = &error;
    }
    else {
        reply.status = s_status_value (PQgetvalue (result, 0, 0));
        reply.sender_id = PQgetvalue (result, 0, 1);
        reply.recipient_id = PQgetvalue (result, 0, 2);
        reply.accepted_at = s_int64_value (result, 0, 3);
        reply.finished_at = s_int64_value (result, 0, 4);
        reply.attempts = (uint32_t) s_int64_value (result, 0, 5);
        if (!PQgetisnull (result, 0, 6)) {
            error.code = PQgetvalue (result, 0, 6);
            error.message = PQgetvalue (result, 0, 7);
            reply.error = &error;
        }
    }
    Egov__Shep__Frame frame = EGOV__SHEP__FRAME__INIT;
    frame.body_case = EGOV__SHEP__FRAME__BODY_STATUS_REPLY;
    frame.status_reply = &reply;
    s_job_answer (job, &frame);
    PQclear (result);
}

//  Fills a log record from a row of log_page's columns.
static void
s_row_record (PGresult *result, int row, Egov__Shep__LogRecord *record)
{
    egov__shep__log_record__init (record);
    record->seq = (uint64_t) atoll (PQgetvalue (result, row, 0));
    record->logged_at_us = atoll (PQgetvalue (result, row, 1));
    record->sim_at_us = atoll (PQgetvalue (result, row, 14));
    record->channel = PQgetvalue (result, row, 2);
    record->sender_id = PQgetvalue (result, row, 3);
    record->recipient_id = PQgetvalue (result, row, 4);
    record->service_id = PQgetvalue (result, row, 5);
    record->message_type = (Egov__MessageType) atoi (PQgetvalue (result, row, 6));
    record->message_id = PQgetvalue (result, row, 7);
    record->correlation_id = PQgetvalue (result, row, 8);
    record->payload_size = (uint32_t) atol (PQgetvalue (result, row, 9));
    record->note = PQgetvalue (result, row, 11);
}

//  Decodes a bytea column (hex text) into out; false when malformed.
static bool
s_bytea (PGresult *result, int row, int column, uint8_t *out, size_t size)
{
    size_t length = 0;
    unsigned char *bytes = PQunescapeBytea ((const unsigned char *) PQgetvalue (result, row, column), &length);
    bool ok = bytes && length == size;
    if (ok)
        memcpy (out, bytes, size);
    PQfreemem (bytes);
    return ok;
}

static void
s_store_log_page (s_store_t *self, shep_job_t *job)
{
    Egov__Shep__LogQuery *query = job->query->log_query;
    char after [32], since [32], until [32], limit [16];
    uint32_t page = query->limit && query->limit < SHEP_LOG_PAGE_MAX ? query->limit : SHEP_LOG_PAGE_MAX;
    snprintf (after, sizeof (after), "%" PRIu64, query->after_seq);
    snprintf (since, sizeof (since), "%" PRId64, query->since_ms * 1000);
    snprintf (until, sizeof (until), "%" PRId64, query->until_ms * 1000);
    snprintf (limit, sizeof (limit), "%u", page + 1);
    const char *values [6] = {
        after,
        *query->correlation_id ? query->correlation_id : NULL,
        *query->participant ? query->participant : NULL,
        query->since_ms ? since : NULL,
        query->until_ms ? until : NULL,
        limit
    };
    PGresult *result = s_exec (self, "log_page", 6, values, NULL, NULL);
    Egov__Shep__Frame frame = EGOV__SHEP__FRAME__INIT;
    if (!egov_db_check (result, PGRES_TUPLES_OK, "reading the message log")) {
        Egov__ErrorInfo error = EGOV__ERROR_INFO__INIT;
        error.code = "STORE_UNAVAILABLE";
        error.message = "the gateway's database did not answer";
        Egov__Shep__Error body = EGOV__SHEP__ERROR__INIT;
        body.error = &error;
        frame.body_case = EGOV__SHEP__FRAME__BODY_ERROR;
        frame.error = &body;
        s_job_answer (job, &frame);
        PQclear (result);
        return;
    }
    int rows = PQntuples (result);
    int count = rows > (int) page ? (int) page : rows;
    Egov__Shep__LogReply reply = EGOV__SHEP__LOG_REPLY__INIT;
    Egov__Shep__LogRecord *records = (Egov__Shep__LogRecord *) calloc (count + 1, sizeof (Egov__Shep__LogRecord));
    Egov__Shep__LogRecord **pointers = (Egov__Shep__LogRecord **) calloc (count + 1, sizeof (void *));
    uint8_t (*hashes) [3][SHEP_HASH_SIZE] = calloc (count + 1, sizeof (*hashes));
    assert (records && pointers && hashes);
    for (int row = 0; row < count; row++) {
        s_row_record (result, row, &records [row]);
        s_bytea (result, row, 10, hashes [row][0], SHEP_HASH_SIZE);
        s_bytea (result, row, 12, hashes [row][1], SHEP_HASH_SIZE);
        s_bytea (result, row, 13, hashes [row][2], SHEP_HASH_SIZE);
        records [row].payload_sha256.data = hashes [row][0];
        records [row].payload_sha256.len = SHEP_HASH_SIZE;
        records [row].prev_hash.data = hashes [row][1];
        records [row].prev_hash.len = SHEP_HASH_SIZE;
        records [row].hash.data = hashes [row][2];
        records [row].hash.len = SHEP_HASH_SIZE;
        pointers [row] = &records [row];
    }
    reply.n_records = count;
    reply.records = pointers;
    reply.more = rows > (int) page;
    frame.body_case = EGOV__SHEP__FRAME__BODY_LOG_REPLY;
    frame.log_reply = &reply;
    s_job_answer (job, &frame);
    free (records);
    free (pointers);
    free (hashes);
    PQclear (result);
}

//  Walks the whole chain in order, row by row, recomputing every hash.
static void
s_store_verify (s_store_t *self, shep_job_t *job)
{
    Egov__Shep__LogVerifyReply reply = EGOV__SHEP__LOG_VERIFY_REPLY__INIT;
    char reason [256] = "";
    bool ok = PQsendQuery (self->conn,
        "SELECT seq, logged_at_us, channel, sender_id, recipient_id, service_id, message_type, "
        "message_id, correlation_id, payload_size, payload_sha256, note, prev_hash, hash, sim_at_us "
        "FROM message_log ORDER BY seq") == 1;
    ok = ok && PQsetSingleRowMode (self->conn) == 1;
    uint64_t expected_seq = 1;
    uint8_t previous [SHEP_HASH_SIZE] = { 0 };
    bool broken = !ok;
    if (!ok)
        snprintf (reason, sizeof (reason), "cannot read the log: %s", PQerrorMessage (self->conn));
    else
    if (self->keyed_from_forged) {
        broken = true;
        reply.broken_at = 1;
        snprintf (reason, sizeof (reason), "the start of the keyed chain was changed; no record can be trusted");
    }
    PGresult *result;
    while (ok && (result = PQgetResult (self->conn))) {
        if (PQresultStatus (result) == PGRES_SINGLE_TUPLE && !broken) {
            Egov__Shep__LogRecord record;
            s_row_record (result, 0, &record);
            shep_log_entry_t entry = {
                .seq = record.seq, .logged_at_us = record.logged_at_us, .sim_at_us = record.sim_at_us,
                .channel = record.channel, .sender_id = record.sender_id,
                .recipient_id = record.recipient_id, .service_id = record.service_id,
                .message_type = record.message_type, .message_id = record.message_id,
                .correlation_id = record.correlation_id, .payload_size = record.payload_size,
                .note = record.note
            };
            bool decoded = s_bytea (result, 0, 10, entry.payload_sha256, SHEP_HASH_SIZE)
                        && s_bytea (result, 0, 12, entry.prev_hash, SHEP_HASH_SIZE)
                        && s_bytea (result, 0, 13, entry.hash, SHEP_HASH_SIZE);
            if (!decoded)
                snprintf (reason, sizeof (reason), "record %" PRIu64 " has a malformed hash", record.seq);
            else
            if (record.seq != expected_seq)
                snprintf (reason, sizeof (reason), "record %" PRIu64 " is missing", expected_seq);
            else
            if (memcmp (entry.prev_hash, previous, SHEP_HASH_SIZE))
                snprintf (reason, sizeof (reason), "record %" PRIu64 " does not follow the previous record's hash", record.seq);
            else
            if (!shep_log_entry_verify (&entry, record.seq >= self->keyed_from ? self->log_key : NULL))
                snprintf (reason, sizeof (reason), "record %" PRIu64 " was changed after it was written", record.seq);
            if (*reason) {
                broken = true;
                reply.broken_at = decoded && record.seq != expected_seq ? expected_seq : record.seq;
            }
            else {
                memcpy (previous, entry.hash, SHEP_HASH_SIZE);
                expected_seq++;
                reply.checked++;
            }
        }
        else
        if (PQresultStatus (result) != PGRES_TUPLES_OK && PQresultStatus (result) != PGRES_SINGLE_TUPLE) {
            broken = true;
            snprintf (reason, sizeof (reason), "cannot read the log: %s", PQresultErrorMessage (result));
        }
        PQclear (result);
    }
    //  Records removed from the end show against the head the store wrote
    if (!broken && expected_seq - 1 != self->last_seq) {
        broken = true;
        reply.broken_at = expected_seq;
        snprintf (reason, sizeof (reason), "the log ends at record %" PRIu64 " but %" PRIu64 " were written",
                  expected_seq - 1, self->last_seq);
    }
    else
    if (!broken && self->last_seq && memcmp (previous, self->last_hash, SHEP_HASH_SIZE)) {
        broken = true;
        reply.broken_at = self->last_seq;
        snprintf (reason, sizeof (reason), "the last record is not the one the gateway wrote");
    }
    reply.ok = !broken;
    reply.reason = reason;
    Egov__Shep__Frame frame = EGOV__SHEP__FRAME__INIT;
    frame.body_case = EGOV__SHEP__FRAME__BODY_LOG_VERIFY_REPLY;
    frame.log_verify_reply = &reply;
    s_job_answer (job, &frame);
}

static void
s_store_load (s_store_t *self, shep_job_t *job)
{
    char after [32], limit [16], bytes [32];
    snprintf (after, sizeof (after), "%" PRId64, job->after_seq);
    snprintf (limit, sizeof (limit), "%d", job->limit);
    snprintf (bytes, sizeof (bytes), "%" PRId64, job->max_bytes > 0 ? job->max_bytes : INT64_MAX);
    const char *values [4] = { job->recipient_id, after, limit, bytes };
    PGresult *result = PQexecPrepared (self->conn, "load", 4, values, NULL, NULL, 0);
    if (egov_db_check (result, PGRES_TUPLES_OK, "loading pending messages")) {
        for (int row = 0; row < PQntuples (result); row++) {
            shep_loaded_t *loaded = (shep_loaded_t *) zmalloc (sizeof (shep_loaded_t));
            assert (loaded);
            loaded->seq = atoll (PQgetvalue (result, row, 0));
            loaded->message_id = strdup (PQgetvalue (result, row, 1));
            loaded->packed = PQunescapeBytea ((const unsigned char *) PQgetvalue (result, row, 2),
                                              &loaded->packed_size);
            //  PQunescapeBytea memory must go back through PQfreemem; copy it
            uint8_t *copy = (uint8_t *) malloc (loaded->packed_size ? loaded->packed_size : 1);
            assert (copy);
            memcpy (copy, loaded->packed, loaded->packed_size);
            PQfreemem (loaded->packed);
            loaded->packed = copy;
            loaded->attempts = (uint32_t) atol (PQgetvalue (result, row, 3));
            zlistx_add_end (job->loaded, loaded);
        }
    }
    else
        job->failed = true;         //  not "nothing waits": the gateway asks again
    PQclear (result);
}

//  Gives up messages past their time to live, logging each in the same transaction.
static void
s_store_expire (s_store_t *self, shep_job_t *job)
{
    char limit [16];
    snprintf (limit, sizeof (limit), "%d", job->limit);
    const char *values [1] = { limit };
    if (!s_command (self, "BEGIN")) {
        job->failed = true;
        return;
    }
    uint64_t saved_seq = self->last_seq;
    uint8_t saved_hash [SHEP_HASH_SIZE];
    memcpy (saved_hash, self->last_hash, SHEP_HASH_SIZE);
    PGresult *result = s_exec (self, "expire", 1, values, NULL, NULL);
    bool ok = egov_db_check (result, PGRES_TUPLES_OK, "expiring messages");
    zlistx_t *entries = zlistx_new ();
    zlistx_set_destructor (entries, (zlistx_destructor_fn *) shep_log_entry_destroy);
    for (int row = 0; ok && row < PQntuples (result); row++) {
        size_t size = 0;
        unsigned char *packed = PQunescapeBytea ((const unsigned char *) PQgetvalue (result, row, 3), &size);
        Egov__Envelope *envelope = packed ? egov__envelope__unpack (NULL, size, packed) : NULL;
        zlistx_add_end (entries, shep_log_entry_new ("async", envelope, PQgetvalue (result, row, 2), PQgetvalue (result, row, 1), "NOT_DELIVERED"));
        if (envelope)
            egov__envelope__free_unpacked (envelope, NULL);
        PQfreemem (packed);
        zlistx_add_end (job->expired, shep_final_new (PQgetvalue (result, row, 0), PQgetvalue (result, row, 1),
            EGOV__DELIVERY_STATUS__NOT_DELIVERED, "TTL_EXPIRED", NULL,
            (uint32_t) atol (PQgetvalue (result, row, 4))));
    }
    PQclear (result);
    ok = ok && s_store_write_log (self, entries) && s_command (self, "COMMIT");
    zlistx_destroy (&entries);
    if (!ok) {
        PQclear (PQexec (self->conn, "ROLLBACK"));
        self->last_seq = saved_seq;
        memcpy (self->last_hash, saved_hash, SHEP_HASH_SIZE);
        zlistx_purge (job->expired);
    }
    job->failed = !ok;
}

void
shep_store_actor (zsock_t *pipe, void *args)
{
    const shep_store_config_t *config = (const shep_store_config_t *) args;
    s_store_t self = { .pipe = pipe, .conninfo = (char *) config->conninfo };
    memcpy (self.log_key, config->log_key, SHEP_HASH_SIZE);
    if (!s_store_connect (&self, 10000) || !s_store_load_head (&self)) {
        if (self.conn)
            PQfinish (self.conn);
        zsock_signal (pipe, 1);
        //  Wait for $TERM so the actor shuts down in order
        char *command = zstr_recv (pipe);
        zstr_free (&command);
        return;
    }
    zsock_signal (pipe, 0);
    while (true) {
        char *command = NULL;
        void *pointer = NULL;
        if (zsock_recv (pipe, "sp", &command, &pointer) == -1)
            break;
        if (streq (command, "$TERM")) {
            zstr_free (&command);
            break;
        }
        //  A connection that broke (PostgreSQL restarted) comes back whole:
        //  a new session with its staging tables and prepared statements
        if (!self.conn || PQstatus (self.conn) != CONNECTION_OK)
            s_store_connect (&self, 1000);
        if (streq (command, "BATCH"))
            s_store_batch (&self, (shep_batch_t *) pointer);
        else
        if (streq (command, "JOB")) {
            shep_job_t *job = (shep_job_t *) pointer;
            switch (job->kind) {
                case SHEP_JOB_STATUS: s_store_status (&self, job); break;
                case SHEP_JOB_LOG:    s_store_log_page (&self, job); break;
                case SHEP_JOB_VERIFY: s_store_verify (&self, job); break;
                case SHEP_JOB_LOAD:   s_store_load (&self, job); break;
                case SHEP_JOB_EXPIRE: s_store_expire (&self, job); break;
            }
        }
        zsock_send (pipe, "sp", command, pointer);
        zstr_free (&command);
    }
    PQfinish (self.conn);
    //  OpenSSL keeps per-thread state for the hashing done here; free it
    //  before the thread ends, or it is still held when the process exits
    OPENSSL_thread_stop ();
}

void
shep_store_test (bool verbose)
{
    if (verbose)
        printf (" * shep_store: ");
    //  The objects handed between threads own what they hold
    shep_batch_t *batch = shep_batch_new ();
    assert (shep_batch_empty (batch));
    Egov__Envelope *envelope = egov_envelope_new ("test.async", EGOV__MESSAGE_TYPE__NOTIFICATION);
    zlistx_add_end (batch->submits, shep_submit_new (envelope, "sink", 1000, zframe_new ("id", 2), 5));
    zlistx_add_end (batch->finals, shep_final_new ("m", "sink", EGOV__DELIVERY_STATUS__DELIVERED, NULL, NULL, 1));
    shep_registration_t *registration = shep_registration_new ("sink");
    zlist_append (registration->services, "test.async");
    zlistx_add_end (batch->registrations, registration);
    assert (!shep_batch_empty (batch));
    shep_batch_destroy (&batch);
    shep_batch_destroy (&batch);
    shep_job_t *job = shep_job_new (SHEP_JOB_LOAD);
    shep_job_destroy (&job);

    //  COPY escaping keeps separators out of the data
    zchunk_t *buffer = zchunk_new (NULL, 64);
    s_copy_text (buffer, "a\tb\\c\n");
    assert (zchunk_size (buffer) == 9);
    assert (memcmp (zchunk_data (buffer), "a\\tb\\\\c\\n", 9) == 0);
    zchunk_destroy (&buffer);

    //  Against a real database when the test runner gives one
    const char *conninfo = getenv ("EGOV_TEST_DB");
    if (!conninfo) {
        if (verbose)
            printf ("(skipped database part: EGOV_TEST_DB unset) ");
    }
    else {
        assert (shep_store_setup (conninfo));
        shep_store_config_t store_config = { .conninfo = conninfo };
        randombytes_buf (store_config.log_key, SHEP_HASH_SIZE);
        zactor_t *store = zactor_new (shep_store_actor, &store_config);
        assert (store);
        batch = shep_batch_new ();
        envelope = egov_envelope_new ("test.async", EGOV__MESSAGE_TYPE__NOTIFICATION);
        egov_string_set (&envelope->sender_id, "tester");
        char *message_id = strdup (envelope->message_id);
        zlistx_add_end (batch->submits, shep_submit_new (envelope, "sink", 60000, NULL, 1));
        Egov__Envelope *again = egov_envelope_dup (envelope);
        zlistx_add_end (batch->submits, shep_submit_new (again, "sink", 60000, NULL, 2));
        registration = shep_registration_new ("sink");
        zlistx_add_end (batch->registrations, registration);
        zlistx_add_end (batch->entries, shep_log_entry_new ("sync", envelope, "a", "b", "forwarded"));
        zsock_send (store, "sp", "BATCH", batch);
        char *command = NULL;
        void *pointer = NULL;
        zsock_recv (store, "sp", &command, &pointer);
        assert (pointer == batch && !batch->failed);
        shep_submit_t *first = (shep_submit_t *) zlistx_first (batch->submits);
        shep_submit_t *second = (shep_submit_t *) zlistx_next (batch->submits);
        assert (first->seq > 0 && first->status == EGOV__DELIVERY_STATUS__ON_DELIVERY);
        assert (second->seq == 0 && second->status == EGOV__DELIVERY_STATUS__ON_DELIVERY);
        zstr_free (&command);
        shep_batch_destroy (&batch);

        job = shep_job_new (SHEP_JOB_LOAD);
        job->recipient_id = strdup ("sink");
        job->limit = 100000;
        zsock_send (store, "sp", "JOB", job);
        zsock_recv (store, "sp", &command, &pointer);
        bool found = false;
        for (shep_loaded_t *loaded = (shep_loaded_t *) zlistx_first (job->loaded); loaded;
             loaded = (shep_loaded_t *) zlistx_next (job->loaded))
            found = found || streq (loaded->message_id, message_id);
        assert (found);
        zstr_free (&command);
        shep_job_destroy (&job);

        job = shep_job_new (SHEP_JOB_VERIFY);
        zsock_send (store, "sp", "JOB", job);
        zsock_recv (store, "sp", &command, &pointer);
        Egov__Shep__Frame *answer = egov__shep__frame__unpack (NULL, zframe_size (job->answer), zframe_data (job->answer));
        assert (answer && answer->log_verify_reply->ok);
        assert (answer->log_verify_reply->checked >= 2);
        egov__shep__frame__free_unpacked (answer, NULL);
        zstr_free (&command);
        shep_job_destroy (&job);
        free (message_id);
        zactor_destroy (&store);
    }
    if (verbose)
        printf ("OK\n");
}
