/*  egov_flags — a service's command line and environment, from one table.  */
#include "egov_flags.h"
#include "egov_clock.h"
#include <stdarg.h>

#define s_WIDTH         96          //  the usage wraps its lines before this column
#define s_LEFT_MAX      28          //  a longer flag puts its help on the next line

struct _egov_flags_t {
    const char *program;            //  name in messages, e.g. "leb"
    const char *synopsis;           //  after the name in the usage line
    const char *notes;              //  printed after the options, or NULL
    const egov_flag_t *table;       //  the caller's, ended by a NULL name
    size_t count;                   //  entries before the end
    const char **given;             //  per entry: its value on the command line, or NULL
    bool *set;                      //  per entry: a flag or a variable gave it
    char **paths;                   //  per entry: its default resolved in the repository, or NULL
    FILE *out;                      //  the usage after --help
    FILE *err;                      //  errors, and the usage after them
};

//  Catches a malformed table when the parser is made, not when a user
//  happens on the option.
static void
s_check_entry (const egov_flag_t *flag)
{
    assert (flag->target);
    assert (*flag->name && !streq (flag->name, "help") && flag->letter != 'h');
    assert (!flag->valid || flag->expects);
    assert (!flag->valid || flag->kind == EGOV_FLAG_STRING || flag->kind == EGOV_FLAG_PATH);
    assert (flag->kind != EGOV_FLAG_NUMBER || flag->min <= flag->max);
    assert (flag->kind != EGOV_FLAG_SWITCH || !flag->required);
    (void) flag;
}

egov_flags_t *
egov_flags_new (const char *program, const char *synopsis, const egov_flag_t *table)
{
    assert (program && table);
    egov_flags_t *self = calloc (1, sizeof (egov_flags_t));
    assert (self);
    self->program = program;
    self->synopsis = synopsis ? synopsis : "[options]";
    self->table = table;
    while (table [self->count].name)
        s_check_entry (&table [self->count++]);
    self->given = calloc (self->count + 1, sizeof (char *));
    self->set = calloc (self->count + 1, sizeof (bool));
    self->paths = calloc (self->count + 1, sizeof (char *));
    assert (self->given && self->set && self->paths);
    self->out = stdout;
    self->err = stderr;
    return self;
}

void
egov_flags_destroy (egov_flags_t **self_p)
{
    assert (self_p);
    egov_flags_t *self = *self_p;
    if (!self)
        return;
    for (size_t index = 0; index < self->count; index++)
        free (self->paths [index]);
    free (self->paths);
    free (self->set);
    free (self->given);
    free (self);
    *self_p = NULL;
}

void
egov_flags_set_notes (egov_flags_t *self, const char *notes)
{
    assert (self);
    self->notes = notes;
}

void
egov_flags_set_streams (egov_flags_t *self, FILE *out, FILE *err)
{
    assert (self && out && err);
    self->out = out;
    self->err = err;
}

//  Prints "program: message" and the usage to the error stream; false, for
//  the caller to return.
static bool
s_fail (egov_flags_t *self, const char *format, ...)
    __attribute__ ((format (printf, 2, 3)));

static bool
s_fail (egov_flags_t *self, const char *format, ...)
{
    fprintf (self->err, "%s: ", self->program);
    va_list args;
    va_start (args, format);
    vfprintf (self->err, format, args);
    va_end (args);
    fprintf (self->err, "\n");
    egov_flags_usage (self, self->err);
    return false;
}

//  The entry a word of the command line names ("--name", "--name=value" or
//  "-l"), or -1; *value points after the '=' when there is one.
static int
s_find (egov_flags_t *self, const char *word, const char **value)
{
    *value = NULL;
    if (word [0] == '-' && word [1] && word [1] != '-' && !word [2]) {
        for (size_t index = 0; index < self->count; index++)
            if (self->table [index].letter == word [1])
                return (int) index;
        return -1;
    }
    if (strncmp (word, "--", 2) != 0)
        return -1;
    const char *name = word + 2;
    const char *equals = strchr (name, '=');
    size_t length = equals ? (size_t) (equals - name) : strlen (name);
    for (size_t index = 0; index < self->count; index++) {
        const char *candidate = self->table [index].name;
        if (strlen (candidate) == length && memcmp (candidate, name, length) == 0) {
            *value = equals ? equals + 1 : NULL;
            return (int) index;
        }
    }
    return -1;
}

