#!/usr/bin/env bash
# The regional gateway (ЭҮӨШ) of Almaty as a real process between the central
# gateway, a channel and the region's local executive body (shep-sink plays
# both): it serves the region's route, rejects what it can never apply with
# a stable code and keeps no trace of it, registers a signed application
# (Process 7, built here by hand and sent with egovctl send --payload-type),
# answers the channel, hands the document to a leb that connects late,
# carries the leb's status back and refuses a document whose signature fails.
# date-sensitive: certificates judged at the simulated date (tests/run-all.sh runs it again as of other moments)
source "$(dirname "$0")/common.sh"
REGION=750000000
REGIONAL=regional-$REGION
LEB=leb-$REGION
it_setup shep "regional_$REGION" sink
# egovctl plays a broken participant here: what the receivers refuse themselves
it_grant 'egovctl send * *'
PKI=$EGOV_TEST_DIR/pki
export EGOV_PKI_DIR=$PKI
ctl() { "$EGOV_BIN/egovctl" "$@"; }
regional_db() { it_psql "regional_$REGION" -Atc "$1"; }
start_regional() {
    egov_start regional "$EGOV_BIN/regional" --region "$REGION" --gateway "$EGOV_GATEWAY" \
        --db "$(it_db "regional_$REGION")" --pki "$PKI"
    egov_wait_for it_connected "$REGIONAL"
}
# delivery_of MESSAGE_ID: the gateway's status and error code of one async message.
delivery_of() {
    it_psql shep -Atc "SELECT status || ' ' || coalesce (error_code, '') FROM async_message WHERE message_id = '$1'"
}
# wait_settled ID: until the gateway finished the message one way or another.
wait_settled() {
    egov_wait_for it_query_is shep "SELECT count(*) FROM async_message WHERE message_id = '$1' AND status <> 'ON_DELIVERY'" 1
}

# The command line
check_exit "regional --help exits 0" 0 "$EGOV_BIN/regional" --help
check_output "a region is required, as a KATO code" '9-digit KATO code' "$EGOV_BIN/regional"
check_exit "... a malformed one is a usage error" 64 "$EGOV_BIN/regional" --region 75
check_exit "an unknown flag is a usage error" 64 "$EGOV_BIN/regional" --region "$REGION" --bogus
check_output "without a test CA it says how to make one" 'pki init' \
    "$EGOV_BIN/regional" --region "$REGION" --pki "$EGOV_TEST_DIR/no-pki" --db "$(it_db "regional_$REGION")"

check "the test CA is made" it_pki_init
it_start_gateway --redeliver 1000
start_regional
check_output "the regional gateway serves its region's route" "^$REGIONAL\$" \
    it_psql shep -Atc "SELECT participant_id FROM route WHERE route_id = '$REGION'"

# Deliveries it can never apply: rejected with a stable code, nothing kept
id=$(ctl --as intake send --route "$REGION" --service application.submit --text "not an application" | cut -d' ' -f1)
wait_settled "$id"
check_output "text in place of an Application is rejected: MALFORMED_PAYLOAD" \
    '^DELIVERY_STOPPED MALFORMED_PAYLOAD$' delivery_of "$id"
check_output "... and the sender can read why" 'MALFORMED_PAYLOAD' ctl status "$id"
id=$(ctl --as "$LEB" send --to "$REGIONAL" --service application.status --text "not a notice" | cut -d' ' -f1)
wait_settled "$id"
check_output "text in place of a StatusNotice is rejected: MALFORMED_PAYLOAD" \
    '^DELIVERY_STOPPED MALFORMED_PAYLOAD$' delivery_of "$id"
: >"$EGOV_TEST_DIR/empty"
id=$(ctl --as "$LEB" send --to "$REGIONAL" --service application.result --file "$EGOV_TEST_DIR/empty" | cut -d' ' -f1)
wait_settled "$id"
check_output "an empty result of no type is rejected: MALFORMED_PAYLOAD" \
    '^DELIVERY_STOPPED MALFORMED_PAYLOAD$' delivery_of "$id"
id=$(ctl send --route "$REGION" --service application.other --text "?" | cut -d' ' -f1)
wait_settled "$id"
check_output "a service it does not handle is rejected: UNSUPPORTED_SERVICE" \
    '^DELIVERY_STOPPED UNSUPPORTED_SERVICE$' delivery_of "$id"
check_output "each rejection is decided once, with its code; no registration, nothing to send" \
    '^4 0 0 0$' regional_db "SELECT (SELECT count(*) FROM shep_inbox WHERE outcome <> 'APPLIED') || ' ' ||
        (SELECT count(*) FROM shep_inbox WHERE outcome = 'APPLIED') || ' ' ||
        (SELECT count(*) FROM registration) || ' ' || (SELECT count(*) FROM shep_outbox)"
