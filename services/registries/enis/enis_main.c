/*  enis — the unified notarial system (БНАЖ / ЕНИС) stub registry: seeds
    its PostgreSQL database at first start and answers enis.poa through the
    gateway, asking the database on every request, until Ctrl-C or SIGTERM.  */
#include "enis_server.h"
#include "egov_db.h"
#include "egov_flags.h"

extern const char *enis_schema_sql;

//  What the command line and the environment set.
typedef struct {
    const char *gateway;            //  the central gateway
    const char *conninfo;           //  the registry's database
    const char *participant;        //  our id at the gateway
    bool verbose;                   //  log every request
} s_options_t;

static s_options_t s_options;

static const egov_flag_t s_flags [] = {
    EGOV_FLAG_GATEWAY (s_options.gateway),
    { .name = "db", .env = "EGOV_ENIS_DB", .value_name = "CONNINFO", .fallback = "dbname=enis",
      .help = "PostgreSQL conninfo", .target = &s_options.conninfo },
    { .name = "id", .value_name = "PARTICIPANT", .fallback = "enis",
      .help = "participant id at the gateway", .target = &s_options.participant },
    { .name = "verbose", .letter = 'v', .kind = EGOV_FLAG_SWITCH, .help = "log every request",
      .target = &s_options.verbose },
    { NULL }
};

//  Seeds the registry, then answers until a signal; the exit status.
static int
s_run (const s_options_t *options)
{
    zsys_init ();
    PGconn *conn = egov_db_connect (options->conninfo, 10000);
    if (!conn) {
        fprintf (stderr, "enis: cannot connect to the database (%s)\n", options->conninfo);
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
    enis_server_set_verbose (server, options->verbose);
    shep_client_t *client = shep_client_new (options->gateway, options->participant);
    shep_client_provide (client, ENIS_SERVICE_POA);
    if (shep_client_connect_patiently (client, "enis") == 0) {
        printf ("enis: ready, gateway %s\n", options->gateway);
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

int
main (int argc, char *argv [])
{
    egov_flags_t *flags = egov_flags_new ("enis", NULL, s_flags);
    int status;
    if (egov_flags_parse (flags, argc, argv, &status))
        status = s_run (&s_options);
    egov_flags_destroy (&flags);
    return status;
}
