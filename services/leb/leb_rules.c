/*  leb_rules — the provider's decision rule, step deadlines and result
    document, without storage.  */
#include "leb_rules.h"
#include "egov_clock.h"
#include "egov_application.h"
#include <openssl/evp.h>

#define s_SHA256_SIZE 32

size_t
leb_rules_decision_step (const egov_catalogue_entry_t *entry)
{
    assert (entry && entry->step_count > 0);
    for (size_t index = 0; index < entry->step_count; index++)
        if (streq (entry->steps [index].role, "executor"))
            return index;
    for (size_t index = entry->step_count; index > 0; index--)
        if (streq (entry->steps [index - 1].role, "head"))
            return index - 1;
    return entry->step_count - 1;
}

bool
leb_rules_role_valid (const char *role)
{
    return role && (streq (role, "clerk") || streq (role, "head") || streq (role, "executor"));
}

//  Due moment of a duration counted on the provider's office schedule.
static bool
s_due (egov_calendar_t *calendar, egov_duration_t duration, int64_t start_ms,
       int64_t *due_ms, egov_error_t *error)
{
    egov_due_t due = { 0 };
    bool ok = egov_calendar_due (calendar, EGOV_CHANNEL_OFFICE, start_ms, duration, &due, error);
    if (ok)
        *due_ms = due.due_ms;
    egov_due_reset (&due);
    return ok;
}

bool
leb_rules_step_due (egov_calendar_t *calendar, const egov_catalogue_step_t *step,
                    int64_t start_ms, int64_t *due_ms, egov_error_t *error)
{
    assert (calendar && step && due_ms);
    if (step->term.set)
        return s_due (calendar, step->term.max, start_ms, due_ms, error);
    return leb_rules_term_due (calendar, LEB_DEFAULT_STEP, start_ms, due_ms, error);
}

int64_t
leb_rules_step_planned (const egov_catalogue_entry_t *entry, size_t index, int64_t start_ms,
                        int64_t due_ms, int64_t result_due_ms)
{
    assert (entry && index < entry->step_count);
    if (result_due_ms <= 0)
        return due_ms;
    int64_t after = (int64_t) (entry->step_count - 1 - index);
    int64_t latest = result_due_ms - after * 60000;
    int64_t planned = due_ms < latest ? due_ms : latest;
    return planned > start_ms ? planned : start_ms;
}

bool
leb_rules_term_due (egov_calendar_t *calendar, const char *term, int64_t start_ms,
                    int64_t *due_ms, egov_error_t *error)
{
    egov_duration_t duration;
    bool parsed = egov_duration_parse (term, &duration);
    assert (parsed);                //  terms are constants of this file's header
    return s_due (calendar, duration, start_ms, due_ms, error);
}

//  True when the document applies to this application: always, or, for
//  one with a condition, when it is about a representative and one acts.
static bool
s_required (const egov_catalogue_item_t *document,
            const Egov__Applications__Application *application)
{
    if (!document->when)
        return true;
    bool about_representative = strstr (document->when, "representative")
                             || streq (document->code, "power-of-attorney");
    return about_representative && application->representative
        && application->representative->iin && *application->representative->iin;
}

//  True when some attachment of the application has this type.
static bool
s_attached (const Egov__Applications__Application *application, const char *type)
{
    for (size_t index = 0; index < application->n_attachments; index++) {
        const char *attached = application->attachments [index]->type;
        if (attached && streq (attached, type))
            return true;
    }
    return false;
}

