/*  egovctl_regulations — the commands that read the regulations as data
    and need no gateway: `catalogue` (list and show the service catalogue)
    and `deadline` (when an application counts as received and when its
    term ends, with the days skipped and why).                            */
#ifndef EGOVCTL_REGULATIONS_H_INCLUDED
#define EGOVCTL_REGULATIONS_H_INCLUDED

//  Runs `catalogue` or `deadline` when argv's command is one of them and
//  returns the exit code; -1 when the command is another, for egovctl.c's
//  own parser. It parses its own flags and never connects to the gateway.
int egovctl_regulations_main (int argc, char *argv []);

#endif
