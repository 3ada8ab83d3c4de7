/*  egov_catalogue — loading and checking the service catalogue. Each file
    is parsed with jansson, checked and read into its entry; the strings
    the entries keep are copied into one store and the parsed trees freed
    (a tree costs three to four times its file, kept in every service).  */
#define _GNU_SOURCE                     //  asprintf
#include "egov_catalogue.h"
#include "egov_iin.h"
#include <dirent.h>

#define ENTRIES_MAX     1000            //  files in one catalogue directory
#define CODE_MAX        64              //  longest code

struct _egov_catalogue_t {
    egov_catalogue_entry_t *entries;    //  sorted by code, then KATO
    size_t size;                        //  entries used
    egov_strings_t *strings;            //  the entries' texts
};

static const char *s_roles [] = { "clerk", "head", "executor", NULL };
static const char *s_provider_kinds [] = { "school", "leb", "preschool", "college", NULL };

//  True when text is one of the NULL-terminated words.
static bool
s_one_of (const char *text, const char **words)
{
    for (; *words; words++)
        if (streq (text, *words))
            return true;
    return false;
}

//  A stable code: 1-64 of a-z, 0-9 and inner dashes.
static bool
s_code_valid (const char *text)
{
    size_t length = strlen (text);
    if (length == 0 || length > CODE_MAX || text [0] == '-' || text [length - 1] == '-')
        return false;
    return strspn (text, "abcdefghijklmnopqrstuvwxyz0123456789-") == length;
}

//  A stable code field; NULL after setting the error.
static const char *
s_code (egov_regfile_t *reader, json_t *object, const char *path, const char *key)
{
    const char *text = egov_regfile_text (reader, object, path, key, true);
    if (text && !s_code_valid (text)) {
        egov_regfile_fail (reader, path, "\"%s\" must be a code of a-z, 0-9 and dashes,"
                           " not '%s'", key, text);
        return NULL;
    }
    return text;
}

//  Reads where a fact comes from: a "source" (seed item), or "assumed": true
//  with a "note" saying why (both when the item is cited but read by us).
static bool
s_cited (egov_regfile_t *reader, json_t *object, const char *path,
         const char **source, const char **note, bool *assumed)
{
    json_t *flag = egov_regfile_get (reader, object, path, "assumed", JSON_TRUE, false);
    if (reader->error->code [0])
        return false;
    *assumed = flag && json_is_true (flag);
    *source = json_object_get (object, "source")
            ? egov_regfile_text (reader, object, path, "source", true) : NULL;
    *note = json_object_get (object, "note")
          ? egov_regfile_text (reader, object, path, "note", true) : NULL;
    if (reader->error->code [0])
        return false;
    if (*assumed && !*note)
        return egov_regfile_fail (reader, path, "an assumed fact needs a \"note\" saying why");
    if (!*assumed && !*source)
        return egov_regfile_fail (reader, path, "cite the seed item in \"source\", or mark"
                                  " it \"assumed\": true with a \"note\"");
    return true;
}

//  A {max, source|assumed, note} term; absent and optional leaves set false.
static bool
s_term (egov_regfile_t *reader, json_t *parent, const char *path, const char *key,
        bool required, egov_catalogue_term_t *term)
{
    char where [200];
    snprintf (where, sizeof (where), "%s.%s", path, key);
    memset (term, 0, sizeof (*term));
    json_t *object = egov_regfile_get (reader, parent, path, key, JSON_OBJECT, required);
    if (!object)
        return !reader->error->code [0];
    const char *text = egov_regfile_text (reader, object, where, "max", true);
    if (!egov_regfile_keys (reader, object, where, "max", "source", "assumed", "note", NULL)
    ||  !text || !s_cited (reader, object, where, &term->source, &term->note, &term->assumed))
        return false;
    if (!egov_duration_parse (text, &term->max))
        return egov_regfile_fail (reader, where, "\"max\" '%s' is not a duration: 1-99999"
                                  " followed by m, h, wd or cd", text);
    term->set = true;
    return true;
}

//  An array field of objects; its size goes to *count.
static json_t *
s_array (egov_regfile_t *reader, json_t *parent, const char *key, bool required,
         bool may_be_empty, size_t *count)
{
    json_t *array = egov_regfile_get (reader, parent, "$", key, JSON_ARRAY, required);
    *count = array ? json_array_size (array) : 0;
    if (array && !may_be_empty && *count == 0) {
        egov_regfile_fail (reader, "$", "\"%s\" must not be empty", key);
        return NULL;
    }
    return array;
}

//  Results, refusal grounds and documents share one shape under a
//  different code key: kind, code, type.
static bool
s_items (egov_regfile_t *reader, json_t *root, const char *key, const char *code_key,
         bool may_be_empty, egov_catalogue_item_t **items, size_t *count)
{
    json_t *array = s_array (reader, root, key, true, may_be_empty, count);
    if (!array)
        return false;
    *items = calloc (*count + 1, sizeof (egov_catalogue_item_t));
    assert (*items);
    size_t index;
    json_t *object;
    char path [96];
    json_array_foreach (array, index, object) {
        snprintf (path, sizeof (path), "$.%s[%zu]", key, index);
        egov_catalogue_item_t *item = *items + index;
        if (!json_is_object (object))
            return egov_regfile_fail (reader, path, "must be an object");
        if (!egov_regfile_keys (reader, object, path, code_key, "en", "kk", "when",
                                "source", "assumed", "note", NULL))
            return false;
        item->code = s_code (reader, object, path, code_key);
        item->en = item->code ? egov_regfile_text (reader, object, path, "en", true) : NULL;
        if (!item->en)
            return false;
        if (json_object_get (object, "kk")
        &&  !(item->kk = egov_regfile_text (reader, object, path, "kk", true)))
            return false;
        if (json_object_get (object, "when")
        &&  !(item->when = egov_regfile_text (reader, object, path, "when", true)))
            return false;
        if (!s_cited (reader, object, path, &item->source, &item->note, &item->assumed))
            return false;
        for (size_t other = 0; other < index; other++)
            if (streq ((*items) [other].code, item->code))
                return egov_regfile_fail (reader, path, "%s '%s' is listed twice",
                                          code_key, item->code);
    }
    return true;
}

