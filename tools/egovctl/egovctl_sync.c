/*  egovctl_sync — the commands that make a sync call through the gateway
    (ЭҮШ / ШЭП) and wait for the provider's answer:
      person  the registry of individuals (ЖТ ММБ / ГБД ФЛ), gbdfl.person;
      poa     notarised powers of attorney in ЕНИС (БНАЖ), enis.poa;
      call    any service with a raw payload, so an integrator can try the
              system they plugged in as a provider before anyone else does. */
#include "egovctl.h"
#include "egovctl_json.h"
#include "registries.pb-c.h"
#include <openssl/sha.h>

ProtobufCMessage *
egovctl_call_typed (egovctl_t *self, const char *service_id, const ProtobufCMessage *request,
                    const ProtobufCMessageDescriptor *expected, int *exit_code)
{
    Egov__Envelope *envelope = egov_envelope_new (service_id, EGOV__MESSAGE_TYPE__REQUEST);
    egov_envelope_set_payload (envelope, request);
    egov_error_t error = { { 0 } };
    Egov__Envelope *reply = shep_client_call (self->client, envelope, self->timeout_ms, &error);
    egov__envelope__free_unpacked (envelope, NULL);
    ProtobufCMessage *payload = NULL;
    if (!reply)
        *exit_code = egovctl_fail (self, &error, EGOVCTL_ERROR);
    else
    if (reply->error) {
        egov_error_from_info (&error, reply->error);
        *exit_code = egovctl_fail (self, &error, EGOVCTL_ERROR);
    }
    else {
        payload = egov_envelope_payload (reply, expected);
        if (!payload) {
            egov_error_set (&error, "BAD_REPLY", "%s answered payload type '%s', expected %s",
                            service_id, reply->payload_type, expected->name);
            *exit_code = egovctl_fail (self, &error, EGOVCTL_ERROR);
        }
    }
    if (reply)
        egov__envelope__free_unpacked (reply, NULL);
    return payload;
}

//  ---------------------------------------------------------------------
//  person IIN

//  Prints one birth certificate on a line.
static void
s_print_certificate (const Egov__Registries__BirthCertificate *certificate)
{
    printf ("  No %s issued %s  child %s  mother %s  father %s  office %s\n",
            egovctl_or_dash (certificate->number), egovctl_or_dash (certificate->issued),
            egovctl_or_dash (certificate->child_iin), egovctl_or_dash (certificate->mother_iin),
            egovctl_or_dash (certificate->father_iin),
            egovctl_or_dash (certificate->registry_office));
}

static void
s_print_person (const Egov__Registries__Person *person)
{
    printf ("IIN          %s\n", person->iin);
    printf ("Name         %s %s%s%s\n", person->surname, person->name,
            *person->patronymic ? " " : "", person->patronymic);
    printf ("Birth date   %s\n", egovctl_or_dash (person->birth_date));
    printf ("Gender       %s\n", egovctl_or_dash (person->gender));
    printf ("Citizenship  %s\n", egovctl_or_dash (person->citizenship));
    const Egov__Registries__Address *address = person->address;
    if (address) {
        printf ("Address      %s, %s %s", egovctl_or_dash (address->locality),
                address->street, address->house);
        if (*address->flat)
            printf (", flat %s", address->flat);
        printf ("  (KATO %s %s)\n", egovctl_or_dash (address->region_kato),
                address->region_name);
    }
    else
        printf ("Address      -\n");
    printf ("Documents%s\n", person->n_documents ? "" : "    -");
    for (size_t index = 0; index < person->n_documents; index++) {
        const Egov__Registries__IdentityDocument *document = person->documents [index];
        printf ("  %s %s  issued %s  expires %s  by %s\n", egovctl_or_dash (document->type),
                egovctl_or_dash (document->number), egovctl_or_dash (document->issued),
                *document->expires ? document->expires : "never",
                egovctl_or_dash (document->issuer));
    }
    if (person->birth_certificate) {
        printf ("Birth certificate\n");
        s_print_certificate (person->birth_certificate);
    }
    if (person->n_children) {
        printf ("Children\n");
        for (size_t index = 0; index < person->n_children; index++)
            s_print_certificate (person->children [index]);
    }
}

