/*  egov_cms — CMS signatures: the signer and the one verifier.
    OpenSSL does the cryptography; this file decides what a signature
    means for the e-government flows and names it with a stable outcome.  */
#include "egov_cms.h"
#include "egov_pki.h"
#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

//  A key and the certificate that names it.
struct _egov_cms_signer_t {
    EVP_PKEY *key;                  //  private key
    X509 *cert;                     //  its certificate, put inside every signature
};

//  Trust anchors and the CRL, as of the CRL file last looked at.
struct _egov_cms_verifier_t {
    char *crl_path;                 //  <pki>/crl.pem
    X509 *root;                     //  trusted root
    X509 *issuing;                  //  trusted issuing CA, signs the CRL
    X509_STORE *store;              //  root + issuing + CRL; rebuilt on a new CRL
    size_t revoked;                 //  serials in the CRL loaded
    struct stat crl_seen;           //  the CRL file when last looked at (loaded or refused)
};

static const char *s_outcome_names [EGOV_CMS_OUTCOMES] = {
    "OK", "MALFORMED", "BAD_SIGNATURE", "UNKNOWN_ISSUER", "CERT_REVOKED", "CERT_EXPIRED",
    "CERT_NOT_YET_VALID", "WRONG_KEY_USAGE", "IIN_MISMATCH"
};

const char *
egov_cms_outcome_name (egov_cms_outcome_t outcome)
{
    return outcome >= 0 && outcome < EGOV_CMS_OUTCOMES ? s_outcome_names [outcome] : "UNKNOWN";
}

//  The reason OpenSSL queued last, or fallback; clears the queue.
static const char *
s_openssl_reason (char *buffer, size_t size, const char *fallback)
{
    unsigned long code = ERR_peek_last_error ();
    const char *reason = code ? ERR_reason_error_string (code) : NULL;
    snprintf (buffer, size, "%s", reason ? reason : fallback);
    ERR_clear_error ();
    return buffer;
}

//  ---------------------------------------------------------------------
//  Base64, as signing components hand signatures over

char *
egov_cms_base64 (const uint8_t *bytes, size_t size)
{
    assert (size < INT_MAX / 2);
    char *text = malloc (4 * ((size + 2) / 3) + 1);
    assert (text);
    EVP_EncodeBlock ((unsigned char *) text, bytes, (int) size);
    return text;
}

//  Value of a base64 character, -1 for others.
static int
s_base64_value (unsigned char letter)
{
    if (letter >= 'A' && letter <= 'Z')
        return letter - 'A';
    if (letter >= 'a' && letter <= 'z')
        return letter - 'a' + 26;
    if (letter >= '0' && letter <= '9')
        return letter - '0' + 52;
    return letter == '+' ? 62 : letter == '/' ? 63 : -1;
}

//  Decodes base64 with whitespace and optional PEM armour into a new
//  buffer; NULL when anything else is in the way.
static uint8_t *
s_base64_decode (const char *text, size_t size, size_t *decoded)
{
    const char *end = text + size;
    if (size > 10 && memcmp (text, "-----BEGIN", 10) == 0) {
        const char *line = memchr (text, '\n', size);
        if (!line)
            return NULL;
        text = line + 1;
    }
    uint8_t *bytes = malloc (size / 4 * 3 + 3);
    assert (bytes);
    uint32_t group = 0;
    size_t count = 0, length = 0, padding = 0;
    for (const char *cursor = text; cursor < end; cursor++) {
        unsigned char letter = (unsigned char) *cursor;
        if (letter == ' ' || letter == '\t' || letter == '\r' || letter == '\n')
            continue;
        if (letter == '-' && end - cursor >= 8 && memcmp (cursor, "-----END", 8) == 0)
            break;                          //  the armour's last line
        int value = letter == '=' ? 0 : s_base64_value (letter);
        if (value < 0 || (padding && letter != '=')) {
            free (bytes);
            return NULL;
        }
        padding += letter == '=';
        group = group << 6 | (uint32_t) value;
        if (++count % 4 == 0) {
            bytes [length++] = (uint8_t) (group >> 16);
            bytes [length++] = (uint8_t) (group >> 8);
            bytes [length++] = (uint8_t) group;
            group = 0;
        }
    }
    if (count == 0 || count % 4 || padding > 2) {
        free (bytes);
        return NULL;
    }
    *decoded = length - padding;
    return bytes;
}

//  ---------------------------------------------------------------------
//  Signing

egov_cms_signer_t *
egov_cms_signer_for (const char *pki_dir, const char *label, egov_error_t *error)
{
    char key [PATH_MAX], cert [PATH_MAX];
    snprintf (key, sizeof (key), "%s/keys/%s.key", pki_dir, label);
    snprintf (cert, sizeof (cert), "%s/certs/%s.pem", pki_dir, label);
    return egov_cms_signer_new (key, cert, error);
}

egov_cms_signer_t *
egov_cms_signer_new (const char *key_path, const char *cert_path, egov_error_t *error)
{
    egov_cms_signer_t *self = calloc (1, sizeof (egov_cms_signer_t));
    assert (self);
    FILE *stream = fopen (key_path, "r");
    if (stream) {
        self->key = PEM_read_PrivateKey (stream, NULL, NULL, NULL);
        fclose (stream);
    }
    stream = self->key ? fopen (cert_path, "r") : NULL;
    if (stream) {
        self->cert = PEM_read_X509 (stream, NULL, NULL, NULL);
        fclose (stream);
    }
    if (!self->key)
        egov_error_set (error, "SIGNER_KEY", "cannot read a PEM private key from %s", key_path);
    else
    if (!self->cert)
        egov_error_set (error, "SIGNER_CERT", "cannot read a PEM certificate from %s", cert_path);
    else
    if (X509_check_private_key (self->cert, self->key) != 1)
        egov_error_set (error, "KEY_MISMATCH", "the key %s does not belong to the certificate %s",
                        key_path, cert_path);
    else
        return self;
    ERR_clear_error ();
    egov_cms_signer_destroy (&self);
    return NULL;
}

