/*  egov_db — PostgreSQL helpers.  */
#include "egov_db.h"
#include <czmq.h>
#include <libpq-events.h>
#include <pthread.h>

//  The statements prepared on one connection.
typedef struct {
    int backend_pid;            //  the server process they were prepared in
    zhashx_t *names;            //  sql -> statement name
    unsigned next;              //  to name the next one
} s_prepared_t;

static void
s_prepared_destroy (s_prepared_t **self_p)
{
    if (*self_p) {
        zhashx_destroy (&(*self_p)->names);
        free (*self_p);
        *self_p = NULL;
    }
}

#define s_CONNECTIONS_MAX 64    //  connections remembered; then all forgotten

static pthread_mutex_t s_prepared_lock = PTHREAD_MUTEX_INITIALIZER;
static zhashx_t *s_prepared;    //  "%p" of a PGconn -> s_prepared_t

//  Frees what is remembered at exit.
static void
s_prepared_free (void)
{
    pthread_mutex_lock (&s_prepared_lock);
    zhashx_destroy (&s_prepared);
    pthread_mutex_unlock (&s_prepared_lock);
}

//  A connection that is reset or finished forgets what was prepared on it
//  (libpq tells each connection's registered event procedure): a new
//  connection that libpq happens to allocate at the same address starts
//  afresh, and nothing of a finished one stays behind.
static int
s_on_conn_event (PGEventId event, void *info, void *pass_through)
{
    (void) pass_through;
    PGconn *conn = event == PGEVT_CONNRESET ? ((PGEventConnReset *) info)->conn
                 : event == PGEVT_CONNDESTROY ? ((PGEventConnDestroy *) info)->conn : NULL;
    if (conn) {
        char key [32];
        snprintf (key, sizeof (key), "%p", (void *) conn);
        pthread_mutex_lock (&s_prepared_lock);
        if (s_prepared)
            zhashx_delete (s_prepared, key);
        pthread_mutex_unlock (&s_prepared_lock);
    }
    return 1;
}

PGconn *
egov_db_connect (const char *conninfo, int timeout_ms)
{
    int64_t deadline = zclock_mono () + timeout_ms;
    int backoff_ms = 50;
    while (true) {
        PGconn *conn = PQconnectdb (conninfo);
        if (PQstatus (conn) == CONNECTION_OK) {
            PQclear (PQexec (conn, "SET client_min_messages = warning"));
            return conn;
        }
        if (zclock_mono () + backoff_ms > deadline) {
            zsys_error ("database: cannot connect (%s): %s", conninfo, PQerrorMessage (conn));
            PQfinish (conn);
            return NULL;
        }
        PQfinish (conn);
        zclock_sleep (backoff_ms);
        if (backoff_ms < 1000)
            backoff_ms *= 2;
    }
}

bool
egov_db_exec_script (PGconn *conn, const char *script, const char *what)
{
    PGresult *result = PQexec (conn, script);
    bool ok = egov_db_check (result, PGRES_COMMAND_OK, what)
           || PQresultStatus (result) == PGRES_TUPLES_OK;
    PQclear (result);
    return ok;
}

char *
egov_db_strdup (const PGresult *result, int row, int column)
{
    char *copy = strdup (PQgetvalue (result, row, column));
    assert (copy);
    return copy;
}

bool
egov_db_check (PGresult *result, ExecStatusType expected, const char *what)
{
    if (result && PQresultStatus (result) == expected)
        return true;
    if (result && PQresultStatus (result) == PGRES_TUPLES_OK && expected == PGRES_COMMAND_OK)
        return true;
    zsys_error ("database: %s failed: %s", what,
                result ? PQresultErrorMessage (result) : "no result");
    return false;
}

bool
egov_db_is_duplicate (PGresult *result)
{
    const char *state = result ? PQresultErrorField (result, PG_DIAG_SQLSTATE) : NULL;
    return state && streq (state, "23505");
}

bool
egov_db_alive (PGconn *conn)
{
    if (PQstatus (conn) == CONNECTION_OK)
        return true;
    PQreset (conn);
    return PQstatus (conn) == CONNECTION_OK;
}

//  The name sql runs under on conn, preparing it there the first time
//  (copied into name); false when it runs unprepared.
static bool
s_prepare (PGconn *conn, const char *sql, int count, const Oid *types, char *name, size_t size)
{
    int pid = PQbackendPID (conn);
    if (pid == 0 || PQtransactionStatus (conn) == PQTRANS_INERROR)
        return false;
    char key [32];
    snprintf (key, sizeof (key), "%p", (void *) conn);
    pthread_mutex_lock (&s_prepared_lock);
    if (!s_prepared) {
        s_prepared = zhashx_new ();
        zhashx_set_destructor (s_prepared, (zhashx_destructor_fn *) s_prepared_destroy);
        atexit (s_prepared_free);
    }
    s_prepared_t *cache = (s_prepared_t *) zhashx_lookup (s_prepared, key);
    if (cache && cache->backend_pid != pid) {
        zhashx_delete (s_prepared, key);
        cache = NULL;
    }
    if (!cache) {
        if (zhashx_size (s_prepared) >= s_CONNECTIONS_MAX)
            zhashx_purge (s_prepared);
        cache = (s_prepared_t *) zmalloc (sizeof (s_prepared_t));
        assert (cache);
        cache->backend_pid = pid;
        cache->names = zhashx_new ();
        zhashx_set_destructor (cache->names, (zhashx_destructor_fn *) zstr_free);
        zhashx_insert (s_prepared, key, cache);
        //  Once per connection (libpq refuses the same procedure twice)
        PQregisterEventProc (conn, s_on_conn_event, "egov_db", NULL);
    }
    const char *known = (const char *) zhashx_lookup (cache->names, sql);
    bool found = known != NULL;
    if (found)
        snprintf (name, size, "%s", known);
    else
        snprintf (name, size, "egov_%u", cache->next++);
    bool full = zhashx_size (cache->names) >= EGOV_DB_PREPARED_MAX;
    pthread_mutex_unlock (&s_prepared_lock);
    if (found)
        return true;
    if (full)
        return false;
    //  One connection is used by one thread at a time: nobody else prepares
    //  on it meanwhile
    PGresult *result = PQprepare (conn, name, sql, count, types);
    bool prepared = PQresultStatus (result) == PGRES_COMMAND_OK;
    PQclear (result);
    if (prepared) {
        char *copy = strdup (name);
        assert (copy);
        pthread_mutex_lock (&s_prepared_lock);
        cache = s_prepared ? (s_prepared_t *) zhashx_lookup (s_prepared, key) : NULL;
        if (cache && cache->backend_pid == pid)
            zhashx_update (cache->names, sql, copy);
        else
            free (copy);
        pthread_mutex_unlock (&s_prepared_lock);
    }
    return prepared;
}

