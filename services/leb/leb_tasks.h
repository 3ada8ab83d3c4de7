/*  leb_tasks — the provider's tasks (тапсырма / поручение) as rows: one per
    catalogue step of an application (clerk registers, head assigns by
    resolution (бұрыштама), executor checks, head signs, clerk sends), and
    one for the clerk's resend when a result is recalled. Each has a role,
    an assignee, a start and a due moment on the simulation clock, and an
    overdue flag set when it was still open past its due moment.

    States: open -> taken (an assignee) -> done. Auto mode completes open
    tasks at their due moment; manual mode waits for an integrator who
    takes and completes them. Every method works on the caller's
    connection and inside the caller's transaction; failures carry stable
    codes: TASK_NOT_FOUND, TASK_TAKEN, TASK_DONE, TASK_NOT_TAKEN,
    DB_UNAVAILABLE.                                                      */
#ifndef LEB_TASKS_H_INCLUDED
#define LEB_TASKS_H_INCLUDED

#include "egov_util.h"
#include <libpq-fe.h>
#include <jansson.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LEB_ID_MAX          129         //  correlation ids, with the zero
#define LEB_ASSIGNEE_MAX    129         //  assignee names, with the zero
#define LEB_ACTION_MAX      2048        //  catalogue action text, with the zero

//  One task as stored.
typedef struct {
    int64_t id;                         //  task number
    char correlation_id [LEB_ID_MAX];   //  the application
    bool recall;                        //  the resend of a recalled result, not a step
    int step;                           //  index into the entry's steps; -1 for a recall
    char role [16];                     //  clerk, head or executor
    char action [LEB_ACTION_MAX];       //  what the step does
    bool decides;                       //  the step that approves or refuses
    char state [8];                     //  open, taken or done
    char assignee [LEB_ASSIGNEE_MAX];   //  "" while nobody took it
    int64_t started_ms;                 //  simulated
    int64_t due_ms;                     //  simulated: the step's maximum
    int64_t planned_ms;                 //  simulated: when auto mode completes it (<= due_ms), 0: due_ms
    int64_t completed_ms;               //  simulated, 0 until done
    bool overdue;                       //  still open past due_ms at some point
} leb_task_t;

//  Creates an open task; returns its id, or 0 when this step of the
//  application exists already (a replay), or -1 with DB_UNAVAILABLE.
int64_t leb_tasks_open (PGconn *conn, const leb_task_t *task, egov_error_t *error);
//  Reads a task, locking its row (FOR UPDATE) when lock. 0, or -1 with
//  TASK_NOT_FOUND or DB_UNAVAILABLE.
int leb_tasks_get (PGconn *conn, int64_t id, bool lock, leb_task_t *task, egov_error_t *error);
//  Gives an open task to assignee; taking it again by the same assignee is
//  fine. 0, or -1 with TASK_NOT_FOUND, TASK_TAKEN (someone else has it),
//  TASK_DONE or DB_UNAVAILABLE. task (may be NULL) gets the row after.
int leb_tasks_take (PGconn *conn, int64_t id, const char *assignee, leb_task_t *task,
                    egov_error_t *error);
//  Marks a task done at completed_ms by assignee with a decision ("approve",
//  "refuse" or NULL) and grounds (JSON array text or NULL). must_be_taken
//  refuses an open task with TASK_NOT_TAKEN (manual mode). 0, or -1 with
//  TASK_NOT_FOUND, TASK_NOT_TAKEN, TASK_DONE or DB_UNAVAILABLE.
int leb_tasks_finish (PGconn *conn, int64_t id, bool must_be_taken, const char *assignee,
                      int64_t completed_ms, const char *decision, const char *grounds,
                      egov_error_t *error);
//  Tasks not done (role NULL: every role), due first, as a JSON array of
//  {id, application, registration_number, step, action, role, assignee,
//  state, started, due, due_ms, overdue}; overdue is also true for a task
//  past due at now_ms. NULL with DB_UNAVAILABLE.
json_t *leb_tasks_list (PGconn *conn, const char *role, int64_t now_ms, egov_error_t *error);
//  The earliest task not done whose planned moment (else due_ms) is <=
//  upto_ms, read into task and locked (FOR UPDATE), or 0 when none; -1
//  with DB_UNAVAILABLE.
int64_t leb_tasks_next_due (PGconn *conn, int64_t upto_ms, leb_task_t *task, egov_error_t *error);
//  Planned (else due) moments of the tasks not done that are not flagged
//  overdue yet (to re-arm timers at start): a zlistx of int64_t* (freed
//  with the list).
zlistx_t *leb_tasks_pending (PGconn *conn, egov_error_t *error);
//  Flags every task not done whose due moment is before now_ms and logs
//  each once; returns how many it flagged, -1 with DB_UNAVAILABLE.
int leb_tasks_flag_overdue (PGconn *conn, int64_t now_ms, egov_error_t *error);

void leb_tasks_test (bool verbose);

#ifdef __cplusplus
}
#endif
#endif
