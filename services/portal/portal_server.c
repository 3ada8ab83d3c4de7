/*  portal_server — accounts and services (Processes 1-2 and Condition 1
    of Diagram 2), and what the portal's files share. The citizen's
    identity data are portal_registry.c's, the signed application
    portal_submit.c's.                                                   */
#include "portal_server_private.h"
#include "egov_iin.h"
#include "egov_db.h"
#include "egov_application.h"
#include "egov_pki.h"
#include <sodium.h>

//  portal.application: where one of our applications stands (egovctl wait)
static Egov__Envelope *
s_answer_state (void *service, const Egov__Envelope *request, egov_error_t *refusal)
{
    portal_server_t *self = (portal_server_t *) service;
    return egov_application_state_answer (shep_participant_db (self->engine), PORTAL_STATE_SERVICE,
                                          request, refusal);
}

portal_server_t *
portal_server_new (shep_participant_t *engine, const portal_config_t *config, egov_error_t *error)
{
    assert (engine && config && config->catalogue && config->calendar && config->pki_dir);
    egov_cms_verifier_t *verifier = egov_cms_verifier_new (config->pki_dir, error);
    if (!verifier)
        return NULL;
    portal_server_t *self = (portal_server_t *) zmalloc (sizeof (portal_server_t));
    assert (self);
    self->engine = engine;
    self->config = *config;
    self->config.pki_dir = NULL;        //  not kept: the verifier has what it needs
    if (self->config.registry_timeout_ms <= 0)
        self->config.registry_timeout_ms = 5000;
    shep_accounts_config_t accounts = { .accounts = "citizen", .sessions = "session", .key = "iin",
                                        .key_name = "IIN", .policy = config->policy };
    self->accounts = shep_accounts_new (engine, &accounts);
    self->verifier = verifier;
    self->waiting = zlistx_new ();
    assert (self->waiting);
    self->worker = egov_worker_new (EGOV_WORKER_THREADS, EGOV_WORKER_QUEUE);
    randombytes_buf (self->challenge_key, sizeof (self->challenge_key));
    //  From regional gateways; the one of the application's region, the handler sees
    shep_participant_on (engine, "application.status", NULL, portal_server_deliver);
    shep_participant_on (engine, "application.result", NULL, portal_server_deliver);
    shep_participant_accept (engine, "application.status", "regional-*");
    shep_participant_accept (engine, "application.result", "regional-*");
    shep_participant_on_sent (engine, portal_server_sent);
    shep_participant_on_request (engine, s_answer_state);
    return self;
}

void
portal_server_destroy (portal_server_t **self_p)
{
    assert (self_p);
    portal_server_t *self = *self_p;
    if (self) {
        portal_wait_t *wait;
        while ((wait = (portal_wait_t *) zlistx_detach (self->waiting, NULL)))
            wait->destroy (&wait);
        zlistx_destroy (&self->waiting);
        egov_worker_destroy (&self->worker);
        shep_accounts_destroy (&self->accounts);
        egov_cms_verifier_destroy (&self->verifier);
        free (self);
        *self_p = NULL;
    }
}

void
portal_server_set_verbose (portal_server_t *self, bool verbose)
{
    self->verbose = verbose;
}

void
portal_server_attach (portal_server_t *self, zloop_t *loop)
{
    egov_worker_attach (self->worker, loop);
}

size_t
portal_server_waiting (portal_server_t *self)
{
    return zlistx_size (self->waiting);
}

//  ---------------------------------------------------------------------
//  Helpers shared by the portal's files

void
portal_server__wait (portal_server_t *self, portal_wait_t *wait, portal_wait_destroy_fn *destroy,
                     portal_answer_fn *answer, void *argument)
{
    assert (self && wait && destroy && answer);
    wait->server = self;
    wait->destroy = destroy;
    wait->answer = answer;
    wait->argument = argument;
    wait->handle = zlistx_add_end (self->waiting, wait);
}

void
portal_server__answer (portal_wait_t *wait, egov_http_reply_t *reply)
{
    zlistx_detach (wait->server->waiting, wait->handle);
    wait->answer (wait->argument, reply);
    wait->destroy (&wait);
}

void
portal_server__busy (egov_http_reply_t *reply, const egov_error_t *error)
{
    egov_http_reply_error (reply, 503, error->code, "%s", error->message);
    reply->retry_after = strdup ("1");
    assert (reply->retry_after);
}

PGconn *
portal_server__db (portal_server_t *self, egov_http_reply_t *reply)
{
    PGconn *conn = shep_participant_db (self->engine);
    if (!conn)
        portal_server__db_down (reply);
    return conn;
}

void
portal_server__db_down (egov_http_reply_t *reply)
{
    egov_http_reply_error (reply, 503, "DATABASE_UNAVAILABLE", "the portal's database did not answer");
}

PGresult *
portal_server__sql (PGconn *conn, ExecStatusType expected, const char *sql, int count,
                    const char *const *values, const int *lengths, const int *formats)
{
    //  A connection that broke is the engine's to re-establish, on its next use
    PGresult *result = egov_db_params (conn, sql, count, NULL, values, lengths, formats, 0);
    if (!egov_db_check (result, expected, "portal")) {
        PQclear (result);
        return NULL;
    }
    return result;
}

bool
portal_server__exec (PGconn *conn, const char *command)
{
    PGresult *result = portal_server__sql (conn, PGRES_COMMAND_OK, command, 0, NULL, NULL, NULL);
    PQclear (result);
    return result != NULL;
}

bool
portal_server__history (PGconn *conn, const char *id, const char *status,
                        const char *step, const char *role, const char *actor, const char *note,
                        int64_t at_sim)
{
    char at [24];
    snprintf (at, sizeof (at), "%" PRId64, at_sim);
    const char *values [] = { id, status, step, role ? role : "", actor ? actor : "",
                              note ? note : "", at };
    PGresult *result = portal_server__sql (conn, PGRES_COMMAND_OK,
        "INSERT INTO history (application_id, status, step, role, actor, note, at_sim)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7)", 7, values, NULL, NULL);
    PQclear (result);
    return result != NULL;
}

bool
portal_server__notify (PGconn *conn, const char *iin, const char *id, const char *kind,
                       const char *status, const char *text, int64_t ready_sim, int64_t at_sim)
{
    char at [24], ready [24];
    snprintf (at, sizeof (at), "%" PRId64, at_sim);
    snprintf (ready, sizeof (ready), "%" PRId64, ready_sim);
    const char *values [] = { iin, id, kind, status, text, ready_sim ? ready : NULL, at };
    PGresult *result = portal_server__sql (conn, PGRES_COMMAND_OK,
        "INSERT INTO notification (iin, application_id, kind, status, text, ready_sim, at_sim)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7)", 7, values, NULL, NULL);
    PQclear (result);
    return result != NULL;
}

json_t *
portal_server__time (int64_t ms)
{
    if (ms == 0)
        return json_null ();
    char text [40];
    egov_clock_format (ms, text, sizeof (text));
    return json_string (text);
}

void
portal_server__name (const Egov__Registries__Person *person, char *buffer, size_t size)
{
    snprintf (buffer, size, "%s %s%s%s", person->surname, person->name,
              *person->patronymic ? " " : "", person->patronymic);
}

