/*  queue_direct — seed 004's direct routes: an application for the
    kindergarten queue that the catalogue routes past the provider's staff
    (a channel's "register": "queue") comes from the region's regional
    gateway as application.registered, and the register answers it itself:
    it asks the registry of individuals for the child, puts the child in the
    queue, and sends back the provider's result document — the notice with
    the queue number and position, the referral, or the motivated refusal —
    signed with the provider's key it holds (queue-<KATO>), as
    application.result through the same regional gateway.

    Each application is a row of direct_application, stored in the
    delivery's transaction; the answer (the entry, the outgoing number, the
    row ANSWERED and the result in the outbox) is its own transaction, and
    the enqueue is idempotent per application, so a crash at any point
    leaves a WAITING row that the pump answers again, once. The pump runs
    on the loop's timer: soon after a delivery stored a row, and every
    second for the rows left WAITING.                                     */
#include "queue_server_private.h"
#include "queue_rules.h"
#include "egov_queue.h"
#include "egov_application.h"
#include "egov_clock.h"
#include "egov_db.h"
#include "egov_pki.h"

#define s_SERVICE_REGISTERED    "application.registered"
#define s_SERVICE_RETURN        "application.return"
#define s_SERVICE_RECALL        "application.recall"
#define s_SERVICE_RESULT        "application.result"
//  WAITING applications one pump takes in hand
#define s_PUMP_BATCH            32

//  A signer of one region: the provider's key and how it names itself.
typedef struct {
    egov_cms_signer_t *signer;
    char name [2 * EGOV_PKI_TEXT_MAX + 8];      //  "Name (Organisation)"
} s_signer_t;

//  A direct application in hand, while the registry of individuals is asked.
typedef struct {
    char correlation_id [QUEUE_APPLICATION_MAX + 1];
    char requester [72];                        //  regional-<KATO>
    char region [10];
    Egov__Applications__RegisteredApplication *registered;
} s_direct_t;

static void
s_signer_free (void **item)
{
    s_signer_t *signer = (s_signer_t *) *item;
    if (signer) {
        egov_cms_signer_destroy (&signer->signer);
        free (signer);
        *item = NULL;
    }
}

//  The provider's signer of region, made when first needed; NULL with error.
static s_signer_t *
s_signer (queue_server_t *self, const char *region, egov_error_t *error)
{
    s_signer_t *signer = (s_signer_t *) zhashx_lookup (self->signers, region);
    if (signer)
        return signer;
    char label [EGOV_PKI_LABEL_MAX];
    snprintf (label, sizeof (label), "queue-%s", region);
    egov_cms_signer_t *key = egov_cms_signer_for (self->pki_dir, label, error);
    if (!key)
        return NULL;
    signer = calloc (1, sizeof (s_signer_t));
    assert (signer);
    signer->signer = key;
    egov_pki_t *pki = egov_pki_new (self->pki_dir);
    const egov_pki_entry_t *entry = egov_pki_load (pki, error) == 0 ? egov_pki_find (pki, label) : NULL;
    if (entry && *entry->organisation)
        snprintf (signer->name, sizeof (signer->name), "%s (%s)", entry->name, entry->organisation);
    else
        snprintf (signer->name, sizeof (signer->name), "%s", entry ? entry->name : label);
    egov_pki_destroy (&pki);
    zhashx_insert (self->signers, region, signer);
    return signer;
}

static void
s_direct_free (s_direct_t **self_p)
{
    s_direct_t *self = *self_p;
    if (self) {
        if (self->registered)
            egov__applications__registered_application__free_unpacked (self->registered, NULL);
        free (self);
        *self_p = NULL;
    }
}

//  True when the catalogue sends application's channel to this register.
static bool
s_routed_here (queue_server_t *self, const Egov__Applications__Application *application)
{
    const char *target = egov_application_register (self->catalogue, application->region, application);
    return target && streq (target, EGOV_CATALOGUE_QUEUE_REGISTER);
}

