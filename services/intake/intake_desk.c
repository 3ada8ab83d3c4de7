/*  intake_desk — the operator's side of Diagram 1: login, the services,
    taking an application (Processes 1-6), showing it, handing the result
    over (Process 9). The gateway's side is in intake_flow.c.            */
#include "intake_desk_private.h"
#include "egov_pki.h"
#include "egov_iin.h"
#include "egov_db.h"
#include "egov_application.h"
#include <sodium.h>
#include <openssl/sha.h>

//  Demo operators: the logins whose certificates egov_pki issues, and the
//  passwords docs/intake.md gives for local runs.
static const struct {
    const char *login;              //  also the certificate label
    const char *password;           //  demo only
} s_demo_operators [] = {
    { "operator1", "demo-operator1" },
    { "operator2", "demo-operator2" },
    { "operator3", "demo-operator3" },
};
#define s_DEMO_COUNT (sizeof (s_demo_operators) / sizeof (s_demo_operators [0]))
//  An office's demo clerk, who signs with clerk-<KATO>'s certificate.
#define s_CLERK_LOGIN       "clerk1"
#define s_CLERK_PASSWORD    "demo-clerk1"


//  zhashx destructor for a signer.
static void
s_signer_free (void **item)
{
    egov_cms_signer_destroy ((egov_cms_signer_t **) item);
}

static void s_submissions_drop (intake_desk_t *self);
static void s_logins_drop (intake_desk_t *self);

//  intake.application: where one of our applications stands (egovctl wait)
static Egov__Envelope *
s_answer_state (void *service, const Egov__Envelope *request, egov_error_t *refusal)
{
    intake_desk_t *self = (intake_desk_t *) service;
    return egov_application_state_answer (shep_participant_db (self->engine), INTAKE_STATE_SERVICE,
                                          request, refusal);
}

const char *
intake_desk_participant (const char *office, char *buffer, size_t size)
{
    if (office)
        snprintf (buffer, size, "office-%s", office);
    else
        snprintf (buffer, size, "%s", INTAKE_PARTICIPANT);
    return buffer;
}

intake_desk_t *
intake_desk_new (shep_participant_t *engine, egov_catalogue_t *catalogue, egov_calendar_t *calendar,
                 const char *pki_dir, const char *office, egov_error_t *error)
{
    assert (engine && catalogue && calendar && pki_dir);
    if (office && !egov_kato_valid (office)) {
        egov_error_set (error, "INVALID_OFFICE", "an office is named by its region's 9-digit KATO"
                        " code, not '%s'", office);
        return NULL;
    }
    char clerk [32];
    snprintf (clerk, sizeof (clerk), "clerk-%s", office ? office : "");
    egov_pki_t *pki = egov_pki_new (pki_dir);
    bool loaded = egov_pki_load (pki, error) == 0;
    if (loaded && !egov_pki_find (pki, office ? clerk : s_demo_operators [0].login)) {
        egov_error_set (error, "PKI_MISSING", "%s has no certificate for %s "
                        "(egovctl pki init makes them)", pki_dir,
                        office ? clerk : "the State Corporation's operators");
        loaded = false;
    }
    egov_pki_destroy (&pki);
    if (!loaded)
        return NULL;
    egov_cms_verifier_t *verifier = egov_cms_verifier_new (pki_dir, error);
    if (!verifier)
        return NULL;
    intake_desk_t *self = (intake_desk_t *) zmalloc (sizeof (intake_desk_t));
    assert (self);
    self->channel = office ? EGOV_CHANNEL_OFFICE : EGOV_CHANNEL_STATE_CORP;
    if (office) {
        snprintf (self->office, sizeof (self->office), "%s", office);
        snprintf (self->provider, sizeof (self->provider), "leb-%s", office);
        snprintf (self->clerk, sizeof (self->clerk), "%s", clerk);
    }
    self->engine = engine;
    self->catalogue = catalogue;
    self->calendar = calendar;
    self->pki_dir = strdup (pki_dir);
    assert (self->pki_dir);
    self->verifier = verifier;
    self->signers = zhashx_new ();
    assert (self->signers);
    zhashx_set_destructor (self->signers, s_signer_free);
    self->timers = egov_timers_new ();
    self->submissions = zlistx_new ();
    self->logins = zlistx_new ();
    self->handovers = zlistx_new ();
    assert (self->submissions && self->logins && self->handovers);
    assert (self->timers);
    self->worker = egov_worker_new (EGOV_WORKER_THREADS, EGOV_WORKER_QUEUE);
    self->lock_after = 5;
    self->lock_ms = 15 * 60 * 1000;
    //  The hash an unknown login is checked against: of a password nobody knows
    char hash [crypto_pwhash_STRBYTES];
    bool hashed = egov_password_dummy (hash);
    assert (hashed);
    self->dummy_hash = strdup (hash);
    assert (self->dummy_hash);
    //  Results kept from before a restart: their storage timer comes from the rows
    self->rearm_wanted = true;
    //  The payloads are checked by egov_application_update_decode, with its
    //  codes; they come from regional gateways (the handler sees that it is the
    //  one of the application's region), or to an office from its provider
    shep_participant_on (engine, "application.status", NULL, intake_desk_deliver);
    shep_participant_on (engine, "application.result", NULL, intake_desk_deliver);
    const char *from = office ? self->provider : "regional-*";
    shep_participant_accept (engine, "application.status", from);
    shep_participant_accept (engine, "application.result", from);
    shep_participant_on_sent (engine, intake_desk_sent);
    if (!office)
        shep_participant_on_request (engine, s_answer_state);
    return self;
}

void
intake_desk_destroy (intake_desk_t **self_p)
{
    assert (self_p);
    intake_desk_t *self = *self_p;
    if (self) {
        s_submissions_drop (self);
        s_logins_drop (self);
        intake_desk__handovers_drop (self);
        zlistx_destroy (&self->submissions);
        zlistx_destroy (&self->logins);
        zlistx_destroy (&self->handovers);
        egov_worker_destroy (&self->worker);
        egov_timers_destroy (&self->timers);
        zhashx_destroy (&self->signers);
        egov_cms_verifier_destroy (&self->verifier);
        free (self->pki_dir);
        free (self->dummy_hash);
        free (self);
        *self_p = NULL;
    }
}

void
intake_desk_set_lock (intake_desk_t *self, int lock_after, int64_t lock_ms)
{
    assert (lock_after > 0 && lock_ms >= 0);
    self->lock_after = lock_after;
    self->lock_ms = lock_ms;
}

void
intake_desk_set_verbose (intake_desk_t *self, bool verbose)
{
    self->verbose = verbose;
}

void
intake_desk_attach (intake_desk_t *self, zloop_t *loop)
{
    egov_worker_attach (self->worker, loop);
}

//  ---------------------------------------------------------------------
//  Helpers shared with intake_flow.c

bool
intake_desk__db (intake_desk_t *self, egov_http_reply_t *reply)
{
    self->conn = shep_participant_db (self->engine);
    if (!self->conn && reply)
        intake_desk__unavailable (reply);
    return self->conn != NULL;
}

void
intake_desk__unavailable (egov_http_reply_t *reply)
{
    egov_http_reply_error (reply, 503, "DATABASE_UNAVAILABLE", "the desk's database did not answer");
}

PGresult *
intake_desk__sql (intake_desk_t *self, ExecStatusType expected, const char *sql, int count,
                  const char *const *values, const int *lengths, const int *formats)
{
    if (!self->conn)
        return NULL;                //  the unit of work found no database
    PGresult *result = egov_db_params (self->conn, sql, count, NULL, values, lengths, formats, 0);
    if (!egov_db_check (result, expected, sql)) {
        PQclear (result);
        return NULL;
    }
    return result;
}

bool
intake_desk__exec (intake_desk_t *self, const char *command)
{
    if (!self->conn)
        return false;
    PGresult *result = PQexec (self->conn, command);
    bool done = egov_db_check (result, PGRES_COMMAND_OK, command);
    PQclear (result);
    return done;
}

bool
intake_desk__history (intake_desk_t *self, const char *id, const char *status, const char *step,
                      const char *role, const char *actor, const char *note, int64_t at_sim)
{
    char at [24];
    snprintf (at, sizeof (at), "%" PRId64, at_sim);
    const char *values [] = { id, status, step, role ? role : "", actor ? actor : "",
                              note ? note : "", at };
    PGresult *result = intake_desk__sql (self, PGRES_COMMAND_OK,
        "INSERT INTO history (application_id, status, step, role, actor, note, at_sim)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7)", 7, values, NULL, NULL);
    if (self->verbose)
        zsys_info ("intake: %s %s: %s%s%s", id, status, step, note && *note ? " — " : "",
                   note ? note : "");
    PQclear (result);
    return result != NULL;
}

json_t *
intake_desk__time (int64_t ms)
{
    if (ms == 0)
        return json_null ();
    char text [40];
    egov_clock_format (ms, text, sizeof (text));
    return json_string (text);
}

void
intake_desk__name (const Egov__Registries__Person *person, char *buffer, size_t size)
{
    snprintf (buffer, size, "%s %s%s%s", person->surname, person->name,
              *person->patronymic ? " " : "", person->patronymic);
}

