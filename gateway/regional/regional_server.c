/*  regional_server — the regional gateway of one region (ЭҮӨШ).  */
#include "regional_server.h"
#include "regional_store.h"
#include "egov_clock.h"
#include "egov_iin.h"
#include "egov_db.h"
#include "egov_pki.h"
#include "egov_application.h"

extern const char *regional_schema_sql;

#define s_MAX_CORRELATION   128     //  longest correlation id we keep
#define s_MAX_ID            64      //  application id, service code

//  The deliveries we handle, by service id.
typedef enum {
    S_SUBMIT,                       //  channel -> us: register, answer, hand to the leb
    S_STATUS,                       //  leb -> us -> channel
    S_RESULT,                       //  leb -> us -> channel
    S_RETURN,                       //  channel -> us -> leb
    S_RECALL                        //  channel -> us -> leb
} s_kind_t;

static const struct {
    const char *service;            //  envelope service id
    s_kind_t kind;
    const ProtobufCMessageDescriptor *descriptor;   //  the payload it carries
} s_kinds [] = {
    { REGIONAL_SERVICE_SUBMIT, S_SUBMIT, &egov__applications__application__descriptor },
    { REGIONAL_SERVICE_STATUS, S_STATUS, &egov__applications__status_notice__descriptor },
    { REGIONAL_SERVICE_RESULT, S_RESULT, &egov__applications__result__descriptor },
    { REGIONAL_SERVICE_RETURN, S_RETURN, &egov__applications__result_movement__descriptor },
    { REGIONAL_SERVICE_RECALL, S_RECALL, &egov__applications__result_movement__descriptor },
};
#define s_KIND_COUNT (sizeof (s_kinds) / sizeof (s_kinds [0]))

struct _regional_server_t {
    char *route;                    //  the region's KATO code, our route id
    char *leb_id;                   //  the region's local executive body
    char *participant_id;           //  ourselves, the actor of our notices
    shep_participant_t *engine;     //  the gateway and the database, not owned
    regional_store_t *store;        //  the journal, on the engine's connection
    egov_cms_verifier_t *verifier;  //  e-signature checks, not owned
    egov_catalogue_t *catalogue;    //  the channels' registers, not owned; may be NULL
    bool verbose;                   //  log every delivery
};

//  Replaces a heap string.
static void
s_set (char **field, const char *value)
{
    free (*field);
    *field = strdup (value);
    assert (*field);
}

regional_server_t *
regional_server_new (const char *route, shep_participant_t *engine, egov_cms_verifier_t *verifier)
{
    assert (route && *route && engine && verifier);
    regional_server_t *self = calloc (1, sizeof (regional_server_t));
    assert (self);
    s_set (&self->route, route);
    char name [96];
    snprintf (name, sizeof (name), "leb-%s", route);
    s_set (&self->leb_id, name);
    snprintf (name, sizeof (name), "regional-%s", route);
    s_set (&self->participant_id, name);
    self->engine = engine;
    //  The engine's connection object stays the same across reconnects
    self->store = regional_store_new (shep_participant_db (engine), route);
    self->verifier = verifier;
    for (size_t index = 0; index < s_KIND_COUNT; index++) {
        shep_participant_on (engine, s_kinds [index].service, NULL, regional_server_deliver);
        //  Statuses and results from our leb; applications and their
        //  returns and recalls from the channels
        bool from_leb = s_kinds [index].kind == S_STATUS || s_kinds [index].kind == S_RESULT;
        if (from_leb) {
            shep_participant_accept (engine, s_kinds [index].service, self->leb_id);
            //  ... or from the register the application went to (s_pass_on
            //  checks it is that application's)
            shep_participant_accept (engine, s_kinds [index].service, EGOV_CATALOGUE_QUEUE_REGISTER);
        }
        else {
            shep_participant_accept (engine, s_kinds [index].service, "intake");
            shep_participant_accept (engine, s_kinds [index].service, "portal");
        }
    }
    return self;
}

void
regional_server_destroy (regional_server_t **self_p)
{
    assert (self_p);
    regional_server_t *self = *self_p;
    if (self) {
        regional_store_destroy (&self->store);
        free (self->route);
        free (self->leb_id);
        free (self->participant_id);
        free (self);
        *self_p = NULL;
    }
}

void
regional_server_set_leb (regional_server_t *self, const char *leb_id)
{
    assert (self && leb_id && *leb_id);
    s_set (&self->leb_id, leb_id);
}

void
regional_server_set_catalogue (regional_server_t *self, egov_catalogue_t *catalogue)
{
    assert (self);
    self->catalogue = catalogue;
}

//  Who decides an application in route: the register the catalogue routes
//  its channel to, else leb.
static const char *
s_provider_for (egov_catalogue_t *catalogue, const char *route, const char *leb,
                const Egov__Applications__Application *application)
{
    const char *target = egov_application_register (catalogue, route, application);
    return target ? target : leb;
}

const char *
regional_server_provider (regional_server_t *self, const Egov__Applications__Application *application)
{
    assert (self && application);
    return s_provider_for (self->catalogue, self->route, self->leb_id, application);
}

void
regional_server_set_id (regional_server_t *self, const char *participant_id)
{
    assert (self && participant_id && *participant_id);
    s_set (&self->participant_id, participant_id);
}

void
regional_server_set_verbose (regional_server_t *self, bool verbose)
{
    assert (self);
    self->verbose = verbose;
}

const char *
regional_server_route (regional_server_t *self)
{
    assert (self);
    return self->route;
}

const char *
regional_server_leb (regional_server_t *self)
{
    assert (self);
    return self->leb_id;
}

void
regional_registration_number (const char *route, int year, int64_t sequence,
                              char *buffer, size_t size)
{
    assert (route && buffer && size);
    snprintf (buffer, size, "%s-%04d-%06" PRId64, route, year, sequence);
}

//  Refuses the judgement with a code and a printf-style reason.
static void
s_refuse (regional_judgement_t *judgement, const char *code, const char *format, ...)
    __attribute__ ((format (printf, 3, 4)));
static void
s_refuse (regional_judgement_t *judgement, const char *code, const char *format, ...)
{
    judgement->accepted = false;
    snprintf (judgement->refusal_code, sizeof (judgement->refusal_code), "%s", code);
    va_list arguments;
    va_start (arguments, format);
    vsnprintf (judgement->refusal, sizeof (judgement->refusal), format, arguments);
    va_end (arguments);
}

