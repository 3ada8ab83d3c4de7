/*  egovctl — the integrator's command line for the e-government gateway
    (ЭҮШ / ШЭП). It connects to the gateway as an ordinary participant, the
    way the State Corporation's intake (ХҚКО / ЦОН) does, and:
      person    asks the registry of individuals (ЖТ ММБ / ГБД ФЛ) by IIN;
      poa       checks a notarised power of attorney in ЕНИС (БНАЖ);
      status    shows the delivery status of an async message;
      send      submits async messages (one, or many pipelined);
      log       reads and verifies the gateway's hash-chained message log;
      participants  shows who is connected (the health check of `make run`).
    Every command prints for people by default and one JSON document on
    stdout with --json. Exit codes are stable; see s_usage.            */
#include "shep_client.h"
#include "registries.pb-c.h"
#include <getopt.h>
#include <jansson.h>
#include <sys/stat.h>
#include <time.h>

#define EGOVCTL_OK          0
#define EGOVCTL_LOCAL_ERROR 1       //  cannot read a file, cannot write output
#define EGOVCTL_ERROR       2       //  the gateway or the provider answered an error
#define EGOVCTL_NEGATIVE    3       //  not found, POA not valid, unknown message id
#define EGOVCTL_UNREACHABLE 4       //  no welcome from the gateway
#define EGOVCTL_LOG_BROKEN  5       //  the message log's hash chain is broken
#define EGOVCTL_USAGE       64      //  bad command line (EX_USAGE)

#define EGOVCTL_WINDOW      256     //  async submissions in flight with --count
#define EGOVCTL_LOG_PAGE    1000    //  the gateway's largest LogQuery page
#define EGOVCTL_FILE_MAX    (64 * 1024 * 1024)  //  --file cap; the gateway refuses far less
#define EGOVCTL_ALMATY_S    (5 * 3600)  //  Asia/Almaty offset used when TZ is not set

//  Command line options; each bit is one flag, to check what a command accepts.
typedef enum {
    OPT_GATEWAY = 1, OPT_JSON, OPT_TIMEOUT, OPT_HELP, OPT_AS,
    OPT_REPRESENTATIVE, OPT_ON, OPT_TO, OPT_SERVICE, OPT_ROUTE, OPT_CORRELATION,
    OPT_TYPE, OPT_TEXT, OPT_FILE, OPT_COUNT, OPT_TTL,
    OPT_PARTICIPANT, OPT_SINCE, OPT_UNTIL, OPT_LIMIT
} s_option_t;

#define BIT(option) (1u << (option))
#define GLOBAL_OPTIONS (BIT (OPT_GATEWAY) | BIT (OPT_JSON) | BIT (OPT_TIMEOUT) \
                        | BIT (OPT_HELP) | BIT (OPT_AS))

typedef struct {
    const char *gateway;            //  gateway endpoint
    const char *participant_id;     //  --as, or egovctl-<pid>
    bool json;                      //  one JSON document on stdout
    int timeout_ms;                 //  per gateway round trip
    const char *command;            //  first positional argument
    const char *argument;           //  second positional: IIN, number, id, "verify"
    const char *representative;     //  poa --representative
    const char *on_date;            //  poa --on
    const char *to;                 //  send --to participant
    const char *service;            //  send --service
    const char *route;              //  send --route (KATO)
    const char *correlation;        //  send/log --correlation
    Egov__MessageType type;         //  send --type
    const char *text;               //  send --text
    const char *file;               //  send --file
    long count;                     //  send --count
    uint32_t ttl_ms;                //  send --ttl
    const char *participant;        //  log --participant
    int64_t since_ms;               //  log --since, 0 none
    int64_t until_ms;               //  log --until, 0 none
    long limit;                     //  log --limit, 0 all
    char own_id [64];               //  storage for the default participant id
    shep_client_t *client;          //  connected client, or NULL
} egovctl_t;

//  One command: its name, positional argument, flags it accepts, handler.
typedef struct {
    const char *name;
    const char *argument;           //  NULL: none; name shown in errors
    bool argument_optional;         //  `log` may have "verify"
    unsigned options;               //  accepted flags besides the global ones
    int (*run) (egovctl_t *self);
} s_command_t;

