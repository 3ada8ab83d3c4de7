/*  egovctl_pki — `pki init|issue|revoke|list`, `sign` and `verify`: the
    test CA (egov_pki) and CMS signatures (egov_cms) from the command line,
    on the PKI folder (--pki, env EGOV_PKI_DIR, default var/pki).         */
#include "egovctl.h"
#include "egovctl_json.h"
#include "egovctl_pki.h"
#include "egovctl_keys.h"
#include "egovctl_time.h"
#include "egov_cms.h"
#include "egov_pki.h"
#include "egov_clock.h"
#include <getopt.h>
#include <sys/stat.h>

#define S_DAYS_MAX  36500               //  --days: a hundred years is plenty for a test

//  Flags; each bit is one, to check what a command accepts.
typedef enum {
    OPT_JSON = 1, OPT_HELP, OPT_GATEWAY, OPT_AS, OPT_TIMEOUT, OPT_PKI,
    OPT_NAME, OPT_IIN, OPT_BIN, OPT_ORG, OPT_DAYS, OPT_USAGE,
    OPT_KEY, OPT_CERT, OPT_ATTACHED, OPT_CONTENT, OPT_AT, OPT_FROM, OPT_KEYS
} s_option_t;

#define BIT(option) (1u << (option))
#define GLOBAL_OPTIONS (BIT (OPT_JSON) | BIT (OPT_HELP) | BIT (OPT_GATEWAY) | BIT (OPT_AS) \
                        | BIT (OPT_TIMEOUT) | BIT (OPT_PKI) | BIT (OPT_KEYS))
#define S_PROBE_MS  500                 //  how long the gateway may take to tell the time

static const struct option s_options [] = {
    { "json", no_argument, NULL, OPT_JSON },
    { "help", no_argument, NULL, OPT_HELP },
    { "gateway", required_argument, NULL, OPT_GATEWAY },
    { "as", required_argument, NULL, OPT_AS },
    { "timeout", required_argument, NULL, OPT_TIMEOUT },
    { "pki", required_argument, NULL, OPT_PKI },
    { "name", required_argument, NULL, OPT_NAME },
    { "iin", required_argument, NULL, OPT_IIN },
    { "bin", required_argument, NULL, OPT_BIN },
    { "org", required_argument, NULL, OPT_ORG },
    { "days", required_argument, NULL, OPT_DAYS },
    { "usage", required_argument, NULL, OPT_USAGE },
    { "key", required_argument, NULL, OPT_KEY },
    { "cert", required_argument, NULL, OPT_CERT },
    { "attached", no_argument, NULL, OPT_ATTACHED },
    { "content", required_argument, NULL, OPT_CONTENT },
    { "at", required_argument, NULL, OPT_AT },
    { "from", required_argument, NULL, OPT_FROM },
    { "keys", required_argument, NULL, OPT_KEYS },
    { NULL, 0, NULL, 0 }
};

//  The command line as parsed.
typedef struct {
    bool json;                      //  one JSON document on stdout
    const char *dir;                //  PKI folder
    const char *words [3];          //  command, subcommand or file, argument
    int word_count;                 //  positional arguments seen
    unsigned seen;                  //  flags given, as bits
    const char *name;               //  issue --name
    const char *iin;                //  issue --iin, verify --iin
    const char *bin;                //  issue --bin
    const char *org;                //  issue --org
    long days;                      //  issue --days
    egov_pki_usage_t usage;         //  issue --usage
    const char *key;                //  sign --key
    const char *cert;               //  sign --cert
    const char *content;            //  verify --content
    int64_t at_ms;                  //  verify: time judged at; sign: signing time
    const char *gateway;            //  asked for the simulated now (--gateway, EGOV_GATEWAY)
    const char *participant;        //  --as, with its key pair
    const char *keys;               //  --keys, EGOV_KEYS_DIR or the repository's var/keys
    int timeout_ms;                 //  --timeout of that question
    bool now_known;                 //  now_ms was found
    int64_t now_ms;                 //  the moment the command works at, without --at
    bool simulated;                 //  ... the gateway's simulated now, else wall time
    char dir_path [4096];           //  storage for the default PKI folder
    char keys_path [4096];          //  storage for the default keys folder
} s_command_t;

