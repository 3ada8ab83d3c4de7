/*  egovctl_pki — the e-signature commands, which need no gateway: `pki`
    (the test certification authority: init, issue, revoke, list), `sign`
    (what a portal's signing component does: CMS over a file, base64 out)
    and `verify` (the one verification every service uses, with its
    outcome and the signer).                                             */
#ifndef EGOVCTL_PKI_H_INCLUDED
#define EGOVCTL_PKI_H_INCLUDED

#define EGOVCTL_SIGNATURE_INVALID   6   //  verify: any outcome but OK

//  Runs `pki`, `sign` or `verify` when argv's command is one of them and
//  returns the exit code; -1 when the command is another, for egovctl.c's
//  own parser. It parses its own flags and never connects to the gateway.
int egovctl_pki_main (int argc, char *argv []);

#endif
