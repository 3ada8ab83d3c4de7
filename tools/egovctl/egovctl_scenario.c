/*  egovctl_scenario — `scenario run FILE... [--junit OUT.xml]`: runs scenario
    files (YAML through libyaml, or JSON) against a running system. A scenario
    is a list of steps, each one of:

      http     a call to the desk's or the portal's HTTP API (libcurl)
      sign     a document signed with a certificate of the test CA
      clock    the simulation clock set to a working day found from the
               simulated today (so a scenario never names a date)
      egovctl  any egovctl command (clock advance --settle, wait, trace,
               fault ...), run as a child process of this same binary

    with `expect` (HTTP status, JSON fields, regular expressions, exit code,
    output) and `save` (values kept as ${variables} for later steps). A
    scenario stops at its first failing step; the rest are reported skipped.
    Results go to stdout as one line per step and, with --junit, to a JUnit
    XML file that CI tools read. docs/scenarios.md is the format.          */
#include "egovctl.h"
#include "egov_calendar.h"
#include <yaml.h>
#include <curl/curl.h>
#include <regex.h>
#include <spawn.h>
#include <sys/wait.h>
#include <openssl/evp.h>

#define s_FILE_MAX          (1024 * 1024)       //  a scenario file
#define s_NODES_MAX         100000              //  YAML nodes converted (aliases multiply them)
#define s_DEPTH_MAX         32                  //  nesting
#define s_BODY_MAX          (16 * 1024 * 1024)  //  an HTTP answer we keep
#define s_OUTPUT_MAX        (4 * 1024 * 1024)   //  a child egovctl's output we keep
#define s_PROBLEM_MAX       1024

extern char **environ;

//  What one step came to.
typedef struct {
    char *name;
    char problem [s_PROBLEM_MAX];   //  "" when it passed
    bool skipped;                   //  not run: an earlier step failed
    double seconds;
} s_step_t;

//  One scenario file's run.
typedef struct {
    char *path;
    char *name;
    zlistx_t *steps;                //  s_step_t
    double seconds;
    size_t failed, skipped;
} s_suite_t;

typedef struct {
    egovctl_t *ctl;
    char desk [512], portal [512];  //  base URLs
    char pki [4096];
    char regulations [4096];
    char binary [4096];             //  this egovctl, for the egovctl steps
    egov_calendar_t *calendar;      //  loaded by the first clock step
    json_t *vars;                   //  the scenario's ${variables}
    CURL *curl;
} s_runner_t;

static void
s_step_destroy (s_step_t **self_p)
{
    if (*self_p) {
        free ((*self_p)->name);
        free (*self_p);
        *self_p = NULL;
    }
}

static void
s_suite_destroy (s_suite_t **self_p)
{
    s_suite_t *self = *self_p;
    if (self) {
        zlistx_destroy (&self->steps);
        free (self->path);
        free (self->name);
        free (self);
        *self_p = NULL;
    }
}

//  ---------------------------------------------------------------------
//  Loading: YAML (or JSON) into one JSON document

typedef struct {
    yaml_document_t *document;
    size_t nodes;
    char *problem;
} s_yaml_t;

//  A plain YAML scalar as the JSON it spells: true, false, null, an integer;
//  anything else, and every quoted scalar, is a string.
static json_t *
s_yaml_scalar (const yaml_node_t *node)
{
    const char *text = (const char *) node->data.scalar.value;
    size_t length = node->data.scalar.length;
    if (node->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
        if (streq (text, "true"))
            return json_true ();
        if (streq (text, "false"))
            return json_false ();
        if (streq (text, "null") || streq (text, "~") || length == 0)
            return json_null ();
        char *end = NULL;
        errno = 0;
        long long number = strtoll (text, &end, 10);
        if (errno == 0 && end != text && *end == 0 && (isdigit ((unsigned char) text [0]) || text [0] == '-'))
            return json_integer (number);
    }
    return json_stringn (text, length);         //  NULL when not UTF-8
}

static json_t *
s_yaml_node (s_yaml_t *self, yaml_node_t *node, int depth)
{
    if (!node) {
        snprintf (self->problem, s_PROBLEM_MAX, "a node of the document is missing");
        return NULL;
    }
    if (depth > s_DEPTH_MAX || ++self->nodes > s_NODES_MAX) {
        snprintf (self->problem, s_PROBLEM_MAX, "nested deeper than %d or more than %d values (aliases count)",
                  s_DEPTH_MAX, s_NODES_MAX);
        return NULL;
    }
    if (node->type == YAML_SCALAR_NODE) {
        json_t *value = s_yaml_scalar (node);
        if (!value)
            snprintf (self->problem, s_PROBLEM_MAX, "line %zu: text that is not UTF-8",
                      node->start_mark.line + 1);
        return value;
    }
    if (node->type == YAML_SEQUENCE_NODE) {
        json_t *array = json_array ();
        for (yaml_node_item_t *item = node->data.sequence.items.start;
             item < node->data.sequence.items.top; item++) {
            json_t *value = s_yaml_node (self, yaml_document_get_node (self->document, *item), depth + 1);
            if (!value) {
                json_decref (array);
                return NULL;
            }
            json_array_append_new (array, value);
        }
        return array;
    }
    if (node->type == YAML_MAPPING_NODE) {
        json_t *object = json_object ();
        for (yaml_node_pair_t *pair = node->data.mapping.pairs.start;
             pair < node->data.mapping.pairs.top; pair++) {
            yaml_node_t *key = yaml_document_get_node (self->document, pair->key);
            if (!key || key->type != YAML_SCALAR_NODE) {
                snprintf (self->problem, s_PROBLEM_MAX, "line %zu: a key must be plain text",
                          node->start_mark.line + 1);
                json_decref (object);
                return NULL;
            }
            const char *name = (const char *) key->data.scalar.value;
            if (json_object_get (object, name)) {
                snprintf (self->problem, s_PROBLEM_MAX, "line %zu: key '%.64s' given twice",
                          key->start_mark.line + 1, name);
                json_decref (object);
                return NULL;
            }
            json_t *value = s_yaml_node (self, yaml_document_get_node (self->document, pair->value), depth + 1);
            if (!value) {
                json_decref (object);
                return NULL;
            }
            json_object_set_new (object, name, value);
        }
        return object;
    }
    snprintf (self->problem, s_PROBLEM_MAX, "an empty node");
    return NULL;
}

