/*  gbdfl_server — the state database of individuals (ЖТ ММБ / ГБД ФЛ) as a
    gateway participant: answers service gbdfl.person.

    PostgreSQL is the store; at start every person, with documents and birth
    certificates, is loaded into an in-memory index keyed by IIN, so a
    lookup costs a hash probe and a pack, not a query. A request carries an
    egov.registries.PersonRequest; the reply envelope (RESPONSE, same
    correlation id) carries a PersonResponse: FOUND with the person, or
    NOT_FOUND for a well-formed IIN nobody has. A malformed IIN is answered
    with error INVALID_IIN; a payload of another type or one that does not
    decode is refused (UNSUPPORTED_PAYLOAD, MALFORMED_PAYLOAD).          */
#ifndef GBDFL_SERVER_H_INCLUDED
#define GBDFL_SERVER_H_INCLUDED

#include "egov_util.h"
#include "shep_client.h"
#include "registries.pb-c.h"
#include <libpq-fe.h>

#ifdef __cplusplus
extern "C" {
#endif

#define GBDFL_SERVICE_PERSON "gbdfl.person"

typedef struct _gbdfl_server_t gbdfl_server_t;

//  Creates a server with an empty index.
gbdfl_server_t *gbdfl_server_new (void);
void gbdfl_server_destroy (gbdfl_server_t **self_p);
//  Logs every request answered when true.
void gbdfl_server_set_verbose (gbdfl_server_t *self, bool verbose);
//  Replaces the index with every person in the database, read in one
//  snapshot. Returns the number of people, or -1 with error set (the old
//  index stays).
int64_t gbdfl_server_load (gbdfl_server_t *self, PGconn *conn, egov_error_t *error);
//  Adds or replaces a person in the index; takes ownership and nulls *person_p.
void gbdfl_server_insert (gbdfl_server_t *self, Egov__Registries__Person **person_p);
//  Number of people in the index.
size_t gbdfl_server_size (gbdfl_server_t *self);
//  A copy of the indexed person with the IIN (caller frees with
//  egov__registries__person__free_unpacked), or NULL.
Egov__Registries__Person *gbdfl_server_person (gbdfl_server_t *self, const char *iin);
//  Answers one request envelope. Returns the reply envelope (caller frees
//  with egov__envelope__free_unpacked), or NULL with refusal set when the
//  request is not ours to answer.
Egov__Envelope *gbdfl_server_handle (gbdfl_server_t *self, const Egov__Envelope *request,
                                     egov_error_t *refusal);
//  Handles a frame from the gateway: answers gbdfl requests, rejects async
//  deliveries, logs gateway errors. A shep_client_frame_fn (argument: the server).
void gbdfl_server_on_frame (shep_client_t *client, const Egov__Shep__Frame *frame, void *argument);
//  Requests answered so far (replies and refusals).
uint64_t gbdfl_server_answered (gbdfl_server_t *self);

void gbdfl_server_test (bool verbose);

#ifdef __cplusplus
}
#endif
#endif
