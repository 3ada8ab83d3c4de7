/*  egov_lifecycle — the application's statuses and the one table of the
    changes each event may make.                                         */
#include "egov_lifecycle.h"

#define S_COUNT 9                   //  statuses, STATUS_UNSPECIFIED included

//  Short names for the table.
#define ACC EGOV__APPLICATIONS__STATUS__ACCEPTED
#define SNT EGOV__APPLICATIONS__STATUS__SENT
#define REG EGOV__APPLICATIONS__STATUS__REGISTERED
#define PRG EGOV__APPLICATIONS__STATUS__IN_PROGRESS
#define RDY EGOV__APPLICATIONS__STATUS__READY
#define RFS EGOV__APPLICATIONS__STATUS__REFUSED
#define ISS EGOV__APPLICATIONS__STATUS__ISSUED
#define RET EGOV__APPLICATIONS__STATUS__RETURNED_TO_PROVIDER

//  One row: in status from, event (carrying to, or any for 0) moves the
//  application to next (0: keeps it as it is).
typedef struct {
    egov_status_t from;
    egov_event_t event;
    egov_status_t to;               //  the status the event carries; 0: any
    egov_status_t next;             //  0: keep
} s_row_t;

//  Every change an event may make; an event in a status it names nowhere
//  is refused. Late events keep the status: rows with next 0.
static const s_row_t s_table [] = {
    //  The central gateway stored the request
    { ACC, EGOV_EVENT_SENT, 0, SNT },
    { SNT, EGOV_EVENT_SENT, 0, 0 }, { REG, EGOV_EVENT_SENT, 0, 0 }, { PRG, EGOV_EVENT_SENT, 0, 0 },
    { RDY, EGOV_EVENT_SENT, 0, 0 }, { RFS, EGOV_EVENT_SENT, 0, 0 }, { ISS, EGOV_EVENT_SENT, 0, 0 },
    { RET, EGOV_EVENT_SENT, 0, 0 },
    //  The regional gateway registered it
    { ACC, EGOV_EVENT_NOTICE, REG, REG }, { SNT, EGOV_EVENT_NOTICE, REG, REG },
    { REG, EGOV_EVENT_NOTICE, REG, 0 }, { PRG, EGOV_EVENT_NOTICE, REG, 0 },
    { RDY, EGOV_EVENT_NOTICE, REG, 0 }, { RFS, EGOV_EVENT_NOTICE, REG, 0 },
    { ISS, EGOV_EVENT_NOTICE, REG, 0 }, { RET, EGOV_EVENT_NOTICE, REG, 0 },
    //  A provider step started or ended
    { ACC, EGOV_EVENT_NOTICE, PRG, PRG }, { SNT, EGOV_EVENT_NOTICE, PRG, PRG },
    { REG, EGOV_EVENT_NOTICE, PRG, PRG }, { PRG, EGOV_EVENT_NOTICE, PRG, 0 },
    { RDY, EGOV_EVENT_NOTICE, PRG, 0 }, { RFS, EGOV_EVENT_NOTICE, PRG, 0 },
    { ISS, EGOV_EVENT_NOTICE, PRG, 0 }, { RET, EGOV_EVENT_NOTICE, PRG, 0 },
    //  Refused: the registration (a failed signature) or a refusal notice
    { ACC, EGOV_EVENT_NOTICE, RFS, RFS }, { SNT, EGOV_EVENT_NOTICE, RFS, RFS },
    { REG, EGOV_EVENT_NOTICE, RFS, RFS }, { PRG, EGOV_EVENT_NOTICE, RFS, RFS },
    { RDY, EGOV_EVENT_NOTICE, RFS, 0 }, { RFS, EGOV_EVENT_NOTICE, RFS, 0 },
    { ISS, EGOV_EVENT_NOTICE, RFS, 0 }, { RET, EGOV_EVENT_NOTICE, RFS, 0 },
    //  READY comes with the result itself; a notice of it is history only
    { ACC, EGOV_EVENT_NOTICE, RDY, 0 }, { SNT, EGOV_EVENT_NOTICE, RDY, 0 },
    { REG, EGOV_EVENT_NOTICE, RDY, 0 }, { PRG, EGOV_EVENT_NOTICE, RDY, 0 },
    { RDY, EGOV_EVENT_NOTICE, RDY, 0 }, { RFS, EGOV_EVENT_NOTICE, RDY, 0 },
    { ISS, EGOV_EVENT_NOTICE, RDY, 0 }, { RET, EGOV_EVENT_NOTICE, RDY, 0 },
    //  The provider's result; once more after a recall
    { ACC, EGOV_EVENT_RESULT, RDY, RDY }, { SNT, EGOV_EVENT_RESULT, RDY, RDY },
    { REG, EGOV_EVENT_RESULT, RDY, RDY }, { PRG, EGOV_EVENT_RESULT, RDY, RDY },
    { RET, EGOV_EVENT_RESULT, RDY, RDY },
    { ACC, EGOV_EVENT_RESULT, RFS, RFS }, { SNT, EGOV_EVENT_RESULT, RFS, RFS },
    { REG, EGOV_EVENT_RESULT, RFS, RFS }, { PRG, EGOV_EVENT_RESULT, RFS, RFS },
    { RET, EGOV_EVENT_RESULT, RFS, RFS },
    { RDY, EGOV_EVENT_RESULT, 0, 0 }, { RFS, EGOV_EVENT_RESULT, 0, 0 },
    { ISS, EGOV_EVENT_RESULT, 0, 0 },
    //  Handed over, or sent back unclaimed
    { RDY, EGOV_EVENT_ISSUED, 0, ISS }, { RFS, EGOV_EVENT_ISSUED, 0, ISS },
    { ISS, EGOV_EVENT_ISSUED, 0, 0 },
    { RDY, EGOV_EVENT_RETURNED, 0, RET }, { RFS, EGOV_EVENT_RETURNED, 0, RET },
    { RET, EGOV_EVENT_RETURNED, 0, 0 },
};