//  The scenario file as JSON, or NULL with problem set.
static json_t *
s_load (const char *path, char *problem)
{
    struct stat info;
    if (stat (path, &info) != 0) {
        snprintf (problem, s_PROBLEM_MAX, "cannot read %s: %s", path, strerror (errno));
        return NULL;
    }
    if (!S_ISREG (info.st_mode) || info.st_size > s_FILE_MAX) {
        snprintf (problem, s_PROBLEM_MAX, "%s is not a file of at most 1 MiB", path);
        return NULL;
    }
    size_t length = strlen (path);
    if (length > 5 && streq (path + length - 5, ".json")) {
        json_error_t error;
        json_t *document = json_load_file (path, JSON_REJECT_DUPLICATES, &error);
        if (!document)
            snprintf (problem, s_PROBLEM_MAX, "%s line %d: %s", path, error.line, error.text);
        return document;
    }
    FILE *file = fopen (path, "rb");
    if (!file) {
        snprintf (problem, s_PROBLEM_MAX, "cannot read %s: %s", path, strerror (errno));
        return NULL;
    }
    yaml_parser_t parser;
    yaml_document_t document;
    yaml_parser_initialize (&parser);
    yaml_parser_set_input_file (&parser, file);
    json_t *result = NULL;
    if (!yaml_parser_load (&parser, &document))
        snprintf (problem, s_PROBLEM_MAX, "%s line %zu: %s", path, parser.problem_mark.line + 1,
                  parser.problem ? parser.problem : "not YAML");
    else {
        s_yaml_t converter = { &document, 0, problem };
        yaml_node_t *root = yaml_document_get_root_node (&document);
        if (!root)
            snprintf (problem, s_PROBLEM_MAX, "%s is empty", path);
        else
            result = s_yaml_node (&converter, root, 0);
        yaml_document_delete (&document);
    }
    yaml_parser_delete (&parser);
    fclose (file);
    return result;
}

//  ---------------------------------------------------------------------
//  ${variables}

//  text with every ${name} replaced by the variable's value (a string as it
//  is, anything else as compact JSON); NULL with problem for an unknown one.
static char *
s_expand_text (s_runner_t *self, const char *text, char *problem)
{
    zchunk_t *out = zchunk_new (NULL, strlen (text) + 1);
    const char *cursor = text;
    while (*cursor) {
        const char *open = strstr (cursor, "${");
        const char *close = open ? strchr (open, '}') : NULL;
        if (!open || !close) {
            zchunk_extend (out, cursor, strlen (cursor));
            break;
        }
        zchunk_extend (out, cursor, (size_t) (open - cursor));
        char name [128];
        size_t length = (size_t) (close - open - 2);
        if (length == 0 || length >= sizeof (name)) {
            snprintf (problem, s_PROBLEM_MAX, "'%.80s' is not a variable", open);
            zchunk_destroy (&out);
            return NULL;
        }
        memcpy (name, open + 2, length);
        name [length] = 0;
        json_t *value = json_object_get (self->vars, name);
        if (!value) {
            snprintf (problem, s_PROBLEM_MAX, "${%s} was never saved by an earlier step", name);
            zchunk_destroy (&out);
            return NULL;
        }
        if (json_is_string (value))
            zchunk_extend (out, json_string_value (value), json_string_length (value));
        else {
            char *dumped = json_dumps (value, JSON_COMPACT | JSON_ENCODE_ANY);
            zchunk_extend (out, dumped, strlen (dumped));
            free (dumped);
        }
        cursor = close + 1;
    }
    zchunk_extend (out, "", 1);
    char *result = strdup ((char *) zchunk_data (out));
    zchunk_destroy (&out);
    return result;
}

//  A copy of value with the variables expanded in every string; a string
//  that is exactly "${name}" becomes the variable's value itself (a number
//  stays a number). NULL with problem set.
static json_t *
s_expand (s_runner_t *self, json_t *value, char *problem)
{
    if (json_is_string (value)) {
        const char *text = json_string_value (value);
        size_t length = strlen (text);
        if (length > 3 && strncmp (text, "${", 2) == 0 && text [length - 1] == '}'
        &&  !strchr (text + 2, '$') && strchr (text, '}') == text + length - 1) {
            char name [128];
            snprintf (name, sizeof (name), "%.*s", (int) (length - 3), text + 2);
            json_t *saved = json_object_get (self->vars, name);
            if (saved)
                return json_incref (saved);
        }
        char *expanded = s_expand_text (self, text, problem);
        json_t *result = expanded ? json_string (expanded) : NULL;
        free (expanded);
        return result;
    }
    if (json_is_array (value)) {
        json_t *copy = json_array ();
        size_t index;
        json_t *item;
        json_array_foreach (value, index, item) {
            json_t *expanded = s_expand (self, item, problem);
            if (!expanded) {
                json_decref (copy);
                return NULL;
            }
            json_array_append_new (copy, expanded);
        }
        return copy;
    }
    if (json_is_object (value)) {
        json_t *copy = json_object ();
        const char *key;
        json_t *item;
        json_object_foreach (value, key, item) {
            json_t *expanded = s_expand (self, item, problem);
            if (!expanded) {
                json_decref (copy);
                return NULL;
            }
            json_object_set_new (copy, key, expanded);
        }
        return copy;
    }
    return json_incref (value);
}

