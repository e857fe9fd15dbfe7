"""The deployment files (deploy/) parse with the tools that will read them and name only settings that exist."""

from __future__ import annotations

import datetime
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from workflow.production import secret_problems
from workflow.settings import Settings

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
REHAB = Path(sys.executable).with_name("rehab")
VARIABLE = re.compile(r"\b(REHAB_[A-Z0-9_]+)")
NOT_SETTINGS = {"REHAB_OWNER_DB_PASSWORD", "REHAB_APP_DB_PASSWORD", "REHAB_HOSTNAME"}  # compose's own


def running_in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def tool(name: str) -> str:
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")
    if found is None:
        if running_in_ci():
            pytest.fail(f"CI=true but {name} is missing (install it: .ci/run)", pytrace=False)
        pytest.skip(f"{name} is not installed")
    return found


def is_setting(variable: str) -> bool:
    """REHAB_SMTP__HOST -> Settings.smtp.host exists."""
    first, *rest = variable.removeprefix("REHAB_").lower().split("__")
    field = Settings.model_fields.get(first)
    if field is None:
        return False
    if not rest:
        return True
    model: Any = field.annotation
    return len(rest) == 1 and rest[0] in getattr(model, "model_fields", {})


def required_secrets() -> set[str]:
    """What production mode refuses to start without, by its own messages."""
    return {m.group(1) for problem in secret_problems(Settings()) for m in VARIABLE.finditer(problem)}


def compose() -> dict[str, Any]:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))


def test_compose_runs_two_servers_two_schedulers_a_migration_and_a_proxy() -> None:
    services = compose()["services"]

    assert set(services) == {"db", "init", "web1", "web2", "scheduler1", "scheduler2", "proxy"}
    for web in ("web1", "web2"):
        assert services[web]["command"][:1] == ["serve"] and "--no-scheduler" in services[web]["command"]
        assert "/readyz" in " ".join(services[web]["healthcheck"]["test"])
    assert services["scheduler1"]["command"] == services["scheduler2"]["command"] == ["scheduler"]
    assert services["init"]["command"] == ["init"] and services["init"]["restart"] == "no"
    app = services["web1"]["environment"]
    assert app["REHAB_DATABASE_URL"].startswith("postgresql+psycopg://rehab_app:")
    assert services["init"]["environment"]["REHAB_MIGRATE_DATABASE_URL"].startswith("postgresql+psycopg://rehab_owner:")
    assert "REHAB_MIGRATE_DATABASE_URL" not in app  # the servers never connect as the tables' owner
    assert required_secrets() <= set(app) and len(required_secrets()) >= 4
    mounted = " ".join(services["proxy"]["volumes"])
    assert "nginx/rehab.conf" in mounted and "nginx/upstream-compose.conf" in mounted


@pytest.mark.parametrize("name", ["compose.yaml", "rehab.env.example", "env.compose.example", "README.md"])
def test_every_variable_named_is_a_setting(name: str) -> None:
    text = (DEPLOY / name).read_text(encoding="utf-8")
    named = set(VARIABLE.findall(text)) - NOT_SETTINGS

    assert named and sorted(v for v in named if not is_setting(v)) == []


def test_the_environment_files_list_every_secret_production_requires() -> None:
    for name in ("rehab.env.example", "env.compose.example"):
        listed = set(re.findall(r"^(REHAB_[A-Z0-9_]+)=", (DEPLOY / name).read_text(encoding="utf-8"), re.M))
        assert required_secrets() <= listed, name


def test_the_systemd_units_verify(tmp_path: Path) -> None:
    analyze = tool("systemd-analyze")
    for unit in (DEPLOY / "systemd").iterdir():  # the real command, where the units expect it
        text = unit.read_text(encoding="utf-8").replace("/opt/rehab/.venv/bin/rehab", str(REHAB))
        (tmp_path / unit.name).write_text(text, encoding="utf-8")
    units = ["rehab-web@8001.service", "rehab-scheduler@1.service", "rehab-backup.service", "rehab-backup.timer"]

    result = subprocess.run(
        [analyze, "verify", "--man=no", *units], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )

    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def test_the_proxy_configuration_passes_nginx_t(tmp_path: Path) -> None:
    nginx = tool("nginx")
    certificate, key = self_signed(tmp_path)
    site = (DEPLOY / "nginx" / "rehab.conf").read_text(encoding="utf-8")
    site = site.replace("/etc/ssl/rehab/fullchain.pem", str(certificate)).replace(
        "/etc/ssl/rehab/privkey.pem", str(key)
    )
    site = site.replace("/etc/nginx/rehab-upstream.conf", str(DEPLOY / "nginx" / "upstream-systemd.conf"))
    (tmp_path / "site.conf").write_text(site, encoding="utf-8")
    (tmp_path / "nginx.conf").write_text(
        f"error_log {tmp_path}/error.log;\npid {tmp_path}/nginx.pid;\nevents {{}}\n"
        f"http {{\n  access_log off;\n  include {tmp_path}/site.conf;\n}}\n",
        encoding="utf-8",
    )

    result = subprocess.run(
        [nginx, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr


def test_the_compose_upstream_balances_the_two_web_services() -> None:
    upstream = (DEPLOY / "nginx" / "upstream-compose.conf").read_text(encoding="utf-8")
    assert re.findall(r"server (\w+):8000", upstream) == ["web1", "web2"]
    assert "--port" in compose()["services"]["web1"]["command"]
    assert compose()["services"]["web1"]["command"][-2:] == ["8000", "--no-scheduler"]


def self_signed(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "fullchain.pem", directory / "privkey.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path
