/*  egovctl_regulations — `egovctl catalogue` and `egovctl deadline`.

    Both read regulations/ (the service catalogue and the working-day
    calendar) from --regulations DIR, $EGOV_REGULATIONS, the repository the
    binary was built in (<repo>/build/<kind>/bin/egovctl), or ./regulations,
    in that order. They print for people by default and one JSON document
    with --json. Exit codes as elsewhere in egovctl: 1 the data cannot be
    read or is broken, 2 the calendar does not cover the dates, 3 not found,
    channel not offered or window closed, 64 bad command line.           */
#include "egovctl.h"
#include "egovctl_json.h"
#include "egovctl_regulations.h"
#include "egov_catalogue.h"
#include "egov_iin.h"
#include <getopt.h>
#include <sys/stat.h>

//  The command line of these two commands.
typedef struct {
    egovctl_t ctl;                  //  for egovctl_fail (--json, error format)
    const char *command;            //  catalogue or deadline
    const char *action;             //  catalogue: list or show
    const char *code;               //  catalogue show CODE
    const char *regulations;        //  --regulations
    const char *region;             //  --region KATO
    const char *channel_name;       //  --channel
    const char *at;                 //  --at TIME
    const char *form;               //  --form
    const char *service;            //  --service
    bool has_channel;               //  --channel given
    egov_channel_t channel;         //  --channel parsed
    char directory [4096];          //  the regulations directory in use
    egov_calendar_t *calendar;      //  loaded calendar
    egov_catalogue_t *catalogue;    //  loaded catalogue
} s_command_t;

enum {
    OPT_JSON = 1, OPT_HELP, OPT_GATEWAY, OPT_AS, OPT_TIMEOUT, OPT_REGULATIONS, OPT_REGION,
    OPT_CHANNEL, OPT_AT, OPT_FORM, OPT_SERVICE
};

static const struct option s_options [] = {
    { "json", no_argument, NULL, OPT_JSON },
    { "help", no_argument, NULL, OPT_HELP },
    { "gateway", required_argument, NULL, OPT_GATEWAY },     //  global; unused here
    { "as", required_argument, NULL, OPT_AS },               //  global; unused here
    { "timeout", required_argument, NULL, OPT_TIMEOUT },     //  global; unused here
    { "regulations", required_argument, NULL, OPT_REGULATIONS },
    { "region", required_argument, NULL, OPT_REGION },
    { "channel", required_argument, NULL, OPT_CHANNEL },
    { "at", required_argument, NULL, OPT_AT },
    { "form", required_argument, NULL, OPT_FORM },
    { "service", required_argument, NULL, OPT_SERVICE },
    { NULL, 0, NULL, 0 }
};

static void
s_usage (FILE *stream)
{
    fprintf (stream,
        "usage: egovctl catalogue [list] [--region KATO] [--channel C] [--json]\n"
        "       egovctl catalogue show CODE [--region KATO] [--json]\n"
        "       egovctl deadline --service CODE [--region KATO] --channel C --at TIME\n"
        "                        [--form F] [--json]\n"
        "\n"
        "  C     office, state-corp or portal\n"
        "  TIME  YYYY-MM-DDTHH:MM[:SS] in Almaty time (or with Z / +hh:mm), or ms since the epoch\n"
        "  --regulations DIR   the regulations data (env EGOV_REGULATIONS; default: the\n"
        "                      repository's regulations/, else ./regulations)\n"
        "\n"
        "exit codes: 0 ok; 1 data missing or broken; 2 dates outside the calendar;\n"
        "            3 not found, channel not offered, or window closed; 64 bad command line\n");
}

//  Reports a bad command line; returns the usage exit code.
static int
s_usage_error (const char *format, const char *detail)
{
    fprintf (stderr, "egovctl: ");
    fprintf (stderr, format, detail);
    fprintf (stderr, "\n");
    s_usage (stderr);
    return EGOVCTL_USAGE;
}