static void
s_usage (FILE *stream)
{
    fprintf (stream,
        "usage: egovctl [--pki DIR] [--json] COMMAND ...   (no gateway needed)\n"
        "\n"
        "  pki init                            make the test CA, the demo certificates and\n"
        "                                      the test cases that are missing\n"
        "  pki issue --name NAME (--iin IIN | --bin BIN --org NAME [--iin IIN])\n"
        "            [--days N] [--usage sign|auth]\n"
        "                                      issue a certificate and its key\n"
        "  pki revoke SERIAL|IIN|BIN           revoke and rewrite the CRL\n"
        "  pki list                            every certificate with its status now\n"
        "  pki init|issue|revoke|list --at TIME   the same as of TIME (issue: also --from):\n"
        "                                      certificates start there (demo ones reach a\n"
        "                                      year back and two ahead), revocations are\n"
        "                                      dated then\n"
        "  sign --key K --cert C [--attached] [--at TIME] FILE\n"
        "                                      print the base64 CMS signature of FILE\n"
        "  verify [--content FILE] [--iin IIN] [--at TIME] SIGFILE\n"
        "                                      print the outcome and the signer\n"
        "\n"
        "  --pki DIR   the PKI folder (env EGOV_PKI_DIR, default the repository's %s)\n"
        "  --at TIME   ISO 8601 (Almaty time when no offset) or ms since the epoch;\n"
        "              verify judges validity then, sign states it as the signing time\n"
        "  without --at every command works at the gateway's simulated now when the\n"
        "  gateway answers (--gateway, EGOV_GATEWAY; --keys; --timeout MS, default 500),\n"
        "  at wall time otherwise\n"
        "  FILE, SIGFILE may be - for standard input; SIGFILE is base64 or DER\n"
        "\n"
        "exit codes: 0 done (verify: OK), 1 local failure, 3 revoke: no such certificate,\n"
        "            6 verify: any other outcome, 64 bad command line\n",
        EGOV_PKI_DEFAULT_DIR);
}

//  Reports a bad command line and returns the usage exit code.
static int
s_usage_error (const char *format, const char *detail)
{
    fprintf (stderr, "egovctl: ");
    fprintf (stderr, format, detail);
    fprintf (stderr, "\n");
    s_usage (stderr);
    return EGOVCTL_USAGE;
}

//  True for the global flags that take a value, to find the command word.
static bool
s_takes_value (const char *argument)
{
    static const char *flags [] = { "--gateway", "--as", "--keys", "--timeout", "--pki", "--name",
        "--iin", "--bin", "--org", "--days", "--usage", "--key", "--cert", "--content", "--at",
        "--from" };
    for (size_t index = 0; index < sizeof (flags) / sizeof (flags [0]); index++)
        if (streq (argument, flags [index]))
            return true;
    return false;
}

//  The command word: the first argument that is not a flag or its value.
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

//  True for 12 digits.
static bool
s_twelve_digits (const char *text)
{
    return strlen (text) == 12 && strspn (text, "0123456789") == 12;
}

//  Stores one flag; the usage exit code when its value does not parse.
static int
s_parse_option (s_command_t *self, int option, const char *value)
{
    char *end = NULL;
    switch (option) {
        case OPT_JSON: self->json = true; break;
        case OPT_PKI: self->dir = value; break;
        case OPT_NAME: self->name = value; break;
        case OPT_BIN: self->bin = value; break;
        case OPT_ORG: self->org = value; break;
        case OPT_KEY: self->key = value; break;
        case OPT_CERT: self->cert = value; break;
        case OPT_CONTENT: self->content = value; break;
        case OPT_IIN:
            if (!s_twelve_digits (value))
                return s_usage_error ("--iin wants 12 digits, not '%s'", value);
            self->iin = value;
            break;
        case OPT_DAYS:
            errno = 0;
            self->days = strtol (value, &end, 10);
            if (errno || end == value || *end || self->days < 1 || self->days > S_DAYS_MAX)
                return s_usage_error ("--days wants 1..36500, not '%s'", value);
            break;
        case OPT_USAGE:
            if (!streq (value, "sign") && !streq (value, "auth"))
                return s_usage_error ("--usage is sign or auth, not '%s'", value);
            self->usage = streq (value, "auth") ? EGOV_PKI_AUTH : EGOV_PKI_SIGN;
            break;
        case OPT_AT: case OPT_FROM:
            if (!egovctl_time_parse (value, &self->at_ms))
                return s_usage_error ("--at and --from want ISO 8601 time or ms since the epoch, not '%s'",
                                      value);
            break;
        case OPT_GATEWAY: self->gateway = value; break;
        case OPT_AS: self->participant = value; break;
        case OPT_KEYS: self->keys = value; break;
        case OPT_TIMEOUT:
            errno = 0;
            self->timeout_ms = (int) strtol (value, &end, 10);
            if (errno || end == value || *end || self->timeout_ms < 1 || self->timeout_ms > 3600000)
                return s_usage_error ("--timeout wants milliseconds, 1..3600000, not '%s'", value);
            break;
    }
    return 0;
}

