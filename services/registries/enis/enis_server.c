/*  enis_server — the notarial registry answering through the gateway.  */
#include "enis_server.h"
#include "egov_clock.h"
#include "egov_iin.h"
#include "egov_db.h"
#include "egov_population_ids.h"

extern const char *enis_schema_sql;

//  Longest power-of-attorney number we look up; longer is a bad request.
#define s_MAX_NUMBER 64
//  Name of the prepared lookup statement.
#define s_LOOKUP "enis_poa_lookup"

struct _enis_server_t {
    PGconn *conn;                   //  the store, not owned; NULL: memory only
    bool prepared;                  //  lookup statement prepared on conn
    zhashx_t *memory;               //  number -> PowerOfAttorney, when conn is NULL
    uint64_t answered;              //  requests replied to or refused
    bool verbose;                   //  log each request
};

//  Service codes of the education services a power of attorney may cover.
static const char *s_service_codes [] = {
    "externat-permit", "school-enrolment", "education-duplicate", "kindergarten-queue",
    "preschool-admission", "tvet-admission", "tvet-dormitory", "tvet-duplicate",
    "tvet-state-order"
};
#define s_SERVICE_CODE_COUNT (sizeof (s_service_codes) / sizeof (s_service_codes [0]))

static const char *s_notaries [] = {
    "Жақсыбекова А. Т., Алматы қ. нотариусы",
    "Омаров Б. Қ., Алматы қ. нотариусы",
    "Сәрсенова Г. М., Астана қ. нотариусы",
    "Тұрсынов Е. А., Шымкент қ. нотариусы",
    "Бекова Д. С., Атырау қ. нотариусы",
    "Исаев Н. Ж., Орал қ. нотариусы",
    "Қасымова Л. Б., Қызылорда қ. нотариусы",
    "Нұрпейісов Р. Е., Қарағанды қ. нотариусы"
};
#define s_NOTARY_COUNT (sizeof (s_notaries) / sizeof (s_notaries [0]))

//  zhashx/zlistx destructor for a power of attorney.
static void
s_poa_free (void **item)
{
    if (*item) {
        egov__registries__power_of_attorney__free_unpacked (
            (Egov__Registries__PowerOfAttorney *) *item, NULL);
        *item = NULL;
    }
}

//  Heap copy of a string for a protobuf field.
static char *
s_strdup (const char *text)
{
    char *copy = strdup (text ? text : "");
    assert (copy);
    return copy;
}

//  A heap power of attorney; services is a comma-separated list ("" = all).
static Egov__Registries__PowerOfAttorney *
s_poa_new (const char *number, const char *principal, const char *representative,
           const char *notary, const char *issued, const char *valid_until,
           const char *services, const char *revoked_on)
{
    Egov__Registries__PowerOfAttorney *poa = malloc (sizeof (*poa));
    assert (poa);
    egov__registries__power_of_attorney__init (poa);
    poa->number = s_strdup (number);
    poa->principal_iin = s_strdup (principal);
    poa->representative_iin = s_strdup (representative);
    poa->notary = s_strdup (notary);
    poa->issued = s_strdup (issued);
    poa->valid_until = s_strdup (valid_until);
    poa->revoked = revoked_on && *revoked_on;
    poa->revoked_on = s_strdup (revoked_on);
    if (services && *services) {
        char *list = s_strdup (services);
        char *rest = list;
        char *code;
        while ((code = strsep (&rest, ","))) {
            if (!*code)
                continue;
            char **grown = realloc (poa->services, (poa->n_services + 1) * sizeof (char *));
            assert (grown);
            poa->services = grown;
            poa->services [poa->n_services++] = s_strdup (code);
        }
        free (list);
    }
    return poa;
}

enis_server_t *
enis_server_new (PGconn *conn)
{
    enis_server_t *self = calloc (1, sizeof (enis_server_t));
    assert (self);
    self->conn = conn;
    self->memory = zhashx_new ();
    assert (self->memory);
    zhashx_set_destructor (self->memory, s_poa_free);
    return self;
}

void
enis_server_destroy (enis_server_t **self_p)
{
    assert (self_p);
    enis_server_t *self = *self_p;
    if (self) {
        zhashx_destroy (&self->memory);
        free (self);
        *self_p = NULL;
    }
}

void
enis_server_set_verbose (enis_server_t *self, bool verbose)
{
    assert (self);
    self->verbose = verbose;
}