//  The provider's steps: role, action, maximum duration.
static bool
s_steps (egov_regfile_t *reader, json_t *root, egov_catalogue_entry_t *entry)
{
    json_t *array = s_array (reader, root, "steps", true, false, &entry->step_count);
    if (!array)
        return false;
    entry->steps = calloc (entry->step_count + 1, sizeof (egov_catalogue_step_t));
    assert (entry->steps);
    size_t index;
    json_t *object;
    char path [96];
    json_array_foreach (array, index, object) {
        snprintf (path, sizeof (path), "$.steps[%zu]", index);
        egov_catalogue_step_t *step = entry->steps + index;
        if (!json_is_object (object))
            return egov_regfile_fail (reader, path, "must be an object");
        if (!egov_regfile_keys (reader, object, path, "role", "action", "max", "source",
                                "assumed", "note", NULL))
            return false;
        step->role = egov_regfile_text (reader, object, path, "role", true);
        if (step->role && !s_one_of (step->role, s_roles))
            return egov_regfile_fail (reader, path, "\"role\" must be clerk, head or executor,"
                                      " not '%s'", step->role);
        step->action = step->role ? egov_regfile_text (reader, object, path, "action", true) : NULL;
        if (!step->action)
            return false;
        egov_catalogue_term_t *term = &step->term;
        if (!s_cited (reader, object, path, &term->source, &term->note, &term->assumed))
            return false;
        const char *max = json_object_get (object, "max")
                        ? egov_regfile_text (reader, object, path, "max", true) : NULL;
        if (reader->error->code [0])
            return false;
        if (max && !egov_duration_parse (max, &term->max))
            return egov_regfile_fail (reader, path, "\"max\" '%s' is not a duration: 1-99999"
                                      " followed by m, h, wd or cd", max);
        if (!max && !term->note)
            return egov_regfile_fail (reader, path, "a step without \"max\" needs a \"note\"");
        term->set = max != NULL;
    }
    return true;
}

//  "MM-DD" into month and day (any year, 29 February allowed).
static bool
s_month_day (const char *text, int *month, int *day)
{
    return strlen (text) == 5 && isdigit ((unsigned char) text [0])
        && isdigit ((unsigned char) text [1]) && text [2] == '-'
        && isdigit ((unsigned char) text [3]) && isdigit ((unsigned char) text [4])
        && (*month = atoi (text), *day = atoi (text + 3), egov_date_valid (2024, *month, *day));
}

//  Application and result windows.
static bool
s_windows (egov_regfile_t *reader, json_t *root, egov_catalogue_entry_t *entry)
{
    json_t *array = s_array (reader, root, "windows", false, false, &entry->window_count);
    if (!array)
        return !reader->error->code [0];
    entry->windows = calloc (entry->window_count + 1, sizeof (egov_catalogue_window_t));
    assert (entry->windows);
    size_t index;
    json_t *object;
    char path [96];
    json_array_foreach (array, index, object) {
        snprintf (path, sizeof (path), "$.windows[%zu]", index);
        egov_catalogue_window_t *window = entry->windows + index;
        if (!json_is_object (object))
            return egov_regfile_fail (reader, path, "must be an object");
        if (!egov_regfile_keys (reader, object, path, "kind", "form", "from", "to", "source",
                                "assumed", "note", NULL))
            return false;
        const char *kind = egov_regfile_text (reader, object, path, "kind", true);
        if (!kind)
            return false;
        if (streq (kind, "application"))
            window->kind = EGOV_WINDOW_APPLICATION;
        else
        if (streq (kind, "result"))
            window->kind = EGOV_WINDOW_RESULT;
        else
            return egov_regfile_fail (reader, path, "\"kind\" must be application or result");
        if (json_object_get (object, "form") && !(window->form = s_code (reader, object, path, "form")))
            return false;
        const char *to = egov_regfile_text (reader, object, path, "to", true);
        if (!to)
            return false;
        if (!s_month_day (to, &window->to_month, &window->to_day))
            return egov_regfile_fail (reader, path, "\"to\" must be \"MM-DD\", not '%s'", to);
        if (json_object_get (object, "from")) {
            const char *from = egov_regfile_text (reader, object, path, "from", true);
            if (!from)
                return false;
            if (!s_month_day (from, &window->from_month, &window->from_day))
                return egov_regfile_fail (reader, path, "\"from\" must be \"MM-DD\", not '%s'", from);
        }
        else
        if (window->kind == EGOV_WINDOW_APPLICATION)
            return egov_regfile_fail (reader, path, "an application window needs \"from\"");
        if (!s_cited (reader, object, path, &window->source, &window->note, &window->assumed))
            return false;
    }
    return true;
}

