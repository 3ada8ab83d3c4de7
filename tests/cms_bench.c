/*  cms-bench — how many e-signatures one core makes and checks per second:
    CMS SignedData over a 2 KiB application (RSA-2048, SHA-256), detached,
    and the full verification every service runs (signature, chain to the
    test root, CRL, key usage, IIN), on one thread.

        cms-bench [--seconds S] [--pki DIR]

    Without --pki it makes a throwaway test CA in a temporary folder.   */
#include "egov_cms.h"
#include "egov_pki.h"

#define S_CONTENT_SIZE  2048        //  an application form with a few fields

//  Runs sign or verify for about seconds; returns operations per second.
static double
s_rate (bool signing, double seconds, egov_cms_signer_t *signer, egov_cms_verifier_t *verifier,
        const uint8_t *content, const uint8_t *der, size_t der_size)
{
    int64_t start = egov_now_us (), deadline = start + (int64_t) (seconds * 1e6), now = start;
    long count = 0;
    while (now < deadline) {
        for (int batch = 0; batch < 16; batch++, count++) {
            if (signing) {
                uint8_t *signature = NULL;
                size_t size;
                egov_error_t error;
                int rc = egov_cms_sign (signer, content, S_CONTENT_SIZE, true, 0, &signature,
                                        &size, &error);
                assert (rc == 0);
                free (signature);
            }
            else {
                egov_cms_outcome_t outcome = egov_cms_verify (verifier, der, der_size, content,
                                                              S_CONTENT_SIZE, egov_now_ms (),
                                                              "850314301234", NULL);
                assert (outcome == EGOV_CMS_OK);
            }
        }
        now = egov_now_us ();
    }
    return count / ((now - start) / 1e6);
}

//  Parses the flags, opens or makes the PKI, measures both rates.
int
main (int argc, char *argv [])
{
    double seconds = 3;
    const char *dir = NULL;
    for (int index = 1; index < argc; index++) {
        if (streq (argv [index], "--seconds") && index + 1 < argc)
            seconds = atof (argv [++index]);
        else
        if (streq (argv [index], "--pki") && index + 1 < argc)
            dir = argv [++index];
        else {
            fprintf (stderr, "usage: cms-bench [--seconds S] [--pki DIR]\n");
            return 64;
        }
    }
    if (!(seconds > 0 && seconds <= 3600)) {
        fprintf (stderr, "cms-bench: --seconds wants 0..3600\n");
        return 64;
    }
    char temporary [] = "/tmp/cms-bench-XXXXXX";
    if (!dir) {
        dir = mkdtemp (temporary);
        assert (dir);
    }
    egov_error_t error;
    egov_pki_t *pki = egov_pki_new (dir);
    if (egov_pki_ensure (pki, NULL, &error)) {
        fprintf (stderr, "cms-bench: %s: %s\n", error.code, error.message);
        return 1;
    }
    char key [PATH_MAX], cert [PATH_MAX];
    snprintf (key, sizeof (key), "%s/keys/850314301234.key", dir);
    snprintf (cert, sizeof (cert), "%s/certs/850314301234.pem", dir);
    egov_cms_signer_t *signer = egov_cms_signer_new (key, cert, &error);
    egov_cms_verifier_t *verifier = egov_cms_verifier_new (dir, &error);
    if (!signer || !verifier) {
        fprintf (stderr, "cms-bench: %s: %s\n", error.code, error.message);
        return 1;
    }
    uint8_t content [S_CONTENT_SIZE];
    for (size_t index = 0; index < sizeof (content); index++)
        content [index] = (uint8_t) ('a' + index % 26);
    uint8_t *der = NULL;
    size_t der_size = 0;
    int rc = egov_cms_sign (signer, content, sizeof (content), true, 0, &der, &der_size, &error);
    assert (rc == 0);

    double signatures = s_rate (true, seconds, signer, verifier, content, der, der_size);
    double verifications = s_rate (false, seconds, signer, verifier, content, der, der_size);
    printf ("CMS signatures: %.0f/s\n", signatures);
    printf ("CMS verifications: %.0f/s\n", verifications);
    printf ("  (one thread; RSA-2048 with SHA-256, %d-byte content, %zu-byte detached CMS;"
            " a verification checks the chain, the CRL, key usage and the IIN)\n",
            S_CONTENT_SIZE, der_size);

    free (der);
    egov_cms_signer_destroy (&signer);
    egov_cms_verifier_destroy (&verifier);
    egov_pki_destroy (&pki);
    if (dir == temporary)
        egov_pki_remove (temporary);
    return 0;
}