void
enis_server_insert (enis_server_t *self, Egov__Registries__PowerOfAttorney **poa_p)
{
    assert (self && poa_p && *poa_p);
    zhashx_update (self->memory, (*poa_p)->number, *poa_p);
    *poa_p = NULL;
}

uint64_t
enis_server_answered (enis_server_t *self)
{
    assert (self);
    return self->answered;
}

void
enis_today (char out [11])
{
    //  The simulation clock's date in Almaty time (YYYY-MM-DD of the ISO form)
    char moment [40];
    egov_clock_format (egov_clock_now_ms (), moment, sizeof (moment));
    memcpy (out, moment, 10);
    out [10] = 0;
}

Egov__Registries__PoaResponse__Status
enis_poa_judge (const Egov__Registries__PowerOfAttorney *poa,
                const char *representative_iin, const char *on_date)
{
    if (!poa)
        return EGOV__REGISTRIES__POA_RESPONSE__STATUS__NOT_FOUND;
    if (!streq (poa->representative_iin, representative_iin))
        return EGOV__REGISTRIES__POA_RESPONSE__STATUS__NOT_THIS_REPRESENTATIVE;
    //  ISO dates compare as strings. Before its issue it did not exist yet
    if (strcmp (on_date, poa->issued) < 0)
        return EGOV__REGISTRIES__POA_RESPONSE__STATUS__NOT_FOUND;
    if (poa->revoked && (!*poa->revoked_on || strcmp (poa->revoked_on, on_date) <= 0))
        return EGOV__REGISTRIES__POA_RESPONSE__STATUS__REVOKED;
    if (strcmp (on_date, poa->valid_until) > 0)
        return EGOV__REGISTRIES__POA_RESPONSE__STATUS__EXPIRED;
    return EGOV__REGISTRIES__POA_RESPONSE__STATUS__VALID;
}

//  Prepares the lookup on the connection.
static bool
s_prepare (enis_server_t *self)
{
    PGresult *result = PQprepare (self->conn, s_LOOKUP,
        "SELECT number, principal_iin, representative_iin, notary,"
        " to_char (issued, 'YYYY-MM-DD'), to_char (valid_until, 'YYYY-MM-DD'),"
        " array_to_string (services, ','), coalesce (to_char (revoked_on, 'YYYY-MM-DD'), '')"
        " FROM power_of_attorney WHERE number = $1", 1, NULL);
    self->prepared = egov_db_check (result, PGRES_COMMAND_OK, "preparing the poa lookup");
    PQclear (result);
    return self->prepared;
}

//  Looks a number up. Returns true with *poa_p set (NULL when there is no
//  such number), or false with error set when the store cannot answer.
static bool
s_lookup (enis_server_t *self, const char *number, Egov__Registries__PowerOfAttorney **poa_p,
          egov_error_t *error)
{
    *poa_p = NULL;
    if (!self->conn) {
        Egov__Registries__PowerOfAttorney *stored = zhashx_lookup (self->memory, number);
        if (stored) {
            //  A copy, so callers free every answer the same way
            zframe_t *packed = egov_pb_frame (&stored->base);
            *poa_p = egov__registries__power_of_attorney__unpack (
                NULL, zframe_size (packed), zframe_data (packed));
            zframe_destroy (&packed);
            assert (*poa_p);
        }
        return true;
    }
    //  A dropped connection gets one reset and a fresh statement
    for (int attempt = 0; attempt < 2; attempt++) {
        if (!self->prepared && !(egov_db_alive (self->conn) && s_prepare (self)))
            continue;
        PGresult *result = PQexecPrepared (self->conn, s_LOOKUP, 1,
                                           (const char *[]) { number }, NULL, NULL, 0);
        if (PQresultStatus (result) == PGRES_TUPLES_OK) {
            if (PQntuples (result) == 1)
                *poa_p = s_poa_new (PQgetvalue (result, 0, 0), PQgetvalue (result, 0, 1),
                                    PQgetvalue (result, 0, 2), PQgetvalue (result, 0, 3),
                                    PQgetvalue (result, 0, 4), PQgetvalue (result, 0, 5),
                                    PQgetvalue (result, 0, 6), PQgetvalue (result, 0, 7));
            PQclear (result);
            return true;
        }
        zsys_warning ("enis: poa lookup failed: %s", PQresultErrorMessage (result));
        PQclear (result);
        if (PQstatus (self->conn) == CONNECTION_OK)
            break;              //  not a connection problem; retrying will not help
        self->prepared = false;
    }
    egov_error_set (error, "REGISTRY_UNAVAILABLE", "the notarial registry cannot read its store");
    return false;
}

