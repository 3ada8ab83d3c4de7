#!/usr/bin/env bash
# The command line every service shares (lib/egov_flags): --help prints the usage
# generated from the service's table and exits 0; an unknown flag, a flag without
# its value or a malformed variable prints one line naming it, then the usage, and
# exits 64 (EX_USAGE), the same code for all seven.
source "$(dirname "$0")/common.sh"

# first_line CMD...: the first line the command prints (stdout and stderr).
first_line() { "$@" 2>&1 | head -n 1; }

for service in shep gbdfl enis regional leb intake portal; do
    bin=$EGOV_BIN/$service
    check_exit "$service --help exits 0" 0 "$bin" --help
    check_output "... with the usage in the shared shape" \
        "^usage: $service .* -v, --verbose .* -h, --help .*Exit status: .*64 a bad flag or variable" \
        oneline "$bin" --help
    check_exit "$service --bogus exits 64" 64 "$bin" --bogus
    check_output "... and says so on its first line" "^$service: unknown option '--bogus'\$" \
        first_line "$bin" --bogus
    check_output "... followed by the usage" "^$service: .* usage: $service " oneline "$bin" --bogus
    check_exit "$service --db without its value exits 64" 64 "$bin" --db
    check_output "... naming it" "^$service: --db needs a value\$" first_line "$bin" --db
done
check_exit "a malformed variable exits 64" 64 env EGOV_GBDFL_POPULATION=many "$EGOV_BIN/gbdfl"
check_output "... naming the variable" \
    "^gbdfl: EGOV_GBDFL_POPULATION wants a number from 0 to [0-9]+, not 'many'\$" \
    first_line env EGOV_GBDFL_POPULATION=many "$EGOV_BIN/gbdfl"
check_exit "a malformed number exits 64" 64 "$EGOV_BIN/shep" --window 0
check_exit "a required option left out exits 64" 64 env -u EGOV_REGION "$EGOV_BIN/regional"
check_output "... naming it and its variable" '^regional: --region \(or EGOV_REGION\) is required' \
    first_line env -u EGOV_REGION "$EGOV_BIN/regional"
egov_test_done
