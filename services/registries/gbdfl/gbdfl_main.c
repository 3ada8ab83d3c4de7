/*  gbdfl — the state database of individuals (ЖТ ММБ / ГБД ФЛ) stub
    registry: seeds its PostgreSQL database at first start, loads it, and
    answers gbdfl.person through the gateway until Ctrl-C or SIGTERM.   */
#include "gbdfl_server.h"
#include "gbdfl_seed.h"
#include "egov_db.h"

extern const char *gbdfl_schema_sql;

//  Prints usage to stream.
static void
s_usage (FILE *stream)
{
    fprintf (stream,
        "usage: gbdfl [options]\n"
        "  --gateway ENDPOINT   gateway endpoint (env EGOV_GATEWAY, default %s)\n"
        "  --db CONNINFO        PostgreSQL conninfo (env EGOV_GBDFL_DB, default \"dbname=gbdfl\")\n"
        "  --population N       synthetic people to seed into an empty database, besides\n"
        "                       the fixed ones (env EGOV_GBDFL_POPULATION, default %d)\n"
        "  --id PARTICIPANT     participant id at the gateway (default \"gbdfl\")\n"
        "  --verbose            log every request\n"
        "  --help               this text\n",
        SHEP_DEFAULT_ENDPOINT, GBDFL_POPULATION_DEFAULT);
}

//  Parses a population size; false when it is not a number in range.
static bool
s_parse_population (const char *text, size_t *count)
{
    if (!text || !*text || strlen (text) > 9)
        return false;
    for (const char *cursor = text; *cursor; cursor++)
        if (!isdigit ((unsigned char) *cursor))
            return false;
    long value = atol (text);
    if (value > GBDFL_POPULATION_MAX)
        return false;
    *count = (size_t) value;
    return true;
}

int
main (int argc, char *argv [])
{
    const char *gateway = egov_env ("EGOV_GATEWAY", SHEP_DEFAULT_ENDPOINT);
    const char *conninfo = egov_env ("EGOV_GBDFL_DB", "dbname=gbdfl");
    const char *population_text = egov_env ("EGOV_GBDFL_POPULATION", NULL);
    const char *participant = "gbdfl";
    bool verbose = false;
    for (int index = 1; index < argc; index++) {
        const char *flag = argv [index];
        bool takes_value = streq (flag, "--gateway") || streq (flag, "--db")
                        || streq (flag, "--population") || streq (flag, "--id");
        if (streq (flag, "--help") || streq (flag, "-h")) {
            s_usage (stdout);
            return 0;
        }
        else
        if (streq (flag, "--verbose") || streq (flag, "-v"))
            verbose = true;
        else
        if (takes_value && index + 1 >= argc) {
            fprintf (stderr, "gbdfl: %s needs a value\n", flag);
            return 2;
        }
        else
        if (streq (flag, "--gateway"))
            gateway = argv [++index];
        else
        if (streq (flag, "--db"))
            conninfo = argv [++index];
        else
        if (streq (flag, "--population"))
            population_text = argv [++index];
        else
        if (streq (flag, "--id"))
            participant = argv [++index];
        else {
            fprintf (stderr, "gbdfl: unknown option '%s'\n", flag);
            s_usage (stderr);
            return 2;
        }
    }
    size_t population = GBDFL_POPULATION_DEFAULT;
    if (population_text && !s_parse_population (population_text, &population)) {
        fprintf (stderr, "gbdfl: population must be a number from 0 to %d, got '%s'\n",
                 GBDFL_POPULATION_MAX, population_text);
        return 2;
    }
    if (!*gateway || !*participant) {
        fprintf (stderr, "gbdfl: gateway endpoint and participant id must not be empty\n");
        return 2;
    }

    zsys_init ();
    PGconn *conn = egov_db_connect (conninfo, 10000);
    if (!conn) {
        fprintf (stderr, "gbdfl: cannot connect to the database (%s)\n", conninfo);
        return 1;
    }
    if (!egov_db_exec_script (conn, gbdfl_schema_sql, "gbdfl schema")) {
        fprintf (stderr, "gbdfl: cannot apply the schema\n");
        PQfinish (conn);
        return 1;
    }
    egov_error_t error;
    int64_t started = zclock_usecs ();
    int64_t seeded = gbdfl_seed (conn, EGOV_POPULATION_SEED, population, &error);
    int64_t seeded_at = zclock_usecs ();
    if (seeded < 0) {
        fprintf (stderr, "gbdfl: cannot seed the registry: %s\n", error.message);
        PQfinish (conn);
        return 1;
    }
    gbdfl_server_t *server = gbdfl_server_new ();
    gbdfl_server_set_verbose (server, verbose);
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

    shep_client_t *client = shep_client_new (gateway, participant);
    shep_client_provide (client, GBDFL_SERVICE_PERSON);
    int rc = 0;
    if (shep_client_connect_patiently (client, "gbdfl") == 0) {
        printf ("gbdfl: ready, %" PRId64 " persons, gateway %s\n", loaded, gateway);
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