//  The value at a dotted path ("result.document.kind", "documents.0.type";
//  "" is the whole document), borrowed, or NULL.
static json_t *
s_path_get (json_t *document, const char *path)
{
    json_t *value = document;
    char *copy = strdup (path);
    char *rest = copy;
    for (char *part = strsep (&rest, "."); part && value; part = strsep (&rest, ".")) {
        if (!*part)
            continue;
        if (json_is_array (value)) {
            char *end = NULL;
            long index = strtol (part, &end, 10);
            value = *end == 0 && index >= 0 ? json_array_get (value, (size_t) index) : NULL;
        }
        else
            value = json_object_get (value, part);
    }
    free (copy);
    return value;
}

//  A value as text for messages and regular expressions.
static char *
s_text_of (json_t *value)
{
    if (!value)
        return strdup ("(absent)");
    if (json_is_string (value))
        return strdup (json_string_value (value));
    return json_dumps (value, JSON_COMPACT | JSON_ENCODE_ANY);
}

//  True when text matches the extended regular expression pattern (^ and $
//  also at line ends, . not across them); false
//  with problem for a pattern that does not compile.
static bool
s_matches (const char *pattern, const char *text, bool *valid, char *problem)
{
    regex_t regex;
    int code = regcomp (&regex, pattern, REG_EXTENDED | REG_NOSUB | REG_NEWLINE);
    *valid = code == 0;
    if (!*valid) {
        char reason [128];
        regerror (code, &regex, reason, sizeof (reason));
        snprintf (problem, s_PROBLEM_MAX, "the pattern '%.200s' does not compile: %s", pattern, reason);
        return false;
    }
    bool matched = regexec (&regex, text, 0, NULL, 0) == 0;
    regfree (&regex);
    return matched;
}

//  ---------------------------------------------------------------------
//  Steps

//  A step's keys must be ours (deny by default: a typo is an error, not a
//  check that never runs). NULL when they are, else the first stranger.
static const char *
s_stranger (json_t *object, const char *const *allowed)
{
    const char *key;
    json_t *value;
    json_object_foreach (object, key, value) {
        bool known = false;
        for (const char *const *name = allowed; *name && !known; name++)
            known = streq (*name, key);
        if (!known)
            return key;
    }
    return NULL;
}

//  Saves save's {variable: path} from document (paths as s_path_get).
static bool
s_save (s_runner_t *self, json_t *save, json_t *document, char *problem)
{
    const char *name;
    json_t *path;
    json_object_foreach (save, name, path) {
        json_t *value = json_is_string (path) ? s_path_get (document, json_string_value (path)) : NULL;
        if (!value) {
            snprintf (problem, s_PROBLEM_MAX, "save %s: nothing at '%s'", name,
                      json_is_string (path) ? json_string_value (path) : "?");
            return false;
        }
        json_object_set (self->vars, name, value);
    }
    return true;
}

static size_t
s_collect (char *data, size_t size, size_t count, void *argument)
{
    zchunk_t *body = (zchunk_t *) argument;
    size_t bytes = size * count;
    if (zchunk_size (body) + bytes > s_BODY_MAX)
        return 0;                               //  curl stops: too large
    zchunk_extend (body, data, bytes);
    return bytes;
}

