/*  egovctl_trace — `trace APPLICATION_ID`: one application's journey across
    the boxes of the diagram, one line per message from the gateway's log
    (sender -> recipient, type, service, how its delivery ended), with the
    steps of the channel's own history (the desk's or the portal's, asked
    through their sync service) merged in on the simulated clock, as text,
    as a Mermaid sequenceDiagram (--mermaid) or as JSON (--json).         */
#include "egovctl.h"
#include "egovctl_json.h"
#include "egovctl_time.h"

#define s_PAGE 1000

//  One message of the journey, from its log records.
typedef struct {
    char *message_id;
    int64_t sim_at_us;              //  its first record's moments
    int64_t logged_at_us;
    char *channel;                  //  sync or async
    char *from, *to;
    char *service;
    int type;                       //  Egov__MessageType
    char *status;                   //  forwarded, ON_DELIVERY, DELIVERED, an error code ...
    uint32_t attempts;              //  deliveries of an async message
} s_hop_t;

static void
s_hop_destroy (s_hop_t **self_p)
{
    s_hop_t *self = *self_p;
    if (self) {
        free (self->message_id);
        free (self->channel);
        free (self->from);
        free (self->to);
        free (self->service);
        free (self->status);
        free (self);
        *self_p = NULL;
    }
}

//  Folds one log record into the hops (hops keeps order; by_id finds them).
static void
s_fold (zlistx_t *hops, zhashx_t *by_id, const Egov__Shep__LogRecord *record)
{
    s_hop_t *hop = (s_hop_t *) zhashx_lookup (by_id, record->message_id);
    const char *note = record->note;
    if (!hop) {
        hop = (s_hop_t *) zmalloc (sizeof (s_hop_t));
        assert (hop);
        hop->message_id = strdup (record->message_id);
        hop->sim_at_us = record->sim_at_us;
        hop->logged_at_us = record->logged_at_us;
        hop->channel = strdup (record->channel);
        hop->from = strdup (record->sender_id);
        hop->to = strdup (record->recipient_id);
        hop->service = strdup (record->service_id);
        hop->type = record->message_type;
        hop->status = strdup (streq (note, "stored") ? "ON_DELIVERY" : *note ? note : "-");
        zlistx_add_end (hops, hop);
        zhashx_insert (by_id, hop->message_id, hop);
        return;
    }
    //  Later records say how it went: attempts, then the end of its delivery
    if (strncmp (note, "delivery attempt ", 17) == 0)
        hop->attempts = (uint32_t) atoi (note + 17);
    else
    if (streq (note, "DELIVERED") || streq (note, "DELIVERY_STOPPED") || streq (note, "NOT_DELIVERED")
    ||  (!streq (note, "stored") && !streq (note, "forwarded") && *note)) {
        free (hop->status);
        hop->status = strdup (note);
    }
}

//  Reads every record of correlation id into hops; the exit code.
static int
s_read (egovctl_t *self, const char *id, zlistx_t *hops, zhashx_t *by_id)
{
    Egov__Shep__LogQuery filter = EGOV__SHEP__LOG_QUERY__INIT;
    filter.correlation_id = (char *) id;
    filter.participant = "";
    Egov__Shep__Frame query = EGOV__SHEP__FRAME__INIT;
    query.body_case = EGOV__SHEP__FRAME__BODY_LOG_QUERY;
    query.log_query = &filter;
    int exit_code = EGOVCTL_OK;
    bool more = true;
    while (more) {
        filter.limit = s_PAGE;
        Egov__Shep__Frame *answer = egovctl_ask (self, &query, EGOV__SHEP__FRAME__BODY_LOG_REPLY,
                                                 &exit_code);
        if (!answer)
            return exit_code;
        uint64_t before = filter.after_seq;
        for (size_t index = 0; index < answer->log_reply->n_records; index++) {
            Egov__Shep__LogRecord *record = answer->log_reply->records [index];
            if (record->seq <= filter.after_seq)
                continue;
            filter.after_seq = record->seq;
            s_fold (hops, by_id, record);
        }
        more = answer->log_reply->more && filter.after_seq > before;
        egov__shep__frame__free_unpacked (answer, NULL);
    }
    return exit_code;
}

