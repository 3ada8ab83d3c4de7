/*  egovctl_clock — the one simulation clock, as the gateway keeps it:
      clock show              the simulated time, speed, who changed it last
      clock set TIME          jump to a moment (forward; --force to go back)
      clock advance DURATION  jump forward: 90m, 36h, 31d
      clock speed FACTOR      1 real time, 3600 an hour a second, 0 paused
      clock real              back to real time at real speed (--force)
      clock timers DURATION.. waits for timers set that far ahead to fire,
                              printing each as it fires (to watch a jump)  */
#include "egovctl.h"
#include "egovctl_json.h"
#include "egov_clock.h"
#include "egov_calendar.h"

#define EGOVCTL_TIMERS_MAX  EGOVCTL_MORE_MAX

//  Prints a clock state, human or JSON; returns the exit code.
static int
s_print_state (egovctl_t *self, const Egov__Shep__ClockState *clock)
{
    egov_clock_state_t state = { clock->base_wall_ms, clock->base_sim_ms, clock->speed, clock->version };
    egov_clock_apply (&state);
    int64_t now = egov_clock_now_ms ();
    char sim [40], wall [40];
    egov_clock_format (now, sim, sizeof (sim));
    egov_clock_format (egov_now_ms (), wall, sizeof (wall));
    if (self->json) {
        json_t *object = egovctl_json_message (&clock->base);
        json_object_set_new (object, "simulated", json_string (sim));
        json_object_set_new (object, "simulated_ms", json_integer (now));
        json_object_set_new (object, "wall", json_string (wall));
        return egovctl_json_print (object, EGOVCTL_OK);
    }
    printf ("simulated  %s\n", sim);
    printf ("wall       %s\n", wall);
    if (clock->version == 0)
        printf ("speed      1 (real time, never changed)\n");
    else
        printf ("speed      %g%s\nversion    %" PRIu64 ", changed by %s\n", clock->speed,
                clock->speed == 0 ? " (paused)" : "", clock->version, egovctl_or_dash (clock->changed_by));
    return EGOVCTL_OK;
}

static int
s_clock_ask (egovctl_t *self, Egov__Shep__Frame *query)
{
    int exit_code = EGOVCTL_OK;
    Egov__Shep__Frame *answer = egovctl_ask (self, query, EGOV__SHEP__FRAME__BODY_CLOCK_STATE, &exit_code);
    if (!answer)
        return exit_code;
    exit_code = s_print_state (self, answer->clock_state);
    egov__shep__frame__free_unpacked (answer, NULL);
    return exit_code;
}

static void
s_fired (uint64_t timer_id, int64_t due_ms, void *argument)
{
    egovctl_t *self = (egovctl_t *) argument;
    char due [40], now [40];
    egov_clock_format (due_ms, due, sizeof (due));
    egov_clock_format (egov_clock_now_ms (), now, sizeof (now));
    if (self->json)
        printf ("{\"timer\": %" PRIu64 ", \"due\": \"%s\", \"fired_at\": \"%s\"}\n", timer_id, due, now);
    else
        printf ("timer %" PRIu64 " due %s fired at %s\n", timer_id, due, now);
    fflush (stdout);
}

//  Sets timers ahead of the simulated time and waits until all fired,
//  following clock changes from the gateway (at most 10 minutes of wall time).
static int
s_clock_timers (egovctl_t *self)
{
    egov_timers_t *timers = egov_timers_new ();
    int64_t start = egov_clock_now_ms ();
    for (int index = 0; index < self->more_count; index++) {
        int64_t ahead;
        if (!egov_clock_parse_duration (self->more [index], &ahead)) {
            egov_timers_destroy (&timers);
            return egovctl_fail_code (self, "USAGE", "clock timers wants durations like 90m, 36h, 31d", EGOVCTL_USAGE);
        }
        egov_timers_add (timers, start + ahead, s_fired, self);
    }
    if (!self->json) {
        printf ("waiting for %zu timers\n", egov_timers_size (timers));
        fflush (stdout);
    }
    int64_t give_up = egov_now_ms () + 600000;
    while (egov_timers_size (timers) && egov_now_ms () < give_up) {
        Egov__Shep__Frame *frame = shep_client_recv (self->client, 20);
        if (frame)
            egov__shep__frame__free_unpacked (frame, NULL);
        shep_client_tick (self->client);
        egov_timers_fire (timers);
    }
    int exit_code = egov_timers_size (timers) ? EGOVCTL_NEGATIVE : EGOVCTL_OK;
    egov_timers_destroy (&timers);
    return exit_code;
}