//  True for a flag that takes a value as the next argument.
static bool
s_takes_value (const char *argument)
{
    for (const struct option *option = s_options; option->name; option++)
        if (option->has_arg == required_argument && strncmp (argument, "--", 2) == 0
        &&  streq (argument + 2, option->name))
            return true;
    return false;
}

//  The first argument that is not a flag or a flag's value, or NULL.
static const char *
s_command_word (int argc, char *argv [])
{
    for (int index = 1; index < argc; index++) {
        if (streq (argv [index], "--"))
            return index + 1 < argc ? argv [index + 1] : NULL;
        if (argv [index][0] != '-')
            return argv [index];
        if (s_takes_value (argv [index]))
            index++;
    }
    return NULL;
}

//  Fills self from argv; 0, -1 for --help, or the usage exit code.
static int
s_parse (s_command_t *self, int argc, char *argv [])
{
    bool help = false;
    int option;
    optind = 1;
    opterr = 0;
    while ((option = getopt_long (argc, argv, ":h", s_options, NULL)) != -1) {
        switch (option) {
            case OPT_JSON: self->ctl.json = true; break;
            case 'h': case OPT_HELP: help = true; break;
            case OPT_GATEWAY: case OPT_AS: case OPT_TIMEOUT: break;
            case OPT_REGULATIONS: self->regulations = optarg; break;
            case OPT_REGION: self->region = optarg; break;
            case OPT_CHANNEL: self->channel_name = optarg; break;
            case OPT_AT: self->at = optarg; break;
            case OPT_FORM: self->form = optarg; break;
            case OPT_SERVICE: self->service = optarg; break;
            case ':': return s_usage_error ("option %s needs a value", argv [optind - 1]);
            default: return s_usage_error ("%s does not apply here", argv [optind - 1]);
        }
    }
    if (help)
        return -1;
    self->command = argv [optind++];
    if (streq (self->command, "catalogue")) {
        self->action = optind < argc ? argv [optind++] : "list";
        if (streq (self->action, "show")) {
            if (optind >= argc)
                return s_usage_error ("%s", "catalogue show needs a CODE");
            self->code = argv [optind++];
        }
        else
        if (!streq (self->action, "list"))
            return s_usage_error ("catalogue takes list or show, not '%s'", self->action);
        if (self->at || self->form || self->service)
            return s_usage_error ("%s", "--at, --form and --service are for deadline");
        if (streq (self->action, "show") && self->channel_name)
            return s_usage_error ("%s", "--channel is for catalogue list and deadline");
    }
    else {
        if (!self->service || !self->channel_name || !self->at)
            return s_usage_error ("%s", "deadline needs --service, --channel and --at");
    }
    if (optind < argc)
        return s_usage_error ("unexpected argument '%s'", argv [optind]);
    if (self->region && (strlen (self->region) != 9
                         || strspn (self->region, "0123456789") != 9))
        return s_usage_error ("--region wants a 9-digit KATO code, not '%s'", self->region);
    if (self->channel_name) {
        if (!egov_channel_parse (self->channel_name, &self->channel))
            return s_usage_error ("--channel wants office, state-corp or portal, not '%s'",
                                  self->channel_name);
        self->has_channel = true;
    }
    return 0;
}

//  Picks the regulations directory: flag, environment, the repository the
//  binary lives in (build/<kind>/bin), the current directory.
static void
s_find_directory (s_command_t *self)
{
    const char *chosen = self->regulations ? self->regulations : getenv ("EGOV_REGULATIONS");
    if (chosen) {
        snprintf (self->directory, sizeof (self->directory), "%s", chosen);
        return;
    }
    egov_repo_path ("regulations", self->directory, sizeof (self->directory));
}

