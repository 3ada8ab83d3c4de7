/*  egov_pki — the test certification authority: CAs, certificates, the
    index and the CRL, in one folder. See egov_pki.h for the layout.      */
#include "egov_pki.h"
#include "egov_iin.h"
#include "egov_proto.h"
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <dirent.h>
#include <sys/file.h>
#include <sys/stat.h>

#define S_RSA_BITS          2048
#define S_INDEX_FIELDS      12
#define S_LINE_MAX          2048            //  an index line, far above what we write
#define S_CRL_NEXT_DAYS     30              //  nextUpdate; verifiers follow the file anyway
#define S_DEFAULT_DAYS      365             //  the national CA issues for a year

//  The folder, the index as last read, and the CAs once loaded.
struct _egov_pki_t {
    char *dir;                      //  the PKI folder
    egov_pki_entry_t *entries;      //  the index, issue order
    size_t size;                    //  entries used
    size_t capacity;                //  entries allocated
    int lock_fd;                    //  flock held on .lock, -1 when none
    X509 *root;                     //  root certificate, once loaded
    EVP_PKEY *root_key;             //  its key
    X509 *issuing;                  //  issuing CA certificate
    EVP_PKEY *issuing_key;          //  its key
    X509 *untrusted;                //  the CA nobody trusts
    EVP_PKEY *untrusted_key;        //  its key
    int64_t now_ms;                 //  the moment issued certificates start from, 0: wall time
};

//  The moment the PKI issues and revokes at.
static int64_t
s_now (egov_pki_t *self)
{
    return self->now_ms ? self->now_ms : egov_now_ms ();
}

//  Which window a demo certificate gets, relative to the moment it is made.
typedef enum { S_CURRENT, S_EXPIRED, S_FUTURE } s_window_t;

//  People the demo invents, with IINs made from birth date and serial:
//  the State Corporation's operators, the providers' heads and the clerks
//  of the providers' offices.
typedef struct {
    const char *key;                //  operator login, head-<KATO> or clerk-<KATO>
    const char *name;               //  full name
    int year, month, day;           //  birth date
    bool male;                      //  gender digit
    int serial;                     //  IIN serial, chosen so the check digit exists
} s_invented_t;

static const s_invented_t s_invented [] = {
    { "operator1", "Бекова Ақмарал Серікқызы", 1990, 4, 17, false, 2817 },
    { "operator2", "Оспанов Нұрлан Ахметұлы", 1987, 9, 2, true, 3154 },
    { "operator3", "Қасымова Жанар Бекқызы", 1995, 1, 25, false, 1406 },
    { "head-750000000", "Тоқтаров Бауыржан Әділұлы", 1972, 6, 8, true, 1123 },
    { "head-230000000", "Ермекова Гүлнар Тимурқызы", 1969, 11, 21, false, 2245 },
    { "head-270000000", "Сұлтанов Асхат Жанұлы", 1975, 3, 14, true, 3367 },
    { "head-430000000", "Әбілова Сәуле Нұрланқызы", 1980, 12, 5, false, 4478 },
    { "clerk-750000000", "Жақсыбекова Динара Асқарқызы", 1988, 3, 12, false, 5121 },
    { "clerk-230000000", "Құрманов Ерболат Серікұлы", 1991, 7, 30, true, 6232 },
    { "clerk-270000000", "Сәрсенова Мадина Қанатқызы", 1985, 10, 4, false, 7343 },
    { "clerk-430000000", "Әміров Нұржан Бақытұлы", 1993, 2, 19, true, 8454 },
};

//  The fixed people of the registry of individuals.
static const struct {
    const char *iin;                //  their IIN, also the label
    const char *name;               //  full name
} s_fixed [] = {
    { "850314301234", "Асқаров Ерлан Серікұлы" },
    { "150913500422", "Асқаров Нұрсұлтан Ерланұлы" },
    { "900722404568", "Нұрланова Айгүл Қайратқызы" },
    { "200510607893", "Нұрланова Әсем" },
    { "230201503215", "Нұрланов Алихан" },
    { "781130306545", "Жұмабаев Дәурен Болатұлы" },
    { "951203407770", "Сейітова Дана Маратқызы" },
};

//  Providers of the seed regions, by the KATO of their region.
static const struct {
    const char *kato;               //  region, also in the labels
    const char *bin;                //  invented BIN
    const char *name;               //  the organisation
    bool queue;                     //  its head's key also signs in the queue register
} s_providers [] = {
    { "750000000", "990740001235", "Алматы қаласының білім басқармасы", false },
    { "230000000", "001240004567", "Атырау облысының білім беру басқармасы", false },
    { "270000000", "970340007890", "Батыс Қазақстан облысының білім басқармасы", false },
    //  Seed 004: the queue register answers the region's desk and portal itself
    { "430000000", "010840010126", "Қызылорда облысының білім басқармасы", true },
};

//  Test cases: label, whose, window, usage, CA, revoked.
static const struct {
    const char *label;              //  file name
    const char *iin;                //  a fixed person
    s_window_t window;              //  validity
    egov_pki_usage_t usage;         //  signing or authentication
    bool untrusted;                 //  from the untrusted CA
    bool revoke;                    //  revoked once issued
} s_cases [] = {
    { "revoked-951203407770", "951203407770", S_CURRENT, EGOV_PKI_SIGN, false, true },
    { "expired-900722404568", "900722404568", S_EXPIRED, EGOV_PKI_SIGN, false, false },
    { "untrusted-850314301234", "850314301234", S_CURRENT, EGOV_PKI_SIGN, true, false },
    { "auth-850314301234", "850314301234", S_CURRENT, EGOV_PKI_AUTH, false, false },
    { "future-850314301234", "850314301234", S_FUTURE, EGOV_PKI_SIGN, false, false },
};

//  Kinds of certificate the CA signs: they differ in extensions.
typedef enum { S_ROOT, S_INTERMEDIATE, S_LEAF } s_kind_t;

//  ---------------------------------------------------------------------
//  Small helpers

//  Sets error from OpenSSL's queue (the last reason) with a prefix.
static void
s_crypto_error (egov_error_t *error, const char *what)
{
    unsigned long code = ERR_peek_last_error ();
    char reason [160] = "unknown reason";
    if (code)
        ERR_error_string_n (code, reason, sizeof (reason));
    ERR_clear_error ();
    egov_error_set (error, "PKI_CRYPTO", "%s: %s", what, reason);
}

const char *
egov_pki_path (egov_pki_t *self, const char *file, char *buffer, size_t size)
{
    snprintf (buffer, size, "%s/%s", self->dir, file);
    return buffer;
}

//  True when the file exists.
static bool
s_exists (egov_pki_t *self, const char *file)
{
    char path [PATH_MAX];
    struct stat info;
    return stat (egov_pki_path (self, file, path, sizeof (path)), &info) == 0;
}

//  Number of UTF-8 characters in text, or -1 when it is not valid UTF-8
//  (egov_utf8_valid: RFC 3629) or holds a control character (names go into
//  tab-separated lines).
static int
s_utf8_chars (const char *text)
{
    if (!egov_utf8_valid (text, strlen (text)))
        return -1;
    int count = 0;
    for (const unsigned char *cursor = (const unsigned char *) text; *cursor; cursor++) {
        if (*cursor < 0x20 || *cursor == 0x7F)
            return -1;
        if ((*cursor & 0xC0) != 0x80)
            count++;                        //  a lead byte starts a character
    }
    return count;
}

const char *
egov_pki_provider_bin (const char *kato)
{
    for (size_t index = 0; kato && index < sizeof (s_providers) / sizeof (s_providers [0]); index++)
        if (streq (s_providers [index].kato, kato))
            return s_providers [index].bin;
    return NULL;
}

