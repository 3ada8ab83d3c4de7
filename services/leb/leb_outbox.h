/*  leb_outbox — the messages the local executive body sends, as rows
    written in the same transaction as the effect that caused them, each
    with its message id fixed at that moment. leb_outbox_flush sends them
    in order and marks them sent once the gateway has committed them; a
    crash between the two makes the next flush submit the same message id
    again, which the gateway answers with the message's status and stores
    nothing twice, so every message is sent exactly once.               */
#ifndef LEB_OUTBOX_H_INCLUDED
#define LEB_OUTBOX_H_INCLUDED

#include "egov_util.h"
#include "shep_client.h"
#include <libpq-fe.h>

#ifdef __cplusplus
extern "C" {
#endif

//  One message to send.
typedef struct {
    const char *correlation_id;     //  the application
    const char *service_id;         //  application.status, application.result
    Egov__MessageType type;         //  UPDATE, RESPONSE
    const char *recipient_id;       //  regional-<KATO>
    const char *payload_type;       //  e.g. egov.applications.Result
    const uint8_t *payload;         //  packed protobuf
    size_t payload_size;
    int64_t created_ms;             //  simulated
} leb_outgoing_t;

//  Stores a message under a fresh message id, inside the caller's
//  transaction; message_id (may be NULL, 37 bytes) gets the id. 0, or -1
//  with DB_UNAVAILABLE.
int leb_outbox_put (PGconn *conn, const leb_outgoing_t *message, char *message_id,
                    egov_error_t *error);
//  Packs a protobuf message and stores it as leb_outbox_put does.
int leb_outbox_put_message (PGconn *conn, const leb_outgoing_t *message,
                            const ProtobufCMessage *payload, char *message_id,
                            egov_error_t *error);
//  Messages not sent yet; -1 with DB_UNAVAILABLE.
int64_t leb_outbox_pending (PGconn *conn, egov_error_t *error);
//  Sends up to limit messages not sent yet, oldest first, through client,
//  waiting up to timeout_ms for each receipt; stops at the first failure.
//  Returns how many were sent, or -1 with error (the gateway's code, or
//  DB_UNAVAILABLE) when none could be.
int leb_outbox_flush (PGconn *conn, shep_client_t *client, int limit, int timeout_ms,
                      egov_error_t *error);

void leb_outbox_test (bool verbose);

#ifdef __cplusplus
}
#endif
#endif
