/*  queue_actor — the kindergarten queue register as an actor.  */
#include "queue_actor.h"
#include "queue_server.h"
#include "egov_service.h"

extern const char *queue_schema_sql;

void
queue_actor (zsock_t *pipe, void *argument)
{
    const queue_options_t *options = (const queue_options_t *) argument;
    const char *services [] = { QUEUE_SERVICE_ENQUEUE, QUEUE_SERVICE_ENTRY, QUEUE_SERVICE_LIST,
                                QUEUE_SERVICE_RELEASE, NULL };
    shep_participant_config_t config = {
        .gateway = options->gateway, .keys = options->keys, .participant_id = options->participant,
        .conninfo = options->conninfo, .schema_sql = queue_schema_sql, .services = services,
        .verbose = options->verbose
    };
    egov_error_t error;
    shep_participant_t *engine = shep_participant_new (&config, NULL, &error);
    if (!engine) {
        fprintf (stderr, "queue: cannot start: %s %s (%s)\n", error.code, error.message,
                 options->conninfo);
        egov_service_ready (pipe, false);
        return;
    }
    queue_server_t *server = queue_server_new (engine);
    queue_server_set_verbose (server, options->verbose);
    shep_participant_set_service (engine, server);
    if (!queue_server_seed (server)) {
        fprintf (stderr, "queue: cannot store the queues of the seed (%s)\n", options->conninfo);
        queue_server_destroy (&server);
        shep_participant_destroy (&engine);
        egov_service_ready (pipe, false);
        return;
    }
    printf ("queue: %s ready, gateway %s\n", options->participant, options->gateway);
    fflush (stdout);
    zloop_t *loop = zloop_new ();
    assert (loop);
    shep_participant_attach (engine, loop);
    egov_service_ready (pipe, true);
    egov_service_serve (pipe, loop, NULL, NULL);
    zsys_info ("queue: %s stopping", options->participant);
    queue_server_destroy (&server);
    shep_participant_destroy (&engine);
    zloop_destroy (&loop);
}
