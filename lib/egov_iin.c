/*  egov_iin — IIN (ЖСН / ИИН) checks, generation and calendar dates.  */
#include "egov_iin.h"

//  Weights of the second pass, used only when the first pass gives 10.
static const int s_second_weights [11] = { 3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2 };

//  Century a century-gender digit stands for, or -1 when it is not one.
static int
s_century (char digit)
{
    switch (digit) {
        case '1': case '2': return 1800;
        case '3': case '4': return 1900;
        case '5': case '6': return 2000;
        default:            return -1;
    }
}

//  Value of two decimal digits at text.
static int
s_two_digits (const char *text)
{
    return (text [0] - '0') * 10 + (text [1] - '0');
}

int
egov_iin_check_digit (const char *first11)
{
    if (!first11)
        return -1;
    int first = 0;
    int second = 0;
    for (int index = 0; index < 11; index++) {
        if (!isdigit ((unsigned char) first11 [index]))
            return -1;
        int digit = first11 [index] - '0';
        first += digit * (index + 1);
        second += digit * s_second_weights [index];
    }
    if (first % 11 != 10)
        return first % 11;
    if (second % 11 != 10)
        return second % 11;
    return -1;
}

bool
egov_iin_valid (const char *iin, egov_error_t *error)
{
    if (!iin) {
        egov_error_set (error, "INVALID_IIN", "IIN is missing");
        return false;
    }
    //  Bounded so a huge string costs nothing more than a short one
    size_t length = strnlen (iin, 64);
    if (length != EGOV_IIN_LENGTH) {
        egov_error_set (error, "INVALID_IIN", "IIN must be 12 digits, got %s%zu characters",
                        length == 64 ? "at least " : "", length);
        return false;
    }
    for (int index = 0; index < EGOV_IIN_LENGTH; index++)
        if (!isdigit ((unsigned char) iin [index])) {
            egov_error_set (error, "INVALID_IIN",
                            "IIN must be digits only, position %d is not a digit", index + 1);
            return false;
        }
    int century = s_century (iin [6]);
    if (century < 0) {
        egov_error_set (error, "INVALID_IIN",
                        "IIN digit 7 (century and gender) must be 1 to 6, got %c", iin [6]);
        return false;
    }
    int year = century + s_two_digits (iin);
    int month = s_two_digits (iin + 2);
    int day = s_two_digits (iin + 4);
    if (!egov_date_valid (year, month, day)) {
        egov_error_set (error, "INVALID_IIN",
                        "IIN birth date %04d-%02d-%02d does not exist", year, month, day);
        return false;
    }
    int check = egov_iin_check_digit (iin);
    if (check < 0) {
        egov_error_set (error, "INVALID_IIN",
                        "IIN first 11 digits have no check digit, such a number is never issued");
        return false;
    }
    if (iin [11] - '0' != check) {
        egov_error_set (error, "INVALID_IIN", "IIN check digit is %c, expected %d",
                        iin [11], check);
        return false;
    }
    return true;
}

bool
egov_iin_make (char out [13], int year, int month, int day, bool male, int serial)
{
    if (year < 1800 || year > 2099 || serial < 0 || serial > 9999
    ||  !egov_date_valid (year, month, day))
        return false;
    int gender_digit = (year / 100 - 18) * 2 + (male ? 1 : 2);
    snprintf (out, 13, "%02u%02u%02u%u%04u", (unsigned) year % 100u, (unsigned) month % 100u,
              (unsigned) day % 100u, (unsigned) gender_digit % 10u, (unsigned) serial % 10000u);
    int check = egov_iin_check_digit (out);
    if (check < 0) {
        out [0] = 0;
        return false;
    }
    out [11] = (char) ('0' + check);
    out [12] = 0;
    return true;
}

bool
egov_iin_birth_date (const char *iin, int *year, int *month, int *day)
{
    if (!egov_iin_valid (iin, NULL))
        return false;
    *year = s_century (iin [6]) + s_two_digits (iin);
    *month = s_two_digits (iin + 2);
    *day = s_two_digits (iin + 4);
    return true;
}

bool
egov_iin_male (const char *iin)
{
    assert (iin && strlen (iin) >= 7);
    return (iin [6] - '0') % 2 == 1;
}

