/*  shep_log — message log records and their hash chain.  */
#include "shep_log.h"
#include "egov_clock.h"
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <sodium.h>

static char *
s_copy (const char *text)
{
    char *copy = strdup (text ? text : "");
    assert (copy);
    return copy;
}

shep_log_entry_t *
shep_log_entry_new (const char *channel, const Egov__Envelope *envelope,
                    const char *sender_id, const char *recipient_id, const char *note)
{
    shep_log_entry_t *self = (shep_log_entry_t *) zmalloc (sizeof (shep_log_entry_t));
    assert (self);
    self->logged_at_us = egov_now_us ();
    self->sim_at_us = egov_clock_at_wall (self->logged_at_us / 1000) * 1000 + self->logged_at_us % 1000;
    self->channel = s_copy (channel);
    self->sender_id = s_copy (sender_id);
    self->recipient_id = s_copy (recipient_id);
    self->service_id = s_copy (envelope ? envelope->service_id : NULL);
    self->message_type = envelope ? (int) envelope->message_type : 0;
    self->message_id = s_copy (envelope ? envelope->message_id : NULL);
    self->correlation_id = s_copy (envelope ? envelope->correlation_id : NULL);
    self->note = s_copy (note);
    size_t size = envelope ? envelope->payload.len : 0;
    const uint8_t *bytes = size ? envelope->payload.data : (const uint8_t *) "";
    self->payload_size = (uint32_t) size;
    SHA256 (bytes, size, self->payload_sha256);
    return self;
}

void
shep_log_entry_destroy (shep_log_entry_t **self_p)
{
    assert (self_p);
    shep_log_entry_t *self = *self_p;
    if (!self)
        return;
    free (self->channel);
    free (self->sender_id);
    free (self->recipient_id);
    free (self->service_id);
    free (self->message_id);
    free (self->correlation_id);
    free (self->note);
    free (self);
    *self_p = NULL;
}

void
shep_log_key (const uint8_t *secret, uint8_t key [SHEP_HASH_SIZE])
{
    static const char label [] = "egov.shep message log chain v1";
    crypto_auth_hmacsha256 (key, (const uint8_t *) label, sizeof (label) - 1, secret);
}

//  Hashes prev_hash and the record's fields in their canonical order:
//  HMAC-SHA-256 under key, or plain SHA-256 without one.
static void
s_compute (shep_log_entry_t *self, const uint8_t *key, uint8_t *out)
{
    char numbers [128];
    snprintf (numbers, sizeof (numbers), "%" PRIu64 "\x1f%" PRId64 "\x1f%" PRId64 "\x1f%d\x1f%u",
              self->seq, self->logged_at_us, self->sim_at_us, self->message_type, self->payload_size);
    const char *fields [] = {
        numbers, self->channel, self->sender_id, self->recipient_id, self->service_id,
        self->message_id, self->correlation_id, self->note
    };
    if (key) {
        crypto_auth_hmacsha256_state state;
        crypto_auth_hmacsha256_init (&state, key, SHEP_HASH_SIZE);
        crypto_auth_hmacsha256_update (&state, self->prev_hash, SHEP_HASH_SIZE);
        for (size_t index = 0; index < sizeof (fields) / sizeof (fields [0]); index++) {
            crypto_auth_hmacsha256_update (&state, (const uint8_t *) fields [index], strlen (fields [index]));
            crypto_auth_hmacsha256_update (&state, (const uint8_t *) "\x1f", 1);
        }
        crypto_auth_hmacsha256_update (&state, self->payload_sha256, SHEP_HASH_SIZE);
        crypto_auth_hmacsha256_final (&state, out);
        sodium_memzero (&state, sizeof (state));
        return;
    }
    EVP_MD_CTX *context = EVP_MD_CTX_new ();
    assert (context);
    EVP_DigestInit_ex (context, EVP_sha256 (), NULL);
    EVP_DigestUpdate (context, self->prev_hash, SHEP_HASH_SIZE);
    for (size_t index = 0; index < sizeof (fields) / sizeof (fields [0]); index++) {
        EVP_DigestUpdate (context, fields [index], strlen (fields [index]));
        EVP_DigestUpdate (context, "\x1f", 1);
    }
    EVP_DigestUpdate (context, self->payload_sha256, SHEP_HASH_SIZE);
    unsigned int length = 0;
    EVP_DigestFinal_ex (context, out, &length);
    EVP_MD_CTX_free (context);
}

