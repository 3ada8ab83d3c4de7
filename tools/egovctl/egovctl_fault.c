/*  egovctl_fault — `fault add|list|clear`: faults injected at the gateway
    into sync calls (a slow, failing or silent provider), for a test bench.
    Needs the gateway's `fault` right (gateway/rights.conf).              */
#include "egovctl.h"
#include "egovctl_json.h"

//  Prints the faults of a FaultListReply, one a line.
static void
s_print (const Egov__Shep__FaultListReply *reply)
{
    printf ("%-4s %-20s %-10s %-20s %8s %-16s %5s %6s %8s\n", "ID", "SERVICE", "ROUTE", "PROVIDER",
            "DELAY", "ERROR", "DROP", "TIMES", "MATCHED");
    for (size_t index = 0; index < reply->n_faults; index++) {
        const Egov__Shep__Fault *fault = reply->faults [index];
        char delay [16], drop [8], times [16];
        snprintf (delay, sizeof (delay), fault->delay_ms ? "%u ms" : "-", fault->delay_ms);
        snprintf (drop, sizeof (drop), fault->drop_pct ? "%u%%" : "-", fault->drop_pct);
        snprintf (times, sizeof (times), fault->times ? "%u" : "-", fault->times);
        printf ("%-4" PRIu64 " %-20s %-10s %-20s %8s %-16s %5s %6s %8u\n", fault->id,
                egovctl_or_dash (fault->service_id), egovctl_or_dash (fault->route_id),
                egovctl_or_dash (fault->participant_id), delay, egovctl_or_dash (fault->error_code),
                drop, times, fault->matched);
    }
}

int
egovctl_fault (egovctl_t *self)
{
    const char *verb = self->argument;
    Egov__Shep__Fault fault = EGOV__SHEP__FAULT__INIT;
    Egov__Shep__FaultAdd add = EGOV__SHEP__FAULT_ADD__INIT;
    Egov__Shep__FaultList list = EGOV__SHEP__FAULT_LIST__INIT;
    Egov__Shep__FaultClear clear = EGOV__SHEP__FAULT_CLEAR__INIT;
    Egov__Shep__Frame frame = EGOV__SHEP__FRAME__INIT;
    bool adding = streq (verb, "add"), clearing = streq (verb, "clear");
    bool filters = self->service || self->route || self->participant || self->fault_delay_ms
                || self->fault_error || self->fault_drop || self->fault_times;
    if (!adding && filters)
        return egovctl_fail_code (self, "USAGE", "only fault add takes --service, --route,"
                                  " --participant, --delay, --error, --drop and --times", EGOVCTL_USAGE);
    if (self->more_count && !clearing)
        return egovctl_fail_code (self, "USAGE", "only fault clear takes an id", EGOVCTL_USAGE);
    if (adding) {
        if (!self->service && !self->route && !self->participant)
            return egovctl_fail_code (self, "USAGE", "fault add needs --service, --route or"
                                      " --participant: which calls it applies to", EGOVCTL_USAGE);
        if (!self->fault_delay_ms && !self->fault_error && !self->fault_drop)
            return egovctl_fail_code (self, "USAGE", "fault add needs --delay, --error or --drop:"
                                      " what it does to them", EGOVCTL_USAGE);
        fault.service_id = (char *) (self->service ? self->service : "");
        fault.route_id = (char *) (self->route ? self->route : "");
        fault.participant_id = (char *) (self->participant ? self->participant : "");
        fault.delay_ms = (uint32_t) self->fault_delay_ms;
        fault.error_code = (char *) (self->fault_error ? self->fault_error : "");
        fault.drop_pct = (uint32_t) self->fault_drop;
        fault.times = (uint32_t) self->fault_times;
        add.fault = &fault;
        frame.body_case = EGOV__SHEP__FRAME__BODY_FAULT_ADD;
        frame.fault_add = &add;
    }
    else
    if (clearing) {
        if (self->more_count) {
            char *end = NULL;
            unsigned long long id = strtoull (self->more [0], &end, 10);
            if (!*self->more [0] || *end || id == 0)
                return egovctl_fail_code (self, "USAGE", "a fault id is a positive number", EGOVCTL_USAGE);
            clear.id = id;
        }
        frame.body_case = EGOV__SHEP__FRAME__BODY_FAULT_CLEAR;
        frame.fault_clear = &clear;
    }
    else
    if (streq (verb, "list")) {
        frame.body_case = EGOV__SHEP__FRAME__BODY_FAULT_LIST;
        frame.fault_list = &list;
    }
    else
        return egovctl_fail_code (self, "USAGE", "fault wants add, list or clear", EGOVCTL_USAGE);
    int exit_code = EGOVCTL_OK;
    Egov__Shep__Frame *answer = egovctl_ask (self, &frame, EGOV__SHEP__FRAME__BODY_FAULT_LIST_REPLY,
                                             &exit_code);
    if (!answer)
        return exit_code;
    const Egov__Shep__FaultListReply *reply = answer->fault_list_reply;
    if (self->json)
        exit_code = egovctl_json_print (egovctl_json_message (&reply->base), EGOVCTL_OK);
    else {
        if (adding && reply->n_faults)
            printf ("fault %" PRIu64 " added\n", reply->faults [reply->n_faults - 1]->id);
        else
        if (clearing)
            printf ("cleared; %zu faults left\n", reply->n_faults);
        s_print (reply);
    }
    egov__shep__frame__free_unpacked (answer, NULL);
    return exit_code;
}
