/*  shep_rights — the gateway's access rights (права доступа) as data, in the
    manner of X-Road: whatever no rule grants is denied.

    The rules come from a text file, one grant per line:

        PARTICIPANT VERB [OBJECT [SERVICE ...]]

        provide SERVICE     may announce SERVICE in its hello (answer sync
                            calls for it, receive async messages for it)
        route ROUTE         may claim route ROUTE (a region's KATO code)
        call SERVICE        may make sync calls to SERVICE
        send RECIPIENT SERVICE [SERVICE ...]
                            may submit async messages for any listed SERVICE
                            that reach participant RECIPIENT
        clock               may set the simulation clock
        log                 may read and verify the message log and ask any
                            message's delivery status
        fault               may inject faults into sync calls (egovctl fault)

    `#` starts a comment; blank lines are ignored; tokens are separated by
    spaces or tabs. Names are 1-128 characters of [A-Za-z0-9._:@-]. A token
    may hold `{kato}` once: nine ASCII digits, bound by the participant and
    the same value everywhere on its line (`leb-{kato} send regional-{kato}
    application.status`). In a line whose participant has no {kato}, it is
    any region (`intake send regional-{kato} application.submit`), but not
    in a route: a route has one owner. A token that is exactly `*` matches any name, in
    the object, recipient and service positions (as a service, no service
    too) but not as a route. Every
    route has at most one owner: two route rules that could both claim one
    route must name the same participant. Lines are at most 1024 bytes, the
    file at most 1 MiB and 10000 rules; any error rejects the whole file.  */
#ifndef SHEP_RIGHTS_H_INCLUDED
#define SHEP_RIGHTS_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct _shep_rights_t shep_rights_t;
typedef enum {
    SHEP_RIGHT_PROVIDE, SHEP_RIGHT_ROUTE, SHEP_RIGHT_CALL,
    SHEP_RIGHT_SEND, SHEP_RIGHT_CLOCK, SHEP_RIGHT_LOG, SHEP_RIGHT_FAULT
} shep_right_t;
//  Loads the rules of path; NULL with problem ("path:line: what") on any error.
shep_rights_t *shep_rights_load (const char *path, char *problem, size_t size);
void shep_rights_destroy (shep_rights_t **self_p);
//  Reads the file again when it changed since the last load (mtime in ns, size or inode differ):
//  1 reloaded, 0 unchanged, -1 the new file is invalid or unreadable (problem set; the old rules stay).
//  A file that failed is reported once: until it changes again, refresh answers 0.
int shep_rights_refresh (shep_rights_t *self, char *problem, size_t size);
//  True when participant holds right on object: provide/call → object is a service id;
//  route → object is a route id; send → object is the recipient participant id and service
//  the service id; clock/log → object and service are ignored (may be NULL).
bool shep_rights_allows (shep_rights_t *self, const char *participant, shep_right_t right,
                         const char *object, const char *service);
//  True when some rule's subject matches participant: a registered participant.
bool shep_rights_registered (shep_rights_t *self, const char *participant);
//  The one participant granted route (the subject with {kato} bound), copied into owner; false when none
//  (or it would not fit).
bool shep_rights_route_owner (shep_rights_t *self, const char *route, char *owner, size_t size);
//  The file the rules came from, and how many rules there are.
const char *shep_rights_path (shep_rights_t *self);
size_t shep_rights_size (shep_rights_t *self);
//  The verb's name in the file ("provide", ...), for messages.
const char *shep_right_name (shep_right_t right);
void shep_rights_test (bool verbose);

#ifdef __cplusplus
}
#endif
#endif
