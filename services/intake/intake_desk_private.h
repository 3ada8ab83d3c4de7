/*  intake_desk_private — what the desk's two files share: the state and
    the database and registry helpers. Not for other classes.            */
#ifndef INTAKE_DESK_PRIVATE_H_INCLUDED
#define INTAKE_DESK_PRIVATE_H_INCLUDED

#include "intake_desk.h"
#include "egov_cms.h"
#include "egov_clock.h"
#include "egov_worker.h"
#include "registries.pb-c.h"
#include "applications.pb-c.h"

struct _intake_desk_t {
    egov_channel_t channel;         //  EGOV_CHANNEL_STATE_CORP, or EGOV_CHANNEL_OFFICE
    char office [10];               //  an office's region (KATO); "" at the State Corporation
    char provider [32];             //  an office's provider, leb-<KATO>; "" otherwise
    char clerk [32];                //  an office's clerks sign with clerk-<KATO>'s certificate
    shep_participant_t *engine;     //  the gateway and the database, not owned
    PGconn *conn;                   //  the engine's connection for the unit of work at hand
    egov_catalogue_t *catalogue;    //  the services, not owned
    egov_calendar_t *calendar;      //  working days and hours, not owned
    char *pki_dir;                  //  operators' keys, trust anchors
    egov_cms_verifier_t *verifier;  //  checks the provider's signature
    zhashx_t *signers;              //  certificate label -> egov_cms_signer_t
    egov_timers_t *timers;          //  business timers on the simulation clock
    uint64_t storage_timer;         //  the next unclaimed-result deadline, 0 when none
    int64_t storage_due;            //  its due moment
    uint64_t courier_timer;         //  the next courier's arrival at a provider, 0 when none
    int64_t courier_due;            //  its due moment
    bool rearm_wanted;              //  the storage timer is to be armed from the database again
    int64_t retry_wall;             //  wall ms before which timers wait for the database
    bool verbose;                   //  log every step
    int lock_after;                 //  wrong passwords in a row that lock a login
    int64_t lock_ms;                //  how long it stays locked (wall)
    char *dummy_hash;               //  a password hash no login has: unknown logins
                                    //  cost the same check as known ones
    zlistx_t *submissions;          //  submissions waiting for Condition 1's answers
    zlistx_t *logins;               //  logins whose password a worker thread checks
    zlistx_t *handovers;            //  hand-overs waiting for the identity look-up
    egov_worker_t *worker;          //  Argon2 off the loop
};

//  Takes the database for a unit of work (an HTTP request, a timer, the
//  sent handler): true when it is usable, else false with reply (may be
//  NULL) set to 503 DATABASE_UNAVAILABLE. A broken connection is
//  re-established by the engine, at most once a second.
bool intake_desk__db (intake_desk_t *self, egov_http_reply_t *reply);
//  Fills reply with 503 DATABASE_UNAVAILABLE.
void intake_desk__unavailable (egov_http_reply_t *reply);
//  Runs a parameterised statement; NULL (logged) unless the result has the
//  expected status. lengths/formats may be NULL for text parameters.
PGresult *intake_desk__sql (intake_desk_t *self, ExecStatusType expected, const char *sql,
                            int count, const char *const *values, const int *lengths,
                            const int *formats);
//  BEGIN / COMMIT / ROLLBACK; false when it failed.
bool intake_desk__exec (intake_desk_t *self, const char *command);
//  Appends a step to an application's history (inside the caller's transaction).
bool intake_desk__history (intake_desk_t *self, const char *id, const char *status,
                           const char *step, const char *role, const char *actor,
                           const char *note, int64_t at_sim);
//  Stores an envelope for the gateway in the runtime's outbox (caller's
//  transaction); the runtime submits it after the commit.
bool intake_desk__outbox (intake_desk_t *self, Egov__Envelope *envelope);
//  A paper package leaves with the courier, who is at the provider's office
//  one working day (the office's) after received_ms: envelope waits in the
//  row until then (caller's transaction; intake_flow.c).
bool intake_desk__courier (intake_desk_t *self, const char *id, int64_t received_ms,
                           const Egov__Envelope *envelope);
//  A message to the regional gateway of region about application id.
Egov__Envelope *intake_desk__envelope (const char *service_id, const char *id,
                                       const char *region, Egov__MessageType type);
