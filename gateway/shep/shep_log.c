/*  shep_log — message log records and their hash chain.  */
#include "shep_log.h"
#include "egov_clock.h"
#include <openssl/evp.h>
#include <pthread.h>
#include <sodium.h>

//  OpenSSL's SHA-256, fetched from its provider once: a one-shot call
//  (SHA256 (), EVP_sha256 ()) fetches it every time, which cost more than
//  hashing a small payload. OpenSSL uses the processor's SHA instructions
//  where there are some; libsodium's portable SHA-256 is several times
//  slower on a record's few hundred bytes.
static EVP_MD *s_sha256;
static pthread_once_t s_sha256_once = PTHREAD_ONCE_INIT;

static void
s_sha256_fetch (void)
{
    s_sha256 = EVP_MD_fetch (NULL, "SHA256", NULL);
    assert (s_sha256);
}

//  A context started on SHA-256; the caller frees it.
static EVP_MD_CTX *
s_sha256_start (void)
{
    pthread_once (&s_sha256_once, s_sha256_fetch);
    EVP_MD_CTX *context = EVP_MD_CTX_new ();
    assert (context);
    int rc = EVP_DigestInit_ex (context, s_sha256, NULL);
    assert (rc == 1);
    return context;
}

//  Ends a context started by s_sha256_start: the digest into out, freed.
static void
s_sha256_end (EVP_MD_CTX **context_p, uint8_t *out)
{
    unsigned int length = 0;
    EVP_DigestFinal_ex (*context_p, out, &length);
    assert (length == SHEP_HASH_SIZE);
    EVP_MD_CTX_free (*context_p);
    *context_p = NULL;
}

//  Writes value in decimal at cursor; returns the end. The canonical bytes
//  of a record hold its numbers as printf would write them.
static char *
s_put_uint (char *cursor, uint64_t value)
{
    char digits [20];
    size_t count = 0;
    do {
        digits [count++] = (char) ('0' + value % 10);
        value /= 10;
    } while (value);
    while (count)
        *cursor++ = digits [--count];
    return cursor;
}

static char *
s_put_int (char *cursor, int64_t value)
{
    if (value < 0)
        *cursor++ = '-';
    return s_put_uint (cursor, value < 0 ? (uint64_t) 0 - (uint64_t) value : (uint64_t) value);
}

//  Copies text (NULL as "") to cursor; returns where the next goes.
static char *
s_place (char **field, char *cursor, const char *text, size_t length)
{
    memcpy (cursor, text ? text : "", length);
    cursor [length] = 0;
    *field = cursor;
    return cursor + length + 1;
}

shep_log_entry_t *
shep_log_entry_new (const char *channel, const Egov__Envelope *envelope,
                    const char *sender_id, const char *recipient_id, const char *note)
{
    //  One allocation holds the entry and its strings: the reactor makes two
    //  entries per sync call, and a string apiece was most of their cost
    const char *texts [7] = {
        channel, sender_id, recipient_id, envelope ? envelope->service_id : NULL,
        envelope ? envelope->message_id : NULL, envelope ? envelope->correlation_id : NULL, note
    };
    size_t lengths [7], total = 0;
    for (size_t index = 0; index < 7; index++) {
        lengths [index] = texts [index] ? strlen (texts [index]) : 0;
        total += lengths [index] + 1;
    }
    shep_log_entry_t *self = (shep_log_entry_t *) zmalloc (sizeof (shep_log_entry_t) + total);
    assert (self);
    char *cursor = (char *) (self + 1);
    cursor = s_place (&self->channel, cursor, texts [0], lengths [0]);
    cursor = s_place (&self->sender_id, cursor, texts [1], lengths [1]);
    cursor = s_place (&self->recipient_id, cursor, texts [2], lengths [2]);
    cursor = s_place (&self->service_id, cursor, texts [3], lengths [3]);
    cursor = s_place (&self->message_id, cursor, texts [4], lengths [4]);
    cursor = s_place (&self->correlation_id, cursor, texts [5], lengths [5]);
    s_place (&self->note, cursor, texts [6], lengths [6]);
    self->logged_at_us = egov_now_us ();
    self->sim_at_us = egov_clock_at_wall (self->logged_at_us / 1000) * 1000 + self->logged_at_us % 1000;
    self->message_type = envelope ? (int) envelope->message_type : 0;
    size_t size = envelope ? envelope->payload.len : 0;
    const uint8_t *bytes = size ? envelope->payload.data : (const uint8_t *) "";
    self->payload_size = (uint32_t) size;
    EVP_MD_CTX *context = s_sha256_start ();
    EVP_DigestUpdate (context, bytes, size);
    s_sha256_end (&context, self->payload_sha256);
    return self;
}

void
shep_log_entry_destroy (shep_log_entry_t **self_p)
{
    assert (self_p);
    shep_log_entry_t *self = *self_p;
    if (!self)
        return;
    free (self);        //  its strings with it
    *self_p = NULL;
}

void
shep_log_key (const uint8_t *secret, uint8_t key [SHEP_HASH_SIZE])
{
    static const char label [] = "egov.shep message log chain v1";
    crypto_auth_hmacsha256 (key, (const uint8_t *) label, sizeof (label) - 1, secret);
}

