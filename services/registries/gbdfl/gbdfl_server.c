/*  gbdfl_server — the registry of individuals answering through the gateway.  */
#include "gbdfl_server.h"
#include "gbdfl_seed.h"
#include "egov_iin.h"
#include "egov_db.h"
#include <malloc.h>

extern const char *gbdfl_schema_sql;

struct _gbdfl_server_t {
    zhashx_t *people;               //  IIN -> s_packed_t: the person, packed (owned)
    uint64_t answered;              //  requests replied to or refused
    bool verbose;                   //  log each request
};

//  A person as the index keeps it: packed, in one allocation. Ten thousand
//  people unpacked (a structure and a string per field) took 13 MB; packed
//  they take a fifth of that, and a look-up unpacks its one.
typedef struct {
    size_t size;
    uint8_t data [];
} s_packed_t;

//  zhashx destructor for an indexed person.
static void
s_packed_free (void **item)
{
    free (*item);
    *item = NULL;
}

//  An empty index that owns its people.
static zhashx_t *
s_index_new (void)
{
    zhashx_t *people = zhashx_new ();
    assert (people);
    zhashx_set_destructor (people, s_packed_free);
    return people;
}

//  Adds or replaces person (not taken) in the packed index people.
static void
s_index_put (zhashx_t *people, const Egov__Registries__Person *person)
{
    size_t size = egov__registries__person__get_packed_size (person);
    s_packed_t *packed = (s_packed_t *) malloc (sizeof (s_packed_t) + size);
    assert (packed);
    packed->size = size;
    egov__registries__person__pack (person, packed->data);
    zhashx_update (people, person->iin, packed);
}

//  The indexed person with the IIN, unpacked (caller frees), or NULL.
static Egov__Registries__Person *
s_index_get (zhashx_t *people, const char *iin)
{
    const s_packed_t *packed = (const s_packed_t *) zhashx_lookup (people, iin);
    return packed ? egov__registries__person__unpack (NULL, packed->size, packed->data) : NULL;
}

//  zhashx destructor for a person being loaded.
static void
s_person_free (void **item)
{
    if (*item) {
        egov__registries__person__free_unpacked ((Egov__Registries__Person *) *item, NULL);
        *item = NULL;
    }
}

gbdfl_server_t *
gbdfl_server_new (void)
{
    gbdfl_server_t *self = calloc (1, sizeof (gbdfl_server_t));
    assert (self);
    self->people = s_index_new ();
    return self;
}

void
gbdfl_server_destroy (gbdfl_server_t **self_p)
{
    assert (self_p);
    gbdfl_server_t *self = *self_p;
    if (self) {
        zhashx_destroy (&self->people);
        free (self);
        *self_p = NULL;
    }
}

void
gbdfl_server_set_verbose (gbdfl_server_t *self, bool verbose)
{
    assert (self);
    self->verbose = verbose;
}

void
gbdfl_server_insert (gbdfl_server_t *self, Egov__Registries__Person **person_p)
{
    assert (self && person_p && *person_p);
    s_index_put (self->people, *person_p);
    egov__registries__person__free_unpacked (*person_p, NULL);
    *person_p = NULL;
}

size_t
gbdfl_server_size (gbdfl_server_t *self)
{
    assert (self);
    return zhashx_size (self->people);
}

Egov__Registries__Person *
gbdfl_server_person (gbdfl_server_t *self, const char *iin)
{
    assert (self);
    return iin ? s_index_get (self->people, iin) : NULL;
}

uint64_t
gbdfl_server_answered (gbdfl_server_t *self)
{
    assert (self);
    return self->answered;
}

//  Runs a parameterless query expecting rows; NULL with error set otherwise.
static PGresult *
s_query (PGconn *conn, const char *sql, const char *what, egov_error_t *error)
{
    PGresult *result = egov_db_params (conn, sql, 0, NULL, NULL, NULL, NULL, 0);
    if (PQresultStatus (result) == PGRES_TUPLES_OK || PQresultStatus (result) == PGRES_COMMAND_OK)
        return result;
    egov_error_set (error, "DB_FAILED", "loading %s: %s", what, PQresultErrorMessage (result));
    PQclear (result);
    return NULL;
}

