#!/usr/bin/env bash
# Seed 004's direct routes of the kindergarten queue with real processes: the gateway, the
# registries, the queue register, Kyzylorda's regional gateway and local executive body,
# the State Corporation's desk and the portal. An application from the desk and one from
# the portal go through the regional gateway to the queue register, not to the provider's
# staff, and the register answers each at once with the provider's signed result: the queue
# number and position (or a motivated refusal for a child of 7), counted on the channel's
# own hours within 30 minutes; a place released later reaches the desk and the cabinet as a
# referral; the register killed while an application comes answers it when it is back.
# date-sensitive: ages and the desired date at the simulated today, the desk's hours, certificates (tests/run-all.sh runs it again as of other moments)
source "$(dirname "$0")/common.sh"
KZ=430000000
PKI=$EGOV_TEST_DIR/pki
export EGOV_PKI_DIR=$PKI
ctl() { "$EGOV_BIN/egovctl" "$@"; }
for binary in intake portal regional leb queue; do
    if [[ ! -x $EGOV_BIN/$binary ]]; then
        skip "the queue register's direct routes" "$EGOV_BIN/$binary is not built"
        egov_test_done
        exit
    fi
done
it_setup shep gbdfl enis queue "regional_$KZ" "leb_$KZ" intake portal
DESK=http://127.0.0.1:$(egov_free_port)
PORTAL=http://127.0.0.1:$(egov_free_port)

check "the test CA is made" it_pki_init
check "... with the key of Kyzylorda's provider that its queue register signs with" \
    test -s "$PKI/keys/queue-$KZ.key"
it_start_gateway
it_start_registries
it_start_queue
egov_start regional "$EGOV_BIN/regional" --region "$KZ" --gateway "$EGOV_GATEWAY" \
    --db "$(it_db "regional_$KZ")" --pki "$PKI" --regulations "$EGOV_REPO/regulations"
egov_wait_for it_connected "regional-$KZ"
egov_start leb "$EGOV_BIN/leb" --region "$KZ" --gateway "$EGOV_GATEWAY" \
    --db "$(it_db "leb_$KZ")" --pki "$PKI" --regulations "$EGOV_REPO/regulations"
egov_wait_for it_connected "leb-$KZ"
egov_start intake "$EGOV_BIN/intake" --gateway "$EGOV_GATEWAY" --db "$(it_db intake)" \
    --http "${DESK#http://}" --pki "$PKI" --regulations "$EGOV_REPO/regulations"
egov_wait_for it_connected intake
egov_start portal "$EGOV_BIN/portal" --gateway "$EGOV_GATEWAY" --db "$(it_db portal)" \
    --http "${PORTAL#http://}" --pki "$PKI" --regulations "$EGOV_REPO/regulations"
egov_wait_for it_connected portal

DAY=$(it_open_day "$(it_day "$(it_today)" 1)" state-corp)
check_output "the clock is set to a morning the State Corporation works" "simulated +${DAY}T10:00" \
    ctl clock set "${DAY}T10:00"
DESIRED=$(it_day "$DAY" 60)
# Parents and their children of the registry by the children's age at the simulated today:
# under 6, and from 7 to 12
families() {
    it_psql gbdfl -AtF ' ' -c "SELECT b.child_iin, b.mother_iin FROM birth_certificate b
        JOIN person p ON p.iin = b.child_iin WHERE b.mother_iin IS NOT NULL AND $1
        ORDER BY b.child_iin LIMIT 4"
}
mapfile -t YOUNG < <(families "p.birth_date > date '$DAY' - interval '6 years' AND p.birth_date <= date '$DAY'")
mapfile -t OLD < <(families "p.birth_date <= date '$DAY' - interval '7 years' AND p.birth_date > date '$DAY' - interval '12 years'")
check "the registry has children under 6 and of 7 to 12 with their mothers" test "${#YOUNG[@]}" -ge 3 -a "${#OLD[@]}" -ge 1
read -r CHILD1 PARENT1 <<<"${YOUNG[0]}"
read -r CHILD2 PARENT2 <<<"${YOUNG[1]}"
read -r CHILD3 PARENT3 <<<"${YOUNG[2]}"
read -r OLDER PARENT4 <<<"${OLD[0]}"

