/*  portal_registry — what the portal asks the registry of individuals
    (ЖТ ММБ / ГБД ФЛ, gbdfl.person) through the gateway (ЭҮШ): whether a
    person is known, the citizen's identity data and children for the
    cabinet (GET /api/v1/me), and the extracts a submission attaches.    */
#include "portal_server_private.h"

int
portal_server__person (portal_server_t *self, const char *iin, const char *correlation_id,
                       Egov__Registries__PersonResponse **response, egov_error_t *error)
{
    *response = NULL;
    //  Synchronous for now: the loop waits for the registry, never longer
    //  than the registry timeout, and not at all while the gateway is away
    if (!shep_participant_connected (self->engine)) {
        egov_error_set (error, "GATEWAY_UNREACHABLE", "the portal is not connected to the gateway");
        return -1;
    }
    Egov__Registries__PersonRequest request = EGOV__REGISTRIES__PERSON_REQUEST__INIT;
    request.iin = (char *) iin;
    Egov__Envelope *envelope = egov_envelope_new ("gbdfl.person", EGOV__MESSAGE_TYPE__REQUEST);
    egov_envelope_set_payload (envelope, &request.base);
    if (correlation_id)
        egov_string_set (&envelope->correlation_id, correlation_id);
    Egov__Envelope *reply = shep_client_call (shep_participant_client (self->engine), envelope,
                                              self->config.registry_timeout_ms, error);
    egov__envelope__free_unpacked (envelope, NULL);
    if (!reply)
        return -1;
    int found = -1;
    if (reply->error) {
        egov_error_from_info (error, reply->error);
        found = streq (error->code, "INVALID_IIN") ? 0 : -1;
    }
    else
    if (!(*response = (Egov__Registries__PersonResponse *)
            egov_envelope_payload (reply, &egov__registries__person_response__descriptor)))
        egov_error_set (error, "BAD_REPLY", "gbdfl.person answered '%s'", reply->payload_type);
    else
    if ((*response)->status == EGOV__REGISTRIES__PERSON_RESPONSE__STATUS__FOUND && (*response)->person)
        found = 1;
    else {
        bool not_found = (*response)->status == EGOV__REGISTRIES__PERSON_RESPONSE__STATUS__NOT_FOUND;
        egov__registries__person_response__free_unpacked (*response, NULL);
        *response = NULL;
        if (not_found) {
            egov_error_set (error, "NOT_FOUND", "no person with IIN %s in the registry", iin);
            found = 0;
        }
        else
            egov_error_set (error, "BAD_REPLY", "gbdfl.person answered without a status");
    }
    egov__envelope__free_unpacked (reply, NULL);
    return found;
}

void
portal_server__registry_down (egov_http_reply_t *reply, const egov_error_t *error)
{
    json_t *detail = egov_http_reply_error (reply, 503, "REGISTRY_UNAVAILABLE",
        "the registry of individuals could not be asked through the gateway: %s %s",
        error->code, error->message);
    json_object_set_new (detail, "cause", json_string (error->code));
}

json_t *
portal_server__certificate_json (const Egov__Registries__BirthCertificate *certificate)
{
    return json_pack ("{s:s, s:s, s:s, s:s, s:s, s:s}", "number", certificate->number,
        "issued", certificate->issued, "child_iin", certificate->child_iin,
        "mother_iin", certificate->mother_iin, "father_iin", certificate->father_iin,
        "registry_office", certificate->registry_office);
}

json_t *
portal_server__documents_json (const Egov__Registries__Person *person)
{
    json_t *documents = json_array ();
    for (size_t index = 0; index < person->n_documents; index++) {
        const Egov__Registries__IdentityDocument *document = person->documents [index];
        json_array_append_new (documents, json_pack ("{s:s, s:s, s:s, s:s?, s:s}",
            "type", document->type, "number", document->number, "issued", document->issued,
            "expires", *document->expires ? document->expires : NULL, "issuer", document->issuer));
    }
    return documents;
}

void
portal_server_me (portal_server_t *self, const char *iin, egov_http_reply_t *reply)
{
    Egov__Registries__PersonResponse *response = NULL;
    egov_error_t error = { { 0 } };
    int found = portal_server__person (self, iin, NULL, &response, &error);
    if (found <= 0) {
        if (found == 0)
            egov_http_reply_error (reply, 404, "PERSON_NOT_FOUND",
                                   "the registry of individuals no longer has IIN %s", iin);
        else
            portal_server__registry_down (reply, &error);
        return;
    }
    const Egov__Registries__Person *person = response->person;
    char name [512];
    portal_server__name (person, name, sizeof (name));
    json_t *children = json_array ();
    for (size_t index = 0; index < person->n_children; index++) {
        const Egov__Registries__BirthCertificate *certificate = person->children [index];
        Egov__Registries__PersonResponse *child = NULL;
        egov_error_t ignored = { { 0 } };
        json_t *item = json_pack ("{s:s, s:o}", "iin", certificate->child_iin,
                                  "birth_certificate", portal_server__certificate_json (certificate));
        if (portal_server__person (self, certificate->child_iin, NULL, &child, &ignored) == 1) {
            char child_name [512];
            portal_server__name (child->person, child_name, sizeof (child_name));
            json_object_set_new (item, "name", json_string (child_name));
            json_object_set_new (item, "birth_date", json_string (child->person->birth_date));
            egov__registries__person_response__free_unpacked (child, NULL);
        }
        json_array_append_new (children, item);
    }
    json_t *address = person->address
        ? json_pack ("{s:s, s:s, s:s}", "region_kato", person->address->region_kato,
                     "region_name", person->address->region_name, "locality", person->address->locality)
        : json_null ();
    egov_http_reply_set (reply, 200, json_pack ("{s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:s}",
        "iin", person->iin, "name", name, "birth_date", person->birth_date, "gender", person->gender,
        "address", address, "documents", portal_server__documents_json (person), "children", children,
        "source", "gbdfl.person through the gateway"));
    egov__registries__person_response__free_unpacked (response, NULL);
}
