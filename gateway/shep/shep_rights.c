/*  shep_rights — the gateway's access rights, loaded from a text file.  */
#include "shep_rights.h"
#include <czmq.h>
#include <sys/stat.h>

#define S_NAME_MAX      128             //  characters of a participant, service or route
#define S_LINE_MAX      1024            //  bytes of a line, without its newline
#define S_FILE_MAX      (1024 * 1024)   //  bytes of the file
#define S_RULES_MAX     10000           //  grants in one file
#define S_KATO          "{kato}"        //  the one pattern inside a token
#define S_KATO_SIZE     6               //  its length as written
#define S_KATO_DIGITS   9               //  the length of what it matches

typedef enum {
    S_PATTERN_LITERAL,                  //  compared exactly
    S_PATTERN_KATO,                     //  prefix, nine digits, suffix
    S_PATTERN_ANY                       //  `*`: any valid name
} s_kind_t;

typedef struct {
    const char *text;                   //  the token as written, inside its rule's text
    s_kind_t kind;
    size_t prefix;                      //  S_PATTERN_KATO: bytes before {kato}
    size_t suffix;                      //  S_PATTERN_KATO: bytes after {kato}
} s_pattern_t;

typedef struct {
    shep_right_t right;
    size_t line;                        //  where the grant was written, for messages
    char *text;                         //  the line's tokens, NUL-terminated; patterns point here
    s_pattern_t subject;                //  the participant the grant is for
    s_pattern_t object;                 //  service, route or recipient; unused by clock and log
    s_pattern_t *services;              //  send: the services it may send
    size_t service_count;
} s_rule_t;

//  What tells one version of the file from another without reading it.
typedef struct {
    bool present;                       //  false when the file could not be stat'ed
    dev_t device;
    ino_t inode;
    off_t size;
    time_t mtime_sec;
    long mtime_nsec;
} s_identity_t;

struct _shep_rights_t {
    char *path;                         //  the file the rules came from
    s_rule_t *rules;                    //  in file order
    size_t count;                       //  rules in use
    size_t limit;                       //  rules allocated
    s_identity_t identity;              //  the file as last read (or last tried)
};

//  The verbs, in the order of shep_right_t, with how many tokens follow them.
static const struct {
    const char *name;
    size_t min_objects;
    size_t max_objects;
    const char *arity;                  //  what the verb takes, for the error message
} s_verbs [] = {
    { "provide", 1, 1, "exactly one service" },
    { "route", 1, 1, "exactly one route" },
    { "call", 1, 1, "exactly one service" },
    { "send", 2, SIZE_MAX, "a recipient and at least one service" },
    { "clock", 0, 0, "no object" },
    { "log", 0, 0, "no object" },
    { "fault", 0, 0, "no object" },
};
#define S_VERBS (sizeof (s_verbs) / sizeof (s_verbs [0]))


//  Writes "path:line: what" into problem (or "path: what" when line is 0).
static void
s_problem (char *problem, size_t size, const char *path, size_t line, const char *format, ...)
    __attribute__ ((format (printf, 5, 6)));
static void
s_problem (char *problem, size_t size, const char *path, size_t line, const char *format, ...)
{
    if (!problem || size == 0)
        return;
    char what [512];
    va_list args;
    va_start (args, format);
    vsnprintf (what, sizeof (what), format, args);
    va_end (args);
    if (line)
        snprintf (problem, size, "%s:%zu: %s", path, line, what);
    else
        snprintf (problem, size, "%s: %s", path, what);
}

//  Copies text for a message: at most 48 bytes, anything unprintable as '?'.
static const char *
s_printable (const char *text, char *buffer, size_t size)
{
    assert (size > 4);
    size_t length = 0;
    while (text [length] && length < size - 4 && length < 48) {
        unsigned char byte = (unsigned char) text [length];
        buffer [length] = byte >= 0x20 && byte < 0x7F ? (char) byte : '?';
        length++;
    }
    if (text [length])
        buffer [length++] = '.', buffer [length++] = '.', buffer [length++] = '.';
    buffer [length] = 0;
    return buffer;
}

static bool
s_name_char (unsigned char byte)
{
    return (byte >= 'a' && byte <= 'z') || (byte >= 'A' && byte <= 'Z')
        || (byte >= '0' && byte <= '9')
        || byte == '.' || byte == '_' || byte == ':' || byte == '@' || byte == '-';
}

//  True when name is 1-128 characters of the allowed set; reads at most 129 bytes.
static bool
s_name_valid (const char *name)
{
    if (!name)
        return false;
    size_t length = 0;
    while (name [length]) {
        if (length == S_NAME_MAX || !s_name_char ((unsigned char) name [length]))
            return false;
        length++;
    }
    return length > 0;
}

