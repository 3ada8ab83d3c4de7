/*  intake_registries — Processes 3-4 and Condition 1 of Diagram 1: the
    desk asks, through the gateway (ЭҮШ), the registry of individuals
    (ЖТ ММБ / ГБД ФЛ, gbdfl.person) about the applicant and the
    representative and the notarial registry (БНАЖ / ЕНИС, enis.poa) about
    the power of attorney, and says which registry had no data and why.
    The calls wait on the loop (on the runtime's connection to the
    gateway), so they are kept short: a registry that does not answer
    holds the desk for seconds at most, and the request gets 503
    REGISTRY_UNAVAILABLE.                                               */
#include "intake_desk_private.h"

//  Milliseconds the registries get to answer; a gateway gone silent costs
//  one second more (shep_client_call's margin).
#define s_LOOKUP_TIMEOUT 2000

//  Makes a sync call and unpacks the payload of the expected type; NULL
//  with error set (the gateway's code, or the provider's error).
static ProtobufCMessage *
s_call (intake_desk_t *self, const char *service_id, const ProtobufCMessage *request,
        const ProtobufCMessageDescriptor *expected, bool *provider_error, egov_error_t *error)
{
    *provider_error = false;
    if (!shep_participant_connected (self->engine)) {
        egov_error_set (error, "GATEWAY_UNREACHABLE", "the desk is not connected to the gateway");
        return NULL;
    }
    Egov__Envelope *envelope = egov_envelope_new (service_id, EGOV__MESSAGE_TYPE__REQUEST);
    //  Under the application's id, so the message log shows Process 3 with the rest
    if (self->correlation)
        egov_string_set (&envelope->correlation_id, self->correlation);
    egov_envelope_set_payload (envelope, request);
    Egov__Envelope *reply = shep_client_call (shep_participant_client (self->engine), envelope,
                                              s_LOOKUP_TIMEOUT, error);
    egov__envelope__free_unpacked (envelope, NULL);
    if (!reply)
        return NULL;
    ProtobufCMessage *payload = NULL;
    if (reply->error) {
        egov_error_from_info (error, reply->error);
        *provider_error = true;
    }
    else
    if (!(payload = egov_envelope_payload (reply, expected)))
        egov_error_set (error, "BAD_REPLY", "%s answered '%s', expected %s", service_id,
                        reply->payload_type, expected->name);
    egov__envelope__free_unpacked (reply, NULL);
    return payload;
}

int
intake_desk__person (intake_desk_t *self, const char *iin,
                     Egov__Registries__PersonResponse **response, egov_error_t *error)
{
    Egov__Registries__PersonRequest request = EGOV__REGISTRIES__PERSON_REQUEST__INIT;
    request.iin = (char *) iin;
    bool provider_error;
    *response = (Egov__Registries__PersonResponse *) s_call (self, "gbdfl.person", &request.base,
        &egov__registries__person_response__descriptor, &provider_error, error);
    if (!*response)
        return provider_error && streq (error->code, "INVALID_IIN") ? 0 : -1;
    if ((*response)->status == EGOV__REGISTRIES__PERSON_RESPONSE__STATUS__FOUND
    &&  (*response)->person)
        return 1;
    bool not_found = (*response)->status == EGOV__REGISTRIES__PERSON_RESPONSE__STATUS__NOT_FOUND;
    egov__registries__person_response__free_unpacked (*response, NULL);
    *response = NULL;
    if (not_found) {
        egov_error_set (error, "NOT_FOUND", "no person with IIN %s", iin);
        return 0;
    }
    egov_error_set (error, "BAD_REPLY", "gbdfl.person answered without a status");
    return -1;
}

int
intake_desk__poa (intake_desk_t *self, const char *number, const char *representative,
                  const char *on_date, Egov__Registries__PoaResponse **response,
                  egov_error_t *error)
{
    Egov__Registries__PoaRequest request = EGOV__REGISTRIES__POA_REQUEST__INIT;
    request.number = (char *) number;
    request.representative_iin = (char *) representative;
    request.on_date = (char *) on_date;
    bool provider_error;
    *response = (Egov__Registries__PoaResponse *) s_call (self, "enis.poa", &request.base,
        &egov__registries__poa_response__descriptor, &provider_error, error);
    if (!*response)
        return -1;
    if ((*response)->status == EGOV__REGISTRIES__POA_RESPONSE__STATUS__STATUS_UNSPECIFIED
    ||  !protobuf_c_enum_descriptor_get_value (&egov__registries__poa_response__status__descriptor,
                                               (*response)->status)) {
        egov__registries__poa_response__free_unpacked (*response, NULL);
        *response = NULL;
        egov_error_set (error, "BAD_REPLY", "enis.poa answered without a status");
        return -1;
    }
    return 1;
}

