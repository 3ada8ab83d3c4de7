/*  egov_iin — the individual identification number of Kazakhstan
    (ЖСН, жеке сәйкестендіру нөмірі / ИИН), and the calendar dates it carries.

    Twelve digits: YYMMDD of birth, one digit for century and gender
    (1/2 = 1800s male/female, 3/4 = 1900s, 5/6 = 2000s), a four-digit
    serial and a check digit. The check digit is the sum of the first eleven
    digits weighted 1..11, modulo 11; when that is 10 a second pass uses the
    weights 3..11,1,2; when that is 10 again the number is never issued.   */
#ifndef EGOV_IIN_H_INCLUDED
#define EGOV_IIN_H_INCLUDED

#include "egov_util.h"

#ifdef __cplusplus
extern "C" {
#endif

#define EGOV_IIN_LENGTH 12

//  True when iin is a well-formed, issuable IIN. Otherwise sets error to
//  INVALID_IIN with a message naming what is wrong (length, a non-digit,
//  the date, the century digit, the check digit). error may be NULL.
bool egov_iin_valid (const char *iin, egov_error_t *error);
//  Check digit for the first eleven digits of an IIN, or -1 when no
//  check digit exists (the number is not issuable) or input is not digits.
int egov_iin_check_digit (const char *first11);
//  Builds the IIN of a person born on the date with the gender and serial
//  (0..9999) into out. False when the date, the century or the serial
//  cannot make an issuable number (the caller then tries another serial).
bool egov_iin_make (char out [13], int year, int month, int day, bool male, int serial);
//  Birth date an IIN carries (full year from the century digit); false
//  when iin is not valid.
bool egov_iin_birth_date (const char *iin, int *year, int *month, int *day);
//  True for a man, false for a woman; the IIN must be valid.
bool egov_iin_male (const char *iin);

//  True when the day exists in the Gregorian calendar.
bool egov_date_valid (int year, int month, int day);
//  Parses a strict YYYY-MM-DD date; false (out untouched) when malformed.
bool egov_date_parse (const char *text, int *year, int *month, int *day);
//  Days since 1970-01-01 for a Gregorian date (negative before).
int64_t egov_date_days (int year, int month, int day);
//  The Gregorian date of a day count since 1970-01-01.
void egov_date_from_days (int64_t days, int *year, int *month, int *day);
//  Writes YYYY-MM-DD for a day count since 1970-01-01 into out.
void egov_date_format (int64_t days, char out [11]);

void egov_iin_test (bool verbose);

#ifdef __cplusplus
}
#endif
#endif
