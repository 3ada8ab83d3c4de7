/*  shep_keys — the CURVE key pairs of the gateway and its participants.

    Every ZeroMQ link to the gateway is encrypted and authenticated with
    CURVE (czmq's zcert and zauth). A keys folder holds:

      gateway.key               the gateway's public key, given to every participant
      gateway.key_secret        the gateway's key pair (the gateway's host only)
      public/<id>.key           a participant's public key; zauth lets in these
                                keys only, and the certificate's metadata
                                `participant = "<id>"` binds the key to that id
      private/<id>.key_secret   a participant's key pair (its host only)

    The files are czmq certificates (ZPL text), so a participant written in
    another language makes its pair with any CURVE tool and hands in only the
    public key (shep_keys_trust, `egovctl keys add`).                     */
#ifndef SHEP_KEYS_H_INCLUDED
#define SHEP_KEYS_H_INCLUDED

#include "egov_util.h"

#ifdef __cplusplus
extern "C" {
#endif

//  Where make run keeps the keys, relative to the repository.
#define SHEP_KEYS_DEFAULT_DIR   "var/keys"
//  The certificate metadata naming the participant a key belongs to.
#define SHEP_KEYS_PARTICIPANT   "participant"

//  Makes the gateway's pair when dir has none; *created (may be NULL) tells
//  whether it did. 0, or -1 with error (KEYS_UNWRITABLE).
int shep_keys_init (const char *dir, bool *created, egov_error_t *error);
//  Makes a pair for participant id when it has none, public and private
//  halves in their folders. 0, or -1 with error (INVALID_PARTICIPANT,
//  KEYS_UNWRITABLE).
int shep_keys_create (const char *dir, const char *participant_id, bool *created, egov_error_t *error);
//  Trusts public_key (40 Z85 characters) as participant id's key, replacing
//  any earlier public key of that id. 0, or -1 with error (INVALID_KEY,
//  INVALID_PARTICIPANT, KEYS_UNWRITABLE).
int shep_keys_trust (const char *dir, const char *participant_id, const char *public_key,
                     egov_error_t *error);
//  A participant's own pair, or NULL with error (NO_KEY, and what to run).
zcert_t *shep_keys_participant (const char *dir, const char *participant_id, egov_error_t *error);
//  The gateway's pair (the gateway itself), or NULL with error (NO_KEY).
zcert_t *shep_keys_gateway (const char *dir, egov_error_t *error);
//  The gateway's public key (40 Z85 characters) into key; 0 or -1 with error.
int shep_keys_gateway_public (const char *dir, char key [41], egov_error_t *error);
//  The keys folder a tool uses without a flag: EGOV_KEYS_DIR, else the
//  repository's var/keys (written into path).
const char *shep_keys_dir (char *path, size_t size);
//  The folder of trusted public keys (for zauth); free it.
char *shep_keys_public_dir (const char *dir);
//  True when id may name a key file: 1-64 of letters, digits and ._:@-.
bool shep_keys_id_valid (const char *participant_id);

void shep_keys_test (bool verbose);

#ifdef __cplusplus
}
#endif
#endif