bool
egov_pki_bin_valid (const char *bin, egov_error_t *error)
{
    if (!bin || strlen (bin) != 12) {
        egov_error_set (error, "INVALID_BIN", "a BIN has 12 digits");
        return false;
    }
    for (int index = 0; index < 12; index++)
        if (!isdigit ((unsigned char) bin [index])) {
            egov_error_set (error, "INVALID_BIN", "a BIN has only digits");
            return false;
        }
    int month = (bin [2] - '0') * 10 + (bin [3] - '0');
    if (month < 1 || month > 12) {
        egov_error_set (error, "INVALID_BIN", "digits 3-4 of a BIN are the month of registration");
        return false;
    }
    if (bin [4] < '4' || bin [4] > '6') {
        egov_error_set (error, "INVALID_BIN",
                        "digit 5 of a BIN is 4, 5 or 6 (a legal entity), not %c", bin [4]);
        return false;
    }
    if (egov_iin_check_digit (bin) != bin [11] - '0') {
        egov_error_set (error, "INVALID_BIN", "wrong check digit");
        return false;
    }
    return true;
}

int64_t
egov_pki_time_ms (const ASN1_TIME *time)
{
    struct tm parts;
    if (!time || !ASN1_TIME_to_tm (time, &parts))
        return 0;
    return (int64_t) timegm (&parts) * 1000;
}

//  ---------------------------------------------------------------------
//  Files: written under a temporary name, then renamed into place

typedef int (s_writer_fn) (FILE *file, void *object);

static int s_write_cert (FILE *file, void *object) { return PEM_write_X509 (file, object); }
static int s_write_crl (FILE *file, void *object) { return PEM_write_X509_CRL (file, object); }

static int
s_write_key (FILE *file, void *object)
{
    return PEM_write_PrivateKey (file, object, NULL, NULL, 0, NULL, NULL);
}

//  Writes file in the folder with mode through writer; 0 or -1 (PKI_IO).
static int
s_write (egov_pki_t *self, const char *file, mode_t mode, s_writer_fn *writer,
         void *object, egov_error_t *error)
{
    char path [PATH_MAX], temporary [PATH_MAX + 32];
    egov_pki_path (self, file, path, sizeof (path));
    snprintf (temporary, sizeof (temporary), "%s.tmp%d", path, (int) getpid ());
    int fd = open (temporary, O_WRONLY | O_CREAT | O_TRUNC, mode);
    FILE *stream = fd >= 0 ? fdopen (fd, "w") : NULL;
    bool written = stream && writer (stream, object) > 0;
    if (stream)
        written = (fclose (stream) == 0) && written;
    else
    if (fd >= 0)
        close (fd);
    if (written && rename (temporary, path) == 0)
        return 0;
    egov_error_set (error, "PKI_IO", "cannot write %s: %s", path,
                    errno ? strerror (errno) : "encoding failed");
    unlink (temporary);
    ERR_clear_error ();
    return -1;
}

//  Reads a PEM certificate from the folder; NULL when missing or broken.
static X509 *
s_read_cert (egov_pki_t *self, const char *file)
{
    char path [PATH_MAX];
    FILE *stream = fopen (egov_pki_path (self, file, path, sizeof (path)), "r");
    if (!stream)
        return NULL;
    X509 *cert = PEM_read_X509 (stream, NULL, NULL, NULL);
    fclose (stream);
    return cert;
}

//  Reads a PEM private key from the folder; NULL when missing or broken.
static EVP_PKEY *
s_read_key (egov_pki_t *self, const char *file)
{
    char path [PATH_MAX];
    FILE *stream = fopen (egov_pki_path (self, file, path, sizeof (path)), "r");
    if (!stream)
        return NULL;
    EVP_PKEY *key = PEM_read_PrivateKey (stream, NULL, NULL, NULL);
    fclose (stream);
    return key;
}

//  Takes the folder's lock (blocking): writers run one at a time.
static int
s_lock (egov_pki_t *self, egov_error_t *error)
{
    char path [PATH_MAX];
    self->lock_fd = open (egov_pki_path (self, ".lock", path, sizeof (path)),
                          O_RDWR | O_CREAT, 0600);
    if (self->lock_fd < 0 || flock (self->lock_fd, LOCK_EX) != 0) {
        egov_error_set (error, errno == ENOENT ? "PKI_MISSING" : "PKI_IO",
                        "cannot lock %s: %s", path, strerror (errno));
        if (self->lock_fd >= 0)
            close (self->lock_fd);
        self->lock_fd = -1;
        return -1;
    }
    return 0;
}

//  Releases the lock when held.
static void
s_unlock (egov_pki_t *self)
{
    if (self->lock_fd >= 0)
        close (self->lock_fd);
    self->lock_fd = -1;
}

//  ---------------------------------------------------------------------
//  The index: one tab-separated line per certificate
//  serial status issuer usage not_before not_after revoked label iin bin name organisation

//  Copies a field into an entry's string, "-" meaning empty; false when too long.
static bool
s_field (char *target, size_t size, const char *value)
{
    if (streq (value, "-"))
        value = "";
    if (strlen (value) >= size)
        return false;
    strcpy (target, value);
    return true;
}

//  A whole non-negative decimal number.
static bool
s_millis (const char *text, int64_t *value)
{
    char *end = NULL;
    errno = 0;
    long long number = strtoll (text, &end, 10);
    if (errno || end == text || *end || number < 0)
        return false;
    *value = number;
    return true;
}

//  Parses one index line (tabs split in place); false when malformed.
static bool
s_entry_parse (char *line, egov_pki_entry_t *entry)
{
    char *fields [S_INDEX_FIELDS];
    int count = 0;
    for (char *cursor = line; count < S_INDEX_FIELDS; count++) {
        fields [count] = cursor;
        cursor = strchr (cursor, '\t');
        if (!cursor) {
            count++;
            break;
        }
        *cursor++ = 0;
    }
    if (count != S_INDEX_FIELDS || strchr (fields [S_INDEX_FIELDS - 1], '\t'))
        return false;
    memset (entry, 0, sizeof (*entry));
    if (!streq (fields [1], "valid") && !streq (fields [1], "revoked"))
        return false;
    if (!streq (fields [2], "issuing") && !streq (fields [2], "untrusted"))
        return false;
    if (!streq (fields [3], "sign") && !streq (fields [3], "auth"))
        return false;
    entry->revoked = streq (fields [1], "revoked");
    entry->untrusted = streq (fields [2], "untrusted");
    entry->usage = streq (fields [3], "auth") ? EGOV_PKI_AUTH : EGOV_PKI_SIGN;
    if (!s_field (entry->serial, sizeof (entry->serial), fields [0]) || !*entry->serial
    ||  strspn (entry->serial, "0123456789ABCDEF") != strlen (entry->serial))
        return false;
    if (!s_millis (fields [4], &entry->not_before_ms) || !s_millis (fields [5], &entry->not_after_ms)
    ||  !s_millis (fields [6], &entry->revoked_ms))
        return false;
    if (!s_field (entry->label, sizeof (entry->label), fields [7]) || !*entry->label
    ||  !s_field (entry->iin, sizeof (entry->iin), fields [8])
    ||  !s_field (entry->bin, sizeof (entry->bin), fields [9])
    ||  !s_field (entry->name, sizeof (entry->name), fields [10])
    ||  !s_field (entry->organisation, sizeof (entry->organisation), fields [11]))
        return false;
    return s_utf8_chars (entry->name) >= 0 && s_utf8_chars (entry->organisation) >= 0;
}

//  Appends an entry to the in-memory index.
static void
s_entry_append (egov_pki_t *self, const egov_pki_entry_t *entry)
{
    if (self->size == self->capacity) {
        self->capacity = self->capacity ? self->capacity * 2 : 32;
        self->entries = realloc (self->entries, self->capacity * sizeof (egov_pki_entry_t));
        assert (self->entries);
    }
    self->entries [self->size++] = *entry;
}