//  The Mermaid alias of participant name (p1, p2 ... in order of appearance).
static const char *
s_alias (zlistx_t *names, const char *name, char *alias, size_t size)
{
    size_t index = 1;
    for (const char *each = (const char *) zlistx_first (names); each;
         each = (const char *) zlistx_next (names), index++)
        if (streq (each, name))
            break;
    if (index > zlistx_size (names))
        zlistx_add_end (names, strdup (name));
    snprintf (alias, size, "p%zu", index);
    return alias;
}

//  A history step's text for a Mermaid note: no statement separators, no
//  entity codes, no line breaks.
static void
s_note_text (const char *text, char *out, size_t size)
{
    size_t used = 0;
    for (const char *c = text; *c && used + 1 < size; c++)
        out [used++] = *c == ';' || *c == '#' || *c == '\n' || *c == '\r' || *c == ':' ? ',' : *c;
    out [used] = 0;
}

//  text in width characters (UTF-8 code points, not bytes): cut at a
//  character's edge when longer, padded with spaces when shorter.
static void
s_column (const char *text, size_t width, char *out, size_t size)
{
    size_t used = 0, characters = 0;
    for (const unsigned char *c = (const unsigned char *) text; *c; ) {
        size_t length = *c < 0x80 ? 1 : (*c >> 5) == 6 ? 2 : (*c >> 4) == 14 ? 3 : (*c >> 3) == 30 ? 4 : 1;
        if (characters == width || used + length + 1 > size)
            break;
        for (size_t byte = 0; byte < length && c [byte]; byte++)
            out [used++] = (char) c [byte];
        c += length;
        characters++;
    }
    while (characters++ < width && used + 1 < size)
        out [used++] = ' ';
    out [used] = 0;
}

//  Whether the next thing is the step (else the hop), in the order they
//  happened: by wall time, since a jump of the simulation clock makes the
//  provider's steps carry their due moments, earlier than the messages that
//  report them.
static bool
s_step_first (const Egov__Applications__HistoryStep *step, const s_hop_t *hop)
{
    return step && (!hop || step->at_wall * 1000 <= hop->logged_at_us);
}

//  The journey as a Mermaid sequenceDiagram: one participant per box; the
//  channel's history steps as notes over the channel.
static void
s_mermaid (zlistx_t *hops, const Egov__Applications__ApplicationState *state, const char *channel)
{
    zlistx_t *names = zlistx_new ();
    zlistx_set_destructor (names, (zlistx_destructor_fn *) zstr_free);
    char alias [16];
    //  The boxes first, in the order they appear
    for (s_hop_t *hop = (s_hop_t *) zlistx_first (hops); hop; hop = (s_hop_t *) zlistx_next (hops)) {
        s_alias (names, hop->from, alias, sizeof (alias));
        s_alias (names, hop->to, alias, sizeof (alias));
    }
    printf ("sequenceDiagram\n");
    size_t index = 1;
    for (const char *name = (const char *) zlistx_first (names); name;
         name = (const char *) zlistx_next (names), index++)
        printf ("    participant p%zu as %s\n", index, name);
    size_t next_step = 0, steps = state ? state->n_history : 0;
    s_hop_t *hop = (s_hop_t *) zlistx_first (hops);
    while (hop || next_step < steps) {
        const Egov__Applications__HistoryStep *step = next_step < steps ? state->history [next_step] : NULL;
        if (s_step_first (step, hop)) {
            char where [16], text [512];
            s_alias (names, channel, where, sizeof (where));
            s_note_text (step->step, text, sizeof (text));
            printf ("    Note over %s: %s %s\n", where, step->status, text);
            next_step++;
            continue;
        }
        char from [16], to [16];
        s_alias (names, hop->from, from, sizeof (from));
        s_alias (names, hop->to, to, sizeof (to));
        bool sync = streq (hop->channel, "sync");
        const char *arrow = !sync ? "-)" : hop->type == EGOV__MESSAGE_TYPE__RESPONSE ? "-->>" : "->>";
        printf ("    %s%s%s: %s %s (%s)\n", from, arrow, to, hop->service,
                egov_message_type_name (hop->type), hop->status);
        hop = (s_hop_t *) zlistx_next (hops);
    }
    zlistx_destroy (&names);
}