//  Person message from a row of the person query.
static Egov__Registries__Person *
s_person_from_row (PGresult *result, int row)
{
    Egov__Registries__Person *person = malloc (sizeof (*person));
    assert (person);
    egov__registries__person__init (person);
    person->iin = egov_db_strdup (result, row, 0);
    person->surname = egov_db_strdup (result, row, 1);
    person->name = egov_db_strdup (result, row, 2);
    person->patronymic = egov_db_strdup (result, row, 3);
    person->birth_date = egov_db_strdup (result, row, 4);
    person->gender = egov_db_strdup (result, row, 5);
    person->citizenship = egov_db_strdup (result, row, 6);
    if (!PQgetisnull (result, row, 7)) {
        Egov__Registries__Address *address = malloc (sizeof (*address));
        assert (address);
        egov__registries__address__init (address);
        address->region_kato = egov_db_strdup (result, row, 7);
        address->region_name = egov_db_strdup (result, row, 8);
        address->locality = egov_db_strdup (result, row, 9);
        address->street = egov_db_strdup (result, row, 10);
        address->house = egov_db_strdup (result, row, 11);
        address->flat = egov_db_strdup (result, row, 12);
        person->address = address;
    }
    return person;
}

//  Certificate message from a row of the certificate query.
static Egov__Registries__BirthCertificate *
s_certificate_from_row (PGresult *result, int row)
{
    Egov__Registries__BirthCertificate *certificate = malloc (sizeof (*certificate));
    assert (certificate);
    egov__registries__birth_certificate__init (certificate);
    certificate->number = egov_db_strdup (result, row, 0);
    certificate->issued = egov_db_strdup (result, row, 1);
    certificate->child_iin = egov_db_strdup (result, row, 2);
    certificate->mother_iin = egov_db_strdup (result, row, 3);
    certificate->father_iin = egov_db_strdup (result, row, 4);
    certificate->registry_office = egov_db_strdup (result, row, 5);
    return certificate;
}

//  Deep copy of a certificate, for a parent's list.
static Egov__Registries__BirthCertificate *
s_certificate_dup (const Egov__Registries__BirthCertificate *certificate)
{
    size_t size = egov__registries__birth_certificate__get_packed_size (certificate);
    uint8_t *buffer = malloc (size ? size : 1);
    assert (buffer);
    egov__registries__birth_certificate__pack (certificate, buffer);
    Egov__Registries__BirthCertificate *copy =
        egov__registries__birth_certificate__unpack (NULL, size, buffer);
    free (buffer);
    assert (copy);
    return copy;
}

//  Appends an item to a repeated message field.
static void
s_append (void ***items, size_t *count, void *item)
{
    void **grown = realloc (*items, (*count + 1) * sizeof (void *));
    assert (grown);
    *items = grown;
    grown [(*count)++] = item;
}

