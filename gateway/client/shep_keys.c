/*  shep_keys — the CURVE key pairs of the gateway and its participants
    (see shep_keys.h).                                                   */
#include "shep_keys.h"
#include <dirent.h>

#define s_ID_MAX 64

bool
shep_keys_id_valid (const char *participant_id)
{
    size_t length = participant_id ? strlen (participant_id) : 0;
    if (length == 0 || length > s_ID_MAX)
        return false;
    for (const char *cursor = participant_id; *cursor; cursor++)
        if (!isalnum ((unsigned char) *cursor) && !strchr ("._:@-", *cursor))
            return false;
    return true;
}

//  The folders, the private one readable by its owner only.
static int
s_folders (const char *dir, egov_error_t *error)
{
    if (zsys_dir_create ("%s/public", dir) == 0
    &&  zsys_dir_create ("%s/private", dir) == 0) {
        char path [PATH_MAX];
        snprintf (path, sizeof (path), "%s/private", dir);
        if (chmod (path, 0700) == 0)
            return 0;
    }
    egov_error_set (error, "KEYS_UNWRITABLE", "cannot create the keys folder %s: %s", dir, strerror (errno));
    return -1;
}

//  Saves cert's secret half to path, readable by its owner only.
static int
s_save_secret (zcert_t *cert, const char *path, egov_error_t *error)
{
    mode_t mask = umask (077);
    int rc = zcert_save_secret (cert, path);
    umask (mask);
    if (rc == 0 && chmod (path, 0600) == 0)
        return 0;
    egov_error_set (error, "KEYS_UNWRITABLE", "cannot write %s: %s", path, strerror (errno));
    return -1;
}

static int
s_save_public (zcert_t *cert, const char *path, egov_error_t *error)
{
    if (zcert_save_public (cert, path) == 0)
        return 0;
    egov_error_set (error, "KEYS_UNWRITABLE", "cannot write %s: %s", path, strerror (errno));
    return -1;
}

int
shep_keys_init (const char *dir, bool *created, egov_error_t *error)
{
    if (created)
        *created = false;
    if (s_folders (dir, error))
        return -1;
    char secret [PATH_MAX], public_path [PATH_MAX];
    snprintf (secret, sizeof (secret), "%s/gateway.key_secret", dir);
    snprintf (public_path, sizeof (public_path), "%s/gateway.key", dir);
    if (zsys_file_exists (secret) && zsys_file_exists (public_path))
        return 0;
    zcert_t *cert = zcert_new ();
    assert (cert);
    zcert_set_meta (cert, "role", "gateway");
    int rc = s_save_secret (cert, secret, error) || s_save_public (cert, public_path, error) ? -1 : 0;
    zcert_destroy (&cert);
    if (rc == 0 && created)
        *created = true;
    return rc;
}

int
shep_keys_create (const char *dir, const char *participant_id, bool *created, egov_error_t *error)
{
    if (created)
        *created = false;
    if (!shep_keys_id_valid (participant_id)) {
        egov_error_set (error, "INVALID_PARTICIPANT",
                        "a participant id is 1-64 letters, digits and ._:@-");
        return -1;
    }
    if (s_folders (dir, error))
        return -1;
    char secret [PATH_MAX], public_path [PATH_MAX];
    snprintf (secret, sizeof (secret), "%s/private/%s.key_secret", dir, participant_id);
    snprintf (public_path, sizeof (public_path), "%s/public/%s.key", dir, participant_id);
    if (zsys_file_exists (secret) && zsys_file_exists (public_path))
        return 0;
    zcert_t *cert = zcert_new ();
    assert (cert);
    zcert_set_meta (cert, SHEP_KEYS_PARTICIPANT, "%s", participant_id);
    int rc = s_save_secret (cert, secret, error) || s_save_public (cert, public_path, error) ? -1 : 0;
    zcert_destroy (&cert);
    if (rc == 0 && created)
        *created = true;
    return rc;
}

//  The id whose public key file holds public_key, other than except; NULL
//  when none (zauth's store cannot hold one key twice).
static char *
s_key_owner (const char *dir, const char *public_key, const char *except)
{
    char path [PATH_MAX];
    snprintf (path, sizeof (path), "%s/public", dir);
    DIR *folder = opendir (path);
    char *owner = NULL;
    struct dirent *entry;
    while (folder && !owner && (entry = readdir (folder))) {
        size_t length = strlen (entry->d_name);
        if (length < 5 || !streq (entry->d_name + length - 4, ".key"))
            continue;
        snprintf (path, sizeof (path), "%s/public/%s", dir, entry->d_name);
        zcert_t *cert = zcert_load (path);
        if (cert && streq (zcert_public_txt (cert), public_key)) {
            const char *id = zcert_meta (cert, SHEP_KEYS_PARTICIPANT);
            if (!id || !streq (id, except))
                owner = strdup (id ? id : entry->d_name);
        }
        zcert_destroy (&cert);
    }
    if (folder)
        closedir (folder);
    return owner;
}

