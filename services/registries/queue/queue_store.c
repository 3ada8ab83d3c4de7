/*  queue_store — the kindergarten queue register's database.  */
#include "queue_store.h"
#include "queue_rules.h"
#include "egov_clock.h"
#include "egov_db.h"
#include "egov_iin.h"
#include "applications.pb-c.h"

extern const char *queue_schema_sql;
extern const char *queue_places_sql;

//  Runs one parameterised statement; the result when it has the expected
//  status, else NULL (logged, cleared).
static PGresult *
s_sql (PGconn *conn, const char *sql, int count, const char *const *values,
       ExecStatusType expected, const char *what)
{
    PGresult *result = egov_db_params (conn, sql, count, NULL, values, NULL, NULL, 0);
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
    entry->queue = egov_db_strdup (result, row, 0);
    entry->queue_name = egov_db_strdup (result, row, 1);
    entry->region = egov_db_strdup (result, row, 2);
    entry->number = (uint32_t) strtoul (PQgetvalue (result, row, 3), NULL, 10);
    entry->position = (uint32_t) strtoul (PQgetvalue (result, row, 4), NULL, 10);
    entry->child_iin = egov_db_strdup (result, row, 5);
    entry->birth_date = egov_db_strdup (result, row, 6);
    entry->desired_date = egov_db_strdup (result, row, 7);
    entry->registered_at = s_moment (result, row, 8);
    entry->referral = egov_db_strdup (result, row, 9);
    entry->referred_at = s_moment (result, row, 10);
    entry->application = egov_db_strdup (result, row, 11);
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
    queue->code = egov_db_strdup (result, row, 0);
    queue->region = egov_db_strdup (result, row, 1);
    queue->name = egov_db_strdup (result, row, 2);
    queue->kind = egov_db_strdup (result, row, 3);
    queue->free_places = (uint32_t) strtoul (PQgetvalue (result, row, 4), NULL, 10);
    queue->waiting = (uint32_t) strtoul (PQgetvalue (result, row, 5), NULL, 10);
    queue->last_number = (uint32_t) strtoul (PQgetvalue (result, row, 6), NULL, 10);
    queue->referrals = (uint32_t) strtoul (PQgetvalue (result, row, 7), NULL, 10);
    return queue;
}

//  The region the sender acts for: leb-<KATO> (its executor's enqueue) and
//  regional-<KATO> (an application of seed 004's direct routes) act for
//  their own region only; NULL for the administrator's tool, which acts for
//  any.
const char *
queue_store_sender_region (const char *sender)
{
    if (strncmp (sender, "leb-", 4) == 0)
        return sender + 4;
    if (strncmp (sender, "regional-", 9) == 0)
        return sender + 9;
    return NULL;
}

//  Puts the child in the queue in one transaction, once judged by the rules:
//  the next number (the queue's row locked, so numbers are consecutive
//  whoever else enqueues at once), or a referral at once when a released
//  place is free. The same application asking again gets its entry again.
//  QUEUE_STORE_DONE with *entry_p set, QUEUE_STORE_REFUSED with refusal
//  set, or QUEUE_STORE_FAILED.
queue_store_outcome_t
queue_store_enqueue (PGconn *conn, const char *sender, const char *child_iin, const char *birth_date,
                 const char *queue, const char *desired_date, const char *application,
                 Egov__Queue__Entry **entry_p, egov_error_t *refusal)
{
    *entry_p = NULL;
    if (!s_command (conn, "BEGIN", 0, NULL, "beginning an enqueue"))
        return QUEUE_STORE_FAILED;
    PGresult *row = s_sql (conn, "SELECT region, free_places, last_number, referrals FROM queue"
                           " WHERE code = $1 FOR UPDATE", 1, (const char *[]) { queue },
                           PGRES_TUPLES_OK, "locking the queue");
    if (!row)
        goto failed;
    if (PQntuples (row) == 0) {
        egov_error_set (refusal, "UNKNOWN_QUEUE", "there is no queue %s", queue);
        goto refused;
    }
    const char *own_region = queue_store_sender_region (sender);
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
            return QUEUE_STORE_DONE;
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
    return QUEUE_STORE_DONE;

refused:
    PQclear (row);
    s_rollback (conn);
    return QUEUE_STORE_REFUSED;
failed:
    PQclear (row);
    s_rollback (conn);
    if (*entry_p)
        egov__queue__entry__free_unpacked (*entry_p, NULL);
    *entry_p = NULL;
    return QUEUE_STORE_FAILED;
}