int
egov_pki_load (egov_pki_t *self, egov_error_t *error)
{
    char path [PATH_MAX];
    self->size = 0;
    FILE *stream = fopen (egov_pki_path (self, EGOV_PKI_INDEX, path, sizeof (path)), "r");
    if (!stream) {
        if (errno == ENOENT && s_exists (self, EGOV_PKI_ROOT_CERT))
            return 0;                   //  a CA that has issued nothing yet
        egov_error_set (error, "PKI_MISSING", "no PKI in %s (egovctl pki init makes one): %s",
                        self->dir, strerror (errno));
        return -1;
    }
    char line [S_LINE_MAX];
    int number = 0, rc = 0;
    while (fgets (line, sizeof (line), stream)) {
        number++;
        size_t length = strlen (line);
        if (length && line [length - 1] == '\n')
            line [--length] = 0;
        else
        if (!feof (stream)) {
            egov_error_set (error, "PKI_BAD_INDEX", "%s line %d is too long", path, number);
            rc = -1;
            break;
        }
        if (*line == '#' || length == 0)
            continue;
        egov_pki_entry_t entry;
        if (!s_entry_parse (line, &entry)) {
            egov_error_set (error, "PKI_BAD_INDEX", "%s line %d is malformed ", path, number);
            rc = -1;
            break;
        }
        s_entry_append (self, &entry);
    }
    fclose (stream);
    if (rc)
        self->size = 0;
    return rc;
}

//  "-" for an empty field of the index.
static const char *
s_dash (const char *text)
{
    return *text ? text : "-";
}

//  Writes the whole index (the writer for s_write).
static int
s_write_index (FILE *file, void *object)
{
    egov_pki_t *self = object;
    fprintf (file, "# egov-sim test CA: serial status issuer usage not_before_ms"
                   " not_after_ms revoked_ms label iin bin name organisation\n");
    for (size_t index = 0; index < self->size; index++) {
        const egov_pki_entry_t *entry = self->entries + index;
        fprintf (file, "%s\t%s\t%s\t%s\t%" PRId64 "\t%" PRId64 "\t%" PRId64 "\t%s\t%s\t%s\t%s\t%s\n",
                 entry->serial, entry->revoked ? "revoked" : "valid",
                 entry->untrusted ? "untrusted" : "issuing",
                 entry->usage == EGOV_PKI_AUTH ? "auth" : "sign",
                 entry->not_before_ms, entry->not_after_ms, entry->revoked_ms, entry->label,
                 s_dash (entry->iin), s_dash (entry->bin), s_dash (entry->name),
                 s_dash (entry->organisation));
    }
    return ferror (file) ? 0 : 1;
}

size_t
egov_pki_size (egov_pki_t *self)
{
    return self->size;
}

const egov_pki_entry_t *
egov_pki_entry (egov_pki_t *self, size_t index)
{
    return index < self->size ? self->entries + index : NULL;
}

const egov_pki_entry_t *
egov_pki_find (egov_pki_t *self, const char *label)
{
    for (size_t index = 0; index < self->size; index++)
        if (streq (self->entries [index].label, label))
            return self->entries + index;
    return NULL;
}

//  ---------------------------------------------------------------------
//  Certificates

//  Adds one extension by its OpenSSL config text; false on failure.
static bool
s_extension (X509 *cert, X509V3_CTX *context, int nid, const char *value)
{
    X509_EXTENSION *extension = X509V3_EXT_nconf_nid (NULL, context, nid, value);
    bool added = extension && X509_add_ext (cert, extension, -1);
    X509_EXTENSION_free (extension);
    return added;
}

//  A fresh 64-bit positive serial into cert, its hex into serial.
static bool
s_serial (X509 *cert, char serial [33])
{
    unsigned char bytes [8];
    if (RAND_bytes (bytes, sizeof (bytes)) != 1)
        return false;
    bytes [0] = (bytes [0] & 0x7F) | 0x10;      //  positive, always 16 hex digits
    BIGNUM *number = BN_bin2bn (bytes, sizeof (bytes), NULL);
    ASN1_INTEGER *integer = number ? BN_to_ASN1_INTEGER (number, NULL) : NULL;
    char *hex = number ? BN_bn2hex (number) : NULL;
    bool done = integer && hex && strlen (hex) < 33 && X509_set_serialNumber (cert, integer);
    if (done)
        strcpy (serial, hex);
    OPENSSL_free (hex);
    ASN1_INTEGER_free (integer);
    BN_free (number);
    return done;
}

//  Signs a certificate for subject and key; issuer NULL makes it
//  self-signed. Extensions by kind and usage. NULL after setting error.
static X509 *
s_certificate (X509_NAME *subject, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key,
               s_kind_t kind, egov_pki_usage_t usage, int64_t not_before_ms,
               int64_t not_after_ms, char serial [33], egov_error_t *error)
{
    X509 *cert = X509_new ();
    assert (cert);
    bool built = X509_set_version (cert, 2)
        && s_serial (cert, serial)
        && X509_set_subject_name (cert, subject)
        && X509_set_issuer_name (cert, issuer ? X509_get_subject_name (issuer) : subject)
        && ASN1_TIME_set (X509_getm_notBefore (cert), (time_t) (not_before_ms / 1000))
        && ASN1_TIME_set (X509_getm_notAfter (cert), (time_t) (not_after_ms / 1000))
        && X509_set_pubkey (cert, key);
    X509V3_CTX context;
    X509V3_set_ctx (&context, issuer ? issuer : cert, cert, NULL, NULL, 0);
    if (built && kind == S_LEAF)
        built = s_extension (cert, &context, NID_basic_constraints, "critical,CA:FALSE")
            &&  s_extension (cert, &context, NID_key_usage, usage == EGOV_PKI_SIGN
                             ? "critical,digitalSignature,nonRepudiation"
                             : "critical,digitalSignature,keyEncipherment")
            &&  s_extension (cert, &context, NID_ext_key_usage,
                             usage == EGOV_PKI_SIGN ? "emailProtection" : "clientAuth");
    else
    if (built)
        built = s_extension (cert, &context, NID_basic_constraints, kind == S_ROOT
                             ? "critical,CA:TRUE" : "critical,CA:TRUE,pathlen:0")
            &&  s_extension (cert, &context, NID_key_usage, "critical,keyCertSign,cRLSign");
    built = built && s_extension (cert, &context, NID_subject_key_identifier, "hash");
    if (built && issuer)
        built = s_extension (cert, &context, NID_authority_key_identifier, "keyid:always");
    if (built && X509_sign (cert, issuer_key, EVP_sha256 ()) > 0)
        return cert;
    s_crypto_error (error, "cannot make the certificate");
    X509_free (cert);
    return NULL;
}

