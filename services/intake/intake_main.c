/*  intake — the State Corporation operator's desk (МК АЖ): an HTTP/JSON API
    for operator terminals in front of the gateway (Diagram 1). Parses the
    flags, loads the regulations, applies the schema, seeds the demo
    operators, connects to the gateway and runs the desk's reactor until
    Ctrl-C or SIGTERM.                                                    */
#include "intake_http.h"
#include "egov_db.h"
#include "egov_clock.h"
#include "egov_pki.h"
#include <sodium.h>

extern const char *intake_schema_sql;

//  What the reactor handlers need.
typedef struct {
    intake_desk_t *desk;            //  the business
    shep_client_t *client;          //  connection to the gateway
} s_context_t;

//  Prints usage to stream.
static void
s_usage (FILE *stream)
{
    fprintf (stream,
        "usage: intake [options]\n"
        "  --gateway ENDPOINT   gateway endpoint (env EGOV_GATEWAY, default %s)\n"
        "  --db CONNINFO        PostgreSQL conninfo (env EGOV_INTAKE_DB, default \"dbname=intake\")\n"
        "  --http HOST:PORT     HTTP API address (env EGOV_INTAKE_HTTP, default %s)\n"
        "  --pki DIR            PKI folder: operators' keys, trust anchors (env EGOV_PKI_DIR,\n"
        "                       default %s)\n"
        "  --regulations DIR    catalogue and calendar (env EGOV_REGULATIONS, default the\n"
        "                       repository's regulations/, else ./regulations)\n"
        "  --openapi FILE       the OpenAPI document to serve (env EGOV_INTAKE_OPENAPI, default\n"
        "                       the repository's services/intake/openapi.json)\n"
        "  --verbose            log every step\n"
        "  --help               this text\n",
        SHEP_DEFAULT_ENDPOINT, INTAKE_DEFAULT_HTTP, EGOV_PKI_DEFAULT_DIR);
}

//  Reads a whole text file; NULL when it cannot be read. Caller frees.
static char *
s_read_file (const char *path)
{
    FILE *file = fopen (path, "r");
    if (!file)
        return NULL;
    char *text = NULL;
    size_t length = 0;
    FILE *stream = open_memstream (&text, &length);
    assert (stream);
    char buffer [4096];
    size_t got;
    while ((got = fread (buffer, 1, sizeof (buffer), file)) > 0)
        fwrite (buffer, 1, got, stream);
    fclose (stream);
    fclose (file);
    return text;
}

//  The gateway socket is readable: apply the deliveries.
static int
s_on_gateway (zloop_t *loop, zsock_t *socket, void *argument)
{
    (void) loop;
    (void) socket;
    s_context_t *context = (s_context_t *) argument;
    intake_desk_drain (context->desk);
    return 0;
}

//  Heartbeats, frames a blocking call left in the backlog, the outbox.
static int
s_on_tick (zloop_t *loop, int timer_id, void *argument)
{
    (void) loop;
    (void) timer_id;
    s_context_t *context = (s_context_t *) argument;
    shep_client_tick (context->client);
    intake_desk_drain (context->desk);
    intake_desk_flush (context->desk);
    return 0;
}

//  Business timers on the simulation clock.
static int
s_on_timers (zloop_t *loop, int timer_id, void *argument)
{
    (void) loop;
    (void) timer_id;
    intake_desk_fire (((s_context_t *) argument)->desk);
    return 0;
}