void
intake_desk__sha256_hex (const char *text, char out [65])
{
    uint8_t digest [SHA256_DIGEST_LENGTH];
    SHA256 ((const uint8_t *) text, strlen (text), digest);
    sodium_bin2hex (out, 65, digest, sizeof (digest));
}

void
intake_desk__local_date (intake_desk_t *self, int64_t ms, char out [11])
{
    egov_date_format (egov_calendar_local_day (self->calendar, ms), out);
}

//  ---------------------------------------------------------------------
//  Process 1: operators and sessions

int
intake_desk_seed_operators (intake_desk_t *self, egov_error_t *error)
{
    if (!intake_desk__db (self, NULL)) {
        egov_error_set (error, "DATABASE", "the database is not available");
        return -1;
    }
    egov_pki_t *pki = egov_pki_new (self->pki_dir);
    if (egov_pki_load (pki, error) != 0) {
        egov_pki_destroy (&pki);
        return -1;
    }
    int created = 0;
    //  The State Corporation's operators sign with their own certificates; an
    //  office's clerk with clerk-<KATO>'s
    size_t count = *self->office ? 1 : s_DEMO_COUNT;
    for (size_t index = 0; index < count; index++) {
        const char *login = *self->office ? s_CLERK_LOGIN : s_demo_operators [index].login;
        const char *label = *self->office ? self->clerk : login;
        const egov_pki_entry_t *entry = egov_pki_find (pki, label);
        if (!entry)
            continue;
        PGresult *result = intake_desk__sql (self, PGRES_TUPLES_OK,
            "SELECT 1 FROM operator WHERE login = $1", 1, &login, NULL, NULL);
        if (!result) {
            egov_error_set (error, "DATABASE", "cannot read the operators");
            egov_pki_destroy (&pki);
            return -1;
        }
        bool exists = PQntuples (result) > 0;
        PQclear (result);
        if (exists)
            continue;
        char hash [crypto_pwhash_STRBYTES];
        const char *password = *self->office ? s_CLERK_PASSWORD : s_demo_operators [index].password;
        if (!egov_password_hash (password, hash)) {
            egov_error_set (error, "PASSWORD_HASH", "out of memory hashing a password");
            egov_pki_destroy (&pki);
            return -1;
        }
        const char *values [] = { login, entry->iin, entry->name, entry->label, hash };
        result = intake_desk__sql (self, PGRES_COMMAND_OK,
            "INSERT INTO operator (login, iin, name, cert_label, password_hash)"
            " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (login) DO NOTHING",
            5, values, NULL, NULL);
        if (!result) {
            egov_error_set (error, "DATABASE", "cannot store operator %s", login);
            egov_pki_destroy (&pki);
            return -1;
        }
        created += atoi (PQcmdTuples (result));
        PQclear (result);
    }
    egov_pki_destroy (&pki);
    return created;
}

//  A login whose password a worker thread checks.
typedef struct {
    intake_desk_t *desk;                //  where it came
    char login [INTAKE_TEXT_MAX];       //  who logs in
    bool known;                         //  an operator has this login
    json_t *operator_;                  //  {login, name, iin} for the answer
    intake_desk_answer_fn *answer;      //  how the answer is given
    void *argument;                     //  for answer
    void *handle;                       //  its place in desk->logins
} s_login_t;

//  Frees a login (its check, when still running, is the worker's to drop).
static void
s_login_destroy (s_login_t **self_p)
{
    s_login_t *self = *self_p;
    if (self) {
        json_decref (self->operator_);
        free (self);
        *self_p = NULL;
    }
}

//  Drops the logins still waiting, unanswered: the HTTP server answers
//  their requests as it stops.
static void
s_logins_drop (intake_desk_t *self)
{
    s_login_t *login;
    while ((login = (s_login_t *) zlistx_detach (self->logins, NULL))) {
        egov_worker_forget (self->worker, login);
        s_login_destroy (&login);
    }
}

//  The session for a login whose password was right; fills reply.
static void
s_session (intake_desk_t *self, s_login_t *login, egov_http_reply_t *reply)
{
    //  Time passed while the password was checked: the database afresh
    if (!intake_desk__db (self, reply))
        return;
    uint8_t random [32];
    randombytes_buf (random, sizeof (random));
    char token [65], digest [65];
    sodium_bin2hex (token, sizeof (token), random, sizeof (random));
    intake_desk__sha256_hex (token, digest);
    char hours [8];
    snprintf (hours, sizeof (hours), "%d", INTAKE_SESSION_HOURS);
    const char *insert [] = { digest, login->login, hours };
    PGresult *result = intake_desk__sql (self, PGRES_TUPLES_OK,
        "INSERT INTO session (token_sha256, login, expires_wall)"
        " VALUES ($1, $2, now() + make_interval (hours => $3::int))"
        " RETURNING (extract (epoch FROM expires_wall) * 1000)::bigint", 3, insert, NULL, NULL);
    if (!result) {
        intake_desk__unavailable (reply);
        return;
    }
    int64_t expires = strtoll (PQgetvalue (result, 0, 0), NULL, 10);
    PQclear (result);
    //  The right password ends the run of wrong ones
    const char *who [] = { login->login };
    PQclear (intake_desk__sql (self, PGRES_COMMAND_OK,
        "UPDATE operator SET failed_logins = 0 WHERE login = $1 AND failed_logins > 0",
        1, who, NULL, NULL));
    egov_http_reply_set (reply, 200, json_pack ("{s:s, s:s, s:o, s:O}", "token", token,
                                                "token_type", "Bearer", "expires_at",
                                                intake_desk__time (expires), "operator",
                                                login->operator_));
    sodium_memzero (token, sizeof (token));
}

//  Sets 429 LOCKED with Retry-After for a login locked for seconds more.
static void
s_locked (egov_http_reply_t *reply, int64_t seconds)
{
    egov_http_reply_error (reply, 429, "LOCKED", "too many wrong passwords: the login is locked"
                           " for %" PRId64 " seconds more", seconds);
    free (reply->retry_after);
    reply->retry_after = zsys_sprintf ("%" PRId64, seconds);
}

//  Counts a wrong password of a known login; true when it locked the login
//  (reply 429 LOCKED), false otherwise (reply 503 when the database failed,
//  untouched when it merely counted).
static bool
s_count_failure (intake_desk_t *self, const char *login, egov_http_reply_t *reply)
{
    if (!intake_desk__db (self, reply))
        return false;
    char limit [16], lock [24];
    snprintf (limit, sizeof (limit), "%d", self->lock_after);
    snprintf (lock, sizeof (lock), "%" PRId64, self->lock_ms);
    const char *values [] = { login, limit, lock };
    //  One statement, so two wrong passwords checked at once both count
    PGresult *result = intake_desk__sql (self, PGRES_TUPLES_OK,
        "UPDATE operator SET failed_logins = CASE WHEN failed_logins + 1 >= $2::int THEN 0"
        "                                        ELSE failed_logins + 1 END,"
        "  locked_until_wall = CASE WHEN failed_logins + 1 >= $2::int"
        "    THEN clock_timestamp () + make_interval (secs => $3::bigint / 1000.0)"
        "    ELSE locked_until_wall END"
        " WHERE login = $1 RETURNING failed_logins = 0", 3, values, NULL, NULL);
    if (!result) {
        intake_desk__unavailable (reply);
        return false;
    }
    bool locked = PQntuples (result) == 1 && *PQgetvalue (result, 0, 0) == 't';
    PQclear (result);
    if (locked) {
        zsys_info ("intake: login '%s' locked after %d wrong passwords", login, self->lock_after);
        s_locked (reply, (self->lock_ms + 999) / 1000);
    }
    return locked;
}

//  The worker's verdict on the password: a session, or 401 (429 when it
//  was the wrong password that locks the login).
static void
s_on_verified (void *argument, bool right, const char *hash)
{
    (void) hash;
    s_login_t *login = (s_login_t *) argument;
    intake_desk_t *self = login->desk;
    zlistx_delete (self->logins, login->handle);
    egov_http_reply_t reply = { 0, NULL, NULL };
    if (right && login->known)
        s_session (self, login, &reply);
    else
    if (login->known && s_count_failure (self, login->login, &reply))
        ;                                   //  the wrong password that locks it: 429
    else
    if (!reply.status) {
        zsys_info ("intake: failed login for '%s'", login->login);
        egov_http_reply_error (&reply, 401, "AUTH_FAILED", "wrong login or password");
    }
    login->answer (login->argument, &reply);
    egov_http_reply_reset (&reply);
    s_login_destroy (&login);
}