//  Fills people from the three queries of one snapshot.
static bool
s_load_snapshot (zhashx_t *people, PGconn *conn, egov_error_t *error)
{
    PGresult *result = s_query (conn,
        "SELECT p.iin, p.surname, p.name, p.patronymic, to_char (p.birth_date, 'YYYY-MM-DD'),"
        " p.gender, p.citizenship, a.region_kato, a.region_name, a.locality, a.street,"
        " a.house, a.flat"
        " FROM person p LEFT JOIN address a ON a.iin = p.iin", "people", error);
    if (!result)
        return false;
    for (int row = 0; row < PQntuples (result); row++) {
        Egov__Registries__Person *person = s_person_from_row (result, row);
        zhashx_update (people, person->iin, person);
    }
    PQclear (result);

    result = s_query (conn,
        "SELECT iin, type, number, to_char (issued, 'YYYY-MM-DD'),"
        " coalesce (to_char (expires, 'YYYY-MM-DD'), ''), issuer"
        " FROM identity_document"
        " ORDER BY iin, issued, type COLLATE \"C\", number COLLATE \"C\"", "documents", error);
    if (!result)
        return false;
    for (int row = 0; row < PQntuples (result); row++) {
        Egov__Registries__Person *person = zhashx_lookup (people, PQgetvalue (result, row, 0));
        assert (person);        //  the foreign key guarantees it
        Egov__Registries__IdentityDocument *document = malloc (sizeof (*document));
        assert (document);
        egov__registries__identity_document__init (document);
        document->type = egov_db_strdup (result, row, 1);
        document->number = egov_db_strdup (result, row, 2);
        document->issued = egov_db_strdup (result, row, 3);
        document->expires = egov_db_strdup (result, row, 4);
        document->issuer = egov_db_strdup (result, row, 5);
        s_append ((void ***) &person->documents, &person->n_documents, document);
    }
    PQclear (result);

    result = s_query (conn,
        "SELECT number, to_char (issued, 'YYYY-MM-DD'), child_iin, coalesce (mother_iin, ''),"
        " coalesce (father_iin, ''), registry_office"
        " FROM birth_certificate ORDER BY issued, number COLLATE \"C\"", "certificates", error);
    if (!result)
        return false;
    for (int row = 0; row < PQntuples (result); row++) {
        Egov__Registries__BirthCertificate *certificate = s_certificate_from_row (result, row);
        const char *parents [2] = { certificate->mother_iin, certificate->father_iin };
        for (int parent = 0; parent < 2; parent++) {
            Egov__Registries__Person *holder = *parents [parent]
                ? zhashx_lookup (people, parents [parent]) : NULL;
            if (holder)
                s_append ((void ***) &holder->children, &holder->n_children,
                          s_certificate_dup (certificate));
        }
        Egov__Registries__Person *child = zhashx_lookup (people, certificate->child_iin);
        assert (child && !child->birth_certificate);    //  foreign key, unique child
        child->birth_certificate = certificate;
    }
    PQclear (result);
    return true;
}

int64_t
gbdfl_server_load (gbdfl_server_t *self, PGconn *conn, egov_error_t *error)
{
    assert (self && conn);
    egov_error_t ignored;
    if (!error)
        error = &ignored;
    memset (error, 0, sizeof (*error));
    //  One snapshot, so a certificate never names a person the load missed
    PGresult *begin = s_query (conn, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
                               "snapshot", error);
    if (!begin)
        return -1;
    PQclear (begin);
    zhashx_t *people = zhashx_new ();
    assert (people);
    zhashx_set_destructor (people, s_person_free);
    bool loaded = s_load_snapshot (people, conn, error);
    PGresult *end = egov_db_params (conn, loaded ? "COMMIT" : "ROLLBACK",
                                  0, NULL, NULL, NULL, NULL, 0);
    PQclear (end);
    if (!loaded) {
        zhashx_destroy (&people);
        return -1;
    }
    zhashx_t *index = s_index_new ();
    for (Egov__Registries__Person *person = (Egov__Registries__Person *) zhashx_first (people); person;
         person = (Egov__Registries__Person *) zhashx_next (people))
        s_index_put (index, person);
    zhashx_destroy (&people);
    zhashx_destroy (&self->people);
    self->people = index;
    //  The people unpacked for the load are freed all over the heap: give
    //  their pages back
    malloc_trim (0);
    return (int64_t) zhashx_size (index);
}

//  The reply envelope every answer starts from: same service and
//  correlation, addressed back to the sender.
static Egov__Envelope *
s_reply_new (const Egov__Envelope *request)
{
    Egov__Envelope *reply = egov_envelope_new (GBDFL_SERVICE_PERSON, EGOV__MESSAGE_TYPE__RESPONSE);
    egov_string_set (&reply->correlation_id, request->correlation_id);
    egov_string_set (&reply->recipient_id, request->sender_id);
    egov_string_set (&reply->route_id, request->route_id);
    egov_string_set (&reply->session_id, request->session_id);
    return reply;
}

