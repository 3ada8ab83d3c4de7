/*  shep_client — a participant's connection to the central gateway (ЭҮШ).
    See shep_client.h for the model; the gateway side is gateway/shep.  */
#include "shep_client.h"
#include "egov_clock.h"
#include "shep_keys.h"
#include "egov_proto.h"

#define SHEP_PROTOCOL_VERSION 1
#define SHEP_CLIENT_HEARTBEAT_MS 1000
#define SHEP_CLIENT_DEFAULT_MAX (1024 * 1024)

//  A reactor serving the client: what the reader and the timer call.
typedef struct {
    shep_client_frame_fn *handler;
    void *argument;
} s_attachment_t;

struct _shep_client_t {
    char *endpoint;              //  gateway endpoint, e.g. tcp://127.0.0.1:7700
    char *participant_id;        //  who we are to the gateway
    zlist_t *services;           //  service ids we provide (char *)
    zlist_t *routes;             //  route ids we serve (char *)
    bool receive_async;          //  ask the gateway to deliver async messages
    zsock_t *dealer;             //  our one socket to the gateway
    zlist_t *backlog;            //  frames read while a blocking call waited
    uint64_t next_tag;           //  tags for frames whose answers we match
    uint32_t heartbeat_ms;       //  heartbeat period the gateway expects
    uint32_t max_message_size;   //  largest frame the gateway takes
    int64_t last_sent;           //  monotonic ms of our last frame
    int64_t last_heard;          //  monotonic ms of the gateway's last frame
    bool welcomed;               //  the gateway has answered our hello
    int64_t last_hello;          //  monotonic ms of our last hello (opened without waiting)
    int hello_backoff_ms;        //  wait before the next hello while unanswered, 0: not opened
    s_attachment_t *attachment;  //  set once served from a reactor
    zcert_t *cert;               //  our CURVE key pair, NULL for a plain link
    char server_key [41];        //  the gateway's public key (Z85)
    bool replaced;               //  another connection with our key took our place
    char refused [48];           //  the code our last hello was refused with
};

shep_client_t *
shep_client_new (const char *endpoint, const char *participant_id)
{
    assert (endpoint && participant_id);
    shep_client_t *self = (shep_client_t *) zmalloc (sizeof (shep_client_t));
    assert (self);
    self->endpoint = strdup (endpoint);
    self->participant_id = strdup (participant_id);
    self->services = zlist_new ();
    self->routes = zlist_new ();
    self->backlog = zlist_new ();
    zlist_autofree (self->services);
    zlist_autofree (self->routes);
    self->next_tag = 1;
    self->heartbeat_ms = SHEP_CLIENT_HEARTBEAT_MS;
    self->max_message_size = SHEP_CLIENT_DEFAULT_MAX;
    return self;
}

int
shep_client_set_curve (shep_client_t *self, const zcert_t *cert, const char *server_key)
{
    assert (self && cert && server_key && !self->dealer);
    uint8_t binary [32];
    if (strlen (server_key) != 40 || !zmq_z85_decode (binary, server_key))
        return -1;
    zcert_destroy (&self->cert);
    self->cert = zcert_dup ((zcert_t *) cert);
    snprintf (self->server_key, sizeof (self->server_key), "%s", server_key);
    return 0;
}

int
shep_client_use_keys (shep_client_t *self, const char *dir, egov_error_t *error)
{
    char server_key [41];
    zcert_t *cert = shep_keys_participant (dir, self->participant_id, error);
    if (!cert || shep_keys_gateway_public (dir, server_key, error)) {
        zcert_destroy (&cert);
        return -1;
    }
    int rc = shep_client_set_curve (self, cert, server_key);
    zcert_destroy (&cert);
    if (rc)
        egov_error_set (error, "INVALID_KEY", "the gateway's public key in %s is not 40 characters of Z85", dir);
    return rc;
}

bool
shep_client_replaced (shep_client_t *self)
{
    return self->replaced;
}

void
shep_client_destroy (shep_client_t **self_p)
{
    assert (self_p);
    shep_client_t *self = *self_p;
    if (!self)
        return;
    Egov__Shep__Frame *frame;
    while ((frame = (Egov__Shep__Frame *) zlist_pop (self->backlog)))
        egov__shep__frame__free_unpacked (frame, NULL);
    zlist_destroy (&self->backlog);
    zlist_destroy (&self->services);
    zlist_destroy (&self->routes);
    zcert_destroy (&self->cert);
    if (self->dealer && self->welcomed) {
        //  Say goodbye so the gateway forgets us now, not after 3 heartbeats
        Egov__Shep__Goodbye goodbye = EGOV__SHEP__GOODBYE__INIT;
        Egov__Shep__Frame frame = EGOV__SHEP__FRAME__INIT;
        frame.body_case = EGOV__SHEP__FRAME__BODY_GOODBYE;
        frame.goodbye = &goodbye;
        zsock_set_linger (self->dealer, 200);
        shep_client_send (self, &frame);
    }
    zsock_destroy (&self->dealer);
    free (self->endpoint);
    free (self->participant_id);
    free (self->attachment);
    free (self);
    *self_p = NULL;
}

void
shep_client_provide (shep_client_t *self, const char *service_id)
{
    zlist_append (self->services, (void *) service_id);
}

void
shep_client_serve_route (shep_client_t *self, const char *route_id)
{
    zlist_append (self->routes, (void *) route_id);
}

void
shep_client_set_receive_async (shep_client_t *self, bool receive)
{
    self->receive_async = receive;
}

zsock_t *
shep_client_sock (shep_client_t *self)
{
    return self->dealer;
}