//  True when digest is the SHA-256 of content.
static bool
s_digest_matches (ProtobufCBinaryData content, ProtobufCBinaryData digest)
{
    if (digest.len != s_SHA256_SIZE)
        return false;
    unsigned char actual [EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    if (!EVP_Digest (content.data, content.len, actual, &size, EVP_sha256 (), NULL))
        return false;
    return size == s_SHA256_SIZE && memcmp (actual, digest.data, s_SHA256_SIZE) == 0;
}

//  Appends "code: text" to grounds.
static void
s_ground (json_t *grounds, const char *code, const char *text)
{
    json_array_append_new (grounds, json_sprintf ("%s: %s", code, text));
}

bool
leb_rules_decide (const egov_catalogue_entry_t *entry,
                  const Egov__Applications__Application *application, json_t *grounds)
{
    assert (entry && application && json_is_array (grounds));
    size_t before = json_array_size (grounds);
    //  (a) every required document type is there
    char missing [1024] = "";
    for (size_t index = 0; index < entry->document_count; index++) {
        const egov_catalogue_item_t *document = entry->documents + index;
        if (s_required (document, application) && !s_attached (application, document->code)) {
            size_t used = strlen (missing);
            snprintf (missing + used, sizeof (missing) - used, "%s%s",
                      used ? ", " : "", document->code);
        }
    }
    if (*missing) {
        char text [1100];
        snprintf (text, sizeof (text), "missing %s (Standard item 9)", missing);
        s_ground (grounds, LEB_GROUND_INCOMPLETE, text);
    }
    //  (b) every attachment has content and the digest it claims
    for (size_t index = 0; index < application->n_attachments; index++) {
        const Egov__Applications__Attachment *attachment = application->attachments [index];
        char text [600];
        const char *name = attachment->name && *attachment->name ? attachment->name : "(unnamed)";
        const char *type = attachment->type && *attachment->type ? attachment->type : "(no type)";
        if (attachment->content.len == 0) {
            snprintf (text, sizeof (text), "%.200s (%.200s) is empty", name, type);
            s_ground (grounds, LEB_GROUND_UNRELIABLE, text);
        }
        else
        if (!s_digest_matches (attachment->content, attachment->sha256)) {
            snprintf (text, sizeof (text), "%.200s (%.200s): its sha256 does not match its content",
                      name, type);
            s_ground (grounds, LEB_GROUND_UNRELIABLE, text);
        }
    }
    return json_array_size (grounds) == before;
}

//  ---------------------------------------------------------------------
//  Selftest

//  Adds an attachment; digest_ok false gives it a wrong sha256.
static void
s_attach (Egov__Applications__Application *application, const char *type, const char *content,
          bool digest_ok)
{
    Egov__Applications__Attachment *attachment = malloc (sizeof (*attachment));
    assert (attachment);
    egov__applications__attachment__init (attachment);
    attachment->type = strdup (type);
    attachment->name = strdup (type);
    attachment->content.len = strlen (content);
    attachment->content.data = (uint8_t *) strdup (content);
    attachment->sha256.len = s_SHA256_SIZE;
    attachment->sha256.data = malloc (s_SHA256_SIZE);
    assert (attachment->type && attachment->name && attachment->content.data
            && attachment->sha256.data);
    unsigned int size;
    EVP_Digest (content, strlen (content), attachment->sha256.data, &size, EVP_sha256 (), NULL);
    if (!digest_ok)
        attachment->sha256.data [0] ^= 0xff;
    application->attachments = realloc (application->attachments,
        (application->n_attachments + 1) * sizeof (attachment));
    assert (application->attachments);
    application->attachments [application->n_attachments++] = attachment;
}

//  The grounds of a decision joined by " | ", into buffer; returns approved.
static bool
s_judge (const egov_catalogue_entry_t *entry, const Egov__Applications__Application *application,
         char *buffer, size_t size)
{
    json_t *grounds = json_array ();
    bool approved = leb_rules_decide (entry, application, grounds);
    *buffer = 0;
    size_t index;
    json_t *ground;
    json_array_foreach (grounds, index, ground) {
        size_t used = strlen (buffer);
        snprintf (buffer + used, size - used, "%s%s", index ? " | " : "", json_string_value (ground));
    }
    json_decref (grounds);
    return approved;
}

void
leb_rules_test (bool verbose)
{
    if (verbose)
        printf (" * leb_rules: ");
    char directory [PATH_MAX], calendar_path [PATH_MAX];
    const char *regulations = egov_env ("EGOV_REGULATIONS", "regulations");
    snprintf (directory, sizeof (directory), "%s/catalogue", regulations);
    snprintf (calendar_path, sizeof (calendar_path), "%s/calendar/kz.json", regulations);
    egov_error_t error;
    egov_catalogue_t *catalogue = egov_catalogue_new (directory, &error);
    assert (catalogue);
    egov_calendar_t *calendar = egov_calendar_new (calendar_path, &error);
    assert (calendar);

    //  Which step decides: the executor's; without one, the last head's
    const egov_catalogue_entry_t *externat = egov_catalogue_find (catalogue, "externat-permit",
                                                                  "750000000");
    assert (externat && externat->step_count == 4);
    assert (leb_rules_decision_step (externat) == 2);
    const egov_catalogue_entry_t *school = egov_catalogue_find (catalogue, "school-admission",
                                                                "750000000");
    assert (school && school->step_count == 2 && !school->steps [1].term.set);
    assert (leb_rules_decision_step (school) == 1);
    const egov_catalogue_entry_t *queue = egov_catalogue_find (catalogue, "kindergarten-queue",
                                                               "430000000");
    assert (queue && leb_rules_decision_step (queue) == 0);
    assert (leb_rules_role_valid ("clerk") && leb_rules_role_valid ("head")
            && leb_rules_role_valid ("executor"));
    assert (!leb_rules_role_valid ("Clerk") && !leb_rules_role_valid ("") && !leb_rules_role_valid (NULL));

    //  Step deadlines on the provider's calendar: Monday 2 March 2026 10:00 Almaty
    int64_t monday = 0, due = 0, expected = 0;
    assert (egov_clock_parse ("2026-03-02T10:00", &monday));
    assert (leb_rules_step_due (calendar, externat->steps + 0, monday, &due, &error));
    assert (egov_clock_parse ("2026-03-02T10:15", &expected) && due == expected);
    //  1wd from Friday 6 March: Monday 9 March is a holiday (8 March moved), so Tuesday closes it
    int64_t friday = 0;
    assert (egov_clock_parse ("2026-03-06T17:00", &friday));
    assert (leb_rules_step_due (calendar, externat->steps + 3, friday, &due, &error));
    assert (egov_clock_parse ("2026-03-10T18:00", &expected));
    assert (due == expected);
    //  A step without a maximum gets LEB_DEFAULT_STEP, the recall term is the same day count
    int64_t recall_due = 0;
    assert (leb_rules_step_due (calendar, school->steps + 1, friday, &due, &error));
    assert (leb_rules_term_due (calendar, LEB_RECALL_TERM, friday, &recall_due, &error));
    assert (due == expected && recall_due == expected);
    //  Outside the calendar's years the count fails with a stable code
    int64_t far = 0;
    assert (egov_clock_parse ("2200-01-05T10:00", &far));
    assert (!leb_rules_step_due (calendar, externat->steps + 2, far, &due, &error));
    assert (streq (error.code, "CALENDAR_RANGE"));

    //  Auto mode keeps the deadline on the receipt: every variant of every service, on
    //  every channel it offers, handed in at 61 moments across four weeks with holidays
    //  (from 14 December 2026, Independence Day and the New Year among them): the chain
    //  of steps, each at its planned moment, ends by the result_due the channel computed
    //  (received on the channel's schedule, the term counted on the provider's). Taking
    //  every step's maximum instead overruns some, as the audit found.
    int64_t first_moment = 0;
    assert (egov_clock_parse ("2026-12-14T00:00", &first_moment));
    size_t chains = 0, overrun_at_maximum = 0;
    for (size_t index = 0; index < egov_catalogue_size (catalogue); index++) {
        const egov_catalogue_entry_t *entry = egov_catalogue_entry (catalogue, index);
        if (!entry->deadline.set || entry->step_count == 0)
            continue;
        for (int channel = 0; channel < EGOV_CHANNEL_COUNT; channel++) {
            if (!entry->channels [channel])
                continue;
            for (int moment = 0; moment < 61; moment++) {
                int64_t submitted = first_moment + (int64_t) moment * 11 * 3600 * 1000;
                egov_receipt_t receipt;
                assert (egov_calendar_receipt (calendar, (egov_channel_t) channel, submitted, &receipt, &error));
                egov_due_t term;
                assert (egov_calendar_due (calendar, EGOV_CHANNEL_OFFICE, receipt.received_ms,
                                           entry->deadline.max, &term, &error));
                int64_t result_due = term.due_ms;
                egov_receipt_reset (&receipt);
                egov_due_reset (&term);
                int64_t planned_end = submitted, maximum_end = submitted;
                for (size_t step = 0; step < entry->step_count; step++) {
                    int64_t step_due = 0;
                    assert (leb_rules_step_due (calendar, entry->steps + step, planned_end, &step_due, &error));
                    planned_end = leb_rules_step_planned (entry, step, planned_end, step_due, result_due);
                    assert (planned_end <= step_due);
                    assert (leb_rules_step_due (calendar, entry->steps + step, maximum_end, &step_due, &error));
                    maximum_end = step_due;
                }
                if (planned_end > result_due && verbose)
                    printf ("\n%s %s channel %d at %d: ends after its term", entry->code, entry->kato,
                            channel, moment);
                assert (planned_end <= result_due);
                overrun_at_maximum += maximum_end > result_due;
                chains++;
            }
        }
    }
    assert (chains > 1000);
    assert (overrun_at_maximum > 0);
    //  Without a term (0) a step takes its maximum; late already, it completes at once
    assert (leb_rules_step_planned (externat, 0, 1000, 5000, 0) == 5000);
    assert (leb_rules_step_planned (externat, 3, 9000, 12000, 7000) == 9000);
    assert (leb_rules_step_planned (externat, 2, 1000, 10000000, 5000000) == 5000000 - 60000);

    //  Condition 2: complete and reliable is approved
    Egov__Applications__Application application = EGOV__APPLICATIONS__APPLICATION__INIT;
    application.application_id = "a1";
    application.applicant_iin = "850314301234";
    char grounds [2048];
    s_attach (&application, "application", "I ask for a permit", true);
    s_attach (&application, "identity-document", "ID 123", true);
    assert (!s_judge (externat, &application, grounds, sizeof (grounds)));
    assert (streq (grounds, "incomplete-documents: missing reason-document (Standard item 9)"));
    s_attach (&application, "reason-document", "medical conclusion", true);
    assert (s_judge (externat, &application, grounds, sizeof (grounds)));
    assert (streq (grounds, ""));
    //  A representative needs the power of attorney among the documents
    Egov__Applications__Representative representative = EGOV__APPLICATIONS__REPRESENTATIVE__INIT;
    representative.iin = "781130306545";
    representative.poa_number = "POA-2026-0001";
    application.representative = &representative;
    assert (!s_judge (externat, &application, grounds, sizeof (grounds)));
    assert (streq (grounds, "incomplete-documents: missing power-of-attorney (Standard item 9)"));
    s_attach (&application, "power-of-attorney", "notarised", true);
    assert (s_judge (externat, &application, grounds, sizeof (grounds)));
    //  A digest that does not match, or an empty attachment, is unreliable
    s_attach (&application, "extra", "scan", false);
    assert (!s_judge (externat, &application, grounds, sizeof (grounds)));
    assert (streq (grounds, "unreliable-documents: extra (extra): its sha256 does not match its content"));
    application.attachments [4]->sha256.data [0] ^= 0xff;
    assert (s_judge (externat, &application, grounds, sizeof (grounds)));
    application.attachments [4]->content.len = 0;
    assert (!s_judge (externat, &application, grounds, sizeof (grounds)));
    assert (streq (grounds, "unreliable-documents: extra (extra) is empty"));
    application.attachments [4]->content.len = 4;
    application.attachments [4]->sha256.len = 31;
    assert (!s_judge (externat, &application, grounds, sizeof (grounds)));

    //  The result document names the decision, the grounds and the signer
    Egov__Applications__Registration registration = EGOV__APPLICATIONS__REGISTRATION__INIT;
    registration.registration_number = "750000000-2026-000001";
    Egov__Applications__RegisteredApplication registered =
        EGOV__APPLICATIONS__REGISTERED_APPLICATION__INIT;
    registered.registration = &registration;
    registered.application = &application;
    json_t *reasons = json_pack ("[s]", "unreliable-documents: extra (extra) is empty");
    char *text = egov_application_result_document (externat, &registered, false, reasons,
                                            "750000000-OUT-2026-000007", monday, "Тоқтаров");
    json_error_t parse_error;
    json_t *parsed = json_loads (text, 0, &parse_error);
    assert (parsed);
    assert (streq (json_string_value (json_object_get (parsed, "decision")), "refused"));
    assert (streq (json_string_value (json_object_get (parsed, "kind")), "motivated-refusal"));
    assert (json_array_size (json_object_get (parsed, "grounds")) == 1);
    assert (streq (json_string_value (json_object_get (parsed, "decided_at")),
                   "2026-03-02T10:00:00.000+05:00"));
    assert (streq (json_string_value (json_object_get (
        json_object_get (parsed, "representative"), "poa_number")), "POA-2026-0001"));
    json_decref (parsed);
    free (text);
    text = egov_application_result_document (externat, &registered, true, reasons,
                                      "750000000-OUT-2026-000008", monday, "Тоқтаров");
    parsed = json_loads (text, 0, &parse_error);
    assert (parsed);
    assert (streq (json_string_value (json_object_get (parsed, "kind")), "order-copy"));
    assert (json_object_get (parsed, "grounds") == NULL);
    assert (streq (json_string_value (json_object_get (parsed, "outgoing_number")),
                   "750000000-OUT-2026-000008"));
    json_decref (parsed);
    free (text);
    json_decref (reasons);

    application.representative = NULL;
    for (size_t index = 0; index < application.n_attachments; index++)
        egov__applications__attachment__free_unpacked (application.attachments [index], NULL);
    free (application.attachments);
    egov_calendar_destroy (&calendar);
    egov_catalogue_destroy (&catalogue);
    if (verbose)
        printf ("OK\n");
}