//  Frees places of queue in one transaction: each is one referral to the
//  first child waiting (the queue's row locked, so two releases at once
//  never refer one child twice), or stays free. A referral of an entry that
//  a local executive body's application made goes to it through the
//  outbox, in the same transaction. QUEUE_STORE_DONE with *response_p set,
//  QUEUE_STORE_REFUSED (UNKNOWN_QUEUE), or QUEUE_STORE_FAILED.
queue_store_outcome_t
queue_store_release (shep_participant_t *engine, PGconn *conn, const char *queue, uint32_t places,
                 Egov__Queue__ReleaseResponse **response_p, egov_error_t *refusal)
{
    *response_p = NULL;
    if (!s_command (conn, "BEGIN", 0, NULL, "beginning a release"))
        return QUEUE_STORE_FAILED;
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
        return QUEUE_STORE_REFUSED;
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
        //  Whom it concerns: the local executive body whose application made
        //  the entry, or, for an application the register answered itself,
        //  the channel through the regional gateway that brought it
        const char *application = PQgetvalue (row, 0, 1), *requester = PQgetvalue (row, 0, 2);
        if (entry && engine && *application && queue_store_sender_region (requester)) {
            egov_error_t error;
            int rc;
            if (strncmp (requester, "leb-", 4) == 0) {
                Egov__Queue__Referral notice = EGOV__QUEUE__REFERRAL__INIT;
                notice.entry = entry;
                rc = shep_participant_put_message (engine, conn, QUEUE_SERVICE_REFERRAL,
                                                   EGOV__MESSAGE_TYPE__NOTIFICATION, application,
                                                   requester, NULL, &notice.base, NULL, &error);
            }
            else {
                char note [600];
                snprintf (note, sizeof (note), "referral %s to %s %s (queue number %u)",
                          entry->referral, entry->queue, entry->queue_name, entry->number);
                Egov__Applications__StatusNotice notice = EGOV__APPLICATIONS__STATUS_NOTICE__INIT;
                notice.application_id = (char *) application;
                notice.status = EGOV__APPLICATIONS__STATUS__READY;
                notice.step = (char *) "the queue register issues a referral";
                notice.role = (char *) "";
                notice.actor = (char *) "queue";
                notice.note = note;
                notice.at = egov_clock_now_ms ();
                rc = shep_participant_put_message (engine, conn, "application.status",
                                                   EGOV__MESSAGE_TYPE__UPDATE, application,
                                                   requester, NULL, &notice.base, NULL, &error);
            }
            if (rc)
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
    return QUEUE_STORE_DONE;

failed:
    PQclear (row);
    s_rollback (conn);
    egov__queue__release_response__free_unpacked (response, NULL);
    return QUEUE_STORE_FAILED;
}

Egov__Queue__EntryResponse *
queue_store_entries (PGconn *conn, const char *child_iin, const char *queue, const char *region)
{
    assert (conn && child_iin && queue);
    PGresult *result = s_sql (conn, s_ENTRY_SELECT "WHERE e.child_iin = $1"
                              " AND ($2 = '' OR e.queue = $2) ORDER BY e.queue", 2,
                              (const char *[]) { child_iin, queue }, PGRES_TUPLES_OK,
                              "reading a child's entries");
    if (!result)
        return NULL;
    Egov__Queue__EntryResponse *response = malloc (sizeof (*response));
    assert (response);
    egov__queue__entry_response__init (response);
    response->entries = calloc ((size_t) PQntuples (result) + 1, sizeof (Egov__Queue__Entry *));
    assert (response->entries);
    for (int row = 0; row < PQntuples (result); row++)
        if (!region || streq (region, PQgetvalue (result, row, 2)))
            response->entries [response->n_entries++] = s_entry_from_row (result, row);
    PQclear (result);
    return response;
}

Egov__Queue__ListResponse *
queue_store_list (PGconn *conn, const char *region)
{
    assert (conn && region);
    PGresult *result = s_sql (conn, s_QUEUE_SELECT "WHERE $1 = '' OR q.region = $1 ORDER BY q.code",
                              1, (const char *[]) { region }, PGRES_TUPLES_OK, "listing the queues");
    if (!result)
        return NULL;
    Egov__Queue__ListResponse *response = malloc (sizeof (*response));
    assert (response);
    egov__queue__list_response__init (response);
    response->queues = calloc ((size_t) PQntuples (result) + 1, sizeof (Egov__Queue__Queue *));
    assert (response->queues);
    for (int row = 0; row < PQntuples (result); row++)
        response->queues [response->n_queues++] = s_queue_from_row (result, row);
    PQclear (result);
    return response;
}

bool
queue_store_seed (PGconn *conn)
{
    assert (conn);
    return egov_db_exec_script (conn, queue_places_sql, "queue places");
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
    queue_store_outcome_t outcome = queue_store_enqueue (conn, sender, child, "2022-05-01", queue, "2030-09-01",
                                           application, &entry, &refusal);
    snprintf (code, 48, "%s", refusal.code);
    if (referral)
        *referral = 0;
    if (outcome != QUEUE_STORE_DONE)
        return outcome == QUEUE_STORE_REFUSED ? 0 : -1;
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
queue_store_test (bool verbose)
{
    if (verbose)
        printf (" * queue_store: ");
    const char *conninfo = getenv ("EGOV_TEST_DB");
    if (!conninfo || !*conninfo) {
        printf (verbose ? "(skipped: EGOV_TEST_DB unset) OK\n"
                        : "queue_store: skipped: EGOV_TEST_DB unset\n");
        return;
    }
    PGconn *setup = egov_db_connect (conninfo, 5000);
    assert (setup);
    assert (egov_db_exec_script (setup,
        "DROP SCHEMA IF EXISTS queue_store_test CASCADE; CREATE SCHEMA queue_store_test;",
        "test schema"));
    //  The engine for its outbox, in the test's schema
    char engine_db [600];
    snprintf (engine_db, sizeof (engine_db), "%s options='-c search_path=queue_store_test'", conninfo);
    shep_participant_config_t config = {
        .gateway = "tcp://127.0.0.1:9", .participant_id = "queue", .conninfo = engine_db,
        .schema_sql = queue_schema_sql
    };
    egov_error_t error;
    shep_participant_t *engine = shep_participant_new (&config, NULL, &error);
    assert (engine);
    PGconn *conn = shep_participant_db (engine);
    assert (conn && queue_store_seed (conn) && queue_store_seed (conn));
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
    assert (queue_store_release (engine, conn, queue, 1, &response, &error) == QUEUE_STORE_DONE);
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
    assert (queue_store_release (engine, conn, queue, 4, &response, &error) == QUEUE_STORE_DONE);
    assert (response->n_referred == 4 && response->referred [3]->number == 5);
    egov__queue__release_response__free_unpacked (response, NULL);
    PGresult *result = PQexec (conn, "SELECT count(*) FROM shep_outbox");
    assert (PQresultStatus (result) == PGRES_TUPLES_OK && streq (PQgetvalue (result, 0, 0), "0"));
    PQclear (result);
    assert (queue_store_release (engine, conn, queue, 3, &response, &error) == QUEUE_STORE_DONE);
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
    assert (queue_store_release (engine, conn, "430000000-Z99", 1, &response, &error) == QUEUE_STORE_REFUSED);
    assert (streq (error.code, "UNKNOWN_QUEUE") && response == NULL);


    //  A child's entries, with a region's filter; the queues, of one region
    s_test_child (0, child);
    Egov__Queue__EntryResponse *entries = queue_store_entries (conn, child, "", NULL);
    assert (entries && entries->n_entries == 2);
    assert (streq (entries->entries [0]->queue, queue) && streq (entries->entries [1]->queue, "430000000-K001"));
    egov__queue__entry_response__free_unpacked (entries, NULL);
    entries = queue_store_entries (conn, child, "430000000-K001", "230000000");
    assert (entries && entries->n_entries == 0);
    egov__queue__entry_response__free_unpacked (entries, NULL);
    Egov__Queue__ListResponse *list = queue_store_list (conn, "230000000");
    assert (list && list->n_queues == 6 && streq (list->queues [0]->code, "230000000-D01"));
    egov__queue__list_response__free_unpacked (list, NULL);
    list = queue_store_list (conn, "");
    assert (list && list->n_queues == 12);
    egov__queue__list_response__free_unpacked (list, NULL);

    shep_participant_destroy (&engine);
    assert (egov_db_exec_script (setup, "DROP SCHEMA queue_store_test CASCADE", "drop"));
    PQfinish (setup);
    if (verbose)
        printf ("OK\n");
}
