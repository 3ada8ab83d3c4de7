/*  shep_accounts — accounts, logins, sessions and locks (see shep_accounts.h).  */
#include "shep_accounts.h"
#include "egov_db.h"
#include "egov_worker.h"
#include <sodium.h>

_Static_assert (SHEP_ACCOUNTS_HASH_SIZE == crypto_pwhash_STRBYTES, "a stored hash is libsodium's");

struct _shep_accounts_t {
    shep_participant_t *engine;     //  holds the database, not owned
    shep_accounts_policy_t policy;  //  session lifetime and locking
    char *key_name;                 //  the login, as messages say it
    bool roles;                     //  the accounts have a role
    //  The statements, on the config's tables
    char *sql_exists, *sql_create, *sql_account, *sql_failed, *sql_open, *sql_session;
};

shep_accounts_t *
shep_accounts_new (shep_participant_t *engine, const shep_accounts_config_t *config)
{
    assert (engine && config && config->accounts && config->sessions && config->key);
    shep_accounts_t *self = (shep_accounts_t *) zmalloc (sizeof (shep_accounts_t));
    assert (self);
    self->engine = engine;
    self->policy = config->policy;
    self->key_name = strdup (config->key_name ? config->key_name : config->key);
    self->roles = config->role != NULL;
    const char *a = config->accounts, *k = config->key, *t = config->sessions;
    const char *role = config->role ? config->role : "NULL";
    self->sql_exists = zsys_sprintf ("SELECT 1 FROM %s WHERE %s = $1", a, k);
    self->sql_create = config->role
        ? zsys_sprintf ("INSERT INTO %s (%s, name, password_hash, %s) VALUES ($1, $2, $3, $4)", a, k, role)
        : zsys_sprintf ("INSERT INTO %s (%s, name, password_hash) VALUES ($1, $2, $3)", a, k);
    self->sql_account = zsys_sprintf (
        "SELECT password_hash, greatest (0, ceil (extract (epoch FROM locked_until - now ()) * 1000))::bigint"
        " FROM %s WHERE %s = $1", a, k);
    self->sql_failed = zsys_sprintf (
        "UPDATE %s SET"
        " locked_until = CASE WHEN failed_logins + 1 >= $2::int"
        "   THEN now () + $3::bigint * interval '1 millisecond' ELSE locked_until END,"
        " failed_logins = CASE WHEN failed_logins + 1 >= $2::int THEN 0 ELSE failed_logins + 1 END"
        " WHERE %s = $1 AND NOT coalesce (locked_until > now (), false)"
        " RETURNING locked_until > now ()", a, k);
    //  The session only while the account is not locked: other logins'
    //  failures may have locked it while this password was checked
    self->sql_open = zsys_sprintf (
        "WITH open AS (UPDATE %s SET failed_logins = 0, locked_until = NULL"
        "   WHERE %s = $2 AND NOT coalesce (locked_until > now (), false) RETURNING %s),"
        " gone AS (DELETE FROM %s WHERE expires_wall < now ())"
        " INSERT INTO %s (token_sha256, %s, expires_wall)"
        " SELECT $1, %s, now () + $3::bigint * interval '1 millisecond' FROM open"
        " RETURNING (extract (epoch FROM expires_wall) * 1000)::bigint", a, k, k, t, t, k, k);
    self->sql_session = zsys_sprintf (
        "SELECT a.%s, a.name, %s%s FROM %s s JOIN %s a USING (%s)"
        " WHERE s.token_sha256 = $1 AND s.expires_wall > now ()",
        k, config->role ? "a." : "", role, t, a, k);
    return self;
}

void
shep_accounts_destroy (shep_accounts_t **self_p)
{
    assert (self_p);
    shep_accounts_t *self = *self_p;
    if (self) {
        free (self->key_name);
        zstr_free (&self->sql_exists);
        zstr_free (&self->sql_create);
        zstr_free (&self->sql_account);
        zstr_free (&self->sql_failed);
        zstr_free (&self->sql_open);
        zstr_free (&self->sql_session);
        free (self);
        *self_p = NULL;
    }
}

//  Runs a statement with text parameters; NULL (logged) unless expected.
//  A connection that broke is the engine's to re-establish, on its next use.
static PGresult *
s_sql (PGconn *conn, ExecStatusType expected, const char *sql, int count,
       const char *const *values)
{
    PGresult *result = egov_db_params (conn, sql, count, NULL, values, NULL, NULL, 0);
    if (PQresultStatus (result) != expected) {
        zsys_error ("accounts: %s", PQresultErrorMessage (result));
        PQclear (result);
        return NULL;
    }
    return result;
}

