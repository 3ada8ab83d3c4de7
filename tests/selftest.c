/*  egov-selftest — runs every class's selftest under cmocka.
    Each class keeps its test beside its code (foo_test); this file only lists them.
      egov-selftest [-v] [PATTERN]   PATTERN (cmocka's * and ?) picks tests by name,
                                     e.g. 's_egov_calendar' or 's_leb_*'            */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "egov_util.h"
#include "egov_page.h"
#include "egov_flags.h"
#include "egov_proto.h"
#include "shep_client.h"
#include "shep_participant.h"
#include "egov_clock.h"
#include "egov_application.h"
#include "egov_lifecycle.h"
#include "egov_service.h"
#include "shep_log.h"
#include "shep_rights.h"
#include "shep_keys.h"
#include "shep_store.h"
#include "shep_server.h"
#include "egov_iin.h"
#include "egov_population_ids.h"
#include "egov_pki.h"
#include "egov_cms.h"
#include "egov_calendar.h"
#include "egov_catalogue.h"
#include "gbdfl_population.h"
#include "gbdfl_seed.h"
#include "gbdfl_server.h"
#include "gbdfl_actor.h"
#include "enis_server.h"
#include "queue_rules.h"
#include "queue_store.h"
#include "queue_server.h"
#include "egov_http.h"
#include "egov_worker.h"
#include "egov_db.h"
#include "leb_rules.h"
#include "egov_queue.h"
#include "leb_tasks.h"
#include "leb_http.h"
#include "leb_server.h"
#include "leb_actor.h"
#include "regional_store.h"
#include "regional_server.h"
#include "intake_request.h"
#include "intake_http.h"
#include "intake_desk.h"
#include "portal_reply.h"
#include "portal_document.h"
#include "shep_accounts.h"
#include "portal_http.h"
#include "portal_server.h"

static bool s_verbose = false;

static void s_egov_util (void **state) { (void) state; egov_util_test (s_verbose); }
static void s_egov_page (void **state) { (void) state; egov_page_test (s_verbose); }
static void s_egov_flags (void **state) { (void) state; egov_flags_test (s_verbose); }
static void s_egov_proto (void **state) { (void) state; egov_proto_test (s_verbose); }
static void s_egov_application (void **state) { (void) state; egov_application_test (s_verbose); }
static void s_egov_clock (void **state) { (void) state; egov_clock_test (s_verbose); }
static void s_shep_client (void **state) { (void) state; shep_client_test (s_verbose); }
static void s_shep_keys (void **state) { (void) state; shep_keys_test (s_verbose); }
static void s_egov_service (void **state) { (void) state; egov_service_test (s_verbose); }
static void s_egov_lifecycle (void **state) { (void) state; egov_lifecycle_test (s_verbose); }
static void s_shep_participant (void **state) { (void) state; shep_participant_test (s_verbose); }
static void s_shep_log (void **state) { (void) state; shep_log_test (s_verbose); }
static void s_shep_rights (void **state) { (void) state; shep_rights_test (s_verbose); }
static void s_shep_store (void **state) { (void) state; shep_store_test (s_verbose); }
static void s_shep_server (void **state) { (void) state; shep_server_test (s_verbose); }
static void s_egov_iin (void **state) { (void) state; egov_iin_test (s_verbose); }
static void s_egov_population_ids (void **state) { (void) state; egov_population_ids_test (s_verbose); }
static void s_egov_pki (void **state) { (void) state; egov_pki_test (s_verbose); }
static void s_egov_cms (void **state) { (void) state; egov_cms_test (s_verbose); }
static void s_egov_calendar (void **state) { (void) state; egov_calendar_test (s_verbose); }
static void s_egov_form (void **state) { (void) state; egov_form_test (s_verbose); }
static void s_egov_catalogue (void **state) { (void) state; egov_catalogue_test (s_verbose); }
static void s_gbdfl_population (void **state) { (void) state; gbdfl_population_test (s_verbose); }
static void s_gbdfl_seed (void **state) { (void) state; gbdfl_seed_test (s_verbose); }
static void s_gbdfl_server (void **state) { (void) state; gbdfl_server_test (s_verbose); }
static void s_gbdfl_actor (void **state) { (void) state; gbdfl_actor_test (s_verbose); }
static void s_enis_server (void **state) { (void) state; enis_server_test (s_verbose); }
static void s_queue_rules (void **state) { (void) state; queue_rules_test (s_verbose); }
static void s_queue_store (void **state) { (void) state; queue_store_test (s_verbose); }
static void s_queue_server (void **state) { (void) state; queue_server_test (s_verbose); }
static void s_egov_http (void **state) { (void) state; egov_http_test (s_verbose); }
static void s_egov_worker (void **state) { (void) state; egov_worker_test (s_verbose); }
static void s_egov_db (void **state) { (void) state; egov_db_test (s_verbose); }
static void s_leb_rules (void **state) { (void) state; leb_rules_test (s_verbose); }
static void s_egov_queue (void **state) { (void) state; egov_queue_test (s_verbose); }
static void s_leb_tasks (void **state) { (void) state; leb_tasks_test (s_verbose); }
static void s_leb_http (void **state) { (void) state; leb_http_test (s_verbose); }
static void s_leb_actor (void **state) { (void) state; leb_actor_test (s_verbose); }
static void s_leb_server (void **state) { (void) state; leb_server_test (s_verbose); }
static void s_regional_store (void **state) { (void) state; regional_store_test (s_verbose); }
static void s_regional_server (void **state) { (void) state; regional_server_test (s_verbose); }
static void s_intake_request (void **state) { (void) state; intake_request_test (s_verbose); }
static void s_intake_http (void **state) { (void) state; intake_http_test (s_verbose); }
static void s_intake_desk (void **state) { (void) state; intake_desk_test (s_verbose); }
static void s_portal_reply (void **state) { (void) state; portal_reply_test (s_verbose); }
static void s_portal_document (void **state) { (void) state; portal_document_test (s_verbose); }
static void s_shep_accounts (void **state) { (void) state; shep_accounts_test (s_verbose); }
static void s_portal_http (void **state) { (void) state; portal_http_test (s_verbose); }
static void s_portal_server (void **state) { (void) state; portal_server_test (s_verbose); }

