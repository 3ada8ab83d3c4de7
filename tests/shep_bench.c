/*  shep-bench — measures the gateway: sync look-ups through it (rate and
    latency percentiles), async messages through it, and for comparison the
    raw ZeroMQ round trip and PostgreSQL's commit rate on this machine.
    Prints one line of figures per mode; tests/bench.sh runs them all.   */
#include "shep_client.h"
#include "registries.pb-c.h"
#include "egov_db.h"
#include "shep_keys.h"

typedef struct {
    const char *mode;           //  sync | async | zmq | relay | pg
    const char *gateway;
    const char *service;
    const char *recipient;
    const char *conninfo;
    int count;
    int window;
    int size;                   //  async payload bytes (0: a status notice's few dozen)
    double seconds;
} s_options_t;

//  The client's key pair from the keys folder (bench-sync, bench-async and
//  the receiver need keys and rights, as any participant).
static void
s_keys (shep_client_t *client)
{
    char path [PATH_MAX];
    egov_error_t error;
    if (shep_client_use_keys (client, shep_keys_dir (path, sizeof (path)), &error))
        fprintf (stderr, "shep-bench: %s %s\n", error.code, error.message);
}

static int
s_compare_int64 (const void *first, const void *second)
{
    int64_t a = *(const int64_t *) first, b = *(const int64_t *) second;
    return a < b ? -1 : a > b;
}

//  Prints rate and latency percentiles of count samples (microseconds).
static void
s_report (const char *what, int count, int64_t elapsed_us, int64_t *latencies)
{
    qsort (latencies, count, sizeof (int64_t), s_compare_int64);
    printf ("%s: %d in %.3f s = %.0f/s; latency us p50 %" PRId64 " p95 %" PRId64 " p99 %" PRId64 " max %" PRId64 "\n",
            what, count, elapsed_us / 1e6, count * 1e6 / (double) elapsed_us,
            latencies [count / 2], latencies [count * 95 / 100], latencies [count * 99 / 100],
            latencies [count - 1]);
}

static const char *s_iins [] = {
    "850314301234", "150913500422", "900722404568", "200510607893",
    "230201503215", "781130306545", "951203407770", "010101599994"
};

//  Sync look-ups, pipelined with a window, each timed from send to answer.
static int
s_bench_sync (s_options_t *options)
{
    shep_client_t *client = shep_client_new (options->gateway, "bench-sync");
    s_keys (client);
    if (shep_client_connect (client, 5000)) {
        fprintf (stderr, "shep-bench: cannot reach the gateway at %s\n", options->gateway);
        shep_client_destroy (&client);
        return 1;
    }
    int64_t *sent_at = (int64_t *) calloc (options->count + 1, sizeof (int64_t));
    int64_t *latencies = (int64_t *) calloc (options->count + 1, sizeof (int64_t));
    Egov__Envelope **requests = (Egov__Envelope **) calloc (8, sizeof (void *));
    for (int index = 0; index < 8; index++) {
        Egov__Registries__PersonRequest request = EGOV__REGISTRIES__PERSON_REQUEST__INIT;
        request.iin = (char *) s_iins [index];
        requests [index] = egov_envelope_new (options->service, EGOV__MESSAGE_TYPE__REQUEST);
        egov_envelope_set_payload (requests [index], &request.base);
    }
    int sent = 0, done = 0, failed = 0;
    int64_t start = egov_now_us ();
    while (done < options->count) {
        while (sent < options->count && sent - done < options->window) {
            Egov__Envelope *request = requests [sent % 8];
            //  Every call needs its own message id
            char *uuid = egov_uuid_new ();
            free (request->message_id);
            request->message_id = uuid;
            sent_at [sent] = egov_now_us ();
            shep_client_send_request (client, request, 5000, (uint64_t) sent + 1);
            sent++;
        }
        Egov__Shep__Frame *frame = shep_client_recv (client, 10000);
        if (!frame) {
            fprintf (stderr, "shep-bench: no answer for 10 s, %d of %d done\n", done, options->count);
            break;
        }
        if (frame->tag >= 1 && frame->tag <= (uint64_t) options->count) {
            latencies [done++] = egov_now_us () - sent_at [frame->tag - 1];
            if (frame->body_case != EGOV__SHEP__FRAME__BODY_SYNC_REPLY)
                failed++;
        }
        egov__shep__frame__free_unpacked (frame, NULL);
    }
    int64_t elapsed = egov_now_us () - start;
    if (done > 0)
        s_report ("sync look-ups through the gateway", done, elapsed, latencies);
    if (failed)
        printf ("  of which %d were answered with an error\n", failed);
    for (int index = 0; index < 8; index++)
        egov__envelope__free_unpacked (requests [index], NULL);
    free (requests);
    free (sent_at);
    free (latencies);
    shep_client_destroy (&client);
    return done == options->count && failed == 0 ? 0 : 1;
}

