/*  enis_server — the unified notarial system (БНАЖ, бірыңғай нотариалдық
    ақпараттық жүйе / ЕНИС) as a gateway participant: answers enis.poa,
    whether a notarised power of attorney lets a representative act for
    the principal on a date.

    A request carries an egov.registries.PoaRequest {number,
    representative_iin, on_date}; the reply (RESPONSE, same correlation id)
    carries a PoaResponse: VALID, EXPIRED or REVOKED with the power of
    attorney, or NOT_FOUND / NOT_THIS_REPRESENTATIVE without it, so the
    body never leaks to someone it does not name. Revoked wins over
    expired. A malformed representative IIN is answered with error
    INVALID_IIN, an empty number or a malformed date with INVALID_REQUEST;
    a payload of another type or one that does not decode is refused.

    PostgreSQL is asked on every request (one prepared statement), so a
    revocation written to the database counts at once. Without a database
    the server answers from powers of attorney inserted in memory.       */
#ifndef ENIS_SERVER_H_INCLUDED
#define ENIS_SERVER_H_INCLUDED

#include "egov_util.h"
#include "shep_client.h"
#include "registries.pb-c.h"
#include <libpq-fe.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ENIS_SERVICE_POA "enis.poa"
//  Synthetic powers of attorney seeded besides the fixed three.
#define ENIS_SEED_SYNTHETIC 300

typedef struct _enis_server_t enis_server_t;

//  Creates a server asking conn (not owned; NULL answers from memory).
enis_server_t *enis_server_new (PGconn *conn);
void enis_server_destroy (enis_server_t **self_p);
//  Logs every request answered when true.
void enis_server_set_verbose (enis_server_t *self, bool verbose);
//  Adds a power of attorney to the in-memory store; takes ownership.
void enis_server_insert (enis_server_t *self, Egov__Registries__PowerOfAttorney **poa_p);
//  Answers one request envelope. Returns the reply envelope (caller frees
//  with egov__envelope__free_unpacked), or NULL with refusal set when the
//  request is not ours to answer.
Egov__Envelope *enis_server_handle (enis_server_t *self, const Egov__Envelope *request,
                                    egov_error_t *refusal);
//  Handles a frame from the gateway: answers enis requests, rejects async
//  deliveries, logs gateway errors. A shep_client_frame_fn (argument: the server).
void enis_server_on_frame (shep_client_t *client, const Egov__Shep__Frame *frame, void *argument);
//  Requests answered so far (replies and refusals).
uint64_t enis_server_answered (enis_server_t *self);

//  The status of poa (NULL: not found) for a representative on a date
//  (YYYY-MM-DD): the rules, apart from any storage.
Egov__Registries__PoaResponse__Status
    enis_poa_judge (const Egov__Registries__PowerOfAttorney *poa,
                    const char *representative_iin, const char *on_date);
//  Today in the simulation clock, Almaty time, as YYYY-MM-DD.
void enis_today (char out [11]);
//  The powers of attorney a new registry starts with: the fixed three,
//  then count synthetic ones between people of the shared synthetic
//  population. A zlistx of Egov__Registries__PowerOfAttorney that frees them.
zlistx_t *enis_seed_list (size_t count);
//  At first start: when the table is empty, stores enis_seed_list in one
//  transaction. Returns how many it stored, 0 when there were powers of
//  attorney already, -1 with error on failure.
int64_t enis_seed (PGconn *conn, size_t count, egov_error_t *error);

void enis_server_test (bool verbose);

#ifdef __cplusplus
}
#endif
#endif
