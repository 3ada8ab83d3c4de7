/*  queue_server — the kindergarten queue register answering through the gateway.  */
#include "queue_server_private.h"
#include "queue_rules.h"
#include "queue_store.h"
#include "egov_clock.h"
#include "egov_db.h"
#include "egov_iin.h"
#include "egov_catalogue.h"
#include "registries.pb-c.h"
#include "applications.pb-c.h"

extern const char *queue_schema_sql;


//  An enqueue waiting for the registry of individuals' answer: a caller's
//  queue.enqueue, or an application the register answers itself.
struct _queue_lookup_t {
    queue_server_t *server;         //  back to the server
    void *handle;                   //  our place in server->pending
    queue_lookup_fn *finish;        //  told the outcome, then the lookup is freed
    void *argument;                 //  the finish's, owned by it
    char sender [72];               //  who asks, as the gateway stamped it
    char child_iin [13];
    char queue [QUEUE_CODE_MAX + 1];
    char desired_date [11];
    char application [QUEUE_APPLICATION_MAX + 1];
};

//  ---------------------------------------------------------------------
//  Requests

//  The reply envelope every answer starts from.
static Egov__Envelope *
s_reply_new (const Egov__Envelope *request)
{
    Egov__Envelope *reply = egov_envelope_new (request->service_id, EGOV__MESSAGE_TYPE__RESPONSE);
    egov_string_set (&reply->correlation_id, request->correlation_id);
    egov_string_set (&reply->recipient_id, request->sender_id);
    egov_string_set (&reply->route_id, request->route_id);
    egov_string_set (&reply->session_id, request->session_id);
    return reply;
}

//  True when sender may use service: deny by default, whatever the
//  gateway's rights would let through. Local executive bodies put children
//  in their region's queues and read them; the administrator's tool does
//  everything, and alone releases places.
static bool
s_sender_allowed (const char *service, const char *sender)
{
    bool leb = strncmp (sender, "leb-", 4) == 0 && egov_kato_valid (sender + 4);
    bool admin = streq (sender, "egovctl");
    if (streq (service, QUEUE_SERVICE_RELEASE))
        return admin;
    return admin || leb;
}

//  The enqueue answer: entry stored, or the refusal.
static void
s_set_enqueue_answer (Egov__Envelope *reply, Egov__Queue__Entry *entry, const egov_error_t *refusal)
{
    Egov__Queue__EnqueueResponse response = EGOV__QUEUE__ENQUEUE_RESPONSE__INIT;
    if (entry) {
        response.status = entry->state == EGOV__QUEUE__ENTRY__STATE__REFERRED
                        ? EGOV__QUEUE__ENQUEUE_RESPONSE__STATUS__REFERRED
                        : EGOV__QUEUE__ENQUEUE_RESPONSE__STATUS__QUEUED;
        response.entry = entry;
    }
    else {
        response.status = EGOV__QUEUE__ENQUEUE_RESPONSE__STATUS__REFUSED;
        response.refusal_code = (char *) refusal->code;
        response.refusal_reason = (char *) refusal->message;
    }
    egov_envelope_set_payload (reply, &response.base);
}

//  Judges and stores an enqueue once the registry answered.
static void
s_enqueue_judged (queue_lookup_t *lookup, const char *birth_date, bool has_certificate,
                  queue_outcome_t *outcome)
{
    queue_server_t *self = lookup->server;
    char today [11], reason [256];
    queue_rules_today (today);
    const char *code = queue_rules_judge (birth_date, has_certificate, lookup->desired_date, today,
                                          reason, sizeof (reason));
    queue_store_outcome_t stored = QUEUE_STORE_REFUSED;
    if (code)
        egov_error_set (&outcome->refusal, code, "%s", reason);
    else {
        QUEUE_WITH_DATABASE (self, conn, stored,
            queue_store_enqueue (conn, lookup->sender, lookup->child_iin, birth_date, lookup->queue,
                                 lookup->desired_date, lookup->application, &outcome->entry,
                                 &outcome->refusal));
    }
    if (stored == QUEUE_STORE_FAILED)
        egov_error_set (&outcome->error, "REGISTER_UNAVAILABLE", "the queue register cannot use its database");
    if (self->verbose)
        zsys_info ("queue: enqueue %s in %s from %s: %s %s", lookup->child_iin, lookup->queue,
                   lookup->sender, *outcome->error.code ? outcome->error.code
                   : outcome->entry ? (*outcome->entry->referral ? outcome->entry->referral : "queued")
                                    : outcome->refusal.code,
                   outcome->entry ? "" : outcome->refusal.message);
}