//  Async messages: submitted (committed by the gateway) and delivered to,
//  and acknowledged by, a receiver of our own.
static int
s_bench_async (s_options_t *options)
{
    char receiver_id [64];
    snprintf (receiver_id, sizeof (receiver_id), "bench-sink");
    shep_client_t *receiver = shep_client_new (options->gateway, receiver_id);
    shep_client_set_receive_async (receiver, true);
    shep_client_t *sender = shep_client_new (options->gateway, "bench-async");
    s_keys (receiver);
    s_keys (sender);
    if (shep_client_connect (receiver, 5000) || shep_client_connect (sender, 5000)) {
        fprintf (stderr, "shep-bench: cannot reach the gateway at %s\n", options->gateway);
        shep_client_destroy (&receiver);
        shep_client_destroy (&sender);
        return 1;
    }
    Egov__Envelope *envelope = egov_envelope_new ("bench.async", EGOV__MESSAGE_TYPE__NOTIFICATION);
    egov_string_set (&envelope->recipient_id, receiver_id);
    if (options->size > 0) {
        envelope->payload.data = (uint8_t *) malloc ((size_t) options->size);
        assert (envelope->payload.data);
        memset (envelope->payload.data, 'x', (size_t) options->size);
        envelope->payload.len = (size_t) options->size;
    }
    else {
        envelope->payload.data = (uint8_t *) strdup ("benchmark payload of a modest size, like a status notice");
        envelope->payload.len = strlen ((char *) envelope->payload.data);
    }
    int64_t *sent_at = (int64_t *) calloc (options->count + 1, sizeof (int64_t));
    int64_t *latencies = (int64_t *) calloc (options->count + 1, sizeof (int64_t));
    int sent = 0, committed = 0, delivered = 0, failed = 0, refused = 0;
    //  Submissions the gateway refused for now (QUEUE_FULL): sent again
    uint64_t *again = (uint64_t *) calloc (options->count + 1, sizeof (uint64_t));
    int agains = 0;
    int64_t start = egov_now_us (), committed_at = 0;
    zpoller_t *poller = zpoller_new (shep_client_sock (sender), shep_client_sock (receiver), NULL);
    while (delivered < options->count && failed == 0) {
        while (agains > 0) {
            char *uuid = egov_uuid_new ();
            free (envelope->message_id);
            envelope->message_id = uuid;
            shep_client_send_submit (sender, envelope, 600000, again [--agains], false);
        }
        while (sent < options->count && sent - committed < options->window) {
            char *uuid = egov_uuid_new ();
            free (envelope->message_id);
            envelope->message_id = uuid;
            sent_at [sent] = egov_now_us ();
            shep_client_send_submit (sender, envelope, 600000, (uint64_t) sent + 1, false);
            sent++;
        }
        void *which = zpoller_wait (poller, 10000);
        if (!which) {
            fprintf (stderr, "shep-bench: stalled for 10 s: %d committed, %d delivered\n", committed, delivered);
            break;
        }
        Egov__Shep__Frame *frame;
        while ((frame = shep_client_recv (sender, 0))) {
            if (frame->body_case == EGOV__SHEP__FRAME__BODY_ASYNC_RECEIPT && !frame->async_receipt->error) {
                latencies [committed++] = egov_now_us () - sent_at [frame->tag - 1];
                if (committed == options->count)
                    committed_at = egov_now_us ();
            }
            else
            if (frame->body_case == EGOV__SHEP__FRAME__BODY_ERROR && frame->error->error
            &&  streq (frame->error->error->code, "QUEUE_FULL") && frame->tag >= 1
            &&  frame->tag <= (uint64_t) options->count) {
                refused++;
                again [agains++] = frame->tag;
            }
            else
                failed++;
            egov__shep__frame__free_unpacked (frame, NULL);
        }
        while ((frame = shep_client_recv (receiver, 0))) {
            if (frame->body_case == EGOV__SHEP__FRAME__BODY_DELIVER) {
                shep_client_ack (receiver, frame->deliver->envelope->message_id, NULL, NULL);
                delivered++;
            }
            egov__shep__frame__free_unpacked (frame, NULL);
        }
        shep_client_tick (receiver);
        shep_client_tick (sender);
    }
    int64_t elapsed = egov_now_us () - start;
    if (committed > 0)
        s_report ("async messages committed by the gateway", committed,
                  (committed_at ? committed_at : egov_now_us ()) - start, latencies);
    if (delivered > 0)
        printf ("async messages delivered and acknowledged: %d in %.3f s = %.0f/s\n",
                delivered, elapsed / 1e6, delivered * 1e6 / (double) elapsed);
    if (refused)
        printf ("  %d submissions refused for now (QUEUE_FULL) and sent again\n", refused);
    if (failed)
        printf ("  %d submissions failed\n", failed);
    zpoller_destroy (&poller);
    egov__envelope__free_unpacked (envelope, NULL);
    free (sent_at);
    free (latencies);
    free (again);
    shep_client_destroy (&receiver);
    shep_client_destroy (&sender);
    return delivered == options->count && failed == 0 ? 0 : 1;
}

