/*  egov_calendar — Kazakhstan's working days and the deadline convention.
    At load the file's rules are turned into one table per real schedule
    (the office's five-day week, the State Corporation's six-day week):
    for every day of the covered years, off or working and why. The law's
    rules (fixed holidays, the move of a day off) hold for every covered
    year; the data (transfer decrees, announced lunar dates) lies on top
    where it is published, and a lunar holiday without an announced date
    gets the tabular Islamic calendar's. Receipts and deadlines then walk
    the tables day by day. The tables are built a day per entry, then kept
    as a bit per day and the few days whose reason is not their weekday's
    (holidays, moved days off, transfers), sorted: some twenty a year
    instead of a pointer for each of 65,000 days.                        */
#define _GNU_SOURCE                     //  asprintf
#include "egov_calendar.h"
#include "egov_iin.h"
#include <sys/stat.h>

#define DAY_MS          (86400000LL)
#define MINUTE_MS       (60000LL)
#define FILE_MAX        (1024 * 1024)   //  a calendar or catalogue file is small
#define TEXT_MAX        2000            //  longest string field we accept
#define INTERVALS_MAX   4               //  opening intervals per day
#define SCHEDULES       2               //  real schedules: office, state-corp
#define YEAR_MAX        2199            //  the last year a calendar may cover
#define YEARS_MAX       200             //  years a calendar may cover

//  A weekly schedule: which weekdays work and the opening intervals.
typedef struct {
    bool always_open;               //  the portal: accepts at any moment
    egov_channel_t receipt_as;      //  schedule that receives and counts (itself unless portal)
    bool weekdays [7];              //  Monday = 0
    int open [INTERVALS_MAX];       //  minutes after midnight
    int close [INTERVALS_MAX];      //  minutes after midnight
    size_t intervals;               //  intervals used
    char hours [160];               //  for people: "Mon-Fri 09:00-13:00, 14:00-18:00"
} s_schedule_t;

//  A day whose reason is not its weekday's: a holiday, a moved day off, a
//  working day by transfer.
typedef struct {
    int32_t index;                  //  day index
    uint16_t reason;                //  its reason (off) or note (worked) in reasons; 0 none
} s_mark_t;

#define REASONS_MAX     UINT16_MAX  //  distinct reasons a calendar may hold

struct _egov_calendar_t {
    int64_t offset_ms;              //  local time = UTC + offset
    int first_year;                 //  first year covered
    int last_year;                  //  last year covered
    int64_t first_day;              //  1 January of first_year, days since 1970-01-01
    int64_t day_count;              //  days in the tables
    s_schedule_t schedules [EGOV_CHANNEL_COUNT];    //  by channel
    bool *off [SCHEDULES];          //  while loading: day index -> day off
    const char **why [SCHEDULES];   //  while loading: day index -> reason (off) or note (worked by transfer)
    uint64_t *off_bits [SCHEDULES]; //  loaded: bit per day index, set when off
    s_mark_t *marks [SCHEDULES];    //  loaded: the days whose reason is not their weekday's, by index
    size_t mark_count [SCHEDULES];  //  marks per table
    const char **reasons;           //  the marks' reasons, [0] NULL
    size_t reason_count;            //  reasons used
    zhashx_t *reason_ids;           //  while loading: reason text address -> id
    egov_strings_t *texts;          //  reason texts the tables point to
};

static const char *s_weekdays [7] = {
    "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"
};
static const char *s_weekday_keys [7] = { "mon", "tue", "wed", "thu", "fri", "sat", "sun" };
static const char *s_channel_names [EGOV_CHANNEL_COUNT] = { "office", "state-corp", "portal" };

//  ---------------------------------------------------------------------
//  Reading regulation files

bool
egov_regfile_fail (egov_regfile_t *reader, const char *path, const char *format, ...)
{
    char message [200];
    va_list args;
    va_start (args, format);
    vsnprintf (message, sizeof (message), format, args);
    va_end (args);
    egov_error_set (reader->error, reader->code, "%s: %s: %s", reader->file, path, message);
    return false;
}

//  Name of a JSON type for messages.
static const char *
s_type_name (json_type type)
{
    switch (type) {
        case JSON_OBJECT: return "an object";
        case JSON_ARRAY: return "an array";
        case JSON_STRING: return "a string";
        case JSON_INTEGER: return "an integer";
        case JSON_REAL: return "a number";
        case JSON_TRUE: case JSON_FALSE: return "true or false";
        default: return "null";
    }
}

json_t *
egov_regfile_get (egov_regfile_t *reader, json_t *object, const char *path, const char *key,
                  json_type type, bool required)
{
    json_t *value = json_object_get (object, key);
    if (!value) {
        if (required)
            egov_regfile_fail (reader, path, "the field \"%s\" is missing", key);
        return NULL;
    }
    json_type actual = json_typeof (value);
    bool boolean = type == JSON_TRUE || type == JSON_FALSE;
    if (boolean ? !json_is_boolean (value) : actual != type) {
        egov_regfile_fail (reader, path, "\"%s\" must be %s, not %s", key,
                           s_type_name (type), s_type_name (actual));
        return NULL;
    }
    return value;
}

const char *
egov_regfile_text (egov_regfile_t *reader, json_t *object, const char *path, const char *key,
                   bool required)
{
    json_t *value = egov_regfile_get (reader, object, path, key, JSON_STRING, required);
    if (!value)
        return NULL;
    size_t length = json_string_length (value);
    if (length == 0 || length > TEXT_MAX) {
        egov_regfile_fail (reader, path, "\"%s\" must have 1-%d bytes, has %zu",
                           key, TEXT_MAX, length);
        return NULL;
    }
    return egov_regfile_keep (reader, json_string_value (value));
}

const char *
egov_regfile_keep (egov_regfile_t *reader, const char *text)
{
    return reader->strings && text ? egov_strings_keep (reader->strings, text) : text;
}

//  ---------------------------------------------------------------------
//  Kept strings: copied one after another into blocks

#define STRINGS_BLOCK   8192            //  bytes per block; a longer text gets its own

typedef struct _s_block_t s_block_t;
struct _s_block_t {
    s_block_t *next;                //  the block filled before this one
    size_t used;                    //  bytes of text used
    size_t size;                    //  bytes of text room
    char text [];
};

struct _egov_strings_t {
    s_block_t *blocks;              //  the one being filled first
};

egov_strings_t *
egov_strings_new (void)
{
    egov_strings_t *self = calloc (1, sizeof (egov_strings_t));
    assert (self);
    return self;
}

void
egov_strings_destroy (egov_strings_t **self_p)
{
    assert (self_p);
    egov_strings_t *self = *self_p;
    if (!self)
        return;
    while (self->blocks) {
        s_block_t *next = self->blocks->next;
        free (self->blocks);
        self->blocks = next;
    }
    free (self);
    *self_p = NULL;
}

const char *
egov_strings_keep (egov_strings_t *self, const char *text)
{
    assert (self && text);
    size_t length = strlen (text) + 1;
    s_block_t *block = self->blocks;
    if (!block || block->size - block->used < length) {
        size_t size = length > STRINGS_BLOCK ? length : STRINGS_BLOCK;
        block = malloc (sizeof (s_block_t) + size);
        assert (block);
        block->used = 0;
        block->size = size;
        //  A text of its own block goes behind the one being filled
        if (self->blocks && length > STRINGS_BLOCK) {
            block->next = self->blocks->next;
            self->blocks->next = block;
        }
        else {
            block->next = self->blocks;
            self->blocks = block;
        }
    }
    char *copy = block->text + block->used;
    memcpy (copy, text, length);
    block->used += length;
    return copy;
}

bool
egov_regfile_keys (egov_regfile_t *reader, json_t *object, const char *path, ...)
{
    const char *key;
    json_t *value;
    json_object_foreach (object, key, value) {
        bool known = false;
        va_list args;
        va_start (args, path);
        for (const char *allowed = va_arg (args, const char *); allowed && !known;
             allowed = va_arg (args, const char *))
            known = streq (allowed, key);
        va_end (args);
        if (!known)
            return egov_regfile_fail (reader, path, "unknown field \"%s\"", key);
    }
    return true;
}

bool
egov_regfile_load (egov_regfile_t *reader, const char *path, json_t **document)
{
    struct stat info;
    *document = NULL;
    if (stat (path, &info) != 0)
        return egov_regfile_fail (reader, "$", "cannot read: %s", strerror (errno));
    if (!S_ISREG (info.st_mode) || info.st_size > FILE_MAX)
        return egov_regfile_fail (reader, "$", "not a regular file of at most 1 MiB");
    json_error_t problem;
    *document = json_load_file (path, JSON_REJECT_DUPLICATES, &problem);
    if (!*document)
        return egov_regfile_fail (reader, "$", "not valid JSON at line %d column %d: %s",
                                  problem.line, problem.column, problem.text);
    if (!json_is_object (*document)) {
        json_decref (*document);
        *document = NULL;
        return egov_regfile_fail (reader, "$", "the document must be an object");
    }
    return true;
}

//  ---------------------------------------------------------------------
//  Small parsers and names

const char *
egov_weekday_name (int64_t day)
{
    return s_weekdays [((day % 7) + 7 + 3) % 7];
}

//  Monday = 0 for a date in days since 1970-01-01 (a Thursday).
static int
s_weekday (int64_t day)
{
    return (int) (((day % 7) + 7 + 3) % 7);
}

bool
egov_duration_parse (const char *text, egov_duration_t *duration)
{
    if (!text)
        return false;
    int amount = 0;
    size_t digits = 0;
    while (isdigit ((unsigned char) text [digits]) && digits < 6)
        amount = amount * 10 + (text [digits++] - '0');
    if (digits == 0 || digits > 5 || text [0] == '0')
        return false;
    const char *unit = text + digits;
    if (streq (unit, "m"))
        duration->unit = EGOV_UNIT_MINUTES;
    else
    if (streq (unit, "h"))
        duration->unit = EGOV_UNIT_HOURS;
    else
    if (streq (unit, "wd"))
        duration->unit = EGOV_UNIT_WORKING_DAYS;
    else
    if (streq (unit, "cd"))
        duration->unit = EGOV_UNIT_CALENDAR_DAYS;
    else
        return false;
    duration->amount = amount;
    return true;
}

