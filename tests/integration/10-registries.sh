#!/usr/bin/env bash
# Registry look-ups through the gateway, as the State Corporation's intake makes
# them: found, not found, malformed; every power-of-attorney answer; and a
# registry that is down, silent, or refusing, each with its own error code.
# date-sensitive: the registries judge documents and powers of attorney at the simulated date (tests/run-all.sh runs it again as of other moments)
source "$(dirname "$0")/common.sh"
it_setup shep gbdfl enis sink
it_start_gateway
it_start_registries
ctl() { "$EGOV_BIN/egovctl" "$@"; }

check_output "a fixed person is found with documents and address" \
    'Асқаров Ерлан Серікұлы.*1985-03-14.*MALE.*750000000.*ID_CARD' oneline ctl person 850314301234
check_output "a parent's record links the child's birth certificate" \
    'child 150913500422.*father 850314301234' oneline ctl person 850314301234
check_output "a mother has both children's certificates" \
    'child 200510607893.*child 230201503215' oneline ctl person 900722404568
check_output "the Atyrau resident carries her region's KATO code" \
    'Сейітова Дана Маратқызы.*230000000' oneline ctl person 951203407770
check_output "JSON output carries the person" \
    '"iin": *"150913500422"' ctl --json person 150913500422
check_exit "a well-formed IIN of nobody is 'not found' (exit 3), not an error" 3 ctl person 010101599994
check_output "... and says so" 'not found: no person with IIN 010101599994' ctl person 010101599994
check_exit "a wrong check digit is an error (exit 2)" 2 ctl person 850314301235
check_output "... INVALID_IIN naming the check digit" 'INVALID_IIN.*check digit' ctl person 850314301235
check_output "a short IIN is INVALID_IIN" 'INVALID_IIN' ctl person 12345
check_output "letters in an IIN are INVALID_IIN" 'INVALID_IIN' ctl person 85031430123A
check_output "the synthetic population is there (10,000 + fixed)" \
    '^1000[0-9]$' it_psql gbdfl -Atc "SELECT count(*) FROM person"

check_exit "POA-2026-0001 is VALID for its representative (exit 0)" 0 \
    ctl poa POA-2026-0001 --representative 781130306545
check_output "... with principal and validity" 'VALID.*850314301234.*2035-12-31' \
    oneline ctl poa POA-2026-0001 --representative 781130306545
check_output "POA-2025-0002 is EXPIRED" 'EXPIRED' ctl poa POA-2025-0002 --representative 781130306545
check_output "POA-2026-0003 is REVOKED" 'REVOKED' ctl poa POA-2026-0003 --representative 781130306545
check_output "an unknown number is NOT_FOUND" 'NOT_FOUND' ctl poa POA-1999-9999 --representative 781130306545
check_output "another representative is NOT_THIS_REPRESENTATIVE" 'NOT_THIS_REPRESENTATIVE' \
    ctl poa POA-2026-0001 --representative 900722404568
check_output "a malformed representative IIN is INVALID_IIN" 'INVALID_IIN' \
    ctl poa POA-2026-0001 --representative 850314301235
check_output "a revocation written to the registry counts at once" 'REVOKED' \
    bash -c "'$EGOV_REPO/deploy/pg.sh' psql enis -qc \"UPDATE power_of_attorney SET revoked_on = current_date WHERE number = 'POA-2026-0001'\" >/dev/null && '$EGOV_BIN/egovctl' poa POA-2026-0001 --representative 781130306545"

# The registry goes away: NO_PROVIDER, then back
egov_kill enis TERM
egov_wait_for it_gone enis
check_output "a registry that is down gives NO_PROVIDER" 'NO_PROVIDER' \
    ctl poa POA-2026-0001 --representative 781130306545

# A provider that never answers: TIMEOUT; one that refuses: REFUSED with its cause
it_grant 'silent provide enis.poa' 'refusing provide enis.poa'
egov_start silent "$EGOV_BIN/shep-sink" --id silent --service enis.poa --sync ignore --db "$(it_db sink)"
egov_wait_for it_connected silent
check_output "a provider that does not answer gives TIMEOUT" 'TIMEOUT' \
    ctl --timeout 500 poa POA-2026-0001 --representative 781130306545
egov_kill silent TERM
egov_start refusing "$EGOV_BIN/shep-sink" --id refusing --service enis.poa --sync refuse --db "$(it_db sink)"
egov_wait_for it_connected refusing
check_output "a provider that refuses gives REFUSED with its reason" 'REFUSED.*NOT_A_PROVIDER' \
    ctl poa POA-2026-0001 --representative 781130306545
egov_kill refusing TERM

# The real registry comes back and answers again
it_start_enis
check_output "the registry back answers again" 'REVOKED' ctl poa POA-2026-0001 --representative 781130306545

# Faults injected at the gateway: the registry as a failing, slow or silent provider
check_output "a fault: the next look-up fails with the code given" '^fault 1 added' \
    ctl fault add --service gbdfl.person --error REGISTRY_DOWN --times 1
check_output "... the caller gets that code" 'error REGISTRY_DOWN' ctl person 850314301234
check_output "... once: the next look-up is answered" 'Асқаров Ерлан' ctl person 850314301234
ctl fault add --participant gbdfl --delay 2000 >/dev/null
check_output "a slow provider (held 2 s): a caller with a 1 s deadline gets TIMEOUT" 'error TIMEOUT' \
    ctl --timeout 1000 person 850314301234
check_output "... a patient caller is answered after the delay" 'Асқаров Ерлан' ctl --timeout 5000 person 850314301234
check_output "the faults are listed with how often they applied" '^[0-9]+ +- +- +gbdfl +2000 ms .* +2$' \
    ctl fault list
check_output "cleared, the look-up is quick again" '^cleared; 0 faults left' ctl fault clear
check_output "a silent provider: the call is dropped, the caller times out" 'error TIMEOUT' \
    bash -c "'$EGOV_BIN/egovctl' fault add --service gbdfl.person --drop 100 --times 1 >/dev/null &&
             '$EGOV_BIN/egovctl' --timeout 1000 person 850314301234"
check_output "every injected fault is in the message log" 'fault 1: REGISTRY_DOWN.*fault [0-9]+: held 2000 ms.*dropped' \
    oneline ctl log --participant gbdfl
check_output "injecting faults takes the fault right" 'ACCESS_DENIED' ctl --as intake fault list
check_output "a fault that does nothing is refused" 'fault add needs --delay, --error or --drop' \
    ctl fault add --service gbdfl.person --times 3
check_output "every look-up shows in the message log" 'gbdfl.person.*REQUEST' ctl log --participant gbdfl
check "the message log's hash chain holds" ctl log verify
egov_test_done
