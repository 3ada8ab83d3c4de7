#!/usr/bin/env bash
# Diagram 1 end to end with real processes: the State Corporation desk (intake), the
# central gateway, the registries, the regional gateway (ЭҮӨШ) and the local executive
# body of Almaty. The externat permit with and without a representative, its form checked
# as the portal checks it (each wrong field's code, the child linked by a birth
# certificate) and carried to the provider; every refusal path (unknown IIN, each bad
# power of attorney, missing consent, incomplete package, a refusal by the provider for an
# unreliable attachment); the hand-over with a wrong and
# the right receipt; a result unclaimed for a month returned and recalled; a paper route;
# the provider killed mid-flow; the message log of one application in order; PostgreSQL
# restarted under the running system with applications on their way.
# date-sensitive: the externat window, the calendar, certificates (tests/run-all.sh runs it again as of other moments)
source "$(dirname "$0")/common.sh"
REGION=750000000
PKI=$EGOV_TEST_DIR/pki
export EGOV_PKI_DIR=$PKI
ctl() { "$EGOV_BIN/egovctl" "$@"; }
for binary in intake regional leb; do
    if [[ ! -x $EGOV_BIN/$binary ]]; then
        skip "Diagram 1 end to end" "$EGOV_BIN/$binary is not built"
        egov_test_done
        exit
    fi
done

it_setup shep gbdfl enis intake "regional_$REGION" "leb_$REGION"
HTTP_PORT=$(egov_free_port)
BASE=http://127.0.0.1:$HTTP_PORT

start_intake() {
    egov_start intake "$EGOV_BIN/intake" --gateway "$EGOV_GATEWAY" --db "$(it_db intake)" \
        --http "127.0.0.1:$HTTP_PORT" --pki "$PKI" --regulations "$EGOV_REPO/regulations" \
        --lock-after 3 --lock-for 3s
    egov_wait_for it_connected intake
}
start_regional() {
    egov_start regional "$EGOV_BIN/regional" --region "$REGION" --gateway "$EGOV_GATEWAY" \
        --db "$(it_db "regional_$REGION")" --pki "$PKI"
    egov_wait_for it_connected "regional-$REGION"
}
start_leb() {
    egov_start leb "$EGOV_BIN/leb" --region "$REGION" --gateway "$EGOV_GATEWAY" \
        --db "$(it_db "leb_$REGION")" --pki "$PKI" --regulations "$EGOV_REPO/regulations"
    egov_wait_for it_connected "leb-$REGION"
}

# api, call, body, with_token, show, status_of, status_is: common.sh
b64() { printf '%s' "$1" | base64 -w0; }
# doc TYPE [BASE64]: an attachment, by default a non-empty scan.
doc() { printf '{"type":"%s","name":"%s.pdf","content_base64":"%s"}' "$1" "$1" "${2-$(b64 "scan of $1")}"; }
rep() { printf '{"iin":"%s","poa_number":"%s"}' "$1" "$2"; }
# The externat permit's form (the catalogue's request_form): the applicant's son
CHILD=150913500422
EXTERNAT_FORM='{"child_iin":"'$CHILD'","grade":5,"school":"School No 12","reason":"health"}'
# form_of SERVICE: the form a package of the service carries, unless FORM says another.
form_of() {
    if [[ -n ${FORM:-} ]]; then echo "$FORM"
    elif [[ $1 == externat-permit ]]; then echo "$EXTERNAT_FORM"
    else echo '{}'; fi
}
# package SERVICE APPLICANT REPRESENTATIVE CONSENT DOC...: a POST /api/v1/applications body.
package() {
    local service=$1 applicant=$2 representative=$3 consent=$4
    shift 4
    local documents
    documents=$(IFS=,; echo "$*")
    printf '{"service":"%s","region":"%s","applicant_iin":"%s","representative":%s,"documents":[%s],"consent":%s,"form":%s}' \
        "$service" "$REGION" "$applicant" "$representative" "$documents" "$consent" "$(form_of "$service")"
}
EXTERNAT=("$(doc application)" "$(doc identity-document)" "$(doc reason-document)")
POA_DOC=$(doc power-of-attorney)
PARENT=850314301234
AGENT=781130306545
# open_morning: the State Corporation's desk is open now, or the clock moves on to 10:00
# of its next working day.
open_morning() {
    local now
    now=$(it_now)
    ctl deadline --service school-duplicate --region "$REGION" --channel state-corp --at "${now:0:19}" |
        grep -q "^received .*${now:0:16}" && return
    ctl clock set "$(it_open_day "$(it_day "$(it_today)" 1)" state-corp)T10:00" >/dev/null
}
# id_card IIN: the number of the person's ID card in the registry of individuals.
id_card() { ctl --json person "$1" | jq -r '[.person.documents[] | select(.type != "BIRTH_CERTIFICATE")][0].number'; }
# A working morning in the externat window (1 September - 1 December): the first
# Tuesday-Thursday after the simulated today between 2 September and 20 October.
start_day() {
    local today offset day
    today=$(it_today)
    for offset in $(seq 1 400); do
        day=$(it_day "$today" "$offset")
        if [[ ${day:5} > 09-01 && ${day:5} < 10-21 && $(it_weekday "$day") =~ ^[234]$ ]]; then
            echo "$day"
            return
        fi
    done
}

check "the test CA is made" it_pki_init
GATEWAY_METRICS=127.0.0.1:$(egov_free_port)
it_start_gateway --metrics "$GATEWAY_METRICS"
it_start_registries
START=$(start_day)
check_output "the clock is set to a working morning in the externat window" "simulated +${START}T10:00" \
    ctl clock set "${START}T10:00"
start_intake
start_regional
start_leb
egov_wait_for curl -sf "$BASE/api/v1/openapi.json" -o /dev/null

# --- The API's surface
check_output "the OpenAPI document is served" '"openapi": "3\.0\.[0-9]+".*HTTP 200' call GET /api/v1/openapi.json
check_output "an unknown route is 404 UNKNOWN_ROUTE" '"code": "UNKNOWN_ROUTE".*HTTP 404' call GET /api/v1/nowhere
check_output "without a token: 401 AUTH_REQUIRED" '"code": "AUTH_REQUIRED".*HTTP 401' call GET /api/v1/services
check_output "a wrong password: 401 AUTH_FAILED" '"code": "AUTH_FAILED".*HTTP 401' \
    call POST /api/v1/operator/login '{"login":"operator1","password":"guess"}'
check_output "a login that is not JSON: 400 BAD_JSON" '"code": "BAD_JSON".*HTTP 400' \
    call POST /api/v1/operator/login '{"login":'