const char *
shep_client_id (shep_client_t *self)
{
    return self->participant_id;
}

bool
shep_client_pending (shep_client_t *self)
{
    return zlist_size (self->backlog) > 0;
}

int
shep_client_send (shep_client_t *self, const Egov__Shep__Frame *frame)
{
    if (!self->dealer)
        return -1;
    size_t size = egov__shep__frame__get_packed_size (frame);
    if (size > self->max_message_size) {
        zsys_warning ("shep_client: frame of %zu bytes exceeds the gateway's limit of %u",
                      size, self->max_message_size);
        return -1;
    }
    //  Packed here, not with egov_pb_frame: the size is known already, and
    //  measuring a frame walks all of it again
    zframe_t *packed = zframe_new (NULL, size);
    assert (packed);
    egov__shep__frame__pack (frame, zframe_data (packed));
    int rc = zframe_send (&packed, self->dealer, 0);
    if (rc == 0)
        self->last_sent = zclock_mono ();
    return rc;
}

//  Sends our hello: id, services, routes, async wish.
static int
s_send_hello (shep_client_t *self)
{
    Egov__Shep__Hello hello = EGOV__SHEP__HELLO__INIT;
    hello.participant_id = self->participant_id;
    hello.heartbeat_ms = SHEP_CLIENT_HEARTBEAT_MS;
    hello.protocol_version = SHEP_PROTOCOL_VERSION;
    hello.receive_async = self->receive_async;
    hello.n_services = zlist_size (self->services);
    hello.services = (char **) calloc (hello.n_services + 1, sizeof (char *));
    hello.n_routes = zlist_size (self->routes);
    hello.routes = (char **) calloc (hello.n_routes + 1, sizeof (char *));
    assert (hello.services && hello.routes);
    size_t index = 0;
    for (char *id = (char *) zlist_first (self->services); id; id = (char *) zlist_next (self->services))
        hello.services [index++] = id;
    index = 0;
    for (char *id = (char *) zlist_first (self->routes); id; id = (char *) zlist_next (self->routes))
        hello.routes [index++] = id;
    Egov__Shep__Frame frame = EGOV__SHEP__FRAME__INIT;
    frame.body_case = EGOV__SHEP__FRAME__BODY_HELLO;
    frame.hello = &hello;
    int rc = shep_client_send (self, &frame);
    free (hello.services);
    free (hello.routes);
    return rc;
}

//  Follows the gateway's simulation clock.
static void
s_adopt_clock (const Egov__Shep__ClockState *clock)
{
    egov_clock_state_t state = {
        clock->base_wall_ms, clock->base_sim_ms, clock->speed, clock->version
    };
    if (state.version > 0)
        egov_clock_apply (&state);
}

//  A heap Error frame answering tag, as the gateway would send it.
static Egov__Shep__Frame *
s_error_frame_new (uint64_t tag, const char *code, const char *message)
{
    Egov__ErrorInfo info = EGOV__ERROR_INFO__INIT;
    info.code = (char *) code;
    info.message = (char *) message;
    Egov__Shep__Error body = EGOV__SHEP__ERROR__INIT;
    body.error = &info;
    Egov__Shep__Frame frame = EGOV__SHEP__FRAME__INIT;
    frame.body_case = EGOV__SHEP__FRAME__BODY_ERROR;
    frame.error = &body;
    frame.tag = tag;
    zframe_t *packed = egov_pb_frame (&frame.base);
    Egov__Shep__Frame *copy = egov__shep__frame__unpack (NULL, zframe_size (packed), zframe_data (packed));
    zframe_destroy (&packed);
    assert (copy);
    return copy;
}

//  Keeps a frame against egov_proto's rules (text that is not UTF-8, a
//  field numbered 0) from reaching the application as valid input: to a
//  conforming decoder it does not decode. A delivery is rejected for good,
//  a sync request refused, an answer to one of our requests turns into
//  MALFORMED_FRAME for its caller, anything else is dropped. Takes the
//  frame; returns what to hand on, or NULL.
static Egov__Shep__Frame *
s_screen (shep_client_t *self, Egov__Shep__Frame *frame)
{
    char path [96];
    egov_proto_fault_t fault = egov_proto_check (&frame->base, 0, path, sizeof (path));
    if (fault == EGOV_PROTO_VALID)
        return frame;
    char reason [160];
    snprintf (reason, sizeof (reason), "%s %s", path, egov_proto_fault_text (fault));
    const Egov__Envelope *envelope =
        frame->body_case == EGOV__SHEP__FRAME__BODY_DELIVER ? frame->deliver->envelope
      : frame->body_case == EGOV__SHEP__FRAME__BODY_SYNC_REQUEST ? frame->sync_request->envelope : NULL;
    const char *message_id = envelope && egov_uuid_valid (envelope->message_id) ? envelope->message_id : NULL;
    Egov__Shep__Frame *answer = NULL;
    if (message_id && frame->body_case == EGOV__SHEP__FRAME__BODY_DELIVER) {
        zsys_warning ("%s: rejected delivery %s: %s", self->participant_id, message_id, reason);
        shep_client_ack (self, message_id, "MALFORMED_FRAME", reason);
    }
    else
    if (message_id) {
        zsys_warning ("%s: refused sync request %s: %s", self->participant_id, message_id, reason);
        shep_client_refuse (self, message_id, "MALFORMED_FRAME", reason);
    }
    else
    if (frame->tag)
        answer = s_error_frame_new (frame->tag, "MALFORMED_FRAME", reason);
    else
        zsys_warning ("%s: dropped a frame from the gateway: %s", self->participant_id, reason);
    egov__shep__frame__free_unpacked (frame, NULL);
    return answer;
}