//  The reply envelope every answer starts from.
static Egov__Envelope *
s_reply_new (const Egov__Envelope *request)
{
    Egov__Envelope *reply = egov_envelope_new (ENIS_SERVICE_POA, EGOV__MESSAGE_TYPE__RESPONSE);
    egov_string_set (&reply->correlation_id, request->correlation_id);
    egov_string_set (&reply->recipient_id, request->sender_id);
    egov_string_set (&reply->route_id, request->route_id);
    egov_string_set (&reply->session_id, request->session_id);
    return reply;
}

//  Checks a decoded request; false with error set (stable code) when bad.
static bool
s_request_valid (const Egov__Registries__PoaRequest *query, egov_error_t *error)
{
    size_t length = strnlen (query->number, s_MAX_NUMBER + 1);
    if (length == 0) {
        egov_error_set (error, "INVALID_REQUEST", "power of attorney number is empty");
        return false;
    }
    if (length > s_MAX_NUMBER) {
        egov_error_set (error, "INVALID_REQUEST",
                        "power of attorney number is longer than %d characters", s_MAX_NUMBER);
        return false;
    }
    if (!egov_iin_valid (query->representative_iin, error)) {
        char message [sizeof (error->message)];
        snprintf (message, sizeof (message), "representative %.200s", error->message);
        egov_error_set (error, "INVALID_IIN", "%s", message);
        return false;
    }
    int year, month, day;
    if (*query->on_date && !egov_date_parse (query->on_date, &year, &month, &day)) {
        egov_error_set (error, "INVALID_REQUEST", "on_date must be a date as YYYY-MM-DD");
        return false;
    }
    return true;
}

Egov__Envelope *
enis_server_handle (enis_server_t *self, const Egov__Envelope *request, egov_error_t *refusal)
{
    assert (self && request);
    egov_error_t ignored;
    if (!refusal)
        refusal = &ignored;
    memset (refusal, 0, sizeof (*refusal));
    const char *wanted = egov__registries__poa_request__descriptor.name;
    if (!request->service_id || !streq (request->service_id, ENIS_SERVICE_POA)) {
        egov_error_set (refusal, "UNSUPPORTED_SERVICE", "enis answers %s, not '%.64s'",
                        ENIS_SERVICE_POA, request->service_id ? request->service_id : "");
        return NULL;
    }
    if (!request->payload_type || !streq (request->payload_type, wanted)) {
        egov_error_set (refusal, "UNSUPPORTED_PAYLOAD", "%s takes %s, not '%.64s'",
                        ENIS_SERVICE_POA, wanted, request->payload_type ? request->payload_type : "");
        return NULL;
    }
    Egov__Registries__PoaRequest *query = (Egov__Registries__PoaRequest *)
        egov_envelope_payload (request, &egov__registries__poa_request__descriptor);
    if (!query) {
        egov_error_set (refusal, "MALFORMED_PAYLOAD", "%s payload does not decode (%zu bytes)",
                        wanted, request->payload.len);
        return NULL;
    }
    Egov__Envelope *reply = s_reply_new (request);
    egov_error_t error = { { 0 } };
    Egov__Registries__PowerOfAttorney *poa = NULL;
    if (s_request_valid (query, &error) && s_lookup (self, query->number, &poa, &error)) {
        char today [11];
        enis_today (today);
        const char *on_date = *query->on_date ? query->on_date : today;
        Egov__Registries__PoaResponse response = EGOV__REGISTRIES__POA_RESPONSE__INIT;
        response.status = enis_poa_judge (poa, query->representative_iin, on_date);
        //  The body goes only to the representative it names, and only when it
        //  existed on that date
        if (response.status != EGOV__REGISTRIES__POA_RESPONSE__STATUS__NOT_FOUND
        &&  response.status != EGOV__REGISTRIES__POA_RESPONSE__STATUS__NOT_THIS_REPRESENTATIVE)
            response.poa = poa;
        egov_envelope_set_payload (reply, &response.base);
        if (self->verbose)
            zsys_info ("enis: %s for %s on %s: %s", query->number, query->representative_iin,
                       on_date, protobuf_c_enum_descriptor_get_value (
                           &egov__registries__poa_response__status__descriptor,
                           response.status)->name);
    }
    else {
        egov_envelope_set_error (reply, error.code, error.message);
        if (self->verbose)
            zsys_info ("enis: error %s: %s", error.code, error.message);
    }
    if (poa)
        egov__registries__power_of_attorney__free_unpacked (poa, NULL);
    egov__registries__poa_request__free_unpacked (query, NULL);
    return reply;
}