//  The registry of individuals answered (a shep_participant_reply_fn):
//  judge, store, tell the finish, forget the lookup.
static void
s_on_person (void *argument, const Egov__Envelope *reply, const egov_error_t *error)
{
    queue_lookup_t *lookup = (queue_lookup_t *) argument;
    queue_server_t *self = lookup->server;
    queue_outcome_t outcome;
    memset (&outcome, 0, sizeof (outcome));
    Egov__Registries__PersonResponse *response = NULL;
    if (!reply)
        egov_error_set (&outcome.error, "REGISTRY_UNAVAILABLE",
                        "the registry of individuals did not answer: %s %.200s", error->code, error->message);
    else
    if (reply->error)
        egov_error_set (&outcome.error, streq (reply->error->code, "INVALID_IIN") ? "INVALID_IIN"
                                                                                 : "REGISTRY_UNAVAILABLE",
                        "%.200s", reply->error->message);
    else
    if (!(response = (Egov__Registries__PersonResponse *)
              egov_envelope_payload (reply, &egov__registries__person_response__descriptor)))
        egov_error_set (&outcome.error, "REGISTRY_UNAVAILABLE",
                        "the registry of individuals answered something else");
    else
    if (response->status != EGOV__REGISTRIES__PERSON_RESPONSE__STATUS__FOUND || !response->person)
        egov_error_set (&outcome.refusal, "CHILD_NOT_FOUND",
                        "the registry of individuals has nobody with IIN %s", lookup->child_iin);
    else {
        const Egov__Registries__Person *person = response->person;
        bool certified = person->birth_certificate
                      && streq (person->birth_certificate->child_iin, lookup->child_iin);
        s_enqueue_judged (lookup, person->birth_date, certified, &outcome);
    }
    if (response)
        egov__registries__person_response__free_unpacked (response, NULL);
    zlistx_delete (self->pending, lookup->handle);
    lookup->finish (self, lookup->argument, &outcome);
    if (outcome.entry)
        egov__queue__entry__free_unpacked (outcome.entry, NULL);
    free (lookup);
}

bool
queue_server__lookup (queue_server_t *self, const Egov__Queue__EnqueueRequest *request,
                      const char *sender, const char *correlation_id, queue_lookup_fn *finish,
                      void *argument, egov_error_t *error)
{
    if (zlistx_size (self->pending) >= QUEUE_PENDING_MAX) {
        egov_error_set (error, "BUSY", "too many enqueues wait for the registry of individuals");
        return false;
    }
    queue_lookup_t *lookup = calloc (1, sizeof (queue_lookup_t));
    assert (lookup);
    lookup->server = self;
    lookup->finish = finish;
    lookup->argument = argument;
    snprintf (lookup->sender, sizeof (lookup->sender), "%s", sender);
    snprintf (lookup->child_iin, sizeof (lookup->child_iin), "%s", request->child_iin);
    snprintf (lookup->queue, sizeof (lookup->queue), "%s", request->queue);
    snprintf (lookup->desired_date, sizeof (lookup->desired_date), "%s", request->desired_date);
    snprintf (lookup->application, sizeof (lookup->application), "%s", request->application);
    Egov__Registries__PersonRequest person = EGOV__REGISTRIES__PERSON_REQUEST__INIT;
    person.iin = request->child_iin;
    Egov__Envelope *envelope = egov_envelope_new ("gbdfl.person", EGOV__MESSAGE_TYPE__REQUEST);
    egov_string_set (&envelope->correlation_id, correlation_id);
    egov_envelope_set_payload (envelope, &person.base);
    lookup->handle = zlistx_add_end (self->pending, lookup);
    uint64_t tag = shep_participant_call (self->engine, envelope, QUEUE_LOOKUP_TIMEOUT_MS,
                                          s_on_person, lookup, error);
    egov__envelope__free_unpacked (envelope, NULL);
    if (tag)
        return true;
    zlistx_delete (self->pending, lookup->handle);
    free (lookup);
    if (!streq (error->code, "BUSY"))
        egov_error_set (error, "REGISTRY_UNAVAILABLE", "%.200s", error->message);
    return false;
}