//  Reads one frame from the socket (not the backlog), handling the
//  gateway's housekeeping frames here. NULL on timeout, or as soon as a
//  welcome arrives while we wait for one.
static Egov__Shep__Frame *
s_read (shep_client_t *self, int timeout_ms)
{
    int64_t deadline = timeout_ms < 0 ? -1 : zclock_mono () + timeout_ms;
    while (true) {
        int wait_ms = deadline < 0 ? -1 : (int) (deadline - zclock_mono ());
        if (deadline >= 0 && wait_ms < 0)
            wait_ms = 0;
        //  The socket does not wait (receive timeout 0): take what is there
        //  first, and poll only when nothing is, so a busy participant
        //  pays no system call per frame
        zframe_t *packed = zframe_recv (self->dealer);
        if (!packed) {
            if (wait_ms == 0)
                return NULL;
            zmq_pollitem_t item = { zsock_resolve (self->dealer), 0, ZMQ_POLLIN, 0 };
            if (zmq_poll (&item, 1, wait_ms) <= 0)
                return NULL;    //  timeout or interrupted
            packed = zframe_recv (self->dealer);
            if (!packed)
                return NULL;
        }
        while (zsock_rcvmore (self->dealer)) {
            zframe_t *extra = zframe_recv (self->dealer);
            zframe_destroy (&extra);
        }
        Egov__Shep__Frame *frame = egov__shep__frame__unpack (
            NULL, zframe_size (packed), zframe_data (packed));
        zframe_destroy (&packed);
        if (!frame) {
            zsys_warning ("shep_client: dropped an undecodable frame from the gateway");
            continue;
        }
        self->last_heard = zclock_mono ();
        frame = s_screen (self, frame);
        if (!frame)
            continue;
        if (frame->body_case == EGOV__SHEP__FRAME__BODY_HEARTBEAT) {
            egov__shep__frame__free_unpacked (frame, NULL);
            continue;
        }
        if (frame->body_case == EGOV__SHEP__FRAME__BODY_CLOCK_STATE && frame->tag == 0) {
            s_adopt_clock (frame->clock_state);
            egov__shep__frame__free_unpacked (frame, NULL);
            continue;
        }
        if (frame->body_case == EGOV__SHEP__FRAME__BODY_WELCOME) {
            self->welcomed = true;
            self->refused [0] = 0;
            if (self->hello_backoff_ms)
                self->hello_backoff_ms = 250;
            if (frame->welcome->clock)
                s_adopt_clock (frame->welcome->clock);
            if (frame->welcome->heartbeat_ms)
                self->heartbeat_ms = frame->welcome->heartbeat_ms;
            if (frame->welcome->max_message_size)
                self->max_message_size = frame->welcome->max_message_size;
            egov__shep__frame__free_unpacked (frame, NULL);
            return NULL;        //  lets a connect in progress see it at once
        }
        const char *code = frame->body_case == EGOV__SHEP__FRAME__BODY_ERROR && frame->error->error
                         ? frame->error->error->code : NULL;
        if (code && streq (code, "REPLACED")) {
            //  Another process holds our key and said hello after us: two
            //  of us would take turns forever, so this one stops here
            zsys_error ("shep_client: %s: %s; this process no longer talks to the gateway",
                        self->participant_id, frame->error->error->message);
            self->replaced = true;
            self->welcomed = false;
        }
        else
        if (code && streq (code, "NOT_REGISTERED") && !self->replaced) {
            //  The gateway restarted and forgot us: say hello again, and let
            //  the caller see the error so it can resend what was lost
            self->welcomed = false;
            s_send_hello (self);
        }
        else
        if (code && !self->welcomed && frame->tag == 0
        &&  (streq (code, "IDENTITY_MISMATCH") || streq (code, "ACCESS_DENIED")
          || streq (code, "INVALID_PARTICIPANT"))) {
            //  Our hello was refused: say why, once per reason
            if (!streq (self->refused, code))
                zsys_error ("shep_client: the gateway refused %s's hello: %s %s", self->participant_id,
                            code, frame->error->error->message);
            snprintf (self->refused, sizeof (self->refused), "%s", code);
        }
        return frame;
    }
}

//  Creates the socket and connects it (ZeroMQ connects in the background);
//  0, or -1 for a malformed endpoint.
static int
s_open_socket (shep_client_t *self)
{
    if (!self->dealer) {
        self->dealer = zsock_new (ZMQ_DEALER);
        assert (self->dealer);
        zsock_set_linger (self->dealer, 0);
        zsock_set_sndhwm (self->dealer, 100000);
        zsock_set_rcvhwm (self->dealer, 100000);
        zsock_set_rcvtimeo (self->dealer, 0);
        zsock_set_reconnect_ivl (self->dealer, 100);
        zsock_set_reconnect_ivl_max (self->dealer, 1000);
        zsock_set_maxmsgsize (self->dealer, 64 * 1024 * 1024);
        if (self->cert) {
            zcert_apply (self->cert, self->dealer);
            zsock_set_curve_serverkey (self->dealer, self->server_key);
        }
        if (zsock_connect (self->dealer, "%s", self->endpoint)) {
            zsys_error ("shep_client: bad gateway endpoint '%s'", self->endpoint);
            zsock_destroy (&self->dealer);
            return -1;
        }
    }
    return 0;
}

