/*  egov_worker — threads for the expensive work, the answers on the loop.  */
#include "egov_worker.h"
#include <sodium.h>
#include <pthread.h>
#include <stdatomic.h>

//  A job from its submission to its done callback.
typedef struct {
    void *job;                          //  the caller's memory, all a thread touches
    egov_worker_work_fn *work;          //  runs on a thread
    egov_worker_free_fn *destructor;    //  frees job when done is not called
    egov_worker_done_fn *done;          //  runs on the loop; NULL once forgotten
    void *argument;                     //  for done
} s_job_t;

//  One thread of the pool, as the loop sees it.
typedef struct {
    egov_worker_t *pool;            //  its pool
    zactor_t *actor;                //  the thread and its pipe
    s_job_t *job;                   //  the job it runs, NULL while idle
} s_thread_t;

struct _egov_worker_t {
    s_thread_t *threads;            //  the pool's threads
    size_t thread_count;            //  how many
    zlistx_t *queue;                //  s_job_t waiting for a thread, oldest first
    size_t queue_max;               //  more waiting is BUSY
    zloop_t *loop;                  //  where done callbacks run, NULL until attached
};

//  A thread: runs the job the pipe brings, sends it back, until $TERM. It
//  sees nothing of the pool, only each job's memory.
static void
s_thread_actor (zsock_t *pipe, void *unused)
{
    (void) unused;
    zsock_signal (pipe, 0);
    while (true) {
        zmsg_t *message = zmsg_recv (pipe);
        if (!message) {
            if (zmq_errno () == EINTR)
                continue;           //  a signal is the loop's business
            break;
        }
        zframe_t *frame = zmsg_first (message);
        s_job_t *job = NULL;
        if (zframe_size (frame) == sizeof (job))
            memcpy (&job, zframe_data (frame), sizeof (job));
        bool term = zframe_streq (frame, "$TERM");
        zmsg_destroy (&message);
        if (term)
            break;
        if (job) {
            job->work (job->job);
            zsock_send (pipe, "p", job);
        }
    }
}

//  Frees a job that is not called back.
static void
s_job_free (s_job_t *job)
{
    job->destructor (job->job);
    free (job);
}

//  Ends a job: its done callback (which takes the job's memory) or its
//  destructor when it was forgotten.
static void
s_job_end (s_job_t *job)
{
    if (job->done)
        job->done (job->job, job->argument);
    else
        job->destructor (job->job);
    free (job);
}

//  Hands job to an idle thread.
static void
s_thread_start (s_thread_t *thread, s_job_t *job)
{
    thread->job = job;
    int rc = zsock_send (thread->actor, "p", job);
    assert (rc == 0);
}

//  An idle thread, or NULL when all are busy.
static s_thread_t *
s_idle (egov_worker_t *self)
{
    for (size_t index = 0; index < self->thread_count; index++)
        if (!self->threads [index].job)
            return self->threads + index;
    return NULL;
}

//  A thread is done with its job: it takes the next one waiting, then the
//  finished job's callback runs (and may submit more).
static int
s_on_done (zloop_t *loop, zsock_t *pipe, void *argument)
{
    (void) loop;
    (void) pipe;
    s_thread_t *thread = (s_thread_t *) argument;
    s_job_t *job = NULL;
    if (zsock_recv (thread->actor, "p", &job) == -1 || !job)
        return 0;
    assert (job == thread->job);
    thread->job = NULL;
    s_job_t *next = (s_job_t *) zlistx_detach (thread->pool->queue, NULL);
    if (next)
        s_thread_start (thread, next);
    s_job_end (job);
    return 0;
}

egov_worker_t *
egov_worker_new (size_t threads, size_t queue_max)
{
    assert (threads > 0 && queue_max > 0);
    egov_worker_t *self = (egov_worker_t *) zmalloc (sizeof (egov_worker_t));
    assert (self);
    self->threads = (s_thread_t *) calloc (threads, sizeof (s_thread_t));
    assert (self->threads);
    self->thread_count = threads;
    for (size_t index = 0; index < threads; index++) {
        self->threads [index].pool = self;
        self->threads [index].actor = zactor_new (s_thread_actor, NULL);
        assert (self->threads [index].actor);
    }
    self->queue = zlistx_new ();
    assert (self->queue);
    self->queue_max = queue_max;
    return self;
}

void
egov_worker_destroy (egov_worker_t **self_p)
{
    assert (self_p);
    egov_worker_t *self = *self_p;
    if (self) {
        for (size_t index = 0; index < self->thread_count; index++) {
            s_thread_t *thread = self->threads + index;
            if (self->loop)
                zloop_reader_end (self->loop, (zsock_t *) thread->actor);
            //  Waits for the job at hand: its memory is freed only after
            zactor_destroy (&thread->actor);
            if (thread->job)
                s_job_free (thread->job);
        }
        s_job_t *job;
        while ((job = (s_job_t *) zlistx_detach (self->queue, NULL)))
            s_job_free (job);
        zlistx_destroy (&self->queue);
        free (self->threads);
        free (self);
        *self_p = NULL;
    }
}

