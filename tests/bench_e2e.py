#!/usr/bin/env python3
"""End-to-end benchmark of both diagrams against a running system (tests/bench-e2e.sh
starts one): N applications signed by a citizen on the portal (Diagram 2) and N taken at
the State Corporation's desk (Diagram 1), the providers in auto mode, the simulation
clock advanced past the term once every application is in; it reports complete
applications per second, from the first submission to the last signed result back in
the cabinet / at the desk, and p50/p99 per stage from the channels' own histories.

    tests/bench_e2e.py --portal URL --desk URL --pki DIR --egovctl PATH \
        --portal-db CONNINFO --desk-db CONNINFO [--count N] [--clients C]

The requests are built and signed (CMS, the citizen's key of the test CA) before the
clock starts; the client keeps C requests in flight per channel."""
import argparse
import base64
import concurrent.futures
import json
import subprocess
import sys
import threading
import time

import http.client
import urllib.parse
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs7

CITIZEN = "850314301234"        # the fixed person with a demo signing certificate
CHILD = "150913500422"          # his child, on the birth certificate
REGION = "750000000"            # Almaty: externat-permit on the portal and at the desk
PASSWORD = "bench password 1"


def sign(pki, label, data):
    """A detached CMS SignedData over data, DER, by certificate label of the test CA."""
    with open(f"{pki}/keys/{label}.key", "rb") as f:
        key = serialization.load_pem_private_key(f.read(), password=None)
    with open(f"{pki}/certs/{label}.pem", "rb") as f:
        cert = x509.load_pem_x509_certificate(f.read())
    return (pkcs7.PKCS7SignatureBuilder().set_data(data)
            .add_signer(cert, key, hashes.SHA256())
            .sign(serialization.Encoding.DER, [pkcs7.PKCS7Options.DetachedSignature]))


def b64(data):
    return base64.b64encode(data).decode()


def doc(kind):
    return {"type": kind, "name": f"{kind}.pdf", "content_base64": b64(f"scan of {kind}".encode())}


def form(index):
    return {"child_iin": CHILD, "grade": 5, "school": f"Gymnasium No {index}", "reason": "health"}


def call(base, method, path, body=None, token=None, connection=None):
    """One HTTP request; (status, parsed JSON or text). Reuses connection when given."""
    url = urllib.parse.urlsplit(base)
    own = connection is None
    connection = connection or http.client.HTTPConnection(url.hostname, url.port, timeout=60)
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    payload = body if isinstance(body, (str, bytes)) or body is None else json.dumps(body)
    connection.request(method, path, body=payload, headers=headers)
    answer = connection.getresponse()
    text = answer.read().decode()
    if own:
        connection.close()
    try:
        return answer.status, json.loads(text)
    except ValueError:
        return answer.status, text


def psql(conninfo, sql):
    out = subprocess.run(["psql", "-XAtq", "-F", "|", "-d", conninfo, "-c", sql],
                         check=True, capture_output=True, text=True).stdout
    return out.strip()


class Session:
    """One psql kept open for polling: a new psql and server process five times a
    second would cost the machine more than a tenth of what it measures."""

    def __init__(self, conninfo):
        self.process = subprocess.Popen(["psql", "-XAtq", "-F", "|", "-v", "ON_ERROR_STOP=1",
                                         "-d", conninfo], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, text=True, bufsize=1)

    def query(self, sql):
        self.process.stdin.write(sql.rstrip().rstrip(";") + ";\n\\echo __done__\n")
        self.process.stdin.flush()
        lines = []
        while True:
            line = self.process.stdout.readline()
            if not line:
                sys.exit("bench: the polling psql went away")
            if line.strip() == "__done__":
                return "\n".join(lines).strip()
            lines.append(line.rstrip("\n"))

    def close(self):
        self.process.stdin.close()
        self.process.wait()


def percentile(values, share):
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(round(share * (len(values) - 1))))]


