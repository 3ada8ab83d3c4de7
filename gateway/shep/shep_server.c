/*  shep_server — the central gateway's reactor (see shep_server.h).

    Participants are peers keyed by their ZeroMQ routing id. A frame from a
    routing id that has not said hello gets NOT_REGISTERED, whatever it is,
    so a participant that outlived a gateway restart knows to say hello.  */
#include "shep_server.h"
#include "egov_db.h"
#include "egov_service.h"
#include "egov_proto.h"
#include "shep_keys.h"
#include "shep_rights.h"
#include "egov_http.h"
#include <sodium.h>

#define SHEP_PARTICIPANT_ID_MAX 64

//  A connected participant.
typedef struct {
    char *id;                   //  participant id from its hello
    zframe_t *routing_id;       //  ZeroMQ routing id on our ROUTER
    char *key;                  //  routing id in hex, key of peers_by_key
    zlist_t *services;          //  service ids it provides (char *)
    zlist_t *routes;            //  route ids it serves (char *)
    bool receive_async;         //  deliver async messages to it
    uint32_t heartbeat_ms;      //  its announced heartbeat period
    int64_t connected_at;       //  wall ms
    int64_t last_seen;          //  monotonic ms of its last frame
    zhashx_t *in_flight;        //  message id -> s_flight_t, delivered, not acknowledged
    zlistx_t *waiting;          //  s_flight_t * committed, not yet delivered, in queue order
    bool backlog;               //  messages for it wait in the database only (then waiting is empty)
    bool loading;               //  a LOAD job for it is out
    int64_t cursor;             //  highest queue position taken into memory for it
    uint64_t generation;        //  tells this connection from an earlier one
    bool serving;               //  provides, routes or receives: the one connection of its id
    zhashx_t *held;             //  order key -> id of its in_order message refused for now
} s_peer_t;

//  An async message delivered and awaiting its acknowledgement.
typedef struct {
    int64_t seq;                //  queue position
    Egov__Envelope *envelope;   //  what was delivered
    uint32_t attempts;          //  deliveries so far
    int64_t sent_at;            //  monotonic ms of the last delivery
    int64_t held_until;         //  a delay fault holds it until then (monotonic ms), 0: not held
    size_t size;                //  its packed bytes, counted in *held
    size_t *held;               //  the server's flight_bytes
} s_flight_t;

//  A sync call waiting for its provider.
typedef struct {
    char *message_id;           //  the request's id, key of calls
    zframe_t *requester;        //  routing id to answer
    uint64_t tag;               //  the requester's tag
    char *requester_id;
    char *provider_id;
    char *provider_key;         //  the provider's connection: only it may answer
    Egov__Envelope *request;    //  for the log when the call times out
    int64_t deadline;           //  monotonic ms
    void *handle;               //  our place in the deadlines list
    int64_t forward_at;         //  a fault holds it until then (monotonic ms), 0: forwarded
    uint32_t timeout_ms;        //  the deadline given to the provider
} s_call_t;

#define SHEP_FAULTS_MAX     100
#define SHEP_FAULT_DELAY_MAX 600000
//  Log records waiting for the database, at most: while it cannot take them
//  (down, or refusing), the oldest beyond this are dropped and counted
#define SHEP_LOG_HELD_MAX   50000
//  After a batch the database refused, the next waits this long (ms), twice
//  as long after each further one, up to the most
#define SHEP_STORE_RETRY_MS 250
#define SHEP_STORE_RETRY_MAX_MS 8000

struct _shep_server_t {
    shep_config_t config;       //  settings (strings owned below)
    char *endpoint;             //  endpoint actually bound
    char *conninfo;
    char *gateway_id;
    zsock_t *router;            //  participants connect here
    zactor_t *auth;             //  zauth: lets in the trusted CURVE keys only
    shep_rights_t *rights;      //  who may do what (deny by default)
    zactor_t *store;            //  the database actor
    zloop_t *loop;
    zhashx_t *peers_by_key;     //  routing id hex -> s_peer_t (owner)
    zhashx_t *peers_by_id;      //  participant id -> s_peer_t
    zhashx_t *providers;        //  service id -> zlistx of s_peer_t *, round robin
    zhashx_t *known;            //  participant ids that ever said hello
    zhashx_t *service_owner;    //  service id -> participant id for async messages
    zhashx_t *route_owner;      //  route id -> participant id (regional gateways)
    zhashx_t *calls;            //  request message id -> s_call_t (owner)
    zlistx_t *deadlines;        //  s_call_t * sorted by deadline
    shep_batch_t *batch;        //  what the next commit will hold
    size_t batches_out;         //  batches handed to the store, not yet back
    int64_t store_retry_at;     //  after a failed batch, no next one before (monotonic ms)
    int64_t store_retry_ms;     //  the wait after the last failed batch, 0 after a good one
    size_t jobs_out;            //  jobs handed to the store, not yet back
    size_t queued;              //  async submissions not yet committed
    size_t queued_bytes;        //  and their packed bytes
    size_t flight_bytes;        //  bytes of async messages held for delivery (waiting or
                                //  in flight), every recipient together: bounded by
                                //  max_queued_bytes (plus one message), the rest waits
                                //  in the database
    bool expiring;              //  an EXPIRE job is out
    uint64_t generations;       //  counter for s_peer_t generation
    int64_t started_at;         //  wall ms
    egov_clock_state_t clock_next;  //  the clock after the changes not yet committed
    bool clock_changing;        //  clock_next is ahead of the process clock
    char *clock_changed_by;     //  participant behind the clock's last change
    zlistx_t *faults;           //  Egov__Shep__Fault * injected (egovctl fault), in order
    uint64_t fault_ids;         //  the last fault id given
    zlistx_t *held;             //  s_call_t * a delay fault holds (not owned)
    egov_http_t *http;          //  GET /metrics and /health (--metrics), or NULL
    struct {                    //  what /metrics counts since the start
        uint64_t sync_calls;            //  sync requests taken
        uint64_t sync_answered;         //  replies relayed from providers
        uint64_t sync_timeouts;         //  callers answered TIMEOUT
        uint64_t sync_latency_ms;       //  sum of the relayed replies' times
        uint64_t async_stored;          //  async messages committed
        uint64_t async_delivered;       //  acknowledged by their recipients
        uint64_t async_stopped;         //  rejected by them (or stopped by a fault)
        uint64_t store_failures;        //  batches the database could not take
        uint64_t log_dropped;           //  log records dropped over SHEP_LOG_HELD_MAX
        bool store_failing;             //  the last batch or expiry could not use the database
    } counts;
};

//  ---------------------------------------------------------------------
//  Small helpers

static void
s_flight_destroy (s_flight_t **self_p)
{
    s_flight_t *self = *self_p;
    if (!self)
        return;
    if (self->envelope)
        egov__envelope__free_unpacked (self->envelope, NULL);
    *self->held -= self->size;
    free (self);
    *self_p = NULL;
}

static void
s_peer_destroy (s_peer_t **self_p)
{
    s_peer_t *self = *self_p;
    if (!self)
        return;
    free (self->id);
    free (self->key);
    zframe_destroy (&self->routing_id);
    zlist_destroy (&self->services);
    zlist_destroy (&self->routes);
    zhashx_destroy (&self->in_flight);
    zhashx_destroy (&self->held);
    zlistx_destroy (&self->waiting);
    free (self);
    *self_p = NULL;
}

static void
s_call_destroy (s_call_t **self_p)
{
    s_call_t *self = *self_p;
    if (!self)
        return;
    free (self->message_id);
    free (self->requester_id);
    free (self->provider_id);
    free (self->provider_key);
    zframe_destroy (&self->requester);
    if (self->request)
        egov__envelope__free_unpacked (self->request, NULL);
    free (self);
    *self_p = NULL;
}

static int
s_compare_deadline (const void *item1, const void *item2)
{
    int64_t first = ((const s_call_t *) item1)->deadline;
    int64_t second = ((const s_call_t *) item2)->deadline;
    return first < second ? -1 : first > second;
}

static int
s_compare_pointer (const void *item1, const void *item2)
{
    return item1 == item2 ? 0 : (item1 < item2 ? -1 : 1);
}

//  Sends a frame to a routing id; -1 when the peer is gone or its queue is full.
static int
s_send (shep_server_t *self, zframe_t *routing_id, Egov__Shep__Frame *frame)
{
    zframe_t *body = egov_pb_frame (&frame->base);
    //  The router takes the address or refuses the whole message; the
    //  frames go as they are, without a message object to hold them
    if (zframe_send (&routing_id, self->router, ZFRAME_MORE | ZFRAME_REUSE)) {
        zframe_destroy (&body);
        return -1;
    }
    return zframe_send (&body, self->router, 0);
}

//  Answers a frame with a gateway error; cause (e.g. a provider's refusal)
//  goes with it as the error's one level of cause.
static void
s_send_error (shep_server_t *self, zframe_t *routing_id, uint64_t tag,
              const char *code, const char *message, const char *ref_message_id,
              const Egov__ErrorInfo *cause)
{
    Egov__ErrorCause sub_error = EGOV__ERROR_CAUSE__INIT;
    Egov__ErrorInfo info = EGOV__ERROR_INFO__INIT;
    info.code = (char *) code;
    info.message = (char *) message;
    if (cause) {
        sub_error.code = cause->code;
        sub_error.message = cause->message;
        info.sub_error = &sub_error;
    }
    Egov__Shep__Error body = EGOV__SHEP__ERROR__INIT;
    body.error = &info;
    body.ref_message_id = (char *) (ref_message_id ? ref_message_id : "");
    Egov__Shep__Frame frame = EGOV__SHEP__FRAME__INIT;
    frame.body_case = EGOV__SHEP__FRAME__BODY_ERROR;
    frame.error = &body;
    frame.tag = tag;
    s_send (self, routing_id, &frame);
    if (self->config.verbose)
        zsys_debug ("shep: answered %s: %s", code, message);
}

//  Keeps the log records waiting for the database within SHEP_LOG_HELD_MAX:
//  the oldest go, counted, when it has not taken any for that long.
static void
s_log_bound (shep_server_t *self)
{
    size_t dropped = 0;
    while (zlistx_size (self->batch->entries) > SHEP_LOG_HELD_MAX) {
        shep_log_entry_t *entry = (shep_log_entry_t *) zlistx_detach (self->batch->entries, NULL);
        shep_log_entry_destroy (&entry);
        dropped++;
    }
    if (dropped && self->counts.log_dropped / 10000 != (self->counts.log_dropped + dropped) / 10000)
        zsys_warning ("shep: the database takes no log records; %" PRIu64 " dropped so far",
                      self->counts.log_dropped + dropped);
    self->counts.log_dropped += dropped;
}

//  Adds a message log record to the next commit.
static void
s_log (shep_server_t *self, const char *channel, const Egov__Envelope *envelope,
       const char *sender_id, const char *recipient_id, const char *note)
{
    zlistx_add_end (self->batch->entries,
                    shep_log_entry_new (channel, envelope, sender_id, recipient_id, note));
    s_log_bound (self);
}

//  True while the store waits to try again after a failed batch.
static bool
s_store_waiting (shep_server_t *self)
{
    return self->store_retry_at && zclock_mono () < self->store_retry_at;
}

//  Hands the current batch to the store when it is idle (group commit:
//  whatever piles up meanwhile goes into the next transaction), or at once
//  when force is set (a job must see what came before it).
static void
s_flush (shep_server_t *self, bool force)
{
    if (shep_batch_empty (self->batch))
        return;
    if (self->batches_out > 0 && !force)
        return;
    if (!force && s_store_waiting (self))
        return;
    zsock_send (self->store, "sp", "BATCH", self->batch);
    self->batches_out++;
    self->batch = shep_batch_new ();
}

static void
s_send_job (shep_server_t *self, shep_job_t *job)
{
    //  A job sees what came before it; after a failed batch, what is held
    //  waits for the next try (a load may then deliver a message again whose
    //  acknowledgement is held: the recipient knows it and acknowledges again)
    if (!s_store_waiting (self))
        s_flush (self, true);
    zsock_send (self->store, "sp", "JOB", job);
    self->jobs_out++;
}

//  True when the text is a usable identifier: 1..max of [A-Za-z0-9._:@-].
static bool
s_valid_name (const char *text, size_t max)
{
    size_t length = text ? strlen (text) : 0;
    if (length == 0 || length > max)
        return false;
    for (const char *cursor = text; *cursor; cursor++)
        if (!isalnum ((unsigned char) *cursor) && !strchr ("._:@-", *cursor))
            return false;
    return true;
}

//  Checks an envelope coming from a participant; fills reason when invalid.
static bool
s_valid_envelope (const Egov__Envelope *envelope, char *reason, size_t size)
{
    if (!envelope)
        snprintf (reason, size, "the frame carries no envelope");
    else
    if (!egov_uuid_valid (envelope->message_id))
        snprintf (reason, size, "message_id must be a UUID");
    else
    if (*envelope->correlation_id && strlen (envelope->correlation_id) > 128)
        snprintf (reason, size, "correlation_id is longer than 128 characters");
    else
    if (*envelope->service_id && !s_valid_name (envelope->service_id, 128))
        snprintf (reason, size, "service_id must be 1-128 characters of letters, digits and ._:@-");
    else
    if (envelope->message_type < EGOV__MESSAGE_TYPE__REQUEST || envelope->message_type > EGOV__MESSAGE_TYPE__UPDATE)
        snprintf (reason, size, "message_type must be REQUEST, RESPONSE, NOTIFICATION or UPDATE");
    else
        return true;
    return false;
}