//  Answers a request for the client's helper (a shep_client_answer_fn).
static Egov__Envelope *
s_answer (void *argument, const Egov__Envelope *request, egov_error_t *refusal)
{
    enis_server_t *self = (enis_server_t *) argument;
    self->answered++;
    return enis_server_handle (self, request, refusal);
}

void
enis_server_on_frame (shep_client_t *client, const Egov__Shep__Frame *frame, void *argument)
{
    shep_client_serve_sync_only (client, frame, s_answer, argument);
}

zlistx_t *
enis_seed_list (size_t count)
{
    zlistx_t *list = zlistx_new ();
    assert (list);
    zlistx_set_destructor (list, s_poa_free);
    //  The fixed three: Асқаров Е. С. gives power to Жұмабаев Д. Б.
    zlistx_add_end (list, s_poa_new ("POA-2026-0001", "850314301234", "781130306545",
                                     s_notaries [0], "2026-01-15", "2035-12-31", "", ""));
    zlistx_add_end (list, s_poa_new ("POA-2025-0002", "850314301234", "781130306545",
                                     s_notaries [0], "2025-02-01", "2026-01-31",
                                     "externat-permit", ""));
    zlistx_add_end (list, s_poa_new ("POA-2026-0003", "850314301234", "781130306545",
                                     s_notaries [1], "2026-01-10", "2027-06-30", "",
                                     "2026-03-02"));

    //  Synthetic ones between adults among the first people of the shared
    //  population, present in gbdfl whenever it holds that many
    egov_population_ids_t *ids = egov_population_ids_new (EGOV_POPULATION_SEED, 2000);
    int64_t adult_by = egov_population_as_of () - 18 * 366;
    uint64_t state = EGOV_POPULATION_SEED ^ 0x656e6973706f61ULL;
    for (size_t made = 0; made < count; made++) {
        const egov_population_id_t *principal, *representative;
        do
            principal = egov_population_ids_get (ids, (size_t) egov_random_between (&state, 0, 1999));
        while (principal->birth_days > adult_by);
        do
            representative = egov_population_ids_get (ids, (size_t) egov_random_between (&state, 0, 1999));
        while (representative->birth_days > adult_by || representative == principal);
        int64_t issued = egov_random_between (&state, egov_date_days (egov_population_shifted (2023), 1, 1),
                                              egov_date_days (egov_population_shifted (2026), 10, 31));
        int years = (int) egov_random_between (&state, 1, 3);
        int year, month, day;
        egov_date_from_days (issued, &year, &month, &day);
        int64_t until = egov_date_days (year + years, month, month == 2 && day == 29 ? 28 : day) - 1;
        char number [24], issued_text [11], until_text [11], revoked_text [11] = "";
        snprintf (number, sizeof (number), "POA-%04u-%04u", (unsigned) year % 10000u,
                  (unsigned) (made + 4) % 10000u);
        egov_date_format (issued, issued_text);
        egov_date_format (until, until_text);
        if (egov_random_between (&state, 0, 99) < 8) {
            int64_t revoked = issued + egov_random_between (&state, 1, 300);
            int64_t latest = egov_date_days (egov_population_shifted (2026), 11, 1);
            egov_date_format (revoked < latest ? revoked : latest, revoked_text);
        }
        char services [128] = "";
        if (egov_random_between (&state, 0, 99) < 50) {
            size_t first = (size_t) egov_random_between (&state, 0, s_SERVICE_CODE_COUNT - 1);
            size_t second = (size_t) egov_random_between (&state, 0, s_SERVICE_CODE_COUNT - 1);
            if (second == first)
                snprintf (services, sizeof (services), "%s", s_service_codes [first]);
            else
                snprintf (services, sizeof (services), "%s,%s",
                          s_service_codes [first], s_service_codes [second]);
        }
        zlistx_add_end (list, s_poa_new (number, principal->iin, representative->iin,
                                         s_notaries [egov_splitmix64 (&state) % s_NOTARY_COUNT],
                                         issued_text, until_text, services, revoked_text));
    }
    egov_population_ids_destroy (&ids);
    return list;
}

