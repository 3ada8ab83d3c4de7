/*  egov_clock — the simulation clock and its timers.  */
#include "egov_clock.h"
#include "egov_util.h"
#include <pthread.h>
#include <math.h>

#define EGOV_ALMATY_OFFSET_MS (5 * 3600 * 1000LL)
//  Earliest moment egov_clock_format shows: 0001-01-01T00:00:00Z.
#define s_FORMAT_MIN_MS (-62135596800000LL)

static pthread_mutex_t s_mutex = PTHREAD_MUTEX_INITIALIZER;
static egov_clock_state_t s_state = { 0, 0, 1.0, 0 };     //  version 0: real time

int64_t
egov_clock_state_at (const egov_clock_state_t *state, int64_t wall_ms)
{
    if (state->version == 0)
        return wall_ms;
    //  In double, clamped before it turns back into an integer: a fast clock
    //  left running long enough would otherwise overflow
    double elapsed = ((double) wall_ms - (double) state->base_wall_ms) * state->speed;
    if (!(elapsed < (double) (EGOV_CLOCK_MAX_MS - state->base_sim_ms)))
        return EGOV_CLOCK_MAX_MS;
    if (!(elapsed > (double) (EGOV_CLOCK_MIN_MS - state->base_sim_ms)))
        return EGOV_CLOCK_MIN_MS;
    return state->base_sim_ms + (int64_t) llround (elapsed);
}

bool
egov_clock_state_valid (const egov_clock_state_t *state)
{
    return state->base_sim_ms >= EGOV_CLOCK_MIN_MS && state->base_sim_ms <= EGOV_CLOCK_MAX_MS
        && state->base_wall_ms >= EGOV_CLOCK_MIN_MS && state->base_wall_ms <= EGOV_CLOCK_MAX_MS
        && state->speed >= 0 && state->speed <= EGOV_CLOCK_SPEED_MAX;
}

int64_t
egov_clock_now_ms (void)
{
    return egov_clock_at_wall (egov_now_ms ());
}

int64_t
egov_clock_at_wall (int64_t wall_ms)
{
    pthread_mutex_lock (&s_mutex);
    int64_t sim = egov_clock_state_at (&s_state, wall_ms);
    pthread_mutex_unlock (&s_mutex);
    return sim;
}

int64_t
egov_clock_wall_of (int64_t sim_ms)
{
    egov_clock_state_t state = egov_clock_state ();
    if (state.version == 0)
        return sim_ms;
    if (state.speed <= 0)
        return -1;
    double wall = (double) state.base_wall_ms + ceil (((double) sim_ms - (double) state.base_sim_ms) / state.speed);
    return wall > (double) EGOV_CLOCK_MAX_MS ? -1 : wall < 0 ? 0 : (int64_t) wall;
}

egov_clock_state_t
egov_clock_state (void)
{
    pthread_mutex_lock (&s_mutex);
    egov_clock_state_t state = s_state;
    pthread_mutex_unlock (&s_mutex);
    return state;
}

bool
egov_clock_apply (const egov_clock_state_t *state)
{
    if (!egov_clock_state_valid (state))
        return false;
    pthread_mutex_lock (&s_mutex);
    bool newer = state->version > s_state.version;
    if (newer)
        s_state = *state;
    pthread_mutex_unlock (&s_mutex);
    return newer;
}

void
egov_clock_reset (void)
{
    pthread_mutex_lock (&s_mutex);
    s_state = (egov_clock_state_t) { 0, 0, 1.0, 0 };
    pthread_mutex_unlock (&s_mutex);
}

void
egov_clock_hold_at (const char *moment)
{
    egov_clock_state_t state = egov_clock_state ();
    int64_t sim_ms = 0;
    bool parsed = egov_clock_parse (moment, &sim_ms);
    assert (parsed);
    state.base_wall_ms = egov_now_ms ();
    state.base_sim_ms = sim_ms;
    state.speed = 0;
    state.version++;
    bool applied = egov_clock_apply (&state);
    assert (applied);
}

