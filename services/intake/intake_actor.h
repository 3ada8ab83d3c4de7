/*  intake_actor — the State Corporation desk (МК АЖ) as an actor (egov_service): main parses the
    flags and runs it; a selftest can start it in-process.              */
#ifndef INTAKE_ACTOR_H_INCLUDED
#define INTAKE_ACTOR_H_INCLUDED

#include "egov_util.h"
#include <czmq.h>

#ifdef __cplusplus
extern "C" {
#endif

//  What it runs with: its flags.
typedef struct {
    const char *gateway;            //  the central gateway
    const char *keys;               //  CURVE keys folder (shep_keys.h)
    const char *office;             //  a region's KATO: its provider's office; NULL: the State Corporation
    const char *conninfo;           //  the desk's database
    const char *http_address;       //  the API's address
    const char *pki_dir;            //  operators' keys, trust anchors
    const char *regulations;        //  catalogue and calendar
    const char *openapi_path;       //  the OpenAPI document served
    const char *www;                //  the operator's desk page, or NULL
    int64_t lock_after;             //  wrong passwords in a row that lock a login
    int64_t lock_ms;                //  how long it stays locked
    bool verbose;                   //  log every step
} intake_options_t;

//  The service as an actor: argument is its intake_options_t, borrowed while
//  the actor runs.
void intake_actor (zsock_t *pipe, void *argument);

#ifdef __cplusplus
}
#endif
#endif
