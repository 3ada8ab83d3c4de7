/*  regional_server — the regional gateway (ЭҮӨШ, "электрондық үкіметтің"
    өңірлік шлюзі / РШЭП) of one region, as a participant of the central
    gateway that serves the region's route id (its KATO code).

    Diagram 1, Process 6–7 (Diagram 2, Process 5–6): a channel sends a
    signed Application (service application.submit) routed by region; we
    check the signature and register it (registration number, simulated
    and wall time), answer the channel with a StatusNotice REGISTERED, and
    hand a RegisteredApplication (application.registered) to the region's
    local executive body (ЖАО, the leb). A document that fails a check is
    registered as refused, never forwarded, and the channel gets REFUSED
    with the reason. Afterwards we carry the leb's status notices
    (application.status) and result (application.result) back to the
    channel recorded for the application, and the channel's return and
    recall of a result (application.return, application.recall) to the leb.
    The envelope's correlation id ties them all to one registration.

    Every delivery is applied by the participant runtime (shep_participant)
    in one transaction with its inbox row and the messages it causes
    (outbox), then acknowledged; the runtime submits the outbox.
    A delivery we can never apply is acknowledged with a reject code:
        UNSUPPORTED_SERVICE    a service id we do not handle
        MALFORMED_PAYLOAD      payload not of the expected type, or not decoding
        MALFORMED_ENVELOPE     correlation id longer than 128
        UNKNOWN_APPLICATION    a status, result, return or recall for a
                               correlation id we never registered
        UNEXPECTED_SENDER      a status or result not from our leb, a return
                               or recall not from the application's channel
        NOT_REGISTERED         a return or recall of a refused document
        DUPLICATE_APPLICATION  a second submission under a registered
                               correlation id, with another message id
    A REFUSED notice says why in its note: "signature: OUTCOME" for an
    e-signature that failed (the egov_cms outcomes MALFORMED, BAD_SIGNATURE,
    UNKNOWN_ISSUER, CERT_REVOKED, CERT_EXPIRED, CERT_NOT_YET_VALID,
    WRONG_KEY_USAGE, IIN_MISMATCH), "INVALID_APPLICATION: why" or
    "WRONG_REGION: why" for a document that never got that far.
    Message types: notices UPDATE, results RESPONSE, the registered
    document, returns and recalls REQUEST (docs/diagram1-contract.md).  */
#ifndef REGIONAL_SERVER_H_INCLUDED
#define REGIONAL_SERVER_H_INCLUDED

#include "egov_util.h"
#include "egov_cms.h"
#include "egov_catalogue.h"
#include "shep_participant.h"
#include "applications.pb-c.h"
#include <libpq-fe.h>

#ifdef __cplusplus
extern "C" {
#endif

#define REGIONAL_SERVICE_SUBMIT     "application.submit"
#define REGIONAL_SERVICE_REGISTERED "application.registered"
#define REGIONAL_SERVICE_STATUS     "application.status"
#define REGIONAL_SERVICE_RESULT     "application.result"
#define REGIONAL_SERVICE_RETURN     "application.return"
#define REGIONAL_SERVICE_RECALL     "application.recall"

//  What to do with a delivery once handled.
typedef enum {
    REGIONAL_ACK,                   //  applied (or applied before): acknowledge
    REGIONAL_REJECT,                //  never applicable: acknowledge with the reject code
    REGIONAL_RETRY                  //  the store failed: no answer, the gateway brings it again
} regional_verdict_t;

//  The registration check of one application, apart from any storage.
typedef struct {
    bool accepted;                  //  every check passed
    char refusal_code [48];         //  why not, "" when accepted
    char refusal [256];             //  for people
    char signature_outcome [32];    //  egov_cms outcome name, NOT_CHECKED when not reached
    char signer [320];              //  "Name (IIN …)" from the certificate
    char signer_iin [13];
} regional_judgement_t;

typedef struct _regional_server_t regional_server_t;

//  A regional gateway for route (the region's KATO code), naming its
//  delivery handlers on engine (not owned; its database holds the journal,
//  with the schema applied). verifier (not owned) checks the e-signatures.
regional_server_t *regional_server_new (const char *route, shep_participant_t *engine,
                                        egov_cms_verifier_t *verifier);
void regional_server_destroy (regional_server_t **self_p);
//  The leb's participant id (default "leb-<route>").
void regional_server_set_leb (regional_server_t *self, const char *leb_id);
//  The catalogue (not owned, outlives the server): an application whose
//  channel the catalogue routes to a register (a channel's "register",
//  seed 004's kindergarten queue) is handed to that register instead of the
//  leb, and its statuses and results come from there. Without one, every
//  application goes to the leb.
void regional_server_set_catalogue (regional_server_t *self, egov_catalogue_t *catalogue);
//  Who decides application: the register its channel is routed to, or the leb.
const char *regional_server_provider (regional_server_t *self,
                                      const Egov__Applications__Application *application);
//  Our own participant id, named as the actor of our notices
//  (default "regional-<route>").
void regional_server_set_id (regional_server_t *self, const char *participant_id);
//  Logs every delivery when true.
void regional_server_set_verbose (regional_server_t *self, bool verbose);
//  The route and the leb's id.
const char *regional_server_route (regional_server_t *self);
const char *regional_server_leb (regional_server_t *self);

//  Checks an application the way Process 7 does before registering it:
//  its fields, its region, its signature judged at at_ms (simulated).
void regional_server_judge (regional_server_t *self,
                            const Egov__Applications__Application *application,
                            int64_t at_ms, regional_judgement_t *judgement);
//  The registration number of the sequence-th document of year in route:
//  "<KATO>-<YYYY>-<NNNNNN>" (at least six digits).
void regional_registration_number (const char *route, int year, int64_t sequence,
                                   char *buffer, size_t size);

//  The handler of every service a regional gateway takes (service is the
//  regional_server_t): applies the delivery on conn inside the runtime's
//  transaction; reason gets the reject code or the failure.
shep_outcome_t regional_server_deliver (void *service, PGconn *conn, const shep_delivery_t *delivery,
                                        egov_error_t *reason);
void regional_server_test (bool verbose);

#ifdef __cplusplus
}
#endif
#endif