//  A caller's enqueue waiting for the registry.
typedef struct {
    Egov__Envelope *reply;          //  the reply, addressed already
    char message_id [64];           //  the request's, to answer
} s_caller_t;

//  Answers the caller of a queue.enqueue (a queue_lookup_fn).
static void
s_caller_finish (queue_server_t *self, void *argument, const queue_outcome_t *outcome)
{
    s_caller_t *caller = (s_caller_t *) argument;
    if (*outcome->error.code)
        egov_envelope_set_error (caller->reply, outcome->error.code, outcome->error.message);
    else
        s_set_enqueue_answer (caller->reply, outcome->entry, &outcome->refusal);
    shep_participant_reply (self->engine, caller->message_id, caller->reply);
    egov__envelope__free_unpacked (caller->reply, NULL);
    free (caller);
}

//  queue.enqueue: checks the request, then asks the registry for the child
//  and answers later (deferred), or answers at once when it cannot ask.
static Egov__Envelope *
s_enqueue (queue_server_t *self, const Egov__Envelope *request, Egov__Envelope *reply,
           egov_error_t *refusal)
{
    Egov__Queue__EnqueueRequest *query = (Egov__Queue__EnqueueRequest *)
        egov_envelope_payload (request, &egov__queue__enqueue_request__descriptor);
    if (!query) {
        egov_error_set (refusal, "MALFORMED_PAYLOAD", "%s takes a decodable %s", QUEUE_SERVICE_ENQUEUE,
                        egov__queue__enqueue_request__descriptor.name);
        egov__envelope__free_unpacked (reply, NULL);
        return NULL;
    }
    egov_error_t error = { { 0 } };
    int year, month, day;
    if (!egov_iin_valid (query->child_iin, &error))
        egov_envelope_set_error (reply, "INVALID_IIN", error.message);
    else
    if (!queue_rules_code_valid (query->queue))
        egov_envelope_set_error (reply, "INVALID_REQUEST",
                                 "queue must be a queue code such as 430000000-D01");
    else
    if (strlen (query->desired_date) != 10
    ||  !egov_date_parse (query->desired_date, &year, &month, &day))
        egov_envelope_set_error (reply, "INVALID_REQUEST", "desired_date must be a date as YYYY-MM-DD");
    else
    if (strnlen (query->application, QUEUE_APPLICATION_MAX + 1) > QUEUE_APPLICATION_MAX)
        egov_envelope_set_error (reply, "INVALID_REQUEST", "application is longer than 128 bytes");
    else {
        s_caller_t *caller = calloc (1, sizeof (s_caller_t));
        assert (caller);
        caller->reply = reply;
        snprintf (caller->message_id, sizeof (caller->message_id), "%s", request->message_id);
        bool asked = queue_server__lookup (self, query, request->sender_id, request->correlation_id,
                                           s_caller_finish, caller, &error);
        egov__queue__enqueue_request__free_unpacked (query, NULL);
        if (asked) {
            memset (refusal, 0, sizeof (*refusal));
            return NULL;        //  answered when the registry answers
        }
        free (caller);
        egov_envelope_set_error (reply, error.code, error.message);
        return reply;
    }
    egov__queue__enqueue_request__free_unpacked (query, NULL);
    return reply;
}