int
egovctl_simulated_now (egovctl_t *self, int64_t *now)
{
    Egov__Shep__ClockQuery query = EGOV__SHEP__CLOCK_QUERY__INIT;
    Egov__Shep__Frame frame = EGOV__SHEP__FRAME__INIT;
    frame.body_case = EGOV__SHEP__FRAME__BODY_CLOCK_QUERY;
    frame.clock_query = &query;
    int exit_code = EGOVCTL_OK;
    Egov__Shep__Frame *answer = egovctl_ask (self, &frame, EGOV__SHEP__FRAME__BODY_CLOCK_STATE, &exit_code);
    if (!answer)
        return exit_code;
    egov_clock_state_t state = { answer->clock_state->base_wall_ms, answer->clock_state->base_sim_ms,
                                 answer->clock_state->speed, answer->clock_state->version };
    egov_clock_apply (&state);
    egov__shep__frame__free_unpacked (answer, NULL);
    *now = egov_clock_now_ms ();
    return EGOVCTL_OK;
}

//  The end of the Nth working day after today on the providers' calendar
//  (the moment a deadline of N working days counted from now falls due).
static int
s_working_days (egovctl_t *self, const char *text, int64_t *target)
{
    egov_duration_t duration;
    if (!egov_duration_parse (text, &duration))
        return egovctl_fail_code (self, "USAGE", "clock advance wants working days like 15wd", EGOVCTL_USAGE);
    char directory [2048], path [2200];
    const char *chosen = getenv ("EGOV_REGULATIONS");
    if (!chosen)
        chosen = egov_repo_path ("regulations", directory, sizeof (directory));
    snprintf (path, sizeof (path), "%s/calendar/kz.json", chosen);
    egov_error_t error;
    egov_calendar_t *calendar = egov_calendar_new (path, &error);
    if (!calendar)
        return egovctl_fail (self, &error, EGOVCTL_LOCAL_ERROR);
    //  Today's simulated time, as the gateway has it
    int64_t now = 0;
    int exit_code = egovctl_simulated_now (self, &now);
    if (exit_code == EGOVCTL_OK) {
        egov_due_t due = { 0 };
        if (egov_calendar_due (calendar, EGOV_CHANNEL_OFFICE, now, duration, &due, &error))
            *target = due.due_ms;
        else
            exit_code = egovctl_fail (self, &error, EGOVCTL_ERROR);
        egov_due_reset (&due);
    }
    egov_calendar_destroy (&calendar);
    return exit_code;
}

//  How quiet "settled" is: this many checks in a row, this far apart, with
//  nothing new in the message log and nothing delivered unacknowledged.
#define s_SETTLE_CHECKS     4
#define s_SETTLE_STEP_MS    250
#define s_SETTLE_MAX_MS     (120 * 1000)

//  Records logged since after_seq (the first call: since since_ms); moves after_seq.
static int
s_new_records (egovctl_t *self, int64_t since_ms, uint64_t *after_seq, size_t *count)
{
    Egov__Shep__LogQuery filter = EGOV__SHEP__LOG_QUERY__INIT;
    filter.correlation_id = "";
    filter.participant = "";
    filter.since_ms = *after_seq ? 0 : since_ms;
    filter.after_seq = *after_seq;
    filter.limit = 1000;
    Egov__Shep__Frame query = EGOV__SHEP__FRAME__INIT;
    query.body_case = EGOV__SHEP__FRAME__BODY_LOG_QUERY;
    query.log_query = &filter;
    int exit_code = EGOVCTL_OK;
    Egov__Shep__Frame *answer = egovctl_ask (self, &query, EGOV__SHEP__FRAME__BODY_LOG_REPLY, &exit_code);
    if (!answer)
        return exit_code;
    *count = 0;
    for (size_t index = 0; index < answer->log_reply->n_records; index++)
        if (answer->log_reply->records [index]->seq > *after_seq) {
            *after_seq = answer->log_reply->records [index]->seq;
            (*count)++;
        }
    egov__shep__frame__free_unpacked (answer, NULL);
    return EGOVCTL_OK;
}

//  Deliveries made and not yet acknowledged, over every participant.
static int
s_in_flight (egovctl_t *self, uint64_t *in_flight)
{
    Egov__Shep__ParticipantsQuery participants = EGOV__SHEP__PARTICIPANTS_QUERY__INIT;
    Egov__Shep__Frame query = EGOV__SHEP__FRAME__INIT;
    query.body_case = EGOV__SHEP__FRAME__BODY_PARTICIPANTS_QUERY;
    query.participants_query = &participants;
    int exit_code = EGOVCTL_OK;
    Egov__Shep__Frame *answer = egovctl_ask (self, &query, EGOV__SHEP__FRAME__BODY_PARTICIPANTS_REPLY,
                                             &exit_code);
    if (!answer)
        return exit_code;
    *in_flight = 0;
    for (size_t index = 0; index < answer->participants_reply->n_participants; index++)
        *in_flight += answer->participants_reply->participants [index]->in_flight;
    egov__shep__frame__free_unpacked (answer, NULL);
    return EGOVCTL_OK;
}

