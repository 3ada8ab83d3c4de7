/*  portal_accounts — registration, login, sessions and locks.  */
#include "portal_accounts.h"
#include "portal_reply.h"
#include "egov_db.h"
#include <sodium.h>

_Static_assert (PORTAL_HASH_SIZE == crypto_pwhash_STRBYTES, "a stored hash is libsodium's");

struct _portal_accounts_t {
    shep_participant_t *engine;     //  holds the database, not owned
    portal_policy_t policy;         //  session lifetime and locking
};

portal_accounts_t *
portal_accounts_new (shep_participant_t *engine, const portal_policy_t *policy)
{
    assert (engine && policy);
    portal_accounts_t *self = (portal_accounts_t *) zmalloc (sizeof (portal_accounts_t));
    assert (self);
    self->engine = engine;
    self->policy = *policy;
    return self;
}

void
portal_accounts_destroy (portal_accounts_t **self_p)
{
    assert (self_p);
    if (*self_p) {
        free (*self_p);
        *self_p = NULL;
    }
}

bool
portal_password_check (const char *password, const char *iin, egov_error_t *error)
{
    size_t length = strlen (password);
    bool letter = false, digit = false;
    for (const char *cursor = password; *cursor; cursor++) {
        letter |= isalpha ((unsigned char) *cursor) || (unsigned char) *cursor >= 0x80;
        digit |= isdigit ((unsigned char) *cursor) != 0;
    }
    if (length < PORTAL_PASSWORD_MIN || length > PORTAL_PASSWORD_MAX)
        egov_error_set (error, "WEAK_PASSWORD", "a password has %d to %d bytes",
                        PORTAL_PASSWORD_MIN, PORTAL_PASSWORD_MAX);
    else
    if (!egov_http_printable (password))
        egov_error_set (error, "WEAK_PASSWORD", "a password has no control characters");
    else
    if (!letter || !digit)
        egov_error_set (error, "WEAK_PASSWORD", "a password has at least one letter and one digit");
    else
    if (iin && *iin && strstr (password, iin))
        egov_error_set (error, "WEAK_PASSWORD", "a password must not contain the IIN");
    else
        return true;
    return false;
}

//  Runs a statement with text parameters; NULL (logged) unless expected.
//  A connection that broke is the engine's to re-establish, on its next use.
static PGresult *
s_sql (PGconn *conn, ExecStatusType expected, const char *sql, int count,
       const char *const *values)
{
    PGresult *result = PQexecParams (conn, sql, count, NULL, values, NULL, NULL, 0);
    if (PQresultStatus (result) != expected) {
        zsys_error ("portal: accounts: %s", PQresultErrorMessage (result));
        PQclear (result);
        return NULL;
    }
    return result;
}

