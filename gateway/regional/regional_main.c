/*  regional — the regional gateway (ЭҮӨШ, "электрондық үкіметтің" өңірлік
    шлюзі) of one region: serves the region's route at the central gateway,
    registers each incoming electronic document and carries messages
    between the channels and the region's local executive body, until
    Ctrl-C or SIGTERM.                                                   */
#include "regional_server.h"
#include "egov_pki.h"

extern const char *regional_schema_sql;


//  Prints usage to stream.
static void
s_usage (FILE *stream)
{
    fprintf (stream,
        "usage: regional --region KATO [options]\n"
        "  --region KATO        the region served, 9 digits: our route id (env EGOV_REGION)\n"
        "  --gateway ENDPOINT   gateway endpoint (env EGOV_GATEWAY, default %s)\n"
        "  --db CONNINFO        PostgreSQL conninfo (env EGOV_REGIONAL_DB,\n"
        "                       default \"dbname=regional_KATO\")\n"
        "  --pki DIR            test CA folder for e-signature checks (env EGOV_PKI_DIR,\n"
        "                       default the repository's %s)\n"
        "  --id PARTICIPANT     participant id at the gateway (default \"regional-KATO\")\n"
        "  --leb PARTICIPANT    the region's local executive body (default \"leb-KATO\")\n"
        "  --verbose            log every delivery\n"
        "  --help               this text\n",
        SHEP_DEFAULT_ENDPOINT, EGOV_PKI_DEFAULT_DIR);
}

//  True when text is a participant id the gateway accepts.
static bool
s_participant_valid (const char *text)
{
    size_t length = strlen (text);
    return length > 0 && length <= 64
        && strspn (text, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:@-") == length;
}

int
main (int argc, char *argv [])
{
    const char *gateway = egov_env ("EGOV_GATEWAY", SHEP_DEFAULT_ENDPOINT);
    const char *conninfo = egov_env ("EGOV_REGIONAL_DB", NULL);
    const char *route = egov_env ("EGOV_REGION", "");
    char repo_pki [PATH_MAX];
    const char *pki_dir = egov_env ("EGOV_PKI_DIR",
        egov_repo_path (EGOV_PKI_DEFAULT_DIR, repo_pki, sizeof (repo_pki)));
    const char *participant = NULL;
    const char *leb = NULL;
    bool verbose = false;
    for (int index = 1; index < argc; index++) {
        const char *flag = argv [index];
        bool takes_value = streq (flag, "--gateway") || streq (flag, "--db")
                        || streq (flag, "--region") || streq (flag, "--pki")
                        || streq (flag, "--id") || streq (flag, "--leb");
        if (streq (flag, "--help") || streq (flag, "-h")) {
            s_usage (stdout);
            return 0;
        }
        else
        if (streq (flag, "--verbose") || streq (flag, "-v"))
            verbose = true;
        else
        if (takes_value && index + 1 >= argc) {
            fprintf (stderr, "regional: %s needs a value\n", flag);
            return 2;
        }
        else
        if (streq (flag, "--gateway"))
            gateway = argv [++index];
        else
        if (streq (flag, "--db"))
            conninfo = argv [++index];
        else
        if (streq (flag, "--region"))
            route = argv [++index];
        else
        if (streq (flag, "--pki"))
            pki_dir = argv [++index];
        else
        if (streq (flag, "--id"))
            participant = argv [++index];
        else
        if (streq (flag, "--leb"))
            leb = argv [++index];
        else {
            fprintf (stderr, "regional: unknown option '%s'\n", flag);
            s_usage (stderr);
            return 2;
        }
    }
    if (strlen (route) != 9 || strspn (route, "0123456789") != 9) {
        fprintf (stderr, "regional: --region wants the region's KATO code, 9 digits, not '%s'\n", route);
        return 2;
    }
    char default_db [32];
    snprintf (default_db, sizeof (default_db), "dbname=regional_%s", route);
    conninfo = conninfo ? conninfo : default_db;
    char default_id [32], default_leb [32];
    snprintf (default_id, sizeof (default_id), "regional-%s", route);
    snprintf (default_leb, sizeof (default_leb), "leb-%s", route);
    participant = participant ? participant : default_id;
    leb = leb ? leb : default_leb;
    if (!*gateway || !s_participant_valid (participant) || !s_participant_valid (leb)) {
        fprintf (stderr, "regional: the gateway endpoint must be set; participant ids are"
                 " 1-64 of A-Za-z0-9._:@-\n");
        return 2;
    }

    zsys_init ();
    egov_error_t error;
    egov_cms_verifier_t *verifier = egov_cms_verifier_new (pki_dir, &error);
    if (!verifier) {
        fprintf (stderr, "regional: cannot check e-signatures: %s %s (egovctl pki init makes"
                 " the test CA)\n", error.code, error.message);
        return 1;
    }
    const char *routes [] = { route, NULL };
    shep_participant_config_t engine_config = {
        .gateway = gateway, .participant_id = participant, .conninfo = conninfo,
        .schema_sql = regional_schema_sql, .routes = routes, .receive_async = true,
        .verbose = verbose
    };
    shep_participant_t *engine = shep_participant_new (&engine_config, NULL, &error);
    if (!engine) {
        fprintf (stderr, "regional: cannot set up the database (%s): %s %s\n", conninfo,
                 error.code, error.message);
        egov_cms_verifier_destroy (&verifier);
        return 1;
    }
    regional_server_t *server = regional_server_new (route, engine, verifier);
    regional_server_set_id (server, participant);
    regional_server_set_leb (server, leb);
    regional_server_set_verbose (server, verbose);
    shep_participant_set_service (engine, server);
    printf ("regional: %s ready for route %s, leb %s, gateway %s\n", participant, route, leb, gateway);
    fflush (stdout);
    zloop_t *loop = zloop_new ();
    assert (loop);
    shep_participant_attach (engine, loop);
    zloop_start (loop);
    zsys_info ("regional: %s stopping", participant);
    regional_server_destroy (&server);
    shep_participant_destroy (&engine);
    zloop_destroy (&loop);
    egov_cms_verifier_destroy (&verifier);
    return 0;
}