//  The raw round trip: an echo ROUTER in a thread, DEALER here, TCP loopback.
static void
s_echo_actor (zsock_t *pipe, void *args)
{
    zsock_t *router = (zsock_t *) args;
    zsock_signal (pipe, 0);
    zpoller_t *poller = zpoller_new (pipe, router, NULL);
    while (true) {
        void *which = zpoller_wait (poller, -1);
        if (which != router)
            break;
        zmsg_t *msg = zmsg_recv (router);
        if (!msg)
            break;
        zmsg_send (&msg, router);
    }
    zpoller_destroy (&poller);
}

//  Round trips of 96-byte frames (about a look-up request) on a connected
//  DEALER, window in flight, each timed; an answer whose index is not one
//  sent (a probe's) is skipped. Prints the figures as what; the number done.
static int
s_round_trips (zsock_t *dealer, s_options_t *options, const char *what)
{
    int64_t *latencies = (int64_t *) calloc (options->count + 1, sizeof (int64_t));
    int64_t *sent_at = (int64_t *) calloc (options->count + 1, sizeof (int64_t));
    uint8_t body [96] = { 0 };
    int sent = 0, done = 0;
    int64_t start = egov_now_us ();
    while (done < options->count) {
        while (sent < options->count && sent - done < options->window) {
            sent_at [sent] = egov_now_us ();
            memcpy (body, &sent, sizeof (sent));
            zframe_t *frame = zframe_new (body, sizeof (body));
            zframe_send (&frame, dealer, 0);
            sent++;
        }
        zframe_t *frame = zframe_recv (dealer);
        if (!frame)
            break;
        int index = -1;
        if (zframe_size (frame) >= sizeof (index))
            memcpy (&index, zframe_data (frame), sizeof (index));
        if (index >= 0 && index < sent)
            latencies [done++] = egov_now_us () - sent_at [index];
        zframe_destroy (&frame);
    }
    if (done)
        s_report (what, done, egov_now_us () - start, latencies);
    free (latencies);
    free (sent_at);
    return done;
}

static int
s_bench_zmq (s_options_t *options)
{
    zsock_t *router = zsock_new (ZMQ_ROUTER);
    int port = zsock_bind (router, "tcp://127.0.0.1:*");
    zactor_t *echo = zactor_new (s_echo_actor, router);
    zsock_t *dealer = zsock_new_dealer (NULL);
    zsock_connect (dealer, "tcp://127.0.0.1:%d", port);
    int done = s_round_trips (dealer, options, "raw ZeroMQ round trips (DEALER-ROUTER echo, TCP loopback)");
    zsock_destroy (&dealer);
    zactor_destroy (&echo);
    zsock_destroy (&router);
    return done == options->count ? 0 : 1;
}

//  The round trip through a relay: the least any gateway does. The caller's
//  DEALER, a ROUTER that forwards each frame to a DEALER echo and its answer
//  back, and the echo, each in its own process, CURVE on both links, as a
//  look-up through the gateway crosses them; no decoding, checks or log.

