/*  egovctl_keys — `keys init|add|show`: the CURVE keys of the gateway and
    its participants (shep_keys) on the keys folder (--keys, env
    EGOV_KEYS_DIR, default var/keys). No gateway needed.                 */
#ifndef EGOVCTL_KEYS_H_INCLUDED
#define EGOVCTL_KEYS_H_INCLUDED

//  Runs `keys` when it is argv's command and returns the exit code; -1 when
//  the command is another, for egovctl.c's own parser.
int egovctl_keys_main (int argc, char *argv []);
//  The keys folder: --keys DIR anywhere in argv, else EGOV_KEYS_DIR, else
//  the repository's var/keys (into path).
const char *egovctl_keys_dir (int argc, char *argv [], char *path, size_t size);

#endif