//  ISO 8601 in Almaty time for a moment, or JSON null for 0.
json_t *intake_desk__time (int64_t ms);
//  Asks gbdfl.person about iin without waiting (correlation may be NULL):
//  callback gets the answer on the loop, later, once. False with error
//  (GATEWAY_UNREACHABLE ...) when it could not be asked: then callback is
//  never called.
bool intake_desk__ask_person (intake_desk_t *self, const char *iin, const char *correlation,
                              shep_participant_reply_fn *callback, void *argument,
                              egov_error_t *error);
//  What gbdfl.person answered about iin (reply, or NULL with failure): 1
//  found (*response set, free with free_unpacked), 0 not found (error
//  NOT_FOUND or the registry's INVALID_IIN), -1 no usable answer (error:
//  the gateway's code, or BAD_REPLY).
int intake_desk__person_answer (const char *iin, const Egov__Envelope *reply,
                                const egov_error_t *failure,
                                Egov__Registries__PersonResponse **response, egov_error_t *error);
//  Full name of a person from the registry.
void intake_desk__name (const Egov__Registries__Person *person, char *buffer, size_t size);

//  Condition 1 asked without waiting (Processes 3-4): the applicant, then
//  the representative and the power of attorney when there is one, then
//  the child the form names (linked to the applicant by a birth
//  certificate, as the portal checks it), each a sync call through the
//  runtime whose answer comes back on the loop.
typedef struct _intake_check_t intake_check_t;
//  The stages of a check, in order; a stage that does not apply is skipped.
typedef enum {
    INTAKE_CHECK_APPLICANT,
    INTAKE_CHECK_REPRESENTATIVE,
    INTAKE_CHECK_POA,
    INTAKE_CHECK_CHILD,
    INTAKE_CHECK_DONE
} intake_check_stage_t;
//  The check is over: failure->status is 0 when every answer was yes.
typedef void (intake_check_fn) (intake_check_t *check, void *argument);
struct _intake_check_t {
    intake_desk_t *desk;                        //  asks through its runtime
    const intake_application_t *request;        //  the caller's, outlives the check
    char correlation [64];                      //  the id the application will have
    const char *child_iin;                      //  the form's child (in request->form), or NULL
    const char *child_key;                      //  the form's field that names the child
    intake_check_stage_t stage;                 //  the question in flight
    Egov__Registries__PersonResponse *applicant;        //  found, owned
    Egov__Registries__PersonResponse *representative;   //  found, owned
    Egov__Registries__PersonResponse *child;    //  found, owned; NULL when the registry lost them
    const Egov__Registries__BirthCertificate *link;     //  the child's, in applicant
    egov_http_reply_t failure;                  //  why not: 422 DATA_NOT_AVAILABLE or 503
    intake_check_fn *done;                      //  called once, later, on the loop
    void *argument;                             //  for done
};
//  Starts the check. False when it ended at once (failure set, done never
//  called): the gateway is away; else done is called later.
bool intake_desk__check_start (intake_desk_t *self, intake_check_t *check);
//  Frees what the check holds; stops a check still waiting (done is then
//  never called).
void intake_desk__check_reset (intake_check_t *check);

//  Local "YYYY-MM-DD" of a simulated moment.
void intake_desk__local_date (intake_desk_t *self, int64_t ms, char out [11]);
//  Fills reply for a registry that could not be reached: 503 REGISTRY_UNAVAILABLE.
void intake_desk__registry_unavailable (egov_http_reply_t *reply, const char *registry,
                                        const egov_error_t *error);
//  Fills reply for a full worker queue (error BUSY): 503 BUSY, Retry-After 1.
void intake_desk__busy (egov_http_reply_t *reply, const egov_error_t *error);
//  Hex SHA-256 of text into out (65 bytes): the digests requests are remembered by.
void intake_desk__sha256_hex (const char *text, char out [65]);
//  True when key may be an Idempotency-Key: 1-64 of letters, digits and -_.:
bool intake_desk__key_valid (const char *key);
//  Drops the hand-overs still waiting, unanswered (intake_counter.c).
void intake_desk__handovers_drop (intake_desk_t *self);
//  The view of an application (GET), or NULL when there is none; *failed
//  is set on a database failure (intake_counter.c).
json_t *intake_desk__view (intake_desk_t *self, const char *id, bool *failed);
//  Asks the provider for a returned result; *ready_by gets the term (intake_flow.c).
bool intake_desk__recall (intake_desk_t *self, const char *id, const char *region,
                          const intake_operator_t *operator_, int64_t *ready_by);
//  Selftest of intake_flow.c, on a desk whose engine's database is conn's
//  (intake_desk_test).
void intake_desk__flow_test (intake_desk_t *self, PGconn *conn, bool verbose);

#endif
