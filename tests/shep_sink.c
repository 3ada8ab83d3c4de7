/*  shep-sink — a test receiver of the gateway's async channel (ЭҮШ
    store-and-forward). Integration tests start it as a real process to see
    what the gateway delivers, and how often.

    Each Deliver is applied to the inbox table in one transaction, deduped
    by message id (INSERT ... ON CONFLICT DO NOTHING), committed, and only
    then acknowledged: delivery is at-least-once, the effect exactly once.
    stdout gets one line per delivery, flushed at once:
        applied <id>      first time we saw it, row inserted
        duplicate <id>    already in the inbox (a redelivery), acked again
        rejected <id>     --reject-type matched, acked with UNPROCESSABLE
    The sink is no sync provider, but a --service it declares can be called;
    --sync says how a SyncRequest is answered, with one stdout line each:
        refused <id>      refuse (default): Refuse with NOT_A_PROVIDER, so
                          the caller gets REFUSED with that cause
        ignored <id>      ignore: no answer, so the caller gets the gateway's
                          TIMEOUT
        echoed <id>       echo: a RESPONSE with the same correlation id, the
                          request's payload and payload type
    --crash-after N exits with _exit (3) right after committing the Nth
    applied message and before its ack: the crash window a receiver must
    survive. Exit codes: 0 on SIGINT/SIGTERM, 1 on database trouble at
    start, 3 on the simulated crash, 64 on a bad command line.           */
#include "shep_client.h"
#include "egov_db.h"
#include "shep_keys.h"
#include <getopt.h>

extern const char *sink_schema_sql;

#define SINK_TICK_MS        200         //  heartbeat and reconnect cadence
#define SINK_CONNECT_MS     1000        //  one hello attempt; retried until welcomed
#define SINK_DB_WAIT_MS     10000       //  how long to wait for PostgreSQL at start

//  How the sink answers a sync call to a service it declared.
typedef enum {
    SINK_SYNC_REFUSE,                   //  Refuse with NOT_A_PROVIDER
    SINK_SYNC_IGNORE,                   //  never answer: the gateway times out
    SINK_SYNC_ECHO                      //  answer with the request's payload
} sink_sync_t;

typedef struct {
    const char *participant_id;     //  --id
    const char *gateway;            //  --gateway
    const char *conninfo;           //  --db
    const char *reject_type;        //  --reject-type, or NULL
    long crash_after;               //  --crash-after, 0 never
    sink_sync_t sync;               //  --sync: how SyncRequests are answered
    bool verbose;                   //  --verbose: one stderr line per delivery
    zlist_t *services;              //  --service values (borrowed argv strings)
    zlist_t *routes;                //  --route values (borrowed argv strings)
} sink_options_t;

typedef struct {
    sink_options_t *options;        //  what we were asked to do
    shep_client_t *client;          //  our connection to the gateway
    PGconn *db;                     //  the inbox database
    long applied;                   //  messages applied by this process
} sink_t;

//  Runs one parameterless statement (BEGIN, COMMIT, ROLLBACK); true on success.
static bool
s_sink_exec (sink_t *self, const char *sql)
{
    PGresult *result = PQexecParams (self->db, sql, 0, NULL, NULL, NULL, NULL, 0);
    bool ok = egov_db_check (result, PGRES_COMMAND_OK, sql);
    PQclear (result);
    return ok;
}