//  Parses one token of a rule into pattern; false with why set when it is
//  not a name, `*`, or a name with one {kato}.
static bool
s_pattern_parse (s_pattern_t *pattern, const char *token, char *why, size_t size)
{
    memset (pattern, 0, sizeof (s_pattern_t));
    pattern->text = token;
    if (streq (token, "*")) {
        pattern->kind = S_PATTERN_ANY;
        return true;
    }
    size_t katos = 0;
    size_t length = 0;
    char shown [64];
    while (token [length]) {
        unsigned char byte = (unsigned char) token [length];
        if (byte == '{' || byte == '}') {
            if (strncmp (token + length, S_KATO, S_KATO_SIZE) != 0) {
                snprintf (why, size, "'{' or '}' not forming {kato} in '%s'",
                          s_printable (token, shown, sizeof (shown)));
                return false;
            }
            if (++katos > 1) {
                snprintf (why, size, "more than one {kato} in '%s'",
                          s_printable (token, shown, sizeof (shown)));
                return false;
            }
            pattern->prefix = length;
            length += S_KATO_SIZE;
        }
        else
        if (s_name_char (byte))
            length++;
        else {
            if (byte >= 0x20 && byte < 0x7F)
                snprintf (why, size, "invalid character '%c' in '%s'", byte,
                          s_printable (token, shown, sizeof (shown)));
            else
                snprintf (why, size, "invalid character 0x%02X in '%s'", byte,
                          s_printable (token, shown, sizeof (shown)));
            return false;
        }
    }
    size_t matched = length;
    if (katos) {
        pattern->kind = S_PATTERN_KATO;
        pattern->suffix = length - pattern->prefix - S_KATO_SIZE;
        matched = length - S_KATO_SIZE + S_KATO_DIGITS;
    }
    if (matched > S_NAME_MAX) {
        snprintf (why, size, "'%s' is longer than %d characters",
                  s_printable (token, shown, sizeof (shown)), S_NAME_MAX);
        return false;
    }
    return true;
}

//  True when name matches pattern. kato holds the line's {kato} (9 digits
//  and a NUL): an empty one is bound here, a bound one must be equal. The
//  name may be any string: no more than 129 bytes of it are read.
static bool
s_pattern_match (const s_pattern_t *pattern, const char *name, char *kato)
{
    if (!name)
        return false;
    if (pattern->kind == S_PATTERN_ANY)
        return s_name_valid (name);
    if (pattern->kind == S_PATTERN_LITERAL)
        return streq (pattern->text, name);

    size_t expected = pattern->prefix + S_KATO_DIGITS + pattern->suffix;
    if (strnlen (name, S_NAME_MAX + 1) != expected)
        return false;
    if (memcmp (name, pattern->text, pattern->prefix) != 0)
        return false;
    const char *digits = name + pattern->prefix;
    if (memcmp (digits + S_KATO_DIGITS,
                pattern->text + pattern->prefix + S_KATO_SIZE, pattern->suffix) != 0)
        return false;
    for (size_t index = 0; index < S_KATO_DIGITS; index++)
        if (digits [index] < '0' || digits [index] > '9')
            return false;
    if (*kato)
        return memcmp (kato, digits, S_KATO_DIGITS) == 0;
    memcpy (kato, digits, S_KATO_DIGITS);
    kato [S_KATO_DIGITS] = 0;
    return true;
}

//  What stands at position index of the names a literal or {kato} pattern
//  matches: a byte, or -1 for "any digit".
static int
s_pattern_at (const s_pattern_t *pattern, size_t index)
{
    if (pattern->kind == S_PATTERN_LITERAL || index < pattern->prefix)
        return (unsigned char) pattern->text [index];
    if (index < pattern->prefix + S_KATO_DIGITS)
        return -1;
    return (unsigned char) pattern->text [index - S_KATO_DIGITS + S_KATO_SIZE];
}

//  True when some name matches both patterns (neither is `*`).
static bool
s_pattern_overlap (const s_pattern_t *one, const s_pattern_t *other)
{
    size_t length = one->kind == S_PATTERN_KATO
                  ? one->prefix + S_KATO_DIGITS + one->suffix : strlen (one->text);
    size_t other_length = other->kind == S_PATTERN_KATO
                        ? other->prefix + S_KATO_DIGITS + other->suffix : strlen (other->text);
    if (length != other_length)
        return false;
    for (size_t index = 0; index < length; index++) {
        int byte = s_pattern_at (one, index);
        int other_byte = s_pattern_at (other, index);
        if (byte == -1 && other_byte == -1)
            continue;
        if (byte == -1 ? (other_byte < '0' || other_byte > '9')
          : other_byte == -1 ? (byte < '0' || byte > '9')
          : byte != other_byte)
            return false;
    }
    return true;
}

//  True when two route rules could give one route two owners: their routes
//  overlap and their participants differ, or the same template participant
//  binds {kato} from different places of the route.
static bool
s_route_conflict (const s_rule_t *rule, const s_rule_t *other)
{
    if (!s_pattern_overlap (&rule->object, &other->object))
        return false;
    if (!streq (rule->subject.text, other->subject.text))
        return true;
    return rule->subject.kind == S_PATTERN_KATO && rule->object.prefix != other->object.prefix;
}

static void
s_rule_free (s_rule_t *rule)
{
    free (rule->text);
    free (rule->services);
    memset (rule, 0, sizeof (s_rule_t));
}

static void
s_rules_free (shep_rights_t *self)
{
    for (size_t index = 0; index < self->count; index++)
        s_rule_free (&self->rules [index]);
    free (self->rules);
    self->rules = NULL;
    self->count = 0;
    self->limit = 0;
}