//  queue.entry: the child's entries with their positions.
static Egov__Envelope *
s_entry (queue_server_t *self, const Egov__Envelope *request, Egov__Envelope *reply,
         egov_error_t *refusal)
{
    Egov__Queue__EntryRequest *query = (Egov__Queue__EntryRequest *)
        egov_envelope_payload (request, &egov__queue__entry_request__descriptor);
    if (!query) {
        egov_error_set (refusal, "MALFORMED_PAYLOAD", "%s takes a decodable %s", QUEUE_SERVICE_ENTRY,
                        egov__queue__entry_request__descriptor.name);
        egov__envelope__free_unpacked (reply, NULL);
        return NULL;
    }
    egov_error_t error = { { 0 } };
    PGconn *conn = shep_participant_db (self->engine);
    Egov__Queue__EntryResponse *response = NULL;
    if (!egov_iin_valid (query->child_iin, &error))
        egov_envelope_set_error (reply, "INVALID_IIN", error.message);
    else
    if (*query->queue && !queue_rules_code_valid (query->queue))
        egov_envelope_set_error (reply, "INVALID_REQUEST", "queue must be a queue code such as 430000000-D01");
    else
    //  A local executive body sees its own region's queues only
    if (!conn || !(response = queue_store_entries (conn, query->child_iin, query->queue,
                                                   queue_store_sender_region (request->sender_id))))
        egov_envelope_set_error (reply, "REGISTER_UNAVAILABLE", "the queue register cannot read its database");
    else {
        egov_envelope_set_payload (reply, &response->base);
        egov__queue__entry_response__free_unpacked (response, NULL);
    }
    egov__queue__entry_request__free_unpacked (query, NULL);
    return reply;
}

//  queue.list: the queues, of one region or all.
static Egov__Envelope *
s_list (queue_server_t *self, const Egov__Envelope *request, Egov__Envelope *reply,
        egov_error_t *refusal)
{
    Egov__Queue__ListRequest *query = (Egov__Queue__ListRequest *)
        egov_envelope_payload (request, &egov__queue__list_request__descriptor);
    if (!query) {
        egov_error_set (refusal, "MALFORMED_PAYLOAD", "%s takes a decodable %s", QUEUE_SERVICE_LIST,
                        egov__queue__list_request__descriptor.name);
        egov__envelope__free_unpacked (reply, NULL);
        return NULL;
    }
    //  A local executive body reads its own region's queues only
    const char *own = queue_store_sender_region (request->sender_id);
    const char *region = *query->region ? query->region : own ? own : "";
    PGconn *conn = shep_participant_db (self->engine);
    Egov__Queue__ListResponse *response = NULL;
    if (*query->region && !egov_kato_valid (query->region))
        egov_envelope_set_error (reply, "INVALID_REQUEST", "region must be a 9-digit KATO code");
    else
    if (own && !streq (region, own))
        egov_envelope_set_error (reply, "WRONG_REGION", "a local executive body reads its own region's queues");
    else
    if (!conn || !(response = queue_store_list (conn, region)))
        egov_envelope_set_error (reply, "REGISTER_UNAVAILABLE", "the queue register cannot read its database");
    else {
        egov_envelope_set_payload (reply, &response->base);
        egov__queue__list_response__free_unpacked (response, NULL);
    }
    egov__queue__list_request__free_unpacked (query, NULL);
    return reply;
}

