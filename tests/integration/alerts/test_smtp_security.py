"""SMTP security settings against a real aiosmtpd: STARTTLS and implicit TLS with a certificate the client
verifies, login, and the failures that must keep mail for a retry (never fail it over)."""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from alerts.notify.smtp import ConnectionFailed, SmtpTransport
from tests.integration.alerts.smtpserver import Recorder
from tests.pgserver import free_port


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1; the client trusts it through SSL_CERT_FILE."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    directory = tmp_path_factory.mktemp("tls")
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


def server_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(certificate[0]), str(certificate[1]))
    return context


def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        b"yuqing",
        b"s3cret",
    )
    return AuthResult(success=ok)


def message() -> EmailMessage:
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = "yuqing@gov.example", "duty@x.test", "[蓝色预警] 测试"
    mail.set_content("正文")
    return mail


@pytest.fixture
def trusted(certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))


@pytest.fixture
def starttls_server(certificate: tuple[Path, Path]) -> Iterator[tuple[Recorder, int]]:
    recorder, port = Recorder(), free_port()
    controller = Controller(
        recorder,
        hostname="127.0.0.1",
        port=port,
        tls_context=server_context(certificate),
        require_starttls=True,
        authenticator=authenticator,
        auth_required=True,
    )
    controller.start()
    try:
        yield recorder, port
    finally:
        controller.stop()


def test_starttls_and_login(trusted: None, starttls_server: tuple[Recorder, int]) -> None:
    recorder, port = starttls_server
    transport = SmtpTransport(
        "127.0.0.1", port, security="starttls", user="yuqing", password="s3cret", timeout=5
    )
    transport.send(message(), "yuqing@gov.example", "duty@x.test")
    transport.close()
    assert [str(m["Subject"]) for m in recorder.messages] == ["[蓝色预警] 测试"]


def test_wrong_password_keeps_mail_for_retry(trusted: None, starttls_server: tuple[Recorder, int]) -> None:
    _, port = starttls_server
    # aiosmtpd stalls a failed AUTH (real servers answer 535); either way the mail waits for a retry, since
    # a login problem would fail for every recipient.
    transport = SmtpTransport(
        "127.0.0.1", port, security="starttls", user="yuqing", password="wrong", timeout=1
    )
    with pytest.raises(ConnectionFailed, match=r"login refused|Connection unexpectedly closed"):
        transport.send(message(), "yuqing@gov.example", "duty@x.test")


def test_plain_connection_to_a_starttls_only_server_is_refused(starttls_server: tuple[Recorder, int]) -> None:
    recorder, port = starttls_server
    transport = SmtpTransport("127.0.0.1", port, security="none", timeout=5)
    # 530 "must issue STARTTLS first" concerns the session, not the recipient: retry, never fail over
    with pytest.raises(ConnectionFailed, match="530"):
        transport.send(message(), "yuqing@gov.example", "duty@x.test")
    assert recorder.messages == []


def test_untrusted_certificate_is_a_connection_failure(starttls_server: tuple[Recorder, int]) -> None:
    _, port = starttls_server  # no SSL_CERT_FILE: the self-signed certificate is not trusted
    transport = SmtpTransport(
        "127.0.0.1", port, security="starttls", user="yuqing", password="s3cret", timeout=5
    )
    with pytest.raises(ConnectionFailed, match=r"CERTIFICATE_VERIFY_FAILED|certificate verify failed"):
        transport.send(message(), "yuqing@gov.example", "duty@x.test")


def test_implicit_tls(trusted: None, certificate: tuple[Path, Path]) -> None:
    recorder, port = Recorder(), free_port()
    controller = Controller(
        recorder, hostname="127.0.0.1", port=port, ssl_context=server_context(certificate)
    )
    controller.start()
    try:
        transport = SmtpTransport("127.0.0.1", port, security="ssl", timeout=5)
        transport.send(message(), "yuqing@gov.example", "duty@x.test")
        transport.close()
    finally:
        controller.stop()
    assert len(recorder.messages) == 1
