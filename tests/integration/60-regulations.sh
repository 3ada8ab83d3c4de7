#!/usr/bin/env bash
# The regulations as data, from the command line: egovctl catalogue lists and shows
# every service of the seeds with its sources; egovctl deadline applies the one
# deadline convention (receipt on the channel's hours, the day of receipt not
# counted, working days on the provider's calendar) across weekends, holidays, the
# moved-day-off rule, transfer orders, year boundaries and application windows; a
# broken catalogue or calendar file is refused with the file and the field named.
# No gateway and no database: these commands read regulations/ only.
source "$(dirname "$0")/common.sh"
export EGOV_REGULATIONS=$EGOV_REPO/regulations
ctl() { "$EGOV_BIN/egovctl" "$@"; }
deadline() { oneline ctl deadline "$@"; }

# The catalogue
check_output "the catalogue lists all 14 regional variants" '^14$' \
    bash -c "'$EGOV_BIN/egovctl' --json catalogue | python3 -c 'import json,sys; print(len(json.load(sys.stdin)[\"services\"]))'"
check_output "externat in Almaty: State Corporation and portal, 15 wd from seed 000" \
    'externat-permit +750000000 +Almaty city +state-corp, portal +15wd +000' ctl catalogue
check_output "a deadline the seed does not state is starred as assumed" \
    'tvet-dormitory +270000000 .* 10wd\*' ctl catalogue list
check_output "--channel portal keeps the five services offered on the portal" '^5 5$' \
    bash -c "out=\$('$EGOV_BIN/egovctl' catalogue --channel portal | sed 1d | grep -v '^\*'); echo \$(wc -l <<<\"\$out\") \$(grep -c portal <<<\"\$out\")"
check_output "--region 270000000 lists the three West Kazakhstan services only" \
    '^3$' bash -c "'$EGOV_BIN/egovctl' catalogue --region 270000000 | grep -c ' 270000000 '"
check_output "show cites the seed item of each step" \
    '3\. executor 14wd .*items 7 2\), 10 3\)' ctl catalogue show externat-permit --region 750000000
check_output "show marks assumed documents (Standard item 9)" \
    'identity-document: .*assumed: Standard item 9' ctl catalogue show tvet-duplicate
check_output "show without --region shows both variants" \
    'externat-permit in Atyrau region.*externat-permit in Almaty city' oneline ctl catalogue show externat-permit
check_output "show --json gives the file as loaded" '"kato": "430000000"' \
    ctl --json catalogue show kindergarten-queue --region 430000000
check_exit "an unknown code is not found (exit 3)" 3 ctl catalogue show no-such-service
check_output "... NOT_FOUND" 'NOT_FOUND' ctl catalogue show no-such-service
check_exit "a malformed KATO is a usage error (exit 64)" 64 ctl catalogue --region 75

# Seed 004: the queue register answers the State Corporation's applications itself, within
# 30 minutes of the State Corporation's hours (a Saturday too); the office's on the provider's
check_output "Kyzylorda's kindergarten queue at the State Corporation on a Saturday: due 30 minutes later" \
    "working time on the channel's own .*Mon-Sat 09:00-20:00.*due +2026-03-14T10:30:00\+05:00 Saturday" \
    deadline --service kindergarten-queue --region 430000000 --channel state-corp --at 2026-03-14T10:00
check_output "... at its office: on the provider's hours, Monday" \
    "working time on the provider's hours.*due +2026-03-16T09:30:00\+05:00 Monday" \
    deadline --service kindergarten-queue --region 430000000 --channel office --at 2026-03-14T10:00

# Deadlines: Friday 20 March 2026 before Nauryz (21-23 March, Saturday to Monday)
check_output "State Corporation at 19:30 on Friday: received at once" \
    'received +2026-03-20T19:30:00\+05:00 Friday \(inside working hours' \
    deadline --service externat-permit --region 750000000 --channel state-corp --at 2026-03-20T19:30
check_output "... Nauryz and the two moved days off are skipped, with the reason" \
    '2026-03-23 Monday +skipped: Nauryz .*2026-03-24 Tuesday +skipped: moved day off for Nauryz \(Saturday 2026-03-21\) .*2026-03-25 Wednesday +skipped: moved day off for Nauryz \(Sunday 2026-03-22\)' \
    deadline --service externat-permit --region 750000000 --channel state-corp --at 2026-03-20T19:30
check_output "... 15 working days end at 18:00 on 15 April" 'due +2026-04-15T18:00:00\+05:00 Wednesday' \
    deadline --service externat-permit --region 750000000 --channel state-corp --at 2026-03-20T19:30
check_output "the State Corporation at 20:00 is closed: received on Wednesday 25 March (its six-day week rests 24 March only)" \
    'received +2026-03-25T09:00:00\+05:00 Wednesday \(after closing' \
    deadline --service externat-permit --region 750000000 --channel state-corp --at 2026-03-20T20:00