int
shep_client_open (shep_client_t *self)
{
    if (s_open_socket (self))
        return -1;
    self->welcomed = false;
    self->hello_backoff_ms = 250;
    self->last_hello = zclock_mono ();
    return s_send_hello (self);
}

bool
shep_client_connected (shep_client_t *self)
{
    return self->welcomed;
}

int
shep_client_connect (shep_client_t *self, int timeout_ms)
{
    if (s_open_socket (self))
        return -1;
    self->welcomed = false;
    int64_t deadline = zclock_mono () + timeout_ms;
    while (!self->welcomed && zclock_mono () < deadline) {
        s_send_hello (self);
        int64_t retry_at = zclock_mono () + 500;
        if (retry_at > deadline)
            retry_at = deadline;
        while (!self->welcomed && zclock_mono () < retry_at) {
            Egov__Shep__Frame *frame = s_read (self, (int) (retry_at - zclock_mono ()));
            if (frame)
                zlist_append (self->backlog, frame);
        }
    }
    //  Frames answered before the welcome (errors for a stale identity) are noise
    if (self->welcomed) {
        Egov__Shep__Frame *frame;
        zlist_t *keep = zlist_new ();
        while ((frame = (Egov__Shep__Frame *) zlist_pop (self->backlog))) {
            if (frame->body_case == EGOV__SHEP__FRAME__BODY_ERROR)
                egov__shep__frame__free_unpacked (frame, NULL);
            else
                zlist_append (keep, frame);
        }
        zlist_destroy (&self->backlog);
        self->backlog = keep;
    }
    return self->welcomed ? 0 : -1;
}

void
shep_client_tick (shep_client_t *self)
{
    if (!self->dealer || self->replaced)
        return;
    int64_t now = zclock_mono ();
    if (!self->welcomed && self->hello_backoff_ms) {
        //  Opened without waiting: say hello again, less often while nobody answers
        if (now - self->last_hello >= self->hello_backoff_ms) {
            s_send_hello (self);
            self->last_hello = now;
            if (self->hello_backoff_ms < 2000)
                self->hello_backoff_ms *= 2;
        }
        return;
    }
    if (self->last_heard && now - self->last_heard > 3 * (int64_t) self->heartbeat_ms) {
        //  Gateway silent too long: it may have restarted without us noticing
        s_send_hello (self);
        self->last_heard = now;
        if (self->hello_backoff_ms) {
            self->welcomed = false;         //  away until it welcomes us again
            self->last_hello = now;
        }
    }
    else
    if (now - self->last_sent >= self->heartbeat_ms / 2) {
        Egov__Shep__Heartbeat heartbeat = EGOV__SHEP__HEARTBEAT__INIT;
        Egov__Shep__Frame frame = EGOV__SHEP__FRAME__INIT;
        frame.body_case = EGOV__SHEP__FRAME__BODY_HEARTBEAT;
        frame.heartbeat = &heartbeat;
        shep_client_send (self, &frame);
    }
}

Egov__Shep__Frame *
shep_client_recv (shep_client_t *self, int timeout_ms)
{
    Egov__Shep__Frame *frame = (Egov__Shep__Frame *) zlist_pop (self->backlog);
    if (frame)
        return frame;
    int64_t deadline = zclock_mono () + timeout_ms;
    while (true) {
        //  A finite wait never turns into -1 (forever) when the deadline just passed
        int left = timeout_ms < 0 ? -1 : (int) (deadline - zclock_mono ());
        frame = s_read (self, timeout_ms >= 0 && left < 0 ? 0 : left);
        if (frame || (timeout_ms >= 0 && zclock_mono () >= deadline))
            return frame;
        if (timeout_ms == 0)
            return NULL;
    }
}

//  Waits for the frame answering tag; other frames go to the backlog in order.
static Egov__Shep__Frame *
s_wait_tag (shep_client_t *self, uint64_t tag, int timeout_ms)
{
    int64_t deadline = zclock_mono () + timeout_ms;
    while (true) {
        int64_t left = deadline - zclock_mono ();
        if (left <= 0)
            return NULL;
        Egov__Shep__Frame *frame = s_read (self, (int) left);
        if (!frame)
            continue;           //  a welcome, or the deadline: the loop tells
        if (frame->tag == tag)
            return frame;
        zlist_append (self->backlog, frame);
    }
}

int
shep_client_send_request (shep_client_t *self, const Egov__Envelope *request,
                          int timeout_ms, uint64_t tag)
{
    Egov__Shep__SyncRequest body = EGOV__SHEP__SYNC_REQUEST__INIT;
    body.envelope = (Egov__Envelope *) request;
    body.timeout_ms = timeout_ms > 0 ? (uint32_t) timeout_ms : 0;
    Egov__Shep__Frame frame = EGOV__SHEP__FRAME__INIT;
    frame.body_case = EGOV__SHEP__FRAME__BODY_SYNC_REQUEST;
    frame.sync_request = &body;
    frame.tag = tag;
    return shep_client_send (self, &frame);
}

//  Fills error from an Error frame, or says the gateway did not answer.
static void
s_frame_error (Egov__Shep__Frame *frame, egov_error_t *error, const char *what)
{
    if (frame && frame->body_case == EGOV__SHEP__FRAME__BODY_ERROR && frame->error->error)
        egov_error_from_info (error, frame->error->error);
    else
    if (frame)
        egov_error_set (error, "PROTOCOL_ERROR", "unexpected answer to %s", what);
    else
        egov_error_set (error, "GATEWAY_UNREACHABLE", "the gateway did not answer %s in time", what);
}