//  Checks one grant (the line's tokens, in text) and appends it to self.
//  Takes text; false with problem set when the grant is wrong.
static bool
s_rights_add (shep_rights_t *self, size_t line, char *text, const size_t *offsets,
              size_t tokens, char *problem, size_t size)
{
    s_rule_t rule = { .line = line, .text = text };
    char why [256];
    char shown [64];
    const char *subject = text + offsets [0];
    if (tokens < 2) {
        s_problem (problem, size, self->path, line, "no verb after '%s'",
                   s_printable (subject, shown, sizeof (shown)));
        goto failed;
    }
    const char *verb = text + offsets [1];
    size_t verb_index = 0;
    while (verb_index < S_VERBS && !streq (s_verbs [verb_index].name, verb))
        verb_index++;
    if (verb_index == S_VERBS) {
        s_problem (problem, size, self->path, line, "unknown verb '%s'",
                   s_printable (verb, shown, sizeof (shown)));
        goto failed;
    }
    rule.right = (shep_right_t) verb_index;
    size_t objects = tokens - 2;
    if (objects < s_verbs [verb_index].min_objects || objects > s_verbs [verb_index].max_objects) {
        s_problem (problem, size, self->path, line, "'%s' takes %s, not %zu",
                   verb, s_verbs [verb_index].arity, objects);
        goto failed;
    }
    if (!s_pattern_parse (&rule.subject, subject, why, sizeof (why))) {
        s_problem (problem, size, self->path, line, "participant: %s", why);
        goto failed;
    }
    if (rule.subject.kind == S_PATTERN_ANY) {
        s_problem (problem, size, self->path, line, "'*' cannot be the participant");
        goto failed;
    }
    if (objects) {
        if (!s_pattern_parse (&rule.object, text + offsets [2], why, sizeof (why))) {
            s_problem (problem, size, self->path, line, "%s", why);
            goto failed;
        }
        rule.service_count = objects - 1;
        if (rule.service_count) {
            rule.services = (s_pattern_t *) calloc (rule.service_count, sizeof (s_pattern_t));
            assert (rule.services);
        }
        for (size_t index = 0; index < rule.service_count; index++)
            if (!s_pattern_parse (&rule.services [index], text + offsets [3 + index],
                                  why, sizeof (why))) {
                s_problem (problem, size, self->path, line, "%s", why);
                goto failed;
            }
    }
    //  A {kato} the participant does not name is any region (the first
    //  token that holds it fixes it for the rest of the line); but a route
    //  like that would give one participant every region
    if (rule.subject.kind != S_PATTERN_KATO && rule.right == SHEP_RIGHT_ROUTE
    &&  rule.object.kind == S_PATTERN_KATO) {
        s_problem (problem, size, self->path, line,
                   "{kato} is unbound: the participant '%s' has none, and a route has one owner", subject);
        goto failed;
    }
    if (rule.right == SHEP_RIGHT_ROUTE) {
        if (rule.object.kind == S_PATTERN_ANY) {
            s_problem (problem, size, self->path, line,
                       "a route must be a name or hold {kato}, not '*'");
            goto failed;
        }
        //  Else every region would own this one route
        if (rule.subject.kind == S_PATTERN_KATO && rule.object.kind != S_PATTERN_KATO) {
            s_problem (problem, size, self->path, line,
                       "route '%s' leaves the {kato} of '%s' open: one route has one owner",
                       rule.object.text, subject);
            goto failed;
        }
        for (size_t index = 0; index < self->count; index++) {
            s_rule_t *other = &self->rules [index];
            if (other->right == SHEP_RIGHT_ROUTE && s_route_conflict (&rule, other)) {
                s_problem (problem, size, self->path, line,
                           "route '%s' of '%s' overlaps route '%s' of '%s' on line %zu",
                           rule.object.text, subject, other->object.text,
                           other->subject.text, other->line);
                goto failed;
            }
        }
    }
    if (self->count == S_RULES_MAX) {
        s_problem (problem, size, self->path, line, "more than %d rules", S_RULES_MAX);
        goto failed;
    }
    if (self->count == self->limit) {
        self->limit = self->limit ? self->limit * 2 : 16;
        self->rules = (s_rule_t *) realloc (self->rules, self->limit * sizeof (s_rule_t));
        assert (self->rules);
    }
    self->rules [self->count++] = rule;
    return true;

failed:
    s_rule_free (&rule);
    return false;
}

//  Parses one line (length bytes, no newline); blank and comment lines add
//  nothing. False with problem set when the line is wrong.
static bool
s_rights_parse_line (shep_rights_t *self, size_t line, const char *start, size_t length,
                     char *problem, size_t size)
{
    if (length > S_LINE_MAX) {
        s_problem (problem, size, self->path, line, "line longer than %d bytes", S_LINE_MAX);
        return false;
    }
    const char *comment = (const char *) memchr (start, '#', length);
    if (comment)
        length = (size_t) (comment - start);
    if (memchr (start, 0, length)) {
        s_problem (problem, size, self->path, line, "invalid character 0x00");
        return false;
    }
    //  Split into tokens in place: separators become NULs
    char *text = (char *) malloc (length + 1);
    assert (text);
    memcpy (text, start, length);
    text [length] = 0;
    size_t offsets [S_LINE_MAX / 2 + 1];
    size_t tokens = 0;
    size_t index = 0;
    while (index < length) {
        while (index < length && (text [index] == ' ' || text [index] == '\t' || text [index] == '\r'))
            text [index++] = 0;
        if (index == length)
            break;
        offsets [tokens++] = index;
        while (index < length && text [index] != ' ' && text [index] != '\t' && text [index] != '\r')
            index++;
    }
    if (tokens == 0) {
        free (text);
        return true;
    }
    return s_rights_add (self, line, text, offsets, tokens, problem, size);
}

static void
s_identity_from (s_identity_t *identity, const struct stat *info)
{
    identity->present = true;
    identity->device = info->st_dev;
    identity->inode = info->st_ino;
    identity->size = info->st_size;
    identity->mtime_sec = info->st_mtim.tv_sec;
    identity->mtime_nsec = info->st_mtim.tv_nsec;
}

