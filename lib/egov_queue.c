/*  egov_queue — an application for the kindergarten queue and the register's answer.  */
#include "egov_queue.h"
#include "egov_iin.h"

//  The value of a form field, or NULL.
static const char *
s_field (const Egov__Applications__Application *application, const char *key)
{
    for (size_t index = 0; index < application->n_form; index++)
        if (application->form [index]->key && streq (application->form [index]->key, key))
            return application->form [index]->value;
    return NULL;
}

//  True for a queue code of region: <KATO>-, then 1-32 of A-Z 0-9 -.
static bool
s_queue_code (const char *text, const char *region)
{
    size_t length = text ? strlen (text) : 0;
    return length >= 11 && length <= 42 && strncmp (text, region, 9) == 0 && text [9] == '-'
        && strspn (text + 10, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") == length - 10;
}

bool
egov_queue_applies (const egov_catalogue_entry_t *entry)
{
    return entry && streq (entry->code, EGOV_QUEUE_SERVICE);
}

Egov__Queue__EnqueueRequest *
egov_queue_request (const Egov__Applications__Application *application, const char *correlation_id,
                   const char *today, char *ground, size_t size)
{
    assert (application && correlation_id && today && ground);
    const char *child = s_field (application, "child_iin");
    if (!child || !*child) {
        snprintf (ground, size, "incomplete-form: the request names no child (child_iin)");
        return NULL;
    }
    const char *queue = s_field (application, "queue");
    if (!queue || !*queue)
        queue = s_field (application, "kindergarten");
    char district [16];
    if (!s_queue_code (queue, application->region)) {
        snprintf (district, sizeof (district), "%.9s-D01", application->region);
        queue = district;
    }
    const char *desired = s_field (application, "desired_date");
    Egov__Queue__EnqueueRequest *request = malloc (sizeof (*request));
    assert (request);
    egov__queue__enqueue_request__init (request);
    request->child_iin = strdup (child);
    request->queue = strdup (queue);
    request->desired_date = strdup (desired && *desired ? desired : today);
    request->application = strdup (correlation_id);
    assert (request->child_iin && request->queue && request->desired_date && request->application);
    return request;
}

bool
egov_queue_decide (const Egov__Queue__EnqueueResponse *answer, json_t *grounds)
{
    assert (answer && grounds);
    if (answer->status != EGOV__QUEUE__ENQUEUE_RESPONSE__STATUS__REFUSED && answer->entry)
        return true;
    //  The register's code as a ground code: CHILD_TOO_OLD -> child-too-old
    char code [48] = "queue-refusal";
    if (answer->refusal_code && *answer->refusal_code) {
        size_t length = 0;
        for (const char *letter = answer->refusal_code; *letter && length < sizeof (code) - 1; letter++)
            code [length++] = *letter == '_' ? '-' : (char) tolower ((unsigned char) *letter);
        code [length] = 0;
    }
    json_array_append_new (grounds, json_sprintf ("%s: %s", code,
        answer->refusal_reason && *answer->refusal_reason ? answer->refusal_reason
                                                         : "the queue register refused"));
    return false;
}

json_t *
egov_queue_entry_json (const Egov__Queue__Entry *entry)
{
    assert (entry);
    bool referred = entry->state == EGOV__QUEUE__ENTRY__STATE__REFERRED;
    json_t *json = json_pack ("{s:s, s:s, s:i, s:s, s:s, s:s, s:s, s:s}",
        "queue", entry->queue, "queue_name", entry->queue_name, "number", (json_int_t) entry->number,
        "state", referred ? "REFERRED" : "WAITING", "child_iin", entry->child_iin,
        "birth_date", entry->birth_date, "desired_date", entry->desired_date,
        "registered_at", entry->registered_at);
    assert (json);
    if (referred) {
        json_object_set_new (json, "referral", json_string (entry->referral));
        json_object_set_new (json, "referred_at", json_string (entry->referred_at));
    }
    else
        json_object_set_new (json, "position", json_integer (entry->position));
    return json;
}

char *
egov_queue_document (const char *document, const Egov__Queue__EnqueueResponse *answer,
                    const egov_catalogue_entry_t *entry)
{
    assert (document && answer && entry);
    json_t *parsed = json_loads (document, 0, NULL);
    assert (parsed);
    if (answer->entry) {
        json_object_set_new (parsed, "queue", egov_queue_entry_json (answer->entry));
        if (answer->entry->state == EGOV__QUEUE__ENTRY__STATE__REFERRED)
            for (size_t index = 0; index < entry->result_count; index++)
                if (streq (entry->results [index].code, "referral")) {
                    json_object_set_new (parsed, "kind", json_string ("referral"));
                    if (entry->results [index].en)
                        json_object_set_new (parsed, "result", json_string (entry->results [index].en));
                }
    }
    char *text = json_dumps (parsed, JSON_COMPACT | JSON_SORT_KEYS);
    assert (text);
    json_decref (parsed);
    return text;
}

void
egov_queue_test (bool verbose)
{
    if (verbose)
        printf (" * egov_queue: ");
    Egov__Applications__Application application = EGOV__APPLICATIONS__APPLICATION__INIT;
    application.region = (char *) "430000000";
    Egov__Applications__Field fields [3] = {
        EGOV__APPLICATIONS__FIELD__INIT, EGOV__APPLICATIONS__FIELD__INIT, EGOV__APPLICATIONS__FIELD__INIT
    };
    Egov__Applications__Field *form [3] = { &fields [0], &fields [1], &fields [2] };
    application.form = form;
    char ground [200];
    //  No child: a refusal ground, no request
    assert (egov_queue_request (&application, "c-1", "2026-11-28", ground, sizeof (ground)) == NULL);
    assert (strstr (ground, "incomplete-form"));
    fields [0].key = (char *) "child_iin";
    fields [0].value = (char *) "230201503215";
    fields [1].key = (char *) "kindergarten";
    fields [1].value = (char *) "«Құлыншақ»";
    application.n_form = 2;
    //  No queue code: the region's district queue; no date: today
    Egov__Queue__EnqueueRequest *request =
        egov_queue_request (&application, "c-1", "2026-11-28", ground, sizeof (ground));
    assert (request && streq (request->queue, "430000000-D01"));
    assert (streq (request->desired_date, "2026-11-28") && streq (request->application, "c-1"));
    egov__queue__enqueue_request__free_unpacked (request, NULL);
    fields [1].value = (char *) "430000000-K002";
    fields [2].key = (char *) "desired_date";
    fields [2].value = (char *) "2027-09-01";
    application.n_form = 3;
    request = egov_queue_request (&application, "c-1", "2026-11-28", ground, sizeof (ground));
    assert (request && streq (request->queue, "430000000-K002"));
    assert (streq (request->desired_date, "2027-09-01"));
    egov__queue__enqueue_request__free_unpacked (request, NULL);
    //  Another region's queue code is not taken
    fields [1].value = (char *) "230000000-K002";
    request = egov_queue_request (&application, "c-1", "2026-11-28", ground, sizeof (ground));
    assert (request && streq (request->queue, "430000000-D01"));
    egov__queue__enqueue_request__free_unpacked (request, NULL);

    //  Refusals become grounds with the register's reasoning
    json_t *grounds = json_array ();
    Egov__Queue__EnqueueResponse answer = EGOV__QUEUE__ENQUEUE_RESPONSE__INIT;
    answer.status = EGOV__QUEUE__ENQUEUE_RESPONSE__STATUS__REFUSED;
    answer.refusal_code = (char *) "CHILD_TOO_OLD";
    answer.refusal_reason = (char *) "the child is 8";
    assert (!egov_queue_decide (&answer, grounds));
    assert (streq (json_string_value (json_array_get (grounds, 0)), "child-too-old: the child is 8"));
    //  An entry approves, and goes into the document
    Egov__Queue__Entry entry = EGOV__QUEUE__ENTRY__INIT;
    entry.queue = (char *) "430000000-K002";
    entry.number = 12;
    entry.position = 3;
    entry.state = EGOV__QUEUE__ENTRY__STATE__WAITING;
    answer.status = EGOV__QUEUE__ENQUEUE_RESPONSE__STATUS__QUEUED;
    answer.entry = &entry;
    assert (egov_queue_decide (&answer, grounds) && json_array_size (grounds) == 1);
    json_decref (grounds);
    egov_catalogue_item_t results [] = { { .code = "queue-notice", .en = "notice" },
                                         { .code = "referral", .en = "a referral" } };
    egov_catalogue_entry_t service = { .code = EGOV_QUEUE_SERVICE, .results = results, .result_count = 2 };
    char *document = egov_queue_document ("{\"kind\":\"queue-notice\"}", &answer, &service);
    assert (strstr (document, "\"number\":12") && strstr (document, "\"position\":3"));
    assert (strstr (document, "\"kind\":\"queue-notice\"") && !strstr (document, "referral"));
    free (document);
    entry.state = EGOV__QUEUE__ENTRY__STATE__REFERRED;
    entry.referral = (char *) "430000000-K002-R000004";
    document = egov_queue_document ("{\"kind\":\"queue-notice\"}", &answer, &service);
    assert (strstr (document, "\"kind\":\"referral\"") && strstr (document, "\"referral\":\"430000000-K002-R000004\""));
    assert (strstr (document, "\"result\":\"a referral\"") && !strstr (document, "position"));
    free (document);
    assert (egov_queue_applies (&service));
    if (verbose)
        printf ("OK\n");
}