const char *
egov_duration_format (egov_duration_t duration, char *buffer, size_t size)
{
    static const char *units [] = { "m", "h", "wd", "cd" };
    snprintf (buffer, size, "%d%s", duration.amount, units [duration.unit]);
    return buffer;
}

const char *
egov_duration_words (egov_duration_t duration, char *buffer, size_t size)
{
    static const char *units [] = { "minute", "hour", "working day", "calendar day" };
    snprintf (buffer, size, "%d %s%s", duration.amount, units [duration.unit],
              duration.amount == 1 ? "" : "s");
    return buffer;
}

bool
egov_channel_parse (const char *name, egov_channel_t *channel)
{
    for (int index = 0; name && index < EGOV_CHANNEL_COUNT; index++)
        if (streq (name, s_channel_names [index])) {
            *channel = (egov_channel_t) index;
            return true;
        }
    return false;
}

const char *
egov_channel_name (egov_channel_t channel)
{
    return channel < EGOV_CHANNEL_COUNT ? s_channel_names [channel] : "?";
}

//  Reads exactly count digits at *cursor into value, moving the cursor.
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

//  "HH:MM" (00:00-24:00) into minutes after midnight; the cursor moves on.
static bool
s_clock (const char **cursor, int *minutes)
{
    int hour, minute;
    if (!s_digits (cursor, 2, &hour) || *(*cursor)++ != ':' || !s_digits (cursor, 2, &minute))
        return false;
    *minutes = hour * 60 + minute;
    return minute < 60 && *minutes <= 24 * 60;
}

//  "MM-DD" of a valid day in a leap year.
static bool
s_month_day (const char *text, int *month, int *day)
{
    const char *cursor = text;
    return s_digits (&cursor, 2, month) && *cursor++ == '-' && s_digits (&cursor, 2, day)
        && *cursor == 0 && egov_date_valid (2024, *month, *day);
}

//  "YYYY-MM-DD" into days since 1970-01-01.
static bool
s_date (const char *text, int64_t *days)
{
    int year, month, day;
    if (!egov_date_parse (text, &year, &month, &day))
        return false;
    *days = egov_date_days (year, month, day);
    return true;
}

int64_t
egov_calendar_local_day (egov_calendar_t *self, int64_t ms)
{
    int64_t local = ms + self->offset_ms;
    return local >= 0 ? local / DAY_MS : -((-local + DAY_MS - 1) / DAY_MS);
}

//  UTC moment of local midnight starting a day.
static int64_t
s_day_start (egov_calendar_t *self, int64_t day)
{
    return day * DAY_MS - self->offset_ms;
}

bool
egov_calendar_time_parse (egov_calendar_t *self, const char *text, int64_t *ms)
{
    if (!text || !*text)
        return false;
    if (strspn (text, "0123456789") == strlen (text)) {
        if (strlen (text) > 15)
            return false;
        *ms = strtoll (text, NULL, 10);
        return true;
    }
    int year, month, day, hour = 0, minute = 0, second = 0;
    const char *cursor = text;
    if (!s_digits (&cursor, 4, &year) || *cursor++ != '-' || !s_digits (&cursor, 2, &month)
    ||  *cursor++ != '-' || !s_digits (&cursor, 2, &day) || !egov_date_valid (year, month, day))
        return false;
    if (*cursor == 'T' || *cursor == ' ') {
        cursor++;
        if (!s_digits (&cursor, 2, &hour) || *cursor++ != ':' || !s_digits (&cursor, 2, &minute))
            return false;
        if (*cursor == ':' && (cursor++, !s_digits (&cursor, 2, &second)))
            return false;
        if (hour > 23 || minute > 59 || second > 59)
            return false;
    }
    int64_t offset = self->offset_ms;
    if (*cursor == 'Z') {
        offset = 0;
        cursor++;
    }
    else
    if (*cursor == '+' || *cursor == '-') {
        int sign = *cursor++ == '-' ? -1 : 1;
        int zone_hours, zone_minutes;
        if (!s_digits (&cursor, 2, &zone_hours) || *cursor++ != ':'
        ||  !s_digits (&cursor, 2, &zone_minutes) || zone_hours > 14 || zone_minutes > 59)
            return false;
        offset = sign * (zone_hours * 3600000LL + zone_minutes * MINUTE_MS);
    }
    if (*cursor)
        return false;
    *ms = egov_date_days (year, month, day) * DAY_MS
        + hour * 3600000LL + minute * MINUTE_MS + second * 1000LL - offset;
    return true;
}

const char *
egov_calendar_time_format (egov_calendar_t *self, int64_t ms, char *buffer, size_t size)
{
    int64_t day = egov_calendar_local_day (self, ms);
    int64_t within = ms + self->offset_ms - day * DAY_MS;
    int year, month, mday;
    egov_date_from_days (day, &year, &month, &mday);
    int64_t offset = self->offset_ms < 0 ? -self->offset_ms : self->offset_ms;
    char fraction [8] = "";
    if (within % 1000)
        snprintf (fraction, sizeof (fraction), ".%03d", (int) (within % 1000));
    snprintf (buffer, size, "%04d-%02d-%02dT%02d:%02d:%02d%s%c%02d:%02d",
              year, month, mday, (int) (within / 3600000), (int) (within / MINUTE_MS % 60),
              (int) (within / 1000 % 60), fraction, self->offset_ms < 0 ? '-' : '+',
              (int) (offset / 3600000), (int) (offset / MINUTE_MS % 60));
    return buffer;
}

//  ---------------------------------------------------------------------
//  Loading

//  Keeps a formatted reason text for the life of the calendar.
static const char *
s_text (egov_calendar_t *self, const char *format, ...)
{
    if (!self->texts)
        self->texts = egov_strings_new ();
    va_list args;
    va_start (args, format);
    char *text = NULL;
    int rc = vasprintf (&text, format, args);
    va_end (args);
    assert (rc >= 0);
    const char *kept = egov_strings_keep (self->texts, text);
    free (text);
    return kept;
}

//  Reads "+05:00" style offsets.
static bool
s_load_offset (egov_calendar_t *self, egov_regfile_t *reader, json_t *root)
{
    const char *text = egov_regfile_text (reader, root, "$", "utc_offset", true);
    if (!text)
        return false;
    const char *cursor = text + 1;
    int hours, minutes;
    if ((text [0] != '+' && text [0] != '-') || !s_digits (&cursor, 2, &hours)
    ||  *cursor++ != ':' || !s_digits (&cursor, 2, &minutes) || *cursor
    ||  hours > 14 || minutes > 59)
        return egov_regfile_fail (reader, "$.utc_offset", "'%s' is not +hh:mm", text);
    self->offset_ms = (text [0] == '-' ? -1 : 1) * (hours * 3600000LL + minutes * MINUTE_MS);
    return true;
}

bool
egov_regfile_names (egov_regfile_t *reader, json_t *parent, const char *path, const char *key,
                    egov_names_t *names)
{
    char where [200];
    json_t *object = egov_regfile_get (reader, parent, path, key, JSON_OBJECT, true);
    snprintf (where, sizeof (where), "%s.%s", path, key);
    if (!object || !egov_regfile_keys (reader, object, where, "kk", "ru", "en", NULL))
        return false;
    egov_names_t read = { NULL, NULL, NULL };
    read.kk = egov_regfile_text (reader, object, where, "kk", true);
    read.ru = read.kk ? egov_regfile_text (reader, object, where, "ru", true) : NULL;
    read.en = read.ru ? egov_regfile_text (reader, object, where, "en", true) : NULL;
    if (names)
        *names = read;
    return read.en != NULL;
}

//  One working schedule: weekdays and opening intervals, or always open.
static bool
s_load_schedule (egov_calendar_t *self, egov_regfile_t *reader, json_t *schedules,
                 egov_channel_t channel)
{
    const char *name = s_channel_names [channel];
    char path [64], where [96];
    snprintf (path, sizeof (path), "$.schedules.%s", name);
    json_t *object = egov_regfile_get (reader, schedules, "$.schedules", name, JSON_OBJECT, true);
    if (!object || !egov_regfile_keys (reader, object, path, "name", "days", "hours",
                                       "always_open", "receipt", "source", "note", NULL)
    ||  !egov_regfile_names (reader, object, path, "name", NULL)
    ||  !egov_regfile_text (reader, object, path, "source", true))
        return false;
    s_schedule_t *schedule = self->schedules + channel;
    schedule->receipt_as = channel;
    json_t *always = egov_regfile_get (reader, object, path, "always_open", JSON_TRUE, false);
    if (always && json_is_true (always)) {
        const char *receipt = egov_regfile_text (reader, object, path, "receipt", true);
        if (!receipt)
            return false;
        if (!egov_channel_parse (receipt, &schedule->receipt_as)
        ||  schedule->receipt_as == EGOV_CHANNEL_PORTAL)
            return egov_regfile_fail (reader, path, "\"receipt\" must be office or state-corp");
        if (json_object_get (object, "days") || json_object_get (object, "hours"))
            return egov_regfile_fail (reader, path, "an always-open schedule has no days or hours");
        schedule->always_open = true;
        return true;
    }
    if (json_object_get (object, "receipt"))
        return egov_regfile_fail (reader, path, "\"receipt\" is only for an always-open schedule");
    json_t *days = egov_regfile_get (reader, object, path, "days", JSON_ARRAY, true);
    json_t *hours = egov_regfile_get (reader, object, path, "hours", JSON_ARRAY, true);
    if (!days || !hours)
        return false;
    size_t index;
    json_t *value;
    json_array_foreach (days, index, value) {
        snprintf (where, sizeof (where), "%s.days[%zu]", path, index);
        int weekday = -1;
        for (int candidate = 0; candidate < 7; candidate++)
            if (json_is_string (value) && streq (json_string_value (value), s_weekday_keys [candidate]))
                weekday = candidate;
        if (weekday < 0 || schedule->weekdays [weekday])
            return egov_regfile_fail (reader, where, "must be one of mon..sun, each once");
        schedule->weekdays [weekday] = true;
    }
    if (json_array_size (days) == 0)
        return egov_regfile_fail (reader, path, "\"days\" must name at least one weekday");
    if (json_array_size (hours) == 0 || json_array_size (hours) > INTERVALS_MAX)
        return egov_regfile_fail (reader, path, "\"hours\" must hold 1-%d intervals", INTERVALS_MAX);
    int previous = -1;
    json_array_foreach (hours, index, value) {
        snprintf (where, sizeof (where), "%s.hours[%zu]", path, index);
        const char *cursor = json_is_string (value) ? json_string_value (value) : "";
        int open, close;
        if (!s_clock (&cursor, &open) || *cursor++ != '-' || !s_clock (&cursor, &close) || *cursor)
            return egov_regfile_fail (reader, where, "must be \"HH:MM-HH:MM\"");
        if (open >= close || open <= previous)
            return egov_regfile_fail (reader, where, "intervals must be in order, each opening"
                                      " before it closes, without overlap");
        schedule->open [schedule->intervals] = open;
        schedule->close [schedule->intervals++] = close;
        previous = close - 1;
    }
    return true;
}

