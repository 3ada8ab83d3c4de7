/*  egov_page — a document to print, as the channels hand them to people: the
    acceptance and refusal receipts at the desk, the receipt and the result in
    the citizen's cabinet. One plain HTML page: a heading in Kazakh and
    English, a table of labelled values, lists, a closing line; every text
    escaped, no scripts, inline styles only.                              */
#ifndef EGOV_PAGE_H_INCLUDED
#define EGOV_PAGE_H_INCLUDED

#include "egov_util.h"
#include "egov_catalogue.h"
#include <jansson.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct _egov_page_t egov_page_t;

//  A page headed by issuer, with the title in Kazakh and English and the
//  document's number.
egov_page_t *egov_page_new (const char *issuer, const char *title_kk, const char *title_en,
                            const char *number);
//  A row: label and value ("—" when empty).
void egov_page_row (egov_page_t *self, const char *label, const char *value);
//  A row with a simulated moment (ms), printed to the minute in Almaty time.
void egov_page_moment (egov_page_t *self, const char *label, int64_t ms);
//  A row with a numbered list; items end at a NULL. An empty list shows "—".
void egov_page_list (egov_page_t *self, const char *label, const char *const *items, size_t count);
//  A paragraph after the table.
void egov_page_note (egov_page_t *self, const char *text);
//  The page as text (malloc'd), the closing line under it; destroys the page.
char *egov_page_end (egov_page_t **self_p, const char *closing);

//  The provider's result (the document it signed, docs/result.schema.json)
//  as a page to print, for the desk and the cabinet alike: the decision,
//  what was issued or the grounds, when, who signed and how the signature
//  checked on arrival (outcome). entry may be NULL. The page's text.
char *egov_page_result (const egov_catalogue_entry_t *entry, json_t *document, bool approved,
                        int64_t decided_ms, const char *receipt, const char *registration,
                        const char *signer, const char *outcome, const char *number);

void egov_page_test (bool verbose);

#ifdef __cplusplus
}
#endif
#endif