//  Channels, each once, with the seed item that names it.
static bool
s_channels (egov_regfile_t *reader, json_t *root, egov_catalogue_entry_t *entry)
{
    size_t count;
    json_t *array = s_array (reader, root, "channels", true, false, &count);
    if (!array)
        return false;
    size_t index;
    json_t *object;
    char path [96];
    json_array_foreach (array, index, object) {
        snprintf (path, sizeof (path), "$.channels[%zu]", index);
        if (!json_is_object (object))
            return egov_regfile_fail (reader, path, "must be an object");
        if (!egov_regfile_keys (reader, object, path, "channel", "source", "note", "register",
                                 "unclaimed", NULL))
            return false;
        const char *name = egov_regfile_text (reader, object, path, "channel", true);
        const char *source = name ? egov_regfile_text (reader, object, path, "source", true) : NULL;
        if (!source)
            return false;
        egov_channel_t channel;
        if (!egov_channel_parse (name, &channel))
            return egov_regfile_fail (reader, path, "\"channel\" must be office, state-corp or"
                                      " portal, not '%s'", name);
        if (entry->channels [channel])
            return egov_regfile_fail (reader, path, "channel '%s' is listed twice", name);
        entry->channels [channel] = true;
        entry->channel_source [channel] = source;
        if (json_object_get (object, "note")
        &&  !(entry->channel_note [channel] = egov_regfile_text (reader, object, path, "note", true)))
            return false;
        //  The register that answers this channel's applications instead of
        //  the provider's staff: only a register the simulator has
        if (json_object_get (object, "register")) {
            const char *target = egov_regfile_text (reader, object, path, "register", true);
            if (!target)
                return false;
            if (!streq (target, EGOV_CATALOGUE_QUEUE_REGISTER))
                return egov_regfile_fail (reader, path, "\"register\" must be %s, not '%s'",
                                          EGOV_CATALOGUE_QUEUE_REGISTER, target);
            entry->channel_register [channel] = target;
        }
        //  Where a result left unclaimed at the State Corporation goes:
        //  back to the provider (the default), or the centre's own archive
        if (json_object_get (object, "unclaimed")) {
            const char *where = egov_regfile_text (reader, object, path, "unclaimed", true);
            if (!where)
                return false;
            if (channel != EGOV_CHANNEL_STATE_CORP)
                return egov_regfile_fail (reader, path, "\"unclaimed\" is for the state-corp channel");
            if (!streq (where, "archive") && !streq (where, "provider"))
                return egov_regfile_fail (reader, path, "\"unclaimed\" must be archive or provider,"
                                          " not '%s'", where);
            entry->unclaimed_archive = streq (where, "archive");
        }
    }
    return true;
}

//  The form: paper and/or electronic.
static bool
s_form (egov_regfile_t *reader, json_t *root, egov_catalogue_entry_t *entry)
{
    json_t *form = egov_regfile_get (reader, root, "$", "form", JSON_OBJECT, true);
    if (!form || !egov_regfile_keys (reader, form, "$.form", "kinds", "source", NULL))
        return false;
    json_t *kinds = egov_regfile_get (reader, form, "$.form", "kinds", JSON_ARRAY, true);
    entry->form_source = kinds ? egov_regfile_text (reader, form, "$.form", "source", true) : NULL;
    if (!entry->form_source)
        return false;
    size_t index;
    json_t *kind;
    json_array_foreach (kinds, index, kind) {
        const char *text = json_is_string (kind) ? json_string_value (kind) : "";
        bool *flag = streq (text, "paper") ? &entry->paper
                   : streq (text, "electronic") ? &entry->electronic : NULL;
        if (!flag || *flag) {
            char path [64];
            snprintf (path, sizeof (path), "$.form.kinds[%zu]", index);
            return egov_regfile_fail (reader, path, "must be paper or electronic, each once");
        }
        *flag = true;
    }
    if (!entry->paper && !entry->electronic)
        return egov_regfile_fail (reader, "$.form", "\"kinds\" must name paper or electronic");
    return true;
}

//  The request form: the fields the applicant fills in, and where they come from.
static bool
s_request_form (egov_regfile_t *reader, json_t *root, egov_catalogue_entry_t *entry)
{
    json_t *object = egov_regfile_get (reader, root, "$", "request_form", JSON_OBJECT, true);
    if (!object || !egov_regfile_keys (reader, object, "$.request_form", "fields", "source",
                                       "assumed", "note", NULL)
    ||  !s_cited (reader, object, "$.request_form", &entry->request_form_source,
                  &entry->request_form_note, &entry->request_form_assumed))
        return false;
    entry->request_form = egov_form_new (reader, object, "$.request_form");
    return entry->request_form != NULL;
}

//  The head of an entry: identity, region, sources, names, provider.
static bool
s_head (egov_regfile_t *reader, json_t *root, egov_catalogue_entry_t *entry)
{
    json_t *format = egov_regfile_get (reader, root, "$", "format", JSON_INTEGER, true);
    if (!format)
        return false;
    if (json_integer_value (format) != 1)
        return egov_regfile_fail (reader, "$.format", "only format 1 is known");
    entry->code = s_code (reader, root, "$", "code");
    json_t *region = entry->code
                   ? egov_regfile_get (reader, root, "$", "region", JSON_OBJECT, true) : NULL;
    if (!region || !egov_regfile_keys (reader, region, "$.region", "kato", "name", NULL))
        return false;
    entry->kato = egov_regfile_text (reader, region, "$.region", "kato", true);
    if (!entry->kato)
        return false;
    if (!egov_kato_valid (entry->kato))
        return egov_regfile_fail (reader, "$.region.kato", "'%s' is not a 9-digit KATO code",
                                  entry->kato);
    if (!egov_regfile_names (reader, region, "$.region", "name", &entry->region))
        return false;
    json_t *source = egov_regfile_get (reader, root, "$", "source", JSON_OBJECT, true);
    if (!source || !egov_regfile_keys (reader, source, "$.source", "seed", "part", "act", NULL))
        return false;
    entry->seed = egov_regfile_text (reader, source, "$.source", "seed", true);
    entry->part = entry->seed ? egov_regfile_text (reader, source, "$.source", "part", true) : NULL;
    entry->act = entry->part ? egov_regfile_text (reader, source, "$.source", "act", true) : NULL;
    if (!entry->act)
        return false;
    //  A seed is named like ../shared/seeds/000_1d830a51bc24ca6d.txt
    size_t length = strlen (entry->seed);
    if (length != 24 || strspn (entry->seed, "0123456789") != 3 || entry->seed [3] != '_'
    ||  strspn (entry->seed + 4, "0123456789abcdef") != 16 || !streq (entry->seed + 20, ".txt"))
        return egov_regfile_fail (reader, "$.source.seed", "'%s' is not a seed file name"
                                  " (NNN_<16 hex>.txt)", entry->seed);
    entry->standard = egov_regfile_text (reader, root, "$", "standard", true);
    if (!entry->standard || !egov_regfile_names (reader, root, "$", "names", &entry->name))
        return false;
    json_t *provider = egov_regfile_get (reader, root, "$", "provider", JSON_OBJECT, true);
    if (!provider || !egov_regfile_keys (reader, provider, "$.provider", "kind", "name", "source", NULL))
        return false;
    entry->provider_kind = egov_regfile_text (reader, provider, "$.provider", "kind", true);
    if (!entry->provider_kind)
        return false;
    if (!s_one_of (entry->provider_kind, s_provider_kinds))
        return egov_regfile_fail (reader, "$.provider", "\"kind\" must be school, leb, preschool"
                                  " or college, not '%s'", entry->provider_kind);
    entry->provider_source = egov_regfile_text (reader, provider, "$.provider", "source", true);
    return entry->provider_source && egov_regfile_names (reader, provider, "$.provider", "name", &entry->provider);
}

