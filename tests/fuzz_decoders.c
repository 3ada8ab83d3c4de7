/*  fuzz-decoders — a libFuzzer harness over what every process does with
    bytes from a socket or a payload: decode them as each type we take
    from the wire, check their text with egov_proto, pack what decoded and
    decode that again. Built and run, bounded, by `make fuzz` (clang).
    protobuf-c is the system's uninstrumented library, so the fuzzer sees
    coverage in our code only; the sanitizers still see every crash.      */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "egov_proto.h"
#include "shep.pb-c.h"
#include "registries.pb-c.h"
#include "applications.pb-c.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

//  Every type a process decodes from the network: the frame, the envelope
//  the gateway stores, the payloads the services take.
static const ProtobufCMessageDescriptor *s_wire [] = {
    &egov__shep__frame__descriptor, &egov__envelope__descriptor,
    &egov__registries__person_request__descriptor, &egov__registries__person_response__descriptor,
    &egov__registries__poa_request__descriptor, &egov__registries__poa_response__descriptor,
    &egov__applications__application__descriptor, &egov__applications__registered_application__descriptor,
    &egov__applications__status_notice__descriptor, &egov__applications__result__descriptor,
    &egov__applications__result_movement__descriptor
};

//  Decodes data as each wire type. What passes egov_proto_check must
//  survive being relayed, as the gateway relays and stores envelopes:
//  packed again it decodes, passes again and packs to the same bytes.
int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    for (size_t index = 0; index < sizeof (s_wire) / sizeof (s_wire [0]); index++) {
        ProtobufCMessage *message = protobuf_c_message_unpack (s_wire [index], NULL, size, data);
        if (!message)
            continue;
        char path [96];
        egov_proto_check (message, 64, path, sizeof (path));       //  the bound too
        if (egov_proto_check (message, 0, path, sizeof (path)) == EGOV_PROTO_VALID) {
            size_t packed_size = protobuf_c_message_get_packed_size (message);
            uint8_t *packed = malloc (packed_size ? packed_size : 1);
            assert (packed);
            assert (protobuf_c_message_pack (message, packed) == packed_size);
            ProtobufCMessage *again = protobuf_c_message_unpack (s_wire [index], NULL, packed_size, packed);
            assert (again);
            assert (egov_proto_check (again, 0, path, sizeof (path)) == EGOV_PROTO_VALID);
            assert (protobuf_c_message_get_packed_size (again) == packed_size);
            uint8_t *repacked = malloc (packed_size ? packed_size : 1);
            assert (repacked);
            protobuf_c_message_pack (again, repacked);
            assert (memcmp (packed, repacked, packed_size) == 0);
            free (repacked);
            protobuf_c_message_free_unpacked (again, NULL);
            free (packed);
        }
        protobuf_c_message_free_unpacked (message, NULL);
    }
    return 0;
}