void
intake_desk_login (intake_desk_t *self, json_t *body, intake_desk_answer_fn *answer,
                   void *argument)
{
    char login [INTAKE_TEXT_MAX], password [INTAKE_TEXT_MAX];
    egov_error_t error = { { 0 } };
    egov_http_reply_t reply = { 0, NULL, NULL };
    PGresult *result = NULL;
    if (!json_is_object (body)) {
        egov_http_reply_error (&reply, 400, "INVALID_REQUEST", "the body must be {login, password}");
        goto answered;
    }
    if (!egov_http_keys (body, &error, "login", "password", NULL)
    ||  !egov_http_text (body, "login", login, sizeof (login), &error)
    ||  !egov_http_text (body, "password", password, sizeof (password), &error)) {
        egov_http_reply_error (&reply, 400, error.code, "%s", error.message);
        goto answered;
    }
    if (!intake_desk__db (self, &reply))
        goto answered;
    const char *values [] = { login };
    result = intake_desk__sql (self, PGRES_TUPLES_OK,
        "SELECT password_hash, name, iin,"
        " ceil (extract (epoch FROM locked_until_wall - clock_timestamp ()))::bigint"
        " FROM operator WHERE login = $1", 1, values, NULL, NULL);
    if (!result) {
        intake_desk__unavailable (&reply);
        goto answered;
    }
    bool known = PQntuples (result) == 1;
    if (known && !PQgetisnull (result, 0, 3) && strtoll (PQgetvalue (result, 0, 3), NULL, 10) > 0) {
        //  Locked: even the right password waits (and costs no check)
        s_locked (&reply, strtoll (PQgetvalue (result, 0, 3), NULL, 10));
        goto answered;
    }
    //  Argon2 on a worker thread: the loop serves the others meanwhile
    s_login_t *pending = (s_login_t *) zmalloc (sizeof (s_login_t));
    assert (pending);
    pending->desk = self;
    pending->known = known;
    snprintf (pending->login, sizeof (pending->login), "%s", login);
    pending->operator_ = known ? json_pack ("{s:s, s:s, s:s}", "login", login,
                                            "name", PQgetvalue (result, 0, 1),
                                            "iin", PQgetvalue (result, 0, 2))
                               : json_object ();
    pending->answer = answer;
    pending->argument = argument;
    pending->handle = zlistx_add_end (self->logins, pending);
    //  An unknown login is checked against a hash nobody has: it costs the
    //  same time, so the answer's delay tells nothing about which logins exist
    bool asked = egov_worker_verify (self->worker, known ? PQgetvalue (result, 0, 0) : self->dummy_hash,
                                     password, s_on_verified, pending, &error);
    sodium_memzero (password, sizeof (password));
    PQclear (result);
    if (asked)
        return;                     //  answered by s_on_verified, maybe already
    zlistx_delete (self->logins, pending->handle);
    s_login_destroy (&pending);
    intake_desk__busy (&reply, &error);
    answer (argument, &reply);
    egov_http_reply_reset (&reply);
    return;
answered:
    sodium_memzero (password, sizeof (password));
    PQclear (result);
    answer (argument, &reply);
    egov_http_reply_reset (&reply);
}

bool
intake_desk_authenticate (intake_desk_t *self, const char *token, intake_operator_t *operator_,
                          egov_http_reply_t *reply)
{
    if (!token || !*token) {
        egov_http_reply_error (reply, 401, "AUTH_REQUIRED",
                               "log in first (POST /api/v1/operator/login) and send "
                               "'Authorization: Bearer <token>'");
        return false;
    }
    if (!intake_desk__db (self, reply))
        return false;
    char digest [65];
    intake_desk__sha256_hex (token, digest);
    const char *values [] = { digest };
    PGresult *result = intake_desk__sql (self, PGRES_TUPLES_OK,
        "SELECT o.login, o.name, o.iin FROM session s JOIN operator o USING (login)"
        " WHERE s.token_sha256 = $1 AND s.expires_wall > now()", 1, values, NULL, NULL);
    if (!result) {
        intake_desk__unavailable (reply);
        return false;
    }
    bool live = PQntuples (result) == 1;
    if (live) {
        snprintf (operator_->login, sizeof (operator_->login), "%s", PQgetvalue (result, 0, 0));
        snprintf (operator_->name, sizeof (operator_->name), "%s", PQgetvalue (result, 0, 1));
        snprintf (operator_->iin, sizeof (operator_->iin), "%s", PQgetvalue (result, 0, 2));
    }
    else
        egov_http_reply_error (reply, 401, "AUTH_REQUIRED", "the token is unknown or expired: log in again");
    PQclear (result);
    return live;
}

//  ---------------------------------------------------------------------
//  The services served through the State Corporation

//  True when the service goes to the provider on paper (no electronic form):
//  collection sector, register, courier. Never from the provider's own
//  office: the package is at the provider already.
static bool
s_paper_route (intake_desk_t *self, const egov_catalogue_entry_t *entry)
{
    return !*self->office && entry->paper && !entry->electronic;
}

//  Names as a JSON object.
static json_t *
s_names (const egov_names_t *names)
{
    return json_pack ("{s:s?, s:s?, s:s?}", "kk", names->kk, "ru", names->ru, "en", names->en);
}

//  A term as text, or null.
static json_t *
s_term (const egov_catalogue_term_t *term)
{
    char text [16];
    return term->set ? json_string (egov_duration_format (term->max, text, sizeof (text)))
                     : json_null ();
}

void
intake_desk_services (intake_desk_t *self, egov_http_reply_t *reply)
{
    json_t *services = json_array ();
    for (size_t index = 0; index < egov_catalogue_size (self->catalogue); index++) {
        const egov_catalogue_entry_t *entry = egov_catalogue_entry (self->catalogue, index);
        if (!entry->channels [self->channel] || (*self->office && !streq (entry->kato, self->office)))
            continue;
        json_t *documents = json_array ();
        for (size_t item = 0; item < entry->document_count; item++) {
            const egov_catalogue_item_t *document = &entry->documents [item];
            json_array_append_new (documents, json_pack ("{s:s, s:s, s:b, s:s?}",
                "type", document->code, "en", document->en, "required", document->when == NULL,
                "when", document->when));
        }
        json_t *steps = json_array ();
        for (size_t item = 0; item < entry->step_count; item++)
            json_array_append_new (steps, json_pack ("{s:s, s:s, s:o}",
                "role", entry->steps [item].role, "action", entry->steps [item].action,
                "max", s_term (&entry->steps [item].term)));
        json_t *windows = json_array ();
        for (size_t item = 0; item < entry->window_count; item++) {
            const egov_catalogue_window_t *window = &entry->windows [item];
            char from [8] = "", to [8];
            if (window->from_month)
                snprintf (from, sizeof (from), "%02d-%02d", window->from_month, window->from_day);
            snprintf (to, sizeof (to), "%02d-%02d", window->to_month, window->to_day);
            json_array_append_new (windows, json_pack ("{s:s, s:s?, s:s?, s:s}",
                "kind", window->kind == EGOV_WINDOW_APPLICATION ? "application" : "result",
                "form", window->form, "from", *from ? from : NULL, "to", to));
        }
        json_t *service = json_pack (
            "{s:s, s:s, s:o, s:o, s:o, s:s, s:o, s:o, s:o, s:o, s:s}",
            "code", entry->code, "region", entry->kato, "region_name", s_names (&entry->region),
            "name", s_names (&entry->name), "provider", s_names (&entry->provider),
            "provider_kind", entry->provider_kind, "documents", documents, "steps", steps,
            "deadline", s_term (&entry->deadline), "windows", windows,
            "route", *self->office ? "office" : s_paper_route (self, entry) ? "paper" : "electronic");
        //  The request form in the portal's shape: one description for both channels
        json_object_set_new (service, "form", egov_form_json (entry->request_form));
        json_array_append_new (services, service);
    }
    //  Which desk this is, for a terminal's title: the State Corporation's, or
    //  an office of a region's provider
    char participant [32];
    json_t *desk = json_pack ("{s:s, s:s, s:s?, s:s}", "participant",
        intake_desk_participant (*self->office ? self->office : NULL, participant, sizeof (participant)),
        "channel", egov_channel_name (self->channel), "region", *self->office ? self->office : NULL,
        "hours", egov_calendar_hours (self->calendar, self->channel));
    egov_http_reply_set (reply, 200, json_pack ("{s:o, s:o}", "desk", desk, "services", services));
}

//  ---------------------------------------------------------------------
//  Process 2-6: taking the application

//  The types of the catalogue's documents missing from the package: those
//  always required, and the power of attorney when a representative acts.
static json_t *
s_missing (const egov_catalogue_entry_t *entry, const intake_application_t *request)
{
    json_t *missing = json_array ();
    for (size_t index = 0; index < entry->document_count; index++) {
        const egov_catalogue_item_t *document = &entry->documents [index];
        bool needed = document->when == NULL
                   || (request->represented && streq (document->code, "power-of-attorney"));
        if (needed && !intake_application_has (request, document->code))
            json_array_append_new (missing, json_string (document->code));
    }
    return missing;
}

//  Next number of a receipt sequence, "<prefix>-<YYYY>-<NNNNNN>".
static bool
s_receipt_number (intake_desk_t *self, const char *sequence, const char *prefix, int64_t at,
                  char *out, size_t size)
{
    const char *values [] = { sequence };
    PGresult *result = intake_desk__sql (self, PGRES_TUPLES_OK, "SELECT nextval ($1::regclass)",
                                         1, values, NULL, NULL);
    if (!result)
        return false;
    char date [11];
    egov_date_format (egov_calendar_local_day (self->calendar, at), date);
    snprintf (out, size, "%s-%.4s-%06lld", prefix, date, strtoll (PQgetvalue (result, 0, 0), NULL, 10));
    PQclear (result);
    return true;
}

