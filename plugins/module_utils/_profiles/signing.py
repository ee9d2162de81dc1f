# -*- coding: utf-8 -*-
# Copyright (c) 2026, macfleet.credsync contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""CMS signing of profiles (SignedData, DER, the plist embedded) and our own verification.

Signing uses cryptography's PKCS7 signer. cryptography has no CMS verification, so this module
reads the DER itself (a small reader for the definite-length encoding signers produce) and
checks the signature with the signer's public key: right after signing, and to recognise an
existing signed file that already holds the same profile signed by the same certificate.
Private to the collection; runs on the controller.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import hashlib
import traceback

from . import files
from .validators import ProfileError

MAX_PEM_SIZE = 1024 * 1024  # certificates, chains and keys: a few kilobytes each

try:
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
    from cryptography.hazmat.primitives.serialization import pkcs7
    HAS_CRYPTOGRAPHY = True
    CRYPTOGRAPHY_IMPORT_ERROR = None
except ImportError:
    HAS_CRYPTOGRAPHY = False
    CRYPTOGRAPHY_IMPORT_ERROR = traceback.format_exc()


class CmsError(Exception):
    """Bytes that are not a CMS SignedData we can read, or whose signature does not hold."""


def _oid(dotted):
    """The DER contents of an OBJECT IDENTIFIER."""
    numbers = [int(part) for part in dotted.split(".")]
    encoded = bytearray()
    for number in [numbers[0] * 40 + numbers[1]] + numbers[2:]:
        chunk = [number & 0x7F]
        number >>= 7
        while number:
            chunk.insert(0, 0x80 | (number & 0x7F))
            number >>= 7
        encoded.extend(chunk)
    return bytes(encoded)


_SIGNED_DATA = _oid("1.2.840.113549.1.7.2")
_DATA = _oid("1.2.840.113549.1.7.1")
_CONTENT_TYPE = _oid("1.2.840.113549.1.9.3")
_MESSAGE_DIGEST = _oid("1.2.840.113549.1.9.4")
_DIGESTS = {_oid("2.16.840.1.101.3.4.2.1"): "sha256", _oid("2.16.840.1.101.3.4.2.2"): "sha384",
            _oid("2.16.840.1.101.3.4.2.3"): "sha512"}
_SEQUENCE, _SET, _OCTETS, _OID, _INTEGER = 0x30, 0x31, 0x04, 0x06, 0x02
_CONTEXT_0, _CONTEXT_1 = 0xA0, 0xA1


class _Element:
    """One DER element of `data`: tag, where it starts, where its value starts and ends."""

    def __init__(self, data, offset, limit):
        if offset + 2 > limit:
            raise CmsError("truncated")
        self.data = data
        self.start = offset
        self.tag = data[offset]
        if self.tag & 0x1F == 0x1F:
            raise CmsError("unexpected high tag number")
        length = data[offset + 1]
        offset += 2
        if length & 0x80:
            count = length & 0x7F
            if not 0 < count <= 4:
                raise CmsError("indefinite or oversized length (not DER)")
            length = int.from_bytes(data[offset:offset + count], "big")
            offset += count
        self.value_start = offset
        self.end = offset + length
        if self.end > limit:
            raise CmsError("truncated")

    @property
    def value(self):
        return self.data[self.value_start:self.end]

    @property
    def encoded(self):
        return self.data[self.start:self.end]

    def children(self):
        items = []
        offset = self.value_start
        while offset < self.end:
            item = _Element(self.data, offset, self.end)
            items.append(item)
            offset = item.end
        return items

    def expect(self, tag, what):
        if self.tag != tag:
            raise CmsError("%s: unexpected tag 0x%02x" % (what, self.tag))
        return self


def _signed_data(der):
    """(content, certificates (DER list), signer info element) of a CMS SignedData."""
    top = _Element(der, 0, len(der)).expect(_SEQUENCE, "ContentInfo")
    if top.end != len(der):
        raise CmsError("trailing bytes")
    parts = top.children()
    if len(parts) != 2 or parts[0].tag != _OID or parts[0].value != _SIGNED_DATA:
        raise CmsError("not a CMS SignedData")
    (signed,) = [item.expect(_SEQUENCE, "SignedData") for item in parts[1].expect(_CONTEXT_0, "content").children()]
    fields = signed.children()
    if len(fields) < 4:
        raise CmsError("SignedData too short")
    encapsulated = fields[2].expect(_SEQUENCE, "EncapsulatedContentInfo").children()
    if len(encapsulated) != 2 or encapsulated[0].value != _DATA:
        raise CmsError("no embedded data (a detached signature?)")
    (octets,) = encapsulated[1].expect(_CONTEXT_0, "eContent").children()
    content = octets.expect(_OCTETS, "eContent").value
    certificates = [item.encoded for item in fields[3].children()] if fields[3].tag == _CONTEXT_0 else []
    signers = fields[-1].expect(_SET, "SignerInfos").children()
    if len(signers) != 1:
        raise CmsError("%d signers (expected one)" % len(signers))
    return content, certificates, signers[0]


