/*  shep_participant — the participant side of the gateway's channels,
    written once for every service that sends and receives through the
    central gateway (ЭҮШ): the regional gateways, the local executive
    bodies, the State Corporation desk and the portal.

    The engine owns what is the same for all of them, the way malamute's
    engine owns the socket and the dispatch while a server writes only its
    actions:
      - the gateway link: hello without waiting, heartbeats, a new hello
        with backoff while the gateway is away or after it restarted;
      - the database link: one connection, noticed broken on its next use
        and re-established with backoff (shep_participant_db);
      - the outbox (table shep_outbox): a service stores a message in its
        own transaction (shep_participant_put); the engine submits it
        without ever waiting, receipt-driven, a window of messages in
        flight, each recipient's in the order they were stored (the gateway
        keeps that order: AsyncSubmit.in_order), and marks it sent when the
        gateway has committed it;
      - the inbox (table shep_inbox): each delivery is applied once, by
        message id, in the transaction of its effect, by the handler named
        for its service id (and payload type), then acknowledged; input
        that can never apply (poison) is rejected once with a stable code,
        a transient failure is left for the gateway to deliver again;
      - sync calls that do not block the loop: the answer comes to a
        callback when it arrives (shep_participant_call).
    Everything runs on the zloop it is given; nothing in here waits for
    the gateway.                                                           */
#ifndef SHEP_PARTICIPANT_H_INCLUDED
#define SHEP_PARTICIPANT_H_INCLUDED

#include "shep_client.h"
#include <libpq-fe.h>
#include <jansson.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct _shep_participant_t shep_participant_t;

//  What a participant is; fixed when it starts.
typedef struct {
    const char *gateway;            //  endpoint of the central gateway
    const char *keys;               //  CURVE keys folder (shep_keys.h); NULL: a plain link, which
                                    //  the gateway refuses (for selftests that never connect)
    const char *participant_id;     //  who we are to the gateway
    const char *conninfo;           //  the service's database
    const char *schema_sql;         //  the service's own schema, applied after the engine's (may be NULL)
    const char *const *routes;      //  route ids served, NULL-terminated (may be NULL)
    const char *const *services;    //  sync services provided, NULL-terminated (may be NULL)
    bool receive_async;             //  ask the gateway for deliveries
    int window;                     //  submissions in flight at once, 0 for 128
    bool verbose;                   //  log every message sent and applied
} shep_participant_config_t;

//  What a delivery handler decided.
typedef enum {
    SHEP_APPLIED,                   //  the effect is written: commit, acknowledge
    SHEP_REJECT,                    //  can never apply: roll back, reject once with the code
    SHEP_RETRY                      //  transient (the database): roll back, wait for redelivery
} shep_outcome_t;

//  A delivery: the envelope as the gateway stamped it and its payload
//  unpacked with the descriptor the handler was registered with (NULL when
//  it was registered without one).
typedef struct {
    const Egov__Envelope *envelope;
    const ProtobufCMessage *payload;
    uint32_t attempt;               //  1 on the first delivery
} shep_delivery_t;

//  Applies one delivery on conn inside the engine's transaction; may store
//  messages with shep_participant_put on the same conn. On SHEP_REJECT it
//  sets reject (code and message) for the sender.
typedef shep_outcome_t (shep_participant_handler_fn) (void *service, PGconn *conn,
                                                      const shep_delivery_t *delivery,
                                                      egov_error_t *reject);
//  The gateway committed a message of ours (status: ON_DELIVERY, or its
//  final status when it was stored before); runs outside any transaction.
typedef void (shep_participant_sent_fn) (void *service, const Egov__Envelope *envelope,
                                         Egov__DeliveryStatus status);
//  A sync call's answer: reply (owned by the engine, valid during the
//  call) or NULL with error (the gateway's code: NO_PROVIDER, TIMEOUT,
//  REFUSED ..., or GATEWAY_UNREACHABLE).
typedef void (shep_participant_reply_fn) (void *argument, const Egov__Envelope *reply,
                                          const egov_error_t *error);
//  A sync request for a service we provide: the reply envelope (freed by
//  the engine) or NULL with refusal set. NULL with refusal's code emptied
//  defers the answer: the service replies later, once, with
//  shep_participant_reply (the caller's deadline still runs).
typedef Egov__Envelope *(shep_participant_answer_fn) (void *service, const Egov__Envelope *request,
                                                      egov_error_t *refusal);

//  Connects to the database (waiting for it, as a service must before it
//  can do anything), applies the engine's schema and the service's, and
//  says hello to the gateway without waiting for the answer. NULL with
//  error (DB_UNAVAILABLE, SCHEMA) when the database cannot be used.
shep_participant_t *shep_participant_new (const shep_participant_config_t *config, void *service,
                                          egov_error_t *error);
