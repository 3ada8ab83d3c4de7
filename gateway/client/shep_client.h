/*  shep_client — a participant's connection to the central e-government
    gateway (ЭҮШ, "электрондық үкімет" шлюзі / ШЭП).

    One DEALER socket to the gateway's ROUTER. A participant says hello with
    its id, the services it provides and the routes it serves, keeps a
    heartbeat, and then:
      - as a requester: shep_client_call (blocking) or shep_client_send_request
        + shep_client_recv (pipelined);
      - as a provider: reads SyncRequest frames with shep_client_recv and
        answers with shep_client_reply or shep_client_refuse;
      - async: shep_client_submit stores a message in the gateway (blocking
        until it is committed), Deliver frames arrive through shep_client_recv
        and are acknowledged with shep_client_ack.
    Frames that arrive while a blocking call waits for its own answer are
    kept and returned by the next shep_client_recv, in order.            */
#ifndef SHEP_CLIENT_H_INCLUDED
#define SHEP_CLIENT_H_INCLUDED

#include "egov_util.h"
#include "shep.pb-c.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct _shep_client_t shep_client_t;

#define SHEP_DEFAULT_ENDPOINT "tcp://127.0.0.1:7700"

//  Creates a client; nothing is sent until shep_client_connect.
shep_client_t *shep_client_new (const char *endpoint, const char *participant_id);
void shep_client_destroy (shep_client_t **self_p);
//  Encrypts and authenticates the link with CURVE (before connect): our
//  key pair (copied) and the gateway's public key (40 Z85 characters).
//  The gateway lets in only keys it trusts, bound to our participant id.
//  0, or -1 for a malformed server key.
int shep_client_set_curve (shep_client_t *self, const zcert_t *cert, const char *server_key);
//  The same from a keys folder (shep_keys.h): our id's pair and the
//  gateway's public key. 0, or -1 with error (NO_KEY, INVALID_KEY).
int shep_client_use_keys (shep_client_t *self, const char *dir, egov_error_t *error);
//  True once the gateway said another connection with our key replaced
//  this one (REPLACED): we stop saying hello until restarted.
bool shep_client_replaced (shep_client_t *self);
//  Declares a service id this participant provides (before connect).
void shep_client_provide (shep_client_t *self, const char *service_id);
//  Declares a route id (region KATO code) this participant serves (before connect).
void shep_client_serve_route (shep_client_t *self, const char *route_id);
//  Asks the gateway to deliver queued async messages to us (before connect).
void shep_client_set_receive_async (shep_client_t *self, bool receive);
//  Says hello and waits for the welcome; 0 on success, -1 on timeout.
int shep_client_connect (shep_client_t *self, int timeout_ms);
//  Says hello without waiting: the welcome is read like any frame, and
//  shep_client_tick says hello again (backing off to every 2 s) until it
//  comes. -1 only for a malformed endpoint.
int shep_client_open (shep_client_t *self);
//  True once the gateway has welcomed us, until it forgets us.
bool shep_client_connected (shep_client_t *self);
//  The socket, to poll from a zloop or zpoller (frames are read with recv).
zsock_t *shep_client_sock (shep_client_t *self);
//  Participant id.
const char *shep_client_id (shep_client_t *self);
//  True when frames are already buffered (poll would not show them).
bool shep_client_pending (shep_client_t *self);
//  Sends a heartbeat when one is due; re-says hello when the gateway has
//  been silent too long (it restarted). Call at least every heartbeat period.
void shep_client_tick (shep_client_t *self);

//  Next frame for the application (heartbeats and welcomes are handled here).
//  Returns NULL on timeout (timeout_ms < 0 waits forever, 0 does not wait).
//  A frame against egov_proto's rules (text that is not UTF-8, a field
//  numbered 0) is never returned as it came: a delivery is rejected
//  (MALFORMED_FRAME), a sync request refused, an answer to a tagged request
//  becomes an Error MALFORMED_FRAME frame with its tag.
//  Free with egov__shep__frame__free_unpacked (frame, NULL).
Egov__Shep__Frame *shep_client_recv (shep_client_t *self, int timeout_ms);
//  Sends any frame as is; 0 or -1.
int shep_client_send (shep_client_t *self, const Egov__Shep__Frame *frame);

//  Sync call: sends request and waits for the answer. Returns the reply
//  envelope (free with egov__envelope__free_unpacked) or NULL with error set:
//  the gateway's codes (NO_PROVIDER, TIMEOUT, REFUSED, ...) or the
//  provider's own error carried in the reply envelope's error field, which is
//  returned as the envelope, not NULL: check reply->error.
Egov__Envelope *shep_client_call (shep_client_t *self, const Egov__Envelope *request,
                                  int timeout_ms, egov_error_t *error);
