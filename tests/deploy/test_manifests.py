"""The deployment files, read as the tools would. No container engine or cluster runs on the
development machines, so this checks their content; docs/operations.md says what else was
verified and how."""

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tasksync import stack

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
SERVICES = {"gateway", *stack.SERVICES}
CHART = DEPLOY / "helm" / "tasksync"
SECRET_LITERAL = re.compile(
    r"(password|secret|token)\s*[:=]\s*['\"]?[A-Za-z0-9+/]{8,}", re.IGNORECASE
)


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())


class TestCompose:
    def test_every_service_runs_from_the_one_image(self, compose: dict[str, Any]) -> None:
        services = compose["services"]
        assert set(services) >= SERVICES
        for name in SERVICES:
            assert services[name]["command"] == [name]
            assert services[name]["build"]["dockerfile"] == "deploy/Dockerfile"

    def test_services_start_only_after_what_they_need_is_healthy(
        self, compose: dict[str, Any]
    ) -> None:
        services = compose["services"]
        for infra in ("postgres", "redis"):
            assert "healthcheck" in services[infra]
        for name in SERVICES - {"gateway"}:
            needs = services[name]["depends_on"]
            assert (
                needs["postgres"]["condition"] == needs["redis"]["condition"] == "service_healthy"
            )
        assert all(
            c["condition"] == "service_healthy" for c in services["gateway"]["depends_on"].values()
        )

    def test_only_the_gateway_is_published_and_data_lives_in_named_volumes(
        self, compose: dict[str, Any]
    ) -> None:
        published = [name for name, spec in compose["services"].items() if "ports" in spec]
        assert published == ["gateway"]
        assert set(compose["volumes"]) == {"postgres-data", "redis-data"}

    def test_every_service_database_is_created_at_first_start(self) -> None:
        init = (DEPLOY / "postgres-init.sql").read_text()
        for name in stack.SERVICES:
            assert f"CREATE DATABASE tasksync_{name};" in init

    def test_no_secret_is_written_in_the_files(self) -> None:
        for path in [
            DEPLOY / "docker-compose.yml",
            DEPLOY / ".env.example",
            *CHART.rglob("*.yaml"),
        ]:
            assert not SECRET_LITERAL.search(path.read_text()), path
        assert re.search(
            r"^POSTGRES_PASSWORD=$", (DEPLOY / ".env.example").read_text(), re.MULTILINE
        )


class TestDockerfile:
    def test_image_is_multi_stage_non_root_with_a_healthcheck(self) -> None:
        text = (DEPLOY / "Dockerfile").read_text()
        assert text.count("FROM ") == 2
        assert "USER tasksync" in text
        assert "HEALTHCHECK" in text
        assert "/health" in text
        assert 'ENTRYPOINT ["tasksync", "serve"]' in text


class TestHelmChart:
    def test_values_declare_every_service_with_resources_and_autoscaling(self) -> None:
        values = yaml.safe_load((CHART / "values.yaml").read_text())
        assert set(values["services"]) == SERVICES
        for spec in values["services"].values():
            assert {"requests", "limits"} <= set(spec["resources"])
            assert spec["autoscaling"]["maxReplicas"] >= spec["autoscaling"]["minReplicas"]
        assert values["postgres"]["password"] == ""

    def test_deployments_have_probes_a_service_and_an_autoscaler(self) -> None:
        text = (CHART / "templates" / "deployments.yaml").read_text()
        assert "range $service, $spec := .Values.services" in text
        for piece in (
            "livenessProbe",
            "path: /health",
            "readinessProbe",
            "path: /ready",
            "kind: Service",
            "kind: HorizontalPodAutoscaler",
            "resources:",
        ):
            assert piece in text, piece

    def test_migrations_run_as_a_hook_before_install_and_upgrade(self) -> None:
        text = (CHART / "templates" / "migrate-job.yaml").read_text()
        assert '"helm.sh/hook": pre-install,pre-upgrade' in text
        assert '["tasksync", "migrate", "all"]' in text

    def test_configuration_comes_from_a_configmap_and_a_secret_and_the_gateway_has_an_ingress(
        self,
    ) -> None:
        templates = CHART / "templates"
        assert "kind: ConfigMap" in (templates / "configmap.yaml").read_text()
        assert "kind: Secret" in (templates / "secret.yaml").read_text()
        assert "secretKeyRef" in (templates / "_helpers.tpl").read_text()
        assert "-gateway" in (templates / "ingress.yaml").read_text()

    def test_templates_balance_their_blocks(self) -> None:
        for path in (CHART / "templates").glob("*.yaml"):
            text = path.read_text()
            opened = len(re.findall(r"{{-?\s*(if|range|with)\b", text))
            closed = len(re.findall(r"{{-?\s*end\s*-?}}", text))
            assert opened == closed, path.name