//  queue.release: places become free, each a referral or a free place.
static Egov__Envelope *
s_release (queue_server_t *self, const Egov__Envelope *request, Egov__Envelope *reply,
           egov_error_t *refusal)
{
    Egov__Queue__ReleaseRequest *query = (Egov__Queue__ReleaseRequest *)
        egov_envelope_payload (request, &egov__queue__release_request__descriptor);
    if (!query) {
        egov_error_set (refusal, "MALFORMED_PAYLOAD", "%s takes a decodable %s", QUEUE_SERVICE_RELEASE,
                        egov__queue__release_request__descriptor.name);
        egov__envelope__free_unpacked (reply, NULL);
        return NULL;
    }
    uint32_t places = query->places ? query->places : 1;
    if (!queue_rules_code_valid (query->queue))
        egov_envelope_set_error (reply, "INVALID_REQUEST", "queue must be a queue code such as 430000000-D01");
    else
    if (places > QUEUE_RELEASE_MAX)
        egov_envelope_set_error (reply, "INVALID_REQUEST", "one release frees 1 to 100 places");
    else {
        Egov__Queue__ReleaseResponse *response = NULL;
        egov_error_t error = { { 0 } };
        queue_store_outcome_t outcome = QUEUE_STORE_FAILED;
        QUEUE_WITH_DATABASE (self, conn, outcome,
                         queue_store_release (self->engine, conn, query->queue, places, &response, &error));
        if (outcome == QUEUE_STORE_DONE) {
            egov_envelope_set_payload (reply, &response->base);
            egov__queue__release_response__free_unpacked (response, NULL);
            shep_participant_flush (self->engine);
        }
        else
        if (outcome == QUEUE_STORE_REFUSED)
            egov_envelope_set_error (reply, error.code, error.message);
        else
            egov_envelope_set_error (reply, "REGISTER_UNAVAILABLE",
                                     "the queue register cannot use its database");
        if (self->verbose)
            zsys_info ("queue: release %u in %s: %s", places, query->queue,
                       outcome == QUEUE_STORE_DONE ? "done" : outcome == QUEUE_STORE_REFUSED ? error.code
                                                                         : "REGISTER_UNAVAILABLE");
    }
    egov__queue__release_request__free_unpacked (query, NULL);
    return reply;
}

Egov__Envelope *
queue_server_answer (void *service, const Egov__Envelope *request, egov_error_t *refusal)
{
    queue_server_t *self = (queue_server_t *) service;
    assert (self && request && refusal);
    static const struct {
        const char *service;
        const ProtobufCMessageDescriptor *payload;
        Egov__Envelope *(*answer) (queue_server_t *, const Egov__Envelope *, Egov__Envelope *,
                                   egov_error_t *);
    } s_services [] = {
        { QUEUE_SERVICE_ENQUEUE, &egov__queue__enqueue_request__descriptor, s_enqueue },
        { QUEUE_SERVICE_ENTRY, &egov__queue__entry_request__descriptor, s_entry },
        { QUEUE_SERVICE_LIST, &egov__queue__list_request__descriptor, s_list },
        { QUEUE_SERVICE_RELEASE, &egov__queue__release_request__descriptor, s_release },
    };
    const char *service_id = request->service_id ? request->service_id : "";
    const char *sender = request->sender_id ? request->sender_id : "";
    for (size_t index = 0; index < sizeof (s_services) / sizeof (s_services [0]); index++) {
        if (!streq (service_id, s_services [index].service))
            continue;
        if (!s_sender_allowed (service_id, sender)) {
            egov_error_set (refusal, "UNEXPECTED_SENDER", "%s is not for %.64s", service_id, sender);
            return NULL;
        }
        const char *wanted = s_services [index].payload->name;
        if (!request->payload_type || !streq (request->payload_type, wanted)) {
            egov_error_set (refusal, "UNSUPPORTED_PAYLOAD", "%s takes %s, not '%.64s'", service_id,
                            wanted, request->payload_type ? request->payload_type : "");
            return NULL;
        }
        return s_services [index].answer (self, request, s_reply_new (request), refusal);
    }
    egov_error_set (refusal, "UNSUPPORTED_SERVICE", "the queue register does not answer '%.64s'",
                    service_id);
    return NULL;
}

//  ---------------------------------------------------------------------
//  The server

