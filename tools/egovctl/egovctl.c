/*  egovctl — the integrator's command line for the e-government gateway
    (ЭҮШ / ШЭП). It connects to the gateway as an ordinary participant, the
    way the State Corporation's intake (ХҚКО / ЦОН) does, and:
      person    asks the registry of individuals (ЖТ ММБ / ГБД ФЛ) by IIN;
      poa       checks a notarised power of attorney in ЕНИС (БНАЖ);
      call      calls any service with a raw payload (an integrator's own);
      status    shows the delivery status of an async message;
      send      submits async messages (one, or many pipelined);
      log       reads and verifies the gateway's hash-chained message log;
      participants  shows who is connected (the health check of `make run`);
      queue     the kindergarten queue register: queues, entries, releases.
    Every command prints for people by default and one JSON document on
    stdout with --json. Exit codes are stable; see s_usage.

    This file parses the command line, connects, runs the command and
    holds what every command shares: reporting errors, asking the gateway,
    reading the payload. The commands live in egovctl_sync.c,
    egovctl_async.c and egovctl_gateway.c.                               */
#include "egovctl.h"
#include "egovctl_json.h"
#include "egovctl_pki.h"
#include "egovctl_keys.h"
#include "egovctl_regulations.h"
#include "egovctl_time.h"
#include "egov_proto.h"
#include <getopt.h>
#include <sys/stat.h>

#define EGOVCTL_PAYLOAD_TYPE_MAX 128    //  --payload-type length we send

//  Command line options; each bit is one flag, to check what a command accepts.
typedef enum {
    OPT_GATEWAY = 1, OPT_JSON, OPT_TIMEOUT, OPT_HELP, OPT_AS, OPT_KEYS,
    OPT_REPRESENTATIVE, OPT_ON, OPT_TO, OPT_SERVICE, OPT_ROUTE, OPT_CORRELATION,
    OPT_TYPE, OPT_TEXT, OPT_FILE, OPT_COUNT, OPT_TTL,
    OPT_PARTICIPANT, OPT_SINCE, OPT_UNTIL, OPT_LIMIT, OPT_PAYLOAD_TYPE, OPT_FORCE,
    OPT_DELAY, OPT_ERROR, OPT_DROP, OPT_TIMES, OPT_MERMAID, OPT_SETTLE, OPT_PAYLOAD_JSON, OPT_STATUS,
    OPT_JUNIT, OPT_DESK, OPT_PORTAL
} s_option_t;

#define BIT(option) (1ull << (option))
#define GLOBAL_OPTIONS (BIT (OPT_GATEWAY) | BIT (OPT_JSON) | BIT (OPT_TIMEOUT) \
                        | BIT (OPT_HELP) | BIT (OPT_AS) | BIT (OPT_KEYS))

//  One command: its name, positional argument, flags it accepts, handler.
typedef struct {
    const char *name;
    const char *argument;           //  NULL: none; name shown in errors
    bool argument_optional;         //  `log` may have "verify"
    uint64_t options;               //  accepted flags besides the global ones
    int (*run) (egovctl_t *self);
    int more;                       //  further positional arguments allowed (clock set TIME)
} s_command_t;

