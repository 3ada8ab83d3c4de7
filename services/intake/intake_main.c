/*  intake — the State Corporation operator's desk (МК АЖ): an HTTP/JSON API
    for operator terminals in front of the gateway (Diagram 1). Parses the
    flags, loads the regulations, applies the schema, seeds the demo
    operators, connects to the gateway and runs the desk's reactor until
    Ctrl-C or SIGTERM.                                                    */
#include "intake_http.h"
#include "egov_db.h"
#include "egov_clock.h"
#include "egov_pki.h"
#include "egov_flags.h"
#include <sodium.h>

extern const char *intake_schema_sql;

//  What the reactor handlers need.
typedef struct {
    intake_desk_t *desk;            //  the business
    shep_client_t *client;          //  connection to the gateway
} s_context_t;

//  What the command line and the environment set.
typedef struct {
    const char *gateway;            //  the central gateway
    const char *conninfo;           //  the desk's database
    const char *http_address;       //  the API's address
    const char *pki_dir;            //  operators' keys, trust anchors
    const char *regulations;        //  catalogue and calendar
    const char *openapi_path;       //  the OpenAPI document served
    bool verbose;                   //  log every step
} s_options_t;

static s_options_t s_options;

static const egov_flag_t s_flags [] = {
    { .name = "gateway", .env = "EGOV_GATEWAY", .value_name = "ENDPOINT",
      .fallback = SHEP_DEFAULT_ENDPOINT, .help = "gateway endpoint", .target = &s_options.gateway },
    { .name = "db", .env = "EGOV_INTAKE_DB", .value_name = "CONNINFO", .fallback = "dbname=intake",
      .help = "PostgreSQL conninfo", .target = &s_options.conninfo },
    { .name = "http", .env = "EGOV_INTAKE_HTTP", .value_name = "HOST:PORT",
      .fallback = INTAKE_DEFAULT_HTTP, .help = "HTTP API address",
      .target = &s_options.http_address },
    { .name = "pki", .kind = EGOV_FLAG_PATH, .env = "EGOV_PKI_DIR", .value_name = "DIR",
      .fallback = EGOV_PKI_DEFAULT_DIR, .help = "PKI folder: operators' keys, trust anchors",
      .target = &s_options.pki_dir },
    { .name = "regulations", .kind = EGOV_FLAG_PATH, .env = "EGOV_REGULATIONS",
      .value_name = "DIR", .fallback = "regulations", .help = "catalogue and calendar",
      .target = &s_options.regulations },
    { .name = "openapi", .kind = EGOV_FLAG_PATH, .env = "EGOV_INTAKE_OPENAPI",
      .value_name = "FILE", .fallback = "services/intake/openapi.json",
      .help = "the OpenAPI document to serve", .target = &s_options.openapi_path },
    { .name = "verbose", .letter = 'v', .kind = EGOV_FLAG_SWITCH, .help = "log every step",
      .target = &s_options.verbose },
    { NULL }
};

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

//  Loads the regulations, sets up the database and the operators, then
//  runs the desk until a signal; the exit status.
static int
s_run (const s_options_t *options)
{
    if (sodium_init () < 0) {
        fprintf (stderr, "intake: libsodium did not initialise\n");
        return 1;
    }
    char path [PATH_MAX + 32];
    egov_error_t error = { { 0 } };
    snprintf (path, sizeof (path), "%s/calendar/kz.json", options->regulations);
    egov_calendar_t *calendar = egov_calendar_new (path, &error);
    snprintf (path, sizeof (path), "%s/catalogue", options->regulations);
    egov_catalogue_t *catalogue = calendar ? egov_catalogue_new (path, &error) : NULL;
    if (!catalogue) {
        fprintf (stderr, "intake: error %s: %s\n", error.code, error.message);
        egov_calendar_destroy (&calendar);
        return 1;
    }
    char *openapi = s_read_file (options->openapi_path);
    if (!openapi)
        zsys_warning ("intake: no OpenAPI document at %s; /api/v1/openapi.json answers 503",
                      options->openapi_path);

    zsys_init ();
    int status = 1;
    intake_desk_t *desk = NULL;
    intake_http_t *http = NULL;
    shep_client_t *client = NULL;
    PGconn *conn = egov_db_connect (options->conninfo, 10000);
    if (!conn) {
        fprintf (stderr, "intake: cannot connect to the database (%s)\n", options->conninfo);
        goto cleanup;
    }
    if (!egov_db_exec_script (conn, intake_schema_sql, "intake schema")) {
        fprintf (stderr, "intake: cannot apply the schema\n");
        goto cleanup;
    }
    desk = intake_desk_new (conn, catalogue, calendar, options->pki_dir, &error);
    int seeded = desk ? intake_desk_seed_operators (desk, &error) : -1;
    if (seeded < 0) {
        fprintf (stderr, "intake: error %s: %s\n", error.code, error.message);
        goto cleanup;
    }
    if (seeded > 0)
        zsys_info ("intake: seeded %d demo operators", seeded);
    intake_desk_set_verbose (desk, options->verbose);
    http = intake_http_new (options->http_address, desk, openapi, &error);
    if (!http) {
        fprintf (stderr, "intake: error %s: %s\n", error.code, error.message);
        goto cleanup;
    }
    client = shep_client_new (options->gateway, INTAKE_PARTICIPANT);
    shep_client_set_receive_async (client, true);
    status = 0;
    if (shep_client_connect_patiently (client, "intake") == 0) {
        intake_desk_set_client (desk, client);
        intake_desk_rearm (desk);
        intake_desk_flush (desk);
        printf ("intake: ready, gateway %s, http %s (port %d)\n", options->gateway,
                options->http_address, intake_http_port (http));
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

int
main (int argc, char *argv [])
{
    egov_flags_t *flags = egov_flags_new ("intake", NULL, s_flags);
    int status;
    if (egov_flags_parse (flags, argc, argv, &status))
        status = s_run (&s_options);
    egov_flags_destroy (&flags);
    return status;
}
