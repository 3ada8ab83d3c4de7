/*  shep — the central e-government gateway (ЭҮШ) process.  */
#include "shep_server.h"

static void
s_usage (FILE *out)
{
    fprintf (out,
        "usage: shep [options]\n"
        "  --endpoint ENDPOINT   where participants connect (EGOV_SHEP_ENDPOINT, default tcp://127.0.0.1:7700)\n"
        "  --db CONNINFO         the gateway's PostgreSQL database (EGOV_SHEP_DB, default dbname=shep)\n"
        "  --max-message BYTES   largest message accepted (EGOV_SHEP_MAX_MESSAGE, default 1048576)\n"
        "  --timeout MS          default sync call deadline (EGOV_SHEP_TIMEOUT, default 5000)\n"
        "  --ttl MS              default async time to live (EGOV_SHEP_TTL, default 86400000)\n"
        "  --redeliver MS        resend unacknowledged deliveries after (EGOV_SHEP_REDELIVER, default 5000)\n"
        "  --heartbeat MS        heartbeat period participants keep (EGOV_SHEP_HEARTBEAT, default 1000)\n"
        "  --window N            deliveries in flight per recipient (EGOV_SHEP_WINDOW, default 256)\n"
        "  --max-calls N         sync calls waiting at once (EGOV_SHEP_MAX_CALLS, default 50000)\n"
        "  --max-queued N        async messages waiting for a commit (EGOV_SHEP_MAX_QUEUED, default 20000)\n"
        "  --clock-start TIME    on a first start (no clock saved yet), begin the simulation clock at\n"
        "                        TIME, ISO 8601, Almaty time unless an offset is given (EGOV_SHEP_CLOCK_START)\n"
        "  --verbose             log every gateway error answered\n");
}

//  Parses a positive number option; exits with a clear message otherwise.
static uint32_t
s_number (const char *name, const char *text)
{
    char *end = NULL;
    unsigned long value = strtoul (text, &end, 10);
    if (!*text || *end || value == 0 || value > UINT32_MAX) {
        fprintf (stderr, "shep: %s needs a positive number, not '%s'\n", name, text);
        exit (64);
    }
    return (uint32_t) value;
}

int
main (int argc, char *argv [])
{
    shep_config_t config;
    shep_config_defaults (&config);
    config.endpoint = egov_env ("EGOV_SHEP_ENDPOINT", config.endpoint);
    config.conninfo = egov_env ("EGOV_SHEP_DB", config.conninfo);
    const char *names [] = { "--max-message", "--timeout", "--ttl", "--redeliver", "--heartbeat",
                             "--window", "--max-calls", "--max-queued" };
    const char *envs [] = { "EGOV_SHEP_MAX_MESSAGE", "EGOV_SHEP_TIMEOUT", "EGOV_SHEP_TTL",
                            "EGOV_SHEP_REDELIVER", "EGOV_SHEP_HEARTBEAT", "EGOV_SHEP_WINDOW",
                            "EGOV_SHEP_MAX_CALLS", "EGOV_SHEP_MAX_QUEUED" };
    uint32_t *fields [] = { &config.max_message_size, &config.sync_timeout_ms, &config.async_ttl_ms,
                            &config.redeliver_ms, &config.heartbeat_ms, &config.window,
                            &config.max_calls, &config.max_queued };
    size_t count = sizeof (names) / sizeof (names [0]);
    for (size_t index = 0; index < count; index++)
        if (getenv (envs [index]) && *getenv (envs [index]))
            *fields [index] = s_number (envs [index], getenv (envs [index]));

    const char *clock_start = egov_env ("EGOV_SHEP_CLOCK_START", "");
    for (int arg = 1; arg < argc; arg++) {
        const char *option = argv [arg];
        const char *value = arg + 1 < argc ? argv [arg + 1] : NULL;
        bool matched = false;
        if (streq (option, "--help") || streq (option, "-h")) {
            s_usage (stdout);
            return 0;
        }
        if (streq (option, "--verbose")) {
            config.verbose = true;
            continue;
        }
        if (!value) {
            fprintf (stderr, "shep: unknown option or missing value: %s\n", option);
            s_usage (stderr);
            return 64;
        }
        if (streq (option, "--endpoint"))
            config.endpoint = value, matched = true;
        else
        if (streq (option, "--db"))
            config.conninfo = value, matched = true;
        else
        if (streq (option, "--clock-start"))
            clock_start = value, matched = true;
        for (size_t index = 0; index < count && !matched; index++)
            if (streq (option, names [index])) {
                *fields [index] = s_number (names [index], value);
                matched = true;
            }
        if (!matched) {
            fprintf (stderr, "shep: unknown option: %s\n", option);
            s_usage (stderr);
            return 64;
        }
        arg++;
    }
    if (*clock_start) {
        if (!egov_clock_parse (clock_start, &config.clock_start_ms)) {
            fprintf (stderr, "shep: --clock-start wants an ISO 8601 moment, not '%s'\n", clock_start);
            return 64;
        }
        config.clock_start_set = true;
    }
    zsys_init ();
    zsys_set_logident ("shep");
    shep_server_t *server = shep_server_new (&config);
    if (!server) {
        fprintf (stderr, "shep: cannot start (see the messages above)\n");
        return 1;
    }
    shep_server_run (server);
    shep_server_destroy (&server);
    return 0;
}