//  Runs a parameterless statement; false with error set when it fails.
static bool
s_exec (PGconn *conn, const char *statement, egov_error_t *error)
{
    PGresult *result = egov_db_params (conn, statement, 0, NULL, NULL, NULL, NULL, 0);
    bool ok = PQresultStatus (result) == PGRES_COMMAND_OK
           || PQresultStatus (result) == PGRES_TUPLES_OK;
    if (!ok)
        egov_error_set (error, "DB_FAILED", "%s: %s", statement, PQresultErrorMessage (result));
    PQclear (result);
    return ok;
}

//  Inserts the seed list; false with error set on the first failure.
static bool
s_store (PGconn *conn, zlistx_t *list, egov_error_t *error)
{
    Egov__Registries__PowerOfAttorney *poa = zlistx_first (list);
    for (; poa; poa = zlistx_next (list)) {
        char *services = zsys_sprintf ("%s", "");
        for (size_t index = 0; index < poa->n_services; index++) {
            char *longer = zsys_sprintf ("%s%s%s", services, index ? "," : "", poa->services [index]);
            zstr_free (&services);
            services = longer;
        }
        const char *values [8] = {
            poa->number, poa->principal_iin, poa->representative_iin, poa->notary,
            poa->issued, poa->valid_until, services, poa->revoked ? poa->revoked_on : NULL
        };
        PGresult *result = egov_db_params (conn,
            "INSERT INTO power_of_attorney (number, principal_iin, representative_iin, notary,"
            " issued, valid_until, services, revoked_on)"
            " VALUES ($1, $2, $3, $4, $5, $6, coalesce (string_to_array ($7, ','), '{}'), $8)",
            8, NULL, values, NULL, NULL, 0);
        zstr_free (&services);
        if (PQresultStatus (result) != PGRES_COMMAND_OK) {
            egov_error_set (error, "DB_FAILED", "storing %s: %s", poa->number,
                            PQresultErrorMessage (result));
            PQclear (result);
            return false;
        }
        PQclear (result);
    }
    return true;
}

int64_t
enis_seed (PGconn *conn, size_t count, egov_error_t *error)
{
    assert (conn);
    egov_error_t ignored;
    if (!error)
        error = &ignored;
    memset (error, 0, sizeof (*error));
    if (!s_exec (conn, "BEGIN", error))
        return -1;
    int64_t stored = -1;
    //  Two registries starting on one database must not both seed it
    if (s_exec (conn, "LOCK TABLE power_of_attorney IN SHARE ROW EXCLUSIVE MODE", error)) {
        PGresult *result = egov_db_params (conn, "SELECT EXISTS (SELECT 1 FROM power_of_attorney)",
                                         0, NULL, NULL, NULL, NULL, 0);
        if (PQresultStatus (result) == PGRES_TUPLES_OK && PQntuples (result) == 1) {
            if (streq (PQgetvalue (result, 0, 0), "t"))
                stored = 0;
            else {
                zlistx_t *list = enis_seed_list (count);
                if (s_store (conn, list, error))
                    stored = (int64_t) zlistx_size (list);
                zlistx_destroy (&list);
            }
        }
        else
            egov_error_set (error, "DB_FAILED", "checking for powers of attorney: %s",
                            PQresultErrorMessage (result));
        PQclear (result);
    }
    if (stored >= 0 && s_exec (conn, "COMMIT", error))
        return stored;
    egov_error_t rollback;
    s_exec (conn, "ROLLBACK", &rollback);
    return -1;
}

//  Builds an enis.poa request (test helper).
static Egov__Envelope *
s_request_new (const char *number, const char *representative, const char *on_date)
{
    Egov__Envelope *request = egov_envelope_new (ENIS_SERVICE_POA, EGOV__MESSAGE_TYPE__REQUEST);
    egov_string_set (&request->sender_id, "intake");
    Egov__Registries__PoaRequest query = EGOV__REGISTRIES__POA_REQUEST__INIT;
    query.number = (char *) number;
    query.representative_iin = (char *) representative;
    query.on_date = (char *) on_date;
    egov_envelope_set_payload (request, &query.base);
    return request;
}

