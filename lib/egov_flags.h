/*  egov_flags — a service's command line and environment, from one table.

    Each option of a service is one entry: a long flag, maybe an environment
    variable, a kind, a default, a line of help and where the value goes. A
    flag beats its variable, a variable beats the default, and an empty
    variable counts as unset. The default of a file or folder (EGOV_FLAG_PATH,
    e.g. var/pki or regulations) is looked up in the repository the binary
    was built in (egov_repo_path), so a service started from any working
    directory finds it; a path given by flag or variable is taken as given.

    --help (or -h) prints a usage generated from the table and ends with
    status 0. Any usage error — an unknown flag, a missing, empty or
    malformed value, a required option left out, a malformed variable —
    prints one line naming it, then the usage, to stderr and ends with
    EGOV_FLAGS_USAGE, the same status for every service.                 */
#ifndef EGOV_FLAGS_H_INCLUDED
#define EGOV_FLAGS_H_INCLUDED

#include "egov_util.h"

#ifdef __cplusplus
extern "C" {
#endif

//  Exit status of a bad command line or environment (sysexits' EX_USAGE).
#define EGOV_FLAGS_USAGE    64

//  A number macro's value as the text of a default:
//  EGOV_FLAGS_TEXT (GBDFL_POPULATION_DEFAULT) is "10000".
#define EGOV_FLAGS_TEXT(macro)  EGOV_FLAGS_TEXT_ (macro)
#define EGOV_FLAGS_TEXT_(text)  #text

//  What an option's value is, and so what its target points to.
typedef enum {
    EGOV_FLAG_STRING = 0,   //  const char *: the text as given
    EGOV_FLAG_PATH,         //  const char *: a file or folder; the default is the repository's
    EGOV_FLAG_NUMBER,       //  int64_t: a decimal integer from min to max
    EGOV_FLAG_DURATION,     //  int64_t: ms, written "30m", "90s", "2000ms"; more than 0, at most max
    EGOV_FLAG_MOMENT,       //  int64_t: ms since the epoch, ISO 8601 (Almaty time unless an offset)
    EGOV_FLAG_SWITCH        //  bool: the bare flag sets it; a variable says 1/0, true/false, yes/no, on/off
} egov_flag_kind_t;

//  One option. A table is a static array of these ended by { NULL }; the
//  targets are usually fields of one static struct of the service's main.
typedef struct {
    const char *name;           //  long flag without its dashes, e.g. "gateway"; NULL ends the table
    char letter;                //  short flag, e.g. 'v' for -v; 0 for none
    const char *env;            //  environment variable, or NULL
    egov_flag_kind_t kind;      //  what the value is
    const char *value_name;     //  the value in the usage, e.g. "ENDPOINT"
    const char *fallback;       //  default, text parsed like a value; NULL leaves the target as it is
    const char *shown;          //  the default as the usage shows it when the service computes it
    const char *help;           //  what the option is for; the usage adds variable, range and default
    void *target;               //  const char **, int64_t * or bool *, by kind
    int64_t min, max;           //  range of a number (the usage shows a max of UINT32_MAX or
                                //  more as "at least min"); the longest duration (0: none)
    bool (*valid) (const char *text);   //  a further check of a string, or NULL
    const char *expects;        //  what a valid string is, for messages, e.g. "a 9-digit KATO code"
    bool required;              //  the flag or its variable must be given
} egov_flag_t;

//  The entries the participants share, spelt once (the names they use,
//  SHEP_DEFAULT_ENDPOINT, SHEP_KEYS_DEFAULT_DIR and EGOV_PKI_DEFAULT_DIR,
//  come from shep_client.h, shep_keys.h and egov_pki.h where they are used).
#define EGOV_FLAG_GATEWAY(field) \
    { .name = "gateway", .env = "EGOV_GATEWAY", .value_name = "ENDPOINT", \
      .fallback = SHEP_DEFAULT_ENDPOINT, .help = "gateway endpoint", .target = &(field) }
#define EGOV_FLAG_KEYS(field) \
    { .name = "keys", .kind = EGOV_FLAG_PATH, .env = "EGOV_KEYS_DIR", .value_name = "DIR", \
      .fallback = SHEP_KEYS_DEFAULT_DIR, .help = "CURVE keys of the gateway link (egovctl keys init)", \
      .target = &(field) }
#define EGOV_FLAG_PKI(field, purpose) \
    { .name = "pki", .kind = EGOV_FLAG_PATH, .env = "EGOV_PKI_DIR", .value_name = "DIR", \
      .fallback = EGOV_PKI_DEFAULT_DIR, .help = purpose, .target = &(field) }
#define EGOV_FLAG_REGULATIONS(field) \
    { .name = "regulations", .kind = EGOV_FLAG_PATH, .env = "EGOV_REGULATIONS", \
      .value_name = "DIR", .fallback = "regulations", .help = "catalogue and calendar", \
      .target = &(field) }

typedef struct _egov_flags_t egov_flags_t;

//  A parser for program (its name in messages) over table, which ends with
//  an entry whose name is NULL. synopsis follows the name in the usage line,
//  e.g. "--region KATO [options]" (NULL: "[options]"). The strings and the
//  table are borrowed: they must outlive the parser (static, normally).
egov_flags_t *egov_flags_new (const char *program, const char *synopsis, const egov_flag_t *table);
//  Frees the parser and nulls the pointer; safe twice. Path defaults it
//  resolved go with it, so destroy it after the last use of the targets.
void egov_flags_destroy (egov_flags_t **self_p);
//  Text the usage prints after the options, e.g. the participant id a
//  service takes. Borrowed like the table.
void egov_flags_set_notes (egov_flags_t *self, const char *notes);
//  Where --help and the errors go; stdout and stderr unless set (tests).
void egov_flags_set_streams (egov_flags_t *self, FILE *out, FILE *err);
//  Parses argv and the environment into the targets. True when the service
//  should start (*status 0). False when it should end with *status: 0 after
//  printing the usage for --help, EGOV_FLAGS_USAGE after printing an error.
bool egov_flags_parse (egov_flags_t *self, int argc, char *argv [], int *status);
//  True when the last parse took the option called name from a flag or a
//  variable, false when it kept the default.
bool egov_flags_given (egov_flags_t *self, const char *name);
//  Prints the usage to stream.
void egov_flags_usage (egov_flags_t *self, FILE *stream);

void egov_flags_test (bool verbose);

#ifdef __cplusplus
}
#endif
#endif
