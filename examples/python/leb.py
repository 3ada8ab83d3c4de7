#!/usr/bin/python3
"""A local executive body (ЖАО) of one region, written in Python against the
central gateway's wire protocol, in place of the built-in `leb` stub.

It connects a CURVE-authenticated DEALER socket as leb-<KATO> with that
participant's key pair, says hello with receive_async, takes
`application.registered` deliveries from its regional gateway only, and for
each application sends a status notice (IN_PROGRESS) and then the decision:
a Result whose document (JSON, docs/result.schema.json) is signed with
`openssl cms` by the region's provider organisation's certificate. It
acknowledges each delivery once its answers are on their way, and answers a
delivery it has already decided with the same Result again.

Only Debian's python3-zmq and python3-protobuf are needed: the message types
come from the repository's .proto files at start (protoc-c writes them as a
descriptor set; no generated code is kept).

    examples/python/leb.py --region 750000000 [--gateway tcp://127.0.0.1:7700]
        [--keys var/keys] [--pki var/pki] [--refuse]

--refuse decides every application as a motivated refusal. The decisions it
made are kept in --state (a JSON file), so a restart answers a redelivery
with the same decision and outgoing number.
"""
import argparse
import glob
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid

import zmq
import zmq.auth
from google.protobuf import descriptor_pb2, message_factory

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ALMATY_OFFSET_MS = 5 * 3600 * 1000


def load_types(proto_dir):
    """Every message type of the .proto files, by full name."""
    with tempfile.TemporaryDirectory() as folder:
        out = os.path.join(folder, "egov.desc")
        protos = sorted(glob.glob(os.path.join(proto_dir, "*.proto")))
        subprocess.run(["protoc-c", "-I", proto_dir, "--include_imports",
                        "--descriptor_set_out=" + out] + protos, check=True)
        with open(out, "rb") as handle:
            files = descriptor_pb2.FileDescriptorSet.FromString(handle.read()).file
    return message_factory.GetMessages(files)