//  ---------------------------------------------------------------------
//  Participants

static void
s_peer_forget (shep_server_t *self, s_peer_t *peer)
{
    //  Deliveries it never acknowledged stay stored; remember how many were made
    for (s_flight_t *flight = (s_flight_t *) zhashx_first (peer->in_flight); flight;
         flight = (s_flight_t *) zhashx_next (peer->in_flight))
        zlistx_add_end (self->batch->finals, shep_final_new (
            flight->envelope->message_id, peer->id, EGOV__DELIVERY_STATUS__ON_DELIVERY,
            NULL, NULL, flight->attempts));
    for (char *service = (char *) zlist_first (peer->services); service;
         service = (char *) zlist_next (peer->services)) {
        zlistx_t *list = (zlistx_t *) zhashx_lookup (self->providers, service);
        if (list) {
            void *handle = zlistx_find (list, peer);
            if (handle)
                zlistx_delete (list, handle);
            if (zlistx_size (list) == 0)
                zhashx_delete (self->providers, service);
        }
    }
    if (zhashx_lookup (self->peers_by_id, peer->id) == peer)
        zhashx_delete (self->peers_by_id, peer->id);
    zhashx_delete (self->peers_by_key, peer->key);      //  destroys the peer
}

static void s_peer_pull (shep_server_t *self, s_peer_t *peer);
static void s_on_clock_committed (shep_server_t *self, shep_batch_t *batch);
static void s_deliver (shep_server_t *self, s_peer_t *peer, s_flight_t *flight);
static void s_send_welcome (shep_server_t *self, zframe_t *routing_id, uint64_t tag);

//  True when id is a registered participant: the gateway trusts a key of
//  it (keys/public/<id>.key), so it may connect, and messages may wait for it.
static bool
s_registered (shep_server_t *self, const char *id)
{
    if (!shep_keys_id_valid (id))
        return false;
    char path [PATH_MAX];
    snprintf (path, sizeof (path), "%s/public/%s.key", self->config.keys, id);
    return zsys_file_exists (path);
}

//  Rights edited while we run apply from now on (checked every second, at
//  every hello and before any refusal); a broken edit changes nothing.
static void
s_rights_refresh (shep_server_t *self)
{
    char problem [512];
    int changed = shep_rights_refresh (self->rights, problem, sizeof (problem));
    if (changed > 0) {
        zsys_info ("shep: access rights reloaded from %s (%zu rules)", shep_rights_path (self->rights),
                   shep_rights_size (self->rights));
        zhashx_purge (self->route_owner);
    }
    else
    if (changed < 0)
        zsys_error ("shep: the access rights keep their earlier rules: %s", problem);
}

//  Refuses what peer has no right to, with ACCESS_DENIED; true when it may.
static bool
s_allowed (shep_server_t *self, s_peer_t *peer, uint64_t tag, shep_right_t right,
           const char *object, const char *service, const char *message_id)
{
    if (shep_rights_allows (self->rights, peer->id, right, object, service))
        return true;
    s_rights_refresh (self);
    if (shep_rights_allows (self->rights, peer->id, right, object, service))
        return true;
    char message [256];
    if (right == SHEP_RIGHT_SEND)
        snprintf (message, sizeof (message), "%s has no right to send %s to %s", peer->id,
                  *service ? service : "a message without a service", object);
    else
    if (object)
        snprintf (message, sizeof (message), "%s has no right to %s %s", peer->id, shep_right_name (right), object);
    else
        snprintf (message, sizeof (message), "%s has no right to %s", peer->id,
                  right == SHEP_RIGHT_CLOCK ? "set the clock" : "read the message log");
    s_send_error (self, peer->routing_id, tag, "ACCESS_DENIED", message, message_id, NULL);
    return false;
}

//  A hello: registers (or re-registers) a participant and welcomes it.
static void
s_on_hello (shep_server_t *self, zframe_t *routing_id, const char *key, const char *key_owner,
            Egov__Shep__Frame *frame)
{
    Egov__Shep__Hello *hello = frame->hello;
    if (!s_valid_name (hello->participant_id, SHEP_PARTICIPANT_ID_MAX)) {
        s_send_error (self, routing_id, frame->tag, "INVALID_PARTICIPANT",
                      "participant_id must be 1-64 characters of letters, digits and ._:@-", NULL, NULL);
        return;
    }
    for (size_t index = 0; index < hello->n_services + hello->n_routes; index++) {
        const char *name = index < hello->n_services ? hello->services [index]
                                                     : hello->routes [index - hello->n_services];
        if (!s_valid_name (name, 128)) {
            s_send_error (self, routing_id, frame->tag, "INVALID_PARTICIPANT",
                          "service and route ids must be 1-128 characters of letters, digits and ._:@-", NULL, NULL);
            return;
        }
    }
    //  A participant is who its key says
    s_rights_refresh (self);
    char message [256];
    if (!key_owner || !streq (key_owner, hello->participant_id)) {
        snprintf (message, sizeof (message), "this connection's key belongs to %s, not to %s",
                  key_owner ? key_owner : "no participant", hello->participant_id);
        s_send_error (self, routing_id, frame->tag, "IDENTITY_MISMATCH", message, NULL, NULL);
        zsys_warning ("shep: refused a hello as %s: %s", hello->participant_id, message);
        return;
    }
    //  and announces only the services and routes it is granted
    for (size_t index = 0; index < hello->n_services + hello->n_routes; index++) {
        bool service = index < hello->n_services;
        const char *name = service ? hello->services [index] : hello->routes [index - hello->n_services];
        shep_right_t right = service ? SHEP_RIGHT_PROVIDE : SHEP_RIGHT_ROUTE;
        if (!shep_rights_allows (self->rights, hello->participant_id, right, name, NULL)) {
            snprintf (message, sizeof (message), "%s has no right to %s %s (see %s)", hello->participant_id,
                      shep_right_name (right), name, shep_rights_path (self->rights));
            s_send_error (self, routing_id, frame->tag, "ACCESS_DENIED", message, NULL, NULL);
            zsys_warning ("shep: refused %s's hello: %s", hello->participant_id, message);
            return;
        }
    }
    bool serving = hello->n_services || hello->n_routes || hello->receive_async;
    s_peer_t *old = (s_peer_t *) zhashx_lookup (self->peers_by_key, key);
    if (old)
        s_peer_forget (self, old);
    //  A participant serves from one connection: a newer one with the same
    //  key takes over (a restarted process), and the older one hears it
    old = serving ? (s_peer_t *) zhashx_lookup (self->peers_by_id, hello->participant_id) : NULL;
    if (old) {
        zsys_warning ("shep: participant %s connected again with its key; its earlier connection is dropped",
                      old->id);
        s_send_error (self, old->routing_id, 0, "REPLACED",
                      "a newer connection with this participant's key took its place", NULL, NULL);
        s_peer_forget (self, old);
    }

    s_peer_t *peer = (s_peer_t *) zmalloc (sizeof (s_peer_t));
    assert (peer);
    peer->id = strdup (hello->participant_id);
    peer->routing_id = zframe_dup (routing_id);
    peer->key = strdup (key);
    peer->services = zlist_new ();
    peer->routes = zlist_new ();
    zlist_autofree (peer->services);
    zlist_autofree (peer->routes);
    peer->receive_async = hello->receive_async;
    peer->heartbeat_ms = hello->heartbeat_ms >= 100 && hello->heartbeat_ms <= 60000
                       ? hello->heartbeat_ms : self->config.heartbeat_ms;
    peer->connected_at = egov_now_ms ();
    peer->last_seen = zclock_mono ();
    peer->in_flight = zhashx_new ();
    peer->held = zhashx_new ();
    zhashx_set_destructor (peer->held, (zhashx_destructor_fn *) zstr_free);
    zhashx_set_destructor (peer->in_flight, (zhashx_destructor_fn *) s_flight_destroy);
    peer->waiting = zlistx_new ();
    zlistx_set_destructor (peer->waiting, (zlistx_destructor_fn *) s_flight_destroy);
    peer->generation = ++self->generations;
    peer->serving = serving;
    zhashx_insert (self->peers_by_key, key, peer);
    if (!serving) {
        //  A session (egovctl, a caller that serves nothing): many may share a key
        s_send_welcome (self, routing_id, frame->tag);
        if (self->config.verbose)
            zsys_debug ("shep: session of %s opened", peer->id);
        return;
    }
    zhashx_insert (self->peers_by_id, peer->id, peer);

    shep_registration_t *registration = shep_registration_new (peer->id);
    zhashx_update (self->known, peer->id, peer->id);
    for (size_t index = 0; index < hello->n_services; index++) {
        const char *service = hello->services [index];
        zlist_append (peer->services, (void *) service);
        zlistx_t *list = (zlistx_t *) zhashx_lookup (self->providers, service);
        if (!list) {
            list = zlistx_new ();
            zlistx_set_comparator (list, s_compare_pointer);
            zhashx_insert (self->providers, service, list);
        }
        zlistx_add_end (list, peer);
        if (peer->receive_async) {
            zhashx_update (self->service_owner, service, peer->id);
            zlist_append (registration->services, (void *) service);
        }
    }
    for (size_t index = 0; index < hello->n_routes; index++) {
        zlist_append (peer->routes, hello->routes [index]);
        zlist_append (registration->routes, hello->routes [index]);
    }
    zlistx_add_end (self->batch->registrations, registration);
    s_send_welcome (self, routing_id, frame->tag);
    zsys_info ("shep: participant %s connected (%zu services, %zu routes%s)", peer->id,
               hello->n_services, hello->n_routes, peer->receive_async ? ", receives async" : "");
    if (peer->receive_async) {
        peer->backlog = true;
        s_peer_pull (self, peer);
    }
}

//  Welcomes a connection: the gateway's id, limits and the clock.
static void
s_send_welcome (shep_server_t *self, zframe_t *routing_id, uint64_t tag)
{
    egov_clock_state_t state = egov_clock_state ();
    Egov__Shep__ClockState clock = EGOV__SHEP__CLOCK_STATE__INIT;
    clock.base_wall_ms = state.base_wall_ms;
    clock.base_sim_ms = state.base_sim_ms;
    clock.speed = state.speed;
    clock.version = state.version;
    clock.changed_by = self->clock_changed_by ? self->clock_changed_by : "";
    Egov__Shep__Welcome welcome = EGOV__SHEP__WELCOME__INIT;
    welcome.clock = &clock;
    welcome.gateway_id = self->gateway_id;
    welcome.heartbeat_ms = self->config.heartbeat_ms;
    welcome.max_message_size = self->config.max_message_size;
    Egov__Shep__Frame answer = EGOV__SHEP__FRAME__INIT;
    answer.body_case = EGOV__SHEP__FRAME__BODY_WELCOME;
    answer.welcome = &welcome;
    answer.tag = tag;
    s_send (self, routing_id, &answer);
}

//  ---------------------------------------------------------------------
//  Faults injected at the gateway (egovctl fault)

//  The first fault a sync call or an async delivery matches, or NULL.
static Egov__Shep__Fault *
s_fault_match (shep_server_t *self, const Egov__Envelope *envelope, const char *provider)
{
    for (Egov__Shep__Fault *fault = (Egov__Shep__Fault *) zlistx_first (self->faults); fault;
         fault = (Egov__Shep__Fault *) zlistx_next (self->faults))
        if ((!*fault->service_id || streq (fault->service_id, envelope->service_id))
        &&  (!*fault->route_id || streq (fault->route_id, envelope->route_id))
        &&  (!*fault->participant_id || streq (fault->participant_id, provider)))
            return fault;
    return NULL;
}

//  Counts a use; a fault that has been used its times is gone.
static void
s_fault_used (shep_server_t *self, Egov__Shep__Fault *fault)
{
    fault->matched++;
    if (fault->times && fault->matched >= fault->times) {
        zsys_info ("shep: fault %" PRIu64 " applied %u times: cleared", fault->id, fault->matched);
        void *handle = zlistx_find (self->faults, fault);
        if (handle)
            zlistx_delete (self->faults, handle);
    }
}

//  Answers the faults there are, as FaultListReply.
static void
s_send_faults (shep_server_t *self, zframe_t *routing_id, uint64_t tag)
{
    size_t count = zlistx_size (self->faults), index = 0;
    Egov__Shep__Fault **faults = (Egov__Shep__Fault **) calloc (count + 1, sizeof (void *));
    assert (faults);
    for (Egov__Shep__Fault *fault = (Egov__Shep__Fault *) zlistx_first (self->faults); fault;
         fault = (Egov__Shep__Fault *) zlistx_next (self->faults))
        faults [index++] = fault;
    Egov__Shep__FaultListReply reply = EGOV__SHEP__FAULT_LIST_REPLY__INIT;
    reply.n_faults = count;
    reply.faults = faults;
    Egov__Shep__Frame out = EGOV__SHEP__FRAME__INIT;
    out.body_case = EGOV__SHEP__FRAME__BODY_FAULT_LIST_REPLY;
    out.fault_list_reply = &reply;
    out.tag = tag;
    s_send (self, routing_id, &out);
    free (faults);
}

