/*  leb_tasks — the provider's tasks as rows of the leb database.  */
#include "leb_tasks.h"
#include "egov_clock.h"
#include "egov_db.h"

extern const char *leb_schema_sql;
extern const char *shep_participant_schema_sql;

//  Columns of a task in the order s_row reads them.
#define s_COLUMNS "id, correlation_id, kind, step, role, action, decides, state," \
                  " coalesce (assignee, ''), started_ms, due_ms, coalesce (completed_ms, 0), overdue," \
                  " coalesce (planned_ms, 0)"
#define s_COLUMN_COUNT 14           //  the columns of s_COLUMNS; a query's own come after

//  Sets DB_UNAVAILABLE from a failed result (logged by egov_db_check).
static void
s_db_error (egov_error_t *error, PGresult *result, const char *what)
{
    egov_error_set (error, "DB_UNAVAILABLE", "%s: %s", what,
                    result ? PQresultErrorMessage (result) : "no connection");
}

//  Copies text into a fixed field, cut to fit.
static void
s_copy (char *field, size_t size, const char *text)
{
    snprintf (field, size, "%s", text ? text : "");
}

//  Fills task from row of result (columns as s_COLUMNS).
static void
s_row (PGresult *result, int row, leb_task_t *task)
{
    memset (task, 0, sizeof (*task));
    task->id = strtoll (PQgetvalue (result, row, 0), NULL, 10);
    s_copy (task->correlation_id, sizeof (task->correlation_id), PQgetvalue (result, row, 1));
    task->recall = streq (PQgetvalue (result, row, 2), "recall");
    task->step = atoi (PQgetvalue (result, row, 3));
    s_copy (task->role, sizeof (task->role), PQgetvalue (result, row, 4));
    s_copy (task->action, sizeof (task->action), PQgetvalue (result, row, 5));
    task->decides = streq (PQgetvalue (result, row, 6), "t");
    s_copy (task->state, sizeof (task->state), PQgetvalue (result, row, 7));
    s_copy (task->assignee, sizeof (task->assignee), PQgetvalue (result, row, 8));
    task->started_ms = strtoll (PQgetvalue (result, row, 9), NULL, 10);
    task->due_ms = strtoll (PQgetvalue (result, row, 10), NULL, 10);
    task->completed_ms = strtoll (PQgetvalue (result, row, 11), NULL, 10);
    task->overdue = streq (PQgetvalue (result, row, 12), "t");
    task->planned_ms = strtoll (PQgetvalue (result, row, 13), NULL, 10);
}

int64_t
leb_tasks_open (PGconn *conn, const leb_task_t *task, egov_error_t *error)
{
    assert (conn && task);
    char step [16], started [24], due [24], planned [24];
    snprintf (step, sizeof (step), "%d", task->step);
    snprintf (started, sizeof (started), "%" PRId64, task->started_ms);
    snprintf (due, sizeof (due), "%" PRId64, task->due_ms);
    snprintf (planned, sizeof (planned), "%" PRId64, task->planned_ms);
    const char *values [] = {
        task->correlation_id, task->recall ? "recall" : "step", step, task->role,
        task->action, task->decides ? "true" : "false", started, due,
        *task->assignee ? task->assignee : NULL, task->planned_ms ? planned : NULL
    };
    PGresult *result = egov_db_params (conn,
        "INSERT INTO task (correlation_id, kind, step, role, action, decides, started_ms,"
        "                  due_ms, assignee, planned_ms)"
        " VALUES ($1, $2, $3::integer, $4, $5, $6::boolean, $7::bigint, $8::bigint, $9, $10::bigint)"
        " ON CONFLICT (correlation_id, step) WHERE kind = 'step' DO NOTHING RETURNING id",
        10, NULL, values, NULL, NULL, 0);
    int64_t id = -1;
    if (egov_db_check (result, PGRES_TUPLES_OK, "task insert"))
        id = PQntuples (result) ? strtoll (PQgetvalue (result, 0, 0), NULL, 10) : 0;
    else
        s_db_error (error, result, "task insert");
    PQclear (result);
    return id;
}