static const char *s_events [] = { "sent", "notice", "result", "issued", "returned" };

egov_lifecycle_t
egov_lifecycle_decide (egov_status_t from, egov_event_t event, egov_status_t to,
                       egov_status_t *next, egov_error_t *error)
{
    assert (next);
    *next = from;
    //  A notice of a status the channel itself sets (ACCEPTED, SENT) comes
    //  late by nature: it is history, never a move back
    if (event == EGOV_EVENT_NOTICE && (to == ACC || to == SNT) && from >= ACC && from <= RET)
        return EGOV_LIFECYCLE_KEEP;
    for (size_t index = 0; index < sizeof (s_table) / sizeof (s_table [0]); index++) {
        const s_row_t *row = s_table + index;
        if (row->from != from || row->event != event || (row->to && row->to != to))
            continue;
        if (!row->next)
            return EGOV_LIFECYCLE_KEEP;
        *next = row->next;
        return EGOV_LIFECYCLE_MOVE;
    }
    egov_error_set (error, "STATUS_NOT_ALLOWED", "an application %s cannot take a %s%s%s",
                    egov_status_name (from), (unsigned) event < 5 ? s_events [event] : "?",
                    event == EGOV_EVENT_NOTICE || event == EGOV_EVENT_RESULT ? " of " : "",
                    event == EGOV_EVENT_NOTICE || event == EGOV_EVENT_RESULT
                    ? egov_status_name (to) : "");
    return EGOV_LIFECYCLE_REFUSE;
}

bool
egov_status_parse (const char *name, egov_status_t *status)
{
    const ProtobufCEnumValue *value = name
        ? protobuf_c_enum_descriptor_get_value_by_name (&egov__applications__status__descriptor, name)
        : NULL;
    if (!value || value->value == EGOV__APPLICATIONS__STATUS__STATUS_UNSPECIFIED)
        return false;
    *status = (egov_status_t) value->value;
    return true;
}

const char *
egov_status_name (egov_status_t status)
{
    const ProtobufCEnumValue *value =
        protobuf_c_enum_descriptor_get_value (&egov__applications__status__descriptor, (int) status);
    return value ? value->name : "STATUS_UNSPECIFIED";
}

bool
egov_status_decided (egov_status_t status)
{
    return status == RDY || status == RFS;
}

//  ---------------------------------------------------------------------
//  Selftest