//  Asks and decodes (test helper): the response, or NULL when the reply
//  carries an error, whose code goes to error_code.
static Egov__Registries__PoaResponse *
s_ask (enis_server_t *self, const char *number, const char *representative,
       const char *on_date, char error_code [48])
{
    Egov__Envelope *request = s_request_new (number, representative, on_date);
    Egov__Envelope *reply = enis_server_handle (self, request, NULL);
    assert (reply);
    assert (reply->message_type == EGOV__MESSAGE_TYPE__RESPONSE);
    assert (streq (reply->correlation_id, request->correlation_id));
    Egov__Registries__PoaResponse *response = NULL;
    error_code [0] = 0;
    if (reply->error)
        snprintf (error_code, 48, "%s", reply->error->code);
    else
        response = (Egov__Registries__PoaResponse *)
            egov_envelope_payload (reply, &egov__registries__poa_response__descriptor);
    egov__envelope__free_unpacked (request, NULL);
    egov__envelope__free_unpacked (reply, NULL);
    return response;
}

//  Checks the fixed powers of attorney against a server (test helper).
static void
s_check_fixed (enis_server_t *server)
{
    char code [48];
    Egov__Registries__PoaResponse *response;
    response = s_ask (server, "POA-2026-0001", "781130306545", "2026-06-01", code);
    assert (response && response->status == EGOV__REGISTRIES__POA_RESPONSE__STATUS__VALID);
    assert (response->poa && streq (response->poa->principal_iin, "850314301234"));
    assert (streq (response->poa->valid_until, "2035-12-31") && !response->poa->revoked);
    egov__registries__poa_response__free_unpacked (response, NULL);

    response = s_ask (server, "POA-2026-0001", "781130306545", "2036-01-01", code);
    assert (response && response->status == EGOV__REGISTRIES__POA_RESPONSE__STATUS__EXPIRED);
    egov__registries__poa_response__free_unpacked (response, NULL);

    response = s_ask (server, "POA-2025-0002", "781130306545", "2026-02-01", code);
    assert (response && response->status == EGOV__REGISTRIES__POA_RESPONSE__STATUS__EXPIRED);
    assert (response->poa && response->poa->n_services == 1);
    assert (streq (response->poa->services [0], "externat-permit"));
    egov__registries__poa_response__free_unpacked (response, NULL);

    response = s_ask (server, "POA-2026-0003", "781130306545", "2026-06-01", code);
    assert (response && response->status == EGOV__REGISTRIES__POA_RESPONSE__STATUS__REVOKED);
    assert (response->poa && response->poa->revoked);
    assert (streq (response->poa->revoked_on, "2026-03-02"));
    egov__registries__poa_response__free_unpacked (response, NULL);

    //  Revoked wins over expired
    response = s_ask (server, "POA-2026-0003", "781130306545", "2030-01-01", code);
    assert (response && response->status == EGOV__REGISTRIES__POA_RESPONSE__STATUS__REVOKED);
    egov__registries__poa_response__free_unpacked (response, NULL);

    //  Someone else asking learns nothing of the body
    response = s_ask (server, "POA-2026-0001", "951203407770", "2026-06-01", code);
    assert (response);
    assert (response->status == EGOV__REGISTRIES__POA_RESPONSE__STATUS__NOT_THIS_REPRESENTATIVE);
    assert (response->poa == NULL);
    egov__registries__poa_response__free_unpacked (response, NULL);

    response = s_ask (server, "POA-1999-9999", "781130306545", "", code);
    assert (response && response->status == EGOV__REGISTRIES__POA_RESPONSE__STATUS__NOT_FOUND);
    assert (response->poa == NULL);
    egov__registries__poa_response__free_unpacked (response, NULL);

    //  No date: today, whatever today is
    char today [11];
    enis_today (today);
    int year, month, day;
    assert (egov_date_parse (today, &year, &month, &day));
    response = s_ask (server, "POA-2025-0002", "781130306545", "", code);
    assert (response);
    assert (response->status == (strcmp (today, "2026-01-31") > 0
                                 ? EGOV__REGISTRIES__POA_RESPONSE__STATUS__EXPIRED
                                 : EGOV__REGISTRIES__POA_RESPONSE__STATUS__VALID));
    egov__registries__poa_response__free_unpacked (response, NULL);

    //  Bad requests get stable codes
    assert (s_ask (server, "POA-2026-0001", "781130306546", "", code) == NULL);
    assert (streq (code, "INVALID_IIN"));
    assert (s_ask (server, "POA-2026-0001", "", "", code) == NULL);
    assert (streq (code, "INVALID_IIN"));
    assert (s_ask (server, "", "781130306545", "", code) == NULL);
    assert (streq (code, "INVALID_REQUEST"));
    assert (s_ask (server, "POA-2026-0001", "781130306545", "2026-02-30", code) == NULL);
    assert (streq (code, "INVALID_REQUEST"));
    char long_number [100];
    memset (long_number, 'X', sizeof (long_number) - 1);
    long_number [sizeof (long_number) - 1] = 0;
    assert (s_ask (server, long_number, "781130306545", "", code) == NULL);
    assert (streq (code, "INVALID_REQUEST"));
}