int
shep_keys_trust (const char *dir, const char *participant_id, const char *public_key,
                 egov_error_t *error)
{
    if (!shep_keys_id_valid (participant_id)) {
        egov_error_set (error, "INVALID_PARTICIPANT",
                        "a participant id is 1-64 letters, digits and ._:@-");
        return -1;
    }
    uint8_t binary [32];
    if (!public_key || strlen (public_key) != 40 || !zmq_z85_decode (binary, public_key)) {
        egov_error_set (error, "INVALID_KEY", "a public key is 40 characters of Z85");
        return -1;
    }
    if (s_folders (dir, error))
        return -1;
    char *owner = s_key_owner (dir, public_key, participant_id);
    if (owner) {
        egov_error_set (error, "KEY_IN_USE", "this key is already %s's: one key, one participant", owner);
        free (owner);
        return -1;
    }
    zcert_t *cert = zcert_new_from (binary, binary);    //  the secret half is never saved
    assert (cert);
    zcert_set_meta (cert, SHEP_KEYS_PARTICIPANT, "%s", participant_id);
    char path [PATH_MAX];
    snprintf (path, sizeof (path), "%s/public/%s.key", dir, participant_id);
    int rc = s_save_public (cert, path, error);
    zcert_destroy (&cert);
    return rc;
}

//  Loads a secret certificate file; NULL with NO_KEY.
static zcert_t *
s_load_secret (const char *path, const char *what, const char *dir, egov_error_t *error)
{
    zcert_t *cert = zsys_file_exists (path) ? zcert_load (path) : NULL;
    //  zcert_load takes a public-only file too: that is not a pair
    static const char *no_secret = "0000000000000000000000000000000000000000";
    if (cert && streq (zcert_secret_txt (cert), no_secret))
        zcert_destroy (&cert);
    if (!cert)
        egov_error_set (error, "NO_KEY", "%s has no CURVE key pair in %s (egovctl keys init --keys %s)",
                        what, path, dir);
    return cert;
}

zcert_t *
shep_keys_participant (const char *dir, const char *participant_id, egov_error_t *error)
{
    if (!shep_keys_id_valid (participant_id)) {
        egov_error_set (error, "INVALID_PARTICIPANT",
                        "a participant id is 1-64 letters, digits and ._:@-");
        return NULL;
    }
    char path [PATH_MAX];
    snprintf (path, sizeof (path), "%s/private/%s.key_secret", dir, participant_id);
    char what [96];
    snprintf (what, sizeof (what), "participant %s", participant_id);
    return s_load_secret (path, what, dir, error);
}

zcert_t *
shep_keys_gateway (const char *dir, egov_error_t *error)
{
    char path [PATH_MAX];
    snprintf (path, sizeof (path), "%s/gateway.key_secret", dir);
    return s_load_secret (path, "the gateway", dir, error);
}

int
shep_keys_gateway_public (const char *dir, char key [41], egov_error_t *error)
{
    char path [PATH_MAX];
    snprintf (path, sizeof (path), "%s/gateway.key", dir);
    zcert_t *cert = zsys_file_exists (path) ? zcert_load (path) : NULL;
    if (!cert) {
        egov_error_set (error, "NO_KEY", "no gateway public key in %s (egovctl keys init --keys %s)",
                        path, dir);
        return -1;
    }
    snprintf (key, 41, "%s", zcert_public_txt (cert));
    zcert_destroy (&cert);
    return 0;
}

const char *
shep_keys_dir (char *path, size_t size)
{
    const char *env = getenv ("EGOV_KEYS_DIR");
    if (env && *env)
        return env;
    return egov_repo_path (SHEP_KEYS_DEFAULT_DIR, path, size);
}

char *
shep_keys_public_dir (const char *dir)
{
    return zsys_sprintf ("%s/public", dir);
}

//  ---------------------------------------------------------------------
//  Selftest