//  Checks a parsed file and fills the entry from it.
static bool
s_entry (egov_regfile_t *reader, json_t *root, egov_catalogue_entry_t *entry)
{
    if (!egov_regfile_keys (reader, root, "$", "format", "code", "region", "source", "standard",
                            "names", "provider", "channels", "form", "results",
                            "refusal_grounds", "documents", "steps", "deadline", "max_wait",
                            "max_service", "windows", "request_form", "note", NULL))
        return false;
    if (!s_head (reader, root, entry) || !s_channels (reader, root, entry)
    ||  !s_form (reader, root, entry)
    ||  !s_items (reader, root, "results", "kind", false, &entry->results, &entry->result_count)
    ||  !s_items (reader, root, "refusal_grounds", "code", true, &entry->refusals,
                  &entry->refusal_count)
    ||  !s_items (reader, root, "documents", "type", false, &entry->documents,
                  &entry->document_count)
    ||  !s_steps (reader, root, entry)
    ||  !s_term (reader, root, "$", "deadline", true, &entry->deadline)
    ||  !s_term (reader, root, "$", "max_wait", false, &entry->max_wait)
    ||  !s_term (reader, root, "$", "max_service", false, &entry->max_service)
    ||  !s_windows (reader, root, entry) || !s_request_form (reader, root, entry))
        return false;
    if (json_object_get (root, "note")
    &&  !(entry->note = egov_regfile_text (reader, root, "$", "note", true)))
        return false;
    //  The file's name says what it holds: <code>.<kato>.json
    char expected [CODE_MAX + 20];
    snprintf (expected, sizeof (expected), "%s.%s.json", entry->code, entry->kato);
    const char *base = strrchr (entry->file, '/');
    base = base ? base + 1 : entry->file;
    if (!streq (base, expected))
        return egov_regfile_fail (reader, "$.code", "the file holds %s in %s, so it must be"
                                  " named %s", entry->code, entry->kato, expected);
    return true;
}

//  Frees what an entry allocated (its strings belong to the document).
static void
s_entry_free (egov_catalogue_entry_t *entry)
{
    free (entry->results);
    free (entry->refusals);
    free (entry->documents);
    free (entry->steps);
    free (entry->windows);
    egov_form_destroy (&entry->request_form);
    free ((char *) entry->file);
    memset (entry, 0, sizeof (*entry));
}

//  Orders entries by code, then KATO.
static int
s_compare (const void *left, const void *right)
{
    const egov_catalogue_entry_t *one = left, *two = right;
    int order = strcmp (one->code, two->code);
    return order ? order : strcmp (one->kato, two->kato);
}

//  Orders file names so that errors always name the same file first.
static int
s_compare_names (const void *left, const void *right)
{
    return strcmp (*(char * const *) left, *(char * const *) right);
}

//  The *.json names in a directory, sorted; NULL after setting the error.
static char **
s_files (const char *directory, size_t *count, egov_error_t *error)
{
    DIR *handle = opendir (directory);
    if (!handle) {
        egov_error_set (error, "CATALOGUE_INVALID", "%s: cannot read the directory: %s",
                        directory, strerror (errno));
        return NULL;
    }
    char **names = calloc (ENTRIES_MAX + 1, sizeof (char *));
    assert (names);
    *count = 0;
    struct dirent *item;
    while ((item = readdir (handle))) {
        size_t length = strlen (item->d_name);
        if (item->d_name [0] == '.' || length < 6 || !streq (item->d_name + length - 5, ".json"))
            continue;
        if (*count == ENTRIES_MAX) {
            egov_error_set (error, "CATALOGUE_INVALID", "%s: more than %d files",
                            directory, ENTRIES_MAX);
            break;
        }
        int rc = asprintf (names + (*count)++, "%s/%s", directory, item->d_name);
        assert (rc > 0);
    }
    closedir (handle);
    if (*count == 0 && !error->code [0])
        egov_error_set (error, "CATALOGUE_INVALID", "%s: no <code>.<kato>.json file", directory);
    if (error->code [0]) {
        for (size_t index = 0; index < *count; index++)
            free (names [index]);
        free (names);
        return NULL;
    }
    qsort (names, *count, sizeof (char *), s_compare_names);
    return names;
}

