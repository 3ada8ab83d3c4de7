/*  gbdfl_actor — the registry of individuals (ЖТ ММБ) as an actor.  */
#include "gbdfl_actor.h"
#include "gbdfl_server.h"
#include "gbdfl_seed.h"
#include "egov_db.h"
#include "egov_service.h"

extern const char *gbdfl_schema_sql;


void
gbdfl_actor (zsock_t *pipe, void *argument)
{
    const gbdfl_options_t *options = (const gbdfl_options_t *) argument;
    PGconn *conn = egov_db_connect (options->conninfo, 10000);
    if (!conn) {
        fprintf (stderr, "gbdfl: cannot connect to the database (%s)\n", options->conninfo);
        egov_service_ready (pipe, false);
        return;
    }
    if (!egov_db_exec_script (conn, gbdfl_schema_sql, "gbdfl schema")) {
        fprintf (stderr, "gbdfl: cannot apply the schema\n");
        PQfinish (conn);
        egov_service_ready (pipe, false);
        return;
    }
    egov_error_t error;
    int64_t started = zclock_usecs ();
    int64_t seeded = gbdfl_seed (conn, EGOV_POPULATION_SEED, (size_t) options->population,
                                  &error);
    int64_t seeded_at = zclock_usecs ();
    if (seeded < 0) {
        fprintf (stderr, "gbdfl: cannot seed the registry: %s\n", error.message);
        PQfinish (conn);
        egov_service_ready (pipe, false);
        return;
    }
    gbdfl_server_t *server = gbdfl_server_new ();
    gbdfl_server_set_verbose (server, options->verbose);
    int64_t loaded = gbdfl_server_load (server, conn, &error);
    int64_t loaded_at = zclock_usecs ();
    //  Everything is in memory now; the registry writes nothing at run time
    PQfinish (conn);
    if (loaded < 0) {
        fprintf (stderr, "gbdfl: cannot load the registry: %s\n", error.message);
        gbdfl_server_destroy (&server);
        egov_service_ready (pipe, false);
        return;
    }
    if (seeded > 0)
        zsys_info ("gbdfl: seeded %" PRId64 " persons in %" PRId64 " ms", seeded,
                   (seeded_at - started) / 1000);
    zsys_info ("gbdfl: loaded %" PRId64 " persons in %" PRId64 " ms", loaded,
               (loaded_at - seeded_at) / 1000);

    //  Ready: it says hello and waits for the gateway, as long as it takes
    egov_service_ready (pipe, true);
    shep_client_t *client = shep_client_new (options->gateway, options->participant);
    shep_client_provide (client, GBDFL_SERVICE_PERSON);
    if (shep_client_connect_patiently (client, "gbdfl") == 0) {
        printf ("gbdfl: ready, %" PRId64 " persons, gateway %s\n", loaded, options->gateway);
        fflush (stdout);
        zloop_t *loop = zloop_new ();
        assert (loop);
        shep_client_attach (client, loop, gbdfl_server_on_frame, server);
        egov_service_serve (pipe, loop, NULL, NULL);
        zloop_destroy (&loop);
        zsys_info ("gbdfl: stopping after %" PRIu64 " requests", gbdfl_server_answered (server));
    }
    shep_client_destroy (&client);
    gbdfl_server_destroy (&server);
}