void
egov_clock_format (int64_t ms, char *buffer, size_t size)
{
    //  Moments come from the wire too: bound them before any arithmetic
    if (ms < s_FORMAT_MIN_MS)
        ms = s_FORMAT_MIN_MS;
    if (ms > EGOV_CLOCK_MAX_MS)
        ms = EGOV_CLOCK_MAX_MS;
    int64_t local = ms + EGOV_ALMATY_OFFSET_MS;
    time_t seconds = (time_t) (local >= 0 ? local / 1000 : (local - 999) / 1000);
    int millis = (int) (local - (int64_t) seconds * 1000);
    struct tm parts;
    gmtime_r (&seconds, &parts);
    snprintf (buffer, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03d+05:00",
              parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday,
              parts.tm_hour, parts.tm_min, parts.tm_sec, millis);
}

bool
egov_clock_parse (const char *text, int64_t *ms)
{
    if (!text || !*text)
        return false;
    //  Plain digits: ms since the epoch
    const char *cursor = text;
    while (isdigit ((unsigned char) *cursor))
        cursor++;
    if (!*cursor && cursor - text > 8) {
        *ms = strtoll (text, NULL, 10);
        return true;
    }
    int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0, consumed = 0;
    if (sscanf (text, "%4d-%2d-%2d%n", &year, &month, &day, &consumed) != 3 || consumed != 10)
        return false;
    cursor = text + 10;
    int millis = 0;
    if (*cursor == 'T' || *cursor == ' ') {
        consumed = 0;
        if (sscanf (cursor + 1, "%2d:%2d%n", &hour, &minute, &consumed) != 2 || consumed != 5)
            return false;
        cursor += 6;
        if (*cursor == ':') {
            if (!isdigit ((unsigned char) cursor [1]) || !isdigit ((unsigned char) cursor [2]))
                return false;
            second = (cursor [1] - '0') * 10 + (cursor [2] - '0');
            cursor += 3;
            if (*cursor == '.') {
                int digits = 0;
                for (cursor++; isdigit ((unsigned char) *cursor); cursor++, digits++)
                    if (digits < 3)
                        millis = millis * 10 + (*cursor - '0');
                for (; digits < 3; digits++)
                    millis *= 10;
            }
        }
    }
    int64_t offset_ms = EGOV_ALMATY_OFFSET_MS;
    if (*cursor == 'Z') {
        offset_ms = 0;
        cursor++;
    }
    else
    if (*cursor == '+' || *cursor == '-') {
        int hours = 0, minutes = 0;
        consumed = 0;
        if (sscanf (cursor + 1, "%2d:%2d%n", &hours, &minutes, &consumed) != 2 || consumed != 5)
            return false;
        offset_ms = (hours * 60 + minutes) * 60000LL * (*cursor == '-' ? -1 : 1);
        cursor += 6;
    }
    if (*cursor)
        return false;
    if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60)
        return false;
    struct tm parts = { .tm_year = year - 1900, .tm_mon = month - 1, .tm_mday = day,
                        .tm_hour = hour, .tm_min = minute, .tm_sec = second };
    time_t seconds = timegm (&parts);
    if (parts.tm_mday != day)
        return false;           //  31 April and the like
    *ms = (int64_t) seconds * 1000 + millis - offset_ms;
    return true;
}

bool
egov_clock_parse_duration (const char *text, int64_t *ms)
{
    if (!text || !isdigit ((unsigned char) *text))
        return false;
    char *unit = NULL;
    long long amount = strtoll (text, &unit, 10);
    if (amount < 0 || amount > 100LL * 366 * 24 * 3600 * 1000)
        return false;
    int64_t factor = 0;
    if (streq (unit, "ms"))
        factor = 1;
    else
    if (streq (unit, "s"))
        factor = 1000;
    else
    if (streq (unit, "m"))
        factor = 60000;
    else
    if (streq (unit, "h"))
        factor = 3600000;
    else
    if (streq (unit, "d") || streq (unit, "cd"))
        factor = 86400000;
    else
        return false;
    *ms = amount * factor;
    return true;
}

//  -------------------------------------------------------------------------
//  Timers

typedef struct {
    uint64_t id;                //  order of adding breaks ties
    int64_t due_ms;             //  simulated due moment
    egov_timer_fn *handler;
    void *argument;
} s_timer_t;

struct _egov_timers_t {
    zlistx_t *timers;           //  s_timer_t *, sorted by due then id
    zhashx_t *by_id;            //  id text -> list handle, for cancel
    uint64_t next_id;
};

static int
s_compare_timer (const void *item1, const void *item2)
{
    const s_timer_t *first = (const s_timer_t *) item1, *second = (const s_timer_t *) item2;
    if (first->due_ms != second->due_ms)
        return first->due_ms < second->due_ms ? -1 : 1;
    return first->id < second->id ? -1 : first->id > second->id;
}

