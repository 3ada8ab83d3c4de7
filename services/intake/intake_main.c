/*  intake — the State Corporation operator's desk (МК АЖ): an HTTP/JSON API
    for operator terminals in front of the gateway (Diagram 1). Parses the
    flags, loads the regulations, starts the participant runtime (database,
    schema, gateway link), seeds the demo operators and runs the desk's
    reactor until Ctrl-C or SIGTERM.                                      */
#include "intake_http.h"
#include "egov_clock.h"
#include "egov_pki.h"
#include "egov_flags.h"
#include <sodium.h>

extern const char *intake_schema_sql;

#define s_TIMER_MS      20          //  business timers on the simulation clock

//  What the command line and the environment set.
typedef struct {
    const char *gateway;            //  the central gateway
    const char *conninfo;           //  the desk's database
    const char *http_address;       //  the API's address
    const char *pki_dir;            //  operators' keys, trust anchors
    const char *regulations;        //  catalogue and calendar
    const char *openapi_path;       //  the OpenAPI document served
    int64_t lock_after;             //  wrong passwords in a row that lock a login
    int64_t lock_ms;                //  how long it stays locked
    bool verbose;                   //  log every step
} s_options_t;

static s_options_t s_options;

static const egov_flag_t s_flags [] = {
    EGOV_FLAG_GATEWAY (s_options.gateway),
    { .name = "db", .env = "EGOV_INTAKE_DB", .value_name = "CONNINFO", .fallback = "dbname=intake",
      .help = "PostgreSQL conninfo", .target = &s_options.conninfo },
    { .name = "http", .env = "EGOV_INTAKE_HTTP", .value_name = "HOST:PORT",
      .fallback = INTAKE_DEFAULT_HTTP, .help = "HTTP API address",
      .target = &s_options.http_address },
    EGOV_FLAG_PKI (s_options.pki_dir, "PKI folder: operators' keys, trust anchors"),
    EGOV_FLAG_REGULATIONS (s_options.regulations),
    { .name = "openapi", .kind = EGOV_FLAG_PATH, .env = "EGOV_INTAKE_OPENAPI",
      .value_name = "FILE", .fallback = "services/intake/openapi.json",
      .help = "the OpenAPI document to serve", .target = &s_options.openapi_path },
    { .name = "lock-after", .kind = EGOV_FLAG_NUMBER, .env = "EGOV_INTAKE_LOCK_AFTER",
      .value_name = "N", .fallback = "5", .min = 1, .max = 1000,
      .help = "wrong passwords in a row that lock an operator's login", .target = &s_options.lock_after },
    { .name = "lock-for", .kind = EGOV_FLAG_DURATION, .env = "EGOV_INTAKE_LOCK_FOR",
      .value_name = "DURATION", .fallback = "15m",
      .help = "how long it stays locked, e.g. 15m or 2000ms", .target = &s_options.lock_ms },
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

//  Business timers on the simulation clock.
static int
s_on_timers (zloop_t *loop, int timer_id, void *argument)
{
    (void) loop;
    (void) timer_id;
    intake_desk_fire ((intake_desk_t *) argument);
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
    zloop_t *loop = NULL;
    shep_participant_config_t engine_config = {
        .gateway = options->gateway, .participant_id = INTAKE_PARTICIPANT,
        .conninfo = options->conninfo, .schema_sql = intake_schema_sql, .receive_async = true,
        .verbose = options->verbose
    };
    shep_participant_t *engine = shep_participant_new (&engine_config, NULL, &error);
    if (!engine) {
        fprintf (stderr, "intake: cannot start: %s %s (%s)\n", error.code, error.message,
                 options->conninfo);
        goto cleanup;
    }
    desk = intake_desk_new (engine, catalogue, calendar, options->pki_dir, &error);
    int seeded = desk ? intake_desk_seed_operators (desk, &error) : -1;
    if (seeded < 0) {
        fprintf (stderr, "intake: error %s: %s\n", error.code, error.message);
        goto cleanup;
    }
    if (seeded > 0)
        zsys_info ("intake: seeded %d demo operators", seeded);
    intake_desk_set_verbose (desk, options->verbose);
    intake_desk_set_lock (desk, (int) options->lock_after, options->lock_ms);
    http = intake_http_new (options->http_address, desk, openapi, &error);
    if (!http) {
        fprintf (stderr, "intake: error %s: %s\n", error.code, error.message);
        goto cleanup;
    }
    shep_participant_set_service (engine, desk);
    printf ("intake: ready, gateway %s, http %s (port %d)\n", options->gateway,
            options->http_address, intake_http_port (http));
    fflush (stdout);
    loop = zloop_new ();
    assert (loop);
    shep_participant_attach (engine, loop);
    intake_desk_attach (desk, loop);
    zloop_timer (loop, s_TIMER_MS, 0, s_on_timers, desk);
    intake_http_attach (http, loop);
    zloop_start (loop);
    zsys_info ("intake: stopping");
    status = 0;
cleanup:
    intake_http_destroy (&http);
    intake_desk_destroy (&desk);
    //  The engine takes its reader and timer off the loop: before the loop goes
    shep_participant_destroy (&engine);
    zloop_destroy (&loop);
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