# --- The State Corporation's desk (seed 004 item 9 2))
BASE=$DESK
TOKEN=$(body POST /api/v1/operator/login '{"login":"operator1","password":"demo-operator1"}' | jq -r .token)
b64() { printf '%s' "$1" | base64 -w0; }
doc() { printf '{"type":"%s","name":"%s.pdf","content_base64":"%s"}' "$1" "$1" "$(b64 "scan of $1")"; }
package() {    # package PARENT CHILD
    printf '{"service":"kindergarten-queue","region":"%s","applicant_iin":"%s","consent":true,"form":{"child_iin":"%s","desired_date":"%s"},"documents":[%s,%s]}' \
        "$KZ" "$1" "$2" "$DESIRED" "$(doc application)" "$(doc identity-document)"
}
minutes() { echo $(( ($(date -d "$2" +%s) - $(date -d "$1" +%s)) / 60 )); }
body POST /api/v1/applications "$(package "$PARENT1" "$CHILD1")" >"$EGOV_TEST_DIR/desk.json"
ID1=$(jq -r .id "$EGOV_TEST_DIR/desk.json")
check_output "the desk accepts the kindergarten queue for Kyzylorda" '^[0-9a-f-]{36}$' echo "$ID1"
check_output "... due 30 minutes after it is received, on the State Corporation's hours" '^30$' \
    minutes "$(jq -r .acceptance_receipt.received_at "$EGOV_TEST_DIR/desk.json")" "$(jq -r .result_due "$EGOV_TEST_DIR/desk.json")"
check "the register answers at once, with no clock moved: READY" egov_wait_for status_is "$ID1" READY
check_output "... approved, signed by Kyzylorda's provider, checked at the desk" \
    '"approved": true.*"signature": "OK"' oneline show "$ID1"
check_output "... a notice of the place in the queue with its number and position" \
    "\"kind\": \"queue-notice\".*\"number\": 1,.*\"position\": 1,.*\"queue\": \"$KZ-D01\"" \
    bash -c "set -o pipefail; curl -sS -H 'Authorization: Bearer $TOKEN' '$DESK/api/v1/applications/$ID1' | jq -S .result.document | tr -d '\n'"
check_output "... under the register's outgoing number" "\"$KZ-EQ-[0-9]{4}-000001\"" oneline show "$ID1"
check_output "the regional gateway registered it and handed it to the register" \
    "regional-$KZ -> queue +application\.registered.*queue -> regional-$KZ +application\.result" \
    oneline ctl log --correlation "$ID1"
check "... the provider's staff never had it" bash -c "! '$EGOV_BIN/egovctl' log --correlation '$ID1' | grep -q 'leb-$KZ'"
check_output "the child is in the register's district queue" "$KZ-D01 number 1: WAITING, position 1" \
    ctl queue entry "$CHILD1"
decided_in_time() {
    local due decided
    due=$(jq -r .result_due "$EGOV_TEST_DIR/desk.json")
    decided=$(show "$ID1" | jq -r '.result.decided_at // .decided_at // empty')
    [[ -n $decided && $(date -d "$decided" +%s) -le $(date -d "$due" +%s) ]]
}
check "... decided before the term on the receipt" decided_in_time

body POST /api/v1/applications "$(package "$PARENT4" "$OLDER")" >"$EGOV_TEST_DIR/older.json"
ID4=$(jq -r .id "$EGOV_TEST_DIR/older.json")
check "a child of 7 or more: the register refuses at once" egov_wait_for status_is "$ID4" REFUSED
check_output "... a motivated refusal on the register's ground" '"approved": false.*child-too-old' oneline show "$ID4"

# --- The portal (seed 004 item 10 7)-8))
BASE=$PORTAL
TOKEN=
NAME=$(it_psql gbdfl -Atc "SELECT trim (surname || ' ' || name || ' ' || patronymic) FROM person WHERE iin = '$PARENT2'")
LABEL=$(ctl --json pki issue --name "$NAME" --iin "$PARENT2" | jq -r .label)
CHALLENGE=$EGOV_TEST_DIR/challenge.json
body GET /api/v1/citizens/challenge | jq -r .document | base64 -d >"$CHALLENGE"
signature=$(ctl sign --key "$PKI/keys/$LABEL.key" --cert "$PKI/certs/$LABEL.pem" "$CHALLENGE")
check_output "the parent registers on the portal" 'HTTP 201' call POST /api/v1/citizens \
    "{\"iin\":\"$PARENT2\",\"password\":\"correct horse 42\",\"document\":\"$(base64 -w0 <"$CHALLENGE")\",\"signature\":\"$signature\"}"