//  ---------------------------------------------------------------------
//  Accounts

//  A registration: the registry is asked about the IIN, then a worker
//  thread hashes the password.
typedef struct {
    portal_wait_t base;                         //  the server's list (first)
    char iin [13];                              //  who registers
    char password [PORTAL_PASSWORD_MAX + 8];    //  wiped as soon as it is hashed
    char name [512];                            //  from the registry
} s_registration_t;

//  Frees a registration; what it waits for is forgotten.
static void
s_registration_destroy (portal_wait_t **wait_p)
{
    s_registration_t *self = (s_registration_t *) *wait_p;
    if (self) {
        shep_participant_forget (self->base.server->engine, self);
        egov_worker_forget (self->base.server->worker, self);
        sodium_memzero (self->password, sizeof (self->password));
        free (self);
        *wait_p = NULL;
    }
}

//  The password's hash: the account is created.
static void
s_registration_on_hash (void *argument, bool ok, const char *hash)
{
    s_registration_t *self = (s_registration_t *) argument;
    portal_server_t *server = self->base.server;
    egov_http_reply_t reply = { 0, NULL, NULL };
    egov_error_t error = { { 0 } };
    if (!ok)
        egov_error_set (&error, "PASSWORD_HASH", "out of memory hashing the password");
    if (!ok || shep_accounts_create (server->accounts, self->iin, self->name, NULL, hash, &error) != 0) {
        int status = streq (error.code, "ALREADY_REGISTERED") ? 409 : 503;
        egov_http_reply_error (&reply, status, error.code, "%s", error.message);
    }
    else {
        zsys_info ("portal: citizen %s registered", self->iin);
        egov_http_reply_set (&reply, 201, json_pack ("{s:s, s:s}", "iin", self->iin, "name", self->name));
    }
    portal_server__answer (&self->base, &reply);
    egov_http_reply_reset (&reply);
}