//  Sets DATABASE_UNAVAILABLE.
static void
s_db_down (egov_error_t *error)
{
    egov_error_set (error, "DATABASE_UNAVAILABLE", "the service's database did not answer");
}

//  Sets AUTH_FAILED, the same words whichever half was wrong.
static void
s_auth_failed (shep_accounts_t *self, egov_error_t *error)
{
    egov_error_set (error, "AUTH_FAILED", "wrong %s or password", self->key_name);
}

//  SHA-256 of a token in hex.
static void
s_token_hash (const char *token, char out [65])
{
    unsigned char digest [crypto_hash_sha256_BYTES];
    crypto_hash_sha256 (digest, (const unsigned char *) token, strlen (token));
    sodium_bin2hex (out, 65, digest, sizeof (digest));
}

int
shep_accounts_exists (shep_accounts_t *self, const char *login)
{
    PGconn *conn = shep_participant_db (self->engine);
    const char *values [] = { login };
    PGresult *result = conn ? s_sql (conn, PGRES_TUPLES_OK, self->sql_exists, 1, values) : NULL;
    if (!result)
        return -1;
    int exists = PQntuples (result) > 0;
    PQclear (result);
    return exists;
}

int
shep_accounts_create (shep_accounts_t *self, const char *login, const char *name,
                      const char *role, const char *hash, egov_error_t *error)
{
    assert (!self->roles || role);
    PGconn *conn = shep_participant_db (self->engine);
    if (!conn) {
        s_db_down (error);
        return -1;
    }
    const char *values [] = { login, name, hash, role };
    PGresult *result = egov_db_params (conn, self->sql_create, self->roles ? 4 : 3, NULL, values,
                                     NULL, NULL, 0);
    int rc = 0;
    if (egov_db_is_duplicate (result)) {
        egov_error_set (error, "ALREADY_REGISTERED", "%s %s already has an account; log in",
                        self->key_name, login);
        rc = -1;
    }
    else
    if (PQresultStatus (result) != PGRES_COMMAND_OK) {
        zsys_error ("accounts: %s", PQresultErrorMessage (result));
        egov_error_set (error, "DATABASE_UNAVAILABLE", "the service's database did not take the account");
        rc = -1;
    }
    PQclear (result);
    return rc;
}

//  Reads an account: 1 with its stored hash (may be NULL) and how long it
//  stays locked (ms, 0 when not), 0 when there is none, -1 with
//  DATABASE_UNAVAILABLE.
static int
s_account (shep_accounts_t *self, PGconn *conn, const char *login, char hash [SHEP_ACCOUNTS_HASH_SIZE],
           int64_t *locked_ms, egov_error_t *error)
{
    const char *values [] = { login };
    PGresult *result = conn ? s_sql (conn, PGRES_TUPLES_OK, self->sql_account, 1, values) : NULL;
    if (!result) {
        s_db_down (error);
        return -1;
    }
    int found = PQntuples (result) == 1;
    if (found) {
        if (hash)
            snprintf (hash, SHEP_ACCOUNTS_HASH_SIZE, "%s", PQgetvalue (result, 0, 0));
        *locked_ms = PQgetisnull (result, 0, 1) ? 0 : strtoll (PQgetvalue (result, 0, 1), NULL, 10);
    }
    PQclear (result);
    return found;
}

//  Sets LOCKED for an account locked for locked_ms more.
static int
s_locked (int64_t locked_ms, int64_t *retry_ms, egov_error_t *error)
{
    *retry_ms = locked_ms;
    egov_error_set (error, "LOCKED", "too many wrong passwords: the account is locked for %" PRId64
                    " more seconds", (locked_ms + 999) / 1000);
    return -1;
}

int
shep_accounts_login_start (shep_accounts_t *self, const char *login, char hash [SHEP_ACCOUNTS_HASH_SIZE],
                           int64_t *retry_ms, egov_error_t *error)
{
    *retry_ms = 0;
    int64_t locked = 0;
    int found = s_account (self, shep_participant_db (self->engine), login, hash, &locked, error);
    if (found == 0)
        s_auth_failed (self, error);
    if (found == 1 && locked > 0)
        return s_locked (locked, retry_ms, error);
    return found;
}

