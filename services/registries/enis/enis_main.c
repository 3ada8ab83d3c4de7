/*  enis — the unified notarial system (БНАЖ / ЕНИС) stub registry: seeds
    its PostgreSQL database at first start and answers enis.poa through the
    gateway, asking the database on every request, until Ctrl-C or SIGTERM.  */
#include "enis_server.h"
#include "egov_db.h"

extern const char *enis_schema_sql;

//  Prints usage to stream.
static void
s_usage (FILE *stream)
{
    fprintf (stream,
        "usage: enis [options]\n"
        "  --gateway ENDPOINT   gateway endpoint (env EGOV_GATEWAY, default %s)\n"
        "  --db CONNINFO        PostgreSQL conninfo (env EGOV_ENIS_DB, default \"dbname=enis\")\n"
        "  --id PARTICIPANT     participant id at the gateway (default \"enis\")\n"
        "  --verbose            log every request\n"
        "  --help               this text\n",
        SHEP_DEFAULT_ENDPOINT);
}

int
main (int argc, char *argv [])
{
    const char *gateway = egov_env ("EGOV_GATEWAY", SHEP_DEFAULT_ENDPOINT);
    const char *conninfo = egov_env ("EGOV_ENIS_DB", "dbname=enis");
    const char *participant = "enis";
    bool verbose = false;
    for (int index = 1; index < argc; index++) {
        const char *flag = argv [index];
        bool takes_value = streq (flag, "--gateway") || streq (flag, "--db") || streq (flag, "--id");
        if (streq (flag, "--help") || streq (flag, "-h")) {
            s_usage (stdout);
            return 0;
        }
        else
        if (streq (flag, "--verbose") || streq (flag, "-v"))
            verbose = true;
        else
        if (takes_value && index + 1 >= argc) {
            fprintf (stderr, "enis: %s needs a value\n", flag);
            return 2;
        }
        else
        if (streq (flag, "--gateway"))
            gateway = argv [++index];
        else
        if (streq (flag, "--db"))
            conninfo = argv [++index];
        else
        if (streq (flag, "--id"))
            participant = argv [++index];
        else {
            fprintf (stderr, "enis: unknown option '%s'\n", flag);
            s_usage (stderr);
            return 2;
        }
    }
    if (!*gateway || !*participant) {
        fprintf (stderr, "enis: gateway endpoint and participant id must not be empty\n");
        return 2;
    }

    zsys_init ();
    PGconn *conn = egov_db_connect (conninfo, 10000);
    if (!conn) {
        fprintf (stderr, "enis: cannot connect to the database (%s)\n", conninfo);
        return 1;
    }
    if (!egov_db_exec_script (conn, enis_schema_sql, "enis schema")) {
        fprintf (stderr, "enis: cannot apply the schema\n");
        PQfinish (conn);
        return 1;
    }
    egov_error_t error;
    int64_t seeded = enis_seed (conn, ENIS_SEED_SYNTHETIC, &error);
    if (seeded < 0) {
        fprintf (stderr, "enis: cannot seed the registry: %s\n", error.message);
        PQfinish (conn);
        return 1;
    }
    if (seeded > 0)
        zsys_info ("enis: seeded %" PRId64 " powers of attorney", seeded);

    enis_server_t *server = enis_server_new (conn);
    enis_server_set_verbose (server, verbose);
    shep_client_t *client = shep_client_new (gateway, participant);
    shep_client_provide (client, ENIS_SERVICE_POA);
    if (shep_client_connect_patiently (client, "enis") == 0) {
        printf ("enis: ready, gateway %s\n", gateway);
        fflush (stdout);
        zloop_t *loop = zloop_new ();
        assert (loop);
        shep_client_attach (client, loop, enis_server_on_frame, server);
        zloop_start (loop);
        zloop_destroy (&loop);
        zsys_info ("enis: stopping after %" PRIu64 " requests", enis_server_answered (server));
    }
    shep_client_destroy (&client);
    enis_server_destroy (&server);
    PQfinish (conn);
    return 0;
}