# Three wrong passwords in a row lock a login (here for 3 s); an unknown login is refused
# the same way, and locks nothing
login_as() { call POST /api/v1/operator/login "{\"login\":\"$1\",\"password\":\"$2\"}"; }
check_output "an unknown login: 401 AUTH_FAILED" '"code": "AUTH_FAILED".*HTTP 401' login_as nobody demo-operator3
check_output "operator3's first wrong password: 401 AUTH_FAILED" '"code": "AUTH_FAILED".*HTTP 401' \
    login_as operator3 guess
check_output "... the second: 401 AUTH_FAILED" '"code": "AUTH_FAILED".*HTTP 401' login_as operator3 guess
check_output "the third in a row locks the login: 429 LOCKED" '"code": "LOCKED".*HTTP 429' \
    login_as operator3 guess
check_output "... even the right password is refused while it is locked" '"code": "LOCKED".*HTTP 429' \
    login_as operator3 demo-operator3
check_output "... with a Retry-After header" '^Retry-After: [1-3]' curl -sS -D - -o /dev/null \
    -H 'Content-Type: application/json' --data '{"login":"operator3","password":"demo-operator3"}' \
    "$BASE/api/v1/operator/login"
sleep 3.2
check_output "after the lock the right password logs in" '"token".*HTTP 200' login_as operator3 demo-operator3
TOKEN=$(body POST /api/v1/operator/login '{"login":"operator1","password":"demo-operator1"}' | jq -r .token)
check_output "operator1 logs in with the demo password (Process 1)" '^[0-9a-f]{64}$' echo "$TOKEN"
check_output "a made-up token: 401 AUTH_REQUIRED" '"code": "AUTH_REQUIRED".*HTTP 401' \
    with_token 0000 call GET /api/v1/services
check_output "the services of the State Corporation include the externat permit in Almaty" \
    '"code": "externat-permit", *"region": "750000000"' call GET /api/v1/services
check_output "... and the school duplicate goes on paper" \
    '"code": "school-duplicate", *"region": "750000000".*"route": "paper"' call GET /api/v1/services
check_output "a body that is not JSON: 400 BAD_JSON" '"code": "BAD_JSON".*HTTP 400' \
    call POST /api/v1/applications '{"service":'
check_output "a malformed field: 400 INVALID_REQUEST naming it" '"code": "INVALID_REQUEST".*"field": "applicant_iin".*HTTP 400' \
    call POST /api/v1/applications '{"service":"externat-permit","region":"750000000","applicant_iin":"85","documents":[]}'

# --- Refusals at the desk (Condition 1, consent, completeness)
check_output "missing consent: 422 CONSENT_REQUIRED" '"code": "CONSENT_REQUIRED".*HTTP 422' \
    call POST /api/v1/applications "$(package externat-permit $PARENT null false "${EXTERNAT[@]}")"
check_output "an IIN nobody has: 422 DATA_NOT_AVAILABLE from gbdfl, NOT_FOUND" \
    '"code": "DATA_NOT_AVAILABLE".*"registry": "gbdfl".*"subject": "applicant".*"reason": "NOT_FOUND".*HTTP 422' \
    call POST /api/v1/applications "$(package externat-permit 010101599994 null true "${EXTERNAT[@]}")"
check_output "a wrong check digit: 422 INVALID_IIN" '"code": "INVALID_IIN".*HTTP 422' \
    call POST /api/v1/applications "$(package externat-permit 850314301235 null true "${EXTERNAT[@]}")"
for case in "POA-2025-0002 $AGENT EXPIRED" "POA-2026-0003 $AGENT REVOKED" "POA-2099-9999 $AGENT NOT_FOUND" \
            "POA-2026-0001 951203407770 NOT_THIS_REPRESENTATIVE"; do
    read -r number agent reason <<<"$case"
    check_output "power of attorney $number for $agent: 422 DATA_NOT_AVAILABLE from enis, $reason" \
        "\"code\": \"DATA_NOT_AVAILABLE\".*\"registry\": \"enis\".*\"reason\": \"$reason\".*HTTP 422" \
        call POST /api/v1/applications "$(package externat-permit $PARENT "$(rep "$agent" "$number")" true "${EXTERNAT[@]}" "$POA_DOC")"
done
call POST /api/v1/applications "$(package externat-permit 900722404568 "$(rep $AGENT POA-2026-0001)" true "${EXTERNAT[@]}" "$POA_DOC")" \
    >"$EGOV_TEST_DIR/other-principal.out"
check_output "a power of attorney given by someone else: DATA_NOT_AVAILABLE, OTHER_PRINCIPAL" \
    '"registry": "enis".*"reason": "OTHER_PRINCIPAL".*HTTP 422' cat "$EGOV_TEST_DIR/other-principal.out"
check "... and the refusal does not name whose it is (a third person's IIN)" \
    bash -c "! grep -q $PARENT '$EGOV_TEST_DIR/other-principal.out'"
check_output "an incomplete package: 422 INCOMPLETE_DOCUMENTS with the missing type and a numbered refusal receipt" \
    '"code": "INCOMPLETE_DOCUMENTS".*"missing": \[ *"reason-document" *\].*"refusal_receipt": \{ *"number": "SC-R-[0-9]{4}-[0-9]{6}".*HTTP 422' \
    call POST /api/v1/applications "$(package externat-permit $PARENT null true "$(doc application)" "$(doc identity-document)")"
check_output "a representative without the power of attorney in the package: INCOMPLETE_DOCUMENTS, power-of-attorney" \
    '"code": "INCOMPLETE_DOCUMENTS".*"missing": \[ *"power-of-attorney" *\]' \
    call POST /api/v1/applications "$(package externat-permit $PARENT "$(rep $AGENT POA-2026-0001)" true "${EXTERNAT[@]}")"
check_output "the refusal receipts are kept" '^2$' it_psql intake -Atc "SELECT count (*) FROM refusal_receipt"
REFUSAL_NUMBER=$(it_psql intake -Atc "SELECT number FROM refusal_receipt ORDER BY number LIMIT 1")
check_output "a refusal receipt prints at any time, naming what was missing" \
    "<!DOCTYPE html>.*Receipt of refusal to accept documents № $REFUSAL_NUMBER.*Missing documents.*HTTP 200" \
    call GET "/api/v1/refusal-receipts/$REFUSAL_NUMBER"
check_output "... an unknown one: 404 RECEIPT_NOT_FOUND" '"code": "RECEIPT_NOT_FOUND".*HTTP 404' \
    call GET /api/v1/refusal-receipts/SC-R-0000-000000
check_output "a document of a type the service does not list: 422 UNKNOWN_DOCUMENT_TYPE, naming it" \
    '"code": "UNKNOWN_DOCUMENT_TYPE".*"field": "documents\[3\]\.type".*HTTP 422' \
    call POST /api/v1/applications "$(package externat-permit $PARENT null true "${EXTERNAT[@]}" "$(doc foo)")"