int
egovctl_person (egovctl_t *self)
{
    Egov__Registries__PersonRequest request = EGOV__REGISTRIES__PERSON_REQUEST__INIT;
    request.iin = (char *) self->argument;
    int exit_code = EGOVCTL_OK;
    Egov__Registries__PersonResponse *response = (Egov__Registries__PersonResponse *)
        egovctl_call_typed (self, "gbdfl.person", &request.base,
                      &egov__registries__person_response__descriptor, &exit_code);
    if (!response)
        return exit_code;
    bool found = response->status == EGOV__REGISTRIES__PERSON_RESPONSE__STATUS__FOUND
              && response->person;
    exit_code = found ? EGOVCTL_OK : EGOVCTL_NEGATIVE;
    if (self->json) {
        json_t *document = egovctl_json_message (&response->base);
        json_object_set_new (document, "iin", egovctl_json_text (self->argument));
        exit_code = egovctl_json_print (document, exit_code);
    }
    else
    if (found)
        s_print_person (response->person);
    else
    if (response->status == EGOV__REGISTRIES__PERSON_RESPONSE__STATUS__NOT_FOUND)
        printf ("not found: no person with IIN %s\n", self->argument);
    else
        exit_code = egovctl_fail_code (self, "BAD_REPLY",
                                       "gbdfl.person answered without a status", EGOVCTL_ERROR);
    protobuf_c_message_free_unpacked (&response->base, NULL);
    return exit_code;
}

//  ---------------------------------------------------------------------
//  poa NUMBER --representative IIN [--on DATE]

static void
s_print_poa (const Egov__Registries__PowerOfAttorney *poa)
{
    printf ("principal       %s\n", egovctl_or_dash (poa->principal_iin));
    printf ("representative  %s\n", egovctl_or_dash (poa->representative_iin));
    printf ("notary          %s\n", egovctl_or_dash (poa->notary));
    printf ("issued          %s\n", egovctl_or_dash (poa->issued));
    printf ("valid until     %s\n", egovctl_or_dash (poa->valid_until));
    printf ("services        ");
    for (size_t index = 0; index < poa->n_services; index++)
        printf ("%s%s", index ? ", " : "", poa->services [index]);
    printf ("%s\n", poa->n_services ? "" : "all");
    if (poa->revoked)
        printf ("revoked         %s\n", egovctl_or_dash (poa->revoked_on));
}

int
egovctl_poa (egovctl_t *self)
{
    Egov__Registries__PoaRequest request = EGOV__REGISTRIES__POA_REQUEST__INIT;
    request.number = (char *) self->argument;
    request.representative_iin = (char *) self->representative;
    request.on_date = (char *) (self->on_date ? self->on_date : "");
    int exit_code = EGOVCTL_OK;
    Egov__Registries__PoaResponse *response = (Egov__Registries__PoaResponse *)
        egovctl_call_typed (self, "enis.poa", &request.base,
                      &egov__registries__poa_response__descriptor, &exit_code);
    if (!response)
        return exit_code;
    const ProtobufCEnumValue *status = protobuf_c_enum_descriptor_get_value (
        &egov__registries__poa_response__status__descriptor, response->status);
    if (!status || response->status == EGOV__REGISTRIES__POA_RESPONSE__STATUS__STATUS_UNSPECIFIED)
        exit_code = egovctl_fail_code (self, "BAD_REPLY", "enis.poa answered without a status",
                                       EGOVCTL_ERROR);
    else {
        exit_code = response->status == EGOV__REGISTRIES__POA_RESPONSE__STATUS__VALID
                  ? EGOVCTL_OK : EGOVCTL_NEGATIVE;
        if (self->json) {
            json_t *document = egovctl_json_message (&response->base);
            json_object_set_new (document, "number", egovctl_json_text (self->argument));
            exit_code = egovctl_json_print (document, exit_code);
        }
        else {
            printf ("POA %s: %s\n", self->argument, status->name);
            if (response->status == EGOV__REGISTRIES__POA_RESPONSE__STATUS__NOT_FOUND)
                printf ("no notarised power of attorney with this number\n");
            else
            if (response->status == EGOV__REGISTRIES__POA_RESPONSE__STATUS__NOT_THIS_REPRESENTATIVE)
                printf ("IIN %s is not the representative it names\n", self->representative);
            if (response->poa)
                s_print_poa (response->poa);
        }
    }
    protobuf_c_message_free_unpacked (&response->base, NULL);
    return exit_code;
}

//  ---------------------------------------------------------------------
//  call --service S [--text STRING | --file PATH] [--payload-type T] ...