//  Refuses an incomplete package with a numbered refusal receipt (Standard annex form).
static void
s_refuse_incomplete (intake_desk_t *self, const intake_operator_t *operator_,
                     const intake_application_t *request, json_t *missing, int64_t now,
                     egov_http_reply_t *reply)
{
    char number [48];
    //  the array literal of text[] for the missing types
    char *list = json_dumps (missing, JSON_COMPACT);
    assert (list);
    list [0] = '{';
    list [strlen (list) - 1] = '}';
    char at [24];
    snprintf (at, sizeof (at), "%" PRId64, now);
    PGresult *result = NULL;
    char prefix [16];
    snprintf (prefix, sizeof (prefix), "%s%s", self->office, *self->office ? "-OF-R" : "SC-R");
    if (s_receipt_number (self, "refusal_receipt_seq", prefix, now, number, sizeof (number))) {
        const char *values [] = { number, request->service, request->region,
                                  request->applicant_iin, operator_->login, list, at };
        result = intake_desk__sql (self, PGRES_COMMAND_OK,
            "INSERT INTO refusal_receipt (number, service, region, applicant_iin, operator_login,"
            " missing, issued_sim) VALUES ($1, $2, $3, $4, $5, $6, $7)", 7, values, NULL, NULL);
    }
    free (list);
    if (!result) {
        json_decref (missing);
        intake_desk__unavailable (reply);
        return;
    }
    PQclear (result);
    char *names = NULL;
    size_t length = 0;
    FILE *stream = open_memstream (&names, &length);
    assert (stream);
    for (size_t index = 0; index < json_array_size (missing); index++)
        fprintf (stream, "%s%s", index ? ", " : "", json_string_value (json_array_get (missing, index)));
    fclose (stream);
    json_t *body = egov_http_reply_error (reply, 422, "INCOMPLETE_DOCUMENTS",
        "the package is incomplete against Standard item 9: missing %s; a refusal receipt was given",
        names);
    free (names);
    json_object_set_new (body, "missing", json_incref (missing));
    json_object_set_new (body, "refusal_receipt", json_pack ("{s:s, s:s, s:s, s:s, s:o, s:o, s:s, s:s}",
        "number", number, "service", request->service, "region", request->region,
        "applicant_iin", request->applicant_iin, "missing", missing, "issued_at",
        intake_desk__time (now), "operator", operator_->name, "ground", "incomplete-package"));
}

//  Gets (loading once) the signer of an operator's certificate.
static egov_cms_signer_t *
s_signer (intake_desk_t *self, const char *label, egov_error_t *error)
{
    egov_cms_signer_t *signer = (egov_cms_signer_t *) zhashx_lookup (self->signers, label);
    if (signer)
        return signer;
    signer = egov_cms_signer_for (self->pki_dir, label, error);
    if (signer)
        zhashx_insert (self->signers, label, signer);
    return signer;
}

//  What the regulations decide when the application is taken now.
typedef struct {
    int64_t submitted;              //  simulated now
    int64_t received;               //  receipt on the desk's hours
    int64_t due;                    //  the term on the provider's calendar (ours when a
                                    //  register answers), 0 without one
} s_terms_t;

//  Receipt and term from the calendar; false with reply set.
static bool
s_terms (intake_desk_t *self, const egov_catalogue_entry_t *entry, s_terms_t *terms,
         egov_http_reply_t *reply)
{
    terms->submitted = egov_clock_now_ms ();
    egov_receipt_t receipt;
    egov_error_t error = { { 0 } };
    if (!egov_calendar_receipt (self->calendar, self->channel, terms->submitted,
                                &receipt, &error)) {
        egov_http_reply_error (reply, 422, error.code, "%s", error.message);
        return false;
    }
    terms->received = receipt.received_ms;
    egov_receipt_reset (&receipt);
    terms->due = 0;
    if (entry->deadline.set) {
        egov_due_t due;
        //  On the provider's hours, or on ours when a register answers the
        //  desk's applications itself (seed 004: within 30 minutes of the
        //  State Corporation's schedule)
        if (!egov_calendar_due (self->calendar, egov_catalogue_term_schedule (entry, self->channel),
                                terms->received,
                                entry->deadline.max, &due, &error)) {
            egov_http_reply_error (reply, 422, error.code, "%s", error.message);
            return false;
        }
        terms->due = due.due_ms;
        egov_due_reset (&due);
    }
    return true;
}

//  True when the desk is open at the simulated now (its channel's hours on
//  its calendar: the State Corporation Mon-Sat 09:00-20:00, an office
//  Mon-Fri 09:00-18:00 with lunch); else false with reply set to 422
//  DESK_CLOSED naming when it opens.
static bool
s_open_now (intake_desk_t *self, egov_http_reply_t *reply)
{
    int64_t now = egov_clock_now_ms ();
    egov_receipt_t receipt;
    egov_error_t error = { { 0 } };
    if (!egov_calendar_receipt (self->calendar, self->channel, now, &receipt, &error)) {
        egov_http_reply_error (reply, 422, error.code, "%s", error.message);
        return false;
    }
    bool open = receipt.received_ms == now;
    if (!open) {
        char at [40], opens [40];
        egov_calendar_time_format (self->calendar, now, at, sizeof (at));
        json_t *detail = egov_http_reply_error (reply, 422, "DESK_CLOSED",
            "the desk is closed at %s (simulated): it works %s; it opens %s", at,
            egov_calendar_hours (self->calendar, self->channel),
            egov_calendar_time_format (self->calendar, receipt.received_ms, opens, sizeof (opens)));
        json_object_set_new (detail, "opens_at", intake_desk__time (receipt.received_ms));
    }
    egov_receipt_reset (&receipt);
    return open;
}

//  The child a form names, as the registry knows them: {iin, name,
//  birth_certificate}; name null when the registry lost the record.
static json_t *
s_child_json (const intake_check_t *check)
{
    char name [400] = "";
    if (check->child)
        intake_desk__name (check->child->person, name, sizeof (name));
    return json_pack ("{s:s, s:s?, s:s?}", "iin", check->child_iin, "name", *name ? name : NULL,
                      "birth_certificate", check->link ? check->link->number : NULL);
}

//  The request as the operator signs it: every fact of the form, the
//  attachments by name, size and digest. Caller frees.
static char *
s_signed_document (const char *channel, const char *id, const char *receipt,
                   const intake_application_t *request,
                   const char *applicant_name, const char *representative_name,
                   const intake_check_t *check, const intake_operator_t *operator_,
                   const s_terms_t *terms)
{
    json_t *documents = json_array ();
    for (size_t index = 0; index < request->document_count; index++) {
        const intake_document_t *document = &request->documents [index];
        char digest [65];
        sodium_bin2hex (digest, sizeof (digest), document->sha256, sizeof (document->sha256));
        json_array_append_new (documents, json_pack ("{s:s, s:s, s:I, s:s}", "type", document->type,
            "name", document->name, "size", (json_int_t) document->size, "sha256", digest));
    }
    json_t *representative = request->represented
        ? json_pack ("{s:s, s:s, s:s}", "iin", request->representative_iin,
                     "name", representative_name, "poa_number", request->poa_number)
        : json_null ();
    json_t *document = json_pack ("{s:s, s:s, s:s, s:s, s:{s:s, s:s}, s:o, s:o, s:b, s:s,"
                                  " s:o, s:o, s:o, s:{s:s, s:s, s:s}}",
        "application_id", id, "service", request->service, "region", request->region,
        "channel", channel, "applicant", "iin", request->applicant_iin, "name", applicant_name,
        "representative", representative, "documents", documents, "consent", request->consent,
        "receipt_number", receipt, "submitted_at", intake_desk__time (terms->submitted),
        "received_at", intake_desk__time (terms->received),
        "result_due", intake_desk__time (terms->due),
        "operator", "login", operator_->login, "iin", operator_->iin, "name", operator_->name);
    //  The service's form as filled in, and the child it names as the registry knows them
    json_object_set (document, "form", request->form);
    if (check->child_iin)
        json_object_set_new (document, "child", s_child_json (check));
    char *text = json_dumps (document, JSON_COMPACT | JSON_SORT_KEYS);
    assert (text);
    json_decref (document);
    return text;
}