static bool
s_identity_equal (const s_identity_t *one, const s_identity_t *other)
{
    if (one->present != other->present)
        return false;
    return !one->present
        || (one->device == other->device && one->inode == other->inode
         && one->size == other->size && one->mtime_sec == other->mtime_sec
         && one->mtime_nsec == other->mtime_nsec);
}

//  Reads the whole file (at most 1 MiB) into a fresh buffer; its identity
//  is the one of the file actually read. NULL with problem set on failure.
static char *
s_file_read (const char *path, size_t *length, s_identity_t *identity, char *problem, size_t size)
{
    int handle = open (path, O_RDONLY | O_CLOEXEC);
    if (handle == -1) {
        s_problem (problem, size, path, 0, "cannot open: %s", strerror (errno));
        return NULL;
    }
    char *content = NULL;
    struct stat info;
    if (fstat (handle, &info) == -1) {
        s_problem (problem, size, path, 0, "cannot stat: %s", strerror (errno));
        goto done;
    }
    if (!S_ISREG (info.st_mode)) {
        s_problem (problem, size, path, 0, "not a regular file");
        goto done;
    }
    if (info.st_size > S_FILE_MAX) {
        s_problem (problem, size, path, 0, "larger than %d bytes", S_FILE_MAX);
        goto done;
    }
    s_identity_from (identity, &info);
    //  One byte more than allowed tells a file that grew since fstat
    content = (char *) malloc (S_FILE_MAX + 1);
    assert (content);
    size_t filled = 0;
    while (filled < S_FILE_MAX + 1) {
        ssize_t got = read (handle, content + filled, S_FILE_MAX + 1 - filled);
        if (got == -1 && errno == EINTR)
            continue;
        if (got == -1) {
            s_problem (problem, size, path, 0, "cannot read: %s", strerror (errno));
            free (content);
            content = NULL;
            goto done;
        }
        if (got == 0)
            break;
        filled += (size_t) got;
    }
    if (filled > S_FILE_MAX) {
        s_problem (problem, size, path, 0, "larger than %d bytes", S_FILE_MAX);
        free (content);
        content = NULL;
        goto done;
    }
    *length = filled;
done:
    close (handle);
    return content;
}

//  Loads path into a new object; NULL with problem set.
static shep_rights_t *
s_rights_read (const char *path, char *problem, size_t size)
{
    shep_rights_t *self = (shep_rights_t *) zmalloc (sizeof (shep_rights_t));
    assert (self);
    self->path = strdup (path);
    assert (self->path);
    size_t length = 0;
    char *content = s_file_read (path, &length, &self->identity, problem, size);
    if (!content) {
        shep_rights_destroy (&self);
        return NULL;
    }
    size_t line = 0;
    size_t start = 0;
    while (start < length) {
        const char *newline = (const char *) memchr (content + start, '\n', length - start);
        size_t end = newline ? (size_t) (newline - content) : length;
        if (!s_rights_parse_line (self, ++line, content + start, end - start, problem, size)) {
            shep_rights_destroy (&self);
            break;
        }
        start = end + 1;
    }
    free (content);
    return self;
}

shep_rights_t *
shep_rights_load (const char *path, char *problem, size_t size)
{
    assert (path);
    return s_rights_read (path, problem, size);
}

void
shep_rights_destroy (shep_rights_t **self_p)
{
    assert (self_p);
    shep_rights_t *self = *self_p;
    if (!self)
        return;
    s_rules_free (self);
    free (self->path);
    free (self);
    *self_p = NULL;
}

int
shep_rights_refresh (shep_rights_t *self, char *problem, size_t size)
{
    assert (self);
    s_identity_t now = { 0 };
    struct stat info;
    if (stat (self->path, &info) == 0)
        s_identity_from (&now, &info);
    if (s_identity_equal (&now, &self->identity))
        return 0;
    shep_rights_t *fresh = s_rights_read (self->path, problem, size);
    if (!fresh) {
        //  The old rules stay; this version of the file is reported once
        self->identity = now;
        return -1;
    }
    s_rules_free (self);
    self->rules = fresh->rules;
    self->count = fresh->count;
    self->limit = fresh->limit;
    self->identity = fresh->identity;
    fresh->rules = NULL;
    fresh->count = 0;
    shep_rights_destroy (&fresh);
    return 1;
}

bool
shep_rights_allows (shep_rights_t *self, const char *participant, shep_right_t right,
                    const char *object, const char *service)
{
    assert (self);
    if (!participant || (unsigned) right >= S_VERBS)
        return false;
    for (size_t index = 0; index < self->count; index++) {
        const s_rule_t *rule = &self->rules [index];
        char kato [S_KATO_DIGITS + 1] = "";
        if (rule->right != right || !s_pattern_match (&rule->subject, participant, kato))
            continue;
        if (right == SHEP_RIGHT_CLOCK || right == SHEP_RIGHT_LOG || right == SHEP_RIGHT_FAULT)
            return true;
        if (!s_pattern_match (&rule->object, object, kato))
            continue;
        if (right != SHEP_RIGHT_SEND)
            return true;
        for (size_t which = 0; which < rule->service_count; which++)
            if (s_pattern_match (&rule->services [which], service, kato)
            //  `*` is any service, or none
            ||  (rule->services [which].kind == S_PATTERN_ANY && service && !*service))
                return true;
    }
    return false;
}

