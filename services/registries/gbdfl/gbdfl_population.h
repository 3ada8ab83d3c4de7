/*  gbdfl_population — the synthetic population of the state database of
    individuals (ЖТ ММБ, "Жеке тұлғалар" мемлекеттік мәліметтер базасы /
    ГБД ФЛ).

    The fixed people every test relies on come first, exactly as the
    registry must hold them; then count synthetic people dressed from
    egov_population_ids: Kazakh names with gendered surnames (‑ов/‑ова,
    ‑ев/‑ева) and patronymics (‑ұлы/‑қызы), addresses in every region with
    its KATO code, ID cards and passports, and birth certificates linking
    children born after 2008 to their parents. Deterministic for a seed.
    gbdfl_seed writes it into the registry's database.                  */
#ifndef GBDFL_POPULATION_H_INCLUDED
#define GBDFL_POPULATION_H_INCLUDED

#include "egov_population_ids.h"
#include "registries.pb-c.h"

#ifdef __cplusplus
extern "C" {
#endif

//  Synthetic people by default (the fixed ones come on top).
#define GBDFL_POPULATION_DEFAULT 10000
//  Most synthetic people one population may have (document numbers are
//  derived from the index and stay unique below it).
#define GBDFL_POPULATION_MAX 5000000

typedef struct _gbdfl_population_t gbdfl_population_t;

//  Generates the fixed people and count synthetic people from seed.
gbdfl_population_t *gbdfl_population_new (uint64_t seed, size_t count);
void gbdfl_population_destroy (gbdfl_population_t **self_p);
//  Number of people, fixed ones included.
size_t gbdfl_population_size (gbdfl_population_t *self);
//  Number of fixed people; they occupy the first indices.
size_t gbdfl_population_fixed (void);
//  IIN of the index-th person.
const char *gbdfl_population_iin (gbdfl_population_t *self, size_t index);
//  The index-th person as the registry answers it: documents, own birth
//  certificate, certificates naming them as a parent. Caller frees with
//  egov__registries__person__free_unpacked (person, NULL).
Egov__Registries__Person *gbdfl_population_person (gbdfl_population_t *self, size_t index);

void gbdfl_population_test (bool verbose);

#ifdef __cplusplus
}
#endif
#endif