//  Loads the calendar and the catalogue; 0 or the exit code after reporting.
static int
s_load (s_command_t *self)
{
    s_find_directory (self);
    char path [4200];
    egov_error_t error;
    snprintf (path, sizeof (path), "%s/calendar/kz.json", self->directory);
    self->calendar = egov_calendar_new (path, &error);
    if (!self->calendar)
        return egovctl_fail (&self->ctl, &error, EGOVCTL_LOCAL_ERROR);
    snprintf (path, sizeof (path), "%s/catalogue", self->directory);
    self->catalogue = egov_catalogue_new (path, &error);
    if (!self->catalogue)
        return egovctl_fail (&self->ctl, &error, EGOVCTL_LOCAL_ERROR);
    return 0;
}

//  "state-corp, portal" for an entry's channels.
static const char *
s_channels_text (const egov_catalogue_entry_t *entry, char *buffer, size_t size)
{
    buffer [0] = 0;
    for (int channel = 0; channel < EGOV_CHANNEL_COUNT; channel++)
        if (entry->channels [channel]) {
            size_t used = strlen (buffer);
            snprintf (buffer + used, size - used, "%s%s", used ? ", " : "",
                      egov_channel_name ((egov_channel_t) channel));
        }
    return buffer;
}

//  The entry's channels as a JSON array.
static json_t *
s_channels_json (const egov_catalogue_entry_t *entry)
{
    json_t *array = json_array ();
    for (int channel = 0; channel < EGOV_CHANNEL_COUNT; channel++)
        if (entry->channels [channel])
            json_array_append_new (array, json_string (egov_channel_name ((egov_channel_t) channel)));
    return array;
}

//  "item 11 1)" or "assumed: why" for people.
static const char *
s_cite (const char *source, const char *note, bool assumed, char *buffer, size_t size)
{
    if (assumed && source)
        snprintf (buffer, size, "%s; assumed: %s", source, note);
    else
    if (assumed)
        snprintf (buffer, size, "assumed: %s", note);
    else
    if (note)
        snprintf (buffer, size, "%s; %s", source, note);
    else
        snprintf (buffer, size, "%s", source);
    return buffer;
}

//  ---------------------------------------------------------------------
//  egovctl catalogue

//  One line per entry, filtered by --region and --channel.
static int
s_catalogue_list (s_command_t *self)
{
    json_t *services = json_array ();
    if (!self->ctl.json)
        printf ("%-24s %-10s %-24s %-26s %-9s %s\n",
                "CODE", "KATO", "REGION", "CHANNELS", "DEADLINE", "SEED");
    bool any_assumed = false;
    for (size_t index = 0; index < egov_catalogue_size (self->catalogue); index++) {
        const egov_catalogue_entry_t *entry = egov_catalogue_entry (self->catalogue, index);
        if ((self->region && !streq (self->region, entry->kato))
        ||  (self->has_channel && !entry->channels [self->channel]))
            continue;
        char channels [64], term [16];
        egov_duration_format (entry->deadline.max, term, sizeof (term));
        if (self->ctl.json) {
            json_array_append_new (services, json_pack ("{s:s, s:s, s:s, s:s, s:o, s:s, s:b, s:s, s:s}",
                "code", entry->code, "kato", entry->kato, "region", entry->region.en,
                "name", entry->name.en, "channels", s_channels_json (entry),
                "deadline", term, "deadline_assumed", entry->deadline.assumed,
                "seed", entry->seed, "file", entry->file));
            continue;
        }
        any_assumed |= entry->deadline.assumed;
        if (entry->deadline.assumed)
            strcat (term, "*");
        printf ("%-24s %-10s %-24s %-26s %-9s %.3s\n", entry->code, entry->kato,
                entry->region.en, s_channels_text (entry, channels, sizeof (channels)),
                term, entry->seed);
    }
    if (self->ctl.json)
        return egovctl_json_print (json_pack ("{s:o}", "services", services), EGOVCTL_OK);
    json_decref (services);
    if (any_assumed)
        printf ("* not stated by the seed: see the entry's note (catalogue show CODE)\n");
    return EGOVCTL_OK;
}

