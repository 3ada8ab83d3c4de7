/*  queue_actor — the kindergarten queue register as an actor.  */
#include "queue_actor.h"
#include "queue_server.h"
#include "egov_service.h"

extern const char *queue_schema_sql;

//  Every 50 ms: the direct applications just stored; every second: all
//  those left WAITING.
static int
s_pump (zloop_t *loop, int timer_id, void *argument)
{
    (void) loop;
    (void) timer_id;
    static int ticks = 0;
    queue_server_t *server = (queue_server_t *) argument;
    if (queue_server_pump_wanted (server) || ++ticks % 20 == 0)
        queue_server_pump (server);
    return 0;
}

void
queue_actor (zsock_t *pipe, void *argument)
{
    const queue_options_t *options = (const queue_options_t *) argument;
    const char *services [] = { QUEUE_SERVICE_ENQUEUE, QUEUE_SERVICE_ENTRY, QUEUE_SERVICE_LIST,
                                QUEUE_SERVICE_RELEASE, NULL };
    shep_participant_config_t config = {
        .gateway = options->gateway, .keys = options->keys, .participant_id = options->participant,
        .conninfo = options->conninfo, .schema_sql = queue_schema_sql, .services = services,
        .receive_async = true, .verbose = options->verbose
    };
    egov_error_t error;
    //  The catalogue says which applications come to us directly (seed 004)
    egov_calendar_t *calendar = NULL;
    egov_catalogue_t *catalogue = NULL;
    if (egov_regulations_load (options->regulations ? options->regulations : "regulations",
                               &calendar, &catalogue, &error)) {
        fprintf (stderr, "queue: cannot read the regulations: %s %s\n", error.code, error.message);
        egov_service_ready (pipe, false);
        return;
    }
    egov_calendar_destroy (&calendar);
    shep_participant_t *engine = shep_participant_new (&config, NULL, &error);
    if (!engine) {
        fprintf (stderr, "queue: cannot start: %s %s (%s)\n", error.code, error.message,
                 options->conninfo);
        egov_catalogue_destroy (&catalogue);
        egov_service_ready (pipe, false);
        return;
    }
    queue_server_t *server = queue_server_new (engine);
    queue_server_set_verbose (server, options->verbose);
    queue_server_set_direct (server, catalogue, options->pki_dir ? options->pki_dir : "var/pki");
    shep_participant_set_service (engine, server);
    if (!queue_server_seed (server)) {
        fprintf (stderr, "queue: cannot store the queues of the seed (%s)\n", options->conninfo);
        queue_server_destroy (&server);
        shep_participant_destroy (&engine);
        egov_catalogue_destroy (&catalogue);
        egov_service_ready (pipe, false);
        return;
    }
    printf ("queue: %s ready, gateway %s\n", options->participant, options->gateway);
    fflush (stdout);
    zloop_t *loop = zloop_new ();
    assert (loop);
    shep_participant_attach (engine, loop);
    //  Direct applications: answered once stored, and those left WAITING (a
    //  restart, a registry that did not answer) taken in hand again
    queue_server_pump (server);
    zloop_timer (loop, 50, 0, s_pump, server);
    egov_service_ready (pipe, true);
    egov_service_serve (pipe, loop, NULL, NULL);
    zsys_info ("queue: %s stopping", options->participant);
    queue_server_destroy (&server);
    shep_participant_destroy (&engine);
    zloop_destroy (&loop);
    egov_catalogue_destroy (&catalogue);
}