int
main (int argc, char *argv [])
{
    const char *gateway = egov_env ("EGOV_GATEWAY", SHEP_DEFAULT_ENDPOINT);
    const char *conninfo = egov_env ("EGOV_INTAKE_DB", "dbname=intake");
    const char *http_address = egov_env ("EGOV_INTAKE_HTTP", INTAKE_DEFAULT_HTTP);
    const char *pki_dir = egov_env ("EGOV_PKI_DIR", EGOV_PKI_DEFAULT_DIR);
    const char *regulations = getenv ("EGOV_REGULATIONS");
    const char *openapi_path = getenv ("EGOV_INTAKE_OPENAPI");
    bool verbose = false;
    for (int index = 1; index < argc; index++) {
        const char *flag = argv [index];
        bool takes_value = streq (flag, "--gateway") || streq (flag, "--db")
                        || streq (flag, "--http") || streq (flag, "--pki")
                        || streq (flag, "--regulations") || streq (flag, "--openapi");
        if (streq (flag, "--help") || streq (flag, "-h")) {
            s_usage (stdout);
            return 0;
        }
        else
        if (streq (flag, "--verbose") || streq (flag, "-v"))
            verbose = true;
        else
        if (takes_value && index + 1 >= argc) {
            fprintf (stderr, "intake: %s needs a value\n", flag);
            return 2;
        }
        else
        if (streq (flag, "--gateway"))
            gateway = argv [++index];
        else
        if (streq (flag, "--db"))
            conninfo = argv [++index];
        else
        if (streq (flag, "--http"))
            http_address = argv [++index];
        else
        if (streq (flag, "--pki"))
            pki_dir = argv [++index];
        else
        if (streq (flag, "--regulations"))
            regulations = argv [++index];
        else
        if (streq (flag, "--openapi"))
            openapi_path = argv [++index];
        else {
            fprintf (stderr, "intake: unknown option '%s'\n", flag);
            s_usage (stderr);
            return 2;
        }
    }
    if (!*gateway || !*pki_dir) {
        fprintf (stderr, "intake: gateway endpoint and PKI folder must not be empty\n");
        return 2;
    }
    if (sodium_init () < 0) {
        fprintf (stderr, "intake: libsodium did not initialise\n");
        return 1;
    }
    char directory [PATH_MAX], path [PATH_MAX + 32];
    if (regulations)
        snprintf (directory, sizeof (directory), "%s", regulations);
    else
        egov_repo_path ("regulations", directory, sizeof (directory));
    egov_error_t error = { { 0 } };
    snprintf (path, sizeof (path), "%s/calendar/kz.json", directory);
    egov_calendar_t *calendar = egov_calendar_new (path, &error);
    snprintf (path, sizeof (path), "%s/catalogue", directory);
    egov_catalogue_t *catalogue = calendar ? egov_catalogue_new (path, &error) : NULL;
    if (!catalogue) {
        fprintf (stderr, "intake: error %s: %s\n", error.code, error.message);
        egov_calendar_destroy (&calendar);
        return 1;
    }
    char openapi_file [PATH_MAX];
    if (openapi_path)
        snprintf (openapi_file, sizeof (openapi_file), "%s", openapi_path);
    else
        egov_repo_path ("services/intake/openapi.json", openapi_file, sizeof (openapi_file));
    char *openapi = s_read_file (openapi_file);
    if (!openapi)
        zsys_warning ("intake: no OpenAPI document at %s; /api/v1/openapi.json answers 503",
                      openapi_file);

    zsys_init ();
    int status = 1;
    intake_desk_t *desk = NULL;
    intake_http_t *http = NULL;
    shep_client_t *client = NULL;
    PGconn *conn = egov_db_connect (conninfo, 10000);
    if (!conn) {
        fprintf (stderr, "intake: cannot connect to the database (%s)\n", conninfo);
        goto cleanup;
    }
    if (!egov_db_exec_script (conn, intake_schema_sql, "intake schema")) {
        fprintf (stderr, "intake: cannot apply the schema\n");
        goto cleanup;
    }
    desk = intake_desk_new (conn, catalogue, calendar, pki_dir, &error);
    int seeded = desk ? intake_desk_seed_operators (desk, &error) : -1;
    if (seeded < 0) {
        fprintf (stderr, "intake: error %s: %s\n", error.code, error.message);
        goto cleanup;
    }
    if (seeded > 0)
        zsys_info ("intake: seeded %d demo operators", seeded);
    intake_desk_set_verbose (desk, verbose);
    http = intake_http_new (http_address, desk, openapi, &error);
    if (!http) {
        fprintf (stderr, "intake: error %s: %s\n", error.code, error.message);
        goto cleanup;
    }
    client = shep_client_new (gateway, INTAKE_PARTICIPANT);
    shep_client_set_receive_async (client, true);
    status = 0;
    if (shep_client_connect_patiently (client, "intake") == 0) {
        intake_desk_set_client (desk, client);
        intake_desk_rearm (desk);
        intake_desk_flush (desk);
        printf ("intake: ready, gateway %s, http %s (port %d)\n", gateway, http_address,
                intake_http_port (http));
        fflush (stdout);
        s_context_t context = { desk, client };
        zloop_t *loop = zloop_new ();
        assert (loop);
        zloop_reader (loop, shep_client_sock (client), s_on_gateway, &context);
        zloop_timer (loop, 200, 0, s_on_tick, &context);
        zloop_timer (loop, 20, 0, s_on_timers, &context);
        intake_http_attach (http, loop);
        intake_desk_drain (desk);
        zloop_start (loop);
        zloop_destroy (&loop);
        zsys_info ("intake: stopping");
    }
cleanup:
    intake_http_destroy (&http);
    shep_client_destroy (&client);
    intake_desk_destroy (&desk);
    if (conn)
        PQfinish (conn);
    free (openapi);
    egov_catalogue_destroy (&catalogue);
    egov_calendar_destroy (&calendar);
    return status;
}