//  FaultAdd, FaultList, FaultClear: for those with the fault right.
static void
s_on_fault (shep_server_t *self, s_peer_t *peer, Egov__Shep__Frame **frame_p)
{
    Egov__Shep__Frame *frame = *frame_p;
    if (!s_allowed (self, peer, frame->tag, SHEP_RIGHT_FAULT, NULL, NULL, NULL))
        return;
    if (frame->body_case == EGOV__SHEP__FRAME__BODY_FAULT_ADD) {
        Egov__Shep__Fault *fault = frame->fault_add->fault;
        const char *problem = NULL;
        if (!fault || (!*fault->service_id && !*fault->route_id && !*fault->participant_id))
            problem = "a fault names the calls it applies to: a service, a route or a provider";
        else
        if ((*fault->service_id && !s_valid_name (fault->service_id, 128))
        ||  (*fault->route_id && !s_valid_name (fault->route_id, 128))
        ||  (*fault->participant_id && !s_valid_name (fault->participant_id, SHEP_PARTICIPANT_ID_MAX)))
            problem = "names are 1-128 characters of letters, digits and ._:@-";
        else
        if (!fault->delay_ms && !*fault->error_code && !fault->drop_pct)
            problem = "a fault delays, fails or drops: say --delay, --error or --drop";
        else
        if (fault->delay_ms > SHEP_FAULT_DELAY_MAX || fault->drop_pct > 100
        ||  (*fault->error_code && !s_valid_name (fault->error_code, 48)))
            problem = "a delay is at most 600000 ms, a drop at most 100 %, an error code a name";
        else
        if (zlistx_size (self->faults) >= SHEP_FAULTS_MAX)
            problem = "at most 100 faults at once; clear some first";
        if (problem) {
            s_send_error (self, peer->routing_id, frame->tag, "INVALID_FAULT", problem, NULL, NULL);
            return;
        }
        fault->id = ++self->fault_ids;
        fault->matched = 0;
        egov_string_set (&fault->created_by, peer->id);
        frame->fault_add->fault = NULL;         //  the list keeps it
        zlistx_add_end (self->faults, fault);
        zsys_info ("shep: fault %" PRIu64 " injected by %s (service %s, route %s, provider %s:"
                   " delay %u ms, error %s, drop %u%%, times %u)", fault->id, peer->id,
                   *fault->service_id ? fault->service_id : "any", *fault->route_id ? fault->route_id : "any",
                   *fault->participant_id ? fault->participant_id : "any", fault->delay_ms,
                   *fault->error_code ? fault->error_code : "-", fault->drop_pct, fault->times);
    }
    else
    if (frame->body_case == EGOV__SHEP__FRAME__BODY_FAULT_CLEAR) {
        uint64_t id = frame->fault_clear->id;
        bool found = id == 0;
        Egov__Shep__Fault *fault = (Egov__Shep__Fault *) zlistx_first (self->faults);
        while (fault) {
            if (id == 0 || fault->id == id) {
                zlistx_delete (self->faults, zlistx_cursor (self->faults));
                found = true;
                fault = (Egov__Shep__Fault *) zlistx_first (self->faults);
                continue;
            }
            fault = (Egov__Shep__Fault *) zlistx_next (self->faults);
        }
        if (!found) {
            s_send_error (self, peer->routing_id, frame->tag, "NOT_FOUND", "no such fault", NULL, NULL);
            return;
        }
        zsys_info ("shep: %s cleared %s", peer->id, id ? "a fault" : "every fault");
    }
    s_send_faults (self, peer->routing_id, frame->tag);
}

//  The list's destructor for a fault.
static void
s_fault_destroy (void **item)
{
    egov__shep__fault__free_unpacked ((Egov__Shep__Fault *) *item, NULL);
    *item = NULL;
}

//  ---------------------------------------------------------------------
//  Sync channel

static void
s_on_sync_request (shep_server_t *self, s_peer_t *peer, Egov__Shep__Frame *frame)
{
    Egov__Envelope *envelope = frame->sync_request->envelope;
    char reason [160];
    if (!s_valid_envelope (envelope, reason, sizeof (reason)) || !*envelope->service_id) {
        if (envelope && !*envelope->service_id)
            snprintf (reason, sizeof (reason), "a sync request needs a service_id");
        s_send_error (self, peer->routing_id, frame->tag, "MALFORMED_ENVELOPE", reason,
                      envelope ? envelope->message_id : NULL, NULL);
        return;
    }
    egov_string_set (&envelope->sender_id, peer->id);
    if (!s_allowed (self, peer, frame->tag, SHEP_RIGHT_CALL, envelope->service_id, NULL, envelope->message_id)) {
        s_log (self, "sync", envelope, peer->id, "shep", "ACCESS_DENIED");
        return;
    }
    self->counts.sync_calls++;
    char message [256];
    if (zhashx_size (self->calls) >= self->config.max_calls) {
        snprintf (message, sizeof (message), "the gateway has %u calls waiting, its limit", self->config.max_calls);
        s_send_error (self, peer->routing_id, frame->tag, "QUEUE_FULL", message, envelope->message_id, NULL);
        s_log (self, "sync", envelope, peer->id, "shep", "QUEUE_FULL");
        return;
    }
    if (zhashx_lookup (self->calls, envelope->message_id)) {
        s_send_error (self, peer->routing_id, frame->tag, "DUPLICATE_MESSAGE_ID",
                      "a call with this message_id is already waiting", envelope->message_id, NULL);
        return;
    }
    zlistx_t *providers = (zlistx_t *) zhashx_lookup (self->providers, envelope->service_id);
    s_peer_t *provider = providers ? (s_peer_t *) zlistx_first (providers) : NULL;
    if (!provider) {
        snprintf (message, sizeof (message), "no participant provides service %s now", envelope->service_id);
        s_send_error (self, peer->routing_id, frame->tag, "NO_PROVIDER", message, envelope->message_id, NULL);
        s_log (self, "sync", envelope, peer->id, "shep", "NO_PROVIDER");
        return;
    }
    //  Round robin over the providers of a service
    zlistx_move_end (providers, zlistx_cursor (providers));

    uint32_t timeout_ms = frame->sync_request->timeout_ms ? frame->sync_request->timeout_ms
                                                          : self->config.sync_timeout_ms;
    if (timeout_ms > self->config.sync_timeout_max_ms)
        timeout_ms = self->config.sync_timeout_max_ms;
    //  An injected fault answers for the provider, holds the call, or loses it
    Egov__Shep__Fault *fault = s_fault_match (self, envelope, provider->id);
    char note [96] = "forwarded";
    bool forward_now = true;
    if (fault) {
        if (*fault->error_code) {
            snprintf (message, sizeof (message), "provider %s of %s failed (fault %" PRIu64 " injected)",
                      provider->id, envelope->service_id, fault->id);
            s_send_error (self, peer->routing_id, frame->tag, fault->error_code, message,
                          envelope->message_id, NULL);
            snprintf (note, sizeof (note), "fault %" PRIu64 ": %s", fault->id, fault->error_code);
            s_log (self, "sync", envelope, peer->id, provider->id, note);
            s_fault_used (self, fault);
            return;
        }
        if (fault->drop_pct && randombytes_uniform (100) < fault->drop_pct) {
            snprintf (note, sizeof (note), "fault %" PRIu64 ": dropped", fault->id);
            forward_now = false;
        }
        else
        if (fault->delay_ms) {
            snprintf (note, sizeof (note), "fault %" PRIu64 ": held %u ms", fault->id, fault->delay_ms);
            forward_now = false;
        }
    }
    Egov__Shep__SyncRequest forward = EGOV__SHEP__SYNC_REQUEST__INIT;
    forward.envelope = envelope;
    forward.timeout_ms = timeout_ms;
    Egov__Shep__Frame out = EGOV__SHEP__FRAME__INIT;
    out.body_case = EGOV__SHEP__FRAME__BODY_SYNC_REQUEST;
    out.sync_request = &forward;
    if (forward_now && s_send (self, provider->routing_id, &out)) {
        snprintf (message, sizeof (message), "provider %s of %s cannot be reached", provider->id, envelope->service_id);
        s_send_error (self, peer->routing_id, frame->tag, "NO_PROVIDER", message, envelope->message_id, NULL);
        s_log (self, "sync", envelope, peer->id, "shep", "NO_PROVIDER");
        return;
    }
    s_log (self, "sync", envelope, peer->id, provider->id, note);

    s_call_t *call = (s_call_t *) zmalloc (sizeof (s_call_t));
    assert (call);
    call->message_id = strdup (envelope->message_id);
    call->requester = zframe_dup (peer->routing_id);
    call->tag = frame->tag;
    call->requester_id = strdup (peer->id);
    call->provider_id = strdup (provider->id);
    call->provider_key = strdup (provider->key);
    call->request = envelope;
    frame->sync_request->envelope = NULL;       //  the call keeps it
    call->deadline = zclock_mono () + timeout_ms;
    call->timeout_ms = timeout_ms;
    call->handle = zlistx_insert (self->deadlines, call, false);
    zhashx_insert (self->calls, call->message_id, call);
    if (fault && !forward_now && fault->delay_ms && !strstr (note, "dropped")) {
        call->forward_at = zclock_mono () + fault->delay_ms;
        zlistx_add_end (self->held, call);
    }
    if (fault)
        s_fault_used (self, fault);
}

//  Forwards the calls a delay fault held, once their time came (a call that
//  timed out meanwhile is gone; one whose provider left times out).
static void
s_release_held (shep_server_t *self)
{
    int64_t now = zclock_mono ();
    s_call_t *call = (s_call_t *) zlistx_first (self->held);
    while (call) {
        if (now >= call->forward_at) {
            s_peer_t *provider = (s_peer_t *) zhashx_lookup (self->peers_by_key, call->provider_key);
            if (provider) {
                Egov__Shep__SyncRequest forward = EGOV__SHEP__SYNC_REQUEST__INIT;
                forward.envelope = call->request;
                int64_t left = call->deadline - now;
                forward.timeout_ms = (uint32_t) (left > 0 ? left : 1);
                Egov__Shep__Frame out = EGOV__SHEP__FRAME__INIT;
                out.body_case = EGOV__SHEP__FRAME__BODY_SYNC_REQUEST;
                out.sync_request = &forward;
                s_send (self, provider->routing_id, &out);
            }
            call->forward_at = 0;
            zlistx_delete (self->held, zlistx_cursor (self->held));
            call = (s_call_t *) zlistx_first (self->held);
        }
        else
            call = (s_call_t *) zlistx_next (self->held);
    }
}

//  Ends a call: off the deadline list and out of the table (destroyed).
static void
s_call_end (shep_server_t *self, s_call_t *call)
{
    if (call->forward_at) {
        void *held = zlistx_find (self->held, call);
        if (held)
            zlistx_delete (self->held, held);
    }
    zlistx_delete (self->deadlines, call->handle);
    zhashx_delete (self->calls, call->message_id);
}

static void
s_on_sync_reply (shep_server_t *self, s_peer_t *peer, Egov__Shep__Frame *frame)
{
    Egov__Shep__SyncReply *reply = frame->sync_reply;
    s_call_t *call = (s_call_t *) zhashx_lookup (self->calls, reply->in_reply_to);
    char reason [160];
    if (reply->envelope && !s_valid_envelope (reply->envelope, reason, sizeof (reason))) {
        if (call) {
            s_send_error (self, call->requester, call->tag, "PROVIDER_ERROR",
                          "the provider answered with a malformed envelope", call->message_id, NULL);
            s_call_end (self, call);
        }
        s_send_error (self, peer->routing_id, frame->tag, "MALFORMED_ENVELOPE", reason, NULL, NULL);
        return;
    }
    if (!reply->envelope) {
        s_send_error (self, peer->routing_id, frame->tag, "MALFORMED_ENVELOPE",
                      "a reply must carry an envelope", reply->in_reply_to, NULL);
        return;
    }
    egov_string_set (&reply->envelope->sender_id, peer->id);
    if (!call || !streq (call->provider_key, peer->key)) {
        //  Too late (the requester already heard TIMEOUT) or not asked of this peer
        s_log (self, "sync", reply->envelope, peer->id, "shep", call ? "reply from a stranger dropped" : "late reply dropped");
        return;
    }
    Egov__Shep__SyncReply forward = EGOV__SHEP__SYNC_REPLY__INIT;
    forward.in_reply_to = call->message_id;
    forward.envelope = reply->envelope;
    Egov__Shep__Frame out = EGOV__SHEP__FRAME__INIT;
    out.body_case = EGOV__SHEP__FRAME__BODY_SYNC_REPLY;
    out.sync_reply = &forward;
    out.tag = call->tag;
    s_send (self, call->requester, &out);
    s_log (self, "sync", reply->envelope, peer->id, call->requester_id,
           reply->envelope->error ? reply->envelope->error->code : "forwarded");
    self->counts.sync_answered++;
    int64_t taken = zclock_mono () - (call->deadline - call->timeout_ms);
    self->counts.sync_latency_ms += (uint64_t) (taken > 0 ? taken : 0);
    s_call_end (self, call);
}

