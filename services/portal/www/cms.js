// cms.js — the portal's in-page signing component: CMS (PKCS#7) SignedData
// over the exact bytes of a request, as the national signing tools make it,
// with WebCrypto RSASSA-PKCS1-v1_5 SHA-256 and a test key file the citizen
// picks. Detached content; signed attributes contentType, signingTime and
// messageDigest; the signer's certificate inside; the signer named by the
// certificate's issuer and serial number. DER is built here by hand.
"use strict";

const Cms = (() => {
    const OID_DATA = "1.2.840.113549.1.7.1";
    const OID_SIGNED_DATA = "1.2.840.113549.1.7.2";
    const OID_CONTENT_TYPE = "1.2.840.113549.1.9.3";
    const OID_MESSAGE_DIGEST = "1.2.840.113549.1.9.4";
    const OID_SIGNING_TIME = "1.2.840.113549.1.9.5";
    const OID_SHA256 = "2.16.840.1.101.3.4.2.1";
    const OID_RSA = "1.2.840.113549.1.1.1";

    // Joins byte arrays.
    function concat(parts) {
        const size = parts.reduce((sum, part) => sum + part.length, 0);
        const out = new Uint8Array(size);
        let offset = 0;
        for (const part of parts) {
            out.set(part, offset);
            offset += part.length;
        }
        return out;
    }

    // A DER length.
    function length(size) {
        if (size < 0x80)
            return Uint8Array.of(size);
        const bytes = [];
        for (let rest = size; rest > 0; rest = Math.floor(rest / 256))
            bytes.unshift(rest & 0xff);
        return Uint8Array.of(0x80 | bytes.length, ...bytes);
    }

    // A tag, its length and the content.
    function tlv(tag, ...contents) {
        const content = concat(contents);
        return concat([Uint8Array.of(tag), length(content.length), content]);
    }

    const sequence = (...items) => tlv(0x30, ...items);
    const integer = (value) => tlv(0x02, Uint8Array.of(value));
    const octets = (bytes) => tlv(0x04, bytes);
    const nothing = () => Uint8Array.of(0x05, 0x00);

    // An OBJECT IDENTIFIER from its dotted text.
    function oid(text) {
        const arcs = text.split(".").map(Number);
        const bytes = [40 * arcs[0] + arcs[1]];
        for (const arc of arcs.slice(2)) {
            const groups = [arc & 0x7f];
            for (let rest = Math.floor(arc / 128); rest > 0; rest = Math.floor(rest / 128))
                groups.unshift(0x80 | (rest & 0x7f));
            bytes.push(...groups);
        }
        return tlv(0x06, Uint8Array.from(bytes));
    }

    // UTCTime YYMMDDHHMMSSZ (years 1950-2049).
    function utcTime(date) {
        const two = (n) => String(n).padStart(2, "0");
        const text = two(date.getUTCFullYear() % 100) + two(date.getUTCMonth() + 1) +
            two(date.getUTCDate()) + two(date.getUTCHours()) + two(date.getUTCMinutes()) +
            two(date.getUTCSeconds()) + "Z";
        return tlv(0x17, new TextEncoder().encode(text));
    }

    // DER orders a SET OF by the encodings' bytes.
    function compareBytes(left, right) {
        for (let index = 0; index < Math.min(left.length, right.length); index++)
            if (left[index] !== right[index])
                return left[index] - right[index];
        return left.length - right.length;
    }

    // Reads the element at offset: tag, where its content starts and ends.
    function element(bytes, offset) {
        if (offset + 2 > bytes.length)
            throw new Error("the certificate is truncated");
        const tag = bytes[offset];
        let size = bytes[offset + 1];
        let start = offset + 2;
        if (size & 0x80) {
            const count = size & 0x7f;
            if (count < 1 || count > 4)
                throw new Error("the certificate has an unsupported length");
            size = 0;
            for (let index = 0; index < count; index++)
                size = size * 256 + bytes[start + index];
            start += count;
        }
        if (start + size > bytes.length)
            throw new Error("the certificate is truncated");
        return { tag, start, end: start + size, offset };
    }

    // The children of a constructed element.
    function children(bytes, parent) {
        const list = [];
        for (let offset = parent.start; offset < parent.end; ) {
            const child = element(bytes, offset);
            list.push(child);
            offset = child.end;
        }
        return list;
    }

    // The DER bytes between PEM armour of this label.
    function pemToDer(text, label) {
        const match = new RegExp("-----BEGIN " + label + "-----([\\s\\S]*?)-----END " + label + "-----").exec(text);
        if (!match)
            throw new Error("not a PEM " + label.toLowerCase());
        const binary = atob(match[1].replace(/\s+/g, ""));
        return Uint8Array.from(binary, (c) => c.charCodeAt(0));
    }

    // IssuerAndSerialNumber of a certificate: its issuer and serial, as encoded.
    function issuerAndSerial(certificate) {
        const top = element(certificate, 0);
        const tbs = children(certificate, top)[0];
        const fields = children(certificate, tbs);
        const skip = fields[0].tag === 0xa0 ? 1 : 0;        // [0] version
        const serial = fields[skip], issuer = fields[skip + 2];
        if (!serial || serial.tag !== 0x02 || !issuer || issuer.tag !== 0x30)
            throw new Error("not an X.509 certificate");
        return sequence(certificate.slice(issuer.offset, issuer.end),
                        certificate.slice(serial.offset, serial.end));
    }

    // Signs content (Uint8Array) with a PKCS#8 PEM key and its PEM
    // certificate; resolves to the DER of the detached CMS SignedData.
    async function sign(content, keyPem, certPem, signingTime) {
        const certificate = pemToDer(certPem, "CERTIFICATE");
        const keyDer = pemToDer(keyPem, "PRIVATE KEY");
        const key = await crypto.subtle.importKey("pkcs8", keyDer,
            { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }, false, ["sign"]);
        const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", content));
        const attributes = [
            sequence(oid(OID_CONTENT_TYPE), tlv(0x31, oid(OID_DATA))),
            sequence(oid(OID_SIGNING_TIME), tlv(0x31, utcTime(signingTime || new Date()))),
            sequence(oid(OID_MESSAGE_DIGEST), tlv(0x31, octets(digest))),
        ].sort(compareBytes);
        const signedSet = tlv(0x31, ...attributes);         // what the signature covers
        const signature = new Uint8Array(await crypto.subtle.sign("RSASSA-PKCS1-v1_5", key, signedSet));
        const sha256 = sequence(oid(OID_SHA256));
        const signerInfo = sequence(
            integer(1),
            issuerAndSerial(certificate),
            sha256,
            tlv(0xa0, ...attributes),                       // [0] IMPLICIT SET OF Attribute
            sequence(oid(OID_RSA), nothing()),
            octets(signature));
        const signedData = sequence(
            integer(1),
            tlv(0x31, sha256),
            sequence(oid(OID_DATA)),                        // detached: no eContent
            tlv(0xa0, certificate),                         // [0] IMPLICIT certificates
            tlv(0x31, signerInfo));
        return sequence(oid(OID_SIGNED_DATA), tlv(0xa0, signedData));
    }

    // Base64 of bytes.
    function base64(bytes) {
        let binary = "";
        for (let index = 0; index < bytes.length; index += 0x8000)
            binary += String.fromCharCode.apply(null, bytes.subarray(index, index + 0x8000));
        return btoa(binary);
    }

    return { sign, base64, oid, length, pemToDer, issuerAndSerial };
})();
