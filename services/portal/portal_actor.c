/*  portal_actor — the citizen portal (egov.kz) as an actor.  */
#include "portal_actor.h"
#include "portal_http.h"
#include "egov_clock.h"
#include "egov_pki.h"
#include <sodium.h>
#include "egov_service.h"

#define s_OPENAPI_MAX   (1 << 20)   //  the OpenAPI document served at /api/v1/openapi.json

extern const char *portal_schema_sql;

void
portal_actor (zsock_t *pipe, void *argument)
{
    const portal_options_t *options = (const portal_options_t *) argument;
    portal_config_t config = {
        .pki_dir = options->pki_dir,
        .policy = { .session_ms = options->session_ms, .lock_after = (int) options->lock_after,
                    .lock_ms = options->lock_ms },
        .registry_timeout_ms = (int) options->registry_timeout_ms
    };

    if (sodium_init () < 0) {
        fprintf (stderr, "portal: libsodium did not initialise\n");
        egov_service_ready (pipe, false);
        return;
    }
    egov_error_t error = { { 0 } };
    egov_calendar_t *calendar;
    egov_catalogue_t *catalogue;
    if (egov_regulations_load (options->regulations, &calendar, &catalogue, &error)) {
        fprintf (stderr, "portal: error %s: %s\n", error.code, error.message);
        egov_service_ready (pipe, false);
        return;
    }
    config.catalogue = catalogue;
    config.calendar = calendar;
    char *openapi = egov_file_read (options->openapi_path, s_OPENAPI_MAX, NULL);
    if (!openapi)
        zsys_warning ("portal: no OpenAPI document at %s; /api/v1/openapi.json answers 503",
                      options->openapi_path);

    int status = 1;
    portal_server_t *server = NULL;
    portal_http_t *http = NULL;
    zloop_t *loop = NULL;
    shep_participant_config_t engine_config = {
        .gateway = options->gateway, .keys = options->keys, .participant_id = PORTAL_PARTICIPANT,
        .conninfo = options->conninfo, .schema_sql = portal_schema_sql, .receive_async = true,
        .services = (const char *const []) { PORTAL_STATE_SERVICE, NULL },
        .verbose = options->verbose
    };
    shep_participant_t *engine = shep_participant_new (&engine_config, NULL, &error);
    if (!engine) {
        fprintf (stderr, "portal: cannot start: %s %s (%s)\n", error.code, error.message,
                 options->conninfo);
        goto cleanup;
    }
    server = portal_server_new (engine, &config, &error);
    if (!server) {
        fprintf (stderr, "portal: error %s: %s (make one with: egovctl pki init --pki %s)\n",
                 error.code, error.message, options->pki_dir);
        goto cleanup;
    }
    shep_participant_set_service (engine, server);
    portal_server_set_verbose (server, options->verbose);
    http = portal_http_new (options->http_address, server, openapi, options->www, &error);
    free (openapi);                     //  the HTTP server keeps its own copy
    openapi = NULL;
    if (!http) {
        fprintf (stderr, "portal: error %s: %s\n", error.code, error.message);
        goto cleanup;
    }
    printf ("portal: ready, gateway %s, http %s (port %d)\n", options->gateway,
            options->http_address, portal_http_port (http));
    fflush (stdout);
    loop = zloop_new ();
    assert (loop);
    shep_participant_attach (engine, loop);
    portal_server_attach (server, loop);
    portal_http_attach (http, loop);
    status = 0;
    egov_service_ready (pipe, true);
    egov_service_serve (pipe, loop, NULL, NULL);
    zsys_info ("portal: stopping");
cleanup:
    //  The engine leaves the loop as it goes: before the loop itself
    portal_http_destroy (&http);
    portal_server_destroy (&server);
    shep_participant_destroy (&engine);
    zloop_destroy (&loop);
    free (openapi);
    egov_catalogue_destroy (&catalogue);
    egov_calendar_destroy (&calendar);
    //  What could not start says so once it has cleaned up
    if (status)
        egov_service_ready (pipe, false);
}