//  Runs a statement; false (logged) on failure.
static bool
s_exec (PGconn *conn, const char *sql, int count, const char *const *values, const char *what)
{
    PGresult *result = egov_db_params (conn, sql, count, NULL, values, NULL, NULL, 0);
    bool ok = egov_db_check (result, PGRES_COMMAND_OK, what);
    PQclear (result);
    return ok;
}

//  Signs and sends the answer of a direct application in one transaction:
//  the outgoing number, the result document, the row ANSWERED, the result
//  in the outbox. Nothing when the row is answered already; false when the
//  database or the key failed (the row stays WAITING for the pump).
static bool
s_answer (queue_server_t *self, s_direct_t *direct, bool approved, json_t *grounds,
          const Egov__Queue__EnqueueResponse *answer)
{
    const Egov__Applications__Application *application = direct->registered->application;
    const egov_catalogue_entry_t *entry = egov_catalogue_find (self->catalogue, application->service,
                                                               direct->region);
    egov_error_t error = { { 0 } };
    s_signer_t *signer = s_signer (self, direct->region, &error);
    PGconn *conn = shep_participant_db (self->engine);
    if (!entry || !signer || !conn) {
        zsys_error ("queue: %s cannot be answered: %s %s", direct->correlation_id,
                    !entry ? "NO_SERVICE" : !signer ? error.code : "REGISTER_UNAVAILABLE",
                    !signer ? error.message : "");
        return false;
    }
    if (!s_exec (conn, "BEGIN", 0, NULL, "beginning an answer"))
        return false;
    PGresult *result = egov_db_params (conn,
        "SELECT state, nextval ('outgoing_number_seq') FROM direct_application"
        " WHERE correlation_id = $1 FOR UPDATE", 1, NULL,
        (const char *[]) { direct->correlation_id }, NULL, NULL, 0);
    if (!egov_db_check (result, PGRES_TUPLES_OK, "locking the application") || PQntuples (result) != 1
    ||  !streq (PQgetvalue (result, 0, 0), "WAITING")) {
        bool done = result && PQresultStatus (result) == PGRES_TUPLES_OK;
        PQclear (result);
        s_exec (conn, "ROLLBACK", 0, NULL, "ending an answer");
        return done;                //  answered already, or never stored
    }
    int64_t now = egov_clock_now_ms ();
    char number [64], moment [40];
    egov_clock_format (now, moment, sizeof (moment));
    snprintf (number, sizeof (number), "%s-EQ-%.4s-%06lld", direct->region, moment,
              strtoll (PQgetvalue (result, 0, 1), NULL, 10));
    PQclear (result);
    char *document = egov_application_result_document (entry, direct->registered, approved, grounds,
                                                       number, now, signer->name);
    if (approved) {
        char *with_queue = egov_queue_document (document, answer, entry);
        free (document);
        document = with_queue;
    }
    Egov__Applications__Result message;
    bool ok = egov_application_result_make (&message, application->application_id, approved, grounds,
                                            document, signer->signer, signer->name, now, number,
                                            &error) == 0;
    size_t size = protobuf_c_message_get_packed_size (&message.base);
    uint8_t *packed = malloc (size);
    assert (packed);
    protobuf_c_message_pack (&message.base, packed);
    char at [24];
    snprintf (at, sizeof (at), "%" PRId64, now);
    if (ok) {
        result = egov_db_params (conn,
            "UPDATE direct_application SET state = 'ANSWERED', outgoing_number = $2, result = $3,"
            " answered_ms = $4::bigint WHERE correlation_id = $1", 4, NULL,
            (const char *[]) { direct->correlation_id, number, (const char *) packed, at },
            (const int []) { 0, 0, (int) size, 0 }, (const int []) { 0, 0, 1, 0 }, 0);
        ok = egov_db_check (result, PGRES_COMMAND_OK, "storing the answer");
        PQclear (result);
    }
    ok = ok && shep_participant_put_message (self->engine, conn, s_SERVICE_RESULT,
                                             EGOV__MESSAGE_TYPE__RESPONSE, direct->correlation_id,
                                             direct->requester, NULL, &message.base, NULL, &error) == 0
            && s_exec (conn, "COMMIT", 0, NULL, "committing the answer");
    if (!ok)
        s_exec (conn, "ROLLBACK", 0, NULL, "ending an answer");
    else {
        shep_participant_flush (self->engine);
        zsys_info ("queue: %s answered for %s: %s, %s signed by %s", direct->correlation_id,
                   direct->requester, approved ? "approved" : "refused", number, signer->name);
    }
    egov_application_result_clear (&message);
    free (packed);
    free (document);
    return ok;
}