void
egov_worker_attach (egov_worker_t *self, zloop_t *loop)
{
    assert (self && loop && !self->loop);
    self->loop = loop;
    for (size_t index = 0; index < self->thread_count; index++) {
        int rc = zloop_reader (loop, (zsock_t *) self->threads [index].actor, s_on_done,
                               self->threads + index);
        assert (rc == 0);
    }
}

bool
egov_worker_submit (egov_worker_t *self, void *job, egov_worker_work_fn *work,
                    egov_worker_free_fn *destructor, egov_worker_done_fn *done, void *argument,
                    egov_error_t *error)
{
    assert (self && job && work && destructor && done && error);
    if (!self->loop) {
        work (job);
        done (job, argument);
        return true;
    }
    s_thread_t *idle = s_idle (self);
    if (!idle && zlistx_size (self->queue) >= self->queue_max) {
        destructor (job);
        egov_error_set (error, "BUSY", "%zu jobs already wait for a worker thread; try again shortly",
                        zlistx_size (self->queue));
        return false;
    }
    s_job_t *entry = (s_job_t *) zmalloc (sizeof (s_job_t));
    assert (entry);
    entry->job = job;
    entry->work = work;
    entry->destructor = destructor;
    entry->done = done;
    entry->argument = argument;
    if (idle)
        s_thread_start (idle, entry);
    else
        zlistx_add_end (self->queue, entry);
    return true;
}

void
egov_worker_forget (egov_worker_t *self, void *argument)
{
    assert (self);
    for (size_t index = 0; index < self->thread_count; index++)
        if (self->threads [index].job && self->threads [index].job->argument == argument)
            self->threads [index].job->done = NULL;
    s_job_t *job = (s_job_t *) zlistx_first (self->queue);
    while (job) {
        if (job->argument == argument) {
            zlistx_detach_cur (self->queue);
            s_job_free (job);
            job = (s_job_t *) zlistx_first (self->queue);
        }
        else
            job = (s_job_t *) zlistx_next (self->queue);
    }
}

size_t
egov_worker_pending (egov_worker_t *self)
{
    assert (self);
    size_t running = 0;
    for (size_t index = 0; index < self->thread_count; index++)
        running += self->threads [index].job != NULL;
    return running + zlistx_size (self->queue);
}

//  ---------------------------------------------------------------------
//  Passwords

//  A password to hash or to check, with its outcome.
typedef struct {
    char *password;                         //  wiped before it is freed
    char hash [crypto_pwhash_STRBYTES];     //  the stored hash (check) or the new one
    bool check;                             //  check rather than hash
    bool ok;                                //  the outcome
    egov_worker_password_fn *done;          //  the caller's callback
} s_password_t;

//  A new password job; password copied.
static s_password_t *
s_password_new (const char *password, egov_worker_password_fn *done)
{
    s_password_t *self = (s_password_t *) zmalloc (sizeof (s_password_t));
    assert (self);
    self->password = strdup (password);
    assert (self->password);
    self->done = done;
    return self;
}

//  Wipes and frees a password job.
static void
s_password_free (void *job)
{
    s_password_t *self = (s_password_t *) job;
    sodium_memzero (self->password, strlen (self->password));
    free (self->password);
    sodium_memzero (self, sizeof (*self));
    free (self);
}

bool
egov_password_hash (const char *password, char hash [128])
{
    assert (password && hash);
    _Static_assert (crypto_pwhash_STRBYTES == 128, "a stored hash is 128 bytes");
    return crypto_pwhash_str (hash, password, strlen (password), EGOV_PASSWORD_OPSLIMIT,
                              EGOV_PASSWORD_MEMLIMIT) == 0;
}

bool
egov_password_dummy (char hash [128])
{
    uint8_t secret [32];
    char password [65];
    randombytes_buf (secret, sizeof (secret));
    sodium_bin2hex (password, sizeof (password), secret, sizeof (secret));
    bool ok = egov_password_hash (password, hash);
    sodium_memzero (password, sizeof (password));
    return ok;
}

//  Argon2id, on a thread: tens of milliseconds and 19 MiB.
static void
s_password_work (void *job)
{
    s_password_t *self = (s_password_t *) job;
    size_t length = strlen (self->password);
    if (self->check)
        self->ok = crypto_pwhash_str_verify (self->hash, self->password, length) == 0;
    else
        self->ok = egov_password_hash (self->password, self->hash);
}