//  "Mon-Fri 09:00-13:00, 14:00-18:00" for people.
static void
s_describe_schedule (egov_calendar_t *self, egov_channel_t channel)
{
    s_schedule_t *schedule = self->schedules + channel;
    if (schedule->always_open) {
        snprintf (schedule->hours, sizeof (schedule->hours),
                  "around the clock; receipt and counting on the %s hours",
                  s_channel_names [schedule->receipt_as]);
        return;
    }
    char days [64] = "";
    int first = -1;
    for (int weekday = 0; weekday <= 7; weekday++) {
        bool works = weekday < 7 && schedule->weekdays [weekday];
        if (works && first < 0)
            first = weekday;
        if (!works && first >= 0) {
            size_t used = strlen (days);
            if (weekday - 1 == first)
                snprintf (days + used, sizeof (days) - used, "%s%.3s", used ? "," : "",
                          s_weekdays [first]);
            else
                snprintf (days + used, sizeof (days) - used, "%s%.3s-%.3s", used ? "," : "",
                          s_weekdays [first], s_weekdays [weekday - 1]);
            first = -1;
        }
    }
    size_t used = snprintf (schedule->hours, sizeof (schedule->hours), "%s", days);
    for (size_t index = 0; index < schedule->intervals && used < sizeof (schedule->hours); index++)
        used += snprintf (schedule->hours + used, sizeof (schedule->hours) - used,
                          "%s%02d:%02d-%02d:%02d", index ? ", " : " ",
                          schedule->open [index] / 60, schedule->open [index] % 60,
                          schedule->close [index] / 60, schedule->close [index] % 60);
}

//  Index of a day in the tables, or -1 outside them.
static int64_t
s_index (egov_calendar_t *self, int64_t day)
{
    int64_t index = day - self->first_day;
    return index >= 0 && index < self->day_count ? index : -1;
}

//  Marks a holiday's date in every table; holiday_of holds the holiday's
//  index per day for the moving rule.
static void
s_mark_holiday (egov_calendar_t *self, int64_t day, const char *name, int holiday,
                int *holiday_of)
{
    int64_t index = s_index (self, day);
    if (index < 0)
        return;
    for (int table = 0; table < SCHEDULES; table++) {
        self->off [table][index] = true;
        self->why [table][index] = name;
    }
    holiday_of [index] = holiday;
}

//  Local date (days since 1970-01-01) of day of month of the Islamic
//  year, by the tabular Islamic calendar (30-year cycle, astronomical
//  epoch): it gave the announced Kurban Ait of 2019 and of 2022-2025 and
//  is otherwise a day away from the sighting of the moon.
static int64_t
s_islamic_day (int year, int month, int day)
{
    int64_t julian = day + (59 * (month - 1) + 1) / 2 + 354LL * (year - 1)
                   + (3 + 11LL * year) / 30 + 1948438;
    return julian - 2440588;            //  the Julian day number of 1970-01-01
}

//  A lunar holiday's rule: {"month", "day", "note"} of the Islamic year.
//  Every covered year without an announced date (seen) gets the computed
//  one, marked so in its name.
static bool
s_load_lunar (egov_calendar_t *self, egov_regfile_t *reader, json_t *holiday, const char *path,
              const char *name, int index, const bool *seen, int *holiday_of)
{
    char where [96];
    snprintf (where, sizeof (where), "%s.lunar", path);
    json_t *lunar = egov_regfile_get (reader, holiday, path, "lunar", JSON_OBJECT, true);
    if (!lunar || !egov_regfile_keys (reader, lunar, where, "month", "day", "note", NULL)
    ||  !egov_regfile_text (reader, lunar, where, "note", true))
        return false;
    json_t *month = egov_regfile_get (reader, lunar, where, "month", JSON_INTEGER, true);
    json_t *day = egov_regfile_get (reader, lunar, where, "day", JSON_INTEGER, true);
    if (!month || !day)
        return false;
    if (json_integer_value (month) < 1 || json_integer_value (month) > 12
    ||  json_integer_value (day) < 1 || json_integer_value (day) > 29)
        return egov_regfile_fail (reader, where, "want month 1..12 and day 1..29");
    const char *computed = s_text (self, "%s, computed date", name);
    //  An Islamic year is 354 or 355 days: start a little before the first
    //  covered year and step until past the last
    int year = (int) ((self->first_year - 622) * 33 / 32) - 2;
    for (;; year++) {
        int64_t date = s_islamic_day (year, (int) json_integer_value (month),
                                      (int) json_integer_value (day));
        int gregorian, unused_month, unused_day;
        egov_date_from_days (date, &gregorian, &unused_month, &unused_day);
        if (gregorian > self->last_year)
            break;
        if (gregorian >= self->first_year && !seen [gregorian - self->first_year])
            s_mark_holiday (self, date, computed, index, holiday_of);
    }
    return true;
}

//  Reads the holidays and marks them; fills names and movable per holiday.
static bool
s_load_holidays (egov_calendar_t *self, egov_regfile_t *reader, json_t *root,
                 int *holiday_of, const char ***names, bool **movable, size_t *count)
{
    json_t *holidays = egov_regfile_get (reader, root, "$", "holidays", JSON_ARRAY, true);
    json_t *moves = egov_regfile_get (reader, root, "$", "weekly_rest_moves", JSON_OBJECT, true);
    if (!holidays || !moves
    ||  !egov_regfile_keys (reader, moves, "$.weekly_rest_moves", "kinds", "source", "note", NULL)
    ||  !egov_regfile_text (reader, moves, "$.weekly_rest_moves", "source", true))
        return false;
    json_t *kinds = egov_regfile_get (reader, moves, "$.weekly_rest_moves", "kinds", JSON_ARRAY, true);
    if (!kinds)
        return false;
    *count = json_array_size (holidays);
    *names = calloc (*count + 1, sizeof (char *));
    *movable = calloc (*count + 1, sizeof (bool));
    assert (*names && *movable);
    size_t index;
    json_t *holiday;
    char path [64], where [96];
    json_array_foreach (holidays, index, holiday) {
        snprintf (path, sizeof (path), "$.holidays[%zu]", index);
        if (!json_is_object (holiday))
            return egov_regfile_fail (reader, path, "must be an object");
        if (!egov_regfile_keys (reader, holiday, path, "id", "name", "kind", "dates", "by_year",
                                "lunar", "from_year", "until_year", "source", "note", NULL)
        ||  !egov_regfile_text (reader, holiday, path, "id", true)
        ||  !egov_regfile_names (reader, holiday, path, "name", NULL)
        ||  !egov_regfile_text (reader, holiday, path, "source", true))
            return false;
        const char *kind = egov_regfile_text (reader, holiday, path, "kind", true);
        if (!kind)
            return false;
        if (!streq (kind, "national") && !streq (kind, "state") && !streq (kind, "religious"))
            return egov_regfile_fail (reader, path, "\"kind\" must be national, state or religious");
        //  A copy: the tables outlive the document
        const char *name = s_text (self, "%s",
            json_string_value (json_object_get (json_object_get (holiday, "name"), "en")));
        (*names) [index] = name;
        size_t kind_index;
        json_t *movable_kind;
        json_array_foreach (kinds, kind_index, movable_kind)
            if (json_is_string (movable_kind) && streq (json_string_value (movable_kind), kind))
                (*movable) [index] = true;
        json_t *from = egov_regfile_get (reader, holiday, path, "from_year", JSON_INTEGER, false);
        json_t *until = egov_regfile_get (reader, holiday, path, "until_year", JSON_INTEGER, false);
        if (reader->error->code [0])
            return false;
        int first = from ? (int) json_integer_value (from) : self->first_year;
        int last = until ? (int) json_integer_value (until) : self->last_year;
        json_t *dates = json_object_get (holiday, "dates");
        json_t *by_year = json_object_get (holiday, "by_year");
        json_t *lunar = json_object_get (holiday, "lunar");
        if (!dates == !(by_year || lunar))
            return egov_regfile_fail (reader, path, "give either \"dates\" or \"by_year\""
                                      " and/or \"lunar\"");
        if (dates) {
            if (!egov_regfile_get (reader, holiday, path, "dates", JSON_ARRAY, true))
                return false;
            if (json_array_size (dates) == 0)
                return egov_regfile_fail (reader, path, "\"dates\" is empty");
            size_t date_index;
            json_t *date;
            json_array_foreach (dates, date_index, date) {
                snprintf (where, sizeof (where), "%s.dates[%zu]", path, date_index);
                int month, day;
                if (!json_is_string (date) || !s_month_day (json_string_value (date), &month, &day))
                    return egov_regfile_fail (reader, where, "must be \"MM-DD\"");
                for (int year = first; year <= last; year++)
                    if (egov_date_valid (year, month, day))
                        s_mark_holiday (self, egov_date_days (year, month, day), name,
                                        (int) index, holiday_of);
            }
            continue;
        }
        //  A holiday of the lunar calendar: the dates announced, by year; a
        //  rule for the other years, or else a date for every covered year
        if (by_year && !egov_regfile_get (reader, holiday, path, "by_year", JSON_ARRAY, true))
            return false;
        bool seen [YEARS_MAX] = { false };
        size_t date_index;
        json_t *entry;
        json_array_foreach (by_year, date_index, entry) {
            snprintf (where, sizeof (where), "%s.by_year[%zu]", path, date_index);
            if (!json_is_object (entry))
                return egov_regfile_fail (reader, where, "must be an object");
            if (!egov_regfile_keys (reader, entry, where, "date", "source", "assumed", "note", NULL))
                return false;
            const char *text = egov_regfile_text (reader, entry, where, "date", true);
            int year, month, day;
            if (!text || !egov_date_parse (text, &year, &month, &day))
                return text ? egov_regfile_fail (reader, where, "\"date\" must be YYYY-MM-DD") : false;
            json_t *assumed = egov_regfile_get (reader, entry, where, "assumed", JSON_TRUE, false);
            if (reader->error->code [0])
                return false;
            if (!(assumed && json_is_true (assumed)) && !json_object_get (entry, "source"))
                return egov_regfile_fail (reader, where, "a date needs a \"source\" or"
                                          " \"assumed\": true with a \"note\"");
            if (assumed && json_is_true (assumed) && !egov_regfile_text (reader, entry, where, "note", true))
                return false;
            if (year >= self->first_year && year <= self->last_year) {
                if (seen [year - self->first_year])
                    return egov_regfile_fail (reader, where, "a second date for %d", year);
                seen [year - self->first_year] = true;
            }
            s_mark_holiday (self, egov_date_days (year, month, day), name, (int) index, holiday_of);
        }
        if (lunar) {
            if (!s_load_lunar (self, reader, holiday, path, name, (int) index, seen, holiday_of))
                return false;
            continue;
        }
        for (int year = first; year <= last; year++)
            if (year >= self->first_year && year <= self->last_year && !seen [year - self->first_year])
                return egov_regfile_fail (reader, path, "no date for %d, a covered year", year);
    }
    return true;
}