//  The subject in the national CA's style: CN full name, SURNAME, and
//  serialNumber "IIN…", C=KZ, O and OU "BIN…" for an organisation.
static X509_NAME *
s_subject (const char *name, const char *iin, const char *bin, const char *organisation)
{
    X509_NAME *subject = X509_NAME_new ();
    assert (subject);
    char surname [EGOV_PKI_TEXT_MAX], number [16];
    snprintf (surname, sizeof (surname), "%s", name);
    char *space = strchr (surname, ' ');
    if (space)
        *space = 0;
    bool built = X509_NAME_add_entry_by_NID (subject, NID_commonName, MBSTRING_UTF8,
                                             (const unsigned char *) name, -1, -1, 0)
              && X509_NAME_add_entry_by_NID (subject, NID_surname, MBSTRING_UTF8,
                                             (const unsigned char *) surname, -1, -1, 0);
    if (built && iin && *iin) {
        snprintf (number, sizeof (number), "IIN%s", iin);
        built = X509_NAME_add_entry_by_NID (subject, NID_serialNumber, MBSTRING_ASC,
                                            (const unsigned char *) number, -1, -1, 0);
    }
    built = built && X509_NAME_add_entry_by_NID (subject, NID_countryName, MBSTRING_ASC,
                                                 (const unsigned char *) "KZ", -1, -1, 0);
    if (built && bin && *bin) {
        snprintf (number, sizeof (number), "BIN%s", bin);
        built = X509_NAME_add_entry_by_NID (subject, NID_organizationName, MBSTRING_UTF8,
                                            (const unsigned char *) organisation, -1, -1, 0)
             && X509_NAME_add_entry_by_NID (subject, NID_organizationalUnitName, MBSTRING_ASC,
                                            (const unsigned char *) number, -1, -1, 0);
    }
    if (built)
        return subject;
    X509_NAME_free (subject);
    return NULL;
}

//  A fresh RSA key.
static EVP_PKEY *
s_key_new (void)
{
    return EVP_RSA_gen (S_RSA_BITS);
}

//  Makes a CA (root when issuer is NULL) and writes NAME.pem and NAME.key.
static int
s_ca_make (egov_pki_t *self, const char *base, const char *common_name, X509 *issuer,
           EVP_PKEY *issuer_key, X509 **cert, EVP_PKEY **key, egov_error_t *error)
{
    int64_t now = egov_now_ms ();
    *key = s_key_new ();
    X509_NAME *subject = X509_NAME_new ();
    assert (subject);
    X509_NAME_add_entry_by_NID (subject, NID_commonName, MBSTRING_UTF8,
                                (const unsigned char *) common_name, -1, -1, 0);
    X509_NAME_add_entry_by_NID (subject, NID_organizationName, MBSTRING_UTF8,
                                (const unsigned char *) "egov-sim (тест)", -1, -1, 0);
    X509_NAME_add_entry_by_NID (subject, NID_countryName, MBSTRING_ASC,
                                (const unsigned char *) "KZ", -1, -1, 0);
    char serial [33];
    //  Backdated ten years so that every test window, the expired one
    //  included, lies inside the CA's own validity.
    *cert = *key ? s_certificate (subject, *key, issuer, issuer ? issuer_key : *key,
                                  issuer ? S_INTERMEDIATE : S_ROOT, EGOV_PKI_SIGN,
                                  now - 3650 * EGOV_PKI_DAY_MS,
                                  now + (issuer ? 15 : 20) * 365 * EGOV_PKI_DAY_MS,
                                  serial, error)
                 : NULL;
    X509_NAME_free (subject);
    if (!*key)
        s_crypto_error (error, "cannot make a key");
    if (!*cert)
        return -1;
    char file [64];
    snprintf (file, sizeof (file), "%s.key", base);
    if (s_write (self, file, 0600, s_write_key, *key, error))
        return -1;
    snprintf (file, sizeof (file), "%s.pem", base);
    return s_write (self, file, 0644, s_write_cert, *cert, error);
}

//  Loads the CAs, or creates them when create and the folder has none.
static int
s_cas_load (egov_pki_t *self, bool create, egov_error_t *error)
{
    if (self->issuing_key && self->untrusted_key)
        return 0;
    self->root = self->root ? self->root : s_read_cert (self, EGOV_PKI_ROOT_CERT);
    self->root_key = self->root_key ? self->root_key : s_read_key (self, "root-ca.key");
    self->issuing = self->issuing ? self->issuing : s_read_cert (self, EGOV_PKI_ISSUING_CERT);
    self->issuing_key = self->issuing_key ? self->issuing_key : s_read_key (self, "issuing-ca.key");
    self->untrusted = self->untrusted ? self->untrusted : s_read_cert (self, EGOV_PKI_UNTRUSTED_CERT);
    self->untrusted_key = self->untrusted_key ? self->untrusted_key
                                              : s_read_key (self, "untrusted-ca.key");
    ERR_clear_error ();
    if (!create && (!self->issuing || !self->issuing_key || !self->untrusted || !self->untrusted_key)) {
        egov_error_set (error, "PKI_MISSING", "no CA in %s (egovctl pki init makes one)", self->dir);
        return -1;
    }
    if ((!self->root || !self->root_key) && (self->issuing || s_exists (self, EGOV_PKI_INDEX))) {
        egov_error_set (error, "PKI_BROKEN", "the root CA in %s is missing but certificates"
                        " exist; remove the folder to start over", self->dir);
        return -1;
    }
    if ((!self->root || !self->root_key)
    &&  s_ca_make (self, "root-ca", "ТЕСТ ТҮБІРЛІК КУӘЛАНДЫРУШЫ ОРТАЛЫҚ (RSA)", NULL, NULL,
                   &self->root, &self->root_key, error))
        return -1;
    if ((!self->issuing || !self->issuing_key)
    &&  s_ca_make (self, "issuing-ca", "ТЕСТ ҰЛТТЫҚ КУӘЛАНДЫРУШЫ ОРТАЛЫҚ (RSA)", self->root,
                   self->root_key, &self->issuing, &self->issuing_key, error))
        return -1;
    if ((!self->untrusted || !self->untrusted_key)
    &&  s_ca_make (self, "untrusted-ca", "БЕЙТАНЫС КУӘЛАНДЫРУШЫ ОРТАЛЫҚ (RSA)", NULL, NULL,
                   &self->untrusted, &self->untrusted_key, error))
        return -1;
    return 0;
}

//  Rebuilds the issuing CA's CRL from the index and writes crl.pem.
static int
s_crl_write (egov_pki_t *self, egov_error_t *error)
{
    int64_t now = egov_now_ms ();
    X509_CRL *crl = X509_CRL_new ();
    ASN1_TIME *last = ASN1_TIME_set (NULL, (time_t) (now / 1000));
    ASN1_TIME *next = ASN1_TIME_set (NULL, (time_t) (now / 1000 + S_CRL_NEXT_DAYS * 86400));
    ASN1_INTEGER *number = ASN1_INTEGER_new ();
    assert (crl && last && next && number);
    bool built = X509_CRL_set_version (crl, 1)
        && X509_CRL_set_issuer_name (crl, X509_get_subject_name (self->issuing))
        && X509_CRL_set1_lastUpdate (crl, last) && X509_CRL_set1_nextUpdate (crl, next)
        && ASN1_INTEGER_set_int64 (number, now / 1000);
    for (size_t index = 0; built && index < self->size; index++) {
        const egov_pki_entry_t *entry = self->entries + index;
        if (!entry->revoked || entry->untrusted)
            continue;
        BIGNUM *serial = NULL;
        X509_REVOKED *revoked = X509_REVOKED_new ();
        ASN1_INTEGER *integer = BN_hex2bn (&serial, entry->serial) ? BN_to_ASN1_INTEGER (serial, NULL)
                                                                  : NULL;
        ASN1_TIME *date = ASN1_TIME_set (NULL, (time_t) (entry->revoked_ms / 1000));
        built = revoked && integer && date
            && X509_REVOKED_set_serialNumber (revoked, integer)
            && X509_REVOKED_set_revocationDate (revoked, date)
            && X509_CRL_add0_revoked (crl, revoked);
        if (!built)
            X509_REVOKED_free (revoked);
        ASN1_TIME_free (date);
        ASN1_INTEGER_free (integer);
        BN_free (serial);
    }
    X509V3_CTX context;
    X509V3_set_ctx (&context, self->issuing, NULL, NULL, crl, 0);
    X509_EXTENSION *authority = built ? X509V3_EXT_nconf_nid (NULL, &context,
                                        NID_authority_key_identifier, "keyid:always") : NULL;
    built = built && authority && X509_CRL_add_ext (crl, authority, -1)
        && X509_CRL_add1_ext_i2d (crl, NID_crl_number, number, 0, 0)
        && X509_CRL_sort (crl)
        && X509_CRL_sign (crl, self->issuing_key, EVP_sha256 ()) > 0;
    X509_EXTENSION_free (authority);
    ASN1_INTEGER_free (number);
    ASN1_TIME_free (last);
    ASN1_TIME_free (next);
    int rc = -1;
    if (!built)
        s_crypto_error (error, "cannot make the CRL");
    else
        rc = s_write (self, EGOV_PKI_CRL, 0644, s_write_crl, crl, error);
    X509_CRL_free (crl);
    return rc;
}