//  A wrong password counted, unless the account was locked meanwhile.
static int
s_failed (shep_accounts_t *self, PGconn *conn, const char *login, int64_t *retry_ms,
          egov_error_t *error)
{
    char limit [16], lock [24];
    snprintf (limit, sizeof (limit), "%d", self->policy.lock_after);
    snprintf (lock, sizeof (lock), "%" PRId64, self->policy.lock_ms);
    const char *params [] = { login, limit, lock };
    PGresult *result = s_sql (conn, PGRES_TUPLES_OK, self->sql_failed, 3, params);
    if (!result) {
        //  An uncounted failure would let a guesser past the lock
        s_db_down (error);
        return -1;
    }
    int counted = PQntuples (result);
    bool now_locked = counted == 1 && *PQgetvalue (result, 0, 0) == 't';
    PQclear (result);
    int64_t locked = 0;
    if (counted == 0 && s_account (self, conn, login, NULL, &locked, error) < 0)
        return -1;
    if (locked > 0)
        return s_locked (locked, retry_ms, error);
    if (now_locked) {
        *retry_ms = self->policy.lock_ms;
        egov_error_set (error, "LOCKED", "%d wrong passwords in a row: the account is locked for %"
                        PRId64 " seconds", self->policy.lock_after, (self->policy.lock_ms + 999) / 1000);
    }
    else
        s_auth_failed (self, error);
    return -1;
}

int
shep_accounts_login_finish (shep_accounts_t *self, const char *login, bool right,
                            char token [SHEP_ACCOUNTS_TOKEN_SIZE], int64_t *expires_ms,
                            int64_t *retry_ms, egov_error_t *error)
{
    *retry_ms = 0;
    PGconn *conn = shep_participant_db (self->engine);
    if (!conn) {
        s_db_down (error);
        return -1;
    }
    if (!right)
        return s_failed (self, conn, login, retry_ms, error);
    unsigned char secret [32];
    randombytes_buf (secret, sizeof (secret));
    sodium_bin2hex (token, SHEP_ACCOUNTS_TOKEN_SIZE, secret, sizeof (secret));
    char hash [65], lifetime [24];
    s_token_hash (token, hash);
    snprintf (lifetime, sizeof (lifetime), "%" PRId64, self->policy.session_ms);
    const char *params [] = { hash, login, lifetime };
    PGresult *result = s_sql (conn, PGRES_TUPLES_OK, self->sql_open, 3, params);
    if (!result) {
        egov_error_set (error, "DATABASE_UNAVAILABLE", "the service's database did not take the session");
        return -1;
    }
    int opened = PQntuples (result);
    if (opened == 1)
        *expires_ms = strtoll (PQgetvalue (result, 0, 0), NULL, 10);
    PQclear (result);
    if (opened == 1)
        return 0;
    sodium_memzero (token, SHEP_ACCOUNTS_TOKEN_SIZE);
    int64_t locked = 0;
    int found = s_account (self, conn, login, NULL, &locked, error);
    if (found < 0)
        return -1;
    if (found == 1 && locked > 0)
        return s_locked (locked, retry_ms, error);
    s_auth_failed (self, error);
    return -1;
}

int
shep_accounts_authenticate (shep_accounts_t *self, const char *token, char *login, size_t login_size,
                            char *name, size_t name_size, char *role, size_t role_size)
{
    //  A token of the wrong shape was never given out, whatever the database says
    if (!token || strlen (token) != SHEP_ACCOUNTS_TOKEN_SIZE - 1)
        return 0;
    PGconn *conn = shep_participant_db (self->engine);
    if (!conn)
        return -1;
    char hash [65];
    s_token_hash (token, hash);
    const char *values [] = { hash };
    PGresult *result = s_sql (conn, PGRES_TUPLES_OK, self->sql_session, 1, values);
    if (!result)
        return -1;
    int live = PQntuples (result) == 1;
    if (live) {
        snprintf (login, login_size, "%s", PQgetvalue (result, 0, 0));
        snprintf (name, name_size, "%s", PQgetvalue (result, 0, 1));
        if (role)
            snprintf (role, role_size, "%s", PQgetvalue (result, 0, 2));
    }
    PQclear (result);
    return live;
}

//  ---------------------------------------------------------------------
//  Selftest

//  Hashes password as a worker thread would, into hash.
static void
s_test_hash (const char *password, char hash [SHEP_ACCOUNTS_HASH_SIZE])
{
    bool hashed = egov_password_hash (password, hash);
    assert (hashed);
}