//  Prints a list of results, refusal grounds or documents.
static void
s_print_items (const char *title, const egov_catalogue_item_t *items, size_t count)
{
    char cite [600];
    if (count == 0)
        printf ("%-11s none named by the seed\n", title);
    for (size_t index = 0; index < count; index++) {
        const egov_catalogue_item_t *item = items + index;
        printf ("%-11s %s: %s%s%s (%s)\n", index ? "" : title, item->code, item->en,
                item->when ? "; when " : "", item->when ? item->when : "",
                s_cite (item->source, item->note, item->assumed, cite, sizeof (cite)));
    }
}

//  Prints a term line unless the entry has none.
static void
s_print_term (const char *title, const egov_catalogue_term_t *term)
{
    if (!term->set)
        return;
    char text [16], words [48], cite [600];
    printf ("%-11s %s = %s (%s)\n", title, egov_duration_format (term->max, text, sizeof (text)),
            egov_duration_words (term->max, words, sizeof (words)),
            s_cite (term->source, term->note, term->assumed, cite, sizeof (cite)));
}

//  Prints one entry in full for people.
static void
s_print_entry (s_command_t *self, const egov_catalogue_entry_t *entry)
{
    char cite [600], text [16];
    printf ("%s in %s (KATO %s)\n", entry->code, entry->region.en, entry->kato);
    printf ("  kk  %s\n  ru  %s\n  en  %s\n", entry->name.kk, entry->name.ru, entry->name.en);
    printf ("%-11s seed %s, %s\n", "source", entry->seed, entry->part);
    printf ("%-11s %s\n", "act", entry->act);
    printf ("%-11s %s\n", "standard", entry->standard);
    printf ("%-11s %s: %s (%s)\n", "provider", entry->provider_kind, entry->provider.en,
            entry->provider_source);
    bool first = true;
    for (int channel = 0; channel < EGOV_CHANNEL_COUNT; channel++) {
        if (!entry->channels [channel])
            continue;
        printf ("%-11s %-10s %s (%s%s%s)\n", first ? "channels" : "",
                egov_channel_name ((egov_channel_t) channel),
                egov_calendar_hours (self->calendar, (egov_channel_t) channel),
                entry->channel_source [channel], entry->channel_note [channel] ? "; " : "",
                entry->channel_note [channel] ? entry->channel_note [channel] : "");
        first = false;
    }
    printf ("%-11s %s%s%s (%s)\n", "form", entry->paper ? "paper" : "",
            entry->paper && entry->electronic ? ", " : "", entry->electronic ? "electronic" : "",
            entry->form_source);
    s_print_items ("results", entry->results, entry->result_count);
    s_print_items ("refusals", entry->refusals, entry->refusal_count);
    s_print_items ("documents", entry->documents, entry->document_count);
    for (size_t index = 0; index < entry->step_count; index++) {
        const egov_catalogue_step_t *step = entry->steps + index;
        printf ("%-11s %zu. %-8s %-5s %s (%s)\n", index ? "" : "steps", index + 1, step->role,
                step->term.set ? egov_duration_format (step->term.max, text, sizeof (text)) : "-",
                step->action, s_cite (step->term.source, step->term.note, step->term.assumed,
                                      cite, sizeof (cite)));
    }
    s_print_term ("deadline", &entry->deadline);
    s_print_term ("max wait", &entry->max_wait);
    s_print_term ("at the desk", &entry->max_service);
    for (size_t index = 0; index < entry->window_count; index++) {
        const egov_catalogue_window_t *window = entry->windows + index;
        char from [8] = "";
        if (window->from_month)
            snprintf (from, sizeof (from), "%02d-%02d", window->from_month, window->from_day);
        printf ("%-11s %-11s %-12s %5s..%02d-%02d (%s)%s\n", index ? "" : "windows",
                window->kind == EGOV_WINDOW_APPLICATION ? "application" : "result",
                window->form ? window->form : "every form", from, window->to_month,
                window->to_day, s_cite (window->source, window->note, window->assumed,
                                        cite, sizeof (cite)),
                window->kind == EGOV_WINDOW_APPLICATION && !egov_catalogue_window_enforced (window)
                ? " [not enforced: the seed states no window]" : "");
    }
    if (entry->note)
        printf ("%-11s %s\n", "note", entry->note);
    printf ("%-11s %s\n", "file", entry->file);
}

