/*  queue_actor — the kindergarten queue register (балаларды кезекке қою
    бойынша электрондық Тізілім) as an actor (egov_service): main parses the
    flags and runs it; a selftest can start it in-process.              */
#ifndef QUEUE_ACTOR_H_INCLUDED
#define QUEUE_ACTOR_H_INCLUDED

#include "egov_util.h"
#include <czmq.h>

#ifdef __cplusplus
extern "C" {
#endif

//  What it runs with: its flags.
typedef struct {
    const char *gateway;            //  the central gateway
    const char *keys;               //  CURVE keys folder (shep_keys.h)
    const char *conninfo;           //  the register's database
    const char *participant;        //  our id at the gateway
    const char *pki_dir;            //  the test CA: the provider's keys we sign answers with
    const char *regulations;        //  the catalogue: which channels come to us directly
    bool verbose;                   //  log every request
} queue_options_t;

//  The service as an actor: argument is its queue_options_t, borrowed while
//  the actor runs.
void queue_actor (zsock_t *pipe, void *argument);

#ifdef __cplusplus
}
#endif
#endif