static void
s_on_refuse (shep_server_t *self, s_peer_t *peer, Egov__Shep__Frame *frame)
{
    s_call_t *call = (s_call_t *) zhashx_lookup (self->calls, frame->refuse->in_reply_to);
    if (!call || !streq (call->provider_key, peer->key))
        return;
    char message [256];
    snprintf (message, sizeof (message), "provider %s refused the call", peer->id);
    s_send_error (self, call->requester, call->tag, "REFUSED", message, call->message_id, frame->refuse->reason);
    s_log (self, "sync", call->request, peer->id, call->requester_id, "REFUSED");
    s_call_end (self, call);
}

//  Answers TIMEOUT to every call past its deadline.
static void
s_expire_calls (shep_server_t *self)
{
    int64_t now = zclock_mono ();
    s_call_t *call;
    while ((call = (s_call_t *) zlistx_first (self->deadlines)) && call->deadline <= now) {
        char message [256];
        snprintf (message, sizeof (message), "provider %s did not answer in time", call->provider_id);
        s_send_error (self, call->requester, call->tag, "TIMEOUT", message, call->message_id, NULL);
        self->counts.sync_timeouts++;
        s_log (self, "sync", call->request, "shep", call->requester_id, "TIMEOUT");
        s_call_end (self, call);
    }
}

//  ---------------------------------------------------------------------
//  Async channel

//  Applies an injected fault to a delivery attempt; true when the attempt is
//  not to be sent now. An error code stops the delivery as if the recipient
//  had rejected it with that code; a drop loses this attempt (the redelivery
//  timer sends the next one); a delay holds the attempt for its time.
static bool
s_fault_delivery (shep_server_t *self, s_peer_t *peer, s_flight_t *flight, Egov__Shep__Fault *fault)
{
    char note [96];
    Egov__Envelope *envelope = flight->envelope;
    bool handled = true;
    if (*fault->error_code) {
        snprintf (note, sizeof (note), "fault %" PRIu64 ": %s", fault->id, fault->error_code);
        s_log (self, "async", envelope, envelope->sender_id, peer->id, note);
        char message [96];
        snprintf (message, sizeof (message), "delivery stopped by fault %" PRIu64 " injected at the gateway", fault->id);
        zlistx_add_end (self->batch->finals, shep_final_new (
            envelope->message_id, peer->id, EGOV__DELIVERY_STATUS__DELIVERY_STOPPED,
            fault->error_code, message, flight->attempts + 1));
        s_log (self, "async", envelope, peer->id, envelope->sender_id, "DELIVERY_STOPPED");
        self->counts.async_stopped++;
        zhashx_delete (peer->in_flight, envelope->message_id);     //  destroys the flight
    }
    else
    if (fault->drop_pct && randombytes_uniform (100) < fault->drop_pct) {
        flight->attempts++;
        flight->sent_at = zclock_mono ();
        snprintf (note, sizeof (note), "fault %" PRIu64 ": dropped attempt %u", fault->id, flight->attempts);
        s_log (self, "async", envelope, envelope->sender_id, peer->id, note);
    }
    else
    if (fault->delay_ms) {
        flight->held_until = zclock_mono () + fault->delay_ms;
        snprintf (note, sizeof (note), "fault %" PRIu64 ": held %u ms", fault->id, fault->delay_ms);
        s_log (self, "async", envelope, envelope->sender_id, peer->id, note);
    }
    else
        handled = false;                        //  a drop that let this one through
    s_fault_used (self, fault);
    return handled;
}

//  Sends (or resends) a delivery, unless an injected fault stops, drops or
//  holds it (a held attempt, released, goes out as it is). The flight may be
//  gone on return.
static void
s_deliver (shep_server_t *self, s_peer_t *peer, s_flight_t *flight)
{
    Egov__Shep__Fault *fault = flight->held_until ? NULL
                             : s_fault_match (self, flight->envelope, peer->id);
    flight->held_until = 0;
    if (fault && s_fault_delivery (self, peer, flight, fault))
        return;
    flight->attempts++;
    flight->sent_at = zclock_mono ();
    Egov__Shep__Deliver deliver = EGOV__SHEP__DELIVER__INIT;
    deliver.envelope = flight->envelope;
    deliver.attempt = flight->attempts;
    Egov__Shep__Frame out = EGOV__SHEP__FRAME__INIT;
    out.body_case = EGOV__SHEP__FRAME__BODY_DELIVER;
    out.deliver = &deliver;
    if (s_send (self, peer->routing_id, &out) == 0) {
        char note [48];
        snprintf (note, sizeof (note), "delivery attempt %u", flight->attempts);
        s_log (self, "async", flight->envelope, flight->envelope->sender_id, peer->id, note);
    }
}

//  A stored message on its way to a peer; NULL when it cannot be decoded.
static s_flight_t *
s_flight_new (shep_server_t *server, int64_t seq, const uint8_t *packed, size_t size,
              uint32_t attempts)
{
    Egov__Envelope *envelope = egov__envelope__unpack (NULL, size, packed);
    if (!envelope) {
        zsys_error ("shep: stored message %" PRId64 " cannot be decoded", seq);
        return NULL;
    }
    s_flight_t *flight = (s_flight_t *) zmalloc (sizeof (s_flight_t));
    assert (flight);
    flight->seq = seq;
    flight->envelope = envelope;
    flight->attempts = attempts;
    flight->size = size;
    flight->held = &server->flight_bytes;
    server->flight_bytes += size;
    return flight;
}

//  Delivers waiting messages while the peer's window has room; when the
//  waiting list is empty and more wait in the database, asks for them.
static void
s_peer_feed (shep_server_t *self, s_peer_t *peer)
{
    while (zhashx_size (peer->in_flight) < self->config.window && zlistx_size (peer->waiting)) {
        s_flight_t *flight = (s_flight_t *) zlistx_detach (peer->waiting, NULL);
        if (zhashx_lookup (peer->in_flight, flight->envelope->message_id)) {
            s_flight_destroy (&flight);
            continue;
        }
        zhashx_insert (peer->in_flight, flight->envelope->message_id, flight);
        s_deliver (self, peer, flight);
    }
    if (zlistx_size (peer->waiting) == 0)
        s_peer_pull (self, peer);
}

//  Keeps a message in the peer's waiting list; past the list's bound, drops
//  the list and lets the database hold the queue (backlog) until it drains:
//  the next load reads from before the first message dropped.
static void
s_peer_queue (shep_server_t *self, s_peer_t *peer, s_flight_t *flight)
{
    if (zlistx_size (peer->waiting) >= 16 * (size_t) self->config.window
    ||  self->flight_bytes > self->config.max_queued_bytes) {
        s_flight_t *first = (s_flight_t *) zlistx_first (peer->waiting);
        int64_t dropped_from = first && first->seq < flight->seq ? first->seq : flight->seq;
        if (peer->cursor >= dropped_from)
            peer->cursor = dropped_from - 1;
        s_flight_destroy (&flight);
        zlistx_purge (peer->waiting);
        peer->backlog = true;
        return;
    }
    zlistx_add_end (peer->waiting, flight);
}

//  Asks the store for messages waiting for a peer in the database.
static void
s_peer_pull (shep_server_t *self, s_peer_t *peer)
{
    if (peer->loading || !peer->backlog || zlistx_size (peer->waiting))
        return;
    shep_job_t *job = shep_job_new (SHEP_JOB_LOAD);
    job->recipient_id = strdup (peer->id);
    job->after_seq = peer->cursor;
    job->limit = 8 * (int) self->config.window;
    //  What memory the bound leaves, one message at least
    job->max_bytes = self->flight_bytes < self->config.max_queued_bytes
                   ? (int64_t) (self->config.max_queued_bytes - self->flight_bytes) : 1;
    job->tag = peer->generation;
    peer->loading = true;
    s_send_job (self, job);
}

static void
s_on_loaded (shep_server_t *self, shep_job_t *job)
{
    s_peer_t *peer = (s_peer_t *) zhashx_lookup (self->peers_by_id, job->recipient_id);
    if (!peer || peer->generation != job->tag)
        return;                 //  gone or reconnected since; its new hello loads again
    peer->loading = false;
    if (job->failed)
        return;                 //  the backlog stays; the next tick asks again
    for (shep_loaded_t *loaded = (shep_loaded_t *) zlistx_first (job->loaded); loaded;
         loaded = (shep_loaded_t *) zlistx_next (job->loaded)) {
        if (loaded->seq <= peer->cursor)
            continue;
        s_flight_t *flight = s_flight_new (self, loaded->seq, loaded->packed, loaded->packed_size, loaded->attempts);
        if (flight)
            zlistx_add_end (peer->waiting, flight);
    }
    s_flight_t *last = (s_flight_t *) zlistx_last (peer->waiting);
    if (last && last->seq > peer->cursor)
        peer->cursor = last->seq;
    //  Fewer than asked, and not for the bytes: nothing more waits
    size_t bytes = 0;
    for (shep_loaded_t *loaded = (shep_loaded_t *) zlistx_first (job->loaded); loaded;
         loaded = (shep_loaded_t *) zlistx_next (job->loaded))
        bytes += loaded->packed_size;
    if ((int) zlistx_size (job->loaded) < job->limit
    &&  (int64_t) (bytes + self->config.max_message_size) <= job->max_bytes)
        peer->backlog = false;
    s_peer_feed (self, peer);
}

//  A message just committed: deliver it now when its recipient can take it.
static void
s_dispatch (shep_server_t *self, shep_submit_t *submit)
{
    s_peer_t *peer = (s_peer_t *) zhashx_lookup (self->peers_by_id, submit->recipient_id);
    if (!peer || !peer->receive_async)
        return;                 //  it waits in the database for the recipient's hello
    if (peer->backlog || peer->loading) {
        peer->backlog = true;   //  the next load, from the cursor, will bring it
        s_peer_pull (self, peer);
        return;
    }
    s_flight_t *flight = s_flight_new (self, submit->seq, submit->packed, submit->packed_size, 0);
    if (!flight)
        return;
    if (submit->seq > peer->cursor)
        peer->cursor = submit->seq;
    s_peer_queue (self, peer, flight);
    s_peer_feed (self, peer);
}

//  Finds who receives an async message: the named recipient, the regional
//  gateway of the route, or the participant of the service.
static const char *
s_resolve (shep_server_t *self, const Egov__Envelope *envelope, const char **code, char *message, size_t size)
{
    if (*envelope->recipient_id) {
        if (s_registered (self, envelope->recipient_id))
            return envelope->recipient_id;
        *code = "UNKNOWN_RECIPIENT";
        snprintf (message, size, "%s is not a participant of the gateway", envelope->recipient_id);
        return NULL;
    }
    if (*envelope->route_id) {
        //  A route belongs to the participant granted it, connected or not
        char owner [SHEP_PARTICIPANT_ID_MAX + 1];
        if (shep_rights_route_owner (self->rights, envelope->route_id, owner, sizeof (owner))
        &&  s_registered (self, owner)) {
            zhashx_update (self->route_owner, envelope->route_id, owner);
            return (const char *) zhashx_lookup (self->route_owner, envelope->route_id);
        }
        *code = "NO_ROUTE";
        snprintf (message, size, "no regional gateway serves route %s", envelope->route_id);
        return NULL;
    }
    if (*envelope->service_id) {
        const char *owner = (const char *) zhashx_lookup (self->service_owner, envelope->service_id);
        if (owner)
            return owner;
        *code = "NO_PROVIDER";
        snprintf (message, size, "no participant receives async messages for service %s", envelope->service_id);
        return NULL;
    }
    *code = "MALFORMED_ENVELOPE";
    snprintf (message, size, "an async message needs a recipient_id, route_id or service_id");
    return NULL;
}

//  The recipient as an in_order sender orders its messages: the recipient
//  id, else the route, else the service (on the stack, in key).
static const char *
s_order_key (const Egov__Envelope *envelope, char *key, size_t size)
{
    if (*envelope->recipient_id)
        snprintf (key, size, "%s", envelope->recipient_id);
    else
    if (*envelope->route_id)
        snprintf (key, size, "route:%s", envelope->route_id);
    else
        snprintf (key, size, "service:%s", envelope->service_id);
    return key;
}

//  An in_order submission refused for now: the later ones of the same
//  connection to the same recipient wait until it comes again.
static void
s_hold (s_peer_t *peer, const char *order_key, const char *message_id)
{
    if (order_key && !zhashx_lookup (peer->held, order_key)) {
        char *held = strdup (message_id);
        assert (held);
        zhashx_insert (peer->held, order_key, held);
    }
}