//  What each command accepts besides the global flags, and its words.
static int
s_check (s_command_t *self)
{
    const char *command = self->words [0];
    const char *sub = self->word_count > 1 ? self->words [1] : NULL;
    unsigned allowed = 0;
    int words = 2;
    const char *needs = streq (command, "sign") ? "FILE" : "SIGFILE";
    if (streq (command, "pki")) {
        if (!sub)
            return s_usage_error ("%s", "pki wants init, issue, revoke or list");
        if (streq (sub, "issue"))
            allowed = BIT (OPT_NAME) | BIT (OPT_IIN) | BIT (OPT_BIN) | BIT (OPT_ORG)
                    | BIT (OPT_DAYS) | BIT (OPT_USAGE) | BIT (OPT_FROM);
        else
        if (streq (sub, "revoke")) {
            words = 3;
            needs = "SERIAL, IIN or BIN";
        }
        else
        if (!streq (sub, "init") && !streq (sub, "list"))
            return s_usage_error ("unknown pki command '%s'", sub);
        allowed |= BIT (OPT_AT);
    }
    else
    if (streq (command, "sign"))
        allowed = BIT (OPT_KEY) | BIT (OPT_CERT) | BIT (OPT_ATTACHED) | BIT (OPT_AT);
    else
        allowed = BIT (OPT_CONTENT) | BIT (OPT_IIN) | BIT (OPT_AT);
    if (self->word_count < words)
        return s_usage_error ("missing %s", needs);
    if (self->word_count > words)
        return s_usage_error ("unexpected argument '%s'", self->words [words]);
    unsigned stray = self->seen & ~(GLOBAL_OPTIONS | allowed);
    for (const struct option *flag = s_options; flag->name; flag++)
        if (stray & BIT (flag->val))
            return s_usage_error ("--%s does not apply here", flag->name);
    if (streq (command, "pki") && streq (sub, "issue")) {
        if (!self->name)
            return s_usage_error ("%s", "pki issue needs --name");
        if (!self->iin && !self->bin)
            return s_usage_error ("%s", "pki issue needs --iin or --bin");
        if (!self->bin != !self->org)
            return s_usage_error ("%s", "--bin and --org go together");
    }
    if (streq (command, "sign") && (!self->key || !self->cert))
        return s_usage_error ("%s", "sign needs --key and --cert");
    return 0;
}

//  Fills self from argv; 0, -1 for --help, or the usage exit code.
static int
s_parse (s_command_t *self, int argc, char *argv [])
{
    int option;
    optind = 1;
    opterr = 0;
    while ((option = getopt_long (argc, argv, ":h", s_options, NULL)) != -1) {
        if (option == 'h')
            option = OPT_HELP;
        if (option == '?')
            return s_usage_error ("unknown option %s", argv [optind - 1]);
        if (option == ':')
            return s_usage_error ("option %s needs a value", argv [optind - 1]);
        self->seen |= BIT (option);
        int rc = s_parse_option (self, option, optarg);
        if (rc)
            return rc;
    }
    if (self->seen & BIT (OPT_HELP))
        return -1;
    for (; optind < argc; optind++) {
        if (self->word_count == 3)
            return s_usage_error ("unexpected argument '%s'", argv [optind]);
        self->words [self->word_count++] = argv [optind];
    }
    return s_check (self);
}