class Clock:
    """The simulation clock every participant follows (ClockState from the gateway)."""

    def __init__(self):
        self.base_wall, self.base_sim, self.speed, self.version = 0, 0, 1.0, 0

    def apply(self, state):
        if state.version >= self.version and state.base_wall_ms > 0:
            self.base_wall, self.base_sim = state.base_wall_ms, state.base_sim_ms
            self.speed, self.version = state.speed, state.version

    def now_ms(self):
        wall = int(time.time() * 1000)
        if not self.base_wall:
            return wall
        return self.base_sim + int((wall - self.base_wall) * self.speed)

    def iso(self, ms):
        moment = time.gmtime((ms + ALMATY_OFFSET_MS) // 1000)
        return time.strftime("%Y-%m-%dT%H:%M:%S", moment) + ".%03d+05:00" % (ms % 1000)


class Leb:
    def __init__(self, options, types):
        self.options = options
        self.types = types
        self.kato = options.region
        self.id = "leb-" + self.kato
        self.regional = "regional-" + self.kato
        self.clock = Clock()
        self.tag = 0
        self.pending = {}               # tag -> AsyncSubmit frame not yet receipted
        self.decisions = {}             # application id -> {"number", "approved", ...}
        if os.path.exists(options.state):
            with open(options.state) as handle:
                self.decisions = json.load(handle)
        self.context = zmq.Context()
        self.socket = None
        self.heartbeat_ms = 1000

    # --- the link
    def frame(self, **body):
        frame = self.types["egov.shep.Frame"]()
        for name, value in body.items():
            getattr(frame, name).CopyFrom(value)
        self.tag += 1
        frame.tag = self.tag
        return frame

    def connect(self):
        if self.socket:
            self.socket.close(linger=0)
        keys = self.options.keys
        public, secret = zmq.auth.load_certificate(os.path.join(keys, "private", self.id + ".key_secret"))
        server, _ = zmq.auth.load_certificate(os.path.join(keys, "gateway.key"))
        self.socket = self.context.socket(zmq.DEALER)
        self.socket.curve_publickey, self.socket.curve_secretkey = public, secret
        self.socket.curve_serverkey = server
        self.socket.connect(self.options.gateway)
        hello = self.types["egov.shep.Hello"](participant_id=self.id, heartbeat_ms=1000,
                                              protocol_version=1, receive_async=True)
        self.send(self.frame(hello=hello))
        for frame in self.pending.values():     # not receipted before: the gateway stores each once
            self.send(frame)

    def send(self, frame):
        self.socket.send(frame.SerializeToString())

    # --- what we send
    def envelope(self, service, kind, correlation, payload):
        envelope = self.types["egov.Envelope"](
            message_id=str(uuid.uuid4()), correlation_id=correlation, service_id=service,
            message_type=self.types["egov.Envelope"].DESCRIPTOR.fields_by_name["message_type"]
            .enum_type.values_by_name[kind].number,
            message_date=int(time.time() * 1000), sim_date=self.clock.now_ms(),
            recipient_id=self.regional, route_id=self.kato,
            payload_type=payload.DESCRIPTOR.full_name, payload=payload.SerializeToString())
        return envelope

    def submit(self, envelope):
        submit = self.types["egov.shep.AsyncSubmit"](envelope=envelope)
        frame = self.frame(async_submit=submit)
        self.pending[frame.tag] = frame
        self.send(frame)

    def sign(self, document):
        pki = self.options.pki
        signed = subprocess.run(
            ["openssl", "cms", "-sign", "-binary", "-nodetach", "-outform", "DER", "-md", "sha256",
             "-signer", os.path.join(pki, "certs", "org-%s.pem" % self.kato),
             "-inkey", os.path.join(pki, "keys", "org-%s.key" % self.kato)],
            input=document, stdout=subprocess.PIPE, check=True)
        return signed.stdout

    def catalogue_entry(self, service):
        """The service's catalogue entry for our region (regulations/catalogue)."""
        path = os.path.join(self.options.regulations, "catalogue", "%s.%s.json" % (service, self.kato))
        with open(path) as handle:
            return json.load(handle)

    def decide(self, registered):
        """The decision on an application, made once and kept."""
        application = registered.application
        known = self.decisions.get(application.application_id)
        if known:
            return known
        now = self.clock.now_ms()
        approved = not self.options.refuse
        entry = self.catalogue_entry(application.service)
        number = "%s-OUT-%s-%06d" % (self.kato, self.clock.iso(now)[:4], len(self.decisions) + 1)
        document = {
            "kind": entry["results"][0]["kind"] if approved else "motivated-refusal",
            "decision": "approved" if approved else "refused",
            "outgoing_number": number,
            "application_id": application.application_id,
            "registration_number": registered.registration.registration_number,
            "receipt_number": application.receipt_number,
            "service": application.service,
            "service_name": entry["names"],
            "provider": entry["provider"]["name"],
            "standard": entry["standard"],
            "applicant_iin": application.applicant_iin,
            "applicant_name": application.applicant_name,
            "region": self.kato,
            "decided_at": self.clock.iso(now),
            "signer": "org-%s" % self.kato,
        }
        if approved:
            document["result"] = entry["results"][0]["en"]
        else:
            document["grounds"] = ["refused by the integrator's system (--refuse)"]
        if application.HasField("representative") and application.representative.iin:
            document["representative"] = {"iin": application.representative.iin,
                                          "poa_number": application.representative.poa_number}
        decision = {"approved": approved, "number": number, "decided_at": now,
                    "grounds": document.get("grounds", []),
                    "document": json.dumps(document, ensure_ascii=False, sort_keys=True)}
        self.decisions[application.application_id] = decision
        with open(self.options.state + ".new", "w") as handle:
            json.dump(self.decisions, handle)
        os.replace(self.options.state + ".new", self.options.state)
        return decision

    # --- what we receive
    def reject(self, deliver, code, message):
        error = self.types["egov.ErrorInfo"](code=code, message=message)
        ack = self.types["egov.shep.Ack"](message_id=deliver.envelope.message_id, reject=error)
        self.send(self.frame(ack=ack))
        print("leb.py: rejected %s: %s" % (deliver.envelope.message_id, code), flush=True)

    def on_deliver(self, deliver):
        envelope = deliver.envelope
        if envelope.sender_id != self.regional:
            return self.reject(deliver, "UNEXPECTED_SENDER", "only %s hands us applications" % self.regional)
        if envelope.service_id != "application.registered":
            return self.reject(deliver, "UNSUPPORTED_SERVICE", "this leb takes application.registered only")
        Registered = self.types["egov.applications.RegisteredApplication"]
        if envelope.payload_type != Registered.DESCRIPTOR.full_name:
            return self.reject(deliver, "MALFORMED_PAYLOAD", "not a RegisteredApplication")
        try:
            registered = Registered.FromString(envelope.payload)
        except Exception:
            return self.reject(deliver, "MALFORMED_PAYLOAD", "the payload does not decode")
        application = registered.application
        if application.region != self.kato:
            return self.reject(deliver, "WRONG_REGION", "not an application of %s" % self.kato)
        try:
            decision = self.decide(registered)
        except (OSError, KeyError, IndexError, ValueError):
            return self.reject(deliver, "UNKNOWN_SERVICE", "%s is not in the catalogue for %s"
                               % (application.service, self.kato))
        Notice = self.types["egov.applications.StatusNotice"]
        status = Notice.DESCRIPTOR.fields_by_name["status"].enum_type.values_by_name["IN_PROGRESS"].number
        notice = Notice(application_id=application.application_id, status=status,
                        step="the integrator's system decides", role="executor", actor="leb.py",
                        at=self.clock.now_ms(),
                        registration_number=registered.registration.registration_number)
        self.submit(self.envelope("application.status", "UPDATE", envelope.correlation_id, notice))
        document = decision["document"].encode("utf-8")
        result = self.types["egov.applications.Result"](
            application_id=application.application_id, approved=decision["approved"],
            grounds=decision["grounds"], document=document, signature=self.sign(document),
            signer="org-%s" % self.kato, decided_at=decision["decided_at"],
            registration_number=decision["number"])
        self.submit(self.envelope("application.result", "RESPONSE", envelope.correlation_id, result))
        self.send(self.frame(ack=self.types["egov.shep.Ack"](message_id=envelope.message_id)))
        print("leb.py: %s %s, %s" % (application.application_id,
                                    "approved" if decision["approved"] else "refused", decision["number"]),
              flush=True)

    def on_frame(self, frame):
        body = frame.WhichOneof("body")
        if body == "welcome":
            self.heartbeat_ms = min(frame.welcome.heartbeat_ms or 1000, 1000)
            self.clock.apply(frame.welcome.clock)
            print("leb.py: connected as %s to %s" % (self.id, self.options.gateway), flush=True)
        elif body == "clock_state":
            self.clock.apply(frame.clock_state)
        elif body == "deliver":
            self.on_deliver(frame.deliver)
        elif body == "async_receipt":
            if frame.async_receipt.HasField("error") and frame.async_receipt.error.code:
                print("leb.py: not stored: %s" % frame.async_receipt.error.code, flush=True)
                if frame.async_receipt.error.code != "STORE_UNAVAILABLE":
                    self.pending.pop(frame.tag, None)
            else:
                self.pending.pop(frame.tag, None)
        elif body == "error":
            code = frame.error.error.code
            if code == "NOT_REGISTERED":        # the gateway restarted: hello again, resend
                self.connect()
            else:
                print("leb.py: gateway error %s: %s" % (code, frame.error.error.message), flush=True)
                if code in ("IDENTITY_MISMATCH", "ACCESS_DENIED", "REPLACED"):
                    sys.exit(2)

    def run(self):
        self.connect()
        poller = zmq.Poller()
        running = [True]
        signal.signal(signal.SIGTERM, lambda *_: running.__setitem__(0, False))
        signal.signal(signal.SIGINT, lambda *_: running.__setitem__(0, False))
        last_beat = last_heard = time.monotonic()
        while running[0]:
            poller.register(self.socket, zmq.POLLIN)
            events = dict(poller.poll(self.heartbeat_ms // 2))
            poller.unregister(self.socket)
            now = time.monotonic()
            if self.socket in events:
                last_heard = now
                frame = self.types["egov.shep.Frame"].FromString(self.socket.recv())
                self.on_frame(frame)
            if now - last_beat >= self.heartbeat_ms / 1000:
                self.send(self.frame(heartbeat=self.types["egov.shep.Heartbeat"]()))
                last_beat = now
            if now - last_heard > 5 * self.heartbeat_ms / 1000:     # the gateway went away
                self.connect()
                last_heard = now
        self.send(self.frame(goodbye=self.types["egov.shep.Goodbye"]()))
        self.socket.close(linger=500)
        self.context.term()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--region", required=True, help="the region's nine-digit KATO code")
    parser.add_argument("--gateway", default=os.environ.get("EGOV_GATEWAY", "tcp://127.0.0.1:7700"))
    parser.add_argument("--keys", default=os.environ.get("EGOV_KEYS_DIR", os.path.join(REPO, "var", "keys")))
    parser.add_argument("--pki", default=os.environ.get("EGOV_PKI_DIR", os.path.join(REPO, "var", "pki")))
    parser.add_argument("--proto", default=os.path.join(REPO, "proto"))
    parser.add_argument("--regulations", default=os.environ.get("EGOV_REGULATIONS", os.path.join(REPO, "regulations")))
    parser.add_argument("--state", default=None, help="where decisions are kept (default: leb-KATO.json here)")
    parser.add_argument("--refuse", action="store_true", help="refuse every application")
    options = parser.parse_args()
    if len(options.region) != 9 or not options.region.isdigit():
        parser.error("--region wants a nine-digit KATO code")
    options.state = options.state or "leb-%s.json" % options.region
    Leb(options, load_types(options.proto)).run()


if __name__ == "__main__":
    main()