//  True when text is 1..limit bytes long.
static bool
s_sized (const char *text, size_t limit)
{
    size_t length = text ? strnlen (text, limit + 1) : 0;
    return length > 0 && length <= limit;
}

void
regional_server_judge (regional_server_t *self, const Egov__Applications__Application *application,
                       int64_t at_ms, regional_judgement_t *judgement)
{
    assert (self && application && judgement);
    memset (judgement, 0, sizeof (*judgement));
    snprintf (judgement->signature_outcome, sizeof (judgement->signature_outcome), "NOT_CHECKED");
    egov_error_t error;
    if (!s_sized (application->application_id, s_MAX_ID))
        s_refuse (judgement, "INVALID_APPLICATION", "application_id must be 1-%d characters", s_MAX_ID);
    else
    if (!s_sized (application->service, s_MAX_ID))
        s_refuse (judgement, "INVALID_APPLICATION", "service must be 1-%d characters", s_MAX_ID);
    else
    if (!streq (application->region, self->route))
        s_refuse (judgement, "WRONG_REGION", "the application is for region '%.32s';"
                  " this regional gateway serves %s", application->region, self->route);
    else
    if (!egov_iin_valid (application->applicant_iin, &error))
        s_refuse (judgement, "INVALID_APPLICATION", "applicant %s", error.message);
    else
    if (!egov_iin_valid (application->signer_iin, &error))
        s_refuse (judgement, "INVALID_APPLICATION", "signer %s", error.message);
    else
    if (application->document.len == 0)
        s_refuse (judgement, "INVALID_APPLICATION", "there is no signed document");
    else
    if (application->signature.len == 0) {
        snprintf (judgement->signature_outcome, sizeof (judgement->signature_outcome), "MALFORMED");
        s_refuse (judgement, "MALFORMED", "the document carries no signature");
    }
    if (*judgement->refusal_code)
        return;

    //  The signer's certificate must be valid now, on the simulation clock:
    //  a document registered today is registered with today's trust
    egov_cms_result_t result;
    egov_cms_outcome_t outcome = egov_cms_verify (self->verifier,
        application->signature.data, application->signature.len,
        application->document.data, application->document.len,
        at_ms, application->signer_iin, &result);
    snprintf (judgement->signature_outcome, sizeof (judgement->signature_outcome), "%s",
              egov_cms_outcome_name (outcome));
    if (*result.name || *result.iin)
        snprintf (judgement->signer, sizeof (judgement->signer), "%s (IIN %s)",
                  *result.name ? result.name : "?", *result.iin ? result.iin : "-");
    snprintf (judgement->signer_iin, sizeof (judgement->signer_iin), "%s", result.iin);
    if (outcome != EGOV_CMS_OK)
        s_refuse (judgement, egov_cms_outcome_name (outcome), "%s", result.detail);
    else
        judgement->accepted = true;
}

//  An envelope from us for this application: route, correlation, recipient.
static Egov__Envelope *
s_envelope_new (regional_server_t *self, const char *service, Egov__MessageType type,
                const char *correlation_id, const char *recipient)
{
    Egov__Envelope *envelope = egov_envelope_new (service, type);
    egov_string_set (&envelope->correlation_id, correlation_id);
    egov_string_set (&envelope->recipient_id, recipient);
    egov_string_set (&envelope->route_id, self->route);
    return envelope;
}

//  The notice of Process 7's outcome to the channel.
static Egov__Envelope *
s_notice_new (regional_server_t *self, const regional_record_t *record)
{
    bool registered = streq (record->status, "REGISTERED");
    char note [400];
    bool signature_failed = !streq (record->signature_outcome, "OK")
                         && !streq (record->signature_outcome, "NOT_CHECKED");
    if (registered)
        snprintf (note, sizeof (note), "registered; signed by %s", record->signer);
    else
    if (signature_failed)
        snprintf (note, sizeof (note), "signature: %s", record->signature_outcome);
    else
        snprintf (note, sizeof (note), "%s: %s", record->refusal_code, record->refusal);
    Egov__Applications__StatusNotice notice = EGOV__APPLICATIONS__STATUS_NOTICE__INIT;
    notice.application_id = (char *) record->application_id;
    notice.status = registered ? EGOV__APPLICATIONS__STATUS__REGISTERED
                               : EGOV__APPLICATIONS__STATUS__REFUSED;
    notice.step = "registration of the electronic document in the regional gateway";
    notice.role = "";
    notice.actor = self->participant_id;
    notice.note = note;
    notice.at = record->registered_at;
    notice.registration_number = (char *) record->registration_number;
    Egov__Envelope *envelope = s_envelope_new (self, REGIONAL_SERVICE_STATUS,
        EGOV__MESSAGE_TYPE__UPDATE, record->correlation_id, record->sender_id);
    egov_envelope_set_payload (envelope, &notice.base);
    return envelope;
}

//  Who decides the recorded application: its register, else our leb.
static const char *
s_provider (regional_server_t *self, const regional_record_t *record)
{
    return *record->provider_id ? record->provider_id : self->leb_id;
}

//  The registered application handed to the leb (or its channel's register).
static Egov__Envelope *
s_registered_new (regional_server_t *self, const regional_record_t *record,
                  const Egov__Applications__Application *application)
{
    Egov__Applications__Registration registration = EGOV__APPLICATIONS__REGISTRATION__INIT;
    registration.registration_number = (char *) record->registration_number;
    registration.registered_at = record->registered_at;
    registration.registered_wall = record->registered_wall;
    registration.signature_outcome = (char *) record->signature_outcome;
    registration.signer = (char *) record->signer;
    Egov__Applications__RegisteredApplication handed = EGOV__APPLICATIONS__REGISTERED_APPLICATION__INIT;
    handed.registration = &registration;
    handed.application = (Egov__Applications__Application *) application;
    Egov__Envelope *envelope = s_envelope_new (self, REGIONAL_SERVICE_REGISTERED,
        EGOV__MESSAGE_TYPE__REQUEST, record->correlation_id, s_provider (self, record));
    egov_envelope_set_payload (envelope, &handed.base);
    return envelope;
}