//  A national or state holiday on a weekly rest day of a schedule gives that
//  schedule a day off on its next working day (labour code art. 85).
static void
s_apply_moves (egov_calendar_t *self, int table, const int *holiday_of,
               const char **names, const bool *movable)
{
    s_schedule_t *schedule = self->schedules + table;
    bool *moved = calloc ((size_t) self->day_count, sizeof (bool));
    assert (moved);
    for (int64_t index = 0; index < self->day_count; index++) {
        int holiday = holiday_of [index];
        int64_t day = self->first_day + index;
        if (holiday < 0 || !movable [holiday] || schedule->weekdays [s_weekday (day)])
            continue;
        for (int64_t next = index + 1; next < self->day_count; next++) {
            if (!schedule->weekdays [s_weekday (self->first_day + next)]
            ||  holiday_of [next] >= 0 || moved [next])
                continue;
            char date [11];
            egov_date_format (day, date);
            moved [next] = true;
            self->off [table][next] = true;
            self->why [table][next] = s_text (self, "moved day off for %s (%s %s)",
                                              names [holiday], egov_weekday_name (day), date);
            break;
        }
    }
    free (moved);
}

//  Reads the yearly transfer orders and applies each to its schedules.
static bool
s_load_transfers (egov_calendar_t *self, egov_regfile_t *reader, json_t *root)
{
    json_t *transfers = egov_regfile_get (reader, root, "$", "transfers", JSON_ARRAY, true);
    if (!transfers)
        return false;
    bool seen [YEARS_MAX] = { false };
    size_t index;
    json_t *transfer;
    char path [64], where [96], scope [160];
    json_array_foreach (transfers, index, transfer) {
        snprintf (path, sizeof (path), "$.transfers[%zu]", index);
        if (!json_is_object (transfer))
            return egov_regfile_fail (reader, path, "must be an object");
        if (!egov_regfile_keys (reader, transfer, path, "year", "moves", "assumed", "note", NULL))
            return false;
        json_t *year_value = egov_regfile_get (reader, transfer, path, "year", JSON_INTEGER, true);
        json_t *moves = egov_regfile_get (reader, transfer, path, "moves", JSON_ARRAY, true);
        json_t *assumed = egov_regfile_get (reader, transfer, path, "assumed", JSON_TRUE, false);
        if (!year_value || !moves || reader->error->code [0])
            return false;
        int year = (int) json_integer_value (year_value);
        if (year < self->first_year || year > self->last_year)
            return egov_regfile_fail (reader, path, "year %d is outside the covered years", year);
        if (seen [year - self->first_year])
            return egov_regfile_fail (reader, path, "a second entry for %d", year);
        seen [year - self->first_year] = true;
        if (assumed && json_is_true (assumed) && !egov_regfile_text (reader, transfer, path, "note", true))
            return false;
        size_t move_index;
        json_t *move;
        json_array_foreach (moves, move_index, move) {
            snprintf (where, sizeof (where), "%s.moves[%zu]", path, move_index);
            if (!json_is_object (move))
                return egov_regfile_fail (reader, where, "must be an object");
            if (!egov_regfile_keys (reader, move, where, "from", "to", "applies_to", "act", NULL)
            ||  !egov_regfile_text (reader, move, where, "act", true))
                return false;
            const char *from_text = egov_regfile_text (reader, move, where, "from", true);
            const char *to_text = egov_regfile_text (reader, move, where, "to", true);
            json_t *applies = egov_regfile_get (reader, move, where, "applies_to", JSON_ARRAY, true);
            if (!from_text || !to_text || !applies)
                return false;
            int64_t from, to;
            if (!s_date (from_text, &from) || !s_date (to_text, &to)
            ||  s_index (self, from) < 0 || s_index (self, to) < 0)
                return egov_regfile_fail (reader, where, "\"from\" and \"to\" must be YYYY-MM-DD"
                                          " dates in the covered years");
            if (json_array_size (applies) == 0)
                return egov_regfile_fail (reader, where, "\"applies_to\" is empty");
            size_t scope_index;
            json_t *name;
            json_array_foreach (applies, scope_index, name) {
                egov_channel_t channel;
                snprintf (scope, sizeof (scope), "%s.applies_to[%zu]", where, scope_index);
                if (!json_is_string (name) || !egov_channel_parse (json_string_value (name), &channel)
                ||  channel == EGOV_CHANNEL_PORTAL)
                    return egov_regfile_fail (reader, scope, "must be office or state-corp");
                int table = (int) channel;
                self->off [table][s_index (self, from)] = false;
                self->why [table][s_index (self, from)] = s_text (self,
                    "working day by transfer %d: its day off moved to %s %s",
                    year, egov_weekday_name (to), to_text);
                self->off [table][s_index (self, to)] = true;
                self->why [table][s_index (self, to)] = s_text (self,
                    "transfer %d: day off moved here from %s %s", year,
                    egov_weekday_name (from), from_text);
            }
        }
    }
    return true;
}

//  What a day's reason is when nothing but its weekday decides it.
static const char *
s_weekday_why (egov_calendar_t *self, int table, int64_t index, bool off)
{
    int weekday = s_weekday (self->first_day + index);
    return off && !self->schedules [table].weekdays [weekday] ? s_weekdays [weekday] : NULL;
}

//  Reason texts are told apart by address: each is kept once.
static size_t
s_address_hash (const void *key)
{
    return (size_t) ((uintptr_t) key >> 3) * 2654435761u;
}

static int
s_address_compare (const void *one, const void *two)
{
    return one < two ? -1 : one > two;
}

//  The id of a mark's reason, kept the first time it is seen.
static uint16_t
s_reason_id (egov_calendar_t *self, const char *why)
{
    if (!why)
        return 0;
    if (!self->reason_ids) {
        self->reason_ids = zhashx_new ();
        assert (self->reason_ids);
        zhashx_set_key_hasher (self->reason_ids, s_address_hash);
        zhashx_set_key_comparator (self->reason_ids, s_address_compare);
        zhashx_set_key_duplicator (self->reason_ids, NULL);
        zhashx_set_key_destructor (self->reason_ids, NULL);
        self->reasons = calloc (1, sizeof (char *));
        assert (self->reasons);
        self->reason_count = 1;         //  [0] is no reason
    }
    uintptr_t id = (uintptr_t) zhashx_lookup (self->reason_ids, why);
    if (id)
        return (uint16_t) id;
    //  A calendar of at most 200 years has a few thousand
    assert (self->reason_count < REASONS_MAX);
    const char **grown = realloc (self->reasons, (self->reason_count + 1) * sizeof (char *));
    assert (grown);
    self->reasons = grown;
    self->reasons [self->reason_count] = why;
    zhashx_insert (self->reason_ids, why, (void *) (uintptr_t) self->reason_count);
    return (uint16_t) self->reason_count++;
}

//  Turns a table built a day per entry into a bit per day and the sorted
//  days whose reason is not their weekday's.
static void
s_compact (egov_calendar_t *self, int table)
{
    size_t words = (size_t) (self->day_count + 63) / 64;
    self->off_bits [table] = calloc (words, sizeof (uint64_t));
    assert (self->off_bits [table]);
    size_t count = 0;
    for (int64_t index = 0; index < self->day_count; index++)
        if (self->why [table][index] != s_weekday_why (self, table, index, self->off [table][index]))
            count++;
    self->marks [table] = calloc (count ? count : 1, sizeof (s_mark_t));
    assert (self->marks [table]);
    for (int64_t index = 0; index < self->day_count; index++) {
        bool off = self->off [table][index];
        if (off)
            self->off_bits [table][index / 64] |= (uint64_t) 1 << (index % 64);
        const char *why = self->why [table][index];
        if (why != s_weekday_why (self, table, index, off))
            self->marks [table][self->mark_count [table]++] = (s_mark_t) {
                (int32_t) index, s_reason_id (self, why) };
    }
    free (self->off [table]);
    free (self->why [table]);
    self->off [table] = NULL;
    self->why [table] = NULL;
}