int
leb_tasks_get (PGconn *conn, int64_t id, bool lock, leb_task_t *task, egov_error_t *error)
{
    assert (conn && task);
    char text [24];
    snprintf (text, sizeof (text), "%" PRId64, id);
    const char *values [] = { text };
    PGresult *result = egov_db_params (conn, lock
        ? "SELECT " s_COLUMNS " FROM task WHERE id = $1::bigint FOR UPDATE"
        : "SELECT " s_COLUMNS " FROM task WHERE id = $1::bigint",
        1, NULL, values, NULL, NULL, 0);
    int rc = -1;
    if (!egov_db_check (result, PGRES_TUPLES_OK, "task read"))
        s_db_error (error, result, "task read");
    else
    if (PQntuples (result) == 0)
        egov_error_set (error, "TASK_NOT_FOUND", "there is no task %" PRId64, id);
    else {
        s_row (result, 0, task);
        rc = 0;
    }
    PQclear (result);
    return rc;
}

//  Runs an UPDATE with parameters; true when it worked.
static bool
s_update (PGconn *conn, const char *sql, int count, const char *const *values,
          egov_error_t *error)
{
    PGresult *result = egov_db_params (conn, sql, count, NULL, values, NULL, NULL, 0);
    bool ok = egov_db_check (result, PGRES_COMMAND_OK, "task update");
    if (!ok)
        s_db_error (error, result, "task update");
    PQclear (result);
    return ok;
}

int
leb_tasks_take (PGconn *conn, int64_t id, const char *assignee, leb_task_t *task,
                egov_error_t *error)
{
    assert (conn && assignee && *assignee);
    leb_task_t current;
    if (leb_tasks_get (conn, id, true, &current, error))
        return -1;
    if (streq (current.state, "done")) {
        egov_error_set (error, "TASK_DONE", "task %" PRId64 " is done", id);
        return -1;
    }
    if (streq (current.state, "taken") && !streq (current.assignee, assignee)) {
        egov_error_set (error, "TASK_TAKEN", "task %" PRId64 " is taken by %s", id,
                        current.assignee);
        return -1;
    }
    char text [24];
    snprintf (text, sizeof (text), "%" PRId64, id);
    const char *values [] = { text, assignee };
    if (!s_update (conn, "UPDATE task SET state = 'taken', assignee = $2 WHERE id = $1::bigint",
                   2, values, error))
        return -1;
    if (task) {
        *task = current;
        s_copy (task->state, sizeof (task->state), "taken");
        s_copy (task->assignee, sizeof (task->assignee), assignee);
    }
    return 0;
}

int
leb_tasks_finish (PGconn *conn, int64_t id, bool must_be_taken, const char *assignee,
                  int64_t completed_ms, const char *decision, const char *grounds,
                  egov_error_t *error)
{
    assert (conn);
    char text [24], completed [24];
    snprintf (text, sizeof (text), "%" PRId64, id);
    snprintf (completed, sizeof (completed), "%" PRId64, completed_ms);
    const char *values [] = {
        text, completed, assignee && *assignee ? assignee : NULL, decision,
        grounds ? grounds : "[]", must_be_taken ? "t" : "f"
    };
    //  Done in one statement when it may be; only a refusal reads why
    PGresult *result = egov_db_params (conn,
        "UPDATE task SET state = 'done', completed_ms = $2::bigint,"
        " assignee = coalesce ($3, assignee), decision = $4, grounds = $5::jsonb,"
        " overdue = overdue OR $2::bigint > due_ms"
        " WHERE id = $1::bigint AND state <> 'done' AND (NOT $6::boolean OR state = 'taken')",
        6, NULL, values, NULL, NULL, 0);
    bool ok = egov_db_check (result, PGRES_COMMAND_OK, "task update");
    bool finished = ok && streq (PQcmdTuples (result), "1");
    if (!ok)
        s_db_error (error, result, "task update");
    PQclear (result);
    if (finished)
        return 0;
    leb_task_t current;
    if (!ok || leb_tasks_get (conn, id, true, &current, error))
        return -1;
    if (streq (current.state, "done"))
        egov_error_set (error, "TASK_DONE", "task %" PRId64 " is done", id);
    else
        egov_error_set (error, "TASK_NOT_TAKEN", "task %" PRId64 " must be taken first", id);
    return -1;
}

