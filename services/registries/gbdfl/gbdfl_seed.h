/*  gbdfl_seed — fills the empty database of the registry of individuals
    (ЖТ ММБ / ГБД ФЛ) with the synthetic population at first start, in one
    transaction with COPY; later starts find people and leave them be.   */
#ifndef GBDFL_SEED_H_INCLUDED
#define GBDFL_SEED_H_INCLUDED

#include "gbdfl_population.h"
#include <libpq-fe.h>

#ifdef __cplusplus
extern "C" {
#endif

//  Writes every person of the population (address, documents, own birth
//  certificate) into the tables with COPY; the caller holds the
//  transaction. False with error set on failure.
bool gbdfl_seed_store (gbdfl_population_t *population, PGconn *conn, egov_error_t *error);
//  When the person table is empty, generates count synthetic people (and
//  the fixed ones) from seed and stores them in one transaction. Returns
//  how many people it stored, 0 when the registry already had people,
//  -1 with error on failure.
int64_t gbdfl_seed (PGconn *conn, uint64_t seed, size_t count, egov_error_t *error);

void gbdfl_seed_test (bool verbose);

#ifdef __cplusplus
}
#endif
#endif
