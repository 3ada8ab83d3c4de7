/*  leb — the local executive body (ЖАО АЖ, жергілікті атқарушы орган) of
    one region: receives the applications its regional gateway registered,
    runs the provider's steps from the catalogue as tasks (auto, or manual
    through the HTTP API), and sends status notices and the signed result
    back, until Ctrl-C or SIGTERM.  */
#include "leb_server.h"
#include "leb_http.h"
#include "egov_pki.h"

extern const char *leb_schema_sql;

#define s_TIMER_MS      20              //  business timers and the HTTP API

//  What the reactor handlers need.
typedef struct {
    leb_server_t *server;               //  the state machine
    leb_http_t *http;                   //  the manual-mode API, or NULL
} s_context_t;

//  Prints usage to stream.
static void
s_usage (FILE *stream)
{
    fprintf (stream,
        "usage: leb --region KATO [options]\n"
        "  --region KATO        the region served, 9 digits (env EGOV_REGION)\n"
        "  --gateway ENDPOINT   gateway endpoint (env EGOV_GATEWAY, default %s)\n"
        "  --db CONNINFO        PostgreSQL conninfo (env EGOV_LEB_DB, default \"dbname=leb_KATO\")\n"
        "  --pki DIR            PKI folder (env EGOV_PKI_DIR, default %s)\n"
        "  --signer LABEL       the authorised person's certificate (default org-KATO)\n"
        "  --regulations DIR    catalogue and calendar (env EGOV_REGULATIONS, default regulations)\n"
        "  --manual             tasks wait for an integrator (HTTP API) instead of completing\n"
        "                       after their catalogue duration\n"
        "  --http HOST:PORT     the HTTP API (default %s; always on in manual mode,\n"
        "                       read-only in auto mode when given)\n"
        "  --verbose            log every event\n"
        "  --help               this text\n"
        "participant id leb-KATO; notices and results go to regional-KATO.\n"
        "exit codes: 0 stopped by a signal, 1 cannot start, 2 bad command line\n",
        SHEP_DEFAULT_ENDPOINT, EGOV_PKI_DEFAULT_DIR, LEB_HTTP_DEFAULT);
}

//  Business timers on the simulation clock, and the HTTP API.
static int
s_on_timer (zloop_t *loop, int timer_id, void *argument)
{
    (void) loop;
    (void) timer_id;
    s_context_t *context = (s_context_t *) argument;
    leb_server_fire (context->server);
    if (context->http)
        leb_http_run (context->http);
    return 0;
}

int
main (int argc, char *argv [])
{
    const char *region = egov_env ("EGOV_REGION", "");
    const char *gateway = egov_env ("EGOV_GATEWAY", SHEP_DEFAULT_ENDPOINT);
    const char *conninfo = getenv ("EGOV_LEB_DB");
    const char *pki_dir = egov_env ("EGOV_PKI_DIR", EGOV_PKI_DEFAULT_DIR);
    const char *signer = NULL;
    const char *regulations = egov_env ("EGOV_REGULATIONS", "regulations");
    const char *http_address = NULL;
    bool manual = false, verbose = false;
    for (int index = 1; index < argc; index++) {
        const char *flag = argv [index];
        bool takes_value = streq (flag, "--region") || streq (flag, "--gateway")
                        || streq (flag, "--db") || streq (flag, "--pki")
                        || streq (flag, "--signer") || streq (flag, "--regulations")
                        || streq (flag, "--http");
        if (streq (flag, "--help") || streq (flag, "-h")) {
            s_usage (stdout);
            return 0;
        }
        else
        if (streq (flag, "--verbose") || streq (flag, "-v"))
            verbose = true;
        else
        if (streq (flag, "--manual"))
            manual = true;
        else
        if (!takes_value) {
            fprintf (stderr, "leb: unknown option '%s'\n", flag);
            s_usage (stderr);
            return 2;
        }
        else
        if (index + 1 >= argc) {
            fprintf (stderr, "leb: %s needs a value\n", flag);
            return 2;
        }
        else {
            const char *value = argv [++index];
            if (streq (flag, "--region")) region = value;
            else if (streq (flag, "--gateway")) gateway = value;
            else if (streq (flag, "--db")) conninfo = value;
            else if (streq (flag, "--pki")) pki_dir = value;
            else if (streq (flag, "--signer")) signer = value;
            else if (streq (flag, "--regulations")) regulations = value;
            else http_address = value;
        }
    }
    if (strlen (region) != 9 || strspn (region, "0123456789") != 9) {
        fprintf (stderr, "leb: --region wants a 9-digit KATO code\n");
        return 2;
    }
    if (!*gateway || !*pki_dir || !*regulations) {
        fprintf (stderr, "leb: gateway, PKI folder and regulations must not be empty\n");
        return 2;
    }
    char participant [32], regional [32], signer_label [32], default_db [40];
    snprintf (participant, sizeof (participant), "leb-%s", region);
    snprintf (regional, sizeof (regional), "regional-%s", region);
    snprintf (signer_label, sizeof (signer_label), "org-%s", region);
    snprintf (default_db, sizeof (default_db), "dbname=leb_%s", region);
    if (!conninfo)
        conninfo = default_db;
    if (manual && !http_address)
        http_address = LEB_HTTP_DEFAULT;

    zsys_init ();
    zsys_set_logstream (stderr);
    shep_participant_config_t engine_config = {
        .gateway = gateway, .participant_id = participant, .conninfo = conninfo,
        .schema_sql = leb_schema_sql, .receive_async = true, .verbose = verbose
    };
    egov_error_t error;
    shep_participant_t *engine = shep_participant_new (&engine_config, NULL, &error);
    if (!engine) {
        fprintf (stderr, "leb: cannot start: %s %s (%s)\n", error.code, error.message, conninfo);
        return 1;
    }
    leb_config_t config = {
        .kato = region, .regional = regional, .pki_dir = pki_dir,
        .signer_label = signer ? signer : signer_label, .regulations = regulations,
        .manual = manual, .verbose = verbose
    };
    leb_server_t *server = leb_server_new (&config, engine, &error);
    leb_http_t *http = NULL;
    if (server && http_address) {
        leb_http_backend_t backend = leb_server_backend (server);
        http = leb_http_new (http_address, &backend, verbose, &error);
        if (!http)
            leb_server_destroy (&server);
    }
    if (server && leb_server_start (server, &error))
        leb_server_destroy (&server);
    if (!server) {
        fprintf (stderr, "leb: cannot start: %s %s\n", error.code, error.message);
        leb_http_destroy (&http);
        shep_participant_destroy (&engine);
        return 1;
    }
    shep_participant_set_service (engine, server);
    printf ("leb: %s ready, %s mode, gateway %s%s%s\n", participant,
            manual ? "manual" : "auto", gateway, http ? ", http " : "",
            http ? http_address : "");
    fflush (stdout);
    s_context_t context = { server, http };
    zloop_t *loop = zloop_new ();
    assert (loop);
    shep_participant_attach (engine, loop);
    zloop_timer (loop, s_TIMER_MS, 0, s_on_timer, &context);
    zloop_start (loop);
    zsys_info ("leb: %s stopping", participant);
    leb_http_destroy (&http);
    leb_server_destroy (&server);
    shep_participant_destroy (&engine);
    zloop_destroy (&loop);
    return 0;
}