//  Sends a sync request without waiting; the SyncReply (or Error) frame comes
//  back through shep_client_recv with frame->tag == tag.
int shep_client_send_request (shep_client_t *self, const Egov__Envelope *request,
                              int timeout_ms, uint64_t tag);

//  Provider: answers the request with message id in_reply_to.
int shep_client_reply (shep_client_t *self, const char *in_reply_to,
                       const Egov__Envelope *reply);
//  Provider: declines the request (the requester gets REFUSED with this cause).
int shep_client_refuse (shep_client_t *self, const char *in_reply_to,
                        const char *code, const char *message);

//  Async: stores envelope in the gateway; waits until it is committed and
//  returns its delivery status (ON_DELIVERY, or the final status when the
//  same message id was submitted before). Resends the same message on
//  timeout so a gateway restart loses nothing. -1 with error on failure.
//  When the gateway has been silent for three heartbeats it tries once,
//  briefly (200 ms), rather than waiting the whole timeout.
int shep_client_submit (shep_client_t *self, const Egov__Envelope *envelope,
                        uint32_t ttl_ms, int timeout_ms,
                        Egov__DeliveryStatus *status, egov_error_t *error);
//  Async without waiting: AsyncReceipt (or Error) comes back through recv
//  with tag. in_order: the caller keeps its messages to each recipient in
//  order with several in flight (AsyncSubmit.in_order: after a refusal for
//  now the gateway answers OUT_OF_ORDER to the later ones until the refused
//  message comes again).
int shep_client_send_submit (shep_client_t *self, const Egov__Envelope *envelope,
                             uint32_t ttl_ms, uint64_t tag, bool in_order);
//  Receiver: acknowledges a delivered message (reject_code NULL) or rejects it.
int shep_client_ack (shep_client_t *self, const char *message_id,
                     const char *reject_code, const char *reject_message);
//  Asks the delivery status of a message id; fills reply (free with
//  egov__shep__status_reply__free_unpacked) or returns NULL with error.
Egov__Shep__StatusReply *shep_client_status (shep_client_t *self, const char *message_id,
                                             int timeout_ms, egov_error_t *error);
//  Sends any request frame (LogQuery, LogVerify, ...) and waits for the
//  frame answering it (matched by tag). NULL with error on timeout or Error.
Egov__Shep__Frame *shep_client_ask (shep_client_t *self, Egov__Shep__Frame *frame,
                                    int timeout_ms, egov_error_t *error);

//  ---------------------------------------------------------------------
//  Serving: what every participant service does the same way

//  Handles one frame from the gateway; the frame is freed after the call.
typedef void (shep_client_frame_fn) (shep_client_t *client, const Egov__Shep__Frame *frame,
                                     void *argument);
//  A sync provider's answer to a request: the reply envelope (freed by the
//  caller), or NULL with refusal set to decline it.
typedef Egov__Envelope *(shep_client_answer_fn) (void *argument, const Egov__Envelope *request,
                                                 egov_error_t *refusal);

//  Connects, trying every second until the gateway answers; logs once
//  while it waits. 0 when connected, -1 when interrupted (Ctrl-C) first or,
//  with an actor's pipe (may be NULL), when the actor is told $TERM.
int shep_client_connect_patiently (shep_client_t *self, const char *who, zsock_t *pipe);
//  Serves the client from a reactor: every frame goes to handler (the
//  socket reader drains all that is there, keeping the heartbeat during a
//  long burst), and a timer keeps the heartbeat and drains frames a
//  blocking call left behind. Also drains what is already buffered.
void shep_client_attach (shep_client_t *self, zloop_t *loop, shep_client_frame_fn *handler,
                         void *argument);
//  Answers frame when it is a sync request, with answer's reply or its
//  refusal; true when it was one (answered or dropped as malformed).
bool shep_client_answer (shep_client_t *self, const Egov__Shep__Frame *frame,
                         shep_client_answer_fn *answer, void *argument);

//  All a sync-only provider does with a frame: answers sync requests,
//  rejects async deliveries (UNSUPPORTED_SERVICE, so they are not
//  redelivered), logs the gateway's errors.
void shep_client_serve_sync_only (shep_client_t *self, const Egov__Shep__Frame *frame,
                                  shep_client_answer_fn *answer, void *argument);

void shep_client_test (bool verbose);

#ifdef __cplusplus
}
#endif
#endif