//  Inserts the message into the inbox in its own transaction. Returns 1 when
//  applied, 0 when already there, -1 on a database failure (nothing acked:
//  the gateway will deliver again).
static int
s_sink_apply (sink_t *self, const Egov__Envelope *envelope, uint32_t attempt)
{
    if (!egov_db_alive (self->db) || !s_sink_exec (self, "BEGIN"))
        return -1;
    char attempt_text [16];
    snprintf (attempt_text, sizeof (attempt_text), "%u", attempt);
    const char *values [8] = {
        envelope->message_id, envelope->correlation_id, envelope->sender_id,
        envelope->service_id, envelope->payload_type,
        (const char *) envelope->payload.data, self->options->participant_id, attempt_text
    };
    int lengths [8] = { 0, 0, 0, 0, 0, (int) envelope->payload.len, 0, 0 };
    int formats [8] = { 0, 0, 0, 0, 0, 1, 0, 0 };
    if (!values [5])
        values [5] = "";            //  empty payload: a zero-length binary value
    PGresult *result = PQexecParams (self->db,
        "INSERT INTO inbox (message_id, correlation_id, sender_id, service_id,"
        "                   payload_type, payload, receiver_id, attempt)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8::integer)"
        " ON CONFLICT (message_id) DO NOTHING",
        8, NULL, values, lengths, formats, 0);
    int applied = -1;
    if (egov_db_check (result, PGRES_COMMAND_OK, "inbox insert"))
        applied = streq (PQcmdTuples (result), "1") ? 1 : 0;
    PQclear (result);
    if (applied < 0 || !s_sink_exec (self, "COMMIT")) {
        s_sink_exec (self, "ROLLBACK");
        return -1;
    }
    return applied;
}

//  Prints one outcome line on stdout, flushed so a test reading a pipe sees it now.
static void
s_sink_report (const char *outcome, const char *message_id)
{
    printf ("%s %s\n", outcome, message_id);
    fflush (stdout);
}

//  Handles one Deliver: reject, or apply then acknowledge.
static void
s_sink_deliver (sink_t *self, const Egov__Shep__Deliver *deliver)
{
    const Egov__Envelope *envelope = deliver ? deliver->envelope : NULL;
    if (!envelope || !envelope->message_id || !*envelope->message_id
    ||  strlen (envelope->message_id) > 128) {
        zsys_warning ("shep-sink: dropped a Deliver without a usable message id");
        return;
    }
    if (self->options->verbose)
        zsys_info ("shep-sink: deliver %s attempt %u from %s, %s, %zu bytes",
                   envelope->message_id, deliver->attempt, envelope->sender_id,
                   envelope->payload_type, envelope->payload.len);
    if (self->options->reject_type
    &&  streq (envelope->payload_type, self->options->reject_type)) {
        shep_client_ack (self->client, envelope->message_id, "UNPROCESSABLE",
                         "this receiver does not process this payload type");
        s_sink_report ("rejected", envelope->message_id);
        return;
    }
    int applied = s_sink_apply (self, envelope, deliver->attempt);
    if (applied < 0) {
        zsys_error ("shep-sink: %s not applied, left for redelivery", envelope->message_id);
        return;
    }
    if (applied && ++self->applied == self->options->crash_after) {
        s_sink_report ("applied", envelope->message_id);
        zsys_info ("shep-sink: simulated crash after %ld applied, before the ack",
                   self->applied);
        _exit (3);
    }
    shep_client_ack (self->client, envelope->message_id, NULL, NULL);
    s_sink_report (applied ? "applied" : "duplicate", envelope->message_id);
}

//  Answers the request with a RESPONSE carrying its payload back.
static void
s_sink_echo (sink_t *self, const Egov__Envelope *request)
{
    Egov__Envelope *reply = egov_envelope_new (request->service_id,
                                               EGOV__MESSAGE_TYPE__RESPONSE);
    egov_string_set (&reply->correlation_id, request->correlation_id);
    egov_string_set (&reply->recipient_id, request->sender_id);
    egov_string_set (&reply->route_id, request->route_id);
    egov_string_set (&reply->payload_type, request->payload_type);
    if (request->payload.len) {
        reply->payload.data = malloc (request->payload.len);
        assert (reply->payload.data);
        memcpy (reply->payload.data, request->payload.data, request->payload.len);
        reply->payload.len = request->payload.len;
    }
    if (shep_client_reply (self->client, request->message_id, reply))
        zsys_warning ("shep-sink: could not send the echo of %s", request->message_id);
    egov__envelope__free_unpacked (reply, NULL);
}