def _verify_signer(content, certificates, signer):
    """The signer's certificate (DER) when its signature over `content` holds; CmsError otherwise."""
    fields = signer.expect(_SEQUENCE, "SignerInfo").children()
    issuer_and_serial = fields[1].expect(_SEQUENCE, "IssuerAndSerialNumber").children()
    issuer, serial = issuer_and_serial[0].encoded, int.from_bytes(issuer_and_serial[1].value, "big", signed=True)
    digest_name = _DIGESTS.get(fields[2].children()[0].value)
    if digest_name is None:
        raise CmsError("digest algorithm is not SHA-2")
    index = 3
    attributes = None
    if fields[index].tag == _CONTEXT_0:
        attributes = fields[index]
        index += 1
    signature = fields[index + 1].expect(_OCTETS, "signature").value
    if attributes is None:
        signed_bytes = content
    else:
        found = {}
        for attribute in attributes.children():
            kind, values = attribute.children()
            found[kind.value] = [value.value for value in values.children()]
        if found.get(_CONTENT_TYPE) != [_DATA]:
            raise CmsError("contentType attribute missing or not data")
        if found.get(_MESSAGE_DIGEST) != [hashlib.new(digest_name, content).digest()]:
            raise CmsError("the message digest does not match the content")
        # Signed attributes are signed as a SET (tag 0x31), not with their [0] IMPLICIT tag.
        signed_bytes = bytes([_SET]) + attributes.encoded[1:]
    for der in certificates:
        certificate = x509.load_der_x509_certificate(der)
        if certificate.serial_number == serial and certificate.issuer.public_bytes() == issuer:
            _check_signature(certificate.public_key(), signature, signed_bytes, digest_name)
            return der
    raise CmsError("the signer's certificate is not in the file")


def _check_signature(public_key, signature, data, digest_name):
    algorithm = getattr(hashes, digest_name.upper())()
    try:
        if isinstance(public_key, rsa.RSAPublicKey):
            public_key.verify(signature, data, padding.PKCS1v15(), algorithm)
        elif isinstance(public_key, ec.EllipticCurvePublicKey):
            public_key.verify(signature, data, ec.ECDSA(algorithm))
        else:
            raise CmsError("the signer's key is neither RSA nor EC")
    except InvalidSignature:
        raise CmsError("the signature does not match")


def open_signed(der):
    """(content, signer certificate DER) of a signed profile whose signature holds; CmsError otherwise."""
    if not HAS_CRYPTOGRAPHY:
        raise CmsError("the cryptography library is needed to read a signed profile")
    try:
        content, certificates, signer = _signed_data(der)
        return content, _verify_signer(content, certificates, signer)
    except (IndexError, ValueError, TypeError) as exc:
        raise CmsError("malformed CMS structure (%s)" % type(exc).__name__)


def _read(path, what):
    data, _mode = files.read(path, what, limit=MAX_PEM_SIZE)
    if data is None:
        raise ProfileError("%s %s does not exist" % (what, path))
    return data


def _certificates(data, path, what):
    try:
        if b"-----BEGIN" in data:
            return x509.load_pem_x509_certificates(data)
        return [x509.load_der_x509_certificate(data)]
    except ValueError:
        raise ProfileError("%s %s holds no readable X.509 certificate (PEM or DER)" % (what, path))


class Signer:
    """A certificate and its private key (RSA or EC), loaded and matched once; signs with SHA-256.

    Every refusal names the option (signing_certificate, signing_key, signing_key_passphrase,
    signing_chain) and never the passphrase.
    """

    def __init__(self, certificate_path, key_path, passphrase=None, chain_path=None):
        self.certificate = _certificates(_read(certificate_path, "signing_certificate"), certificate_path,
                                         "signing_certificate")[0]
        self.chain = (_certificates(_read(chain_path, "signing_chain"), chain_path, "signing_chain")
                      if chain_path else [])
        key_data = _read(key_path, "signing_key")
        if b"-----BEGIN" not in key_data or b"PRIVATE KEY-----" not in key_data:
            raise ProfileError("signing_key %s is not a PEM private key (no -----BEGIN ... PRIVATE KEY----- block)"
                               % key_path)
        try:
            secret = passphrase.encode("utf-8") if passphrase else None
        except UnicodeError:
            raise ProfileError("signing_key_passphrase cannot be encoded as UTF-8")
        try:
            self.key = serialization.load_pem_private_key(key_data, secret)
        except TypeError:
            raise ProfileError("signing_key %s is encrypted: give signing_key_passphrase" % key_path
                               if not passphrase else
                               "signing_key %s is not encrypted: drop signing_key_passphrase" % key_path)
        except (ValueError, UnsupportedAlgorithm):
            raise ProfileError("signing_key %s cannot be loaded: a damaged PEM private key%s" % (
                key_path, ", or signing_key_passphrase is wrong" if passphrase else ""))
        if not isinstance(self.key, (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey)):
            raise ProfileError("signing_key %s must be an RSA or EC key" % key_path)
        public = serialization.PublicFormat.SubjectPublicKeyInfo
        if (self.key.public_key().public_bytes(serialization.Encoding.DER, public)
                != self.certificate.public_key().public_bytes(serialization.Encoding.DER, public)):
            raise ProfileError("signing_key %s does not belong to signing_certificate %s" % (key_path, certificate_path))
        self.certificate_der = self.certificate.public_bytes(serialization.Encoding.DER)

    def sign(self, content):
        """CMS SignedData (DER) embedding `content`; its signature is verified before it is returned."""
        builder = pkcs7.PKCS7SignatureBuilder().set_data(content).add_signer(self.certificate, self.key, hashes.SHA256())
        for certificate in self.chain:
            builder = builder.add_certificate(certificate)
        # Binary: the plist is signed byte for byte (no MIME canonicalisation of line ends).
        der = builder.sign(serialization.Encoding.DER, [pkcs7.PKCS7Options.Binary])
        try:
            embedded, signer = open_signed(der)
        except CmsError as exc:
            raise ProfileError("the signature just made does not verify: %s" % exc)
        if embedded != content or signer != self.certificate_der:
            raise ProfileError("the signature just made does not verify: it embeds other content or another signer")
        return der