int
egovctl_trace (egovctl_t *self)
{
    const char *id = self->argument;
    zlistx_t *hops = zlistx_new ();
    zlistx_set_destructor (hops, (zlistx_destructor_fn *) s_hop_destroy);
    zhashx_t *by_id = zhashx_new ();
    int exit_code = s_read (self, id, hops, by_id);
    //  The channel's own history, when a channel holds the application and
    //  we may ask it; the log alone otherwise
    const char *service = NULL;
    Egov__Applications__ApplicationState *state = exit_code == EGOVCTL_OK && zlistx_size (hops)
        ? egovctl_application_find (self, id, true, &service) : NULL;
    char channel [64] = "";
    if (service)
        snprintf (channel, sizeof (channel), "%.*s", (int) (strchr (service, '.') - service), service);
    size_t steps = state ? state->n_history : 0;
    char sim [48], wall [48];
    if (exit_code == EGOVCTL_OK && zlistx_size (hops) == 0)
        exit_code = egovctl_fail_code (self, "NOT_FOUND", "the message log has nothing under this id",
                                       EGOVCTL_NEGATIVE);
    else
    if (exit_code == EGOVCTL_OK && self->json) {
        json_t *list = json_array ();
        for (s_hop_t *hop = (s_hop_t *) zlistx_first (hops); hop; hop = (s_hop_t *) zlistx_next (hops))
            json_array_append_new (list, json_pack ("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:i}",
                "message_id", hop->message_id, "simulated", egovctl_time_text (hop->sim_at_us, sim, sizeof (sim)),
                "wall", egovctl_time_text (hop->logged_at_us, wall, sizeof (wall)), "channel", hop->channel,
                "from", hop->from, "to", hop->to, "service", hop->service,
                "type", egov_message_type_name (hop->type), "status", hop->status,
                "attempts", (int) hop->attempts));
        json_t *history = json_array ();
        for (size_t index = 0; index < steps; index++) {
            const Egov__Applications__HistoryStep *step = state->history [index];
            json_array_append_new (history, json_pack ("{s:s, s:s, s:o, s:o, s:o, s:o, s:o}",
                "simulated", egovctl_time_text (step->at * 1000, sim, sizeof (sim)),
                "wall", egovctl_time_text (step->at_wall * 1000, wall, sizeof (wall)),
                "status", egovctl_json_text (step->status), "step", egovctl_json_text (step->step),
                "role", egovctl_json_text (step->role), "actor", egovctl_json_text (step->actor),
                "note", egovctl_json_text (step->note)));
        }
        exit_code = egovctl_json_print (json_pack ("{s:s, s:s?, s:o, s:o}", "id", id,
                                                   "channel", *channel ? channel : NULL,
                                                   "hops", list, "steps", history), EGOVCTL_OK);
    }
    else
    if (exit_code == EGOVCTL_OK && self->mermaid)
        s_mermaid (hops, state, channel);
    else
    if (exit_code == EGOVCTL_OK) {
        printf ("%-29s  %-29s  %-5s  %-40s %-12s %-24s %s\n", "SIMULATED", "WALL", "CHAN",
                "FROM -> TO", "TYPE", "SERVICE", "STATUS");
        size_t next_step = 0;
        s_hop_t *hop = (s_hop_t *) zlistx_first (hops);
        while (hop || next_step < steps) {
            const Egov__Applications__HistoryStep *step = next_step < steps ? state->history [next_step] : NULL;
            if (s_step_first (step, hop)) {
                //  A step of the channel's history: who did it, the status, what
                char who [320], column [320];
                snprintf (who, sizeof (who), "%s%s%s%s%s", channel, *step->role ? ": " : "", step->role,
                          *step->actor ? " " : "", step->actor);
                s_column (who, 40, column, sizeof (column));
                printf ("%-29s  %-29s  %-5s  %s %-12s %s\n",
                        egovctl_time_text (step->at * 1000, sim, sizeof (sim)),
                        egovctl_time_text (step->at_wall * 1000, wall, sizeof (wall)), "step", column,
                        step->status, step->step);
                next_step++;
                continue;
            }
            char route [160];
            snprintf (route, sizeof (route), "%s -> %s", hop->from, hop->to);
            printf ("%-29s  %-29s  %-5s  %-40s %-12s %-24s %s\n",
                    egovctl_time_text (hop->sim_at_us, sim, sizeof (sim)),
                    egovctl_time_text (hop->logged_at_us, wall, sizeof (wall)), hop->channel, route,
                    egov_message_type_name (hop->type), hop->service, hop->status);
            hop = (s_hop_t *) zlistx_next (hops);
        }
    }
    egov__applications__application_state__free_unpacked (state, NULL);
    zhashx_destroy (&by_id);
    zlistx_destroy (&hops);
    return exit_code;
}
