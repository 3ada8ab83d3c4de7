#!/usr/bin/env bash
# egovctl scenario run against the whole system as `make run` starts it: every scenario
# shipped in scenarios/ (both diagrams end to end and each refusal of their conditions)
# passes and its JUnit XML is what CI tools read; a failing step is reported with what
# was expected and what came, the rest of its scenario skipped, exit 8; files that are
# not scenarios, typos in a step and YAML alias bombs are refused, not half run.
source "$(dirname "$0")/common.sh"
PYTHON=/usr/bin/python3

it_run_env
ctl() { "$EGOV_BIN/egovctl" "$@"; }
JUNIT=$EGOV_TEST_DIR/junit.xml

it_run_start
check "the system runs" it_connected portal

# The shipped scenarios
ctl scenario run "$EGOV_REPO"/scenarios/*.yaml --junit "$JUNIT" >"$EGOV_TEST_DIR/shipped.out" 2>&1
check_output "every shipped scenario passes (exit 0)" '^exit 0$' echo "exit $?"
scenarios=$(ls "$EGOV_REPO"/scenarios/*.yaml | wc -l)
check_output "... all $scenarios of them, each step passed" "^# $scenarios scenarios, ([0-9]+) steps: \\1 passed, 0 failed, 0 skipped\$" \
    tail -n 1 "$EGOV_TEST_DIR/shipped.out"
check_output "... both diagrams and every condition's refusals among them" \
    'diagram1-condition1.*diagram1-condition2.*diagram1-externat.*diagram2-condition1.*diagram2-condition2.*diagram2-condition3.*diagram2-externat' \
    oneline grep '^# .*yaml' "$EGOV_TEST_DIR/shipped.out"
# junit_summary FILE: suites, test cases, failures and skipped as an XML parser reads them
junit_summary() {
    "$PYTHON" - "$1" <<'EOF'
import sys, xml.etree.ElementTree as tree
root = tree.parse(sys.argv[1]).getroot()
cases = root.findall("./testsuite/testcase")
print(root.tag, len(root.findall("testsuite")), len(cases),
      len([c for c in cases if c.find("failure") is not None]),
      len([c for c in cases if c.find("skipped") is not None]), root.get("failures"))
EOF
}
steps=$(sed -n 's/^# [0-9]* scenarios, \([0-9]*\) steps.*/\1/p' "$EGOV_TEST_DIR/shipped.out")
check_output "the JUnit XML parses: a suite per scenario, a test case per step, no failures" \
    "^testsuites $scenarios $steps 0 0 0\$" junit_summary "$JUNIT"

# A scenario that fails: the step says what it expected and got; the rest is skipped
cat >"$EGOV_TEST_DIR/failing.yaml" <<'EOF'
name: a scenario that fails on purpose
steps:
  - name: the portal answers its services
    http: {to: portal, path: /api/v1/services}
    expect: {status: 200}
    save: {first: services.0.code}
  - name: "a wrong expectation: ${first} is not a service of the desk's"
    http: {to: portal, path: /api/v1/services}
    expect: {json: {services.0.code: no-such-service}}
  - name: never run
    egovctl: [participants]
EOF
ctl scenario run "$EGOV_TEST_DIR/failing.yaml" --junit "$EGOV_TEST_DIR/failing.xml" >"$EGOV_TEST_DIR/failing.out" 2>&1
check_output "a failing step: exit 8" '^exit 8$' echo "exit $?"
check_output "... it names the field, what was expected and what came" \
    '^not ok 2 - a wrong expectation: [a-z-]+ is not .*services\.0\.code: expected no-such-service, got [a-z-]+$' \
    cat "$EGOV_TEST_DIR/failing.out"
check_output "... the steps after it are skipped, not run" '^skipped 3 - never run' cat "$EGOV_TEST_DIR/failing.out"
check_output "... and the JUnit XML has the failure and the skipped step" '^testsuites 1 3 1 1 1$' \
    junit_summary "$EGOV_TEST_DIR/failing.xml"

# The same in JSON, with a variable from one step in the next and an egovctl step
cat >"$EGOV_TEST_DIR/json.json" <<'EOF'
{"name": "JSON works too",
 "steps": [
   {"egovctl": ["--json", "person", "850314301234"], "save": {"surname": "json.person.surname"}},
   {"egovctl": ["person", "850314301234"], "expect": {"output": "^Name +${surname} "}},
   {"egovctl": ["person", "010101599994"], "expect": {"exit": 3}}
 ]}
EOF
check_output "a JSON scenario, variables across steps, exit codes as expectations" \
    '# 1 scenarios, 3 steps: 3 passed' ctl scenario run "$EGOV_TEST_DIR/json.json"

# Deny by default: what is not a scenario is not half run
printf 'name: typo\nsteps:\n  - egovctl: [participants]\n    expect: {stauts: 0}\n' >"$EGOV_TEST_DIR/typo.yaml"
check_output "an expectation that does not apply is an error, not a check that never runs" \
    "not ok 1 - egovctl participants: expect: 'stauts' does not apply here" ctl scenario run "$EGOV_TEST_DIR/typo.yaml"
printf 'name: two kinds\nsteps:\n  - egovctl: [participants]\n    http: {path: /}\n' >"$EGOV_TEST_DIR/two.yaml"
check_output "a step that does two things is refused" 'does exactly one of http, sign, clock, egovctl' \
    ctl scenario run "$EGOV_TEST_DIR/two.yaml"
printf 'name: unsaved\nsteps:\n  - egovctl: [wait, "${nobody}", --status, READY]\n' >"$EGOV_TEST_DIR/unsaved.yaml"
check_output "a variable no step saved is refused before anything runs" '\$\{nobody\} was never saved' \
    ctl scenario run "$EGOV_TEST_DIR/unsaved.yaml"
printf 'name: [not, a, name\n' >"$EGOV_TEST_DIR/broken.yaml"
check_output "a file that is not YAML: the scenario fails to load, with the line" \
    'not ok - the scenario file loads: .*broken.yaml line [0-9]+' ctl scenario run "$EGOV_TEST_DIR/broken.yaml"
{
    echo 'a: &a ["x", "x", "x", "x", "x", "x", "x", "x", "x", "x"]'
    previous=a
    for level in b c d e f g h i; do
        echo "$level: &$level [$(for _ in 1 2 3 4 5 6 7 8 9 10; do printf '*%s, ' "$previous"; done)*$previous]"
        previous=$level
    done
    echo 'name: bomb'
    echo 'steps: [*i]'
} >"$EGOV_TEST_DIR/bomb.yaml"
check_output "a YAML alias bomb (10^9 values) is refused, not expanded" \
    'not ok - the scenario file loads: nested deeper than [0-9]+ or more than [0-9]+ values' \
    timeout 20 "$EGOV_BIN/egovctl" scenario run "$EGOV_TEST_DIR/bomb.yaml"
check_exit "scenario without run is a usage error" 64 ctl scenario "$EGOV_TEST_DIR/json.json"
check_exit "scenario run without a file is a usage error" 64 ctl scenario run

check "--stop stops the system" "$EGOV_REPO/deploy/run.sh" --stop
egov_wait_for bash -c "! kill -0 $(egov_pid run) 2>/dev/null"
egov_test_done