//  The look-up of a direct application ended (a queue_lookup_fn).
static void
s_looked_up (queue_server_t *self, void *argument, const queue_outcome_t *outcome)
{
    s_direct_t *direct = (s_direct_t *) argument;
    bool answerable = !*outcome->error.code || streq (outcome->error.code, "INVALID_IIN");
    if (answerable) {
        Egov__Queue__EnqueueResponse answer = EGOV__QUEUE__ENQUEUE_RESPONSE__INIT;
        answer.entry = outcome->entry;
        answer.status = !outcome->entry ? EGOV__QUEUE__ENQUEUE_RESPONSE__STATUS__REFUSED
                      : outcome->entry->state == EGOV__QUEUE__ENTRY__STATE__REFERRED
                                      ? EGOV__QUEUE__ENQUEUE_RESPONSE__STATUS__REFERRED
                                      : EGOV__QUEUE__ENQUEUE_RESPONSE__STATUS__QUEUED;
        const egov_error_t *why = *outcome->error.code ? &outcome->error : &outcome->refusal;
        answer.refusal_code = (char *) why->code;
        answer.refusal_reason = (char *) why->message;
        json_t *grounds = json_array ();
        bool approved = egov_queue_decide (&answer, grounds);
        s_answer (self, direct, approved, grounds, &answer);
        json_decref (grounds);
    }
    else
        //  The registry or our database did not answer: the pump tries again
        zsys_warning ("queue: %s waits: %s %s", direct->correlation_id, outcome->error.code,
                      outcome->error.message);
    zhashx_delete (self->answering, direct->correlation_id);
    s_direct_free (&direct);
}

//  Takes a stored direct application in hand: asks for the child, or
//  refuses at once when the form names none.
static void
s_start (queue_server_t *self, const char *correlation_id, const char *requester, const char *region,
         const uint8_t *registered, size_t size)
{
    if (zhashx_lookup (self->answering, correlation_id))
        return;
    s_direct_t *direct = calloc (1, sizeof (s_direct_t));
    assert (direct);
    snprintf (direct->correlation_id, sizeof (direct->correlation_id), "%s", correlation_id);
    snprintf (direct->requester, sizeof (direct->requester), "%s", requester);
    snprintf (direct->region, sizeof (direct->region), "%s", region);
    direct->registered = egov__applications__registered_application__unpack (NULL, size, registered);
    if (!direct->registered || !direct->registered->application || !direct->registered->registration) {
        zsys_error ("queue: %s is stored but does not decode", correlation_id);
        s_direct_free (&direct);
        return;
    }
    char today [11], ground [300];
    queue_rules_today (today);
    Egov__Queue__EnqueueRequest *request = egov_queue_request (direct->registered->application,
                                                               correlation_id, today, ground,
                                                               sizeof (ground));
    if (!request) {
        json_t *grounds = json_pack ("[s]", ground);
        s_answer (self, direct, false, grounds, NULL);
        json_decref (grounds);
        s_direct_free (&direct);
        return;
    }
    zhashx_insert (self->answering, correlation_id, direct);
    egov_error_t error;
    if (!queue_server__lookup (self, request, requester, correlation_id, s_looked_up, direct, &error)) {
        zsys_warning ("queue: %s waits: %s %s", correlation_id, error.code, error.message);
        zhashx_delete (self->answering, correlation_id);
        s_direct_free (&direct);
    }
    egov__queue__enqueue_request__free_unpacked (request, NULL);
}