json_t *
leb_tasks_list (PGconn *conn, const char *role, int64_t now_ms, egov_error_t *error)
{
    assert (conn);
    const char *values [] = { role };
    PGresult *result = egov_db_params (conn,
        "SELECT " s_COLUMNS ", a.application_id, a.registration_number"
        " FROM task JOIN application a USING (correlation_id)"
        " WHERE state <> 'done' AND ($1::text IS NULL OR role = $1)"
        " ORDER BY due_ms, id LIMIT 1000",
        1, NULL, values, NULL, NULL, 0);
    if (!egov_db_check (result, PGRES_TUPLES_OK, "task list")) {
        s_db_error (error, result, "task list");
        PQclear (result);
        return NULL;
    }
    json_t *tasks = json_array ();
    for (int row = 0; row < PQntuples (result); row++) {
        leb_task_t task;
        s_row (result, row, &task);
        char started [40], due [40];
        egov_clock_format (task.started_ms, started, sizeof (started));
        egov_clock_format (task.due_ms, due, sizeof (due));
        json_t *item = json_pack (
            "{s:I, s:s, s:s, s:s, s:i, s:s, s:s, s:s, s:s, s:s, s:I, s:b, s:b}",
            "id", (json_int_t) task.id,
            "application", PQgetvalue (result, row, s_COLUMN_COUNT),
            "correlation_id", task.correlation_id,
            "registration_number", PQgetvalue (result, row, s_COLUMN_COUNT + 1),
            "step", task.recall ? 0 : task.step + 1,
            "action", task.action,
            "role", task.role,
            "state", task.state,
            "started", started,
            "due", due,
            "due_ms", (json_int_t) task.due_ms,
            "overdue", task.overdue || now_ms > task.due_ms,
            "decides", task.decides);
        assert (item);
        json_object_set_new (item, "kind", json_string (task.recall ? "recall" : "step"));
        json_object_set_new (item, "assignee",
                             *task.assignee ? json_string (task.assignee) : json_null ());
        json_array_append_new (tasks, item);
    }
    PQclear (result);
    return tasks;
}

int64_t
leb_tasks_next_due (PGconn *conn, int64_t upto_ms, leb_task_t *task, egov_error_t *error)
{
    assert (conn && task);
    char upto [24];
    snprintf (upto, sizeof (upto), "%" PRId64, upto_ms);
    const char *values [] = { upto };
    PGresult *result = egov_db_params (conn,
        "SELECT " s_COLUMNS " FROM task WHERE state <> 'done'"
        " AND coalesce (planned_ms, due_ms) <= $1::bigint"
        " ORDER BY coalesce (planned_ms, due_ms), id LIMIT 1 FOR UPDATE", 1, NULL, values, NULL, NULL, 0);
    int64_t id = -1;
    if (egov_db_check (result, PGRES_TUPLES_OK, "due tasks")) {
        id = PQntuples (result) ? strtoll (PQgetvalue (result, 0, 0), NULL, 10) : 0;
        if (id > 0)
            s_row (result, 0, task);
    }
    else
        s_db_error (error, result, "due tasks");
    PQclear (result);
    return id;
}

//  zlistx destructor for a heap int64_t.
static void
s_free_item (void **item)
{
    free (*item);
    *item = NULL;
}

zlistx_t *
leb_tasks_pending (PGconn *conn, egov_error_t *error)
{
    PGresult *result = egov_db_params (conn,
        "SELECT coalesce (planned_ms, due_ms) FROM task WHERE state <> 'done' AND NOT overdue"
        " ORDER BY 1",
        0, NULL, NULL, NULL, NULL, 0);
    if (!egov_db_check (result, PGRES_TUPLES_OK, "pending tasks")) {
        s_db_error (error, result, "pending tasks");
        PQclear (result);
        return NULL;
    }
    zlistx_t *list = zlistx_new ();
    assert (list);
    zlistx_set_destructor (list, s_free_item);
    for (int row = 0; row < PQntuples (result); row++) {
        int64_t *due = malloc (sizeof (int64_t));
        assert (due);
        *due = strtoll (PQgetvalue (result, row, 0), NULL, 10);
        zlistx_add_end (list, due);
    }
    PQclear (result);
    return list;
}