//  The outcome to the caller, on the loop.
static void
s_password_done (void *job, void *argument)
{
    s_password_t *self = (s_password_t *) job;
    self->done (argument, self->ok, !self->check && self->ok ? self->hash : NULL);
    s_password_free (self);
}

bool
egov_worker_hash (egov_worker_t *self, const char *password, egov_worker_password_fn *done,
                  void *argument, egov_error_t *error)
{
    assert (self && password && done);
    s_password_t *job = s_password_new (password, done);
    return egov_worker_submit (self, job, s_password_work, s_password_free, s_password_done,
                               argument, error);
}

bool
egov_worker_verify (egov_worker_t *self, const char *hash, const char *password,
                    egov_worker_password_fn *done, void *argument, egov_error_t *error)
{
    assert (self && hash && password && done);
    s_password_t *job = s_password_new (password, done);
    job->check = true;
    //  Longer than any hash libsodium writes: cut, it then fails to verify
    snprintf (job->hash, sizeof (job->hash), "%s", hash);
    return egov_worker_submit (self, job, s_password_work, s_password_free, s_password_done,
                               argument, error);
}

//  ---------------------------------------------------------------------
//  Selftest

//  What the selftest's jobs report to it, on the loop's thread.
typedef struct {
    pthread_t loop_thread;          //  the selftest's own thread
    int done;                       //  done callbacks called
    int freed;                      //  jobs freed without a callback
    bool served;                    //  the loop served a timer while a job ran
    bool served_first;              //  ... before that job's callback
    bool password_ok;               //  the last password outcome
    char hash [crypto_pwhash_STRBYTES];     //  the last hash made
    int password_outcomes;          //  password callbacks called
} s_test_t;

//  A selftest job: where it ran, and a gate it may wait at.
typedef struct {
    pthread_t ran_on;               //  the thread the work ran on
    atomic_bool gated;              //  the work waits until the gate opens
    atomic_bool open;               //  opened by the loop
    s_test_t *test;                 //  where frees are counted (on the loop's thread)
    unsigned char digest [32];      //  the work's result
} s_test_job_t;

static s_test_job_t *
s_test_job_new (s_test_t *test, bool gated)
{
    s_test_job_t *job = (s_test_job_t *) zmalloc (sizeof (s_test_job_t));
    assert (job);
    job->test = test;
    atomic_store (&job->gated, gated);
    return job;
}

static void
s_test_work (void *argument)
{
    s_test_job_t *job = (s_test_job_t *) argument;
    job->ran_on = pthread_self ();
    while (atomic_load (&job->gated) && !atomic_load (&job->open))
        zclock_sleep (1);
    //  Some work of its own, on its own memory
    for (int round = 0; round < 2000; round++)
        crypto_generichash (job->digest, sizeof (job->digest), job->digest, sizeof (job->digest),
                            NULL, 0);
}

static void
s_test_free (void *argument)
{
    s_test_job_t *job = (s_test_job_t *) argument;
    job->test->freed++;
    free (job);
}

//  A job's callback: on the loop's thread, its work on another one.
static void
s_test_done (void *argument, void *test_argument)
{
    s_test_job_t *job = (s_test_job_t *) argument;
    s_test_t *test = (s_test_t *) test_argument;
    assert (pthread_equal (pthread_self (), test->loop_thread));
    assert (!pthread_equal (job->ran_on, test->loop_thread));
    if (atomic_load (&job->gated))
        test->served_first = test->served;
    test->done++;
    free (job);
}

//  A timer of the loop while a gated job runs: the loop is free, and opens the gate.
static s_test_job_t *s_test_gated;
static int
s_test_open (zloop_t *loop, int timer_id, void *argument)
{
    (void) loop;
    (void) timer_id;
    s_test_t *test = (s_test_t *) argument;
    test->served = true;
    atomic_store (&s_test_gated->open, true);
    return 0;
}

//  Ends the loop once *count reaches its target.
static int s_test_target;
static int
s_test_until (zloop_t *loop, int timer_id, void *argument)
{
    (void) loop;
    (void) timer_id;
    return *(int *) argument >= s_test_target ? -1 : 0;
}

//  Runs loop until *count reaches target.
static void
s_test_run (zloop_t *loop, int *count, int target)
{
    s_test_target = target;
    int timer = zloop_timer (loop, 2, 0, s_test_until, count);
    zloop_start (loop);
    zloop_timer_end (loop, timer);
    assert (*count >= target);
}

static void
s_test_password (void *argument, bool ok, const char *hash)
{
    s_test_t *test = (s_test_t *) argument;
    assert (pthread_equal (pthread_self (), test->loop_thread));
    test->password_ok = ok;
    if (hash)
        snprintf (test->hash, sizeof (test->hash), "%s", hash);
    test->password_outcomes++;
}