//  Parses a decimal integer, optionally signed, with nothing after it.
static bool
s_number (const char *text, int64_t *number)
{
    const char *digits = text + (*text == '-');
    size_t length = strlen (digits);
    if (length == 0 || length > 18 || strspn (digits, "0123456789") != length)
        return false;
    *number = strtoll (text, NULL, 10);
    return true;
}

//  Parses a switch's word, as a variable gives it.
static bool
s_switch (const char *text, bool *on)
{
    const char *yes [] = { "1", "true", "yes", "on" };
    const char *no [] = { "0", "false", "no", "off" };
    for (size_t index = 0; index < 4; index++)
        if (strcasecmp (text, yes [index]) == 0 || strcasecmp (text, no [index]) == 0) {
            *on = strcasecmp (text, yes [index]) == 0;
            return true;
        }
    return false;
}

//  Converts text to the entry's kind and stores it in the target; false,
//  target untouched, when it is not a valid value. A path default is
//  resolved in the repository first.
static bool
s_store (egov_flags_t *self, size_t index, const char *text, bool is_default)
{
    const egov_flag_t *flag = &self->table [index];
    int64_t number = 0;
    bool on = false;
    switch (flag->kind) {
        case EGOV_FLAG_STRING:
        case EGOV_FLAG_PATH:
            if (flag->valid && !flag->valid (text))
                return false;
            if (flag->kind == EGOV_FLAG_PATH && is_default) {
                char resolved [PATH_MAX];
                free (self->paths [index]);
                self->paths [index] = strdup (egov_repo_path (text, resolved, sizeof (resolved)));
                assert (self->paths [index]);
                text = self->paths [index];
            }
            *(const char **) flag->target = text;
            return true;
        case EGOV_FLAG_NUMBER:
            if (!s_number (text, &number) || number < flag->min || number > flag->max)
                return false;
            *(int64_t *) flag->target = number;
            return true;
        case EGOV_FLAG_DURATION:
            if (!egov_clock_parse_duration (text, &number) || number <= 0
            ||  (flag->max > 0 && number > flag->max))
                return false;
            *(int64_t *) flag->target = number;
            return true;
        case EGOV_FLAG_MOMENT:
            if (!egov_clock_parse (text, &number))
                return false;
            *(int64_t *) flag->target = number;
            return true;
        case EGOV_FLAG_SWITCH:
            if (!s_switch (text, &on))
                return false;
            *(bool *) flag->target = on;
            return true;
    }
    return false;
}

//  What a valid value of the entry is, for an error message.
static const char *
s_expects (const egov_flag_t *flag, char *buffer, size_t size)
{
    if (flag->expects)
        return flag->expects;
    switch (flag->kind) {
        case EGOV_FLAG_NUMBER:
            snprintf (buffer, size, "a number from %" PRId64 " to %" PRId64, flag->min, flag->max);
            break;
        case EGOV_FLAG_DURATION:
            if (flag->max > 0)
                snprintf (buffer, size, "a duration such as 30m, 90s or 2000ms, at most %" PRId64
                          " ms", flag->max);
            else
                snprintf (buffer, size, "a duration such as 30m, 90s or 2000ms");
            break;
        case EGOV_FLAG_MOMENT:
            snprintf (buffer, size, "an ISO 8601 moment such as 2027-03-15T10:00");
            break;
        case EGOV_FLAG_SWITCH:
            snprintf (buffer, size, "1 or 0, true or false, yes or no, on or off");
            break;
        default:
            snprintf (buffer, size, "a value");
    }
    return buffer;
}