void
egov_cms_signer_destroy (egov_cms_signer_t **self_p)
{
    assert (self_p);
    egov_cms_signer_t *self = *self_p;
    if (!self)
        return;
    EVP_PKEY_free (self->key);
    X509_free (self->cert);
    free (self);
    *self_p = NULL;
}

int
egov_cms_sign (egov_cms_signer_t *self, const void *content, size_t size, bool detached,
               int64_t signing_ms, uint8_t **der, size_t *der_size, egov_error_t *error)
{
    assert (self && (content || size == 0) && der && der_size);
    *der = NULL;
    *der_size = 0;
    if (size > INT_MAX) {
        egov_error_set (error, "CMS_SIGN", "content larger than 2 GiB");
        return -1;
    }
    //  CMS_BINARY: the exact bytes, no MIME canonical line endings
    unsigned flags = CMS_PARTIAL | CMS_BINARY | (detached ? CMS_DETACHED : 0);
    CMS_ContentInfo *cms = CMS_sign (NULL, NULL, NULL, NULL, flags);
    CMS_SignerInfo *signer = cms ? CMS_add1_signer (cms, self->cert, self->key, EVP_sha256 (),
                                                    CMS_BINARY | CMS_NOSMIMECAP) : NULL;
    ASN1_TIME *when = ASN1_TIME_set (NULL, (time_t) ((signing_ms ? signing_ms : egov_now_ms ()) / 1000));
    BIO *input = BIO_new_mem_buf (content ? content : "", (int) size);
    bool signed_ok = signer && when && input
        && CMS_signed_add1_attr_by_NID (signer, NID_pkcs9_signingTime, ASN1_STRING_type (when),
                                        when, -1)
        && CMS_final (cms, input, NULL, CMS_BINARY);
    int length = signed_ok ? i2d_CMS_ContentInfo (cms, NULL) : -1;
    if (length > 0) {
        *der = malloc ((size_t) length);
        assert (*der);
        unsigned char *cursor = *der;
        *der_size = (size_t) i2d_CMS_ContentInfo (cms, &cursor);
    }
    BIO_free (input);
    ASN1_TIME_free (when);
    CMS_ContentInfo_free (cms);
    if (length > 0)
        return 0;
    char reason [160];
    egov_error_set (error, "CMS_SIGN", "cannot sign: %s",
                    s_openssl_reason (reason, sizeof (reason), "unknown reason"));
    return -1;
}

//  ---------------------------------------------------------------------
//  The verifier and its CRL

//  Reads one PEM certificate; NULL when missing or broken.
static X509 *
s_cert_read (const char *dir, const char *file)
{
    char path [PATH_MAX];
    snprintf (path, sizeof (path), "%s/%s", dir, file);
    FILE *stream = fopen (path, "r");
    X509 *cert = stream ? PEM_read_X509 (stream, NULL, NULL, NULL) : NULL;
    if (stream)
        fclose (stream);
    return cert;
}

//  True when stat found the same file, unchanged, as before.
static bool
s_same_file (const struct stat *one, const struct stat *other)
{
    return one->st_ino == other->st_ino && one->st_dev == other->st_dev
        && one->st_size == other->st_size
        && one->st_mtim.tv_sec == other->st_mtim.tv_sec
        && one->st_mtim.tv_nsec == other->st_mtim.tv_nsec
        && one->st_ctim.tv_sec == other->st_ctim.tv_sec
        && one->st_ctim.tv_nsec == other->st_ctim.tv_nsec;
}

//  Loads the CRL when its file changed since last looked at, and rebuilds
//  the store around it. A CRL that does not read or is not the issuing
//  CA's is refused and the previous one stays. 0, or -1 with error.
static int
s_crl_reload (egov_cms_verifier_t *self, egov_error_t *error)
{
    struct stat info;
    if (stat (self->crl_path, &info) != 0) {
        egov_error_set (error, "PKI_BROKEN", "cannot read the CRL %s: %s", self->crl_path,
                        strerror (errno));
        return self->store ? 0 : -1;        //  a CRL that went away: keep what we had
    }
    if (self->store && s_same_file (&info, &self->crl_seen))
        return 0;
    self->crl_seen = info;
    FILE *stream = fopen (self->crl_path, "r");
    X509_CRL *crl = stream ? PEM_read_X509_CRL (stream, NULL, NULL, NULL) : NULL;
    if (stream)
        fclose (stream);
    ERR_clear_error ();
    if (!crl || X509_NAME_cmp (X509_CRL_get_issuer (crl), X509_get_subject_name (self->issuing))
    ||  X509_CRL_verify (crl, X509_get0_pubkey (self->issuing)) != 1) {
        egov_error_set (error, "PKI_BROKEN", "%s is not a CRL signed by the issuing CA",
                        self->crl_path);
        if (self->store)
            zsys_warning ("egov_cms: %s; keeping the previous CRL", error->message);
        X509_CRL_free (crl);
        ERR_clear_error ();
        return -1;
    }
    X509_STORE *store = X509_STORE_new ();
    assert (store);
    bool built = X509_STORE_add_cert (store, self->root) && X509_STORE_add_cert (store, self->issuing)
              && X509_STORE_add_crl (store, crl);
    assert (built);                         //  only out of memory fails here
    STACK_OF (X509_REVOKED) *revoked = X509_CRL_get_REVOKED (crl);
    self->revoked = revoked ? (size_t) sk_X509_REVOKED_num (revoked) : 0;
    X509_CRL_free (crl);
    X509_STORE_free (self->store);
    self->store = store;
    return 0;
}

