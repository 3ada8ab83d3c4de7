#!/usr/bin/env bash
# E-signatures from the command line, as integrators and the services use them: the
# test CA made by `egovctl pki init`, signing with `egovctl sign`, and every outcome of
# `egovctl verify` — good signatures, tampered, truncated and garbage input, each test
# certificate, the time judged at, and a revocation that counts at once. No gateway.
source "$(dirname "$0")/common.sh"
export EGOV_PKI_DIR=$EGOV_TEST_DIR/pki
ctl() { "$EGOV_BIN/egovctl" "$@"; }
PKI=$EGOV_PKI_DIR
DOC=$EGOV_TEST_DIR/application.txt
printf 'Өтініш: экстернат, 2026\nIIN 850314301234\n' >"$DOC"

# sign_as LABEL [FLAGS...]: signs $DOC with certs/LABEL.pem into $EGOV_TEST_DIR/LABEL.sig.
sign_as() {
    local label=$1; shift
    ctl sign --key "$PKI/keys/$label.key" --cert "$PKI/certs/$label.pem" "$@" "$DOC" \
        >"$EGOV_TEST_DIR/$label.sig"
}
# verify_doc SIGFILE [FLAGS...]: verifies a detached signature of $DOC.
verify_doc() { local sig=$1; shift; ctl verify --content "$DOC" "$@" "$sig"; }
# sign_at_and_verify TIME: operator2 signs $DOC from stdin stating TIME, piped to verify.
sign_at_and_verify() {
    ctl sign --key "$PKI/keys/operator2.key" --cert "$PKI/certs/operator2.pem" --at "$1" - <"$DOC" |
        ctl verify --content "$DOC" -
}
# init_and_list: pki init, then pki list.
init_and_list() { ctl pki init && ctl pki list; }
# days_from_now N: that day as YYYY-MM-DD.
days_from_now() { date -u -d "$1 days" +%Y-%m-%d; }
# flip_byte FILE OFFSET: inverts the lowest bit of one byte in place.
flip_byte() {
    local value
    value=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
    printf "$(printf '\\%03o' $((value ^ 1)))" | dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}

# --- The CA
check_exit "without a PKI, verify is a local failure (exit 1)" 1 ctl verify "$DOC"
check_output "pki init makes the CA and every demo certificate" \
    '28 certificates, 28 issued now' ctl pki init
check_output "a second pki init issues nothing" '28 certificates, 0 issued now' ctl pki init
check_output "private keys are readable by their owner only" '^600$' \
    stat -c %a "$PKI/keys/850314301234.key" "$PKI/issuing-ca.key"
for key in var/pki/keys/850314301234.key var/pki/root-ca.key; do
    check "$key in the default folder is ignored by git" git -C "$EGOV_REPO" check-ignore -q "$key"
done
for iin in 850314301234 150913500422 900722404568 200510607893 230201503215 781130306545 \
           951203407770; do
    check_output "$iin has a valid signing certificate" "valid +sign +[0-9-]+ +$iin +$iin " \
        ctl pki list
done
check_output "operators and providers' heads are listed with their IIN and BIN" \
    'operator1 +900417428170 .*org-430000000 +801205444786 +010840010126' oneline ctl pki list
check_output "the test cases have their status" \
    'revoked +sign.*revoked-951203407770.*expired +sign.*expired-900722404568.*untrusted +sign.*untrusted-850314301234.*valid +auth.*auth-850314301234.*not-yet-valid +sign.*future-850314301234' \
    oneline ctl pki list
check_output "the subject is in the national CA's style" \
    'CN = Тоқтаров Бауыржан Әділұлы, SN = Тоқтаров, serialNumber = IIN720608311239, C = KZ, O = Алматы қаласының білім басқармасы, OU = BIN990740001235' \
    openssl x509 -noout -subject -nameopt oneline,-esc_msb -in "$PKI/certs/org-750000000.pem"
check_output "the CRL lists the revoked test case" "$(ctl pki list | awk '/revoked-951203407770/ {print $1}')" \
    openssl crl -noout -text -in "$PKI/crl.pem"

# --- Good signatures
check "a citizen signs a file (detached)" sign_as 850314301234
check_exit "... and it verifies against the IIN the request claims (exit 0)" 0 \
    verify_doc "$EGOV_TEST_DIR/850314301234.sig" --iin 850314301234
check_output "... printing the outcome and the signer" \
    '^OK .*signer +Асқаров Ерлан Серікұлы .*iin +850314301234 .*issuer +ТЕСТ ҰЛТТЫҚ' \
    oneline verify_doc "$EGOV_TEST_DIR/850314301234.sig"
check_output "the signature is one line of base64" '^MII[A-Za-z0-9+/]+=*$' \
    cat "$EGOV_TEST_DIR/850314301234.sig"
