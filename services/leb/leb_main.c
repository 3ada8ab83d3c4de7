/*  leb — the local executive body (ЖАО АЖ, жергілікті атқарушы орган) of
    one region: receives the applications its regional gateway registered,
    runs the provider's steps from the catalogue as tasks (auto, or manual
    through the HTTP API), and sends status notices and the signed result
    back, until Ctrl-C or SIGTERM.  */
#include "leb_server.h"
#include "leb_http.h"
#include "egov_pki.h"
#include "egov_catalogue.h"
#include "egov_flags.h"

extern const char *leb_schema_sql;

#define s_TIMER_MS      20              //  business timers and the HTTP API

//  What the reactor handlers need.
typedef struct {
    leb_server_t *server;               //  the state machine
    leb_http_t *http;                   //  the manual-mode API, or NULL
} s_context_t;

//  What the command line and the environment set.
typedef struct {
    const char *region;             //  the KATO code served
    const char *gateway;            //  the central gateway
    const char *conninfo;           //  our database, or NULL for leb_KATO
    const char *pki_dir;            //  the test CA: the signer's key, trust anchors
    const char *signer;             //  the authorised person's certificate, or NULL for org-KATO
    const char *regulations;        //  catalogue and calendar
    bool manual;                    //  tasks wait for an integrator
    const char *http_address;       //  the task API, or NULL
    bool verbose;                   //  log every event
} s_options_t;

static s_options_t s_options;

static const egov_flag_t s_flags [] = {
    { .name = "region", .env = "EGOV_REGION", .value_name = "KATO", .required = true,
      .valid = egov_kato_valid, .expects = "the region's 9-digit KATO code",
      .help = "the region served, 9 digits", .target = &s_options.region },
    EGOV_FLAG_GATEWAY (s_options.gateway),
    { .name = "db", .env = "EGOV_LEB_DB", .value_name = "CONNINFO", .shown = "dbname=leb_KATO",
      .help = "PostgreSQL conninfo", .target = &s_options.conninfo },
    EGOV_FLAG_PKI (s_options.pki_dir, "PKI folder: the signer's key, trust anchors"),
    { .name = "signer", .value_name = "LABEL", .shown = "org-KATO",
      .help = "the authorised person's certificate", .target = &s_options.signer },
    EGOV_FLAG_REGULATIONS (s_options.regulations),
    { .name = "manual", .kind = EGOV_FLAG_SWITCH, .help = "tasks wait for an integrator (HTTP"
      " API) instead of completing after their catalogue duration", .target = &s_options.manual },
    { .name = "http", .value_name = "HOST:PORT", .shown = LEB_HTTP_DEFAULT " in manual mode",
      .help = "the HTTP API: always on in manual mode, read-only in auto mode when given",
      .target = &s_options.http_address },
    { .name = "verbose", .letter = 'v', .kind = EGOV_FLAG_SWITCH, .help = "log every event",
      .target = &s_options.verbose },
    { NULL }
};

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

//  Sets up the database, the server and the API, then runs the steps
//  until a signal; the exit status.
static int
s_run (const s_options_t *options)
{
    const char *region = options->region;
    char participant [32], regional [32], signer_label [32], default_db [40];
    snprintf (participant, sizeof (participant), "leb-%s", region);
    snprintf (regional, sizeof (regional), "regional-%s", region);
    snprintf (signer_label, sizeof (signer_label), "org-%s", region);
    snprintf (default_db, sizeof (default_db), "dbname=leb_%s", region);
    const char *conninfo = options->conninfo ? options->conninfo : default_db;
    const char *http_address = options->http_address;
    if (options->manual && !http_address)
        http_address = LEB_HTTP_DEFAULT;

    zsys_init ();
    zsys_set_logstream (stderr);
    shep_participant_config_t engine_config = {
        .gateway = options->gateway, .participant_id = participant, .conninfo = conninfo,
        .schema_sql = leb_schema_sql, .receive_async = true, .verbose = options->verbose
    };
    egov_error_t error;
    shep_participant_t *engine = shep_participant_new (&engine_config, NULL, &error);
    if (!engine) {
        fprintf (stderr, "leb: cannot start: %s %s (%s)\n", error.code, error.message, conninfo);
        return 1;
    }
    leb_config_t config = {
        .kato = region, .regional = regional, .pki_dir = options->pki_dir,
        .signer_label = options->signer ? options->signer : signer_label,
        .regulations = options->regulations,
        .manual = options->manual, .verbose = options->verbose
    };
    leb_server_t *server = leb_server_new (&config, engine, &error);
    leb_http_t *http = NULL;
    if (server && http_address) {
        leb_http_backend_t backend = leb_server_backend (server);
        http = leb_http_new (http_address, &backend, options->verbose, &error);
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
            options->manual ? "manual" : "auto", options->gateway, http ? ", http " : "",
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

int
main (int argc, char *argv [])
{
    egov_flags_t *flags = egov_flags_new ("leb", "--region KATO [options]", s_flags);
    egov_flags_set_notes (flags, "Participant id leb-KATO; notices and results go to"
                          " regional-KATO.");
    int status;
    if (egov_flags_parse (flags, argc, argv, &status))
        status = s_run (&s_options);
    egov_flags_destroy (&flags);
    return status;
}