static void
s_on_async_submit (shep_server_t *self, s_peer_t *peer, Egov__Shep__Frame *frame)
{
    Egov__Envelope *envelope = frame->async_submit->envelope;
    char reason [200];
    if (!s_valid_envelope (envelope, reason, sizeof (reason))) {
        s_send_error (self, peer->routing_id, frame->tag, "MALFORMED_ENVELOPE", reason,
                      envelope ? envelope->message_id : NULL, NULL);
        return;
    }
    char key [SHEP_PARTICIPANT_ID_MAX + 160];
    const char *order_key = frame->async_submit->in_order
                          ? s_order_key (envelope, key, sizeof (key)) : NULL;
    if (order_key) {
        const char *held = (const char *) zhashx_lookup (peer->held, order_key);
        if (held && !streq (held, envelope->message_id)) {
            snprintf (reason, sizeof (reason), "message %.40s to %.60s came first and was not taken;"
                      " submit it again before this one", held, order_key);
            s_send_error (self, peer->routing_id, frame->tag, "OUT_OF_ORDER", reason,
                          envelope->message_id, NULL);
            return;
        }
        if (held)
            zhashx_delete (peer->held, order_key);
    }
    const char *code = NULL;
    const char *recipient = s_resolve (self, envelope, &code, reason, sizeof (reason));
    if (!recipient) {
        s_hold (peer, order_key, envelope->message_id);
        s_send_error (self, peer->routing_id, frame->tag, code, reason, envelope->message_id, NULL);
        return;
    }
    if (!s_allowed (self, peer, frame->tag, SHEP_RIGHT_SEND, recipient, envelope->service_id,
                    envelope->message_id)) {
        s_hold (peer, order_key, envelope->message_id);
        return;
    }
    if (self->queued >= self->config.max_queued) {
        s_hold (peer, order_key, envelope->message_id);
        snprintf (reason, sizeof (reason), "%zu async messages wait for a commit, the gateway's limit", self->queued);
        s_send_error (self, peer->routing_id, frame->tag, "QUEUE_FULL", reason, envelope->message_id, NULL);
        return;
    }
    //  Bytes too: one message always goes, so the largest allowed does
    size_t size = egov__envelope__get_packed_size (envelope);
    if (self->queued > 0 && self->queued_bytes + size > self->config.max_queued_bytes) {
        s_hold (peer, order_key, envelope->message_id);
        snprintf (reason, sizeof (reason), "%zu bytes of async messages wait for a commit, the gateway's"
                  " limit is %u", self->queued_bytes, self->config.max_queued_bytes);
        s_send_error (self, peer->routing_id, frame->tag, "QUEUE_FULL", reason, envelope->message_id, NULL);
        return;
    }
    egov_string_set (&envelope->sender_id, peer->id);
    if (!*envelope->correlation_id)
        egov_string_set (&envelope->correlation_id, envelope->message_id);
    uint32_t ttl_ms = frame->async_submit->ttl_ms ? frame->async_submit->ttl_ms : self->config.async_ttl_ms;
    frame->async_submit->envelope = NULL;       //  the submission keeps it
    shep_submit_t *submit = shep_submit_new (envelope, recipient, ttl_ms, zframe_dup (peer->routing_id),
                                             frame->tag);
    if (order_key) {
        submit->order_key = strdup (order_key);
        assert (submit->order_key);
    }
    zlistx_add_end (self->batch->submits, submit);
    self->queued++;
    self->queued_bytes += submit->packed_size;
}

static void
s_on_ack (shep_server_t *self, s_peer_t *peer, Egov__Shep__Frame *frame)
{
    Egov__Shep__Ack *ack = frame->ack;
    if (!peer->serving) {
        s_send_error (self, peer->routing_id, frame->tag, "ACCESS_DENIED",
                      "only the connection that receives a participant's deliveries acknowledges them", NULL, NULL);
        return;
    }
    if (!egov_uuid_valid (ack->message_id)) {
        s_send_error (self, peer->routing_id, frame->tag, "MALFORMED_FRAME",
                      "an acknowledgement needs the message_id", NULL, NULL);
        return;
    }
    s_flight_t *flight = (s_flight_t *) zhashx_lookup (peer->in_flight, ack->message_id);
    Egov__DeliveryStatus status = ack->reject ? EGOV__DELIVERY_STATUS__DELIVERY_STOPPED
                                              : EGOV__DELIVERY_STATUS__DELIVERED;
    if (flight) {
        if (ack->reject)
            self->counts.async_stopped++;
        else
            self->counts.async_delivered++;
    }
    zlistx_add_end (self->batch->finals, shep_final_new (
        ack->message_id, peer->id, status,
        ack->reject ? ack->reject->code : NULL, ack->reject ? ack->reject->message : NULL,
        flight ? flight->attempts : 1));
    if (flight) {
        s_log (self, "async", flight->envelope, peer->id, flight->envelope->sender_id,
               egov_delivery_status_name (status));
        zhashx_delete (peer->in_flight, ack->message_id);
    }
    s_peer_feed (self, peer);
}

//  The store finished a batch: answer the submitters, deliver what is new.
//  The peer of a routing id, NULL when it is gone.
static s_peer_t *
s_peer_of (shep_server_t *self, zframe_t *routing_id)
{
    if (!routing_id)
        return NULL;
    char *key = zframe_strhex (routing_id);
    s_peer_t *peer = (s_peer_t *) zhashx_lookup (self->peers_by_key, key);
    free (key);
    return peer;
}

//  The store could not take in_order submissions: their senders' later ones
//  to the same recipients, still in the batch being gathered, are refused
//  too (OUT_OF_ORDER), so that nothing of theirs is stored ahead of them.
static void
s_hold_failed (shep_server_t *self, shep_batch_t *batch)
{
    bool held = false;
    for (shep_submit_t *submit = (shep_submit_t *) zlistx_first (batch->submits); submit;
         submit = (shep_submit_t *) zlistx_next (batch->submits)) {
        s_peer_t *peer = submit->order_key ? s_peer_of (self, submit->requester) : NULL;
        if (peer) {
            s_hold (peer, submit->order_key, submit->envelope->message_id);
            held = true;
        }
    }
    if (!held)
        return;
    shep_submit_t *submit = (shep_submit_t *) zlistx_first (self->batch->submits);
    while (submit) {
        s_peer_t *peer = submit->order_key ? s_peer_of (self, submit->requester) : NULL;
        const char *first = peer ? (const char *) zhashx_lookup (peer->held, submit->order_key) : NULL;
        if (first && !streq (first, submit->envelope->message_id)) {
            char reason [200];
            snprintf (reason, sizeof (reason), "message %.40s to %.60s came first and was not taken;"
                      " submit it again before this one", first, submit->order_key);
            s_send_error (self, submit->requester, submit->tag, "OUT_OF_ORDER", reason,
                          submit->envelope->message_id, NULL);
            self->queued--;
            self->queued_bytes -= submit->packed_size;
            zlistx_delete (self->batch->submits, zlistx_cursor (self->batch->submits));
            submit = (shep_submit_t *) zlistx_next (self->batch->submits);
            //  zlistx_delete leaves the cursor before the next item
            continue;
        }
        submit = (shep_submit_t *) zlistx_next (self->batch->submits);
    }
}

//  Moves what a failed batch held that nobody will send again into the
//  batch being gathered, ahead of what came since: recipients' acknowledgements
//  (dropped, their messages would stay ON_DELIVERY though delivered), log
//  records and hellos. Submissions are refused (their senders send them again)
//  and clock changes answered with an error.
static void
s_carry_over (shep_server_t *self, shep_batch_t *batch)
{
    zlistx_t **lists [][2] = {
        { &batch->entries, &self->batch->entries },
        { &batch->finals, &self->batch->finals },
        { &batch->registrations, &self->batch->registrations } };
    for (size_t index = 0; index < sizeof (lists) / sizeof (lists [0]); index++) {
        zlistx_t **failed = lists [index][0], **gathering = lists [index][1];
        while (zlistx_size (*gathering))
            zlistx_add_end (*failed, zlistx_detach (*gathering, NULL));
        zlistx_t *swap = *gathering;
        *gathering = *failed;
        *failed = swap;
    }
    s_log_bound (self);
}

static void
s_on_batch (shep_server_t *self, shep_batch_t *batch)
{
    self->batches_out--;
    self->counts.store_failing = batch->failed;
    self->store_retry_at = 0;
    if (batch->failed) {
        self->counts.store_failures++;
        s_hold_failed (self, batch);
        s_carry_over (self, batch);
        //  Each try writes everything carried over again: wait longer each time
        self->store_retry_ms = self->store_retry_ms ? self->store_retry_ms * 2 : SHEP_STORE_RETRY_MS;
        if (self->store_retry_ms > SHEP_STORE_RETRY_MAX_MS)
            self->store_retry_ms = SHEP_STORE_RETRY_MAX_MS;
        self->store_retry_at = zclock_mono () + self->store_retry_ms;
    }
    else
        self->store_retry_ms = 0;
    //  A submission found stored already (a resend, or this batch's commit
    //  that succeeded before its connection was lost) has no queue position
    //  here: its recipient's queue is read from the database, so that a later
    //  message dispatched from memory cannot move the cursor past it
    for (shep_submit_t *submit = (shep_submit_t *) zlistx_first (batch->submits); submit;
         submit = (shep_submit_t *) zlistx_next (batch->submits))
        if (!submit->failed && submit->seq == 0
        &&  submit->status == EGOV__DELIVERY_STATUS__ON_DELIVERY) {
            s_peer_t *peer = (s_peer_t *) zhashx_lookup (self->peers_by_id, submit->recipient_id);
            if (peer && peer->receive_async)
                peer->backlog = true;
        }
    for (shep_submit_t *submit = (shep_submit_t *) zlistx_first (batch->submits); submit;
         submit = (shep_submit_t *) zlistx_next (batch->submits)) {
        self->queued--;
        self->queued_bytes -= submit->packed_size;
        Egov__ErrorInfo error = EGOV__ERROR_INFO__INIT;
        Egov__Shep__AsyncReceipt receipt = EGOV__SHEP__ASYNC_RECEIPT__INIT;
        receipt.message_id = submit->envelope->message_id;
        receipt.status = submit->status;
        if (submit->failed) {
            error.code = "STORE_UNAVAILABLE";
            error.message = "the gateway could not store the message; send it again";
            receipt.error = &error;
            receipt.status = EGOV__DELIVERY_STATUS__DELIVERY_STATUS_UNSPECIFIED;
        }
        Egov__Shep__Frame out = EGOV__SHEP__FRAME__INIT;
        out.body_case = EGOV__SHEP__FRAME__BODY_ASYNC_RECEIPT;
        out.async_receipt = &receipt;
        out.tag = submit->tag;
        if (submit->requester)
            s_send (self, submit->requester, &out);
        if (!submit->failed && submit->seq > 0) {
            self->counts.async_stored++;
            s_dispatch (self, submit);
        }
    }
    s_on_clock_committed (self, batch);
    shep_batch_destroy (&batch);
}

//  ---------------------------------------------------------------------
//  The simulation clock

//  Sends the clock to one peer (tag answers a query; 0 announces a change).
static void
s_send_clock (shep_server_t *self, zframe_t *routing_id, uint64_t tag)
{
    egov_clock_state_t state = egov_clock_state ();
    Egov__Shep__ClockState body = EGOV__SHEP__CLOCK_STATE__INIT;
    body.base_wall_ms = state.base_wall_ms;
    body.base_sim_ms = state.base_sim_ms;
    body.speed = state.speed;
    body.version = state.version;
    body.changed_by = self->clock_changed_by ? self->clock_changed_by : "";
    Egov__Shep__Frame out = EGOV__SHEP__FRAME__INIT;
    out.body_case = EGOV__SHEP__FRAME__BODY_CLOCK_STATE;
    out.clock_state = &body;
    out.tag = tag;
    s_send (self, routing_id, &out);
}

//  A request to set, advance, speed up or reset the clock: checked here,
//  committed with the next batch, then announced to every participant.
static void
s_on_clock_set (shep_server_t *self, s_peer_t *peer, Egov__Shep__Frame *frame)
{
    if (!s_allowed (self, peer, frame->tag, SHEP_RIGHT_CLOCK, NULL, NULL, NULL))
        return;
    Egov__Shep__ClockSet *set = frame->clock_set;
    egov_clock_state_t base = self->clock_changing ? self->clock_next : egov_clock_state ();
    int64_t wall = egov_now_ms ();
    int64_t current = egov_clock_state_at (&base, wall);
    int kinds = (set->set_sim_ms != 0) + (set->advance_ms != 0) + set->speed_only + set->real;
    const char *problem = NULL;
    if (kinds != 1)
        problem = "say exactly one of: set a time, advance, change the speed, back to real time";
    else
    if (!(set->speed >= 0 && set->speed <= EGOV_CLOCK_SPEED_MAX))
        problem = "speed must be between 0 (paused) and 1000000";
    else
    if (set->advance_ms < 0)
        problem = "advance must be forward; set a time with force to go back";
    else
    //  Every process computes with the clock: a moment past the range would
    //  overflow their arithmetic, so it is refused here, before any sum
    if (set->set_sim_ms < EGOV_CLOCK_MIN_MS || set->set_sim_ms > EGOV_CLOCK_MAX_MS
    ||  set->advance_ms > EGOV_CLOCK_MAX_MS - current)
        problem = "the simulated time must stay between 1970 and the end of 9999";
    if (problem) {
        s_send_error (self, peer->routing_id, frame->tag, "INVALID_CLOCK", problem, NULL, NULL);
        return;
    }
    double speed = base.version ? base.speed : 1.0;
    int64_t target = current;
    if (set->set_sim_ms)
        target = set->set_sim_ms;
    else
    if (set->advance_ms)
        target = current + set->advance_ms;
    else
    if (set->real) {
        target = wall;
        speed = 1.0;
    }
    if (set->speed_only || set->speed > 0)
        speed = set->speed;
    if (target < current && !set->force) {
        s_send_error (self, peer->routing_id, frame->tag, "CLOCK_BACKWARDS",
                      "that moves the simulated time backwards; timers already fired would not fire again (use force)",
                      NULL, NULL);
        return;
    }
    egov_clock_state_t next = { wall, target, speed, base.version + 1 };
    assert (egov_clock_state_valid (&next));
    self->clock_next = next;
    self->clock_changing = true;
    zlistx_add_end (self->batch->clock_changes,
        shep_clock_change_new (next, peer->id, zframe_dup (peer->routing_id), frame->tag));
}

