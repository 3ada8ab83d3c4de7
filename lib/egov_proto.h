/*  egov_proto — the rules protobuf-c leaves to us, for any message, walked
    through its descriptor:
      - every string is valid UTF-8: protobuf-c does not check what proto3
        requires, and PostgreSQL refuses such text, so one bad string in a
        group commit used to fail every message committed with it;
      - no field is numbered 0: protobuf-c takes one whose tag is padded
        (0x80 0x00) as an unknown field and packs it back as 0x00, which no
        decoder takes, so a process that re-encodes what it decoded (the
        gateway relays and stores envelopes) would pass on a message nobody
        can read;
      - no message type contains itself, directly or through others:
        protobuf-c recurses once per level of nesting while decoding, so such
        a type lets a few kilobytes of nesting overflow a decoder's stack.
    Anything decoded from a socket is checked with egov_proto_check before
    it is used; egov_proto_depth is for the selftests, which check every
    type we decode from the wire.                                          */
#ifndef EGOV_PROTO_H_INCLUDED
#define EGOV_PROTO_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <protobuf-c/protobuf-c.h>

#ifdef __cplusplus
extern "C" {
#endif

//  What egov_proto_check found wrong with a decoded message.
typedef enum {
    EGOV_PROTO_VALID = 0,       //  nothing
    EGOV_PROTO_NOT_UTF8,        //  a string is not valid UTF-8
    EGOV_PROTO_TOO_LONG,        //  a string is longer than the bound
    EGOV_PROTO_FIELD_ZERO       //  a message holds a field numbered 0
} egov_proto_fault_t;

//  True when the length bytes at text are valid UTF-8 (RFC 3629: no overlong
//  forms, no surrogates, nothing past U+10FFFF), as PostgreSQL wants it.
bool egov_utf8_valid (const char *text, size_t length);
//  Bytes one element of a repeated field takes in an unpacked message.
size_t egov_proto_element_size (const ProtobufCFieldDescriptor *field);

//  Checks message and everything in it (sub-messages, repeated fields, the
//  set member of each oneof): every string set is UTF-8 and, when
//  max_length > 0, at most max_length bytes; no message holds a field
//  numbered 0. Returns EGOV_PROTO_VALID, or the first fault with the path
//  of its field in path, e.g. "sync_request.envelope.correlation_id" or
//  "hello.services[2]" (for a field numbered 0, the message holding it).
egov_proto_fault_t egov_proto_check (const ProtobufCMessage *message, size_t max_length,
                                     char *path, size_t path_size);

//  Says what a fault means after a field's path, e.g. "is not valid UTF-8".
const char *egov_proto_fault_text (egov_proto_fault_t fault);

//  The descriptor of a message type by its full name (e.g.
//  "egov.applications.Result"): the payloads our services carry, the
//  gateway's frames and everything in them. NULL when unknown.
const ProtobufCMessageDescriptor *egov_proto_find (const char *full_name);

//  Deepest nesting a message of this type can have (1: no sub-messages), or
//  -1 when the type contains itself and so can nest without bound.
int egov_proto_depth (const ProtobufCMessageDescriptor *descriptor);

void egov_proto_test (bool verbose);

#ifdef __cplusplus
}
#endif
#endif
