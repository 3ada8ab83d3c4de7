/*  egovctl_keys — `keys init|add|show` (see egovctl_keys.h).  */
#include "egovctl.h"
#include "egovctl_keys.h"
#include "shep_keys.h"

static int
s_usage (FILE *stream, int status)
{
    fprintf (stream,
        "usage: egovctl [--keys DIR] keys COMMAND ...   (no gateway needed)\n"
        "  keys init [ID ...]      the gateway's key pair and one per participant ID,\n"
        "                          each made once (what make run calls)\n"
        "  keys add ID PUBLIC_KEY  trust a key made elsewhere (40 characters of Z85) as\n"
        "                          participant ID's; its secret half never comes here\n"
        "  keys show [ID]          the public key of the gateway, or of participant ID\n"
        "  --keys DIR  the keys folder (env EGOV_KEYS_DIR, default %s)\n",
        SHEP_KEYS_DEFAULT_DIR);
    return status;
}

const char *
egovctl_keys_dir (int argc, char *argv [], char *path, size_t size)
{
    for (int index = 1; index + 1 < argc; index++)
        if (streq (argv [index], "--keys"))
            return argv [index + 1];
    return shep_keys_dir (path, size);
}

//  The public key in a certificate file, or NULL.
static char *
s_public_key (const char *path)
{
    zcert_t *cert = zsys_file_exists (path) ? zcert_load (path) : NULL;
    char *key = cert ? strdup (zcert_public_txt (cert)) : NULL;
    zcert_destroy (&cert);
    return key;
}

static int s_keys (const char *dir, const char **words, int count);

int
egovctl_keys_main (int argc, char *argv [])
{
    //  The words after the global flags, as given
    const char **words = (const char **) calloc ((size_t) argc + 1, sizeof (char *));
    assert (words);
    int count = 0;
    for (int index = 1; index < argc; index++) {
        if (streq (argv [index], "--keys") || streq (argv [index], "--gateway")
        ||  streq (argv [index], "--timeout") || streq (argv [index], "--as")
        ||  streq (argv [index], "--pki")) {
            index++;
            continue;
        }
        if (argv [index][0] == '-' && count == 0)
            continue;
        words [count++] = argv [index];
    }
    if (count == 0 || !streq (words [0], "keys")) {
        free (words);
        return -1;
    }
    char path [PATH_MAX];
    const char *dir = egovctl_keys_dir (argc, argv, path, sizeof (path));
    int status = s_keys (dir, words, count);
    free (words);
    return status;
}

//  The keys command of words (words [0] is "keys"); the exit code.
static int
s_keys (const char *dir, const char **words, int count)
{
    if (count == 1)
        return s_usage (stderr, EGOVCTL_USAGE);
    const char *command = words [1];
    egov_error_t error;
    if (streq (command, "init")) {
        bool created;
        if (shep_keys_init (dir, &created, &error))
            goto failed;
        printf ("gateway  %s\n", created ? "made" : "kept");
        for (int index = 2; index < count; index++) {
            if (shep_keys_create (dir, words [index], &created, &error))
                goto failed;
            printf ("%s  %s\n", words [index], created ? "made" : "kept");
        }
        return EGOVCTL_OK;
    }
    if (streq (command, "add") && count == 4) {
        if (shep_keys_trust (dir, words [2], words [3], &error))
            goto failed;
        printf ("%s  trusted\n", words [2]);
        return EGOVCTL_OK;
    }
    if (streq (command, "show") && count <= 3) {
        char file [PATH_MAX];
        if (count == 2)
            snprintf (file, sizeof (file), "%s/gateway.key", dir);
        else
        if (shep_keys_id_valid (words [2]))
            snprintf (file, sizeof (file), "%s/public/%s.key", dir, words [2]);
        else {
            egov_error_set (&error, "INVALID_PARTICIPANT", "a participant id is 1-64 letters, digits and ._:@-");
            goto failed;
        }
        char *key = s_public_key (file);
        if (!key) {
            egov_error_set (&error, "NO_KEY", "no public key in %s", file);
            goto failed;
        }
        printf ("%s\n", key);
        free (key);
        return EGOVCTL_OK;
    }
    return s_usage (stderr, EGOVCTL_USAGE);
failed:
    egovctl_error_print (&error);
    return EGOVCTL_ERROR;
}
