/*  intake — the State Corporation operator's desk (МК АЖ): an HTTP/JSON API
    for operator terminals in front of the gateway (Diagram 1). Parses the
    flags and runs the desk's actor (intake_actor: the regulations, the
    participant runtime, the demo operators, the API) until Ctrl-C or
    SIGTERM.                                                               */
#include "intake_http.h"
#include "egov_clock.h"
#include "egov_pki.h"
#include "egov_flags.h"
#include "shep_keys.h"
#include "egov_service.h"
#include "intake_actor.h"

static intake_options_t s_options;

static const egov_flag_t s_flags [] = {
    EGOV_FLAG_GATEWAY (s_options.gateway),
    EGOV_FLAG_KEYS (s_options.keys),
    { .name = "office", .env = "EGOV_INTAKE_OFFICE", .value_name = "KATO",
      .help = "be the office of this region's provider (participant office-KATO) instead of"
              " the State Corporation's desk", .target = &s_options.office },
    { .name = "db", .env = "EGOV_INTAKE_DB", .value_name = "CONNINFO", .fallback = "dbname=intake",
      .help = "PostgreSQL conninfo", .target = &s_options.conninfo },
    { .name = "http", .env = "EGOV_INTAKE_HTTP", .value_name = "HOST:PORT",
      .fallback = INTAKE_DEFAULT_HTTP, .help = "HTTP API address",
      .target = &s_options.http_address },
    EGOV_FLAG_PKI (s_options.pki_dir, "PKI folder: operators' keys, trust anchors"),
    EGOV_FLAG_REGULATIONS (s_options.regulations),
    { .name = "openapi", .kind = EGOV_FLAG_PATH, .env = "EGOV_INTAKE_OPENAPI",
      .value_name = "FILE", .fallback = "services/intake/openapi.json",
      .help = "the OpenAPI document to serve", .target = &s_options.openapi_path },
    { .name = "www", .kind = EGOV_FLAG_PATH, .env = "EGOV_INTAKE_WWW", .value_name = "DIR",
      .fallback = "services/intake/www", .help = "the operator's desk page",
      .target = &s_options.www },
    { .name = "lock-after", .kind = EGOV_FLAG_NUMBER, .env = "EGOV_INTAKE_LOCK_AFTER",
      .value_name = "N", .fallback = "5", .min = 1, .max = 1000,
      .help = "wrong passwords in a row that lock an operator's login", .target = &s_options.lock_after },
    { .name = "lock-for", .kind = EGOV_FLAG_DURATION, .env = "EGOV_INTAKE_LOCK_FOR",
      .value_name = "DURATION", .fallback = "15m",
      .help = "how long it stays locked, e.g. 15m or 2000ms", .target = &s_options.lock_ms },
    { .name = "verbose", .letter = 'v', .kind = EGOV_FLAG_SWITCH, .help = "log every step",
      .target = &s_options.verbose },
    { NULL }
};

int
main (int argc, char *argv [])
{
    egov_flags_t *flags = egov_flags_new ("intake", NULL, s_flags);
    int status;
    if (egov_flags_parse (flags, argc, argv, &status))
        status = egov_service_main (intake_actor, &s_options);
    egov_flags_destroy (&flags);
    return status;
}