//  Every variant of a code (or the one in --region), in full.
static int
s_catalogue_show (s_command_t *self)
{
    if (egov_catalogue_variants (self->catalogue, self->code) == 0) {
        char message [200];
        snprintf (message, sizeof (message), "no service with code '%.64s' in the catalogue",
                  self->code);
        return egovctl_fail_code (&self->ctl, "NOT_FOUND", message, EGOVCTL_NEGATIVE);
    }
    if (self->region && !egov_catalogue_find (self->catalogue, self->code, self->region)) {
        char message [300];
        snprintf (message, sizeof (message), "%.64s has no variant for region %s",
                  self->code, self->region);
        return egovctl_fail_code (&self->ctl, "NOT_FOUND", message, EGOVCTL_NEGATIVE);
    }
    json_t *services = json_array ();
    bool first = true;
    for (size_t index = 0; index < egov_catalogue_size (self->catalogue); index++) {
        const egov_catalogue_entry_t *entry = egov_catalogue_entry (self->catalogue, index);
        if (!streq (entry->code, self->code) || (self->region && !streq (entry->kato, self->region)))
            continue;
        if (self->ctl.json) {
            egov_error_t error = { { 0 } };
            json_t *copy = egov_catalogue_entry_json (entry, &error);
            if (!copy) {
                json_decref (services);
                return egovctl_fail_code (&self->ctl, error.code, error.message, EGOVCTL_LOCAL_ERROR);
            }
            json_object_set_new (copy, "file", json_string (entry->file));
            json_array_append_new (services, copy);
            continue;
        }
        if (!first)
            printf ("\n");
        s_print_entry (self, entry);
        first = false;
    }
    if (self->ctl.json)
        return egovctl_json_print (json_pack ("{s:o}", "services", services), EGOVCTL_OK);
    json_decref (services);
    return EGOVCTL_OK;
}

//  ---------------------------------------------------------------------
//  egovctl deadline

//  A date as YYYY-MM-DD in a JSON string.
static json_t *
s_date_json (int64_t day)
{
    char date [11];
    egov_date_format (day, date);
    return json_string (date);
}

//  The walked days as JSON.
static json_t *
s_trace_json (const egov_calendar_trace_t *trace, egov_unit_t unit)
{
    json_t *days = json_array ();
    for (size_t index = 0; index < trace->size; index++) {
        const egov_calendar_day_t *day = trace->days + index;
        json_t *item = json_pack ("{s:o, s:s}", "date", s_date_json (day->day),
                                  "weekday", egov_weekday_name (day->day));
        if (day->skipped)
            json_object_set_new (item, "skipped", json_string (day->skipped));
        else
        if (unit == EGOV_UNIT_MINUTES || unit == EGOV_UNIT_HOURS)
            json_object_set_new (item, "minutes", json_integer (day->minutes));
        else
            json_object_set_new (item, "counted", json_integer (day->ordinal));
        json_array_append_new (days, item);
    }
    return days;
}

//  Prints the walked days, counted runs folded into one line.
static void
s_trace_print (const egov_calendar_trace_t *trace, egov_unit_t unit)
{
    const char *noun = unit == EGOV_UNIT_CALENDAR_DAYS ? "calendar day" : "working day";
    char date [11], last [11];
    for (size_t index = 0; index < trace->size; index++) {
        const egov_calendar_day_t *day = trace->days + index;
        egov_date_format (day->day, date);
        if (day->skipped) {
            printf ("  %s %-9s  skipped: %s\n", date, egov_weekday_name (day->day), day->skipped);
            continue;
        }
        if (unit == EGOV_UNIT_MINUTES || unit == EGOV_UNIT_HOURS) {
            printf ("  %s %-9s  %d working minute%s\n", date, egov_weekday_name (day->day),
                    day->minutes, day->minutes == 1 ? "" : "s");
            continue;
        }
        size_t end = index;
        while (end + 1 < trace->size && !trace->days [end + 1].skipped)
            end++;
        if (end == index)
            printf ("  %s %-9s  %s %d\n", date, egov_weekday_name (day->day), noun, day->ordinal);
        else {
            egov_date_format (trace->days [end].day, last);
            printf ("  %s %-9s  %ss %d-%d (to %s %s)\n", date, egov_weekday_name (day->day),
                    noun, day->ordinal, trace->days [end].ordinal, last,
                    egov_weekday_name (trace->days [end].day));
        }
        index = end;
    }
}

