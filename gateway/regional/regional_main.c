/*  regional — the regional gateway (ЭҮӨШ, "электрондық үкіметтің" өңірлік
    шлюзі) of one region: serves the region's route at the central gateway,
    registers each incoming electronic document and carries messages
    between the channels and the region's local executive body, until
    Ctrl-C or SIGTERM.                                                   */
#include "regional_server.h"
#include "egov_pki.h"
#include "egov_catalogue.h"
#include "egov_flags.h"
#include "shep_keys.h"
#include "egov_service.h"
#include "regional_actor.h"

//  True when text is a participant id the gateway accepts.
static bool
s_participant_valid (const char *text)
{
    size_t length = strlen (text);
    return length > 0 && length <= 64
        && strspn (text, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:@-") == length;
}

static regional_options_t s_options;

//  --id and --leb: ids the gateway accepts
#define s_PARTICIPANT   .valid = s_participant_valid, \
                        .expects = "a participant id: 1-64 of A-Za-z0-9._:@-"

static const egov_flag_t s_flags [] = {
    { .name = "region", .env = "EGOV_REGION", .value_name = "KATO", .required = true,
      .valid = egov_kato_valid, .expects = "the region's 9-digit KATO code",
      .help = "the region served, 9 digits: our route id", .target = &s_options.region },
    EGOV_FLAG_GATEWAY (s_options.gateway),
    EGOV_FLAG_KEYS (s_options.keys),
    { .name = "db", .env = "EGOV_REGIONAL_DB", .value_name = "CONNINFO",
      .shown = "dbname=regional_KATO", .help = "PostgreSQL conninfo",
      .target = &s_options.conninfo },
    EGOV_FLAG_PKI (s_options.pki_dir, "test CA folder for e-signature checks"),
    EGOV_FLAG_REGULATIONS (s_options.regulations),
    { .name = "id", s_PARTICIPANT, .value_name = "PARTICIPANT", .shown = "regional-KATO",
      .help = "participant id at the gateway", .target = &s_options.participant },
    { .name = "leb", s_PARTICIPANT, .value_name = "PARTICIPANT", .shown = "leb-KATO",
      .help = "the region's local executive body", .target = &s_options.leb },
    { .name = "verbose", .letter = 'v', .kind = EGOV_FLAG_SWITCH,
      .help = "log every delivery", .target = &s_options.verbose },
    { NULL }
};

int
main (int argc, char *argv [])
{
    egov_flags_t *flags = egov_flags_new ("regional", "--region KATO [options]", s_flags);
    int status;
    if (egov_flags_parse (flags, argc, argv, &status))
        status = egov_service_main (regional_actor, &s_options);
    egov_flags_destroy (&flags);
    return status;
}