bool
shep_rights_registered (shep_rights_t *self, const char *participant)
{
    assert (self);
    if (!participant)
        return false;
    for (size_t index = 0; index < self->count; index++) {
        char kato [S_KATO_DIGITS + 1] = "";
        if (s_pattern_match (&self->rules [index].subject, participant, kato))
            return true;
    }
    return false;
}

bool
shep_rights_route_owner (shep_rights_t *self, const char *route, char *owner, size_t size)
{
    assert (self);
    if (!route || !owner || size == 0)
        return false;
    for (size_t index = 0; index < self->count; index++) {
        const s_rule_t *rule = &self->rules [index];
        char kato [S_KATO_DIGITS + 1] = "";
        if (rule->right != SHEP_RIGHT_ROUTE || !s_pattern_match (&rule->object, route, kato))
            continue;
        //  The load made sure a template participant's {kato} is in its route
        const s_pattern_t *subject = &rule->subject;
        int written = subject->kind == S_PATTERN_LITERAL
            ? snprintf (owner, size, "%s", subject->text)
            : snprintf (owner, size, "%.*s%s%s", (int) subject->prefix, subject->text, kato,
                        subject->text + subject->prefix + S_KATO_SIZE);
        if (written < 0 || (size_t) written >= size) {
            *owner = 0;
            return false;
        }
        return true;
    }
    return false;
}

const char *
shep_rights_path (shep_rights_t *self)
{
    assert (self);
    return self->path;
}

size_t
shep_rights_size (shep_rights_t *self)
{
    assert (self);
    return self->count;
}

const char *
shep_right_name (shep_right_t right)
{
    return (unsigned) right < S_VERBS ? s_verbs [right].name : "unknown";
}


//  --------------------------------------------------------------------------
//  Selftest

static void
s_test_write (const char *path, const char *text)
{
    FILE *file = fopen (path, "w");
    assert (file);
    assert (fwrite (text, 1, strlen (text), file) == strlen (text));
    assert (fclose (file) == 0);
}

//  Asserts that text does not load, and that the problem names line and says what.
static void
s_test_fails (const char *path, const char *text, size_t line, const char *what, bool verbose)
{
    s_test_write (path, text);
    char problem [512] = "";
    shep_rights_t *rights = shep_rights_load (path, problem, sizeof (problem));
    if (verbose)
        printf ("\n   %s", problem);
    assert (rights == NULL);
    char *expected = line ? zsys_sprintf ("%s:%zu: ", path, line) : zsys_sprintf ("%s: ", path);
    assert (strncmp (problem, expected, strlen (expected)) == 0);
    assert (strstr (problem, what));
    zstr_free (&expected);
}

