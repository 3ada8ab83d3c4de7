/*  shep_log — one record of the gateway's message log and the hash chain
    that links the records, so that an edited or removed record shows.

    hash(n) = HMAC-SHA-256 (key, prev_hash || canonical bytes of record n),
    where the canonical bytes are the fields in a fixed order, separated by
    0x1F, and the key is derived from the gateway's CURVE secret key
    (shep_log_key): rewriting a record and every hash after it takes that
    key, not just a text editor. Records written before the chain was keyed
    keep their plain SHA-256 (key NULL) and are checked as such.          */
#ifndef SHEP_LOG_H_INCLUDED
#define SHEP_LOG_H_INCLUDED

#include "egov_util.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SHEP_HASH_SIZE 32

typedef struct {
    uint64_t seq;                           //  position in the log, from 1
    int64_t logged_at_us;                   //  wall time of the crossing
    int64_t sim_at_us;                      //  simulated time of the crossing
    char *channel;                          //  "sync" or "async"
    char *sender_id;                        //  who sent the envelope
    char *recipient_id;                     //  who it goes to
    char *service_id;
    int message_type;                       //  Egov__MessageType
    char *message_id;
    char *correlation_id;
    uint32_t payload_size;                  //  bytes of the envelope's payload
    uint8_t payload_sha256 [SHEP_HASH_SIZE];    //  SHA-256 of the payload
    char *note;                             //  what happened: forwarded, stored, DELIVERED, TIMEOUT...
    uint8_t prev_hash [SHEP_HASH_SIZE];     //  hash of record seq-1 (zeros for the first)
    uint8_t hash [SHEP_HASH_SIZE];          //  this record's chain hash
} shep_log_entry_t;

//  Makes an entry for an envelope crossing the gateway: the envelope's
//  payload is measured and hashed here. Strings are copied into the entry's
//  own allocation (never free or replace them one by one); NULLs become "".
shep_log_entry_t *shep_log_entry_new (const char *channel, const Egov__Envelope *envelope,
                                      const char *sender_id, const char *recipient_id,
                                      const char *note);
void shep_log_entry_destroy (shep_log_entry_t **self_p);
//  The chain's key from the gateway's 32-byte CURVE secret key.
void shep_log_key (const uint8_t *secret, uint8_t key [SHEP_HASH_SIZE]);
//  Sets seq and prev_hash and computes hash, keyed with key (NULL: plain
//  SHA-256, as records before the keyed chain were).
void shep_log_entry_chain (shep_log_entry_t *self, uint64_t seq, const uint8_t *prev_hash,
                           const uint8_t *key);
//  Recomputes the hash from the fields; true when it matches self->hash.
bool shep_log_entry_verify (shep_log_entry_t *self, const uint8_t *key);

void shep_log_test (bool verbose);

#ifdef __cplusplus
}
#endif
#endif
