/*  gbdfl — the state database of individuals (ЖТ ММБ / ГБД ФЛ) stub
    registry: seeds its PostgreSQL database at first start, loads it, and
    answers gbdfl.person through the gateway until Ctrl-C or SIGTERM.   */
#include "gbdfl_server.h"
#include "gbdfl_seed.h"
#include "egov_db.h"
#include "egov_flags.h"
#include "shep_keys.h"
#include "egov_service.h"
#include "gbdfl_actor.h"

static gbdfl_options_t s_options;

static const egov_flag_t s_flags [] = {
    EGOV_FLAG_GATEWAY (s_options.gateway),
    EGOV_FLAG_KEYS (s_options.keys),
    { .name = "db", .env = "EGOV_GBDFL_DB", .value_name = "CONNINFO", .fallback = "dbname=gbdfl",
      .help = "PostgreSQL conninfo", .target = &s_options.conninfo },
    { .name = "population", .kind = EGOV_FLAG_NUMBER, .env = "EGOV_GBDFL_POPULATION",
      .value_name = "N", .fallback = EGOV_FLAGS_TEXT (GBDFL_POPULATION_DEFAULT),
      .min = 0, .max = GBDFL_POPULATION_MAX,
      .help = "synthetic people to seed into an empty database, besides the fixed ones",
      .target = &s_options.population },
    { .name = "id", .value_name = "PARTICIPANT", .fallback = "gbdfl",
      .help = "participant id at the gateway", .target = &s_options.participant },
    { .name = "verbose", .letter = 'v', .kind = EGOV_FLAG_SWITCH, .help = "log every request",
      .target = &s_options.verbose },
    { NULL }
};

int
main (int argc, char *argv [])
{
    egov_flags_t *flags = egov_flags_new ("gbdfl", NULL, s_flags);
    int status;
    if (egov_flags_parse (flags, argc, argv, &status))
        status = egov_service_main (gbdfl_actor, &s_options);
    egov_flags_destroy (&flags);
    return status;
}