base64 -d "$EGOV_TEST_DIR/850314301234.sig" >"$EGOV_TEST_DIR/signature.der"
cat "$PKI/issuing-ca.pem" "$PKI/root-ca.pem" >"$EGOV_TEST_DIR/chain.pem"
check_output "OpenSSL's own tool accepts it too" 'Verification successful' \
    openssl cms -verify -binary -inform DER -in "$EGOV_TEST_DIR/signature.der" -content "$DOC" \
        -CAfile "$EGOV_TEST_DIR/chain.pem" -purpose any -out /dev/null
check_exit "DER input verifies as well" 0 verify_doc "$EGOV_TEST_DIR/signature.der"
check "an attached signature carries the content" sign_as operator1 --attached
check_exit "... and verifies without --content" 0 ctl verify "$EGOV_TEST_DIR/operator1.sig"
check_exit "... and with the same content given" 0 verify_doc "$EGOV_TEST_DIR/operator1.sig"
check_output "the signing time can be the simulation clock's (and - is standard input)" \
    "signed at +$(days_from_now -30)T10:00:00.000\\+05:00" oneline sign_at_and_verify "$(days_from_now -30)T10:00:00"
check "a provider's head signs for the organisation" sign_as org-230000000
check_output "... and the BIN and the organisation are told" \
    '^OK .*bin +001240004567 Атырау облысының білім беру басқармасы' \
    oneline verify_doc "$EGOV_TEST_DIR/org-230000000.sig" --iin 691121422456
check_output "--json gives the outcome and the signer" '"outcome": "OK".*"iin": "850314301234"' \
    oneline ctl --json verify --content "$DOC" "$EGOV_TEST_DIR/850314301234.sig"

# --- Every negative outcome, exit 6
check_exit "another person's IIN is IIN_MISMATCH (exit 6)" 6 \
    verify_doc "$EGOV_TEST_DIR/850314301234.sig" --iin 900722404568
check_output "... named so" '^IIN_MISMATCH' verify_doc "$EGOV_TEST_DIR/850314301234.sig" --iin 900722404568
sign_as revoked-951203407770
check_output "the revoked test certificate is CERT_REVOKED" '^CERT_REVOKED' \
    verify_doc "$EGOV_TEST_DIR/revoked-951203407770.sig"
sign_as expired-900722404568
check_output "the expired test certificate is CERT_EXPIRED" '^CERT_EXPIRED' \
    verify_doc "$EGOV_TEST_DIR/expired-900722404568.sig"
check_exit "... exit 6" 6 verify_doc "$EGOV_TEST_DIR/expired-900722404568.sig"
sign_as untrusted-850314301234
check_output "a certificate from a CA nobody trusts is UNKNOWN_ISSUER" '^UNKNOWN_ISSUER' \
    verify_doc "$EGOV_TEST_DIR/untrusted-850314301234.sig"
sign_as future-850314301234
check_output "a certificate valid only later is CERT_NOT_YET_VALID" '^CERT_NOT_YET_VALID' \
    verify_doc "$EGOV_TEST_DIR/future-850314301234.sig"
sign_as auth-850314301234
check_output "an authentication certificate is WRONG_KEY_USAGE" '^WRONG_KEY_USAGE.*nonRepudiation' \
    oneline verify_doc "$EGOV_TEST_DIR/auth-850314301234.sig"
printf 'Өтініш: экстернат, 2027\nIIN 850314301234\n' >"$EGOV_TEST_DIR/changed.txt"
check_output "changed content is BAD_SIGNATURE" '^BAD_SIGNATURE' \
    ctl verify --content "$EGOV_TEST_DIR/changed.txt" "$EGOV_TEST_DIR/850314301234.sig"
check_output "... also against an attached signature's content" '^BAD_SIGNATURE' \
    ctl verify --content "$EGOV_TEST_DIR/changed.txt" "$EGOV_TEST_DIR/operator1.sig"
cp "$EGOV_TEST_DIR/signature.der" "$EGOV_TEST_DIR/tampered.der"
flip_byte "$EGOV_TEST_DIR/tampered.der" $(( $(stat -c %s "$EGOV_TEST_DIR/tampered.der") - 7 ))
check_output "a changed bit in the signature value is BAD_SIGNATURE" '^BAD_SIGNATURE' \
    verify_doc "$EGOV_TEST_DIR/tampered.der"