//  Reads a whole file, or standard input for "-", into a new buffer (with a
//  terminating zero); NULL after reporting.
static uint8_t *
s_slurp (const char *path, size_t *size)
{
    FILE *stream = streq (path, "-") ? stdin : fopen (path, "rb");
    const char *problem = stream ? NULL : strerror (errno);
    size_t capacity = 64 * 1024, length = 0;
    uint8_t *bytes = problem ? NULL : malloc (capacity + 1);
    while (bytes && !problem) {
        length += fread (bytes + length, 1, capacity - length, stream);
        if (ferror (stream))
            problem = strerror (errno);
        else
        if (length < capacity)
            break;
        else
        if (capacity >= EGOVCTL_FILE_MAX)
            problem = "larger than 64 MiB";
        else {
            capacity *= 2;
            bytes = realloc (bytes, capacity + 1);
            assert (bytes);
        }
    }
    if (stream && stream != stdin)
        fclose (stream);
    if (problem) {
        fprintf (stderr, "egovctl: cannot read %s: %s\n", path, problem);
        free (bytes);
        return NULL;
    }
    bytes [length] = 0;
    *size = length;
    return bytes;
}

//  Reports an error from the PKI layer; returns the exit code.
static int
s_fail (s_command_t *self, const egov_error_t *error, int exit_code)
{
    egovctl_error_print (error);
    if (self->json)
        egovctl_json_print (json_pack ("{s:{s:o, s:o}}", "error",
            "code", egovctl_json_text (error->code),
            "message", egovctl_json_text (error->message)), exit_code);
    return exit_code;
}

//  ISO 8601 of a time in ms into buffer.
static const char *
s_time (int64_t ms, char *buffer, size_t size)
{
    return egovctl_time_text (ms * 1000, buffer, size);
}

//  ---------------------------------------------------------------------
//  pki

//  The moment a command works at: --at (--from), else the gateway's
//  simulated now when it answers in time (as the services judge), else
//  wall time. The gateway is asked once, and only with a key pair to ask it.
static int64_t
s_pki_now (s_command_t *self)
{
    if (self->seen & (BIT (OPT_AT) | BIT (OPT_FROM)))
        return self->at_ms;
    if (!self->now_known) {
        self->now_known = true;
        self->now_ms = egov_now_ms ();
        char secret [4300];
        snprintf (secret, sizeof (secret), "%s/private/%s.key_secret", self->keys, self->participant);
        if (zsys_file_exists (secret)) {
            shep_client_t *client = shep_client_new (self->gateway, self->participant);
            egov_error_t error;
            if (shep_client_use_keys (client, self->keys, &error) == 0
            &&  shep_client_connect (client, self->timeout_ms) == 0) {
                self->now_ms = egov_clock_now_ms ();
                self->simulated = true;
            }
            shep_client_destroy (&client);
        }
    }
    return self->now_ms;
}

//  Where the moment came from, for people.
static const char *
s_now_source (s_command_t *self)
{
    return self->seen & (BIT (OPT_AT) | BIT (OPT_FROM)) ? "as given"
         : self->simulated ? "the gateway's simulated now" : "wall time: no gateway answered";
}

//  The PKI folder, issuing and revoking at --at when given.
static egov_pki_t *
s_pki_open (s_command_t *self)
{
    egov_pki_t *pki = egov_pki_new (self->dir);
    egov_pki_set_now (pki, s_pki_now (self));
    return pki;
}

static int
s_pki_init (s_command_t *self)
{
    egov_pki_t *pki = s_pki_open (self);
    egov_error_t error;
    int created = 0, exit_code = EGOVCTL_OK;
    if (egov_pki_ensure (pki, &created, &error))
        exit_code = s_fail (self, &error, EGOVCTL_LOCAL_ERROR);
    else
    if (self->json)
        exit_code = egovctl_json_print (json_pack ("{s:o, s:I, s:I}",
            "dir", egovctl_json_text (self->dir), "certificates", (json_int_t) egov_pki_size (pki),
            "created", (json_int_t) created), EGOVCTL_OK);
    else
        printf ("PKI in %s: %zu certificates, %d issued now\n", self->dir,
                egov_pki_size (pki), created);
    egov_pki_destroy (&pki);
    return exit_code;
}

