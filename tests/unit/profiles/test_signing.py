"""_profiles.signing: CMS SignedData made by cryptography, read and verified by our DER reader, and
checked independently by openssl with a throw-away CA; tampering and wrong inputs are refused."""

import os

import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from credsync_testlib import in_collection_tree
from profiles_testlib import make_pki, openssl_verify

if not in_collection_tree():
    pytest.skip("needs the collection at ansible_collections/macfleet/credsync (run scripts/test.sh)", allow_module_level=True)

from ansible_collections.macfleet.credsync.plugins.module_utils._profiles import signing, writer  # noqa: E402
from ansible_collections.macfleet.credsync.plugins.module_utils._profiles.validators import ProfileError  # noqa: E402

CONTENT = writer.serialize({"PayloadType": "Configuration", "PayloadVersion": 1, "PayloadContent": [],
                            "PayloadIdentifier": "com.example.signed", "Lines": "a\nb\r\nc"})


@pytest.fixture(params=["rsa", "ec"])
def pki(request, tmp_path):
    return make_pki(str(tmp_path), key_type=request.param)


def test_signed_profiles_verify_ours_and_openssls(pki, tmp_path):
    signer = signing.Signer(pki.cert, pki.key, chain_path=pki.chain)
    der = signer.sign(CONTENT)
    content, certificate = signing.open_signed(der)
    assert content == CONTENT and certificate == signer.certificate_der
    signed = tmp_path / "signed.mobileconfig"
    signed.write_bytes(der)
    out = tmp_path / "out.plist"
    proc = openssl_verify(str(signed), pki.ca, str(out))  # the intermediate travels in the file
    assert proc.returncode == 0, proc.stderr
    assert out.read_bytes() == CONTENT  # byte for byte: no line-end canonicalisation
    assert writer.unwrap(der) == (CONTENT, signer.certificate_der)


def test_without_the_chain_openssl_needs_the_intermediate(tmp_path):
    pki = make_pki(str(tmp_path))
    signed = tmp_path / "signed.mobileconfig"
    signed.write_bytes(signing.Signer(pki.cert, pki.key).sign(CONTENT))
    assert openssl_verify(str(signed), pki.ca, str(tmp_path / "out")).returncode != 0
    assert openssl_verify(str(signed), [pki.ca, pki.chain], str(tmp_path / "out")).returncode == 0


def test_an_untrusted_root_fails_openssl(tmp_path):
    pki = make_pki(str(tmp_path))
    stranger = make_pki(str(tmp_path), name="stranger")
    signed = tmp_path / "signed.mobileconfig"
    signed.write_bytes(signing.Signer(pki.cert, pki.key, chain_path=pki.chain).sign(CONTENT))
    assert openssl_verify(str(signed), stranger.ca, str(tmp_path / "out")).returncode != 0


def _flip(der, needle):
    index = der.index(needle)
    return der[:index] + bytes([der[index] ^ 0x01]) + der[index + 1:]


def test_tampering_is_detected(pki):
    der = signing.Signer(pki.cert, pki.key).sign(CONTENT)
    with pytest.raises(signing.CmsError, match="message digest does not match"):
        signing.open_signed(_flip(der, b"com.example.signed"))
    with pytest.raises(signing.CmsError):
        signing.open_signed(der[:-1] + bytes([der[-1] ^ 0x01]))  # the signature's last byte
    with pytest.raises(signing.CmsError):
        signing.open_signed(der[:len(der) // 2])
    with pytest.raises(signing.CmsError):
        signing.open_signed(b"\x30\x80" + der[2:])  # indefinite length: not DER


@pytest.mark.parametrize("data", [b"", b"\x30", b"garbage", b"\x30\x03\x06\x01\x00"])
def test_garbage_is_not_a_signed_profile(data):
    with pytest.raises(signing.CmsError):
        signing.open_signed(data)


def test_encrypted_keys(tmp_path):
    pki = make_pki(str(tmp_path), passphrase="Key-Pass-1")
    der = signing.Signer(pki.cert, pki.key, passphrase="Key-Pass-1").sign(CONTENT)
    assert signing.open_signed(der)[0] == CONTENT
    with pytest.raises(ProfileError, match="is encrypted: give signing_key_passphrase"):
        signing.Signer(pki.cert, pki.key)
    with pytest.raises(ProfileError, match="signing_key_passphrase is wrong") as raised:
        signing.Signer(pki.cert, pki.key, passphrase="Wrong-Pass-2")
    assert "Wrong-Pass-2" not in str(raised.value)
    plain = make_pki(str(tmp_path), name="plain")
    with pytest.raises(ProfileError, match="is not encrypted: drop signing_key_passphrase"):
        signing.Signer(plain.cert, plain.key, passphrase="Key-Pass-1")


def test_wrong_inputs(tmp_path):
    first = make_pki(str(tmp_path), name="first")
    second = make_pki(str(tmp_path), name="second")
    with pytest.raises(ProfileError, match="signing_key .* does not belong to signing_certificate"):
        signing.Signer(first.cert, second.key)
    with pytest.raises(ProfileError, match="signing_key .*missing.key does not exist"):
        signing.Signer(first.cert, os.path.join(str(tmp_path), "missing.key"))
    with pytest.raises(ProfileError, match="signing_certificate .* holds no readable X.509 certificate"):
        signing.Signer(first.key, first.key)
    with pytest.raises(ProfileError, match="signing_key .* is not a PEM private key"):
        signing.Signer(first.cert, first.cert)
    with pytest.raises(ProfileError, match="signing_chain .* holds no readable X.509 certificate"):
        signing.Signer(first.cert, first.key, chain_path=first.key)
    damaged = tmp_path / "damaged.key"
    text = open(first.key).read().splitlines()
    damaged.write_text("\n".join(text[:3] + text[-1:]) + "\n")
    with pytest.raises(ProfileError, match="signing_key .* cannot be loaded: a damaged PEM private key"):
        signing.Signer(first.cert, str(damaged))
    with pytest.raises(ProfileError, match="signing_key /dev/null is not a regular file"):
        signing.Signer(first.cert, "/dev/null")
    with pytest.raises(ProfileError, match="cannot read signing_certificate"):
        signing.Signer(str(tmp_path), first.key)
    huge = tmp_path / "huge.pem"
    huge.write_bytes(b"-" * (signing.MAX_PEM_SIZE + 1))
    with pytest.raises(ProfileError, match="signing_certificate .*huge.pem is .* bytes, more than"):
        signing.Signer(str(huge), first.key)


def test_der_certificates_are_read(tmp_path):
    pki = make_pki(str(tmp_path))
    der_path = tmp_path / "signer.der"
    der_path.write_bytes(pki.certificate.public_bytes(Encoding.DER))
    assert signing.open_signed(signing.Signer(str(der_path), pki.key).sign(CONTENT))[0] == CONTENT