void shep_participant_destroy (shep_participant_t **self_p);
//  What every handler gets as its service argument (when it could not be
//  given to new: the service is built on the engine).
void shep_participant_set_service (shep_participant_t *self, void *service);
//  Serves the gateway and the outbox from loop (a reader and a timer);
//  destroy takes them off again, so destroy the engine before its loop.
void shep_participant_attach (shep_participant_t *self, zloop_t *loop);

//  Names the handler of deliveries for service_id. payload, when given, is
//  the message type the payload must be (payload_type and a clean unpack):
//  anything else is rejected as MALFORMED_PAYLOAD before the handler runs.
//  A delivery for a service without a handler is rejected as
//  UNSUPPORTED_SERVICE.
void shep_participant_on (shep_participant_t *self, const char *service_id,
                          const ProtobufCMessageDescriptor *payload,
                          shep_participant_handler_fn *handler);
//  Takes deliveries for service_id (named with _on before) from sender: a
//  participant id, or a prefix ending in `*` ("regional-*"). Deny by
//  default: a delivery from anyone not named, as the gateway stamped its
//  sender, is rejected UNEXPECTED_SENDER before the handler runs.
void shep_participant_accept (shep_participant_t *self, const char *service_id, const char *sender);
//  Called after the gateway committed each of our messages.
void shep_participant_on_sent (shep_participant_t *self, shep_participant_sent_fn *handler);
//  Answers sync requests for the services in config->services.
void shep_participant_on_request (shep_participant_t *self, shep_participant_answer_fn *answer);
//  Answers a sync request whose answer was deferred (in_reply_to: its
//  message id). 0, or -1 when it could not be sent.
int shep_participant_reply (shep_participant_t *self, const char *in_reply_to,
                            const Egov__Envelope *reply);

//  The database connection, usable, or NULL while the database is away:
//  a broken connection is re-established here, at most once a second.
//  Call it at the start of every unit of work.
PGconn *shep_participant_db (shep_participant_t *self);
//  Stores envelope in our outbox inside the caller's transaction on conn;
//  gives it a message id when it has none (message_id, 37 bytes, may be
//  NULL, gets it). 0, or -1 with DB_UNAVAILABLE. ttl_ms 0: the gateway's.
int shep_participant_put (shep_participant_t *self, PGconn *conn, const Egov__Envelope *envelope,
                          uint32_t ttl_ms, char *message_id, egov_error_t *error);
//  Packs payload into a new envelope for service_id and stores it as
//  shep_participant_put does; correlation_id, recipient_id and route_id as
//  given (NULL for none).
int shep_participant_put_message (shep_participant_t *self, PGconn *conn,
                                  const char *service_id, Egov__MessageType type,
                                  const char *correlation_id, const char *recipient_id,
                                  const char *route_id, const ProtobufCMessage *payload,
                                  char *message_id, egov_error_t *error);
//  Submits what the outbox holds as soon as the window allows (call after
//  a commit that stored messages; the timer does it anyway).
void shep_participant_flush (shep_participant_t *self);

//  Applies envelope with the handler named for its service id, in one
//  transaction, as a delivery would be but without the inbox and the
//  acknowledgement: for a service's selftest. reject gets the code.
shep_outcome_t shep_participant_apply (shep_participant_t *self, const Egov__Envelope *envelope,
                                       egov_error_t *reject);

//  Ends our database session from the server's side, the way a PostgreSQL
//  restart does: for selftests of what a service does next (it notices on
//  its next statement).
void shep_participant_db_cut (shep_participant_t *self);

//  Sends a sync request without waiting; callback gets the answer (or
//  TIMEOUT, or the gateway's code) on the loop, once, later. The request's
//  message id is set when empty. Returns the call's tag, or 0 with error
//  set (GATEWAY_UNREACHABLE while the gateway is away, MESSAGE_TOO_LARGE)
//  when it could not be sent: then callback is never called.
uint64_t shep_participant_call (shep_participant_t *self, Egov__Envelope *request, int timeout_ms,
                                shep_participant_reply_fn *callback, void *argument,
                                egov_error_t *error);
//  Forgets the callbacks of calls made with argument (the caller is going).
void shep_participant_forget (shep_participant_t *self, void *argument);

//  The truth for /health: {"gateway": "connected"|"away", "database":
//  "ok"|"unavailable", "outbox": {"pending", "in_flight", "failed",
//  "oldest_pending_s"}, "inbox": {"applied", "rejected"}}; *ok false when
//  the gateway or the database is away.
json_t *shep_participant_health (shep_participant_t *self, bool *ok);
//  True once the gateway has welcomed us (and not lost us since).
bool shep_participant_connected (shep_participant_t *self);
//  The underlying client (for frames the engine does not handle).
shep_client_t *shep_participant_client (shep_participant_t *self);
//  Participant id.
const char *shep_participant_id (shep_participant_t *self);

void shep_participant_test (bool verbose);

#ifdef __cplusplus
}
#endif
#endif