//  The relay: a frame from the echo goes to the caller it names, any other
//  frame to the echo with its sender's routing id in front.
static void
s_relay_run (zcert_t *server, int port_pipe)
{
    zsys_init ();
    zsock_t *router = zsock_new (ZMQ_ROUTER);
    zcert_apply (server, router);
    zsock_set_curve_server (router, 1);
    zsock_set_rcvtimeo (router, 0);
    int port = zsock_bind (router, "tcp://127.0.0.1:*");
    if (write (port_pipe, &port, sizeof (port)) != (ssize_t) sizeof (port))
        _exit (1);
    close (port_pipe);
    zframe_t *echo = NULL;
    zpoller_t *poller = zpoller_new (router, NULL);
    while (zpoller_wait (poller, -1) == router) {
        //  Drained without a poll per frame, as the gateway's router is
        zframe_t *from;
        while ((from = zframe_recv (router))) {
            zframe_t *body = zsock_rcvmore (router) ? zframe_recv (router) : NULL;
            if (!echo && body && zframe_streq (body, "echo")) {
                echo = from;
                zframe_destroy (&body);
                continue;
            }
            if (echo && zframe_eq (from, echo)) {
                //  [caller, body] from the echo: to the caller
                zframe_t *payload = zsock_rcvmore (router) ? zframe_recv (router) : NULL;
                zframe_destroy (&from);
                if (body && payload) {
                    zframe_send (&body, router, ZFRAME_MORE);
                    zframe_send (&payload, router, 0);
                }
                zframe_destroy (&body);
                zframe_destroy (&payload);
            }
            else
            if (echo && body) {
                zframe_t *to = zframe_dup (echo);
                zframe_send (&to, router, ZFRAME_MORE);
                zframe_send (&from, router, ZFRAME_MORE);
                zframe_send (&body, router, 0);
            }
            zframe_destroy (&from);
            zframe_destroy (&body);
        }
    }
    _exit (0);
}

//  The echo: says who it is, then sends every [caller, body] back.
static void
s_relay_echo (zcert_t *server, zcert_t *client, int port)
{
    zsys_init ();
    zsock_t *dealer = zsock_new (ZMQ_DEALER);
    zcert_apply (client, dealer);
    zsock_set_curve_serverkey (dealer, zcert_public_txt (server));
    zsock_connect (dealer, "tcp://127.0.0.1:%d", port);
    zstr_send (dealer, "echo");
    zsock_set_rcvtimeo (dealer, 0);
    zpoller_t *poller = zpoller_new (dealer, NULL);
    while (zpoller_wait (poller, -1) == dealer) {
        zframe_t *caller;
        while ((caller = zframe_recv (dealer))) {
            zframe_t *body = zsock_rcvmore (dealer) ? zframe_recv (dealer) : NULL;
            if (body) {
                zframe_send (&caller, dealer, ZFRAME_MORE);
                zframe_send (&body, dealer, 0);
            }
            zframe_destroy (&caller);
        }
    }
    _exit (0);
}

static int
s_bench_relay (s_options_t *options)
{
    //  Forked before this process makes a ZeroMQ context
    zcert_t *server = zcert_new (), *client = zcert_new ();
    int pipe_fds [2];
    if (pipe (pipe_fds)) {
        perror ("shep-bench: pipe");
        return 1;
    }
    pid_t relay = fork ();
    if (relay == 0) {
        close (pipe_fds [0]);
        s_relay_run (server, pipe_fds [1]);
    }
    close (pipe_fds [1]);
    int port = 0;
    if (relay < 0 || read (pipe_fds [0], &port, sizeof (port)) != (ssize_t) sizeof (port) || port <= 0) {
        fprintf (stderr, "shep-bench: the relay did not start\n");
        if (relay > 0)
            kill (relay, SIGKILL);
        return 1;
    }
    close (pipe_fds [0]);
    pid_t echo = fork ();
    if (echo == 0)
        s_relay_echo (server, client, port);
    zsys_init ();
    zsock_t *dealer = zsock_new (ZMQ_DEALER);
    zcert_apply (client, dealer);
    zsock_set_curve_serverkey (dealer, zcert_public_txt (server));
    zsock_connect (dealer, "tcp://127.0.0.1:%d", port);
    //  A round trip first, so the timing starts with the echo in place (the
    //  relay drops what comes before the echo): asked again every 100 ms
    uint8_t probe_body [96];
    memset (probe_body, 0xff, sizeof (probe_body));
    zsock_set_rcvtimeo (dealer, 100);
    zframe_t *first = NULL;
    for (int attempt = 0; attempt < 100 && !first; attempt++) {
        zframe_t *probe = zframe_new (probe_body, sizeof (probe_body));
        zframe_send (&probe, dealer, 0);
        first = zframe_recv (dealer);
    }
    //  Late answers to the probes are skipped by their index
    zsock_set_rcvtimeo (dealer, 10000);
    int done = 0;
    if (first) {
        zframe_destroy (&first);
        done = s_round_trips (dealer, options, "ZeroMQ round trips through a relay (three processes, CURVE)");
    }
    else
        fprintf (stderr, "shep-bench: no answer through the relay\n");
    zsock_destroy (&dealer);
    kill (relay, SIGKILL);
    if (echo > 0)
        kill (echo, SIGKILL);
    waitpid (relay, NULL, 0);
    if (echo > 0)
        waitpid (echo, NULL, 0);
    zcert_destroy (&server);
    zcert_destroy (&client);
    return done == options->count ? 0 : 1;
}