bool
egov_flags_parse (egov_flags_t *self, int argc, char *argv [], int *status)
{
    assert (self && status);
    *status = EGOV_FLAGS_USAGE;
    memset (self->given, 0, self->count * sizeof (char *));
    memset (self->set, 0, self->count * sizeof (bool));

    //  The command line, left to right: --help answers at once
    for (int arg = 1; arg < argc; arg++) {
        const char *word = argv [arg];
        if (streq (word, "--help") || streq (word, "-h")) {
            egov_flags_usage (self, self->out);
            *status = 0;
            return false;
        }
        const char *value = NULL;
        int index = s_find (self, word, &value);
        if (index < 0)
            return s_fail (self, "unknown option '%s'", word);
        const egov_flag_t *flag = &self->table [index];
        if (flag->kind == EGOV_FLAG_SWITCH) {
            if (value)
                return s_fail (self, "--%s takes no value", flag->name);
            value = "true";
        }
        else
        if (!value) {
            if (arg + 1 >= argc)
                return s_fail (self, "--%s needs a value", flag->name);
            value = argv [++arg];
        }
        if (!*value)
            return s_fail (self, "--%s needs a value, not an empty one", flag->name);
        self->given [index] = value;
    }
    //  Then each option from its flag, its variable or its default
    for (size_t index = 0; index < self->count; index++) {
        const egov_flag_t *flag = &self->table [index];
        char source [128], expects [128];
        const char *text = self->given [index];
        if (text)
            snprintf (source, sizeof (source), "--%s", flag->name);
        else
        if (flag->env && getenv (flag->env) && *getenv (flag->env)) {
            text = getenv (flag->env);
            snprintf (source, sizeof (source), "%s", flag->env);
        }
        if (text) {
            self->set [index] = true;
            if (!s_store (self, index, text, false))
                return s_fail (self, "%s wants %s, not '%s'", source,
                               s_expects (flag, expects, sizeof (expects)), text);
        }
        else
        if (flag->required)
            return s_fail (self, "--%s%s%s%s is required: %s", flag->name,
                           flag->env ? " (or " : "", flag->env ? flag->env : "",
                           flag->env ? ")" : "", s_expects (flag, expects, sizeof (expects)));
        else
        if (flag->fallback && !s_store (self, index, flag->fallback, true))
            assert (!"a table's default parses like a value");
    }
    *status = 0;
    return true;
}

bool
egov_flags_given (egov_flags_t *self, const char *name)
{
    assert (self && name);
    for (size_t index = 0; index < self->count; index++)
        if (streq (self->table [index].name, name))
            return self->set [index];
    assert (!"egov_flags_given names an option of the table");
    return false;
}

//  The flag part of an option's usage line: "  -v, --verbose",
//  "      --db CONNINFO".
static void
s_left (const egov_flag_t *flag, char *buffer, size_t size)
{
    char letter [8] = "    ";
    if (flag->letter)
        snprintf (letter, sizeof (letter), "-%c, ", flag->letter);
    snprintf (buffer, size, "  %s--%s%s%s", letter, flag->name,
              flag->kind == EGOV_FLAG_SWITCH ? "" : " ",
              flag->kind == EGOV_FLAG_SWITCH ? "" : flag->value_name ? flag->value_name : "VALUE");
}

//  The help of an option with what the table says about it: "gateway
//  endpoint (env EGOV_GATEWAY, default tcp://127.0.0.1:7700)". Caller frees.
static char *
s_description (const egov_flag_t *flag)
{
    char *text = NULL;
    size_t length = 0;
    FILE *stream = open_memstream (&text, &length);
    assert (stream);
    fputs (flag->help ? flag->help : "", stream);
    const char *separator = " (";
    if (flag->env) {
        fprintf (stream, "%senv %s", separator, flag->env);
        separator = ", ";
    }
    if (flag->required) {
        fprintf (stream, "%srequired", separator);
        separator = ", ";
    }
    if (flag->kind == EGOV_FLAG_NUMBER) {
        //  A bound that only says "fits the field" is noise to a reader
        if (flag->max >= UINT32_MAX)
            fprintf (stream, "%sat least %" PRId64, separator, flag->min);
        else
            fprintf (stream, "%sfrom %" PRId64 " to %" PRId64, separator, flag->min, flag->max);
        separator = ", ";
    }
    if (flag->shown) {
        fprintf (stream, "%sdefault %s", separator, flag->shown);
        separator = ", ";
    }
    else
    if (flag->fallback && flag->kind == EGOV_FLAG_PATH) {
        fprintf (stream, "%sdefault the repository's %s", separator, flag->fallback);
        separator = ", ";
    }
    else
    if (flag->fallback && flag->kind != EGOV_FLAG_SWITCH) {
        fprintf (stream, "%sdefault %s", separator, flag->fallback);
        separator = ", ";
    }
    if (!streq (separator, " ("))
        fputs (")", stream);
    fclose (stream);
    return text;
}