int
leb_tasks_flag_overdue (PGconn *conn, int64_t now_ms, egov_error_t *error)
{
    char now [24];
    snprintf (now, sizeof (now), "%" PRId64, now_ms);
    const char *values [] = { now };
    PGresult *result = egov_db_params (conn,
        "UPDATE task SET overdue = true"
        " WHERE state <> 'done' AND NOT overdue AND due_ms < $1::bigint"
        " RETURNING id, correlation_id, role, coalesce (assignee, ''), due_ms",
        1, NULL, values, NULL, NULL, 0);
    if (!egov_db_check (result, PGRES_TUPLES_OK, "overdue tasks")) {
        s_db_error (error, result, "overdue tasks");
        PQclear (result);
        return -1;
    }
    int flagged = PQntuples (result);
    for (int row = 0; row < flagged; row++) {
        char due [40];
        egov_clock_format (strtoll (PQgetvalue (result, row, 4), NULL, 10), due, sizeof (due));
        zsys_warning ("leb: task %s of %s (%s%s%s) is overdue: it was due %s",
                      PQgetvalue (result, row, 0), PQgetvalue (result, row, 1),
                      PQgetvalue (result, row, 2), *PQgetvalue (result, row, 3) ? ", " : "",
                      PQgetvalue (result, row, 3), due);
    }
    PQclear (result);
    return flagged;
}

//  ---------------------------------------------------------------------
//  Selftest

//  Runs SQL that must work.
static void
s_exec (PGconn *conn, const char *sql)
{
    assert (egov_db_exec_script (conn, sql, sql));
}

