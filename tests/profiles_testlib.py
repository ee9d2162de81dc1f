"""Test helpers for the profile modules: a throw-away PKI (root CA, intermediate, signer) and the
independent checks (openssl, another Python's plistlib). Importable as `profiles_testlib`."""

import datetime
import os
import shutil
import subprocess
import types

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


def _name(common_name):
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "credsync tests"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _certificate(subject, key, issuer, issuer_key, ca, serial):
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (x509.CertificateBuilder().subject_name(_name(subject)).issuer_name(_name(issuer))
               .public_key(key.public_key()).serial_number(serial)
               .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=2))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
               .add_extension(x509.KeyUsage(digital_signature=not ca, content_commitment=False, key_encipherment=False,
                                            data_encipherment=False, key_agreement=False, key_cert_sign=ca,
                                            crl_sign=ca, encipher_only=False, decipher_only=False), critical=True))
    if not ca:
        usages = [ExtendedKeyUsageOID.EMAIL_PROTECTION, ExtendedKeyUsageOID.CODE_SIGNING]
        builder = builder.add_extension(x509.ExtendedKeyUsage(usages), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def _write(path, data):
    with open(path, "wb") as handle:
        handle.write(data)
    return path


def make_pki(directory, key_type="rsa", passphrase=None, name="signer"):
    """Root CA -> intermediate -> signer, as PEM files in `directory`: ca, chain (intermediate), cert, key."""
    def new_key():
        return rsa.generate_private_key(65537, 2048) if key_type == "rsa" else ec.generate_private_key(ec.SECP256R1())
    root_key, intermediate_key, signer_key = new_key(), new_key(), new_key()
    root = _certificate("credsync test root", root_key, "credsync test root", root_key, True, 1)
    intermediate = _certificate("credsync test intermediate", intermediate_key, "credsync test root", root_key, True, 2)
    signer = _certificate(name, signer_key, "credsync test intermediate", intermediate_key, False, 3)
    pem = serialization.Encoding.PEM
    encryption = (serialization.BestAvailableEncryption(passphrase.encode()) if passphrase
                  else serialization.NoEncryption())
    return types.SimpleNamespace(
        ca=_write(os.path.join(directory, name + "-ca.pem"), root.public_bytes(pem)),
        chain=_write(os.path.join(directory, name + "-chain.pem"), intermediate.public_bytes(pem)),
        cert=_write(os.path.join(directory, name + ".pem"), signer.public_bytes(pem)),
        key=_write(os.path.join(directory, name + ".key"), signer_key.private_bytes(
            pem, serialization.PrivateFormat.PKCS8, encryption)),
        certificate=signer)


def openssl_verify(signed_path, trusted, out_path):
    """`openssl cms -verify` of a DER signed profile (S/MIME signing purpose checked) against the trusted
    certificates (PEM files: the root, and intermediates the file does not carry); the embedded content
    is written to out_path."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    bundle = out_path + ".trusted.pem"
    with open(bundle, "wb") as handle:
        for path in [trusted] if isinstance(trusted, str) else trusted:
            with open(path, "rb") as pem:
                handle.write(pem.read())
    return subprocess.run(["openssl", "cms", "-verify", "-inform", "DER", "-in", signed_path, "-CAfile", bundle,
                           "-out", out_path], stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False, timeout=60)