TOKEN=$(body POST /api/v1/login "{\"iin\":\"$PARENT2\",\"password\":\"correct horse 42\"}" | jq -r .token)
REQUEST=$EGOV_TEST_DIR/request.json
printf '{"service":"kindergarten-queue","region":"%s","iin":"%s","form":{"child_iin":"%s","desired_date":"%s"},"attachments":[]}' \
    "$KZ" "$PARENT2" "$CHILD2" "$DESIRED" >"$REQUEST"
signature=$(ctl sign --key "$PKI/keys/$LABEL.key" --cert "$PKI/certs/$LABEL.pem" "$REQUEST")
body POST /api/v1/applications "{\"document\":\"$(base64 -w0 <"$REQUEST")\",\"signature\":\"$signature\"}" >"$EGOV_TEST_DIR/portal.json"
ID2=$(jq -r .id "$EGOV_TEST_DIR/portal.json")
check_output "the portal accepts the signed request" '^[0-9a-f-]{36}$' echo "$ID2"
check "the register answers it automatically: READY in the cabinet" egov_wait_for status_is "$ID2" READY
check_output "... number 2 of the district queue, signed by the provider" \
    '"number": 2,.*"position": 2,' bash -c "set -o pipefail; curl -sS -H 'Authorization: Bearer $TOKEN' '$PORTAL/api/v1/applications/$ID2' | jq -S .result.document | tr -d '\n'"
check_output "... signed by the provider's authorised person, checked in the cabinet (the provider's BIN, or NOT_THE_PROVIDER)" \
    '"signer": "Әбілова Сәуле Нұрланқызы \(Қызылорда облысының білім басқармасы\)", *"signature_outcome": "OK"' oneline show "$ID2"

# --- A place freed later: the referral reaches the desk and the cabinet
check_output "a released place refers the first child, the desk's" "referral $KZ-D01-R000001 to child $CHILD1" \
    oneline ctl queue release "$KZ-D01"
BASE=$DESK
TOKEN=$(body POST /api/v1/operator/login '{"login":"operator1","password":"demo-operator1"}' | jq -r .token)
referred_at_desk() { show "$ID1" | grep -q "referral $KZ-D01-R000001"; }
check "... and the desk's application shows it in its history" egov_wait_for referred_at_desk
check_output "the next one refers the portal's child" "referral $KZ-D01-R000002 to child $CHILD2" \
    oneline ctl queue release "$KZ-D01"
BASE=$PORTAL
TOKEN=$(body POST /api/v1/login "{\"iin\":\"$PARENT2\",\"password\":\"correct horse 42\"}" | jq -r .token)
referred_in_cabinet() { show "$ID2" | grep -q "referral $KZ-D01-R000002"; }
check "... which reaches the application in the cabinet" egov_wait_for referred_in_cabinet

# --- The register away while an application comes: answered when it is back
egov_kill queue KILL
BASE=$DESK
TOKEN=$(body POST /api/v1/operator/login '{"login":"operator1","password":"demo-operator1"}' | jq -r .token)
body POST /api/v1/applications "$(package "$PARENT3" "$CHILD3")" >"$EGOV_TEST_DIR/third.json"
ID3=$(jq -r .id "$EGOV_TEST_DIR/third.json")
check "with the register killed the application is registered and waits" egov_wait_for status_is "$ID3" REGISTERED
it_start_queue
check "the register back answers it: READY" egov_wait_for status_is "$ID3" READY
check_output "... once: one entry for the child, number 3" "^1 3$" it_psql queue -AtF ' ' -c \
    "SELECT count(*), max(number) FROM entry WHERE child_iin = '$CHILD3'"
check_output "every direct application (three queued, one refused) was answered once" '^4 4$' it_psql queue -AtF ' ' -c \
    "SELECT count(*), count(DISTINCT outgoing_number) FROM direct_application WHERE state = 'ANSWERED'"
egov_test_done