//  True when label is a safe file name: letters, digits, '.', '_', '-'.
static bool
s_label_valid (const char *label)
{
    size_t length = strlen (label);
    return length > 0 && length < EGOV_PKI_LABEL_MAX && *label != '.' && *label != '-'
        && strspn (label, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
           == length;
}

//  Checks a request; 0 or -1 with a stable code.
static int
s_request_check (const egov_pki_request_t *request, egov_error_t *error)
{
    int chars = request->name ? s_utf8_chars (request->name) : -1;
    if (chars < 1 || chars > 64 || strlen (request->name) >= EGOV_PKI_TEXT_MAX) {
        egov_error_set (error, "INVALID_NAME", "the name is 1-64 characters of UTF-8 text");
        return -1;
    }
    bool has_iin = request->iin && *request->iin, has_bin = request->bin && *request->bin;
    if (!has_iin && !has_bin) {
        egov_error_set (error, "INVALID_IIN", "a certificate names an IIN or a BIN");
        return -1;
    }
    if (has_iin && !egov_iin_valid (request->iin, error))
        return -1;
    if (has_bin && !egov_pki_bin_valid (request->bin, error))
        return -1;
    chars = request->organisation ? s_utf8_chars (request->organisation) : -1;
    if (has_bin && (chars < 1 || chars > 64 || strlen (request->organisation) >= EGOV_PKI_TEXT_MAX)) {
        egov_error_set (error, "INVALID_ORGANISATION",
                        "an organisation's certificate needs its name, 1-64 characters");
        return -1;
    }
    if (!has_bin && request->organisation) {
        egov_error_set (error, "INVALID_ORGANISATION", "an organisation's name goes with a BIN");
        return -1;
    }
    if (request->usage != EGOV_PKI_SIGN && request->usage != EGOV_PKI_AUTH) {
        egov_error_set (error, "INVALID_USAGE", "usage is sign or auth");
        return -1;
    }
    if (request->label && !s_label_valid (request->label)) {
        egov_error_set (error, "INVALID_LABEL", "a label is 1-63 letters, digits, '.', '_' or '-'");
        return -1;
    }
    return 0;
}

//  Issues with the lock held and the index loaded.
static int
s_issue (egov_pki_t *self, const egov_pki_request_t *request, egov_pki_entry_t *result,
         egov_error_t *error)
{
    if (s_request_check (request, error))
        return -1;
    egov_pki_entry_t entry = { .usage = request->usage, .untrusted = request->untrusted };
    entry.not_before_ms = request->not_before_ms ? request->not_before_ms : s_now (self);
    entry.not_after_ms = request->not_after_ms ? request->not_after_ms
                       : entry.not_before_ms + S_DEFAULT_DAYS * EGOV_PKI_DAY_MS;
    //  ASN.1 times stop at year 9999; keep well inside
    entry.not_before_ms = entry.not_before_ms / 1000 * 1000;    //  X.509 keeps seconds
    entry.not_after_ms = entry.not_after_ms / 1000 * 1000;
    if (entry.not_after_ms <= entry.not_before_ms || entry.not_before_ms < 0
    ||  entry.not_after_ms > 253402300799000LL) {
        egov_error_set (error, "INVALID_VALIDITY", "the validity window is empty or out of range");
        return -1;
    }
    if (s_cas_load (self, false, error))
        return -1;
    snprintf (entry.iin, sizeof (entry.iin), "%s", request->iin ? request->iin : "");
    snprintf (entry.bin, sizeof (entry.bin), "%s", request->bin ? request->bin : "");
    snprintf (entry.name, sizeof (entry.name), "%s", request->name);
    snprintf (entry.organisation, sizeof (entry.organisation), "%s",
              request->organisation ? request->organisation : "");
    EVP_PKEY *key = s_key_new ();
    X509_NAME *subject = s_subject (request->name, entry.iin, entry.bin, entry.organisation);
    if (!subject) {
        egov_error_set (error, "INVALID_NAME", "the subject does not encode");
        ERR_clear_error ();
        EVP_PKEY_free (key);
        return -1;
    }
    X509 *cert = key ? s_certificate (subject, key,
                                      request->untrusted ? self->untrusted : self->issuing,
                                      request->untrusted ? self->untrusted_key : self->issuing_key,
                                      S_LEAF, request->usage, entry.not_before_ms,
                                      entry.not_after_ms, entry.serial, error)
                     : NULL;
    X509_NAME_free (subject);
    if (!key)
        s_crypto_error (error, "cannot make a key");
    int rc = cert ? 0 : -1;
    if (rc == 0) {
        if (request->label)
            snprintf (entry.label, sizeof (entry.label), "%s", request->label);
        else
            snprintf (entry.label, sizeof (entry.label), "%s-%s", *entry.iin ? entry.iin : entry.bin,
                      entry.serial);
        char file [EGOV_PKI_LABEL_MAX + 16];
        snprintf (file, sizeof (file), "certs/%s.pem", entry.label);
        if (egov_pki_find (self, entry.label) || s_exists (self, file)) {
            egov_error_set (error, "LABEL_TAKEN", "a certificate labelled %s exists", entry.label);
            rc = -1;
        }
        snprintf (file, sizeof (file), "keys/%s.key", entry.label);
        rc = rc ? rc : s_write (self, file, 0600, s_write_key, key, error);
        snprintf (file, sizeof (file), "certs/%s.pem", entry.label);
        rc = rc ? rc : s_write (self, file, 0644, s_write_cert, cert, error);
    }
    if (rc == 0) {
        s_entry_append (self, &entry);
        rc = s_write (self, EGOV_PKI_INDEX, 0644, s_write_index, self, error);
        if (rc)
            self->size--;
    }
    if (rc == 0 && result)
        *result = entry;
    X509_free (cert);
    EVP_PKEY_free (key);
    return rc;
}

//  Marks an entry revoked at the PKI's now.
static void
s_mark_revoked (egov_pki_t *self, egov_pki_entry_t *entry)
{
    entry->revoked = true;
    entry->revoked_ms = s_now (self);
}

//  ---------------------------------------------------------------------
//  The class

egov_pki_t *
egov_pki_new (const char *dir)
{
    assert (dir);
    egov_pki_t *self = calloc (1, sizeof (egov_pki_t));
    assert (self);
    self->dir = strdup (dir);
    assert (self->dir);
    self->lock_fd = -1;
    return self;
}

void
egov_pki_destroy (egov_pki_t **self_p)
{
    assert (self_p);
    egov_pki_t *self = *self_p;
    if (!self)
        return;
    s_unlock (self);
    X509_free (self->root);
    X509_free (self->issuing);
    X509_free (self->untrusted);
    EVP_PKEY_free (self->root_key);
    EVP_PKEY_free (self->issuing_key);
    EVP_PKEY_free (self->untrusted_key);
    free (self->entries);
    free (self->dir);
    free (self);
    *self_p = NULL;
}

void
egov_pki_set_now (egov_pki_t *self, int64_t now_ms)
{
    self->now_ms = now_ms;
}

const char *
egov_pki_dir (egov_pki_t *self)
{
    return self->dir;
}

//  Creates the folder and its subfolders.
static int
s_folders (egov_pki_t *self, egov_error_t *error)
{
    char path [PATH_MAX];
    if (zsys_dir_create ("%s", self->dir) == 0
    &&  zsys_dir_create ("%s", egov_pki_path (self, "certs", path, sizeof (path))) == 0
    &&  zsys_dir_create ("%s", egov_pki_path (self, "keys", path, sizeof (path))) == 0
    &&  chmod (path, 0700) == 0)
        return 0;
    egov_error_set (error, "PKI_IO", "cannot create %s: %s", path, strerror (errno));
    return -1;
}

//  Issues one demo certificate unless its label is in the index.
static int
s_demo (egov_pki_t *self, egov_pki_request_t *request, s_window_t window, bool revoke,
        int *created, egov_error_t *error)
{
    if (egov_pki_find (self, request->label))
        return 0;
    int64_t now = s_now (self);
    //  Current certificates reach a year back, so a simulation clock set in
    //  the past still finds them valid; the expired and future ones lie
    //  wholly outside that window.
    int64_t from = window == S_EXPIRED ? -800 : window == S_FUTURE ? 800 : -365;
    int64_t until = window == S_EXPIRED ? -400 : window == S_FUTURE ? 1165 : 730;
    request->not_before_ms = now + from * EGOV_PKI_DAY_MS;
    request->not_after_ms = now + until * EGOV_PKI_DAY_MS;
    egov_pki_entry_t entry;
    if (s_issue (self, request, &entry, error))
        return -1;
    if (revoke)
        s_mark_revoked (self, self->entries + self->size - 1);
    (*created)++;
    return 0;
}

//  Issues every demo certificate and test case that is missing.
static int
s_demos (egov_pki_t *self, int *created, egov_error_t *error)
{
    int rc = 0;
    for (size_t index = 0; rc == 0 && index < sizeof (s_fixed) / sizeof (s_fixed [0]); index++) {
        egov_pki_request_t request = { .name = s_fixed [index].name, .iin = s_fixed [index].iin,
                                       .label = s_fixed [index].iin };
        rc = s_demo (self, &request, S_CURRENT, false, created, error);
    }
    for (size_t index = 0; rc == 0 && index < sizeof (s_invented) / sizeof (s_invented [0]); index++) {
        const s_invented_t *person = s_invented + index;
        char iin [13];
        bool made = egov_iin_make (iin, person->year, person->month, person->day, person->male,
                                   person->serial);
        assert (made);                  //  the table holds serials that make a number
        egov_pki_request_t request = { .name = person->name, .iin = iin, .label = person->key };
        rc = s_demo (self, &request, S_CURRENT, false, created, error);
        const char *kato = strncmp (person->key, "head-", 5) == 0 ? person->key + 5 : NULL;
        for (size_t provider = 0; rc == 0 && kato
             && provider < sizeof (s_providers) / sizeof (s_providers [0]); provider++) {
            if (!streq (s_providers [provider].kato, kato))
                continue;
            char label [EGOV_PKI_LABEL_MAX];
            snprintf (label, sizeof (label), "org-%s", kato);
            egov_pki_request_t org = { .name = person->name, .iin = iin,
                                       .bin = s_providers [provider].bin,
                                       .organisation = s_providers [provider].name,
                                       .label = label };
            rc = s_demo (self, &org, S_CURRENT, false, created, error);
            //  The provider's authorised person's certificate that its queue
            //  register (кезектілікті басқарудың арнайы ақпараттық жүйесі)
            //  signs automatic answers with: queue-<KATO>
            if (rc == 0 && s_providers [provider].queue) {
                snprintf (label, sizeof (label), "queue-%s", kato);
                org.label = label;
                rc = s_demo (self, &org, S_CURRENT, false, created, error);
            }
        }
    }
    for (size_t index = 0; rc == 0 && index < sizeof (s_cases) / sizeof (s_cases [0]); index++) {
        const char *name = NULL;
        for (size_t person = 0; person < sizeof (s_fixed) / sizeof (s_fixed [0]); person++)
            if (streq (s_fixed [person].iin, s_cases [index].iin))
                name = s_fixed [person].name;
        assert (name);
        egov_pki_request_t request = { .name = name, .iin = s_cases [index].iin,
                                       .usage = s_cases [index].usage,
                                       .untrusted = s_cases [index].untrusted,
                                       .label = s_cases [index].label };
        rc = s_demo (self, &request, s_cases [index].window, s_cases [index].revoke,
                     created, error);
    }
    return rc;
}

int
egov_pki_ensure (egov_pki_t *self, int *created, egov_error_t *error)
{
    int made = 0;
    if (s_folders (self, error) || s_lock (self, error))
        return -1;
    int rc = s_cas_load (self, true, error);
    if (rc == 0 && s_exists (self, EGOV_PKI_INDEX))
        rc = egov_pki_load (self, error);
    rc = rc ? rc : s_demos (self, &made, error);
    //  The index first: a revocation s_demos made is then on disk before the CRL.
    rc = rc ? rc : s_write (self, EGOV_PKI_INDEX, 0644, s_write_index, self, error);
    rc = rc ? rc : s_crl_write (self, error);
    s_unlock (self);
    if (created)
        *created = made;
    return rc;
}

int
egov_pki_issue (egov_pki_t *self, const egov_pki_request_t *request,
                egov_pki_entry_t *entry, egov_error_t *error)
{
    assert (request);
    if (!s_exists (self, EGOV_PKI_ISSUING_CERT)) {
        egov_error_set (error, "PKI_MISSING", "no CA in %s (egovctl pki init makes one)", self->dir);
        return -1;
    }
    if (s_lock (self, error))
        return -1;
    int rc = egov_pki_load (self, error);
    rc = rc ? rc : s_issue (self, request, entry, error);
    s_unlock (self);
    return rc;
}

int
egov_pki_revoke (egov_pki_t *self, const char *serial_or_id, int *count, egov_error_t *error)
{
    assert (serial_or_id);
    if (count)
        *count = 0;
    bool by_id = strlen (serial_or_id) == 12 && strspn (serial_or_id, "0123456789") == 12;
    size_t length = strlen (serial_or_id);
    if (!by_id && (length == 0 || length > 32 || strspn (serial_or_id, "0123456789abcdefABCDEF") != length)) {
        egov_error_set (error, "INVALID_SERIAL",
                        "revoke takes a certificate's serial (hex) or a 12-digit IIN or BIN");
        return -1;
    }
    if (!s_exists (self, EGOV_PKI_ISSUING_CERT)) {
        egov_error_set (error, "PKI_MISSING", "no CA in %s (egovctl pki init makes one)", self->dir);
        return -1;
    }
    if (s_lock (self, error))
        return -1;
    int rc = egov_pki_load (self, error);
    rc = rc ? rc : s_cas_load (self, false, error);
    int matched = 0, revoked = 0;
    for (size_t index = 0; rc == 0 && index < self->size; index++) {
        egov_pki_entry_t *entry = self->entries + index;
        bool match = by_id ? streq (entry->iin, serial_or_id) || streq (entry->bin, serial_or_id)
                           : strcasecmp (entry->serial, serial_or_id) == 0;
        if (!match || entry->untrusted)
            continue;                   //  not ours to revoke
        matched++;
        if (!entry->revoked) {
            s_mark_revoked (self, entry);
            revoked++;
        }
    }
    if (rc == 0 && matched == 0) {
        egov_error_set (error, "NOT_FOUND", "no certificate of the issuing CA matches %s",
                        serial_or_id);
        rc = -1;
    }
    if (rc == 0 && revoked) {
        rc = s_write (self, EGOV_PKI_INDEX, 0644, s_write_index, self, error);
        rc = rc ? rc : s_crl_write (self, error);
    }
    s_unlock (self);
    if (count && rc == 0)
        *count = revoked;
    return rc;
}

int
egov_pki_remove (const char *dir)
{
    DIR *listing = opendir (dir);
    if (!listing)
        return -1;
    struct dirent *item;
    int rc = 0;
    while ((item = readdir (listing))) {
        if (streq (item->d_name, ".") || streq (item->d_name, ".."))
            continue;
        char path [PATH_MAX];
        snprintf (path, sizeof (path), "%s/%s", dir, item->d_name);
        struct stat info;
        if (lstat (path, &info) == 0 && S_ISDIR (info.st_mode))
            rc |= egov_pki_remove (path);
        else
            rc |= unlink (path);
    }
    closedir (listing);
    return rmdir (dir) | rc;
}

//  ---------------------------------------------------------------------
//  Selftest

//  Reads the subject field nid of a certificate in the folder into text.
static void
s_subject_text (egov_pki_t *self, const char *file, int nid, char *text, size_t size)
{
    X509 *cert = s_read_cert (self, file);
    assert (cert);
    *text = 0;
    X509_NAME *subject = X509_get_subject_name (cert);
    int position = X509_NAME_get_index_by_NID (subject, nid, -1);
    if (position >= 0) {
        unsigned char *utf8 = NULL;
        int length = ASN1_STRING_to_UTF8 (&utf8,
            X509_NAME_ENTRY_get_data (X509_NAME_get_entry (subject, position)));
        if (length >= 0)
            snprintf (text, size, "%.*s", length, utf8);
        OPENSSL_free (utf8);
    }
    X509_free (cert);
}

void
egov_pki_test (bool verbose)
{
    printf (" * egov_pki: ");
    egov_error_t error;

    //  BINs
    assert (egov_pki_bin_valid ("990740001235", NULL));
    for (size_t index = 0; index < sizeof (s_providers) / sizeof (s_providers [0]); index++)
        assert (egov_pki_bin_valid (s_providers [index].bin, NULL));
    assert (streq (egov_pki_provider_bin ("750000000"), "990740001235"));
    assert (egov_pki_provider_bin ("999999999") == NULL && egov_pki_provider_bin (NULL) == NULL);
    assert (!egov_pki_bin_valid ("990740001236", &error) && streq (error.code, "INVALID_BIN"));
    assert (!egov_pki_bin_valid ("990730001235", &error));      //  5th digit 3
    assert (!egov_pki_bin_valid ("991340001235", &error));      //  month 13
    assert (!egov_pki_bin_valid ("99074000123", &error));
    assert (!egov_pki_bin_valid ("99074000123x", &error));
    assert (!egov_pki_bin_valid (NULL, &error));
    assert (s_utf8_chars ("Әсем") == 4);
    assert (s_utf8_chars ("a\tb") == -1);
    assert (s_utf8_chars ("\xC0\x80") == -1);
    assert (s_utf8_chars ("\xE2\x82") == -1);
    assert (s_utf8_chars ("\xED\xA0\x80") == -1);          //  a surrogate
    assert (s_utf8_chars ("\xF4\x90\x80\x80") == -1);      //  past U+10FFFF
    assert (s_utf8_chars ("a\x7F") == -1);
    assert (s_utf8_chars ("😀x") == 2);

    char dir [] = "/tmp/egov-pki-test-XXXXXX";
    assert (mkdtemp (dir));
    char path [PATH_MAX];
    snprintf (path, sizeof (path), "%s/pki", dir);

    //  Nothing there yet
    egov_pki_t *pki = egov_pki_new (path);
    egov_pki_request_t request = { .name = "Тестов Тест", .iin = "850314301234" };
    assert (egov_pki_issue (pki, &request, NULL, &error) == -1 && streq (error.code, "PKI_MISSING"));
    assert (egov_pki_load (pki, &error) == -1 && streq (error.code, "PKI_MISSING"));
    assert (egov_pki_revoke (pki, "850314301234", NULL, &error) == -1);
    assert (streq (error.code, "PKI_MISSING"));

    //  Everything at once, then nothing more
    int created = -1;
    int rc = egov_pki_ensure (pki, &created, &error);
    if (rc)
        zsys_error ("egov_pki: %s %s", error.code, error.message);
    assert (rc == 0);
    size_t demos = sizeof (s_fixed) / sizeof (s_fixed [0])
                 + sizeof (s_invented) / sizeof (s_invented [0])
                 + sizeof (s_providers) / sizeof (s_providers [0])
                 + 1                                    //  queue-430000000
                 + sizeof (s_cases) / sizeof (s_cases [0]);
    assert (created == (int) demos && egov_pki_size (pki) == demos);
    assert (egov_pki_ensure (pki, &created, &error) == 0 && created == 0);
    assert (egov_pki_size (pki) == demos);
    egov_pki_destroy (&pki);
    pki = egov_pki_new (path);
    assert (egov_pki_load (pki, &error) == 0 && egov_pki_size (pki) == demos);

    //  The chain, key files private, the demo people
    X509 *root = s_read_cert (pki, EGOV_PKI_ROOT_CERT);
    X509 *issuing = s_read_cert (pki, EGOV_PKI_ISSUING_CERT);
    X509 *untrusted = s_read_cert (pki, EGOV_PKI_UNTRUSTED_CERT);
    assert (root && issuing && untrusted);
    assert (X509_verify (issuing, X509_get0_pubkey (root)) == 1);
    assert (X509_verify (issuing, X509_get0_pubkey (untrusted)) != 1);
    struct stat info;
    assert (stat (egov_pki_path (pki, "keys/850314301234.key", path, sizeof (path)), &info) == 0);
    assert ((info.st_mode & 0777) == 0600);
    assert (stat (egov_pki_path (pki, "issuing-ca.key", path, sizeof (path)), &info) == 0);
    assert ((info.st_mode & 0777) == 0600);
    const egov_pki_entry_t *entry = egov_pki_find (pki, "951203407770");
    assert (entry && !entry->revoked && streq (entry->name, "Сейітова Дана Маратқызы"));
    int64_t now = egov_now_ms ();
    assert (entry->not_before_ms < now && entry->not_after_ms > now);
    entry = egov_pki_find (pki, "revoked-951203407770");
    assert (entry && entry->revoked && entry->revoked_ms > 0);
    char revoked_serial [33];
    strcpy (revoked_serial, entry->serial);
    entry = egov_pki_find (pki, "expired-900722404568");
    assert (entry && entry->not_after_ms < now);
    entry = egov_pki_find (pki, "future-850314301234");
    assert (entry && entry->not_before_ms > now);
    entry = egov_pki_find (pki, "auth-850314301234");
    assert (entry && entry->usage == EGOV_PKI_AUTH);
    entry = egov_pki_find (pki, "untrusted-850314301234");
    assert (entry && entry->untrusted);
    entry = egov_pki_find (pki, "operator1");
    assert (entry && streq (entry->iin, "900417428170") && egov_iin_valid (entry->iin, NULL));
    entry = egov_pki_find (pki, "org-230000000");
    assert (entry && streq (entry->bin, "001240004567") && streq (entry->iin, "691121422456"));

    //  Subjects in the national CA's style
    char text [EGOV_PKI_TEXT_MAX];
    s_subject_text (pki, "certs/org-750000000.pem", NID_organizationalUnitName, text, sizeof (text));
    assert (streq (text, "BIN990740001235"));
    s_subject_text (pki, "certs/org-750000000.pem", NID_organizationName, text, sizeof (text));
    assert (streq (text, "Алматы қаласының білім басқармасы"));
    s_subject_text (pki, "certs/head-750000000.pem", NID_serialNumber, text, sizeof (text));
    assert (streq (text, "IIN720608311239"));
    s_subject_text (pki, "certs/900722404568.pem", NID_commonName, text, sizeof (text));
    assert (streq (text, "Нұрланова Айгүл Қайратқызы"));
    s_subject_text (pki, "certs/900722404568.pem", NID_surname, text, sizeof (text));
    assert (streq (text, "Нұрланова"));
    X509 *cert = s_read_cert (pki, "certs/850314301234.pem");
    assert (cert && (X509_get_key_usage (cert) & (KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION))
                    == (KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION));
    assert (X509_verify (cert, X509_get0_pubkey (issuing)) == 1);
    X509_free (cert);
    cert = s_read_cert (pki, "certs/auth-850314301234.pem");
    assert (cert && !(X509_get_key_usage (cert) & KU_NON_REPUDIATION));
    X509_free (cert);

    //  The CRL lists the revoked test case, signed by the issuing CA
    egov_pki_path (pki, EGOV_PKI_CRL, path, sizeof (path));
    FILE *stream = fopen (path, "r");
    assert (stream);
    X509_CRL *crl = PEM_read_X509_CRL (stream, NULL, NULL, NULL);
    fclose (stream);
    assert (crl && X509_CRL_verify (crl, X509_get0_pubkey (issuing)) == 1);
    assert (sk_X509_REVOKED_num (X509_CRL_get_REVOKED (crl)) == 1);
    X509_CRL_free (crl);

    //  Issuing by hand, and every refusal
    egov_pki_entry_t issued;
    request = (egov_pki_request_t) { .name = "Тестов Тест Тестұлы", .iin = "850314301234",
                                     .usage = EGOV_PKI_AUTH };
    assert (egov_pki_issue (pki, &request, &issued, &error) == 0);
    assert (strlen (issued.serial) == 16 && issued.usage == EGOV_PKI_AUTH);
    assert (strncmp (issued.label, "850314301234-", 13) == 0);
    assert (issued.not_after_ms - issued.not_before_ms == S_DEFAULT_DAYS * EGOV_PKI_DAY_MS);
    assert (egov_pki_size (pki) == demos + 1);
    request = (egov_pki_request_t) { .name = "ТОО Тест", .bin = "990740001235",
                                     .organisation = "ТОО Тест", .label = "test-org" };
    assert (egov_pki_issue (pki, &request, &issued, &error) == 0 && streq (issued.label, "test-org"));
    assert (egov_pki_issue (pki, &request, NULL, &error) == -1 && streq (error.code, "LABEL_TAKEN"));
    struct {
        egov_pki_request_t request;         //  what is asked
        const char *code;                   //  the refusal
    } refusals [] = {
        { { .name = "", .iin = "850314301234" }, "INVALID_NAME" },
        { { .name = NULL, .iin = "850314301234" }, "INVALID_NAME" },
        { { .name = "a\tb", .iin = "850314301234" }, "INVALID_NAME" },
        { { .name = "Ө\xFF", .iin = "850314301234" }, "INVALID_NAME" },
        { { .name = "Ұзын ұзын ұзын ұзын ұзын ұзын ұзын ұзын ұзын ұзын ұзын ұзын ұзын ұзын",
            .iin = "850314301234" }, "INVALID_NAME" },
        { { .name = "Біреу" }, "INVALID_IIN" },
        { { .name = "Біреу", .iin = "850314301235" }, "INVALID_IIN" },
        { { .name = "Біреу", .bin = "990740001236", .organisation = "ТОО" }, "INVALID_BIN" },
        { { .name = "Біреу", .bin = "990740001235" }, "INVALID_ORGANISATION" },
        { { .name = "Біреу", .iin = "850314301234", .organisation = "ТОО" }, "INVALID_ORGANISATION" },
        { { .name = "Біреу", .iin = "850314301234", .usage = 7 }, "INVALID_USAGE" },
        { { .name = "Біреу", .iin = "850314301234", .label = "../x" }, "INVALID_LABEL" },
        { { .name = "Біреу", .iin = "850314301234", .label = "" }, "INVALID_LABEL" },
        { { .name = "Біреу", .iin = "850314301234", .not_before_ms = 2000, .not_after_ms = 1000 },
          "INVALID_VALIDITY" },
        { { .name = "Біреу", .iin = "850314301234", .not_after_ms = 253402300800000LL },
          "INVALID_VALIDITY" },
    };
    for (size_t index = 0; index < sizeof (refusals) / sizeof (refusals [0]); index++) {
        rc = egov_pki_issue (pki, &refusals [index].request, NULL, &error);
        if (rc != -1 || !streq (error.code, refusals [index].code))
            zsys_error ("egov_pki: refusal %zu gave %d %s", index, rc, error.code);
        assert (rc == -1 && streq (error.code, refusals [index].code));
    }
    assert (egov_pki_size (pki) == demos + 2);

    //  Revocation by serial, then by IIN, and what cannot be revoked
    int count = -1;
    assert (egov_pki_revoke (pki, revoked_serial, &count, &error) == 0 && count == 0);
    const egov_pki_entry_t *target = egov_pki_find (pki, "230201503215");
    char serial [33];
    strcpy (serial, target->serial);
    for (char *cursor = serial; *cursor; cursor++)
        *cursor = (char) tolower ((unsigned char) *cursor);
    assert (egov_pki_revoke (pki, serial, &count, &error) == 0 && count == 1);
    assert (egov_pki_find (pki, "230201503215")->revoked);
    assert (egov_pki_revoke (pki, "850314301234", &count, &error) == 0);
    assert (count == 4);                    //  demo, auth, future, by hand; not the untrusted one
    assert (!egov_pki_find (pki, "untrusted-850314301234")->revoked);
    assert (egov_pki_revoke (pki, "990740001235", &count, &error) == 0 && count == 2);
    assert (egov_pki_revoke (pki, "010101599994", &count, &error) == -1);
    assert (streq (error.code, "NOT_FOUND"));
    assert (egov_pki_revoke (pki, "not a serial", &count, &error) == -1);
    assert (streq (error.code, "INVALID_SERIAL"));
    stream = fopen (egov_pki_path (pki, EGOV_PKI_CRL, path, sizeof (path)), "r");
    crl = PEM_read_X509_CRL (stream, NULL, NULL, NULL);
    fclose (stream);
    assert (crl && sk_X509_REVOKED_num (X509_CRL_get_REVOKED (crl)) == 8);
    X509_CRL_free (crl);
    assert (egov_pki_ensure (pki, &created, &error) == 0 && created == 0);
    assert (egov_pki_find (pki, "230201503215")->revoked);

    //  A broken index is refused with its line
    egov_pki_path (pki, EGOV_PKI_INDEX, path, sizeof (path));
    stream = fopen (path, "a");
    fprintf (stream, "ZZ\tvalid\tissuing\tsign\t1\t2\t0\tx\t-\t-\tname\t-\n");
    fclose (stream);
    assert (egov_pki_load (pki, &error) == -1 && streq (error.code, "PKI_BAD_INDEX"));
    char where [32];
    snprintf (where, sizeof (where), "line %zu ", demos + 4);     //  header, demos, two by hand
    assert (strstr (error.message, where));
    assert (egov_pki_issue (pki, &request, NULL, &error) == -1 && streq (error.code, "PKI_BAD_INDEX"));

    X509_free (root);
    X509_free (issuing);
    X509_free (untrusted);
    egov_pki_destroy (&pki);
    egov_pki_destroy (&pki);
    assert (egov_pki_remove (dir) == 0);
    assert (stat (dir, &info) != 0);
    if (verbose)
        printf ("%zu demo certificates, ", demos);
    printf ("OK\n");
}