//  The entry for --service and --region; NULL after reporting (*exit_code set).
static const egov_catalogue_entry_t *
s_deadline_entry (s_command_t *self, int *exit_code)
{
    char message [400];
    size_t variants = egov_catalogue_variants (self->catalogue, self->service);
    const egov_catalogue_entry_t *entry = NULL;
    if (variants == 0)
        snprintf (message, sizeof (message), "no service with code '%.64s' in the catalogue",
                  self->service);
    else
    if (!self->region && variants > 1) {
        char regions [200] = "";
        for (size_t index = 0; index < egov_catalogue_size (self->catalogue); index++) {
            const egov_catalogue_entry_t *candidate = egov_catalogue_entry (self->catalogue, index);
            size_t used = strlen (regions);
            if (streq (candidate->code, self->service))
                snprintf (regions + used, sizeof (regions) - used, "%s%s", used ? ", " : "",
                          candidate->kato);
        }
        *exit_code = s_usage_error ("this service has regional variants: give --region (%s)",
                                    regions);
        return NULL;
    }
    else
    if (!(entry = egov_catalogue_find (self->catalogue, self->service, self->region)))
        snprintf (message, sizeof (message), "%.64s has no variant for region %s",
                  self->service, self->region);
    if (!entry) {
        *exit_code = egovctl_fail_code (&self->ctl, "NOT_FOUND", message, EGOVCTL_NEGATIVE);
        return NULL;
    }
    if (!entry->channels [self->channel]) {
        char channels [64];
        snprintf (message, sizeof (message), "%s in %s is not offered at %s (channels: %s)",
                  entry->code, entry->kato, egov_channel_name (self->channel),
                  s_channels_text (entry, channels, sizeof (channels)));
        *exit_code = egovctl_fail_code (&self->ctl, "CHANNEL_NOT_OFFERED", message,
                                        EGOVCTL_NEGATIVE);
        return NULL;
    }
    bool has_forms = false;
    for (size_t index = 0; index < entry->window_count; index++)
        has_forms |= entry->windows [index].form != NULL;
    if (self->form && !egov_catalogue_form_known (entry, self->form)) {
        *exit_code = s_usage_error (has_forms ? "--form '%s' is not one this service's windows name"
                                    " (see catalogue show)" : "this service takes no --form ('%s')",
                                    self->form);
        return NULL;
    }
    return entry;
}

