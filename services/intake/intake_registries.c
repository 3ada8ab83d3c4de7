/*  intake_registries — Processes 3-4 and Condition 1 of Diagram 1: the
    desk asks, through the gateway (ЭҮШ), the registry of individuals
    (ЖТ ММБ / ГБД ФЛ, gbdfl.person) about the applicant and the
    representative and the notarial registry (БНАЖ / ЕНИС, enis.poa) about
    the power of attorney, and says which registry had no data and why.
    A submission's check does not wait on the loop: each question goes
    out through the runtime and its answer comes back as a callback, so
    other operators are served meanwhile; a registry that does not answer
    costs that one request a 503 REGISTRY_UNAVAILABLE. The hand-over's
    identity question is asked the same way (intake_counter.c). A form
    that names a child adds the portal's check: a birth certificate in the
    applicant's record names the child, whose record is then asked for the
    name.                                                                */
#include "intake_desk_private.h"

//  Milliseconds the registries get to answer; a gateway gone silent costs
//  one second more (shep_participant_call's margin).
#define s_LOOKUP_TIMEOUT 2000

//  The question to service_id, under correlation (may be NULL) so the
//  message log shows Process 3 with the rest of the application.
static Egov__Envelope *
s_question (const char *service_id, const char *correlation, const ProtobufCMessage *request)
{
    Egov__Envelope *envelope = egov_envelope_new (service_id, EGOV__MESSAGE_TYPE__REQUEST);
    if (correlation)
        egov_string_set (&envelope->correlation_id, correlation);
    egov_envelope_set_payload (envelope, request);
    return envelope;
}

//  What a registry answered: its payload of the expected type, or NULL with
//  error (the gateway's code in failure, or the provider's own error, then
//  *provider_error).
static ProtobufCMessage *
s_answer (const char *service_id, const Egov__Envelope *reply, const egov_error_t *failure,
          const ProtobufCMessageDescriptor *expected, bool *provider_error, egov_error_t *error)
{
    *provider_error = false;
    if (!reply) {
        *error = *failure;
        return NULL;
    }
    ProtobufCMessage *payload = NULL;
    if (reply->error) {
        egov_error_from_info (error, reply->error);
        *provider_error = true;
    }
    else
    if (!(payload = egov_envelope_payload (reply, expected)))
        egov_error_set (error, "BAD_REPLY", "%s answered '%s', expected %s", service_id,
                        reply->payload_type, expected->name);
    return payload;
}