//  True when the payload reads as text on a terminal: non-empty UTF-8
//  (no overlong forms, no surrogates) without control characters other
//  than tab, newline and carriage return.
static bool
s_printable (const uint8_t *bytes, size_t size)
{
    if (size == 0)
        return false;
    size_t index = 0;
    while (index < size) {
        uint8_t lead = bytes [index];
        if (lead < 0x80) {
            if ((lead < 0x20 && lead != '\t' && lead != '\n' && lead != '\r') || lead == 0x7f)
                return false;
            index++;
            continue;
        }
        size_t length;
        uint32_t code;
        if (lead >= 0xc2 && lead <= 0xdf) {
            length = 2;
            code = lead & 0x1f;
        }
        else
        if (lead >= 0xe0 && lead <= 0xef) {
            length = 3;
            code = lead & 0x0f;
        }
        else
        if (lead >= 0xf0 && lead <= 0xf4) {
            length = 4;
            code = lead & 0x07;
        }
        else
            return false;
        if (size - index < length)
            return false;
        for (size_t next = 1; next < length; next++) {
            uint8_t byte = bytes [index + next];
            if ((byte & 0xc0) != 0x80)
                return false;
            code = code << 6 | (byte & 0x3f);
        }
        if (code < 0xa0                             //  C1 controls
        ||  (length == 3 && code < 0x800)           //  overlong
        ||  (length == 4 && (code < 0x10000 || code > 0x10ffff))
        ||  (code >= 0xd800 && code <= 0xdfff))     //  surrogates
            return false;
        index += length;
    }
    return true;
}

//  Lower-case hex SHA-256 of the payload; caller frees.
static char *
s_payload_sha256 (const ProtobufCBinaryData *payload)
{
    uint8_t digest [SHA256_DIGEST_LENGTH];
    SHA256 (payload->data ? payload->data : (const uint8_t *) "", payload->len, digest);
    return egovctl_hex (digest, sizeof (digest));
}

//  Prints the reply envelope for people: a field a line, the payload as
//  text when it is printable, else its size and SHA-256.
static void
s_print_reply (const Egov__Envelope *reply)
{
    printf ("message       %s\n", egovctl_or_dash (reply->message_id));
    printf ("correlation   %s\n", egovctl_or_dash (reply->correlation_id));
    printf ("sender        %s\n", egovctl_or_dash (reply->sender_id));
    printf ("type          %s\n", egov_message_type_name (reply->message_type));
    printf ("payload_type  %s\n", egovctl_or_dash (reply->payload_type));
    if (s_printable (reply->payload.data, reply->payload.len)) {
        printf ("payload       ");
        fwrite (reply->payload.data, 1, reply->payload.len, stdout);
        printf ("\n");
    }
    else {
        char *digest = s_payload_sha256 (&reply->payload);
        printf ("payload       %zu bytes, sha256 %s\n", reply->payload.len, digest);
        free (digest);
    }
    if (reply->error) {
        printf ("error         %s: %s", reply->error->code, reply->error->message);
        if (reply->error->sub_error)
            printf (" (cause %s: %s)", reply->error->sub_error->code,
                    reply->error->sub_error->message);
        printf ("\n");
    }
}

//  The reply envelope as JSON: the proto fields, with the payload as text
//  when it is printable (left out otherwise), plus its size and SHA-256.
static json_t *
s_json_reply (const Egov__Envelope *reply)
{
    json_t *document = egovctl_json_message (&reply->base);
    if (s_printable (reply->payload.data, reply->payload.len))
        json_object_set_new (document, "payload",
                             json_stringn ((const char *) reply->payload.data, reply->payload.len));
    else
        json_object_del (document, "payload");
    char *digest = s_payload_sha256 (&reply->payload);
    json_object_set_new (document, "payload_size", json_integer ((json_int_t) reply->payload.len));
    json_object_set_new (document, "payload_sha256", json_string (digest));
    free (digest);
    return document;
}

int
egovctl_call (egovctl_t *self)
{
    Egov__Envelope *request = egov_envelope_new (self->service, EGOV__MESSAGE_TYPE__REQUEST);
    if (self->correlation)
        egov_string_set (&request->correlation_id, self->correlation);
    if (self->route)
        egov_string_set (&request->route_id, self->route);
    const char *payload_type = self->payload_type ? self->payload_type
                             : self->file ? "application/octet-stream" : "text/plain";
    egov_string_set (&request->payload_type, payload_type);
    if (!egovctl_payload_read (self, request)) {
        egov__envelope__free_unpacked (request, NULL);
        return EGOVCTL_LOCAL_ERROR;
    }
    egov_error_t error = { { 0 } };
    Egov__Envelope *reply = shep_client_call (self->client, request, self->timeout_ms, &error);
    egov__envelope__free_unpacked (request, NULL);
    if (!reply)
        return egovctl_fail (self, &error, EGOVCTL_ERROR);

    //  The provider's own error comes as the reply: print it whole, and
    //  report it on stderr like every other error
    int exit_code = reply->error ? EGOVCTL_ERROR : EGOVCTL_OK;
    if (self->json)
        exit_code = egovctl_json_print (s_json_reply (reply), exit_code);
    else
        s_print_reply (reply);
    if (reply->error) {
        egov_error_from_info (&error, reply->error);
        egovctl_error_print (&error);
    }
    egov__envelope__free_unpacked (reply, NULL);
    return exit_code;
}