//  The status of an entry at time now, as pki list shows it.
static const char *
s_status (const egov_pki_entry_t *entry, int64_t now)
{
    return entry->revoked ? "revoked" : entry->untrusted ? "untrusted"
         : entry->not_after_ms < now ? "expired" : entry->not_before_ms > now ? "not-yet-valid"
         : "valid";
}

//  An entry as a JSON object.
static json_t *
s_entry_json (const egov_pki_entry_t *entry, const char *status, const char *dir)
{
    char from [48], until [48], cert [PATH_MAX], key [PATH_MAX];
    snprintf (cert, sizeof (cert), "%s/certs/%s.pem", dir, entry->label);
    snprintf (key, sizeof (key), "%s/keys/%s.key", dir, entry->label);
    return json_pack ("{s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:s, s:s, s:o, s:o}",
        "serial", entry->serial, "status", status,
        "usage", entry->usage == EGOV_PKI_AUTH ? "auth" : "sign", "label", entry->label,
        "iin", egovctl_json_text (entry->iin), "bin", egovctl_json_text (entry->bin),
        "name", egovctl_json_text (entry->name),
        "organisation", egovctl_json_text (entry->organisation),
        "not_before", s_time (entry->not_before_ms, from, sizeof (from)),
        "not_after", s_time (entry->not_after_ms, until, sizeof (until)),
        "cert", egovctl_json_text (cert), "key", egovctl_json_text (key));
}

static int
s_pki_issue (s_command_t *self)
{
    egov_pki_t *pki = s_pki_open (self);
    egov_pki_request_t request = {
        .name = self->name, .iin = self->iin, .bin = self->bin, .organisation = self->org,
        .usage = self->usage,
    };
    if (self->days) {
        request.not_before_ms = s_pki_now (self);
        request.not_after_ms = request.not_before_ms + self->days * EGOV_PKI_DAY_MS;
    }
    egov_pki_entry_t entry;
    egov_error_t error;
    int exit_code = EGOVCTL_OK;
    if (egov_pki_issue (pki, &request, &entry, &error))
        exit_code = s_fail (self, &error, streq (error.code, "PKI_IO") || streq (error.code, "PKI_MISSING")
                                          || streq (error.code, "PKI_CRYPTO")
                                          || streq (error.code, "PKI_BAD_INDEX")
                                          ? EGOVCTL_LOCAL_ERROR : EGOVCTL_USAGE);
    else
    if (self->json)
        exit_code = egovctl_json_print (s_entry_json (&entry, "valid", self->dir), EGOVCTL_OK);
    else {
        char from [48], until [48];
        printf ("serial        %s\nlabel         %s\ncertificate   %s/certs/%s.pem\n"
                "key           %s/keys/%s.key\nvalid         %s to %s\n",
                entry.serial, entry.label, self->dir, entry.label, self->dir, entry.label,
                s_time (entry.not_before_ms, from, sizeof (from)),
                s_time (entry.not_after_ms, until, sizeof (until)));
    }
    egov_pki_destroy (&pki);
    return exit_code;
}

static int
s_pki_revoke (s_command_t *self)
{
    egov_pki_t *pki = s_pki_open (self);
    egov_error_t error;
    int count = 0, exit_code = EGOVCTL_OK;
    const char *which = self->words [2];
    if (egov_pki_revoke (pki, which, &count, &error))
        exit_code = s_fail (self, &error, streq (error.code, "NOT_FOUND") ? EGOVCTL_NEGATIVE
                                        : streq (error.code, "INVALID_SERIAL") ? EGOVCTL_USAGE
                                        : EGOVCTL_LOCAL_ERROR);
    else
    if (self->json)
        exit_code = egovctl_json_print (json_pack ("{s:s, s:I}", "revoked", which,
                                                   "count", (json_int_t) count), EGOVCTL_OK);
    else
    if (count)
        printf ("revoked %d certificate%s of %s; the CRL is rewritten\n", count,
                count == 1 ? "" : "s", which);
    else
        printf ("%s: already revoked\n", which);
    egov_pki_destroy (&pki);
    return exit_code;
}

