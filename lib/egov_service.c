/*  egov_service — a service as an actor, started by a thin main or by a
    selftest.                                                            */
#include "egov_service.h"
#include <malloc.h>
#include "egov_util.h"
#include <openssl/crypto.h>

//  What the pipe reader of a serving actor needs.
typedef struct {
    egov_service_command_fn *command;   //  other commands, or NULL
    void *argument;                     //  for command
    bool terminated;                    //  $TERM came: whoever started us is waiting
} s_serving_t;

void
egov_service_ready (zsock_t *pipe, bool ok)
{
    assert (pipe);
    zsock_signal (pipe, 0);
    zstr_send (pipe, ok ? "READY" : "FAILED");
}

//  A command on the actor's pipe: $TERM ends serving, the rest go to the
//  service's command handler.
static int
s_on_pipe (zloop_t *loop, zsock_t *pipe, void *argument)
{
    (void) loop;
    s_serving_t *serving = (s_serving_t *) argument;
    char *command = zstr_recv (pipe);
    if (!command)
        return -1;                      //  interrupted
    int rc = 0;
    if (streq (command, "$TERM")) {
        serving->terminated = true;
        rc = -1;
    }
    else
    if (serving->command)
        rc = serving->command (serving->argument, command, pipe);
    zstr_free (&command);
    return rc;
}

void
egov_service_serve (zsock_t *pipe, zloop_t *loop, egov_service_command_fn *command,
                    void *argument)
{
    assert (pipe && loop);
    s_serving_t serving = { command, argument, false };
    zloop_reader (loop, pipe, s_on_pipe, &serving);
    zloop_start (loop);
    zloop_reader_end (loop, pipe);
    //  Stopped by itself (an interrupt, a handler that gave up): main hears it
    if (!serving.terminated)
        zstr_send (pipe, "STOPPED");
}

//  The service's actor and its argument, for the shim that runs it.
typedef struct {
    zactor_fn *actor;
    void *argument;
} s_start_t;

//  Runs the service's actor in its thread, then frees what OpenSSL keeps
//  per thread (the services hash and sign there), which would otherwise
//  stay behind when the thread ends.
static void
s_shim (zsock_t *pipe, void *argument)
{
    s_start_t start = *(s_start_t *) argument;      //  the caller's, until we signal
    start.actor (pipe, start.argument);
    OPENSSL_thread_stop ();
}

zactor_t *
egov_service_start (zactor_fn *actor, void *argument)
{
    assert (actor);
    s_start_t start = { actor, argument };
    zactor_t *self = zactor_new (s_shim, &start);
    assert (self);
    char *status = zstr_recv (self);
    bool ready = status && streq (status, "READY");
    zstr_free (&status);
    if (!ready)
        zactor_destroy (&self);
    return self;
}

int
egov_service_main (zactor_fn *actor, void *argument)
{
    //  Large blocks (a message of a megabyte, a page of the log) are mapped
    //  and given back when freed: a fixed threshold, since glibc's adaptive
    //  one would rise past them after the first and keep them in the heap
    mallopt (M_MMAP_THRESHOLD, 256 * 1024);
    zsys_init ();
    zactor_t *self = egov_service_start (actor, argument);
    if (!self)
        return 1;
    //  Wait for SIGINT or SIGTERM (czmq's handler sets zsys_interrupted), or
    //  for the actor to stop by itself
    zpoller_t *poller = zpoller_new (self, NULL);
    assert (poller);
    while (!zsys_interrupted) {
        if (zpoller_wait (poller, 1000)) {
            char *message = zstr_recv (self);
            bool stopped = !message || streq (message, "STOPPED");
            zstr_free (&message);
            if (stopped)
                break;
        }
        else
        if (zpoller_terminated (poller))
            break;
    }
    zpoller_destroy (&poller);
    zactor_destroy (&self);
    return 0;
}

//  ---------------------------------------------------------------------
//  Selftest

//  A service that answers PING, or cannot start when told so.
static int
s_test_command (void *argument, const char *command, zsock_t *pipe)
{
    (*(int *) argument)++;
    zstr_send (pipe, streq (command, "PING") ? "PONG" : "?");
    return 0;
}

static void
s_test_actor (zsock_t *pipe, void *argument)
{
    int *commands = (int *) argument;
    if (*commands < 0) {
        egov_service_ready (pipe, false);
        return;
    }
    zloop_t *loop = zloop_new ();
    assert (loop);
    egov_service_ready (pipe, true);
    egov_service_serve (pipe, loop, s_test_command, commands);
    zloop_destroy (&loop);
}

void
egov_service_test (bool verbose)
{
    if (verbose)
        printf (" * egov_service: ");
    int commands = 0;
    zactor_t *actor = egov_service_start (s_test_actor, &commands);
    assert (actor);
    zstr_send (actor, "PING");
    char *answer = zstr_recv (actor);
    assert (answer && streq (answer, "PONG"));
    zstr_free (&answer);
    zactor_destroy (&actor);
    assert (commands == 1 && !actor);
    //  A service that cannot start is no actor
    int broken = -1;
    assert (!egov_service_start (s_test_actor, &broken));
    if (verbose)
        printf ("OK\n");
}