//  Fills the tables from a parsed document.
static bool
s_load (egov_calendar_t *self, egov_regfile_t *reader, json_t *root)
{
    if (!egov_regfile_keys (reader, root, "$", "format", "country", "time_zone", "utc_offset",
                            "utc_offset_note", "years", "sources", "schedules",
                            "weekly_rest_moves", "holidays", "transfers", NULL))
        return false;
    json_t *format = egov_regfile_get (reader, root, "$", "format", JSON_INTEGER, true);
    if (!format)
        return false;
    if (json_integer_value (format) != 1)
        return egov_regfile_fail (reader, "$.format", "only format 1 is known");
    if (!egov_regfile_text (reader, root, "$", "time_zone", true)
    ||  !egov_regfile_get (reader, root, "$", "sources", JSON_ARRAY, true)
    ||  !s_load_offset (self, reader, root))
        return false;
    json_t *years = egov_regfile_get (reader, root, "$", "years", JSON_OBJECT, true);
    if (!years || !egov_regfile_keys (reader, years, "$.years", "from", "to", "note", NULL))
        return false;
    json_t *from = egov_regfile_get (reader, years, "$.years", "from", JSON_INTEGER, true);
    json_t *to = egov_regfile_get (reader, years, "$.years", "to", JSON_INTEGER, true);
    if (!from || !to)
        return false;
    self->first_year = (int) json_integer_value (from);
    self->last_year = (int) json_integer_value (to);
    if (self->first_year < 2000 || self->last_year > YEAR_MAX || self->first_year > self->last_year
    ||  self->last_year - self->first_year >= YEARS_MAX)
        return egov_regfile_fail (reader, "$.years", "want 2000 <= from <= to <= %d", YEAR_MAX);
    self->first_day = egov_date_days (self->first_year, 1, 1);
    self->day_count = egov_date_days (self->last_year + 1, 1, 1) - self->first_day;

    json_t *schedules = egov_regfile_get (reader, root, "$", "schedules", JSON_OBJECT, true);
    if (!schedules || !egov_regfile_keys (reader, schedules, "$.schedules",
                                          "office", "state-corp", "portal", NULL))
        return false;
    for (int channel = 0; channel < EGOV_CHANNEL_COUNT; channel++)
        if (!s_load_schedule (self, reader, schedules, (egov_channel_t) channel))
            return false;
    for (int channel = 0; channel < SCHEDULES; channel++)
        if (self->schedules [channel].always_open)
            return egov_regfile_fail (reader, "$.schedules", "office and state-corp keep hours");
    for (int channel = 0; channel < EGOV_CHANNEL_COUNT; channel++)
        s_describe_schedule (self, (egov_channel_t) channel);

    //  Weekly rest days first, then holidays over them, moves, transfers
    for (int table = 0; table < SCHEDULES; table++) {
        self->off [table] = calloc ((size_t) self->day_count, sizeof (bool));
        self->why [table] = calloc ((size_t) self->day_count, sizeof (char *));
        assert (self->off [table] && self->why [table]);
        for (int64_t index = 0; index < self->day_count; index++) {
            int weekday = s_weekday (self->first_day + index);
            if (!self->schedules [table].weekdays [weekday]) {
                self->off [table][index] = true;
                self->why [table][index] = s_weekdays [weekday];
            }
        }
    }
    int *holiday_of = malloc ((size_t) self->day_count * sizeof (int));
    assert (holiday_of);
    for (int64_t index = 0; index < self->day_count; index++)
        holiday_of [index] = -1;
    const char **names = NULL;
    bool *movable = NULL;
    size_t holiday_count = 0;
    bool loaded = s_load_holidays (self, reader, root, holiday_of, &names, &movable, &holiday_count);
    if (loaded)
        for (int table = 0; table < SCHEDULES; table++)
            s_apply_moves (self, table, holiday_of, names, movable);
    free (holiday_of);
    free (names);
    free (movable);
    loaded = loaded && s_load_transfers (self, reader, root);
    if (loaded)
        for (int table = 0; table < SCHEDULES; table++)
            s_compact (self, table);
    zhashx_destroy (&self->reason_ids);
    return loaded;
}

egov_calendar_t *
egov_calendar_new (const char *path, egov_error_t *error)
{
    assert (path && error);
    egov_error_set (error, "", "%s", "");
    egov_regfile_t reader = { path, "CALENDAR_INVALID", error };
    json_t *root = NULL;
    if (!egov_regfile_load (&reader, path, &root))
        return NULL;
    egov_calendar_t *self = calloc (1, sizeof (egov_calendar_t));
    assert (self);
    bool loaded = s_load (self, &reader, root);
    json_decref (root);                 //  the tables keep copies of what they need
    if (!loaded)
        egov_calendar_destroy (&self);
    return self;
}

void
egov_calendar_destroy (egov_calendar_t **self_p)
{
    assert (self_p);
    egov_calendar_t *self = *self_p;
    if (!self)
        return;
    for (int table = 0; table < SCHEDULES; table++) {
        free (self->off [table]);
        free (self->why [table]);
        free (self->off_bits [table]);
        free (self->marks [table]);
    }
    zhashx_destroy (&self->reason_ids);
    free (self->reasons);
    egov_strings_destroy (&self->texts);
    free (self);
    *self_p = NULL;
}

int
egov_calendar_first_year (egov_calendar_t *self)
{
    return self->first_year;
}

int
egov_calendar_last_year (egov_calendar_t *self)
{
    return self->last_year;
}

int64_t
egov_calendar_offset_ms (egov_calendar_t *self)
{
    return self->offset_ms;
}

//  ---------------------------------------------------------------------
//  Days, receipts and deadlines

//  The table index of a channel's schedule (the portal uses its receipt's).
static int
s_table (egov_calendar_t *self, egov_channel_t channel)
{
    assert (channel < EGOV_CHANNEL_COUNT);
    return (int) self->schedules [channel].receipt_as;
}

egov_day_status_t
egov_calendar_day (egov_calendar_t *self, egov_channel_t channel, int64_t day, const char **why)
{
    int table = s_table (self, channel);
    int64_t index = s_index (self, day);
    if (why)
        *why = NULL;
    if (index < 0)
        return EGOV_DAY_UNKNOWN;
    bool off = (self->off_bits [table][index / 64] >> (index % 64)) & 1;
    if (why) {
        *why = s_weekday_why (self, table, index, off);
        //  Binary search of the marked days
        const s_mark_t *marks = self->marks [table];
        size_t low = 0, high = self->mark_count [table];
        while (low < high) {
            size_t middle = low + (high - low) / 2;
            if (marks [middle].index < index)
                low = middle + 1;
            else
                high = middle;
        }
        if (low < self->mark_count [table] && marks [low].index == index)
            *why = self->reasons [marks [low].reason];
    }
    return off ? EGOV_DAY_OFF : EGOV_DAY_WORKING;
}

const char *
egov_calendar_hours (egov_calendar_t *self, egov_channel_t channel)
{
    assert (channel < EGOV_CHANNEL_COUNT);
    return self->schedules [channel].hours;
}

//  Appends a day to a trace.
static void
s_trace_add (egov_calendar_trace_t *trace, int64_t day, int ordinal, int minutes,
             const char *skipped)
{
    if (trace->size == trace->capacity) {
        trace->capacity = trace->capacity ? trace->capacity * 2 : 16;
        trace->days = realloc (trace->days, trace->capacity * sizeof (egov_calendar_day_t));
        assert (trace->days);
    }
    trace->days [trace->size++] = (egov_calendar_day_t) { day, ordinal, minutes, skipped };
}

//  Sets CALENDAR_RANGE for a day the calendar does not cover.
static bool
s_out_of_range (egov_calendar_t *self, int64_t day, egov_error_t *error)
{
    char date [11];
    egov_date_format (day, date);
    egov_error_set (error, "CALENDAR_RANGE", "%s is outside the years the calendar covers"
                    " (%d-%d): holidays and transfers are unknown there",
                    date, self->first_year, self->last_year);
    return false;
}

void
egov_receipt_reset (egov_receipt_t *receipt)
{
    free (receipt->skipped.days);
    memset (receipt, 0, sizeof (*receipt));
}

void
egov_due_reset (egov_due_t *due)
{
    free (due->days.days);
    memset (due, 0, sizeof (*due));
}

bool
egov_calendar_receipt (egov_calendar_t *self, egov_channel_t channel, int64_t at_ms,
                       egov_receipt_t *receipt, egov_error_t *error)
{
    memset (receipt, 0, sizeof (*receipt));
    receipt->submitted_ms = at_ms;
    s_schedule_t *schedule = self->schedules + s_table (self, channel);
    int64_t day = egov_calendar_local_day (self, at_ms);
    int64_t within = at_ms - s_day_start (self, day);
    const char *why;
    egov_day_status_t status = egov_calendar_day (self, channel, day, &why);
    if (status == EGOV_DAY_UNKNOWN)
        return s_out_of_range (self, day, error);
    if (status == EGOV_DAY_WORKING) {
        for (size_t index = 0; index < schedule->intervals; index++) {
            int64_t open = schedule->open [index] * MINUTE_MS;
            int64_t close = schedule->close [index] * MINUTE_MS;
            if (within < open) {
                receipt->received_ms = s_day_start (self, day) + open;
                receipt->rule = index == 0 ? "before opening: received at opening"
                                           : "in a break: received when work resumes";
                break;
            }
            if (within < close) {
                receipt->received_ms = at_ms;
                receipt->rule = "inside working hours: received at once";
                break;
            }
        }
        if (!receipt->received_ms)
            receipt->rule = "after closing: received at the opening of the next working day";
    }
    else {
        receipt->rule = "on a day off: received at the opening of the next working day";
        s_trace_add (&receipt->skipped, day, 0, 0, why);
    }
    while (!receipt->received_ms) {
        day++;
        status = egov_calendar_day (self, channel, day, &why);
        if (status == EGOV_DAY_UNKNOWN) {
            egov_receipt_reset (receipt);
            return s_out_of_range (self, day, error);
        }
        if (status == EGOV_DAY_OFF)
            s_trace_add (&receipt->skipped, day, 0, 0, why);
        else
            receipt->received_ms = s_day_start (self, day) + schedule->open [0] * MINUTE_MS;
    }
    receipt->receipt_day = egov_calendar_local_day (self, receipt->received_ms);
    return true;
}