egov_catalogue_t *
egov_catalogue_new (const char *directory, egov_error_t *error)
{
    assert (directory && error);
    egov_error_set (error, "", "%s", "");
    size_t count = 0;
    char **names = s_files (directory, &count, error);
    if (!names)
        return NULL;
    egov_catalogue_t *self = calloc (1, sizeof (egov_catalogue_t));
    assert (self);
    self->entries = calloc (count, sizeof (egov_catalogue_entry_t));
    assert (self->entries);
    self->strings = egov_strings_new ();
    bool loaded = true;
    for (size_t index = 0; index < count && loaded; index++) {
        egov_catalogue_entry_t *entry = self->entries + self->size++;
        entry->file = names [index];
        names [index] = NULL;           //  the entry owns it now
        egov_regfile_t reader = { entry->file, "CATALOGUE_INVALID", error, self->strings };
        json_t *document = NULL;
        loaded = egov_regfile_load (&reader, entry->file, &document)
              && s_entry (&reader, document, entry);
        json_decref (document);
    }
    for (size_t index = 0; index < count; index++)
        free (names [index]);
    free (names);
    if (!loaded) {
        egov_catalogue_destroy (&self);
        return NULL;
    }
    qsort (self->entries, self->size, sizeof (egov_catalogue_entry_t), s_compare);
    return self;
}

int
egov_regulations_load (const char *directory, egov_calendar_t **calendar,
                       egov_catalogue_t **catalogue, egov_error_t *error)
{
    assert (directory && calendar && catalogue);
    char path [PATH_MAX];
    snprintf (path, sizeof (path), "%s/calendar/kz.json", directory);
    *calendar = egov_calendar_new (path, error);
    snprintf (path, sizeof (path), "%s/catalogue", directory);
    *catalogue = *calendar ? egov_catalogue_new (path, error) : NULL;
    if (*catalogue)
        return 0;
    egov_calendar_destroy (calendar);
    return -1;
}

void
egov_catalogue_destroy (egov_catalogue_t **self_p)
{
    assert (self_p);
    egov_catalogue_t *self = *self_p;
    if (!self)
        return;
    for (size_t index = 0; index < self->size; index++)
        s_entry_free (self->entries + index);
    free (self->entries);
    egov_strings_destroy (&self->strings);
    free (self);
    *self_p = NULL;
}

json_t *
egov_catalogue_entry_json (const egov_catalogue_entry_t *entry, egov_error_t *error)
{
    assert (entry && error);
    egov_regfile_t reader = { entry->file, "CATALOGUE_INVALID", error };
    json_t *document = NULL;
    egov_regfile_load (&reader, entry->file, &document);
    return document;
}

size_t
egov_catalogue_size (egov_catalogue_t *self)
{
    return self->size;
}

const egov_catalogue_entry_t *
egov_catalogue_entry (egov_catalogue_t *self, size_t index)
{
    return index < self->size ? self->entries + index : NULL;
}

const egov_catalogue_entry_t *
egov_catalogue_find (egov_catalogue_t *self, const char *code, const char *kato)
{
    if (!code)
        return NULL;
    if (!kato && egov_catalogue_variants (self, code) != 1)
        return NULL;
    for (size_t index = 0; index < self->size; index++)
        if (streq (self->entries [index].code, code)
        &&  (!kato || streq (self->entries [index].kato, kato)))
            return self->entries + index;
    return NULL;
}

size_t
egov_catalogue_variants (egov_catalogue_t *self, const char *code)
{
    size_t count = 0;
    for (size_t index = 0; index < self->size; index++)
        if (code && streq (self->entries [index].code, code))
            count++;
    return count;
}

bool
egov_kato_valid (const char *text)
{
    return text && strlen (text) == 9 && strspn (text, "0123456789") == 9;
}

bool
egov_catalogue_form_known (const egov_catalogue_entry_t *entry, const char *form)
{
    for (size_t index = 0; form && index < entry->window_count; index++)
        if (entry->windows [index].form && streq (entry->windows [index].form, form))
            return true;
    return false;
}

bool
egov_catalogue_window_enforced (const egov_catalogue_window_t *window)
{
    return window->source != NULL;
}

//  True when month-day lies in [from, to]; a window may run over New Year.
static bool
s_inside (const egov_catalogue_window_t *window, int month, int day)
{
    int at = month * 100 + day;
    int from = window->from_month * 100 + window->from_day;
    int to = window->to_month * 100 + window->to_day;
    return from <= to ? at >= from && at <= to : at >= from || at <= to;
}

bool
egov_catalogue_window_open (const egov_catalogue_entry_t *entry, const char *form,
                            int month, int day, const egov_catalogue_window_t **window)
{
    const egov_catalogue_window_t *first = NULL;
    for (size_t index = 0; index < entry->window_count; index++) {
        const egov_catalogue_window_t *candidate = entry->windows + index;
        if (candidate->kind != EGOV_WINDOW_APPLICATION || !egov_catalogue_window_enforced (candidate)
        ||  (candidate->form && (!form || !streq (candidate->form, form))))
            continue;
        if (s_inside (candidate, month, day)) {
            if (window)
                *window = candidate;
            return true;
        }
        if (!first)
            first = candidate;
    }
    if (window)
        *window = first;
    return first == NULL;
}

//  ---------------------------------------------------------------------
//  Selftest

//  The catalogue directory the tests use: $EGOV_REGULATIONS or the repository's.
static char *
s_test_directory (void)
{
    char *directory;
    int rc = asprintf (&directory, "%s/catalogue", egov_env ("EGOV_REGULATIONS", "regulations"));
    assert (rc > 0);
    return directory;
}

