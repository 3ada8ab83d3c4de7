/*  portal — the citizen portal (ЭҮП, "электрондық үкімет" веб-порталы):
    the HTTP/JSON API for portal frontends and the reference frontend, in
    front of the gateway (Diagram 2). Parses the flags, loads the
    regulations, applies the schema, connects to the gateway and runs the
    portal's reactor until Ctrl-C or SIGTERM.                            */
#include "portal_http.h"
#include "egov_clock.h"
#include "egov_pki.h"
#include "egov_flags.h"
#include <sodium.h>

extern const char *portal_schema_sql;


//  What the command line and the environment set.
typedef struct {
    const char *gateway;            //  the central gateway
    const char *conninfo;           //  the portal's database
    const char *http_address;       //  the API's and the frontend's address
    const char *pki_dir;            //  trust anchors and CRL
    const char *regulations;        //  catalogue and calendar
    const char *www;                //  the reference frontend
    const char *openapi_path;       //  the OpenAPI document served
    int64_t session_ms;             //  how long a login lasts
    int64_t lock_after;             //  wrong passwords in a row that lock an account
    int64_t lock_ms;                //  how long it stays locked
    int64_t registry_timeout_ms;    //  a look-up in the registry of individuals
    bool verbose;                   //  log every step
} s_options_t;

static s_options_t s_options;

static const egov_flag_t s_flags [] = {
    EGOV_FLAG_GATEWAY (s_options.gateway),
    { .name = "db", .env = "EGOV_PORTAL_DB", .value_name = "CONNINFO", .fallback = "dbname=portal",
      .help = "PostgreSQL conninfo", .target = &s_options.conninfo },
    { .name = "http", .env = "EGOV_PORTAL_HTTP", .value_name = "HOST:PORT",
      .fallback = PORTAL_DEFAULT_HTTP, .help = "HTTP address",
      .target = &s_options.http_address },
    EGOV_FLAG_PKI (s_options.pki_dir, "PKI folder: trust anchors and CRL"),
    EGOV_FLAG_REGULATIONS (s_options.regulations),
    { .name = "www", .kind = EGOV_FLAG_PATH, .env = "EGOV_PORTAL_WWW", .value_name = "DIR",
      .fallback = "services/portal/www", .help = "the reference frontend",
      .target = &s_options.www },
    { .name = "openapi", .kind = EGOV_FLAG_PATH, .env = "EGOV_PORTAL_OPENAPI",
      .value_name = "FILE", .fallback = "services/portal/openapi.json",
      .help = "the OpenAPI document", .target = &s_options.openapi_path },
    { .name = "session-ttl", .kind = EGOV_FLAG_DURATION, .env = "EGOV_PORTAL_SESSION_TTL",
      .value_name = "DURATION", .fallback = "30m", .help = "how long a login lasts, e.g. 30m",
      .target = &s_options.session_ms },
    { .name = "lock-after", .kind = EGOV_FLAG_NUMBER, .env = "EGOV_PORTAL_LOCK_AFTER",
      .value_name = "N", .fallback = "5", .min = 1, .max = 1000,
      .help = "wrong passwords in a row that lock an account", .target = &s_options.lock_after },
    { .name = "lock-for", .kind = EGOV_FLAG_DURATION, .env = "EGOV_PORTAL_LOCK_FOR",
      .value_name = "DURATION", .fallback = "15m",
      .help = "how long it stays locked, e.g. 15m or 2000ms", .target = &s_options.lock_ms },
    { .name = "registry-timeout", .kind = EGOV_FLAG_NUMBER, .value_name = "MS",
      .fallback = "5000", .min = 100, .max = 600000,
      .help = "a look-up in the registry of individuals",
      .target = &s_options.registry_timeout_ms },
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

//  Loads the regulations, sets up the database and the trust anchors,
//  then runs the portal until a signal; the exit status.
static int
s_run (const s_options_t *options)
{
    portal_config_t config = {
        .pki_dir = options->pki_dir,
        .policy = { .session_ms = options->session_ms, .lock_after = (int) options->lock_after,
                    .lock_ms = options->lock_ms },
        .registry_timeout_ms = (int) options->registry_timeout_ms
    };

    if (sodium_init () < 0) {
        fprintf (stderr, "portal: libsodium did not initialise\n");
        return 1;
    }
    egov_error_t error = { { 0 } };
    char path [PATH_MAX + 32];
    snprintf (path, sizeof (path), "%s/calendar/kz.json", options->regulations);
    egov_calendar_t *calendar = egov_calendar_new (path, &error);
    snprintf (path, sizeof (path), "%s/catalogue", options->regulations);
    egov_catalogue_t *catalogue = calendar ? egov_catalogue_new (path, &error) : NULL;
    if (!catalogue) {
        fprintf (stderr, "portal: error %s: %s\n", error.code, error.message);
        egov_calendar_destroy (&calendar);
        return 1;
    }
    config.catalogue = catalogue;
    config.calendar = calendar;
    char *openapi = s_read_file (options->openapi_path);
    if (!openapi)
        zsys_warning ("portal: no OpenAPI document at %s; /api/v1/openapi.json answers 503",
                      options->openapi_path);

    zsys_init ();
    int status = 1;
    portal_server_t *server = NULL;
    portal_http_t *http = NULL;
    zloop_t *loop = NULL;
    shep_participant_config_t engine_config = {
        .gateway = options->gateway, .participant_id = PORTAL_PARTICIPANT,
        .conninfo = options->conninfo, .schema_sql = portal_schema_sql, .receive_async = true,
        .verbose = options->verbose
    };
    shep_participant_t *engine = shep_participant_new (&engine_config, NULL, &error);
    if (!engine) {
        fprintf (stderr, "portal: cannot start: %s %s (%s)\n", error.code, error.message,
                 options->conninfo);
        goto cleanup;
    }
    server = portal_server_new (engine, &config, &error);
    if (!server) {
        fprintf (stderr, "portal: error %s: %s (make one with: egovctl pki init --pki %s)\n",
                 error.code, error.message, options->pki_dir);
        goto cleanup;
    }
    shep_participant_set_service (engine, server);
    portal_server_set_verbose (server, options->verbose);
    http = portal_http_new (options->http_address, server, openapi, options->www, &error);
    if (!http) {
        fprintf (stderr, "portal: error %s: %s\n", error.code, error.message);
        goto cleanup;
    }
    printf ("portal: ready, gateway %s, http %s (port %d)\n", options->gateway,
            options->http_address, portal_http_port (http));
    fflush (stdout);
    loop = zloop_new ();
    assert (loop);
    shep_participant_attach (engine, loop);
    portal_server_attach (server, loop);
    portal_http_attach (http, loop);
    status = 0;
    zloop_start (loop);
    zsys_info ("portal: stopping");
cleanup:
    //  The engine leaves the loop as it goes: before the loop itself
    portal_http_destroy (&http);
    portal_server_destroy (&server);
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
    egov_flags_t *flags = egov_flags_new ("portal", NULL, s_flags);
    int status;
    if (egov_flags_parse (flags, argc, argv, &status))
        status = s_run (&s_options);
    egov_flags_destroy (&flags);
    return status;
}
