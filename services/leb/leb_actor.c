/*  leb_actor — the local executive body as an actor.  */
#include "leb_actor.h"
#include "leb_server.h"
#include "leb_http.h"
#include "egov_service.h"
#include "egov_pki.h"

extern const char *leb_schema_sql;

#define s_TIMER_MS      20              //  business timers and the HTTP API

//  What the reactor handlers need.
typedef struct {
    leb_server_t *server;               //  the state machine
    leb_http_t *http;                   //  the manual-mode API, or NULL
} s_context_t;

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

void
leb_actor (zsock_t *pipe, void *argument)
{
    const leb_options_t *options = (const leb_options_t *) argument;
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

    shep_participant_config_t engine_config = {
        .gateway = options->gateway, .keys = options->keys, .participant_id = participant,
        .conninfo = conninfo,
        .schema_sql = leb_schema_sql, .receive_async = true, .verbose = options->verbose
    };
    egov_error_t error;
    shep_participant_t *engine = shep_participant_new (&engine_config, NULL, &error);
    if (!engine) {
        fprintf (stderr, "leb: cannot start: %s %s (%s)\n", error.code, error.message, conninfo);
        egov_service_ready (pipe, false);
        return;
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
        egov_service_ready (pipe, false);
        return;
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
    leb_server_attach (server, loop);
    zloop_timer (loop, s_TIMER_MS, 0, s_on_timer, &context);
    egov_service_ready (pipe, true);
    egov_service_serve (pipe, loop, NULL, NULL);
    zsys_info ("leb: %s stopping", participant);
    leb_http_destroy (&http);
    leb_server_destroy (&server);
    shep_participant_destroy (&engine);
    zloop_destroy (&loop);
}


//  ---------------------------------------------------------------------
//  Selftest: the gateway and the local executive body as actors in this
//  process, a regional gateway's stand-in on the wire

#include "shep_server.h"
#include "egov_clock.h"
#include "applications.pb-c.h"

//  An application.registered for leb-750000000, as regional-750000000 sends it.
static Egov__Envelope *
s_test_registered (const char *correlation_id)
{
    Egov__Applications__Application application = EGOV__APPLICATIONS__APPLICATION__INIT;
    application.application_id = (char *) correlation_id;
    application.service = "externat-permit";
    application.region = "750000000";
    application.channel = EGOV__APPLICATIONS__CHANNEL__STATE_CORPORATION;
    application.applicant_iin = "850314301234";
    application.applicant_name = "Асқаров Ерлан Серікұлы";
    application.receipt_number = "R-1";
    Egov__Applications__Registration registration = EGOV__APPLICATIONS__REGISTRATION__INIT;
    registration.registration_number = "750000000-2026-000001";
    registration.signature_outcome = "OK";
    Egov__Applications__RegisteredApplication registered =
        EGOV__APPLICATIONS__REGISTERED_APPLICATION__INIT;
    registered.registration = &registration;
    registered.application = &application;
    Egov__Envelope *envelope = egov_envelope_new ("application.registered",
                                                  EGOV__MESSAGE_TYPE__REQUEST);
    egov_string_set (&envelope->correlation_id, correlation_id);
    egov_string_set (&envelope->recipient_id, "leb-750000000");
    egov_envelope_set_payload (envelope, &registered.base);
    return envelope;
}

void
leb_actor_test (bool verbose)
{
    if (verbose)
        printf (" * leb_actor: ");
    const char *base = getenv ("EGOV_TEST_DB");
    if (!base || !*base) {
        printf (verbose ? "(skipped: EGOV_TEST_DB unset) OK\n"
                        : "leb_actor: skipped: EGOV_TEST_DB unset\n");
        return;
    }
    PGconn *admin = PQconnectdb (base);
    assert (PQstatus (admin) == CONNECTION_OK);
    PQclear (PQexec (admin, "DROP SCHEMA IF EXISTS leb_actor_leb CASCADE;"
                            "CREATE SCHEMA leb_actor_leb"));
    char leb_db [600];
    snprintf (leb_db, sizeof (leb_db), "%s options='-c search_path=leb_actor_leb'", base);
    char pki_dir [] = "/tmp/leb-actor-test-XXXXXX";
    assert (mkdtemp (pki_dir));
    egov_pki_t *pki = egov_pki_new (pki_dir);
    egov_error_t error;
    assert (egov_pki_ensure (pki, NULL, &error) == 0);
    egov_pki_destroy (&pki);

    //  The gateway, on a port of its choosing
    shep_server_test_t gateway;
    assert (shep_server_test_start (&gateway, base, "leb_actor_gateway") == 0);
    const char *endpoint = gateway.endpoint;
    assert (strncmp (endpoint, "tcp://127.0.0.1:", 16) == 0);
    assert (shep_server_test_admit (&gateway, "leb-750000000") == 0);
    assert (shep_server_test_admit (&gateway, "regional-750000000") == 0);

    //  The local executive body, started as its main starts it
    leb_options_t options = {
        .region = "750000000", .gateway = endpoint, .keys = gateway.keys, .conninfo = leb_db,
        .pki_dir = pki_dir,
        .regulations = egov_env ("EGOV_REGULATIONS", "regulations")
    };
    zactor_t *leb = egov_service_start (leb_actor, &options);
    assert (leb);
    //  ... a body that cannot start says so, and is no actor
    leb_options_t broken = options;
    broken.region = "999999999";
    assert (!egov_service_start (leb_actor, &broken));

    //  The regional gateway's stand-in hands it an application over the wire
    shep_client_t *regional = shep_client_new (endpoint, "regional-750000000");
    shep_client_serve_route (regional, "750000000");
    shep_client_set_receive_async (regional, true);
    assert (shep_client_use_keys (regional, gateway.keys, &error) == 0);
    assert (shep_client_connect (regional, 5000) == 0);
    Egov__Envelope *registered = s_test_registered ("leb-actor-1");
    Egov__DeliveryStatus status;
    int rc = -1;
    for (int attempt = 0; attempt < 50 && rc; attempt++) {
        //  The leb says hello without waiting: until the gateway knows it, try again
        rc = shep_client_submit (regional, registered, 0, 2000, &status, &error);
        if (rc)
            zclock_sleep (100);
    }
    assert (rc == 0);
    egov__envelope__free_unpacked (registered, NULL);
    //  ... and gets the notice that the first step started, from leb-750000000
    Egov__Shep__Frame *frame = NULL;
    int64_t deadline = zclock_mono () + 10000;
    while (!frame && zclock_mono () < deadline) {
        frame = shep_client_recv (regional, 500);
        if (frame && frame->body_case != EGOV__SHEP__FRAME__BODY_DELIVER) {
            egov__shep__frame__free_unpacked (frame, NULL);
            frame = NULL;
        }
    }
    assert (frame);
    const Egov__Envelope *notice = frame->deliver->envelope;
    assert (streq (notice->service_id, "application.status"));
    assert (streq (notice->sender_id, "leb-750000000") && streq (notice->correlation_id, "leb-actor-1"));
    shep_client_ack (regional, notice->message_id, NULL, NULL);
    egov__shep__frame__free_unpacked (frame, NULL);

    shep_client_destroy (&regional);
    zactor_destroy (&leb);
    shep_server_test_stop (&gateway);
    egov_pki_remove (pki_dir);
    PQclear (PQexec (admin, "DROP SCHEMA leb_actor_leb CASCADE"));
    PQfinish (admin);
    egov_clock_reset ();
    if (verbose)
        printf ("OK\n");
}