//  Checks the application window on the submission's local date (the day the
//  applicant acted, whatever the receipt); gives JSON and a line for people,
//  returns false when the window is closed.
static bool
s_window (s_command_t *self, const egov_catalogue_entry_t *entry, int64_t submitted_ms,
          json_t **result, char *line, size_t size)
{
    int year, month, day;
    egov_date_from_days (egov_calendar_local_day (self->calendar, submitted_ms), &year, &month, &day);
    bool form_windows = false, any_application = false, assumed_only = false;
    for (size_t index = 0; index < entry->window_count; index++)
        if (entry->windows [index].kind == EGOV_WINDOW_APPLICATION) {
            if (!egov_catalogue_window_enforced (entry->windows + index)) {
                assumed_only = true;
                continue;
            }
            any_application = true;
            form_windows |= entry->windows [index].form != NULL;
        }
    if (!any_application) {
        snprintf (line, size, assumed_only
                  ? "none stated by the seed: applications are accepted all year (an assumed window is not enforced)"
                  : "none: applications are accepted all year");
        *result = json_pack ("{s:b}", "checked", false);
        return true;
    }
    const egov_catalogue_window_t *window = NULL;
    bool open = egov_catalogue_window_open (entry, self->form, month, day, &window);
    if (!window && form_windows && !self->form) {
        snprintf (line, size, "not checked: the windows are per study form, give --form");
        *result = json_pack ("{s:b}", "checked", false);
        return true;
    }
    if (!window) {
        snprintf (line, size, "none for this form: applications are accepted all year");
        *result = json_pack ("{s:b}", "checked", false);
        return true;
    }
    char cite [600], from [8], to [8];
    snprintf (from, sizeof (from), "%02d-%02d", window->from_month, window->from_day);
    snprintf (to, sizeof (to), "%02d-%02d", window->to_month, window->to_day);
    snprintf (line, size, "%s: applications%s%s %s..%s (%s); submitted on %02d-%02d",
              open ? "open" : "CLOSED", window->form ? " for " : "",
              window->form ? window->form : "", from, to,
              s_cite (window->source, window->note, window->assumed, cite, sizeof (cite)),
              month, day);
    json_t *item = json_pack ("{s:b, s:b, s:s, s:s}", "checked", true, "open", open,
                              "from", from, "to", to);
    if (window->form)
        json_object_set_new (item, "form", json_string (window->form));
    if (window->source)
        json_object_set_new (item, "source", json_string (window->source));
    *result = item;
    return open;
}