check_output "each rejection is logged with its code" 'rejected .*UNSUPPORTED_SERVICE' cat "$(egov_log regional)"
check "the regional gateway stops cleanly on SIGTERM" egov_stop regional
start_regional
check "... and starts again on the same database" it_connected "$REGIONAL"

# ---------------------------------------------------------------------------
# Protocol buffers by hand, so a test needs nothing but bash and coreutils.
# pb_varint N: printf escapes of N as a varint.
pb_varint() {
    local value=$1 out=""
    while (( value >= 128 )); do
        out+=$(printf '\\x%02x' $(( (value & 127) | 128 )))
        value=$(( value >> 7 ))
    done
    out+=$(printf '\\x%02x' "$value")
    echo -n "$out"
}
# pb_file FIELD FILE: a length-delimited field holding the file's bytes.
pb_file() {
    # shellcheck disable=SC2059  # the format is the escapes pb_varint made
    printf "$(pb_varint $(( ($1 << 3) | 2 )))$(pb_varint "$(stat -c %s "$2")")"
    cat "$2"
}
# pb_text FIELD TEXT: a string field.
pb_text() {
    printf '%s' "$2" >"$EGOV_TEST_DIR/pb.text"
    pb_file "$1" "$EGOV_TEST_DIR/pb.text"
}
# pb_number FIELD N: a varint field.
pb_number() {
    # shellcheck disable=SC2059
    printf "$(pb_varint $(( $1 << 3 )))$(pb_varint "$2")"
}
# application OUT APP_ID DOCUMENT SIGNATURE_DER SIGNER_IIN: an egov.applications.Application.
application() {
    {
        pb_text 1 "$2"
        pb_text 2 externat-permit
        pb_text 3 "$REGION"
        pb_number 4 1
        pb_text 5 850314301234
        pb_file 10 "$3"
        pb_file 11 "$4"
        pb_text 12 "$5"
    } >"$1"
}
operator_iin=$(awk -F'\t' '$8 == "operator1" { print $9 }' "$PKI/index.tsv")
document=$EGOV_TEST_DIR/document.json
echo -n '{"service":"externat-permit","region":"750000000","applicant_iin":"850314301234"}' >"$document"
ctl sign --key "$PKI/keys/operator1.key" --cert "$PKI/certs/operator1.pem" "$document" |
    base64 -d >"$EGOV_TEST_DIR/signature.der"
application "$EGOV_TEST_DIR/app.bin" APP-70-1 "$document" "$EGOV_TEST_DIR/signature.der" "$operator_iin"
typed() { ctl "$@" | cut -d' ' -f1; }

# The channel (egovctl as "intake") submits before the leb ever connected
correlation=$(cat /proc/sys/kernel/random/uuid)
id=$(typed --as intake send --route "$REGION" --service application.submit --correlation "$correlation" \
     --file "$EGOV_TEST_DIR/app.bin" --payload-type egov.applications.Application)
wait_settled "$id"
egov_start intake "$EGOV_BIN/shep-sink" --id intake --db "$(it_db sink)"
egov_wait_for it_query_is sink "SELECT count(*) FROM inbox WHERE receiver_id = 'intake'" 1
check_output "a signed application is registered and REGISTERED goes to the channel" \
    "^REGISTERED $REGION-[0-9]{4}-000001 OK intake\$" regional_db \
    "SELECT status || ' ' || registration_number || ' ' || signature_outcome || ' ' || sender_id FROM registration WHERE correlation_id = '$correlation'"
check_output "... the notice names the registration number, under the same correlation id" '^true true$' it_psql sink -Atc \
    "SELECT (position(convert_to('$REGION-', 'UTF8') IN payload) > 0) || ' ' || (correlation_id = '$correlation') FROM inbox
     WHERE receiver_id = 'intake' AND payload_type = 'egov.applications.StatusNotice'"
check_output "... the document waits in the gateway for a registered leb that never connected" \
    '^ON_DELIVERY$' it_psql shep -Atc \
    "SELECT status FROM async_message WHERE recipient_id = '$LEB' AND correlation_id = '$correlation'"
egov_start leb "$EGOV_BIN/shep-sink" --id "$LEB" --db "$(it_db sink)"
egov_wait_for it_connected "$LEB"
check "the leb that connects late gets the registered document" egov_wait_for it_query_is sink \
    "SELECT count(*) FROM inbox WHERE receiver_id = '$LEB' AND service_id = 'application.registered' AND payload_type = 'egov.applications.RegisteredApplication' AND correlation_id = '$correlation'" 1