Egov__Envelope *
shep_client_call (shep_client_t *self, const Egov__Envelope *request,
                  int timeout_ms, egov_error_t *error)
{
    for (int attempt = 0; attempt < 2; attempt++) {
        uint64_t tag = self->next_tag++;
        if (shep_client_send_request (self, request, timeout_ms, tag)) {
            egov_error_set (error, "MESSAGE_TOO_LARGE", "the request does not fit the gateway's limit");
            return NULL;
        }
        //  The gateway answers TIMEOUT itself; our own margin covers a dead gateway
        Egov__Shep__Frame *frame = s_wait_tag (self, tag, timeout_ms + 1000);
        if (frame && frame->body_case == EGOV__SHEP__FRAME__BODY_SYNC_REPLY
        &&  frame->sync_reply->envelope) {
            Egov__Envelope *reply = frame->sync_reply->envelope;
            frame->sync_reply->envelope = NULL;
            egov__shep__frame__free_unpacked (frame, NULL);
            return reply;
        }
        bool retry = frame && frame->body_case == EGOV__SHEP__FRAME__BODY_ERROR
                  && frame->error->error && streq (frame->error->error->code, "NOT_REGISTERED");
        s_frame_error (frame, error, "the request");
        if (frame)
            egov__shep__frame__free_unpacked (frame, NULL);
        if (!retry)
            return NULL;
        shep_client_connect (self, timeout_ms);
    }
    return NULL;
}

int
shep_client_reply (shep_client_t *self, const char *in_reply_to, const Egov__Envelope *reply)
{
    Egov__Shep__SyncReply body = EGOV__SHEP__SYNC_REPLY__INIT;
    body.in_reply_to = (char *) in_reply_to;
    body.envelope = (Egov__Envelope *) reply;
    Egov__Shep__Frame frame = EGOV__SHEP__FRAME__INIT;
    frame.body_case = EGOV__SHEP__FRAME__BODY_SYNC_REPLY;
    frame.sync_reply = &body;
    return shep_client_send (self, &frame);
}

int
shep_client_refuse (shep_client_t *self, const char *in_reply_to,
                    const char *code, const char *message)
{
    Egov__ErrorInfo reason = EGOV__ERROR_INFO__INIT;
    reason.code = (char *) code;
    reason.message = (char *) message;
    Egov__Shep__Refuse body = EGOV__SHEP__REFUSE__INIT;
    body.in_reply_to = (char *) in_reply_to;
    body.reason = &reason;
    Egov__Shep__Frame frame = EGOV__SHEP__FRAME__INIT;
    frame.body_case = EGOV__SHEP__FRAME__BODY_REFUSE;
    frame.refuse = &body;
    return shep_client_send (self, &frame);
}

int
shep_client_send_submit (shep_client_t *self, const Egov__Envelope *envelope,
                         uint32_t ttl_ms, uint64_t tag, bool in_order)
{
    Egov__Shep__AsyncSubmit body = EGOV__SHEP__ASYNC_SUBMIT__INIT;
    body.envelope = (Egov__Envelope *) envelope;
    body.ttl_ms = ttl_ms;
    body.in_order = in_order;
    Egov__Shep__Frame frame = EGOV__SHEP__FRAME__INIT;
    frame.body_case = EGOV__SHEP__FRAME__BODY_ASYNC_SUBMIT;
    frame.async_submit = &body;
    frame.tag = tag;
    return shep_client_send (self, &frame);
}

int
shep_client_submit (shep_client_t *self, const Egov__Envelope *envelope,
                    uint32_t ttl_ms, int timeout_ms,
                    Egov__DeliveryStatus *status, egov_error_t *error)
{
    //  A gateway silent for three heartbeats is down: one quick try (it may be
    //  back, and our frame makes it ask for a hello) instead of the whole wait,
    //  so a service flushing its outbox does not freeze its loop meanwhile
    if (self->last_heard && zclock_mono () - self->last_heard > 3 * (int64_t) self->heartbeat_ms
    &&  timeout_ms > 200)
        timeout_ms = 200;
    int64_t deadline = zclock_mono () + timeout_ms;
    while (zclock_mono () < deadline) {
        uint64_t tag = self->next_tag++;
        if (shep_client_send_submit (self, envelope, ttl_ms, tag, false)) {
            egov_error_set (error, "MESSAGE_TOO_LARGE", "the message does not fit the gateway's limit");
            return -1;
        }
        int64_t left = deadline - zclock_mono ();
        Egov__Shep__Frame *frame = s_wait_tag (self, tag, left < 2000 ? (int) left : 2000);
        if (!frame)
            continue;           //  resend: the gateway dedupes by message id
        if (frame->body_case == EGOV__SHEP__FRAME__BODY_ASYNC_RECEIPT) {
            Egov__Shep__AsyncReceipt *receipt = frame->async_receipt;
            int rc = 0;
            if (receipt->error) {
                egov_error_from_info (error, receipt->error);
                rc = -1;
            }
            if (status)
                *status = receipt->status;
            egov__shep__frame__free_unpacked (frame, NULL);
            return rc;
        }
        bool retry = frame->body_case == EGOV__SHEP__FRAME__BODY_ERROR
                  && frame->error->error && streq (frame->error->error->code, "NOT_REGISTERED");
        s_frame_error (frame, error, "the submission");
        egov__shep__frame__free_unpacked (frame, NULL);
        if (!retry)
            return -1;
        shep_client_connect (self, (int) (deadline - zclock_mono ()));
    }
    egov_error_set (error, "GATEWAY_UNREACHABLE", "the gateway did not confirm the message in %d ms",
                    timeout_ms);
    return -1;
}