//  N working days: the close of the Nth working day after the day of receipt.
static bool
s_due_working_days (egov_calendar_t *self, egov_channel_t schedule_channel, int64_t received_ms,
                    int amount, egov_due_t *due, egov_error_t *error)
{
    s_schedule_t *schedule = self->schedules + s_table (self, schedule_channel);
    int64_t day = egov_calendar_local_day (self, received_ms);
    for (int counted = 0; counted < amount; ) {
        day++;
        const char *why;
        egov_day_status_t status = egov_calendar_day (self, schedule_channel, day, &why);
        if (status == EGOV_DAY_UNKNOWN)
            return s_out_of_range (self, day, error);
        if (status == EGOV_DAY_OFF)
            s_trace_add (&due->days, day, 0, 0, why);
        else
            s_trace_add (&due->days, day, ++counted, 0, NULL);
    }
    due->due_ms = s_day_start (self, day)
                + schedule->close [schedule->intervals - 1] * MINUTE_MS;
    return true;
}

//  N minutes of working time from the receipt moment; closed time is skipped.
static bool
s_due_minutes (egov_calendar_t *self, egov_channel_t schedule_channel, int64_t received_ms,
               int64_t minutes, egov_due_t *due, egov_error_t *error)
{
    s_schedule_t *schedule = self->schedules + s_table (self, schedule_channel);
    int64_t remaining = minutes * MINUTE_MS;
    int64_t day = egov_calendar_local_day (self, received_ms);
    int64_t within = received_ms - s_day_start (self, day);
    while (true) {
        const char *why;
        egov_day_status_t status = egov_calendar_day (self, schedule_channel, day, &why);
        if (status == EGOV_DAY_UNKNOWN)
            return s_out_of_range (self, day, error);
        if (status == EGOV_DAY_OFF)
            s_trace_add (&due->days, day, 0, 0, why);
        else {
            int64_t counted = 0;
            for (size_t index = 0; index < schedule->intervals; index++) {
                int64_t start = schedule->open [index] * MINUTE_MS;
                int64_t end = schedule->close [index] * MINUTE_MS;
                if (within > start)
                    start = within;
                if (start >= end)
                    continue;
                int64_t take = end - start < remaining ? end - start : remaining;
                counted += take;
                remaining -= take;
                if (remaining == 0) {
                    s_trace_add (&due->days, day, 0, (int) (counted / MINUTE_MS), NULL);
                    due->due_ms = s_day_start (self, day) + start + take;
                    return true;
                }
            }
            if (counted)
                s_trace_add (&due->days, day, 0, (int) (counted / MINUTE_MS), NULL);
            else
                s_trace_add (&due->days, day, 0, 0, "closed for the rest of the day");
        }
        day++;
        within = 0;
    }
}

bool
egov_calendar_due (egov_calendar_t *self, egov_channel_t schedule, int64_t received_ms,
                   egov_duration_t duration, egov_due_t *due, egov_error_t *error)
{
    memset (due, 0, sizeof (*due));
    bool done = true;
    switch (duration.unit) {
        case EGOV_UNIT_WORKING_DAYS:
            done = s_due_working_days (self, schedule, received_ms, duration.amount, due, error);
            break;
        case EGOV_UNIT_CALENDAR_DAYS: {
            //  Pure arithmetic: days off count, so no calendar data is needed
            int64_t day = egov_calendar_local_day (self, received_ms);
            for (int counted = 1; counted <= duration.amount; counted++)
                s_trace_add (&due->days, day + counted, counted, 0, NULL);
            due->due_ms = s_day_start (self, day + duration.amount + 1);
            break;
        }
        case EGOV_UNIT_HOURS:
            done = s_due_minutes (self, schedule, received_ms, duration.amount * 60LL, due, error);
            break;
        case EGOV_UNIT_MINUTES:
            done = s_due_minutes (self, schedule, received_ms, duration.amount, due, error);
            break;
    }
    if (!done)
        egov_due_reset (due);
    return done;
}

//  ---------------------------------------------------------------------
//  Selftest

//  The calendar file the tests use: $EGOV_REGULATIONS or the repository's.
static char *
s_test_path (void)
{
    char *path;
    int rc = asprintf (&path, "%s/calendar/kz.json", egov_env ("EGOV_REGULATIONS", "regulations"));
    assert (rc > 0);
    return path;
}

//  Parses a local time, asserting it is well formed.
static int64_t
s_at (egov_calendar_t *self, const char *text)
{
    int64_t ms = 0;
    bool parsed = egov_calendar_time_parse (self, text, &ms);
    assert (parsed);
    return ms;
}

//  True when the moment formats as expected (local time with offset).
static bool
s_is (egov_calendar_t *self, int64_t ms, const char *expected)
{
    char text [40];
    egov_calendar_time_format (self, ms, text, sizeof (text));
    if (!streq (text, expected))
        zsys_error ("egov_calendar: got %s, expected %s", text, expected);
    return streq (text, expected);
}

//  Status and reason of a day given as text.
static egov_day_status_t
s_day (egov_calendar_t *self, egov_channel_t channel, const char *date, const char **why)
{
    int64_t day;
    bool parsed = s_date (date, &day);
    assert (parsed);
    return egov_calendar_day (self, channel, day, why);
}

//  Receipt moment of a submission, as text compared with expected.
static bool
s_receipt_is (egov_calendar_t *self, egov_channel_t channel, const char *at, const char *expected)
{
    egov_receipt_t receipt;
    egov_error_t error;
    bool done = egov_calendar_receipt (self, channel, s_at (self, at), &receipt, &error);
    assert (done);
    bool same = s_is (self, receipt.received_ms, expected);
    egov_receipt_reset (&receipt);
    return same;
}

//  Due moment of a term counted on the provider's schedule from received.
static bool
s_due_is (egov_calendar_t *self, const char *received, const char *term, const char *expected)
{
    egov_duration_t duration;
    bool parsed = egov_duration_parse (term, &duration);
    assert (parsed);
    egov_due_t due;
    egov_error_t error;
    bool done = egov_calendar_due (self, EGOV_CHANNEL_OFFICE, s_at (self, received), duration,
                                   &due, &error);
    if (!done)
        zsys_error ("egov_calendar: %s", error.message);
    assert (done);
    bool same = s_is (self, due.due_ms, expected);
    egov_due_reset (&due);
    return same;
}

//  Writes the real calendar with one change to a file and loads it; returns
//  the error message (empty when it loaded).
static const char *
s_broken (const char *base, const char *directory, const char *change, json_t *value,
          egov_error_t *error)
{
    json_error_t problem;
    json_t *root = json_load_file (base, 0, &problem);
    assert (root);
    //  change is "key" at the root, or "schedules.office.hours" style
    char *path = strdup (change);
    assert (path);
    json_t *parent = root;
    char *key = path;
    for (char *dot = strchr (key, '.'); dot; dot = strchr (key, '.')) {
        *dot = 0;
        parent = json_object_get (parent, key);
        assert (parent);
        key = dot + 1;
    }
    if (value)
        json_object_set_new (parent, key, value);
    else
        json_object_del (parent, key);
    free (path);
    char file [300];
    snprintf (file, sizeof (file), "%s/kz.json", directory);
    int rc = json_dump_file (root, file, JSON_INDENT (1));
    assert (rc == 0);
    json_decref (root);
    egov_calendar_t *calendar = egov_calendar_new (file, error);
    if (calendar)
        error->message [0] = 0;
    egov_calendar_destroy (&calendar);
    return error->message;
}