void
queue_server_pump (queue_server_t *self)
{
    assert (self);
    if (!self->catalogue)
        return;
    self->pump_wanted = false;
    PGconn *conn = shep_participant_db (self->engine);
    if (!conn)
        return;
    char limit [16];
    snprintf (limit, sizeof (limit), "%d", s_PUMP_BATCH);
    PGresult *result = egov_db_params (conn,
        "SELECT correlation_id, requester, region, registered FROM direct_application"
        " WHERE state = 'WAITING' ORDER BY received_ms LIMIT $1::int", 1, NULL,
        (const char *[]) { limit }, NULL, NULL, 1);
    if (egov_db_check (result, PGRES_TUPLES_OK, "finding waiting applications"))
        for (int row = 0; row < PQntuples (result); row++)
            s_start (self, PQgetvalue (result, row, 0), PQgetvalue (result, row, 1),
                     PQgetvalue (result, row, 2), (const uint8_t *) PQgetvalue (result, row, 3),
                     (size_t) PQgetlength (result, row, 3));
    PQclear (result);
}

bool
queue_server_pump_wanted (queue_server_t *self)
{
    assert (self);
    return self->pump_wanted;
}

shep_outcome_t
queue_direct_deliver (void *service, PGconn *conn, const shep_delivery_t *delivery, egov_error_t *reject)
{
    queue_server_t *self = (queue_server_t *) service;
    assert (self && conn && delivery && reject);
    const Egov__Envelope *envelope = delivery->envelope;
    const char *sender = envelope->sender_id;
    const char *region = strncmp (sender, "regional-", 9) == 0 ? sender + 9 : "";
    const char *correlation_id = envelope->correlation_id ? envelope->correlation_id : "";
    size_t length = strlen (correlation_id);
    if (!egov_kato_valid (region)) {
        egov_error_set (reject, "UNEXPECTED_SENDER", "applications come from a regional gateway");
        return SHEP_REJECT;
    }
    if (length == 0 || length > QUEUE_APPLICATION_MAX) {
        egov_error_set (reject, "MALFORMED_ENVELOPE", "a correlation id of 1-%d bytes is required",
                        QUEUE_APPLICATION_MAX);
        return SHEP_REJECT;
    }
    char now [24];
    snprintf (now, sizeof (now), "%" PRId64, egov_clock_now_ms ());
    if (streq (envelope->service_id, s_SERVICE_REGISTERED)) {
        const Egov__Applications__RegisteredApplication *handed =
            (const Egov__Applications__RegisteredApplication *) delivery->payload;
        const Egov__Applications__Application *application = handed->application;
        if (!application || !handed->registration || !streq (application->application_id, correlation_id)) {
            egov_error_set (reject, "MALFORMED_PAYLOAD", "a registered application with its registration,"
                            " under its application id as correlation id");
            return SHEP_REJECT;
        }
        if (!streq (application->region, region)) {
            egov_error_set (reject, "WRONG_REGION", "the regional gateway of %s brought an application"
                            " of region %.16s", region, application->region);
            return SHEP_REJECT;
        }
        if (!s_routed_here (self, application)) {
            egov_error_set (reject, "NOT_ROUTED_HERE", "the register answers only the applications"
                            " the catalogue sends it (kindergarten-queue of seed 004)");
            return SHEP_REJECT;
        }
        size_t size = protobuf_c_message_get_packed_size (&handed->base);
        uint8_t *packed = malloc (size);
        assert (packed);
        protobuf_c_message_pack (&handed->base, packed);
        PGresult *result = egov_db_params (conn,
            "INSERT INTO direct_application (correlation_id, region, requester, registered, received_ms)"
            " VALUES ($1, $2, $3, $4, $5::bigint) ON CONFLICT (correlation_id) DO NOTHING", 5, NULL,
            (const char *[]) { correlation_id, region, sender, (const char *) packed, now },
            (const int []) { 0, 0, 0, (int) size, 0 }, (const int []) { 0, 0, 0, 1, 0 }, 0);
        bool stored = egov_db_check (result, PGRES_COMMAND_OK, "storing a direct application");
        PQclear (result);
        if (stored && self->verbose)
            zsys_info ("queue: %s registered %s for the register (%s)", sender,
                       correlation_id, handed->registration->registration_number);
        //  Answered by the pump once this transaction committed: the answer
        //  is a transaction of its own
        self->pump_wanted = stored;
        free (packed);
        return stored ? SHEP_APPLIED : SHEP_RETRY;
    }
    //  The channel returned the result unclaimed, or asks it back
    bool recall = streq (envelope->service_id, s_SERVICE_RECALL);
    PGresult *result = egov_db_params (conn,
        recall ? "UPDATE direct_application SET returned_ms = NULL"
                 " WHERE correlation_id = $1 AND requester = $2 AND state = 'ANSWERED' RETURNING result"
               : "UPDATE direct_application SET returned_ms = $3::bigint"
                 " WHERE correlation_id = $1 AND requester = $2 AND state = 'ANSWERED' RETURNING result",
        recall ? 2 : 3, NULL, (const char *[]) { correlation_id, sender, now }, NULL, NULL, 1);
    if (!egov_db_check (result, PGRES_TUPLES_OK, "moving a result")) {
        PQclear (result);
        return SHEP_RETRY;
    }
    if (PQntuples (result) != 1) {
        PQclear (result);
        egov_error_set (reject, "UNKNOWN_APPLICATION", "no answered application %.128s of this"
                        " regional gateway", correlation_id);
        return SHEP_REJECT;
    }
    shep_outcome_t outcome = SHEP_APPLIED;
    if (recall) {
        Egov__Applications__Result *stored = egov__applications__result__unpack (
            NULL, (size_t) PQgetlength (result, 0, 0), (const uint8_t *) PQgetvalue (result, 0, 0));
        egov_error_t error;
        if (!stored || shep_participant_put_message (self->engine, conn, s_SERVICE_RESULT,
                                                     EGOV__MESSAGE_TYPE__RESPONSE, correlation_id,
                                                     sender, NULL, &stored->base, NULL, &error))
            outcome = SHEP_RETRY;
        if (stored)
            egov__applications__result__free_unpacked (stored, NULL);
    }
    PQclear (result);
    return outcome;
}

