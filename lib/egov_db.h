/*  egov_db — PostgreSQL helpers over libpq: connect with backoff, apply a
    schema, check results. SQL goes only through parameterised statements.  */
#ifndef EGOV_DB_H_INCLUDED
#define EGOV_DB_H_INCLUDED

#include <libpq-fe.h>
#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

//  Connects, retrying with backoff up to timeout_ms; NULL (logged) on failure.
PGconn *egov_db_connect (const char *conninfo, int timeout_ms);
//  Runs a multi-statement schema script (idempotent DDL); false on error (logged).
bool egov_db_exec_script (PGconn *conn, const char *script, const char *what);
//  True when result has the expected status; otherwise logs what failed.
//  The result is not cleared either way.
bool egov_db_check (PGresult *result, ExecStatusType expected, const char *what);
//  A copy of a cell's text ("" for NULL); caller frees.
char *egov_db_strdup (const PGresult *result, int row, int column);
//  True when result failed with a unique violation (SQLSTATE 23505).
bool egov_db_is_duplicate (PGresult *result);
//  Re-establishes a broken connection (PQreset) when needed; true when usable.
bool egov_db_alive (PGconn *conn);
//  PQexecParams, with the statement prepared on the connection the first
//  time it runs there and executed prepared after that: PostgreSQL parses
//  and plans it once per connection instead of every time. A connection
//  re-established (PQreset) or new at the same address starts afresh; past
//  EGOV_DB_PREPARED_MAX statements per connection, or where preparing
//  fails, it runs as PQexecParams does.
PGresult *egov_db_params (PGconn *conn, const char *sql, int count, const Oid *types,
                          const char *const *values, const int *lengths, const int *formats,
                          int result_format);
#define EGOV_DB_PREPARED_MAX 256
//  Self test (against EGOV_TEST_DB when set).
void egov_db_test (bool verbose);

#ifdef __cplusplus
}
#endif
#endif