bool
egov_date_valid (int year, int month, int day)
{
    static const int days_in_month [12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    if (year < 1 || year > 9999 || month < 1 || month > 12 || day < 1)
        return false;
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    int last = days_in_month [month - 1] + (month == 2 && leap ? 1 : 0);
    return day <= last;
}

bool
egov_date_parse (const char *text, int *year, int *month, int *day)
{
    if (!text || strnlen (text, 11) != 10 || text [4] != '-' || text [7] != '-')
        return false;
    for (int index = 0; index < 10; index++)
        if (index != 4 && index != 7 && !isdigit ((unsigned char) text [index]))
            return false;
    int parsed_year = s_two_digits (text) * 100 + s_two_digits (text + 2);
    int parsed_month = s_two_digits (text + 5);
    int parsed_day = s_two_digits (text + 8);
    if (!egov_date_valid (parsed_year, parsed_month, parsed_day))
        return false;
    *year = parsed_year;
    *month = parsed_month;
    *day = parsed_day;
    return true;
}

//  Civil-from-days and back in the proleptic Gregorian calendar, counting
//  400-year eras from 0000-03-01 so that leap days fall at the end of a year.
int64_t
egov_date_days (int year, int month, int day)
{
    int64_t shifted_year = month <= 2 ? year - 1 : year;
    int64_t era = (shifted_year >= 0 ? shifted_year : shifted_year - 399) / 400;
    int64_t year_of_era = shifted_year - era * 400;
    int64_t day_of_year = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
    int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    return era * 146097 + day_of_era - 719468;
}

void
egov_date_from_days (int64_t days, int *year, int *month, int *day)
{
    days += 719468;
    int64_t era = (days >= 0 ? days : days - 146096) / 146097;
    int64_t day_of_era = days - era * 146097;
    int64_t year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36524
                         - day_of_era / 146096) / 365;
    int64_t day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    int64_t month_index = (5 * day_of_year + 2) / 153;
    *day = (int) (day_of_year - (153 * month_index + 2) / 5 + 1);
    *month = (int) (month_index < 10 ? month_index + 3 : month_index - 9);
    *year = (int) (year_of_era + era * 400 + (*month <= 2 ? 1 : 0));
}

void
egov_date_format (int64_t days, char out [11])
{
    int year, month, day;
    egov_date_from_days (days, &year, &month, &day);
    snprintf (out, 11, "%04u-%02u-%02u", (unsigned) year % 10000u,
              (unsigned) month % 100u, (unsigned) day % 100u);
}