egov_cms_verifier_t *
egov_cms_verifier_new (const char *pki_dir, egov_error_t *error)
{
    assert (pki_dir);
    egov_cms_verifier_t *self = calloc (1, sizeof (egov_cms_verifier_t));
    assert (self);
    self->crl_path = zsys_sprintf ("%s/%s", pki_dir, EGOV_PKI_CRL);
    assert (self->crl_path);
    self->root = s_cert_read (pki_dir, EGOV_PKI_ROOT_CERT);
    self->issuing = s_cert_read (pki_dir, EGOV_PKI_ISSUING_CERT);
    ERR_clear_error ();
    if (!self->root || !self->issuing) {
        egov_error_set (error, "PKI_MISSING", "no CA certificates in %s (egovctl pki init makes"
                        " them)", pki_dir);
        egov_cms_verifier_destroy (&self);
    }
    else
    if (X509_verify (self->issuing, X509_get0_pubkey (self->root)) != 1) {
        ERR_clear_error ();
        egov_error_set (error, "PKI_BROKEN", "the issuing CA in %s is not signed by its root", pki_dir);
        egov_cms_verifier_destroy (&self);
    }
    else
    if (s_crl_reload (self, error))
        egov_cms_verifier_destroy (&self);
    return self;
}

void
egov_cms_verifier_destroy (egov_cms_verifier_t **self_p)
{
    assert (self_p);
    egov_cms_verifier_t *self = *self_p;
    if (!self)
        return;
    X509_STORE_free (self->store);
    X509_free (self->root);
    X509_free (self->issuing);
    zstr_free (&self->crl_path);
    free (self);
    *self_p = NULL;
}

size_t
egov_cms_verifier_revoked (egov_cms_verifier_t *self)
{
    egov_error_t error;
    s_crl_reload (self, &error);
    return self->revoked;
}

//  ---------------------------------------------------------------------
//  Verification

//  Copies subject field nid as UTF-8 into text, control characters
//  replaced, "" when absent.
static void
s_name_text (const X509_NAME *name, int nid, char *text, size_t size)
{
    *text = 0;
    int position = X509_NAME_get_index_by_NID (name, nid, -1);
    if (position < 0)
        return;
    unsigned char *utf8 = NULL;
    int length = ASN1_STRING_to_UTF8 (&utf8, X509_NAME_ENTRY_get_data (
                                      X509_NAME_get_entry (name, position)));
    if (length >= 0) {
        snprintf (text, size, "%.*s", length, utf8);
        for (char *cursor = text; *cursor; cursor++)
            if ((unsigned char) *cursor < 0x20 || *cursor == 0x7F)
                *cursor = '?';
    }
    OPENSSL_free (utf8);
}

//  The 12 digits after prefix in field nid ("IIN…", "BIN…"), "" otherwise.
static void
s_number (const X509_NAME *name, int nid, const char *prefix, char number [13])
{
    char text [64];
    s_name_text (name, nid, text, sizeof (text));
    *number = 0;
    if (strlen (text) == 15 && strncmp (text, prefix, 3) == 0
    &&  strspn (text + 3, "0123456789") == 12)
        strcpy (number, text + 3);
}

//  Fills the signer part of result from the certificate.
static void
s_describe (const X509 *cert, egov_cms_result_t *result)
{
    const X509_NAME *subject = X509_get_subject_name (cert);
    s_name_text (subject, NID_commonName, result->name, sizeof (result->name));
    s_name_text (subject, NID_organizationName, result->organisation, sizeof (result->organisation));
    s_name_text (X509_get_issuer_name (cert), NID_commonName, result->issuer, sizeof (result->issuer));
    s_number (subject, NID_serialNumber, "IIN", result->iin);
    s_number (subject, NID_organizationalUnitName, "BIN", result->bin);
    if (!*result->bin)
        s_number (subject, NID_organizationIdentifier, "BIN", result->bin);
    BIGNUM *serial = ASN1_INTEGER_to_BN (X509_get0_serialNumber (cert), NULL);
    char *hex = serial ? BN_bn2hex (serial) : NULL;
    snprintf (result->serial, sizeof (result->serial), "%s", hex ? hex : "");
    OPENSSL_free (hex);
    BN_free (serial);
    result->not_before_ms = egov_pki_time_ms (X509_get0_notBefore (cert));
    result->not_after_ms = egov_pki_time_ms (X509_get0_notAfter (cert));
}

//  The signingTime attribute in ms, 0 when absent or not a time.
static int64_t
s_signing_time (CMS_SignerInfo *signer)
{
    int position = CMS_signed_get_attr_by_NID (signer, NID_pkcs9_signingTime, -1);
    X509_ATTRIBUTE *attribute = position >= 0 ? CMS_signed_get_attr (signer, position) : NULL;
    ASN1_TYPE *value = attribute ? X509_ATTRIBUTE_get0_type (attribute, 0) : NULL;
    if (!value || (value->type != V_ASN1_UTCTIME && value->type != V_ASN1_GENERALIZEDTIME))
        return 0;
    return egov_pki_time_ms (value->value.asn1_string);
}

//  Lets verification go on past what our CRL cannot say: its own dates
//  (the file is current whatever the simulation clock shows) and CA
//  certificates, which it does not cover; the key usage check then
//  refuses a CA that signs a document.
static int
s_verify_callback (int ok, X509_STORE_CTX *context)
{
    if (ok)
        return ok;
    int code = X509_STORE_CTX_get_error (context);
    if (code == X509_V_ERR_CRL_NOT_YET_VALID || code == X509_V_ERR_CRL_HAS_EXPIRED)
        return 1;
    if (code == X509_V_ERR_UNABLE_TO_GET_CRL
    &&  X509_check_ca (X509_STORE_CTX_get_current_cert (context)) > 0)
        return 1;
    return 0;
}