//  Clock changes committed: adopt, announce to everyone, answer the askers.
static void
s_on_clock_committed (shep_server_t *self, shep_batch_t *batch)
{
    for (shep_clock_change_t *change = (shep_clock_change_t *) zlistx_first (batch->clock_changes); change;
         change = (shep_clock_change_t *) zlistx_next (batch->clock_changes)) {
        if (batch->failed) {
            s_send_error (self, change->requester, change->tag, "STORE_UNAVAILABLE",
                          "the clock change could not be saved; nothing changed", NULL, NULL);
            continue;
        }
        egov_clock_apply (&change->state);
        free (self->clock_changed_by);
        self->clock_changed_by = strdup (change->changed_by);
        char text [40];
        egov_clock_format (egov_clock_now_ms (), text, sizeof (text));
        zsys_info ("shep: clock set by %s: %s at speed %g", change->changed_by, text, change->state.speed);
        s_send_clock (self, change->requester, change->tag);
        for (s_peer_t *peer = (s_peer_t *) zhashx_first (self->peers_by_key); peer;
             peer = (s_peer_t *) zhashx_next (self->peers_by_key))
            s_send_clock (self, peer->routing_id, 0);
    }
    if (zlistx_size (batch->clock_changes)) {
        shep_clock_change_t *last = (shep_clock_change_t *) zlistx_last (batch->clock_changes);
        if (batch->failed || last->state.version >= self->clock_next.version)
            self->clock_changing = false;
    }
}

//  ---------------------------------------------------------------------
//  Queries

static void
s_on_participants (shep_server_t *self, s_peer_t *peer, Egov__Shep__Frame *frame)
{
    size_t count = zhashx_size (self->peers_by_id);
    Egov__Shep__Participant *items = (Egov__Shep__Participant *) calloc (count + 1, sizeof (*items));
    Egov__Shep__Participant **pointers = (Egov__Shep__Participant **) calloc (count + 1, sizeof (void *));
    char ***arrays = (char ***) calloc (2 * count + 2, sizeof (char **));
    assert (items && pointers && arrays);
    size_t index = 0;
    int64_t now_mono = zclock_mono (), now_wall = egov_now_ms ();
    for (s_peer_t *each = (s_peer_t *) zhashx_first (self->peers_by_id); each;
         each = (s_peer_t *) zhashx_next (self->peers_by_id), index++) {
        Egov__Shep__Participant *item = &items [index];
        egov__shep__participant__init (item);
        item->participant_id = each->id;
        item->connected_at = each->connected_at;
        item->last_seen = now_wall - (now_mono - each->last_seen);
        item->receive_async = each->receive_async;
        item->in_flight = (uint32_t) zhashx_size (each->in_flight);
        item->n_services = zlist_size (each->services);
        item->services = arrays [2 * index] = (char **) calloc (item->n_services + 1, sizeof (char *));
        size_t position = 0;
        for (char *service = (char *) zlist_first (each->services); service;
             service = (char *) zlist_next (each->services))
            item->services [position++] = service;
        item->n_routes = zlist_size (each->routes);
        item->routes = arrays [2 * index + 1] = (char **) calloc (item->n_routes + 1, sizeof (char *));
        position = 0;
        for (char *route = (char *) zlist_first (each->routes); route;
             route = (char *) zlist_next (each->routes))
            item->routes [position++] = route;
        pointers [index] = item;
    }
    Egov__Shep__ParticipantsReply reply = EGOV__SHEP__PARTICIPANTS_REPLY__INIT;
    reply.gateway_id = self->gateway_id;
    reply.started_at = self->started_at;
    reply.n_participants = count;
    reply.participants = pointers;
    Egov__Shep__Frame out = EGOV__SHEP__FRAME__INIT;
    out.body_case = EGOV__SHEP__FRAME__BODY_PARTICIPANTS_REPLY;
    out.participants_reply = &reply;
    out.tag = frame->tag;
    s_send (self, peer->routing_id, &out);
    for (index = 0; index < 2 * count; index++)
        free (arrays [index]);
    free (arrays);
    free (pointers);
    free (items);
}

//  Hands a query frame to the store; the answer goes back to the peer.
static void
s_on_query (shep_server_t *self, s_peer_t *peer, Egov__Shep__Frame **frame_p, shep_job_kind_t kind)
{
    Egov__Shep__Frame *frame = *frame_p;
    if (kind == SHEP_JOB_STATUS && !egov_uuid_valid (frame->status_query->message_id)) {
        s_send_error (self, peer->routing_id, frame->tag, "MALFORMED_FRAME",
                      "a status query needs a message_id (UUID)", NULL, NULL);
        return;
    }
    //  The log is for those granted it; a status, for the message's sender
    //  and recipient too
    bool reader = shep_rights_allows (self->rights, peer->id, SHEP_RIGHT_LOG, NULL, NULL);
    if (kind != SHEP_JOB_STATUS && !s_allowed (self, peer, frame->tag, SHEP_RIGHT_LOG, NULL, NULL, NULL))
        return;
    shep_job_t *job = shep_job_new (kind);
    if (!reader)
        job->asker = strdup (peer->id);
    job->requester = zframe_dup (peer->routing_id);
    job->tag = frame->tag;
    job->query = frame;
    *frame_p = NULL;            //  the job keeps it
    s_send_job (self, job);
}

static void
s_on_job (shep_server_t *self, shep_job_t *job)
{
    if (job->kind == SHEP_JOB_LOAD)
        s_on_loaded (self, job);
    else
    if (job->kind == SHEP_JOB_EXPIRE) {
        self->expiring = false;
        //  The once-a-second expiry is also what tells /health the database's state
        //  when no message is being stored
        self->counts.store_failing = job->failed;
        for (shep_final_t *expired = (shep_final_t *) zlistx_first (job->expired); expired;
             expired = (shep_final_t *) zlistx_next (job->expired)) {
            s_peer_t *peer = (s_peer_t *) zhashx_lookup (self->peers_by_id, expired->recipient_id);
            if (!peer)
                continue;
            //  Given up: neither in flight nor waiting any more, and its room
            //  in the window goes to the next
            zhashx_delete (peer->in_flight, expired->message_id);
            for (s_flight_t *waiting = (s_flight_t *) zlistx_first (peer->waiting); waiting;
                 waiting = (s_flight_t *) zlistx_next (peer->waiting))
                if (streq (waiting->envelope->message_id, expired->message_id)) {
                    zlistx_delete (peer->waiting, zlistx_cursor (peer->waiting));
                    break;
                }
            s_peer_feed (self, peer);
        }
        if (zlistx_size (job->expired))
            zsys_info ("shep: %zu async messages not delivered within their time to live",
                       zlistx_size (job->expired));
    }
    else
    if (job->answer && job->requester) {
        zmsg_t *msg = zmsg_new ();
        zmsg_append (msg, &job->requester);
        zmsg_append (msg, &job->answer);
        if (zmsg_send (&msg, self->router))
            zmsg_destroy (&msg);
    }
    shep_job_destroy (&job);
}

//  ---------------------------------------------------------------------
//  The reactor

//  Serves one message from the router: its routing id, its body and
//  whether more parts came after the body (taking the frames).
static void
s_handle (shep_server_t *self, zframe_t *routing_id, zframe_t *body, bool more)
{
    if (!routing_id || !body || more) {
        if (routing_id && body)
            s_send_error (self, routing_id, 0, "MALFORMED_FRAME", "one protobuf frame per message", NULL, NULL);
        zframe_destroy (&routing_id);
        zframe_destroy (&body);
        return;
    }
    if (zframe_size (body) > self->config.max_message_size) {
        char message [128];
        snprintf (message, sizeof (message), "a message of %zu bytes exceeds the limit of %u",
                  zframe_size (body), self->config.max_message_size);
        s_send_error (self, routing_id, 0, "MESSAGE_TOO_LARGE", message, NULL, NULL);
        zframe_destroy (&routing_id);
        zframe_destroy (&body);
        return;
    }
    Egov__Shep__Frame *frame = egov__shep__frame__unpack (NULL, zframe_size (body), zframe_data (body));
    //  zauth put the participant its CURVE key is bound to on every frame;
    //  the body keeps it until the frame is served
    const char *key_owner = zframe_meta (body, SHEP_KEYS_PARTICIPANT);
    //  The routing id in hex (as zframe_strhex writes it), on the stack: a
    //  routing id has at most 255 bytes
    static const char hex [] = "0123456789ABCDEF";
    char key [2 * 255 + 1];
    size_t key_size = zframe_size (routing_id) < 255 ? zframe_size (routing_id) : 255;
    const byte *routing_bytes = zframe_data (routing_id);
    for (size_t index = 0; index < key_size; index++) {
        key [2 * index] = hex [routing_bytes [index] >> 4];
        key [2 * index + 1] = hex [routing_bytes [index] & 15];
    }
    key [2 * key_size] = 0;
    if (!frame || frame->body_case == EGOV__SHEP__FRAME__BODY__NOT_SET) {
        s_send_error (self, routing_id, frame ? frame->tag : 0, "MALFORMED_FRAME",
                      "the frame is not a valid egov.shep.Frame", NULL, NULL);
        goto cleanup;
    }
    //  A frame against egov_proto's rules stops here, before it reaches the
    //  store or a peer: PostgreSQL would refuse text that is not UTF-8 and
    //  fail every message of the same commit, and a field numbered 0 would
    //  be relayed or stored as bytes nobody can decode
    char path [96];
    egov_proto_fault_t fault = egov_proto_check (&frame->base, 0, path, sizeof (path));
    if (fault != EGOV_PROTO_VALID) {
        char message [160];
        snprintf (message, sizeof (message), "the frame is not a valid egov.shep.Frame: %s %s",
                  path, egov_proto_fault_text (fault));
        s_send_error (self, routing_id, frame->tag, "MALFORMED_FRAME", message, NULL, NULL);
        goto cleanup;
    }
    if (frame->body_case == EGOV__SHEP__FRAME__BODY_HELLO) {
        s_on_hello (self, routing_id, key, key_owner, frame);
        goto cleanup;
    }
    s_peer_t *peer = (s_peer_t *) zhashx_lookup (self->peers_by_key, key);
    if (!peer) {
        s_send_error (self, routing_id, frame->tag, "NOT_REGISTERED",
                      "say hello first: the gateway does not know this connection", NULL, NULL);
        goto cleanup;
    }
    peer->last_seen = zclock_mono ();
    switch (frame->body_case) {
        case EGOV__SHEP__FRAME__BODY_HEARTBEAT:
            s_send (self, routing_id, frame);
            break;
        case EGOV__SHEP__FRAME__BODY_SYNC_REQUEST:
            s_on_sync_request (self, peer, frame);
            break;
        case EGOV__SHEP__FRAME__BODY_SYNC_REPLY:
            s_on_sync_reply (self, peer, frame);
            break;
        case EGOV__SHEP__FRAME__BODY_REFUSE:
            s_on_refuse (self, peer, frame);
            break;
        case EGOV__SHEP__FRAME__BODY_ASYNC_SUBMIT:
            s_on_async_submit (self, peer, frame);
            break;
        case EGOV__SHEP__FRAME__BODY_ACK:
            s_on_ack (self, peer, frame);
            break;
        case EGOV__SHEP__FRAME__BODY_STATUS_QUERY:
            s_on_query (self, peer, &frame, SHEP_JOB_STATUS);
            break;
        case EGOV__SHEP__FRAME__BODY_LOG_QUERY:
            s_on_query (self, peer, &frame, SHEP_JOB_LOG);
            break;
        case EGOV__SHEP__FRAME__BODY_LOG_VERIFY:
            s_on_query (self, peer, &frame, SHEP_JOB_VERIFY);
            break;
        case EGOV__SHEP__FRAME__BODY_PARTICIPANTS_QUERY:
            s_on_participants (self, peer, frame);
            break;
        case EGOV__SHEP__FRAME__BODY_CLOCK_QUERY:
            s_send_clock (self, routing_id, frame->tag);
            break;
        case EGOV__SHEP__FRAME__BODY_CLOCK_SET:
            s_on_clock_set (self, peer, frame);
            break;
        case EGOV__SHEP__FRAME__BODY_FAULT_ADD:
        case EGOV__SHEP__FRAME__BODY_FAULT_CLEAR:
            s_on_fault (self, peer, &frame);
            break;
        case EGOV__SHEP__FRAME__BODY_FAULT_LIST:
            if (s_allowed (self, peer, frame->tag, SHEP_RIGHT_FAULT, NULL, NULL, NULL))
                s_send_faults (self, routing_id, frame->tag);
            break;
        case EGOV__SHEP__FRAME__BODY_GOODBYE:
            s_peer_forget (self, peer);
            break;
        default:
            s_send_error (self, routing_id, frame->tag, "MALFORMED_FRAME",
                          "participants do not send this kind of frame", NULL, NULL);
    }
cleanup:
    if (frame)
        egov__shep__frame__free_unpacked (frame, NULL);
    zframe_destroy (&body);
    zframe_destroy (&routing_id);
}