//  The incoming message passed on as it came: same service, payload and
//  session, a fresh message id, naming the message it came from.
static Egov__Envelope *
s_forward_new (regional_server_t *self, const Egov__Envelope *incoming,
               const char *correlation_id, const char *recipient, Egov__MessageType type)
{
    Egov__Envelope *envelope = s_envelope_new (self, incoming->service_id, type,
                                               correlation_id, recipient);
    egov_string_set (&envelope->session_id, incoming->session_id);
    egov_string_set (&envelope->payload_type, incoming->payload_type);
    if (incoming->payload.len) {
        envelope->payload.data = malloc (incoming->payload.len);
        assert (envelope->payload.data);
        memcpy (envelope->payload.data, incoming->payload.data, incoming->payload.len);
        envelope->payload.len = incoming->payload.len;
    }
    egov_envelope_add_property (envelope, "forwarded_from", incoming->message_id);
    return envelope;
}

//  Writes envelope to the outbox (the delivery's transaction) and frees
//  it; false on a store failure.
static bool
s_queue (regional_server_t *self, Egov__Envelope **envelope_p)
{
    egov_error_t error;
    bool ok = shep_participant_put (self->engine, shep_participant_db (self->engine), *envelope_p,
                                    0, NULL, &error) == 0;
    egov__envelope__free_unpacked (*envelope_p, NULL);
    *envelope_p = NULL;
    return ok;
}

//  Process 7 inside the open transaction: judge, register, answer the
//  channel and, when registered, hand the document to the leb.
static regional_verdict_t
s_submit (regional_server_t *self, const Egov__Envelope *incoming, const char *correlation_id,
          const Egov__Applications__Application *application, egov_error_t *reason)
{
    regional_record_t record;
    int found = regional_store_find (self->store, correlation_id, &record);
    if (found < 0) {
        egov_error_set (reason, "STORE_FAILED", "the registration journal cannot be read");
        return REGIONAL_RETRY;
    }
    if (found) {
        egov_error_set (reason, "DUPLICATE_APPLICATION",
                        "correlation id %.128s was %s from message %.64s",
                        correlation_id, streq (record.status, "REGISTERED")
                        ? "registered already" : "refused already", record.message_id);
        return REGIONAL_REJECT;
    }
    memset (&record, 0, sizeof (record));
    record.registered_at = egov_clock_now_ms ();
    record.registered_wall = egov_now_ms ();
    regional_judgement_t judgement;
    regional_server_judge (self, application, record.registered_at, &judgement);
    snprintf (record.correlation_id, sizeof (record.correlation_id), "%s", correlation_id);
    snprintf (record.application_id, sizeof (record.application_id), "%s", application->application_id);
    snprintf (record.service, sizeof (record.service), "%s", application->service);
    snprintf (record.applicant_iin, sizeof (record.applicant_iin), "%s", application->applicant_iin);
    snprintf (record.sender_id, sizeof (record.sender_id), "%s", incoming->sender_id);
    snprintf (record.message_id, sizeof (record.message_id), "%s", incoming->message_id);
    snprintf (record.signature_outcome, sizeof (record.signature_outcome), "%s",
              judgement.signature_outcome);
    snprintf (record.signer, sizeof (record.signer), "%s", judgement.signer);
    snprintf (record.signer_iin, sizeof (record.signer_iin), "%s", judgement.signer_iin);
    snprintf (record.refusal_code, sizeof (record.refusal_code), "%s", judgement.refusal_code);
    snprintf (record.refusal, sizeof (record.refusal), "%s", judgement.refusal);
    snprintf (record.status, sizeof (record.status), "%s",
              judgement.accepted ? "REGISTERED" : "REFUSED");
    if (judgement.accepted) {
        const char *provider = regional_server_provider (self, application);
        if (!streq (provider, self->leb_id))
            snprintf (record.provider_id, sizeof (record.provider_id), "%s", provider);
        //  Numbers run per simulated year, the year of Almaty time
        char moment [40];
        egov_clock_format (record.registered_at, moment, sizeof (moment));
        int year = atoi (moment);
        int64_t sequence = regional_store_next_sequence (self->store, year);
        if (sequence < 1) {
            egov_error_set (reason, "STORE_FAILED", "no registration number could be drawn");
            return REGIONAL_RETRY;
        }
        regional_registration_number (self->route, year, sequence, record.registration_number,
                                      sizeof (record.registration_number));
    }
    Egov__Envelope *notice = s_notice_new (self, &record);
    Egov__Envelope *handed = judgement.accepted ? s_registered_new (self, &record, application) : NULL;
    bool stored = regional_store_register (self->store, &record)
               && s_queue (self, &notice)
               && (!handed || s_queue (self, &handed));
    if (notice)
        egov__envelope__free_unpacked (notice, NULL);
    if (handed)
        egov__envelope__free_unpacked (handed, NULL);
    if (!stored) {
        egov_error_set (reason, "STORE_FAILED", "the registration could not be written");
        return REGIONAL_RETRY;
    }
    //  One line per registration: the journal's story in the log too
    zsys_info ("regional: %s %s from %s: %s%s%s", record.application_id, record.status,
               record.sender_id, judgement.accepted ? record.registration_number
                                                    : record.refusal_code,
               judgement.accepted ? ", signed by " : ": ",
               judgement.accepted ? record.signer : record.refusal);
    return REGIONAL_ACK;
}

//  The application id a status, result or movement names.
static const char *
s_named_application (s_kind_t kind, const ProtobufCMessage *payload)
{
    switch (kind) {
        case S_STATUS:
            return ((const Egov__Applications__StatusNotice *) payload)->application_id;
        case S_RESULT:
            return ((const Egov__Applications__Result *) payload)->application_id;
        case S_RETURN:
        case S_RECALL:
            return ((const Egov__Applications__ResultMovement *) payload)->application_id;
        default:
            return "";
    }
}