queue_server_t *
queue_server_new (shep_participant_t *engine)
{
    assert (engine);
    queue_server_t *self = calloc (1, sizeof (queue_server_t));
    assert (self);
    self->engine = engine;
    self->pending = zlistx_new ();
    assert (self->pending);
    shep_participant_on_request (engine, queue_server_answer);
    return self;
}

void
queue_server_destroy (queue_server_t **self_p)
{
    assert (self_p);
    queue_server_t *self = *self_p;
    if (self) {
        queue_lookup_t *lookup = (queue_lookup_t *) zlistx_first (self->pending);
        while (lookup) {
            shep_participant_forget (self->engine, lookup);
            queue_outcome_t gone;
            memset (&gone, 0, sizeof (gone));
            egov_error_set (&gone.error, "REGISTER_UNAVAILABLE", "the queue register is stopping");
            lookup->finish (self, lookup->argument, &gone);
            free (lookup);
            lookup = (queue_lookup_t *) zlistx_next (self->pending);
        }
        zlistx_destroy (&self->pending);
        queue_direct_destroy (self);
        free (self);
        *self_p = NULL;
    }
}

void
queue_server_set_verbose (queue_server_t *self, bool verbose)
{
    assert (self);
    self->verbose = verbose;
}

bool
queue_server_seed (queue_server_t *self)
{
    assert (self);
    PGconn *conn = shep_participant_db (self->engine);
    return conn && queue_store_seed (conn);
}