//  Sets DATABASE_UNAVAILABLE.
static void
s_db_down (egov_error_t *error)
{
    egov_error_set (error, "DATABASE_UNAVAILABLE", "the portal's database did not answer");
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
portal_accounts_exists (portal_accounts_t *self, const char *iin)
{
    PGconn *conn = shep_participant_db (self->engine);
    const char *values [] = { iin };
    PGresult *result = conn ? s_sql (conn, PGRES_TUPLES_OK, "SELECT 1 FROM citizen WHERE iin = $1",
                                     1, values) : NULL;
    if (!result)
        return -1;
    int exists = PQntuples (result) > 0;
    PQclear (result);
    return exists;
}

int
portal_accounts_create (portal_accounts_t *self, const char *iin, const char *name,
                        const char *hash, egov_error_t *error)
{
    PGconn *conn = shep_participant_db (self->engine);
    if (!conn) {
        s_db_down (error);
        return -1;
    }
    const char *values [] = { iin, name, hash };
    PGresult *result = PQexecParams (conn,
        "INSERT INTO citizen (iin, name, password_hash) VALUES ($1, $2, $3)",
        3, NULL, values, NULL, NULL, 0);
    int rc = 0;
    if (egov_db_is_duplicate (result)) {
        egov_error_set (error, "ALREADY_REGISTERED", "IIN %s already has an account; log in", iin);
        rc = -1;
    }
    else
    if (PQresultStatus (result) != PGRES_COMMAND_OK) {
        zsys_error ("portal: accounts: %s", PQresultErrorMessage (result));
        egov_error_set (error, "DATABASE_UNAVAILABLE", "the portal's database did not take the account");
        rc = -1;
    }
    PQclear (result);
    return rc;
}

//  Reads an account: 1 with its stored hash (may be NULL) and how long it
//  stays locked (ms, 0 when not), 0 when there is none, -1 with
//  DATABASE_UNAVAILABLE.
static int
s_account (PGconn *conn, const char *iin, char hash [PORTAL_HASH_SIZE], int64_t *locked_ms,
           egov_error_t *error)
{
    const char *values [] = { iin };
    PGresult *result = conn ? s_sql (conn, PGRES_TUPLES_OK,
        "SELECT password_hash, greatest (0, ceil (extract (epoch FROM locked_until - now ()) * 1000))::bigint"
        " FROM citizen WHERE iin = $1", 1, values) : NULL;
    if (!result) {
        s_db_down (error);
        return -1;
    }
    int found = PQntuples (result) == 1;
    if (found) {
        if (hash)
            snprintf (hash, PORTAL_HASH_SIZE, "%s", PQgetvalue (result, 0, 0));
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
portal_accounts_login_start (portal_accounts_t *self, const char *iin, char hash [PORTAL_HASH_SIZE],
                             int64_t *retry_ms, egov_error_t *error)
{
    *retry_ms = 0;
    int64_t locked = 0;
    int found = s_account (shep_participant_db (self->engine), iin, hash, &locked, error);
    if (found == 0)
        egov_error_set (error, "AUTH_FAILED", "wrong IIN or password");
    if (found == 1 && locked > 0)
        return s_locked (locked, retry_ms, error);
    return found;
}

//  A wrong password counted, unless the account was locked meanwhile.
static int
s_failed (portal_accounts_t *self, PGconn *conn, const char *iin, int64_t *retry_ms,
          egov_error_t *error)
{
    char limit [16], lock [24];
    snprintf (limit, sizeof (limit), "%d", self->policy.lock_after);
    snprintf (lock, sizeof (lock), "%" PRId64, self->policy.lock_ms);
    const char *params [] = { iin, limit, lock };
    PGresult *result = s_sql (conn, PGRES_TUPLES_OK,
        "UPDATE citizen SET"
        " locked_until = CASE WHEN failed_logins + 1 >= $2::int"
        "   THEN now () + $3::bigint * interval '1 millisecond' ELSE locked_until END,"
        " failed_logins = CASE WHEN failed_logins + 1 >= $2::int THEN 0 ELSE failed_logins + 1 END"
        " WHERE iin = $1 AND NOT coalesce (locked_until > now (), false)"
        " RETURNING locked_until > now ()", 3, params);
    if (!result) {
        //  An uncounted failure would let a guesser past the lock
        s_db_down (error);
        return -1;
    }
    int counted = PQntuples (result);
    bool now_locked = counted == 1 && *PQgetvalue (result, 0, 0) == 't';
    PQclear (result);
    int64_t locked = 0;
    if (counted == 0 && s_account (conn, iin, NULL, &locked, error) < 0)
        return -1;
    if (locked > 0)
        return s_locked (locked, retry_ms, error);
    if (now_locked) {
        *retry_ms = self->policy.lock_ms;
        egov_error_set (error, "LOCKED", "%d wrong passwords in a row: the account is locked for %"
                        PRId64 " seconds", self->policy.lock_after, (self->policy.lock_ms + 999) / 1000);
    }
    else
        egov_error_set (error, "AUTH_FAILED", "wrong IIN or password");
    return -1;
}

int
portal_accounts_login_finish (portal_accounts_t *self, const char *iin, bool right,
                              char token [PORTAL_TOKEN_SIZE], int64_t *expires_ms,
                              int64_t *retry_ms, egov_error_t *error)
{
    *retry_ms = 0;
    PGconn *conn = shep_participant_db (self->engine);
    if (!conn) {
        s_db_down (error);
        return -1;
    }
    if (!right)
        return s_failed (self, conn, iin, retry_ms, error);
    unsigned char secret [32];
    randombytes_buf (secret, sizeof (secret));
    sodium_bin2hex (token, PORTAL_TOKEN_SIZE, secret, sizeof (secret));
    char hash [65], lifetime [24];
    s_token_hash (token, hash);
    snprintf (lifetime, sizeof (lifetime), "%" PRId64, self->policy.session_ms);
    const char *params [] = { hash, iin, lifetime };
    //  The session only while the account is not locked: other logins'
    //  failures may have locked it while this password was checked
    PGresult *result = s_sql (conn, PGRES_TUPLES_OK,
        "WITH open AS (UPDATE citizen SET failed_logins = 0, locked_until = NULL"
        "   WHERE iin = $2 AND NOT coalesce (locked_until > now (), false) RETURNING iin),"
        " gone AS (DELETE FROM session WHERE expires_wall < now ())"
        " INSERT INTO session (token_sha256, iin, expires_wall)"
        " SELECT $1, iin, now () + $3::bigint * interval '1 millisecond' FROM open"
        " RETURNING (extract (epoch FROM expires_wall) * 1000)::bigint", 3, params);
    if (!result) {
        egov_error_set (error, "DATABASE_UNAVAILABLE", "the portal's database did not take the session");
        return -1;
    }
    int opened = PQntuples (result);
    if (opened == 1)
        *expires_ms = strtoll (PQgetvalue (result, 0, 0), NULL, 10);
    PQclear (result);
    if (opened == 1)
        return 0;
    sodium_memzero (token, PORTAL_TOKEN_SIZE);
    int64_t locked = 0;
    int found = s_account (conn, iin, NULL, &locked, error);
    if (found < 0)
        return -1;
    if (found == 1 && locked > 0)
        return s_locked (locked, retry_ms, error);
    egov_error_set (error, "AUTH_FAILED", "wrong IIN or password");
    return -1;
}

int
portal_accounts_authenticate (portal_accounts_t *self, const char *token, char iin [13],
                              char *name, size_t name_size)
{
    //  A token of the wrong shape was never given out, whatever the database says
    if (!token || strlen (token) != PORTAL_TOKEN_SIZE - 1)
        return 0;
    PGconn *conn = shep_participant_db (self->engine);
    if (!conn)
        return -1;
    char hash [65];
    s_token_hash (token, hash);
    const char *values [] = { hash };
    PGresult *result = s_sql (conn, PGRES_TUPLES_OK,
        "SELECT c.iin, c.name FROM session s JOIN citizen c USING (iin)"
        " WHERE s.token_sha256 = $1 AND s.expires_wall > now ()", 1, values);
    if (!result)
        return -1;
    int live = PQntuples (result) == 1;
    if (live) {
        snprintf (iin, 13, "%s", PQgetvalue (result, 0, 0));
        snprintf (name, name_size, "%s", PQgetvalue (result, 0, 1));
    }
    PQclear (result);
    return live;
}

extern const char *portal_schema_sql;

//  Hashes password as a worker thread would, into hash.
static void
s_test_hash (const char *password, char hash [PORTAL_HASH_SIZE])
{
    int rc = crypto_pwhash_str (hash, password, strlen (password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                                crypto_pwhash_MEMLIMIT_INTERACTIVE);
    assert (rc == 0);
}

//  Logs in with both halves around the check, as the portal does.
static int
s_test_login (portal_accounts_t *self, const char *iin, const char *password,
              char token [PORTAL_TOKEN_SIZE], int64_t *expires_ms, int64_t *retry_ms,
              egov_error_t *error)
{
    char hash [PORTAL_HASH_SIZE];
    int known = portal_accounts_login_start (self, iin, hash, retry_ms, error);
    if (known <= 0)
        return -1;
    bool right = crypto_pwhash_str_verify (hash, password, strlen (password)) == 0;
    return portal_accounts_login_finish (self, iin, right, token, expires_ms, retry_ms, error);
}

void
portal_accounts_test (bool verbose)
{
    printf (" * portal_accounts: ");
    if (verbose)
        printf ("\n");
    egov_error_t error = { { 0 } };
    assert (portal_password_check ("secret123", "850314301234", &error));
    assert (!portal_password_check ("short1", NULL, &error) && streq (error.code, "WEAK_PASSWORD"));
    assert (!portal_password_check ("onlyletters", NULL, &error));
    assert (!portal_password_check ("1234567890", NULL, &error));
    assert (!portal_password_check ("x850314301234", "850314301234", &error));
    assert (!portal_password_check ("tab\there12", NULL, &error));
    assert (portal_password_check ("құпия сөз 2026", NULL, &error));

    const char *conninfo = getenv ("EGOV_TEST_DB");
    if (!conninfo || !*conninfo) {
        printf ("(database part skipped: EGOV_TEST_DB unset) OK\n");
        return;
    }
    assert (sodium_init () >= 0);
    PGconn *conn = egov_db_connect (conninfo, 5000);
    assert (conn);
    assert (egov_db_exec_script (conn,
        "DROP SCHEMA IF EXISTS portal_accounts_test CASCADE; CREATE SCHEMA portal_accounts_test;"
        "SET search_path TO portal_accounts_test", "test schema"));
    char engine_db [600];
    snprintf (engine_db, sizeof (engine_db), "%s options='-c search_path=portal_accounts_test'",
              conninfo);
    shep_participant_config_t engine_config = {
        .gateway = "tcp://127.0.0.1:9", .participant_id = "portal", .conninfo = engine_db,
        .schema_sql = portal_schema_sql, .receive_async = true
    };
    shep_participant_t *engine = shep_participant_new (&engine_config, NULL, &error);
    assert (engine);
    portal_policy_t policy = { 60 * 1000, 3, 400 };
    portal_accounts_t *accounts = portal_accounts_new (engine, &policy);
    char secret [PORTAL_HASH_SIZE];
    s_test_hash ("secret123", secret);
    assert (portal_accounts_exists (accounts, "850314301234") == 0);
    assert (portal_accounts_create (accounts, "850314301234", "Асқаров Ерлан Серікұлы", secret,
                                    &error) == 0);
    assert (portal_accounts_exists (accounts, "850314301234") == 1);
    assert (portal_accounts_create (accounts, "850314301234", "x", secret, &error) == -1
            && streq (error.code, "ALREADY_REGISTERED"));

    char token [PORTAL_TOKEN_SIZE], iin [13], name [256];
    int64_t expires, retry;
    assert (s_test_login (accounts, "010101599994", "secret123", token, &expires, &retry,
                           &error) == -1 && streq (error.code, "AUTH_FAILED"));
    assert (s_test_login (accounts, "850314301234", "secret123", token, &expires, &retry,
                           &error) == 0);
    assert (strlen (token) == 64 && expires > egov_now_ms () + 50 * 1000);
    assert (portal_accounts_authenticate (accounts, token, iin, name, sizeof (name)) == 1);
    assert (streq (iin, "850314301234") && streq (name, "Асқаров Ерлан Серікұлы"));
    char forged [PORTAL_TOKEN_SIZE];
    memcpy (forged, token, sizeof (forged));
    forged [0] = forged [0] == 'a' ? 'b' : 'a';
    assert (portal_accounts_authenticate (accounts, forged, iin, name, sizeof (name)) == 0);
    assert (portal_accounts_authenticate (accounts, "short", iin, name, sizeof (name)) == 0);
    assert (portal_accounts_authenticate (accounts, NULL, iin, name, sizeof (name)) == 0);

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
    char hash [PORTAL_HASH_SIZE];
    assert (portal_accounts_login_start (accounts, "850314301234", hash, &retry, &error) == 1);
    for (int attempt = 0; attempt < 3; attempt++)
        assert (portal_accounts_login_finish (accounts, "850314301234", false, token, &expires,
                                              &retry, &error) == -1);
    assert (streq (error.code, "LOCKED") && retry == 400);
    assert (portal_accounts_login_finish (accounts, "850314301234", true, token, &expires, &retry,
                                          &error) == -1 && streq (error.code, "LOCKED") && retry > 0);
    assert (portal_accounts_login_finish (accounts, "850314301234", false, token, &expires, &retry,
                                          &error) == -1 && streq (error.code, "LOCKED") && retry > 0);
    assert (portal_accounts_login_start (accounts, "010101599994", hash, &retry, &error) == 0
            && streq (error.code, "AUTH_FAILED"));
    zclock_sleep (500);
    assert (s_test_login (accounts, "850314301234", "secret123", token, &expires, &retry,
                           &error) == 0);
    //  An expired session no longer authenticates
    policy.session_ms = 1;
    portal_accounts_t *brief = portal_accounts_new (engine, &policy);
    assert (s_test_login (brief, "850314301234", "secret123", token, &expires, &retry,
                           &error) == 0);
    zclock_sleep (20);
    assert (portal_accounts_authenticate (brief, token, iin, name, sizeof (name)) == 0);
    portal_accounts_destroy (&brief);

    //  The database connection lost, as in a PostgreSQL restart: a valid
    //  token is never called unknown, and the accounts work again once the
    //  engine has the database back (at most once a second it tries)
    assert (s_test_login (accounts, "850314301234", "secret123", token, &expires, &retry,
                           &error) == 0);
    shep_participant_db_cut (engine);
    assert (portal_accounts_authenticate (accounts, token, iin, name, sizeof (name)) == -1);
    zclock_sleep (1100);
    assert (portal_accounts_authenticate (accounts, token, iin, name, sizeof (name)) == 1);
    shep_participant_db_cut (engine);
    assert (portal_accounts_authenticate (accounts, token, iin, name, sizeof (name)) == -1);
    assert (portal_accounts_exists (accounts, "850314301234") == -1);
    assert (s_test_login (accounts, "850314301234", "secret123", token, &expires, &retry,
                           &error) == -1 && streq (error.code, "DATABASE_UNAVAILABLE"));
    assert (portal_accounts_create (accounts, "900722404568", "x", secret, &error) == -1
            && streq (error.code, "DATABASE_UNAVAILABLE"));
    zclock_sleep (1100);
    assert (portal_accounts_exists (accounts, "850314301234") == 1);
    assert (s_test_login (accounts, "850314301234", "secret123", token, &expires, &retry,
                           &error) == 0);
    assert (portal_accounts_authenticate (accounts, token, iin, name, sizeof (name)) == 1);
    portal_accounts_destroy (&accounts);
    portal_accounts_destroy (&accounts);
    shep_participant_destroy (&engine);
    assert (egov_db_exec_script (conn, "DROP SCHEMA portal_accounts_test CASCADE", "drop"));
    PQfinish (conn);
    printf ("OK\n");
}