//  A status, result, return or recall inside the open transaction: passed
//  on to the other side of the recorded application.
static regional_verdict_t
s_pass_on (regional_server_t *self, s_kind_t kind, const Egov__Envelope *incoming,
           const char *correlation_id, const ProtobufCMessage *payload, egov_error_t *reason)
{
    regional_record_t record;
    int found = regional_store_find (self->store, correlation_id, &record);
    if (found < 0) {
        egov_error_set (reason, "STORE_FAILED", "the registration journal cannot be read");
        return REGIONAL_RETRY;
    }
    if (!found) {
        egov_error_set (reason, "UNKNOWN_APPLICATION",
                        "no application was registered under correlation id %.128s", correlation_id);
        return REGIONAL_REJECT;
    }
    const char *named = s_named_application (kind, payload);
    if (*named && !streq (named, record.application_id)) {
        egov_error_set (reason, "UNKNOWN_APPLICATION", "correlation id %.128s belongs to"
                        " application %s, not %.64s", correlation_id, record.application_id, named);
        return REGIONAL_REJECT;
    }
    bool from_leb = kind == S_STATUS || kind == S_RESULT;
    const char *expected = from_leb ? s_provider (self, &record) : record.sender_id;
    if (!streq (incoming->sender_id, expected)) {
        egov_error_set (reason, "UNEXPECTED_SENDER", "%s of application %s comes from %s only,"
                        " not %.64s", incoming->service_id, record.application_id, expected,
                        incoming->sender_id);
        return REGIONAL_REJECT;
    }
    if (!streq (record.status, "REGISTERED")) {
        egov_error_set (reason, "NOT_REGISTERED", "application %s was refused registration (%s);"
                        " the local executive body never had it", record.application_id,
                        record.refusal_code);
        return REGIONAL_REJECT;
    }
    Egov__MessageType type = kind == S_STATUS ? EGOV__MESSAGE_TYPE__UPDATE
                           : kind == S_RESULT ? EGOV__MESSAGE_TYPE__RESPONSE
                           : EGOV__MESSAGE_TYPE__REQUEST;
    Egov__Envelope *forward = s_forward_new (self, incoming, correlation_id,
                                             from_leb ? record.sender_id : s_provider (self, &record),
                                             type);
    bool stored = s_queue (self, &forward);
    if (stored && kind == S_STATUS) {
        const Egov__Applications__StatusNotice *notice = (const Egov__Applications__StatusNotice *) payload;
        const ProtobufCEnumValue *value = protobuf_c_enum_descriptor_get_value (
            &egov__applications__status__descriptor, notice->status);
        stored = regional_store_note_status (self->store, correlation_id,
                                             value ? value->name : "UNKNOWN", notice->at);
    }
    if (stored && kind == S_RESULT) {
        const Egov__Applications__Result *result = (const Egov__Applications__Result *) payload;
        stored = regional_store_note_result (self->store, correlation_id, result->approved,
                                             result->decided_at);
    }
    if (!stored) {
        egov_error_set (reason, "STORE_FAILED", "the forwarding could not be written");
        return REGIONAL_RETRY;
    }
    if (self->verbose)
        zsys_info ("regional: %s of %s from %s passed to %s", incoming->service_id,
                   record.application_id, incoming->sender_id,
                   from_leb ? record.sender_id : s_provider (self, &record));
    return REGIONAL_ACK;
}

shep_outcome_t
regional_server_deliver (void *service, PGconn *conn, const shep_delivery_t *delivery,
                         egov_error_t *reason)
{
    regional_server_t *self = (regional_server_t *) service;
    assert (self && conn && delivery && reason);
    const Egov__Envelope *envelope = delivery->envelope;
    memset (reason, 0, sizeof (*reason));
    size_t index;
    for (index = 0; index < s_KIND_COUNT; index++)
        if (envelope->service_id && streq (envelope->service_id, s_kinds [index].service))
            break;
    if (index == s_KIND_COUNT) {
        egov_error_set (reason, "UNSUPPORTED_SERVICE", "a regional gateway does not handle '%.64s'",
                        envelope->service_id ? envelope->service_id : "");
        return SHEP_REJECT;
    }
    s_kind_t kind = s_kinds [index].kind;
    const ProtobufCMessageDescriptor *descriptor = s_kinds [index].descriptor;
    const char *correlation_id = envelope->correlation_id && *envelope->correlation_id
                               ? envelope->correlation_id : envelope->message_id;
    if (!s_sized (correlation_id, s_MAX_CORRELATION)) {
        egov_error_set (reason, "MALFORMED_ENVELOPE", "the correlation id is longer than %d",
                        s_MAX_CORRELATION);
        return SHEP_REJECT;
    }
    if (!envelope->payload_type || !streq (envelope->payload_type, descriptor->name)) {
        egov_error_set (reason, "MALFORMED_PAYLOAD", "%s carries %s, not '%.64s'",
                        envelope->service_id, descriptor->name,
                        envelope->payload_type ? envelope->payload_type : "");
        return SHEP_REJECT;
    }
    ProtobufCMessage *payload = egov_envelope_payload (envelope, descriptor);
    if (!payload) {
        egov_error_set (reason, "MALFORMED_PAYLOAD", "the %s payload does not decode (%zu bytes)",
                        descriptor->name, envelope->payload.len);
        return SHEP_REJECT;
    }
    regional_verdict_t verdict = kind == S_SUBMIT
        ? s_submit (self, envelope, correlation_id, (Egov__Applications__Application *) payload, reason)
        : s_pass_on (self, kind, envelope, correlation_id, payload, reason);
    protobuf_c_message_free_unpacked (payload, NULL);
    if (verdict == REGIONAL_RETRY)
        zsys_error ("regional: %s left for redelivery: %s %s", envelope->message_id,
                    reason->code, reason->message);
    return verdict == REGIONAL_ACK ? SHEP_APPLIED
         : verdict == REGIONAL_REJECT ? SHEP_REJECT : SHEP_RETRY;
}

//  ---------------------------------------------------------------------
//  Selftest

//  Signs document with the key of a demo certificate (test helper).
static void
s_test_sign (const char *pki_dir, const char *label, const char *document,
             ProtobufCBinaryData *signature)
{
    egov_error_t error;
    egov_cms_signer_t *signer = egov_cms_signer_for (pki_dir, label, &error);
    assert (signer);
    assert (egov_cms_sign (signer, document, strlen (document), true, 0,
                           &signature->data, &signature->len, &error) == 0);
    egov_cms_signer_destroy (&signer);
}