static int
s_pki_list (s_command_t *self)
{
    egov_pki_t *pki = egov_pki_new (self->dir);
    egov_error_t error;
    if (egov_pki_load (pki, &error)) {
        egov_pki_destroy (&pki);
        return s_fail (self, &error, EGOVCTL_LOCAL_ERROR);
    }
    int64_t now = s_pki_now (self);
    json_t *list = self->json ? json_array () : NULL;
    if (!self->json)
        printf ("%-16s  %-13s  %-4s  %-10s  %-24s  %-12s  %-12s  %s\n", "SERIAL", "STATUS",
                "USE", "NOT_AFTER", "LABEL", "IIN", "BIN", "NAME");
    for (size_t index = 0; index < egov_pki_size (pki); index++) {
        const egov_pki_entry_t *entry = egov_pki_entry (pki, index);
        const char *status = s_status (entry, now);
        char until [48];
        if (list)
            json_array_append_new (list, s_entry_json (entry, status, self->dir));
        else
            printf ("%-16s  %-13s  %-4s  %.10s  %-24s  %-12s  %-12s  %s%s%s\n", entry->serial,
                    status, entry->usage == EGOV_PKI_AUTH ? "auth" : "sign",
                    s_time (entry->not_after_ms, until, sizeof (until)), entry->label,
                    egovctl_or_dash (entry->iin), egovctl_or_dash (entry->bin), entry->name,
                    *entry->organisation ? ", " : "", entry->organisation);
    }
    egov_pki_destroy (&pki);
    return list ? egovctl_json_print (json_pack ("{s:o}", "certificates", list), EGOVCTL_OK)
                : EGOVCTL_OK;
}

//  ---------------------------------------------------------------------
//  sign and verify

static int
s_sign (s_command_t *self)
{
    egov_error_t error;
    egov_cms_signer_t *signer = egov_cms_signer_new (self->key, self->cert, &error);
    if (!signer)
        return s_fail (self, &error, EGOVCTL_LOCAL_ERROR);
    size_t size = 0, der_size = 0;
    uint8_t *content = s_slurp (self->words [1], &size);
    uint8_t *der = NULL;
    int exit_code = EGOVCTL_LOCAL_ERROR;
    if (content && egov_cms_sign (signer, content, size, !(self->seen & BIT (OPT_ATTACHED)),
                                  s_pki_now (self), &der, &der_size, &error) == 0) {
        char *text = egov_cms_base64 (der, der_size);
        exit_code = self->json
            ? egovctl_json_print (json_pack ("{s:s}", "cms", text), EGOVCTL_OK)
            : (printf ("%s\n", text) < 0 ? EGOVCTL_LOCAL_ERROR : EGOVCTL_OK);
        free (text);
    }
    else
    if (content)
        s_fail (self, &error, exit_code);
    free (der);
    free (content);
    egov_cms_signer_destroy (&signer);
    return exit_code;
}

//  Prints a verification for people.
static void
s_verify_print (const egov_cms_result_t *result, int64_t at_ms, const char *source)
{
    char one [48], other [48];
    printf ("%s\n", egov_cms_outcome_name (result->outcome));
    printf ("detail        %s\n", result->detail);
    if (*result->serial) {
        printf ("signer        %s\n", egovctl_or_dash (result->name));
        printf ("iin           %s\n", egovctl_or_dash (result->iin));
        if (*result->bin)
            printf ("bin           %s %s\n", result->bin, result->organisation);
        printf ("serial        %s\n", result->serial);
        printf ("issuer        %s\n", egovctl_or_dash (result->issuer));
        printf ("valid         %s", s_time (result->not_before_ms, one, sizeof (one)));
        printf (" to %s\n", s_time (result->not_after_ms, other, sizeof (other)));
        printf ("signed at     %s (%s)\n", s_time (result->signing_ms, one, sizeof (one)),
                result->detached ? "detached" : "attached");
    }
    printf ("judged at     %s (%s)\n", s_time (at_ms, one, sizeof (one)), source);
}

