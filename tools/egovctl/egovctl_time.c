/*  egovctl_time — reading and printing times for egovctl. The gateway
    keeps ms or us since the epoch; people in the State Corporation read
    Almaty time, so that is the default when TZ is not set.              */
#include "egovctl_time.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const char *
egovctl_time_text (int64_t us, char *buffer, size_t size)
{
    if (us <= 0)
        return "-";
    time_t seconds = (time_t) (us / 1000000);
    int millis = (int) (us % 1000000 / 1000);
    struct tm parts;
    char zone [8] = "+05:00";
    if (getenv ("TZ")) {
        localtime_r (&seconds, &parts);
        char offset [8];
        strftime (offset, sizeof (offset), "%z", &parts);
        snprintf (zone, sizeof (zone), "%.3s:%.2s", offset, offset + 3);
    }
    else {
        seconds += EGOVCTL_ALMATY_S;
        gmtime_r (&seconds, &parts);
    }
    char stamp [32];
    strftime (stamp, sizeof (stamp), "%Y-%m-%dT%H:%M:%S", &parts);
    snprintf (buffer, size, "%s.%03d%s", stamp, millis, zone);
    return buffer;
}

//  Reads exactly count digits into value and moves the cursor past them.
static bool
s_digits (const char **cursor, int count, int *value)
{
    *value = 0;
    for (int index = 0; index < count; index++) {
        char digit = (*cursor) [index];
        if (digit < '0' || digit > '9')
            return false;
        *value = *value * 10 + (digit - '0');
    }
    *cursor += count;
    return true;
}

//  Reads "YYYY-MM-DD" into year, month and day.
static bool
s_date (const char **cursor, int *year, int *month, int *day)
{
    return s_digits (cursor, 4, year) && *(*cursor)++ == '-'
        && s_digits (cursor, 2, month) && *(*cursor)++ == '-'
        && s_digits (cursor, 2, day);
}

bool
egovctl_time_parse (const char *text, int64_t *ms)
{
    if (strspn (text, "0123456789") == strlen (text)) {
        char *end = NULL;
        errno = 0;
        long long number = strtoll (text, &end, 10);
        if (errno != 0 || end == text || *end != 0)
            return false;
        *ms = number;
        return true;
    }
    struct tm parts = { 0 };
    int year, month, day, hour = 0, minute = 0, second = 0, millis = 0;
    const char *cursor = text;
    if (!s_date (&cursor, &year, &month, &day))
        return false;
    if (*cursor == 'T' || *cursor == ' ') {
        cursor++;
        if (!s_digits (&cursor, 2, &hour) || *cursor++ != ':' || !s_digits (&cursor, 2, &minute))
            return false;
        if (*cursor == ':' && (cursor++, !s_digits (&cursor, 2, &second)))
            return false;
        if (*cursor == '.' || *cursor == ',') {
            cursor++;
            int scale = 100;
            if (*cursor < '0' || *cursor > '9')
                return false;
            for (; *cursor >= '0' && *cursor <= '9'; cursor++, scale /= 10)
                millis += (*cursor - '0') * scale;
        }
    }
    if (month < 1 || month > 12 || day < 1 || day > 31
    ||  hour > 23 || minute > 59 || second > 60)
        return false;
    parts.tm_year = year - 1900;
    parts.tm_mon = month - 1;
    parts.tm_mday = day;
    parts.tm_hour = hour;
    parts.tm_min = minute;
    parts.tm_sec = second;
    time_t seconds;
    if (*cursor == 0) {
        if (getenv ("TZ")) {
            parts.tm_isdst = -1;
            seconds = mktime (&parts);
        }
        else
            seconds = timegm (&parts) - EGOVCTL_ALMATY_S;
    }
    else {
        int zone_hours = 0, zone_minutes = 0, sign = 1;
        if (*cursor == 'Z')
            cursor++;
        else
        if (*cursor == '+' || *cursor == '-') {
            sign = *cursor++ == '-' ? -1 : 1;
            if (!s_digits (&cursor, 2, &zone_hours))
                return false;
            if (*cursor == ':')
                cursor++;
            if (*cursor && !s_digits (&cursor, 2, &zone_minutes))
                return false;
        }
        if (*cursor)
            return false;
        seconds = timegm (&parts) - sign * (zone_hours * 3600 + zone_minutes * 60);
    }
    *ms = (int64_t) seconds * 1000 + millis;
    return true;
}

bool
egovctl_date_shaped (const char *text)
{
    int year, month, day;
    const char *cursor = text;
    return s_date (&cursor, &year, &month, &day) && *cursor == 0
        && month >= 1 && month <= 12 && day >= 1 && day <= 31;
}