//  Checks the certificate chain at time at_ms with the CRL.
static egov_cms_outcome_t
s_chain_check (egov_cms_verifier_t *self, X509 *cert, STACK_OF (X509) *others, int64_t at_ms,
               egov_cms_result_t *result)
{
    X509_STORE_CTX *context = X509_STORE_CTX_new ();
    assert (context);
    egov_cms_outcome_t outcome = EGOV_CMS_UNKNOWN_ISSUER;
    if (!X509_STORE_CTX_init (context, self->store, cert, others)) {
        X509_STORE_CTX_free (context);
        snprintf (result->detail, sizeof (result->detail), "cannot set up the chain check");
        return outcome;
    }
    X509_VERIFY_PARAM *param = X509_STORE_CTX_get0_param (context);
    X509_VERIFY_PARAM_set_time (param, (time_t) (at_ms / 1000));
    X509_VERIFY_PARAM_set_flags (param, X509_V_FLAG_CRL_CHECK);
    X509_STORE_CTX_set_verify_cb (context, s_verify_callback);
    if (X509_verify_cert (context) == 1)
        outcome = EGOV_CMS_OK;
    else {
        int code = X509_STORE_CTX_get_error (context);
        int depth = X509_STORE_CTX_get_error_depth (context);
        switch (code) {
            case X509_V_ERR_CERT_REVOKED: outcome = EGOV_CMS_CERT_REVOKED; break;
            case X509_V_ERR_CERT_HAS_EXPIRED: outcome = EGOV_CMS_CERT_EXPIRED; break;
            case X509_V_ERR_CERT_NOT_YET_VALID: outcome = EGOV_CMS_CERT_NOT_YET_VALID; break;
            case X509_V_ERR_INVALID_PURPOSE:
            case X509_V_ERR_KEYUSAGE_NO_DIGITAL_SIGNATURE: outcome = EGOV_CMS_WRONG_KEY_USAGE; break;
            default: outcome = EGOV_CMS_UNKNOWN_ISSUER;
        }
        snprintf (result->detail, sizeof (result->detail), "%s%s",
                  X509_verify_cert_error_string (code), depth > 0 ? " (a CA of the chain)" : "");
    }
    X509_STORE_CTX_free (context);
    ERR_clear_error ();
    return outcome;
}

//  Parses DER or base64 into a CMS SignedData; NULL with detail set.
static CMS_ContentInfo *
s_parse (const uint8_t *bytes, size_t size, egov_cms_result_t *result)
{
    uint8_t *decoded = NULL;
    //  DER starts with SEQUENCE and a long-form or indefinite length (a
    //  signature is over 127 bytes); base64 text never has a byte >= 0x80.
    bool der = size >= 2 && bytes [0] == 0x30 && bytes [1] >= 0x80;
    if (!der) {
        decoded = s_base64_decode ((const char *) bytes, size, &size);
        bytes = decoded;
    }
    if (!bytes) {
        snprintf (result->detail, sizeof (result->detail), "neither DER nor base64");
        return NULL;
    }
    const unsigned char *cursor = bytes;
    CMS_ContentInfo *cms = size <= LONG_MAX ? d2i_CMS_ContentInfo (NULL, &cursor, (long) size) : NULL;
    ERR_clear_error ();
    if (cms && cursor != bytes + size) {
        snprintf (result->detail, sizeof (result->detail), "bytes after the CMS structure");
        CMS_ContentInfo_free (cms);
        cms = NULL;
    }
    else
    if (!cms)
        snprintf (result->detail, sizeof (result->detail), "not a CMS structure (truncated or garbage)");
    else
    if (OBJ_obj2nid (CMS_get0_type (cms)) != NID_pkcs7_signed) {
        snprintf (result->detail, sizeof (result->detail), "CMS %s, not SignedData",
                  OBJ_nid2sn (OBJ_obj2nid (CMS_get0_type (cms))));
        CMS_ContentInfo_free (cms);
        cms = NULL;
    }
    else
    if (OBJ_obj2nid (CMS_get0_eContentType (cms)) != NID_pkcs7_data) {
        //  We sign bytes, as id-data; OpenSSL would not compare this with
        //  the signed contentType attribute
        snprintf (result->detail, sizeof (result->detail), "signed content of type %s, not data",
                  OBJ_nid2sn (OBJ_obj2nid (CMS_get0_eContentType (cms))));
        CMS_ContentInfo_free (cms);
        cms = NULL;
    }
    free (decoded);
    return cms;
}

