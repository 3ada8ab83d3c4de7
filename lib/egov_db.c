/*  egov_db — PostgreSQL helpers.  */
#include "egov_db.h"
#include <czmq.h>

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
