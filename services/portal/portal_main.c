/*  portal — the citizen portal (ЭҮП, "электрондық үкімет" веб-порталы):
    the HTTP/JSON API for portal frontends and the reference frontend, in
    front of the gateway (Diagram 2). Parses the flags, loads the
    regulations, applies the schema, connects to the gateway and runs the
    portal's reactor until Ctrl-C or SIGTERM.                            */
#include "portal_http.h"
#include "egov_db.h"
#include "egov_clock.h"
#include "egov_pki.h"
#include <sodium.h>

extern const char *portal_schema_sql;

//  What the reactor handlers need.
typedef struct {
    portal_server_t *server;        //  the business
    shep_client_t *client;          //  connection to the gateway
} s_context_t;

//  Prints usage to stream.
static void
s_usage (FILE *stream)
{
    fprintf (stream,
        "usage: portal [options]\n"
        "  --gateway ENDPOINT     gateway endpoint (env EGOV_GATEWAY, default %s)\n"
        "  --db CONNINFO          PostgreSQL conninfo (env EGOV_PORTAL_DB, default \"dbname=portal\")\n"
        "  --http HOST:PORT       HTTP address (env EGOV_PORTAL_HTTP, default %s)\n"
        "  --pki DIR              PKI folder: trust anchors and CRL (env EGOV_PKI_DIR, default\n"
        "                         the repository's var/pki)\n"
        "  --regulations DIR      catalogue and calendar (env EGOV_REGULATIONS, default the\n"
        "                         repository's regulations/)\n"
        "  --www DIR              the reference frontend (env EGOV_PORTAL_WWW, default the\n"
        "                         repository's services/portal/www)\n"
        "  --openapi FILE         the OpenAPI document (env EGOV_PORTAL_OPENAPI, default the\n"
        "                         repository's services/portal/openapi.json)\n"
        "  --session-ttl DURATION how long a login lasts, e.g. 30m (env EGOV_PORTAL_SESSION_TTL, 30m)\n"
        "  --lock-after N         wrong passwords in a row that lock an account (env\n"
        "                         EGOV_PORTAL_LOCK_AFTER, 5)\n"
        "  --lock-for DURATION    how long it stays locked, e.g. 15m or 2000ms (env\n"
        "                         EGOV_PORTAL_LOCK_FOR, 15m)\n"
        "  --registry-timeout MS  a look-up in the registry of individuals (default 5000)\n"
        "  --verbose              log every step\n"
        "  --help                 this text\n",
        SHEP_DEFAULT_ENDPOINT, PORTAL_DEFAULT_HTTP);
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

//  The gateway socket is readable: apply receipts and deliveries.
static int
s_on_gateway (zloop_t *loop, zsock_t *socket, void *argument)
{
    (void) loop;
    (void) socket;
    portal_server_drain (((s_context_t *) argument)->server);
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
    portal_server_drain (context->server);
    portal_server_flush (context->server);
    return 0;
}

//  A duration flag: "30m", "2000ms", "1h"; false when malformed or not positive.
static bool
s_duration (const char *text, int64_t *ms)
{
    return egov_clock_parse_duration (text, ms) && *ms > 0;
}

int
main (int argc, char *argv [])
{
    char pki_default [PATH_MAX], www_default [PATH_MAX], openapi_default [PATH_MAX],
         regulations_default [PATH_MAX];
    egov_repo_path (EGOV_PKI_DEFAULT_DIR, pki_default, sizeof (pki_default));
    egov_repo_path ("services/portal/www", www_default, sizeof (www_default));
    egov_repo_path ("services/portal/openapi.json", openapi_default, sizeof (openapi_default));
    egov_repo_path ("regulations", regulations_default, sizeof (regulations_default));
    const char *gateway = egov_env ("EGOV_GATEWAY", SHEP_DEFAULT_ENDPOINT);
    const char *conninfo = egov_env ("EGOV_PORTAL_DB", "dbname=portal");
    const char *http_address = egov_env ("EGOV_PORTAL_HTTP", PORTAL_DEFAULT_HTTP);
    const char *pki_dir = egov_env ("EGOV_PKI_DIR", pki_default);
    const char *regulations = egov_env ("EGOV_REGULATIONS", regulations_default);
    const char *www = egov_env ("EGOV_PORTAL_WWW", www_default);
    const char *openapi_path = egov_env ("EGOV_PORTAL_OPENAPI", openapi_default);
    const char *session_ttl = egov_env ("EGOV_PORTAL_SESSION_TTL", "30m");
    const char *lock_after = egov_env ("EGOV_PORTAL_LOCK_AFTER", "5");
    const char *lock_for = egov_env ("EGOV_PORTAL_LOCK_FOR", "15m");
    const char *registry_timeout = "5000";
    bool verbose = false;
    for (int index = 1; index < argc; index++) {
        const char *flag = argv [index];
        const char **target = streq (flag, "--gateway") ? &gateway
                            : streq (flag, "--db") ? &conninfo
                            : streq (flag, "--http") ? &http_address
                            : streq (flag, "--pki") ? &pki_dir
                            : streq (flag, "--regulations") ? &regulations
                            : streq (flag, "--www") ? &www
                            : streq (flag, "--openapi") ? &openapi_path
                            : streq (flag, "--session-ttl") ? &session_ttl
                            : streq (flag, "--lock-after") ? &lock_after
                            : streq (flag, "--lock-for") ? &lock_for
                            : streq (flag, "--registry-timeout") ? &registry_timeout : NULL;
        if (streq (flag, "--help") || streq (flag, "-h")) {
            s_usage (stdout);
            return 0;
        }
        else
        if (streq (flag, "--verbose") || streq (flag, "-v"))
            verbose = true;
        else
        if (target && index + 1 >= argc) {
            fprintf (stderr, "portal: %s needs a value\n", flag);
            return 2;
        }
        else
        if (target)
            *target = argv [++index];
        else {
            fprintf (stderr, "portal: unknown option '%s'\n", flag);
            s_usage (stderr);
            return 2;
        }
    }
    portal_config_t config = { 0 };
    char *end = NULL;
    long lock_count = strtol (lock_after, &end, 10);
    long timeout = strtol (registry_timeout, NULL, 10);
    if (!s_duration (session_ttl, &config.policy.session_ms)
    ||  !s_duration (lock_for, &config.policy.lock_ms)
    ||  !*lock_after || *end || lock_count < 1 || lock_count > 1000
    ||  timeout < 100 || timeout > 600000) {
        fprintf (stderr, "portal: --session-ttl and --lock-for want a duration (30m, 2000ms), "
                         "--lock-after 1-1000, --registry-timeout 100-600000\n");
        return 2;
    }
    config.policy.lock_after = (int) lock_count;
    config.registry_timeout_ms = (int) timeout;
    if (!*gateway || !*pki_dir) {
        fprintf (stderr, "portal: gateway endpoint and PKI folder must not be empty\n");
        return 2;
    }
    if (sodium_init () < 0) {
        fprintf (stderr, "portal: libsodium did not initialise\n");
        return 1;
    }
    egov_error_t error = { { 0 } };
    char path [PATH_MAX + 32];
    snprintf (path, sizeof (path), "%s/calendar/kz.json", regulations);
    egov_calendar_t *calendar = egov_calendar_new (path, &error);
    snprintf (path, sizeof (path), "%s/catalogue", regulations);
    egov_catalogue_t *catalogue = calendar ? egov_catalogue_new (path, &error) : NULL;
    if (!catalogue) {
        fprintf (stderr, "portal: error %s: %s\n", error.code, error.message);
        egov_calendar_destroy (&calendar);
        return 1;
    }
    config.catalogue = catalogue;
    config.calendar = calendar;
    config.pki_dir = pki_dir;
    char *openapi = s_read_file (openapi_path);
    if (!openapi)
        zsys_warning ("portal: no OpenAPI document at %s; /api/v1/openapi.json answers 503", openapi_path);

    zsys_init ();
    int status = 1;
    portal_server_t *server = NULL;
    portal_http_t *http = NULL;
    shep_client_t *client = NULL;
    PGconn *conn = egov_db_connect (conninfo, 10000);
    if (!conn) {
        fprintf (stderr, "portal: cannot connect to the database (%s)\n", conninfo);
        goto cleanup;
    }
    if (!egov_db_exec_script (conn, portal_schema_sql, "portal schema")) {
        fprintf (stderr, "portal: cannot apply the schema\n");
        goto cleanup;
    }
    server = portal_server_new (conn, &config, &error);
    if (!server) {
        fprintf (stderr, "portal: error %s: %s (make one with: egovctl pki init --pki %s)\n",
                 error.code, error.message, pki_dir);
        goto cleanup;
    }
    portal_server_set_verbose (server, verbose);
    http = portal_http_new (http_address, server, openapi, www, &error);
    if (!http) {
        fprintf (stderr, "portal: error %s: %s\n", error.code, error.message);
        goto cleanup;
    }
    client = shep_client_new (gateway, PORTAL_PARTICIPANT);
    shep_client_set_receive_async (client, true);
    status = 0;
    if (shep_client_connect_patiently (client, "portal") == 0) {
        portal_server_set_client (server, client);
        printf ("portal: ready, gateway %s, http %s (port %d)\n", gateway, http_address,
                portal_http_port (http));
        fflush (stdout);
        s_context_t context = { server, client };
        zloop_t *loop = zloop_new ();
        assert (loop);
        zloop_reader (loop, shep_client_sock (client), s_on_gateway, &context);
        zloop_timer (loop, 200, 0, s_on_tick, &context);
        portal_http_attach (http, loop);
        portal_server_flush (server);
        portal_server_drain (server);
        zloop_start (loop);
        zloop_destroy (&loop);
        zsys_info ("portal: stopping");
    }
cleanup:
    portal_http_destroy (&http);
    shep_client_destroy (&client);
    portal_server_destroy (&server);
    if (conn)
        PQfinish (conn);
    free (openapi);
    egov_catalogue_destroy (&catalogue);
    egov_calendar_destroy (&calendar);
    return status;
}