Egov__Envelope *
gbdfl_server_handle (gbdfl_server_t *self, const Egov__Envelope *request, egov_error_t *refusal)
{
    assert (self && request);
    egov_error_t ignored;
    if (!refusal)
        refusal = &ignored;
    memset (refusal, 0, sizeof (*refusal));
    const char *wanted = egov__registries__person_request__descriptor.name;
    if (!request->service_id || !streq (request->service_id, GBDFL_SERVICE_PERSON)) {
        egov_error_set (refusal, "UNSUPPORTED_SERVICE", "gbdfl answers %s, not '%.64s'",
                        GBDFL_SERVICE_PERSON, request->service_id ? request->service_id : "");
        return NULL;
    }
    if (!request->payload_type || !streq (request->payload_type, wanted)) {
        egov_error_set (refusal, "UNSUPPORTED_PAYLOAD", "%s takes %s, not '%.64s'",
                        GBDFL_SERVICE_PERSON, wanted,
                        request->payload_type ? request->payload_type : "");
        return NULL;
    }
    Egov__Registries__PersonRequest *query = (Egov__Registries__PersonRequest *)
        egov_envelope_payload (request, &egov__registries__person_request__descriptor);
    if (!query) {
        egov_error_set (refusal, "MALFORMED_PAYLOAD", "%s payload does not decode (%zu bytes)",
                        wanted, request->payload.len);
        return NULL;
    }
    Egov__Envelope *reply = s_reply_new (request);
    egov_error_t invalid;
    if (!egov_iin_valid (query->iin, &invalid))
        egov_envelope_set_error (reply, invalid.code, invalid.message);
    else {
        Egov__Registries__PersonResponse response = EGOV__REGISTRIES__PERSON_RESPONSE__INIT;
        response.person = s_index_get (self->people, query->iin);
        response.status = response.person ? EGOV__REGISTRIES__PERSON_RESPONSE__STATUS__FOUND
                                          : EGOV__REGISTRIES__PERSON_RESPONSE__STATUS__NOT_FOUND;
        egov_envelope_set_payload (reply, &response.base);
        if (response.person)
            egov__registries__person__free_unpacked (response.person, NULL);
    }
    if (self->verbose)
        zsys_info ("gbdfl: %s from %s: %s", query->iin, request->sender_id,
                   reply->error ? reply->error->message
                   : zhashx_lookup (self->people, query->iin) ? "FOUND" : "NOT_FOUND");
    egov__registries__person_request__free_unpacked (query, NULL);
    return reply;
}

//  Answers a request for the client's helper (a shep_client_answer_fn).
static Egov__Envelope *
s_answer (void *argument, const Egov__Envelope *request, egov_error_t *refusal)
{
    gbdfl_server_t *self = (gbdfl_server_t *) argument;
    self->answered++;
    return gbdfl_server_handle (self, request, refusal);
}

void
gbdfl_server_on_frame (shep_client_t *client, const Egov__Shep__Frame *frame, void *argument)
{
    shep_client_serve_sync_only (client, frame, s_answer, argument);
}

//  Builds a gbdfl.person request for an IIN (test helper).
static Egov__Envelope *
s_request_new (const char *iin)
{
    Egov__Envelope *request = egov_envelope_new (GBDFL_SERVICE_PERSON, EGOV__MESSAGE_TYPE__REQUEST);
    egov_string_set (&request->sender_id, "intake");
    Egov__Registries__PersonRequest query = EGOV__REGISTRIES__PERSON_REQUEST__INIT;
    query.iin = (char *) iin;
    egov_envelope_set_payload (request, &query.base);
    return request;
}

//  Asks the server for an IIN and returns the decoded response (test helper);
//  *reply_p receives the reply envelope.
static Egov__Registries__PersonResponse *
s_ask (gbdfl_server_t *self, const char *iin, Egov__Envelope **reply_p)
{
    Egov__Envelope *request = s_request_new (iin);
    Egov__Envelope *reply = gbdfl_server_handle (self, request, NULL);
    assert (reply);
    assert (reply->message_type == EGOV__MESSAGE_TYPE__RESPONSE);
    assert (streq (reply->correlation_id, request->correlation_id));
    assert (!streq (reply->message_id, request->message_id));
    assert (streq (reply->recipient_id, "intake"));
    egov__envelope__free_unpacked (request, NULL);
    *reply_p = reply;
    if (reply->error)
        return NULL;
    return (Egov__Registries__PersonResponse *)
        egov_envelope_payload (reply, &egov__registries__person_response__descriptor);
}

