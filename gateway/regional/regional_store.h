/*  regional_store — the regional gateway's database (ЭҮӨШ, "электрондық
    үкіметтің" өңірлік шлюзі): the inbox that dedupes deliveries, the
    registration journal (Process 7), the per-year registration counter
    and the outbox of messages owed to the central gateway.

    One delivery is one transaction: begin, claim the message id in the
    inbox (a duplicate stops there), write the effect and the outgoing
    envelopes, settle, commit. The outbox is read back in order and each
    row marked once the gateway confirmed it, so nothing the registration
    promised is lost when the process or the gateway dies in between.

    Every call takes the route it works for, so regions may share one
    database. Calls that fail log once and return false / -1; the caller
    rolls back and leaves the delivery for the gateway to bring again.  */
#ifndef REGIONAL_STORE_H_INCLUDED
#define REGIONAL_STORE_H_INCLUDED

#include "egov_util.h"
#include <libpq-fe.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct _regional_store_t regional_store_t;

//  What the journal holds about one application.
typedef struct {
    char correlation_id [129];      //  the application's key
    char application_id [65];       //  the channel's id
    char sender_id [65];            //  the channel that sent it
    char status [16];               //  REGISTERED or REFUSED
    char registration_number [48];  //  "" when refused
    int64_t registered_at;          //  simulated ms
    int64_t registered_wall;        //  wall ms
    char signature_outcome [32];    //  egov_cms outcome or NOT_CHECKED
    char signer [320];              //  name and IIN from the certificate
    char signer_iin [13];
    char refusal_code [48];         //  "" when registered
    char refusal [256];             //  why, for people
    char service [65];              //  catalogue code
    char applicant_iin [13];
    char message_id [129];          //  the submission's message id
    char provider_id [65];          //  who decides it: the leb ("") or a register
} regional_record_t;

//  A store over conn (not owned) for one route.
regional_store_t *regional_store_new (PGconn *conn, const char *route);
void regional_store_destroy (regional_store_t **self_p);

//  Looks an application up: 1 found (record filled), 0 unknown, -1 failure.
int regional_store_find (regional_store_t *self, const char *correlation_id,
                         regional_record_t *record);
//  Next registration sequence of this route in year (1, 2, ...); -1 on failure.
int64_t regional_store_next_sequence (regional_store_t *self, int year);
//  Writes a registration (registered or refused) to the journal.
bool regional_store_register (regional_store_t *self, const regional_record_t *record);
//  Notes the latest status carried back to the channel.
bool regional_store_note_status (regional_store_t *self, const char *correlation_id,
                                 const char *status, int64_t at_ms);
//  Notes the result carried back to the channel.
bool regional_store_note_result (regional_store_t *self, const char *correlation_id,
                                 bool approved, int64_t decided_ms);
void regional_store_test (bool verbose);

#ifdef __cplusplus
}
#endif
#endif