//  Handles one SyncRequest the way --sync says.
static void
s_sink_sync (sink_t *self, const Egov__Shep__SyncRequest *sync_request)
{
    const Egov__Envelope *request = sync_request ? sync_request->envelope : NULL;
    if (!request || !request->message_id || !*request->message_id
    ||  strlen (request->message_id) > 128) {
        zsys_warning ("shep-sink: dropped a SyncRequest without a usable message id");
        return;
    }
    if (self->options->verbose)
        zsys_info ("shep-sink: sync request %s from %s for %s, %s, %zu bytes",
                   request->message_id, request->sender_id, request->service_id,
                   request->payload_type, request->payload.len);
    switch (self->options->sync) {
        case SINK_SYNC_REFUSE:
            shep_client_refuse (self->client, request->message_id, "NOT_A_PROVIDER",
                                "shep-sink only receives async messages");
            s_sink_report ("refused", request->message_id);
            break;
        case SINK_SYNC_IGNORE:
            s_sink_report ("ignored", request->message_id);
            break;
        case SINK_SYNC_ECHO:
            s_sink_echo (self, request);
            s_sink_report ("echoed", request->message_id);
            break;
    }
}

//  Reader on the gateway socket: drains the socket and the client's backlog.
static int
s_sink_on_gateway (zloop_t *loop, zsock_t *reader, void *argument)
{
    (void) loop;
    (void) reader;
    sink_t *self = (sink_t *) argument;
    Egov__Shep__Frame *frame;
    while ((frame = shep_client_recv (self->client, 0))) {
        if (frame->body_case == EGOV__SHEP__FRAME__BODY_DELIVER)
            s_sink_deliver (self, frame->deliver);
        else
        if (frame->body_case == EGOV__SHEP__FRAME__BODY_SYNC_REQUEST)
            s_sink_sync (self, frame->sync_request);
        else
        if (frame->body_case == EGOV__SHEP__FRAME__BODY_ERROR && frame->error->error)
            zsys_warning ("shep-sink: gateway error %s: %s", frame->error->error->code,
                          frame->error->error->message);
        else
        if (self->options->verbose)
            zsys_info ("shep-sink: ignored frame %d", frame->body_case);
        egov__shep__frame__free_unpacked (frame, NULL);
    }
    return 0;
}

//  Timer: heartbeats, and a fresh hello when the gateway went silent;
//  also drains frames the client buffered that poll cannot show.
static int
s_sink_on_tick (zloop_t *loop, int timer_id, void *argument)
{
    (void) timer_id;
    sink_t *self = (sink_t *) argument;
    shep_client_tick (self->client);
    if (shep_client_pending (self->client))
        s_sink_on_gateway (loop, NULL, self);
    return 0;
}

//  The reactor: the gateway socket and the tick timer, until SIGINT/SIGTERM.
static void
s_sink_run (sink_t *self)
{
    zloop_t *loop = zloop_new ();
    assert (loop);
    zloop_reader (loop, shep_client_sock (self->client), s_sink_on_gateway, self);
    zloop_timer (loop, SINK_TICK_MS, 0, s_sink_on_tick, self);
    //  Deliveries may have arrived with the welcome and wait in the backlog
    s_sink_on_gateway (loop, NULL, self);
    zloop_start (loop);
    zloop_destroy (&loop);
    zsys_info ("shep-sink: %s stopping, %ld applied", self->options->participant_id,
               self->applied);
}

static int
s_usage (const char *problem)
{
    if (problem)
        fprintf (stderr, "shep-sink: %s\n", problem);
    fprintf (stderr,
        "usage: shep-sink --id ID --db CONNINFO [--service S]... [--route R]...\n"
        "                 [--gateway ENDPOINT] [--crash-after N] [--reject-type TYPE]\n"
        "                 [--sync refuse|ignore|echo] [--verbose]\n"
        "  --sync MODE   how to answer a sync call to a --service it declares:\n"
        "                refuse  refuse it with NOT_A_PROVIDER (default)\n"
        "                ignore  never answer, so the caller gets the gateway's TIMEOUT\n"
        "                echo    answer a RESPONSE with the request's correlation id,\n"
        "                        payload and payload type\n");
    return 64;
}