//  Prints left, then text from column on, its words wrapped before
//  s_WIDTH; with left "" and column 0, a plain paragraph.
static void
s_print_wrapped (FILE *stream, const char *left, size_t column, const char *text)
{
    fputs (left, stream);
    size_t at = strlen (left);
    if (*left && at + 2 > column) {
        fputc ('\n', stream);
        at = 0;
    }
    fprintf (stream, "%*s", (int) (column - at), "");
    at = column;
    bool first = true;
    while (*text) {
        text += strspn (text, " \n");
        size_t length = strcspn (text, " \n");
        if (length == 0)
            break;
        if (!first && at + 1 + length > s_WIDTH) {
            fprintf (stream, "\n%*s", (int) column, "");
            at = column;
        }
        else
        if (!first) {
            fputc (' ', stream);
            at++;
        }
        fwrite (text, 1, length, stream);
        at += length;
        text += length;
        first = false;
    }
    fputc ('\n', stream);
}

void
egov_flags_usage (egov_flags_t *self, FILE *stream)
{
    assert (self && stream);
    char left [128];
    size_t column = strlen ("  -h, --help") + 2;
    for (size_t index = 0; index < self->count; index++) {
        s_left (&self->table [index], left, sizeof (left));
        if (strlen (left) <= s_LEFT_MAX && strlen (left) + 2 > column)
            column = strlen (left) + 2;
    }
    fprintf (stream, "usage: %s %s\n", self->program, self->synopsis);
    for (size_t index = 0; index < self->count; index++) {
        s_left (&self->table [index], left, sizeof (left));
        char *description = s_description (&self->table [index]);
        s_print_wrapped (stream, left, column, description);
        free (description);
    }
    s_print_wrapped (stream, "  -h, --help", column, "this text");
    if (self->notes)
        s_print_wrapped (stream, "", 0, self->notes);
    char status [160];
    snprintf (status, sizeof (status), "Exit status: 0 stopped by a signal or after --help,"
              " 1 cannot start, %d a bad flag or variable.", EGOV_FLAGS_USAGE);
    s_print_wrapped (stream, "", 0, status);
}

//  -------------------------------------------------------------------------
//  Selftest

//  Where the selftest's table puts its values.
static struct {
    const char *gateway;
    const char *conninfo;
    const char *regulations;
    const char *region;
    int64_t window;
    int64_t max_calls;
    int64_t lock_ms;
    int64_t start_ms;
    bool verbose;
} s_test;

//  A region code of the selftest: three digits.
static bool
s_test_region_valid (const char *text)
{
    return strlen (text) == 3 && strspn (text, "0123456789") == 3;
}

