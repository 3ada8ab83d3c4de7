/*  shep_accounts — the people who log in to a participant service's HTTP
    API: the portal's citizens, the local executive body's clerks, heads
    and executors. Accounts with a password, bearer sessions with an
    expiry, and a lock after repeated wrong passwords.

    Passwords are kept as Argon2id hashes (libsodium crypto_pwhash_str),
    made and checked by the caller off the loop (egov_worker): a login is
    two halves around the check, and the lock is looked at again when the
    verdict comes back, so logins checked at the same time count exactly
    as logins one after the other would. Tokens are 256 random bits given
    once and kept only as their SHA-256. Sessions and locks run on the wall
    clock: the simulation clock may jump weeks ahead in a test, a login
    should not expire for it. Every call takes the database from the
    participant runtime when it starts, so a PostgreSQL restart costs the
    calls made while it is away (DATABASE_UNAVAILABLE), never a wrong
    answer.

    The tables are the service's, named in the config: accounts (the login
    column, name, password_hash, failed_logins, locked_until, and a role
    when the config names one) and sessions (token_sha256, the login
    column, expires_wall).                                                */
#ifndef SHEP_ACCOUNTS_H_INCLUDED
#define SHEP_ACCOUNTS_H_INCLUDED

#include "egov_util.h"
#include "shep_participant.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SHEP_ACCOUNTS_TOKEN_SIZE       65          //  64 hex digits and the zero
#define SHEP_ACCOUNTS_HASH_SIZE        128         //  a stored hash and the zero (crypto_pwhash_STRBYTES)

//  How long logins last and when repeated failures lock an account.
typedef struct {
    int64_t session_ms;             //  a token's lifetime
    int lock_after;                 //  consecutive wrong passwords that lock the account
    int64_t lock_ms;                //  how long it stays locked
} shep_accounts_policy_t;

//  Where the accounts are (table and column names: constants of the
//  service, never input) and how they behave.
typedef struct {
    const char *accounts;           //  the accounts table, e.g. "citizen"
    const char *sessions;           //  the sessions table, e.g. "session"
    const char *key;                //  the login column of both, e.g. "iin"
    const char *key_name;           //  the login as messages say it, e.g. "IIN"
    const char *role;               //  the role column of accounts, or NULL
    shep_accounts_policy_t policy;
} shep_accounts_config_t;

typedef struct _shep_accounts_t shep_accounts_t;

//  Accounts in the database of engine (not owned; the tables there).
shep_accounts_t *shep_accounts_new (shep_participant_t *engine, const shep_accounts_config_t *config);
void shep_accounts_destroy (shep_accounts_t **self_p);
//  1 when an account exists for login, 0 when not, -1 while the database
//  is unavailable.
int shep_accounts_exists (shep_accounts_t *self, const char *login);
//  Creates an account with the Argon2id hash of its password (the caller
//  checked the login and the password, and hashed it); role when the
//  accounts have one. 0, or -1 with ALREADY_REGISTERED or
//  DATABASE_UNAVAILABLE.
int shep_accounts_create (shep_accounts_t *self, const char *login, const char *name,
                          const char *role, const char *hash, egov_error_t *error);
//  A login's first half: what the password is to be checked against. 1
//  with the stored hash when the account exists and is not locked; 0 with
//  AUTH_FAILED when there is no account (the caller spends the time of a
//  hash all the same, so that unknown logins cannot be told by the clock);
//  -1 with LOCKED (*retry_ms: how long still) or DATABASE_UNAVAILABLE.
int shep_accounts_login_start (shep_accounts_t *self, const char *login,
                                 char hash [SHEP_ACCOUNTS_HASH_SIZE], int64_t *retry_ms,
                                 egov_error_t *error);
//  A login's second half, with the check's verdict: 0 with a fresh token
//  and its expiry (wall ms) when right; else -1 with AUTH_FAILED, the
//  failure counted (the one that reaches the limit locks at once: LOCKED,
//  *retry_ms), or DATABASE_UNAVAILABLE. Locked meanwhile by other logins:
//  LOCKED whatever the verdict, and nothing counted.
int shep_accounts_login_finish (shep_accounts_t *self, const char *login, bool right,
                                  char token [SHEP_ACCOUNTS_TOKEN_SIZE], int64_t *expires_ms,
                                  int64_t *retry_ms, egov_error_t *error);
//  1 when token names a live session (its login, name and role, when the
//  accounts have roles, filled; role may be NULL), 0 when it names none,
//  -1 while the database is unavailable (the token may well be valid: ask
//  again later).
int shep_accounts_authenticate (shep_accounts_t *self, const char *token,
                                char *login, size_t login_size, char *name, size_t name_size,
                                char *role, size_t role_size);

void shep_accounts_test (bool verbose);

#ifdef __cplusplus
}
#endif
#endif
