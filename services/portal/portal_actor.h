/*  portal_actor — the citizen portal (egov.kz) as an actor (egov_service): main parses the
    flags and runs it; a selftest can start it in-process.              */
#ifndef PORTAL_ACTOR_H_INCLUDED
#define PORTAL_ACTOR_H_INCLUDED

#include "egov_util.h"
#include <czmq.h>

#ifdef __cplusplus
extern "C" {
#endif

//  What it runs with: its flags.
typedef struct {
    const char *gateway;            //  the central gateway
    const char *keys;               //  CURVE keys folder (shep_keys.h)
    const char *conninfo;           //  the portal's database
    const char *http_address;       //  the API's and the frontend's address
    const char *pki_dir;            //  trust anchors and CRL
    const char *regulations;        //  catalogue and calendar
    const char *www;                //  the reference frontend
    const char *openapi_path;       //  the OpenAPI document served
    int64_t session_ms;             //  how long a login lasts
    int64_t lock_after;             //  wrong passwords in a row that lock an account
    int64_t lock_ms;                //  how long it stays locked
    int64_t registry_timeout_ms;    //  a look-up in the registry of individuals
    bool verbose;                   //  log every step
} portal_options_t;

//  The service as an actor: argument is its portal_options_t, borrowed while
//  the actor runs.
void portal_actor (zsock_t *pipe, void *argument);

#ifdef __cplusplus
}
#endif
#endif
