/*  regional — the regional gateway (ЭҮӨШ, "электрондық үкіметтің" өңірлік
    шлюзі) of one region: serves the region's route at the central gateway,
    registers each incoming electronic document and carries messages
    between the channels and the region's local executive body, until
    Ctrl-C or SIGTERM.                                                   */
#include "regional_server.h"
#include "egov_pki.h"
#include "egov_catalogue.h"
#include "egov_flags.h"

extern const char *regional_schema_sql;


//  True when text is a participant id the gateway accepts.
static bool
s_participant_valid (const char *text)
{
    size_t length = strlen (text);
    return length > 0 && length <= 64
        && strspn (text, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:@-") == length;
}

//  What the command line and the environment set.
typedef struct {
    const char *region;             //  the KATO code served: our route id
    const char *gateway;            //  the central gateway
    const char *conninfo;           //  our database, or NULL for regional_KATO
    const char *pki_dir;            //  the test CA, for e-signature checks
    const char *participant;        //  our id at the gateway, or NULL for regional-KATO
    const char *leb;                //  the region's local executive body, or NULL for leb-KATO
    bool verbose;                   //  log every delivery
} s_options_t;

static s_options_t s_options;

//  --id and --leb: ids the gateway accepts
#define s_PARTICIPANT   .valid = s_participant_valid, \
                        .expects = "a participant id: 1-64 of A-Za-z0-9._:@-"

static const egov_flag_t s_flags [] = {
    { .name = "region", .env = "EGOV_REGION", .value_name = "KATO", .required = true,
      .valid = egov_kato_valid, .expects = "the region's 9-digit KATO code",
      .help = "the region served, 9 digits: our route id", .target = &s_options.region },
    EGOV_FLAG_GATEWAY (s_options.gateway),
    { .name = "db", .env = "EGOV_REGIONAL_DB", .value_name = "CONNINFO",
      .shown = "dbname=regional_KATO", .help = "PostgreSQL conninfo",
      .target = &s_options.conninfo },
    EGOV_FLAG_PKI (s_options.pki_dir, "test CA folder for e-signature checks"),
    { .name = "id", s_PARTICIPANT, .value_name = "PARTICIPANT", .shown = "regional-KATO",
      .help = "participant id at the gateway", .target = &s_options.participant },
    { .name = "leb", s_PARTICIPANT, .value_name = "PARTICIPANT", .shown = "leb-KATO",
      .help = "the region's local executive body", .target = &s_options.leb },
    { .name = "verbose", .letter = 'v', .kind = EGOV_FLAG_SWITCH,
      .help = "log every delivery", .target = &s_options.verbose },
    { NULL }
};

//  Opens the verifier and the database, then carries messages until a
//  signal; the exit status.
static int
s_run (const s_options_t *options)
{
    const char *route = options->region;
    char default_db [32], default_id [32], default_leb [32];
    snprintf (default_db, sizeof (default_db), "dbname=regional_%s", route);
    snprintf (default_id, sizeof (default_id), "regional-%s", route);
    snprintf (default_leb, sizeof (default_leb), "leb-%s", route);
    const char *conninfo = options->conninfo ? options->conninfo : default_db;
    const char *participant = options->participant ? options->participant : default_id;
    const char *leb = options->leb ? options->leb : default_leb;
    const char *gateway = options->gateway;

    zsys_init ();
    egov_error_t error;
    egov_cms_verifier_t *verifier = egov_cms_verifier_new (options->pki_dir, &error);
    if (!verifier) {
        fprintf (stderr, "regional: cannot check e-signatures: %s %s (egovctl pki init makes"
                 " the test CA)\n", error.code, error.message);
        return 1;
    }
    const char *routes [] = { route, NULL };
    shep_participant_config_t engine_config = {
        .gateway = gateway, .participant_id = participant, .conninfo = conninfo,
        .schema_sql = regional_schema_sql, .routes = routes, .receive_async = true,
        .verbose = options->verbose
    };
    shep_participant_t *engine = shep_participant_new (&engine_config, NULL, &error);
    if (!engine) {
        fprintf (stderr, "regional: cannot set up the database (%s): %s %s\n", conninfo,
                 error.code, error.message);
        egov_cms_verifier_destroy (&verifier);
        return 1;
    }
    regional_server_t *server = regional_server_new (route, engine, verifier);
    regional_server_set_id (server, participant);
    regional_server_set_leb (server, leb);
    regional_server_set_verbose (server, options->verbose);
    shep_participant_set_service (engine, server);
    printf ("regional: %s ready for route %s, leb %s, gateway %s\n", participant, route, leb, gateway);
    fflush (stdout);
    zloop_t *loop = zloop_new ();
    assert (loop);
    shep_participant_attach (engine, loop);
    zloop_start (loop);
    zsys_info ("regional: %s stopping", participant);
    regional_server_destroy (&server);
    shep_participant_destroy (&engine);
    zloop_destroy (&loop);
    egov_cms_verifier_destroy (&verifier);
    return 0;
}

int
main (int argc, char *argv [])
{
    egov_flags_t *flags = egov_flags_new ("regional", "--region KATO [options]", s_flags);
    int status;
    if (egov_flags_parse (flags, argc, argv, &status))
        status = s_run (&s_options);
    egov_flags_destroy (&flags);
    return status;
}
