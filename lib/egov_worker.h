/*  egov_worker — a small pool of threads for the work that must not run
    on a service's loop because it costs the CPU tens to hundreds of
    milliseconds: Argon2id password hashes above all (libsodium
    crypto_pwhash_str and _verify), which on the loop would keep every
    other request waiting, and a login storm would starve the service.

    Each thread is a czmq actor. The loop hands a job to an idle thread
    over the actor's pipe and gets it back the same way when the work is
    done; a zloop reader on each pipe then calls the job's done callback
    on the loop's thread. The pool's own state (the queue, which thread
    is busy with what) lives on the loop's thread only: a thread touches
    the memory of the job it was given and nothing else. Jobs wait in a
    bounded queue while every thread is busy; a full queue refuses the
    job at once (BUSY), which the service answers as 503.

    Until it is attached to a loop the pool runs each job at once on the
    caller's thread, done included, before submit returns: the synchronous
    path of selftests and of tools without a loop.                       */
#ifndef EGOV_WORKER_H_INCLUDED
#define EGOV_WORKER_H_INCLUDED

#include "egov_util.h"

#ifdef __cplusplus
extern "C" {
#endif

#define EGOV_WORKER_THREADS     2           //  threads a service runs (Argon2 takes 19 MiB each)
#define EGOV_WORKER_QUEUE       256         //  jobs that may wait for a thread

typedef struct _egov_worker_t egov_worker_t;

//  The work, on one of the pool's threads: touches job and nothing else.
typedef void (egov_worker_work_fn) (void *job);
//  The work is done: called on the loop's thread with the job (now the
//  callback's to free) and the argument it was submitted with.
typedef void (egov_worker_done_fn) (void *job, void *argument);
//  Frees a job whose done callback will never be called (it was
//  forgotten, refused, or the pool went first).
typedef void (egov_worker_free_fn) (void *job);

//  A pool of threads (at least 1) with a queue of queue_max jobs waiting
//  for them (at least 1).
egov_worker_t *egov_worker_new (size_t threads, size_t queue_max);
//  Waits for the jobs running now to finish (a thread is never stopped in
//  the middle of one), then frees them and those still queued with their
//  free callbacks: no done callback is called. Takes the pool's readers
//  off its loop, so destroy the pool before its loop.
void egov_worker_destroy (egov_worker_t **self_p);
//  Runs the pool from loop: done callbacks are called on its thread.
void egov_worker_attach (egov_worker_t *self, zloop_t *loop);

//  Hands job over: work runs on a free thread, then done on the loop's
//  thread, once (at once, before this returns, while the pool is not
//  attached). False with BUSY when the queue is full: then the job was
//  freed with destructor and done is never called.
bool egov_worker_submit (egov_worker_t *self, void *job, egov_worker_work_fn *work,
                         egov_worker_free_fn *destructor, egov_worker_done_fn *done,
                         void *argument, egov_error_t *error);
//  The caller of the jobs submitted with argument is going: their done
//  callbacks are never called, and each job is freed once it is off its
//  thread.
void egov_worker_forget (egov_worker_t *self, void *argument);
//  Jobs running or queued.
size_t egov_worker_pending (egov_worker_t *self);

//  ---------------------------------------------------------------------
//  Passwords: Argon2id as crypto_pwhash_str stores it (the parameters are
//  in the stored text, so a hash made with other limits still verifies);
//  sodium_init must have run. New hashes take 19 MiB and 2 passes, the
//  lowest Argon2id setting OWASP's password storage guidance recommends,
//  instead of libsodium's interactive 64 MiB: a login or a registration
//  then costs a service 19 MiB for its duration, not 64.
#define EGOV_PASSWORD_OPSLIMIT  2
#define EGOV_PASSWORD_MEMLIMIT  (19u * 1024 * 1024)
//  The hash of password to store, on the caller's thread (tens of
//  milliseconds: the loop hands it to egov_worker_hash instead); false when
//  Argon2 had no memory.
bool egov_password_hash (const char *password, char hash [128]);
//  The hash of a random password nobody knows: what an unknown login's
//  password is checked against, so that it takes as long as a known one.
bool egov_password_dummy (char hash [128]);

//  A password job's outcome on the loop's thread. For a hash: ok, and
//  hash the text to store, or !ok when Argon2 had no memory. For a check:
//  ok when the password is the one the stored hash was made from; hash
//  is NULL.
typedef void (egov_worker_password_fn) (void *argument, bool ok, const char *hash);
//  Hashes password (copied, wiped after use) on the pool; false with BUSY
//  as egov_worker_submit (done then never called).
bool egov_worker_hash (egov_worker_t *self, const char *password, egov_worker_password_fn *done,
                       void *argument, egov_error_t *error);
//  Checks password against a stored hash (both copied) on the pool.
bool egov_worker_verify (egov_worker_t *self, const char *hash, const char *password,
                         egov_worker_password_fn *done, void *argument, egov_error_t *error);

void egov_worker_test (bool verbose);

#ifdef __cplusplus
}
#endif
#endif
