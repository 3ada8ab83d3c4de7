/*  portal_accounts — citizens' accounts on the portal (ЭҮП): registration
    with IIN and password, authorisation (Process 1, Condition 1, Process 2
    of Diagram 2), bearer sessions with an expiry, and a lock after
    repeated wrong passwords.

    Passwords are kept as Argon2id hashes (libsodium crypto_pwhash_str),
    made and checked by the caller off the loop (egov_worker): a login is
    two halves around the check, and the lock is looked at again when the
    verdict comes back, so logins checked at the same time count exactly
    as logins one after the other would. Tokens are 256 random bits given
    once to the citizen and kept only as their SHA-256. Sessions and locks run on the wall clock: the simulation
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
#define PORTAL_HASH_SIZE        128         //  a stored hash and the zero (crypto_pwhash_STRBYTES)

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
//  Creates an account with the Argon2id hash of its password (the caller
//  checked the IIN and the password, and hashed it). 0, or -1 with
//  ALREADY_REGISTERED or DATABASE_UNAVAILABLE.
int portal_accounts_create (portal_accounts_t *self, const char *iin, const char *name,
                            const char *hash, egov_error_t *error);
//  A login's first half: what the password is to be checked against. 1
//  with the stored hash when the account exists and is not locked; 0 with
//  AUTH_FAILED when there is no account (the caller spends the time of a
//  hash all the same, so that unknown IINs cannot be told by the clock);
//  -1 with LOCKED (*retry_ms: how long still) or DATABASE_UNAVAILABLE.
int portal_accounts_login_start (portal_accounts_t *self, const char *iin,
                                 char hash [PORTAL_HASH_SIZE], int64_t *retry_ms,
                                 egov_error_t *error);
//  A login's second half, with the check's verdict: 0 with a fresh token
//  and its expiry (wall ms) when right; else -1 with AUTH_FAILED, the
//  failure counted (the one that reaches the limit locks at once: LOCKED,
//  *retry_ms), or DATABASE_UNAVAILABLE. Locked meanwhile by other logins:
//  LOCKED whatever the verdict, and nothing counted.
int portal_accounts_login_finish (portal_accounts_t *self, const char *iin, bool right,
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
