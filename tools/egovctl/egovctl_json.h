/*  egovctl_json — egovctl's --json output: any protobuf message walked
    through its descriptor into a JSON object keyed by the proto field
    names (enums by name, bytes as hex, absent sub-messages left out).  */
#ifndef EGOVCTL_JSON_H_INCLUDED
#define EGOVCTL_JSON_H_INCLUDED

#include <jansson.h>
#include <protobuf-c/protobuf-c.h>
#include <czmq.h>

//  A JSON string; wire text that is not UTF-8 keeps its ASCII, the rest
//  becomes '?', so a bad byte from a provider never loses the document.
json_t *egovctl_json_text (const char *text);
//  A message as a JSON object keyed by the proto field names.
json_t *egovctl_json_message (const ProtobufCMessage *message);
//  Packs object, keyed by the proto field names as egovctl_json_message
//  writes them (enums by name or number, bytes as hex), as a message of
//  descriptor's type in protobuf's wire format, appended to out. 0, or -1
//  with what is wrong in problem (the field's path first).
int egovctl_json_pack (const ProtobufCMessageDescriptor *descriptor, json_t *object,
                       zchunk_t *out, char *problem, size_t size);
//  Prints document on stdout and frees it; returns exit_code, or
//  EGOVCTL_LOCAL_ERROR when stdout cannot take it.
int egovctl_json_print (json_t *document, int exit_code);
//  Lower-case hex of bytes; caller frees.
char *egovctl_hex (const uint8_t *bytes, size_t size);

#endif