//  Waits until the system is quiet after a change of the clock: the timers
//  it made due have fired and what they sent was delivered, so nothing new
//  crosses the gateway for a second and nothing waits for an acknowledgement.
static int
s_settle (egovctl_t *self, int64_t since_ms)
{
    uint64_t after_seq = 0, in_flight = 0;
    int quiet = 0;
    int64_t deadline = zclock_mono () + s_SETTLE_MAX_MS;
    size_t seen = 0;
    while (quiet < s_SETTLE_CHECKS) {
        if (zclock_mono () > deadline)
            return egovctl_fail_code (self, "NOT_SETTLED", "messages still crossed the gateway two"
                                      " minutes after the change", EGOVCTL_ERROR);
        zclock_sleep (s_SETTLE_STEP_MS);
        size_t count = 0;
        int exit_code = s_new_records (self, since_ms, &after_seq, &count);
        if (!exit_code)
            exit_code = s_in_flight (self, &in_flight);
        if (exit_code)
            return exit_code;
        seen += count;
        quiet = count == 0 && in_flight == 0 ? quiet + 1 : 0;
    }
    if (!self->json)
        printf ("settled: %zu messages crossed the gateway, nothing in flight\n", seen);
    return EGOVCTL_OK;
}

int
egovctl_clock (egovctl_t *self)
{
    const char *verb = self->argument;
    Egov__Shep__ClockSet set = EGOV__SHEP__CLOCK_SET__INIT;
    Egov__Shep__ClockQuery query = EGOV__SHEP__CLOCK_QUERY__INIT;
    Egov__Shep__Frame frame = EGOV__SHEP__FRAME__INIT;
    frame.body_case = EGOV__SHEP__FRAME__BODY_CLOCK_SET;
    frame.clock_set = &set;
    set.force = self->force;
    const char *value = self->more_count ? self->more [0] : NULL;
    bool wants_value = streq (verb, "set") || streq (verb, "advance") || streq (verb, "speed");
    if (streq (verb, "timers")) {
        if (!self->more_count)
            return egovctl_fail_code (self, "USAGE", "clock timers wants one or more durations", EGOVCTL_USAGE);
        return s_clock_timers (self);
    }
    if (wants_value ? self->more_count != 1 : self->more_count != 0)
        return egovctl_fail_code (self, "USAGE", wants_value ? "give exactly one value"
                                  : "this takes no value", EGOVCTL_USAGE);
    if (streq (verb, "show")) {
        frame.body_case = EGOV__SHEP__FRAME__BODY_CLOCK_QUERY;
        frame.clock_query = &query;
    }
    else
    if (streq (verb, "set")) {
        if (!egov_clock_parse (value, &set.set_sim_ms))
            return egovctl_fail_code (self, "USAGE", "clock set wants a time like 2026-09-01T09:00 (Almaty time)", EGOVCTL_USAGE);
    }
    else
    if (streq (verb, "advance")) {
        size_t length = strlen (value);
        if (length > 2 && streq (value + length - 2, "wd")) {
            int exit_code = s_working_days (self, value, &set.set_sim_ms);
            if (exit_code)
                return exit_code;
        }
        else
        if (!egov_clock_parse_duration (value, &set.advance_ms) || set.advance_ms == 0)
            return egovctl_fail_code (self, "USAGE", "clock advance wants a duration like 90m, 36h, 31d, 15wd", EGOVCTL_USAGE);
    }
    else
    if (streq (verb, "speed")) {
        char *end = NULL;
        set.speed = strtod (value, &end);
        if (!*value || *end || !(set.speed >= 0))
            return egovctl_fail_code (self, "USAGE", "clock speed wants a factor: 1 real time, 3600 an hour a second, 0 paused", EGOVCTL_USAGE);
        set.speed_only = true;
    }
    else
    if (streq (verb, "real"))
        set.real = true;
    else
        return egovctl_fail_code (self, "USAGE", "clock wants show, set, advance, speed, real or timers", EGOVCTL_USAGE);
    if (self->settle && (streq (verb, "show")))
        return egovctl_fail_code (self, "USAGE", "--settle follows a change of the clock", EGOVCTL_USAGE);
    int64_t started = egov_now_ms ();
    int exit_code = s_clock_ask (self, &frame);
    if (exit_code == EGOVCTL_OK && self->settle)
        exit_code = s_settle (self, started);
    return exit_code;
}
