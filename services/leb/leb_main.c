/*  leb — the local executive body (ЖАО АЖ, жергілікті атқарушы орган) of
    one region: receives the applications its regional gateway registered,
    runs the provider's steps from the catalogue as tasks (auto, or manual
    through the HTTP API), and sends status notices and the signed result
    back, until Ctrl-C or SIGTERM.  */
#include "leb_actor.h"
#include "leb_http.h"
#include "egov_pki.h"
#include "egov_catalogue.h"
#include "egov_flags.h"
#include "shep_keys.h"
#include "egov_service.h"
#include "shep_client.h"

static leb_options_t s_options;

static const egov_flag_t s_flags [] = {
    { .name = "region", .env = "EGOV_REGION", .value_name = "KATO", .required = true,
      .valid = egov_kato_valid, .expects = "the region's 9-digit KATO code",
      .help = "the region served, 9 digits", .target = &s_options.region },
    EGOV_FLAG_GATEWAY (s_options.gateway),
    EGOV_FLAG_KEYS (s_options.keys),
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

int
main (int argc, char *argv [])
{
    egov_flags_t *flags = egov_flags_new ("leb", "--region KATO [options]", s_flags);
    egov_flags_set_notes (flags, "Participant id leb-KATO; notices and results go to"
                          " regional-KATO.");
    int status;
    if (egov_flags_parse (flags, argc, argv, &status)) {
        zsys_init ();
        zsys_set_logstream (stderr);
        status = egov_service_main (leb_actor, &s_options);
    }
    egov_flags_destroy (&flags);
    return status;
}
