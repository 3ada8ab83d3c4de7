/*  egovctl — what the command line's files share: the parsed command line
    with the gateway connection (egovctl_t), the exit codes, reporting an
    error the same way everywhere, and the commands themselves.

    The commands are grouped by the gateway channel they use:
      egovctl_sync.c     person, poa, call   (sync calls to a provider)
      egovctl_async.c    send, status        (store-and-forward)
      egovctl_gateway.c  log, participants   (the gateway's own views)
      egovctl_wait.c     wait                (a channel's application state)
      egovctl_queue.c    queue               (the kindergarten queue register)
      egovctl_scenario.c scenario run        (steps against a running system, JUnit)
    egovctl.c parses the command line and runs one of them.              */
#ifndef EGOVCTL_H_INCLUDED
#define EGOVCTL_H_INCLUDED

#include "shep_client.h"
#include "applications.pb-c.h"
#include <jansson.h>

#define EGOVCTL_OK          0
#define EGOVCTL_LOCAL_ERROR 1       //  cannot read a file, cannot write output
#define EGOVCTL_ERROR       2       //  the gateway or the provider answered an error
#define EGOVCTL_NEGATIVE    3       //  not found, POA not valid, unknown message id
#define EGOVCTL_UNREACHABLE 4       //  no welcome from the gateway
#define EGOVCTL_LOG_BROKEN  5       //  the message log's hash chain is broken
#define EGOVCTL_WAITED_IN_VAIN 7    //  wait: the status did not come within --timeout
#define EGOVCTL_SCENARIO_FAILED 8   //  scenario run: a step failed
#define EGOVCTL_USAGE       64      //  bad command line (EX_USAGE)

#define EGOVCTL_PARTICIPANT "egovctl"   //  who egovctl is to the gateway without --as
#define EGOVCTL_MORE_MAX    64      //  positional arguments after the first
#define EGOVCTL_WAIT_DEFAULT_MS 60000   //  wait without --timeout
#define EGOVCTL_FILE_MAX    (64 * 1024 * 1024)  //  --file cap; the gateway refuses far less

//  The command line as parsed, and the connection the command uses.
typedef struct {
    const char *gateway;            //  gateway endpoint
    const char *participant_id;     //  --as, or egovctl
    const char *keys;               //  --keys, EGOV_KEYS_DIR or var/keys
    bool json;                      //  one JSON document on stdout
    int timeout_ms;                 //  per gateway round trip (wait: the whole wait)
    bool timeout_given;             //  --timeout was on the command line
    const char *command;            //  first positional argument
    const char *argument;           //  second positional: IIN, number, id, "verify"
    const char *more [EGOVCTL_MORE_MAX];    //  further positionals, for commands that take them
    int more_count;
    const char *representative;     //  poa --representative
    const char *on_date;            //  poa --on
    const char *to;                 //  send --to participant
    const char *service;            //  send/call --service
    const char *route;              //  send/call --route (KATO)
    const char *correlation;        //  send/call/log --correlation
    Egov__MessageType type;         //  send --type
    const char *text;               //  send/call --text
    const char *file;               //  send/call --file
    const char *payload_type;       //  call --payload-type, or NULL for the default
    bool force;                     //  clock --force: allow going backwards
    long count;                     //  send --count
    uint32_t ttl_ms;                //  send --ttl
    const char *participant;        //  log --participant
    int64_t since_ms;               //  log --since, 0 none
    int64_t until_ms;               //  log --until, 0 none
    long limit;                     //  log --limit, 0 all
    long fault_delay_ms;            //  fault add --delay
    const char *fault_error;        //  fault add --error
    long fault_drop;                //  fault add --drop (percent)
    long fault_times;               //  fault add --times
    bool mermaid;                   //  trace --mermaid
    bool settle;                    //  clock --settle: return once the system is quiet
    const char *payload_json;       //  send/call --payload-json FILE
    const char *status;             //  wait --status NAME[,NAME...]
    const char *junit;              //  scenario run --junit OUT.xml
    const char *desk;               //  scenario run --desk URL
    const char *portal;             //  scenario run --portal URL
    char keys_path [4096];          //  storage for the default keys folder
    shep_client_t *client;          //  connected client, or NULL
} egovctl_t;

//  Prints "error CODE: message (cause CODE: message)" on stderr.
void egovctl_error_print (const egov_error_t *error);
//  Reports an error on stderr (and as {"error": ...} on stdout with --json);
//  returns exit_code, or EGOVCTL_UNREACHABLE when the gateway went silent.
int egovctl_fail (egovctl_t *self, const egov_error_t *error, int exit_code);
//  Same from a code and a message.
int egovctl_fail_code (egovctl_t *self, const char *code, const char *message, int exit_code);
//  Sends a query frame to the gateway and returns the answer when its body
//  is expected (free with egov__shep__frame__free_unpacked); NULL with
//  *exit_code set after reporting.
Egov__Shep__Frame *egovctl_ask (egovctl_t *self, Egov__Shep__Frame *query,
                                Egov__Shep__Frame__BodyCase expected, int *exit_code);
//  Fills the envelope's payload from --text or --file (empty without
//  either); false after reporting when the file cannot be read.
bool egovctl_payload_read (egovctl_t *self, Egov__Envelope *envelope);
//  Sends a sync request for service and returns the provider's payload of
//  the expected type (free with protobuf_c_message_free_unpacked), or NULL
//  with *exit_code set after reporting.
ProtobufCMessage *egovctl_call_typed (egovctl_t *self, const char *service_id,
                                      const ProtobufCMessage *request,
                                      const ProtobufCMessageDescriptor *expected, int *exit_code);
//  "-" for empty strings in tables.
const char *egovctl_or_dash (const char *text);

//  The commands; each returns the exit code.
int egovctl_person (egovctl_t *self);
int egovctl_poa (egovctl_t *self);
int egovctl_call (egovctl_t *self);
int egovctl_send (egovctl_t *self);
int egovctl_status (egovctl_t *self);
int egovctl_log (egovctl_t *self);
int egovctl_participants (egovctl_t *self);
int egovctl_clock (egovctl_t *self);
int egovctl_fault (egovctl_t *self);
int egovctl_trace (egovctl_t *self);
int egovctl_receive (egovctl_t *self);
int egovctl_wait (egovctl_t *self);
int egovctl_queue (egovctl_t *self);
//  The gateway's simulated now into *now (the process clock follows it);
//  EGOVCTL_OK, or the exit code after reporting.
int egovctl_simulated_now (egovctl_t *self, int64_t *now);
//  Asks a channel's sync service ("intake.application", "portal.application")
//  where application id stands, with its history when asked. The state (free
//  with egov__applications__application_state__free_unpacked), or NULL:
//  *not_found when the channel does not hold the id, otherwise error set.
Egov__Applications__ApplicationState *egovctl_application_ask (egovctl_t *self, const char *channel,
                                                               const char *id, bool history, int timeout_ms,
                                                               bool *not_found, egov_error_t *error);
//  The same of whichever channel holds it (*channel: its service), or NULL.
Egov__Applications__ApplicationState *egovctl_application_find (egovctl_t *self, const char *id,
                                                                bool history, const char **channel);
int egovctl_scenario (egovctl_t *self);

#endif