check_output "the portal at night on a holiday: received at 09:00 on the next working day" \
    'received +2026-03-26T09:00:00\+05:00 Thursday \(on a day off.*due +2026-04-16T18:00:00\+05:00' \
    deadline --service externat-permit --region 750000000 --channel portal --at 2026-03-21T03:00
check_output "the office in its lunch break: received when work resumes" \
    'received +2026-03-16T14:00:00\+05:00 Monday \(in a break' \
    deadline --service school-duplicate --region 750000000 --channel office --at 2026-03-16T13:30
check_output "a time with a zone is converted (14:30Z is 19:30 in Almaty)" \
    'submitted +2026-03-20T19:30:00\+05:00' \
    deadline --service externat-permit --region 750000000 --channel state-corp --at 2026-03-20T14:30Z
check_output "over New Year: 1-2 January, the weekend and Orthodox Christmas are skipped" \
    '2026-01-01 Thursday +skipped: New Year .*2026-01-07 Wednesday +skipped: Orthodox Christmas .*due +2026-01-09T18:00:00\+05:00' \
    deadline --service school-admission --region 750000000 --channel office --at 2025-12-30T10:00
check_output "the 2024 transfer order: Saturday 4 May works, Wednesday 8 May is off" \
    '2024-05-04 Saturday +working day 1.*2024-05-08 Wednesday +skipped: transfer 2024: day off moved here from Saturday 2024-05-04' \
    deadline --service school-admission --region 750000000 --channel office --at 2024-05-03T17:00
check_output "Kurban Ait on Sunday 16 June 2024 moves nothing: Monday is a working day" \
    '2024-06-16 Sunday +skipped: Kurban Ait \(first day\) .*2024-06-17 Monday +working day' \
    deadline --service school-admission --region 750000000 --channel office --at 2024-06-14T10:00
check_output "minutes are working time: 15m from 17:55 on Friday end at 09:10 on Monday" \
    '5 working minutes .*2026-08-22 Saturday +skipped: Saturday .*due +2026-08-24T09:10:00\+05:00' \
    deadline --service tvet-admission --channel office --at 2026-08-21T17:55 --form evening
check_output "calendar days count days off and end at 24:00" \
    'calendar days 1-20 .*due +2027-01-20T00:00:00\+05:00' \
    deadline --service tvet-duplicate --channel state-corp --at 2026-12-30T19:00
# Constitution Day under the 2026 Constitution: none in 2026, 15 March from 2027
check_output "Monday 31 August 2026 is a working day: received then, due 7 September" \
    'received +2026-08-31T09:00:00\+05:00 Monday .*due +2026-09-07T18:00:00\+05:00' \
    deadline --service school-admission --region 750000000 --channel portal --at 2026-08-30T12:00
check_output "... so 15 working days from Friday 28 August 2026 end on 18 September" \
    'due +2026-09-18T18:00:00\+05:00' \
    deadline --service school-duplicate --region 750000000 --channel office --at 2026-08-28T10:00
check_output "Monday 15 March 2027 is Constitution Day" \
    '2027-03-15 Monday +skipped: Constitution Day .*due +2027-04-01T18:00:00\+05:00' \
    deadline --service tvet-order-competition --region 750000000 --channel state-corp --at 2027-03-12T19:00
# Past the published decrees the law's rules still hold
check_output "2041: Nauryz on a Saturday gives Monday 25 March off" \
    '2041-03-25 Monday +skipped: moved day off for Nauryz \(Saturday 2041-03-23\)' \
    deadline --service school-duplicate --region 750000000 --channel office --at 2041-03-20T10:00
check_output "Kurban Ait without an announced date is computed, and says so" \
    'skipped: Kurban Ait \(first day\), computed date' \
    deadline --service school-admission --region 750000000 --channel office --at 2029-04-20T10:00
check_output "JSON carries the receipt, the due moment and each day" \
    '"due": "2026-04-15T18:00:00\+05:00"' \
    ctl --json deadline --service externat-permit --region 750000000 --channel state-corp --at 2026-03-20T19:30

# Windows
check_exit "TVET full-time applications on 21 August are outside the window (exit 3)" 3 \
    ctl deadline --service tvet-admission --channel office --at 2026-08-21T10:00 --form full-time
check_output "... and it says which window" 'window +CLOSED: applications for full-time 06-20..08-20' \
    deadline --service tvet-admission --channel office --at 2026-08-21T10:00 --form full-time
check_exit "evening study is still open on 21 August" 0 \
    ctl deadline --service tvet-admission --channel office --at 2026-08-21T10:00 --form evening
check_exit "externat applications on 1 December are in time" 0 \
    ctl deadline --service externat-permit --region 750000000 --channel portal --at 2026-12-01T23:00
