/*  egov_service — every service is an actor with a thin main, the way
    czmq's and malamute's servers are: the actor sets itself up, says
    whether it runs, serves its zloop until it is told $TERM, and cleans
    up; main parses the flags, starts the actor and waits for SIGINT or
    SIGTERM. A selftest starts the same actor in-process (on
    tcp://127.0.0.1:* and a test database) and talks to it over the wire.

    The actor's side:
        void my_actor (zsock_t *pipe, void *options)
        {
            ... set up; on failure: egov_service_ready (pipe, false); return;
            egov_service_ready (pipe, true);
            egov_service_serve (pipe, loop, NULL, NULL);
            ... clean up
        }
    main's side:
        return egov_service_main (my_actor, &options);                   */
#ifndef EGOV_SERVICE_H_INCLUDED
#define EGOV_SERVICE_H_INCLUDED

#include <czmq.h>

#ifdef __cplusplus
extern "C" {
#endif

//  A command other than $TERM sent to a serving actor (e.g. "ENDPOINT"):
//  answers it on pipe. Returns -1 to stop serving.
typedef int (egov_service_command_fn) (void *argument, const char *command, zsock_t *pipe);

//  In an actor, once set up: says whether it runs (ok) or could not start
//  (it said why on stderr). Call exactly once, before serving or returning.
void egov_service_ready (zsock_t *pipe, bool ok);
//  In an actor: serves loop until $TERM comes on pipe or the process is
//  interrupted; other commands go to command (may be NULL: ignored).
void egov_service_serve (zsock_t *pipe, zloop_t *loop, egov_service_command_fn *command,
                         void *argument);
//  Starts actor with argument and waits until it says whether it runs:
//  the actor, or NULL when it could not start.
zactor_t *egov_service_start (zactor_fn *actor, void *argument);
//  A service's main after its flags: starts actor, waits for SIGINT or
//  SIGTERM, stops it. The exit status: 0 stopped by a signal, 1 it could
//  not start.
int egov_service_main (zactor_fn *actor, void *argument);

void egov_service_test (bool verbose);

#ifdef __cplusplus
}
#endif
#endif