//  Logs in with both halves around the check, as the portal does.
static int
s_test_login (shep_accounts_t *self, const char *iin, const char *password,
              char token [SHEP_ACCOUNTS_TOKEN_SIZE], int64_t *expires_ms, int64_t *retry_ms,
              egov_error_t *error)
{
    char hash [SHEP_ACCOUNTS_HASH_SIZE];
    int known = shep_accounts_login_start (self, iin, hash, retry_ms, error);
    if (known <= 0)
        return -1;
    bool right = crypto_pwhash_str_verify (hash, password, strlen (password)) == 0;
    return shep_accounts_login_finish (self, iin, right, token, expires_ms, retry_ms, error);
}

void
shep_accounts_test (bool verbose)
{
    printf (" * shep_accounts: ");
    if (verbose)
        printf ("\n");
    egov_error_t error = { { 0 } };

    const char *conninfo = getenv ("EGOV_TEST_DB");
    if (!conninfo || !*conninfo) {
        printf ("(database part skipped: EGOV_TEST_DB unset) OK\n");
        return;
    }
    assert (sodium_init () >= 0);
    PGconn *conn = egov_db_connect (conninfo, 5000);
    assert (conn);
    assert (egov_db_exec_script (conn,
        "DROP SCHEMA IF EXISTS shep_accounts_test CASCADE; CREATE SCHEMA shep_accounts_test;"
        "SET search_path TO shep_accounts_test", "test schema"));
    char engine_db [600];
    snprintf (engine_db, sizeof (engine_db), "%s options='-c search_path=shep_accounts_test'",
              conninfo);
    shep_participant_config_t engine_config = {
        .gateway = "tcp://127.0.0.1:9", .participant_id = "portal", .conninfo = engine_db,
        .schema_sql =
            "CREATE TABLE person (iin text PRIMARY KEY, name text NOT NULL, password_hash text NOT NULL,"
            " failed_logins integer NOT NULL DEFAULT 0, locked_until timestamptz, role text NOT NULL);"
            "CREATE TABLE visit (token_sha256 text PRIMARY KEY, iin text NOT NULL REFERENCES person,"
            " expires_wall timestamptz NOT NULL)",
        .receive_async = true
    };
    shep_participant_t *engine = shep_participant_new (&engine_config, NULL, &error);
    assert (engine);
    shep_accounts_config_t config = { .accounts = "person", .sessions = "visit", .key = "iin",
        .key_name = "IIN", .role = "role", .policy = { 60 * 1000, 3, 400 } };
    shep_accounts_t *accounts = shep_accounts_new (engine, &config);
    char secret [SHEP_ACCOUNTS_HASH_SIZE];
    s_test_hash ("secret123", secret);
    assert (shep_accounts_exists (accounts, "850314301234") == 0);
    assert (shep_accounts_create (accounts, "850314301234", "Асқаров Ерлан Серікұлы", "clerk", secret,
                                    &error) == 0);
    assert (shep_accounts_exists (accounts, "850314301234") == 1);
    assert (shep_accounts_create (accounts, "850314301234", "x", "clerk", secret, &error) == -1
            && streq (error.code, "ALREADY_REGISTERED"));

    char token [SHEP_ACCOUNTS_TOKEN_SIZE], iin [13], name [256], role [16];
    int64_t expires, retry;
    assert (s_test_login (accounts, "010101599994", "secret123", token, &expires, &retry,
                           &error) == -1 && streq (error.code, "AUTH_FAILED"));
    assert (s_test_login (accounts, "850314301234", "secret123", token, &expires, &retry,
                           &error) == 0);
    assert (strlen (token) == 64 && expires > egov_now_ms () + 50 * 1000);
    assert (shep_accounts_authenticate (accounts, token, iin, sizeof (iin), name, sizeof (name), role, sizeof (role)) == 1);
    assert (streq (iin, "850314301234") && streq (name, "Асқаров Ерлан Серікұлы") && streq (role, "clerk"));
    char forged [SHEP_ACCOUNTS_TOKEN_SIZE];
    memcpy (forged, token, sizeof (forged));
    forged [0] = forged [0] == 'a' ? 'b' : 'a';
    assert (shep_accounts_authenticate (accounts, forged, iin, sizeof (iin), name, sizeof (name), NULL, 0) == 0);
    assert (shep_accounts_authenticate (accounts, "short", iin, sizeof (iin), name, sizeof (name), NULL, 0) == 0);
    assert (shep_accounts_authenticate (accounts, NULL, iin, sizeof (iin), name, sizeof (name), NULL, 0) == 0);

    //  Two failures, then a right password resets the count
    for (int attempt = 0; attempt < 2; attempt++)
        assert (s_test_login (accounts, "850314301234", "wrong1234", token, &expires, &retry,
                               &error) == -1 && streq (error.code, "AUTH_FAILED"));
    assert (s_test_login (accounts, "850314301234", "secret123", token, &expires, &retry,
                           &error) == 0);
    //  Three in a row lock it; then even the right password is refused, until the lock ends
    for (int attempt = 0; attempt < 3; attempt++) {
        assert (s_test_login (accounts, "850314301234", "wrong1234", token, &expires, &retry,
                               &error) == -1);
        assert (streq (error.code, attempt < 2 ? "AUTH_FAILED" : "LOCKED"));
    }
    assert (retry == 400);
    assert (s_test_login (accounts, "850314301234", "secret123", token, &expires, &retry,
                           &error) == -1 && streq (error.code, "LOCKED") && retry > 0);
    zclock_sleep (500);
    //  Logins checked at the same time: the lock is looked at again when
    //  the verdict comes, so those that find it locked are refused, right
    //  or wrong, and not counted
    char hash [SHEP_ACCOUNTS_HASH_SIZE];
    assert (shep_accounts_login_start (accounts, "850314301234", hash, &retry, &error) == 1);
    for (int attempt = 0; attempt < 3; attempt++)
        assert (shep_accounts_login_finish (accounts, "850314301234", false, token, &expires,
                                              &retry, &error) == -1);
    assert (streq (error.code, "LOCKED") && retry == 400);
    assert (shep_accounts_login_finish (accounts, "850314301234", true, token, &expires, &retry,
                                          &error) == -1 && streq (error.code, "LOCKED") && retry > 0);
    assert (shep_accounts_login_finish (accounts, "850314301234", false, token, &expires, &retry,
                                          &error) == -1 && streq (error.code, "LOCKED") && retry > 0);
    assert (shep_accounts_login_start (accounts, "010101599994", hash, &retry, &error) == 0
            && streq (error.code, "AUTH_FAILED"));
    zclock_sleep (500);
    assert (s_test_login (accounts, "850314301234", "secret123", token, &expires, &retry,
                           &error) == 0);
    //  An expired session no longer authenticates
    config.policy.session_ms = 1;
    shep_accounts_t *brief = shep_accounts_new (engine, &config);
    assert (s_test_login (brief, "850314301234", "secret123", token, &expires, &retry,
                           &error) == 0);
    zclock_sleep (20);
    assert (shep_accounts_authenticate (brief, token, iin, sizeof (iin), name, sizeof (name), NULL, 0) == 0);
    shep_accounts_destroy (&brief);

    //  The database connection lost, as in a PostgreSQL restart: a valid
    //  token is never called unknown, and the accounts work again once the
    //  engine has the database back (at most once a second it tries)
    assert (s_test_login (accounts, "850314301234", "secret123", token, &expires, &retry,
                           &error) == 0);
    shep_participant_db_cut (engine);
    assert (shep_accounts_authenticate (accounts, token, iin, sizeof (iin), name, sizeof (name), role, sizeof (role)) == -1);
    zclock_sleep (1100);
    assert (shep_accounts_authenticate (accounts, token, iin, sizeof (iin), name, sizeof (name), role, sizeof (role)) == 1);
    shep_participant_db_cut (engine);
    assert (shep_accounts_authenticate (accounts, token, iin, sizeof (iin), name, sizeof (name), role, sizeof (role)) == -1);
    assert (shep_accounts_exists (accounts, "850314301234") == -1);
    assert (s_test_login (accounts, "850314301234", "secret123", token, &expires, &retry,
                           &error) == -1 && streq (error.code, "DATABASE_UNAVAILABLE"));
    assert (shep_accounts_create (accounts, "900722404568", "x", "head", secret, &error) == -1
            && streq (error.code, "DATABASE_UNAVAILABLE"));
    zclock_sleep (1100);
    assert (shep_accounts_exists (accounts, "850314301234") == 1);
    assert (s_test_login (accounts, "850314301234", "secret123", token, &expires, &retry,
                           &error) == 0);
    assert (shep_accounts_authenticate (accounts, token, iin, sizeof (iin), name, sizeof (name), role, sizeof (role)) == 1);
    shep_accounts_destroy (&accounts);
    shep_accounts_destroy (&accounts);
    shep_participant_destroy (&engine);
    assert (egov_db_exec_script (conn, "DROP SCHEMA shep_accounts_test CASCADE", "drop"));
    PQfinish (conn);
    printf ("OK\n");
}