check_exit "... on 2 December they are late" 3 \
    ctl deadline --service externat-permit --region 750000000 --channel portal --at 2026-12-02T08:00
check_output "first grade opens on 1 June" 'window +open: applications for first-grade 06-01..08-30' \
    deadline --service school-admission --region 750000000 --channel portal --at 2026-06-01T00:30 --form first-grade
check_exit "... and closes after 30 August in Almaty, whose seed times it" 3 \
    ctl deadline --service school-admission --region 750000000 --channel portal --at 2026-10-01T10:00 --form first-grade
check_output "Atyrau's seed states no first-grade window: the borrowed one is not enforced" \
    'window +none stated by the seed: applications are accepted all year' \
    deadline --service school-admission --region 230000000 --channel portal --at 2026-10-01T10:00 --form first-grade
check_output "... nor Atyrau's externat window" 'window +none stated by the seed' \
    deadline --service externat-permit --region 230000000 --channel office --at 2026-03-20T10:00
check_output "... which catalogue show marks" 'application every form +09-01..12-01 .*\[not enforced: the seed states no window\]' \
    ctl catalogue show externat-permit --region 230000000

# Refusals on the command line
check_output "a channel the service does not offer" 'CHANNEL_NOT_OFFERED.*channels: state-corp, portal' \
    ctl deadline --service externat-permit --region 750000000 --channel office --at 2026-03-20T10:00
check_exit "... exit 3" 3 ctl deadline --service externat-permit --region 750000000 --channel office --at 2026-03-20T10:00
check_output "a service in two regions needs --region" 'give --region \(230000000, 750000000\)' \
    ctl deadline --service externat-permit --channel portal --at 2026-03-20T10:00
check_exit "an impossible date is a usage error" 64 \
    ctl deadline --service tvet-dormitory --channel office --at 2026-02-30T10:00
check_exit "a form the service does not name is a usage error" 64 \
    ctl deadline --service tvet-admission --channel office --at 2026-07-01T10:00 --form day
check_output "a date before the calendar's first year is CALENDAR_RANGE (exit 2)" 'CALENDAR_RANGE.*2023-2199' \
    ctl deadline --service tvet-dormitory --channel office --at 2022-02-01T10:00
check_exit "... exit 2" 2 ctl deadline --service tvet-dormitory --channel office --at 2022-02-01T10:00
check_exit "... and so is a count that walks past its last year" 2 \
    ctl deadline --service externat-permit --region 750000000 --channel state-corp --at 2199-12-30T19:00

# Broken data is refused, naming the file and the field
broken=$EGOV_TEST_DIR/regulations
cp -r "$EGOV_REPO/regulations" "$broken"
check "a copy of the data loads" ctl --regulations "$broken" catalogue
python3 - "$broken/catalogue/externat-permit.750000000.json" <<'PY'
import json, sys
with open(sys.argv[1]) as f: entry = json.load(f)
entry["steps"][2]["max"] = "14 working days"
with open(sys.argv[1], "w") as f: json.dump(entry, f, ensure_ascii=False, indent=2)
PY
check_exit "a broken catalogue file stops the command (exit 1)" 1 ctl --regulations "$broken" catalogue
check_output "... CATALOGUE_INVALID naming the file and the field" \
    "CATALOGUE_INVALID: .*externat-permit\.750000000\.json: \\\$\.steps\[2\]: \"max\" '14 working days' is not a duration" \
    ctl --regulations "$broken" catalogue
check_output "... with --json too" '"code": "CATALOGUE_INVALID"' \
    ctl --json --regulations "$broken" deadline --service tvet-dormitory --channel office --at 2026-03-20T10:00
cp "$EGOV_REPO/regulations/catalogue/externat-permit.750000000.json" "$broken/catalogue/"
echo '{"format": 1, "code": "tvet-admission"' >"$broken/catalogue/tvet-admission.270000000.json"
check_output "a file that is not JSON is named with its line" \
    'CATALOGUE_INVALID: .*tvet-admission\.270000000\.json: \$: not valid JSON at line' \
    ctl --regulations "$broken" catalogue
cp "$EGOV_REPO/regulations/catalogue/tvet-admission.270000000.json" "$broken/catalogue/"
sed -i 's/"utc_offset": "+05:00"/"utc_offset": "UTC+5"/' "$broken/calendar/kz.json"
check_output "a broken calendar is CALENDAR_INVALID naming the field" \
    "CALENDAR_INVALID: .*kz\.json: \\\$\.utc_offset: 'UTC\+5' is not \+hh:mm" \
    ctl --regulations "$broken" deadline --service tvet-dormitory --channel office --at 2026-03-20T10:00
check_exit "a missing directory is a local error (exit 1)" 1 ctl --regulations "$EGOV_TEST_DIR/nowhere" catalogue

egov_test_done
