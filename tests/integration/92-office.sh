#!/usr/bin/env bash
# The provider's own office (the desk run as `intake --office KATO`) with real processes:
# the gateway, the registries, Atyrau's local executive body and its office. An
# office-only service (externat in Atyrau, which nothing else can submit) taken from an
# applicant who came in person: the office's services and hours, Condition 1 and the form
# as at the State Corporation, the receipt and registration in the provider's register,
# straight to the provider (no regional gateway), the provider's steps, its signed result
# back at the office, the hand-over; what the office refuses (another region's service, a
# service not offered at the office, the desk closed in the lunch break and at night) and
# what the gateway refuses an office (another region's provider).
# date-sensitive: the office's hours and the calendar, certificates at the simulated date (tests/run-all.sh runs it again as of other moments)
source "$(dirname "$0")/common.sh"
REGION=230000000
PKI=$EGOV_TEST_DIR/pki
export EGOV_PKI_DIR=$PKI
ctl() { "$EGOV_BIN/egovctl" "$@"; }
for binary in intake leb; do
    if [[ ! -x $EGOV_BIN/$binary ]]; then
        skip "the provider's office" "$EGOV_BIN/$binary is not built"
        egov_test_done
        exit
    fi
done

it_setup shep gbdfl enis "office_$REGION" "leb_$REGION"
HTTP_PORT=$(egov_free_port)
BASE=http://127.0.0.1:$HTTP_PORT

start_office() {
    egov_start office "$EGOV_BIN/intake" --office "$REGION" --gateway "$EGOV_GATEWAY" \
        --db "$(it_db "office_$REGION")" --http "127.0.0.1:$HTTP_PORT" --pki "$PKI" \
        --regulations "$EGOV_REPO/regulations"
    egov_wait_for it_connected "office-$REGION"
    egov_wait_for curl -sf "$BASE/api/v1/openapi.json" -o /dev/null
}
# api, call, body, show, status_is: common.sh
b64() { printf '%s' "$1" | base64 -w0; }
doc() { printf '{"type":"%s","name":"%s.pdf","content_base64":"%s"}' "$1" "$1" "$(b64 "scan of $1")"; }
PARENT=850314301234
CHILD=150913500422
FORM='{"child_iin":"'$CHILD'","grade":7,"school":"School No 12, Atyrau","reason":"sports"}'
# package SERVICE REGION [FORM]: a complete externat package as the clerk enters it.
package() {
    printf '{"service":"%s","region":"%s","applicant_iin":"%s","consent":true,"form":%s,"documents":[%s,%s,%s]}' \
        "$1" "$2" "$PARENT" "${3:-$FORM}" "$(doc application)" "$(doc identity-document)" "$(doc reason-document)"
}

check "the test CA is made, with the office's clerk" it_pki_init
check "... whose certificate is clerk-$REGION's" test -s "$PKI/certs/clerk-$REGION.pem"
it_start_gateway
it_start_registries
DAY=$(it_open_day "$(it_day "$(it_today)" 1)" office)
check_output "the clock is set to a working morning" "simulated +${DAY}T10:00" ctl clock set "${DAY}T10:00"
egov_start leb "$EGOV_BIN/leb" --region "$REGION" --gateway "$EGOV_GATEWAY" \
    --db "$(it_db "leb_$REGION")" --pki "$PKI" --regulations "$EGOV_REPO/regulations"
egov_wait_for it_connected "leb-$REGION"
start_office
check_output "the office is a participant of its own" "office-$REGION" ctl participants

# --- The office's desk
check_output "the clerk logs in (clerk1, the office's demo login)" '"token".*"name": "Құрманов Ерболат Серікұлы".*HTTP 200' \
    call POST /api/v1/operator/login '{"login":"clerk1","password":"demo-clerk1"}'
check_output "the State Corporation's operators are nobody here" '"code": "AUTH_FAILED".*HTTP 401' \
    call POST /api/v1/operator/login '{"login":"operator1","password":"demo-operator1"}'