static const egov_flag_t s_test_flags [] = {
    { .name = "region", .env = "EGOV_FLAGS_TEST_REGION", .value_name = "CODE", .required = true,
      .valid = s_test_region_valid, .expects = "a 3-digit code", .help = "the region served",
      .target = &s_test.region },
    { .name = "gateway", .env = "EGOV_FLAGS_TEST_GATEWAY", .value_name = "ENDPOINT",
      .fallback = "tcp://127.0.0.1:7700", .help = "gateway endpoint", .target = &s_test.gateway },
    { .name = "db", .env = "EGOV_FLAGS_TEST_DB", .value_name = "CONNINFO",
      .shown = "dbname=test_CODE", .help = "PostgreSQL conninfo", .target = &s_test.conninfo },
    { .name = "regulations", .kind = EGOV_FLAG_PATH, .env = "EGOV_FLAGS_TEST_REGULATIONS",
      .value_name = "DIR", .fallback = "regulations", .help = "catalogue and calendar",
      .target = &s_test.regulations },
    { .name = "window", .kind = EGOV_FLAG_NUMBER, .env = "EGOV_FLAGS_TEST_WINDOW",
      .value_name = "N", .fallback = "256", .min = 1, .max = 1000,
      .help = "deliveries in flight per recipient, a long help that the usage wraps before"
              " the end of the line", .target = &s_test.window },
    { .name = "max-calls", .kind = EGOV_FLAG_NUMBER, .value_name = "N", .fallback = "50000",
      .min = 1, .max = UINT32_MAX, .help = "sync calls waiting", .target = &s_test.max_calls },
    { .name = "lock-for", .kind = EGOV_FLAG_DURATION, .value_name = "DURATION",
      .fallback = "15m", .max = 24 * 3600 * 1000, .help = "how long an account stays locked",
      .target = &s_test.lock_ms },
    { .name = "clock-start", .kind = EGOV_FLAG_MOMENT, .value_name = "TIME",
      .help = "begin the simulation clock at TIME", .target = &s_test.start_ms },
    { .name = "verbose", .letter = 'v', .kind = EGOV_FLAG_SWITCH, .env = "EGOV_FLAGS_TEST_VERBOSE",
      .help = "log every step", .target = &s_test.verbose },
    { NULL }
};

//  Joins the lines the usage wrapped (indented, not starting with a flag):
//  the newline and the indentation become one space, so that a test can
//  look for a whole help text.
static void
s_test_unwrap (char *text)
{
    char *write = text;
    for (const char *read = text; *read; read++) {
        size_t indent = *read == '\n' ? strspn (read + 1, " ") : 0;
        if (indent > 0 && read [1 + indent] != '-') {
            read += indent;
            *write++ = ' ';
        }
        else
            *write++ = *read;
    }
    *write = 0;
}

//  Parses words (ended by NULL) after a program name with a fresh parser;
//  *start gets what parse returned, *output what it printed (caller
//  frees). Returns the parser, which owns resolved defaults; the caller
//  destroys it.
static egov_flags_t *
s_test_parse (const char *words [], bool *start, int *status, char **output)
{
    char *argv [16] = { "flags-test" };
    int argc = 1;
    while (words [argc - 1]) {
        assert (argc < 15);
        argv [argc] = (char *) words [argc - 1];
        argc++;
    }
    memset (&s_test, 0, sizeof (s_test));
    egov_flags_t *flags = egov_flags_new ("flags-test", "--region CODE [options]", s_test_flags);
    egov_flags_set_notes (flags, "participant id test-CODE.");
    size_t length = 0;
    FILE *stream = open_memstream (output, &length);
    assert (stream);
    egov_flags_set_streams (flags, stream, stream);
    *start = egov_flags_parse (flags, argc, argv, status);
    fclose (stream);
    return flags;
}

//  Parses words that must be refused: status EGOV_FLAGS_USAGE, one line
//  with the program's name and the reason (containing message), then the
//  usage.
static void
s_test_refused (const char *words [], const char *message)
{
    bool start;
    int status;
    char *output = NULL;
    egov_flags_t *flags = s_test_parse (words, &start, &status, &output);
    if (start || status != EGOV_FLAGS_USAGE || !strstr (output, message))
        zsys_error ("egov_flags: expected '%s', got status %d and: %s", message, status, output);
    assert (!start && status == EGOV_FLAGS_USAGE);
    assert (strncmp (output, "flags-test: ", 12) == 0);
    char *newline = strchr (output, '\n');
    assert (newline && strncmp (newline + 1, "usage: flags-test ", 18) == 0);
    *newline = 0;
    assert (strstr (output, message));
    free (output);
    egov_flags_destroy (&flags);
}

