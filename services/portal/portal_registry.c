/*  portal_registry — what the portal asks the registry of individuals
    (ЖТ ММБ / ГБД ФЛ, gbdfl.person) through the gateway (ЭҮШ): whether a
    person is known, the citizen's identity data and children for the
    cabinet (GET /api/v1/me), and the extracts a submission attaches.
    Every question goes out through the runtime without waiting and its
    answer comes back to a callback on the loop; the request that asked
    waits, suspended, while the others are served. A registry that does
    not answer within the registry timeout costs that one request a 503
    REGISTRY_UNAVAILABLE (cause TIMEOUT).                                */
#include "portal_server_private.h"

bool
portal_server__ask_person (portal_server_t *self, const char *iin, const char *correlation_id,
                           shep_participant_reply_fn *callback, void *argument, egov_error_t *error)
{
    Egov__Registries__PersonRequest request = EGOV__REGISTRIES__PERSON_REQUEST__INIT;
    request.iin = (char *) iin;
    Egov__Envelope *envelope = egov_envelope_new ("gbdfl.person", EGOV__MESSAGE_TYPE__REQUEST);
    egov_envelope_set_payload (envelope, &request.base);
    if (correlation_id)
        egov_string_set (&envelope->correlation_id, correlation_id);
    uint64_t tag = shep_participant_call (self->engine, envelope, self->config.registry_timeout_ms,
                                          callback, argument, error);
    egov__envelope__free_unpacked (envelope, NULL);
    return tag != 0;
}