static int
s_verify (s_command_t *self)
{
    egov_error_t error;
    egov_cms_verifier_t *verifier = egov_cms_verifier_new (self->dir, &error);
    if (!verifier)
        return s_fail (self, &error, EGOVCTL_LOCAL_ERROR);
    size_t size = 0, content_size = 0;
    uint8_t *signature = s_slurp (self->words [1], &size);
    uint8_t *content = self->content && signature ? s_slurp (self->content, &content_size) : NULL;
    int exit_code = EGOVCTL_LOCAL_ERROR;
    if (signature && (content || !self->content)) {
        int64_t at_ms = s_pki_now (self);
        egov_cms_result_t result;
        egov_cms_outcome_t outcome = egov_cms_verify (verifier, signature, size, content,
                                                      content_size, at_ms, self->iin, &result);
        exit_code = outcome == EGOV_CMS_OK ? EGOVCTL_OK : EGOVCTL_SIGNATURE_INVALID;
        char times [4][48];
        if (self->json)
            exit_code = egovctl_json_print (json_pack (
                "{s:s, s:o, s:s, s:{s:o, s:o, s:o, s:o, s:o, s:o, s:s, s:s}, s:o, s:b}",
                "outcome", egov_cms_outcome_name (outcome),
                "detail", egovctl_json_text (result.detail),
                "judged_at", s_time (at_ms, times [0], sizeof (times [0])),
                "signer", "name", egovctl_json_text (result.name),
                "iin", egovctl_json_text (result.iin), "bin", egovctl_json_text (result.bin),
                "organisation", egovctl_json_text (result.organisation),
                "serial", egovctl_json_text (result.serial),
                "issuer", egovctl_json_text (result.issuer),
                "not_before", s_time (result.not_before_ms, times [1], sizeof (times [1])),
                "not_after", s_time (result.not_after_ms, times [2], sizeof (times [2])),
                "signed_at", result.signing_ms
                    ? json_string (s_time (result.signing_ms, times [3], sizeof (times [3])))
                    : json_null (),
                "detached", result.detached), exit_code);
        else
            s_verify_print (&result, at_ms, s_now_source (self));
    }
    free (signature);
    free (content);
    egov_cms_verifier_destroy (&verifier);
    return exit_code;
}

int
egovctl_pki_main (int argc, char *argv [])
{
    const char *word = s_command_word (argc, argv);
    if (!word || (!streq (word, "pki") && !streq (word, "sign") && !streq (word, "verify")))
        return -1;
    s_command_t self = { .dir = getenv ("EGOV_PKI_DIR"), .gateway = egov_env ("EGOV_GATEWAY", SHEP_DEFAULT_ENDPOINT),
                         .participant = EGOVCTL_PARTICIPANT, .timeout_ms = S_PROBE_MS };
    //  The repository's var/pki from any directory (the repository is where
    //  regulations/ is, seen from the binary), else var/pki here
    if (!self.dir) {
        char regulations [3000];
        egov_repo_path ("regulations", regulations, sizeof (regulations));
        char *slash = strrchr (regulations, '/');
        if (*regulations == '/' && slash) {
            *slash = 0;
            snprintf (self.dir_path, sizeof (self.dir_path), "%s/%s", regulations, EGOV_PKI_DEFAULT_DIR);
        }
        else
            snprintf (self.dir_path, sizeof (self.dir_path), "%s", EGOV_PKI_DEFAULT_DIR);
        self.dir = self.dir_path;
    }
    self.keys = egovctl_keys_dir (argc, argv, self.keys_path, sizeof (self.keys_path));
    int exit_code = s_parse (&self, argc, argv);
    if (exit_code == -1) {
        s_usage (stdout);
        return EGOVCTL_OK;
    }
    if (exit_code)
        return exit_code;
    if (streq (word, "sign"))
        return s_sign (&self);
    if (streq (word, "verify"))
        return s_verify (&self);
    const char *sub = self.words [1];
    return streq (sub, "init") ? s_pki_init (&self)
         : streq (sub, "issue") ? s_pki_issue (&self)
         : streq (sub, "revoke") ? s_pki_revoke (&self)
         : s_pki_list (&self);
}
