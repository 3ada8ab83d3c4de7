/*  intake_actor — the State Corporation desk (МК АЖ) as an actor.  */
#include "intake_actor.h"
#include "intake_http.h"
#include "egov_clock.h"
#include "egov_pki.h"
#include <sodium.h>
#include "egov_service.h"

#define s_OPENAPI_MAX   (1 << 20)   //  the OpenAPI document served at /api/v1/openapi.json

extern const char *intake_schema_sql;

#define s_TIMER_MS      20          //  business timers on the simulation clock

//  Business timers on the simulation clock.
static int
s_on_timers (zloop_t *loop, int timer_id, void *argument)
{
    (void) loop;
    (void) timer_id;
    intake_desk_fire ((intake_desk_t *) argument);
    return 0;
}

void
intake_actor (zsock_t *pipe, void *argument)
{
    const intake_options_t *options = (const intake_options_t *) argument;
    if (sodium_init () < 0) {
        fprintf (stderr, "intake: libsodium did not initialise\n");
        egov_service_ready (pipe, false);
        return;
    }
    egov_error_t error = { { 0 } };
    egov_calendar_t *calendar;
    egov_catalogue_t *catalogue;
    if (egov_regulations_load (options->regulations, &calendar, &catalogue, &error)) {
        fprintf (stderr, "intake: error %s: %s\n", error.code, error.message);
        egov_service_ready (pipe, false);
        return;
    }
    char *openapi = egov_file_read (options->openapi_path, s_OPENAPI_MAX, NULL);
    if (!openapi)
        zsys_warning ("intake: no OpenAPI document at %s; /api/v1/openapi.json answers 503",
                      options->openapi_path);

    int status = 1;
    intake_desk_t *desk = NULL;
    intake_http_t *http = NULL;
    zloop_t *loop = NULL;
    //  An office answers no sync service: egovctl wait asks the State
    //  Corporation's desk and the portal
    const char *office = options->office && *options->office ? options->office : NULL;
    char participant [32];
    shep_participant_config_t engine_config = {
        .gateway = options->gateway, .keys = options->keys,
        .participant_id = intake_desk_participant (office, participant, sizeof (participant)),
        .conninfo = options->conninfo, .schema_sql = intake_schema_sql, .receive_async = true,
        .services = office ? (const char *const []) { NULL }
                           : (const char *const []) { INTAKE_STATE_SERVICE, NULL },
        .verbose = options->verbose
    };
    shep_participant_t *engine = shep_participant_new (&engine_config, NULL, &error);
    if (!engine) {
        fprintf (stderr, "intake: cannot start: %s %s (%s)\n", error.code, error.message,
                 options->conninfo);
        goto cleanup;
    }
    desk = intake_desk_new (engine, catalogue, calendar, options->pki_dir, office, &error);
    int seeded = desk ? intake_desk_seed_operators (desk, &error) : -1;
    if (seeded < 0) {
        fprintf (stderr, "intake: error %s: %s\n", error.code, error.message);
        goto cleanup;
    }
    if (seeded > 0)
        zsys_info ("intake: seeded %d demo operators", seeded);
    intake_desk_set_verbose (desk, options->verbose);
    intake_desk_set_lock (desk, (int) options->lock_after, options->lock_ms);
    http = intake_http_new (options->http_address, desk, openapi, &error);
    free (openapi);                     //  the HTTP server keeps its own copy
    openapi = NULL;
    if (!http) {
        fprintf (stderr, "intake: error %s: %s\n", error.code, error.message);
        goto cleanup;
    }
    intake_http_set_www (http, options->www);
    shep_participant_set_service (engine, desk);
    printf ("intake: ready as %s, gateway %s, http %s (port %d)\n", participant, options->gateway,
            options->http_address, intake_http_port (http));
    fflush (stdout);
    loop = zloop_new ();
    assert (loop);
    shep_participant_attach (engine, loop);
    intake_desk_attach (desk, loop);
    zloop_timer (loop, s_TIMER_MS, 0, s_on_timers, desk);
    intake_http_attach (http, loop);
    status = 0;
    egov_service_ready (pipe, true);
    egov_service_serve (pipe, loop, NULL, NULL);
    zsys_info ("intake: stopping");
cleanup:
    intake_http_destroy (&http);
    intake_desk_destroy (&desk);
    //  The engine takes its reader and timer off the loop: before the loop goes
    shep_participant_destroy (&engine);
    zloop_destroy (&loop);
    free (openapi);
    egov_catalogue_destroy (&catalogue);
    egov_calendar_destroy (&calendar);
    //  What could not start says so once it has cleaned up
    if (status)
        egov_service_ready (pipe, false);
}
