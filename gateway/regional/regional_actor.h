/*  regional_actor — the regional gateway (ЭҮӨШ) of one region as an actor (egov_service): main parses the
    flags and runs it; a selftest can start it in-process.              */
#ifndef REGIONAL_ACTOR_H_INCLUDED
#define REGIONAL_ACTOR_H_INCLUDED

#include "egov_util.h"
#include <czmq.h>

#ifdef __cplusplus
extern "C" {
#endif

//  What it runs with: its flags.
typedef struct {
    const char *region;             //  the KATO code served: our route id
    const char *gateway;            //  the central gateway
    const char *keys;               //  CURVE keys folder (shep_keys.h)
    const char *conninfo;           //  our database, or NULL for regional_KATO
    const char *pki_dir;            //  the test CA, for e-signature checks
    const char *participant;        //  our id at the gateway, or NULL for regional-KATO
    const char *leb;                //  the region's local executive body, or NULL for leb-KATO
    const char *regulations;        //  the regulations folder: which channel goes to a register
    bool verbose;                   //  log every delivery
} regional_options_t;

//  The service as an actor: argument is its regional_options_t, borrowed while
//  the actor runs.
void regional_actor (zsock_t *pipe, void *argument);

#ifdef __cplusplus
}
#endif
#endif
