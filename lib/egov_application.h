/*  egov_application — what a channel (the State Corporation intake, the
    portal) sends and receives about an application: the form as the
    Application message carries it, and a status notice
    (application.status) or the provider's result (application.result),
    decoded and checked the same way for every channel.                  */
#ifndef EGOV_APPLICATION_H_INCLUDED
#define EGOV_APPLICATION_H_INCLUDED

#include "egov_util.h"
#include "applications.pb-c.h"
#include "egov_lifecycle.h"
#include "egov_cms.h"
#include "egov_catalogue.h"
#include <libpq-fe.h>
#include <jansson.h>

#ifdef __cplusplus
extern "C" {
#endif

//  Puts a request form's values (a JSON object, egov_form checked) into the
//  Application as Field pairs, in the object's order: a string as it is,
//  any other value as compact JSON. Free with egov_application_form_reset.
void egov_application_form_set (Egov__Applications__Application *application, json_t *form);
//  Frees the Field pairs form_set made; safe twice.
void egov_application_form_reset (Egov__Applications__Application *application);

//  One decoded delivery: exactly one of notice and result is set.
typedef struct {
    Egov__Applications__StatusNotice *notice;   //  application.status, or NULL
    Egov__Applications__Result *result;         //  application.result, or NULL
    char application_id [40];                   //  the payload's id, else the correlation id
} egov_application_update_t;

//  Decodes a delivery for a channel. False with reject set to the code to
//  acknowledge it with: UNSUPPORTED_SERVICE, MALFORMED_PAYLOAD or
//  UNKNOWN_APPLICATION (no usable application id). Free with _reset.
bool egov_application_update_decode (const Egov__Envelope *envelope,
                                     egov_application_update_t *update, egov_error_t *reject);
//  What the update does to an application now in status (its name): the
//  lifecycle's decision for a notice or a result (egov_lifecycle.h), *next
//  the status it moves to. REFUSE with STATUS_NOT_ALLOWED also for a status
//  name that is not one.
egov_lifecycle_t egov_application_update_decide (const egov_application_update_t *update,
                                                 const char *status, egov_status_t *next,
                                                 egov_error_t *error);
//  Whether the update may touch an application of region (its KATO code):
//  it must come from that region's regional gateway, or from the
//  participant from when not NULL (an office's provider) (the envelope's
//  sender_id, which the gateway stamps), and a result must carry a CMS
//  signature over its document, valid at now on verifier, by a certificate
//  of the region's provider organisation (egov_pki_provider_bin). False
//  with reject: UNEXPECTED_SENDER, RESULT_UNSIGNED, SIGNATURE_INVALID (the
//  cause is the verification's outcome) or NOT_THE_PROVIDER. signer gets
//  who signed a result ("name, organisation (BIN …)"), "" for a notice.
bool egov_application_update_trusted (const egov_application_update_t *update,
                                      const Egov__Envelope *envelope, const char *region,
                                      const char *from,
                                      egov_cms_verifier_t *verifier, int64_t now,
                                      char *signer, size_t size, egov_error_t *reject);
//  The provider's result document (JSON, caller frees; docs/result.schema.json):
//  the result of entry, or the motivated refusal with its grounds, naming the
//  application, its registration, the provider, the outgoing number, the
//  decision time on the simulation clock and the signer. The local executive
//  body and the kindergarten queue register sign it.
char *egov_application_result_document (const egov_catalogue_entry_t *entry,
                                        const Egov__Applications__RegisteredApplication *registered,
                                        bool approved, json_t *grounds, const char *outgoing_number,
                                        int64_t decided_ms, const char *signer);
//  The register (participant id) the catalogue routes application's
//  channel to in region (a channel's "register": seed 004's kindergarten
//  queue from the desk and the portal), or NULL when the provider decides
//  it; NULL too without a catalogue.
const char *egov_application_register (egov_catalogue_t *catalogue, const char *region,
                                       const Egov__Applications__Application *application);
//  The provider's Result for application_id: document signed (CMS with the
//  content attached) at decided_ms with signer, named signer_name, under
//  number; the grounds (strings) when refused. result borrows
//  application_id, document, signer_name, number and the grounds' strings;
//  free what it allocates with egov_application_result_clear. 0, or -1
//  with error (CMS_SIGN).
int egov_application_result_make (Egov__Applications__Result *result, const char *application_id,
                                  bool approved, json_t *grounds, const char *document,
                                  egov_cms_signer_t *signer, const char *signer_name,
                                  int64_t decided_ms, const char *number, egov_error_t *error);
void egov_application_result_clear (Egov__Applications__Result *result);
//  Frees what decode allocated; safe on a zeroed or reset update.
void egov_application_update_reset (egov_application_update_t *update);

//  How a status notice reads in a channel's history.
typedef struct {
    const char *status;             //  the notice's status name
    char step [300];                //  the notice's step, or what the status means
    const char *role;               //  the notice's role; a registration or a refusal
                                    //  that names none is the regional gateway's
    char note [600];                //  the notice's note, then its registration number
    int64_t at;                     //  the notice's moment, or now when it has none
} egov_notice_line_t;
//  Fills line from notice, whose status the lifecycle knows.
void egov_notice_line (const Egov__Applications__StatusNotice *notice, egov_notice_line_t *line);
//  Applies a status notice to the channel's application row id (the
//  columns status, registration_number and refusal_note) on conn, inside
//  the delivery's transaction: the status when the lifecycle moves the
//  application to it (status NULL: it stays), the notice's registration
//  number when the row holds none yet (numbered: it does), the note of a
//  refusal. A notice that changes nothing writes nothing. *registration
//  (may be NULL) gets the number the row took now, else NULL. False when
//  the update failed or there is no connection to make it on.
bool egov_application_apply_notice (PGconn *conn, const char *id, const char *status,
                                    bool numbered, const Egov__Applications__StatusNotice *notice,
                                    const char **registration);

//  Whether an application is late for the term on its receipt: it has
//  result_due_ms (0: no term) and was decided after it (decided_ms, 0 when
//  not yet), or is still undecided (status before READY or REFUSED) at
//  now_ms past it. The desk and the cabinet show it as "overdue".
bool egov_application_overdue (const char *status, int64_t result_due_ms, int64_t decided_ms,
                               int64_t now_ms);

//  Answers the channel's sync service service_id ("intake.application",
//  "portal.application"): an ApplicationQuery read against the channel's
//  application and history tables on conn, a RESPONSE carrying the
//  ApplicationState (an envelope error NOT_FOUND for an id it does not
//  hold), or NULL with refusal: UNSUPPORTED_SERVICE, UNSUPPORTED_PAYLOAD,
//  MALFORMED_PAYLOAD, DB_UNAVAILABLE (conn NULL or the query failed).
Egov__Envelope *egov_application_state_answer (PGconn *conn, const char *service_id,
                                               const Egov__Envelope *request, egov_error_t *refusal);

void egov_application_test (bool verbose);

#ifdef __cplusplus
}
#endif
#endif