# The leb's status notice travels back to the channel
{ pb_text 1 APP-70-1; pb_number 2 4; pb_text 3 "head assigns an executor"; } >"$EGOV_TEST_DIR/notice.bin"
id=$(typed --as "$LEB" send --to "$REGIONAL" --service application.status --correlation "$correlation" \
     --file "$EGOV_TEST_DIR/notice.bin" --payload-type egov.applications.StatusNotice)
wait_settled "$id"
check "the leb's status goes back to the channel" egov_wait_for it_query_is sink \
    "SELECT count(*) FROM inbox WHERE receiver_id = 'intake' AND position(convert_to('head assigns', 'UTF8') IN payload) > 0" 1
id=$(typed --as "$LEB" send --to "$REGIONAL" --service application.status --correlation no-such-application \
     --file "$EGOV_TEST_DIR/notice.bin" --payload-type egov.applications.StatusNotice)
wait_settled "$id"
check_output "a status for an unknown correlation id is rejected: UNKNOWN_APPLICATION" \
    '^DELIVERY_STOPPED UNKNOWN_APPLICATION$' delivery_of "$id"
id=$(typed send --to "$REGIONAL" --service application.status --correlation "$correlation" \
     --file "$EGOV_TEST_DIR/notice.bin" --payload-type egov.applications.StatusNotice)
wait_settled "$id"
check_output "a status from someone other than the leb is rejected: UNEXPECTED_SENDER" \
    '^DELIVERY_STOPPED UNEXPECTED_SENDER$' delivery_of "$id"

# A document changed after signing: refused, never handed to the leb
echo -n '{"service":"externat-permit","region":"750000000","applicant_iin":"010101599994"}' >"$document"
application "$EGOV_TEST_DIR/tampered.bin" APP-70-2 "$document" "$EGOV_TEST_DIR/signature.der" "$operator_iin"
correlation=$(cat /proc/sys/kernel/random/uuid)
egov_kill intake
id=$(typed --as intake send --route "$REGION" --service application.submit --correlation "$correlation" \
     --file "$EGOV_TEST_DIR/tampered.bin" --payload-type egov.applications.Application)
wait_settled "$id"
egov_start intake "$EGOV_BIN/shep-sink" --id intake --db "$(it_db sink)"
check "a tampered document is refused with the signature outcome" egov_wait_for it_query_is sink \
    "SELECT count(*) FROM inbox WHERE correlation_id = '$correlation' AND receiver_id = 'intake' AND position(convert_to('signature: BAD_SIGNATURE', 'UTF8') IN payload) > 0" 1
check_output "... registered as refused, without a number, not handed to the leb" '^REFUSED BAD_SIGNATURE true 0$' regional_db \
    "SELECT status || ' ' || signature_outcome || ' ' || (registration_number IS NULL) || ' '
         || (SELECT count(*) FROM shep_outbox WHERE recipient = '$LEB' AND correlation_id = registration.correlation_id)
     FROM registration WHERE correlation_id = '$correlation'"


# Playing a box by hand: a StatusNotice written as JSON, taken as the channel's deliveries
correlation=$(it_psql "regional_$REGION" -Atc \
    "SELECT correlation_id FROM registration WHERE registration_number IS NOT NULL ORDER BY correlation_id LIMIT 1")
application_id=$(it_psql "regional_$REGION" -Atc "SELECT application_id FROM registration WHERE correlation_id = '$correlation'")
egov_kill intake
printf '{"application_id": "%s", "status": "IN_PROGRESS", "step": "executor checks the scans", "role": "executor"}' \
    "$application_id" >"$EGOV_TEST_DIR/notice.json"
id=$(typed --as "$LEB" send --to "$REGIONAL" --service application.status --correlation "$correlation" \
     --payload-type egov.applications.StatusNotice --payload-json "$EGOV_TEST_DIR/notice.json")
wait_settled "$id"
check_output "a payload given as JSON is packed as its type and taken: DELIVERED" '^DELIVERED $' delivery_of "$id"
check_output "egovctl receive takes the channel's delivery and prints it decoded, as JSON" \
    "\"service_id\":\"application.status\".*\"sender_id\":\"$REGIONAL\".*\"payload\":\\{\"application_id\":\"$application_id\",\"status\":\"IN_PROGRESS\",\"step\":\"executor checks the scans\"" \
    ctl --as intake --timeout 10000 receive --service application.status
printf '{"application_id": "x", "status": "SOMEWHERE"}' >"$EGOV_TEST_DIR/bad.json"
check_output "JSON that does not fit the type is refused before it is sent" 'StatusNotice.status is not a value of its enum' \
    ctl --as "$LEB" send --to "$REGIONAL" --service application.status --payload-type egov.applications.StatusNotice \
        --payload-json "$EGOV_TEST_DIR/bad.json"

egov_test_done
