/*  enis_actor — the notarial registry (БНАЖ) as an actor.  */
#include "enis_actor.h"
#include "enis_server.h"
#include "egov_db.h"
#include "egov_service.h"

extern const char *enis_schema_sql;


void
enis_actor (zsock_t *pipe, void *argument)
{
    const enis_options_t *options = (const enis_options_t *) argument;
    PGconn *conn = egov_db_connect (options->conninfo, 10000);
    if (!conn) {
        fprintf (stderr, "enis: cannot connect to the database (%s)\n", options->conninfo);
        egov_service_ready (pipe, false);
        return;
    }
    if (!egov_db_exec_script (conn, enis_schema_sql, "enis schema")) {
        fprintf (stderr, "enis: cannot apply the schema\n");
        PQfinish (conn);
        egov_service_ready (pipe, false);
        return;
    }
    egov_error_t error;
    int64_t seeded = enis_seed (conn, ENIS_SEED_SYNTHETIC, &error);
    if (seeded < 0) {
        fprintf (stderr, "enis: cannot seed the registry: %s\n", error.message);
        PQfinish (conn);
        egov_service_ready (pipe, false);
        return;
    }
    if (seeded > 0)
        zsys_info ("enis: seeded %" PRId64 " powers of attorney", seeded);

    enis_server_t *server = enis_server_new (conn);
    enis_server_set_verbose (server, options->verbose);
    shep_client_t *client = shep_client_new (options->gateway, options->participant);
    shep_client_provide (client, ENIS_SERVICE_POA);
    if (options->keys && shep_client_use_keys (client, options->keys, &error)) {
        fprintf (stderr, "enis: cannot start: %s %s\n", error.code, error.message);
        shep_client_destroy (&client);
        enis_server_destroy (&server);
        PQfinish (conn);
        egov_service_ready (pipe, false);
        return;
    }
    //  Ready: it says hello and waits for the gateway, as long as it takes
    egov_service_ready (pipe, true);
    if (shep_client_connect_patiently (client, "enis", pipe) == 0) {
        printf ("enis: ready, gateway %s\n", options->gateway);
        fflush (stdout);
        zloop_t *loop = zloop_new ();
        assert (loop);
        shep_client_attach (client, loop, enis_server_on_frame, server);
        egov_service_serve (pipe, loop, NULL, NULL);
        zloop_destroy (&loop);
        zsys_info ("enis: stopping after %" PRIu64 " requests", enis_server_answered (server));
    }
    shep_client_destroy (&client);
    enis_server_destroy (&server);
    PQfinish (conn);
}
