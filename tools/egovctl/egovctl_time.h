/*  egovctl_time — times as the gateway speaks them (ms or us since the
    epoch) and as people read and type them: ISO 8601 in TZ, or Almaty
    time (UTC+05:00) when TZ is not set.                                  */
#ifndef EGOVCTL_TIME_H_INCLUDED
#define EGOVCTL_TIME_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EGOVCTL_ALMATY_S    (5 * 3600)  //  Asia/Almaty offset used when TZ is not set

//  Formats a time in microseconds as ISO 8601 with ms into buffer; "-" for
//  zero or less (a time that has not happened, e.g. not finished yet).
const char *egovctl_time_text (int64_t us, char *buffer, size_t size);
//  Parses ms since the epoch, or ISO 8601 (date, optional time, optional
//  fraction, optional Z or +hh:mm); false when text is neither.
bool egovctl_time_parse (const char *text, int64_t *ms);
//  True for a YYYY-MM-DD shape with a plausible month and day (the
//  registry judges the calendar).
bool egovctl_date_shaped (const char *text);

#endif
