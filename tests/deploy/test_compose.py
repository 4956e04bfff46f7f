"""The shipped compose file and Dockerfile, held against the code: every container runs a
service that exists, is given every variable that service needs (and none that nothing
reads), is checked on its own port, and only the gateways are published. The data stores'
images cannot be pulled here, so this is what says the file is right."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import AliasChoices

from bizosaas.core.settings import Settings, variable_of
from bizosaas.gateway.config import upstream_env_name
from bizosaas.services import SERVICES

ROOT = Path(__file__).resolve().parents[2]
COMPOSE: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text())
ROUTES = tomllib.loads((ROOT / "src/bizosaas/gateway/routes.toml").read_text())
STORES = {"postgres", "valkey", "openbao", "temporal"}
PLATFORM = {k: v for k, v in COMPOSE["services"].items() if k not in STORES | {"migrate"}}


def variables() -> set[str]:
    """Every environment variable the platform reads."""
    known = {"BIZOSAAS_DATABASE_ADMIN_URL"}  # migrate --provision
    for name, field in Settings.model_fields.items():
        known.add(f"BIZOSAAS_{name.upper()}")
        if isinstance(field.validation_alias, AliasChoices):
            known.update(str(choice) for choice in field.validation_alias.choices)
    known.update(upstream_env_name(name) for name in ROUTES["upstreams"])
    return known


def test_every_service_runs_in_a_container_of_its_own() -> None:
    running = [spec["command"][0] for spec in PLATFORM.values()]
    assert sorted(set(running)) == sorted(SERVICES)
    assert running.count("gamification-service") == 2 and running.count("brain-gateway") == 2


@pytest.mark.parametrize("container", sorted(PLATFORM))
def test_each_container_has_what_its_service_needs_and_a_check_on_its_port(container: str) -> None:
    spec = PLATFORM[container]
    service = SERVICES[spec["command"][0]]
    environment = spec["environment"]
    for field in service.needs:
        assert environment.get(variable_of(field)), (container, variable_of(field))
    port = str(service.port)
    assert spec["healthcheck"]["test"] == ["CMD", "bizosaas", "health", "--port", port]
    assert spec["init"] is True  # SIGTERM reaches the server
    assert spec["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    published = spec.get("ports", [])
    assert (service.name == "brain-gateway") == bool(published), container
    assert all(p.endswith(":8002") for p in published)


def test_every_variable_set_is_one_the_platform_reads() -> None:
    known = variables()
    for name, spec in COMPOSE["services"].items():
        if name in STORES:
            continue
        unknown = set(spec["environment"]) - known
        assert not unknown, (name, unknown)


def test_the_gateways_reach_every_in_platform_upstream_by_its_container() -> None:
    environment = PLATFORM["brain-gateway-a"]["environment"]
    for upstream in ROUTES["upstreams"]:
        if upstream not in SERVICES:
            continue  # CRM, CMS, Saleor, … run elsewhere: configured by URL, or not at all
        urls = environment[upstream_env_name(upstream)].split(",")
        for url in urls:
            found = re.fullmatch(r"http://([a-z0-9-]+):(\d+)", url)
            assert found is not None, url
            host, port = found.groups()
            assert PLATFORM[host]["command"] == [upstream], (upstream, host)
            assert int(port) == SERVICES[upstream].port


def test_the_data_stores_keep_their_data_and_are_checked_before_anything_starts() -> None:
    declared = set(COMPOSE["volumes"])
    for name in STORES:
        store = COMPOSE["services"][name]
        assert "healthcheck" in store, name
        for volume in store.get("volumes", []):
            assert volume.split(":")[0] in declared, (name, volume)
    migrate = COMPOSE["services"]["migrate"]
    assert migrate["entrypoint"] == ["bizosaas", "migrate", "--provision"]
    assert {
        k for k, v in migrate["depends_on"].items() if v["condition"] == "service_healthy"
    } == STORES


def test_the_image_is_multi_stage_and_runs_unprivileged() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert len(re.findall(r"^FROM ", dockerfile, re.M)) == 2
    user = re.findall(r"^USER (\S+)", dockerfile, re.M)
    assert user and not user[-1].startswith(("root", "0"))
    assert 'ENTRYPOINT ["bizosaas", "serve"]' in dockerfile
    assert "HEALTHCHECK" in dockerfile