class Channel:
    """One channel's submissions: bodies prepared, then sent with C in flight."""

    def __init__(self, name, base, token, bodies):
        self.name, self.base, self.token, self.bodies = name, base, token, bodies
        self.latencies, self.ids, self.errors = [], [], []
        self.local = threading.local()
        self.lock = threading.Lock()

    def connection(self):
        if not hasattr(self.local, "connection"):
            url = urllib.parse.urlsplit(self.base)
            self.local.connection = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
        return self.local.connection

    def submit(self, body):
        started = time.monotonic()
        status, answer = call(self.base, "POST", "/api/v1/applications", body, self.token,
                              self.connection())
        elapsed = time.monotonic() - started
        with self.lock:
            if status in (200, 201, 202):
                self.latencies.append(elapsed)
                self.ids.append(answer["id"])
            else:
                self.errors.append(f"{status} {str(answer)[:200]}")

    def run(self, clients):
        with concurrent.futures.ThreadPoolExecutor(clients) as pool:
            list(pool.map(self.submit, self.bodies))


STAGES_SQL = """
WITH h AS (
  SELECT application_id,
         min (at_wall) FILTER (WHERE status = 'ACCEPTED') AS accepted,
         min (at_wall) FILTER (WHERE status = 'SENT') AS sent,
         min (at_wall) FILTER (WHERE status = 'REGISTERED') AS registered,
         max (at_wall) FILTER (WHERE status = 'IN_PROGRESS') AS progressed,
         min (at_wall) FILTER (WHERE status IN ('READY', 'REFUSED')) AS decided
    FROM history WHERE application_id = ANY ({ids}) GROUP BY application_id)
SELECT extract (epoch FROM sent - accepted) * 1000,
       extract (epoch FROM registered - sent) * 1000,
       extract (epoch FROM progressed - greatest (registered, to_timestamp ({jump}))) * 1000,
       extract (epoch FROM decided - progressed) * 1000,
       extract (epoch FROM decided) - {start}
  FROM h WHERE decided IS NOT NULL AND accepted IS NOT NULL AND progressed IS NOT NULL"""


def id_array(ids):
    """The applications of this run, as an SQL array: the databases may hold others."""
    return "'{%s}'::uuid []" % ",".join(ids)


def stages(conninfo, start, jump, ids):
    sql = STAGES_SQL.format(start=start, jump=jump, ids=id_array(ids))
    rows = [line.split("|") for line in psql(conninfo, sql).splitlines()]
    rows = [[float(value) for value in row] for row in rows if all(row)]
    return list(zip(*rows)) if rows else [[]] * 5