void
shep_rights_test (bool verbose)
{
    if (verbose)
        printf (" * shep_rights: ");
    char path [] = "/tmp/shep_rights_test_XXXXXX";
    int handle = mkstemp (path);
    assert (handle != -1);
    close (handle);

    const char *rules =
        "# The gateway's rights\n"
        "\n"
        "intake          call     gbdfl.person      # the desk asks the registry\n"
        "   gbdfl\tprovide\tgbdfl.person\n"
        "leb-{kato}      provide  application.registered\n"
        "leb-{kato}      send     regional-{kato} application.status application.result\n"
        "regional-{kato} route    {kato}\n"
        "regional-{kato} route    {kato}\n"         //  an identical duplicate is fine
        "regional-{kato} provide  *\n"
        "portal          send     *  application.submitted\n"
        "courier         send     intake *\n"
        "desk            send     regional-{kato} application.submit box.{kato}\n"
        "egovctl         clock\n"
        "auditor         log      # reads the log\r\n"
        "capital-gw      route    astana\n"
        "        # an indented comment\n";
    s_test_write (path, rules);
    char problem [512] = "";
    shep_rights_t *rights = shep_rights_load (path, problem, sizeof (problem));
    assert (rights);
    assert (streq (shep_rights_path (rights), path));
    assert (shep_rights_size (rights) == 13);

    //  provide and call
    assert (shep_rights_allows (rights, "intake", SHEP_RIGHT_CALL, "gbdfl.person", NULL));
    assert (!shep_rights_allows (rights, "intake", SHEP_RIGHT_CALL, "enis.notary", NULL));
    assert (!shep_rights_allows (rights, "intake", SHEP_RIGHT_PROVIDE, "gbdfl.person", NULL));
    assert (!shep_rights_allows (rights, "gbdfl", SHEP_RIGHT_CALL, "gbdfl.person", NULL));
    assert (shep_rights_allows (rights, "gbdfl", SHEP_RIGHT_PROVIDE, "gbdfl.person", NULL));
    assert (!shep_rights_allows (rights, "gbdfl", SHEP_RIGHT_PROVIDE, "gbdfl.person2", NULL));
    assert (!shep_rights_allows (rights, "gbdfl", SHEP_RIGHT_PROVIDE, NULL, NULL));
    assert (shep_rights_allows (rights, "leb-750000000", SHEP_RIGHT_PROVIDE,
                                "application.registered", NULL));
    assert (!shep_rights_allows (rights, "leb-75000000", SHEP_RIGHT_PROVIDE,
                                 "application.registered", NULL));
    assert (!shep_rights_allows (rights, "leb-7500000000", SHEP_RIGHT_PROVIDE,
                                 "application.registered", NULL));
    assert (!shep_rights_allows (rights, "leb-75000000a", SHEP_RIGHT_PROVIDE,
                                 "application.registered", NULL));
    //  `*` as a service: any valid name, nothing else
    assert (shep_rights_allows (rights, "regional-230000000", SHEP_RIGHT_PROVIDE, "anything.at:all", NULL));
    assert (!shep_rights_allows (rights, "regional-230000000", SHEP_RIGHT_PROVIDE, "", NULL));
    assert (!shep_rights_allows (rights, "regional-230000000", SHEP_RIGHT_PROVIDE, "not valid", NULL));
    assert (!shep_rights_allows (rights, "regional-23000000", SHEP_RIGHT_PROVIDE, "anything", NULL));

    //  send, with {kato} bound by the participant
    assert (shep_rights_allows (rights, "leb-750000000", SHEP_RIGHT_SEND,
                                "regional-750000000", "application.status"));
    assert (shep_rights_allows (rights, "leb-750000000", SHEP_RIGHT_SEND,
                                "regional-750000000", "application.result"));
    assert (!shep_rights_allows (rights, "leb-750000000", SHEP_RIGHT_SEND,
                                 "regional-230000000", "application.status"));
    assert (!shep_rights_allows (rights, "leb-750000000", SHEP_RIGHT_SEND,
                                 "regional-750000000", "application.registered"));
    assert (!shep_rights_allows (rights, "leb-750000000", SHEP_RIGHT_SEND,
                                 "regional-750000000", NULL));
    assert (!shep_rights_allows (rights, "leb-750000000", SHEP_RIGHT_SEND, NULL, "application.status"));
    assert (shep_rights_allows (rights, "portal", SHEP_RIGHT_SEND, "regional-230000000",
                                "application.submitted"));
    assert (shep_rights_allows (rights, "portal", SHEP_RIGHT_SEND, "intake", "application.submitted"));
    assert (!shep_rights_allows (rights, "portal", SHEP_RIGHT_SEND, "bad/name", "application.submitted"));
    assert (!shep_rights_allows (rights, "portal", SHEP_RIGHT_SEND, "intake", "application.status"));
    assert (shep_rights_allows (rights, "courier", SHEP_RIGHT_SEND, "intake", "any.service"));
    assert (shep_rights_allows (rights, "courier", SHEP_RIGHT_SEND, "intake", ""));
    assert (!shep_rights_allows (rights, "leb-750000000", SHEP_RIGHT_SEND, "regional-750000000", ""));
    assert (!shep_rights_allows (rights, "courier", SHEP_RIGHT_SEND, "portal", "any.service"));
    assert (!shep_rights_allows (rights, "intake", SHEP_RIGHT_SEND, "gbdfl", "gbdfl.person"));

    //  a {kato} the participant does not name: any region, one per line
    assert (shep_rights_allows (rights, "desk", SHEP_RIGHT_SEND, "regional-430000000", "application.submit"));
    assert (shep_rights_allows (rights, "desk", SHEP_RIGHT_SEND, "regional-430000000", "box.430000000"));
    assert (!shep_rights_allows (rights, "desk", SHEP_RIGHT_SEND, "regional-430000000", "box.750000000"));
    assert (!shep_rights_allows (rights, "desk", SHEP_RIGHT_SEND, "regional-43000000", "application.submit"));
    assert (!shep_rights_allows (rights, "desk", SHEP_RIGHT_SEND, "leb-430000000", "application.submit"));

    //  route, and the one owner of a route
    assert (shep_rights_allows (rights, "regional-230000000", SHEP_RIGHT_ROUTE, "230000000", NULL));
    assert (!shep_rights_allows (rights, "regional-230000000", SHEP_RIGHT_ROUTE, "750000000", NULL));
    assert (!shep_rights_allows (rights, "leb-230000000", SHEP_RIGHT_ROUTE, "230000000", NULL));
    assert (shep_rights_allows (rights, "capital-gw", SHEP_RIGHT_ROUTE, "astana", NULL));
    assert (!shep_rights_allows (rights, "capital-gw", SHEP_RIGHT_ROUTE, "almaty", NULL));
    char owner [64];
    assert (shep_rights_route_owner (rights, "230000000", owner, sizeof (owner)));
    assert (streq (owner, "regional-230000000"));
    assert (shep_rights_route_owner (rights, "astana", owner, sizeof (owner)));
    assert (streq (owner, "capital-gw"));
    assert (!shep_rights_route_owner (rights, "23000000", owner, sizeof (owner)));
    assert (!shep_rights_route_owner (rights, "abc", owner, sizeof (owner)));
    assert (!shep_rights_route_owner (rights, "", owner, sizeof (owner)));
    assert (!shep_rights_route_owner (rights, NULL, owner, sizeof (owner)));
    //  An owner that would not fit is no owner
    assert (!shep_rights_route_owner (rights, "230000000", owner, 18));
    assert (shep_rights_route_owner (rights, "230000000", owner, 19));

    //  clock and log
    assert (shep_rights_allows (rights, "egovctl", SHEP_RIGHT_CLOCK, NULL, NULL));
    assert (!shep_rights_allows (rights, "egovctl", SHEP_RIGHT_LOG, NULL, NULL));
    assert (shep_rights_allows (rights, "auditor", SHEP_RIGHT_LOG, "ignored", NULL));
    assert (!shep_rights_allows (rights, "auditor", SHEP_RIGHT_CLOCK, NULL, NULL));
    assert (!shep_rights_allows (rights, "intake", SHEP_RIGHT_CLOCK, NULL, NULL));
    assert (!shep_rights_allows (rights, "intake", SHEP_RIGHT_LOG, NULL, NULL));
    assert (!shep_rights_allows (rights, "auditor", (shep_right_t) 42, NULL, NULL));

    //  Registered participants, and hostile strings
    assert (shep_rights_registered (rights, "intake"));
    assert (shep_rights_registered (rights, "leb-750000000"));
    assert (shep_rights_registered (rights, "regional-230000000"));
    assert (shep_rights_registered (rights, "auditor"));
    assert (!shep_rights_registered (rights, "leb-7"));
    assert (!shep_rights_registered (rights, "nobody"));
    assert (!shep_rights_registered (rights, ""));
    assert (!shep_rights_registered (rights, NULL));
    assert (!shep_rights_registered (rights, "*"));
    assert (!shep_rights_registered (rights, "leb-{kato}"));
    char *huge = (char *) malloc (100000);
    assert (huge);
    memset (huge, 'a', 99999);
    huge [99999] = 0;
    assert (!shep_rights_registered (rights, huge));
    assert (!shep_rights_allows (rights, "portal", SHEP_RIGHT_SEND, huge, "application.submitted"));
    assert (!shep_rights_route_owner (rights, huge, owner, sizeof (owner)));
    free (huge);

    assert (streq (shep_right_name (SHEP_RIGHT_PROVIDE), "provide"));
    assert (streq (shep_right_name (SHEP_RIGHT_ROUTE), "route"));
    assert (streq (shep_right_name (SHEP_RIGHT_CALL), "call"));
    assert (streq (shep_right_name (SHEP_RIGHT_SEND), "send"));
    assert (streq (shep_right_name (SHEP_RIGHT_CLOCK), "clock"));
    assert (streq (shep_right_name (SHEP_RIGHT_FAULT), "fault"));
    assert (streq (shep_right_name (SHEP_RIGHT_LOG), "log"));

    //  Refresh: unchanged, rewritten, rewritten wrong (the old rules stay)
    assert (shep_rights_refresh (rights, problem, sizeof (problem)) == 0);
    s_test_write (path, "intake call gbdfl.person\nintake clock\n");
    assert (shep_rights_refresh (rights, problem, sizeof (problem)) == 1);
    assert (shep_rights_size (rights) == 2);
    assert (shep_rights_allows (rights, "intake", SHEP_RIGHT_CLOCK, NULL, NULL));
    assert (!shep_rights_allows (rights, "egovctl", SHEP_RIGHT_CLOCK, NULL, NULL));
    assert (!shep_rights_registered (rights, "leb-750000000"));
    assert (shep_rights_refresh (rights, problem, sizeof (problem)) == 0);
    s_test_write (path, "intake call gbdfl.person\n\nintake fly\n");
    problem [0] = 0;
    assert (shep_rights_refresh (rights, problem, sizeof (problem)) == -1);
    assert (strstr (problem, ":3: unknown verb 'fly'"));
    assert (shep_rights_size (rights) == 2);
    assert (shep_rights_allows (rights, "intake", SHEP_RIGHT_CLOCK, NULL, NULL));
    //  The broken file is reported once, then again only when it changes
    assert (shep_rights_refresh (rights, problem, sizeof (problem)) == 0);
    s_test_write (path, "auditor log\n");
    assert (shep_rights_refresh (rights, problem, sizeof (problem)) == 1);
    assert (shep_rights_size (rights) == 1);
    assert (!shep_rights_allows (rights, "intake", SHEP_RIGHT_CLOCK, NULL, NULL));
    assert (remove (path) == 0);
    assert (shep_rights_refresh (rights, problem, sizeof (problem)) == -1);
    assert (strstr (problem, "cannot open"));
    assert (shep_rights_refresh (rights, problem, sizeof (problem)) == 0);
    assert (shep_rights_allows (rights, "auditor", SHEP_RIGHT_LOG, NULL, NULL));
    shep_rights_destroy (&rights);
    shep_rights_destroy (&rights);

    //  Nothing granted: everything denied
    s_test_write (path, "# nobody yet\n\n   \t\n");
    rights = shep_rights_load (path, NULL, 0);
    assert (rights);
    assert (shep_rights_size (rights) == 0);
    assert (!shep_rights_registered (rights, "intake"));
    assert (!shep_rights_allows (rights, "intake", SHEP_RIGHT_LOG, NULL, NULL));
    assert (!shep_rights_route_owner (rights, "230000000", owner, sizeof (owner)));
    shep_rights_destroy (&rights);

    //  Every load error, with its line
    s_test_fails (path, "a clock\nb fly x\n", 2, "unknown verb 'fly'", verbose);
    s_test_fails (path, "lonely\n", 1, "no verb", verbose);
    s_test_fails (path, "a provide\n", 1, "'provide' takes exactly one service", verbose);
    s_test_fails (path, "a provide x y\n", 1, "'provide' takes", verbose);
    s_test_fails (path, "a route\n", 1, "'route' takes", verbose);
    s_test_fails (path, "\na call x y\n", 2, "'call' takes", verbose);
    s_test_fails (path, "a send b\n", 1, "'send' takes a recipient and at least one service", verbose);
    s_test_fails (path, "a clock now\n", 1, "'clock' takes no object", verbose);
    s_test_fails (path, "a log all\n", 1, "'log' takes no object", verbose);
    s_test_fails (path, "a call gbdfl/person\n", 1, "invalid character '/'", verbose);
    s_test_fails (path, "a\x01 clock\n", 1, "invalid character 0x01", verbose);
    s_test_fails (path, "a call x\xC3\xA9\n", 1, "invalid character 0xC3", verbose);
    s_test_fails (path, "a call x*\n", 1, "invalid character '*'", verbose);
    s_test_fails (path, "a call {kato\n", 1, "not forming {kato}", verbose);
    s_test_fails (path, "a-{kato} call x{KATO}\n", 1, "not forming {kato}", verbose);
    s_test_fails (path, "a-{kato} call x}\n", 1, "not forming {kato}", verbose);
    s_test_fails (path, "a-{kato} call {kato}{kato}\n", 1, "more than one {kato}", verbose);
    s_test_fails (path, "{kato}-{kato} clock\n", 1, "more than one {kato}", verbose);
    s_test_fails (path, "a route {kato}\n", 1, "{kato} is unbound", verbose);
    s_test_fails (path, "* log\n", 1, "'*' cannot be the participant", verbose);
    s_test_fails (path, "a-{kato} route *\n", 1, "not '*'", verbose);
    s_test_fails (path, "a-{kato} route 750000000\n", 1, "leaves the {kato}", verbose);
    //  Two owners for one route
    s_test_fails (path, "a route 750000000\nb route 750000000\n", 2, "overlaps route '750000000' of 'a' on line 1", verbose);
    s_test_fails (path, "a route 750000000\nr-{kato} route {kato}\n", 2, "overlaps", verbose);
    s_test_fails (path, "r-{kato} route {kato}\n# later\nb route 750000000\n", 3, "overlaps", verbose);
    s_test_fails (path, "r-{kato} route {kato}\nq-{kato} route {kato}\n", 2, "overlaps", verbose);
    s_test_fails (path, "r-{kato} route {kato}1\nr-{kato} route 1{kato}\n", 2, "overlaps", verbose);
    //  ... and routes that cannot meet: one participant, one route each
    s_test_write (path, "a route 75000000\nr-{kato} route {kato}\nb-{kato} route x{kato}\n"
                        "b-{kato} route {kato}x\nc route 7500000a\nd route 750000000y\n");
    rights = shep_rights_load (path, problem, sizeof (problem));
    assert (rights);
    assert (shep_rights_route_owner (rights, "x123456789", owner, sizeof (owner)));
    assert (streq (owner, "b-123456789"));
    assert (shep_rights_route_owner (rights, "123456789x", owner, sizeof (owner)));
    assert (streq (owner, "b-123456789"));
    assert (shep_rights_route_owner (rights, "75000000", owner, sizeof (owner)));
    assert (streq (owner, "a"));
    shep_rights_destroy (&rights);

    //  The limits: a line of 1024 bytes, 1 MiB, 10000 rules
    char line [S_LINE_MAX + 2];
    memset (line, ' ', S_LINE_MAX);
    memcpy (line, "a clock #", 9);
    line [S_LINE_MAX] = '\n';
    line [S_LINE_MAX + 1] = 0;
    char *text = zsys_sprintf ("a log\n%s", line);
    s_test_write (path, text);
    zstr_free (&text);
    rights = shep_rights_load (path, problem, sizeof (problem));
    assert (rights);
    assert (shep_rights_size (rights) == 2);
    shep_rights_destroy (&rights);
    line [S_LINE_MAX] = ' ';
    text = zsys_sprintf ("a log\n%s\n", line);
    s_test_fails (path, text, 2, "line longer than 1024 bytes", verbose);
    zstr_free (&text);

    size_t rule_size = strlen ("p clock\n");
    char *many = (char *) malloc (rule_size * (S_RULES_MAX + 1) + 1);
    assert (many);
    for (size_t index = 0; index < S_RULES_MAX; index++)
        memcpy (many + index * rule_size, "p clock\n", rule_size);
    many [rule_size * S_RULES_MAX] = 0;
    s_test_write (path, many);
    rights = shep_rights_load (path, problem, sizeof (problem));
    assert (rights);
    assert (shep_rights_size (rights) == S_RULES_MAX);
    shep_rights_destroy (&rights);
    memcpy (many + S_RULES_MAX * rule_size, "p clock\n", rule_size + 1);
    s_test_fails (path, many, S_RULES_MAX + 1, "more than 10000 rules", verbose);
    free (many);

    char *big = (char *) malloc (S_FILE_MAX + 2);
    assert (big);
    memset (big, '#', S_FILE_MAX + 1);
    big [S_FILE_MAX + 1] = 0;
    s_test_fails (path, big, 0, "larger than 1048576 bytes", verbose);
    big [S_FILE_MAX] = 0;
    s_test_write (path, big);
    rights = shep_rights_load (path, problem, sizeof (problem));
    assert (rights == NULL);            //  one comment line of 1 MiB is too long
    assert (strstr (problem, ":1: line longer"));
    free (big);

    //  A file that cannot be read
    assert (remove (path) == 0);
    rights = shep_rights_load (path, problem, sizeof (problem));
    assert (rights == NULL);
    assert (strstr (problem, "cannot open"));
    rights = shep_rights_load ("/tmp", problem, sizeof (problem));
    assert (rights == NULL);
    assert (strstr (problem, "/tmp: not a regular file"));
    //  A problem buffer too small is cut, not overrun
    char tiny [8];
    assert (shep_rights_load (path, tiny, sizeof (tiny)) == NULL);
    assert (strlen (tiny) == 7);

    if (verbose)
        printf ("\n   OK\n");
}