int
main (int argc, char *argv [])
{
    int arg = 1;
    s_verbose = argc > arg && streq (argv [arg], "-v");
    arg += s_verbose;
    if (argc > arg)
        cmocka_set_test_filter (argv [arg]);
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (s_egov_util),
        cmocka_unit_test (s_egov_page),
        cmocka_unit_test (s_egov_flags),
        cmocka_unit_test (s_egov_proto),
        cmocka_unit_test (s_egov_clock),
        cmocka_unit_test (s_egov_application),
        cmocka_unit_test (s_shep_keys),
        cmocka_unit_test (s_shep_client),
        cmocka_unit_test (s_egov_service),
        cmocka_unit_test (s_egov_lifecycle),
        cmocka_unit_test (s_shep_participant),
        cmocka_unit_test (s_shep_log),
        cmocka_unit_test (s_shep_rights),
        cmocka_unit_test (s_shep_store),
        cmocka_unit_test (s_shep_server),
        cmocka_unit_test (s_egov_iin),
        cmocka_unit_test (s_egov_population_ids),
        cmocka_unit_test (s_egov_pki),
        cmocka_unit_test (s_egov_cms),
        cmocka_unit_test (s_egov_calendar),
        cmocka_unit_test (s_egov_form),
        cmocka_unit_test (s_egov_catalogue),
        cmocka_unit_test (s_gbdfl_population),
        cmocka_unit_test (s_gbdfl_seed),
        cmocka_unit_test (s_gbdfl_server),
        cmocka_unit_test (s_gbdfl_actor),
        cmocka_unit_test (s_enis_server),
        cmocka_unit_test (s_queue_rules),
        cmocka_unit_test (s_queue_store),
        cmocka_unit_test (s_queue_server),
        cmocka_unit_test (s_egov_http),
        cmocka_unit_test (s_egov_worker),
        cmocka_unit_test (s_egov_db),
        cmocka_unit_test (s_leb_rules),
        cmocka_unit_test (s_egov_queue),
        cmocka_unit_test (s_leb_tasks),
        cmocka_unit_test (s_leb_http),
        cmocka_unit_test (s_leb_server),
        cmocka_unit_test (s_leb_actor),
        cmocka_unit_test (s_regional_store),
        cmocka_unit_test (s_regional_server),
        cmocka_unit_test (s_intake_request),
        cmocka_unit_test (s_intake_http),
        cmocka_unit_test (s_intake_desk),
        cmocka_unit_test (s_portal_reply),
        cmocka_unit_test (s_portal_document),
        cmocka_unit_test (s_shep_accounts),
        cmocka_unit_test (s_portal_http),
        cmocka_unit_test (s_portal_server),
    };
    return cmocka_run_group_tests_name ("selftests", tests, NULL, NULL);
}