void
shep_keys_test (bool verbose)
{
    printf (" * shep_keys: ");
    char dir [] = "/tmp/shep-keys-XXXXXX";
    assert (mkdtemp (dir));
    egov_error_t error;
    bool created;

    //  The gateway's pair, once
    assert (shep_keys_init (dir, &created, &error) == 0 && created);
    assert (shep_keys_init (dir, &created, &error) == 0 && !created);
    zcert_t *gateway = shep_keys_gateway (dir, &error);
    assert (gateway);
    char key [41];
    assert (shep_keys_gateway_public (dir, key, &error) == 0);
    assert (streq (key, zcert_public_txt (gateway)));

    //  A participant's pair: private half private, public half bound to the id
    assert (shep_keys_participant (dir, "intake", &error) == NULL && streq (error.code, "NO_KEY"));
    assert (shep_keys_create (dir, "intake", &created, &error) == 0 && created);
    assert (shep_keys_create (dir, "intake", &created, &error) == 0 && !created);
    zcert_t *intake = shep_keys_participant (dir, "intake", &error);
    assert (intake);
    assert (streq (zcert_meta (intake, SHEP_KEYS_PARTICIPANT), "intake"));
    char path [PATH_MAX];
    snprintf (path, sizeof (path), "%s/private/intake.key_secret", dir);
    struct stat status;
    assert (stat (path, &status) == 0 && (status.st_mode & 0077) == 0);
    snprintf (path, sizeof (path), "%s/public/intake.key", dir);
    zcert_t *public_half = zcert_load (path);
    assert (public_half && streq (zcert_public_txt (public_half), zcert_public_txt (intake)));
    assert (streq (zcert_secret_txt (public_half), "0000000000000000000000000000000000000000"));
    zcert_destroy (&public_half);
    //  A public-only file is no pair; one key belongs to one participant
    assert (shep_keys_trust (dir, "outsider", zcert_public_txt (intake), &error) == -1
            && streq (error.code, "KEY_IN_USE"));
    zcert_t *outsider = zcert_new ();
    assert (shep_keys_trust (dir, "outsider", zcert_public_txt (outsider), &error) == 0);
    assert (shep_keys_trust (dir, "outsider", zcert_public_txt (outsider), &error) == 0);
    zcert_destroy (&outsider);
    assert (shep_keys_participant (dir, "outsider", &error) == NULL && streq (error.code, "NO_KEY"));
    snprintf (path, sizeof (path), "%s/public/outsider.key", dir);
    public_half = zcert_load (path);
    assert (public_half && streq (zcert_meta (public_half, SHEP_KEYS_PARTICIPANT), "outsider"));
    zcert_destroy (&public_half);
    assert (shep_keys_trust (dir, "outsider", "short", &error) == -1 && streq (error.code, "INVALID_KEY"));
    assert (shep_keys_create (dir, "../etc", &created, &error) == -1
            && streq (error.code, "INVALID_PARTICIPANT"));
    assert (shep_keys_participant (dir, "a/b", &error) == NULL && streq (error.code, "INVALID_PARTICIPANT"));

    //  zauth lets the trusted key in, and the frames carry the id
    zactor_t *auth = zactor_new (zauth, NULL);
    assert (auth);
    char *trusted = shep_keys_public_dir (dir);
    zstr_sendx (auth, "CURVE", trusted, NULL);
    zsock_wait (auth);
    zstr_free (&trusted);
    zsock_t *server = zsock_new (ZMQ_PULL);
    zcert_apply (gateway, server);
    zsock_set_curve_server (server, 1);
    zsock_set_zap_domain (server, "egov");
    int port = zsock_bind (server, "tcp://127.0.0.1:*");
    assert (port > 0);
    zsock_t *client = zsock_new (ZMQ_PUSH);
    zcert_apply (intake, client);
    zsock_set_curve_serverkey (client, key);
    zsock_connect (client, "tcp://127.0.0.1:%d", port);
    zstr_send (client, "hello");
    zsock_set_rcvtimeo (server, 5000);
    zframe_t *frame = zframe_recv (server);
    assert (frame);
    assert (streq (zframe_meta (frame, SHEP_KEYS_PARTICIPANT), "intake"));
    zframe_destroy (&frame);
    zsock_destroy (&client);
    //  An unknown key is refused: nothing arrives
    zcert_t *stranger = zcert_new ();
    client = zsock_new (ZMQ_PUSH);
    zcert_apply (stranger, client);
    zsock_set_curve_serverkey (client, key);
    zsock_connect (client, "tcp://127.0.0.1:%d", port);
    zstr_send (client, "let me in");
    zsock_set_rcvtimeo (server, 300);
    frame = zframe_recv (server);
    assert (frame == NULL);
    zsock_destroy (&client);
    zcert_destroy (&stranger);
    zsock_destroy (&server);
    zactor_destroy (&auth);

    zcert_destroy (&intake);
    zcert_destroy (&gateway);
    const char *files [] = { "private/intake.key_secret", "public/intake.key", "public/outsider.key",
                             "gateway.key", "gateway.key_secret", "public", "private", "" };
    for (size_t index = 0; index < sizeof (files) / sizeof (files [0]); index++) {
        snprintf (path, sizeof (path), "%s/%s", dir, files [index]);
        assert (remove (path) == 0);
    }
    if (verbose)
        printf ("(keys in %s) ", dir);
    printf ("OK\n");
}