static void
s_usage (FILE *stream)
{
    fprintf (stream,
        "usage: egovctl [global options] COMMAND [arguments]\n"
        "\n"
        "global options:\n"
        "  --gateway ENDPOINT   gateway to connect to (env EGOV_GATEWAY, default %s)\n"
        "  --as ID              participant id (default egovctl-<pid>)\n"
        "  --json               print one JSON document on stdout\n"
        "  --timeout MS         wait for each answer at most MS ms (default 3000)\n"
        "  --help               this text\n"
        "\n"
        "commands:\n"
        "  person IIN                          look a person up in gbdfl.person\n"
        "  poa NUMBER --representative IIN [--on YYYY-MM-DD]\n"
        "                                      check a power of attorney in enis.poa\n"
        "  status MESSAGE_ID                   delivery status of an async message\n"
        "  send (--to PARTICIPANT | --service S | --route KATO) [--correlation ID]\n"
        "       [--type NOTIFICATION] [--text STRING | --file PATH] [--count N] [--ttl MS]\n"
        "                                      submit async messages, print their ids\n"
        "  log [--correlation ID] [--participant P] [--since TIME] [--until TIME] [--limit N]\n"
        "                                      print the message log (TIME: ISO 8601 or ms)\n"
        "  log verify                          check the message log's hash chain\n"
        "  participants                        connected participants\n"
        "\n"
        "exit codes:\n"
        "  0   success (poa: VALID)\n"
        "  1   local failure (cannot read --file)\n"
        "  2   the gateway or the provider answered an error (NO_PROVIDER, TIMEOUT, ...)\n"
        "  3   negative answer: person or message not found, poa not VALID\n"
        "  4   cannot reach the gateway\n"
        "  5   log verify: the message log is broken\n"
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

//  ---------------------------------------------------------------------
//  Time: the gateway speaks ms/us since the epoch, people read Almaty time.

//  Formats a time in microseconds as ISO 8601 in TZ, or UTC+5 without TZ.
static const char *
s_time_text (int64_t us, char *buffer, size_t size)
{
    if (us <= 0)
        return "-";
    time_t seconds = (time_t) (us / 1000000);
    int millis = (int) (us % 1000000 / 1000);
    struct tm parts;
    char zone [8] = "+05:00";
    if (getenv ("TZ")) {
        localtime_r (&seconds, &parts);
        char offset [8];
        strftime (offset, sizeof (offset), "%z", &parts);
        snprintf (zone, sizeof (zone), "%.3s:%.2s", offset, offset + 3);
    }
    else {
        seconds += EGOVCTL_ALMATY_S;
        gmtime_r (&seconds, &parts);
    }
    char stamp [32];
    strftime (stamp, sizeof (stamp), "%Y-%m-%dT%H:%M:%S", &parts);
    snprintf (buffer, size, "%s.%03d%s", stamp, millis, zone);
    return buffer;
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

//  Reads exactly count digits into value; false otherwise.
static bool
s_digits (const char **cursor, int count, int *value)
{
    *value = 0;
    for (int index = 0; index < count; index++) {
        char digit = (*cursor) [index];
        if (digit < '0' || digit > '9')
            return false;
        *value = *value * 10 + (digit - '0');
    }
    *cursor += count;
    return true;
}

//  Parses ms since the epoch, or ISO 8601 (date, optional time, optional
//  fraction, optional Z or +hh:mm). Without a zone: TZ, or Almaty time.
static bool
s_time_parse (const char *text, int64_t *ms)
{
    if (strspn (text, "0123456789") == strlen (text)) {
        long number;
        if (!s_number (text, 0, INT64_MAX, &number))
            return false;
        *ms = number;
        return true;
    }
    struct tm parts = { 0 };
    int year, month, day, hour = 0, minute = 0, second = 0, millis = 0;
    const char *cursor = text;
    if (!s_digits (&cursor, 4, &year) || *cursor++ != '-'
    ||  !s_digits (&cursor, 2, &month) || *cursor++ != '-'
    ||  !s_digits (&cursor, 2, &day))
        return false;
    if (*cursor == 'T' || *cursor == ' ') {
        cursor++;
        if (!s_digits (&cursor, 2, &hour) || *cursor++ != ':' || !s_digits (&cursor, 2, &minute))
            return false;
        if (*cursor == ':' && (cursor++, !s_digits (&cursor, 2, &second)))
            return false;
        if (*cursor == '.' || *cursor == ',') {
            cursor++;
            int scale = 100;
            if (*cursor < '0' || *cursor > '9')
                return false;
            for (; *cursor >= '0' && *cursor <= '9'; cursor++, scale /= 10)
                millis += (*cursor - '0') * scale;
        }
    }
    if (month < 1 || month > 12 || day < 1 || day > 31
    ||  hour > 23 || minute > 59 || second > 60)
        return false;
    parts.tm_year = year - 1900;
    parts.tm_mon = month - 1;
    parts.tm_mday = day;
    parts.tm_hour = hour;
    parts.tm_min = minute;
    parts.tm_sec = second;
    time_t seconds;
    if (*cursor == 0) {
        if (getenv ("TZ")) {
            parts.tm_isdst = -1;
            seconds = mktime (&parts);
        }
        else
            seconds = timegm (&parts) - EGOVCTL_ALMATY_S;
    }
    else {
        int zone_hours = 0, zone_minutes = 0, sign = 1;
        if (*cursor == 'Z')
            cursor++;
        else
        if (*cursor == '+' || *cursor == '-') {
            sign = *cursor++ == '-' ? -1 : 1;
            if (!s_digits (&cursor, 2, &zone_hours))
                return false;
            if (*cursor == ':')
                cursor++;
            if (*cursor && !s_digits (&cursor, 2, &zone_minutes))
                return false;
        }
        if (*cursor)
            return false;
        seconds = timegm (&parts) - sign * (zone_hours * 3600 + zone_minutes * 60);
    }
    *ms = (int64_t) seconds * 1000 + millis;
    return true;
}

//  ---------------------------------------------------------------------
//  JSON: any protobuf message, walked through its descriptor.

static json_t *s_json_message (const ProtobufCMessage *message);

//  A JSON string; wire text that is not UTF-8 keeps its ASCII, rest as '?'.
static json_t *
s_json_text (const char *text)
{
    json_t *string = json_string (text ? text : "");
    if (string)
        return string;
    char *ascii = strdup (text);
    assert (ascii);
    for (char *cursor = ascii; *cursor; cursor++)
        if ((unsigned char) *cursor > 127)
            *cursor = '?';
    string = json_string (ascii);
    free (ascii);
    return string;
}

//  Lower-case hex of bytes; caller frees.
static char *
s_hex (const uint8_t *bytes, size_t size)
{
    char *text = malloc (size * 2 + 1);
    assert (text);
    for (size_t index = 0; index < size; index++)
        snprintf (text + index * 2, 3, "%02x", bytes [index]);
    text [size * 2] = 0;
    return text;
}

//  Size of one element of a repeated field in memory.
static size_t
s_json_element_size (const ProtobufCFieldDescriptor *field)
{
    switch (field->type) {
        case PROTOBUF_C_TYPE_INT64: case PROTOBUF_C_TYPE_SINT64: case PROTOBUF_C_TYPE_SFIXED64:
        case PROTOBUF_C_TYPE_UINT64: case PROTOBUF_C_TYPE_FIXED64: case PROTOBUF_C_TYPE_DOUBLE:
            return 8;
        case PROTOBUF_C_TYPE_BOOL:
            return sizeof (protobuf_c_boolean);
        case PROTOBUF_C_TYPE_STRING: case PROTOBUF_C_TYPE_MESSAGE:
            return sizeof (void *);
        case PROTOBUF_C_TYPE_BYTES:
            return sizeof (ProtobufCBinaryData);
        default:
            return 4;
    }
}

//  One value of a field; enums by name, bytes as hex.
static json_t *
s_json_value (const ProtobufCFieldDescriptor *field, const void *member)
{
    switch (field->type) {
        case PROTOBUF_C_TYPE_STRING:
            return s_json_text (*(char * const *) member);
        case PROTOBUF_C_TYPE_BOOL:
            return json_boolean (*(const protobuf_c_boolean *) member);
        case PROTOBUF_C_TYPE_INT32: case PROTOBUF_C_TYPE_SINT32: case PROTOBUF_C_TYPE_SFIXED32:
            return json_integer (*(const int32_t *) member);
        case PROTOBUF_C_TYPE_UINT32: case PROTOBUF_C_TYPE_FIXED32:
            return json_integer (*(const uint32_t *) member);
        case PROTOBUF_C_TYPE_INT64: case PROTOBUF_C_TYPE_SINT64: case PROTOBUF_C_TYPE_SFIXED64:
            return json_integer (*(const int64_t *) member);
        case PROTOBUF_C_TYPE_UINT64: case PROTOBUF_C_TYPE_FIXED64:
            return json_integer ((json_int_t) *(const uint64_t *) member);
        case PROTOBUF_C_TYPE_FLOAT:
            return json_real (*(const float *) member);
        case PROTOBUF_C_TYPE_DOUBLE:
            return json_real (*(const double *) member);
        case PROTOBUF_C_TYPE_ENUM: {
            int value = *(const int *) member;
            const ProtobufCEnumValue *name =
                protobuf_c_enum_descriptor_get_value (field->descriptor, value);
            return name ? json_string (name->name) : json_integer (value);
        }
        case PROTOBUF_C_TYPE_BYTES: {
            const ProtobufCBinaryData *bytes = member;
            char *hex = s_hex (bytes->data, bytes->len);
            json_t *string = json_string (hex);
            free (hex);
            return string;
        }
        case PROTOBUF_C_TYPE_MESSAGE: {
            const ProtobufCMessage *child = *(ProtobufCMessage * const *) member;
            return child ? s_json_message (child) : json_null ();
        }
    }
    return json_null ();
}

//  A message as a JSON object keyed by the proto field names.
static json_t *
s_json_message (const ProtobufCMessage *message)
{
    json_t *object = json_object ();
    const ProtobufCMessageDescriptor *descriptor = message->descriptor;
    for (unsigned index = 0; index < descriptor->n_fields; index++) {
        const ProtobufCFieldDescriptor *field = descriptor->fields + index;
        const char *base = (const char *) message;
        if (field->flags & PROTOBUF_C_FIELD_FLAG_ONEOF
        &&  *(const uint32_t *) (base + field->quantifier_offset) != field->id)
            continue;
        json_t *value;
        if (field->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t count = *(const size_t *) (base + field->quantifier_offset);
            const char *items = *(char * const *) (base + field->offset);
            value = json_array ();
            for (size_t item = 0; item < count; item++)
                json_array_append_new (value, s_json_value (
                    field, items + item * s_json_element_size (field)));
        }
        else
        if (field->type == PROTOBUF_C_TYPE_MESSAGE
        &&  *(ProtobufCMessage * const *) (base + field->offset) == NULL)
            continue;           //  absent sub-message: leave the key out
        else
            value = s_json_value (field, base + field->offset);
        json_object_set_new (object, field->name, value);
    }
    return object;
}

//  Prints a JSON document on stdout and frees it; EGOVCTL_LOCAL_ERROR when
//  stdout cannot take it.
static int
s_json_print (json_t *document, int exit_code)
{
    int rc = json_dumpf (document, stdout, JSON_INDENT (2) | JSON_PRESERVE_ORDER);
    json_decref (document);
    if (rc == 0)
        fputc ('\n', stdout);
    if (rc != 0 || fflush (stdout) != 0) {
        fprintf (stderr, "egovctl: cannot write output\n");
        return EGOVCTL_LOCAL_ERROR;
    }
    return exit_code;
}

//  ---------------------------------------------------------------------
//  Errors and the connection

//  Reports an error on stderr (and as {"error": ...} with --json); returns exit_code.
static int
s_fail (egovctl_t *self, const egov_error_t *error, int exit_code)
{
    if (streq (error->code, "GATEWAY_UNREACHABLE"))
        exit_code = EGOVCTL_UNREACHABLE;        //  the gateway itself went silent
    if (*error->sub_code)
        fprintf (stderr, "error %s: %s (cause %s: %s)\n",
                 error->code, error->message, error->sub_code, error->sub_message);
    else
        fprintf (stderr, "error %s: %s\n", error->code, error->message);
    if (!self->json)
        return exit_code;
    json_t *body = json_object ();
    json_object_set_new (body, "code", s_json_text (error->code));
    json_object_set_new (body, "message", s_json_text (error->message));
    if (*error->sub_code)
        json_object_set_new (body, "cause", json_pack ("{s:o, s:o}",
            "code", s_json_text (error->sub_code), "message", s_json_text (error->sub_message)));
    return s_json_print (json_pack ("{s:o}", "error", body), exit_code);
}

//  Same from a code and a message.
static int
s_fail_code (egovctl_t *self, const char *code, const char *message, int exit_code)
{
    egov_error_t error;
    egov_error_set (&error, code, "%s", message);
    return s_fail (self, &error, exit_code);
}

//  Says hello to the gateway; 0, or the exit code after reporting.
static int
s_connect (egovctl_t *self)
{
    self->client = shep_client_new (self->gateway, self->participant_id);
    assert (self->client);
    if (shep_client_connect (self->client, self->timeout_ms) == 0)
        return 0;
    char message [300];
    snprintf (message, sizeof (message), "cannot reach the gateway at %s within %d ms",
              self->gateway, self->timeout_ms);
    return s_fail_code (self, "GATEWAY_UNREACHABLE", message, EGOVCTL_UNREACHABLE);
}

//  Sends a sync request for service and returns the provider's payload of
//  the expected type, or NULL with *exit_code set after reporting.
static ProtobufCMessage *
s_call (egovctl_t *self, const char *service_id, const ProtobufCMessage *request,
        const ProtobufCMessageDescriptor *expected, int *exit_code)
{
    Egov__Envelope *envelope = egov_envelope_new (service_id, EGOV__MESSAGE_TYPE__REQUEST);
    egov_envelope_set_payload (envelope, request);
    egov_error_t error = { { 0 } };
    Egov__Envelope *reply = shep_client_call (self->client, envelope, self->timeout_ms, &error);
    egov__envelope__free_unpacked (envelope, NULL);
    ProtobufCMessage *payload = NULL;
    if (!reply)
        *exit_code = s_fail (self, &error, EGOVCTL_ERROR);
    else
    if (reply->error) {
        egov_error_from_info (&error, reply->error);
        *exit_code = s_fail (self, &error, EGOVCTL_ERROR);
    }
    else {
        payload = egov_envelope_payload (reply, expected);
        if (!payload) {
            egov_error_set (&error, "BAD_REPLY", "%s answered payload type '%s', expected %s",
                            service_id, reply->payload_type, expected->name);
            *exit_code = s_fail (self, &error, EGOVCTL_ERROR);
        }
    }
    if (reply)
        egov__envelope__free_unpacked (reply, NULL);
    return payload;
}

//  Sends a query frame and returns the answer when its body is expected;
//  NULL with *exit_code set after reporting.
static Egov__Shep__Frame *
s_ask (egovctl_t *self, Egov__Shep__Frame *query, Egov__Shep__Frame__BodyCase expected,
       int *exit_code)
{
    egov_error_t error = { { 0 } };
    Egov__Shep__Frame *answer = shep_client_ask (self->client, query, self->timeout_ms, &error);
    if (!answer) {
        if (!*error.code)
            egov_error_set (&error, "TIMEOUT", "no answer from the gateway within %d ms",
                            self->timeout_ms);
        *exit_code = s_fail (self, &error, EGOVCTL_ERROR);
        return NULL;
    }
    if (answer->body_case == EGOV__SHEP__FRAME__BODY_ERROR && answer->error->error) {
        egov_error_from_info (&error, answer->error->error);
        *exit_code = s_fail (self, &error, EGOVCTL_ERROR);
    }
    else
    if (answer->body_case != expected || !answer->log_reply) {
        //  log_reply stands for whichever body pointer: they share a union
        egov_error_set (&error, "BAD_REPLY", "the gateway answered frame %d, expected %d",
                        answer->body_case, expected);
        *exit_code = s_fail (self, &error, EGOVCTL_ERROR);
    }
    else
        return answer;
    egov__shep__frame__free_unpacked (answer, NULL);
    return NULL;
}

//  "-" for empty strings in tables.
static const char *
s_or_dash (const char *text)
{
    return text && *text ? text : "-";
}

//  ---------------------------------------------------------------------
//  person IIN

//  Prints one birth certificate on a line.
static void
s_print_certificate (const Egov__Registries__BirthCertificate *certificate)
{
    printf ("  No %s issued %s  child %s  mother %s  father %s  office %s\n",
            s_or_dash (certificate->number), s_or_dash (certificate->issued),
            s_or_dash (certificate->child_iin), s_or_dash (certificate->mother_iin),
            s_or_dash (certificate->father_iin), s_or_dash (certificate->registry_office));
}

static void
s_print_person (const Egov__Registries__Person *person)
{
    printf ("IIN          %s\n", person->iin);
    printf ("Name         %s %s%s%s\n", person->surname, person->name,
            *person->patronymic ? " " : "", person->patronymic);
    printf ("Birth date   %s\n", s_or_dash (person->birth_date));
    printf ("Gender       %s\n", s_or_dash (person->gender));
    printf ("Citizenship  %s\n", s_or_dash (person->citizenship));
    const Egov__Registries__Address *address = person->address;
    if (address) {
        printf ("Address      %s, %s %s", s_or_dash (address->locality),
                address->street, address->house);
        if (*address->flat)
            printf (", flat %s", address->flat);
        printf ("  (KATO %s %s)\n", s_or_dash (address->region_kato), address->region_name);
    }
    else
        printf ("Address      -\n");
    printf ("Documents%s\n", person->n_documents ? "" : "    -");
    for (size_t index = 0; index < person->n_documents; index++) {
        const Egov__Registries__IdentityDocument *document = person->documents [index];
        printf ("  %s %s  issued %s  expires %s  by %s\n", s_or_dash (document->type),
                s_or_dash (document->number), s_or_dash (document->issued),
                *document->expires ? document->expires : "never", s_or_dash (document->issuer));
    }
    if (person->birth_certificate) {
        printf ("Birth certificate\n");
        s_print_certificate (person->birth_certificate);
    }
    if (person->n_children) {
        printf ("Children\n");
        for (size_t index = 0; index < person->n_children; index++)
            s_print_certificate (person->children [index]);
    }
}

static int
s_cmd_person (egovctl_t *self)
{
    Egov__Registries__PersonRequest request = EGOV__REGISTRIES__PERSON_REQUEST__INIT;
    request.iin = (char *) self->argument;
    int exit_code = EGOVCTL_OK;
    Egov__Registries__PersonResponse *response = (Egov__Registries__PersonResponse *) s_call (
        self, "gbdfl.person", &request.base,
        &egov__registries__person_response__descriptor, &exit_code);
    if (!response)
        return exit_code;
    bool found = response->status == EGOV__REGISTRIES__PERSON_RESPONSE__STATUS__FOUND
              && response->person;
    exit_code = found ? EGOVCTL_OK : EGOVCTL_NEGATIVE;
    if (self->json) {
        json_t *document = s_json_message (&response->base);
        json_object_set_new (document, "iin", s_json_text (self->argument));
        exit_code = s_json_print (document, exit_code);
    }
    else
    if (found)
        s_print_person (response->person);
    else
    if (response->status == EGOV__REGISTRIES__PERSON_RESPONSE__STATUS__NOT_FOUND)
        printf ("not found: no person with IIN %s\n", self->argument);
    else
        exit_code = s_fail_code (self, "BAD_REPLY", "gbdfl.person answered without a status",
                                 EGOVCTL_ERROR);
    protobuf_c_message_free_unpacked (&response->base, NULL);
    return exit_code;
}

//  ---------------------------------------------------------------------
//  poa NUMBER --representative IIN [--on DATE]

static void
s_print_poa (const Egov__Registries__PowerOfAttorney *poa)
{
    printf ("principal       %s\n", s_or_dash (poa->principal_iin));
    printf ("representative  %s\n", s_or_dash (poa->representative_iin));
    printf ("notary          %s\n", s_or_dash (poa->notary));
    printf ("issued          %s\n", s_or_dash (poa->issued));
    printf ("valid until     %s\n", s_or_dash (poa->valid_until));
    printf ("services        ");
    for (size_t index = 0; index < poa->n_services; index++)
        printf ("%s%s", index ? ", " : "", poa->services [index]);
    printf ("%s\n", poa->n_services ? "" : "all");
    if (poa->revoked)
        printf ("revoked         %s\n", s_or_dash (poa->revoked_on));
}

static int
s_cmd_poa (egovctl_t *self)
{
    Egov__Registries__PoaRequest request = EGOV__REGISTRIES__POA_REQUEST__INIT;
    request.number = (char *) self->argument;
    request.representative_iin = (char *) self->representative;
    request.on_date = (char *) (self->on_date ? self->on_date : "");
    int exit_code = EGOVCTL_OK;
    Egov__Registries__PoaResponse *response = (Egov__Registries__PoaResponse *) s_call (
        self, "enis.poa", &request.base, &egov__registries__poa_response__descriptor, &exit_code);
    if (!response)
        return exit_code;
    const ProtobufCEnumValue *status = protobuf_c_enum_descriptor_get_value (
        &egov__registries__poa_response__status__descriptor, response->status);
    if (!status || response->status == EGOV__REGISTRIES__POA_RESPONSE__STATUS__STATUS_UNSPECIFIED)
        exit_code = s_fail_code (self, "BAD_REPLY", "enis.poa answered without a status",
                                 EGOVCTL_ERROR);
    else {
        exit_code = response->status == EGOV__REGISTRIES__POA_RESPONSE__STATUS__VALID
                  ? EGOVCTL_OK : EGOVCTL_NEGATIVE;
        if (self->json) {
            json_t *document = s_json_message (&response->base);
            json_object_set_new (document, "number", s_json_text (self->argument));
            exit_code = s_json_print (document, exit_code);
        }
        else {
            printf ("POA %s: %s\n", self->argument, status->name);
            if (response->status == EGOV__REGISTRIES__POA_RESPONSE__STATUS__NOT_FOUND)
                printf ("no notarised power of attorney with this number\n");
            else
            if (response->status == EGOV__REGISTRIES__POA_RESPONSE__STATUS__NOT_THIS_REPRESENTATIVE)
                printf ("IIN %s is not the representative it names\n", self->representative);
            if (response->poa)
                s_print_poa (response->poa);
        }
    }
    protobuf_c_message_free_unpacked (&response->base, NULL);
    return exit_code;
}

//  ---------------------------------------------------------------------
//  status MESSAGE_ID

static int
s_cmd_status (egovctl_t *self)
{
    egov_error_t error = { { 0 } };
    Egov__Shep__StatusReply *reply =
        shep_client_status (self->client, self->argument, self->timeout_ms, &error);
    if (reply && reply->error && streq (reply->error->code, "NOT_FOUND"))
        egov_error_from_info (&error, reply->error);
    if (streq (error.code, "NOT_FOUND")) {
        if (reply)
            egov__shep__status_reply__free_unpacked (reply, NULL);
        if (self->json)
            return s_json_print (json_pack ("{s:o, s:s}", "message_id",
                s_json_text (self->argument), "status", "NOT_FOUND"), EGOVCTL_NEGATIVE);
        printf ("not found: no message with id %s\n", self->argument);
        return EGOVCTL_NEGATIVE;
    }
    if (!reply)
        return s_fail (self, &error, EGOVCTL_ERROR);
    int exit_code = EGOVCTL_OK;
    if (self->json)
        exit_code = s_json_print (s_json_message (&reply->base), EGOVCTL_OK);
    else {
        char accepted [48], finished [48];
        printf ("message    %s\n", reply->message_id);
        printf ("status     %s\n", egov_delivery_status_name (reply->status));
        printf ("sender     %s\n", s_or_dash (reply->sender_id));
        printf ("recipient  %s\n", s_or_dash (reply->recipient_id));
        printf ("accepted   %s\n", s_time_text (reply->accepted_at * 1000, accepted, 48));
        printf ("finished   %s\n", s_time_text (reply->finished_at * 1000, finished, 48));
        printf ("attempts   %u\n", reply->attempts);
        if (reply->error)
            printf ("error      %s: %s\n", reply->error->code, reply->error->message);
    }
    egov__shep__status_reply__free_unpacked (reply, NULL);
    return exit_code;
}

//  ---------------------------------------------------------------------
//  send

//  Reads --file into the envelope's payload; false after reporting.
static bool
s_read_payload (egovctl_t *self, Egov__Envelope *envelope)
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

//  Gives the envelope a fresh message id (and its own correlation id
//  unless --correlation was given).
static void
s_envelope_renew (egovctl_t *self, Egov__Envelope *envelope, const char *message_id)
{
    egov_string_set (&envelope->message_id, message_id);
    if (!self->correlation)
        egov_string_set (&envelope->correlation_id, message_id);
}

//  Reports one finished submission, as a line or into the JSON array.
static void
s_report_sent (egovctl_t *self, json_t *messages, const char *message_id,
               Egov__DeliveryStatus status, const egov_error_t *error)
{
    if (self->json) {
        json_t *entry = json_pack ("{s:s}", "message_id", message_id);
        if (error && *error->code)
            json_object_set_new (entry, "error", json_pack ("{s:o, s:o}",
                "code", s_json_text (error->code), "message", s_json_text (error->message)));
        else
            json_object_set_new (entry, "status", json_string (egov_delivery_status_name (status)));
        json_array_append_new (messages, entry);
    }
    if (error && *error->code)
        fprintf (stderr, "%s error %s: %s\n", message_id, error->code, error->message);
    else
    if (!self->json)
        printf ("%s %s\n", message_id, egov_delivery_status_name (status));
}

//  Sends count messages with at most EGOVCTL_WINDOW awaiting their receipts;
//  on silence resends what is in flight (same ids, the gateway dedupes).
//  Returns the exit code: 0, 2 when some were refused, 4 when the gateway
//  stopped confirming (those ids are reported as not confirmed).
static int
s_send_pipelined (egovctl_t *self, Egov__Envelope *envelope, json_t *messages)
{
    zhashx_t *in_flight = zhashx_new ();        //  tag text -> message id
    assert (in_flight);
    zhashx_set_destructor (in_flight, (zhashx_destructor_fn *) zstr_free);
    uint64_t sent = 0, finished = 0;
    int failures = 0, silences = 0;
    char key [24];
    while (finished < (uint64_t) self->count && !zsys_interrupted) {
        while (sent < (uint64_t) self->count && zhashx_size (in_flight) < EGOVCTL_WINDOW) {
            char *message_id = egov_uuid_new ();
            s_envelope_renew (self, envelope, message_id);
            snprintf (key, sizeof (key), "%" PRIu64, ++sent);
            if (shep_client_send_submit (self->client, envelope, self->ttl_ms, sent) == 0) {
                zhashx_insert (in_flight, key, message_id);
                continue;
            }
            egov_error_t error;
            egov_error_set (&error, "MESSAGE_TOO_LARGE", "the message does not fit the"
                            " gateway's limit");
            s_report_sent (self, messages, message_id, 0, &error);
            zstr_free (&message_id);
            failures++;
            finished++;
        }
        shep_client_tick (self->client);
        Egov__Shep__Frame *frame = shep_client_recv (self->client, self->timeout_ms);
        if (!frame) {
            if (++silences == 3)
                break;
            for (char *message_id = zhashx_first (in_flight); message_id;
                 message_id = zhashx_next (in_flight)) {
                s_envelope_renew (self, envelope, message_id);
                uint64_t tag = strtoull (zhashx_cursor (in_flight), NULL, 10);
                shep_client_send_submit (self->client, envelope, self->ttl_ms, tag);
            }
            continue;
        }
        silences = 0;
        snprintf (key, sizeof (key), "%" PRIu64, frame->tag);
        const char *message_id = zhashx_lookup (in_flight, key);
        egov_error_t error = { { 0 } };
        bool answered = true;
        if (!message_id)
            answered = false;           //  a late duplicate receipt after a resend
        else
        if (frame->body_case == EGOV__SHEP__FRAME__BODY_ASYNC_RECEIPT && frame->async_receipt) {
            if (frame->async_receipt->error)
                egov_error_from_info (&error, frame->async_receipt->error);
            s_report_sent (self, messages, message_id, frame->async_receipt->status, &error);
        }
        else
        if (frame->body_case == EGOV__SHEP__FRAME__BODY_ERROR && frame->error
        &&  frame->error->error && streq (frame->error->error->code, "NOT_REGISTERED")) {
            //  The gateway restarted; the client said hello again: resubmit
            s_envelope_renew (self, envelope, message_id);
            shep_client_send_submit (self->client, envelope, self->ttl_ms, frame->tag);
            answered = false;
        }
        else
        if (frame->body_case == EGOV__SHEP__FRAME__BODY_ERROR && frame->error) {
            if (frame->error->error)
                egov_error_from_info (&error, frame->error->error);
            else
                egov_error_set (&error, "ERROR", "the gateway refused the submission");
            s_report_sent (self, messages, message_id, 0, &error);
        }
        else
            answered = false;
        if (answered) {
            failures += *error.code != 0;
            finished++;
            zhashx_delete (in_flight, key);
        }
        egov__shep__frame__free_unpacked (frame, NULL);
    }
    bool silent = finished < (uint64_t) self->count;
    egov_error_t error;
    egov_error_set (&error, "GATEWAY_UNREACHABLE", "the gateway did not confirm the message");
    for (char *message_id = zhashx_first (in_flight); message_id;
         message_id = zhashx_next (in_flight))
        s_report_sent (self, messages, message_id, 0, &error);
    if (silent)
        fprintf (stderr, "error GATEWAY_UNREACHABLE: %" PRIu64 " of %ld messages not"
                 " confirmed (%" PRIu64 " never sent)\n", self->count - finished,
                 self->count, self->count - sent);
    zhashx_destroy (&in_flight);
    return silent ? EGOVCTL_UNREACHABLE : failures ? EGOVCTL_ERROR : EGOVCTL_OK;
}

static int
s_cmd_send (egovctl_t *self)
{
    Egov__Envelope *envelope = egov_envelope_new (self->service, self->type);
    if (self->to)
        egov_string_set (&envelope->recipient_id, self->to);
    if (self->route)
        egov_string_set (&envelope->route_id, self->route);
    if (self->correlation)
        egov_string_set (&envelope->correlation_id, self->correlation);
    egov_string_set (&envelope->payload_type, self->file ? "application/octet-stream"
                                                         : "text/plain");
    if (self->text) {
        envelope->payload.len = strlen (self->text);
        envelope->payload.data = (uint8_t *) strdup (self->text);
        assert (envelope->payload.data);
    }
    if (self->file && !s_read_payload (self, envelope)) {
        egov__envelope__free_unpacked (envelope, NULL);
        return EGOVCTL_LOCAL_ERROR;
    }
    json_t *messages = json_array ();
    int exit_code = EGOVCTL_OK;
    if (self->count == 1) {
        egov_error_t error = { { 0 } };
        Egov__DeliveryStatus status = EGOV__DELIVERY_STATUS__DELIVERY_STATUS_UNSPECIFIED;
        if (shep_client_submit (self->client, envelope, self->ttl_ms, self->timeout_ms,
                                &status, &error) == 0)
            s_report_sent (self, messages, envelope->message_id, status, NULL);
        else {
            s_report_sent (self, messages, envelope->message_id, status, &error);
            exit_code = streq (error.code, "GATEWAY_UNREACHABLE")
                      ? EGOVCTL_UNREACHABLE : EGOVCTL_ERROR;
        }
    }
    else
        exit_code = s_send_pipelined (self, envelope, messages);
    egov__envelope__free_unpacked (envelope, NULL);
    if (self->json)
        return s_json_print (json_pack ("{s:o}", "messages", messages), exit_code);
    json_decref (messages);
    return exit_code;
}

//  ---------------------------------------------------------------------
//  log, log verify

static void
s_print_record (const Egov__Shep__LogRecord *record)
{
    char when [48];
    char *digest = s_hex (record->payload_sha256.data,
                          record->payload_sha256.len < 8 ? record->payload_sha256.len : 8);
    printf ("%6" PRIu64 "  %s  %-5s  %s -> %s  %s  %s  %s  %s  %u  %s%s%s\n",
            record->seq, s_time_text (record->logged_at_us, when, sizeof (when)),
            s_or_dash (record->channel), s_or_dash (record->sender_id),
            s_or_dash (record->recipient_id), s_or_dash (record->service_id),
            egov_message_type_name (record->message_type), s_or_dash (record->message_id),
            s_or_dash (record->correlation_id), record->payload_size, s_or_dash (digest),
            *record->note ? "  " : "", record->note);
    free (digest);
}

static int
s_cmd_log_verify (egovctl_t *self)
{
    Egov__Shep__LogVerify verify = EGOV__SHEP__LOG_VERIFY__INIT;
    Egov__Shep__Frame query = EGOV__SHEP__FRAME__INIT;
    query.body_case = EGOV__SHEP__FRAME__BODY_LOG_VERIFY;
    query.log_verify = &verify;
    int exit_code = EGOVCTL_OK;
    Egov__Shep__Frame *answer = s_ask (self, &query,
        EGOV__SHEP__FRAME__BODY_LOG_VERIFY_REPLY, &exit_code);
    if (!answer)
        return exit_code;
    Egov__Shep__LogVerifyReply *reply = answer->log_verify_reply;
    exit_code = reply->ok ? EGOVCTL_OK : EGOVCTL_LOG_BROKEN;
    if (self->json)
        exit_code = s_json_print (s_json_message (&reply->base), exit_code);
    else
    if (reply->ok)
        printf ("message log intact: %" PRIu64 " records\n", reply->checked);
    else
        printf ("message log BROKEN at seq %" PRIu64 ": %s\n", reply->broken_at,
                s_or_dash (reply->reason));
    egov__shep__frame__free_unpacked (answer, NULL);
    return exit_code;
}

//  Pages through the log with after_seq until the gateway says no more or
//  --limit records were printed.
static int
s_cmd_log (egovctl_t *self)
{
    if (self->argument)
        return s_cmd_log_verify (self);
    Egov__Shep__LogQuery filter = EGOV__SHEP__LOG_QUERY__INIT;
    filter.correlation_id = (char *) (self->correlation ? self->correlation : "");
    filter.participant = (char *) (self->participant ? self->participant : "");
    filter.since_ms = self->since_ms;
    filter.until_ms = self->until_ms;
    Egov__Shep__Frame query = EGOV__SHEP__FRAME__INIT;
    query.body_case = EGOV__SHEP__FRAME__BODY_LOG_QUERY;
    query.log_query = &filter;
    json_t *records = json_array ();
    long printed = 0;
    int exit_code = EGOVCTL_OK;
    bool more = true;
    while (more && (self->limit == 0 || printed < self->limit)) {
        long wanted = self->limit ? self->limit - printed : EGOVCTL_LOG_PAGE;
        filter.limit = (uint32_t) (wanted < EGOVCTL_LOG_PAGE ? wanted : EGOVCTL_LOG_PAGE);
        Egov__Shep__Frame *answer = s_ask (self, &query,
            EGOV__SHEP__FRAME__BODY_LOG_REPLY, &exit_code);
        if (!answer)
            break;
        Egov__Shep__LogReply *reply = answer->log_reply;
        uint64_t before = filter.after_seq;
        for (size_t index = 0; index < reply->n_records; index++) {
            Egov__Shep__LogRecord *record = reply->records [index];
            if (record->seq <= filter.after_seq)
                continue;       //  paging must move forward; never print twice
            filter.after_seq = record->seq;
            printed++;
            if (self->json)
                json_array_append_new (records, s_json_message (&record->base));
            else
                s_print_record (record);
        }
        more = reply->more && filter.after_seq > before;
        egov__shep__frame__free_unpacked (answer, NULL);
    }
    if (self->json && exit_code == EGOVCTL_OK)
        return s_json_print (json_pack ("{s:o, s:I}", "records", records,
                                        "count", (json_int_t) printed), exit_code);
    json_decref (records);
    return exit_code;
}

//  ---------------------------------------------------------------------
//  participants

//  Joins a repeated string field with commas into buffer.
static const char *
s_join (char **items, size_t count, char *buffer, size_t size)
{
    buffer [0] = 0;
    for (size_t index = 0; index < count; index++) {
        size_t used = strlen (buffer);
        snprintf (buffer + used, size - used, "%s%s", index ? "," : "", items [index]);
    }
    return count ? buffer : "-";
}

static int
s_cmd_participants (egovctl_t *self)
{
    Egov__Shep__ParticipantsQuery participants = EGOV__SHEP__PARTICIPANTS_QUERY__INIT;
    Egov__Shep__Frame query = EGOV__SHEP__FRAME__INIT;
    query.body_case = EGOV__SHEP__FRAME__BODY_PARTICIPANTS_QUERY;
    query.participants_query = &participants;
    int exit_code = EGOVCTL_OK;
    Egov__Shep__Frame *answer = s_ask (self, &query,
        EGOV__SHEP__FRAME__BODY_PARTICIPANTS_REPLY, &exit_code);
    if (!answer)
        return exit_code;
    Egov__Shep__ParticipantsReply *reply = answer->participants_reply;
    if (self->json)
        exit_code = s_json_print (s_json_message (&reply->base), EGOVCTL_OK);
    else {
        char when [48], services [512], routes [512];
        printf ("gateway %s, up since %s, %zu participants\n", s_or_dash (reply->gateway_id),
                s_time_text (reply->started_at * 1000, when, sizeof (when)),
                reply->n_participants);
        printf ("%-28s %-5s %9s  %-29s  %-24s %s\n", "PARTICIPANT", "ASYNC", "IN FLIGHT",
                "LAST SEEN", "SERVICES", "ROUTES");
        for (size_t index = 0; index < reply->n_participants; index++) {
            Egov__Shep__Participant *participant = reply->participants [index];
            printf ("%-28s %-5s %9u  %-29s  %-24s %s\n", participant->participant_id,
                    participant->receive_async ? "yes" : "no", participant->in_flight,
                    s_time_text (participant->last_seen * 1000, when, sizeof (when)),
                    s_join (participant->services, participant->n_services,
                            services, sizeof (services)),
                    s_join (participant->routes, participant->n_routes,
                            routes, sizeof (routes)));
        }
    }
    egov__shep__frame__free_unpacked (answer, NULL);
    return exit_code;
}

//  ---------------------------------------------------------------------
//  Command line

static const s_command_t s_commands [] = {
    { "person", "IIN", false, 0, s_cmd_person },
    { "poa", "NUMBER", false, BIT (OPT_REPRESENTATIVE) | BIT (OPT_ON), s_cmd_poa },
    { "status", "MESSAGE_ID", false, 0, s_cmd_status },
    { "send", NULL, false, BIT (OPT_TO) | BIT (OPT_SERVICE) | BIT (OPT_ROUTE)
        | BIT (OPT_CORRELATION) | BIT (OPT_TYPE) | BIT (OPT_TEXT) | BIT (OPT_FILE)
        | BIT (OPT_COUNT) | BIT (OPT_TTL), s_cmd_send },
    { "log", "verify", true, BIT (OPT_CORRELATION) | BIT (OPT_PARTICIPANT) | BIT (OPT_SINCE)
        | BIT (OPT_UNTIL) | BIT (OPT_LIMIT), s_cmd_log },
    { "participants", NULL, false, 0, s_cmd_participants },
};

static const struct option s_options [] = {
    { "gateway", required_argument, NULL, OPT_GATEWAY },
    { "json", no_argument, NULL, OPT_JSON },
    { "timeout", required_argument, NULL, OPT_TIMEOUT },
    { "help", no_argument, NULL, OPT_HELP },
    { "as", required_argument, NULL, OPT_AS },
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
    { NULL, 0, NULL, 0 }
};

//  True for a YYYY-MM-DD shape (the registry judges the calendar).
static bool
s_date_shaped (const char *text)
{
    int year, month, day;
    const char *cursor = text;
    return s_digits (&cursor, 4, &year) && *cursor++ == '-' && s_digits (&cursor, 2, &month)
        && *cursor++ == '-' && s_digits (&cursor, 2, &day) && *cursor == 0
        && month >= 1 && month <= 12 && day >= 1 && day <= 31;
}

//  Stores one flag's value; the usage exit code when it does not parse.
static int
s_parse_option (egovctl_t *self, int option, const char *value)
{
    long number;
    switch (option) {
        case OPT_GATEWAY: self->gateway = value; break;
        case OPT_JSON: self->json = true; break;
        case OPT_AS: self->participant_id = value; break;
        case OPT_REPRESENTATIVE: self->representative = value; break;
        case OPT_TO: self->to = value; break;
        case OPT_SERVICE: self->service = value; break;
        case OPT_ROUTE: self->route = value; break;
        case OPT_CORRELATION: self->correlation = value; break;
        case OPT_TEXT: self->text = value; break;
        case OPT_FILE: self->file = value; break;
        case OPT_PARTICIPANT: self->participant = value; break;
        case OPT_TIMEOUT:
            if (!s_number (value, 1, 3600000, &number))
                return s_usage_error ("--timeout wants milliseconds, 1..3600000, not '%s'", value);
            self->timeout_ms = (int) number;
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
        case OPT_ON:
            if (!s_date_shaped (value))
                return s_usage_error ("--on wants YYYY-MM-DD, not '%s'", value);
            self->on_date = value;
            break;
        case OPT_SINCE: case OPT_UNTIL:
            if (!s_time_parse (value, option == OPT_SINCE ? &self->since_ms : &self->until_ms))
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
    unsigned seen = 0;
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
    if (optind < argc)
        return s_usage_error ("unexpected argument '%s'", argv [optind]);
    if ((*command)->argument && !(*command)->argument_optional && !self->argument)
        return s_usage_error ("missing %s", (*command)->argument);
    if (self->argument && (!(*command)->argument
    || ((*command)->argument_optional && !streq (self->argument, (*command)->argument))))
        return s_usage_error ("unexpected argument '%s'", self->argument);
    unsigned stray = seen & ~(GLOBAL_OPTIONS | (*command)->options);
    if (self->argument && streq (self->command, "log"))
        stray |= seen & ~GLOBAL_OPTIONS;        //  log verify takes no filters
    for (const struct option *flag = s_options; flag->name; flag++)
        if (stray & BIT (flag->val))
            return s_usage_error ("--%s does not apply here", flag->name);
    if (streq (self->command, "status") && !egov_uuid_valid (self->argument))
        return s_usage_error ("MESSAGE_ID is a UUID, not '%s'", self->argument);
    if (streq (self->command, "poa") && !self->representative)
        return s_usage_error ("%s", "poa needs --representative IIN");
    if (streq (self->command, "send")) {
        if (!self->to && !self->service && !self->route)
            return s_usage_error ("%s", "send needs --to, --service or --route");
        if (self->text && self->file)
            return s_usage_error ("%s", "send takes --text or --file, not both");
    }
    return 0;
}

int
main (int argc, char *argv [])
{
    zsys_init ();
    zsys_set_logstream (stderr);        //  stdout is for answers (and --json)
    egovctl_t self = {
        .gateway = egov_env ("EGOV_GATEWAY", SHEP_DEFAULT_ENDPOINT),
        .timeout_ms = 3000,
        .type = EGOV__MESSAGE_TYPE__NOTIFICATION,
        .count = 1,
    };
    snprintf (self.own_id, sizeof (self.own_id), "egovctl-%d", (int) getpid ());
    self.participant_id = self.own_id;
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