//  Checks the signature value over the content; the outcome, with the
//  signer's certificate in *signer_cert when found.
static egov_cms_outcome_t
s_signature_check (CMS_ContentInfo *cms, const void *content, size_t content_size,
                   X509 **signer_cert, egov_cms_result_t *result)
{
    STACK_OF (CMS_SignerInfo) *signers = CMS_get0_SignerInfos (cms);
    int count = signers ? sk_CMS_SignerInfo_num (signers) : 0;
    if (count != 1) {
        snprintf (result->detail, sizeof (result->detail), "%d signers, one expected", count);
        return EGOV_CMS_MALFORMED;
    }
    CMS_SignerInfo *signer = sk_CMS_SignerInfo_value (signers, 0);
    CMS_set1_signers_certs (cms, NULL, 0);
    CMS_SignerInfo_get0_algs (signer, NULL, signer_cert, NULL, NULL);
    ERR_clear_error ();
    if (!*signer_cert) {
        snprintf (result->detail, sizeof (result->detail), "no signer certificate inside");
        return EGOV_CMS_MALFORMED;
    }
    s_describe (*signer_cert, result);
    result->signing_ms = s_signing_time (signer);
    result->detached = CMS_is_detached (cms) == 1;
    if (result->detached && !content) {
        snprintf (result->detail, sizeof (result->detail),
                  "a detached signature needs the signed content");
        return EGOV_CMS_MALFORMED;
    }
    if (content_size > INT_MAX) {
        snprintf (result->detail, sizeof (result->detail), "content larger than 2 GiB");
        return EGOV_CMS_MALFORMED;
    }
    //  The content through a pass-through filter: OpenSSL 3.0 copies a bare
    //  memory BIO and leaks the copy when the digest set-up fails
    BIO *input = NULL;
    if (result->detached) {
        input = BIO_new (BIO_f_null ());
        BIO *memory = BIO_new_mem_buf (content_size ? content : "", (int) content_size);
        assert (input && memory);
        BIO_push (input, memory);
    }
    BIO *output = BIO_new (BIO_s_mem ());
    assert (output && (input || !result->detached));
    egov_cms_outcome_t outcome = EGOV_CMS_OK;
    char reason [160];
    if (CMS_verify (cms, NULL, NULL, input, output, CMS_NO_SIGNER_CERT_VERIFY | CMS_BINARY) != 1) {
        snprintf (result->detail, sizeof (result->detail), "the signature does not match: %s",
                  s_openssl_reason (reason, sizeof (reason), "verification failed"));
        outcome = EGOV_CMS_BAD_SIGNATURE;
    }
    else
    if (!result->detached && content) {
        char *inside = NULL;
        long inside_size = BIO_get_mem_data (output, &inside);
        if (inside_size < 0 || (size_t) inside_size != content_size
        ||  (content_size && memcmp (inside, content, content_size))) {
            snprintf (result->detail, sizeof (result->detail),
                      "the signed content is not the content given");
            outcome = EGOV_CMS_BAD_SIGNATURE;
        }
    }
    BIO_free_all (input);
    BIO_free (output);
    ERR_clear_error ();
    return outcome;
}

egov_cms_outcome_t
egov_cms_verify (egov_cms_verifier_t *self, const void *signature, size_t size,
                 const void *content, size_t content_size, int64_t at_ms,
                 const char *expected_iin, egov_cms_result_t *result)
{
    assert (self);
    egov_cms_result_t local;
    if (!result)
        result = &local;
    memset (result, 0, sizeof (*result));
    egov_error_t error;
    if (s_crl_reload (self, &error) && !self->store)
        zsys_warning ("egov_cms: %s", error.message);   //  not reached: new needs a CRL
    egov_cms_outcome_t outcome = EGOV_CMS_MALFORMED;
    CMS_ContentInfo *cms = NULL;
    if (!signature || size == 0 || size > EGOV_CMS_MAX)
        snprintf (result->detail, sizeof (result->detail), "empty or larger than %d bytes",
                  EGOV_CMS_MAX);
    else
        cms = s_parse (signature, size, result);
    X509 *cert = NULL;
    if (cms)
        outcome = s_signature_check (cms, content, content_size, &cert, result);
    if (outcome == EGOV_CMS_OK) {
        STACK_OF (X509) *others = CMS_get1_certs (cms);
        outcome = s_chain_check (self, cert, others, at_ms, result);
        sk_X509_pop_free (others, X509_free);
    }
    if (outcome == EGOV_CMS_OK) {
        //  A signing certificate says nonRepudiation (ҚОЛ); an authentication
        //  one (АУТ) only logs in, and a CA's key signs certificates only.
        uint32_t usage = X509_get_key_usage (cert);
        uint32_t wanted = KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION;
        if (!(X509_get_extension_flags (cert) & EXFLAG_KUSAGE) || (usage & wanted) != wanted) {
            snprintf (result->detail, sizeof (result->detail),
                      "the certificate is not for signing (keyUsage lacks %s)",
                      usage & KU_DIGITAL_SIGNATURE ? "nonRepudiation" : "digitalSignature");
            outcome = EGOV_CMS_WRONG_KEY_USAGE;
        }
    }
    if (outcome == EGOV_CMS_OK && expected_iin && !streq (expected_iin, result->iin)) {
        snprintf (result->detail, sizeof (result->detail),
                  "the certificate's IIN %s is not the IIN %.12s of the request",
                  *result->iin ? result->iin : "(none)", expected_iin);
        outcome = EGOV_CMS_IIN_MISMATCH;
    }
    if (outcome == EGOV_CMS_OK)
        snprintf (result->detail, sizeof (result->detail), "signature valid");
    CMS_ContentInfo_free (cms);
    ERR_clear_error ();
    result->outcome = outcome;
    return outcome;
}

//  ---------------------------------------------------------------------
//  Selftest

//  Where needle first occurs in bytes, or NULL.
static uint8_t *
s_test_find (uint8_t *bytes, size_t size, const char *needle)
{
    size_t length = strlen (needle);
    for (size_t offset = 0; offset + length <= size; offset++)
        if (memcmp (bytes + offset, needle, length) == 0)
            return bytes + offset;
    return NULL;
}

//  Signs content with the certificate labelled label; DER, caller frees.
static uint8_t *
s_test_sign (const char *dir, const char *label, const char *content, bool detached,
             size_t *size)
{
    char key [PATH_MAX], cert [PATH_MAX];
    bool authority = strlen (label) > 3 && streq (label + strlen (label) - 3, "-ca");
    snprintf (key, sizeof (key), "%s/%s%s.key", dir, authority ? "" : "keys/", label);
    snprintf (cert, sizeof (cert), "%s/%s%s.pem", dir, authority ? "" : "certs/", label);
    egov_error_t error;
    egov_cms_signer_t *signer = egov_cms_signer_new (key, cert, &error);
    assert (signer);
    uint8_t *der = NULL;
    int rc = egov_cms_sign (signer, content, strlen (content), detached, 0, &der, size, &error);
    assert (rc == 0 && der && *size > 0);
    egov_cms_signer_destroy (&signer);
    return der;
}