void
egov_iin_test (bool verbose)
{
    if (verbose)
        printf (" * egov_iin: ");

    //  Numbers the registries rely on: every one passes both passes of the check
    const char *valid [] = {
        "850314301234", "150913500422", "900722404568", "200510607893",
        "230201503215", "781130306545", "951203407770", "010101599994"
    };
    for (size_t index = 0; index < sizeof (valid) / sizeof (valid [0]); index++) {
        egov_error_t error = { { 0 } };
        if (!egov_iin_valid (valid [index], &error))
            zsys_error ("egov_iin: %s refused: %s", valid [index], error.message);
        assert (egov_iin_valid (valid [index], &error));
        assert (egov_iin_check_digit (valid [index]) == valid [index][11] - '0');
    }

    //  Each kind of broken number gets INVALID_IIN and says what is wrong
    egov_error_t error;
    assert (!egov_iin_valid ("850314301235", &error));
    assert (streq (error.code, "INVALID_IIN"));
    assert (strstr (error.message, "check digit is 5, expected 4"));
    assert (!egov_iin_valid ("85031430123", &error));
    assert (strstr (error.message, "12 digits, got 11"));
    assert (!egov_iin_valid ("8503143012345", &error));
    assert (strstr (error.message, "got 13"));
    assert (!egov_iin_valid ("", &error));
    assert (strstr (error.message, "got 0"));
    assert (!egov_iin_valid (NULL, &error));
    assert (streq (error.code, "INVALID_IIN"));
    assert (!egov_iin_valid ("85031430123A", &error));
    assert (strstr (error.message, "position 12 is not a digit"));
    assert (!egov_iin_valid ("ABCDEFGHIJKL", &error));
    assert (strstr (error.message, "position 1"));
    assert (!egov_iin_valid ("850314 01234", &error));
    assert (strstr (error.message, "position 7"));
    assert (!egov_iin_valid ("850314001234", &error));
    assert (strstr (error.message, "digit 7"));
    assert (!egov_iin_valid ("850314701234", &error));
    assert (strstr (error.message, "digit 7"));
    assert (!egov_iin_valid ("851314301234", &error));
    assert (strstr (error.message, "1985-13-14 does not exist"));
    assert (!egov_iin_valid ("850230301234", &error));
    assert (strstr (error.message, "does not exist"));
    assert (!egov_iin_valid (NULL, NULL));

    //  A first pass of 10 falls back to the second weights
    //  (00000000010: first pass 1 * 10 = 10, second 1 * 1 = 1)
    assert (egov_iin_check_digit ("00000000010") == 1);
    assert (egov_iin_check_digit ("0000000000") == -1);
    assert (egov_iin_check_digit ("0000000000x") == -1);

    //  Generation agrees with validation and with the fixed numbers
    char iin [13];
    assert (egov_iin_make (iin, 1985, 3, 14, true, 123));
    assert (streq (iin, "850314301234"));
    assert (egov_iin_make (iin, 2001, 1, 1, true, 9999));
    assert (streq (iin, "010101599994"));
    assert (egov_iin_make (iin, 1990, 7, 22, false, 456));
    assert (streq (iin, "900722404568"));
    assert (!egov_iin_make (iin, 1990, 2, 30, false, 1));
    assert (!egov_iin_make (iin, 1990, 1, 1, false, 10000));
    assert (!egov_iin_make (iin, 1700, 1, 1, false, 1));

    //  Every serial of one day either makes a valid number or is unissuable,
    //  and the unissuable ones are exactly those without a check digit
    int issuable = 0;
    for (int serial = 0; serial < 10000; serial++) {
        if (egov_iin_make (iin, 2015, 9, 13, true, serial)) {
            assert (egov_iin_valid (iin, NULL));
            int year, month, day;
            assert (egov_iin_birth_date (iin, &year, &month, &day));
            assert (year == 2015 && month == 9 && day == 13);
            assert (egov_iin_male (iin));
            issuable++;
        }
        else {
            char first11 [12];
            snprintf (first11, sizeof (first11), "1509135%04u", (unsigned) serial % 10000u);
            assert (egov_iin_check_digit (first11) == -1);
        }
    }
    assert (issuable > 9000 && issuable < 10000);

    int year, month, day;
    assert (egov_iin_birth_date ("951203407770", &year, &month, &day));
    assert (year == 1995 && month == 12 && day == 3);
    assert (!egov_iin_male ("951203407770"));
    assert (egov_iin_birth_date ("010101599994", &year, &month, &day));
    assert (year == 2001);
    assert (!egov_iin_birth_date ("850314301235", &year, &month, &day));

    //  Calendar dates
    assert (egov_date_valid (2024, 2, 29));
    assert (!egov_date_valid (2023, 2, 29));
    assert (!egov_date_valid (1900, 2, 29));
    assert (egov_date_valid (2000, 2, 29));
    assert (egov_date_days (1970, 1, 1) == 0);
    assert (egov_date_days (2000, 3, 1) == 11017);
    assert (egov_date_days (1969, 12, 31) == -1);
    for (int64_t days = -80000; days < 80000; days += 37) {
        egov_date_from_days (days, &year, &month, &day);
        assert (egov_date_valid (year, month, day));
        assert (egov_date_days (year, month, day) == days);
    }
    char text [11];
    egov_date_format (egov_date_days (2027, 12, 31), text);
    assert (streq (text, "2027-12-31"));
    assert (egov_date_parse ("2026-01-31", &year, &month, &day));
    assert (year == 2026 && month == 1 && day == 31);
    assert (!egov_date_parse ("2026-02-30", &year, &month, &day));
    assert (!egov_date_parse ("2026-1-31", &year, &month, &day));
    assert (!egov_date_parse ("2026-01-311", &year, &month, &day));
    assert (!egov_date_parse ("2026/01/31", &year, &month, &day));
    assert (!egov_date_parse ("", &year, &month, &day));
    assert (!egov_date_parse (NULL, &year, &month, &day));

    if (verbose)
        printf ("OK\n");
}