void
intake_desk__registry_unavailable (egov_http_reply_t *reply, const char *registry, const egov_error_t *error)
{
    json_t *body = egov_http_reply_error (reply, 503, "REGISTRY_UNAVAILABLE",
                                          "%s could not be asked: %s %s", registry, error->code,
                                          error->message);
    json_object_set_new (body, "registry", json_string (registry));
    json_object_set_new (body, "cause", json_string (error->code));
}

//  Fills reply for Condition 1 answered "no": which registry and why.
static void
s_data_not_available (egov_http_reply_t *reply, const char *registry, const char *who,
                      const char *reason, const char *format, ...)
    __attribute__ ((format (printf, 5, 6)));
static void
s_data_not_available (egov_http_reply_t *reply, const char *registry, const char *who,
                      const char *reason, const char *format, ...)
{
    char message [400];
    va_list args;
    va_start (args, format);
    vsnprintf (message, sizeof (message), format, args);
    va_end (args);
    json_t *body = egov_http_reply_error (reply, 422, "DATA_NOT_AVAILABLE",
                                          "the data cannot be obtained: %s", message);
    json_object_set_new (body, "registry", json_string (registry));
    json_object_set_new (body, "subject", json_string (who));
    json_object_set_new (body, "reason", json_string (reason));
}

//  Looks a person up; true with *response when found, else reply is set.
bool
intake_desk__lookup_person (intake_desk_t *self, const char *iin, const char *who,
                 Egov__Registries__PersonResponse **response, egov_http_reply_t *reply)
{
    egov_error_t error = { { 0 } };
    int found = intake_desk__person (self, iin, response, &error);
    if (found < 0)
        intake_desk__registry_unavailable (reply, "gbdfl", &error);
    else
    if (found == 0)
        s_data_not_available (reply, "gbdfl", who, error.code,
                              "the registry of individuals has no %s with IIN %s (%s)",
                              who, iin, error.message);
    return found == 1;
}

//  Checks the representative's power of attorney; true when it is valid for
//  this applicant and service, else reply is set.
bool
intake_desk__check_poa (intake_desk_t *self, const intake_application_t *request, egov_http_reply_t *reply)
{
    char today [11];
    intake_desk__local_date (self, egov_clock_now_ms (), today);
    Egov__Registries__PoaResponse *response = NULL;
    egov_error_t error = { { 0 } };
    if (intake_desk__poa (self, request->poa_number, request->representative_iin, today,
                          &response, &error) < 0) {
        if (streq (error.code, "INVALID_IIN") || streq (error.code, "INVALID_REQUEST"))
            s_data_not_available (reply, "enis", "power-of-attorney", error.code,
                                  "the notarial registry refused the question: %s", error.message);
        else
            intake_desk__registry_unavailable (reply, "enis", &error);
        return false;
    }
    bool valid = false;
    const char *number = request->poa_number;
    switch (response->status) {
        case EGOV__REGISTRIES__POA_RESPONSE__STATUS__NOT_FOUND:
            s_data_not_available (reply, "enis", "power-of-attorney", "NOT_FOUND",
                "no notarised power of attorney %s in the notarial registry", number);
            break;
        case EGOV__REGISTRIES__POA_RESPONSE__STATUS__EXPIRED:
            s_data_not_available (reply, "enis", "power-of-attorney", "EXPIRED",
                "power of attorney %s expired on %s", number,
                response->poa ? response->poa->valid_until : "?");
            break;
        case EGOV__REGISTRIES__POA_RESPONSE__STATUS__REVOKED:
            s_data_not_available (reply, "enis", "power-of-attorney", "REVOKED",
                "power of attorney %s was revoked on %s", number,
                response->poa ? response->poa->revoked_on : "?");
            break;
        case EGOV__REGISTRIES__POA_RESPONSE__STATUS__NOT_THIS_REPRESENTATIVE:
            s_data_not_available (reply, "enis", "power-of-attorney", "NOT_THIS_REPRESENTATIVE",
                "power of attorney %s does not name %s as the representative", number,
                request->representative_iin);
            break;
        default:
            if (!response->poa)
                s_data_not_available (reply, "enis", "power-of-attorney", "NO_BODY",
                    "the notarial registry answered VALID without the power of attorney");
            else
            if (!streq (response->poa->principal_iin, request->applicant_iin))
                s_data_not_available (reply, "enis", "power-of-attorney", "OTHER_PRINCIPAL",
                    "power of attorney %s was given by %s, not by the applicant %s", number,
                    response->poa->principal_iin, request->applicant_iin);
            else {
                valid = response->poa->n_services == 0;
                for (size_t index = 0; index < response->poa->n_services && !valid; index++)
                    valid = streq (response->poa->services [index], request->service);
                if (!valid)
                    s_data_not_available (reply, "enis", "power-of-attorney", "NOT_FOR_THIS_SERVICE",
                        "power of attorney %s does not cover %s", number, request->service);
            }
    }
    egov__registries__poa_response__free_unpacked (response, NULL);
    return valid;
}