void
egov_calendar_test (bool verbose)
{
    if (verbose)
        printf (" * egov_calendar: ");

    //  Kept strings: copies, in order, a long one in a block of its own
    egov_strings_t *strings = egov_strings_new ();
    char source [40] = "first";
    const char *first = egov_strings_keep (strings, source);
    strcpy (source, "changed");
    assert (streq (first, "first"));
    char *long_text = malloc (STRINGS_BLOCK * 2);
    assert (long_text);
    memset (long_text, 'x', STRINGS_BLOCK * 2 - 1);
    long_text [STRINGS_BLOCK * 2 - 1] = 0;
    const char *kept_long = egov_strings_keep (strings, long_text);
    const char *after = egov_strings_keep (strings, "after");
    assert (strlen (kept_long) == STRINGS_BLOCK * 2 - 1 && streq (after, "after"));
    assert (after == first + strlen ("first") + 1);     //  the block being filled goes on
    for (int index = 0; index < 2000; index++)
        assert (streq (egov_strings_keep (strings, "a text of some length"), "a text of some length"));
    free (long_text);
    egov_strings_destroy (&strings);
    egov_strings_destroy (&strings);

    //  The duration grammar: one number and one unit, nothing else
    egov_duration_t duration;
    char text [40];
    assert (egov_duration_parse ("15m", &duration) && duration.amount == 15
            && duration.unit == EGOV_UNIT_MINUTES);
    assert (egov_duration_parse ("14wd", &duration) && duration.unit == EGOV_UNIT_WORKING_DAYS);
    assert (egov_duration_parse ("29cd", &duration) && duration.unit == EGOV_UNIT_CALENDAR_DAYS);
    assert (egov_duration_parse ("1h", &duration) && duration.unit == EGOV_UNIT_HOURS);
    assert (egov_duration_parse ("99999m", &duration));
    assert (streq (egov_duration_format (duration, text, sizeof (text)), "99999m"));
    const char *bad_terms [] = { "", "m", "0m", "015m", "15", "15 wd", "15d", "15WD", "100000m",
                                 "-1m", "1.5h", "15wd ", "wd15" };
    for (size_t index = 0; index < sizeof (bad_terms) / sizeof (bad_terms [0]); index++)
        assert (!egov_duration_parse (bad_terms [index], &duration));
    assert (!egov_duration_parse (NULL, &duration));
    egov_duration_parse ("1wd", &duration);
    assert (streq (egov_duration_words (duration, text, sizeof (text)), "1 working day"));
    egov_channel_t channel;
    assert (egov_channel_parse ("state-corp", &channel) && channel == EGOV_CHANNEL_STATE_CORP);
    assert (!egov_channel_parse ("State-Corp", &channel));
    assert (streq (egov_channel_name (EGOV_CHANNEL_PORTAL), "portal"));

    char *path = s_test_path ();
    egov_error_t error;
    egov_calendar_t *calendar = egov_calendar_new (path, &error);
    if (!calendar)
        zsys_error ("egov_calendar: %s", error.message);
    assert (calendar);
    assert (egov_calendar_first_year (calendar) <= 2024 && egov_calendar_last_year (calendar) == 2199);
    assert (egov_calendar_offset_ms (calendar) == 5 * 3600000LL);

    //  Times: local without a zone, any zone accepted, one format out
    int64_t local = s_at (calendar, "2026-03-20T19:30");
    assert (local == s_at (calendar, "2026-03-20T14:30:00Z"));
    assert (local == s_at (calendar, "2026-03-20 19:30:00+05:00"));
    assert (local == s_at (calendar, "1774017000000"));
    assert (s_is (calendar, local, "2026-03-20T19:30:00+05:00"));
    int64_t ms;
    assert (!egov_calendar_time_parse (calendar, "2026-02-30T10:00", &ms));
    assert (!egov_calendar_time_parse (calendar, "2026-03-20T25:00", &ms));
    assert (!egov_calendar_time_parse (calendar, "2026-03-20T10:00+5", &ms));
    assert (!egov_calendar_time_parse (calendar, "yesterday", &ms));
    assert (!egov_calendar_time_parse (calendar, "", &ms));
    assert (streq (egov_weekday_name (egov_date_days (2026, 3, 20)), "Friday"));

    //  Weekly rest, holidays, and the move of a day off (labour code art. 85)
    const char *why;
    assert (s_day (calendar, EGOV_CHANNEL_OFFICE, "2026-03-20", &why) == EGOV_DAY_WORKING && !why);
    assert (s_day (calendar, EGOV_CHANNEL_OFFICE, "2026-03-28", &why) == EGOV_DAY_OFF
            && streq (why, "Saturday"));
    assert (s_day (calendar, EGOV_CHANNEL_STATE_CORP, "2026-03-28", &why) == EGOV_DAY_WORKING);
    assert (s_day (calendar, EGOV_CHANNEL_STATE_CORP, "2026-03-29", &why) == EGOV_DAY_OFF
            && streq (why, "Sunday"));
    assert (s_day (calendar, EGOV_CHANNEL_OFFICE, "2026-03-23", &why) == EGOV_DAY_OFF
            && streq (why, "Nauryz"));
    assert (s_day (calendar, EGOV_CHANNEL_OFFICE, "2026-03-24", &why) == EGOV_DAY_OFF
            && streq (why, "moved day off for Nauryz (Saturday 2026-03-21)"));
    assert (s_day (calendar, EGOV_CHANNEL_OFFICE, "2026-03-25", &why) == EGOV_DAY_OFF
            && streq (why, "moved day off for Nauryz (Sunday 2026-03-22)"));
    assert (s_day (calendar, EGOV_CHANNEL_OFFICE, "2026-03-09", &why) == EGOV_DAY_OFF
            && strstr (why, "International Women's Day (Sunday 2026-03-08)"));
    //  The six-day week rests on Sunday only: a Saturday holiday moves nothing
    assert (s_day (calendar, EGOV_CHANNEL_STATE_CORP, "2026-03-21", &why) == EGOV_DAY_OFF
            && streq (why, "Nauryz"));
    assert (s_day (calendar, EGOV_CHANNEL_STATE_CORP, "2026-03-24", &why) == EGOV_DAY_OFF
            && streq (why, "moved day off for Nauryz (Sunday 2026-03-22)"));
    assert (s_day (calendar, EGOV_CHANNEL_STATE_CORP, "2026-03-25", &why) == EGOV_DAY_WORKING);
    assert (s_day (calendar, EGOV_CHANNEL_OFFICE, "2026-05-11", &why) == EGOV_DAY_OFF
            && strstr (why, "Victory Day (Saturday 2026-05-09)"));
    assert (s_day (calendar, EGOV_CHANNEL_STATE_CORP, "2026-05-11", &why) == EGOV_DAY_WORKING);
    //  Constitution Day: 30 August until 2025, none in 2026, 15 March from 2027
    //  The first and last days of the tables, and beyond them
    assert (s_day (calendar, EGOV_CHANNEL_OFFICE, "2023-01-01", &why) == EGOV_DAY_OFF
            && streq (why, "New Year"));
    assert (s_day (calendar, EGOV_CHANNEL_OFFICE, "2199-12-28", &why) == EGOV_DAY_OFF
            && streq (why, "Saturday"));
    assert (s_day (calendar, EGOV_CHANNEL_STATE_CORP, "2199-12-28", &why) == EGOV_DAY_WORKING
            && !why);
    assert (s_day (calendar, EGOV_CHANNEL_OFFICE, "2199-12-31", &why) == EGOV_DAY_WORKING && !why);
    assert (s_day (calendar, EGOV_CHANNEL_OFFICE, "2200-01-01", &why) == EGOV_DAY_UNKNOWN && !why);
    assert (s_day (calendar, EGOV_CHANNEL_OFFICE, "2022-12-31", &why) == EGOV_DAY_UNKNOWN && !why);
    assert (s_day (calendar, EGOV_CHANNEL_OFFICE, "2025-08-30", &why) == EGOV_DAY_OFF
            && streq (why, "Constitution Day"));
    assert (s_day (calendar, EGOV_CHANNEL_OFFICE, "2026-08-31", &why) == EGOV_DAY_WORKING && !why);
    assert (s_day (calendar, EGOV_CHANNEL_OFFICE, "2027-08-30", &why) == EGOV_DAY_WORKING && !why);
    assert (s_day (calendar, EGOV_CHANNEL_OFFICE, "2026-03-16", &why) == EGOV_DAY_WORKING);
    assert (s_day (calendar, EGOV_CHANNEL_OFFICE, "2027-03-15", &why) == EGOV_DAY_OFF
            && streq (why, "Constitution Day"));
    assert (s_day (calendar, EGOV_CHANNEL_OFFICE, "2028-03-15", &why) == EGOV_DAY_OFF);
    //  The rules hold for years no decree has reached: 15 March 2031 is a
    //  Saturday, so the five-day week rests on Monday 17 March
    assert (s_day (calendar, EGOV_CHANNEL_OFFICE, "2031-03-17", &why) == EGOV_DAY_OFF
            && streq (why, "moved day off for Constitution Day (Saturday 2031-03-15)"));
    assert (s_day (calendar, EGOV_CHANNEL_OFFICE, "2150-12-16", &why) == EGOV_DAY_OFF
            && streq (why, "Independence Day"));
    assert (s_day (calendar, EGOV_CHANNEL_OFFICE, "2026-10-26", &why) == EGOV_DAY_OFF
            && strstr (why, "Republic Day"));
    //  A religious holiday on a weekend is not moved (Kurban Ait, Sunday 16 June 2024)
    assert (s_day (calendar, EGOV_CHANNEL_OFFICE, "2024-06-16", &why) == EGOV_DAY_OFF
            && streq (why, "Kurban Ait (first day)"));
    assert (s_day (calendar, EGOV_CHANNEL_OFFICE, "2024-06-17", &why) == EGOV_DAY_WORKING);
    assert (s_day (calendar, EGOV_CHANNEL_OFFICE, "2026-05-27", &why) == EGOV_DAY_OFF);
    //  Past the announced dates Kurban Ait is computed: 10 Dhu al-Hijjah 1450
    assert (s_day (calendar, EGOV_CHANNEL_OFFICE, "2029-04-23", &why) == EGOV_DAY_OFF
            && streq (why, "Kurban Ait (first day), computed date"));
    assert (s_day (calendar, EGOV_CHANNEL_OFFICE, "2029-04-24", &why) == EGOV_DAY_WORKING);
    //  ... once a year, also where an announced date sits a day off the rule
    assert (s_day (calendar, EGOV_CHANNEL_OFFICE, "2026-05-26", &why) == EGOV_DAY_WORKING);
    assert (s_day (calendar, EGOV_CHANNEL_OFFICE, "2028-05-04", &why) == EGOV_DAY_WORKING);
    //  Transfer orders: 2024 moved Saturday 4 May to Wednesday 8 May
    assert (s_day (calendar, EGOV_CHANNEL_OFFICE, "2024-05-04", &why) == EGOV_DAY_WORKING
            && strstr (why, "working day by transfer 2024"));
    assert (s_day (calendar, EGOV_CHANNEL_OFFICE, "2024-05-08", &why) == EGOV_DAY_OFF
            && streq (why, "transfer 2024: day off moved here from Saturday 2024-05-04"));
    assert (s_day (calendar, EGOV_CHANNEL_STATE_CORP, "2024-05-08", &why) == EGOV_DAY_WORKING);
    assert (s_day (calendar, EGOV_CHANNEL_OFFICE, "2025-01-05", &why) == EGOV_DAY_WORKING);
    assert (s_day (calendar, EGOV_CHANNEL_OFFICE, "2025-01-03", &why) == EGOV_DAY_OFF);
    assert (s_day (calendar, EGOV_CHANNEL_OFFICE, "2200-01-10", &why) == EGOV_DAY_UNKNOWN && !why);
    assert (s_day (calendar, EGOV_CHANNEL_OFFICE, "2022-12-30", &why) == EGOV_DAY_UNKNOWN && !why);
    assert (s_day (calendar, EGOV_CHANNEL_PORTAL, "2026-03-24", &why) == EGOV_DAY_OFF);
    assert (streq (egov_calendar_hours (calendar, EGOV_CHANNEL_OFFICE),
                   "Mon-Fri 09:00-13:00, 14:00-18:00"));
    assert (streq (egov_calendar_hours (calendar, EGOV_CHANNEL_STATE_CORP), "Mon-Sat 09:00-20:00"));

    //  Receipt on each channel: inside hours at once, else the next opening
    assert (s_receipt_is (calendar, EGOV_CHANNEL_OFFICE, "2026-03-20T10:00", "2026-03-20T10:00:00+05:00"));
    assert (s_receipt_is (calendar, EGOV_CHANNEL_OFFICE, "2026-03-16T08:15", "2026-03-16T09:00:00+05:00"));
    assert (s_receipt_is (calendar, EGOV_CHANNEL_OFFICE, "2026-03-16T13:30", "2026-03-16T14:00:00+05:00"));
    assert (s_receipt_is (calendar, EGOV_CHANNEL_OFFICE, "2026-03-20T18:00", "2026-03-26T09:00:00+05:00"));
    assert (s_receipt_is (calendar, EGOV_CHANNEL_STATE_CORP, "2026-03-20T19:30", "2026-03-20T19:30:00+05:00"));
    assert (s_receipt_is (calendar, EGOV_CHANNEL_STATE_CORP, "2026-03-20T20:00", "2026-03-25T09:00:00+05:00"));
    assert (s_receipt_is (calendar, EGOV_CHANNEL_STATE_CORP, "2026-03-28T11:00", "2026-03-28T11:00:00+05:00"));
    assert (s_receipt_is (calendar, EGOV_CHANNEL_STATE_CORP, "2026-03-29T11:00", "2026-03-30T09:00:00+05:00"));
    assert (s_receipt_is (calendar, EGOV_CHANNEL_PORTAL, "2026-03-21T03:00", "2026-03-26T09:00:00+05:00"));
    assert (s_receipt_is (calendar, EGOV_CHANNEL_PORTAL, "2026-03-19T23:59", "2026-03-20T09:00:00+05:00"));
    assert (s_receipt_is (calendar, EGOV_CHANNEL_OFFICE, "2024-05-04T10:00", "2024-05-04T10:00:00+05:00"));
    assert (s_receipt_is (calendar, EGOV_CHANNEL_PORTAL, "2025-12-31T18:30", "2026-01-05T09:00:00+05:00"));
    egov_receipt_t receipt;
    assert (egov_calendar_receipt (calendar, EGOV_CHANNEL_PORTAL, s_at (calendar, "2026-03-21T03:00"),
                                   &receipt, &error));
    assert (receipt.skipped.size == 5);        //  21, 22, 23 Nauryz; 24, 25 moved
    assert (streq (receipt.skipped.days [0].skipped, "Nauryz"));
    assert (strstr (receipt.skipped.days [4].skipped, "moved day off"));
    assert (receipt.receipt_day == egov_date_days (2026, 3, 26));
    assert (strstr (receipt.rule, "day off"));
    egov_receipt_reset (&receipt);
    egov_receipt_reset (&receipt);              //  safe twice
    assert (!egov_calendar_receipt (calendar, EGOV_CHANNEL_OFFICE, s_at (calendar, "2200-02-03T10:00"),
                                    &receipt, &error));
    assert (streq (error.code, "CALENDAR_RANGE"));
    //  Walking past the last covered year is an error, not a guess
    assert (!egov_calendar_receipt (calendar, EGOV_CHANNEL_OFFICE, s_at (calendar, "2199-12-31T19:00"),
                                    &receipt, &error));
    assert (streq (error.code, "CALENDAR_RANGE") && strstr (error.message, "2200-01-01"));

    //  Working days: the day of receipt never counts, the term ends at closing
    //  Externat (seed 000 item 11): 15 wd from Friday 20 March 2026 at the State Corporation
    assert (s_due_is (calendar, "2026-03-20T19:30", "15wd", "2026-04-15T18:00:00+05:00"));
    //  The same application at the office after closing is received on 26 March
    assert (s_due_is (calendar, "2026-03-26T09:00", "15wd", "2026-04-16T18:00:00+05:00"));
    //  Over the year boundary: 31 Dec, then 1-2 Jan, the weekend, 7 Jan skipped
    assert (s_due_is (calendar, "2025-12-30T10:00", "5wd", "2026-01-09T18:00:00+05:00"));
    //  A transfer's working Saturday counts, its Wednesday does not
    assert (s_due_is (calendar, "2024-05-02T10:00", "3wd", "2024-05-06T18:00:00+05:00"));
    assert (s_due_is (calendar, "2024-05-06T10:00", "2wd", "2024-05-13T18:00:00+05:00"));
    //  Kurban Ait on a Sunday gives no Monday off
    assert (s_due_is (calendar, "2024-06-14T10:00", "1wd", "2024-06-17T18:00:00+05:00"));
    //  Calendar days end at 24:00 of the Nth day; days off count
    assert (s_due_is (calendar, "2026-03-20T10:00", "29cd", "2026-04-19T00:00:00+05:00"));
    assert (s_due_is (calendar, "2026-12-31T17:00", "1cd", "2027-01-02T00:00:00+05:00"));
    //  Minutes and hours are working time: lunch, nights and days off stop the count
    assert (s_due_is (calendar, "2026-03-16T10:00", "15m", "2026-03-16T10:15:00+05:00"));
    assert (s_due_is (calendar, "2026-03-16T12:50", "15m", "2026-03-16T14:05:00+05:00"));
    assert (s_due_is (calendar, "2026-03-16T12:30", "1h", "2026-03-16T14:30:00+05:00"));
    assert (s_due_is (calendar, "2026-03-16T12:45", "15m", "2026-03-16T13:00:00+05:00"));
    assert (s_due_is (calendar, "2026-03-20T17:55", "15m", "2026-03-26T09:10:00+05:00"));
    egov_due_t due;
    egov_duration_parse ("15wd", &duration);
    assert (egov_calendar_due (calendar, EGOV_CHANNEL_OFFICE, s_at (calendar, "2026-03-20T19:30"),
                               duration, &due, &error));
    assert (due.days.size == 26);              //  15 counted; Nauryz, moves, 4 weekends
    assert (due.days.days [0].ordinal == 0 && streq (due.days.days [0].skipped, "Nauryz"));
    assert (due.days.days [5].ordinal == 1 && due.days.days [5].day == egov_date_days (2026, 3, 26));
    assert (due.days.days [25].ordinal == 15 && !due.days.days [25].skipped);
    egov_due_reset (&due);
    //  Counted on the State Corporation's six-day week, Saturdays work
    egov_duration_parse ("2wd", &duration);
    assert (egov_calendar_due (calendar, EGOV_CHANNEL_STATE_CORP, s_at (calendar, "2026-03-27T10:00"),
                               duration, &due, &error));
    assert (s_is (calendar, due.due_ms, "2026-03-30T20:00:00+05:00"));
    egov_due_reset (&due);
    egov_duration_parse ("300wd", &duration);
    assert (!egov_calendar_due (calendar, EGOV_CHANNEL_OFFICE, s_at (calendar, "2199-06-01T10:00"),
                                duration, &due, &error));
    assert (streq (error.code, "CALENDAR_RANGE") && due.days.days == NULL);

    //  Broken files: each error names the file and the field
    char directory [] = "/tmp/egov-calendar-test.XXXXXX";
    assert (mkdtemp (directory));
    assert (strstr (s_broken (path, directory, "utc_offset", json_string ("5"), &error),
                    "kz.json: $.utc_offset: '5' is not +hh:mm"));
    assert (streq (error.code, "CALENDAR_INVALID"));
    assert (strstr (s_broken (path, directory, "schedules.office.hours",
                              json_pack ("[s]", "09:00-08:00"), &error),
                    "$.schedules.office.hours[0]: intervals must be in order"));
    assert (strstr (s_broken (path, directory, "schedules.office.days",
                              json_pack ("[ss]", "mon", "monday"), &error),
                    "$.schedules.office.days[1]: must be one of mon..sun"));
    assert (strstr (s_broken (path, directory, "holydays", json_array (), &error),
                    "$: unknown field \"holydays\""));
    assert (strstr (s_broken (path, directory, "transfers",
                              json_pack ("[{s:i, s:[]}]", "year", 2200, "moves"), &error),
                    "$.transfers[0]: year 2200 is outside the covered years"));
    assert (strstr (s_broken (path, directory, "years.to", json_integer (2200), &error),
                    "$.years: want 2000 <= from <= to <= 2199"));
    assert (strstr (s_broken (path, directory, "schedules.portal.receipt",
                              json_string ("portal"), &error),
                    "$.schedules.portal: \"receipt\" must be office or state-corp"));
    assert (strstr (s_broken (path, directory, "years", NULL, &error),
                    "$: the field \"years\" is missing"));
    assert (strstr (s_broken (path, directory, "format", json_string ("1"), &error),
                    "\"format\" must be an integer, not a string"));
    //  The unchanged file loads (so the cases above fail for their change alone)
    assert (streq (s_broken (path, directory, "format", json_integer (1), &error), ""));
    char file [300];
    snprintf (file, sizeof (file), "%s/kz.json", directory);
    FILE *handle = fopen (file, "w");
    assert (handle);
    fputs ("{\"format\": 1,\n \"years\": }", handle);
    fclose (handle);
    assert (!egov_calendar_new (file, &error));
    assert (strstr (error.message, "not valid JSON at line 2"));
    remove (file);
    assert (!egov_calendar_new (file, &error));
    assert (strstr (error.message, "cannot read"));
    rmdir (directory);

    egov_calendar_destroy (&calendar);
    egov_calendar_destroy (&calendar);
    assert (calendar == NULL);
    free (path);
    if (verbose)
        printf ("OK\n");
}