TOKEN=$(body POST /api/v1/operator/login '{"login":"clerk1","password":"demo-clerk1"}' | jq -r .token)
check_output "the desk says it is the office of region $REGION, on the office's hours" \
    '"desk": \{ *"participant": "office-230000000", *"channel": "office", *"region": "230000000", *"hours": "Mon-Fri 09:00-13:00, 14:00-18:00"' \
    call GET /api/v1/services
check_output "... and lists only its region's services offered at the office, the office-only externat among them" \
    '^230000000 externat-permit office,230000000 kindergarten-queue office,230000000 preschool-admission office,230000000 school-admission office,230000000 school-duplicate office$' \
    bash -c "set -o pipefail; curl -sS -H 'Authorization: Bearer $TOKEN' '$BASE/api/v1/services' | jq -r '[.services[] | \"\(.region) \(.code) \(.route)\"] | join(\",\")'"
check_output "another region's service is not served here: 422 UNKNOWN_SERVICE" \
    '"code": "UNKNOWN_SERVICE".*office of the provider of region 230000000.*HTTP 422' \
    call POST /api/v1/applications "$(package externat-permit 750000000)"
check_output "a wrong form is refused as at the State Corporation: 422 INVALID_FORM" \
    '"code": "INVALID_FORM".*"field": "form.reason".*HTTP 422' \
    call POST /api/v1/applications "$(package externat-permit $REGION '{"child_iin":"'$CHILD'","grade":7,"school":"x","reason":"boredom"}')"
check_output "Condition 1 as at the State Corporation: an IIN nobody has, DATA_NOT_AVAILABLE" \
    '"code": "DATA_NOT_AVAILABLE".*"registry": "gbdfl".*"reason": "NOT_FOUND".*"correlation_id"' \
    call POST /api/v1/applications "$(package externat-permit $REGION | sed 's/"applicant_iin":"850314301234"/"applicant_iin":"010101599994"/')"

# --- Taken in person, registered in the provider's register, straight to the provider
body POST /api/v1/applications "$(package externat-permit $REGION)" >"$EGOV_TEST_DIR/accepted.json"
ID=$(jq -r .id "$EGOV_TEST_DIR/accepted.json")
RECEIPT=$(jq -r .acceptance_receipt.number "$EGOV_TEST_DIR/accepted.json")
check_output "the externat of Atyrau is accepted at the office, with the office's receipt number" \
    "^230000000-OF-[0-9]{4}-000001 office$" jq -r '"\(.acceptance_receipt.number) \(.route)"' "$EGOV_TEST_DIR/accepted.json"
check_output "... received at once, in the office's hours, due in 15 working days" "^${DAY}T10:0[0-9].* [0-9]{4}-[0-9]{2}-[0-9]{2}T18:00" \
    jq -r '"\(.acceptance_receipt.received_at) \(.result_due)"' "$EGOV_TEST_DIR/accepted.json"
check "the gateway stored it for the provider: REGISTERED under the receipt's number" \
    egov_wait_for status_is "$ID" 'REGISTERED|IN_PROGRESS'
check_output "... the registration is the office's register" "\"registration_number\": \"$RECEIPT\"" oneline show "$ID"
check_output "the message went to leb-$REGION, no regional gateway on the way" \
    "office-$REGION -> leb-$REGION +application\.registered" oneline ctl log --correlation "$ID"
check "... none at all" bash -c "! '$EGOV_BIN/egovctl' log --correlation '$ID' | grep -q regional-"
check_output "the provider took it from its office: its notices and result go back there" \
    "^office-$REGION$" it_psql "leb_$REGION" -Atc "SELECT reply_to FROM application WHERE correlation_id = '$ID'"
curl -sS -H "Authorization: Bearer $TOKEN" "$BASE/api/v1/applications/$ID/receipt" >"$EGOV_TEST_DIR/receipt.html"
check_output "the acceptance receipt is the provider's (the catalogue's provider of Atyrau's externat)" \
    "<p>ауданның .*жергілікті атқарушы органдары / district .*Receipt of acceptance of documents № $RECEIPT.*Received by: Құрманов Ерболат" \
    oneline cat "$EGOV_TEST_DIR/receipt.html"
