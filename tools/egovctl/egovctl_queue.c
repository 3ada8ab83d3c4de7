/*  egovctl_queue — `queue list|show|enqueue|entry|release`: the electronic
    register of the kindergarten waiting queue (балаларды кезекке қою
    бойынша электрондық Тізілім) through its sync services queue.list,
    queue.enqueue, queue.entry and queue.release. Releasing places is the
    administrator's: each freed place is one referral (жолдама) to the
    first child waiting, or stays free for the next child.               */
#include "egovctl.h"
#include "egovctl_json.h"
#include "egov_clock.h"
#include "queue.pb-c.h"

//  One entry on a line, the way people read a queue.
static void
s_print_entry (const Egov__Queue__Entry *entry)
{
    if (entry->state == EGOV__QUEUE__ENTRY__STATE__REFERRED)
        printf ("%s number %u: REFERRED, referral %s at %s\n", entry->queue, entry->number,
                entry->referral, entry->referred_at);
    else
        printf ("%s number %u: WAITING, position %u\n", entry->queue, entry->number, entry->position);
    printf ("  child %s born %s, desired from %s, registered %s%s%s\n", entry->child_iin,
            entry->birth_date, entry->desired_date, entry->registered_at,
            *entry->application ? ", application " : "", entry->application);
}

//  One queue's counters on a line.
static void
s_print_queue_row (const Egov__Queue__Queue *queue)
{
    printf ("%-15s %-13s %7u %5u %6u %9u  %s\n", queue->code, queue->kind, queue->waiting,
            queue->free_places, queue->last_number, queue->referrals, queue->name);
}

//  The queues' header line.
static void
s_print_queue_header (void)
{
    printf ("%-15s %-13s %7s %5s %6s %9s  %s\n", "QUEUE", "KIND", "WAITING", "FREE", "LAST",
            "REFERRALS", "NAME");
}

//  Prints a reply as one JSON document; the exit code to return.
static int
s_json (const ProtobufCMessage *message, int exit_code)
{
    return egovctl_json_print (egovctl_json_message (message), exit_code);
}

//  queue list [KATO] / queue show CODE
static int
s_list (egovctl_t *self, const char *code)
{
    Egov__Queue__ListRequest request = EGOV__QUEUE__LIST_REQUEST__INIT;
    const char *region = code ? NULL : self->more_count ? self->more [0] : "";
    char code_region [10] = "";
    if (code) {
        snprintf (code_region, sizeof (code_region), "%.9s", code);
        region = code_region;
    }
    request.region = (char *) region;
    int exit_code = EGOVCTL_OK;
    Egov__Queue__ListResponse *response = (Egov__Queue__ListResponse *)
        egovctl_call_typed (self, "queue.list", &request.base, &egov__queue__list_response__descriptor,
                            &exit_code);
    if (!response)
        return exit_code;
    const Egov__Queue__Queue *found = NULL;
    for (size_t index = 0; code && index < response->n_queues; index++)
        if (streq (response->queues [index]->code, code))
            found = response->queues [index];
    if (code && !found) {
        exit_code = EGOVCTL_NEGATIVE;
        if (self->json)
            exit_code = egovctl_fail_code (self, "UNKNOWN_QUEUE", "no such queue", exit_code);
        else
            printf ("not found: there is no queue %s\n", code);
    }
    else
    if (self->json)
        exit_code = s_json (found ? &found->base : &response->base, exit_code);
    else
    if (found) {
        printf ("queue        %s\n", found->code);
        printf ("name         %s\n", found->name);
        printf ("region       %s\n", found->region);
        printf ("kind         %s\n", found->kind);
        printf ("waiting      %u\n", found->waiting);
        printf ("free places  %u\n", found->free_places);
        printf ("last number  %u\n", found->last_number);
        printf ("referrals    %u\n", found->referrals);
    }
    else {
        s_print_queue_header ();
        for (size_t index = 0; index < response->n_queues; index++)
            s_print_queue_row (response->queues [index]);
    }
    protobuf_c_message_free_unpacked (&response->base, NULL);
    return exit_code;
}

//  queue enqueue CODE IIN [--on DATE]: the desired date is today unless given.
static int
s_enqueue (egovctl_t *self)
{
    Egov__Queue__EnqueueRequest request = EGOV__QUEUE__ENQUEUE_REQUEST__INIT;
    request.queue = (char *) self->more [0];
    request.child_iin = (char *) self->more [1];
    char today [40];
    if (self->on_date)
        request.desired_date = (char *) self->on_date;
    else {
        int64_t now = 0;
        int exit_code = egovctl_simulated_now (self, &now);
        if (exit_code != EGOVCTL_OK)
            return exit_code;
        egov_clock_format (now, today, sizeof (today));
        today [10] = 0;
        request.desired_date = today;
    }
    int exit_code = EGOVCTL_OK;
    Egov__Queue__EnqueueResponse *response = (Egov__Queue__EnqueueResponse *)
        egovctl_call_typed (self, "queue.enqueue", &request.base,
                            &egov__queue__enqueue_response__descriptor, &exit_code);
    if (!response)
        return exit_code;
    bool refused = response->status == EGOV__QUEUE__ENQUEUE_RESPONSE__STATUS__REFUSED;
    if (!refused && !response->entry)
        exit_code = egovctl_fail_code (self, "BAD_REPLY", "queue.enqueue answered without an entry",
                                       EGOVCTL_ERROR);
    else {
        exit_code = refused ? EGOVCTL_NEGATIVE : EGOVCTL_OK;
        if (self->json)
            exit_code = s_json (&response->base, exit_code);
        else
        if (refused)
            printf ("REFUSED %s: %s\n", response->refusal_code, response->refusal_reason);
        else
            s_print_entry (response->entry);
    }
    protobuf_c_message_free_unpacked (&response->base, NULL);
    return exit_code;
}