//  http: {to: desk|portal, method, path, body, token, headers}
static bool
s_step_http (s_runner_t *self, json_t *spec, json_t *expect, json_t *save, char *problem)
{
    static const char *const keys [] = { "to", "method", "path", "body", "token", "headers", NULL };
    const char *stranger = s_stranger (spec, keys);
    if (stranger) {
        snprintf (problem, s_PROBLEM_MAX, "http: unknown key '%s'", stranger);
        return false;
    }
    const char *to = json_string_value (json_object_get (spec, "to"));
    const char *method = json_string_value (json_object_get (spec, "method"));
    const char *path = json_string_value (json_object_get (spec, "path"));
    const char *token = json_string_value (json_object_get (spec, "token"));
    json_t *body = json_object_get (spec, "body");
    if (!path || *path != '/') {
        snprintf (problem, s_PROBLEM_MAX, "http: path is required and starts with /");
        return false;
    }
    const char *base = !to || streq (to, "desk") ? self->desk : streq (to, "portal") ? self->portal : NULL;
    if (!base) {
        snprintf (problem, s_PROBLEM_MAX, "http: to is desk or portal, not '%s'", to);
        return false;
    }
    char url [2048];
    snprintf (url, sizeof (url), "%s%s", base, path);
    char *payload = NULL;
    if (body)
        payload = json_is_string (body) ? strdup (json_string_value (body))
                                        : json_dumps (body, JSON_COMPACT | JSON_ENCODE_ANY);
    struct curl_slist *headers = NULL;
    char line [2048];
    if (payload)
        headers = curl_slist_append (headers, "Content-Type: application/json");
    if (token && *token) {
        snprintf (line, sizeof (line), "Authorization: Bearer %s", token);
        headers = curl_slist_append (headers, line);
    }
    const char *key;
    json_t *value;
    json_object_foreach (json_object_get (spec, "headers"), key, value) {
        char *text = s_text_of (value);
        snprintf (line, sizeof (line), "%s: %s", key, text);
        free (text);
        headers = curl_slist_append (headers, line);
    }
    zchunk_t *answer = zchunk_new (NULL, 4096);
    curl_easy_reset (self->curl);
    curl_easy_setopt (self->curl, CURLOPT_URL, url);
    curl_easy_setopt (self->curl, CURLOPT_CUSTOMREQUEST, method ? method : payload ? "POST" : "GET");
    curl_easy_setopt (self->curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt (self->curl, CURLOPT_WRITEFUNCTION, s_collect);
    curl_easy_setopt (self->curl, CURLOPT_WRITEDATA, answer);
    curl_easy_setopt (self->curl, CURLOPT_TIMEOUT_MS, (long) (self->ctl->timeout_given ? self->ctl->timeout_ms : 30000));
    curl_easy_setopt (self->curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt (self->curl, CURLOPT_NOSIGNAL, 1L);
    if (payload) {
        curl_easy_setopt (self->curl, CURLOPT_POSTFIELDS, payload);
        curl_easy_setopt (self->curl, CURLOPT_POSTFIELDSIZE, (long) strlen (payload));
    }
    CURLcode code = curl_easy_perform (self->curl);
    long status = 0;
    curl_easy_getinfo (self->curl, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all (headers);
    free (payload);
    bool ok = true;
    json_t *document = NULL;
    if (code != CURLE_OK) {
        snprintf (problem, s_PROBLEM_MAX, "%.16s %.800s: %.150s", method ? method : "GET", url, curl_easy_strerror (code));
        ok = false;
    }
    else {
        zchunk_extend (answer, "", 1);
        document = json_loads ((char *) zchunk_data (answer), JSON_DECODE_ANY, NULL);
        const char *shown = (char *) zchunk_data (answer);
        //  status: a number, or a list of those that will do (201 or 409 on a second run)
        json_t *wanted = json_object_get (expect, "status");
        json_t *allowed = json_is_array (wanted) ? json_incref (wanted) : wanted ? json_pack ("[O]", wanted) : NULL;
        bool listed = false;
        size_t each;
        json_t *code_value;
        json_array_foreach (allowed, each, code_value)
            listed = listed || json_integer_value (code_value) == status;
        if (allowed && !listed) {
            char *text = s_text_of (wanted);
            snprintf (problem, s_PROBLEM_MAX, "expected HTTP %.60s, got %ld: %.600s", text, status, shown);
            free (text);
            ok = false;
        }
        json_decref (allowed);
        if (!wanted && (status < 200 || status > 299)) {
            snprintf (problem, s_PROBLEM_MAX, "HTTP %ld (say expect: {status: %ld} if that is right): %.600s",
                      status, status, shown);
            ok = false;
        }
        json_object_foreach (json_object_get (expect, "json"), key, value) {
            json_t *actual = document ? s_path_get (document, key) : NULL;
            if (ok && !(actual && json_equal (actual, value))) {
                char *got = s_text_of (actual), *want = s_text_of (value);
                snprintf (problem, s_PROBLEM_MAX, "%s: expected %.200s, got %.400s", key, want, got);
                free (got);
                free (want);
                ok = false;
            }
        }
        json_object_foreach (json_object_get (expect, "match"), key, value) {
            if (!ok)
                break;
            char *got = s_text_of (document ? s_path_get (document, key) : NULL);
            bool valid;
            if (!s_matches (json_string_value (value) ? json_string_value (value) : "", got, &valid, problem)) {
                if (valid)
                    snprintf (problem, s_PROBLEM_MAX, "%s: '%.400s' does not match /%.200s/", key, got,
                              json_string_value (value) ? json_string_value (value) : "");
                ok = false;
            }
            free (got);
        }
        if (ok && save) {
            if (!document) {
                snprintf (problem, s_PROBLEM_MAX, "save: the answer is not JSON");
                ok = false;
            }
            else
                ok = s_save (self, save, document, problem);
        }
    }
    json_decref (document);
    zchunk_destroy (&answer);
    return ok;
}

//  Runs this egovctl with args, after the scenario's gateway, keys and
//  participant when link (the commands without the gateway take none);
//  its exit code, stdout and stderr together in output (owned).
static int
s_child (s_runner_t *self, const char *const *args, size_t count, bool link, char **output)
{
    const char *argv [count + 8];
    size_t argc = 0;
    argv [argc++] = self->binary;
    if (link) {
        argv [argc++] = "--gateway";
        argv [argc++] = self->ctl->gateway;
        argv [argc++] = "--keys";
        argv [argc++] = self->ctl->keys;
        argv [argc++] = "--as";
        argv [argc++] = self->ctl->participant_id;
    }
    for (size_t index = 0; index < count; index++)
        argv [argc++] = args [index];
    argv [argc] = NULL;
    int pipes [2];
    *output = NULL;
    if (pipe (pipes) != 0)
        return -1;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init (&actions);
    posix_spawn_file_actions_adddup2 (&actions, pipes [1], 1);
    posix_spawn_file_actions_adddup2 (&actions, pipes [1], 2);
    posix_spawn_file_actions_addclose (&actions, pipes [0]);
    pid_t pid;
    int spawned = posix_spawn (&pid, self->binary, &actions, NULL, (char *const *) argv, environ);
    posix_spawn_file_actions_destroy (&actions);
    close (pipes [1]);
    zchunk_t *text = zchunk_new (NULL, 1024);
    char buffer [4096];
    ssize_t got;
    while ((got = read (pipes [0], buffer, sizeof (buffer))) > 0 || (got < 0 && errno == EINTR))
        if (got > 0 && zchunk_size (text) + (size_t) got <= s_OUTPUT_MAX)
            zchunk_extend (text, buffer, (size_t) got);
    close (pipes [0]);
    int status = -1;
    if (spawned == 0) {
        while (waitpid (pid, &status, 0) < 0 && errno == EINTR)
            ;
        status = WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
    }
    zchunk_extend (text, "", 1);
    *output = strdup ((char *) zchunk_data (text));
    zchunk_destroy (&text);
    return status;
}

//  Checks a child's exit code and output against expect {exit, output}.
static bool
s_expect_child (json_t *expect, int exit_code, const char *output, char *problem)
{
    json_t *wanted = json_object_get (expect, "exit");
    json_int_t want = wanted ? json_integer_value (wanted) : 0;
    if (exit_code != want) {
        snprintf (problem, s_PROBLEM_MAX, "exit %d, expected %lld: %.700s", exit_code, (long long) want, output);
        return false;
    }
    json_t *patterns = json_object_get (expect, "output");
    json_t *list = json_is_string (patterns) ? json_pack ("[O]", patterns) : json_incref (patterns);
    size_t index;
    json_t *pattern;
    bool ok = true;
    json_array_foreach (list, index, pattern) {
        bool valid;
        const char *text = json_string_value (pattern) ? json_string_value (pattern) : "";
        if (ok && !s_matches (text, output, &valid, problem)) {
            if (valid)
                snprintf (problem, s_PROBLEM_MAX, "the output does not match /%.200s/: %.700s", text, output);
            ok = false;
        }
    }
    json_decref (list);
    return ok;
}

//  egovctl: [ARG, ...]
static bool
s_step_egovctl (s_runner_t *self, json_t *spec, json_t *expect, json_t *save, char *problem)
{
    size_t count = json_array_size (spec);
    if (!json_is_array (spec) || count == 0 || count > 64) {
        snprintf (problem, s_PROBLEM_MAX, "egovctl: a list of 1 to 64 arguments, e.g. [wait, \"${id}\", --status, READY]");
        return false;
    }
    const char *args [count];
    char *texts [count];
    for (size_t index = 0; index < count; index++) {
        texts [index] = s_text_of (json_array_get (spec, index));
        args [index] = texts [index];
    }
    bool ok = true;
    if (streq (args [0], "scenario")) {
        snprintf (problem, s_PROBLEM_MAX, "egovctl: a scenario does not run scenarios");
        ok = false;
    }
    char *output = NULL;
    //  The commands that need no gateway take none of its options
    bool link = !streq (args [0], "pki") && !streq (args [0], "sign") && !streq (args [0], "verify")
             && !streq (args [0], "keys") && !streq (args [0], "catalogue") && !streq (args [0], "deadline");
    int exit_code = ok ? s_child (self, args, count, link, &output) : -1;
    if (ok && exit_code < 0) {
        snprintf (problem, s_PROBLEM_MAX, "egovctl: cannot run %.900s", self->binary);
        ok = false;
    }
    ok = ok && s_expect_child (expect, exit_code, output, problem);
    if (ok && save) {
        //  {variable: output}: what it printed, without the last newline;
        //  {variable: json.PATH}: a field of what it printed as JSON (--json)
        size_t length = strlen (output);
        while (length && (output [length - 1] == '\n' || output [length - 1] == '\r'))
            output [--length] = 0;
        json_t *document = json_pack ("{s:s}", "output", output);
        json_t *parsed = json_loads (output, JSON_DECODE_ANY, NULL);
        if (parsed)
            json_object_set_new (document, "json", parsed);
        ok = s_save (self, save, document, problem);
        json_decref (document);
    }
    for (size_t index = 0; index < count; index++)
        free (texts [index]);
    free (output);
    return ok;
}

//  sign: {as: LABEL, text: STRING | base64: STRING}; saves signature (the
//  CMS, base64) and document_base64.
static bool
s_step_sign (s_runner_t *self, json_t *spec, json_t *save, char *problem)
{
    static const char *const keys [] = { "as", "text", "base64", NULL };
    const char *stranger = s_stranger (spec, keys);
    const char *label = json_string_value (json_object_get (spec, "as"));
    const char *text = json_string_value (json_object_get (spec, "text"));
    const char *encoded = json_string_value (json_object_get (spec, "base64"));
    json_t *body = json_object_get (spec, "text");
    if (stranger || !label || (!text && !encoded && !json_is_object (body)) || (text && encoded)) {
        snprintf (problem, s_PROBLEM_MAX, "sign: {as: LABEL, text: DOCUMENT or base64: DOCUMENT}%s%s",
                  stranger ? ", not " : "", stranger ? stranger : "");
        return false;
    }
    if (strchr (label, '/') || strstr (label, "..")) {
        snprintf (problem, s_PROBLEM_MAX, "sign: '%s' is not a certificate label", label);
        return false;
    }
    //  The bytes to sign: the text, JSON written compactly, or decoded base64
    char *document = text ? strdup (text) : !encoded ? json_dumps (body, JSON_COMPACT) : NULL;
    size_t size = document ? strlen (document) : 0;
    if (encoded) {
        size_t length = strlen (encoded);
        document = malloc (length / 4 * 3 + 4);
        int decoded = EVP_DecodeBlock ((unsigned char *) document, (const unsigned char *) encoded, (int) length);
        if (decoded < 0 || length % 4) {
            snprintf (problem, s_PROBLEM_MAX, "sign: base64 does not decode");
            free (document);
            return false;
        }
        size = (size_t) decoded - (length && encoded [length - 1] == '=') - (length > 1 && encoded [length - 2] == '=');
    }
    char file [] = "/tmp/egovctl-scenario-XXXXXX";
    int fd = mkstemp (file);
    bool ok = fd >= 0 && write (fd, document, size) == (ssize_t) size;
    if (fd >= 0)
        close (fd);
    char key [4200], cert [4200];
    snprintf (key, sizeof (key), "%s/keys/%s.key", self->pki, label);
    snprintf (cert, sizeof (cert), "%s/certs/%s.pem", self->pki, label);
    const char *args [] = { "sign", "--key", key, "--cert", cert, file };
    char *output = NULL;
    int exit_code = ok ? s_child (self, args, 6, false, &output) : -1;
    if (fd >= 0)
        unlink (file);
    if (exit_code != 0) {
        snprintf (problem, s_PROBLEM_MAX, "sign as %s: %.600s", label, output ? output : "cannot write the document");
        ok = false;
    }
    if (ok) {
        size_t length = strlen (output);
        while (length && (output [length - 1] == '\n' || output [length - 1] == '\r'))
            output [--length] = 0;
        char *base64 = malloc (4 * ((size + 2) / 3) + 1);
        EVP_EncodeBlock ((unsigned char *) base64, (const unsigned char *) document, (int) size);
        json_t *result = json_pack ("{s:s, s:s}", "signature", output, "document_base64", base64);
        free (base64);
        ok = !save || s_save (self, save, result, problem);
        json_decref (result);
    }
    free (output);
    free (document);
    return ok;
}

//  The simulated now from the gateway's clock, or -1 after setting problem.
static int64_t
s_simulated_now (s_runner_t *self, char *problem)
{
    int64_t now = 0;
    if (egovctl_simulated_now (self->ctl, &now) != EGOVCTL_OK) {
        snprintf (problem, s_PROBLEM_MAX, "clock: the gateway did not say what time it is");
        return -1;
    }
    return now;
}

//  clock: {working_day: N, at: "HH:MM", channel: state-corp, weekdays: [..],
//  between: [MM-DD, MM-DD]}: the first working day at least N days after the
//  simulated today that fits, at that time; saves date.
static bool
s_step_clock (s_runner_t *self, json_t *spec, json_t *save, char *problem)
{
    static const char *const keys [] = { "working_day", "at", "channel", "weekdays", "between", NULL };
    const char *stranger = s_stranger (spec, keys);
    if (stranger || !json_is_object (spec)) {
        snprintf (problem, s_PROBLEM_MAX, "clock: {working_day: N, at: HH:MM, channel, weekdays, between}%s%s",
                  stranger ? ", not " : "", stranger ? stranger : "");
        return false;
    }
    json_int_t after = json_is_integer (json_object_get (spec, "working_day"))
                     ? json_integer_value (json_object_get (spec, "working_day")) : 1;
    const char *at = json_string_value (json_object_get (spec, "at"));
    const char *channel_name = json_string_value (json_object_get (spec, "channel"));
    json_t *weekdays = json_object_get (spec, "weekdays");
    json_t *between = json_object_get (spec, "between");
    egov_channel_t channel = EGOV_CHANNEL_STATE_CORP;
    if ((channel_name && !egov_channel_parse (channel_name, &channel)) || after < 0 || after > 400
    ||  (at && (strlen (at) != 5 || at [2] != ':'))
    ||  (between && (json_array_size (between) != 2 || !json_is_string (json_array_get (between, 0))
                                                    || !json_is_string (json_array_get (between, 1))))) {
        snprintf (problem, s_PROBLEM_MAX, "clock: working_day 0-400, at HH:MM, channel office|state-corp|portal,"
                  " between [MM-DD, MM-DD]");
        return false;
    }
    if (!self->calendar) {
        char path [4200];
        egov_error_t error;
        snprintf (path, sizeof (path), "%s/calendar/kz.json", self->regulations);
        self->calendar = egov_calendar_new (path, &error);
        if (!self->calendar) {
            snprintf (problem, s_PROBLEM_MAX, "clock: %s", error.message);
            return false;
        }
    }
    int64_t now = s_simulated_now (self, problem);
    if (now < 0)
        return false;
    int64_t today = egov_calendar_local_day (self->calendar, now);
    int64_t offset = egov_calendar_offset_ms (self->calendar);
    for (int64_t day = today + after; day < today + after + 800; day++) {
        char moment [64];
        egov_calendar_time_format (self->calendar, day * 86400000 + 12 * 3600000 - offset, moment, sizeof (moment));
        moment [10] = 0;                        //  YYYY-MM-DD
        int weekday = (int) ((day % 7 + 7 + 3) % 7) + 1;      //  1970-01-01 was a Thursday
        bool fits = egov_calendar_day (self->calendar, channel, day, NULL) == EGOV_DAY_WORKING;
        if (fits && json_array_size (weekdays)) {
            bool listed = false;
            size_t index;
            json_t *item;
            json_array_foreach (weekdays, index, item)
                listed = listed || json_integer_value (item) == weekday;
            fits = listed;
        }
        if (fits && between)
            fits = strcmp (moment + 5, json_string_value (json_array_get (between, 0))) >= 0
                && strcmp (moment + 5, json_string_value (json_array_get (between, 1))) <= 0;
        if (!fits)
            continue;
        char target [40];
        snprintf (target, sizeof (target), "%.10sT%.5s", moment, at ? at : "10:00");
        const char *args [] = { "clock", "set", target };
        char *output = NULL;
        int exit_code = s_child (self, args, 3, true, &output);
        bool ok = exit_code == 0;
        if (!ok)
            snprintf (problem, s_PROBLEM_MAX, "clock set %s: exit %d: %.600s", target, exit_code, output);
        free (output);
        if (ok && save) {
            json_t *document = json_pack ("{s:s}", "date", moment);
            ok = s_save (self, save, document, problem);
            json_decref (document);
        }
        return ok;
    }
    snprintf (problem, s_PROBLEM_MAX, "clock: no such working day within 800 days");
    return false;
}

//  A step's name: its own, or what it does.
static char *
s_step_name (json_t *step, size_t number)
{
    const char *name = json_string_value (json_object_get (step, "name"));
    char text [256];
    json_t *http = json_object_get (step, "http");
    json_t *egovctl = json_object_get (step, "egovctl");
    if (name)
        snprintf (text, sizeof (text), "%s", name);
    else
    if (http)
        snprintf (text, sizeof (text), "%s %s", json_string_value (json_object_get (http, "method"))
                  ? json_string_value (json_object_get (http, "method")) : "GET",
                  json_string_value (json_object_get (http, "path")) ? json_string_value (json_object_get (http, "path")) : "?");
    else
    if (json_is_array (egovctl)) {
        snprintf (text, sizeof (text), "egovctl");
        size_t index;
        json_t *item;
        json_array_foreach (egovctl, index, item) {
            char *word = s_text_of (item);
            size_t used = strlen (text);
            snprintf (text + used, sizeof (text) - used, " %s", word);
            free (word);
        }
    }
    else
        snprintf (text, sizeof (text), "step %zu", number);
    return strdup (text);
}

//  Runs one step; false with problem when it failed. Its name is given
//  again with the variables in it expanded.
static bool
s_step_run (s_runner_t *self, json_t *step, s_step_t *result, size_t number)
{
    char *problem = result->problem;
    static const char *const keys [] = { "name", "http", "sign", "clock", "egovctl", "expect", "save", NULL };
    const char *stranger = s_stranger (step, keys);
    if (stranger) {
        snprintf (problem, s_PROBLEM_MAX, "unknown key '%s' (a step has name, one of http, sign, clock,"
                  " egovctl, and expect, save)", stranger);
        return false;
    }
    int kinds = !!json_object_get (step, "http") + !!json_object_get (step, "sign")
              + !!json_object_get (step, "clock") + !!json_object_get (step, "egovctl");
    if (kinds != 1) {
        snprintf (problem, s_PROBLEM_MAX, "a step does exactly one of http, sign, clock, egovctl");
        return false;
    }
    //  Variables are expanded when the step runs, so earlier steps' saves count
    json_t *expanded = s_expand (self, step, problem);
    if (!expanded)
        return false;
    free (result->name);
    result->name = s_step_name (expanded, number);
    json_t *expect = json_object_get (expanded, "expect");
    json_t *save = json_object_get (expanded, "save");
    static const char *const http_expects [] = { "status", "json", "match", NULL };
    static const char *const egovctl_expects [] = { "exit", "output", NULL };
    static const char *const no_expects [] = { NULL };
    const char *const *expects = json_object_get (expanded, "http") ? http_expects
                               : json_object_get (expanded, "egovctl") ? egovctl_expects : no_expects;
    const char *unexpected = json_is_object (expect) ? s_stranger (expect, expects) : NULL;
    bool ok;
    if ((expect && !json_is_object (expect)) || (save && !json_is_object (save))) {
        snprintf (problem, s_PROBLEM_MAX, "expect and save are mappings");
        ok = false;
    }
    else
    if (unexpected) {
        snprintf (problem, s_PROBLEM_MAX, "expect: '%s' does not apply here (http: status, json, match;"
                  " egovctl: exit, output; sign and clock: none)", unexpected);
        ok = false;
    }
    else
    if ((json_is_object (json_object_get (expect, "json")) == false && json_object_get (expect, "json"))
    ||  (json_is_object (json_object_get (expect, "match")) == false && json_object_get (expect, "match"))) {
        snprintf (problem, s_PROBLEM_MAX, "expect: json and match are mappings of path: value");
        ok = false;
    }
    else
    if (json_object_get (expanded, "http"))
        ok = s_step_http (self, json_object_get (expanded, "http"), expect, save, problem);
    else
    if (json_object_get (expanded, "sign"))
        ok = s_step_sign (self, json_object_get (expanded, "sign"), save, problem);
    else
    if (json_object_get (expanded, "clock"))
        ok = s_step_clock (self, json_object_get (expanded, "clock"), save, problem);
    else
        ok = s_step_egovctl (self, json_object_get (expanded, "egovctl"), expect, save, problem);
    json_decref (expanded);
    return ok;
}

//  Runs one scenario file into a suite.
static s_suite_t *
s_scenario_run (s_runner_t *self, const char *path)
{
    s_suite_t *suite = (s_suite_t *) zmalloc (sizeof (s_suite_t));
    suite->path = strdup (path);
    suite->steps = zlistx_new ();
    zlistx_set_destructor (suite->steps, (zlistx_destructor_fn *) s_step_destroy);
    char problem [s_PROBLEM_MAX] = "";
    json_t *scenario = s_load (path, problem);
    json_t *steps = scenario ? json_object_get (scenario, "steps") : NULL;
    static const char *const keys [] = { "name", "steps", NULL };
    if (scenario && (!json_is_object (scenario) || s_stranger (scenario, keys)
                  || !json_is_array (steps) || json_array_size (steps) == 0)) {
        snprintf (problem, s_PROBLEM_MAX, "%s: a scenario is {name, steps: [...]} with at least one step", path);
        json_decref (scenario);
        scenario = NULL;
    }
    const char *name = scenario ? json_string_value (json_object_get (scenario, "name")) : NULL;
    suite->name = strdup (name ? name : path);
    printf ("# %s: %s\n", path, suite->name);
    if (!scenario) {
        s_step_t *step = (s_step_t *) zmalloc (sizeof (s_step_t));
        step->name = strdup ("the scenario file loads");
        snprintf (step->problem, sizeof (step->problem), "%s", problem);
        zlistx_add_end (suite->steps, step);
        suite->failed = 1;
        printf ("not ok - %s: %s\n", step->name, step->problem);
        return suite;
    }
    json_decref (self->vars);
    self->vars = json_object ();
    int64_t started = zclock_mono ();
    size_t index;
    json_t *item;
    json_array_foreach (steps, index, item) {
        s_step_t *step = (s_step_t *) zmalloc (sizeof (s_step_t));
        step->name = json_is_object (item) ? s_step_name (item, index + 1) : strdup ("a step that is not a mapping");
        zlistx_add_end (suite->steps, step);
        if (suite->failed) {
            step->skipped = true;
            suite->skipped++;
            printf ("skipped %zu - %s (an earlier step failed)\n", index + 1, step->name);
            continue;
        }
        int64_t begun = zclock_mono ();
        bool ok = json_is_object (item) && s_step_run (self, item, step, index + 1);
        if (!json_is_object (item))
            snprintf (step->problem, sizeof (step->problem), "a step is a mapping");
        step->seconds = (double) (zclock_mono () - begun) / 1000.0;
        if (ok)
            printf ("ok %zu - %s\n", index + 1, step->name);
        else {
            suite->failed++;
            printf ("not ok %zu - %s: %s\n", index + 1, step->name, step->problem);
        }
        fflush (stdout);
    }
    suite->seconds = (double) (zclock_mono () - started) / 1000.0;
    json_decref (scenario);
    return suite;
}

//  ---------------------------------------------------------------------
//  JUnit XML

//  Writes text escaped for XML (egov_markup_escape).
static void
s_xml (FILE *file, const char *text)
{
    char *escaped = egov_markup_escape (text);
    fputs (escaped, file);
    free (escaped);
}

static bool
s_junit (const char *path, zlistx_t *suites)
{
    FILE *file = fopen (path, "w");
    if (!file)
        return false;
    size_t tests = 0, failures = 0, skipped = 0;
    double seconds = 0;
    for (s_suite_t *suite = (s_suite_t *) zlistx_first (suites); suite; suite = (s_suite_t *) zlistx_next (suites)) {
        tests += zlistx_size (suite->steps);
        failures += suite->failed;
        skipped += suite->skipped;
        seconds += suite->seconds;
    }
    fprintf (file, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
             "<testsuites name=\"egovctl scenario\" tests=\"%zu\" failures=\"%zu\" skipped=\"%zu\" time=\"%.3f\">\n",
             tests, failures, skipped, seconds);
    for (s_suite_t *suite = (s_suite_t *) zlistx_first (suites); suite; suite = (s_suite_t *) zlistx_next (suites)) {
        fprintf (file, "  <testsuite name=\"");
        s_xml (file, suite->name);
        fprintf (file, "\" file=\"");
        s_xml (file, suite->path);
        fprintf (file, "\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" skipped=\"%zu\" time=\"%.3f\">\n",
                 zlistx_size (suite->steps), suite->failed, suite->skipped, suite->seconds);
        for (s_step_t *step = (s_step_t *) zlistx_first (suite->steps); step;
             step = (s_step_t *) zlistx_next (suite->steps)) {
            fprintf (file, "    <testcase classname=\"");
            s_xml (file, suite->path);
            fprintf (file, "\" name=\"");
            s_xml (file, step->name);
            fprintf (file, "\" time=\"%.3f\"", step->seconds);
            if (step->skipped)
                fprintf (file, "><skipped message=\"an earlier step failed\"/></testcase>\n");
            else
            if (*step->problem) {
                fprintf (file, "><failure message=\"");
                s_xml (file, step->problem);
                fprintf (file, "\"/></testcase>\n");
            }
            else
                fprintf (file, "/>\n");
        }
        fprintf (file, "  </testsuite>\n");
    }
    fprintf (file, "</testsuites>\n");
    return fclose (file) == 0;
}

//  ---------------------------------------------------------------------

//  A base URL from a flag, the variable run.sh uses (host:port), or its default.
static void
s_base (char *out, size_t size, const char *flag, const char *variable, const char *fallback)
{
    const char *value = flag ? flag : getenv (variable) ? getenv (variable) : fallback;
    bool scheme = strncmp (value, "http://", 7) == 0 || strncmp (value, "https://", 8) == 0;
    snprintf (out, size, "%s%s", scheme ? "" : "http://", value);
    size_t length = strlen (out);
    while (length && out [length - 1] == '/')
        out [--length] = 0;
}

int
egovctl_scenario (egovctl_t *self)
{
    if (self->more_count == 0) {
        fprintf (stderr, "egovctl: scenario run needs at least one FILE\n");
        return EGOVCTL_USAGE;
    }
    s_runner_t runner = { .ctl = self };
    s_base (runner.desk, sizeof (runner.desk), self->desk, "EGOV_INTAKE_HTTP", "127.0.0.1:8081");
    s_base (runner.portal, sizeof (runner.portal), self->portal, "EGOV_PORTAL_HTTP", "127.0.0.1:8080");
    if (getenv ("EGOV_PKI_DIR"))
        snprintf (runner.pki, sizeof (runner.pki), "%s", getenv ("EGOV_PKI_DIR"));
    else
        egov_repo_path ("var/pki", runner.pki, sizeof (runner.pki));
    if (getenv ("EGOV_REGULATIONS"))
        snprintf (runner.regulations, sizeof (runner.regulations), "%s", getenv ("EGOV_REGULATIONS"));
    else
        egov_repo_path ("regulations", runner.regulations, sizeof (runner.regulations));
    ssize_t length = readlink ("/proc/self/exe", runner.binary, sizeof (runner.binary) - 1);
    if (length <= 0)
        return egovctl_fail_code (self, "LOCAL_ERROR", "cannot find this program to run its steps", EGOVCTL_LOCAL_ERROR);
    runner.binary [length] = 0;
    curl_global_init (CURL_GLOBAL_DEFAULT);
    runner.curl = curl_easy_init ();
    zlistx_t *suites = zlistx_new ();
    zlistx_set_destructor (suites, (zlistx_destructor_fn *) s_suite_destroy);
    size_t steps = 0, failed = 0, skipped = 0;
    for (int index = 0; index < self->more_count; index++) {
        s_suite_t *suite = s_scenario_run (&runner, self->more [index]);
        steps += zlistx_size (suite->steps);
        failed += suite->failed;
        skipped += suite->skipped;
        zlistx_add_end (suites, suite);
    }
    printf ("# %d scenarios, %zu steps: %zu passed, %zu failed, %zu skipped\n", self->more_count, steps,
            steps - failed - skipped, failed, skipped);
    int exit_code = failed ? EGOVCTL_SCENARIO_FAILED : EGOVCTL_OK;
    if (self->junit && !s_junit (self->junit, suites)) {
        fprintf (stderr, "egovctl: cannot write %s: %s\n", self->junit, strerror (errno));
        exit_code = EGOVCTL_LOCAL_ERROR;
    }
    zlistx_destroy (&suites);
    json_decref (runner.vars);
    egov_calendar_destroy (&runner.calendar);
    curl_easy_cleanup (runner.curl);
    curl_global_cleanup ();
    return exit_code;
}