//  PostgreSQL's commit rate: one-row transactions, one connection, durable commits.
static int
s_bench_pg (s_options_t *options)
{
    PGconn *conn = egov_db_connect (options->conninfo, 5000);
    if (!conn)
        return 1;
    PQclear (PQexec (conn, "CREATE TABLE IF NOT EXISTS bench_commit (id bigserial PRIMARY KEY, body text)"));
    int64_t start = egov_now_us (), deadline = start + (int64_t) (options->seconds * 1e6);
    int commits = 0;
    while (egov_now_us () < deadline) {
        PGresult *result = PQexec (conn, "INSERT INTO bench_commit (body) VALUES ('one durable commit')");
        bool ok = egov_db_check (result, PGRES_COMMAND_OK, "bench insert");
        PQclear (result);
        if (!ok)
            break;
        commits++;
    }
    int64_t elapsed = egov_now_us () - start;
    PQclear (PQexec (conn, "DROP TABLE bench_commit"));
    PQfinish (conn);
    printf ("PostgreSQL commits (one-row transactions, one connection): %d in %.3f s = %.0f/s\n",
            commits, elapsed / 1e6, commits * 1e6 / (double) elapsed);
    return 0;
}

int
main (int argc, char *argv [])
{
    s_options_t options = {
        .gateway = egov_env ("EGOV_GATEWAY", SHEP_DEFAULT_ENDPOINT),
        .service = "gbdfl.person", .count = 100000, .window = 64, .seconds = 3,
        .conninfo = egov_env ("EGOV_BENCH_DB", "dbname=postgres")
    };
    if (argc < 2) {
        fprintf (stderr, "usage: shep-bench sync|async|zmq|relay|pg [--gateway E] [--count N] [--window N] "
                         "[--service S] [--db CONNINFO] [--seconds S] [--size BYTES]\n");
        return 64;
    }
    options.mode = argv [1];
    for (int arg = 2; arg + 1 < argc; arg += 2) {
        if (streq (argv [arg], "--gateway")) options.gateway = argv [arg + 1];
        else if (streq (argv [arg], "--count")) options.count = atoi (argv [arg + 1]);
        else if (streq (argv [arg], "--window")) options.window = atoi (argv [arg + 1]);
        else if (streq (argv [arg], "--service")) options.service = argv [arg + 1];
        else if (streq (argv [arg], "--db")) options.conninfo = argv [arg + 1];
        else if (streq (argv [arg], "--seconds")) options.seconds = atof (argv [arg + 1]);
        else if (streq (argv [arg], "--size")) options.size = atoi (argv [arg + 1]);
        else {
            fprintf (stderr, "shep-bench: unknown option %s\n", argv [arg]);
            return 64;
        }
    }
    if (options.count < 1 || options.window < 1) {
        fprintf (stderr, "shep-bench: --count and --window must be positive\n");
        return 64;
    }
    if (streq (options.mode, "relay"))
        return s_bench_relay (&options);
    zsys_init ();
    if (streq (options.mode, "sync"))
        return s_bench_sync (&options);
    if (streq (options.mode, "async"))
        return s_bench_async (&options);
    if (streq (options.mode, "zmq"))
        return s_bench_zmq (&options);
    if (streq (options.mode, "pg"))
        return s_bench_pg (&options);
    fprintf (stderr, "shep-bench: unknown mode %s\n", options.mode);
    return 64;
}