//  Copies file from the real catalogue into directory with one change at a
//  dotted path ("steps.2.max"; NULL value deletes), loads the directory and
//  returns the error message, "" when it loaded.
static const char *
s_broken (const char *real, const char *directory, const char *name, const char *change,
          json_t *value, egov_error_t *error)
{
    char source [300], target [300];
    snprintf (source, sizeof (source), "%s/%s", real, name);
    snprintf (target, sizeof (target), "%s/%s", directory, name);
    json_error_t problem;
    json_t *root = json_load_file (source, JSON_PRESERVE_ORDER, &problem);
    assert (root);
    char *path = strdup (change);
    assert (path);
    json_t *parent = root;
    char *key = path;
    for (char *dot = strchr (key, '.'); dot; dot = strchr (key, '.')) {
        *dot = 0;
        parent = json_is_array (parent) ? json_array_get (parent, (size_t) atoi (key))
                                        : json_object_get (parent, key);
        assert (parent);
        key = dot + 1;
    }
    if (json_is_array (parent))
        json_array_set_new (parent, (size_t) atoi (key), value);
    else
    if (value)
        json_object_set_new (parent, key, value);
    else
        json_object_del (parent, key);
    free (path);
    int rc = json_dump_file (root, target, JSON_INDENT (2) | JSON_PRESERVE_ORDER);
    assert (rc == 0);
    json_decref (root);
    egov_catalogue_t *catalogue = egov_catalogue_new (directory, error);
    if (catalogue)
        error->message [0] = 0;
    egov_catalogue_destroy (&catalogue);
    remove (target);
    return error->message;
}

//  Whether applications for the form are open on month-day.
static bool
s_open (const egov_catalogue_entry_t *entry, const char *form, int month, int day)
{
    return egov_catalogue_window_open (entry, form, month, day, NULL);
}

egov_channel_t
egov_catalogue_term_schedule (const egov_catalogue_entry_t *entry, egov_channel_t channel)
{
    assert (entry);
    bool known = channel >= 0 && channel < EGOV_CHANNEL_COUNT;
    return known && entry->channel_register [channel] ? channel : EGOV_CHANNEL_OFFICE;
}