//  A heap application for the externat permit in Almaty, signed by the
//  demo certificate label whose holder has signer_iin (test helper).
static Egov__Applications__Application *
s_test_application (const char *pki_dir, const char *label, const char *signer_iin,
                    const char *application_id)
{
    Egov__Applications__Application *application = malloc (sizeof (*application));
    assert (application);
    egov__applications__application__init (application);
    application->application_id = strdup (application_id);
    application->service = strdup ("externat-permit");
    application->region = strdup ("750000000");
    application->channel = EGOV__APPLICATIONS__CHANNEL__STATE_CORPORATION;
    application->applicant_iin = strdup ("850314301234");
    application->applicant_name = strdup ("Асқаров Ерлан Серікұлы");
    application->signer_iin = strdup (signer_iin);
    application->receipt_number = strdup ("SC-2026-000001");
    const char *document = "{\"service\":\"externat-permit\",\"applicant_iin\":\"850314301234\"}";
    application->document.data = (uint8_t *) strdup (document);
    application->document.len = strlen (document);
    s_test_sign (pki_dir, label, document, &application->signature);
    return application;
}

//  A delivered envelope as the gateway hands it over (test helper).
static Egov__Envelope *
s_test_envelope (const char *service, const char *sender, const char *correlation_id,
                 const ProtobufCMessage *payload)
{
    Egov__Envelope *envelope = egov_envelope_new (service, EGOV__MESSAGE_TYPE__REQUEST);
    egov_string_set (&envelope->sender_id, sender);
    egov_string_set (&envelope->route_id, "750000000");
    if (correlation_id)
        egov_string_set (&envelope->correlation_id, correlation_id);
    if (payload)
        egov_envelope_set_payload (envelope, payload);
    return envelope;
}

static shep_participant_t *s_test_engine;

//  Delivers an envelope as the runtime does, in one transaction, frees it
//  and returns the verdict; code gets the reason's code (test helper).
static regional_verdict_t
s_test_deliver (regional_server_t *self, Egov__Envelope *envelope, char code [48])
{
    egov_error_t reason;
    shep_participant_set_service (s_test_engine, self);
    shep_outcome_t outcome = shep_participant_apply (s_test_engine, envelope, &reason);
    snprintf (code, 48, "%s", reason.code);
    egov__envelope__free_unpacked (envelope, NULL);
    return outcome == SHEP_APPLIED ? REGIONAL_ACK : outcome == SHEP_REJECT ? REGIONAL_REJECT
                                                                         : REGIONAL_RETRY;
}

//  zlistx destructor of an envelope (test helper).
static void
s_test_envelope_free (void **item)
{
    if (*item) {
        egov__envelope__free_unpacked ((Egov__Envelope *) *item, NULL);
        *item = NULL;
    }
}

//  Takes every pending outbox envelope, marking it sent: a zlistx of
//  envelopes that frees them (test helper).
static zlistx_t *
s_test_outbox (PGconn *conn)
{
    zlistx_t *taken = zlistx_new ();
    assert (taken);
    zlistx_set_destructor (taken, s_test_envelope_free);
    PGresult *result = egov_db_params (conn,
        "UPDATE shep_outbox SET sent_at = now () WHERE sent_at IS NULL"
        " AND sender = 'regional-750000000' RETURNING seq, recipient, envelope",
        0, NULL, NULL, NULL, NULL, 1);
    assert (PQresultStatus (result) == PGRES_TUPLES_OK);
    //  In the order stored
    for (int row = 0; row < PQntuples (result); row++) {
        Egov__Envelope *envelope = egov__envelope__unpack (NULL, (size_t) PQgetlength (result, row, 2),
                                                           (const uint8_t *) PQgetvalue (result, row, 2));
        assert (envelope && streq (PQgetvalue (result, row, 1), envelope->recipient_id));
        zlistx_add_end (taken, envelope);
    }
    PQclear (result);
    return taken;
}

//  Decodes the StatusNotice an envelope carries (test helper).
static Egov__Applications__StatusNotice *
s_test_notice (const Egov__Envelope *envelope)
{
    assert (streq (envelope->service_id, REGIONAL_SERVICE_STATUS));
    Egov__Applications__StatusNotice *notice = (Egov__Applications__StatusNotice *)
        egov_envelope_payload (envelope, &egov__applications__status_notice__descriptor);
    assert (notice);
    return notice;
}