int
shep_client_ack (shep_client_t *self, const char *message_id,
                 const char *reject_code, const char *reject_message)
{
    Egov__ErrorInfo reject = EGOV__ERROR_INFO__INIT;
    Egov__Shep__Ack body = EGOV__SHEP__ACK__INIT;
    body.message_id = (char *) message_id;
    if (reject_code) {
        reject.code = (char *) reject_code;
        reject.message = (char *) (reject_message ? reject_message : "");
        body.reject = &reject;
    }
    Egov__Shep__Frame frame = EGOV__SHEP__FRAME__INIT;
    frame.body_case = EGOV__SHEP__FRAME__BODY_ACK;
    frame.ack = &body;
    return shep_client_send (self, &frame);
}

Egov__Shep__Frame *
shep_client_ask (shep_client_t *self, Egov__Shep__Frame *frame, int timeout_ms, egov_error_t *error)
{
    for (int attempt = 0; attempt < 2; attempt++) {
        frame->tag = self->next_tag++;
        if (shep_client_send (self, frame)) {
            egov_error_set (error, "MESSAGE_TOO_LARGE", "the query does not fit the gateway's limit");
            return NULL;
        }
        Egov__Shep__Frame *answer = s_wait_tag (self, frame->tag, timeout_ms);
        if (answer && answer->body_case != EGOV__SHEP__FRAME__BODY_ERROR)
            return answer;
        bool retry = answer && answer->error->error
                  && streq (answer->error->error->code, "NOT_REGISTERED");
        s_frame_error (answer, error, "the query");
        if (answer)
            egov__shep__frame__free_unpacked (answer, NULL);
        if (!retry)
            return NULL;
        shep_client_connect (self, timeout_ms);
    }
    return NULL;
}

Egov__Shep__StatusReply *
shep_client_status (shep_client_t *self, const char *message_id, int timeout_ms, egov_error_t *error)
{
    Egov__Shep__StatusQuery query = EGOV__SHEP__STATUS_QUERY__INIT;
    query.message_id = (char *) message_id;
    Egov__Shep__Frame frame = EGOV__SHEP__FRAME__INIT;
    frame.body_case = EGOV__SHEP__FRAME__BODY_STATUS_QUERY;
    frame.status_query = &query;
    Egov__Shep__Frame *answer = shep_client_ask (self, &frame, timeout_ms, error);
    if (!answer)
        return NULL;
    if (answer->body_case != EGOV__SHEP__FRAME__BODY_STATUS_REPLY) {
        egov_error_set (error, "PROTOCOL_ERROR", "unexpected answer to a status query");
        egov__shep__frame__free_unpacked (answer, NULL);
        return NULL;
    }
    Egov__Shep__StatusReply *reply = answer->status_reply;
    answer->status_reply = NULL;
    answer->body_case = EGOV__SHEP__FRAME__BODY__NOT_SET;
    egov__shep__frame__free_unpacked (answer, NULL);
    return reply;
}

int
shep_client_connect_patiently (shep_client_t *self, const char *who, zsock_t *pipe)
{
    bool told = false, stopped = false;
    while (!zsys_interrupted && !stopped && shep_client_connect (self, 1000) != 0) {
        if (!told) {
            zsys_info ("%s: waiting for the gateway at %s", who, self->endpoint);
            told = true;
        }
        //  An actor told to stop while it waits stops now, not once the gateway comes
        while (pipe && !stopped && (zsock_events (pipe) & ZMQ_POLLIN)) {
            char *command = zstr_recv (pipe);
            stopped = !command || streq (command, "$TERM");
            zstr_free (&command);
        }
    }
    return zsys_interrupted || stopped ? -1 : 0;
}

//  Hands every frame there is to the attached handler.
static void
s_drain (shep_client_t *self)
{
    size_t handled = 0;
    Egov__Shep__Frame *frame;
    while ((frame = shep_client_recv (self, 0))) {
        self->attachment->handler (self, frame, self->attachment->argument);
        egov__shep__frame__free_unpacked (frame, NULL);
        //  A steady stream can keep this loop busy for long: keep the
        //  heartbeat going so the gateway does not drop us meanwhile
        if (++handled % 1024 == 0)
            shep_client_tick (self);
    }
}

static int
s_on_readable (zloop_t *loop, zsock_t *socket, void *argument)
{
    (void) loop; (void) socket;
    s_drain ((shep_client_t *) argument);
    return 0;
}

static int
s_on_tick (zloop_t *loop, int timer_id, void *argument)
{
    (void) loop; (void) timer_id;
    shep_client_t *self = (shep_client_t *) argument;
    shep_client_tick (self);
    if (shep_client_pending (self))
        s_drain (self);
    return 0;
}

void
shep_client_attach (shep_client_t *self, zloop_t *loop, shep_client_frame_fn *handler, void *argument)
{
    assert (self->dealer && !self->attachment);
    self->attachment = (s_attachment_t *) zmalloc (sizeof (s_attachment_t));
    assert (self->attachment);
    self->attachment->handler = handler;
    self->attachment->argument = argument;
    zloop_reader (loop, self->dealer, s_on_readable, self);
    zloop_timer (loop, 200, 0, s_on_tick, self);
    s_drain (self);
}