static int
s_deadline (s_command_t *self)
{
    int64_t at_ms;
    if (!egov_calendar_time_parse (self->calendar, self->at, &at_ms))
        return s_usage_error ("--at wants YYYY-MM-DDTHH:MM[:SS][Z|+hh:mm] or ms since the epoch,"
                              " not '%s'", self->at);
    int exit_code = EGOVCTL_OK;
    const egov_catalogue_entry_t *entry = s_deadline_entry (self, &exit_code);
    if (!entry)
        return exit_code;
    egov_receipt_t receipt;
    egov_due_t due = { 0 };
    egov_error_t error;
    //  One convention: the channel decides the receipt, the provider's
    //  working days count the term, or the channel's own hours where a
    //  register answers the channel itself (docs/regulations.md)
    if (!egov_calendar_receipt (self->calendar, self->channel, at_ms, &receipt, &error))
        return egovctl_fail (&self->ctl, &error, EGOVCTL_ERROR);
    if (!egov_calendar_due (self->calendar, egov_catalogue_term_schedule (entry, self->channel),
                            receipt.received_ms,
                            entry->deadline.max, &due, &error)) {
        egov_receipt_reset (&receipt);
        return egovctl_fail (&self->ctl, &error, EGOVCTL_ERROR);
    }
    char submitted [40], received [40], until [40], term [16], words [48], cite [600];
    char window_line [800], receipt_date [11];
    egov_calendar_time_format (self->calendar, at_ms, submitted, sizeof (submitted));
    egov_calendar_time_format (self->calendar, receipt.received_ms, received, sizeof (received));
    egov_calendar_time_format (self->calendar, due.due_ms, until, sizeof (until));
    egov_duration_format (entry->deadline.max, term, sizeof (term));
    egov_duration_words (entry->deadline.max, words, sizeof (words));
    egov_date_format (receipt.receipt_day, receipt_date);
    s_cite (entry->deadline.source, entry->deadline.note, entry->deadline.assumed,
            cite, sizeof (cite));
    json_t *window = NULL;
    bool open = s_window (self, entry, at_ms, &window, window_line, sizeof (window_line));
    int64_t submitted_day = egov_calendar_local_day (self->calendar, at_ms);
    int64_t due_day = egov_calendar_local_day (self->calendar, due.due_ms);
    if (self->ctl.json) {
        json_t *document = json_pack (
            "{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:s, s:I, s:s, s:o, s:o,"
            " s:s, s:s, s:s, s:b, s:s, s:o, s:s, s:I, s:o, s:s}",
            "service", entry->code, "region", entry->kato, "region_name", entry->region.en,
            "seed", entry->seed, "channel", egov_channel_name (self->channel),
            "submitted", submitted, "submitted_ms", (json_int_t) at_ms,
            "received", received, "received_ms", (json_int_t) receipt.received_ms,
            "receipt_rule", receipt.rule,
            "receipt_day", s_date_json (receipt.receipt_day),
            "receipt_skipped", s_trace_json (&receipt.skipped, EGOV_UNIT_WORKING_DAYS),
            "deadline", term, "deadline_words", words, "deadline_source", cite,
            "deadline_assumed", entry->deadline.assumed, "counted_on", "office",
            "days", s_trace_json (&due.days, entry->deadline.max.unit),
            "due", until, "due_ms", (json_int_t) due.due_ms,
            "window", window, "window_text", window_line);
        exit_code = egovctl_json_print (document, open ? EGOVCTL_OK : EGOVCTL_NEGATIVE);
    }
    else {
        json_decref (window);
        printf ("%-10s %s in %s (KATO %s): %s\n", "service", entry->code, entry->region.en,
                entry->kato, entry->name.en);
        printf ("%-10s %s: %s\n", "channel", egov_channel_name (self->channel),
                egov_calendar_hours (self->calendar, self->channel));
        printf ("%-10s %s %s\n", "submitted", submitted, egov_weekday_name (submitted_day));
        printf ("%-10s %s %s (%s)\n", "received", received,
                egov_weekday_name (receipt.receipt_day), receipt.rule);
        s_trace_print (&receipt.skipped, EGOV_UNIT_WORKING_DAYS);
        printf ("%-10s %s = %s (%s)\n", "deadline", term, words, cite);
        egov_unit_t unit = entry->deadline.max.unit;
        egov_channel_t schedule = egov_catalogue_term_schedule (entry, self->channel);
        const char *whose = schedule == EGOV_CHANNEL_OFFICE ? "the provider's"
                          : "the channel's own (a register answers it)";
        if (unit == EGOV_UNIT_WORKING_DAYS)
            printf ("%-10s on %s working days (%s); the day of receipt, %s %s,"
                    " is not counted\n", "", whose, egov_calendar_hours (self->calendar, schedule),
                    egov_weekday_name (receipt.receipt_day), receipt_date);
        else
        if (unit == EGOV_UNIT_CALENDAR_DAYS)
            printf ("%-10s days off count; the day of receipt, %s %s, is not counted\n", "",
                    egov_weekday_name (receipt.receipt_day), receipt_date);
        else
            printf ("%-10s working time on %s hours (%s) from the receipt moment\n",
                    "", whose, egov_calendar_hours (self->calendar, schedule));
        s_trace_print (&due.days, entry->deadline.max.unit);
        printf ("%-10s %s %s\n", "due", until, egov_weekday_name (due_day));
        printf ("%-10s %s\n", "window", window_line);
        exit_code = open ? EGOVCTL_OK : EGOVCTL_NEGATIVE;
    }
    egov_receipt_reset (&receipt);
    egov_due_reset (&due);
    return exit_code;
}

int
egovctl_regulations_main (int argc, char *argv [])
{
    const char *word = s_command_word (argc, argv);
    if (!word || (!streq (word, "catalogue") && !streq (word, "deadline")))
        return -1;
    s_command_t self = { { 0 } };
    int exit_code = s_parse (&self, argc, argv);
    if (exit_code == -1) {
        s_usage (stdout);
        return EGOVCTL_OK;
    }
    if (exit_code == 0)
        exit_code = s_load (&self);
    if (exit_code == 0) {
        if (streq (self.command, "deadline"))
            exit_code = s_deadline (&self);
        else
        if (streq (self.action, "show"))
            exit_code = s_catalogue_show (&self);
        else
            exit_code = s_catalogue_list (&self);
    }
    egov_catalogue_destroy (&self.catalogue);
    egov_calendar_destroy (&self.calendar);
    return exit_code;
}
