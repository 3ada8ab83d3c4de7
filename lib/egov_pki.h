/*  egov_pki — a test certification authority in the manner of the national
    one (ҰКО, Ұлттық куәландырушы орталық / НУЦ РК): a root, an issuing CA,
    registration certificates (тіркеу куәлігі / регистрационное
    свидетельство) for individuals (IIN) and organisations (BIN), and the
    list of revoked certificates (CRL) that verifiers reload.

    Everything lives in one folder (default var/pki, env EGOV_PKI_DIR),
    PEM throughout, private keys 0600, never in git:
        root-ca.pem      root-ca.key        the root, self-signed
        issuing-ca.pem   issuing-ca.key     the issuing CA, signed by the root
        crl.pem                             the issuing CA's CRL
        untrusted-ca.pem untrusted-ca.key   a CA that nobody trusts (tests)
        index.tsv                           one line per certificate issued
        certs/LABEL.pem  keys/LABEL.key     the certificates and their keys
    Keys are RSA-2048; certificates and the CRL are signed with SHA-256 with
    RSA (PKCS#1 v1.5). GOST (the national CA's other family) is out of
    scope: OpenSSL 3 does not ship it.

    Writers (ensure, issue, revoke) take an exclusive lock on the folder,
    reread the index and replace files by rename, so concurrent egovctl
    runs and verifiers reading the CRL never see a half-written file.    */
#ifndef EGOV_PKI_H_INCLUDED
#define EGOV_PKI_H_INCLUDED

#include "egov_util.h"
#include <openssl/asn1.h>

#ifdef __cplusplus
extern "C" {
#endif

#define EGOV_PKI_DEFAULT_DIR    "var/pki"
#define EGOV_PKI_ROOT_CERT      "root-ca.pem"
#define EGOV_PKI_ISSUING_CERT   "issuing-ca.pem"
#define EGOV_PKI_UNTRUSTED_CERT "untrusted-ca.pem"
#define EGOV_PKI_CRL            "crl.pem"
#define EGOV_PKI_INDEX          "index.tsv"
#define EGOV_PKI_LABEL_MAX      64          //  with the terminating zero
#define EGOV_PKI_TEXT_MAX       256         //  name, organisation (UTF-8 bytes)
#define EGOV_PKI_DAY_MS         (24LL * 3600 * 1000)

typedef struct _egov_pki_t egov_pki_t;

//  What a certificate may be used for.
typedef enum {
    EGOV_PKI_SIGN = 0,          //  keyUsage digitalSignature, nonRepudiation (ҚОЛ / ЭЦП)
    EGOV_PKI_AUTH = 1           //  digitalSignature, keyEncipherment: logging in only
} egov_pki_usage_t;

//  One certificate of the index.
typedef struct {
    char serial [33];           //  upper-case hex, as X.509 carries it
    bool revoked;               //  listed in the CRL
    bool untrusted;             //  issued by the untrusted CA (a test case)
    egov_pki_usage_t usage;     //  signing or authentication
    int64_t not_before_ms;      //  validity window, ms since the epoch
    int64_t not_after_ms;
    int64_t revoked_ms;         //  when revoked, 0 while valid
    char label [EGOV_PKI_LABEL_MAX];        //  file names: certs/LABEL.pem, keys/LABEL.key
    char iin [13];              //  subject serialNumber without "IIN", "" when none
    char bin [13];              //  organisation's BIN, "" for an individual
    char name [EGOV_PKI_TEXT_MAX];          //  CN: the person's full name
    char organisation [EGOV_PKI_TEXT_MAX];  //  O, "" for an individual
} egov_pki_entry_t;

//  What to issue. Either iin or bin (with organisation) or both: an
//  organisation's certificate names the employee who holds it.
typedef struct {
    const char *name;           //  full name, the CN
    const char *iin;            //  12 digits or NULL
    const char *bin;            //  12 digits or NULL
    const char *organisation;   //  with bin
    egov_pki_usage_t usage;     //  signing or authentication
    int64_t not_before_ms;      //  0: now
    int64_t not_after_ms;       //  0: not_before + 365 days
    const char *label;          //  NULL: "<IIN or BIN>-<serial>"
    bool untrusted;             //  issue from the untrusted CA
} egov_pki_request_t;

//  A PKI over a folder; nothing is read until a method needs it.
egov_pki_t *egov_pki_new (const char *dir);
void egov_pki_destroy (egov_pki_t **self_p);
//  The moment certificates issued from now on start from (the demo ones
//  reach a year back and two ahead of it) and revocations are dated;
//  0 (the default) is wall time. For a system that runs "as of" a
//  simulated moment.
void egov_pki_set_now (egov_pki_t *self, int64_t now_ms);
//  The folder.
const char *egov_pki_dir (egov_pki_t *self);
//  Creates what is missing: the CAs, the CRL, every demo certificate and
//  the test cases (see docs/signatures.md). Idempotent. created (may be
//  NULL) gets how many certificates it issued. 0, or -1 with error set.
int egov_pki_ensure (egov_pki_t *self, int *created, egov_error_t *error);
//  Issues a certificate with a fresh key; entry (may be NULL) gets its
//  index line. Codes: INVALID_NAME, INVALID_IIN, INVALID_BIN,
//  INVALID_VALIDITY, INVALID_LABEL, LABEL_TAKEN, PKI_MISSING, PKI_IO.
int egov_pki_issue (egov_pki_t *self, const egov_pki_request_t *request,
                    egov_pki_entry_t *entry, egov_error_t *error);
//  Revokes the certificate with this serial, or every certificate of this
//  IIN or BIN, and rewrites the CRL. count (may be NULL) gets how many were
//  revoked now (0 when all were already). NOT_FOUND when nothing matches.
int egov_pki_revoke (egov_pki_t *self, const char *serial_or_id, int *count,
                     egov_error_t *error);
//  Rereads the index; 0, or -1 (PKI_MISSING, PKI_BAD_INDEX).
int egov_pki_load (egov_pki_t *self, egov_error_t *error);
//  Certificates in the index as last read, in issue order.
size_t egov_pki_size (egov_pki_t *self);
const egov_pki_entry_t *egov_pki_entry (egov_pki_t *self, size_t index);
//  The entry with this label, or NULL.
const egov_pki_entry_t *egov_pki_find (egov_pki_t *self, const char *label);
//  Path of a file in the folder ("certs/x.pem"), into buffer.
const char *egov_pki_path (egov_pki_t *self, const char *file, char *buffer, size_t size);

//  True when bin is a well-formed BIN: 12 digits, a month in digits 3-4,
//  4, 5 or 6 (legal entity) in digit 5, the IIN's check digit. Otherwise
//  INVALID_BIN with a reason; error may be NULL.
bool egov_pki_bin_valid (const char *bin, egov_error_t *error);
//  The BIN of the organisation that provides the services of region (its
//  KATO code): whose certificate signs that region's results. NULL for a
//  region without one.
const char *egov_pki_provider_bin (const char *kato);
//  An ASN.1 time as ms since the epoch; 0 when it does not parse.
int64_t egov_pki_time_ms (const ASN1_TIME *time);
//  Removes a folder and everything below it (tests drop their temporary
//  PKI this way); 0, or -1 when something stayed.
int egov_pki_remove (const char *dir);

void egov_pki_test (bool verbose);

#ifdef __cplusplus
}
#endif
#endif
