/*  regional_actor — the regional gateway (ЭҮӨШ) of one region as an actor.  */
#include "regional_actor.h"
#include "regional_server.h"
#include "egov_pki.h"
#include "egov_catalogue.h"
#include "egov_service.h"

extern const char *regional_schema_sql;

void
regional_actor (zsock_t *pipe, void *argument)
{
    const regional_options_t *options = (const regional_options_t *) argument;
    const char *route = options->region;
    char default_db [32], default_id [32], default_leb [32];
    snprintf (default_db, sizeof (default_db), "dbname=regional_%s", route);
    snprintf (default_id, sizeof (default_id), "regional-%s", route);
    snprintf (default_leb, sizeof (default_leb), "leb-%s", route);
    const char *conninfo = options->conninfo ? options->conninfo : default_db;
    const char *participant = options->participant ? options->participant : default_id;
    const char *leb = options->leb ? options->leb : default_leb;
    const char *gateway = options->gateway;

    egov_error_t error;
    egov_cms_verifier_t *verifier = egov_cms_verifier_new (options->pki_dir, &error);
    if (!verifier) {
        fprintf (stderr, "regional: cannot check e-signatures: %s %s (egovctl pki init makes"
                 " the test CA)\n", error.code, error.message);
        egov_service_ready (pipe, false);
        return;
    }
    //  The catalogue says which channels' applications a register answers
    egov_calendar_t *calendar = NULL;
    egov_catalogue_t *catalogue = NULL;
    if (egov_regulations_load (options->regulations ? options->regulations : "regulations",
                               &calendar, &catalogue, &error)) {
        fprintf (stderr, "regional: cannot read the regulations: %s %s\n", error.code, error.message);
        egov_cms_verifier_destroy (&verifier);
        egov_service_ready (pipe, false);
        return;
    }
    egov_calendar_destroy (&calendar);
    const char *routes [] = { route, NULL };
    shep_participant_config_t engine_config = {
        .gateway = gateway, .keys = options->keys, .participant_id = participant, .conninfo = conninfo,
        .schema_sql = regional_schema_sql, .routes = routes, .receive_async = true,
        .verbose = options->verbose
    };
    shep_participant_t *engine = shep_participant_new (&engine_config, NULL, &error);
    if (!engine) {
        fprintf (stderr, "regional: cannot start: %s %s (%s)\n", error.code, error.message, conninfo);
        egov_catalogue_destroy (&catalogue);
        egov_cms_verifier_destroy (&verifier);
        egov_service_ready (pipe, false);
        return;
    }
    regional_server_t *server = regional_server_new (route, engine, verifier);
    regional_server_set_id (server, participant);
    regional_server_set_leb (server, leb);
    regional_server_set_catalogue (server, catalogue);
    regional_server_set_verbose (server, options->verbose);
    shep_participant_set_service (engine, server);
    printf ("regional: %s ready for route %s, leb %s, gateway %s\n", participant, route, leb, gateway);
    fflush (stdout);
    zloop_t *loop = zloop_new ();
    assert (loop);
    shep_participant_attach (engine, loop);
    egov_service_ready (pipe, true);
    egov_service_serve (pipe, loop, NULL, NULL);
    zsys_info ("regional: %s stopping", participant);
    regional_server_destroy (&server);
    shep_participant_destroy (&engine);
    zloop_destroy (&loop);
    egov_cms_verifier_destroy (&verifier);
    egov_catalogue_destroy (&catalogue);
}