//  True when two messages pack to the same bytes.
static bool
s_same_message (const ProtobufCMessage *left, const ProtobufCMessage *right)
{
    zframe_t *first = egov_pb_frame (left);
    zframe_t *second = egov_pb_frame (right);
    bool same = zframe_eq (first, second);
    zframe_destroy (&first);
    zframe_destroy (&second);
    return same;
}

//  The test's stand-in for the gateway: reads one frame from a ROUTER.
static Egov__Shep__Frame *
s_router_recv (zsock_t *router, zframe_t **identity)
{
    *identity = zframe_recv (router);
    zframe_t *packed = zframe_recv (router);
    assert (*identity && packed);
    Egov__Shep__Frame *frame = egov__shep__frame__unpack (NULL, zframe_size (packed), zframe_data (packed));
    zframe_destroy (&packed);
    assert (frame);
    return frame;
}

//  The test's stand-in for the gateway: sends one frame to a participant.
static void
s_router_send (zsock_t *router, zframe_t *identity, const Egov__Shep__Frame *frame)
{
    zframe_send (&identity, router, ZFRAME_MORE | ZFRAME_REUSE);
    zframe_t *packed = egov_pb_frame (&frame->base);
    zframe_send (&packed, router, 0);
}

void
gbdfl_server_test (bool verbose)
{
    if (verbose)
        printf (" * gbdfl_server: ");

    //  An index filled from the generated population, no database
    gbdfl_server_t *server = gbdfl_server_new ();
    gbdfl_population_t *population = gbdfl_population_new (EGOV_POPULATION_SEED, 300);
    for (size_t index = 0; index < gbdfl_population_size (population); index++) {
        Egov__Registries__Person *person = gbdfl_population_person (population, index);
        gbdfl_server_insert (server, &person);
        assert (person == NULL);
    }
    assert (gbdfl_server_size (server) == 307);

    //  Found: a parent with the child's certificate
    Egov__Envelope *reply;
    Egov__Registries__PersonResponse *response = s_ask (server, "850314301234", &reply);
    assert (response && response->status == EGOV__REGISTRIES__PERSON_RESPONSE__STATUS__FOUND);
    assert (streq (reply->payload_type, "egov.registries.PersonResponse"));
    assert (streq (response->person->surname, "Асқаров"));
    assert (streq (response->person->patronymic, "Серікұлы"));
    assert (response->person->n_documents == 2);
    assert (response->person->n_children == 1);
    assert (streq (response->person->children [0]->child_iin, "150913500422"));
    egov__registries__person_response__free_unpacked (response, NULL);
    egov__envelope__free_unpacked (reply, NULL);

    //  Found: a child with the own certificate
    response = s_ask (server, "150913500422", &reply);
    assert (response && response->person->birth_certificate);
    assert (streq (response->person->birth_certificate->father_iin, "850314301234"));
    egov__registries__person_response__free_unpacked (response, NULL);
    egov__envelope__free_unpacked (reply, NULL);

    response = s_ask (server, "951203407770", &reply);
    assert (response && streq (response->person->address->region_kato, "230000000"));
    egov__registries__person_response__free_unpacked (response, NULL);
    egov__envelope__free_unpacked (reply, NULL);

    //  Not found is an answer, not an error
    response = s_ask (server, "010101599994", &reply);
    assert (response && response->status == EGOV__REGISTRIES__PERSON_RESPONSE__STATUS__NOT_FOUND);
    assert (response->person == NULL && reply->error == NULL);
    egov__registries__person_response__free_unpacked (response, NULL);
    egov__envelope__free_unpacked (reply, NULL);

    //  Malformed IINs: an error reply that says what is wrong
    const char *malformed [][2] = {
        { "850314301235", "check digit" }, { "8503143012", "12 digits" },
        { "85031430123X", "not a digit" }, { "851314301234", "does not exist" },
        { "850314901234", "digit 7" }, { "", "got 0" }
    };
    for (size_t row = 0; row < sizeof (malformed) / sizeof (malformed [0]); row++) {
        assert (s_ask (server, malformed [row][0], &reply) == NULL);
        assert (reply->error && streq (reply->error->code, "INVALID_IIN"));
        assert (strstr (reply->error->message, malformed [row][1]));
        assert (reply->payload.len == 0);
        egov__envelope__free_unpacked (reply, NULL);
    }

    //  Not ours: another payload type, a payload that does not decode,
    //  another service
    egov_error_t refusal;
    Egov__Envelope *request = s_request_new ("850314301234");
    Egov__Registries__PoaRequest other = EGOV__REGISTRIES__POA_REQUEST__INIT;
    other.number = "POA-2026-0001";
    egov_envelope_set_payload (request, &other.base);
    assert (gbdfl_server_handle (server, request, &refusal) == NULL);
    assert (streq (refusal.code, "UNSUPPORTED_PAYLOAD"));
    egov_string_set (&request->payload_type, "egov.registries.PersonRequest");
    free (request->payload.data);
    request->payload.len = 3;
    request->payload.data = (uint8_t *) strdup ("\x0a\x7f\x41");
    assert (gbdfl_server_handle (server, request, &refusal) == NULL);
    assert (streq (refusal.code, "MALFORMED_PAYLOAD"));
    egov_string_set (&request->service_id, "enis.poa");
    assert (gbdfl_server_handle (server, request, &refusal) == NULL);
    assert (streq (refusal.code, "UNSUPPORTED_SERVICE"));
    egov__envelope__free_unpacked (request, NULL);

    //  Through a socket: a stand-in gateway sends requests, the server
    //  drains them and answers or refuses
    zsock_t *router = zsock_new (ZMQ_ROUTER);
    assert (router);
    int port = zsock_bind (router, "tcp://127.0.0.1:*");
    assert (port > 0);
    char endpoint [64];
    snprintf (endpoint, sizeof (endpoint), "tcp://127.0.0.1:%d", port);
    shep_client_t *client = shep_client_new (endpoint, "gbdfl-test");
    shep_client_provide (client, GBDFL_SERVICE_PERSON);
    assert (shep_client_connect (client, 1) == -1);      //  hello queued
    zframe_t *identity;
    Egov__Shep__Frame *frame = s_router_recv (router, &identity);
    assert (frame->body_case == EGOV__SHEP__FRAME__BODY_HELLO);
    assert (streq (frame->hello->services [0], GBDFL_SERVICE_PERSON));
    egov__shep__frame__free_unpacked (frame, NULL);
    Egov__Shep__Welcome welcome = EGOV__SHEP__WELCOME__INIT;
    welcome.gateway_id = "test-gateway";
    welcome.heartbeat_ms = 1000;
    Egov__Shep__Frame out = EGOV__SHEP__FRAME__INIT;
    out.body_case = EGOV__SHEP__FRAME__BODY_WELCOME;
    out.welcome = &welcome;
    s_router_send (router, identity, &out);
    assert (shep_client_connect (client, 2000) == 0);

    Egov__Envelope *found = s_request_new ("781130306545");
    Egov__Envelope *refused = s_request_new ("781130306545");
    egov_string_set (&refused->payload_type, "egov.registries.PoaRequest");
    Egov__Shep__SyncRequest sync = EGOV__SHEP__SYNC_REQUEST__INIT;
    out.body_case = EGOV__SHEP__FRAME__BODY_SYNC_REQUEST;
    out.sync_request = &sync;
    sync.envelope = found;
    s_router_send (router, identity, &out);
    sync.envelope = refused;
    s_router_send (router, identity, &out);
    size_t handled = 0;
    int64_t deadline = zclock_mono () + 5000;
    while (handled < 2 && zclock_mono () < deadline) {
        Egov__Shep__Frame *frame_in;
        while ((frame_in = shep_client_recv (client, 0))) {
            gbdfl_server_on_frame (client, frame_in, server);
            egov__shep__frame__free_unpacked (frame_in, NULL);
            handled++;
        }
        if (handled < 2)
            zclock_sleep (5);
    }
    assert (handled == 2);
    assert (gbdfl_server_answered (server) == 2);
    bool replied = false, refused_seen = false;
    while (!replied || !refused_seen) {
        zframe_t *sender;
        frame = s_router_recv (router, &sender);
        zframe_destroy (&sender);
        if (frame->body_case == EGOV__SHEP__FRAME__BODY_SYNC_REPLY) {
            assert (streq (frame->sync_reply->in_reply_to, found->message_id));
            Egov__Registries__PersonResponse *answer = (Egov__Registries__PersonResponse *)
                egov_envelope_payload (frame->sync_reply->envelope,
                                       &egov__registries__person_response__descriptor);
            assert (answer && streq (answer->person->name, "Дәурен"));
            egov__registries__person_response__free_unpacked (answer, NULL);
            replied = true;
        }
        else
        if (frame->body_case == EGOV__SHEP__FRAME__BODY_REFUSE) {
            assert (streq (frame->refuse->in_reply_to, refused->message_id));
            assert (streq (frame->refuse->reason->code, "UNSUPPORTED_PAYLOAD"));
            refused_seen = true;
        }
        egov__shep__frame__free_unpacked (frame, NULL);
    }
    egov__envelope__free_unpacked (found, NULL);
    egov__envelope__free_unpacked (refused, NULL);
    zframe_destroy (&identity);
    shep_client_destroy (&client);
    zsock_destroy (&router);

    //  From PostgreSQL: seeding then loading gives back exactly the people
    //  that were generated
    const char *conninfo = getenv ("EGOV_TEST_DB");
    if (!conninfo || !*conninfo) {
        if (verbose)
            printf ("(database part skipped: EGOV_TEST_DB unset) ");
        else
            printf ("gbdfl_server: database part skipped: EGOV_TEST_DB unset\n");
    }
    else {
        PGconn *conn = egov_db_connect (conninfo, 5000);
        assert (conn);
        assert (egov_db_exec_script (conn,
            "DROP SCHEMA IF EXISTS gbdfl_server_test CASCADE;"
            "CREATE SCHEMA gbdfl_server_test;"
            "SET search_path TO gbdfl_server_test", "test schema"));
        assert (egov_db_exec_script (conn, gbdfl_schema_sql, "gbdfl schema"));
        egov_error_t error;
        assert (gbdfl_seed (conn, EGOV_POPULATION_SEED, 300, &error) == 307);
        gbdfl_server_t *loaded = gbdfl_server_new ();
        assert (gbdfl_server_load (loaded, conn, &error) == 307);
        for (size_t index = 0; index < gbdfl_population_size (population); index++) {
            Egov__Registries__Person *expected = gbdfl_population_person (population, index);
            Egov__Registries__Person *actual = gbdfl_server_person (loaded, expected->iin);
            assert (actual);
            assert (s_same_message (&expected->base, &actual->base));
            egov__registries__person__free_unpacked (expected, NULL);
            egov__registries__person__free_unpacked (actual, NULL);
        }
        //  A failed load keeps the old index
        assert (egov_db_exec_script (conn, "DROP TABLE birth_certificate", "drop"));
        assert (gbdfl_server_load (loaded, conn, &error) == -1);
        assert (streq (error.code, "DB_FAILED"));
        assert (gbdfl_server_size (loaded) == 307);
        Egov__Registries__Person *kept = gbdfl_server_person (loaded, "900722404568");
        assert (kept);
        egov__registries__person__free_unpacked (kept, NULL);
        gbdfl_server_destroy (&loaded);
        assert (egov_db_exec_script (conn, "DROP SCHEMA gbdfl_server_test CASCADE", "drop"));
        PQfinish (conn);
    }

    gbdfl_population_destroy (&population);
    gbdfl_server_destroy (&server);
    gbdfl_server_destroy (&server);
    if (verbose)
        printf ("OK\n");
}
