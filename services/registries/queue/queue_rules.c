/*  queue_rules — who may be put in the kindergarten queue.  */
#include "queue_rules.h"
#include "egov_clock.h"
#include "egov_iin.h"

int
queue_rules_age (const char *birth_date, const char *on_date)
{
    int birth_year, birth_month, birth_day, year, month, day;
    if (!birth_date || !on_date
    ||  !egov_date_parse (birth_date, &birth_year, &birth_month, &birth_day)
    ||  !egov_date_parse (on_date, &year, &month, &day)
    ||  strcmp (birth_date, on_date) > 0)
        return -1;
    //  A birthday not yet reached this year does not count
    int age = year - birth_year;
    if (month < birth_month || (month == birth_month && day < birth_day))
        age--;
    return age;
}

const char *
queue_rules_judge (const char *birth_date, bool has_certificate, const char *desired_date,
                   const char *today, char *reason, size_t size)
{
    assert (reason && size);
    int age = queue_rules_age (birth_date, today);
    if (age < 0) {
        snprintf (reason, size, "the registry of individuals gives no birth date on or before %s",
                  today);
        return "NO_BIRTH_CERTIFICATE";
    }
    if (age >= QUEUE_AGE_LIMIT) {
        snprintf (reason, size, "the child, born %s, is %d on %s: the queue is for children"
                  " under %d", birth_date, age, today, QUEUE_AGE_LIMIT);
        return "CHILD_TOO_OLD";
    }
    if (!has_certificate) {
        snprintf (reason, size, "the registry of individuals holds no birth certificate of the child");
        return "NO_BIRTH_CERTIFICATE";
    }
    //  ISO dates compare as strings
    if (strcmp (desired_date, today) < 0) {
        snprintf (reason, size, "the desired date %s is before today, %s", desired_date, today);
        return "DESIRED_DATE_PAST";
    }
    return NULL;
}

bool
queue_rules_code_valid (const char *code)
{
    size_t length = code ? strnlen (code, QUEUE_CODE_MAX + 1) : 0;
    if (length < 11 || length > 42 || code [9] != '-')
        return false;
    for (size_t index = 0; index < 9; index++)
        if (code [index] < '0' || code [index] > '9')
            return false;
    return strspn (code + 10, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") == length - 10;
}

void
queue_rules_today (char out [11])
{
    char moment [40];
    egov_clock_format (egov_clock_now_ms (), moment, sizeof (moment));
    memcpy (out, moment, 10);
    out [10] = 0;
}

void
queue_rules_test (bool verbose)
{
    if (verbose)
        printf (" * queue_rules: ");
    //  Ages turn on the birthday, not the day after; 29 February in a common year
    assert (queue_rules_age ("2020-03-15", "2027-03-14") == 6);
    assert (queue_rules_age ("2020-03-15", "2027-03-15") == 7);
    assert (queue_rules_age ("2020-02-29", "2027-02-28") == 6);
    assert (queue_rules_age ("2020-02-29", "2027-03-01") == 7);
    assert (queue_rules_age ("2026-01-01", "2026-01-01") == 0);
    assert (queue_rules_age ("2026-01-02", "2026-01-01") == -1);
    assert (queue_rules_age ("2020-02-30", "2026-01-01") == -1);
    assert (queue_rules_age (NULL, "2026-01-01") == -1);

    char reason [256];
    const char *today = "2027-03-15";
    assert (queue_rules_judge ("2020-03-16", true, "2027-03-15", today, reason, sizeof (reason)) == NULL);
    assert (queue_rules_judge ("2027-03-15", true, "2030-09-01", today, reason, sizeof (reason)) == NULL);
    assert (streq (queue_rules_judge ("2020-03-15", true, "2027-03-15", today, reason, sizeof (reason)),
                   "CHILD_TOO_OLD"));
    assert (strstr (reason, "is 7 on 2027-03-15"));
    assert (streq (queue_rules_judge ("1985-03-14", false, "2027-03-15", today, reason, sizeof (reason)),
                   "CHILD_TOO_OLD"));
    assert (streq (queue_rules_judge ("2021-05-01", false, "2027-03-15", today, reason, sizeof (reason)),
                   "NO_BIRTH_CERTIFICATE"));
    assert (streq (queue_rules_judge ("2027-03-16", true, "2027-03-16", today, reason, sizeof (reason)),
                   "NO_BIRTH_CERTIFICATE"));
    assert (streq (queue_rules_judge ("2021-05-01", true, "2027-03-14", today, reason, sizeof (reason)),
                   "DESIRED_DATE_PAST"));
    assert (strstr (reason, "2027-03-14 is before today, 2027-03-15"));

    assert (queue_rules_code_valid ("430000000-D01"));
    assert (queue_rules_code_valid ("230000000-K-12"));
    assert (!queue_rules_code_valid ("430000000-d01"));
    assert (!queue_rules_code_valid ("43000000-D01"));
    assert (!queue_rules_code_valid ("430000000D01"));
    assert (!queue_rules_code_valid ("430000000-"));
    assert (!queue_rules_code_valid ("430000000-D01 OR 1=1"));
    assert (!queue_rules_code_valid (""));
    assert (!queue_rules_code_valid (NULL));

    char today_now [11];
    queue_rules_today (today_now);
    int year, month, day;
    assert (egov_date_parse (today_now, &year, &month, &day));
    if (verbose)
        printf ("OK\n");
}