# --- The service's form, checked as the portal checks it (the catalogue's request_form)
check_output "the services list each one's form, as the portal does" '^child_iin:iin:true,grade:integer:true,school:text:true,reason:choice:true,reason_note:text:false$' \
    bash -c "curl -s -H 'Authorization: Bearer $TOKEN' '$BASE/api/v1/services' | jq -r '.services[] | select(.code == \"externat-permit\") | .form | map(\"\\(.key):\\(.kind):\\(.required)\") | join(\",\")'"
check_output "... with the labels in the three languages" '"labels": \{ *"kk": "Білім алушының ЖСН", *"ru": "ИИН обучающегося", *"en": "student.s IIN"' \
    call GET /api/v1/services
# wrong_form FORM: the externat package from the applicant with this form.
wrong_form() { call POST /api/v1/applications "$(FORM=$1 package externat-permit $PARENT null true "${EXTERNAT[@]}")"; }
check_output "without the form: 422 INVALID_FORM, each required field REQUIRED" \
    '"code": "INVALID_FORM".*"fields": \[ *\{ *"field": "form.child_iin", *"code": "REQUIRED".*"form.grade", *"code": "REQUIRED".*"form.school", *"code": "REQUIRED".*"form.reason", *"code": "REQUIRED".*HTTP 422' \
    wrong_form '{}'