void
shep_log_entry_chain (shep_log_entry_t *self, uint64_t seq, const uint8_t *prev_hash,
                      const uint8_t *key)
{
    self->seq = seq;
    memcpy (self->prev_hash, prev_hash, SHEP_HASH_SIZE);
    s_compute (self, key, self->hash);
}

bool
shep_log_entry_verify (shep_log_entry_t *self, const uint8_t *key)
{
    uint8_t expected [SHEP_HASH_SIZE];
    s_compute (self, key, expected);
    return memcmp (expected, self->hash, SHEP_HASH_SIZE) == 0;
}

void
shep_log_test (bool verbose)
{
    if (verbose)
        printf (" * shep_log: ");
    Egov__Envelope *envelope = egov_envelope_new ("gbdfl.person", EGOV__MESSAGE_TYPE__REQUEST);
    envelope->payload.data = (uint8_t *) strdup ("packed");
    envelope->payload.len = 6;
    shep_log_entry_t *first = shep_log_entry_new ("sync", envelope, "intake", "gbdfl", "forwarded");
    shep_log_entry_t *second = shep_log_entry_new ("sync", envelope, "gbdfl", "intake", "forwarded");
    uint8_t zeros [SHEP_HASH_SIZE] = { 0 };
    uint8_t secret [32], key [SHEP_HASH_SIZE], other [SHEP_HASH_SIZE];
    randombytes_buf (secret, sizeof (secret));
    shep_log_key (secret, key);
    secret [0] ^= 1;
    shep_log_key (secret, other);
    assert (memcmp (key, other, SHEP_HASH_SIZE) != 0);
    shep_log_entry_chain (first, 1, zeros, key);
    shep_log_entry_chain (second, 2, first->hash, key);
    assert (shep_log_entry_verify (first, key));
    assert (shep_log_entry_verify (second, key));
    //  Rewritten without the key (plain SHA-256, or another key): it shows
    assert (!shep_log_entry_verify (second, NULL) && !shep_log_entry_verify (second, other));
    shep_log_entry_chain (second, 2, first->hash, NULL);
    assert (!shep_log_entry_verify (second, key) && shep_log_entry_verify (second, NULL));
    shep_log_entry_chain (second, 2, first->hash, other);
    assert (!shep_log_entry_verify (second, key));
    shep_log_entry_chain (second, 2, first->hash, key);
    assert (memcmp (first->hash, second->hash, SHEP_HASH_SIZE) != 0);
    assert (first->payload_size == 6);

    //  Any edited field breaks the record's hash
    free (second->recipient_id);
    second->recipient_id = strdup ("someone-else");
    assert (!shep_log_entry_verify (second, key));
    free (second->recipient_id);
    second->recipient_id = strdup ("intake");
    assert (shep_log_entry_verify (second, key));
    second->payload_size = 7;
    assert (!shep_log_entry_verify (second, key));
    second->payload_size = 6;
    second->sim_at_us++;
    assert (!shep_log_entry_verify (second, key));
    second->sim_at_us--;
    //  A record moved to another place in the chain breaks too
    shep_log_entry_t *moved = shep_log_entry_new ("sync", envelope, "gbdfl", "intake", "forwarded");
    moved->logged_at_us = second->logged_at_us;
    shep_log_entry_chain (moved, 2, zeros, key);
    assert (memcmp (moved->hash, second->hash, SHEP_HASH_SIZE) != 0);

    shep_log_entry_destroy (&moved);
    shep_log_entry_destroy (&first);
    shep_log_entry_destroy (&second);
    shep_log_entry_destroy (&second);
    egov__envelope__free_unpacked (envelope, NULL);
    if (verbose)
        printf ("OK\n");
}