static void
s_usage (FILE *stream)
{
    fprintf (stream,
        "usage: egovctl [global options] COMMAND [arguments]\n"
        "\n"
        "global options:\n"
        "  --gateway ENDPOINT   gateway to connect to (env EGOV_GATEWAY, default %s)\n"
        "  --as ID              participant id, with its key pair from the keys folder\n"
        "                       (default egovctl)\n"
        "  --keys DIR           CURVE keys folder (env EGOV_KEYS_DIR, default var/keys)\n"
        "  --json               print one JSON document on stdout\n"
        "  --timeout MS         wait for each answer at most MS ms (default 3000; also 30s,\n"
        "                       2m; wait: for the whole wait, default 60s)\n"
        "  --help               this text\n"
        "\n"
        "commands:\n"
        "  person IIN                          look a person up in gbdfl.person\n"
        "  poa NUMBER --representative IIN [--on YYYY-MM-DD]\n"
        "                                      check a power of attorney in enis.poa\n"
        "  call --service S [--text STRING | --file PATH] [--payload-type T]\n"
        "       [--correlation ID] [--route KATO]\n"
        "                                      sync call with a raw payload, print the reply\n"
        "  status MESSAGE_ID                   delivery status of an async message\n"
        "  send (--to PARTICIPANT | --service S | --route KATO) [--correlation ID]\n"
        "       [--type NOTIFICATION] [--text STRING | --file PATH] [--payload-type T]\n"
        "       [--count N] [--ttl MS]         submit async messages, print their ids\n"
        "  (call and send: --payload-json FILE --payload-type T packs a JSON document as\n"
        "   message type T, keyed by its proto field names, bytes in hex)\n"
        "  log [--correlation ID] [--participant P] [--since TIME] [--until TIME] [--limit N]\n"
        "                                      print the message log (TIME: ISO 8601 or ms)\n"
        "  log verify                          check the message log's hash chain\n"
        "  participants                        connected participants\n"
        "  catalogue [list] [--region KATO] [--channel C]\n"
        "                                      the service catalogue (no gateway needed)\n"
        "  catalogue show CODE [--region KATO] one service in full, with its sources\n"
        "  deadline --service CODE [--region KATO] --channel office|state-corp|portal\n"
        "       --at TIME [--form F]           receipt and due moment, days skipped and why\n"
        "  (catalogue and deadline: --regulations DIR or EGOV_REGULATIONS; egovctl catalogue --help)\n"
        "  clock show | set TIME | advance 90m|36h|31d | speed FACTOR | real  [--force] [--settle]\n"
        "                                      the simulation clock every service follows\n"
        "  clock timers DURATION...            wait for timers that far ahead to fire, in order\n"
        "  receive [--service S] [--count N]   take --as ID's deliveries, print each as JSON\n"
        "  trace APPLICATION_ID [--mermaid]   one application's messages across the boxes, from the log\n"
        "  wait APPLICATION_ID --status S[,S...]  until the application's status is one of these\n"
        "  scenario run FILE... [--junit OUT.xml] [--desk URL] [--portal URL]\n"
        "                                      run scenario files (YAML or JSON) against the system\n"
        "  queue list [KATO] | show CODE       the kindergarten queues (queue.list)\n"
        "  queue enqueue CODE IIN [--on YYYY-MM-DD]\n"
        "                                      put a child under 7 in a queue (desired from --on, today)\n"
        "  queue entry IIN [CODE]              a child's queue numbers, positions, referrals\n"
        "  queue release CODE [--count N]      free N places: each a referral to the first waiting\n"
        "  fault add (--service S | --route KATO | --participant P)... (--delay MS | --error CODE\n"
        "            | --drop PCT)... [--times N]   make matching sync calls slow, fail or vanish\n"
        "  fault list | clear [ID]             the faults injected at the gateway\n"
        "  pki init | issue ... | revoke SERIAL|IIN | list\n"
        "                                      the test CA (no gateway needed; egovctl pki --help)\n"
        "  keys init [ID...] | add ID PUBLIC_KEY | show [ID]\n"
        "                                      CURVE keys of the gateway link (no gateway needed)\n"
        "  sign --key K --cert C [--attached] [--at TIME] FILE\n"
        "                                      print the base64 CMS signature of FILE\n"
        "  verify [--content FILE] [--iin IIN] [--at TIME] SIGFILE\n"
        "                                      the signature's outcome and signer\n"
        "\n"
        "exit codes:\n"
        "  0   success (poa: VALID)\n"
        "  1   local failure (cannot read --file)\n"
        "  2   the gateway or the provider answered an error (NO_PROVIDER, TIMEOUT, REFUSED, ...)\n"
        "  3   negative answer: person or message not found, poa not VALID, queue refusal\n"
        "  4   cannot reach the gateway\n"
        "  5   log verify: the message log is broken\n"
        "  6   verify: an outcome other than OK\n"
        "  7   wait: the status did not come within --timeout\n"
        "  8   scenario run: a step failed\n"
        "  64  bad command line\n",
        SHEP_DEFAULT_ENDPOINT);
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

//  A whole decimal number in [minimum, maximum]; false otherwise.
static bool
s_number (const char *text, long minimum, long maximum, long *value)
{
    char *end = NULL;
    errno = 0;
    *value = strtol (text, &end, 10);
    return errno == 0 && end != text && *end == 0 && *value >= minimum && *value <= maximum;
}

//  Milliseconds from "1500", "1500ms", "30s", "2m" or "1h", 1 ms to an hour;
//  false otherwise.
static bool
s_duration_ms (const char *text, long *value)
{
    char *end = NULL;
    errno = 0;
    long number = strtol (text, &end, 10);
    if (errno || end == text || number < 1)
        return false;
    long unit = streq (end, "") || streq (end, "ms") ? 1 : streq (end, "s") ? 1000
              : streq (end, "m") ? 60000 : streq (end, "h") ? 3600000 : 0;
    if (!unit || number > 3600000 / unit)
        return false;
    *value = number * unit;
    return true;
}

//  ---------------------------------------------------------------------
//  What every command shares: errors, the connection, the payload

void
egovctl_error_print (const egov_error_t *error)
{
    if (*error->sub_code)
        fprintf (stderr, "error %s: %s (cause %s: %s)\n",
                 error->code, error->message, error->sub_code, error->sub_message);
    else
        fprintf (stderr, "error %s: %s\n", error->code, error->message);
}

int
egovctl_fail (egovctl_t *self, const egov_error_t *error, int exit_code)
{
    if (streq (error->code, "GATEWAY_UNREACHABLE"))
        exit_code = EGOVCTL_UNREACHABLE;        //  the gateway itself went silent
    egovctl_error_print (error);
    if (!self->json)
        return exit_code;
    json_t *body = json_object ();
    json_object_set_new (body, "code", egovctl_json_text (error->code));
    json_object_set_new (body, "message", egovctl_json_text (error->message));
    if (*error->sub_code)
        json_object_set_new (body, "cause", json_pack ("{s:o, s:o}",
            "code", egovctl_json_text (error->sub_code),
            "message", egovctl_json_text (error->sub_message)));
    return egovctl_json_print (json_pack ("{s:o}", "error", body), exit_code);
}

int
egovctl_fail_code (egovctl_t *self, const char *code, const char *message, int exit_code)
{
    egov_error_t error;
    egov_error_set (&error, code, "%s", message);
    return egovctl_fail (self, &error, exit_code);
}

//  Says hello to the gateway; 0, or the exit code after reporting.
static int
s_connect (egovctl_t *self)
{
    self->client = shep_client_new (self->gateway, self->participant_id);
    assert (self->client);
    egov_error_t error;
    if (shep_client_use_keys (self->client, self->keys, &error))
        return egovctl_fail (self, &error, EGOVCTL_ERROR);
    //  receive takes the participant's deliveries: its serving connection
    if (streq (self->command, "receive"))
        shep_client_set_receive_async (self->client, true);
    if (shep_client_connect (self->client, self->timeout_ms) == 0)
        return 0;
    char message [300];
    snprintf (message, sizeof (message), "cannot reach the gateway at %s within %d ms",
              self->gateway, self->timeout_ms);
    return egovctl_fail_code (self, "GATEWAY_UNREACHABLE", message, EGOVCTL_UNREACHABLE);
}

Egov__Shep__Frame *
egovctl_ask (egovctl_t *self, Egov__Shep__Frame *query, Egov__Shep__Frame__BodyCase expected,
             int *exit_code)
{
    egov_error_t error = { { 0 } };
    Egov__Shep__Frame *answer = shep_client_ask (self->client, query, self->timeout_ms, &error);
    if (!answer) {
        if (!*error.code)
            egov_error_set (&error, "TIMEOUT", "no answer from the gateway within %d ms",
                            self->timeout_ms);
        *exit_code = egovctl_fail (self, &error, EGOVCTL_ERROR);
        return NULL;
    }
    if (answer->body_case == EGOV__SHEP__FRAME__BODY_ERROR && answer->error->error) {
        egov_error_from_info (&error, answer->error->error);
        *exit_code = egovctl_fail (self, &error, EGOVCTL_ERROR);
    }
    else
    if (answer->body_case != expected || !answer->log_reply) {
        //  log_reply stands for whichever body pointer: they share a union
        egov_error_set (&error, "BAD_REPLY", "the gateway answered frame %d, expected %d",
                        answer->body_case, expected);
        *exit_code = egovctl_fail (self, &error, EGOVCTL_ERROR);
    }
    else
        return answer;
    egov__shep__frame__free_unpacked (answer, NULL);
    return NULL;
}

//  Reads --file into the envelope's payload; false after reporting.
static bool
s_read_file (egovctl_t *self, Egov__Envelope *envelope)
{
    const char *problem = NULL;
    struct stat info;
    FILE *file = fopen (self->file, "rb");
    if (!file || fstat (fileno (file), &info) != 0)
        problem = strerror (errno);
    else
    if (!S_ISREG (info.st_mode))
        problem = "not a regular file";
    else
    if (info.st_size > EGOVCTL_FILE_MAX)
        problem = "larger than 64 MiB";
    else {
        envelope->payload.len = (size_t) info.st_size;
        envelope->payload.data = malloc (envelope->payload.len + 1);
        assert (envelope->payload.data);
        if (fread (envelope->payload.data, 1, envelope->payload.len, file)
            != envelope->payload.len)
            problem = ferror (file) ? strerror (errno) : "file shrank while reading";
    }
    if (problem)
        fprintf (stderr, "egovctl: cannot read %s: %s\n", self->file, problem);
    if (file)
        fclose (file);
    return problem == NULL;
}

//  --payload-json FILE: the JSON packed as the --payload-type message, and
//  checked the way a receiver would decode it; false after saying why not.
static bool
s_read_json (egovctl_t *self, Egov__Envelope *envelope)
{
    const ProtobufCMessageDescriptor *descriptor = egov_proto_find (self->payload_type);
    if (!descriptor) {
        fprintf (stderr, "egovctl: --payload-json needs --payload-type naming a message type we know,"
                 " e.g. egov.applications.StatusNotice, not '%s'\n", egovctl_or_dash (self->payload_type));
        return false;
    }
    json_error_t parse;
    json_t *document = json_load_file (self->payload_json, JSON_REJECT_DUPLICATES, &parse);
    if (!document) {
        fprintf (stderr, "egovctl: %s is not JSON: %s (line %d)\n", self->payload_json, parse.text,
                 parse.line);
        return false;
    }
    zchunk_t *packed = zchunk_new (NULL, 256);
    char problem [256] = "";
    bool ok = egovctl_json_pack (descriptor, document, packed, problem, sizeof (problem)) == 0;
    json_decref (document);
    if (ok) {
        ProtobufCMessage *message = protobuf_c_message_unpack (descriptor, NULL, zchunk_size (packed),
                                                               zchunk_data (packed));
        char path [96];
        egov_proto_fault_t fault = message ? egov_proto_check (message, 0, path, sizeof (path)) : EGOV_PROTO_VALID;
        if (!message)
            snprintf (problem, sizeof (problem), "it does not decode as %s", descriptor->name);
        else
        if (fault != EGOV_PROTO_VALID)
            snprintf (problem, sizeof (problem), "%s %s", path, egov_proto_fault_text (fault));
        ok = message && fault == EGOV_PROTO_VALID;
        if (message)
            protobuf_c_message_free_unpacked (message, NULL);
    }
    if (ok) {
        envelope->payload.len = zchunk_size (packed);
        envelope->payload.data = malloc (envelope->payload.len + 1);
        assert (envelope->payload.data);
        memcpy (envelope->payload.data, zchunk_data (packed), envelope->payload.len);
    }
    else
        fprintf (stderr, "egovctl: %s: %s\n", self->payload_json, problem);
    zchunk_destroy (&packed);
    return ok;
}

bool
egovctl_payload_read (egovctl_t *self, Egov__Envelope *envelope)
{
    if (self->payload_json)
        return s_read_json (self, envelope);
    if (self->text) {
        envelope->payload.len = strlen (self->text);
        envelope->payload.data = (uint8_t *) strdup (self->text);
        assert (envelope->payload.data);
    }
    return self->file ? s_read_file (self, envelope) : true;
}

const char *
egovctl_or_dash (const char *text)
{
    return text && *text ? text : "-";
}

//  ---------------------------------------------------------------------
//  Command line

static const s_command_t s_commands [] = {
    { "person", "IIN", false, 0, egovctl_person },
    { "poa", "NUMBER", false, BIT (OPT_REPRESENTATIVE) | BIT (OPT_ON), egovctl_poa },
    { "call", NULL, false, BIT (OPT_SERVICE) | BIT (OPT_TEXT) | BIT (OPT_FILE) | BIT (OPT_PAYLOAD_JSON)
        | BIT (OPT_PAYLOAD_TYPE) | BIT (OPT_CORRELATION) | BIT (OPT_ROUTE), egovctl_call },
    { "status", "MESSAGE_ID", false, 0, egovctl_status },
    { "send", NULL, false, BIT (OPT_TO) | BIT (OPT_SERVICE) | BIT (OPT_ROUTE)
        | BIT (OPT_CORRELATION) | BIT (OPT_TYPE) | BIT (OPT_TEXT) | BIT (OPT_FILE)
        | BIT (OPT_PAYLOAD_JSON) | BIT (OPT_COUNT) | BIT (OPT_TTL) | BIT (OPT_PAYLOAD_TYPE), egovctl_send },
    { "log", "verify", true, BIT (OPT_CORRELATION) | BIT (OPT_PARTICIPANT) | BIT (OPT_SINCE)
        | BIT (OPT_UNTIL) | BIT (OPT_LIMIT), egovctl_log },
    { "participants", NULL, false, 0, egovctl_participants },
    { "clock", "show|set|advance|speed|real|timers", false, BIT (OPT_FORCE) | BIT (OPT_SETTLE),
      egovctl_clock, EGOVCTL_MORE_MAX },
    { "trace", "APPLICATION_ID", false, BIT (OPT_MERMAID), egovctl_trace },
    { "receive", NULL, false, BIT (OPT_SERVICE) | BIT (OPT_COUNT), egovctl_receive },
    { "wait", "APPLICATION_ID", false, BIT (OPT_STATUS), egovctl_wait },
    { "scenario", "run", false, BIT (OPT_JUNIT) | BIT (OPT_DESK) | BIT (OPT_PORTAL), egovctl_scenario,
      EGOVCTL_MORE_MAX },
    { "queue", "list|show|enqueue|entry|release", false, BIT (OPT_ON) | BIT (OPT_COUNT), egovctl_queue, 2 },
    { "fault", "add|list|clear", false, BIT (OPT_SERVICE) | BIT (OPT_ROUTE) | BIT (OPT_PARTICIPANT)
        | BIT (OPT_DELAY) | BIT (OPT_ERROR) | BIT (OPT_DROP) | BIT (OPT_TIMES), egovctl_fault, 1 },
};

static const struct option s_options [] = {
    { "gateway", required_argument, NULL, OPT_GATEWAY },
    { "json", no_argument, NULL, OPT_JSON },
    { "timeout", required_argument, NULL, OPT_TIMEOUT },
    { "help", no_argument, NULL, OPT_HELP },
    { "as", required_argument, NULL, OPT_AS },
    { "keys", required_argument, NULL, OPT_KEYS },
    { "representative", required_argument, NULL, OPT_REPRESENTATIVE },
    { "on", required_argument, NULL, OPT_ON },
    { "to", required_argument, NULL, OPT_TO },
    { "service", required_argument, NULL, OPT_SERVICE },
    { "route", required_argument, NULL, OPT_ROUTE },
    { "correlation", required_argument, NULL, OPT_CORRELATION },
    { "type", required_argument, NULL, OPT_TYPE },
    { "text", required_argument, NULL, OPT_TEXT },
    { "file", required_argument, NULL, OPT_FILE },
    { "count", required_argument, NULL, OPT_COUNT },
    { "ttl", required_argument, NULL, OPT_TTL },
    { "participant", required_argument, NULL, OPT_PARTICIPANT },
    { "since", required_argument, NULL, OPT_SINCE },
    { "until", required_argument, NULL, OPT_UNTIL },
    { "limit", required_argument, NULL, OPT_LIMIT },
    { "payload-type", required_argument, NULL, OPT_PAYLOAD_TYPE },
    { "force", no_argument, NULL, OPT_FORCE },
    { "delay", required_argument, NULL, OPT_DELAY },
    { "error", required_argument, NULL, OPT_ERROR },
    { "drop", required_argument, NULL, OPT_DROP },
    { "times", required_argument, NULL, OPT_TIMES },
    { "mermaid", no_argument, NULL, OPT_MERMAID },
    { "settle", no_argument, NULL, OPT_SETTLE },
    { "payload-json", required_argument, NULL, OPT_PAYLOAD_JSON },
    { "status", required_argument, NULL, OPT_STATUS },
    { "junit", required_argument, NULL, OPT_JUNIT },
    { "desk", required_argument, NULL, OPT_DESK },
    { "portal", required_argument, NULL, OPT_PORTAL },
    { NULL, 0, NULL, 0 }
};

//  Stores one flag's value; the usage exit code when it does not parse.
static int
s_parse_option (egovctl_t *self, int option, const char *value)
{
    long number;
    switch (option) {
        case OPT_GATEWAY: self->gateway = value; break;
        case OPT_JSON: self->json = true; break;
        case OPT_AS: self->participant_id = value; break;
        case OPT_KEYS: self->keys = value; break;
        case OPT_REPRESENTATIVE: self->representative = value; break;
        case OPT_TO: self->to = value; break;
        case OPT_SERVICE: self->service = value; break;
        case OPT_ROUTE: self->route = value; break;
        case OPT_CORRELATION: self->correlation = value; break;
        case OPT_TEXT: self->text = value; break;
        case OPT_FILE: self->file = value; break;
        case OPT_PARTICIPANT: self->participant = value; break;
        case OPT_PAYLOAD_TYPE:
            if (!*value || strlen (value) > EGOVCTL_PAYLOAD_TYPE_MAX)
                return s_usage_error ("--payload-type wants 1-128 characters, not '%s'", value);
            self->payload_type = value;
            break;
        case OPT_FORCE:
            self->force = true;
            break;
        case OPT_TIMEOUT:
            if (!s_duration_ms (value, &number))
                return s_usage_error ("--timeout wants milliseconds or a duration (1500, 30s, 2m),"
                                      " at most an hour, not '%s'", value);
            self->timeout_ms = (int) number;
            self->timeout_given = true;
            break;
        case OPT_COUNT:
            if (!s_number (value, 1, 100000000, &self->count))
                return s_usage_error ("--count wants a positive number, not '%s'", value);
            break;
        case OPT_TTL:
            if (!s_number (value, 1, UINT32_MAX, &number))
                return s_usage_error ("--ttl wants milliseconds, not '%s'", value);
            self->ttl_ms = (uint32_t) number;
            break;
        case OPT_LIMIT:
            if (!s_number (value, 1, 100000000, &self->limit))
                return s_usage_error ("--limit wants a positive number, not '%s'", value);
            break;
        case OPT_DELAY:
            if (!s_number (value, 1, 600000, &self->fault_delay_ms))
                return s_usage_error ("--delay wants milliseconds, 1 to 600000, not '%s'", value);
            break;
        case OPT_ERROR: self->fault_error = value; break;
        case OPT_MERMAID: self->mermaid = true; break;
        case OPT_SETTLE: self->settle = true; break;
        case OPT_PAYLOAD_JSON: self->payload_json = value; break;
        case OPT_STATUS: self->status = value; break;
        case OPT_JUNIT: self->junit = value; break;
        case OPT_DESK: self->desk = value; break;
        case OPT_PORTAL: self->portal = value; break;
        case OPT_DROP:
            if (!s_number (value, 1, 100, &self->fault_drop))
                return s_usage_error ("--drop wants a percentage, 1 to 100, not '%s'", value);
            break;
        case OPT_TIMES:
            if (!s_number (value, 1, 1000000, &self->fault_times))
                return s_usage_error ("--times wants a positive number, not '%s'", value);
            break;
        case OPT_ON:
            if (!egovctl_date_shaped (value))
                return s_usage_error ("--on wants YYYY-MM-DD, not '%s'", value);
            self->on_date = value;
            break;
        case OPT_SINCE: case OPT_UNTIL:
            if (!egovctl_time_parse (value, option == OPT_SINCE ? &self->since_ms : &self->until_ms))
                return s_usage_error ("--since and --until want ISO 8601 time or ms since"
                                      " the epoch, not '%s'", value);
            break;
        case OPT_TYPE: {
            const ProtobufCEnumValue *type = protobuf_c_enum_descriptor_get_value_by_name (
                &egov__message_type__descriptor, value);
            if (!type || type->value == EGOV__MESSAGE_TYPE__MESSAGE_TYPE_UNSPECIFIED)
                return s_usage_error ("--type wants REQUEST, RESPONSE, NOTIFICATION or UPDATE,"
                                      " not '%s'", value);
            self->type = (Egov__MessageType) type->value;
            break;
        }
    }
    return 0;
}

//  Fills self from argv and finds the command; the usage exit code on error,
//  -1 for --help, 0 otherwise.
static int
s_parse (egovctl_t *self, int argc, char *argv [], const s_command_t **command)
{
    uint64_t seen = 0;
    opterr = 0;
    int option;
    while ((option = getopt_long (argc, argv, ":h", s_options, NULL)) != -1) {
        if (option == 'h')
            option = OPT_HELP;
        if (option == '?')
            return s_usage_error ("unknown option %s", argv [optind - 1]);
        if (option == ':')
            return s_usage_error ("option %s needs a value", argv [optind - 1]);
        seen |= BIT (option);
        int rc = s_parse_option (self, option, optarg);
        if (rc)
            return rc;
    }
    if (seen & BIT (OPT_HELP))
        return -1;
    if (optind >= argc)
        return s_usage_error ("%s", "no command given");
    self->command = argv [optind++];
    *command = NULL;
    for (size_t index = 0; index < sizeof (s_commands) / sizeof (s_commands [0]); index++)
        if (streq (s_commands [index].name, self->command))
            *command = s_commands + index;
    if (!*command)
        return s_usage_error ("unknown command '%s'", self->command);
    if (optind < argc)
        self->argument = argv [optind++];
    while (optind < argc && self->more_count < (*command)->more
    &&     self->more_count < EGOVCTL_MORE_MAX)
        self->more [self->more_count++] = argv [optind++];
    if (optind < argc)
        return s_usage_error ("unexpected argument '%s'", argv [optind]);
    if ((*command)->argument && !(*command)->argument_optional && !self->argument)
        return s_usage_error ("missing %s", (*command)->argument);
    if (self->argument && (!(*command)->argument
    || ((*command)->argument_optional && !streq (self->argument, (*command)->argument))))
        return s_usage_error ("unexpected argument '%s'", self->argument);
    uint64_t stray = seen & ~(GLOBAL_OPTIONS | (*command)->options);
    if (self->argument && streq (self->command, "log"))
        stray |= seen & ~GLOBAL_OPTIONS;        //  log verify takes no filters
    for (const struct option *flag = s_options; flag->name; flag++)
        if (stray & BIT (flag->val))
            return s_usage_error ("--%s does not apply here", flag->name);
    if (streq (self->command, "scenario") && !streq (self->argument, "run"))
        return s_usage_error ("scenario takes run FILE..., not '%s'", self->argument);
    if (streq (self->command, "status") && !egov_uuid_valid (self->argument))
        return s_usage_error ("MESSAGE_ID is a UUID, not '%s'", self->argument);
    if (streq (self->command, "poa") && !self->representative)
        return s_usage_error ("%s", "poa needs --representative IIN");
    if (streq (self->command, "call")) {
        if (!self->service)
            return s_usage_error ("%s", "call needs --service S");
        if (self->text && self->file)
            return s_usage_error ("%s", "call takes --text or --file, not both");
        if (self->payload_json && (self->text || self->file || !self->payload_type))
            return s_usage_error ("%s", "--payload-json takes --payload-type and neither --text nor --file");
    }
    if (streq (self->command, "send")) {
        if (!self->to && !self->service && !self->route)
            return s_usage_error ("%s", "send needs --to, --service or --route");
        if (self->text && self->file)
            return s_usage_error ("%s", "send takes --text or --file, not both");
        if (self->payload_json && (self->text || self->file || !self->payload_type))
            return s_usage_error ("%s", "--payload-json takes --payload-type and neither --text nor --file");
    }
    return 0;
}

int
main (int argc, char *argv [])
{
    zsys_init ();
    zsys_set_logstream (stderr);        //  stdout is for answers (and --json)
    int signatures = egovctl_pki_main (argc, argv);     //  pki, sign, verify: no gateway
    if (signatures >= 0)
        return signatures;
    int regulations = egovctl_regulations_main (argc, argv);   //  no gateway needed
    if (regulations >= 0)
        return regulations;
    egovctl_t self = {
        .gateway = egov_env ("EGOV_GATEWAY", SHEP_DEFAULT_ENDPOINT),
        .timeout_ms = 3000,
        .type = EGOV__MESSAGE_TYPE__NOTIFICATION,
        .count = 1,
    };
    int keys = egovctl_keys_main (argc, argv);     //  no gateway needed
    if (keys >= 0)
        return keys;
    self.participant_id = EGOVCTL_PARTICIPANT;
    self.keys = egovctl_keys_dir (argc, argv, self.keys_path, sizeof (self.keys_path));
    const s_command_t *command = NULL;
    int exit_code = s_parse (&self, argc, argv, &command);
    if (exit_code == -1) {
        s_usage (stdout);
        return EGOVCTL_OK;
    }
    if (exit_code)
        return exit_code;
    exit_code = s_connect (&self);
    if (exit_code == 0)
        exit_code = command->run (&self);
    shep_client_destroy (&self.client);
    return exit_code;
}