//  Signs with label and asserts the outcome of verifying at at_ms.
static void
s_test_outcome (egov_cms_verifier_t *verifier, const char *dir, const char *label,
                int64_t at_ms, const char *expected_iin, egov_cms_outcome_t expected)
{
    const char *content = "Өтініш: экстернат, 2026";
    size_t size;
    uint8_t *der = s_test_sign (dir, label, content, true, &size);
    egov_cms_result_t result;
    egov_cms_outcome_t outcome = egov_cms_verify (verifier, der, size, content, strlen (content),
                                                  at_ms, expected_iin, &result);
    if (outcome != expected)
        zsys_error ("egov_cms: %s gave %s (%s), expected %s", label,
                    egov_cms_outcome_name (outcome), result.detail, egov_cms_outcome_name (expected));
    assert (outcome == expected && result.outcome == expected && *result.detail);
    free (der);
}

void
egov_cms_test (bool verbose)
{
    printf (" * egov_cms: ");
    char dir [] = "/tmp/egov-cms-test-XXXXXX";
    assert (mkdtemp (dir));
    egov_error_t error;
    assert (!egov_cms_verifier_new (dir, &error) && streq (error.code, "PKI_MISSING"));
    egov_pki_t *pki = egov_pki_new (dir);
    int rc = egov_pki_ensure (pki, NULL, &error);
    assert (rc == 0);
    egov_cms_verifier_t *verifier = egov_cms_verifier_new (dir, &error);
    assert (verifier);
    assert (egov_cms_verifier_revoked (verifier) == 1);
    int64_t now = egov_now_ms ();
    int64_t year = 365 * EGOV_PKI_DAY_MS;

    //  Names
    assert (streq (egov_cms_outcome_name (EGOV_CMS_CERT_NOT_YET_VALID), "CERT_NOT_YET_VALID"));
    assert (streq (egov_cms_outcome_name (EGOV_CMS_OUTCOMES), "UNKNOWN"));

    //  A good signature, detached and attached, DER and base64
    const char *content = "Өтініш: экстернат, 2026";
    size_t content_size = strlen (content);
    char key [PATH_MAX], cert [PATH_MAX];
    snprintf (key, sizeof (key), "%s/keys/850314301234.key", dir);
    snprintf (cert, sizeof (cert), "%s/certs/850314301234.pem", dir);
    egov_cms_signer_t *signer = egov_cms_signer_new (key, cert, &error);
    assert (signer);
    int64_t signing_ms = 1767225600000;                 //  2026-01-01T00:00:00Z
    uint8_t *detached = NULL, *attached = NULL;
    size_t detached_size, attached_size;
    assert (egov_cms_sign (signer, content, content_size, true, signing_ms,
                           &detached, &detached_size, &error) == 0);
    assert (egov_cms_sign (signer, content, content_size, false, signing_ms,
                           &attached, &attached_size, &error) == 0);
    assert (attached_size > detached_size);
    assert (!s_test_find (detached, detached_size, content));
    assert (s_test_find (attached, attached_size, content));
    egov_cms_result_t result;
    assert (egov_cms_verify (verifier, detached, detached_size, content, content_size, now,
                             "850314301234", &result) == EGOV_CMS_OK);
    assert (streq (result.name, "Асқаров Ерлан Серікұлы") && streq (result.iin, "850314301234"));
    assert (result.signing_ms == signing_ms && result.detached && !*result.bin);
    assert (strlen (result.serial) == 16 && strstr (result.issuer, "КУӘЛАНДЫРУШЫ"));
    assert (result.not_before_ms < now && result.not_after_ms > now);
    assert (egov_cms_verify (verifier, attached, attached_size, NULL, 0, now, NULL, &result)
            == EGOV_CMS_OK && !result.detached);
    assert (egov_cms_verify (verifier, attached, attached_size, content, content_size, now,
                             "850314301234", NULL) == EGOV_CMS_OK);
    char *text = egov_cms_base64 (detached, detached_size);
    assert (strncmp (text, "MII", 3) == 0 && !strchr (text, '\n'));
    assert (egov_cms_verify (verifier, text, strlen (text), content, content_size, now, NULL,
                             &result) == EGOV_CMS_OK);
    //  PEM armour with lines of 64, as openssl cms -outform PEM writes
    size_t text_size = strlen (text);
    char *armoured = malloc (text_size * 2 + 100);
    assert (armoured);
    char *write = armoured + sprintf (armoured, "-----BEGIN CMS-----\n");
    for (size_t offset = 0; offset < text_size; offset += 64)
        write += sprintf (write, "%.64s\r\n", text + offset);
    sprintf (write, "-----END CMS-----\n");
    assert (egov_cms_verify (verifier, armoured, strlen (armoured), content, content_size, now,
                             NULL, &result) == EGOV_CMS_OK);
    free (armoured);
    uint8_t *empty = NULL;
    size_t empty_size;
    assert (egov_cms_sign (signer, "", 0, true, 0, &empty, &empty_size, &error) == 0);
    assert (egov_cms_verify (verifier, empty, empty_size, "", 0, now, NULL, &result) == EGOV_CMS_OK);
    assert (result.signing_ms >= now / 1000 * 1000);    //  0 states the moment of signing
    free (empty);

    //  Every outcome from the test cases
    s_test_outcome (verifier, dir, "850314301234", now, "850314301234", EGOV_CMS_OK);
    s_test_outcome (verifier, dir, "850314301234", now, "900722404568", EGOV_CMS_IIN_MISMATCH);
    s_test_outcome (verifier, dir, "850314301234", now, "", EGOV_CMS_IIN_MISMATCH);
    s_test_outcome (verifier, dir, "org-750000000", now, "720608311239", EGOV_CMS_OK);
    s_test_outcome (verifier, dir, "operator2", now, "870902331549", EGOV_CMS_OK);
    s_test_outcome (verifier, dir, "951203407770", now, NULL, EGOV_CMS_OK);
    s_test_outcome (verifier, dir, "revoked-951203407770", now, NULL, EGOV_CMS_CERT_REVOKED);
    s_test_outcome (verifier, dir, "expired-900722404568", now, NULL, EGOV_CMS_CERT_EXPIRED);
    s_test_outcome (verifier, dir, "future-850314301234", now, NULL, EGOV_CMS_CERT_NOT_YET_VALID);
    s_test_outcome (verifier, dir, "untrusted-850314301234", now, NULL, EGOV_CMS_UNKNOWN_ISSUER);
    s_test_outcome (verifier, dir, "auth-850314301234", now, NULL, EGOV_CMS_WRONG_KEY_USAGE);
    s_test_outcome (verifier, dir, "issuing-ca", now, NULL, EGOV_CMS_WRONG_KEY_USAGE);
    s_test_outcome (verifier, dir, "root-ca", now, NULL, EGOV_CMS_WRONG_KEY_USAGE);
    //  ... and the time judged at decides validity
    s_test_outcome (verifier, dir, "expired-900722404568", now - 2 * year, NULL, EGOV_CMS_OK);
    s_test_outcome (verifier, dir, "future-850314301234", now + 3 * year, NULL, EGOV_CMS_OK);
    s_test_outcome (verifier, dir, "850314301234", now + 3 * year, NULL, EGOV_CMS_CERT_EXPIRED);
    s_test_outcome (verifier, dir, "850314301234", now - 2 * year, NULL, EGOV_CMS_CERT_NOT_YET_VALID);
    s_test_outcome (verifier, dir, "850314301234", now - 11 * year, NULL,
                    EGOV_CMS_CERT_NOT_YET_VALID);           //  before the CAs, too
    s_test_outcome (verifier, dir, "revoked-951203407770", now + 3 * year, NULL,
                    EGOV_CMS_CERT_REVOKED);                 //  revocation comes first
    assert (egov_cms_verify (verifier, detached, detached_size, content, content_size,
                             now, NULL, &result) == EGOV_CMS_OK);
    egov_cms_result_t org;
    size_t org_size;
    uint8_t *org_der = s_test_sign (dir, "org-430000000", content, false, &org_size);
    assert (egov_cms_verify (verifier, org_der, org_size, NULL, 0, now, NULL, &org) == EGOV_CMS_OK);
    assert (streq (org.bin, "010840010126") && streq (org.iin, "801205444786"));
    assert (streq (org.organisation, "Қызылорда облысының білім басқармасы"));
    free (org_der);

    //  Tampered bytes: the content, the content inside, the signature value
    char *changed = strdup (content);
    changed [0] ^= 1;
    assert (egov_cms_verify (verifier, detached, detached_size, changed, content_size, now, NULL,
                             &result) == EGOV_CMS_BAD_SIGNATURE);
    assert (streq (result.iin, "850314301234"));        //  the claimed signer is still told
    assert (egov_cms_verify (verifier, detached, detached_size, content, content_size - 1, now,
                             NULL, &result) == EGOV_CMS_BAD_SIGNATURE);
    assert (egov_cms_verify (verifier, attached, attached_size, changed, content_size, now, NULL,
                             &result) == EGOV_CMS_BAD_SIGNATURE);
    free (changed);
    uint8_t *copy = malloc (attached_size + 1);
    assert (copy);
    memcpy (copy, attached, attached_size);
    uint8_t *inside = s_test_find (copy, attached_size, content);
    inside [3] ^= 0x20;
    assert (egov_cms_verify (verifier, copy, attached_size, NULL, 0, now, NULL, &result)
            == EGOV_CMS_BAD_SIGNATURE);
    memcpy (copy, detached, detached_size);
    copy [detached_size - 1] ^= 0x01;                   //  the signature value ends the DER
    assert (egov_cms_verify (verifier, copy, detached_size, content, content_size, now, NULL,
                             &result) == EGOV_CMS_BAD_SIGNATURE);
    //  Any single flipped bit: never OK, except where nothing signed or
    //  judged is: the version numbers of SignedData and SignerInfo, and the
    //  NULL parameters of the signature algorithm
    size_t accepted = 0;
    for (size_t offset = 0; offset < detached_size; offset++) {
        memcpy (copy, detached, detached_size);
        copy [offset] ^= 0x01;
        egov_cms_outcome_t outcome = egov_cms_verify (verifier, copy, detached_size, content,
                                                      content_size, now, NULL, &result);
        assert (outcome >= EGOV_CMS_OK && outcome < EGOV_CMS_OUTCOMES);
        accepted += outcome == EGOV_CMS_OK;
    }
    if (verbose)
        printf ("%zu of %zu flips accepted, ", accepted, detached_size);
    assert (accepted <= 3);

    //  Truncated at every length, DER and base64; garbage; wrong shapes
    for (size_t length = 0; length < detached_size; length++)
        assert (egov_cms_verify (verifier, detached, length, content, content_size, now, NULL,
                                 &result) == EGOV_CMS_MALFORMED);
    for (size_t length = 0; length < text_size; length++)
        assert (egov_cms_verify (verifier, text, length, content, content_size, now, NULL,
                                 &result) == EGOV_CMS_MALFORMED);
    memcpy (copy, detached, detached_size);
    copy [detached_size] = 0;
    assert (egov_cms_verify (verifier, copy, detached_size + 1, content, content_size, now, NULL,
                             &result) == EGOV_CMS_MALFORMED);
    assert (strstr (result.detail, "after"));
    free (copy);
    uint8_t garbage [4096];
    uint32_t state = 2463534242u;
    for (int round = 0; round < 500; round++) {
        size_t length = 1 + round * 8 % sizeof (garbage);
        for (size_t index = 0; index < length; index++) {
            state ^= state << 13; state ^= state >> 17; state ^= state << 5;
            garbage [index] = (uint8_t) state;
        }
        if (round % 2)
            garbage [0] = 0x30, garbage [1] = 0x82;     //  looks like DER at first
        assert (egov_cms_verify (verifier, garbage, length, content, content_size, now, NULL,
                                 &result) == EGOV_CMS_MALFORMED);
    }
    const char *texts [] = { "", "hello", "====", "MII", "MIIB!!!!", "-----BEGIN CMS-----",
                             "TWFu\x01", "TWE=TWFu" };
    for (size_t index = 0; index < sizeof (texts) / sizeof (texts [0]); index++)
        assert (egov_cms_verify (verifier, texts [index], strlen (texts [index]), content,
                                 content_size, now, NULL, &result) == EGOV_CMS_MALFORMED);
    assert (egov_cms_verify (verifier, NULL, 0, NULL, 0, now, NULL, &result) == EGOV_CMS_MALFORMED);
    assert (egov_cms_verify (verifier, detached, detached_size, NULL, 0, now, NULL, &result)
            == EGOV_CMS_MALFORMED);
    assert (strstr (result.detail, "detached"));
    //  A CMS that is not SignedData, and SignedData with two signers
    BIO *input = BIO_new_mem_buf (content, (int) content_size);
    CMS_ContentInfo *data = CMS_data_create (input, CMS_BINARY);
    unsigned char *der = NULL;
    int der_size = i2d_CMS_ContentInfo (data, &der);
    assert (egov_cms_verify (verifier, der, (size_t) der_size, NULL, 0, now, NULL, &result)
            == EGOV_CMS_MALFORMED);
    OPENSSL_free (der);
    CMS_ContentInfo_free (data);
    BIO_free (input);
    input = BIO_new_mem_buf (content, (int) content_size);
    snprintf (key, sizeof (key), "%s/keys/operator1.key", dir);
    snprintf (cert, sizeof (cert), "%s/certs/operator1.pem", dir);
    egov_cms_signer_t *second = egov_cms_signer_new (key, cert, &error);
    assert (second);
    CMS_ContentInfo *twice = CMS_sign (NULL, NULL, NULL, NULL, CMS_PARTIAL | CMS_BINARY);
    assert (CMS_add1_signer (twice, signer->cert, signer->key, EVP_sha256 (), 0));
    assert (CMS_add1_signer (twice, second->cert, second->key, EVP_sha256 (), 0));
    assert (CMS_final (twice, input, NULL, CMS_BINARY));
    der = NULL;
    der_size = i2d_CMS_ContentInfo (twice, &der);
    assert (egov_cms_verify (verifier, der, (size_t) der_size, NULL, 0, now, NULL, &result)
            == EGOV_CMS_MALFORMED);
    assert (strstr (result.detail, "2 signers"));
    OPENSSL_free (der);
    CMS_ContentInfo_free (twice);
    BIO_free (input);
    egov_cms_signer_destroy (&second);

    //  Revocation counts at once; a CRL that is not the CA's is refused
    rc = egov_pki_revoke (pki, "850314301234", NULL, &error);
    assert (rc == 0);
    assert (egov_cms_verify (verifier, detached, detached_size, content, content_size, now, NULL,
                             &result) == EGOV_CMS_CERT_REVOKED);
    assert (egov_cms_verifier_revoked (verifier) == 4);
    char path [PATH_MAX];
    snprintf (path, sizeof (path), "%s/%s", dir, EGOV_PKI_CRL);
    FILE *stream = fopen (path, "w");
    fprintf (stream, "not a CRL\n");
    fclose (stream);
    assert (egov_cms_verify (verifier, detached, detached_size, content, content_size, now, NULL,
                             &result) == EGOV_CMS_CERT_REVOKED);
    assert (!egov_cms_verifier_new (dir, &error) && streq (error.code, "PKI_BROKEN"));
    assert (egov_pki_ensure (pki, NULL, &error) == 0);      //  writes the CRL again
    egov_cms_verifier_t *fresh = egov_cms_verifier_new (dir, &error);
    assert (fresh && egov_cms_verifier_revoked (fresh) == 4);
    egov_cms_verifier_destroy (&fresh);

    //  Signers that cannot be
    snprintf (key, sizeof (key), "%s/keys/850314301234.key", dir);
    snprintf (cert, sizeof (cert), "%s/certs/850314301234.pem", dir);
    egov_cms_signer_t *wrong = egov_cms_signer_new ("/nonexistent.key", cert, &error);
    assert (!wrong && streq (error.code, "SIGNER_KEY"));
    wrong = egov_cms_signer_new (key, "/nonexistent.pem", &error);
    assert (!wrong && streq (error.code, "SIGNER_CERT"));
    snprintf (cert, sizeof (cert), "%s/certs/operator1.pem", dir);
    wrong = egov_cms_signer_new (key, cert, &error);
    assert (!wrong && streq (error.code, "KEY_MISMATCH"));

    free (text);
    free (detached);
    free (attached);
    egov_cms_signer_destroy (&signer);
    egov_cms_signer_destroy (&signer);
    egov_cms_verifier_destroy (&verifier);
    egov_cms_verifier_destroy (&verifier);
    egov_pki_destroy (&pki);
    assert (egov_pki_remove (dir) == 0);
    printf ("OK\n");
}
