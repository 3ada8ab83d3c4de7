/*  egov_cms — electronic digital signatures (ЭЦҚ, электрондық цифрлық
    қолтаңба / ЭЦП) as the national signing tools produce them: CMS
    (PKCS#7) SignedData over the exact bytes, with the signer's certificate
    and the signing time inside, detached or with the content attached.

    The signer side holds a key and its certificate and signs with SHA-256
    and RSA (PKCS#1 v1.5). The verifier side holds the trust anchors of the
    test CA (egov_pki: root and issuing CA) and its CRL, which it reloads
    when the file changes, so a revocation counts without a restart. One
    verification function serves every check in the system (the operator's
    signature, the portal's Condition 2, the provider's result) and answers
    one stable outcome, judged at a time the caller passes: the simulation
    clock's. A verifier is not thread-safe: one per actor.                */
#ifndef EGOV_CMS_H_INCLUDED
#define EGOV_CMS_H_INCLUDED

#include "egov_util.h"

#ifdef __cplusplus
extern "C" {
#endif

#define EGOV_CMS_MAX    (64 * 1024 * 1024)  //  largest signature we read (attached content inside)

//  What a verification found. When several apply, the first in this
//  order wins: a signature that is not intact says nothing about its signer.
typedef enum {
    EGOV_CMS_OK = 0,                //  intact, trusted, valid at the time, signing usage, IIN matches
    EGOV_CMS_MALFORMED,             //  not a single-signer CMS SignedData, or content missing
    EGOV_CMS_BAD_SIGNATURE,         //  the bytes or the signed attributes were changed
    EGOV_CMS_UNKNOWN_ISSUER,        //  the certificate does not chain to the trusted root
    EGOV_CMS_CERT_REVOKED,          //  in the issuing CA's CRL
    EGOV_CMS_CERT_EXPIRED,          //  notAfter is before the time judged at
    EGOV_CMS_CERT_NOT_YET_VALID,    //  notBefore is after the time judged at
    EGOV_CMS_WRONG_KEY_USAGE,       //  not a signing certificate (no nonRepudiation)
    EGOV_CMS_IIN_MISMATCH,          //  the certificate's IIN is not the one the request claims
    EGOV_CMS_OUTCOMES               //  count, not an outcome
} egov_cms_outcome_t;

//  The outcome and who signed, as far as the signature tells.
typedef struct {
    egov_cms_outcome_t outcome;     //  as returned
    char detail [256];              //  why, for people
    char name [256];                //  signer's CN, "" when unknown
    char iin [13];                  //  from serialNumber "IIN…", "" when none
    char bin [13];                  //  from OU "BIN…", "" for an individual
    char organisation [256];        //  O, "" for an individual
    char serial [65];               //  certificate serial, upper-case hex
    char issuer [256];              //  issuer's CN
    int64_t not_before_ms;          //  certificate validity
    int64_t not_after_ms;
    int64_t signing_ms;             //  signingTime attribute, 0 when absent
    bool detached;                  //  the content was not inside
} egov_cms_result_t;

typedef struct _egov_cms_signer_t egov_cms_signer_t;
typedef struct _egov_cms_verifier_t egov_cms_verifier_t;

//  Loads a PEM private key and its PEM certificate. NULL with error
//  SIGNER_KEY, SIGNER_CERT or KEY_MISMATCH.
egov_cms_signer_t *egov_cms_signer_new (const char *key_path, const char *cert_path,
                                        egov_error_t *error);
//  The same for certificate label of a PKI folder (egov_pki's layout:
//  keys/LABEL.key, certs/LABEL.pem).
egov_cms_signer_t *egov_cms_signer_for (const char *pki_dir, const char *label, egov_error_t *error);
void egov_cms_signer_destroy (egov_cms_signer_t **self_p);
//  Signs size bytes of content into a DER CMS SignedData (*der, malloc'd,
//  *der_size). detached leaves the content out. signing_ms is the
//  signingTime to state (0: now). 0, or -1 with error CMS_SIGN.
int egov_cms_sign (egov_cms_signer_t *self, const void *content, size_t size, bool detached,
                   int64_t signing_ms, uint8_t **der, size_t *der_size, egov_error_t *error);

//  Loads the trust anchors and the CRL from a PKI folder (egov_pki.h).
//  NULL with error PKI_MISSING or PKI_BROKEN.
egov_cms_verifier_t *egov_cms_verifier_new (const char *pki_dir, egov_error_t *error);
void egov_cms_verifier_destroy (egov_cms_verifier_t **self_p);
//  Verifies a signature, DER or base64 (PEM armour allowed). content is
//  the signed bytes for a detached signature; for an attached one it may
//  be NULL, or the bytes the caller expects inside. at_ms is the time the
//  certificate is judged at. expected_iin, when not NULL, is the IIN the
//  request claims. Fills result (may be NULL) and returns the outcome.
egov_cms_outcome_t egov_cms_verify (egov_cms_verifier_t *self, const void *signature,
                                    size_t size, const void *content, size_t content_size,
                                    int64_t at_ms, const char *expected_iin,
                                    egov_cms_result_t *result);
//  Serials the verifier's CRL lists now (after reloading it when changed).
size_t egov_cms_verifier_revoked (egov_cms_verifier_t *self);

//  The outcome's stable name, e.g. "CERT_REVOKED".
const char *egov_cms_outcome_name (egov_cms_outcome_t outcome);
//  Base64 of bytes on one line, as signing components hand it to a
//  portal; caller frees.
char *egov_cms_base64 (const uint8_t *bytes, size_t size);

void egov_cms_test (bool verbose);

#ifdef __cplusplus
}
#endif
#endif