def main():
    parser = argparse.ArgumentParser()
    for flag in ("--portal", "--desk", "--pki", "--egovctl", "--portal-db", "--desk-db"):
        parser.add_argument(flag, required=True)
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--advance", default="30d")
    options = parser.parse_args()
    pki, count = options.pki, options.count

    # The citizen registers (his e-signature over the portal's challenge) and logs in
    challenge = base64.b64decode(call(options.portal, "GET", "/api/v1/citizens/challenge")[1]["document"])
    status, answer = call(options.portal, "POST", "/api/v1/citizens", {
        "iin": CITIZEN, "password": PASSWORD, "document": b64(challenge),
        "signature": b64(sign(pki, CITIZEN, challenge))})
    if status not in (200, 201, 409):
        sys.exit(f"bench: registration on the portal: {status} {answer}")
    citizen = call(options.portal, "POST", "/api/v1/login", {"iin": CITIZEN, "password": PASSWORD})[1]["token"]
    operator = call(options.desk, "POST", "/api/v1/operator/login",
                    {"login": "operator1", "password": "demo-operator1"})[1]["token"]

    # Every request built and signed before the clock starts
    portal_bodies = []
    for index in range(count):
        document = json.dumps({"service": "externat-permit", "region": REGION, "iin": CITIZEN,
                               "form": form(index),
                               "attachments": [doc("application"), doc("reason-document")]},
                              separators=(",", ":")).encode()
        portal_bodies.append(json.dumps({"document": b64(document),
                                         "signature": b64(sign(pki, CITIZEN, document))}))
    desk_bodies = [json.dumps({"service": "externat-permit", "region": REGION, "applicant_iin": CITIZEN,
                               "consent": True, "form": form(count + index),
                               "documents": [doc("application"), doc("identity-document"),
                                             doc("reason-document")]})
                   for index in range(count)]
    channels = [Channel("portal", options.portal, citizen, portal_bodies),
                Channel("desk", options.desk, operator, desk_bodies)]

    start = time.time()
    client_cpu = time.process_time()
    threads = [threading.Thread(target=channel.run, args=(options.clients,)) for channel in channels]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    submitted = time.time()
    client_cpu = time.process_time() - client_cpu
    for channel in channels:
        if channel.errors:
            print(f"{channel.name}: {len(channel.errors)} refused, first: {channel.errors[0]}", file=sys.stderr)
    if not any(channel.ids for channel in channels):
        sys.exit("bench: no application was accepted")
    # Every application registered before the providers' days pass
    databases = {"portal": options.portal_db, "desk": options.desk_db}
    sessions = {name: Session(databases[name]) for name in databases}
    expected = {channel.name: len(channel.ids) for channel in channels}
    mine = {channel.name: id_array(channel.ids) for channel in channels}
    while True:
        waiting = sum(int(sessions[name].query("SELECT count (*) FROM application WHERE status"
                                               " IN ('ACCEPTED', 'SENT') AND id = ANY (%s)" % mine[name]))
                      for name in databases)
        if waiting == 0 or time.time() - submitted > 300:
            break
        time.sleep(0.05)
    jump = time.time()
    subprocess.run([options.egovctl, "clock", "advance", options.advance], check=True,
                   stdout=subprocess.DEVNULL)
    done = {}
    while time.time() - jump < 900:
        done = {name: int(sessions[name].query("SELECT count (*) FROM application WHERE status"
                                                " IN ('READY', 'REFUSED', 'ISSUED') AND id = ANY (%s)"
                                                % mine[name])) for name in databases}
        if all(done [name] >= expected [name] for name in databases):
            break
        time.sleep(0.05)
    finished = time.time()
    for session in sessions.values():
        session.close()

    total = sum(done.values())
    # Met only when every application was accepted and came back
    complete = total == 2 * count and not any(channel.errors for channel in channels)
    print(f"end to end: {total} of {2 * count} applications decided and signed back"
          f" ({done.get('portal', 0)} portal, {done.get('desk', 0)} desk), {options.clients} in flight per channel")
    print(f"  submitting {submitted - start:.2f} s, registering {jump - submitted:.2f} s,"
          f" after the clock jump ({options.advance}) {finished - jump:.2f} s")
    rate = total / (finished - start)
    print(f"  complete applications = {rate:.0f}/s (first submission to last result;"
          f" target >= 250/s: {'met' if complete and rate >= 250 else 'NOT met'})")
    print(f"  accepted = {sum(expected.values()) / (submitted - start):.0f}/s over HTTP"
          f" (this client's own CPU meanwhile: {client_cpu / (submitted - start):.0%} of one core);"
          f" decided after the jump = {total / max(finished - jump, 1e-9):.0f}/s")
    for channel in channels:
        store, registration, provider, back, _ = stages(databases[channel.name], start, jump, channel.ids)
        accept = [value * 1000 for value in channel.latencies]
        line = "  %-6s p50/p99 ms: HTTP accept %.1f/%.1f, gateway store %.1f/%.1f, registration %.1f/%.1f," \
               " provider steps (after the jump) %.0f/%.0f, result back %.1f/%.1f"
        print(line % (channel.name, percentile(accept, .5), percentile(accept, .99),
                      percentile(store, .5), percentile(store, .99),
                      percentile(registration, .5), percentile(registration, .99),
                      percentile(provider, .5), percentile(provider, .99),
                      percentile(back, .5), percentile(back, .99)))
    return 0 if complete else 1


if __name__ == "__main__":
    sys.exit(main())