# --- Malformed input
head -c 700 "$EGOV_TEST_DIR/signature.der" >"$EGOV_TEST_DIR/truncated.der"
check_output "truncated DER is MALFORMED" '^MALFORMED' verify_doc "$EGOV_TEST_DIR/truncated.der"
head -c 1000 "$EGOV_TEST_DIR/850314301234.sig" >"$EGOV_TEST_DIR/truncated.b64"
check_output "truncated base64 is MALFORMED" '^MALFORMED' verify_doc "$EGOV_TEST_DIR/truncated.b64"
head -c 2000 /dev/urandom >"$EGOV_TEST_DIR/garbage.bin"
check_output "random bytes are MALFORMED" '^MALFORMED' verify_doc "$EGOV_TEST_DIR/garbage.bin"
check_output "a text file is MALFORMED" '^MALFORMED' verify_doc "$DOC"
: >"$EGOV_TEST_DIR/empty"
check_exit "an empty file is MALFORMED (exit 6)" 6 verify_doc "$EGOV_TEST_DIR/empty"
check_output "a detached signature without its content is MALFORMED" '^MALFORMED.*content' \
    oneline ctl verify "$EGOV_TEST_DIR/850314301234.sig"

# --- The time judged at (the simulation clock's)
check_output "the expired certificate was good while valid" '^OK' \
    verify_doc "$EGOV_TEST_DIR/expired-900722404568.sig" --at "$(days_from_now -600)"
check_output "the future certificate is good once valid" '^OK' \
    verify_doc "$EGOV_TEST_DIR/future-850314301234.sig" --at "$(days_from_now 900)T12:00:00+05:00"
check_output "a good certificate is CERT_EXPIRED after its end" '^CERT_EXPIRED' \
    verify_doc "$EGOV_TEST_DIR/850314301234.sig" --at "$(days_from_now 1000)"
check_output "... and CERT_NOT_YET_VALID before its start (ms since the epoch)" '^CERT_NOT_YET_VALID' \
    verify_doc "$EGOV_TEST_DIR/850314301234.sig" --at "$(( ($(date +%s) - 400 * 86400) * 1000 ))"

# --- Issuing and revoking by hand
check_output "pki issue makes an authentication certificate" '^label +850314301234-[0-9A-F]{16}$' \
    ctl pki issue --name "Асқаров Ерлан Серікұлы" --iin 850314301234 --usage auth --days 30
label=$(ctl pki list | awk '$3 == "auth" && $5 ~ /^850314301234-/ {print $5}')
check "... whose key signs" sign_as "$label"
check_output "... and which is WRONG_KEY_USAGE" '^WRONG_KEY_USAGE' verify_doc "$EGOV_TEST_DIR/$label.sig"
check_exit "a wrong check digit is refused (exit 64)" 64 ctl pki issue --name X --iin 850314301235
check_output "... as INVALID_IIN" 'INVALID_IIN' ctl pki issue --name X --iin 850314301235
check_output "a BIN with a wrong 5th digit is INVALID_BIN" 'INVALID_BIN' \
    ctl pki issue --name X --bin 990730001235 --org "ЖШС Тест"
check_exit "--bin without --org is a usage error" 64 ctl pki issue --name X --bin 990740001235
sign_as 781130306545
check_exit "Жұмабаев's signature verifies before revocation" 0 verify_doc "$EGOV_TEST_DIR/781130306545.sig"
serial=$(ctl pki list | awk '$5 == "781130306545" {print $1}')
check_output "pki revoke by serial rewrites the CRL" 'revoked 1 certificate' ctl pki revoke "$serial"
check_output "... and the same signature is now CERT_REVOKED" '^CERT_REVOKED' \
    verify_doc "$EGOV_TEST_DIR/781130306545.sig"
check_output "pki revoke by IIN revokes every certificate of the person" 'revoked [3-9] certificates' \
    ctl pki revoke 850314301234
check_output "... the citizen's signature is CERT_REVOKED" '^CERT_REVOKED' \
    verify_doc "$EGOV_TEST_DIR/850314301234.sig"
check_output "revoking again says so" 'already revoked' ctl pki revoke "$serial"
check_exit "revoking an IIN with no certificate is 'not found' (exit 3)" 3 ctl pki revoke 010101599994
check_output "pki init keeps revocations" '0 issued now.*revoked .*781130306545' oneline init_and_list

# --- Command line
check_exit "verify without SIGFILE is a usage error" 64 ctl verify
check_exit "sign without --key is a usage error" 64 ctl sign --cert x "$DOC"
check_exit "a malformed --at is a usage error" 64 verify_doc "$EGOV_TEST_DIR/850314301234.sig" --at yesterday
check_exit "--iin wants 12 digits" 64 verify_doc "$EGOV_TEST_DIR/850314301234.sig" --iin 123
check_exit "a flag of another command is refused" 64 ctl verify --attached "$EGOV_TEST_DIR/850314301234.sig"
check_exit "an unknown pki command is refused" 64 ctl pki frob
check_output "a key that is not the certificate's is refused" 'KEY_MISMATCH' \
    ctl sign --key "$PKI/keys/operator1.key" --cert "$PKI/certs/operator2.pem" "$DOC"
check_output "egovctl --help lists the commands" 'pki init.*sign --key.*verify \[--content' \
    oneline ctl --help

egov_test_done
