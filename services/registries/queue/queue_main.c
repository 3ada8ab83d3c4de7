/*  queue — the electronic register of the kindergarten waiting queue
    (балаларды кезекке қою бойынша электрондық Тізілім) stub: keeps the
    queues, numbers and referrals in its PostgreSQL database and answers
    queue.enqueue, queue.entry, queue.list and queue.release through the
    gateway, until Ctrl-C or SIGTERM.                                     */
#include "shep_client.h"
#include "egov_pki.h"
#include "shep_keys.h"
#include "egov_flags.h"
#include "egov_service.h"
#include "queue_actor.h"

static queue_options_t s_options;

static const egov_flag_t s_flags [] = {
    EGOV_FLAG_GATEWAY (s_options.gateway),
    EGOV_FLAG_KEYS (s_options.keys),
    { .name = "db", .env = "EGOV_QUEUE_DB", .value_name = "CONNINFO", .fallback = "dbname=queue",
      .help = "PostgreSQL conninfo", .target = &s_options.conninfo },
    EGOV_FLAG_PKI (s_options.pki_dir, "test CA folder: the provider's keys for signed answers"),
    EGOV_FLAG_REGULATIONS (s_options.regulations),
    { .name = "id", .value_name = "PARTICIPANT", .fallback = "queue",
      .help = "participant id at the gateway", .target = &s_options.participant },
    { .name = "verbose", .letter = 'v', .kind = EGOV_FLAG_SWITCH, .help = "log every request",
      .target = &s_options.verbose },
    { NULL }
};

int
main (int argc, char *argv [])
{
    egov_flags_t *flags = egov_flags_new ("queue", NULL, s_flags);
    int status;
    if (egov_flags_parse (flags, argc, argv, &status))
        status = egov_service_main (queue_actor, &s_options);
    egov_flags_destroy (&flags);
    return status;
}
