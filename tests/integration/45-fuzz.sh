#!/usr/bin/env bash
# A bounded libFuzzer run over every protobuf decoder and egov_proto's checks
# (tests/fuzz_decoders.c, built with clang's fuzzer, address and undefined
# sanitizers): EGOV_FUZZ_SECONDS of mutated inputs without a crash, a leak or
# undefined behaviour. `make fuzz` runs the same harness longer by hand.
source "$(dirname "$0")/common.sh"
SECONDS_BOUND=${EGOV_FUZZ_SECONDS:-20}
cd "$EGOV_REPO"
check "the fuzz harness builds (clang, -fsanitize=fuzzer,address,undefined)" \
    make -s build/fuzz/fuzz-decoders
mkdir -p "$EGOV_TEST_DIR/corpus"
fuzz() {
    build/fuzz/fuzz-decoders -max_total_time="$SECONDS_BOUND" -print_final_stats=1 \
        -artifact_prefix="$EGOV_TEST_DIR/" "$EGOV_TEST_DIR/corpus" >"$EGOV_TEST_DIR/fuzz.out" 2>&1
}
check "$SECONDS_BOUND seconds of mutated frames, envelopes and payloads: no crash, leak or UB" fuzz
tail -n 5 "$EGOV_TEST_DIR/fuzz.out" | sed 's/^/#   /'
check_output "... and it ran inputs (not an empty run)" '^stat::number_of_executed_units: *[1-9][0-9]{3,}' \
    grep 'stat::number_of_executed_units' "$EGOV_TEST_DIR/fuzz.out"
egov_test_done
