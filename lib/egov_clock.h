/*  egov_clock — the one simulation clock every service follows, and timers
    that fire on it.

    The clock is a line through one point: simulated = base_sim +
    (wall - base_wall) * speed. The central gateway owns it and sends it to
    every participant (shep_client applies it here); a process computes the
    simulated time from its own wall clock, so processes agree to the
    millisecond at real speed. Until a gateway says otherwise it is real
    time. The state is process-wide and thread-safe.

    Timers are per owner (an egov_timers_t in a service's reactor): each has
    a due moment in simulated time; egov_timers_fire runs every timer that is
    due, earliest first, so a jump of the clock over several timers fires
    them all, in order.                                                  */
#ifndef EGOV_CLOCK_H_INCLUDED
#define EGOV_CLOCK_H_INCLUDED

#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    int64_t base_wall_ms;       //  wall time of the last change
    int64_t base_sim_ms;        //  simulated time at that moment
    double speed;               //  simulated ms per wall ms
    uint64_t version;           //  grows with every change
} egov_clock_state_t;

//  The moments the clock can show: from the epoch to the last millisecond
//  of 9999 in Almaty. A clock running past an end stays there, so no
//  arithmetic on a moment overflows.
#define EGOV_CLOCK_MIN_MS 0LL
#define EGOV_CLOCK_MAX_MS 253402282799999LL
//  Fastest the clock may run, simulated ms per wall ms.
#define EGOV_CLOCK_SPEED_MAX 1000000.0

//  Simulated time now, ms since the epoch.
int64_t egov_clock_now_ms (void);
//  Simulated time at a given wall time.
int64_t egov_clock_at_wall (int64_t wall_ms);
//  Wall time at which the simulated clock reaches sim_ms; -1 when never
//  (paused, or already past).
int64_t egov_clock_wall_of (int64_t sim_ms);
//  The current state.
egov_clock_state_t egov_clock_state (void);
//  Simulated time at wall_ms under state (version 0: real time), within
//  the clock's range.
int64_t egov_clock_state_at (const egov_clock_state_t *state, int64_t wall_ms);
//  True when state can be adopted: both moments within the clock's range,
//  a speed from 0 to EGOV_CLOCK_SPEED_MAX.
bool egov_clock_state_valid (const egov_clock_state_t *state);
//  Adopts a state from the gateway; an older version than ours is ignored,
//  and so is a state that is not valid (it came over a socket or from a
//  database). Returns true when it changed the clock.
bool egov_clock_apply (const egov_clock_state_t *state);
//  Back to real time (tests).
void egov_clock_reset (void);
//  Stops the clock at a moment (ISO 8601, Almaty time unless an offset is
//  given), newer than any state seen so far (tests).
void egov_clock_hold_at (const char *moment);

//  Formats a moment as ISO 8601 in Almaty time (UTC+05:00), ms precision;
//  a moment before year 1 or after 9999 shows as that year's edge.
void egov_clock_format (int64_t ms, char *buffer, size_t size);
//  Parses ISO 8601 (date, date and time, with or without offset: Almaty
//  time when none) or ms since the epoch; false when malformed.
bool egov_clock_parse (const char *text, int64_t *ms);
//  Parses a plain duration: "90m", "36h", "31d" (calendar days), "1500ms";
//  false when malformed. Working days ("15wd") need the calendar.
bool egov_clock_parse_duration (const char *text, int64_t *ms);

typedef struct _egov_timers_t egov_timers_t;
typedef void (egov_timer_fn) (uint64_t timer_id, int64_t due_ms, void *argument);

egov_timers_t *egov_timers_new (void);
void egov_timers_destroy (egov_timers_t **self_p);
//  Adds a timer due at simulated time due_ms; returns its id (never 0).
uint64_t egov_timers_add (egov_timers_t *self, int64_t due_ms, egov_timer_fn *handler, void *argument);
//  Cancels a timer; false when it already fired or never was.
bool egov_timers_cancel (egov_timers_t *self, uint64_t timer_id);
//  Fires every timer due at the current simulated time, earliest first
//  (equal moments in the order they were added). Returns how many fired.
size_t egov_timers_fire (egov_timers_t *self);
//  Timers waiting.
size_t egov_timers_size (egov_timers_t *self);
//  Simulated due moment of the next timer, or INT64_MAX when none.
int64_t egov_timers_next (egov_timers_t *self);

void egov_clock_test (bool verbose);

#ifdef __cplusplus
}
#endif
#endif