void
regional_server_test (bool verbose)
{
    if (verbose)
        printf (" * regional_server: ");

    //  Registration numbers
    char number [48];
    regional_registration_number ("750000000", 2026, 1, number, sizeof (number));
    assert (streq (number, "750000000-2026-000001"));
    regional_registration_number ("230000000", 2027, 1234567, number, sizeof (number));
    assert (streq (number, "230000000-2027-1234567"));

    //  A test CA in a temporary folder
    char pki_dir [] = "/tmp/regional-test-XXXXXX";
    assert (mkdtemp (pki_dir));
    egov_pki_t *pki = egov_pki_new (pki_dir);
    egov_error_t error;
    assert (egov_pki_ensure (pki, NULL, &error) == 0);
    const egov_pki_entry_t *operator1 = egov_pki_find (pki, "operator1");
    assert (operator1);
    char operator_iin [13];
    snprintf (operator_iin, sizeof (operator_iin), "%s", operator1->iin);
    egov_cms_verifier_t *verifier = egov_cms_verifier_new (pki_dir, &error);
    assert (verifier);
    const char *conninfo = getenv ("EGOV_TEST_DB");
    if (!conninfo || !*conninfo) {
        printf (verbose ? "(skipped: EGOV_TEST_DB unset) OK\n"
                        : "regional_server: skipped: EGOV_TEST_DB unset\n");
        egov_cms_verifier_destroy (&verifier);
        egov_pki_destroy (&pki);
        assert (egov_pki_remove (pki_dir) == 0);
        return;
    }
    PGconn *conn = egov_db_connect (conninfo, 5000);
    assert (conn);
    assert (egov_db_exec_script (conn,
        "DROP SCHEMA IF EXISTS regional_server_test CASCADE;"
        "CREATE SCHEMA regional_server_test;"
        "SET search_path TO regional_server_test", "test schema"));
    char engine_db [600];
    snprintf (engine_db, sizeof (engine_db), "%s options='-c search_path=regional_server_test'",
              conninfo);
    shep_participant_config_t engine_config = {
        .gateway = "tcp://127.0.0.1:9", .participant_id = "regional-750000000",
        .conninfo = engine_db, .schema_sql = regional_schema_sql, .receive_async = true
    };
    s_test_engine = shep_participant_new (&engine_config, NULL, &error);
    assert (s_test_engine);

    //  The checks of Process 7, one reason each
    regional_server_t *server = regional_server_new ("750000000", s_test_engine, verifier);
    assert (streq (regional_server_leb (server), "leb-750000000"));
    assert (streq (regional_server_route (server), "750000000"));
    {
        //  Who decides: the leb, unless the catalogue routes the channel to
        //  a register (seed 004: Kyzylorda's kindergarten queue from the
        //  desk and the portal; its office goes to the leb directly)
        egov_catalogue_t *catalogue = egov_catalogue_new ("regulations/catalogue", &error);
        assert (catalogue);
        Egov__Applications__Application routed = EGOV__APPLICATIONS__APPLICATION__INIT;
        routed.service = (char *) "kindergarten-queue";
        routed.channel = EGOV__APPLICATIONS__CHANNEL__PORTAL;
        const char *region = "430000000", *leb = "leb-430000000";
        assert (streq (s_provider_for (NULL, region, leb, &routed), leb));
        assert (streq (s_provider_for (catalogue, region, leb, &routed), "queue"));
        routed.channel = EGOV__APPLICATIONS__CHANNEL__STATE_CORPORATION;
        assert (streq (s_provider_for (catalogue, region, leb, &routed), "queue"));
        routed.channel = EGOV__APPLICATIONS__CHANNEL__PROVIDER_OFFICE;
        assert (streq (s_provider_for (catalogue, region, leb, &routed), leb));
        routed.channel = EGOV__APPLICATIONS__CHANNEL__PORTAL;
        routed.service = (char *) "preschool-admission";
        assert (streq (s_provider_for (catalogue, region, leb, &routed), leb));
        routed.service = (char *) "kindergarten-queue";
        assert (streq (s_provider_for (catalogue, "230000000", "leb-230000000", &routed), "leb-230000000"));
        egov_catalogue_destroy (&catalogue);
    }
    int64_t now = egov_clock_now_ms ();
    regional_judgement_t judgement;
    Egov__Applications__Application *application =
        s_test_application (pki_dir, "operator1", operator_iin, "APP-1");
    regional_server_judge (server, application, now, &judgement);
    assert (judgement.accepted && !*judgement.refusal_code);
    assert (streq (judgement.signature_outcome, "OK"));
    assert (strstr (judgement.signer, "Бекова Ақмарал Серікқызы") && strstr (judgement.signer, operator_iin));
    assert (streq (judgement.signer_iin, operator_iin));

    //  The signed bytes changed after signing
    application->document.data [2] = 'X';
    regional_server_judge (server, application, now, &judgement);
    assert (!judgement.accepted && streq (judgement.refusal_code, "BAD_SIGNATURE"));
    assert (streq (judgement.signature_outcome, "BAD_SIGNATURE"));
    application->document.data [2] = 's';
    regional_server_judge (server, application, now, &judgement);
    assert (judgement.accepted);
    //  Someone else claims the signature
    egov_string_set (&application->signer_iin, "781130306545");
    regional_server_judge (server, application, now, &judgement);
    assert (!judgement.accepted && streq (judgement.refusal_code, "IIN_MISMATCH"));
    egov_string_set (&application->signer_iin, operator_iin);
    //  Judged later than the certificate lives
    regional_server_judge (server, application, now + 3 * 365 * EGOV_PKI_DAY_MS, &judgement);
    assert (!judgement.accepted && streq (judgement.refusal_code, "CERT_EXPIRED"));
    //  Another region's application
    egov_string_set (&application->region, "230000000");
    regional_server_judge (server, application, now, &judgement);
    assert (!judgement.accepted && streq (judgement.refusal_code, "WRONG_REGION"));
    assert (streq (judgement.signature_outcome, "NOT_CHECKED"));
    egov_string_set (&application->region, "750000000");
    //  Missing pieces
    egov_string_set (&application->application_id, "");
    regional_server_judge (server, application, now, &judgement);
    assert (!judgement.accepted && streq (judgement.refusal_code, "INVALID_APPLICATION"));
    egov_string_set (&application->application_id, "APP-1");
    egov_string_set (&application->applicant_iin, "850314301235");
    regional_server_judge (server, application, now, &judgement);
    assert (!judgement.accepted && streq (judgement.refusal_code, "INVALID_APPLICATION"));
    egov_string_set (&application->applicant_iin, "850314301234");
    ProtobufCBinaryData signature = application->signature;
    application->signature.len = 0;
    regional_server_judge (server, application, now, &judgement);
    assert (!judgement.accepted && streq (judgement.refusal_code, "MALFORMED"));
    application->signature = signature;
    regional_server_judge (server, application, now, &judgement);
    assert (judgement.accepted);
    //  A revoked certificate, and one from a CA nobody trusts
    Egov__Applications__Application *revoked =
        s_test_application (pki_dir, "revoked-951203407770", "951203407770", "APP-R");
    regional_server_judge (server, revoked, now, &judgement);
    assert (!judgement.accepted && streq (judgement.refusal_code, "CERT_REVOKED"));
    Egov__Applications__Application *untrusted =
        s_test_application (pki_dir, "untrusted-850314301234", "850314301234", "APP-U");
    regional_server_judge (server, untrusted, now, &judgement);
    assert (!judgement.accepted && streq (judgement.refusal_code, "UNKNOWN_ISSUER"));
    egov__applications__application__free_unpacked (untrusted, NULL);

    //  Deliveries never applicable, judged before the journal
    char code [48];
    Egov__Envelope *envelope = s_test_envelope ("application.unknown", "intake", NULL, &application->base);
    assert (s_test_deliver (server, envelope, code) == REGIONAL_REJECT);
    assert (streq (code, "UNSUPPORTED_SERVICE"));
    envelope = s_test_envelope (REGIONAL_SERVICE_SUBMIT, "intake", NULL, NULL);
    egov_string_set (&envelope->payload_type, "text/plain");
    envelope->payload.data = (uint8_t *) strdup ("hello");
    envelope->payload.len = 5;
    assert (s_test_deliver (server, envelope, code) == REGIONAL_REJECT);
    assert (streq (code, "MALFORMED_PAYLOAD"));
    envelope = s_test_envelope (REGIONAL_SERVICE_SUBMIT, "intake", NULL, &application->base);
    free (envelope->payload.data);
    envelope->payload.data = (uint8_t *) strdup ("\x0a\x7f\x41");     //  a length past the end
    envelope->payload.len = 3;
    assert (s_test_deliver (server, envelope, code) == REGIONAL_REJECT);
    assert (streq (code, "MALFORMED_PAYLOAD"));
    //  A status carrying an application is the wrong type
    envelope = s_test_envelope (REGIONAL_SERVICE_STATUS, "leb-750000000", NULL, &application->base);
    assert (s_test_deliver (server, envelope, code) == REGIONAL_REJECT);
    assert (streq (code, "MALFORMED_PAYLOAD"));
    char long_id [200];
    memset (long_id, 'c', sizeof (long_id) - 1);
    long_id [sizeof (long_id) - 1] = 0;
    envelope = s_test_envelope (REGIONAL_SERVICE_SUBMIT, "intake", long_id, &application->base);
    assert (s_test_deliver (server, envelope, code) == REGIONAL_REJECT);
    assert (streq (code, "MALFORMED_ENVELOPE"));
    {
        regional_store_t *store = regional_store_new (conn, "750000000");

        //  Process 7: registered, the channel told, the leb handed the document
        envelope = s_test_envelope (REGIONAL_SERVICE_SUBMIT, "intake", "corr-1", &application->base);
        assert (s_test_deliver (server, envelope, code) == REGIONAL_ACK);
        zlistx_t *outbox = s_test_outbox (conn);
        assert (zlistx_size (outbox) == 2);
        Egov__Envelope *sent = zlistx_first (outbox);
        assert (streq (sent->recipient_id, "intake") && streq (sent->correlation_id, "corr-1"));
        assert (streq (sent->route_id, "750000000"));
        assert (sent->message_type == EGOV__MESSAGE_TYPE__UPDATE);
        Egov__Applications__StatusNotice *notice = s_test_notice (sent);
        assert (notice->status == EGOV__APPLICATIONS__STATUS__REGISTERED);
        assert (streq (notice->application_id, "APP-1"));
        char year [40];
        egov_clock_format (notice->at, year, sizeof (year));
        regional_registration_number ("750000000", atoi (year), 1, number, sizeof (number));
        assert (streq (notice->registration_number, number));
        assert (streq (notice->actor, "regional-750000000"));
        egov__applications__status_notice__free_unpacked (notice, NULL);
        sent = zlistx_next (outbox);
        assert (streq (sent->recipient_id, "leb-750000000"));
        assert (streq (sent->service_id, REGIONAL_SERVICE_REGISTERED));
        assert (streq (sent->correlation_id, "corr-1"));
        Egov__Applications__RegisteredApplication *handed = (Egov__Applications__RegisteredApplication *)
            egov_envelope_payload (sent, &egov__applications__registered_application__descriptor);
        assert (handed && handed->registration && handed->application);
        assert (streq (handed->registration->registration_number, number));
        assert (streq (handed->registration->signature_outcome, "OK"));
        assert (strstr (handed->registration->signer, operator_iin));
        assert (handed->registration->registered_wall > 0 && handed->registration->registered_at > 0);
        assert (streq (handed->application->application_id, "APP-1"));
        assert (handed->application->signature.len == application->signature.len);
        egov__applications__registered_application__free_unpacked (handed, NULL);
        zlistx_destroy (&outbox);

        //  A new message under the same correlation id is not a second application
        envelope = s_test_envelope (REGIONAL_SERVICE_SUBMIT, "intake", "corr-1", &application->base);
        assert (s_test_deliver (server, envelope, code) == REGIONAL_REJECT);
        assert (streq (code, "DUPLICATE_APPLICATION"));

        //  A revoked signature: refused, the leb never sees it, numbers not spent
        envelope = s_test_envelope (REGIONAL_SERVICE_SUBMIT, "portal", "corr-2", &revoked->base);
        assert (s_test_deliver (server, envelope, code) == REGIONAL_ACK);
        outbox = s_test_outbox (conn);
        assert (zlistx_size (outbox) == 1);
        sent = zlistx_first (outbox);
        assert (streq (sent->recipient_id, "portal"));
        notice = s_test_notice (sent);
        assert (notice->status == EGOV__APPLICATIONS__STATUS__REFUSED);
        assert (streq (notice->note, "signature: CERT_REVOKED") && !*notice->registration_number);
        egov__applications__status_notice__free_unpacked (notice, NULL);
        zlistx_destroy (&outbox);
        regional_record_t record;
        assert (regional_store_find (store, "corr-2", &record) == 1);
        assert (streq (record.status, "REFUSED") && streq (record.signature_outcome, "CERT_REVOKED"));
        assert (streq (record.sender_id, "portal") && !*record.registration_number);
        //  The next registered document gets the next number
        egov_string_set (&application->application_id, "APP-3");
        envelope = s_test_envelope (REGIONAL_SERVICE_SUBMIT, "intake", "corr-3", &application->base);
        assert (s_test_deliver (server, envelope, code) == REGIONAL_ACK);
        assert (regional_store_find (store, "corr-3", &record) == 1);
        regional_registration_number ("750000000", atoi (year), 2, number, sizeof (number));
        assert (streq (record.registration_number, number));
        outbox = s_test_outbox (conn);
        zlistx_destroy (&outbox);

        //  The leb's status goes back to the channel as it came
        Egov__Applications__StatusNotice progress = EGOV__APPLICATIONS__STATUS_NOTICE__INIT;
        progress.application_id = "APP-1";
        progress.status = EGOV__APPLICATIONS__STATUS__IN_PROGRESS;
        progress.step = "head assigns an executor";
        progress.role = "head";
        progress.at = 1780000000000;
        envelope = s_test_envelope (REGIONAL_SERVICE_STATUS, "leb-750000000", "corr-1", &progress.base);
        char *status_id = strdup (envelope->message_id);
        assert (s_test_deliver (server, envelope, code) == REGIONAL_ACK);
        outbox = s_test_outbox (conn);
        assert (zlistx_size (outbox) == 1);
        sent = zlistx_first (outbox);
        assert (streq (sent->recipient_id, "intake") && streq (sent->correlation_id, "corr-1"));
        assert (streq (egov_envelope_property (sent, "forwarded_from"), status_id));
        assert (!streq (sent->message_id, status_id));
        notice = s_test_notice (sent);
        assert (notice->status == EGOV__APPLICATIONS__STATUS__IN_PROGRESS);
        assert (streq (notice->step, "head assigns an executor"));
        assert (sent->message_type == EGOV__MESSAGE_TYPE__UPDATE);
        egov__applications__status_notice__free_unpacked (notice, NULL);
        zlistx_destroy (&outbox);
        zstr_free (&status_id);
        //  ... only from the leb, only for an application we know
        envelope = s_test_envelope (REGIONAL_SERVICE_STATUS, "someone", "corr-1", &progress.base);
        assert (s_test_deliver (server, envelope, code) == REGIONAL_REJECT);
        assert (streq (code, "UNEXPECTED_SENDER"));
        envelope = s_test_envelope (REGIONAL_SERVICE_STATUS, "leb-750000000", "corr-x", &progress.base);
        assert (s_test_deliver (server, envelope, code) == REGIONAL_REJECT);
        assert (streq (code, "UNKNOWN_APPLICATION"));
        envelope = s_test_envelope (REGIONAL_SERVICE_STATUS, "leb-750000000", "corr-3", &progress.base);
        assert (s_test_deliver (server, envelope, code) == REGIONAL_REJECT);
        assert (streq (code, "UNKNOWN_APPLICATION"));
        progress.application_id = "APP-R";
        envelope = s_test_envelope (REGIONAL_SERVICE_STATUS, "leb-750000000", "corr-2", &progress.base);
        assert (s_test_deliver (server, envelope, code) == REGIONAL_REJECT);
        assert (streq (code, "NOT_REGISTERED"));

        //  The result goes back as a response; the journal notes it
        Egov__Applications__Result result = EGOV__APPLICATIONS__RESULT__INIT;
        result.application_id = "APP-1";
        result.approved = true;
        result.decided_at = 1780000500000;
        envelope = s_test_envelope (REGIONAL_SERVICE_RESULT, "leb-750000000", "corr-1", &result.base);
        assert (s_test_deliver (server, envelope, code) == REGIONAL_ACK);
        outbox = s_test_outbox (conn);
        assert (zlistx_size (outbox) == 1);
        sent = zlistx_first (outbox);
        assert (streq (sent->recipient_id, "intake") && streq (sent->service_id, REGIONAL_SERVICE_RESULT));
        assert (sent->message_type == EGOV__MESSAGE_TYPE__RESPONSE);
        zlistx_destroy (&outbox);
        PGresult *rows = egov_db_params (conn,
            "SELECT last_status || ' ' || result_approved::text || ' ' || result_at::text"
            " FROM registration WHERE correlation_id = 'corr-1'", 0, NULL, NULL, NULL, NULL, 0);
        assert (PQresultStatus (rows) == PGRES_TUPLES_OK && PQntuples (rows) == 1);
        assert (streq (PQgetvalue (rows, 0, 0), "IN_PROGRESS true 1780000500000"));
        PQclear (rows);
        envelope = s_test_envelope (REGIONAL_SERVICE_RESULT, "leb-750000000", "corr-y", &result.base);
        assert (s_test_deliver (server, envelope, code) == REGIONAL_REJECT);
        assert (streq (code, "UNKNOWN_APPLICATION"));

        //  Return and recall go from the channel to the leb
        Egov__Applications__ResultMovement movement = EGOV__APPLICATIONS__RESULT_MOVEMENT__INIT;
        movement.application_id = "APP-1";
        movement.reason = "unclaimed for one month";
        envelope = s_test_envelope (REGIONAL_SERVICE_RETURN, "intake", "corr-1", &movement.base);
        assert (s_test_deliver (server, envelope, code) == REGIONAL_ACK);
        envelope = s_test_envelope (REGIONAL_SERVICE_RECALL, "intake", "corr-1", &movement.base);
        assert (s_test_deliver (server, envelope, code) == REGIONAL_ACK);
        outbox = s_test_outbox (conn);
        assert (zlistx_size (outbox) == 2);
        sent = zlistx_first (outbox);
        assert (streq (sent->recipient_id, "leb-750000000") && streq (sent->service_id, REGIONAL_SERVICE_RETURN));
        sent = zlistx_next (outbox);
        assert (streq (sent->recipient_id, "leb-750000000") && streq (sent->service_id, REGIONAL_SERVICE_RECALL));
        assert (sent->message_type == EGOV__MESSAGE_TYPE__REQUEST);
        zlistx_destroy (&outbox);
        envelope = s_test_envelope (REGIONAL_SERVICE_RECALL, "portal", "corr-1", &movement.base);
        assert (s_test_deliver (server, envelope, code) == REGIONAL_REJECT);
        assert (streq (code, "UNEXPECTED_SENDER"));
        movement.application_id = "APP-R";
        envelope = s_test_envelope (REGIONAL_SERVICE_RECALL, "portal", "corr-2", &movement.base);
        assert (s_test_deliver (server, envelope, code) == REGIONAL_REJECT);
        assert (streq (code, "NOT_REGISTERED"));
        envelope = s_test_envelope (REGIONAL_SERVICE_RETURN, "intake", "corr-z", &movement.base);
        assert (s_test_deliver (server, envelope, code) == REGIONAL_REJECT);
        assert (streq (code, "UNKNOWN_APPLICATION"));
        //  Rejections leave nothing behind
        rows = egov_db_params (conn, "SELECT (SELECT count(*) FROM shep_outbox)::text || ' '"
            " || (SELECT count(*) FROM registration)::text", 0, NULL, NULL, NULL, NULL, 0);
        assert (PQresultStatus (rows) == PGRES_TUPLES_OK);
        assert (streq (PQgetvalue (rows, 0, 0), "9 3"));
        PQclear (rows);

        //  A journal that cannot be written: no answer, the gateway brings it again
        assert (egov_db_exec_script (conn, "DROP TABLE shep_outbox", "drop"));
        progress.application_id = "APP-1";
        envelope = s_test_envelope (REGIONAL_SERVICE_STATUS, "leb-750000000", "corr-1", &progress.base);
        assert (s_test_deliver (server, envelope, code) == REGIONAL_RETRY);
        assert (streq (code, "STORE_FAILED"));

        regional_store_destroy (&store);
        regional_server_destroy (&server);
    }
    shep_participant_destroy (&s_test_engine);
    assert (egov_db_exec_script (conn, "DROP SCHEMA regional_server_test CASCADE", "drop"));
    PQfinish (conn);
    egov__applications__application__free_unpacked (revoked, NULL);
    egov__applications__application__free_unpacked (application, NULL);
    egov_cms_verifier_destroy (&verifier);
    egov_pki_destroy (&pki);
    assert (egov_pki_remove (pki_dir) == 0);
    regional_server_destroy (&server);
    if (verbose)
        printf ("OK\n");
}