void
queue_server_set_direct (queue_server_t *self, egov_catalogue_t *catalogue, const char *pki_dir)
{
    assert (self && catalogue && pki_dir);
    self->catalogue = catalogue;
    free (self->pki_dir);
    self->pki_dir = strdup (pki_dir);
    assert (self->pki_dir);
    self->signers = zhashx_new ();
    assert (self->signers);
    zhashx_set_destructor (self->signers, s_signer_free);
    self->answering = zhashx_new ();
    assert (self->answering);
    shep_participant_on (self->engine, s_SERVICE_REGISTERED,
                         &egov__applications__registered_application__descriptor, queue_direct_deliver);
    shep_participant_on (self->engine, s_SERVICE_RETURN,
                         &egov__applications__result_movement__descriptor, queue_direct_deliver);
    shep_participant_on (self->engine, s_SERVICE_RECALL,
                         &egov__applications__result_movement__descriptor, queue_direct_deliver);
    shep_participant_accept (self->engine, s_SERVICE_REGISTERED, "regional-*");
    shep_participant_accept (self->engine, s_SERVICE_RETURN, "regional-*");
    shep_participant_accept (self->engine, s_SERVICE_RECALL, "regional-*");
}

void
queue_direct_destroy (queue_server_t *self)
{
    //  The look-ups still out were finished (and their directs freed) by
    //  queue_server_destroy; the rows stay WAITING for the next start
    zhashx_destroy (&self->answering);
    zhashx_destroy (&self->signers);
    free (self->pki_dir);
    self->pki_dir = NULL;
}
