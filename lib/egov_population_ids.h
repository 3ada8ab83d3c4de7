/*  egov_population_ids — who the synthetic population is: for the i-th
    person a birth date, a gender, an IIN and a place in a household.

    The state database of individuals (ЖТ ММБ / ГБД ФЛ, gbdfl) dresses these
    identities with names, addresses and documents; the notarial registry
    (БНАЖ / ЕНИС, enis) picks principals and representatives from them, so
    both agree on who exists without either linking the other's code.

    Deterministic: the same seed gives the same people, and a smaller count
    is a prefix of a larger one. People come in households of
    EGOV_POPULATION_HOUSEHOLD consecutive indices; a child's parents always
    have smaller indices in the same household. IINs are unique, valid, and
    never one of egov_population_reserved_iins.                          */
#ifndef EGOV_POPULATION_IDS_H_INCLUDED
#define EGOV_POPULATION_IDS_H_INCLUDED

#include "egov_iin.h"

#ifdef __cplusplus
extern "C" {
#endif

//  Seed both registries use unless told otherwise.
#define EGOV_POPULATION_SEED 0x4b5a2026e60f1a55ULL
//  People per household block.
#define EGOV_POPULATION_HOUSEHOLD 4

typedef enum {
    EGOV_POPULATION_SINGLE = 0,     //  adult with no family in the registry
    EGOV_POPULATION_FATHER = 1,
    EGOV_POPULATION_MOTHER = 2,
    EGOV_POPULATION_CHILD = 3
} egov_population_role_t;

typedef struct {
    char iin [13];                  //  unique, valid IIN
    int64_t birth_days;             //  birth date, days since 1970-01-01
    bool male;                      //  gender, agrees with the IIN
    egov_population_role_t role;    //  place in the household
    size_t household;               //  household number, index / EGOV_POPULATION_HOUSEHOLD
    int64_t mother;                 //  population index of the mother, -1 when none
    int64_t father;                 //  population index of the father, -1 when none
} egov_population_id_t;

typedef struct _egov_population_ids_t egov_population_ids_t;

//  IINs the synthetic people never get: the registry's fixed people and one
//  valid number that must belong to nobody. NULL-terminated.
extern const char *egov_population_reserved_iins [];

//  Generates count identities from seed.
egov_population_ids_t *egov_population_ids_new (uint64_t seed, size_t count);
void egov_population_ids_destroy (egov_population_ids_t **self_p);
//  Number of identities.
size_t egov_population_ids_size (egov_population_ids_t *self);
//  The index-th identity; index must be below the size.
const egov_population_id_t *egov_population_ids_get (egov_population_ids_t *self, size_t index);
//  The year the synthetic population is made as of: EGOV_POPULATION_YEAR
//  (2026 to 2099) when set, else the current year (UTC), read once. Its people
//  are those of 2026 made younger by the years since, so a population made in
//  any year has children of every age; deploy/run.sh and the tests pin it, so
//  a database keeps the people it was seeded with.
int egov_population_year (void);
//  1 January of that year (days since 1970-01-01): no one is born after it.
int64_t egov_population_as_of (void);
//  A year the population's rules name as of 2026 (births from 2009 have birth
//  certificates, say), moved to the population's year.
int egov_population_shifted (int year);
//  True when iin is one of egov_population_reserved_iins.
bool egov_population_reserved (const char *iin);

//  Next number of a splitmix64 sequence (fast, statistically good, and ours
//  to keep stable: the generated data depend on its exact output).
uint64_t egov_splitmix64 (uint64_t *state);
//  Uniform number in [low, high] from the sequence.
int64_t egov_random_between (uint64_t *state, int64_t low, int64_t high);

void egov_population_ids_test (bool verbose);

#ifdef __cplusplus
}
#endif
#endif
