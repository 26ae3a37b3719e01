"""The container kit, checked without Docker (there is no engine in CI): compose.yaml
against the Compose Specification's own JSON schema (vendored from compose-spec/compose-spec,
Apache-2.0), our invariants on it, and the Dockerfile's shape."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = Path(__file__).with_name("compose-spec.json")
SECRET_WORDS = ("TOKEN", "SECRET", "PASSWORD", "DATABASE_URL", "REDIS_URL", "KEYS")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))


def bots(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {n: s for n, s in compose["services"].items() if n.startswith("bot")}


def test_compose_file_is_valid_against_the_compose_spec(compose):
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft7Validator.check_schema(schema)
    errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(compose), key=str)
    assert errors == [], [e.message for e in errors]


def test_the_schema_check_catches_a_broken_file(compose):
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    broken = {**compose, "services": {**compose["services"], "db": {"image": 5, "portz": []}}}
    assert list(jsonschema.Draft7Validator(schema).iter_errors(broken))


def test_two_identical_bot_replicas_in_webhook_mode_after_the_migration(compose):
    replicas = bots(compose)
    assert len(replicas) == 2
    first, second = replicas.values()
    assert first == second  # the same service twice
    bot = first
    assert "command" not in bot and "entrypoint" not in bot  # the image's `cetr-bot run`
    env = bot["environment"]
    assert env["WEBHOOK_URL"].startswith("https://")
    assert (env["WEB_HOST"], str(env["WEB_PORT"])) == ("0.0.0.0", "8080")
    assert env["AUTO_MIGRATE"] == "false"
    assert bot["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert "/healthz" in " ".join(bot["healthcheck"]["test"])
    assert "8080" in " ".join(bot["healthcheck"]["test"])


def test_a_one_off_migrate_service_and_postgres(compose):
    services = compose["services"]
    migrate = services["migrate"]
    assert migrate["command"] == ["db", "upgrade"]  # after the entry point: cetr-bot db upgrade
    assert migrate["restart"] == "no"
    assert migrate["depends_on"]["db"]["condition"] == "service_healthy"
    assert services["db"]["image"].startswith("postgres:")
    assert "healthcheck" in services["db"]
    assert migrate["image"] == bots(compose)["bot-1"]["image"]  # the same image


def test_secrets_come_from_files_never_inline(compose):
    for name, service in compose["services"].items():
        for key, value in (service.get("environment") or {}).items():
            if any(word in key for word in SECRET_WORDS):
                assert key.endswith("_FILE"), f"{name}: {key} inline"
                assert str(value).startswith("/run/secrets/"), f"{name}: {key}"
                assert str(value).removeprefix("/run/secrets/") in service["secrets"]
    for secret in compose["secrets"].values():
        assert set(secret) == {"file"} and secret["file"].startswith("./secrets/")
    assert "secrets/" in (ROOT / ".gitignore").read_text().splitlines()
    assert "secrets" in (ROOT / ".dockerignore").read_text().splitlines()


def test_the_proxy_balances_the_webhook_across_both_replicas(compose):
    proxy = compose["services"]["proxy"]
    mounted = {v.split(":")[1]: v.split(":")[0] for v in proxy["volumes"] if v.startswith(".")}
    caddyfile = (ROOT / mounted["/etc/caddy/Caddyfile"]).read_text(encoding="utf-8")
    upstreams = re.search(r"reverse_proxy ([^{]+)\{", caddyfile)
    assert upstreams and set(upstreams.group(1).split()) == {f"{n}:8080" for n in bots(compose)}
    assert re.search(r"method POST\s+path /telegram", caddyfile)
    assert "health_uri /healthz" in caddyfile
    assert {"80:80", "443:443"} <= set(proxy["ports"])


def dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments), continuation lines joined, comments dropped."""
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    text = re.sub(r"\\\n", " ", text)
    steps = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            steps.append((word.upper(), rest.strip()))
    return steps


def exec_form(arguments: str) -> list[str]:
    return json.loads(arguments) if arguments.startswith("[") else shlex.split(arguments)


def test_dockerfile_is_multi_stage_slim_non_root_and_runs_cetr_bot_run():
    steps = dockerfile()
    stages = [i for i, (word, _) in enumerate(steps) if word == "FROM"]
    assert len(stages) >= 2
    final = steps[stages[-1] :]
    assert "--from=build" in " ".join(arg for word, arg in final if word == "COPY")
    assert any("slim" in arg for word, arg in steps if word == "ARG")
    users = [arg for word, arg in final if word == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    entry = [exec_form(arg) for word, arg in final if word == "ENTRYPOINT"][-1]
    command = [exec_form(arg) for word, arg in final if word == "CMD"][-1]
    assert entry + command == ["cetr-bot", "run"]
    assert not any(word == "ARG" and re.search("TOKEN|SECRET|PASSWORD", arg) for word, arg in steps)
    env = " ".join(arg for word, arg in final if word == "ENV")
    assert "WEB_HOST=0.0.0.0" in env and "WEB_PORT=8080" in env


def test_the_image_gets_what_the_code_needs_and_no_secrets():
    ignored = (ROOT / ".dockerignore").read_text().splitlines()
    copied = " ".join(arg for word, arg in dockerfile() if word == "COPY")
    for needed in ("cetr_bot", "messages", "migrations", "assets", "pyproject.toml"):
        assert needed in copied and needed not in ignored
    assert {".env", ".git", ".venv", "secrets", "*.db"} <= set(ignored)


def test_every_process_shares_one_key_ring_and_refuses_to_run_without_it(compose):
    """Each replica making its own local key file could not read the others' rows."""
    for name in ("bot-1", "bot-2", "migrate"):
        env = compose["services"][name]["environment"]
        assert env["ENVIRONMENT"] == "production", name
        assert env["DATA_ENCRYPTION_KEYS_FILE"] == "/run/secrets/data_keys", name
        assert "data_keys" in compose["services"][name]["secrets"], name
    caddy = (ROOT / "deploy" / "Caddyfile").read_text()
    assert "/app/*" in caddy and "/signin/*" in caddy  # the web companion is served too