void
egov_flags_test (bool verbose)
{
    if (verbose)
        printf (" * egov_flags: ");
    const char *variables [] = { "EGOV_FLAGS_TEST_REGION", "EGOV_FLAGS_TEST_GATEWAY",
        "EGOV_FLAGS_TEST_DB", "EGOV_FLAGS_TEST_REGULATIONS", "EGOV_FLAGS_TEST_WINDOW",
        "EGOV_FLAGS_TEST_VERBOSE" };
    for (size_t index = 0; index < sizeof (variables) / sizeof (variables [0]); index++)
        unsetenv (variables [index]);
    bool start;
    int status;
    char *output = NULL;

    //  Defaults: the folder is the repository's, found from any directory
    const char *plain [] = { "--region", "750", NULL };
    egov_flags_t *flags = s_test_parse (plain, &start, &status, &output);
    assert (start && status == 0 && streq (output, ""));
    assert (streq (s_test.region, "750"));
    assert (streq (s_test.gateway, "tcp://127.0.0.1:7700"));
    assert (s_test.conninfo == NULL);
    assert (s_test.window == 256 && s_test.max_calls == 50000);
    assert (s_test.lock_ms == 15 * 60000 && !s_test.verbose);
    assert (s_test.regulations [0] == '/');
    assert (strlen (s_test.regulations) > strlen ("/regulations"));
    assert (streq (s_test.regulations + strlen (s_test.regulations) - strlen ("/regulations"),
                   "/regulations"));
    char calendar [PATH_MAX + 32];
    snprintf (calendar, sizeof (calendar), "%s/calendar/kz.json", s_test.regulations);
    assert (zsys_file_exists (calendar));
    assert (egov_flags_given (flags, "region") && !egov_flags_given (flags, "gateway"));
    assert (!egov_flags_given (flags, "clock-start"));
    free (output);
    egov_flags_destroy (&flags);
    egov_flags_destroy (&flags);

    //  A variable beats the default, a flag beats the variable, an empty
    //  variable counts as unset; a path given is taken as given
    setenv ("EGOV_FLAGS_TEST_GATEWAY", "tcp://env:1", 1);
    setenv ("EGOV_FLAGS_TEST_WINDOW", "12", 1);
    setenv ("EGOV_FLAGS_TEST_DB", "", 1);
    setenv ("EGOV_FLAGS_TEST_REGION", "751", 1);
    setenv ("EGOV_FLAGS_TEST_VERBOSE", "yes", 1);
    const char *none [] = { NULL };
    flags = s_test_parse (none, &start, &status, &output);
    assert (start && status == 0);
    assert (streq (s_test.gateway, "tcp://env:1") && s_test.window == 12);
    assert (streq (s_test.region, "751") && s_test.conninfo == NULL && s_test.verbose);
    assert (egov_flags_given (flags, "gateway") && !egov_flags_given (flags, "db"));
    free (output);
    egov_flags_destroy (&flags);
    const char *flagged [] = { "--gateway", "tcp://flag:2", "--window=13", "--db", "dbname=x y",
                               "--regulations", "elsewhere", "-v", "--clock-start",
                               "2027-03-15T10:00", NULL };
    setenv ("EGOV_FLAGS_TEST_VERBOSE", "off", 1);
    flags = s_test_parse (flagged, &start, &status, &output);
    assert (start && status == 0);
    assert (streq (s_test.gateway, "tcp://flag:2") && s_test.window == 13);
    assert (streq (s_test.conninfo, "dbname=x y") && streq (s_test.regulations, "elsewhere"));
    assert (s_test.verbose);
    int64_t moment;
    assert (egov_clock_parse ("2027-03-15T10:00", &moment) && s_test.start_ms == moment);
    assert (egov_flags_given (flags, "clock-start"));
    free (output);
    egov_flags_destroy (&flags);
    for (size_t index = 0; index < sizeof (variables) / sizeof (variables [0]); index++)
        unsetenv (variables [index]);

    //  --help: the usage on the output, status 0, in the same shape for all
    const char *help [] = { "--region", "75", "-h", "--bogus", NULL };
    flags = s_test_parse (help, &start, &status, &output);
    assert (!start && status == 0);
    assert (strncmp (output, "usage: flags-test --region CODE [options]\n", 42) == 0);
    //  Every line fits; a long help continues under its column
    for (char *line = output; *line; ) {
        size_t length = strcspn (line, "\n");
        assert (length < s_WIDTH);
        line += length + (line [length] == '\n');
    }
    assert (strstr (output, "\n                           before the end of the line (env"));
    s_test_unwrap (output);
    assert (strstr (output, "\n      --region CODE  "));
    assert (strstr (output, "the region served (env EGOV_FLAGS_TEST_REGION, required)\n"));
    assert (strstr (output, "(env EGOV_FLAGS_TEST_GATEWAY, default tcp://127.0.0.1:7700)\n"));
    assert (strstr (output, "PostgreSQL conninfo (env EGOV_FLAGS_TEST_DB, default dbname=test_CODE)"));
    assert (strstr (output, "default the repository's regulations)"));
    assert (strstr (output, "from 1 to 1000, default 256)"));
    assert (strstr (output, "sync calls waiting (at least 1, default 50000)"));
    assert (strstr (output, "how long an account stays locked (default 15m)\n"));
    assert (strstr (output, "begin the simulation clock at TIME\n"));
    assert (strstr (output, "log every step (env EGOV_FLAGS_TEST_VERBOSE)\n"));
    assert (strstr (output, "\n  -v, --verbose "));
    assert (strstr (output, "\n  -h, --help "));
    assert (strstr (output, "\nparticipant id test-CODE.\n"));
    assert (strstr (output, "\nExit status: 0 stopped by a signal or after --help, 1 cannot start,"
                            " 64 a bad flag or variable.\n"));
    free (output);
    egov_flags_destroy (&flags);

    //  Usage errors: one line naming what is wrong, the usage, status 64
    const char *unknown [] = { "--region", "750", "--bogus", "--help", NULL };
    s_test_refused (unknown, "unknown option '--bogus'");
    const char *letter [] = { "-x", NULL };
    s_test_refused (letter, "unknown option '-x'");
    const char *word [] = { "--region", "750", "extra", NULL };
    s_test_refused (word, "unknown option 'extra'");
    const char *missing [] = { "--region", "750", "--db", NULL };
    s_test_refused (missing, "--db needs a value");
    const char *empty [] = { "--region", "750", "--gateway", "", NULL };
    s_test_refused (empty, "--gateway needs a value, not an empty one");
    const char *required [] = { "--window", "3", NULL };
    s_test_refused (required, "--region (or EGOV_FLAGS_TEST_REGION) is required: a 3-digit code");
    const char *invalid [] = { "--region", "75", NULL };
    s_test_refused (invalid, "--region wants a 3-digit code, not '75'");
    const char *number [] = { "--region", "750", "--window", "12x", NULL };
    s_test_refused (number, "--window wants a number from 1 to 1000, not '12x'");
    const char *low [] = { "--region", "750", "--window", "0", NULL };
    s_test_refused (low, "--window wants a number from 1 to 1000, not '0'");
    const char *high [] = { "--region", "750", "--window=1001", NULL };
    s_test_refused (high, "--window wants a number from 1 to 1000, not '1001'");
    const char *duration [] = { "--region", "750", "--lock-for", "soon", NULL };
    s_test_refused (duration, "--lock-for wants a duration such as 30m");
    const char *zero [] = { "--region", "750", "--lock-for", "0m", NULL };
    s_test_refused (zero, "--lock-for wants a duration");
    const char *longer [] = { "--region", "750", "--lock-for", "2d", NULL };
    s_test_refused (longer, "at most 86400000 ms, not '2d'");
    const char *moment_bad [] = { "--region", "750", "--clock-start", "soon", NULL };
    s_test_refused (moment_bad, "--clock-start wants an ISO 8601 moment");
    const char *switch_value [] = { "--region", "750", "--verbose=1", NULL };
    s_test_refused (switch_value, "--verbose takes no value");
    setenv ("EGOV_FLAGS_TEST_WINDOW", "many", 1);
    s_test_refused (plain, "EGOV_FLAGS_TEST_WINDOW wants a number from 1 to 1000, not 'many'");
    unsetenv ("EGOV_FLAGS_TEST_WINDOW");
    setenv ("EGOV_FLAGS_TEST_VERBOSE", "maybe", 1);
    s_test_refused (plain, "EGOV_FLAGS_TEST_VERBOSE wants 1 or 0");
    unsetenv ("EGOV_FLAGS_TEST_VERBOSE");

    if (verbose)
        printf ("OK\n");
}