//  The registry's answer about the IIN: the password hashed, or refused.
static void
s_registration_on_person (void *argument, const Egov__Envelope *answer, const egov_error_t *failure)
{
    s_registration_t *self = (s_registration_t *) argument;
    portal_server_t *server = self->base.server;
    egov_http_reply_t reply = { 0, NULL, NULL };
    egov_error_t error = { { 0 } };
    Egov__Registries__PersonResponse *response = NULL;
    int found = portal_server__person_answer (self->iin, answer, failure, &response, &error);
    if (found == 1) {
        portal_server__name (response->person, self->name, sizeof (self->name));
        egov__registries__person_response__free_unpacked (response, NULL);
        //  The job has its own copy; self may be answered and gone when
        //  the pool is not attached
        char password [sizeof (self->password)];
        memcpy (password, self->password, sizeof (password));
        sodium_memzero (self->password, sizeof (self->password));
        bool hashing = egov_worker_hash (server->worker, password, s_registration_on_hash, self,
                                         &error);
        sodium_memzero (password, sizeof (password));
        if (hashing)
            return;                 //  answered by s_registration_on_hash
        portal_server__busy (&reply, &error);
    }
    else
    if (found == 0) {
        json_t *detail = egov_http_reply_error (&reply, 404, "PERSON_NOT_FOUND",
            "the registry of individuals has no person with IIN %s", self->iin);
        json_object_set_new (detail, "field", json_string ("iin"));
    }
    else
        portal_server__registry_down (&reply, &error);
    portal_server__answer (&self->base, &reply);
    egov_http_reply_reset (&reply);
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

//  ---------------------------------------------------------------------
//  Proof of identity at registration: the citizen signs a challenge of ours

//  The MAC of a challenge's fields, in hex (65 bytes).
static void
s_challenge_tag (portal_server_t *self, int64_t issued, const char *nonce, char tag [65])
{
    char text [96];
    int length = snprintf (text, sizeof (text), "portal-registration|%" PRId64 "|%.32s", issued, nonce);
    uint8_t mac [crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_state state;
    crypto_auth_hmacsha256_init (&state, self->challenge_key, sizeof (self->challenge_key));
    crypto_auth_hmacsha256_update (&state, (const uint8_t *) text, (unsigned long long) length);
    crypto_auth_hmacsha256_final (&state, mac);
    sodium_bin2hex (tag, 65, mac, sizeof (mac));
}

void
portal_server_challenge (portal_server_t *self, egov_http_reply_t *reply)
{
    uint8_t random [16];
    randombytes_buf (random, sizeof (random));
    char nonce [33], tag [65];
    sodium_bin2hex (nonce, sizeof (nonce), random, sizeof (random));
    int64_t issued = egov_now_ms ();
    s_challenge_tag (self, issued, nonce, tag);
    json_t *document = json_pack ("{s:s, s:I, s:s, s:s}", "purpose", "portal-registration",
                                  "issued_at_ms", (json_int_t) issued, "nonce", nonce, "tag", tag);
    char *text = json_dumps (document, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref (document);
    char *base64 = egov_cms_base64 ((const uint8_t *) text, strlen (text));
    char expires [40];
    egov_clock_format (issued + PORTAL_CHALLENGE_MS, expires, sizeof (expires));
    egov_http_reply_set (reply, 200, json_pack ("{s:s, s:s, s:I}", "document", base64,
                                                "expires_at", expires,
                                                "expires_in", (json_int_t) (PORTAL_CHALLENGE_MS / 1000)));
    free (base64);
    free (text);
}

//  True when bytes are a challenge we issued, unchanged and not expired;
//  else reply is set (CHALLENGE_INVALID, CHALLENGE_EXPIRED).
static bool
s_challenge_valid (portal_server_t *self, const uint8_t *bytes, size_t size, egov_http_reply_t *reply)
{
    json_t *document = json_loadb ((const char *) bytes, size, JSON_REJECT_DUPLICATES, NULL);
    json_t *purpose = json_object_get (document, "purpose");
    json_t *issued = json_object_get (document, "issued_at_ms");
    json_t *nonce = json_object_get (document, "nonce");
    json_t *tag = json_object_get (document, "tag");
    char expected [65] = "";
    bool ours = json_is_object (document) && json_object_size (document) == 4
             && json_is_string (purpose) && streq (json_string_value (purpose), "portal-registration")
             && json_is_integer (issued) && json_is_string (nonce) && json_string_length (nonce) == 32
             && json_is_string (tag) && json_string_length (tag) == 64;
    if (ours) {
        s_challenge_tag (self, json_integer_value (issued), json_string_value (nonce), expected);
        ours = sodium_memcmp (expected, json_string_value (tag), 64) == 0;
    }
    int64_t age = ours ? egov_now_ms () - json_integer_value (issued) : 0;
    json_decref (document);
    if (!ours) {
        json_t *detail = egov_http_reply_error (reply, 422, "CHALLENGE_INVALID",
            "document must be a challenge of GET /api/v1/citizens/challenge, unchanged");
        json_object_set_new (detail, "field", json_string ("document"));
        return false;
    }
    if (age < 0 || age > PORTAL_CHALLENGE_MS) {
        json_t *detail = egov_http_reply_error (reply, 422, "CHALLENGE_EXPIRED",
            "the challenge is older than %d minutes; ask for another", PORTAL_CHALLENGE_MS / 60000);
        json_object_set_new (detail, "field", json_string ("document"));
        return false;
    }
    return true;
}

//  The registration's proof: the challenge, signed by a certificate of the
//  IIN registered, valid now on the simulation clock; else reply is set.
static bool
s_registration_proof (portal_server_t *self, json_t *body, const char *iin, egov_http_reply_t *reply)
{
    json_t *document = json_object_get (body, "document");
    json_t *signature = json_object_get (body, "signature");
    uint8_t *bytes = NULL, *der = NULL;
    size_t size = 0, der_size = 0;
    bool proved = false;
    if (!json_is_string (document) || !json_is_string (signature)
    ||  !portal_base64_decode (json_string_value (document), json_string_length (document), &bytes, &size)
    ||  size == 0) {
        json_t *detail = egov_http_reply_error (reply, 400, "INVALID_REQUEST",
            "registration proves the IIN: document (base64 of a challenge) and signature (base64 CMS)");
        json_object_set_new (detail, "field", json_string ("document"));
    }
    else
    if (!portal_base64_decode (json_string_value (signature), json_string_length (signature), &der, &der_size)
    ||  der_size == 0) {
        json_t *detail = egov_http_reply_error (reply, 422, "SIGNATURE_INVALID",
                                                "signature must be the base64 of a CMS SignedData");
        json_object_set_new (detail, "outcome", json_string ("MALFORMED"));
    }
    else
    if (s_challenge_valid (self, bytes, size, reply)) {
        egov_cms_result_t result;
        egov_cms_outcome_t outcome = egov_cms_verify (self->verifier, der, der_size, bytes, size,
                                                      egov_clock_now_ms (), iin, &result);
        if (outcome == EGOV_CMS_OK)
            proved = true;
        else {
            json_t *detail = egov_http_reply_error (reply, 422, portal_server__signature_code (outcome),
                "the registration must be signed with the e-signature certificate of IIN %s: %s",
                iin, result.detail);
            json_object_set_new (detail, "outcome", json_string (egov_cms_outcome_name (outcome)));
            json_object_set_new (detail, "field", json_string ("signature"));
        }
    }
    free (bytes);
    free (der);
    return proved;
}

//  Checks what needs neither the registry nor a hash; true with the IIN
//  and the password, else reply is set.
static bool
s_registration_check (portal_server_t *self, json_t *body, char *iin, size_t iin_size,
                      char *password, size_t password_size, egov_http_reply_t *reply)
{
    egov_error_t error = { { 0 } };
    if (!json_is_object (body)
    ||  !egov_http_keys (body, &error, "iin", "password", "document", "signature", NULL)
    ||  !egov_http_text (body, "iin", iin, iin_size, &error)) {
        json_t *detail = egov_http_reply_error (reply, 400, "INVALID_REQUEST",
            "the body must be {iin, password, document, signature}%s%s",
            *error.message ? ": " : "", error.message);
        json_object_set_new (detail, "field", json_string ("iin"));
        return false;
    }
    //  Condition: a well-formed IIN
    if (!egov_iin_valid (iin, &error)) {
        json_t *detail = egov_http_reply_error (reply, 422, "INVALID_IIN", "%s", error.message);
        json_object_set_new (detail, "field", json_string ("iin"));
        return false;
    }
    json_t *value = json_object_get (body, "password");
    if (!json_is_string (value) || json_string_length (value) >= password_size
    ||  strlen (json_string_value (value)) != json_string_length (value)) {
        json_t *detail = egov_http_reply_error (reply, 422, "WEAK_PASSWORD",
            "password must be a string of %d to %d bytes", PORTAL_PASSWORD_MIN, PORTAL_PASSWORD_MAX);
        json_object_set_new (detail, "field", json_string ("password"));
        return false;
    }
    snprintf (password, password_size, "%s", json_string_value (value));
    if (!portal_password_check (password, iin, &error)) {
        json_t *detail = egov_http_reply_error (reply, 422, error.code, "%s", error.message);
        json_object_set_new (detail, "field", json_string ("password"));
        return false;
    }
    //  Proof of identity, as egov.kz asks it: the IIN's own e-signature
    if (!s_registration_proof (self, body, iin, reply))
        return false;
    int exists = shep_accounts_exists (self->accounts, iin);
    if (exists > 0)
        egov_http_reply_error (reply, 409, "ALREADY_REGISTERED", "IIN %s already has an account; log in", iin);
    else
    if (exists < 0)
        portal_server__db_down (reply);
    return exists == 0;
}

void
portal_server_register (portal_server_t *self, json_t *body, portal_answer_fn *answer,
                        void *argument)
{
    char iin [32], password [PORTAL_PASSWORD_MAX + 8] = "";
    egov_http_reply_t reply = { 0, NULL, NULL };
    if (!s_registration_check (self, body, iin, sizeof (iin), password, sizeof (password), &reply)) {
        sodium_memzero (password, sizeof (password));
        answer (argument, &reply);
        egov_http_reply_reset (&reply);
        return;
    }
    s_registration_t *registration = (s_registration_t *) zmalloc (sizeof (s_registration_t));
    assert (registration);
    snprintf (registration->iin, sizeof (registration->iin), "%.12s", iin);
    memcpy (registration->password, password, sizeof (password));
    sodium_memzero (password, sizeof (password));
    portal_server__wait (self, &registration->base, s_registration_destroy, answer, argument);
    //  Known to the registry of individuals, asked through the gateway
    egov_error_t error = { { 0 } };
    if (!portal_server__ask_person (self, iin, NULL, s_registration_on_person, registration, &error)) {
        portal_server__registry_down (&reply, &error);
        portal_server__answer (&registration->base, &reply);
        egov_http_reply_reset (&reply);
    }
}

//  A login whose password a worker thread checks.
typedef struct {
    portal_wait_t base;             //  the server's list (first)
    char iin [32];                  //  who logs in, as given
    bool known;                     //  an account: the verdict counts; else AUTH_FAILED
} s_login_t;

//  Frees a login; a check still running is forgotten.
static void
s_login_destroy (portal_wait_t **wait_p)
{
    s_login_t *self = (s_login_t *) *wait_p;
    if (self) {
        egov_worker_forget (self->base.server->worker, self);
        free (self);
        *wait_p = NULL;
    }
}

//  The answer to a login: the token, or why not.
static void
s_login_reply (int rc, const char *iin, const char token [SHEP_ACCOUNTS_TOKEN_SIZE], int64_t expires,
               int64_t retry, const egov_error_t *error, egov_http_reply_t *reply)
{
    if (rc != 0) {
        if (streq (error->code, "LOCKED")) {
            json_t *detail = egov_http_reply_error (reply, 429, "LOCKED", "%s", error->message);
            json_object_set_new (detail, "retry_after_ms", json_integer (retry));
            char seconds [24];
            snprintf (seconds, sizeof (seconds), "%" PRId64, (retry + 999) / 1000);
            reply->retry_after = strdup (seconds);
        }
        else
        if (streq (error->code, "AUTH_FAILED"))
            egov_http_reply_error (reply, 401, "AUTH_FAILED", "%s", error->message);
        else
        if (streq (error->code, "BUSY"))
            portal_server__busy (reply, error);
        else
            egov_http_reply_error (reply, 503, error->code, "%s", error->message);
        zsys_info ("portal: login refused for %s: %s", portal_digits (iin, 12) ? iin : "(malformed IIN)",
                   error->code);
        return;
    }
    char expires_text [40];
    egov_clock_format (expires, expires_text, sizeof (expires_text));
    egov_http_reply_set (reply, 200, json_pack ("{s:s, s:s, s:s, s:I}", "token", token,
        "token_type", "Bearer", "expires_at", expires_text,
        "expires_in", (json_int_t) ((expires - egov_now_ms () + 999) / 1000)));
}

//  The worker's verdict on the password (or, for an unknown IIN, the hash
//  that cost the same time): the login's second half.
static void
s_login_on_verdict (void *argument, bool right, const char *hash)
{
    (void) hash;
    s_login_t *self = (s_login_t *) argument;
    char token [SHEP_ACCOUNTS_TOKEN_SIZE] = "";
    int64_t expires = 0, retry = 0;
    egov_error_t error = { { 0 } };
    int rc = -1;
    if (self->known)
        rc = shep_accounts_login_finish (self->base.server->accounts, self->iin, right, token,
                                           &expires, &retry, &error);
    else
        egov_error_set (&error, "AUTH_FAILED", "wrong IIN or password");
    egov_http_reply_t reply = { 0, NULL, NULL };
    s_login_reply (rc, self->iin, token, expires, retry, &error, &reply);
    sodium_memzero (token, sizeof (token));
    portal_server__answer (&self->base, &reply);
    egov_http_reply_reset (&reply);
}

void
portal_server_login (portal_server_t *self, json_t *body, portal_answer_fn *answer, void *argument)
{
    char iin [32], password [PORTAL_PASSWORD_MAX + 8], hash [SHEP_ACCOUNTS_HASH_SIZE] = "";
    egov_error_t error = { { 0 } };
    egov_http_reply_t reply = { 0, NULL, NULL };
    if (!json_is_object (body)
    ||  !egov_http_keys (body, &error, "iin", "password", NULL)
    ||  !egov_http_text (body, "iin", iin, sizeof (iin), &error)
    ||  !egov_http_text (body, "password", password, sizeof (password), &error)) {
        egov_http_reply_error (&reply, 400, "INVALID_REQUEST", "the body must be {iin, password}%s%s",
                               *error.message ? ": " : "", error.message);
        answer (argument, &reply);
        egov_http_reply_reset (&reply);
        return;
    }
    int64_t retry = 0;
    int known = shep_accounts_login_start (self->accounts, iin, hash, &retry, &error);
    if (known < 0) {
        sodium_memzero (password, sizeof (password));
        sodium_memzero (hash, sizeof (hash));
        s_login_reply (-1, iin, NULL, 0, retry, &error, &reply);
        answer (argument, &reply);
        egov_http_reply_reset (&reply);
        return;
    }
    //  Argon2 on a worker thread, the loop serving others meanwhile; an
    //  unknown IIN costs a hash as well, so it cannot be told by the clock
    s_login_t *login = (s_login_t *) zmalloc (sizeof (s_login_t));
    assert (login);
    snprintf (login->iin, sizeof (login->iin), "%s", iin);
    login->known = known == 1;
    portal_server__wait (self, &login->base, s_login_destroy, answer, argument);
    bool checking = known == 1
        ? egov_worker_verify (self->worker, hash, password, s_login_on_verdict, login, &error)
        : egov_worker_hash (self->worker, password, s_login_on_verdict, login, &error);
    sodium_memzero (password, sizeof (password));
    sodium_memzero (hash, sizeof (hash));
    if (!checking) {
        s_login_reply (-1, iin, NULL, 0, 0, &error, &reply);
        portal_server__answer (&login->base, &reply);
        egov_http_reply_reset (&reply);
    }
}

bool
portal_server_authenticate (portal_server_t *self, const char *token, char iin [13],
                            egov_http_reply_t *reply)
{
    char name [512];
    int live = shep_accounts_authenticate (self->accounts, token, iin, 13, name, sizeof (name), NULL, 0);
    if (live == 1)
        return true;
    //  Only the database can say a token is unknown; while it is away the
    //  token may well be valid
    if (live < 0) {
        portal_server__db_down (reply);
        return false;
    }
    egov_http_reply_error (reply, 401, "AUTH_REQUIRED", token
        ? "the token is unknown or expired; log in again"
        : "log in first: Authorization: Bearer <token>");
    return false;
}

//  ---------------------------------------------------------------------
//  Services and identity data

//  {kk, ru, en} of names.
static json_t *
s_names (const egov_names_t *names)
{
    return json_pack ("{s:s, s:s, s:s}", "kk", names->kk, "ru", names->ru, "en", names->en);
}

void
portal_server_services (portal_server_t *self, egov_http_reply_t *reply)
{
    json_t *services = json_array ();
    egov_catalogue_t *catalogue = self->config.catalogue;
    for (size_t index = 0; index < egov_catalogue_size (catalogue); index++) {
        const egov_catalogue_entry_t *entry = egov_catalogue_entry (catalogue, index);
        if (!entry->channels [EGOV_CHANNEL_PORTAL])
            continue;
        char term [32];
        json_t *documents = json_array ();
        for (size_t item = 0; item < entry->document_count; item++) {
            const egov_catalogue_item_t *document = entry->documents + item;
            bool registry = streq (document->code, "identity-document")
                         || streq (document->code, "birth-certificate");
            json_t *described = json_pack ("{s:s, s:s, s:b}", "type", document->code,
                                           "en", document->en, "from_registry", registry);
            if (document->when)
                json_object_set_new (described, "when", json_string (document->when));
            json_array_append_new (documents, described);
        }
        json_t *windows = json_array ();
        for (size_t item = 0; item < entry->window_count; item++) {
            const egov_catalogue_window_t *window = entry->windows + item;
            char from [8] = "", to [8];
            if (window->from_month)
                snprintf (from, sizeof (from), "%02d-%02d", window->from_month, window->from_day);
            snprintf (to, sizeof (to), "%02d-%02d", window->to_month, window->to_day);
            json_array_append_new (windows, json_pack ("{s:s, s:s?, s:s?, s:s}",
                "kind", window->kind == EGOV_WINDOW_APPLICATION ? "application" : "result",
                "form", window->form, "from", *from ? from : NULL, "to", to));
        }
        json_array_append_new (services, json_pack ("{s:s, s:s, s:o, s:o, s:o, s:s, s:o, s:o, s:o}",
            "code", entry->code, "region", entry->kato, "region_name", s_names (&entry->region),
            "name", s_names (&entry->name), "provider", s_names (&entry->provider),
            "deadline", egov_duration_format (entry->deadline.max, term, sizeof (term)),
            "documents", documents, "windows", windows, "form", egov_form_json (entry->request_form)));
    }
    egov_http_reply_set (reply, 200, json_pack ("{s:o}", "services", services));
}

void
portal_server_health (portal_server_t *self, egov_http_reply_t *reply)
{
    bool ok = false;
    json_t *runtime = shep_participant_health (self->engine, &ok);
    json_t *health = json_pack ("{s:s}", "status", ok ? "ok" : "degraded");
    json_object_update (health, runtime);
    json_decref (runtime);
    egov_http_reply_set (reply, ok ? 200 : 503, health);
}

//  ---------------------------------------------------------------------
//  Selftest: everything that needs no gateway (the registry look-ups and
//  the async flow run in tests/integration/95-diagram2.sh); answers come
//  at once (egov_http_answer_into) until the end, where the portal runs on a
//  loop.

extern const char *portal_schema_sql;

//  Signs text with a demo certificate of the PKI and builds the body of
//  POST /api/v1/applications.
static json_t *
s_signed_body (const char *pki_dir, const char *label, const char *text)
{
    egov_error_t error = { { 0 } };
    egov_cms_signer_t *signer = egov_cms_signer_for (pki_dir, label, &error);
    assert (signer);
    uint8_t *der = NULL;
    size_t der_size = 0;
    int rc = egov_cms_sign (signer, text, strlen (text), true, 0, &der, &der_size, &error);
    assert (rc == 0);
    egov_cms_signer_destroy (&signer);
    char *signature = egov_cms_base64 (der, der_size);
    char *document = egov_cms_base64 ((const uint8_t *) text, strlen (text));
    json_t *body = json_pack ("{s:s, s:s}", "document", document, "signature", signature);
    free (der);
    free (signature);
    free (document);
    return body;
}

//  A registration body: a challenge of self's signed with certificate
//  label (tampered first when tamper), for iin and password.
static json_t *
s_test_registration (portal_server_t *self, const char *pki_dir, const char *iin,
                     const char *password, const char *label, bool tamper)
{
    egov_http_reply_t reply = { 0, NULL, NULL };
    portal_server_challenge (self, &reply);
    assert (reply.status == 200);
    uint8_t *bytes;
    size_t size;
    const char *document = json_string_value (json_object_get (reply.body, "document"));
    assert (portal_base64_decode (document, strlen (document), &bytes, &size));
    egov_http_reply_reset (&reply);
    char *text = (char *) calloc (1, size + 1);
    assert (text);
    memcpy (text, bytes, size);
    free (bytes);
    if (tamper)
        strstr (text, "\"nonce\":\"") [9] = 'x';
    json_t *body = s_signed_body (pki_dir, label, text);
    free (text);
    json_object_set_new (body, "iin", json_string (iin));
    json_object_set_new (body, "password", json_string (password));
    return body;
}

//  Submits body as iin; returns the error code ("" for none) and the status.
static const char *
s_submit_code (portal_server_t *self, const char *iin, json_t *body, int *status)
{
    static char code [48];
    egov_http_reply_t reply = { 0, NULL, NULL };
    portal_server_submit (self, iin, body, egov_http_answer_into, &reply);
    *status = reply.status;
    snprintf (code, sizeof (code), "%s", egov_http_reply_code (&reply));
    egov_http_reply_reset (&reply);
    json_decref (body);
    return code;
}

//  True when the query's single value, with $1 bound to parameter, is expected.
static bool
s_test_is (PGconn *conn, const char *sql, const char *parameter, const char *expected)
{
    const char *values [] = { parameter };
    PGresult *result = egov_db_params (conn, sql, parameter ? 1 : 0, NULL, values, NULL, NULL, 0);
    bool same = PQresultStatus (result) == PGRES_TUPLES_OK && PQntuples (result) == 1
             && streq (PQgetvalue (result, 0, 0), expected);
    if (!same)
        printf ("\n    %s: %s, expected %s\n", sql, PQresultStatus (result) == PGRES_TUPLES_OK
                && PQntuples (result) == 1 ? PQgetvalue (result, 0, 0) : PQresultErrorMessage (result),
                expected);
    PQclear (result);
    return same;
}

//  Delivers payload as service_id under correlation_id to the handler, in
//  a transaction on the engine's connection as the runtime runs it; code
//  gets the reject code.
static shep_outcome_t
s_test_deliver (portal_server_t *self, shep_participant_t *engine, const char *service_id,
                const char *correlation_id, const ProtobufCMessage *payload, char code [48])
{
    Egov__Envelope *envelope = egov_envelope_new (service_id, EGOV__MESSAGE_TYPE__UPDATE);
    egov_string_set (&envelope->correlation_id, correlation_id);
    egov_string_set (&envelope->sender_id, "regional-750000000");
    egov_envelope_set_payload (envelope, payload);
    shep_delivery_t delivery = { envelope, NULL, 1 };
    PGconn *conn = shep_participant_db (engine);
    assert (conn && portal_server__exec (conn, "BEGIN"));
    egov_error_t reject = { { 0 } };
    shep_outcome_t outcome = portal_server_deliver (self, conn, &delivery, &reject);
    assert (portal_server__exec (conn, outcome == SHEP_APPLIED ? "COMMIT" : "ROLLBACK"));
    snprintf (code, 48, "%s", reject.code);
    egov__envelope__free_unpacked (envelope, NULL);
    return outcome;
}

//  Answers that came later, on the loop.
static int s_test_answers;

static void
s_test_answer (void *argument, egov_http_reply_t *reply)
{
    egov_http_answer_into (argument, reply);
    s_test_answers++;
}

//  Ends the loop once an answer came.
static int
s_test_answered (zloop_t *loop, int timer_id, void *argument)
{
    (void) loop;
    (void) timer_id;
    (void) argument;
    return s_test_answers > 0 ? -1 : 0;
}

void
portal_server_test (bool verbose)
{
    printf (" * portal_server: ");
    if (verbose)
        printf ("\n");
    const char *conninfo = getenv ("EGOV_TEST_DB");
    if (!conninfo || !*conninfo) {
        printf ("(database part skipped: EGOV_TEST_DB unset) OK\n");
        return;
    }
    assert (sodium_init () >= 0);
    char pki_dir [] = "/tmp/portal-server-test-XXXXXX";
    assert (mkdtemp (pki_dir));
    egov_error_t error = { { 0 } };
    egov_pki_t *pki = egov_pki_new (pki_dir);
    int rc = egov_pki_ensure (pki, NULL, &error);
    assert (rc == 0);
    const char *regulations = egov_env ("EGOV_REGULATIONS", "regulations");
    char path [PATH_MAX];
    snprintf (path, sizeof (path), "%s/calendar/kz.json", regulations);
    egov_calendar_t *calendar = egov_calendar_new (path, &error);
    snprintf (path, sizeof (path), "%s/catalogue", regulations);
    egov_catalogue_t *catalogue = egov_catalogue_new (path, &error);
    assert (calendar && catalogue);
    PGconn *conn = egov_db_connect (conninfo, 5000);
    assert (conn);
    assert (egov_db_exec_script (conn,
        "DROP SCHEMA IF EXISTS portal_server_test CASCADE; CREATE SCHEMA portal_server_test;"
        "SET search_path TO portal_server_test", "test schema"));
    //  Nobody listens at the gateway's address: the registry is never there
    char engine_db [600];
    snprintf (engine_db, sizeof (engine_db), "%s options='-c search_path=portal_server_test'", conninfo);
    shep_participant_config_t engine_config = {
        .gateway = "tcp://127.0.0.1:9", .participant_id = PORTAL_PARTICIPANT, .conninfo = engine_db,
        .schema_sql = portal_schema_sql, .receive_async = true
    };
    shep_participant_t *engine = shep_participant_new (&engine_config, NULL, &error);
    assert (engine);
    portal_config_t config = { catalogue, calendar, "/nonexistent", { 60000, 5, 1000 }, 1000 };
    assert (portal_server_new (engine, &config, &error) == NULL && *error.code);
    config.pki_dir = pki_dir;
    portal_server_t *self = portal_server_new (engine, &config, &error);
    assert (self);
    shep_participant_set_service (engine, self);

    //  Services on the portal: the two of the issue, not the office-only ones
    egov_http_reply_t reply = { 0, NULL, NULL };
    portal_server_services (self, &reply);
    assert (reply.status == 200);
    json_t *services = json_object_get (reply.body, "services");
    bool school = false, externat_listed = false, duplicate = false;
    size_t index;
    json_t *service;
    json_array_foreach (services, index, service) {
        const char *code = json_string_value (json_object_get (service, "code"));
        school |= streq (code, "school-admission");
        externat_listed |= streq (code, "externat-permit");
        duplicate |= streq (code, "school-duplicate");
        assert (json_is_array (json_object_get (service, "form")));
    }
    assert (school && externat_listed && !duplicate);
    egov_http_reply_reset (&reply);

    //  The password policy
    assert (portal_password_check ("secret123", "850314301234", &error));
    assert (!portal_password_check ("short1", NULL, &error) && streq (error.code, "WEAK_PASSWORD"));
    assert (!portal_password_check ("onlyletters", NULL, &error));
    assert (!portal_password_check ("1234567890", NULL, &error));
    assert (!portal_password_check ("x850314301234", "850314301234", &error));
    assert (!portal_password_check ("tab\there12", NULL, &error));
    assert (portal_password_check ("құпия сөз 2026", NULL, &error));

    //  Registration: what is refused before the registry is asked
    json_t *body = json_pack ("{s:s, s:s}", "iin", "850314301235", "password", "secret123");
    portal_server_register (self, body, egov_http_answer_into, &reply);
    assert (reply.status == 422 && streq (egov_http_reply_code (&reply), "INVALID_IIN"));
    json_decref (body);
    body = json_pack ("{s:s, s:s}", "iin", "850314301234", "password", "short");
    portal_server_register (self, body, egov_http_answer_into, &reply);
    assert (reply.status == 422 && streq (egov_http_reply_code (&reply), "WEAK_PASSWORD"));
    json_decref (body);
    body = json_pack ("{s:s, s:i}", "iin", "850314301234", "password", 5);
    portal_server_register (self, body, egov_http_answer_into, &reply);
    assert (reply.status == 422 && streq (egov_http_reply_code (&reply), "WEAK_PASSWORD"));
    json_decref (body);
    body = json_pack ("{s:s, s:s, s:s}", "iin", "850314301234", "password", "secret123", "x", "y");
    portal_server_register (self, body, egov_http_answer_into, &reply);
    assert (reply.status == 400 && streq (egov_http_reply_code (&reply), "INVALID_REQUEST"));
    json_decref (body);
    //  ... and without proof that the IIN is the registering citizen's
    body = json_pack ("{s:s, s:s}", "iin", "850314301234", "password", "secret123");
    portal_server_register (self, body, egov_http_answer_into, &reply);
    assert (reply.status == 400 && streq (egov_http_reply_code (&reply), "INVALID_REQUEST"));
    json_decref (body);
    struct {
        const char *label, *code;
        bool tamper;
    } proofs [] = {
        { "900722404568", "IIN_MISMATCH", false },
        { "revoked-951203407770", "CERT_REVOKED", false },
        { "untrusted-850314301234", "UNKNOWN_ISSUER", false },
        { "expired-900722404568", "CERT_EXPIRED", false },
        { "auth-850314301234", "SIGNATURE_INVALID", false },
        { "850314301234", "CHALLENGE_INVALID", true },
    };
    for (size_t index = 0; index < sizeof (proofs) / sizeof (proofs [0]); index++) {
        body = s_test_registration (self, pki_dir, "850314301234", "secret123", proofs [index].label,
                                    proofs [index].tamper);
        portal_server_register (self, body, egov_http_answer_into, &reply);
        assert (reply.status == 422 && streq (egov_http_reply_code (&reply), proofs [index].code));
        json_decref (body);
    }
    //  A challenge of another portal (another key) is no challenge of ours
    portal_server_t *other = portal_server_new (engine, &config, &error);
    assert (other);
    body = s_test_registration (other, pki_dir, "850314301234", "secret123", "850314301234", false);
    portal_server_destroy (&other);
    portal_server_register (self, body, egov_http_answer_into, &reply);
    assert (reply.status == 422 && streq (egov_http_reply_code (&reply), "CHALLENGE_INVALID"));
    json_decref (body);
    //  Proved, it asks the registry (not there: the gateway is not)
    body = s_test_registration (self, pki_dir, "850314301234", "secret123", "850314301234", false);
    portal_server_register (self, body, egov_http_answer_into, &reply);
    assert (reply.status == 503 && streq (egov_http_reply_code (&reply), "REGISTRY_UNAVAILABLE"));
    //  With the account there (as the registry would have allowed): 409
    char secret [SHEP_ACCOUNTS_HASH_SIZE];
    assert (egov_password_hash ("secret123", secret));
    assert (shep_accounts_create (self->accounts, "850314301234", "Асқаров Ерлан Серікұлы",
                                    NULL, secret, &error) == 0);
    assert (shep_accounts_create (self->accounts, "951203407770", "Сейітова Дана Маратқызы",
                                    NULL, secret, &error) == 0);
    assert (shep_accounts_create (self->accounts, "900722404568", "Нұрланова Айгүл Қайратқызы",
                                    NULL, secret, &error) == 0);
    portal_server_register (self, body, egov_http_answer_into, &reply);
    assert (reply.status == 409 && streq (egov_http_reply_code (&reply), "ALREADY_REGISTERED"));
    json_decref (body);

    //  Login and the token
    body = json_pack ("{s:s, s:s}", "iin", "850314301234", "password", "wrong1234");
    portal_server_login (self, body, egov_http_answer_into, &reply);
    assert (reply.status == 401 && streq (egov_http_reply_code (&reply), "AUTH_FAILED"));
    json_decref (body);
    body = json_pack ("{s:s, s:s}", "iin", "850314301234", "password", "secret123");
    portal_server_login (self, body, egov_http_answer_into, &reply);
    assert (reply.status == 200);
    char token [SHEP_ACCOUNTS_TOKEN_SIZE], iin [13];
    snprintf (token, sizeof (token), "%s", json_string_value (json_object_get (reply.body, "token")));
    assert (json_integer_value (json_object_get (reply.body, "expires_in")) == 60);
    json_decref (body);
    assert (portal_server_authenticate (self, token, iin, &reply) && streq (iin, "850314301234"));
    assert (!portal_server_authenticate (self, NULL, iin, &reply) && reply.status == 401
            && streq (egov_http_reply_code (&reply), "AUTH_REQUIRED"));
    egov_http_reply_reset (&reply);

    //  Condition 2, each outcome as its code
    const char *externat = "{\"service\": \"externat-permit\", \"region\": \"750000000\","
        " \"iin\": \"850314301234\", \"form\": {\"child_iin\": \"150913500422\", \"grade\": 5,"
        " \"school\": \"School No 1\", \"reason\": \"health\"}, \"attachments\": []}";
    int status;
    assert (streq (s_submit_code (self, "850314301234", json_pack ("{s:s, s:s}", "document", "e30=",
                   "signature", "AAAA"), &status), "SIGNATURE_INVALID") && status == 422);
    assert (streq (s_submit_code (self, "850314301234", json_pack ("{s:s, s:s}", "document", "e30=",
                   "signature", "**"), &status), "SIGNATURE_INVALID"));
    assert (streq (s_submit_code (self, "850314301234", json_pack ("{s:s}", "document", "e30="),
                   &status), "INVALID_REQUEST") && status == 400);
    assert (streq (s_submit_code (self, "850314301234",
                   s_signed_body (pki_dir, "untrusted-850314301234", externat), &status), "UNKNOWN_ISSUER"));
    assert (streq (s_submit_code (self, "850314301234",
                   s_signed_body (pki_dir, "future-850314301234", externat), &status), "CERT_EXPIRED"));
    assert (streq (s_submit_code (self, "850314301234",
                   s_signed_body (pki_dir, "auth-850314301234", externat), &status), "SIGNATURE_INVALID"));
    assert (streq (s_submit_code (self, "850314301234",
                   s_signed_body (pki_dir, "900722404568", externat), &status), "IIN_MISMATCH"));
    assert (streq (s_submit_code (self, "900722404568",
                   s_signed_body (pki_dir, "expired-900722404568", externat), &status), "CERT_EXPIRED"));
    assert (streq (s_submit_code (self, "951203407770",
                   s_signed_body (pki_dir, "revoked-951203407770", externat), &status), "CERT_REVOKED"));
    //  A good signature over a request that names someone else
    assert (streq (s_submit_code (self, "900722404568",
                   s_signed_body (pki_dir, "900722404568", externat), &status), "IIN_MISMATCH"));
    //  The document and the form, field by field
    assert (streq (s_submit_code (self, "850314301234",
                   s_signed_body (pki_dir, "850314301234", "[]"), &status), "INVALID_DOCUMENT"));
    const char *unknown = "{\"service\": \"no-such\", \"region\": \"750000000\", \"iin\": \"850314301234\", \"form\": {}}";
    assert (streq (s_submit_code (self, "850314301234",
                   s_signed_body (pki_dir, "850314301234", unknown), &status), "UNKNOWN_SERVICE"));
    const char *office = "{\"service\": \"school-duplicate\", \"region\": \"750000000\", \"iin\": \"850314301234\", \"form\": {}}";
    assert (streq (s_submit_code (self, "850314301234",
                   s_signed_body (pki_dir, "850314301234", office), &status), "CHANNEL_NOT_OFFERED"));
    const char *wrong_form = "{\"service\": \"externat-permit\", \"region\": \"750000000\","
        " \"iin\": \"850314301234\", \"form\": {\"grade\": 14}, \"attachments\":"
        " [{\"type\": \"diploma\", \"name\": \"d.pdf\", \"content_base64\": \"\"}]}";
    body = s_signed_body (pki_dir, "850314301234", wrong_form);
    portal_server_submit (self, "850314301234", body, egov_http_answer_into, &reply);
    json_decref (body);
    assert (reply.status == 422 && streq (egov_http_reply_code (&reply), "INVALID_FORM"));
    json_t *fields = json_object_get (json_object_get (reply.body, "error"), "fields");
    assert (json_array_size (fields) == 5);     //  child_iin, grade, school, reason, attachments[0]
    egov_http_reply_reset (&reply);
    //  Everything right, but no gateway to ask the registry: nothing is stored
    assert (streq (s_submit_code (self, "850314301234",
                   s_signed_body (pki_dir, "850314301234", externat), &status), "REGISTRY_UNAVAILABLE")
            && status == 503);
    portal_server_applications (self, "850314301234", &reply);
    assert (reply.status == 200 && json_array_size (json_object_get (reply.body, "applications")) == 0);
    portal_server_application (self, "850314301234", "not-a-uuid", &reply);
    assert (reply.status == 404);
    portal_server_application (self, "850314301234", "7a0e8c02-47c1-4a39-9d0d-5a3b6b1c2d3e", &reply);
    assert (reply.status == 404 && streq (egov_http_reply_code (&reply), "APPLICATION_NOT_FOUND"));
    portal_server_notifications (self, "850314301234", &reply);
    assert (reply.status == 200 && json_array_size (json_object_get (reply.body, "notifications")) == 0);
    egov_http_reply_reset (&reply);

    //  An application as the submission stores it, the gateway's receipt
    //  for it (SENT, once however often it is told), and what comes back
    const char *id = "5f0c1b3e-8d2a-4c6f-9e71-2b4d6a8c0e13";
    const char *row [] = { id };
    PGresult *result = egov_db_params (conn,
        "INSERT INTO application (id, citizen_iin, service, region, status, receipt_number, document,"
        " signature, signer, submitted_sim, received_sim) VALUES ($1, '850314301234', 'externat-permit',"
        " '750000000', 'ACCEPTED', 'PORTAL-2026-000001', '\\x7b7d', '\\x00', 'signer', 0, 0)",
        1, NULL, row, NULL, NULL, 0);
    assert (PQresultStatus (result) == PGRES_COMMAND_OK);
    PQclear (result);
    Egov__Envelope *submit = egov_envelope_new ("application.submit", EGOV__MESSAGE_TYPE__REQUEST);
    egov_string_set (&submit->correlation_id, id);
    portal_server_sent (self, submit, EGOV__DELIVERY_STATUS__ON_DELIVERY);
    portal_server_sent (self, submit, EGOV__DELIVERY_STATUS__ON_DELIVERY);
    egov_string_set (&submit->service_id, "application.other");
    egov_string_set (&submit->correlation_id, "not-an-id");
    portal_server_sent (self, submit, EGOV__DELIVERY_STATUS__ON_DELIVERY);
    egov__envelope__free_unpacked (submit, NULL);
    assert (s_test_is (conn, "SELECT status || ' ' || (SELECT count (*) FROM history"
                             " WHERE application_id = $1 AND status = 'SENT') FROM application"
                             " WHERE id = $1", id, "SENT 1"));
    char code [48];
    Egov__Applications__StatusNotice notice = EGOV__APPLICATIONS__STATUS_NOTICE__INIT;
    notice.application_id = (char *) id;
    notice.status = EGOV__APPLICATIONS__STATUS__REGISTERED;
    notice.registration_number = "750000000-2026-000001";
    assert (s_test_deliver (self, engine, "application.status", id, &notice.base, code)
            == SHEP_APPLIED);
    assert (s_test_is (conn, "SELECT status || ' ' || registration_number FROM application WHERE id = $1",
                       id, "REGISTERED 750000000-2026-000001"));
    //  An older notice coming late does not move the status back
    notice.status = EGOV__APPLICATIONS__STATUS__ACCEPTED;
    assert (s_test_deliver (self, engine, "application.status", id, &notice.base, code)
            == SHEP_APPLIED);
    assert (s_test_is (conn, "SELECT status FROM application WHERE id = $1", id, "REGISTERED"));
    //  A change the lifecycle does not allow is poison: rejected, nothing moves
    notice.status = EGOV__APPLICATIONS__STATUS__ISSUED;
    assert (s_test_deliver (self, engine, "application.status", id, &notice.base, code)
            == SHEP_REJECT && streq (code, "STATUS_NOT_ALLOWED"));
    assert (s_test_is (conn, "SELECT status FROM application WHERE id = $1", id, "REGISTERED"));
    //  What can never apply, with its code
    notice.status = EGOV__APPLICATIONS__STATUS__IN_PROGRESS;
    notice.application_id = "7a0e8c02-47c1-4a39-9d0d-5a3b6b1c2d3e";
    assert (s_test_deliver (self, engine, "application.status", notice.application_id, &notice.base,
                            code) == SHEP_REJECT && streq (code, "UNKNOWN_APPLICATION"));
    notice.application_id = "";
    assert (s_test_deliver (self, engine, "application.status", "not-an-id", &notice.base, code)
            == SHEP_REJECT && streq (code, "UNKNOWN_APPLICATION"));
    assert (s_test_deliver (self, engine, "application.result", id, &notice.base, code)
            == SHEP_REJECT && streq (code, "MALFORMED_PAYLOAD"));
    assert (s_test_deliver (self, engine, "application.other", id, &notice.base, code)
            == SHEP_REJECT && streq (code, "UNSUPPORTED_SERVICE"));
    //  The provider's result: refused unsigned or signed by anyone but the
    //  region's provider, READY once its provider signed it
    Egov__Applications__Result outcome = EGOV__APPLICATIONS__RESULT__INIT;
    outcome.application_id = (char *) id;
    outcome.approved = true;
    outcome.registration_number = "07-12/345";
    outcome.document.data = (uint8_t *) "{}";
    outcome.document.len = 2;
    assert (s_test_deliver (self, engine, "application.result", id, &outcome.base, code)
            == SHEP_REJECT && streq (code, "RESULT_UNSIGNED"));
    const char *signers [] = { "850314301234", "org-750000000" };
    for (size_t index = 0; index < 2; index++) {
        egov_cms_signer_t *signer = egov_cms_signer_for (pki_dir, signers [index], &error);
        assert (signer);
        uint8_t *der;
        size_t size;
        assert (egov_cms_sign (signer, "{}", 2, true, 0, &der, &size, &error) == 0);
        egov_cms_signer_destroy (&signer);
        outcome.signature.data = der;
        outcome.signature.len = size;
        shep_outcome_t delivered = s_test_deliver (self, engine, "application.result", id,
                                                   &outcome.base, code);
        free (der);
        if (index == 0)
            assert (delivered == SHEP_REJECT && streq (code, "NOT_THE_PROVIDER"));
        else
            assert (delivered == SHEP_APPLIED);
    }
    portal_server_application (self, "850314301234", id, &reply);
    assert (reply.status == 200 && streq (json_string_value (json_object_get (reply.body, "status")), "READY"));
    json_t *outcome_json = json_object_get (reply.body, "result");
    assert (json_is_true (json_object_get (outcome_json, "approved")));
    assert (streq (json_string_value (json_object_get (outcome_json, "signature_outcome")), "OK"));
    assert (json_array_size (json_object_get (reply.body, "history")) == 4);
    egov_http_reply_reset (&reply);
    portal_server_notifications (self, "850314301234", &reply);
    assert (reply.status == 200 && json_array_size (json_object_get (reply.body, "notifications")) == 3);
    egov_http_reply_reset (&reply);

    //  Health: the database is there, the gateway is not
    portal_server_health (self, &reply);
    assert (reply.status == 503 && streq (json_string_value (json_object_get (reply.body, "status")), "degraded"));
    assert (streq (json_string_value (json_object_get (reply.body, "database")), "ok"));
    assert (streq (json_string_value (json_object_get (reply.body, "gateway")), "away"));
    egov_http_reply_reset (&reply);

    //  The database connection lost, as in a PostgreSQL restart: a valid
    //  token answers 503 DATABASE_UNAVAILABLE, never 401, and everything
    //  works again once the engine has the database back
    shep_participant_db_cut (engine);
    assert (!portal_server_authenticate (self, token, iin, &reply) && reply.status == 503
            && streq (egov_http_reply_code (&reply), "DATABASE_UNAVAILABLE"));
    zclock_sleep (1100);
    assert (portal_server_authenticate (self, token, iin, &reply));
    shep_participant_db_cut (engine);
    portal_server_applications (self, "850314301234", &reply);
    assert (reply.status == 503 && streq (egov_http_reply_code (&reply), "DATABASE_UNAVAILABLE"));
    assert (!portal_server_authenticate (self, token, iin, &reply) && reply.status == 503);
    portal_server_notifications (self, "850314301234", &reply);
    assert (reply.status == 503 && streq (egov_http_reply_code (&reply), "DATABASE_UNAVAILABLE"));
    body = json_pack ("{s:s, s:s}", "iin", "850314301234", "password", "secret123");
    portal_server_login (self, body, egov_http_answer_into, &reply);
    assert (reply.status == 503 && streq (egov_http_reply_code (&reply), "DATABASE_UNAVAILABLE"));
    json_decref (body);
    portal_server_health (self, &reply);
    assert (reply.status == 503 && streq (json_string_value (json_object_get (reply.body, "database")),
                                          "unavailable"));
    egov_http_reply_reset (&reply);
    zclock_sleep (1100);
    assert (portal_server_authenticate (self, token, iin, &reply) && streq (iin, "850314301234"));
    portal_server_applications (self, "850314301234", &reply);
    assert (reply.status == 200 && json_array_size (json_object_get (reply.body, "applications")) == 1);
    egov_http_reply_reset (&reply);

    //  On a loop: the password is checked on a worker thread and the
    //  answer comes later, on the loop; a portal that stops drops what
    //  still waits, unanswered
    zloop_t *loop = zloop_new ();
    assert (loop);
    portal_server_attach (self, loop);
    body = json_pack ("{s:s, s:s}", "iin", "850314301234", "password", "secret123");
    portal_server_login (self, body, s_test_answer, &reply);
    assert (s_test_answers == 0 && portal_server_waiting (self) == 1);
    int timer = zloop_timer (loop, 5, 0, s_test_answered, NULL);
    zloop_start (loop);
    zloop_timer_end (loop, timer);
    assert (s_test_answers == 1 && reply.status == 200 && portal_server_waiting (self) == 0);
    egov_http_reply_reset (&reply);
    portal_server_login (self, body, s_test_answer, &reply);
    portal_server_login (self, body, s_test_answer, &reply);
    json_decref (body);
    assert (portal_server_waiting (self) == 2);
    portal_server_destroy (&self);
    assert (s_test_answers == 1 && !reply.body);
    zloop_destroy (&loop);
    portal_server_destroy (&self);
    shep_participant_destroy (&engine);
    assert (egov_db_exec_script (conn, "DROP SCHEMA portal_server_test CASCADE", "drop"));
    PQfinish (conn);
    egov_catalogue_destroy (&catalogue);
    egov_calendar_destroy (&calendar);
    egov_pki_destroy (&pki);
    egov_pki_remove (pki_dir);
    printf ("OK\n");
}