//  Hashes prev_hash and the record's fields in their canonical order:
//  HMAC-SHA-256 under key (RFC 2104, as libsodium's crypto_auth_hmacsha256
//  computed it for the records written before), or plain SHA-256 without one.
static void
s_compute (shep_log_entry_t *self, const uint8_t *key, uint8_t *out)
{
    char numbers [128], *cursor = numbers;
    cursor = s_put_uint (cursor, self->seq);
    *cursor++ = '\x1f';
    cursor = s_put_int (cursor, self->logged_at_us);
    *cursor++ = '\x1f';
    cursor = s_put_int (cursor, self->sim_at_us);
    *cursor++ = '\x1f';
    cursor = s_put_int (cursor, self->message_type);
    *cursor++ = '\x1f';
    cursor = s_put_uint (cursor, self->payload_size);
    *cursor++ = '\x1f';
    const char *fields [] = {
        self->channel, self->sender_id, self->recipient_id, self->service_id,
        self->message_id, self->correlation_id, self->note
    };
    uint8_t pad [64];
    EVP_MD_CTX *context = s_sha256_start ();
    if (key) {
        memset (pad, 0x36, sizeof (pad));
        for (size_t index = 0; index < SHEP_HASH_SIZE; index++)
            pad [index] ^= key [index];
        EVP_DigestUpdate (context, pad, sizeof (pad));
    }
    EVP_DigestUpdate (context, self->prev_hash, SHEP_HASH_SIZE);
    EVP_DigestUpdate (context, numbers, (size_t) (cursor - numbers));
    for (size_t index = 0; index < sizeof (fields) / sizeof (fields [0]); index++) {
        EVP_DigestUpdate (context, fields [index], strlen (fields [index]));
        EVP_DigestUpdate (context, "\x1f", 1);
    }
    EVP_DigestUpdate (context, self->payload_sha256, SHEP_HASH_SIZE);
    if (!key) {
        s_sha256_end (&context, out);
        return;
    }
    uint8_t inner [SHEP_HASH_SIZE];
    s_sha256_end (&context, inner);
    memset (pad, 0x5c, sizeof (pad));
    for (size_t index = 0; index < SHEP_HASH_SIZE; index++)
        pad [index] ^= key [index];
    context = s_sha256_start ();
    EVP_DigestUpdate (context, pad, sizeof (pad));
    EVP_DigestUpdate (context, inner, SHEP_HASH_SIZE);
    s_sha256_end (&context, out);
    OPENSSL_cleanse (pad, sizeof (pad));
    OPENSSL_cleanse (inner, sizeof (inner));
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
    //  The same hashes as libsodium's HMAC-SHA-256 and SHA-256 over the
    //  canonical bytes, which chained the records written before
    first->sim_at_us = -first->sim_at_us;
    shep_log_entry_chain (first, 1, zeros, key);
    uint8_t canonical [512], expected [SHEP_HASH_SIZE];
    memcpy (canonical, zeros, SHEP_HASH_SIZE);
    int length = snprintf ((char *) canonical + SHEP_HASH_SIZE, sizeof (canonical) - 2 * SHEP_HASH_SIZE,
        "%" PRIu64 "\x1f%" PRId64 "\x1f%" PRId64 "\x1f%d\x1f%u\x1f%s\x1f%s\x1f%s\x1f%s\x1f%s\x1f%s\x1f%s\x1f",
        first->seq, first->logged_at_us, first->sim_at_us, first->message_type, first->payload_size,
        first->channel, first->sender_id, first->recipient_id, first->service_id,
        first->message_id, first->correlation_id, first->note);
    assert (length > 0 && (size_t) length < sizeof (canonical) - 2 * SHEP_HASH_SIZE);
    memcpy (canonical + SHEP_HASH_SIZE + length, first->payload_sha256, SHEP_HASH_SIZE);
    size_t canonical_size = 2 * SHEP_HASH_SIZE + (size_t) length;
    crypto_auth_hmacsha256_state state;
    crypto_auth_hmacsha256_init (&state, key, SHEP_HASH_SIZE);
    crypto_auth_hmacsha256_update (&state, canonical, canonical_size);
    crypto_auth_hmacsha256_final (&state, expected);
    assert (memcmp (expected, first->hash, SHEP_HASH_SIZE) == 0);
    shep_log_entry_chain (first, 1, zeros, NULL);
    crypto_hash_sha256 (expected, canonical, canonical_size);
    assert (memcmp (expected, first->hash, SHEP_HASH_SIZE) == 0);
    crypto_hash_sha256 (expected, (const uint8_t *) "packed", 6);
    assert (memcmp (expected, first->payload_sha256, SHEP_HASH_SIZE) == 0);
    first->sim_at_us = -first->sim_at_us;
    shep_log_entry_chain (first, 1, zeros, key);

    //  Any edited field breaks the record's hash
    char *recipient_id = second->recipient_id;
    char edited [] = "someone-else";
    second->recipient_id = edited;
    assert (!shep_log_entry_verify (second, key));
    second->recipient_id = recipient_id;
    assert (streq (recipient_id, "intake"));
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