bool
shep_client_answer (shep_client_t *self, const Egov__Shep__Frame *frame,
                    shep_client_answer_fn *answer, void *argument)
{
    if (frame->body_case != EGOV__SHEP__FRAME__BODY_SYNC_REQUEST)
        return false;
    const Egov__Envelope *request = frame->sync_request->envelope;
    if (!request || !request->message_id || !*request->message_id) {
        zsys_warning ("%s: dropped a sync request without a message id", self->participant_id);
        return true;
    }
    egov_error_t refusal;
    egov_error_set (&refusal, "REFUSED", "the provider declined");
    Egov__Envelope *reply = answer (argument, request, &refusal);
    if (reply) {
        shep_client_reply (self, request->message_id, reply);
        egov__envelope__free_unpacked (reply, NULL);
    }
    else {
        zsys_warning ("%s: refused %s from %s: %s %s", self->participant_id, request->message_id,
                      request->sender_id, refusal.code, refusal.message);
        shep_client_refuse (self, request->message_id, refusal.code, refusal.message);
    }
    return true;
}

void
shep_client_serve_sync_only (shep_client_t *self, const Egov__Shep__Frame *frame,
                             shep_client_answer_fn *answer, void *argument)
{
    if (shep_client_answer (self, frame, answer, argument))
        return;
    if (frame->body_case == EGOV__SHEP__FRAME__BODY_DELIVER) {
        const Egov__Envelope *envelope = frame->deliver->envelope;
        if (envelope && envelope->message_id)
            shep_client_ack (self, envelope->message_id, "UNSUPPORTED_SERVICE",
                             "this participant answers sync requests only");
    }
    else
    if (frame->body_case == EGOV__SHEP__FRAME__BODY_ERROR)
        zsys_warning ("%s: gateway error %s: %s", self->participant_id,
                      frame->error->error ? frame->error->error->code : "?",
                      frame->error->error ? frame->error->error->message : "");
}

//  Selftest: a tiny gateway stand-in on a ROUTER socket checks the client's
//  side of the protocol (hello, tags, backlog order); the real gateway is
//  exercised by the integration tests.
static Egov__Shep__Frame *
s_router_recv (zsock_t *router, zframe_t **identity)
{
    zmsg_t *msg = zmsg_recv (router);
    assert (msg);
    *identity = zmsg_pop (msg);
    zframe_t *body = zmsg_pop (msg);
    Egov__Shep__Frame *frame = egov__shep__frame__unpack (NULL, zframe_size (body), zframe_data (body));
    zframe_destroy (&body);
    zmsg_destroy (&msg);
    assert (frame);
    return frame;
}

static void
s_router_send (zsock_t *router, zframe_t *identity, Egov__Shep__Frame *frame)
{
    zmsg_t *msg = zmsg_new ();
    zmsg_append (msg, &identity);
    zframe_t *body = egov_pb_frame (&frame->base);
    zmsg_append (msg, &body);
    zmsg_send (&msg, router);
}