for case in 'grade:"5":WRONG_TYPE' 'grade:12:OUT_OF_RANGE' 'reason:"boredom":NOT_A_CHOICE' \
            'child_iin:"150913500420":INVALID_IIN' 'school:"":REQUIRED' \
            "reason_note:\"$(printf 'x%.0s' $(seq 1 501))\":TOO_LONG"; do
    key=${case%%:*} rest=${case#*:}
    value=${rest%:*} code=${rest##*:}
    form=$(jq -c --arg key "$key" --argjson value "$value" '.[$key] = $value' <<<"$EXTERNAT_FORM")
    check_output "a form with $key ${value:0:20}: 422 INVALID_FORM, form.$key $code" \
        "\"code\": \"INVALID_FORM\".*\"fields\": \\[ *\\{ *\"field\": \"form.$key\", *\"code\": \"$code\".*HTTP 422" \
        wrong_form "$form"
done
check_output "a field the form does not have: UNKNOWN_FIELD" '"field": "form.colour", *"code": "UNKNOWN_FIELD".*HTTP 422' \
    wrong_form "$(jq -c '.colour = "red"' <<<"$EXTERNAT_FORM")"
check_output "a form that is not an object: 400 INVALID_REQUEST naming it" '"code": "INVALID_REQUEST".*"field": "form".*HTTP 400' \
    wrong_form '[]'
check_output "a date that is no day (the kindergarten queue in Atyrau): INVALID_DATE" \
    '"field": "form.desired_date", *"code": "INVALID_DATE".*HTTP 422' \
    call POST /api/v1/applications '{"service":"kindergarten-queue","region":"230000000","applicant_iin":"850314301234","documents":[],"consent":true,"form":{"child_iin":"150913500422","desired_date":"2026-02-30"}}'
check_output "a child who is not the applicant's (no birth certificate links them): 403 CHILD_NOT_LINKED" \
    '"code": "CHILD_NOT_LINKED".*"field": "form.child_iin".*HTTP 403' \
    wrong_form "$(jq -c '.child_iin = "200510607893"' <<<"$EXTERNAT_FORM")"
check_output "... and so is the applicant's own IIN given as the child's" '"code": "CHILD_NOT_LINKED".*HTTP 403' \
    wrong_form "$(jq -c --arg iin $PARENT '.child_iin = $iin' <<<"$EXTERNAT_FORM")"

refusal=$(body POST /api/v1/applications "$(package externat-permit 010101599994 null true "${EXTERNAT[@]}")")
REFUSED_CORRELATION=$(jq -r .error.correlation_id <<<"$refusal")
check_output "a refusal after the registries were asked names the id they were asked under" \
    '^[0-9a-f-]{36}$' echo "$REFUSED_CORRELATION"
check_output "... under which the message log has that look-up" "intake -> gbdfl +gbdfl\.person" \
    oneline ctl log --correlation "$REFUSED_CORRELATION"

# --- Accepted: without and with a representative, one with an empty scan, one on paper
accept() { body POST /api/v1/applications "$1" >"$EGOV_TEST_DIR/accepted.json"; jq -r .id "$EGOV_TEST_DIR/accepted.json"; }
answer=$(call POST /api/v1/applications "$(package externat-permit $PARENT null true "${EXTERNAT[@]}")")
check_output "the externat permit is accepted: 201 with an acceptance receipt and result_due" \
    '"acceptance_receipt": \{ *"number": "SC-[0-9]{4}-[0-9]{6}".*"result_due": "[0-9]{4}-.*HTTP 201' echo "$answer"
printf '%s' "${answer%HTTP*}" >"$EGOV_TEST_DIR/a1.json"
A1=$(jq -r .id "$EGOV_TEST_DIR/a1.json")
RECEIPT1=$(show "$A1" | jq -r .receipt_number)
check_output "the acceptance receipt prints as a page: number, applicant, the package as accepted" \
    "<!DOCTYPE html>.*Receipt of acceptance of documents № $RECEIPT1.*IIN $PARENT.*Documents accepted.*application — application.pdf.*reason-document — reason-document.pdf.*HTTP 200" \
    call GET "/api/v1/applications/$A1/receipt"
check_output "... with the form as filled in and the child the registry linked" \
    "Child</th><td>Асқаров Нұрсұлтан Ерланұлы, IIN $CHILD.*The form as filled in.*student.{1,6}s IIN: $CHILD.*grade \\(1-11\\): 5.*school: School No 12.*reason for external study: health" \
    call GET "/api/v1/applications/$A1/receipt"
check_output "the application shows the form and the child" \
    "\"form\": \\{ *\"child_iin\": \"$CHILD\", *\"grade\": 5, *\"school\": \"School No 12\", *\"reason\": \"health\" *\\}.*\"child\": \\{ *\"iin\": \"$CHILD\", *\"name\": \"Асқаров Нұрсұлтан Ерланұлы\", *\"birth_certificate\": \"0915001\"" \
    oneline show "$A1"
check_output "... and the history the registry's link of the child" 'confirms the child is the applicant.s.*birth certificate No 0915001' \
    oneline show "$A1"
check_output "... served as HTML that loads nothing from anywhere" "^Content-Security-Policy: default-src 'none'" \
    bash -c "curl -sS -D - -o /dev/null -H 'Authorization: Bearer $TOKEN' '$BASE/api/v1/applications/$A1/receipt' | tr -d '\r'"
expected_due=$(ctl deadline --service externat-permit --region $REGION --channel state-corp \
    --at "$(show "$A1" | jq -r .submitted_at | cut -c1-19)" | awk '/^due/ {print substr($2, 1, 16)}')
check_output "result_due is the calendar's: 15 working days on the provider's calendar" \
    "^${expected_due:-no deadline from egovctl}" jq -r .result_due "$EGOV_TEST_DIR/a1.json"
# The same submission sent again under its Idempotency-Key makes one application
keyed() {
    curl -sS -X POST -H 'Content-Type: application/json' -H "Authorization: Bearer $TOKEN" \
        -H "Idempotency-Key: $1" -w '\nHTTP %{http_code}\n' --data-binary "$2" "$BASE/api/v1/applications" |
        tr '\n' ' '
}
KEYED_PACKAGE=$(package school-duplicate $PARENT null true "$(doc application)" "$(doc identity-document)")
first=$(keyed desk-retry-1 "$KEYED_PACKAGE")
check_output "a submission with an Idempotency-Key is accepted: 201" '"status": "ACCEPTED".*HTTP 201' echo "$first"
KEYED_ID=$(sed 's/ HTTP [0-9]*.*//' <<<"$first" | jq -r .id)
check_output "... sent again with the same key: 200, the same application, duplicate" \
    "\"id\": \"$KEYED_ID\".*\"duplicate\": true.*HTTP 200" keyed desk-retry-1 "$KEYED_PACKAGE"
check_output "... one application, one receipt" '^1$' it_psql intake -Atc \
    "SELECT count(*) FROM application WHERE idempotency_key = 'desk-retry-1'"
check_output "the same key with another package: 422 IDEMPOTENCY_KEY_REUSED" \
    '"code": "IDEMPOTENCY_KEY_REUSED".*HTTP 422' keyed desk-retry-1 "$(package school-duplicate $PARENT null true "$(doc application)" "$(doc identity-document "$(b64 "other scan")")")"
check_output "a malformed key: 400 INVALID_IDEMPOTENCY_KEY" '"code": "INVALID_IDEMPOTENCY_KEY".*HTTP 400' \
    keyed 'a key with spaces' "$KEYED_PACKAGE"
A2=$(accept "$(package externat-permit $PARENT "$(rep $AGENT POA-2026-0001)" true "${EXTERNAT[@]}" "$POA_DOC")")
check_output "with the representative and a valid power of attorney: accepted" '^[0-9a-f-]{36}$' echo "$A2"
A3=$(accept "$(package externat-permit $PARENT null true "$(doc application)" "$(doc identity-document)" "$(doc reason-document "")")")
check_output "a package with an empty scan is accepted at the desk (the provider judges it)" '^[0-9a-f-]{36}$' echo "$A3"
A5=$(accept "$(package school-duplicate $PARENT null true "$(doc application)" "$(doc identity-document)")")
check_output "the school duplicate is accepted" '^[0-9a-f-]{36}$' echo "$A5"
check_output "the paper route: the collection sector's register of packages is a step" \
    'collection sector enters the package in the register' show "$A5"
check "the signed request went through the gateway and the regional gateway registered it" \
    egov_wait_for status_is "$A1" 'REGISTERED|IN_PROGRESS'
check_output "the history names the registries, the receipt and the operator's signature" \
    'gbdfl.*acceptance receipt.*operator.s e-signature.*central gateway.*"status": "REGISTERED"' \
    oneline show "$A1"
# The provider receives the form: the Application's Field reason=health (protobuf bytes)
# and the signed document's "form" in the RegisteredApplication the leb stored
check "the provider's received application carries the form" egov_wait_for it_query_is "leb_$REGION" \
    "SELECT position ('\\x42100a06726561736f6e12066865616c7468'::bytea IN registered) > 0 AND position (convert_to ('\"form\":{\"child_iin\":\"$CHILD\"', 'UTF8') IN registered) > 0 FROM application WHERE correlation_id = '$A1'" t
check_output "the registration number is the regional gateway's" "\"registration_number\": \"$REGION-[0-9]{4}-[0-9]{6}\"" \
    oneline show "$A1"

# --- The provider killed mid-flow
A4=$(accept "$(package externat-permit $PARENT null true "${EXTERNAT[@]}")")
egov_wait_for status_is "$A4" 'IN_PROGRESS'
check "the local executive body is killed with kill -9 while it works on an application" egov_kill leb KILL
ctl clock advance 1d >/dev/null
start_leb

# --- Finding applications: newest first, filtered, a page at a time
check_output "the desk lists its applications, newest first" \
    "\"applications\": \\[ *\\{ *\"id\": \"$A4\".*\"id\": \"$A5\".*HTTP 200" call GET /api/v1/applications
check_output "... by receipt number: the one application" "^1 $A1\$" bash -c \
    "curl -s -H 'Authorization: Bearer $TOKEN' '$BASE/api/v1/applications?receipt_number=$RECEIPT1' | jq -r '\"\\(.applications | length) \\(.applications[0].id)\"'"
page=$(body GET "/api/v1/applications?applicant_iin=$PARENT&limit=2")
NEXT=$(jq -r .next <<<"$page")
check_output "... two at a time: a page of two and where the next begins" '^2 [0-9a-f-]{36}$' \
    echo "$(jq '.applications | length' <<<"$page") $NEXT"
check_output "... the next page begins after it, without repeats" '^0$' bash -c \
    "comm -12 <(jq -r '.applications[].id' <<<'$page' | sort) <(curl -s -H 'Authorization: Bearer $TOKEN' '$BASE/api/v1/applications?applicant_iin=$PARENT&limit=2&after=$NEXT' | jq -r '.applications[].id' | sort) | wc -l"
check_output "... by status" '"status": "IN_PROGRESS"' call GET "/api/v1/applications?status=IN_PROGRESS&limit=1"
check_output "a status that is none: 400 INVALID_REQUEST naming the parameter" '"code": "INVALID_REQUEST".*"field": "status".*HTTP 400' \
    call GET "/api/v1/applications?status=DONE"
check_output "a limit out of range: 400" '"field": "limit".*HTTP 400' call GET "/api/v1/applications?limit=500"
check_output "other methods: 405 naming GET and POST" '"code": "METHOD_NOT_ALLOWED".*HTTP 405' call DELETE /api/v1/applications

# --- The provider's steps pass on the simulation clock
check "the externat permit without a representative is READY" advance_until "$A1" READY
check "the one with a representative is READY" advance_until "$A2" READY
check "the one with an empty scan is REFUSED by the provider" advance_until "$A3" REFUSED
check "the one the provider was killed on still finishes" advance_until "$A4" READY
check "the paper duplicate comes back" advance_until "$A5" 'READY|REFUSED'
check_output "the provider's steps are in the history with wall and simulated times" \
    '"role": "executor".*"simulated_at": "[0-9]{4}-.*"wall_at": "[0-9]{4}-' oneline show "$A1"
check_output "the desk prints the result for the applicant: decision, what was issued, the signature's check" \
    '<!DOCTYPE html>.*The result of the public service № 750000000-OUT-[0-9]{4}-[0-9]{6}.*Decision</th><td>approved.*checked on arrival</th><td>OK.*HTTP 200' \
    call GET "/api/v1/applications/$A1/result"
check_output "... and the motivated refusal with its grounds" \
    'Decision</th><td>motivated refusal.*Grounds</th><td><ol><li>unreliable-documents' call GET "/api/v1/applications/$A3/result"
check_output "the result is approved and signed by the provider's authorised person" \
    '"result": \{ *"approved": true.*"signature": "OK"' oneline show "$A1"
check_output "the approved result's document follows docs/result.schema.json" '^valid$' \
    bash -c "set -o pipefail; curl -sS -H 'Authorization: Bearer $TOKEN' '$BASE/api/v1/applications/$A1' | jq .result.document | '$EGOV_REPO/tests/schema-check.py' '$EGOV_REPO/docs/result.schema.json'"
check_output "... and so does the motivated refusal's" '^valid$' \
    bash -c "set -o pipefail; curl -sS -H 'Authorization: Bearer $TOKEN' '$BASE/api/v1/applications/$A3' | jq .result.document | '$EGOV_REPO/tests/schema-check.py' '$EGOV_REPO/docs/result.schema.json'"
# A result the region's provider did not sign moves nothing, however it travels: sent by
# the leb's own key through the regional gateway, unsigned or signed by a citizen
# hex FILE: its bytes in hex, as --payload-json takes bytes
hex() { od -An -tx1 -v "$1" | tr -d ' \n'; }
forged() {         # forged APPLICATION_ID [LABEL]: a Result (signed by LABEL when given), sent as the leb would
    printf '%s' '{"kind":"permit","decision":"approve","note":"forged"}' >"$EGOV_TEST_DIR/forged.json"
    local signature=""
    if [[ -n ${2:-} ]]; then
        ctl sign --key "$PKI/keys/$2.key" --cert "$PKI/certs/$2.pem" "$EGOV_TEST_DIR/forged.json" |
            base64 -d >"$EGOV_TEST_DIR/forged.sig"
        signature=$(hex "$EGOV_TEST_DIR/forged.sig")
    fi
    jq -n --arg id "$1" --arg document "$(hex "$EGOV_TEST_DIR/forged.json")" --arg signature "$signature" \
        '{application_id: $id, approved: true, document: $document, signer: "forger"}
         + (if $signature == "" then {} else {signature: $signature} end)' >"$EGOV_TEST_DIR/forged-result.json"
    ctl --as "leb-$REGION" send --to "regional-$REGION" --service application.result --type RESPONSE \
        --correlation "$1" --payload-type egov.applications.Result --payload-json "$EGOV_TEST_DIR/forged-result.json" >/dev/null
}
refused_at_desk() { it_psql intake -Atc "SELECT string_agg (outcome, ',' ORDER BY outcome) FROM shep_inbox
                                         WHERE correlation_id = '$A1' AND outcome <> 'APPLIED'"; }
forged "$A1"
refusals_are() { [[ $(refused_at_desk) == "$1" ]]; }
check "an unsigned result reaches the desk and is refused: RESULT_UNSIGNED"     egov_wait_for -t 30 refusals_are RESULT_UNSIGNED
forged "$A1" 850314301234
check "a result signed with a citizen's valid certificate: NOT_THE_PROVIDER"     egov_wait_for -t 30 refusals_are NOT_THE_PROVIDER,RESULT_UNSIGNED
check_output "... and the application keeps the provider's signed result"     '"status": "READY".*"result": \{ *"approved": true.*"signature": "OK"' oneline show "$A1"
show "$A1" >"$EGOV_TEST_DIR/a1-after.json"
check_fails "... nothing of the forged ones shown" grep -q forge "$EGOV_TEST_DIR/a1-after.json"
check_output "the motivated refusal names the unreliable document" \
    '"status": "REFUSED".*"refusal": \{ *"grounds": \[[^]]*unreliable' oneline show "$A3"
check_output "the paper result is marked by barcode scan" '"barcode": "[0-9]{13}".*barcode scan' oneline show "$A5"
check_output "... after the courier's dated receipt from the provider's office" 'dated receipt' oneline show "$A5"

# --- Process 9: the hand-over
ID1=$(id_card $PARENT)
ID_AGENT=$(id_card $AGENT)
check_output "a wrong receipt: 403 WRONG_RECEIPT" '"code": "WRONG_RECEIPT".*HTTP 403' \
    call POST "/api/v1/applications/$A1/handover" "{\"receipt_number\":\"SC-1999-000001\",\"identity_document\":\"$ID1\"}"
check_output "the right receipt with somebody else's document: 403 IDENTITY_NOT_CONFIRMED" \
    '"code": "IDENTITY_NOT_CONFIRMED".*HTTP 403' \
    call POST "/api/v1/applications/$A1/handover" "{\"receipt_number\":\"$RECEIPT1\",\"identity_document\":\"$ID_AGENT\"}"
check_output "an application that does not exist: 404" '"code": "APPLICATION_NOT_FOUND".*HTTP 404' \
    call POST "/api/v1/applications/00000000-0000-4000-8000-000000000000/handover" "{\"receipt_number\":\"$RECEIPT1\",\"identity_document\":\"$ID1\"}"
check_output "the right receipt and the applicant's ID card: ISSUED" '"status": "ISSUED".*HTTP 200' \
    call POST "/api/v1/applications/$A1/handover" "{\"receipt_number\":\"$RECEIPT1\",\"identity_document\":\"$ID1\"}"
check_output "a second hand-over: 409 ALREADY_ISSUED" '"code": "ALREADY_ISSUED".*HTTP 409' \
    call POST "/api/v1/applications/$A1/handover" "{\"receipt_number\":\"$RECEIPT1\",\"identity_document\":\"$ID1\"}"

# --- Unclaimed for a month, returned, asked back
RECEIPT2=$(show "$A2" | jq -r .receipt_number)
ctl clock advance 31d >/dev/null
check "a result left unclaimed past one month is RETURNED_TO_PROVIDER" \
    egov_wait_for status_is "$A2" RETURNED_TO_PROVIDER
check_output "the return is a step" 'unclaimed for one month' oneline show "$A2"
check_output "the representative comes later: 409 RESULT_RETURNED, asked back from the provider" \
    '"code": "RESULT_RETURNED".*"recalled": true.*"ready_by": "[0-9]{4}-.*HTTP 409' \
    call POST "/api/v1/applications/$A2/handover" "{\"receipt_number\":\"$RECEIPT2\",\"identity_document\":\"$ID_AGENT\"}"
check "the provider sends it back (within one working day): READY again" advance_until "$A2" READY
# handed KEY BODY: the hand-over of A2 under an Idempotency-Key, on one line
handed() {
    curl -sS -X POST -H 'Content-Type: application/json' -H "Authorization: Bearer $TOKEN" \
        -H "Idempotency-Key: $1" -w '\nHTTP %{http_code}\n' --data-binary "$2" \
        "$BASE/api/v1/applications/$A2/handover" | tr '\n' ' '
}
HANDOVER2="{\"receipt_number\":\"$RECEIPT2\",\"identity_document\":\"$ID_AGENT\"}"
check_output "the representative receives it (the terminal sends an Idempotency-Key)" \
    '"status": "ISSUED".*"issued_to": "representative 781130306545".*HTTP 200' handed handover-2 "$HANDOVER2"
check_output "... the answer lost, the terminal sends it again: the same 200, marked duplicate" \
    '"status": "ISSUED".*"duplicate": true.*HTTP 200' handed handover-2 "$HANDOVER2"
check_output "... the key with another request: 422 IDEMPOTENCY_KEY_REUSED" '"code": "IDEMPOTENCY_KEY_REUSED".*HTTP 422' \
    handed handover-2 "{\"receipt_number\":\"$RECEIPT2\",\"identity_document\":\"$ID1\"}"
check_output "... without the key a second hand-over is 409 ALREADY_ISSUED" '"code": "ALREADY_ISSUED".*HTTP 409' \
    call POST "/api/v1/applications/$A2/handover" "$HANDOVER2"
check_output "... and a malformed key is 400 INVALID_IDEMPOTENCY_KEY" '"code": "INVALID_IDEMPOTENCY_KEY".*HTTP 400' \
    handed 'no spaces' "$HANDOVER2"

# --- The message log of one application, in order
check_output "the message log shows the hops in order under the application's id" \
    "intake -> gbdfl +gbdfl\.person.*gbdfl -> intake +gbdfl\.person.*intake -> regional-$REGION +application\.submit.*regional-$REGION -> intake +application\.status.*regional-$REGION -> leb-$REGION +application\.registered.*leb-$REGION -> regional-$REGION +application\.result.*regional-$REGION -> intake +application\.result" \
    oneline ctl log --correlation "$A1"
check_output "... and the return and the recall of the other" \
    "intake -> regional-$REGION +application\.return.*intake -> regional-$REGION +application\.recall.*leb-$REGION -> regional-$REGION +application\.result" \
    oneline ctl log --correlation "$A2"
check "the message log's hash chain is intact" ctl log verify
check_output "the desk's /metrics: answers by status, errors by code, its outbox" \
    'egov_http_requests_total\{status="201"\} [0-9]+.*egov_http_errors_total\{code="DATA_NOT_AVAILABLE"\} [0-9]+.*egov_outbox_pending [0-9]+' \
    oneline curl -s "$BASE/metrics"
# --- The journey of one application: one line per message, and as a diagram
check_output "trace: one line per message, each with how its delivery ended" \
    "intake -> gbdfl +REQUEST +gbdfl\.person +forwarded.*intake -> regional-$REGION +REQUEST +application\.submit +DELIVERED.*regional-$REGION -> leb-$REGION +REQUEST +application\.registered +DELIVERED.*regional-$REGION -> intake +RESPONSE +application\.result +(DELIVERED|RESULT_UNSIGNED)" \
    oneline ctl trace "$A1"
check_output "... as a Mermaid sequenceDiagram, a participant per box" \
    "^sequenceDiagram.*participant p1 as intake.*as regional-$REGION.*as leb-$REGION.*p[0-9]+-\)p[0-9]+: application\.submit REQUEST \(DELIVERED\)" \
    oneline ctl trace "$A1" --mermaid
check_output "... with the desk's own steps merged in: registry, receipt, signature, registration, provider, hand-over" \
    "step +intake: operator .*ACCEPTED +registry of individuals.*step .*ACCEPTED +operator signs.*intake -> regional-$REGION .*step +intake: regional-gateway .*REGISTERED.*step +intake: executor .*IN_PROGRESS.*step .*READY.*step +intake: operator .*ISSUED" \
    oneline ctl trace "$A1"
check_output "... and as JSON" '"hops": \[.*"steps": \[ *\{ *"simulated"' oneline ctl --json trace "$A1"
check_exit "an id the log does not know: exit 3" 3 ctl trace 00000000-0000-4000-8000-000000000000

# --- A registry that does not answer costs only the request that asked it
kill -STOP "$(egov_pid gbdfl)"
api POST /api/v1/applications "$(package externat-permit $PARENT null true "${EXTERNAT[@]}")" \
    >"$EGOV_TEST_DIR/waiting.out" 2>&1 &
WAITING=$!
api POST "/api/v1/applications/$A1/handover" "{\"receipt_number\":\"$RECEIPT1\",\"identity_document\":\"$ID1\"}" \
    >"$EGOV_TEST_DIR/handover.out" 2>&1 &
HANDOVER=$!
sleep 0.5                   # the desk has asked gbdfl.person and waits for the answers
TOKEN2=$(body POST /api/v1/operator/login '{"login":"operator2","password":"demo-operator2"}' | jq -r .token)
check_output "while the registry of individuals is silent, another operator's request is answered" \
    '"status": "ISSUED".*HTTP 200' with_token "$TOKEN2" call GET "/api/v1/applications/$A1"
check "... while the submission that asked it still waits for its answer" kill -0 "$WAITING"
check "... and so does a hand-over, which asks it about the identity document" kill -0 "$HANDOVER"
check "... and the desk keeps its place at the gateway (no missed heartbeats)" it_connected intake
wait "$WAITING" || true
wait "$HANDOVER" || true
check_output "the submission that asked gets 503 REGISTRY_UNAVAILABLE, caused by the gateway's TIMEOUT" \
    '"code": "REGISTRY_UNAVAILABLE".*"registry": "gbdfl".*"cause": "TIMEOUT".*HTTP 503' \
    oneline cat "$EGOV_TEST_DIR/waiting.out"
check_output "... and so does the hand-over" \
    '"code": "REGISTRY_UNAVAILABLE".*"registry": "gbdfl".*"cause": "TIMEOUT".*HTTP 503' \
    oneline cat "$EGOV_TEST_DIR/handover.out"
kill -CONT "$(egov_pid gbdfl)"
check "the registry answers again" egov_wait_for ctl person "$PARENT"

# --- Passwords are checked beside the loop: a storm of logins holds nobody up
STORM=()
for n in $(seq 1 32); do
    api POST /api/v1/operator/login '{"login":"operator3","password":"demo-operator3"}' \
        >"$EGOV_TEST_DIR/storm-$n.out" 2>&1 &
    STORM+=($!)
done
sleep 0.2                   # the logins are in, their passwords being checked
check_output "while thirty-two logins have their passwords checked, the health is answered" \
    '"status": "ok".*HTTP 200' call GET /api/v1/health
# any_running PID...: one of them has not ended yet.
any_running() { local pid; for pid in "$@"; do kill -0 "$pid" 2>/dev/null && return 0; done; return 1; }
check "... before the last of the logins has its answer" any_running "${STORM[@]}"
wait "${STORM[@]}"
check_output "... and each login gets its token" '^32$' \
    bash -c "cat '$EGOV_TEST_DIR'/storm-*.out | grep -c '\"token\"'"

# --- Slow clients (slowloris) cost only themselves
cat >"$EGOV_TEST_DIR/trickle.py" <<'PY'
import socket, sys, time
port, count, seconds = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
open_ones = []
for _ in range(count):
    try:
        connection = socket.create_connection(("127.0.0.1", port), timeout=2)
        connection.send(b"GET /api/v1/health HTTP/1.1\r\nHost: desk\r\n")
        open_ones.append(connection)
    except OSError:
        pass
print("started", flush=True)
end = time.time() + seconds
while time.time() < end and open_ones:
    time.sleep(1)
    for connection in list(open_ones):
        try:
            connection.send(b"X-Trickle: a\r\n")      # one header line a second, never the end
        except OSError:
            open_ones.remove(connection)
print("still open", len(open_ones), flush=True)
PY
python3 "$EGOV_TEST_DIR/trickle.py" "${BASE##*:}" 300 16 >"$EGOV_TEST_DIR/trickle.out" 2>&1 &
TRICKLE=$!
egov_wait_for grep -q started "$EGOV_TEST_DIR/trickle.out"
check_output "while 300 connections trickle their headers in, another client is answered" \
    '"status": "ok".*HTTP 200' oneline curl -sS --interface 127.0.0.2 -w '\nHTTP %{http_code}\n' "$BASE/api/v1/health"
wait "$TRICKLE" || true
check_output "... and the desk closed every trickling connection at its request deadline" \
    '^still open 0$' tail -n 1 "$EGOV_TEST_DIR/trickle.out"

# --- PostgreSQL restarts under the running system
INTAKE_PID=$(egov_pid intake)
health() { call GET /api/v1/health; }
check_output "the desk's health is ok: gateway connected, database ok, the outbox drained" \
    '"status": "ok".*"gateway": "connected".*"database": "ok".*"pending": 0.*HTTP 200' health
# Applications on their way through the gateway, the regional gateway and the
# provider when the database goes: every one of them still finishes
open_morning                # the desk takes nothing on a day off
LOAD=()
for _ in 1 2 3; do
    LOAD+=("$(accept "$(package externat-permit $PARENT null true "${EXTERNAT[@]}")")")
done
check_output "three more applications are accepted and on their way" '^3$' \
    bash -c 'printf "%s\n" "$@" | grep -cE "^[0-9a-f-]{36}$"' _ "${LOAD[@]}"
check "PostgreSQL stops" "$EGOV_PG_SH" stop
check_output "... the health is degraded: 503, the database unavailable" \
    '"status": "degraded".*"database": "unavailable".*HTTP 503' health
check_output "... and a request answers 503 DATABASE_UNAVAILABLE" \
    '"code": "DATABASE_UNAVAILABLE".*HTTP 503' call GET "/api/v1/applications/$A1"
gateway_health() { curl -s -o /dev/null -w '%{http_code}' "http://$GATEWAY_METRICS/health" | grep -qx "$1"; }
check "... the gateway's health says so too, with nothing to store: 503" egov_wait_for gateway_health 503
check "PostgreSQL starts again" "$EGOV_PG_SH" start
shows() { call GET "/api/v1/applications/$1" | grep -q 'HTTP 200'; }
check "the same desk answers again once it is back" egov_wait_for shows "$A1"
check_output "... with the application as it was" '"status": "ISSUED".*HTTP 200' call GET "/api/v1/applications/$A1"
check_output "... it is the same process" "^$INTAKE_PID\$" egov_pid intake
healthy() { health | grep -q '"status": "ok"'; }
check "... and its health is ok again" egov_wait_for healthy
check "... and the gateway's" egov_wait_for gateway_health 200
A6=$(accept "$(package externat-permit $PARENT null true "${EXTERNAT[@]}")")
check_output "a new application is accepted after the restart" '^[0-9a-f-]{36}$' echo "$A6"
check_output "... its submission is in the desk's outbox" '^1$' \
    it_psql intake -Atc "SELECT count (*) FROM shep_outbox WHERE correlation_id = '$A6' AND service_id = 'application.submit'"
# Nothing was restarted by hand: the gateway, the regional gateway and the leb
# reconnected to PostgreSQL by themselves, so the application goes all the way
PIDS="$(egov_pid shep) $(egov_pid regional) $(egov_pid leb)"
check "... and it goes through the gateway to the regional gateway" egov_wait_for status_is "$A6" 'REGISTERED|IN_PROGRESS'
check "... and the provider decides it" advance_until "$A6" 'READY|REFUSED'
for load in "${LOAD[@]}"; do
    check "... and an application on its way at the stop is decided too" advance_until "$load" 'READY|REFUSED'
done
check_output "every process is the one that started the test" "^$INTAKE_PID $PIDS\$" \
    echo "$(egov_pid intake) $(egov_pid shep) $(egov_pid regional) $(egov_pid leb)"

# --- One jump of the clock that returns when the chain has run: no polling after it
open_morning
SETTLED=$(accept "$(package externat-permit $PARENT null true "${EXTERNAT[@]}")")
# Someone of the registry whose ID card has expired by the simulated today, for the hand-over
read -r EXPIRED_IIN EXPIRED_CARD EXPIRED_ON < <(it_psql gbdfl -AtF ' ' -c "SELECT d.iin, d.number, d.expires
    FROM identity_document d JOIN person p USING (iin)
    WHERE d.type = 'ID_CARD' AND d.expires < '$(it_today)' AND p.birth_date < '$(it_today)'::date - interval '18 years'
    ORDER BY d.iin LIMIT 1")
EXPIRED_APP=$(accept "$(package school-duplicate "$EXPIRED_IIN" null true "$(doc application)" "$(doc identity-document)")")
check_output "egovctl wait returns once the desk's application is registered, with its number" \
    "^$SETTLED (REGISTERED|IN_PROGRESS) externat-permit $REGION $REGION-[0-9]{4}-[0-9]{6} changed [0-9]{4}-" \
    ctl wait "$SETTLED" --status REGISTERED,IN_PROGRESS --timeout 60s
check_output "clock advance --settle returns once nothing crosses the gateway any more" \
    '^settled: [1-9][0-9]* messages crossed the gateway, nothing in flight' ctl clock advance 30d --settle
check "... and the provider's steps, the result and its delivery to the desk are done" \
    status_is "$SETTLED" READY
# on_time ID: the result was decided at or before the result_due on the receipt
on_time() {
    local due decided
    read -r decided due < <(show "$1" | jq -r '"\(.result.decided_at) \(.result_due)"')
    [[ -n $decided && ! $decided > $due ]] || { echo "decided $decided, due $due"; return 1; }
}
check "the provider in auto mode decided by the result_due on the receipt" on_time "$SETTLED"
egov_wait_for status_is "$EXPIRED_APP" 'READY|REFUSED'
check_output "a hand-over on an ID card that has expired: 403 IDENTITY_NOT_CONFIRMED, saying so" \
    "\"code\": \"IDENTITY_NOT_CONFIRMED\".*expired on $EXPIRED_ON.*\"reason\": \"EXPIRED\".*HTTP 403" \
    call POST "/api/v1/applications/$EXPIRED_APP/handover" \
    "{\"receipt_number\":\"$(show "$EXPIRED_APP" | jq -r .receipt_number)\",\"identity_document\":\"$EXPIRED_CARD\"}"
check_output "egovctl wait for a status it has: at once, --json for programs" \
    "\"status\": \"READY\".*\"channel\": \"intake.application\"" oneline ctl --json wait "$SETTLED" --status ready
check_exit "a status that does not come within --timeout: exit 7" 7 ctl wait "$SETTLED" --status ISSUED --timeout 1s
check_exit "an ISSUED application waits for nothing else: exit 3" 3 ctl wait "$A1" --status READY
check_output "an id the desk does not hold, with no portal to ask: still unknown at --timeout, exit 7" \
    'NO_PROVIDER.*exit 7' oneline bash -c "'$EGOV_BIN/egovctl' wait 00000000-0000-4000-8000-000000000000 --status READY --timeout 1s 2>&1; echo exit \$?"
check_exit "a status that is none: a usage error" 64 ctl wait "$SETTLED" --status DONE

# --- The operator's page in headless Chromium: the journey of a paper-route package as an
# operator makes it (a service without an application window: the clock has moved on)
check_output "the operator's page is served under / with a policy for its own scripts" \
    "Content-Security-Policy: default-src 'self'; script-src 'self'" curl -sS -D - -o /dev/null "$BASE/"
check_output "... and the API's paths are never files" '"code": "UNKNOWN_ROUTE".*HTTP 404' call GET /api/v1/index.html
if [[ -x ${EGOV_CHROMIUM:-/usr/bin/chromium} ]] && command -v node >/dev/null; then
    open_morning
    check_output "the desk page in headless Chromium: refusals, acceptance, receipts, the journey, the result, the hand-over" \
        '^ok - the applicant.s ID card and receipt: the result is handed over' \
        node "$EGOV_REPO/tests/frontend/desk-test.mjs" --base "$BASE" --applicant "$PARENT" --id-card "$ID1" \
            --service "school-duplicate@$REGION" --documents application,identity-document \
            --advance "$EGOV_BIN/egovctl clock advance 1d" \
            --chromium "${EGOV_CHROMIUM:-/usr/bin/chromium}" --profile "$EGOV_TEST_DIR/chromium-desk"
    sed "s/^/#   /" "$EGOV_TEST_DIR/check.out"
    compgen -G "$EGOV_TEST_DIR/chromium-desk/*.png" >/dev/null && egov_keep "$EGOV_TEST_DIR"/chromium-desk/*.png
    check_output "... the application taken in the page is ISSUED, under the operator who logged in there" '^1$' \
        it_psql intake -Atc "SELECT count (*) FROM application WHERE operator_login = 'operator2' AND status = 'ISSUED'"
else
    skip "the desk page in headless Chromium" "chromium or node is not installed"
fi

# --- The desk is open Mon-Sat 09:00-20:00 on the simulated clock: on a Sunday it takes nothing
SUNDAY=$(it_day "$(it_today)" 1)
while [[ $(it_weekday "$SUNDAY") != 7 ]]; do SUNDAY=$(it_day "$SUNDAY" 1); done
ctl clock set "${SUNDAY}T11:00" >/dev/null
check_output "on a Sunday the State Corporation's desk is closed: 422 DESK_CLOSED, opening at 09:00 on its next working day" \
    '"code": "DESK_CLOSED".*"opens_at": "[0-9]{4}-[0-9]{2}-[0-9]{2}T09:00:00.000\+05:00".*HTTP 422' \
    call POST /api/v1/applications "$(package school-duplicate $PARENT null true "$(doc application)" "$(doc identity-document)")"

# --- Deliveries were applied once each, everything sent
delivered_to_intake() {
    it_psql shep -Atc "SELECT count (*) FROM async_message WHERE recipient_id = 'intake' AND status = 'DELIVERED'"
}
applied_by_intake() { it_psql intake -Atc "SELECT count (*) FROM shep_inbox WHERE outcome = 'APPLIED'"; }
settled() { [[ $(delivered_to_intake) == "$(applied_by_intake)" ]]; }
check "every delivery the gateway counts as delivered to the desk is applied in its inbox" egov_wait_for settled
check_output "... none was rejected but the two forged results" '^0$' it_psql intake -Atc \
    "SELECT count (*) FROM shep_inbox WHERE outcome <> 'APPLIED' AND NOT (correlation_id = '$A1'
     AND outcome IN ('RESULT_UNSIGNED', 'NOT_THE_PROVIDER'))"
check_output "no step of an application's history was applied twice" '^0$' it_psql intake -Atc \
    "SELECT count (*) FROM (SELECT 1 FROM history GROUP BY application_id, status, step, actor, note, at_sim HAVING count (*) > 1) twice"
check_output "the gateway's receipt made each application SENT once" '^0$' it_psql intake -Atc \
    "SELECT count (*) FROM application a WHERE (SELECT count (*) FROM history h WHERE h.application_id = a.id AND h.step LIKE '%central gateway%') <> 1"
check_output "the outbox is empty: everything sent, nothing failed" '^0$' \
    it_psql intake -Atc "SELECT count (*) FROM shep_outbox WHERE sent_at IS NULL OR failed_code IS NOT NULL"
check "intake stops cleanly on SIGTERM" egov_stop intake
check_output "every answer of the desk in this test is documented by its OpenAPI document and matches the schema" \
    '^all [0-9]+ answers match$' it_answers_match "$EGOV_REPO/services/intake/openapi.json"
egov_test_done