void
egov_worker_test (bool verbose)
{
    printf (" * egov_worker: ");
    if (verbose)
        printf ("\n");
    assert (sodium_init () >= 0);
    s_test_t test = { .loop_thread = pthread_self () };
    egov_error_t error = { { 0 } };

    //  Not attached: the job runs at once, done before submit returns
    egov_worker_t *self = egov_worker_new (1, 1);
    assert (egov_worker_hash (self, "secret123", s_test_password, &test, &error));
    assert (test.password_outcomes == 1 && test.password_ok && strncmp (test.hash, "$argon2id$", 10) == 0);
    egov_worker_destroy (&self);
    egov_worker_destroy (&self);

    zloop_t *loop = zloop_new ();
    assert (loop);
    self = egov_worker_new (2, 64);
    egov_worker_attach (self, loop);

    //  A job in flight does not hold the loop: a timer fires meanwhile
    //  (it opens the job's gate, so the job can only end after it)
    s_test_gated = s_test_job_new (&test, true);
    assert (egov_worker_submit (self, s_test_gated, s_test_work, s_test_free, s_test_done, &test,
                                &error));
    assert (egov_worker_pending (self) == 1 && test.done == 0);
    zloop_timer (loop, 1, 1, s_test_open, &test);
    s_test_run (loop, &test.done, 1);
    assert (test.served && test.served_first && test.freed == 0);

    //  Many jobs: each done once, on the loop's thread, none lost
    test.done = 0;
    for (int index = 0; index < 60; index++)
        assert (egov_worker_submit (self, s_test_job_new (&test, false), s_test_work, s_test_free,
                                    s_test_done, &test, &error));
    assert (egov_worker_pending (self) == 60);
    s_test_run (loop, &test.done, 60);
    assert (test.done == 60 && test.freed == 0 && egov_worker_pending (self) == 0);

    //  Passwords through the pool
    test.password_outcomes = 0;
    assert (egov_worker_hash (self, "құпия сөз 2026", s_test_password, &test, &error));
    s_test_run (loop, &test.password_outcomes, 1);
    assert (test.password_ok && strncmp (test.hash, "$argon2id$", 10) == 0);
    char hash [crypto_pwhash_STRBYTES];
    memcpy (hash, test.hash, sizeof (hash));
    assert (egov_worker_verify (self, hash, "құпия сөз 2026", s_test_password, &test, &error));
    s_test_run (loop, &test.password_outcomes, 2);
    assert (test.password_ok);
    assert (egov_worker_verify (self, hash, "wrong2026", s_test_password, &test, &error));
    s_test_run (loop, &test.password_outcomes, 3);
    assert (!test.password_ok);
    assert (egov_worker_verify (self, "not a hash", "wrong2026", s_test_password, &test, &error));
    s_test_run (loop, &test.password_outcomes, 4);
    assert (!test.password_ok);
    egov_worker_destroy (&self);

    //  A full queue refuses at once; a forgotten caller is never called
    //  back, its jobs freed (the one running once it is off its thread)
    self = egov_worker_new (1, 2);
    egov_worker_attach (self, loop);
    test.done = test.freed = 0;
    s_test_gated = s_test_job_new (&test, true);
    int forgotten = 0;
    assert (egov_worker_submit (self, s_test_gated, s_test_work, s_test_free, s_test_done,
                                &forgotten, &error));
    assert (egov_worker_submit (self, s_test_job_new (&test, false), s_test_work, s_test_free,
                                s_test_done, &forgotten, &error));
    assert (egov_worker_submit (self, s_test_job_new (&test, false), s_test_work, s_test_free,
                                s_test_done, &test, &error));
    assert (!egov_worker_submit (self, s_test_job_new (&test, false), s_test_work, s_test_free,
                                 s_test_done, &test, &error));
    assert (streq (error.code, "BUSY") && test.freed == 1);
    egov_worker_forget (self, &forgotten);
    assert (test.freed == 2 && egov_worker_pending (self) == 2);
    atomic_store (&s_test_gated->open, true);
    s_test_run (loop, &test.done, 1);
    assert (test.done == 1 && test.freed == 3 && egov_worker_pending (self) == 0);
    egov_worker_destroy (&self);

    //  Destroyed with jobs running and waiting: each freed once, none
    //  called back (s_test_done would find the test over)
    self = egov_worker_new (2, 64);
    egov_worker_attach (self, loop);
    test.done = test.freed = 0;
    for (int index = 0; index < 20; index++)
        assert (egov_worker_submit (self, s_test_job_new (&test, false), s_test_work, s_test_free,
                                    s_test_done, &test, &error));
    int outcomes = test.password_outcomes;
    assert (egov_worker_hash (self, "secret123", s_test_password, &test, &error));
    egov_worker_destroy (&self);
    assert (test.done == 0 && test.freed == 20 && test.password_outcomes == outcomes);
    zloop_destroy (&loop);
    printf ("OK\n");
}
