/*  portal — the citizen portal (ЭҮП, "электрондық үкімет" веб-порталы):
    the HTTP/JSON API for portal frontends and the reference frontend, in
    front of the gateway (Diagram 2). Parses the flags and runs the
    portal's actor (portal_actor: the regulations, the participant runtime,
    the API) until Ctrl-C or SIGTERM.                                    */
#include "portal_http.h"
#include "egov_clock.h"
#include "egov_pki.h"
#include "egov_flags.h"
#include "shep_keys.h"
#include "egov_service.h"
#include "portal_actor.h"

static portal_options_t s_options;

static const egov_flag_t s_flags [] = {
    EGOV_FLAG_GATEWAY (s_options.gateway),
    EGOV_FLAG_KEYS (s_options.keys),
    { .name = "db", .env = "EGOV_PORTAL_DB", .value_name = "CONNINFO", .fallback = "dbname=portal",
      .help = "PostgreSQL conninfo", .target = &s_options.conninfo },
    { .name = "http", .env = "EGOV_PORTAL_HTTP", .value_name = "HOST:PORT",
      .fallback = PORTAL_DEFAULT_HTTP, .help = "HTTP address",
      .target = &s_options.http_address },
    EGOV_FLAG_PKI (s_options.pki_dir, "PKI folder: trust anchors and CRL"),
    EGOV_FLAG_REGULATIONS (s_options.regulations),
    { .name = "www", .kind = EGOV_FLAG_PATH, .env = "EGOV_PORTAL_WWW", .value_name = "DIR",
      .fallback = "services/portal/www", .help = "the reference frontend",
      .target = &s_options.www },
    { .name = "openapi", .kind = EGOV_FLAG_PATH, .env = "EGOV_PORTAL_OPENAPI",
      .value_name = "FILE", .fallback = "services/portal/openapi.json",
      .help = "the OpenAPI document", .target = &s_options.openapi_path },
    { .name = "session-ttl", .kind = EGOV_FLAG_DURATION, .env = "EGOV_PORTAL_SESSION_TTL",
      .value_name = "DURATION", .fallback = "30m", .help = "how long a login lasts, e.g. 30m",
      .target = &s_options.session_ms },
    { .name = "lock-after", .kind = EGOV_FLAG_NUMBER, .env = "EGOV_PORTAL_LOCK_AFTER",
      .value_name = "N", .fallback = "5", .min = 1, .max = 1000,
      .help = "wrong passwords in a row that lock an account", .target = &s_options.lock_after },
    { .name = "lock-for", .kind = EGOV_FLAG_DURATION, .env = "EGOV_PORTAL_LOCK_FOR",
      .value_name = "DURATION", .fallback = "15m",
      .help = "how long it stays locked, e.g. 15m or 2000ms", .target = &s_options.lock_ms },
    { .name = "registry-timeout", .kind = EGOV_FLAG_NUMBER, .value_name = "MS",
      .fallback = "5000", .min = 100, .max = 600000,
      .help = "a look-up in the registry of individuals",
      .target = &s_options.registry_timeout_ms },
    { .name = "verbose", .letter = 'v', .kind = EGOV_FLAG_SWITCH, .help = "log every step",
      .target = &s_options.verbose },
    { NULL }
};

int
main (int argc, char *argv [])
{
    egov_flags_t *flags = egov_flags_new ("portal", NULL, s_flags);
    int status;
    if (egov_flags_parse (flags, argc, argv, &status))
        status = egov_service_main (portal_actor, &s_options);
    egov_flags_destroy (&flags);
    return status;
}
