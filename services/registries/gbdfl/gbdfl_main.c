/*  gbdfl — the state database of individuals (ЖТ ММБ / ГБД ФЛ) stub
    registry: seeds its PostgreSQL database at first start, loads it, and
    answers gbdfl.person through the gateway until Ctrl-C or SIGTERM.   */
#include "gbdfl_server.h"
#include "gbdfl_seed.h"
#include "egov_db.h"
#include "egov_flags.h"

extern const char *gbdfl_schema_sql;

//  What the command line and the environment set.
typedef struct {
    const char *gateway;            //  the central gateway
    const char *conninfo;           //  the registry's database
    int64_t population;             //  synthetic people to seed into an empty database
    const char *participant;        //  our id at the gateway
    bool verbose;                   //  log every request
} s_options_t;

static s_options_t s_options;

static const egov_flag_t s_flags [] = {
    EGOV_FLAG_GATEWAY (s_options.gateway),
    { .name = "db", .env = "EGOV_GBDFL_DB", .value_name = "CONNINFO", .fallback = "dbname=gbdfl",
      .help = "PostgreSQL conninfo", .target = &s_options.conninfo },
    { .name = "population", .kind = EGOV_FLAG_NUMBER, .env = "EGOV_GBDFL_POPULATION",
      .value_name = "N", .fallback = EGOV_FLAGS_TEXT (GBDFL_POPULATION_DEFAULT),
      .min = 0, .max = GBDFL_POPULATION_MAX,
      .help = "synthetic people to seed into an empty database, besides the fixed ones",
      .target = &s_options.population },
    { .name = "id", .value_name = "PARTICIPANT", .fallback = "gbdfl",
      .help = "participant id at the gateway", .target = &s_options.participant },
    { .name = "verbose", .letter = 'v', .kind = EGOV_FLAG_SWITCH, .help = "log every request",
      .target = &s_options.verbose },
    { NULL }
};

//  Seeds and loads the registry, then answers until a signal; the exit status.
static int
s_run (const s_options_t *options)
{
    zsys_init ();
    PGconn *conn = egov_db_connect (options->conninfo, 10000);
    if (!conn) {
        fprintf (stderr, "gbdfl: cannot connect to the database (%s)\n", options->conninfo);
        return 1;
    }
    if (!egov_db_exec_script (conn, gbdfl_schema_sql, "gbdfl schema")) {
        fprintf (stderr, "gbdfl: cannot apply the schema\n");
        PQfinish (conn);
        return 1;
    }
    egov_error_t error;
    int64_t started = zclock_usecs ();
    int64_t seeded = gbdfl_seed (conn, EGOV_POPULATION_SEED, (size_t) options->population,
                                  &error);
    int64_t seeded_at = zclock_usecs ();
    if (seeded < 0) {
        fprintf (stderr, "gbdfl: cannot seed the registry: %s\n", error.message);
        PQfinish (conn);
        return 1;
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
        return 1;
    }
    if (seeded > 0)
        zsys_info ("gbdfl: seeded %" PRId64 " persons in %" PRId64 " ms", seeded,
                   (seeded_at - started) / 1000);
    zsys_info ("gbdfl: loaded %" PRId64 " persons in %" PRId64 " ms", loaded,
               (loaded_at - seeded_at) / 1000);

    shep_client_t *client = shep_client_new (options->gateway, options->participant);
    shep_client_provide (client, GBDFL_SERVICE_PERSON);
    int rc = 0;
    if (shep_client_connect_patiently (client, "gbdfl") == 0) {
        printf ("gbdfl: ready, %" PRId64 " persons, gateway %s\n", loaded, options->gateway);
        fflush (stdout);
        zloop_t *loop = zloop_new ();
        assert (loop);
        shep_client_attach (client, loop, gbdfl_server_on_frame, server);
        zloop_start (loop);
        zloop_destroy (&loop);
        zsys_info ("gbdfl: stopping after %" PRIu64 " requests", gbdfl_server_answered (server));
    }
    shep_client_destroy (&client);
    gbdfl_server_destroy (&server);
    return rc;
}

int
main (int argc, char *argv [])
{
    egov_flags_t *flags = egov_flags_new ("gbdfl", NULL, s_flags);
    int status;
    if (egov_flags_parse (flags, argc, argv, &status))
        status = s_run (&s_options);
    egov_flags_destroy (&flags);
    return status;
}
