/*  shep — the central e-government gateway (ЭҮШ) process.  */
#include "shep_server.h"
#include "egov_service.h"
#include "egov_flags.h"
#include "shep_keys.h"

//  What the command line and the environment set.
typedef struct {
    const char *endpoint;           //  where participants connect
    const char *conninfo;           //  the gateway's database
    const char *keys;               //  CURVE keys folder
    const char *rights;             //  access rights file
    int64_t max_message;            //  bytes
    int64_t timeout_ms;             //  default sync deadline
    int64_t ttl_ms;                 //  default async time to live
    int64_t redeliver_ms;           //  resend unacknowledged deliveries after
    int64_t heartbeat_ms;           //  period participants keep
    int64_t window;                 //  deliveries in flight per recipient
    int64_t max_calls;              //  sync calls waiting at once
    int64_t max_queued;             //  async messages waiting for a commit
    int64_t max_queued_bytes;       //  their bytes, and those waiting for delivery
    int64_t clock_start_ms;         //  first start of the simulation clock, when given
    const char *metrics;            //  HOST:PORT of GET /metrics and /health, or NULL
    bool verbose;                   //  log every gateway error answered
} s_options_t;

static s_options_t s_options;

//  The bounds and periods: a positive number that fits the server's fields.
#define s_POSITIVE  .kind = EGOV_FLAG_NUMBER, .min = 1, .max = UINT32_MAX

static const egov_flag_t s_flags [] = {
    { .name = "endpoint", .env = "EGOV_SHEP_ENDPOINT", .value_name = "ENDPOINT",
      .fallback = "tcp://127.0.0.1:7700", .help = "where participants connect",
      .target = &s_options.endpoint },
    { .name = "db", .env = "EGOV_SHEP_DB", .value_name = "CONNINFO", .fallback = "dbname=shep",
      .help = "the gateway's PostgreSQL database", .target = &s_options.conninfo },
    EGOV_FLAG_KEYS (s_options.keys),
    { .name = "rights", .kind = EGOV_FLAG_PATH, .env = "EGOV_RIGHTS", .value_name = "FILE",
      .fallback = SHEP_RIGHTS_DEFAULT, .help = "who may do what on the gateway (docs/security.md)",
      .target = &s_options.rights },
    { .name = "max-message", s_POSITIVE, .env = "EGOV_SHEP_MAX_MESSAGE", .value_name = "BYTES",
      .fallback = "1048576", .help = "largest message accepted", .target = &s_options.max_message },
    { .name = "timeout", s_POSITIVE, .env = "EGOV_SHEP_TIMEOUT", .value_name = "MS",
      .fallback = "5000", .help = "default sync call deadline", .target = &s_options.timeout_ms },
    { .name = "ttl", s_POSITIVE, .env = "EGOV_SHEP_TTL", .value_name = "MS",
      .fallback = "86400000", .help = "default async time to live", .target = &s_options.ttl_ms },
    { .name = "redeliver", s_POSITIVE, .env = "EGOV_SHEP_REDELIVER", .value_name = "MS",
      .fallback = "5000", .help = "resend unacknowledged deliveries after",
      .target = &s_options.redeliver_ms },
    { .name = "heartbeat", s_POSITIVE, .env = "EGOV_SHEP_HEARTBEAT", .value_name = "MS",
      .fallback = "1000", .help = "heartbeat period participants keep",
      .target = &s_options.heartbeat_ms },
    { .name = "window", s_POSITIVE, .env = "EGOV_SHEP_WINDOW", .value_name = "N",
      .fallback = "256", .help = "deliveries in flight per recipient", .target = &s_options.window },
    { .name = "max-calls", s_POSITIVE, .env = "EGOV_SHEP_MAX_CALLS", .value_name = "N",
      .fallback = "50000", .help = "sync calls waiting at once", .target = &s_options.max_calls },
    { .name = "max-queued", s_POSITIVE, .env = "EGOV_SHEP_MAX_QUEUED", .value_name = "N",
      .fallback = "20000", .help = "async messages waiting for a commit",
      .target = &s_options.max_queued },
    { .name = "max-queued-bytes", s_POSITIVE, .env = "EGOV_SHEP_MAX_QUEUED_BYTES", .value_name = "BYTES",
      .fallback = "16777216", .help = "bytes of async messages held in memory waiting for a commit,"
      " and apart those waiting for delivery (the rest wait in the database)",
      .target = &s_options.max_queued_bytes },
    { .name = "clock-start", .kind = EGOV_FLAG_MOMENT, .env = "EGOV_SHEP_CLOCK_START",
      .value_name = "TIME", .help = "on a first start (no clock saved yet), begin the simulation"
      " clock at TIME, ISO 8601, Almaty time unless an offset is given",
      .target = &s_options.clock_start_ms },
    { .name = "metrics", .env = "EGOV_SHEP_METRICS", .value_name = "HOST:PORT",
      .help = "serve GET /metrics (Prometheus' text format) and GET /health over HTTP there",
      .target = &s_options.metrics },
    { .name = "verbose", .letter = 'v', .kind = EGOV_FLAG_SWITCH,
      .help = "log every gateway error answered", .target = &s_options.verbose },
    { NULL }
};

//  Runs the gateway's actor until a signal; the exit status.
static int
s_run (const s_options_t *options, bool clock_start_set)
{
    shep_config_t config;
    shep_config_defaults (&config);
    config.endpoint = options->endpoint;
    config.conninfo = options->conninfo;
    config.keys = options->keys;
    config.rights = options->rights;
    config.max_message_size = (uint32_t) options->max_message;
    config.sync_timeout_ms = (uint32_t) options->timeout_ms;
    config.async_ttl_ms = (uint32_t) options->ttl_ms;
    config.redeliver_ms = (uint32_t) options->redeliver_ms;
    config.heartbeat_ms = (uint32_t) options->heartbeat_ms;
    config.window = (uint32_t) options->window;
    config.max_calls = (uint32_t) options->max_calls;
    config.max_queued = (uint32_t) options->max_queued;
    config.max_queued_bytes = (uint32_t) options->max_queued_bytes;
    config.clock_start_set = clock_start_set;
    config.clock_start_ms = options->clock_start_ms;
    config.metrics_address = options->metrics && *options->metrics ? options->metrics : NULL;
    config.verbose = options->verbose;

    zsys_init ();
    zsys_set_logident ("shep");
    return egov_service_main (shep_server_actor, &config);
}

int
main (int argc, char *argv [])
{
    egov_flags_t *flags = egov_flags_new ("shep", NULL, s_flags);
    int status;
    if (egov_flags_parse (flags, argc, argv, &status))
        status = s_run (&s_options, egov_flags_given (flags, "clock-start"));
    egov_flags_destroy (&flags);
    return status;
}