//  Reads everything the router holds (up to a bound), then commits. The
//  router does not wait (receive timeout 0), so a read past the last
//  message costs no system call, as asking for the socket's events would.
static int
s_router_ready (zloop_t *loop, zsock_t *router, void *argument)
{
    (void) loop;
    shep_server_t *self = (shep_server_t *) argument;
    zframe_t *routing_id;
    for (int count = 0; count < 2000 && (routing_id = zframe_recv (router)); count++) {
        zframe_t *body = zsock_rcvmore (router) ? zframe_recv (router) : NULL;
        bool more = false;
        while (zsock_rcvmore (router)) {
            zframe_t *part = zframe_recv (router);
            zframe_destroy (&part);
            more = true;
        }
        s_handle (self, routing_id, body, more);
    }
    s_flush (self, false);
    return 0;
}

static int
s_store_ready (zloop_t *loop, zsock_t *pipe, void *argument)
{
    (void) loop;
    shep_server_t *self = (shep_server_t *) argument;
    char *command = NULL;
    void *pointer = NULL;
    if (zsock_recv (pipe, "sp", &command, &pointer) == -1)
        return -1;
    if (streq (command, "BATCH"))
        s_on_batch (self, (shep_batch_t *) pointer);
    else
    if (streq (command, "JOB")) {
        self->jobs_out--;
        s_on_job (self, (shep_job_t *) pointer);
    }
    zstr_free (&command);
    s_flush (self, false);
    return 0;
}

static int
s_tick_fast (zloop_t *loop, int timer_id, void *argument)
{
    (void) loop; (void) timer_id;
    shep_server_t *self = (shep_server_t *) argument;
    s_release_held (self);
    s_expire_calls (self);
    s_flush (self, false);
    return 0;
}

//  Once a second: drop silent participants, redeliver, expire old messages.
static int
s_tick_slow (zloop_t *loop, int timer_id, void *argument)
{
    (void) loop; (void) timer_id;
    shep_server_t *self = (shep_server_t *) argument;
    int64_t now = zclock_mono ();
    zlist_t *silent = zlist_new ();
    for (s_peer_t *peer = (s_peer_t *) zhashx_first (self->peers_by_key); peer;
         peer = (s_peer_t *) zhashx_next (self->peers_by_key)) {
        if (now - peer->last_seen > 3 * (int64_t) peer->heartbeat_ms) {
            zlist_append (silent, peer);
            continue;
        }
        //  Due ones first: a fault may end a delivery, which changes the table
        zlist_t *due = zlist_new ();
        for (s_flight_t *flight = (s_flight_t *) zhashx_first (peer->in_flight); flight;
             flight = (s_flight_t *) zhashx_next (peer->in_flight))
            if (flight->held_until ? now >= flight->held_until
                                   : now - flight->sent_at >= self->config.redeliver_ms)
                zlist_append (due, flight);
        for (s_flight_t *flight = (s_flight_t *) zlist_first (due); flight;
             flight = (s_flight_t *) zlist_next (due))
            s_deliver (self, peer, flight);
        zlist_destroy (&due);
        //  Fills what room there is, and asks again for a backlog whose last
        //  load failed
        s_peer_feed (self, peer);
    }
    for (s_peer_t *peer = (s_peer_t *) zlist_first (silent); peer; peer = (s_peer_t *) zlist_next (silent)) {
        zsys_info ("shep: participant %s vanished (no heartbeat for %u ms)", peer->id, 3 * peer->heartbeat_ms);
        s_peer_forget (self, peer);
    }
    zlist_destroy (&silent);
    s_rights_refresh (self);
    //  Not while acknowledgements wait for the store to try again: their
    //  messages would expire though delivered
    if (!self->expiring && !s_store_waiting (self)) {
        shep_job_t *job = shep_job_new (SHEP_JOB_EXPIRE);
        job->limit = 1000;
        self->expiring = true;
        s_send_job (self, job);
    }
    s_flush (self, false);
    return 0;
}

void
shep_config_defaults (shep_config_t *config)
{
    memset (config, 0, sizeof (*config));
    config->endpoint = "tcp://127.0.0.1:7700";
    config->conninfo = "dbname=shep";
    config->max_message_size = 1024 * 1024;
    config->heartbeat_ms = 1000;
    config->sync_timeout_ms = 5000;
    config->sync_timeout_max_ms = 60000;
    config->async_ttl_ms = 24 * 3600 * 1000;
    config->redeliver_ms = 5000;
    config->window = 256;
    config->max_calls = 50000;
    config->max_queued = 20000;
    config->max_queued_bytes = 16 * 1024 * 1024;
}

//  A gateway whose database has never kept a clock starts it at the moment
//  of --clock-start, at real speed, and saves it like any change, so the
//  whole system runs "as of" that moment and a restart keeps it.
static bool
s_clock_start (shep_server_t *self, PGconn *conn)
{
    egov_clock_state_t state = { egov_now_ms (), self->config.clock_start_ms, 1.0, 1 };
    char wall [32], sim [32], version [32];
    snprintf (wall, sizeof (wall), "%" PRId64, state.base_wall_ms);
    snprintf (sim, sizeof (sim), "%" PRId64, state.base_sim_ms);
    snprintf (version, sizeof (version), "%" PRIu64, state.version);
    const char *values [] = { wall, sim, version };
    PGresult *result = egov_db_params (conn,
        "INSERT INTO sim_clock (id, base_wall_ms, base_sim_ms, speed, version, changed_by) "
        "VALUES (1, $1, $2, 1, $3, '--clock-start') ON CONFLICT (id) DO NOTHING",
        3, NULL, values, NULL, NULL, 0);
    bool saved = egov_db_check (result, PGRES_COMMAND_OK, "starting the clock");
    PQclear (result);
    if (!saved)
        return false;
    egov_clock_apply (&state);
    self->clock_changed_by = strdup ("--clock-start");
    char text [40];
    egov_clock_format (state.base_sim_ms, text, sizeof (text));
    zsys_info ("the simulation clock starts at %s (--clock-start)", text);
    return true;
}

//  Loads who receives what from earlier runs, so async messages to a
//  participant that is down are still accepted and kept.
static bool
s_load_routing (shep_server_t *self)
{
    PGconn *conn = egov_db_connect (self->conninfo, 10000);
    if (!conn)
        return false;
    //  Who received async messages for a service, as long as the rights
    //  still let it provide the service (routes come from the rights alone)
    const char *queries [2] = {
        "SELECT participant_id, participant_id FROM participant",
        "SELECT service_id, participant_id FROM service_route"
    };
    zhashx_t *maps [2] = { self->known, self->service_owner };
    bool ok = true;
    for (int index = 0; index < 2 && ok; index++) {
        PGresult *result = PQexec (conn, queries [index]);
        ok = egov_db_check (result, PGRES_TUPLES_OK, queries [index]);
        for (int row = 0; ok && row < PQntuples (result); row++) {
            char *participant = PQgetvalue (result, row, 1);
            if (index == 0 ? s_registered (self, participant)
                           : shep_rights_allows (self->rights, participant, SHEP_RIGHT_PROVIDE,
                                                 PQgetvalue (result, row, 0), NULL))
                zhashx_update (maps [index], PQgetvalue (result, row, 0), participant);
        }
        PQclear (result);
    }
    //  The simulation clock as it was left
    PGresult *result = ok ? PQexec (conn, "SELECT base_wall_ms, base_sim_ms, speed, version, changed_by FROM sim_clock") : NULL;
    if (result && egov_db_check (result, PGRES_TUPLES_OK, "reading the clock") && PQntuples (result) == 1) {
        egov_clock_state_t state = {
            atoll (PQgetvalue (result, 0, 0)), atoll (PQgetvalue (result, 0, 1)),
            atof (PQgetvalue (result, 0, 2)), (uint64_t) atoll (PQgetvalue (result, 0, 3))
        };
        if (!egov_clock_state_valid (&state)) {
            //  Saved before the range was enforced: real time, under the
            //  saved version so that every participant adopts it
            zsys_warning ("shep: the saved simulation clock is out of range; it runs at real time until set");
            int64_t now = egov_now_ms ();
            state = (egov_clock_state_t) { now, now, 1.0, state.version };
        }
        egov_clock_apply (&state);
        self->clock_changed_by = strdup (PQgetvalue (result, 0, 4));
    }
    else
    if (result && PQresultStatus (result) == PGRES_TUPLES_OK && self->config.clock_start_set)
        ok = s_clock_start (self, conn);
    PQclear (result);
    PQfinish (conn);
    return ok;
}

//  ---------------------------------------------------------------------
//  GET /metrics and /health (--metrics)

//  The gateway's numbers: what /health shows and /metrics turns into gauges.
static json_t *
s_health (shep_server_t *self)
{
    size_t in_flight = 0, waiting = 0, receiving = 0;
    for (s_peer_t *peer = (s_peer_t *) zhashx_first (self->peers_by_key); peer;
         peer = (s_peer_t *) zhashx_next (self->peers_by_key)) {
        in_flight += zhashx_size (peer->in_flight);
        waiting += zlistx_size (peer->waiting);
        receiving += peer->receive_async;
    }
    return json_pack ("{s:s, s:s, s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}}",
        "status", self->counts.store_failing ? "degraded" : "ok",
        "database", self->counts.store_failing ? "failing" : "ok",
        "gateway",
        "connections", (json_int_t) zhashx_size (self->peers_by_key),
        "participants", (json_int_t) zhashx_size (self->peers_by_id),
        "receiving", (json_int_t) receiving,
        "sync_calls_total", (json_int_t) self->counts.sync_calls,
        "sync_answered_total", (json_int_t) self->counts.sync_answered,
        "sync_timeouts_total", (json_int_t) self->counts.sync_timeouts,
        "sync_answer_ms_sum", (json_int_t) self->counts.sync_latency_ms,
        "sync_waiting", (json_int_t) zhashx_size (self->calls),
        "async_stored_total", (json_int_t) self->counts.async_stored,
        "async_delivered_total", (json_int_t) self->counts.async_delivered,
        "async_stopped_total", (json_int_t) self->counts.async_stopped,
        "async_in_flight", (json_int_t) in_flight,
        "async_queued", (json_int_t) (waiting + self->queued),
        "store_failures_total", (json_int_t) self->counts.store_failures,
        "log_records_dropped_total", (json_int_t) self->counts.log_dropped,
        "faults", (json_int_t) zlistx_size (self->faults));
}

static json_t *
s_metrics (void *argument)
{
    return s_health ((shep_server_t *) argument);
}

static void
s_on_http (void *argument, egov_http_request_t *request)
{
    shep_server_t *self = (shep_server_t *) argument;
    egov_http_reply_t reply = { 0, NULL, NULL };
    if (!streq (request->url, "/health") && !streq (request->url, "/api/v1/health"))
        egov_http_reply_error (&reply, 404, "UNKNOWN_ROUTE", "the gateway serves GET /health and GET /metrics");
    else
    if (!streq (request->method, "GET"))
        egov_http_reply_not_allowed (&reply, request->method, "GET");
    else {
        json_t *health = s_health (self);
        egov_http_reply_set (&reply, self->counts.store_failing ? 503 : 200, health);
    }
    egov_http_answer (request, &reply);
    egov_http_reply_reset (&reply);
}