void
leb_tasks_test (bool verbose)
{
    if (verbose)
        printf (" * leb_tasks: ");
    const char *conninfo = getenv ("EGOV_TEST_DB");
    if (!conninfo || !*conninfo) {
        printf (verbose ? "(database part skipped: EGOV_TEST_DB unset) OK\n"
                        : "leb_tasks: database part skipped: EGOV_TEST_DB unset\n");
        return;
    }
    PGconn *conn = egov_db_connect (conninfo, 5000);
    assert (conn);
    s_exec (conn, "DROP SCHEMA IF EXISTS leb_tasks_test CASCADE; CREATE SCHEMA leb_tasks_test;"
                  "SET search_path TO leb_tasks_test");
    //  The participant runtime's tables come first, as in leb_server_start
    assert (egov_db_exec_script (conn, shep_participant_schema_sql, "participant schema"));
    assert (egov_db_exec_script (conn, leb_schema_sql, "leb schema"));
    assert (egov_db_exec_script (conn, leb_schema_sql, "leb schema again"));
    s_exec (conn, "INSERT INTO application (correlation_id, application_id, service, region,"
                  " registration_number, applicant_iin, reply_to, registered, received_ms)"
                  " VALUES ('c1', 'app-1', 'externat-permit', '750000000',"
                  " '750000000-2026-000001', '850314301234', 'regional-750000000', '\\x', 0)");
    egov_error_t error;
    leb_task_t task = { .step = 0, .started_ms = 1000, .due_ms = 5000 };
    s_copy (task.correlation_id, sizeof (task.correlation_id), "c1");
    s_copy (task.role, sizeof (task.role), "clerk");
    s_copy (task.action, sizeof (task.action), "registers the application");
    int64_t first = leb_tasks_open (conn, &task, &error);
    assert (first > 0);
    //  The same step twice is a replay, not a second task
    assert (leb_tasks_open (conn, &task, &error) == 0);
    task.step = 1;
    task.due_ms = 9000;
    s_copy (task.role, sizeof (task.role), "head");
    task.decides = true;
    int64_t second = leb_tasks_open (conn, &task, &error);
    assert (second > first);
    //  A recall may come more than once: each is a task
    task.recall = true;
    task.step = -1;
    task.decides = false;
    s_copy (task.role, sizeof (task.role), "clerk");
    task.due_ms = 20000;
    int64_t recall = leb_tasks_open (conn, &task, &error);
    assert (recall > second && leb_tasks_open (conn, &task, &error) > recall);

    //  Listing: by role, due first, overdue computed at a moment
    json_t *list = leb_tasks_list (conn, "head", 6000, &error);
    assert (list && json_array_size (list) == 1);
    json_t *item = json_array_get (list, 0);
    assert (json_integer_value (json_object_get (item, "id")) == second);
    assert (streq (json_string_value (json_object_get (item, "application")), "app-1"));
    assert (json_integer_value (json_object_get (item, "step")) == 2);
    assert (json_is_null (json_object_get (item, "assignee")));
    assert (json_is_false (json_object_get (item, "overdue")));
    json_decref (list);
    list = leb_tasks_list (conn, NULL, 6000, &error);
    assert (list && json_array_size (list) == 4);
    assert (json_integer_value (json_object_get (json_array_get (list, 0), "id")) == first);
    assert (json_is_true (json_object_get (json_array_get (list, 0), "overdue")));
    json_decref (list);
    list = leb_tasks_list (conn, "executor", 6000, &error);
    assert (list && json_array_size (list) == 0);
    json_decref (list);

    //  Take: once, again by the same person, never by another, never when done
    assert (leb_tasks_take (conn, 999999, "Асқар", NULL, &error) == -1);
    assert (streq (error.code, "TASK_NOT_FOUND"));
    assert (leb_tasks_finish (conn, second, true, "Асқар", 7000, NULL, NULL, &error) == -1);
    assert (streq (error.code, "TASK_NOT_TAKEN"));
    leb_task_t taken;
    assert (leb_tasks_take (conn, second, "Асқар", &taken, &error) == 0);
    assert (streq (taken.state, "taken") && streq (taken.assignee, "Асқар") && taken.decides);
    assert (leb_tasks_take (conn, second, "Асқар", NULL, &error) == 0);
    assert (leb_tasks_take (conn, second, "Бота", NULL, &error) == -1);
    assert (streq (error.code, "TASK_TAKEN"));
    assert (leb_tasks_finish (conn, second, true, NULL, 7000, "refuse",
                              "[\"unreliable-documents: x\"]", &error) == 0);
    assert (leb_tasks_finish (conn, second, true, NULL, 7000, NULL, NULL, &error) == -1);
    assert (streq (error.code, "TASK_DONE"));
    assert (leb_tasks_take (conn, second, "Асқар", NULL, &error) == -1);
    assert (streq (error.code, "TASK_DONE"));
    assert (leb_tasks_get (conn, second, false, &taken, &error) == 0);
    assert (streq (taken.state, "done") && taken.completed_ms == 7000 && !taken.overdue);

    //  Due tasks, earliest first; overdue flagged once
    leb_task_t due;
    assert (leb_tasks_next_due (conn, 4999, &due, &error) == 0);
    assert (leb_tasks_next_due (conn, 5000, &due, &error) == first && due.id == first);
    zlistx_t *pending = leb_tasks_pending (conn, &error);
    assert (pending && zlistx_size (pending) == 3);
    assert (*(int64_t *) zlistx_first (pending) == 5000);
    zlistx_destroy (&pending);
    assert (leb_tasks_flag_overdue (conn, 5001, &error) == 1);
    assert (leb_tasks_flag_overdue (conn, 5002, &error) == 0);
    pending = leb_tasks_pending (conn, &error);
    assert (pending && zlistx_size (pending) == 2);
    zlistx_destroy (&pending);
    //  Completing late keeps the flag; auto completion needs no taker
    assert (leb_tasks_finish (conn, first, false, "clerk", 6000, NULL, NULL, &error) == 0);
    assert (leb_tasks_get (conn, first, false, &taken, &error) == 0);
    assert (taken.overdue && streq (taken.assignee, "clerk"));

    //  A broken store answers DB_UNAVAILABLE
    s_exec (conn, "DROP TABLE task");
    assert (leb_tasks_list (conn, NULL, 0, &error) == NULL);
    assert (streq (error.code, "DB_UNAVAILABLE"));
    assert (leb_tasks_next_due (conn, 0, &due, &error) == -1);
    s_exec (conn, "DROP SCHEMA leb_tasks_test CASCADE");
    PQfinish (conn);
    if (verbose)
        printf ("OK\n");
}