//  The Application message for the regional gateway.
static Egov__Envelope *
s_application_envelope (intake_desk_t *self, const char *id, const char *receipt,
                        const intake_application_t *request,
                        const char *applicant_name, const char *text, const uint8_t *signature,
                        size_t signature_size, const intake_operator_t *operator_,
                        const s_terms_t *terms)
{
    Egov__Applications__Application application = EGOV__APPLICATIONS__APPLICATION__INIT;
    application.application_id = (char *) id;
    application.service = (char *) request->service;
    application.region = (char *) request->region;
    application.channel = *self->office ? EGOV__APPLICATIONS__CHANNEL__PROVIDER_OFFICE
                                        : EGOV__APPLICATIONS__CHANNEL__STATE_CORPORATION;
    application.applicant_iin = (char *) request->applicant_iin;
    application.applicant_name = (char *) applicant_name;
    Egov__Applications__Representative representative = EGOV__APPLICATIONS__REPRESENTATIVE__INIT;
    if (request->represented) {
        representative.iin = (char *) request->representative_iin;
        representative.poa_number = (char *) request->poa_number;
        application.representative = &representative;
    }
    Egov__Applications__Attachment *attachments =
        calloc (request->document_count + 1, sizeof (Egov__Applications__Attachment));
    Egov__Applications__Attachment **pointers =
        calloc (request->document_count + 1, sizeof (Egov__Applications__Attachment *));
    assert (attachments && pointers);
    for (size_t index = 0; index < request->document_count; index++) {
        const intake_document_t *document = &request->documents [index];
        egov__applications__attachment__init (&attachments [index]);
        attachments [index].type = (char *) document->type;
        attachments [index].name = (char *) document->name;
        attachments [index].content.data = document->content;
        attachments [index].content.len = document->size;
        attachments [index].sha256.data = (uint8_t *) document->sha256;
        attachments [index].sha256.len = sizeof (document->sha256);
        pointers [index] = &attachments [index];
    }
    application.attachments = pointers;
    application.n_attachments = request->document_count;
    application.document.data = (uint8_t *) text;
    application.document.len = strlen (text);
    application.signature.data = (uint8_t *) signature;
    application.signature.len = signature_size;
    egov_application_form_set (&application, request->form);
    application.signer_iin = (char *) operator_->iin;
    application.receipt_number = (char *) receipt;
    application.submitted_at = terms->submitted;
    application.received_at = terms->received;
    application.result_due = terms->due;
    Egov__Envelope *envelope;
    if (*self->office) {
        //  The provider's own office: its clerk registers the application in the
        //  provider's register (the receipt's number) and hands it to the
        //  provider's system, with the outcome of checking the clerk's signature
        egov_cms_result_t checked;
        egov_cms_outcome_t outcome = egov_cms_verify (self->verifier, signature, signature_size,
            text, strlen (text), terms->submitted, operator_->iin, &checked);
        char signer [600];
        snprintf (signer, sizeof (signer), "%s (IIN %s)", *checked.name ? checked.name : operator_->name,
                  *checked.iin ? checked.iin : operator_->iin);
        Egov__Applications__Registration registration = EGOV__APPLICATIONS__REGISTRATION__INIT;
        registration.registration_number = (char *) receipt;
        registration.registered_at = terms->received;
        registration.registered_wall = egov_now_ms ();
        registration.signature_outcome = (char *) egov_cms_outcome_name (outcome);
        registration.signer = signer;
        Egov__Applications__RegisteredApplication registered =
            EGOV__APPLICATIONS__REGISTERED_APPLICATION__INIT;
        registered.registration = &registration;
        registered.application = &application;
        envelope = egov_envelope_new ("application.registered", EGOV__MESSAGE_TYPE__REQUEST);
        egov_string_set (&envelope->correlation_id, id);
        egov_string_set (&envelope->recipient_id, self->provider);
        egov_envelope_set_payload (envelope, &registered.base);
    }
    else {
        envelope = intake_desk__envelope ("application.submit", id, request->region,
                                          EGOV__MESSAGE_TYPE__REQUEST);
        egov_envelope_set_payload (envelope, &application.base);
    }
    egov_application_form_reset (&application);
    free (pointers);
    free (attachments);
    return envelope;
}