int
portal_server__person_answer (const char *iin, const Egov__Envelope *reply,
                              const egov_error_t *failure,
                              Egov__Registries__PersonResponse **response, egov_error_t *error)
{
    *response = NULL;
    if (!reply) {
        *error = *failure;
        return -1;
    }
    if (reply->error) {
        egov_error_from_info (error, reply->error);
        return streq (error->code, "INVALID_IIN") ? 0 : -1;
    }
    if (!(*response = (Egov__Registries__PersonResponse *)
            egov_envelope_payload (reply, &egov__registries__person_response__descriptor))) {
        egov_error_set (error, "BAD_REPLY", "gbdfl.person answered '%s'", reply->payload_type);
        return -1;
    }
    if ((*response)->status == EGOV__REGISTRIES__PERSON_RESPONSE__STATUS__FOUND && (*response)->person)
        return 1;
    bool not_found = (*response)->status == EGOV__REGISTRIES__PERSON_RESPONSE__STATUS__NOT_FOUND;
    egov__registries__person_response__free_unpacked (*response, NULL);
    *response = NULL;
    if (not_found) {
        egov_error_set (error, "NOT_FOUND", "no person with IIN %s in the registry", iin);
        return 0;
    }
    egov_error_set (error, "BAD_REPLY", "gbdfl.person answered without a status");
    return -1;
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

//  ---------------------------------------------------------------------
//  GET /api/v1/me: the citizen, then each child at once

typedef struct _s_me_t s_me_t;

//  One child of the citizen, asked of the registry on its own.
typedef struct {
    s_me_t *me;                                 //  whose child
    Egov__Registries__PersonResponse *found;    //  the answer when found, owned
} s_child_t;

//  The identity data being asked of the registry.
struct _s_me_t {
    portal_wait_t base;                         //  the server's list (first)
    char iin [13];                              //  the citizen
    Egov__Registries__PersonResponse *citizen;  //  found, owned
    s_child_t *children;                        //  one per birth certificate
    size_t child_count;                         //  how many
    size_t asked;                               //  children still to answer
};

//  Frees the look-up; answers still to come are forgotten.
static void
s_me_destroy (portal_wait_t **wait_p)
{
    s_me_t *self = (s_me_t *) *wait_p;
    if (self) {
        shep_participant_t *engine = self->base.server->engine;
        shep_participant_forget (engine, self);
        for (size_t index = 0; index < self->child_count; index++) {
            shep_participant_forget (engine, self->children + index);
            if (self->children [index].found)
                egov__registries__person_response__free_unpacked (self->children [index].found, NULL);
        }
        free (self->children);
        if (self->citizen)
            egov__registries__person_response__free_unpacked (self->citizen, NULL);
        free (self);
        *wait_p = NULL;
    }
}

//  Every answer is in: the identity data, each child named when the
//  registry found them.
static void
s_me_answer (s_me_t *self)
{
    const Egov__Registries__Person *person = self->citizen->person;
    char name [512];
    portal_server__name (person, name, sizeof (name));
    json_t *children = json_array ();
    for (size_t index = 0; index < person->n_children; index++) {
        const Egov__Registries__BirthCertificate *certificate = person->children [index];
        const Egov__Registries__PersonResponse *child = self->children [index].found;
        json_t *item = json_pack ("{s:s, s:o}", "iin", certificate->child_iin,
                                  "birth_certificate", portal_server__certificate_json (certificate));
        if (child) {
            char child_name [512];
            portal_server__name (child->person, child_name, sizeof (child_name));
            json_object_set_new (item, "name", json_string (child_name));
            json_object_set_new (item, "birth_date", json_string (child->person->birth_date));
        }
        json_array_append_new (children, item);
    }
    json_t *address = person->address
        ? json_pack ("{s:s, s:s, s:s}", "region_kato", person->address->region_kato,
                     "region_name", person->address->region_name, "locality", person->address->locality)
        : json_null ();
    egov_http_reply_t reply = { 0, NULL, NULL };
    egov_http_reply_set (&reply, 200, json_pack ("{s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:s}",
        "iin", person->iin, "name", name, "birth_date", person->birth_date, "gender", person->gender,
        "address", address, "documents", portal_server__documents_json (person), "children", children,
        "source", "gbdfl.person through the gateway"));
    portal_server__answer (&self->base, &reply);
    egov_http_reply_reset (&reply);
}

//  A child's answer: found, or left unnamed whatever went wrong.
static void
s_me_on_child (void *argument, const Egov__Envelope *reply, const egov_error_t *failure)
{
    s_child_t *child = (s_child_t *) argument;
    s_me_t *self = child->me;
    egov_error_t ignored = { { 0 } };
    const char *iin = self->citizen->person->children [child - self->children]->child_iin;
    if (portal_server__person_answer (iin, reply, failure, &child->found, &ignored) != 1)
        child->found = NULL;
    if (--self->asked == 0)
        s_me_answer (self);
}

//  The citizen's answer: refused, or each child asked.
static void
s_me_on_citizen (void *argument, const Egov__Envelope *reply, const egov_error_t *failure)
{
    s_me_t *self = (s_me_t *) argument;
    egov_error_t error = { { 0 } };
    egov_http_reply_t refusal = { 0, NULL, NULL };
    int found = portal_server__person_answer (self->iin, reply, failure, &self->citizen, &error);
    if (found <= 0) {
        if (found == 0)
            egov_http_reply_error (&refusal, 404, "PERSON_NOT_FOUND",
                                   "the registry of individuals no longer has IIN %s", self->iin);
        else
            portal_server__registry_down (&refusal, &error);
        portal_server__answer (&self->base, &refusal);
        egov_http_reply_reset (&refusal);
        return;
    }
    const Egov__Registries__Person *person = self->citizen->person;
    self->child_count = person->n_children;
    self->children = (s_child_t *) calloc (self->child_count + 1, sizeof (s_child_t));
    assert (self->children);
    //  A child that cannot be asked stays unnamed, as one the registry lost
    for (size_t index = 0; index < self->child_count; index++) {
        self->children [index].me = self;
        if (portal_server__ask_person (self->base.server, person->children [index]->child_iin, NULL,
                                       s_me_on_child, self->children + index, &error))
            self->asked++;
    }
    if (self->asked == 0)
        s_me_answer (self);
}

void
portal_server_me (portal_server_t *self, const char *iin, portal_answer_fn *answer, void *argument)
{
    s_me_t *me = (s_me_t *) zmalloc (sizeof (s_me_t));
    assert (me);
    snprintf (me->iin, sizeof (me->iin), "%s", iin);
    portal_server__wait (self, &me->base, s_me_destroy, answer, argument);
    egov_error_t error = { { 0 } };
    if (!portal_server__ask_person (self, iin, NULL, s_me_on_citizen, me, &error)) {
        egov_http_reply_t reply = { 0, NULL, NULL };
        portal_server__registry_down (&reply, &error);
        portal_server__answer (&me->base, &reply);
        egov_http_reply_reset (&reply);
    }
}