void
enis_server_test (bool verbose)
{
    if (verbose)
        printf (" * enis_server: ");

    //  The rules alone
    Egov__Registries__PowerOfAttorney *poa = s_poa_new ("P-1", "850314301234", "781130306545",
        "notary", "2026-01-10", "2027-06-30", "externat-permit,school-enrolment", "2026-03-02");
    assert (poa->revoked && poa->n_services == 2);
    assert (enis_poa_judge (NULL, "781130306545", "2026-01-10")
            == EGOV__REGISTRIES__POA_RESPONSE__STATUS__NOT_FOUND);
    assert (enis_poa_judge (poa, "951203407770", "2026-02-01")
            == EGOV__REGISTRIES__POA_RESPONSE__STATUS__NOT_THIS_REPRESENTATIVE);
    assert (enis_poa_judge (poa, "781130306545", "2026-01-09")
            == EGOV__REGISTRIES__POA_RESPONSE__STATUS__NOT_FOUND);
    assert (enis_poa_judge (poa, "781130306545", "2026-01-10")
            == EGOV__REGISTRIES__POA_RESPONSE__STATUS__VALID);
    assert (enis_poa_judge (poa, "781130306545", "2026-03-01")
            == EGOV__REGISTRIES__POA_RESPONSE__STATUS__VALID);
    assert (enis_poa_judge (poa, "781130306545", "2026-03-02")
            == EGOV__REGISTRIES__POA_RESPONSE__STATUS__REVOKED);
    assert (enis_poa_judge (poa, "781130306545", "2027-07-01")
            == EGOV__REGISTRIES__POA_RESPONSE__STATUS__REVOKED);
    poa->revoked = false;
    assert (enis_poa_judge (poa, "781130306545", "2027-06-30")
            == EGOV__REGISTRIES__POA_RESPONSE__STATUS__VALID);
    assert (enis_poa_judge (poa, "781130306545", "2027-07-01")
            == EGOV__REGISTRIES__POA_RESPONSE__STATUS__EXPIRED);
    egov__registries__power_of_attorney__free_unpacked (poa, NULL);

    //  The seed list: fixed ones first, synthetic ones well-formed and unique
    zlistx_t *list = enis_seed_list (ENIS_SEED_SYNTHETIC);
    assert (zlistx_size (list) == 3 + ENIS_SEED_SYNTHETIC);
    zlistx_t *again = enis_seed_list (ENIS_SEED_SYNTHETIC);
    zhashx_t *numbers = zhashx_new ();
    size_t revoked = 0;
    Egov__Registries__PowerOfAttorney *other = zlistx_first (again);
    for (poa = zlistx_first (list); poa; poa = zlistx_next (list), other = zlistx_next (again)) {
        assert (streq (poa->number, other->number) && streq (poa->principal_iin, other->principal_iin));
        assert (zhashx_insert (numbers, poa->number, poa) == 0);
        assert (egov_iin_valid (poa->principal_iin, NULL));
        assert (egov_iin_valid (poa->representative_iin, NULL));
        assert (!streq (poa->principal_iin, poa->representative_iin));
        assert (strcmp (poa->issued, poa->valid_until) < 0);
        if (poa->revoked) {
            revoked++;
            assert (strcmp (poa->revoked_on, poa->issued) >= 0);
        }
    }
    assert (revoked > 3);
    zhashx_destroy (&numbers);
    zlistx_destroy (&again);

    //  Requests answered from memory
    enis_server_t *server = enis_server_new (NULL);
    for (poa = zlistx_first (list); poa; poa = zlistx_next (list)) {
        Egov__Registries__PowerOfAttorney *copy = s_poa_new (poa->number, poa->principal_iin,
            poa->representative_iin, poa->notary, poa->issued, poa->valid_until, "",
            poa->revoked_on);
        for (size_t index = 0; index < poa->n_services; index++) {
            copy->services = realloc (copy->services, (index + 1) * sizeof (char *));
            assert (copy->services);
            copy->services [copy->n_services++] = s_strdup (poa->services [index]);
        }
        enis_server_insert (server, &copy);
        assert (copy == NULL);
    }
    s_check_fixed (server);

    //  Not ours: another payload type, a payload that does not decode,
    //  another service
    egov_error_t refusal;
    Egov__Envelope *request = s_request_new ("POA-2026-0001", "781130306545", "");
    egov_string_set (&request->payload_type, "egov.registries.PersonRequest");
    assert (enis_server_handle (server, request, &refusal) == NULL);
    assert (streq (refusal.code, "UNSUPPORTED_PAYLOAD"));
    egov_string_set (&request->payload_type, "egov.registries.PoaRequest");
    free (request->payload.data);
    request->payload.len = 3;
    request->payload.data = (uint8_t *) strdup ("\x12\x7f\x41");
    assert (enis_server_handle (server, request, &refusal) == NULL);
    assert (streq (refusal.code, "MALFORMED_PAYLOAD"));
    egov_string_set (&request->service_id, "gbdfl.person");
    assert (enis_server_handle (server, request, &refusal) == NULL);
    assert (streq (refusal.code, "UNSUPPORTED_SERVICE"));
    egov__envelope__free_unpacked (request, NULL);

    //  From PostgreSQL: seeded once, and every answer the same as from memory
    const char *conninfo = getenv ("EGOV_TEST_DB");
    if (!conninfo || !*conninfo) {
        if (verbose)
            printf ("(database part skipped: EGOV_TEST_DB unset) ");
        else
            printf ("enis_server: database part skipped: EGOV_TEST_DB unset\n");
    }
    else {
        PGconn *conn = egov_db_connect (conninfo, 5000);
        assert (conn);
        assert (egov_db_exec_script (conn,
            "DROP SCHEMA IF EXISTS enis_server_test CASCADE;"
            "CREATE SCHEMA enis_server_test;"
            "SET search_path TO enis_server_test", "test schema"));
        assert (egov_db_exec_script (conn, enis_schema_sql, "enis schema"));
        egov_error_t error;
        assert (enis_seed (conn, ENIS_SEED_SYNTHETIC, &error) == 3 + ENIS_SEED_SYNTHETIC);
        assert (enis_seed (conn, ENIS_SEED_SYNTHETIC, &error) == 0);
        enis_server_t *stored = enis_server_new (conn);
        s_check_fixed (stored);
        char code [48], stored_code [48];
        for (poa = zlistx_first (list); poa; poa = zlistx_next (list)) {
            const char *dates [] = { "", poa->issued, poa->valid_until, "2030-01-01" };
            for (size_t date = 0; date < 4; date++) {
                Egov__Registries__PoaResponse *expected =
                    s_ask (server, poa->number, poa->representative_iin, dates [date], code);
                Egov__Registries__PoaResponse *actual =
                    s_ask (stored, poa->number, poa->representative_iin, dates [date], stored_code);
                assert (expected && actual);
                zframe_t *first = egov_pb_frame (&expected->base);
                zframe_t *second = egov_pb_frame (&actual->base);
                assert (zframe_eq (first, second));
                zframe_destroy (&first);
                zframe_destroy (&second);
                egov__registries__poa_response__free_unpacked (expected, NULL);
                egov__registries__poa_response__free_unpacked (actual, NULL);
            }
        }
        //  A revocation written to the store counts at once
        PGresult *result = egov_db_params (conn,
            "UPDATE power_of_attorney SET revoked_on = '2026-05-01' WHERE number = $1",
            1, NULL, (const char *[]) { "POA-2026-0001" }, NULL, NULL, 0);
        assert (PQresultStatus (result) == PGRES_COMMAND_OK);
        PQclear (result);
        Egov__Registries__PoaResponse *response =
            s_ask (stored, "POA-2026-0001", "781130306545", "2026-06-01", code);
        assert (response && response->status == EGOV__REGISTRIES__POA_RESPONSE__STATUS__REVOKED);
        egov__registries__poa_response__free_unpacked (response, NULL);
        //  A store that cannot answer is an error reply, not a guess
        assert (egov_db_exec_script (conn, "DROP TABLE power_of_attorney", "drop"));
        assert (s_ask (stored, "POA-2026-0001", "781130306545", "", code) == NULL);
        assert (streq (code, "REGISTRY_UNAVAILABLE"));
        enis_server_destroy (&stored);
        assert (egov_db_exec_script (conn, "DROP SCHEMA enis_server_test CASCADE", "drop"));
        PQfinish (conn);
    }

    zlistx_destroy (&list);
    enis_server_destroy (&server);
    enis_server_destroy (&server);
    if (verbose)
        printf ("OK\n");
}
