/*  gbdfl_actor — the registry of individuals (ЖТ ММБ) as an actor (egov_service): main parses the
    flags and runs it; a selftest can start it in-process.              */
#ifndef GBDFL_ACTOR_H_INCLUDED
#define GBDFL_ACTOR_H_INCLUDED

#include "egov_util.h"
#include <czmq.h>

#ifdef __cplusplus
extern "C" {
#endif

//  What it runs with: its flags.
typedef struct {
    const char *gateway;            //  the central gateway
    const char *keys;               //  CURVE keys folder (shep_keys.h)
    const char *conninfo;           //  the registry's database
    int64_t population;             //  synthetic people to seed into an empty database
    const char *participant;        //  our id at the gateway
    bool verbose;                   //  log every request
} gbdfl_options_t;

//  The service as an actor: argument is its gbdfl_options_t, borrowed while
//  the actor runs.
void gbdfl_actor (zsock_t *pipe, void *argument);

void gbdfl_actor_test (bool verbose);

#ifdef __cplusplus
}
#endif
#endif