static void
s_timer_destroy (void **item)
{
    free (*item);
    *item = NULL;
}

egov_timers_t *
egov_timers_new (void)
{
    egov_timers_t *self = (egov_timers_t *) zmalloc (sizeof (egov_timers_t));
    assert (self);
    self->timers = zlistx_new ();
    zlistx_set_comparator (self->timers, s_compare_timer);
    zlistx_set_destructor (self->timers, s_timer_destroy);
    self->by_id = zhashx_new ();
    self->next_id = 1;
    return self;
}

void
egov_timers_destroy (egov_timers_t **self_p)
{
    assert (self_p);
    egov_timers_t *self = *self_p;
    if (!self)
        return;
    zhashx_destroy (&self->by_id);
    zlistx_destroy (&self->timers);
    free (self);
    *self_p = NULL;
}

uint64_t
egov_timers_add (egov_timers_t *self, int64_t due_ms, egov_timer_fn *handler, void *argument)
{
    s_timer_t *timer = (s_timer_t *) zmalloc (sizeof (s_timer_t));
    assert (timer);
    timer->id = self->next_id++;
    timer->due_ms = due_ms;
    timer->handler = handler;
    timer->argument = argument;
    //  Most timers are added later than the ones waiting: search from the end
    void *handle = zlistx_insert (self->timers, timer, false);
    char key [24];
    snprintf (key, sizeof (key), "%" PRIu64, timer->id);
    zhashx_insert (self->by_id, key, handle);
    return timer->id;
}

bool
egov_timers_cancel (egov_timers_t *self, uint64_t timer_id)
{
    char key [24];
    snprintf (key, sizeof (key), "%" PRIu64, timer_id);
    void *handle = zhashx_lookup (self->by_id, key);
    if (!handle)
        return false;
    zhashx_delete (self->by_id, key);
    zlistx_delete (self->timers, handle);
    return true;
}

size_t
egov_timers_fire (egov_timers_t *self)
{
    size_t fired = 0;
    s_timer_t *timer;
    //  Re-read the time each round: a handler may add timers already due
    while ((timer = (s_timer_t *) zlistx_first (self->timers))
        && timer->due_ms <= egov_clock_now_ms ()) {
        timer = (s_timer_t *) zlistx_detach_cur (self->timers);
        char key [24];
        snprintf (key, sizeof (key), "%" PRIu64, timer->id);
        zhashx_delete (self->by_id, key);
        timer->handler (timer->id, timer->due_ms, timer->argument);
        free (timer);
        fired++;
    }
    return fired;
}

size_t
egov_timers_size (egov_timers_t *self)
{
    return zlistx_size (self->timers);
}

int64_t
egov_timers_next (egov_timers_t *self)
{
    s_timer_t *timer = (s_timer_t *) zlistx_first (self->timers);
    return timer ? timer->due_ms : INT64_MAX;
}

//  -------------------------------------------------------------------------

static void
s_record (uint64_t timer_id, int64_t due_ms, void *argument)
{
    (void) due_ms;
    zlistx_t *order = (zlistx_t *) argument;
    zlistx_add_end (order, (void *) (uintptr_t) timer_id);
}