PGresult *
egov_db_params (PGconn *conn, const char *sql, int count, const Oid *types,
                const char *const *values, const int *lengths, const int *formats,
                int result_format)
{
    char name [32];
    if (s_prepare (conn, sql, count, types, name, sizeof (name)))
        return PQexecPrepared (conn, name, count, values, lengths, formats, result_format);
    return PQexecParams (conn, sql, count, types, values, lengths, formats, result_format);
}

//  ---------------------------------------------------------------------
//  Self test

//  How many statements conn's session holds prepared.
static int
s_test_prepared_count (PGconn *conn)
{
    PGresult *result = PQexec (conn, "SELECT count (*) FROM pg_prepared_statements");
    assert (PQresultStatus (result) == PGRES_TUPLES_OK);
    int count = atoi (PQgetvalue (result, 0, 0));
    PQclear (result);
    return count;
}

void
egov_db_test (bool verbose)
{
    if (verbose)
        printf (" * egov_db: ");
    const char *conninfo = getenv ("EGOV_TEST_DB");
    if (!conninfo) {
        if (verbose)
            printf ("skipped (EGOV_TEST_DB unset)\n");
        return;
    }
    PGconn *conn = egov_db_connect (conninfo, 5000);
    assert (conn);
    const char *values [] = { "20", "22" };
    //  Prepared the first time, executed prepared after: the same answers
    for (int round = 0; round < 3; round++) {
        PGresult *result = egov_db_params (conn, "SELECT $1::integer + $2::integer", 2, NULL, values,
                                           NULL, NULL, 0);
        assert (PQresultStatus (result) == PGRES_TUPLES_OK && streq (PQgetvalue (result, 0, 0), "42"));
        PQclear (result);
    }
    assert (s_test_prepared_count (conn) == 1);
    //  A broken statement answers its error as PQexecParams would, and
    //  inside the failed transaction nothing new is prepared
    PQclear (PQexec (conn, "BEGIN"));
    PGresult *result = egov_db_params (conn, "SELECT no_such_column", 0, NULL, NULL, NULL, NULL, 0);
    assert (PQresultStatus (result) == PGRES_FATAL_ERROR);
    PQclear (result);
    result = egov_db_params (conn, "SELECT 1", 0, NULL, NULL, NULL, NULL, 0);
    assert (PQresultStatus (result) == PGRES_FATAL_ERROR);
    PQclear (result);
    PQclear (PQexec (conn, "ROLLBACK"));
    assert (s_test_prepared_count (conn) == 1);
    //  A re-established connection (a new server process) prepares again
    PQreset (conn);
    assert (PQstatus (conn) == CONNECTION_OK && s_test_prepared_count (conn) == 0);
    result = egov_db_params (conn, "SELECT $1::integer + $2::integer", 2, NULL, values, NULL, NULL, 0);
    assert (PQresultStatus (result) == PGRES_TUPLES_OK && streq (PQgetvalue (result, 0, 0), "42"));
    PQclear (result);
    assert (s_test_prepared_count (conn) == 1);
    //  Past the limit, statements run unprepared, and still run
    for (int index = 0; index <= EGOV_DB_PREPARED_MAX; index++) {
        char sql [64];
        snprintf (sql, sizeof (sql), "SELECT %d", index);
        result = egov_db_params (conn, sql, 0, NULL, NULL, NULL, NULL, 0);
        assert (PQresultStatus (result) == PGRES_TUPLES_OK && atoi (PQgetvalue (result, 0, 0)) == index);
        PQclear (result);
    }
    assert (s_test_prepared_count (conn) == EGOV_DB_PREPARED_MAX);
    //  A finished connection is forgotten
    char key [32];
    snprintf (key, sizeof (key), "%p", (void *) conn);
    pthread_mutex_lock (&s_prepared_lock);
    assert (zhashx_lookup (s_prepared, key));
    pthread_mutex_unlock (&s_prepared_lock);
    PQfinish (conn);
    pthread_mutex_lock (&s_prepared_lock);
    assert (!zhashx_lookup (s_prepared, key));
    pthread_mutex_unlock (&s_prepared_lock);
    if (verbose)
        printf ("OK\n");
}
