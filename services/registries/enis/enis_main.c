/*  enis — the unified notarial system (БНАЖ / ЕНИС) stub registry: seeds
    its PostgreSQL database at first start and answers enis.poa through the
    gateway, asking the database on every request, until Ctrl-C or SIGTERM.  */
#include "enis_server.h"
#include "egov_db.h"
#include "egov_flags.h"
#include "shep_keys.h"
#include "egov_service.h"
#include "enis_actor.h"

static enis_options_t s_options;

static const egov_flag_t s_flags [] = {
    EGOV_FLAG_GATEWAY (s_options.gateway),
    EGOV_FLAG_KEYS (s_options.keys),
    { .name = "db", .env = "EGOV_ENIS_DB", .value_name = "CONNINFO", .fallback = "dbname=enis",
      .help = "PostgreSQL conninfo", .target = &s_options.conninfo },
    { .name = "id", .value_name = "PARTICIPANT", .fallback = "enis",
      .help = "participant id at the gateway", .target = &s_options.participant },
    { .name = "verbose", .letter = 'v', .kind = EGOV_FLAG_SWITCH, .help = "log every request",
      .target = &s_options.verbose },
    { NULL }
};

int
main (int argc, char *argv [])
{
    egov_flags_t *flags = egov_flags_new ("enis", NULL, s_flags);
    int status;
    if (egov_flags_parse (flags, argc, argv, &status))
        status = egov_service_main (enis_actor, &s_options);
    egov_flags_destroy (&flags);
    return status;
}