void
queue_server_test (bool verbose)
{
    if (verbose)
        printf (" * queue_server: ");
    //  Who may ask what, before any database
    assert (s_sender_allowed (QUEUE_SERVICE_ENQUEUE, "leb-430000000"));
    assert (s_sender_allowed (QUEUE_SERVICE_ENQUEUE, "egovctl"));
    assert (!s_sender_allowed (QUEUE_SERVICE_ENQUEUE, "portal"));
    assert (!s_sender_allowed (QUEUE_SERVICE_ENQUEUE, "leb-43"));
    assert (!s_sender_allowed (QUEUE_SERVICE_RELEASE, "leb-430000000"));
    assert (s_sender_allowed (QUEUE_SERVICE_RELEASE, "egovctl"));

    const char *conninfo = getenv ("EGOV_TEST_DB");
    if (!conninfo || !*conninfo) {
        printf (verbose ? "(database part skipped: EGOV_TEST_DB unset) OK\n"
                        : "queue_server: database part skipped: EGOV_TEST_DB unset\n");
        return;
    }
    PGconn *setup = egov_db_connect (conninfo, 5000);
    assert (setup);
    assert (egov_db_exec_script (setup,
        "DROP SCHEMA IF EXISTS queue_server_test CASCADE; CREATE SCHEMA queue_server_test;",
        "test schema"));
    char engine_db [600];
    snprintf (engine_db, sizeof (engine_db), "%s options='-c search_path=queue_server_test'", conninfo);
    const char *services [] = { QUEUE_SERVICE_ENQUEUE, NULL };
    shep_participant_config_t config = {
        .gateway = "tcp://127.0.0.1:9", .participant_id = "queue", .conninfo = engine_db,
        .schema_sql = queue_schema_sql, .services = services
    };
    egov_error_t error;
    shep_participant_t *engine = shep_participant_new (&config, NULL, &error);
    assert (engine);
    queue_server_t *server = queue_server_new (engine);
    assert (queue_server_seed (server));
    assert (queue_server_seed (server));
    const char *queue = "430000000-D01";
    char child [13] = "230201503215";
    Egov__Queue__ReleaseResponse *response = NULL;

    //  Requests: not ours, from whom, and malformed
    egov_error_t refusal;
    Egov__Envelope *request = egov_envelope_new (QUEUE_SERVICE_RELEASE, EGOV__MESSAGE_TYPE__REQUEST);
    Egov__Queue__ReleaseRequest release = EGOV__QUEUE__RELEASE_REQUEST__INIT;
    release.queue = (char *) "430000000-D02";
    release.places = 101;
    egov_envelope_set_payload (request, &release.base);
    egov_string_set (&request->sender_id, "leb-430000000");
    assert (queue_server_answer (server, request, &refusal) == NULL);
    assert (streq (refusal.code, "UNEXPECTED_SENDER"));
    egov_string_set (&request->sender_id, "egovctl");
    Egov__Envelope *reply = queue_server_answer (server, request, &refusal);
    assert (reply && reply->error && streq (reply->error->code, "INVALID_REQUEST"));
    egov__envelope__free_unpacked (reply, NULL);
    egov_string_set (&request->payload_type, "egov.queue.ListRequest");
    assert (queue_server_answer (server, request, &refusal) == NULL);
    assert (streq (refusal.code, "UNSUPPORTED_PAYLOAD"));
    egov_string_set (&request->service_id, "queue.other");
    assert (queue_server_answer (server, request, &refusal) == NULL);
    assert (streq (refusal.code, "UNSUPPORTED_SERVICE"));
    egov__envelope__free_unpacked (request, NULL);
    //  An enqueue with a malformed IIN or date is answered at once
    request = egov_envelope_new (QUEUE_SERVICE_ENQUEUE, EGOV__MESSAGE_TYPE__REQUEST);
    egov_string_set (&request->sender_id, "egovctl");
    Egov__Queue__EnqueueRequest enqueue = EGOV__QUEUE__ENQUEUE_REQUEST__INIT;
    enqueue.child_iin = (char *) "2205015000";
    enqueue.queue = (char *) queue;
    enqueue.desired_date = (char *) "2030-09-01";
    egov_envelope_set_payload (request, &enqueue.base);
    reply = queue_server_answer (server, request, &refusal);
    assert (reply && reply->error && streq (reply->error->code, "INVALID_IIN"));
    egov__envelope__free_unpacked (reply, NULL);
    enqueue.child_iin = child;
    enqueue.desired_date = (char *) "2030-02-30";
    egov_envelope_set_payload (request, &enqueue.base);
    reply = queue_server_answer (server, request, &refusal);
    assert (reply && reply->error && streq (reply->error->code, "INVALID_REQUEST"));
    egov__envelope__free_unpacked (reply, NULL);
    //  ... and a good one waits for the registry, which is not there: unreachable
    enqueue.desired_date = (char *) "2030-09-01";
    egov_envelope_set_payload (request, &enqueue.base);
    reply = queue_server_answer (server, request, &refusal);
    assert (reply && reply->error && streq (reply->error->code, "REGISTRY_UNAVAILABLE"));
    egov__envelope__free_unpacked (reply, NULL);
    egov__envelope__free_unpacked (request, NULL);

    //  Seed 004's direct applications: only from a regional gateway, of its
    //  own region, for a channel the catalogue routes here
    egov_catalogue_t *catalogue = egov_catalogue_new ("regulations/catalogue", &error);
    assert (catalogue);
    queue_server_set_direct (server, catalogue, "/nonexistent-pki");
    shep_participant_set_service (engine, server);
    Egov__Applications__Application application = EGOV__APPLICATIONS__APPLICATION__INIT;
    application.application_id = (char *) "direct-1";
    application.service = (char *) "kindergarten-queue";
    application.region = (char *) "430000000";
    application.channel = EGOV__APPLICATIONS__CHANNEL__PORTAL;
    Egov__Applications__Registration registration = EGOV__APPLICATIONS__REGISTRATION__INIT;
    registration.registration_number = (char *) "430000000-2026-000001";
    Egov__Applications__RegisteredApplication handed = EGOV__APPLICATIONS__REGISTERED_APPLICATION__INIT;
    handed.application = &application;
    handed.registration = &registration;
    const struct {
        const char *sender;
        const char *region;
        const char *service;
        Egov__Applications__Channel channel;
        const char *code;               //  "" when applied
    } cases [] = {
        { "intake", "430000000", "kindergarten-queue", EGOV__APPLICATIONS__CHANNEL__PORTAL, "UNEXPECTED_SENDER" },
        { "regional-230000000", "430000000", "kindergarten-queue", EGOV__APPLICATIONS__CHANNEL__PORTAL, "WRONG_REGION" },
        { "regional-230000000", "230000000", "kindergarten-queue", EGOV__APPLICATIONS__CHANNEL__PORTAL, "NOT_ROUTED_HERE" },
        { "regional-430000000", "430000000", "kindergarten-queue", EGOV__APPLICATIONS__CHANNEL__PROVIDER_OFFICE, "NOT_ROUTED_HERE" },
        { "regional-430000000", "430000000", "preschool-admission", EGOV__APPLICATIONS__CHANNEL__PORTAL, "NOT_ROUTED_HERE" },
        { "regional-430000000", "430000000", "kindergarten-queue", EGOV__APPLICATIONS__CHANNEL__PORTAL, "" },
        { "regional-430000000", "430000000", "kindergarten-queue", EGOV__APPLICATIONS__CHANNEL__PORTAL, "" },
    };
    for (size_t index = 0; index < sizeof (cases) / sizeof (cases [0]); index++) {
        application.region = (char *) cases [index].region;
        application.service = (char *) cases [index].service;
        application.channel = cases [index].channel;
        request = egov_envelope_new ("application.registered", EGOV__MESSAGE_TYPE__REQUEST);
        egov_string_set (&request->sender_id, cases [index].sender);
        egov_string_set (&request->correlation_id, "direct-1");
        egov_envelope_set_payload (request, &handed.base);
        egov_error_t reject = { { 0 } };
        shep_outcome_t applied = shep_participant_apply (engine, request, &reject);
        assert (applied == (*cases [index].code ? SHEP_REJECT : SHEP_APPLIED));
        assert (streq (reject.code, cases [index].code));
        egov__envelope__free_unpacked (request, NULL);
    }
    //  Stored once, WAITING (the registry is not there to ask)
    PGresult *rows = PQexec (shep_participant_db (engine),
        "SELECT count(*), min (state) FROM direct_application");
    assert (PQresultStatus (rows) == PGRES_TUPLES_OK && streq (PQgetvalue (rows, 0, 0), "1")
            && streq (PQgetvalue (rows, 0, 1), "WAITING"));
    PQclear (rows);
    //  A return of an application the register never answered is unknown
    Egov__Applications__ResultMovement movement = EGOV__APPLICATIONS__RESULT_MOVEMENT__INIT;
    movement.application_id = (char *) "direct-1";
    request = egov_envelope_new ("application.return", EGOV__MESSAGE_TYPE__REQUEST);
    egov_string_set (&request->sender_id, "regional-430000000");
    egov_string_set (&request->correlation_id, "direct-1");
    egov_envelope_set_payload (request, &movement.base);
    assert (shep_participant_apply (engine, request, &refusal) == SHEP_REJECT
            && streq (refusal.code, "UNKNOWN_APPLICATION"));
    egov__envelope__free_unpacked (request, NULL);

    //  A database that went away is noticed, and used again once back
    shep_participant_db_cut (engine);
    queue_store_outcome_t outcome = QUEUE_STORE_FAILED;
    for (int attempt = 0; attempt < 30 && outcome == QUEUE_STORE_FAILED; attempt++) {
        QUEUE_WITH_DATABASE (server, again, outcome,
                         queue_store_release (engine, again, "430000000-D02", 1, &response, &error));
        if (outcome == QUEUE_STORE_FAILED)
            zclock_sleep (100);
    }
    assert (outcome == QUEUE_STORE_DONE && response->queue->free_places == 1);
    egov__queue__release_response__free_unpacked (response, NULL);

    queue_server_destroy (&server);
    queue_server_destroy (&server);
    shep_participant_destroy (&engine);
    egov_catalogue_destroy (&catalogue);
    assert (egov_db_exec_script (setup, "DROP SCHEMA queue_server_test CASCADE", "drop"));
    PQfinish (setup);
    if (verbose)
        printf ("OK\n");
}