check "... not the State Corporation's" bash -c "! grep -q 'State Corporation' '$EGOV_TEST_DIR/receipt.html'"

# --- The provider's steps, its signed result back at the office, the hand-over
check "the provider's steps pass on the simulation clock: READY at the office" advance_until "$ID" READY
check_output "... the result is signed by the region's provider, checked at the office" \
    '"approved": true.*"signature": "OK"' oneline show "$ID"
check_output "... and its history shows the provider's steps as they were reported to the office" \
    '"role": "clerk".*"role": "head".*"role": "executor"' oneline show "$ID"
ID_CARD=$(ctl --json person "$PARENT" | jq -r '[.person.documents[] | select(.type != "BIRTH_CERTIFICATE")][0].number')
check_output "the result is handed over at the office on the receipt and the ID card: ISSUED" \
    '"status": "ISSUED".*HTTP 200' \
    call POST "/api/v1/applications/$ID/handover" "{\"receipt_number\":\"$RECEIPT\",\"identity_document\":\"$ID_CARD\"}"

# --- The desk's page, as the office's clerk uses it, in headless Chromium
if [[ -x ${EGOV_CHROMIUM:-/usr/bin/chromium} ]] && command -v node >/dev/null; then
    DAY=$(it_open_day "$(it_day "$(it_today)" 1)" office)
    ctl clock set "${DAY}T10:00" >/dev/null
    check_output "the office's page in headless Chromium: the form, refusals, the receipts, the journey, the result, the hand-over" \
        '^ok - the applicant.s ID card and receipt: the result is handed over' \
        node "$EGOV_REPO/tests/frontend/desk-test.mjs" --base "$BASE" --applicant "$PARENT" --id-card "$ID_CARD" \
            --login clerk1 --password demo-clerk1 --service "externat-permit@$REGION" \
            --form-service "externat-permit@$REGION" --documents application,identity-document,reason-document \
            --form "$FORM" --advance "$EGOV_BIN/egovctl clock advance 1d" --title 'office of .* \(230000000\)' \
            --chromium "${EGOV_CHROMIUM:-/usr/bin/chromium}" --profile "$EGOV_TEST_DIR/chromium-office"
    sed "s/^/#   /" "$EGOV_TEST_DIR/check.out"
    compgen -G "$EGOV_TEST_DIR/chromium-office/*.png" >/dev/null && egov_keep "$EGOV_TEST_DIR"/chromium-office/*.png
else
    skip "the office's page in headless Chromium" "chromium or node is not installed"
fi

# --- Closed: the lunch break and the night, on the simulated clock
NEXT=$(it_open_day "$(it_day "$(it_today)" 1)" office)
STORED=$(it_psql "office_$REGION" -Atc "SELECT count (*) FROM application")
ctl clock set "${NEXT}T13:30" >/dev/null
check_output "in the office's lunch break the desk is closed: 422 DESK_CLOSED, opening at 14:00" \
    "\"code\": \"DESK_CLOSED\".*\"opens_at\": \"${NEXT}T14:00:00.000\+05:00\".*HTTP 422" \
    call POST /api/v1/applications "$(package externat-permit $REGION)"
ctl clock set "${NEXT}T19:00" >/dev/null
check_output "... and after 18:00" '"code": "DESK_CLOSED".*"opens_at"' \
    call POST /api/v1/applications "$(package externat-permit $REGION)"
check_output "... nothing was stored for either" "^$STORED$" it_psql "office_$REGION" -Atc "SELECT count (*) FROM application"

# --- What the gateway allows an office: its own region's provider only
check_output "an office cannot send to another region's provider: ACCESS_DENIED" 'ACCESS_DENIED' \
    ctl --as "office-$REGION" send --to leb-750000000 --service application.registered --type REQUEST \
        --correlation "$ID" --text x
check "the office stops cleanly on SIGTERM" egov_stop office
check_output "every answer of the office in this test is documented by the desk's OpenAPI document and matches the schema" \
    '^all [0-9]+ answers match$' it_answers_match "$EGOV_REPO/services/intake/openapi.json"
egov_test_done
