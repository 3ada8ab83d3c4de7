/*  leb_actor — the local executive body (ЖАО АЖ) of one region as an actor
    (egov_service): the participant runtime, the state machine, the task
    API and the timers on one zloop in its own thread. main parses the
    flags and runs it; a selftest starts it in-process beside an
    in-process gateway and talks to it over the wire.                   */
#ifndef LEB_ACTOR_H_INCLUDED
#define LEB_ACTOR_H_INCLUDED

#include "egov_util.h"
#include <czmq.h>

#ifdef __cplusplus
extern "C" {
#endif

//  What a local executive body runs with: its flags.
typedef struct {
    const char *region;             //  the KATO code served
    const char *gateway;            //  the central gateway
    const char *keys;               //  CURVE keys folder (shep_keys.h)
    const char *conninfo;           //  our database, or NULL for leb_KATO
    const char *pki_dir;            //  the test CA: the signer's key, trust anchors
    const char *signer;             //  the authorised person's certificate, or NULL for org-KATO
    const char *regulations;        //  catalogue and calendar
    bool manual;                    //  tasks wait for an integrator
    const char *http_address;       //  the task API, or NULL
    bool verbose;                   //  log every event
} leb_options_t;

//  The local executive body as an actor: argument is its leb_options_t,
//  borrowed while the actor runs.
void leb_actor (zsock_t *pipe, void *argument);

void leb_actor_test (bool verbose);

#ifdef __cplusplus
}
#endif
#endif