//  What gbdfl.person's answer (payload, or NULL with error) says about iin:
//  1 found (*response set), 0 not found (error NOT_FOUND or the registry's
//  INVALID_IIN), -1 no usable answer.
static int
s_person_found (const char *iin, ProtobufCMessage *payload, bool provider_error,
                Egov__Registries__PersonResponse **response, egov_error_t *error)
{
    *response = (Egov__Registries__PersonResponse *) payload;
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

bool
intake_desk__ask_person (intake_desk_t *self, const char *iin, const char *correlation,
                         shep_participant_reply_fn *callback, void *argument, egov_error_t *error)
{
    Egov__Registries__PersonRequest request = EGOV__REGISTRIES__PERSON_REQUEST__INIT;
    request.iin = (char *) iin;
    Egov__Envelope *envelope = s_question ("gbdfl.person", correlation, &request.base);
    uint64_t tag = shep_participant_call (self->engine, envelope, s_LOOKUP_TIMEOUT, callback,
                                          argument, error);
    egov__envelope__free_unpacked (envelope, NULL);
    return tag != 0;
}

int
intake_desk__person_answer (const char *iin, const Egov__Envelope *reply,
                            const egov_error_t *failure,
                            Egov__Registries__PersonResponse **response, egov_error_t *error)
{
    bool provider_error;
    ProtobufCMessage *payload = s_answer ("gbdfl.person", reply, failure,
        &egov__registries__person_response__descriptor, &provider_error, error);
    return s_person_found (iin, payload, provider_error, response, error);
}

//  What enis.poa's answer (payload, or NULL with error) says: 1 answered
//  (*response set), -1 no usable answer.
static int
s_poa_answered (ProtobufCMessage *payload, Egov__Registries__PoaResponse **response,
                egov_error_t *error)
{
    *response = (Egov__Registries__PoaResponse *) payload;
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

void
intake_desk__busy (egov_http_reply_t *reply, const egov_error_t *error)
{
    egov_http_reply_error (reply, 503, error->code, "%s", error->message);
    reply->retry_after = strdup ("1");
    assert (reply->retry_after);
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

//  The person look-up's verdict for Condition 1 (found: 1, as
//  intake_desk__person says); true when found, else reply is set.
static bool
s_person_verdict (int found, const char *iin, const char *who, const egov_error_t *error,
                  egov_http_reply_t *reply)
{
    if (found < 0)
        intake_desk__registry_unavailable (reply, "gbdfl", error);
    else
    if (found == 0)
        s_data_not_available (reply, "gbdfl", who, error->code,
                              "the registry of individuals has no %s with IIN %s (%s)",
                              who, iin, error->message);
    return found == 1;
}

//  The power of attorney's verdict for Condition 1 from enis.poa's answer
//  (answered 1 with response, or -1 with error): true when it is valid for
//  this applicant and service, else reply is set. Frees response.
static bool
s_poa_verdict (const intake_application_t *request, int answered,
               Egov__Registries__PoaResponse *response, const egov_error_t *error,
               egov_http_reply_t *reply)
{
    if (answered < 0) {
        if (streq (error->code, "INVALID_IIN") || streq (error->code, "INVALID_REQUEST"))
            s_data_not_available (reply, "enis", "power-of-attorney", error->code,
                                  "the notarial registry refused the question: %s", error->message);
        else
            intake_desk__registry_unavailable (reply, "enis", error);
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
                //  Whose it is instead is a third person's data: not said
                s_data_not_available (reply, "enis", "power-of-attorney", "OTHER_PRINCIPAL",
                    "power of attorney %s was not given by the applicant", number);
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


//  ---------------------------------------------------------------------
//  Condition 1 without waiting

static void s_check_on_answer (void *argument, const Egov__Envelope *reply,
                               const egov_error_t *failure);

//  Asks the current stage's question; false with check->failure set when
//  it could not be asked.
static bool
s_check_ask (intake_check_t *check)
{
    const intake_application_t *request = check->request;
    Egov__Envelope *envelope;
    if (check->stage != INTAKE_CHECK_POA) {
        Egov__Registries__PersonRequest person = EGOV__REGISTRIES__PERSON_REQUEST__INIT;
        person.iin = (char *) (check->stage == INTAKE_CHECK_APPLICANT ? request->applicant_iin
                             : check->stage == INTAKE_CHECK_CHILD ? check->child_iin
                             : request->representative_iin);
        envelope = s_question ("gbdfl.person", check->correlation, &person.base);
    }
    else {
        char today [11];
        intake_desk__local_date (check->desk, egov_clock_now_ms (), today);
        Egov__Registries__PoaRequest poa = EGOV__REGISTRIES__POA_REQUEST__INIT;
        poa.number = (char *) request->poa_number;
        poa.representative_iin = (char *) request->representative_iin;
        poa.on_date = today;
        envelope = s_question ("enis.poa", check->correlation, &poa.base);
    }
    egov_error_t error = { { 0 } };
    uint64_t tag = shep_participant_call (check->desk->engine, envelope, s_LOOKUP_TIMEOUT,
                                          s_check_on_answer, check, &error);
    egov__envelope__free_unpacked (envelope, NULL);
    if (!tag)
        intake_desk__registry_unavailable (&check->failure,
                                           check->stage == INTAKE_CHECK_POA ? "enis" : "gbdfl", &error);
    return tag != 0;
}

//  The stage after the one answered, skipping those that do not apply.
static intake_check_stage_t
s_check_next (const intake_check_t *check, intake_check_stage_t answered)
{
    intake_check_stage_t stage = answered + 1;
    if ((stage == INTAKE_CHECK_REPRESENTATIVE || stage == INTAKE_CHECK_POA)
    &&  !check->request->represented)
        stage = INTAKE_CHECK_CHILD;
    if (stage == INTAKE_CHECK_CHILD && !check->child_iin)
        stage = INTAKE_CHECK_DONE;
    return stage;
}

//  The child the form names is the applicant's: a birth certificate in the
//  applicant's record names them as a parent. False with 403
//  CHILD_NOT_LINKED (the portal's answer) otherwise.
static bool
s_check_link (intake_check_t *check)
{
    const Egov__Registries__Person *person = check->applicant->person;
    for (size_t index = 0; index < person->n_children && !check->link; index++)
        if (streq (person->children [index]->child_iin, check->child_iin))
            check->link = person->children [index];
    if (check->link)
        return true;
    json_t *detail = egov_http_reply_error (&check->failure, 403, "CHILD_NOT_LINKED",
        "the registry of individuals has no birth certificate naming %s as a parent of %s",
        check->request->applicant_iin, check->child_iin);
    char field [80];
    snprintf (field, sizeof (field), "form.%s", check->child_key);
    json_object_set_new (detail, "field", json_string (field));
    return false;
}

//  One answer: the next question, or the end of the check.
static void
s_check_on_answer (void *argument, const Egov__Envelope *reply, const egov_error_t *failure)
{
    intake_check_t *check = (intake_check_t *) argument;
    const intake_application_t *request = check->request;
    bool provider_error;
    egov_error_t error = { { 0 } };
    bool yes;
    if (check->stage == INTAKE_CHECK_POA) {
        ProtobufCMessage *payload = s_answer ("enis.poa", reply, failure,
            &egov__registries__poa_response__descriptor, &provider_error, &error);
        Egov__Registries__PoaResponse *response = NULL;
        int answered = s_poa_answered (payload, &response, &error);
        yes = s_poa_verdict (request, answered, response, &error, &check->failure);
    }
    else
    if (check->stage == INTAKE_CHECK_CHILD) {
        //  The child: named when the registry has them, unnamed when it lost them
        ProtobufCMessage *payload = s_answer ("gbdfl.person", reply, failure,
            &egov__registries__person_response__descriptor, &provider_error, &error);
        yes = s_person_found (check->child_iin, payload, provider_error, &check->child, &error) >= 0;
        if (!yes)
            intake_desk__registry_unavailable (&check->failure, "gbdfl", &error);
    }
    else {
        bool applicant = check->stage == INTAKE_CHECK_APPLICANT;
        const char *iin = applicant ? request->applicant_iin : request->representative_iin;
        ProtobufCMessage *payload = s_answer ("gbdfl.person", reply, failure,
            &egov__registries__person_response__descriptor, &provider_error, &error);
        Egov__Registries__PersonResponse **found = applicant ? &check->applicant : &check->representative;
        int outcome = s_person_found (iin, payload, provider_error, found, &error);
        yes = s_person_verdict (outcome, iin, applicant ? "applicant" : "representative",
                                &error, &check->failure);
    }
    check->stage = yes ? s_check_next (check, check->stage) : INTAKE_CHECK_DONE;
    if (check->stage == INTAKE_CHECK_CHILD && !s_check_link (check))
        check->stage = INTAKE_CHECK_DONE;
    if (check->stage != INTAKE_CHECK_DONE && s_check_ask (check))
        return;                     //  the next answer comes later
    check->stage = INTAKE_CHECK_DONE;
    check->done (check, check->argument);
}

bool
intake_desk__check_start (intake_desk_t *self, intake_check_t *check)
{
    assert (self && check && check->request && check->done);
    assert (!check->child_iin || check->child_key);
    check->desk = self;
    check->stage = INTAKE_CHECK_APPLICANT;
    return s_check_ask (check);
}

void
intake_desk__check_reset (intake_check_t *check)
{
    if (check->stage != INTAKE_CHECK_DONE && check->desk)
        shep_participant_forget (check->desk->engine, check);
    if (check->applicant)
        egov__registries__person_response__free_unpacked (check->applicant, NULL);
    if (check->representative)
        egov__registries__person_response__free_unpacked (check->representative, NULL);
    if (check->child)
        egov__registries__person_response__free_unpacked (check->child, NULL);
    check->applicant = check->representative = check->child = NULL;
    check->link = NULL;
    check->stage = INTAKE_CHECK_DONE;
    egov_http_reply_reset (&check->failure);
}
