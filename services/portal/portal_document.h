/*  portal_document — the electronic request the citizen signs on the
    portal (ЭҮП, Process 3): the exact JSON bytes
        {service, region, iin, form, attachments: [{type, name, content_base64}]}
    that the e-signature covers. The portal reads it only after Condition 2
    (the signature) holds, checks every member, and keeps the bytes as they
    are: they travel to the regional gateway (ЭҮӨШ) with the signature.  */
#ifndef PORTAL_DOCUMENT_H_INCLUDED
#define PORTAL_DOCUMENT_H_INCLUDED

#include "egov_util.h"
#include <jansson.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PORTAL_MAX_ATTACHMENTS  20              //  electronic copies in one request
#define PORTAL_MAX_CONTENT      (900 * 1024)    //  decoded bytes of all attachments
#define PORTAL_TYPE_MAX         64              //  document type code, with the zero
#define PORTAL_NAME_MAX         256             //  file name, with the zero

//  One electronic copy of a document (Standard item 9).
typedef struct {
    char type [PORTAL_TYPE_MAX];    //  catalogue document type
    char name [PORTAL_NAME_MAX];    //  file name
    uint8_t *content;               //  decoded bytes (malloc'd)
    size_t size;                    //  bytes in content
    uint8_t sha256 [32];            //  of content
} portal_attachment_t;

//  The signed request, read.
typedef struct {
    char service [PORTAL_TYPE_MAX]; //  catalogue code
    char region [10];               //  KATO, 9 digits
    char iin [13];                  //  the applicant: must be the signer and the citizen
    json_t *form;                   //  the form's values (a reference to an object)
    portal_attachment_t *attachments;   //  electronic copies
    size_t attachment_count;
    json_t *root;                   //  the parsed document (owned)
} portal_document_t;

//  Parses the signed bytes. False with error INVALID_DOCUMENT, the message
//  naming the member (also in field, may be NULL). Reset either way.
bool portal_document_parse (const uint8_t *bytes, size_t size, portal_document_t *document,
                            egov_error_t *error, char *field, size_t field_size);
//  Frees what a parse allocated; safe twice.
void portal_document_reset (portal_document_t *document);

void portal_document_test (bool verbose);

#ifdef __cplusplus
}
#endif
#endif