void
egov_catalogue_test (bool verbose)
{
    if (verbose)
        printf (" * egov_catalogue: ");

    assert (egov_kato_valid ("750000000"));
    assert (!egov_kato_valid ("75000000") && !egov_kato_valid ("75000000x"));
    assert (!egov_kato_valid ("") && !egov_kato_valid (NULL));

    char *real = s_test_directory ();
    egov_error_t error;
    egov_catalogue_t *catalogue = egov_catalogue_new (real, &error);
    if (!catalogue)
        zsys_error ("egov_catalogue: %s", error.message);
    assert (catalogue);

    //  Every service of the seeds, in every region the seeds give it
    const char *variants [][2] = {
        { "externat-permit", "230000000" }, { "externat-permit", "750000000" },
        { "kindergarten-queue", "230000000" }, { "kindergarten-queue", "430000000" },
        { "preschool-admission", "230000000" }, { "preschool-admission", "430000000" },
        { "school-admission", "230000000" }, { "school-admission", "750000000" },
        { "school-duplicate", "230000000" }, { "school-duplicate", "750000000" },
        { "tvet-admission", "270000000" }, { "tvet-dormitory", "270000000" },
        { "tvet-duplicate", "270000000" }, { "tvet-order-competition", "750000000" },
    };
    size_t count = sizeof (variants) / sizeof (variants [0]);
    assert (egov_catalogue_size (catalogue) == count);
    for (size_t index = 0; index < count; index++) {
        const egov_catalogue_entry_t *entry = egov_catalogue_entry (catalogue, index);
        //  Sorted by code and KATO, as listed above
        assert (streq (entry->code, variants [index][0]) && streq (entry->kato, variants [index][1]));
        assert (egov_catalogue_find (catalogue, entry->code, entry->kato) == entry);
        assert (entry->deadline.set && entry->step_count > 0 && entry->document_count > 0);
        assert (entry->name.kk && entry->name.ru && entry->name.en && entry->seed);
        //  Every entry says its request form; the plain one is a free note
        assert (entry->request_form && egov_form_size (entry->request_form) > 0);
        assert (entry->request_form_assumed && entry->request_form_note);
    }
    assert (egov_catalogue_entry (catalogue, count) == NULL);

    //  Externat in Almaty, seed 000: 15 wd from item 11 1), State Corporation and portal
    const egov_catalogue_entry_t *externat = egov_catalogue_find (catalogue, "externat-permit",
                                                                  "750000000");
    char text [32];
    assert (streq (egov_duration_format (externat->deadline.max, text, sizeof (text)), "15wd"));
    assert (!externat->deadline.assumed && streq (externat->deadline.source, "item 11 1)"));
    assert (streq (externat->seed, "000_1d830a51bc24ca6d.txt"));
    assert (!externat->channels [EGOV_CHANNEL_OFFICE] && externat->channels [EGOV_CHANNEL_STATE_CORP]
            && externat->channels [EGOV_CHANNEL_PORTAL]);
    assert (externat->step_count == 4 && streq (externat->steps [2].role, "executor")
            && externat->steps [2].term.max.amount == 14
            && externat->steps [2].term.max.unit == EGOV_UNIT_WORKING_DAYS);
    assert (streq (externat->provider_kind, "leb") && externat->paper && externat->electronic);
    assert (externat->refusal_count == 3 && streq (externat->refusals [0].code, "incomplete-package"));
    assert (externat->documents [0].assumed && externat->documents [0].note);
    assert (externat->max_wait.set && externat->max_service.set);
    //  The entry keeps its texts, not the parsed file; --json reads the file again
    json_t *document = egov_catalogue_entry_json (externat, &error);
    assert (document && streq (json_string_value (json_object_get (document, "code")),
                               "externat-permit"));
    json_decref (document);
    //  Atyrau's variant: office only, and its overall term is ours, marked so
    const egov_catalogue_entry_t *atyrau = egov_catalogue_find (catalogue, "externat-permit",
                                                                "230000000");
    assert (atyrau && atyrau != externat && atyrau->deadline.assumed && atyrau->deadline.note);
    assert (atyrau->channels [EGOV_CHANNEL_OFFICE] && !atyrau->channels [EGOV_CHANNEL_PORTAL]);
    assert (!atyrau->max_wait.set);
    //  Seed 004: the desk and the portal send the kindergarten queue to the
    //  register itself; the office's executor still registers the child
    const egov_catalogue_entry_t *kyzylorda = egov_catalogue_find (catalogue, "kindergarten-queue",
                                                                   "430000000");
    assert (kyzylorda && streq (kyzylorda->channel_register [EGOV_CHANNEL_PORTAL], "queue")
            && streq (kyzylorda->channel_register [EGOV_CHANNEL_STATE_CORP], "queue")
            && !kyzylorda->channel_register [EGOV_CHANNEL_OFFICE]);
    assert (!externat->channel_register [EGOV_CHANNEL_PORTAL]);
    //  Seed 001 item 8 7): Atyrau's centre keeps an unclaimed result in its archive
    assert (egov_catalogue_find (catalogue, "school-duplicate", "230000000")->unclaimed_archive);
    assert (!egov_catalogue_find (catalogue, "school-duplicate", "750000000")->unclaimed_archive);
    assert (egov_catalogue_term_schedule (kyzylorda, EGOV_CHANNEL_STATE_CORP) == EGOV_CHANNEL_STATE_CORP);
    assert (egov_catalogue_term_schedule (kyzylorda, EGOV_CHANNEL_OFFICE) == EGOV_CHANNEL_OFFICE);
    assert (egov_catalogue_term_schedule (externat, EGOV_CHANNEL_PORTAL) == EGOV_CHANNEL_OFFICE);
    assert (!egov_catalogue_find (catalogue, "kindergarten-queue", "230000000")
                ->channel_register [EGOV_CHANNEL_STATE_CORP]);
    //  Without a region: only a code with one variant is found
    assert (egov_catalogue_variants (catalogue, "externat-permit") == 2);
    assert (egov_catalogue_find (catalogue, "externat-permit", NULL) == NULL);
    assert (egov_catalogue_find (catalogue, "tvet-admission", NULL));
    assert (egov_catalogue_find (catalogue, "tvet-admission", "750000000") == NULL);
    assert (egov_catalogue_find (catalogue, "no-such-service", NULL) == NULL);
    assert (egov_catalogue_variants (catalogue, "no-such-service") == 0);

    //  Request forms: the externat's names the child, the others a note
    const egov_form_t *form = externat->request_form;
    assert (egov_form_size (form) == 5 && streq (egov_form_child (form)->key, "child_iin"));
    assert (egov_form_field (form, 1)->kind == EGOV_FIELD_INTEGER && egov_form_field (form, 1)->max == 11);
    assert (egov_form_field (form, 0)->label.kk && egov_form_field (form, 0)->label.ru);
    form = egov_catalogue_find (catalogue, "tvet-dormitory", NULL)->request_form;
    assert (egov_form_size (form) == 1 && streq (egov_form_field (form, 0)->key, "note")
            && !egov_form_field (form, 0)->required && !egov_form_child (form));
    form = egov_catalogue_find (catalogue, "school-admission", "750000000")->request_form;
    assert (egov_form_field (form, 1)->study_form && egov_form_field (form, 1)->choice_count == 3);

    //  Windows: applications by 1 December, TVET by study form, first grade
    assert (s_open (externat, NULL, 9, 1) && s_open (externat, NULL, 12, 1));
    assert (!s_open (externat, NULL, 12, 2) && !s_open (externat, NULL, 8, 31));
    assert (s_open (externat, "any-form", 11, 15));
    const egov_catalogue_entry_t *tvet = egov_catalogue_find (catalogue, "tvet-admission", NULL);
    assert (s_open (tvet, "full-time", 6, 20) && s_open (tvet, "full-time", 8, 20));
    assert (!s_open (tvet, "full-time", 6, 19) && !s_open (tvet, "full-time", 8, 21));
    assert (s_open (tvet, "evening", 9, 20) && !s_open (tvet, "evening", 9, 21));
    assert (s_open (tvet, "extramural", 9, 1));
    const egov_catalogue_window_t *window = NULL;
    assert (!egov_catalogue_window_open (tvet, "full-time", 9, 1, &window));
    assert (window && streq (window->form, "full-time") && window->to_month == 8
            && window->to_day == 20 && streq (window->source, "item 5 1)"));
    assert (egov_catalogue_window_open (tvet, "evening", 9, 1, &window)
            && streq (window->form, "evening"));
    assert (egov_catalogue_form_known (tvet, "extramural") && !egov_catalogue_form_known (tvet, "day"));
    const egov_catalogue_entry_t *school = egov_catalogue_find (catalogue, "school-admission",
                                                                "750000000");
    assert (s_open (school, "first-grade", 6, 1) && s_open (school, "first-grade", 8, 30));
    assert (!s_open (school, "first-grade", 5, 31) && !s_open (school, "first-grade", 8, 31));
    //  Result windows do not close applications
    assert (s_open (school, "day", 9, 15) && egov_catalogue_form_known (school, "day"));
    //  A window the region's seed does not state (Atyrau's, borrowed from Almaty's seed)
    //  is shown but refuses nobody
    const egov_catalogue_entry_t *atyrau_school = egov_catalogue_find (catalogue, "school-admission",
                                                                      "230000000");
    assert (atyrau_school && atyrau_school->window_count > 0
            && !egov_catalogue_window_enforced (atyrau_school->windows));
    assert (s_open (atyrau_school, "first-grade", 10, 1) && s_open (atyrau_school, "first-grade", 6, 1));
    const egov_catalogue_entry_t *atyrau_externat = egov_catalogue_find (catalogue, "externat-permit",
                                                                        "230000000");
    assert (s_open (atyrau_externat, NULL, 3, 20) && s_open (atyrau_externat, NULL, 9, 1));
    assert (egov_catalogue_window_enforced (school->windows));
    const egov_catalogue_entry_t *dormitory = egov_catalogue_find (catalogue, "tvet-dormitory", NULL);
    assert (dormitory->window_count == 0 && egov_catalogue_window_open (dormitory, NULL, 1, 1, &window)
            && window == NULL);

    //  Broken files: the error names the file and the field
    char directory [] = "/tmp/egov-catalogue-test.XXXXXX";
    assert (mkdtemp (directory));
    const char *name = "externat-permit.750000000.json";
    assert (streq (s_broken (real, directory, name, "format", json_integer (1), &error), ""));
    assert (strstr (s_broken (real, directory, name, "steps.2.max", json_string ("14 wd"), &error),
                    "externat-permit.750000000.json: $.steps[2]: \"max\" '14 wd' is not a duration"));
    assert (streq (error.code, "CATALOGUE_INVALID"));
    assert (strstr (s_broken (real, directory, name, "channels.0.channel", json_string ("fax"), &error),
                    "$.channels[0]: \"channel\" must be office, state-corp or portal, not 'fax'"));
    assert (strstr (s_broken (real, directory, name, "channels.0.register", json_string ("gbdfl"), &error),
                    "\"register\" must be queue"));
    assert (strstr (s_broken (real, directory, name, "channels.0.unclaimed", json_string ("shred"), &error),
                    "\"unclaimed\" must be archive or provider"));
    assert (strstr (s_broken (real, directory, name, "deadline", NULL, &error),
                    "$: the field \"deadline\" is missing"));
    assert (strstr (s_broken (real, directory, name, "documents.0.note", NULL, &error),
                    "$.documents[0]: an assumed fact needs a \"note\""));
    assert (strstr (s_broken (real, directory, name, "steps.0.source", NULL, &error),
                    "$.steps[0]: cite the seed item"));
    assert (strstr (s_broken (real, directory, name, "steps.1.role", json_string ("boss"), &error),
                    "$.steps[1]: \"role\" must be clerk, head or executor"));
    assert (strstr (s_broken (real, directory, name, "region.kato", json_string ("75000000"), &error),
                    "$.region.kato: '75000000' is not a 9-digit KATO code"));
    assert (strstr (s_broken (real, directory, name, "code", json_string ("externat"), &error),
                    "must be named externat.750000000.json"));
    assert (strstr (s_broken (real, directory, name, "deadlines", json_object (), &error),
                    "$: unknown field \"deadlines\""));
    assert (strstr (s_broken (real, directory, name, "windows.0.to", json_string ("12-32"), &error),
                    "$.windows[0]: \"to\" must be \"MM-DD\", not '12-32'"));
    assert (strstr (s_broken (real, directory, name, "names.en", json_integer (7), &error),
                    "$.names: \"en\" must be a string, not an integer"));
    assert (strstr (s_broken (real, directory, name, "form.kinds", json_pack ("[s]", "fax"), &error),
                    "$.form.kinds[0]: must be paper or electronic"));
    assert (strstr (s_broken (real, directory, name, "source.seed", json_string ("000.txt"), &error),
                    "$.source.seed: '000.txt' is not a seed file name"));
    //  A malformed request form refuses the catalogue too
    assert (strstr (s_broken (real, directory, name, "request_form", NULL, &error),
                    "$: the field \"request_form\" is missing"));
    assert (strstr (s_broken (real, directory, name, "request_form.fields.1.kind",
                              json_string ("number"), &error),
                    "$.request_form.fields[1]: \"kind\" must be text, integer, choice, date, iin"));
    assert (strstr (s_broken (real, directory, name, "request_form.fields.3.choices", NULL, &error),
                    "$.request_form.fields[3]: a field of kind choice needs \"choices\""));
    assert (strstr (s_broken (real, directory, name, "request_form.fields.2.key",
                              json_string ("grade"), &error),
                    "$.request_form.fields[2]: key 'grade' is listed twice"));
    assert (strstr (s_broken (real, directory, name, "request_form.fields.1.min", json_integer (12),
                              &error), "$.request_form.fields[1]: \"min\" 12 is above \"max\" 11"));
    assert (strstr (s_broken (real, directory, name, "request_form.fields.0.hint", json_string ("x"),
                              &error), "$.request_form.fields[0]: unknown field \"hint\""));
    assert (strstr (s_broken (real, directory, name, "request_form.note", NULL, &error),
                    "$.request_form: an assumed fact needs a \"note\""));
    char file [300];
    snprintf (file, sizeof (file), "%s/%s", directory, name);
    FILE *handle = fopen (file, "w");
    assert (handle);
    fputs ("{\n  \"format\": 1,\n  \"code\": \"externat-permit\"\n  \"region\": {}\n}\n", handle);
    fclose (handle);
    assert (!egov_catalogue_new (directory, &error));
    assert (strstr (error.message, "externat-permit.750000000.json: $: not valid JSON at line 4"));
    remove (file);
    //  An empty or missing directory is an error too
    assert (!egov_catalogue_new (directory, &error) && strstr (error.message, "no <code>.<kato>.json"));
    rmdir (directory);
    assert (!egov_catalogue_new (directory, &error) && strstr (error.message, "cannot read"));

    egov_catalogue_destroy (&catalogue);
    egov_catalogue_destroy (&catalogue);
    assert (catalogue == NULL);
    free (real);
    if (verbose)
        printf ("OK\n");
}