void
egov_lifecycle_test (bool verbose)
{
    if (verbose)
        printf (" * egov_lifecycle: ");
    egov_status_t next;
    egov_error_t error;
    //  The way forward, event by event
    assert (egov_lifecycle_decide (ACC, EGOV_EVENT_SENT, 0, &next, &error) == EGOV_LIFECYCLE_MOVE
            && next == SNT);
    assert (egov_lifecycle_decide (SNT, EGOV_EVENT_NOTICE, REG, &next, &error) == EGOV_LIFECYCLE_MOVE
            && next == REG);
    assert (egov_lifecycle_decide (REG, EGOV_EVENT_NOTICE, PRG, &next, &error) == EGOV_LIFECYCLE_MOVE
            && next == PRG);
    assert (egov_lifecycle_decide (PRG, EGOV_EVENT_RESULT, RDY, &next, &error) == EGOV_LIFECYCLE_MOVE
            && next == RDY);
    assert (egov_lifecycle_decide (RDY, EGOV_EVENT_ISSUED, 0, &next, &error) == EGOV_LIFECYCLE_MOVE
            && next == ISS);
    //  The registration may overtake the gateway's receipt
    assert (egov_lifecycle_decide (ACC, EGOV_EVENT_NOTICE, REG, &next, &error) == EGOV_LIFECYCLE_MOVE);
    assert (egov_lifecycle_decide (REG, EGOV_EVENT_SENT, 0, &next, &error) == EGOV_LIFECYCLE_KEEP
            && next == REG);
    //  Never back: late notices keep the status
    assert (egov_lifecycle_decide (PRG, EGOV_EVENT_NOTICE, REG, &next, &error) == EGOV_LIFECYCLE_KEEP
            && next == PRG);
    assert (egov_lifecycle_decide (RDY, EGOV_EVENT_NOTICE, PRG, &next, &error) == EGOV_LIFECYCLE_KEEP);
    assert (egov_lifecycle_decide (REG, EGOV_EVENT_NOTICE, ACC, &next, &error) == EGOV_LIFECYCLE_KEEP
            && next == REG);
    assert (egov_lifecycle_decide (ISS, EGOV_EVENT_RESULT, RDY, &next, &error) == EGOV_LIFECYCLE_KEEP);
    //  READY only with the result; a refusal from any step before it
    assert (egov_lifecycle_decide (PRG, EGOV_EVENT_NOTICE, RDY, &next, &error) == EGOV_LIFECYCLE_KEEP
            && next == PRG);
    assert (egov_lifecycle_decide (SNT, EGOV_EVENT_NOTICE, RFS, &next, &error) == EGOV_LIFECYCLE_MOVE
            && next == RFS);
    //  Unclaimed and recalled
    assert (egov_lifecycle_decide (RFS, EGOV_EVENT_RETURNED, 0, &next, &error) == EGOV_LIFECYCLE_MOVE
            && next == RET);
    assert (egov_lifecycle_decide (RET, EGOV_EVENT_RESULT, RFS, &next, &error) == EGOV_LIFECYCLE_MOVE
            && next == RFS);
    //  What the table does not allow is a stable error
    assert (egov_lifecycle_decide (PRG, EGOV_EVENT_ISSUED, 0, &next, &error) == EGOV_LIFECYCLE_REFUSE
            && next == PRG && streq (error.code, "STATUS_NOT_ALLOWED")
            && strstr (error.message, "IN_PROGRESS"));
    assert (egov_lifecycle_decide (ACC, EGOV_EVENT_RETURNED, 0, &next, &error) == EGOV_LIFECYCLE_REFUSE);
    assert (egov_lifecycle_decide (PRG, EGOV_EVENT_NOTICE, ISS, &next, &error) == EGOV_LIFECYCLE_REFUSE
            && strstr (error.message, "notice of ISSUED"));
    assert (egov_lifecycle_decide (PRG, EGOV_EVENT_RESULT, PRG, &next, &error) == EGOV_LIFECYCLE_REFUSE);
    //  No event ever moves a status back along the way forward
    const egov_status_t order [] = { ACC, SNT, REG, PRG, RDY, ISS };
    for (size_t index = 0; index < sizeof (s_table) / sizeof (s_table [0]); index++) {
        const s_row_t *row = s_table + index;
        if (!row->next || row->from == RET || row->next == RET)
            continue;
        int from_rank = -1, next_rank = -1;
        for (int rank = 0; rank < 6; rank++) {
            if (order [rank] == row->from || (order [rank] == RDY && row->from == RFS))
                from_rank = rank;
            if (order [rank] == row->next || (order [rank] == RDY && row->next == RFS))
                next_rank = rank;
        }
        assert (from_rank >= 0 && next_rank > from_rank);
    }
    //  Names
    egov_status_t status;
    assert (egov_status_parse ("IN_PROGRESS", &status) && status == PRG);
    assert (!egov_status_parse ("in_progress", &status) && !egov_status_parse ("STATUS_UNSPECIFIED", &status));
    assert (!egov_status_parse (NULL, &status));
    assert (streq (egov_status_name (RET), "RETURNED_TO_PROVIDER"));
    assert (streq (egov_status_name ((egov_status_t) 42), "STATUS_UNSPECIFIED"));
    assert (egov_status_decided (RFS) && !egov_status_decided (ISS));
    if (verbose)
        printf ("OK\n");
}
