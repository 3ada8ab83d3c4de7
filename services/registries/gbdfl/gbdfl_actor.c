/*  gbdfl_actor — the registry of individuals (ЖТ ММБ) as an actor.  */
#include "gbdfl_actor.h"
#include "gbdfl_server.h"
#include "gbdfl_seed.h"
#include "egov_db.h"
#include "egov_service.h"
#include "shep_server.h"

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

    shep_client_t *client = shep_client_new (options->gateway, options->participant);
    shep_client_provide (client, GBDFL_SERVICE_PERSON);
    if (options->keys && shep_client_use_keys (client, options->keys, &error)) {
        fprintf (stderr, "gbdfl: cannot start: %s %s\n", error.code, error.message);
        shep_client_destroy (&client);
        gbdfl_server_destroy (&server);
        egov_service_ready (pipe, false);
        return;
    }
    //  Ready: it says hello and waits for the gateway, as long as it takes
    egov_service_ready (pipe, true);
    if (shep_client_connect_patiently (client, "gbdfl", pipe) == 0) {
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

//  ---------------------------------------------------------------------
//  Selftest: the registry and the gateway in-process, asked over the wire

void
gbdfl_actor_test (bool verbose)
{
    if (verbose)
        printf (" * gbdfl_actor: ");
    const char *base = getenv ("EGOV_TEST_DB");
    if (!base || !*base) {
        printf (verbose ? "(skipped: EGOV_TEST_DB unset) OK\n"
                        : "gbdfl_actor: skipped: EGOV_TEST_DB unset\n");
        return;
    }
    PGconn *admin = egov_db_connect (base, 5000);
    assert (admin);
    assert (egov_db_exec_script (admin, "DROP SCHEMA IF EXISTS gbdfl_actor_registry CASCADE;"
                                        "CREATE SCHEMA gbdfl_actor_registry", "test schema"));
    char registry_db [600];
    snprintf (registry_db, sizeof (registry_db),
              "%s options='-c search_path=gbdfl_actor_registry'", base);

    //  With no gateway there yet it runs, waiting; told to stop, it stops
    //  then and there (nothing listens on port 9)
    gbdfl_options_t options = {
        .gateway = "tcp://127.0.0.1:9", .conninfo = registry_db, .population = 20,
        .participant = "gbdfl"
    };
    zactor_t *registry = egov_service_start (gbdfl_actor, &options);
    assert (registry);
    int64_t stopping = zclock_mono ();
    zactor_destroy (&registry);
    assert (zclock_mono () - stopping < 3000);

    //  The gateway on a port of its choosing, the registry on it
    shep_server_test_t gateway;
    assert (shep_server_test_start (&gateway, base, "gbdfl_actor_gateway") == 0);
    const char *endpoint = gateway.endpoint;
    assert (shep_server_test_admit (&gateway, "gbdfl") == 0);
    assert (shep_server_test_admit (&gateway, "intake") == 0);
    options.gateway = endpoint;
    options.keys = gateway.keys;
    registry = egov_service_start (gbdfl_actor, &options);
    assert (registry);

    //  A desk asks it about a person through the gateway
    shep_client_t *desk = shep_client_new (endpoint, "intake");
    egov_error_t error;
    assert (shep_client_use_keys (desk, gateway.keys, &error) == 0);
    assert (shep_client_connect (desk, 5000) == 0);
    Egov__Envelope *request = egov_envelope_new (GBDFL_SERVICE_PERSON, EGOV__MESSAGE_TYPE__REQUEST);
    Egov__Registries__PersonRequest query = EGOV__REGISTRIES__PERSON_REQUEST__INIT;
    query.iin = "850314301234";
    egov_envelope_set_payload (request, &query.base);
    Egov__Envelope *reply = NULL;
    for (int attempt = 0; attempt < 50 && !reply; attempt++) {
        //  The registry says hello without waiting: until the gateway knows it, try again
        reply = shep_client_call (desk, request, 2000, &error);
        if (!reply)
            zclock_sleep (100);
    }
    assert (reply && !reply->error && streq (reply->sender_id, "gbdfl"));
    Egov__Registries__PersonResponse *response = (Egov__Registries__PersonResponse *)
        egov_envelope_payload (reply, &egov__registries__person_response__descriptor);
    assert (response && response->status == EGOV__REGISTRIES__PERSON_RESPONSE__STATUS__FOUND);
    assert (streq (response->person->surname, "Асқаров"));
    egov__registries__person_response__free_unpacked (response, NULL);
    egov__envelope__free_unpacked (reply, NULL);
    egov__envelope__free_unpacked (request, NULL);

    shep_client_destroy (&desk);
    zactor_destroy (&registry);
    shep_server_test_stop (&gateway);
    assert (egov_db_exec_script (admin, "DROP SCHEMA gbdfl_actor_registry CASCADE", "drop"));
    PQfinish (admin);
    if (verbose)
        printf ("OK\n");
}