shep_server_t *
shep_server_new (const shep_config_t *config)
{
    shep_server_t *self = (shep_server_t *) zmalloc (sizeof (shep_server_t));
    assert (self);
    self->config = *config;
    self->conninfo = strdup (config->conninfo);
    self->started_at = egov_now_ms ();
    self->peers_by_key = zhashx_new ();
    zhashx_set_destructor (self->peers_by_key, (zhashx_destructor_fn *) s_peer_destroy);
    self->peers_by_id = zhashx_new ();
    self->providers = zhashx_new ();
    zhashx_set_destructor (self->providers, (zhashx_destructor_fn *) zlistx_destroy);
    self->known = zhashx_new ();
    self->service_owner = zhashx_new ();
    self->route_owner = zhashx_new ();
    zhashx_set_duplicator (self->known, (zhashx_duplicator_fn *) strdup);
    zhashx_set_destructor (self->known, (zhashx_destructor_fn *) zstr_free);
    zhashx_set_duplicator (self->service_owner, (zhashx_duplicator_fn *) strdup);
    zhashx_set_destructor (self->service_owner, (zhashx_destructor_fn *) zstr_free);
    zhashx_set_duplicator (self->route_owner, (zhashx_duplicator_fn *) strdup);
    zhashx_set_destructor (self->route_owner, (zhashx_destructor_fn *) zstr_free);
    self->calls = zhashx_new ();
    zhashx_set_destructor (self->calls, (zhashx_destructor_fn *) s_call_destroy);
    self->deadlines = zlistx_new ();
    zlistx_set_comparator (self->deadlines, s_compare_deadline);
    self->faults = zlistx_new ();
    zlistx_set_destructor (self->faults, s_fault_destroy);
    self->held = zlistx_new ();
    zlistx_set_comparator (self->held, s_compare_pointer);
    self->batch = shep_batch_new ();

    char problem [512];
    self->rights = shep_rights_load (config->rights, problem, sizeof (problem));
    if (!self->rights) {
        zsys_error ("shep: cannot use the access rights: %s", problem);
        shep_server_destroy (&self);
        return NULL;
    }
    egov_error_t error;
    zcert_t *cert = shep_keys_gateway (config->keys, &error);
    if (!cert) {
        zsys_error ("shep: %s", error.message);
        shep_server_destroy (&self);
        return NULL;
    }
    //  The message log's chain is keyed from our secret key
    shep_store_config_t store_config = { .conninfo = self->conninfo };
    shep_log_key (zcert_secret_key (cert), store_config.log_key);
    //  zauth answers every CURVE handshake: keys in the public folder only
    self->auth = zactor_new (zauth, NULL);
    assert (self->auth);
    char *trusted = shep_keys_public_dir (config->keys);
    zstr_sendx (self->auth, "CURVE", trusted, NULL);
    zsock_wait (self->auth);
    zstr_free (&trusted);

    if (!shep_store_setup (self->conninfo) || !s_load_routing (self)) {
        zcert_destroy (&cert);
        shep_server_destroy (&self);
        return NULL;
    }
    self->store = zactor_new (shep_store_actor, &store_config);
    sodium_memzero (store_config.log_key, sizeof (store_config.log_key));
    if (!self->store) {
        zcert_destroy (&cert);
        zsys_error ("shep: the store could not reach the database");
        shep_server_destroy (&self);
        return NULL;
    }
    self->router = zsock_new (ZMQ_ROUTER);
    assert (self->router);
    zsock_set_router_mandatory (self->router, 1);
    zcert_apply (cert, self->router);
    zcert_destroy (&cert);
    zsock_set_curve_server (self->router, 1);
    zsock_set_zap_domain (self->router, "egov");
    //  No handshake passes without zauth's answer
    zsock_set_zap_enforce_domain (self->router, 1);
    zsock_set_sndhwm (self->router, 200000);
    zsock_set_rcvhwm (self->router, 200000);
    zsock_set_sndtimeo (self->router, 0);
    //  Reads never wait: the loop drains what is there until none is left
    zsock_set_rcvtimeo (self->router, 0);
    zsock_set_linger (self->router, 0);
    //  The socket-level cap protects memory; the configured limit is checked
    //  per message so the sender hears MESSAGE_TOO_LARGE instead of a disconnect
    zsock_set_maxmsgsize (self->router, 16 * (int64_t) self->config.max_message_size + 4096);
    if (zsock_bind (self->router, "%s", config->endpoint) == -1) {
        zsys_error ("shep: cannot bind %s: %s", config->endpoint, zmq_strerror (zmq_errno ()));
        shep_server_destroy (&self);
        return NULL;
    }
    self->endpoint = zsock_last_endpoint (self->router);
    self->gateway_id = zsys_sprintf ("shep@%s", self->endpoint);
    if (config->metrics_address) {
        egov_http_config_t http_config = { 4096, 64, 10, 0, false, true, 0, 0 };
        self->http = egov_http_new (config->metrics_address, &http_config, s_on_http, self, &error);
        if (!self->http) {
            zsys_error ("shep: --metrics %s: %s", config->metrics_address, error.message);
            shep_server_destroy (&self);
            return NULL;
        }
        egov_http_set_metrics (self->http, s_metrics, self);
    }
    self->loop = zloop_new ();
    if (self->http)
        egov_http_attach (self->http, self->loop);
    zloop_reader (self->loop, self->router, s_router_ready, self);
    zloop_reader (self->loop, zactor_sock (self->store), s_store_ready, self);
    zloop_timer (self->loop, 5, 0, s_tick_fast, self);
    zloop_timer (self->loop, 1000, 0, s_tick_slow, self);
    return self;
}

void
shep_server_destroy (shep_server_t **self_p)
{
    assert (self_p);
    shep_server_t *self = *self_p;
    if (!self)
        return;
    zloop_destroy (&self->loop);
    egov_http_destroy (&self->http);
    //  Let the store finish what it holds (batches and jobs: an expiry
    //  started just before the stop, say), then stop it
    while (self->store && (self->batches_out > 0 || self->jobs_out > 0)) {
        char *command = NULL;
        void *pointer = NULL;
        if (zsock_recv (self->store, "sp", &command, &pointer) == -1)
            break;
        if (streq (command, "BATCH")) {
            shep_batch_t *batch = (shep_batch_t *) pointer;
            shep_batch_destroy (&batch);
            self->batches_out--;
        }
        else {
            shep_job_t *job = (shep_job_t *) pointer;
            shep_job_destroy (&job);
            self->jobs_out--;
        }
        zstr_free (&command);
    }
    zactor_destroy (&self->store);
    zsock_destroy (&self->router);
    zactor_destroy (&self->auth);
    shep_rights_destroy (&self->rights);
    zlistx_destroy (&self->held);
    zlistx_destroy (&self->deadlines);
    zhashx_destroy (&self->calls);
    zlistx_destroy (&self->faults);
    zhashx_destroy (&self->providers);
    zhashx_destroy (&self->peers_by_id);
    zhashx_destroy (&self->peers_by_key);
    zhashx_destroy (&self->known);
    zhashx_destroy (&self->service_owner);
    zhashx_destroy (&self->route_owner);
    shep_batch_destroy (&self->batch);
    free (self->endpoint);
    free (self->conninfo);
    free (self->gateway_id);
    free (self->clock_changed_by);
    free (self);
    *self_p = NULL;
}

//  A command to the gateway's actor: ENDPOINT answers the bound endpoint.
static int
s_on_command (void *argument, const char *command, zsock_t *pipe)
{
    shep_server_t *self = (shep_server_t *) argument;
    zstr_send (pipe, streq (command, "ENDPOINT") ? self->endpoint : "");
    return 0;
}

void
shep_server_actor (zsock_t *pipe, void *argument)
{
    shep_server_t *self = shep_server_new ((const shep_config_t *) argument);
    if (!self) {
        fprintf (stderr, "shep: cannot start (see the messages above)\n");
        egov_service_ready (pipe, false);
        return;
    }
    egov_service_ready (pipe, true);
    zsys_info ("shep: gateway %s ready", self->gateway_id);
    egov_service_serve (pipe, self->loop, s_on_command, self);
    //  Commit what is pending before leaving
    s_flush (self, true);
    shep_server_destroy (&self);
}

const char *
shep_server_endpoint (shep_server_t *self)
{
    return self->endpoint;
}

//  Runs a script on the test database; true when it worked.
static bool
s_test_exec (const char *base, const char *script)
{
    PGconn *conn = egov_db_connect (base, 5000);
    bool ok = conn && egov_db_exec_script (conn, script, "test gateway schema");
    PQfinish (conn);
    return ok;
}

int
shep_server_test_start (shep_server_test_t *self, const char *base, const char *schema)
{
    assert (self && base && schema);
    memset (self, 0, sizeof (*self));
    self->base = base;
    snprintf (self->schema, sizeof (self->schema), "%s", schema);
    snprintf (self->conninfo, sizeof (self->conninfo), "%s options='-c search_path=%s'",
              base, schema);
    char script [256];
    snprintf (script, sizeof (script), "DROP SCHEMA IF EXISTS %s CASCADE; CREATE SCHEMA %s",
              schema, schema);
    if (!s_test_exec (base, script))
        return -1;
    snprintf (self->keys, sizeof (self->keys), "/tmp/shep-test-keys-XXXXXX");
    if (!mkdtemp (self->keys) || shep_keys_init (self->keys, NULL, &(egov_error_t) { 0 })) {
        self->keys [0] = 0;
        return -1;
    }
    egov_repo_path (SHEP_RIGHTS_DEFAULT, self->rights, sizeof (self->rights));
    shep_config_defaults (&self->config);
    self->config.endpoint = "tcp://127.0.0.1:*";
    self->config.conninfo = self->conninfo;
    self->config.keys = self->keys;
    self->config.rights = self->rights;
    self->actor = egov_service_start (shep_server_actor, &self->config);
    if (!self->actor)
        return -1;
    zstr_send (self->actor, "ENDPOINT");
    self->endpoint = zstr_recv (self->actor);
    return self->endpoint ? 0 : -1;
}

int
shep_server_test_admit (shep_server_test_t *self, const char *participant_id)
{
    egov_error_t error;
    return shep_keys_create (self->keys, participant_id, NULL, &error);
}

//  Removes a folder of key files and the folder.
static void
s_test_remove_keys (const char *dir)
{
    const char *parts [] = { "private", "public" };
    for (size_t index = 0; index < 2; index++) {
        char path [PATH_MAX];
        snprintf (path, sizeof (path), "%s/%s", dir, parts [index]);
        zdir_t *folder = zdir_new (path, "-");
        zfile_t **files = folder ? zdir_flatten (folder) : NULL;
        for (size_t file = 0; files && files [file]; file++)
            zfile_remove (files [file]);
        zdir_flatten_free (&files);
        zdir_destroy (&folder);
        rmdir (path);
    }
    char path [PATH_MAX];
    snprintf (path, sizeof (path), "%s/gateway.key", dir);
    remove (path);
    snprintf (path, sizeof (path), "%s/gateway.key_secret", dir);
    remove (path);
    rmdir (dir);
}

void
shep_server_test_stop (shep_server_test_t *self)
{
    assert (self);
    zactor_destroy (&self->actor);
    zstr_free (&self->endpoint);
    if (*self->keys)
        s_test_remove_keys (self->keys);
    char script [128];
    snprintf (script, sizeof (script), "DROP SCHEMA IF EXISTS %s CASCADE", self->schema);
    s_test_exec (self->base, script);
}

void
shep_server_test (bool verbose)
{
    if (verbose)
        printf (" * shep_server: ");
    char reason [160];
    assert (!s_valid_envelope (NULL, reason, sizeof (reason)));
    Egov__Envelope *envelope = egov_envelope_new ("gbdfl.person", EGOV__MESSAGE_TYPE__REQUEST);
    assert (s_valid_envelope (envelope, reason, sizeof (reason)));
    envelope->message_type = 9;
    assert (!s_valid_envelope (envelope, reason, sizeof (reason)));
    envelope->message_type = EGOV__MESSAGE_TYPE__REQUEST;
    egov_string_set (&envelope->service_id, "bad service");
    assert (!s_valid_envelope (envelope, reason, sizeof (reason)));
    egov_string_set (&envelope->message_id, "123");
    assert (!s_valid_envelope (envelope, reason, sizeof (reason)));
    assert (streq (reason, "message_id must be a UUID"));
    egov__envelope__free_unpacked (envelope, NULL);
    assert (s_valid_name ("gbdfl", 64));
    assert (!s_valid_name ("", 64));
    assert (!s_valid_name ("a b", 64));
    assert (!s_valid_name ("x\n", 64));

    //  A whole gateway against a real database, when the runner gives one
    const char *conninfo = getenv ("EGOV_TEST_DB");
    if (conninfo) {
        shep_config_t config;
        shep_config_defaults (&config);
        config.endpoint = "tcp://127.0.0.1:*";
        config.conninfo = conninfo;
        char keys [] = "/tmp/shep-server-keys-XXXXXX", rights [PATH_MAX];
        assert (mkdtemp (keys));
        config.keys = keys;
        config.rights = egov_repo_path (SHEP_RIGHTS_DEFAULT, rights, sizeof (rights));
        //  No gateway without its key pair
        assert (shep_server_new (&config) == NULL);
        egov_error_t error;
        assert (shep_keys_init (keys, NULL, &error) == 0);
        shep_server_t *server = shep_server_new (&config);
        assert (server);
        assert (strneq (shep_server_endpoint (server), "tcp://127.0.0.1:*"));
        shep_server_destroy (&server);
        shep_server_destroy (&server);
        //  nor with rights it cannot read
        config.rights = "/nonexistent/rights.conf";
        assert (shep_server_new (&config) == NULL);
        s_test_remove_keys (keys);
    }
    else
    if (verbose)
        printf ("(skipped database part: EGOV_TEST_DB unset) ");
    if (verbose)
        printf ("OK\n");
}