//  queue entry IIN [CODE]
static int
s_entry (egovctl_t *self)
{
    Egov__Queue__EntryRequest request = EGOV__QUEUE__ENTRY_REQUEST__INIT;
    request.child_iin = (char *) self->more [0];
    request.queue = (char *) (self->more_count > 1 ? self->more [1] : "");
    int exit_code = EGOVCTL_OK;
    Egov__Queue__EntryResponse *response = (Egov__Queue__EntryResponse *)
        egovctl_call_typed (self, "queue.entry", &request.base,
                            &egov__queue__entry_response__descriptor, &exit_code);
    if (!response)
        return exit_code;
    exit_code = response->n_entries ? EGOVCTL_OK : EGOVCTL_NEGATIVE;
    if (self->json)
        exit_code = s_json (&response->base, exit_code);
    else
    if (!response->n_entries)
        printf ("not found: child %s is in no queue%s%s\n", request.child_iin,
                *request.queue ? " named " : "", request.queue);
    for (size_t index = 0; !self->json && index < response->n_entries; index++)
        s_print_entry (response->entries [index]);
    protobuf_c_message_free_unpacked (&response->base, NULL);
    return exit_code;
}

//  queue release CODE [--count N]
static int
s_release (egovctl_t *self)
{
    Egov__Queue__ReleaseRequest request = EGOV__QUEUE__RELEASE_REQUEST__INIT;
    request.queue = (char *) self->more [0];
    request.places = (uint32_t) self->count;
    int exit_code = EGOVCTL_OK;
    Egov__Queue__ReleaseResponse *response = (Egov__Queue__ReleaseResponse *)
        egovctl_call_typed (self, "queue.release", &request.base,
                            &egov__queue__release_response__descriptor, &exit_code);
    if (!response)
        return exit_code;
    if (!response->queue)
        exit_code = egovctl_fail_code (self, "BAD_REPLY", "queue.release answered without the queue",
                                       EGOVCTL_ERROR);
    else
    if (self->json)
        exit_code = s_json (&response->base, exit_code);
    else {
        printf ("%s: %u place%s released, %zu referral%s\n", request.queue, request.places,
                request.places == 1 ? "" : "s", response->n_referred,
                response->n_referred == 1 ? "" : "s");
        for (size_t index = 0; index < response->n_referred; index++) {
            const Egov__Queue__Entry *entry = response->referred [index];
            printf ("  referral %s to child %s (number %u)\n", entry->referral, entry->child_iin,
                    entry->number);
        }
        printf ("waiting %u, free places %u\n", response->queue->waiting,
                response->queue->free_places);
    }
    protobuf_c_message_free_unpacked (&response->base, NULL);
    return exit_code;
}

int
egovctl_queue (egovctl_t *self)
{
    const char *verb = self->argument;
    //  Each verb's positional arguments: at least, at most
    static const struct {
        const char *verb;
        int least, most;
        const char *usage;
    } s_verbs [] = {
        { "list", 0, 1, "queue list [KATO]" },
        { "show", 1, 1, "queue show CODE" },
        { "enqueue", 2, 2, "queue enqueue CODE IIN [--on YYYY-MM-DD]" },
        { "entry", 1, 2, "queue entry IIN [CODE]" },
        { "release", 1, 1, "queue release CODE [--count N]" },
    };
    for (size_t index = 0; index < sizeof (s_verbs) / sizeof (s_verbs [0]); index++) {
        if (!streq (verb, s_verbs [index].verb))
            continue;
        char usage [160];
        snprintf (usage, sizeof (usage), "usage: egovctl %s", s_verbs [index].usage);
        if (self->more_count < s_verbs [index].least || self->more_count > s_verbs [index].most)
            return egovctl_fail_code (self, "USAGE", usage, EGOVCTL_USAGE);
        if (self->on_date && !streq (verb, "enqueue"))
            return egovctl_fail_code (self, "USAGE", "only queue enqueue takes --on", EGOVCTL_USAGE);
        if (self->count != 1 && !streq (verb, "release"))
            return egovctl_fail_code (self, "USAGE", "only queue release takes --count", EGOVCTL_USAGE);
        if (streq (verb, "list"))
            return s_list (self, NULL);
        if (streq (verb, "show"))
            return s_list (self, self->more [0]);
        if (streq (verb, "enqueue"))
            return s_enqueue (self);
        if (streq (verb, "entry"))
            return s_entry (self);
        return s_release (self);
    }
    return egovctl_fail_code (self, "USAGE", "queue takes list, show, enqueue, entry or release",
                              EGOVCTL_USAGE);
}