//  Stores the accepted application with its history and the message to the
//  regional gateway, in one transaction.
static bool
s_store_accepted (intake_desk_t *self, const char *id, const char *receipt,
                  const intake_application_t *request, const char *applicant_name,
                  const char *representative_name, const intake_operator_t *operator_,
                  const intake_check_t *check, const egov_catalogue_entry_t *entry,
                  const s_terms_t *terms, Egov__Envelope *envelope, const char *key,
                  const char *digest)
{
    bool paper = s_paper_route (self, entry);
    char submitted [24], received [24], due [24], register_number [48] = "";
    snprintf (submitted, sizeof (submitted), "%" PRId64, terms->submitted);
    snprintf (received, sizeof (received), "%" PRId64, terms->received);
    snprintf (due, sizeof (due), "%" PRId64, terms->due);
    if (!intake_desk__exec (self, "BEGIN"))
        return false;
    if (paper) {
        PGresult *line = intake_desk__sql (self, PGRES_TUPLES_OK,
            "SELECT nextval ('register_line_seq')", 0, NULL, NULL, NULL);
        if (!line) {
            intake_desk__exec (self, "ROLLBACK");
            return false;
        }
        char date [11];
        intake_desk__local_date (self, terms->submitted, date);
        snprintf (register_number, sizeof (register_number), "%s/%s", date, PQgetvalue (line, 0, 0));
        PQclear (line);
    }
    //  The package as accepted, for the receipt
    json_t *package = json_array ();
    for (size_t index = 0; index < request->document_count; index++) {
        char sha [65];
        sodium_bin2hex (sha, sizeof (sha), request->documents [index].sha256, 32);
        json_array_append_new (package, json_pack ("{s:s, s:s, s:I, s:s}",
            "type", request->documents [index].type, "name", request->documents [index].name,
            "size", (json_int_t) request->documents [index].size, "sha256", sha));
    }
    char *documents = json_dumps (package, JSON_COMPACT);
    json_decref (package);
    char *form = json_dumps (request->form, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_t *child_view = check->child_iin ? s_child_json (check) : json_null ();
    char *child = json_dumps (child_view, JSON_COMPACT | JSON_ENCODE_ANY);
    json_decref (child_view);
    assert (documents && form && child);
    const char *values [] = { id, request->service, request->region, request->applicant_iin,
        applicant_name, request->represented ? request->representative_iin : NULL,
        request->represented ? representative_name : NULL,
        request->represented ? request->poa_number : NULL, operator_->login, receipt,
        paper ? "true" : "false", paper ? register_number : NULL, submitted, received,
        terms->due ? due : NULL, *key ? key : NULL, digest, documents, form,
        check->child_iin ? child : NULL };
    PGresult *result = intake_desk__sql (self, PGRES_COMMAND_OK,
        "INSERT INTO application (id, service, region, applicant_iin, applicant_name,"
        " representative_iin, representative_name, poa_number, operator_login, status,"
        " receipt_number, paper, register_number, submitted_sim, received_sim, result_due_sim,"
        " idempotency_key, request_sha256, documents, form, child)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'ACCEPTED', $10, $11, $12, $13, $14, $15,"
        " $16, $17, $18::jsonb, $19::json, $20::jsonb)", 20, values, NULL, NULL);
    free (documents);
    free (form);
    free (child);
    bool stored = result != NULL;
    PQclear (result);
    char note [1024];
    //  Condition 1 answered yes: the look-ups are steps of the history
    snprintf (note, sizeof (note), "IIN %s: %s", request->applicant_iin, applicant_name);
    stored = stored && intake_desk__history (self, id, "ACCEPTED",
        "registry of individuals (gbdfl) confirms the applicant's data", "operator",
        operator_->name, note, terms->submitted);
    if (check->child_iin) {
        char child_name [400] = "name not in the registry";
        if (check->child)
            intake_desk__name (check->child->person, child_name, sizeof (child_name));
        snprintf (note, sizeof (note), "child IIN %s: %s, birth certificate No %s", check->child_iin,
                  child_name, check->link ? check->link->number : "?");
        stored = stored && intake_desk__history (self, id, "ACCEPTED",
            "registry of individuals (gbdfl) confirms the child is the applicant's", "operator",
            operator_->name, note, terms->submitted);
    }
    if (request->represented) {
        snprintf (note, sizeof (note), "representative %s %s, power of attorney %s in force",
                  request->representative_iin, representative_name, request->poa_number);
        stored = stored && intake_desk__history (self, id, "ACCEPTED",
            "notarial registry (enis) confirms the power of attorney", "operator",
            operator_->name, note, terms->submitted);
    }
    char due_text [40] = "none";
    if (terms->due)
        egov_clock_format (terms->due, due_text, sizeof (due_text));
    snprintf (note, sizeof (note), "receipt %s; consent given; %zu documents; result due %s",
              receipt, request->document_count, due_text);
    stored = stored && intake_desk__history (self, id, "ACCEPTED",
        "operator accepts the package and gives an acceptance receipt", "operator",
        operator_->name, note, terms->submitted);
    snprintf (note, sizeof (note), "certificate %s (IIN %s)", operator_->login, operator_->iin);
    stored = stored && intake_desk__history (self, id, "ACCEPTED",
        "operator signs the request with the operator's e-signature", "operator",
        operator_->name, note, terms->submitted);
    if (paper) {
        snprintf (note, sizeof (note), "register of packages %s", register_number);
        stored = stored && intake_desk__history (self, id, "ACCEPTED",
            "collection sector enters the package in the register", "collection-sector",
            "collection sector", note, terms->submitted);
        //  The courier takes it to the provider's office within one working day
        //  (of the office); the request goes to the regional gateway when it is there
        stored = stored && intake_desk__courier (self, id, terms->received, envelope);
    }
    else
        stored = stored && intake_desk__outbox (self, envelope);
    if (stored && intake_desk__exec (self, "COMMIT"))
        return true;
    intake_desk__exec (self, "ROLLBACK");
    return false;
}

//  A package whose registries' answers are awaited (Condition 1).
typedef struct {
    intake_desk_t *desk;                //  where it was submitted
    intake_operator_t operator_;        //  who submits it
    intake_application_t request;       //  the package, owned
    const egov_catalogue_entry_t *entry;    //  its service
    char *id;                           //  the id the application will have
    intake_check_t check;               //  the questions in flight
    intake_desk_answer_fn *answer;      //  how the answer is given
    void *argument;                     //  for answer
    void *handle;                       //  its place in desk->submissions
    char key [65];                      //  the operator's Idempotency-Key, "" for none
    char digest [65];                   //  SHA-256 of the body, in hex
} s_submission_t;

//  The application an earlier submission of key made: true with reply 200
//  (the application, duplicate: true), or 422 IDEMPOTENCY_KEY_REUSED when
//  it came with another body; false when there is none (or the database
//  failed: reply 503).
static bool
s_submitted_before (intake_desk_t *self, const char *login, const char *key, const char *digest,
                    egov_http_reply_t *reply)
{
    const char *values [] = { login, key };
    PGresult *result = intake_desk__sql (self, PGRES_TUPLES_OK,
        "SELECT id, request_sha256 FROM application WHERE operator_login = $1 AND idempotency_key = $2",
        2, values, NULL, NULL);
    if (!result) {
        intake_desk__unavailable (reply);
        return true;
    }
    bool found = PQntuples (result) == 1;
    if (found && !streq (PQgetvalue (result, 0, 1), digest))
        egov_http_reply_error (reply, 422, "IDEMPOTENCY_KEY_REUSED",
            "Idempotency-Key %s named another submission; a new submission needs a new key", key);
    else
    if (found) {
        bool failed = false;
        json_t *view = intake_desk__view (self, PQgetvalue (result, 0, 0), &failed);
        if (view) {
            json_object_set_new (view, "duplicate", json_true ());
            egov_http_reply_set (reply, 200, view);
            zsys_info ("intake: %s sent submission %s again; answered with application %s", login,
                       key, PQgetvalue (result, 0, 0));
        }
        else
            intake_desk__unavailable (reply);
    }
    PQclear (result);
    return found;
}

//  Frees a submission (its check stops waiting).
static void
s_submission_destroy (s_submission_t **self_p)
{
    s_submission_t *self = *self_p;
    if (self) {
        intake_desk__check_reset (&self->check);
        intake_application_reset (&self->request);
        free (self->id);
        free (self);
        *self_p = NULL;
    }
}

//  Drops the submissions still waiting, unanswered: the HTTP server answers
//  their requests as it stops.
static void
s_submissions_drop (intake_desk_t *self)
{
    s_submission_t *submission;
    while ((submission = (s_submission_t *) zlistx_detach (self->submissions, NULL)))
        s_submission_destroy (&submission);
}

//  Processes 5-6 once Condition 1 said yes: completeness, the receipt,
//  the operator's signature, the application stored with its message.
static void
s_accept (intake_desk_t *self, s_submission_t *submission, egov_http_reply_t *reply)
{
    const intake_operator_t *operator_ = &submission->operator_;
    intake_application_t *request = &submission->request;
    const egov_catalogue_entry_t *entry = submission->entry;
    const char *id = submission->id;
    Egov__Envelope *envelope = NULL;
    uint8_t *signature = NULL;
    char *text = NULL;
    egov_error_t error = { { 0 } };
    //  Time passed while the registries answered: the database afresh
    if (!intake_desk__db (self, reply))
        return;
    //  Completeness against Standard item 9
    json_t *missing = s_missing (entry, request);
    s_terms_t terms;
    if (json_array_size (missing) > 0) {
        s_refuse_incomplete (self, operator_, request, missing, egov_clock_now_ms (), reply);
        return;
    }
    json_decref (missing);
    if (!s_terms (self, entry, &terms, reply))
        return;
    //  Process 5: the receipt, the form, the operator's signature
    char receipt [48], applicant_name [400], representative_name [400] = "";
    intake_desk__name (submission->check.applicant->person, applicant_name, sizeof (applicant_name));
    if (submission->check.representative)
        intake_desk__name (submission->check.representative->person, representative_name,
                           sizeof (representative_name));
    char prefix [16];
    snprintf (prefix, sizeof (prefix), "%s%s", self->office, *self->office ? "-OF" : "SC");
    if (!s_receipt_number (self, "acceptance_receipt_seq", prefix, terms.submitted, receipt,
                           sizeof (receipt))) {
        intake_desk__unavailable (reply);
        return;
    }
    text = s_signed_document (egov_channel_name (self->channel), id, receipt, request,
                              applicant_name, representative_name,
                              &submission->check, operator_, &terms);
    egov_cms_signer_t *signer = s_signer (self, *self->office ? self->clerk : operator_->login, &error);
    size_t signature_size = 0;
    if (!signer
    ||  egov_cms_sign (signer, text, strlen (text), true, terms.submitted, &signature,
                       &signature_size, &error) != 0) {
        egov_http_reply_error (reply, 500, "SIGNING_FAILED",
                               "the request could not be signed with %s's certificate: %s",
                               operator_->login, error.message);
        goto cleanup;
    }
    envelope = s_application_envelope (self, id, receipt, request, applicant_name, text, signature,
                                       signature_size, operator_, &terms);
    if (!s_store_accepted (self, id, receipt, request, applicant_name, representative_name,
                           operator_, &submission->check, entry, &terms, envelope, submission->key,
                           submission->digest)) {
        //  The same key, sent twice at once: the other made the application
        if (!*submission->key
        ||  !s_submitted_before (self, operator_->login, submission->key, submission->digest, reply))
            intake_desk__unavailable (reply);
        goto cleanup;
    }
    zsys_info ("intake: application %s accepted, receipt %s, %s by %s", id, receipt,
               request->service, operator_->login);
    //  Process 6: through the gateway to the regional gateway, without waiting for it
    shep_participant_flush (self->engine);
    bool failed = false;
    json_t *view = intake_desk__view (self, id, &failed);
    if (!view) {
        intake_desk__unavailable (reply);
        goto cleanup;
    }
    json_object_set_new (view, "acceptance_receipt", json_pack ("{s:s, s:s, s:s, s:o, s:o, s:o, s:s}",
        "number", receipt, "service", request->service, "applicant_iin", request->applicant_iin,
        "issued_at", intake_desk__time (terms.submitted),
        "received_at", intake_desk__time (terms.received),
        "result_due", intake_desk__time (terms.due), "operator", operator_->name));
    egov_http_reply_set (reply, 201, view);
cleanup:
    if (envelope)
        egov__envelope__free_unpacked (envelope, NULL);
    free (signature);
    free (text);
}

//  Condition 1 is answered: accept, or say which registry said no.
//  A refusal after the registries were asked names the correlation id they
//  were asked under, to find those look-ups in the message log.
static void
s_with_correlation (egov_http_reply_t *reply, const char *id)
{
    json_t *error = reply->status >= 400 ? json_object_get (reply->body, "error") : NULL;
    if (json_is_object (error))
        json_object_set_new (error, "correlation_id", json_string (id));
}

static void
s_on_checked (intake_check_t *check, void *argument)
{
    s_submission_t *submission = (s_submission_t *) argument;
    intake_desk_t *self = submission->desk;
    zlistx_detach (self->submissions, submission->handle);
    egov_http_reply_t reply = { 0, NULL, NULL };
    if (check->failure.status) {
        s_with_correlation (&check->failure, submission->id);
        submission->answer (submission->argument, &check->failure);
    }
    else {
        s_accept (self, submission, &reply);
        s_with_correlation (&reply, submission->id);
        submission->answer (submission->argument, &reply);
    }
    egov_http_reply_reset (&reply);
    s_submission_destroy (&submission);
}

bool
intake_desk__key_valid (const char *key)
{
    size_t length = strlen (key);
    if (length == 0 || length > 64)
        return false;
    for (const char *cursor = key; *cursor; cursor++)
        if (!isalnum ((unsigned char) *cursor) && !strchr ("-_.:", *cursor))
            return false;
    return true;
}

void
intake_desk_submit (intake_desk_t *self, const intake_operator_t *operator_, json_t *body,
                    const char *idempotency_key, intake_desk_answer_fn *answer, void *argument)
{
    egov_http_reply_t reply = { 0, NULL, NULL };
    s_submission_t *submission = (s_submission_t *) zmalloc (sizeof (s_submission_t));
    assert (submission);
    intake_application_t *request = &submission->request;
    egov_error_t error = { { 0 } };
    char field [64] = "";
    if (idempotency_key && !intake_desk__key_valid (idempotency_key)) {
        egov_http_reply_error (&reply, 400, "INVALID_IDEMPOTENCY_KEY",
                               "Idempotency-Key is 1-64 letters, digits and -_.:");
        goto refused;
    }
    //  The body's digest, whatever order its members came in
    char *canonical = json_dumps (body, JSON_COMPACT | JSON_SORT_KEYS);
    intake_desk__sha256_hex (canonical ? canonical : "", submission->digest);
    free (canonical);
    snprintf (submission->key, sizeof (submission->key), "%s", idempotency_key ? idempotency_key : "");
    if (!intake_desk__db (self, &reply))
        goto refused;
    //  Sent before under this key: the application it made, nothing asked again
    if (*submission->key
    &&  s_submitted_before (self, operator_->login, submission->key, submission->digest, &reply))
        goto refused;
    if (!intake_application_parse (body, request, &error, field, sizeof (field))) {
        json_t *detail = egov_http_reply_error (&reply, 400, error.code, "%s", error.message);
        if (*field)
            json_object_set_new (detail, "field", json_string (field));
        goto refused;
    }
    const egov_catalogue_entry_t *entry =
        egov_catalogue_find (self->catalogue, request->service, request->region);
    if (!entry) {
        egov_http_reply_error (&reply, 422, "UNKNOWN_SERVICE",
                               "no service '%s' in region %s in the catalogue", request->service,
                               request->region);
        goto refused;
    }
    if (*self->office && !streq (request->region, self->office)) {
        egov_http_reply_error (&reply, 422, "UNKNOWN_SERVICE",
                               "this is the office of the provider of region %s; %s in region %s"
                               " is not served here", self->office, request->service, request->region);
        goto refused;
    }
    if (!entry->channels [self->channel]) {
        egov_http_reply_error (&reply, 422, "CHANNEL_NOT_OFFERED",
                               "%s in region %s is not served through %s", request->service,
                               request->region, *self->office ? "the provider's office"
                                                               : "the State Corporation");
        goto refused;
    }
    //  The desk takes applications in its opening hours on the simulated clock
    if (!s_open_now (self, &reply))
        goto refused;
    //  Each document a type of this service's list (Standard item 9), or the
    //  power of attorney of a representative, which every service asks for
    for (size_t index = 0; index < request->document_count; index++) {
        bool known = request->represented && streq (request->documents [index].type, "power-of-attorney");
        for (size_t item = 0; item < entry->document_count && !known; item++)
            known = streq (entry->documents [item].code, request->documents [index].type);
        if (!known) {
            json_t *detail = egov_http_reply_error (&reply, 422, "UNKNOWN_DOCUMENT_TYPE",
                "documents[%zu].type '%s' is not a document of %s (GET /api/v1/services lists them)",
                index, request->documents [index].type, request->service);
            char where [48];
            snprintf (where, sizeof (where), "documents[%zu].type", index);
            json_object_set_new (detail, "field", json_string (where));
            goto refused;
        }
    }
    //  The service's form, field by field, with the portal's codes (egov_form)
    json_t *errors = json_array ();
    const char *study_form = NULL;
    egov_form_validate (entry->request_form, request->form, errors, &submission->check.child_iin,
                        &study_form);
    if (json_array_size (errors)) {
        json_t *detail = egov_http_reply_error (&reply, 422, "INVALID_FORM",
            "%zu field(s) of the form are wrong", json_array_size (errors));
        json_object_set_new (detail, "fields", errors);
        goto refused;
    }
    json_decref (errors);
    const egov_field_t *child_field = egov_form_child (entry->request_form);
    submission->check.child_key = child_field ? child_field->key : NULL;
    //  The application window on today's date, for the study form the form names
    int year, month, day;
    egov_date_from_days (egov_calendar_local_day (self->calendar, egov_clock_now_ms ()),
                         &year, &month, &day);
    const egov_catalogue_window_t *window = NULL;
    const char *form_name = study_form && egov_catalogue_form_known (entry, study_form) ? study_form : NULL;
    if (!egov_catalogue_window_open (entry, form_name, month, day, &window)) {
        json_t *detail = egov_http_reply_error (&reply, 422, "APPLICATION_WINDOW_CLOSED",
            "applications for %s%s%s are accepted %02d-%02d..%02d-%02d; today is %04d-%02d-%02d",
            request->service, form_name ? " " : "", form_name ? form_name : "",
            window ? window->from_month : 0, window ? window->from_day : 0,
            window ? window->to_month : 0, window ? window->to_day : 0, year, month, day);
        if (form_name) {
            char where [80];
            snprintf (where, sizeof (where), "form.%s", egov_form_study_form (entry->request_form)->key);
            json_object_set_new (detail, "field", json_string (where));
        }
        goto refused;
    }
    //  Consent comes before any look-up: the data are legally protected
    if (!request->consent) {
        egov_http_reply_error (&reply, 422, "CONSENT_REQUIRED",
                               "the applicant's consent to use legally protected data held in "
                               "information systems is required before the registries are asked");
        goto refused;
    }
    if (!egov_iin_valid (request->applicant_iin, &error)
    ||  (request->represented && !egov_iin_valid (request->representative_iin, &error))) {
        egov_http_reply_error (&reply, 422, "INVALID_IIN", "%s", error.message);
        goto refused;
    }
    //  Processes 3-4, Condition 1, under the id the application will have;
    //  the answers come back on the loop, other requests are served meanwhile
    submission->desk = self;
    submission->operator_ = *operator_;
    submission->entry = entry;
    submission->id = egov_uuid_new ();
    submission->answer = answer;
    submission->argument = argument;
    submission->check.request = request;
    submission->check.done = s_on_checked;
    submission->check.argument = submission;
    snprintf (submission->check.correlation, sizeof (submission->check.correlation), "%s",
              submission->id);
    if (intake_desk__check_start (self, &submission->check)) {
        submission->handle = zlistx_add_end (self->submissions, submission);
        return;
    }
    answer (argument, &submission->check.failure);
    s_submission_destroy (&submission);
    return;
refused:
    answer (argument, &reply);
    egov_http_reply_reset (&reply);
    s_submission_destroy (&submission);
}

//  ---------------------------------------------------------------------
//  Health: what the runtime knows, for monitoring and for the terminals

void
intake_desk_health (intake_desk_t *self, egov_http_reply_t *reply)
{
    bool ok = false;
    json_t *health = shep_participant_health (self->engine, &ok);
    json_t *answer = json_pack ("{s:s}", "status", ok ? "ok" : "degraded");
    json_object_update (answer, health);
    json_decref (health);
    egov_http_reply_set (reply, ok ? 200 : 503, answer);
}

//  ---------------------------------------------------------------------
//  Selftest: the parts that need no gateway, against EGOV_TEST_DB

void
intake_desk_test (bool verbose)
{
    printf (" * intake_desk: ");
    if (verbose)
        printf ("\n");
    const char *conninfo = getenv ("EGOV_TEST_DB");
    if (!conninfo) {
        printf ("(database part skipped: EGOV_TEST_DB unset) OK\n");
        return;
    }
    extern const char *intake_schema_sql;
    PGconn *conn = egov_db_connect (conninfo, 5000);
    assert (conn);
    //  Our own schema in the shared test database, dropped at the end
    PGresult *result = PQexec (conn, "DROP SCHEMA IF EXISTS intake_selftest CASCADE;"
                                     " CREATE SCHEMA intake_selftest; SET search_path = intake_selftest");
    assert (PQresultStatus (result) == PGRES_COMMAND_OK);
    PQclear (result);
    //  The engine applies its schema and ours; no gateway listens at its endpoint
    char engine_db [600];
    snprintf (engine_db, sizeof (engine_db), "%s options='-c search_path=intake_selftest'", conninfo);
    shep_participant_config_t engine_config = {
        .gateway = "tcp://127.0.0.1:9", .participant_id = INTAKE_PARTICIPANT,
        .conninfo = engine_db, .schema_sql = intake_schema_sql, .receive_async = true
    };
    egov_error_t error = { { 0 } };
    shep_participant_t *engine = shep_participant_new (&engine_config, NULL, &error);
    assert (engine);
    assert (egov_db_exec_script (conn, intake_schema_sql, "intake schema again"));

    egov_calendar_t *calendar = egov_calendar_new ("regulations/calendar/kz.json", &error);
    egov_catalogue_t *catalogue = egov_catalogue_new ("regulations/catalogue", &error);
    assert (calendar && catalogue);
    char pki_dir [] = "/tmp/intake-selftest-XXXXXX";
    assert (mkdtemp (pki_dir));
    //  Without operators' certificates the desk refuses to start
    assert (intake_desk_new (engine, catalogue, calendar, pki_dir, NULL, &error) == NULL);
    egov_pki_t *pki = egov_pki_new (pki_dir);
    assert (egov_pki_ensure (pki, NULL, &error) == 0);
    egov_pki_destroy (&pki);
    //  An office is named by its region's KATO code, and signs with its clerk's certificate
    assert (intake_desk_new (engine, catalogue, calendar, pki_dir, "23000", &error) == NULL
            && streq (error.code, "INVALID_OFFICE"));
    char participant [32];
    assert (streq (intake_desk_participant (NULL, participant, sizeof (participant)), "intake"));
    assert (streq (intake_desk_participant ("230000000", participant, sizeof (participant)),
                   "office-230000000"));
    intake_desk_t *desk = intake_desk_new (engine, catalogue, calendar, pki_dir, NULL, &error);
    assert (desk);
    shep_participant_set_service (engine, desk);
    intake_desk_set_verbose (desk, verbose);
    assert (intake_desk_seed_operators (desk, &error) == 3);
    assert (intake_desk_seed_operators (desk, &error) == 0);

    //  Process 1: wrong and right passwords, sessions
    egov_http_reply_t reply = { 0, NULL };
    json_t *body = json_pack ("{s:s, s:s}", "login", "operator1", "password", "wrong");
    intake_desk_login (desk, body, egov_http_answer_into, &reply);
    json_decref (body);
    assert (reply.status == 401);
    assert (streq (json_string_value (json_object_get (json_object_get (reply.body, "error"), "code")),
                   "AUTH_FAILED"));
    body = json_pack ("{s:s, s:s}", "login", "nobody", "password", "demo-operator1");
    intake_desk_login (desk, body, egov_http_answer_into, &reply);
    json_decref (body);
    assert (reply.status == 401);
    body = json_pack ("{s:s}", "login", "operator1");
    intake_desk_login (desk, body, egov_http_answer_into, &reply);
    json_decref (body);
    assert (reply.status == 400);
    body = json_pack ("{s:s, s:s}", "login", "operator1", "password", "demo-operator1");
    intake_desk_login (desk, body, egov_http_answer_into, &reply);
    json_decref (body);
    assert (reply.status == 200);
    char token [80];
    snprintf (token, sizeof (token), "%s", json_string_value (json_object_get (reply.body, "token")));
    assert (strlen (token) == 64);
    intake_operator_t operator_;
    assert (intake_desk_authenticate (desk, token, &operator_, &reply));
    assert (streq (operator_.login, "operator1") && strlen (operator_.iin) == 12);
    assert (!intake_desk_authenticate (desk, "bogus", &operator_, &reply));
    assert (reply.status == 401);
    assert (!intake_desk_authenticate (desk, NULL, &operator_, &reply));

    //  The services of this channel: externat in Almaty is there, the
    //  duplicates go on paper, office-only services are not listed
    intake_desk_services (desk, &reply);
    assert (reply.status == 200);
    json_t *services = json_object_get (reply.body, "services");
    bool externat = false, duplicate_paper = false, office_only = false;
    for (size_t index = 0; index < json_array_size (services); index++) {
        json_t *service = json_array_get (services, index);
        const char *code = json_string_value (json_object_get (service, "code"));
        const char *route = json_string_value (json_object_get (service, "route"));
        externat |= streq (code, "externat-permit")
                 && streq (json_string_value (json_object_get (service, "region")), "750000000");
        duplicate_paper |= streq (code, "school-duplicate") && streq (route, "paper");
        office_only |= streq (code, "tvet-admission");
        //  Each with its form, as the portal describes it
        json_t *form = json_object_get (service, "form");
        assert (json_array_size (form) > 0);
        if (streq (code, "externat-permit"))
            assert (streq (json_string_value (json_object_get (json_array_get (form, 0), "key")), "child_iin")
                    && json_is_true (json_object_get (json_array_get (form, 0), "child")));
    }
    assert (externat && duplicate_paper && !office_only);

    //  Submissions that stop before the registries: no gateway needed, the
    //  desk open (a Wednesday morning)
    egov_clock_hold_at ("2026-03-04T10:00");
    const struct {
        const char *body;
        int status;
        const char *code;
    } cases [] = {
        { "{\"service\":\"externat-permit\"}", 400, "INVALID_REQUEST" },
        { "{\"service\":\"no-such\",\"region\":\"750000000\",\"applicant_iin\":\"850314301234\","
          "\"documents\":[],\"consent\":true}", 422, "UNKNOWN_SERVICE" },
        { "{\"service\":\"tvet-admission\",\"region\":\"270000000\",\"applicant_iin\":\"850314301234\","
          "\"documents\":[],\"consent\":true}", 422, "CHANNEL_NOT_OFFERED" },
        { "{\"service\":\"externat-permit\",\"region\":\"750000000\",\"applicant_iin\":\"850314301234\","
          "\"documents\":[],\"consent\":true,\"form\":{\"grade\":14}}", 422, "INVALID_FORM" },
        { "{\"service\":\"school-duplicate\",\"region\":\"750000000\",\"applicant_iin\":\"850314301234\","
          "\"documents\":[],\"consent\":true,\"form\":{\"note\":1}}", 422, "INVALID_FORM" },
        { "{\"service\":\"school-duplicate\",\"region\":\"750000000\",\"applicant_iin\":\"850314301234\","
          "\"documents\":[],\"consent\":true,\"form\":7}", 400, "INVALID_REQUEST" },
        { "{\"service\":\"school-duplicate\",\"region\":\"750000000\",\"applicant_iin\":\"850314301234\","
          "\"documents\":[],\"consent\":false}", 422, "CONSENT_REQUIRED" },
        { "{\"service\":\"school-duplicate\",\"region\":\"750000000\",\"applicant_iin\":\"850314301235\","
          "\"documents\":[],\"consent\":true}", 422, "INVALID_IIN" },
        { "{\"service\":\"school-duplicate\",\"region\":\"750000000\",\"applicant_iin\":\"850314301234\","
          "\"documents\":[],\"consent\":true}", 503, "REGISTRY_UNAVAILABLE" },
    };
    for (size_t index = 0; index < sizeof (cases) / sizeof (cases [0]); index++) {
        body = json_loads (cases [index].body, 0, NULL);
        assert (body);
        intake_desk_submit (desk, &operator_, body, NULL, egov_http_answer_into, &reply);
        json_decref (body);
        const char *code = json_string_value (json_object_get (json_object_get (reply.body, "error"), "code"));
        if (verbose)
            printf ("   %s -> %d %s\n", cases [index].body, reply.status, code);
        assert (reply.status == cases [index].status);
        assert (streq (code, cases [index].code));
    }
    //  A wrong form names every wrong field with the portal's codes
    body = json_loads ("{\"service\":\"externat-permit\",\"region\":\"750000000\",\"applicant_iin\":"
                       "\"850314301234\",\"documents\":[],\"consent\":true,\"form\":{\"child_iin\":"
                       "\"150913500422\",\"grade\":14,\"school\":\"No 12\",\"reason\":\"boredom\"}}", 0, NULL);
    intake_desk_submit (desk, &operator_, body, NULL, egov_http_answer_into, &reply);
    json_decref (body);
    json_t *fields = json_object_get (json_object_get (reply.body, "error"), "fields");
    assert (json_array_size (fields) == 2);
    assert (streq (json_string_value (json_object_get (json_array_get (fields, 0), "field")), "form.grade"));
    assert (streq (json_string_value (json_object_get (json_array_get (fields, 0), "code")), "OUT_OF_RANGE"));
    assert (streq (json_string_value (json_object_get (json_array_get (fields, 1), "code")), "NOT_A_CHOICE"));
    //  On a Sunday the State Corporation is closed: nothing is taken, and the
    //  answer says when it opens (Monday, 09:00)
    egov_clock_hold_at ("2026-03-01T11:00");
    body = json_loads ("{\"service\":\"school-duplicate\",\"region\":\"750000000\",\"applicant_iin\":"
                       "\"850314301234\",\"documents\":[],\"consent\":true}", 0, NULL);
    intake_desk_submit (desk, &operator_, body, NULL, egov_http_answer_into, &reply);
    json_decref (body);
    assert (reply.status == 422 && streq (egov_http_reply_code (&reply), "DESK_CLOSED"));
    assert (streq (json_string_value (json_object_get (json_object_get (reply.body, "error"), "opens_at")),
                   "2026-03-02T09:00:00.000+05:00"));
    egov_clock_reset ();

    //  Unknown applications
    intake_desk_show (desk, "not-a-uuid", &reply);
    assert (reply.status == 404);
    intake_desk_show (desk, "00000000-0000-4000-8000-000000000000", &reply);
    assert (reply.status == 404);
    body = json_pack ("{s:s, s:s}", "receipt_number", "SC-2026-000001", "identity_document", "1");
    intake_desk_handover (desk, &operator_, "00000000-0000-4000-8000-000000000000", body, NULL,
                          egov_http_answer_into, &reply);
    assert (reply.status == 404);
    json_decref (body);
    body = json_pack ("{s:s}", "receipt_number", "SC-2026-000001");
    intake_desk_handover (desk, &operator_, "00000000-0000-4000-8000-000000000000", body, NULL,
                          egov_http_answer_into, &reply);
    assert (reply.status == 400);
    json_decref (body);

    //  Health: the database answers, the gateway is away here
    intake_desk_health (desk, &reply);
    assert (reply.status == 503);
    assert (streq (json_string_value (json_object_get (reply.body, "status")), "degraded"));
    assert (streq (json_string_value (json_object_get (reply.body, "database")), "ok"));
    assert (streq (json_string_value (json_object_get (reply.body, "gateway")), "away"));
    assert (json_object_get (reply.body, "outbox") && json_object_get (reply.body, "inbox"));

    //  The database connection breaks: the request that finds it broken is
    //  503, the next one gets a new connection, without a new desk
    shep_participant_db_cut (engine);
    assert (!intake_desk_authenticate (desk, token, &operator_, &reply));
    assert (reply.status == 503 && streq (egov_http_reply_code (&reply), "DATABASE_UNAVAILABLE"));
    assert (intake_desk_authenticate (desk, token, &operator_, &reply));
    intake_desk_show (desk, "00000000-0000-4000-8000-000000000000", &reply);
    assert (reply.status == 404);
    egov_http_reply_reset (&reply);

    intake_desk__flow_test (desk, conn, verbose);

    intake_desk_destroy (&desk);
    intake_desk_destroy (&desk);
    shep_participant_destroy (&engine);
    egov_catalogue_destroy (&catalogue);
    egov_calendar_destroy (&calendar);
    assert (egov_pki_remove (pki_dir) == 0);
    result = PQexec (conn, "DROP SCHEMA intake_selftest CASCADE");
    PQclear (result);
    PQfinish (conn);
    printf ("OK\n");
}