void
shep_client_test (bool verbose)
{
    if (verbose)
        printf (" * shep_client: ");

    //  Nobody listening: connect gives up in time, and says so
    shep_client_t *lonely = shep_client_new ("tcp://127.0.0.1:1", "lonely");
    assert (shep_client_connect (lonely, 300) == -1);
    shep_client_destroy (&lonely);
    shep_client_destroy (&lonely);      //  safe twice

    zsock_t *router = zsock_new (ZMQ_ROUTER);
    int port = zsock_bind (router, "tcp://127.0.0.1:*");
    assert (port > 0);
    char endpoint [64];
    snprintf (endpoint, sizeof (endpoint), "tcp://127.0.0.1:%d", port);

    shep_client_t *client = shep_client_new (endpoint, "tester");
    shep_client_provide (client, "test.echo");
    shep_client_serve_route (client, "750000000");
    //  A connect too short to be answered still leaves its hello queued
    assert (shep_client_connect (client, 1) == -1);     //  too short, hello is queued
    zframe_t *identity;
    Egov__Shep__Frame *frame = s_router_recv (router, &identity);
    assert (frame->body_case == EGOV__SHEP__FRAME__BODY_HELLO);
    assert (streq (frame->hello->participant_id, "tester"));
    assert (frame->hello->n_services == 1 && streq (frame->hello->services [0], "test.echo"));
    assert (frame->hello->n_routes == 1 && streq (frame->hello->routes [0], "750000000"));
    egov__shep__frame__free_unpacked (frame, NULL);

    //  Welcome with a small size limit, then a notification the app must see
    Egov__Shep__Welcome welcome = EGOV__SHEP__WELCOME__INIT;
    welcome.gateway_id = "test-gateway";
    welcome.heartbeat_ms = 1000;
    welcome.max_message_size = 4096;
    Egov__Shep__Frame out = EGOV__SHEP__FRAME__INIT;
    out.body_case = EGOV__SHEP__FRAME__BODY_WELCOME;
    out.welcome = &welcome;
    s_router_send (router, zframe_dup (identity), &out);
    assert (shep_client_connect (client, 2000) == 0);
    //  The second hello the connect sent is answered too; drain it
    zframe_destroy (&identity);
    frame = s_router_recv (router, &identity);
    while (frame->body_case != EGOV__SHEP__FRAME__BODY_HELLO) {
        egov__shep__frame__free_unpacked (frame, NULL);
        zframe_destroy (&identity);
        frame = s_router_recv (router, &identity);
    }
    egov__shep__frame__free_unpacked (frame, NULL);
    zframe_destroy (&identity);

    //  An envelope over the limit is refused locally
    Egov__Envelope *big = egov_envelope_new ("test.echo", EGOV__MESSAGE_TYPE__REQUEST);
    big->payload.len = 8192;
    big->payload.data = calloc (1, big->payload.len);
    egov_error_t error;
    assert (shep_client_call (client, big, 100, &error) == NULL);
    assert (streq (error.code, "MESSAGE_TOO_LARGE"));
    egov__envelope__free_unpacked (big, NULL);

    //  A pipelined request: a Deliver arriving first must wait in the backlog
    Egov__Envelope *request = egov_envelope_new ("test.echo", EGOV__MESSAGE_TYPE__REQUEST);
    assert (shep_client_send_request (client, request, 500, 77) == 0);
    frame = s_router_recv (router, &identity);
    assert (frame->body_case == EGOV__SHEP__FRAME__BODY_SYNC_REQUEST);
    assert (frame->tag == 77);
    assert (streq (frame->sync_request->envelope->message_id, request->message_id));
    egov__shep__frame__free_unpacked (frame, NULL);

    Egov__Shep__Deliver deliver = EGOV__SHEP__DELIVER__INIT;
    deliver.envelope = request;
    deliver.attempt = 1;
    out.body_case = EGOV__SHEP__FRAME__BODY_DELIVER;
    out.deliver = &deliver;
    s_router_send (router, zframe_dup (identity), &out);
    Egov__Shep__StatusReply status = EGOV__SHEP__STATUS_REPLY__INIT;
    status.message_id = request->message_id;
    status.status = EGOV__DELIVERY_STATUS__DELIVERED;
    out.body_case = EGOV__SHEP__FRAME__BODY_STATUS_REPLY;
    out.status_reply = &status;
    out.tag = client->next_tag;         //  the tag the status query will use
    s_router_send (router, identity, &out);

    Egov__Shep__StatusReply *answer = shep_client_status (client, request->message_id, 1000, &error);
    assert (answer);
    assert (answer->status == EGOV__DELIVERY_STATUS__DELIVERED);
    egov__shep__status_reply__free_unpacked (answer, NULL);
    frame = s_router_recv (router, &identity);   //  the status query itself
    assert (frame->body_case == EGOV__SHEP__FRAME__BODY_STATUS_QUERY);
    egov__shep__frame__free_unpacked (frame, NULL);
    zframe_destroy (&identity);

    assert (shep_client_pending (client));
    frame = shep_client_recv (client, 0);
    assert (frame && frame->body_case == EGOV__SHEP__FRAME__BODY_DELIVER);
    assert (streq (frame->deliver->envelope->message_id, request->message_id));
    egov__shep__frame__free_unpacked (frame, NULL);
    assert (shep_client_recv (client, 0) == NULL);

    //  Text that is not UTF-8 never reaches the application as valid input:
    //  a delivery is rejected for good, a sync request refused, an answer
    //  to our own request turns into MALFORMED_FRAME
    assert (shep_client_send_request (client, request, 500, 78) == 0);
    frame = s_router_recv (router, &identity);
    egov__shep__frame__free_unpacked (frame, NULL);
    Egov__Envelope *garbled = egov_envelope_dup (request);
    egov_string_set (&garbled->correlation_id, "caf\xC3");
    deliver.envelope = garbled;
    out.body_case = EGOV__SHEP__FRAME__BODY_DELIVER;
    out.deliver = &deliver;
    out.tag = 0;
    s_router_send (router, zframe_dup (identity), &out);
    Egov__Shep__SyncRequest forwarded = EGOV__SHEP__SYNC_REQUEST__INIT;
    forwarded.envelope = garbled;
    out.body_case = EGOV__SHEP__FRAME__BODY_SYNC_REQUEST;
    out.sync_request = &forwarded;
    s_router_send (router, zframe_dup (identity), &out);
    Egov__Shep__SyncReply sync_reply = EGOV__SHEP__SYNC_REPLY__INIT;
    sync_reply.in_reply_to = request->message_id;
    sync_reply.envelope = garbled;
    out.body_case = EGOV__SHEP__FRAME__BODY_SYNC_REPLY;
    out.sync_reply = &sync_reply;
    out.tag = 78;
    s_router_send (router, identity, &out);
    frame = shep_client_recv (client, 2000);
    assert (frame && frame->body_case == EGOV__SHEP__FRAME__BODY_ERROR && frame->tag == 78);
    assert (streq (frame->error->error->code, "MALFORMED_FRAME"));
    assert (streq (frame->error->error->message,
                   "sync_reply.envelope.correlation_id is not valid UTF-8"));
    egov__shep__frame__free_unpacked (frame, NULL);
    frame = s_router_recv (router, &identity);
    assert (frame->body_case == EGOV__SHEP__FRAME__BODY_ACK);
    assert (streq (frame->ack->message_id, garbled->message_id));
    assert (frame->ack->reject && streq (frame->ack->reject->code, "MALFORMED_FRAME"));
    egov__shep__frame__free_unpacked (frame, NULL);
    zframe_destroy (&identity);
    frame = s_router_recv (router, &identity);
    assert (frame->body_case == EGOV__SHEP__FRAME__BODY_REFUSE);
    assert (streq (frame->refuse->in_reply_to, garbled->message_id));
    assert (streq (frame->refuse->reason->code, "MALFORMED_FRAME"));
    egov__shep__frame__free_unpacked (frame, NULL);
    zframe_destroy (&identity);
    assert (shep_client_recv (client, 0) == NULL);
    egov__envelope__free_unpacked (garbled, NULL);

    //  A gateway that never answers: the call reports it, nothing hangs
    assert (shep_client_call (client, request, 50, &error) == NULL);
    assert (streq (error.code, "GATEWAY_UNREACHABLE"));

    egov__envelope__free_unpacked (request, NULL);
    shep_client_destroy (&client);
    zsock_destroy (&router);
    if (verbose)
        printf ("OK\n");
}
