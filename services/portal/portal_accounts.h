/*  portal_accounts — citizens' accounts on the portal (ЭҮП): registration
    with IIN and password, authorisation (Process 1, Condition 1, Process 2
    of Diagram 2), bearer sessions with an expiry, and a lock after
    repeated wrong passwords.

    Passwords are kept as Argon2id hashes (libsodium crypto_pwhash_str);
    tokens are 256 random bits given once to the citizen and kept only as
    their SHA-256. Sessions and locks run on the wall clock: the simulation
    clock may jump weeks ahead in a test, a login should not expire for it.
    Whether the IIN belongs to a person is the caller's question (the
    registry of individuals, through the gateway). Every call takes the
    database from the participant runtime when it starts, so a PostgreSQL
    restart costs the calls made while it is away (DATABASE_UNAVAILABLE),
    never a wrong answer.                                                 */
#ifndef PORTAL_ACCOUNTS_H_INCLUDED
#define PORTAL_ACCOUNTS_H_INCLUDED

#include "egov_util.h"
#include "shep_participant.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PORTAL_PASSWORD_MIN     8           //  bytes
#define PORTAL_PASSWORD_MAX     128         //  bytes
#define PORTAL_TOKEN_SIZE       65          //  64 hex digits and the zero

//  How long logins last and when repeated failures lock an account.
typedef struct {
    int64_t session_ms;             //  a token's lifetime
    int lock_after;                 //  consecutive wrong passwords that lock the account
    int64_t lock_ms;                //  how long it stays locked
} portal_policy_t;

typedef struct _portal_accounts_t portal_accounts_t;

//  Accounts in the database of engine (not owned; the portal schema applied).
portal_accounts_t *portal_accounts_new (shep_participant_t *engine, const portal_policy_t *policy);
void portal_accounts_destroy (portal_accounts_t **self_p);
//  The password policy: 8-128 bytes, printable, a letter and a digit, not
//  containing the IIN. False with WEAK_PASSWORD saying what is missing.
bool portal_password_check (const char *password, const char *iin, egov_error_t *error);
//  1 when an account exists for iin, 0 when not, -1 while the database is
//  unavailable.
int portal_accounts_exists (portal_accounts_t *self, const char *iin);
//  Creates an account (the caller checked the IIN and the password). 0, or
//  -1 with ALREADY_REGISTERED, PASSWORD_HASH or DATABASE_UNAVAILABLE.
int portal_accounts_create (portal_accounts_t *self, const char *iin, const char *name,
                            const char *password, egov_error_t *error);
//  Logs in: 0 with a fresh token and its expiry (wall ms); -1 with
//  AUTH_FAILED (unknown IIN or wrong password), LOCKED (*retry_ms: how long
//  still) or DATABASE_UNAVAILABLE. The failure that reaches the limit locks
//  at once.
int portal_accounts_login (portal_accounts_t *self, const char *iin, const char *password,
                           char token [PORTAL_TOKEN_SIZE], int64_t *expires_ms,
                           int64_t *retry_ms, egov_error_t *error);
//  1 when token names a live session (the citizen's IIN and name filled),
//  0 when it names none, -1 while the database is unavailable (the token
//  may well be valid: ask again later).
int portal_accounts_authenticate (portal_accounts_t *self, const char *token,
                                  char iin [13], char *name, size_t name_size);

void portal_accounts_test (bool verbose);

#ifdef __cplusplus
}
#endif
#endif