//  Fills options from argv; 0, or the exit code for a bad command line.
static int
s_parse (sink_options_t *options, int argc, char *argv [])
{
    static const struct option flags [] = {
        { "id", required_argument, NULL, 'i' },
        { "service", required_argument, NULL, 's' },
        { "route", required_argument, NULL, 'r' },
        { "db", required_argument, NULL, 'd' },
        { "gateway", required_argument, NULL, 'g' },
        { "crash-after", required_argument, NULL, 'c' },
        { "reject-type", required_argument, NULL, 't' },
        { "sync", required_argument, NULL, 'y' },
        { "verbose", no_argument, NULL, 'v' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    int flag;
    char *end;
    while ((flag = getopt_long (argc, argv, "", flags, NULL)) != -1) {
        switch (flag) {
            case 'i': options->participant_id = optarg; break;
            case 's': zlist_append (options->services, optarg); break;
            case 'r': zlist_append (options->routes, optarg); break;
            case 'd': options->conninfo = optarg; break;
            case 'g': options->gateway = optarg; break;
            case 't': options->reject_type = optarg; break;
            case 'v': options->verbose = true; break;
            case 'y':
                if (streq (optarg, "refuse"))
                    options->sync = SINK_SYNC_REFUSE;
                else
                if (streq (optarg, "ignore"))
                    options->sync = SINK_SYNC_IGNORE;
                else
                if (streq (optarg, "echo"))
                    options->sync = SINK_SYNC_ECHO;
                else
                    return s_usage ("--sync wants refuse, ignore or echo");
                break;
            case 'c':
                options->crash_after = strtol (optarg, &end, 10);
                if (*end || options->crash_after < 1)
                    return s_usage ("--crash-after wants a positive number");
                break;
            default:
                return s_usage (NULL);
        }
    }
    if (optind < argc)
        return s_usage ("unexpected argument");
    if (!options->participant_id || !options->conninfo)
        return s_usage ("--id and --db are required");
    return 0;
}

//  Says hello until the gateway welcomes us or we are told to stop.
static bool
s_sink_connect (sink_t *self)
{
    bool told = false;
    while (!zsys_interrupted) {
        if (shep_client_connect (self->client, SINK_CONNECT_MS) == 0) {
            zsys_info ("shep-sink: %s connected to %s", self->options->participant_id,
                       self->options->gateway);
            return true;
        }
        if (!told)
            zsys_info ("shep-sink: waiting for the gateway at %s", self->options->gateway);
        told = true;
    }
    return false;
}

int
main (int argc, char *argv [])
{
    zsys_init ();
    zsys_set_logstream (stderr);        //  stdout carries the outcome lines
    sink_options_t options = {
        .gateway = egov_env ("EGOV_GATEWAY", SHEP_DEFAULT_ENDPOINT),
        .services = zlist_new (),
        .routes = zlist_new (),
    };
    assert (options.services && options.routes);
    sink_t self = { .options = &options };
    int exit_code = s_parse (&options, argc, argv);
    if (exit_code)
        goto cleanup;
    exit_code = 1;
    self.db = egov_db_connect (options.conninfo, SINK_DB_WAIT_MS);
    if (!self.db || !egov_db_exec_script (self.db, sink_schema_sql, "sink schema"))
        goto cleanup;
    self.client = shep_client_new (options.gateway, options.participant_id);
    assert (self.client);
    char keys [PATH_MAX];
    egov_error_t trouble;
    if (shep_client_use_keys (self.client, shep_keys_dir (keys, sizeof (keys)), &trouble)) {
        fprintf (stderr, "shep-sink: %s %s\n", trouble.code, trouble.message);
        goto cleanup;
    }
    for (const char *service = zlist_first (options.services); service;
         service = zlist_next (options.services))
        shep_client_provide (self.client, service);
    for (const char *route = zlist_first (options.routes); route;
         route = zlist_next (options.routes))
        shep_client_serve_route (self.client, route);
    shep_client_set_receive_async (self.client, true);
    exit_code = 0;
    if (!s_sink_connect (&self))
        goto cleanup;
    s_sink_run (&self);
cleanup:
    shep_client_destroy (&self.client);
    if (self.db)
        PQfinish (self.db);
    zlist_destroy (&options.services);
    zlist_destroy (&options.routes);
    return exit_code;
}