void
egov_clock_test (bool verbose)
{
    if (verbose)
        printf (" * egov_clock: ");
    egov_clock_reset ();
    int64_t wall = egov_now_ms ();
    int64_t sim = egov_clock_now_ms ();
    assert (sim >= wall && sim - wall < 1000);

    //  A state from the gateway: an hour a second, starting at a fixed moment
    int64_t start;
    assert (egov_clock_parse ("2026-09-01T09:00:00+05:00", &start));
    egov_clock_state_t state = { egov_now_ms (), start, 3600.0, 5 };
    assert (egov_clock_apply (&state));
    egov_clock_state_t older = { egov_now_ms (), 0, 1.0, 4 };
    assert (!egov_clock_apply (&older));            //  versions only grow
    assert (egov_clock_at_wall (state.base_wall_ms + 1000) == start + 3600 * 1000);
    assert (egov_clock_wall_of (start + 7200 * 1000) == state.base_wall_ms + 2000);

    //  A state out of the clock's range is input to refuse, not adopt, and a
    //  clock running past the end stays at the end
    egov_clock_state_t wild = { egov_now_ms (), INT64_MAX - 1000, 1.0, 99 };
    assert (!egov_clock_state_valid (&wild) && !egov_clock_apply (&wild));
    wild.base_sim_ms = start;
    wild.speed = NAN;
    assert (!egov_clock_apply (&wild));
    wild.speed = 1e300;
    assert (!egov_clock_apply (&wild));
    wild.speed = EGOV_CLOCK_SPEED_MAX;
    wild.base_sim_ms = EGOV_CLOCK_MAX_MS - 10;
    assert (egov_clock_state_valid (&wild));
    assert (egov_clock_state_at (&wild, wild.base_wall_ms + 1000) == EGOV_CLOCK_MAX_MS);
    assert (egov_clock_state_at (&wild, wild.base_wall_ms - 1000000000) == EGOV_CLOCK_MIN_MS);
    assert (egov_clock_at_wall (state.base_wall_ms + 1000) == start + 3600 * 1000);

    //  Formatting and parsing agree, Almaty time by default
    char text [40];
    egov_clock_format (start, text, sizeof (text));
    assert (streq (text, "2026-09-01T09:00:00.000+05:00"));
    egov_clock_format (INT64_MAX, text, sizeof (text));
    assert (streq (text, "9999-12-31T23:59:59.999+05:00"));
    egov_clock_format (INT64_MIN, text, sizeof (text));
    assert (streq (text, "0001-01-01T05:00:00.000+05:00"));
    int64_t parsed;
    assert (egov_clock_parse ("2026-09-01T04:00:00Z", &parsed) && parsed == start);
    assert (egov_clock_parse ("2026-09-01 09:00", &parsed) && parsed == start);
    assert (egov_clock_parse ("2026-09-01", &parsed) && parsed == start - 9 * 3600 * 1000);
    assert (!egov_clock_parse ("2026-02-30", &parsed));
    assert (!egov_clock_parse ("yesterday", &parsed));
    assert (!egov_clock_parse ("2026-09-01T09:00+5", &parsed));
    int64_t duration;
    assert (egov_clock_parse_duration ("36h", &duration) && duration == 36 * 3600000LL);
    assert (egov_clock_parse_duration ("31d", &duration) && duration == 31 * 86400000LL);
    assert (!egov_clock_parse_duration ("15wd", &duration));
    assert (!egov_clock_parse_duration ("-1h", &duration));
    assert (!egov_clock_parse_duration ("h", &duration));

    //  Timers: a jump over several fires them all, earliest first, ties by order
    egov_clock_state_t paused = { egov_now_ms (), start, 0.0, 6 };
    assert (egov_clock_apply (&paused));
    egov_timers_t *timers = egov_timers_new ();
    zlistx_t *order = zlistx_new ();
    uint64_t third = egov_timers_add (timers, start + 3 * 3600000LL, s_record, order);
    uint64_t first = egov_timers_add (timers, start + 1 * 3600000LL, s_record, order);
    uint64_t cancelled = egov_timers_add (timers, start + 2 * 3600000LL, s_record, order);
    uint64_t second = egov_timers_add (timers, start + 2 * 3600000LL, s_record, order);
    uint64_t later = egov_timers_add (timers, start + 30 * 3600000LL, s_record, order);
    assert (egov_timers_cancel (timers, cancelled));
    assert (!egov_timers_cancel (timers, cancelled));
    assert (egov_timers_fire (timers) == 0);        //  paused: nothing is due
    egov_clock_state_t jumped = { egov_now_ms (), start + 5 * 3600000LL, 0.0, 7 };
    egov_clock_apply (&jumped);
    assert (egov_timers_fire (timers) == 3);
    assert ((uint64_t) (uintptr_t) zlistx_first (order) == first);
    assert ((uint64_t) (uintptr_t) zlistx_next (order) == second);
    assert ((uint64_t) (uintptr_t) zlistx_next (order) == third);
    assert (egov_timers_size (timers) == 1);
    assert (egov_timers_next (timers) == start + 30 * 3600000LL);
    assert (egov_timers_cancel (timers, later));
    assert (egov_timers_next (timers) == INT64_MAX);
    zlistx_destroy (&order);
    egov_timers_destroy (&timers);
    egov_timers_destroy (&timers);
    egov_clock_reset ();
    if (verbose)
        printf ("OK\n");
}
