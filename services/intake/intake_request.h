/*  intake_request — what an operator terminal sends to the State
    Corporation's desk (МК АЖ, "Азаматтарға арналған үкімет" мемлекеттік
    корпорациясы), checked field by field before anything else runs. The
    answers' shape and the member readers are egov_http's.               */
#ifndef INTAKE_REQUEST_H_INCLUDED
#define INTAKE_REQUEST_H_INCLUDED

#include "egov_http.h"

#ifdef __cplusplus
extern "C" {
#endif

#define INTAKE_MAX_DOCUMENTS    20              //  attachments in one package
#define INTAKE_MAX_CONTENT      (480 * 1024)    //  decoded bytes of all attachments together
#define INTAKE_TYPE_MAX         64              //  document type code, with the zero
#define INTAKE_NAME_MAX         256             //  file name, with the zero
#define INTAKE_POA_MAX          65              //  power-of-attorney number, with the zero
#define INTAKE_TEXT_MAX         129             //  login, password, receipt, document number

//  One scanned document of the package.
typedef struct {
    char type [INTAKE_TYPE_MAX];    //  catalogue document type, e.g. identity-document
    char name [INTAKE_NAME_MAX];    //  file name
    uint8_t *content;               //  decoded bytes (malloc'd; may be empty)
    size_t size;                    //  bytes in content
    uint8_t sha256 [32];            //  of content
} intake_document_t;

//  POST /api/v1/applications, validated.
typedef struct {
    char service [INTAKE_TYPE_MAX]; //  catalogue code
    char region [10];               //  KATO, 9 digits
    char applicant_iin [13];        //  12 digits (the check digit is checked later)
    bool represented;               //  a representative acts by power of attorney
    char representative_iin [13];   //  when represented
    char poa_number [INTAKE_POA_MAX];   //  when represented
    intake_document_t *documents;   //  the package
    size_t document_count;
    bool consent;                   //  consent to use protected data in state systems
    json_t *form;                   //  the service's form as filled in (an object,
                                    //  {} when absent), held; checked by egov_form
} intake_application_t;

//  Parses the body of POST /api/v1/applications. False with error code
//  INVALID_REQUEST, the message naming the field (also in *field, may be
//  NULL). Reset the request afterwards either way.
bool intake_application_parse (json_t *body, intake_application_t *request,
                               egov_error_t *error, char *field, size_t field_size);
//  Frees what a parse allocated; safe twice.
void intake_application_reset (intake_application_t *request);
//  True when the package holds a document of this type.
bool intake_application_has (const intake_application_t *request, const char *type);

void intake_request_test (bool verbose);

#ifdef __cplusplus
}
#endif
#endif
