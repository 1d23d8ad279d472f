"""The deployment files, read as the tools would. No container engine or cluster runs on the
development machines, so this checks their content; docs/operations.md says what else was
verified and how. The compose file, the init script and the chart's values are generated from
the service registry by `tasksync deploy render` (src/tasksync/cli/deploy.py)."""

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from tasksync.cli import deploy
from tasksync.cli.main import app
from tasksync.common import registry
from tasksync.common.registry import ServiceSpec

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
SERVICES = {spec.name for spec in registry.ALL}
DATA_SERVICES = {spec.name for spec in registry.SERVICES if spec.definition}
CHART = DEPLOY / "helm" / "tasksync"
TEMPLATES = CHART / "templates"
# The templates that name the gateway: it alone has an Ingress and no network policy.
GATEWAY_AWARE = {"ingress.yaml", "networkpolicy.yaml"}
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
        assert set(compose["volumes"]) == {"postgres-data", "redis-data", "files-data"}
        assert compose["services"]["files"]["volumes"] == ["files-data:/app/data"]

    def test_every_service_database_is_created_at_first_start(self) -> None:
        init = (DEPLOY / "postgres-init.sql").read_text()
        for name in DATA_SERVICES:
            assert f"CREATE DATABASE tasksync_{name};" in init

    def test_every_service_is_told_where_every_service_answers(
        self, compose: dict[str, Any]
    ) -> None:
        expected = {name: f"http://{name}:8000" for name in SERVICES}
        assert json.loads(compose["x-service"]["environment"]["TASKSYNC_SERVICE_URLS"]) == expected
        for name in SERVICES:
            environment = compose["services"][name]["environment"]
            assert json.loads(environment["TASKSYNC_SERVICE_URLS"]) == expected, name

    def test_each_service_waits_for_the_services_its_registry_entry_depends_on(
        self, compose: dict[str, Any]
    ) -> None:
        for spec in registry.ALL:
            needs = compose["services"][spec.name].get("depends_on", {})
            assert set(spec.depends_on) <= set(needs), spec.name
            for name in spec.depends_on:
                assert needs[name]["condition"] == "service_healthy", (spec.name, name)

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


class TestEdgeLimits:
    """Findings 4 and 9 of the security probe: the file limit and metrics access."""

    def test_every_container_may_open_enough_files(self, compose: dict[str, Any]) -> None:
        for name in SERVICES:
            limits = compose["services"][name]["ulimits"]["nofile"]
            assert limits == {"soft": 65536, "hard": 65536}, name
        assert "TASKSYNC_OPEN_FILES_LIMIT=65536" in (DEPLOY / "Dockerfile").read_text()

    def test_compose_passes_the_metrics_token_from_the_env_file(
        self, compose: dict[str, Any]
    ) -> None:
        for name in SERVICES:
            environment = compose["services"][name]["environment"]
            assert environment["TASKSYNC_METRICS_TOKEN"] == "${TASKSYNC_METRICS_TOKEN:-}"
        assert re.search(
            r"^TASKSYNC_METRICS_TOKEN=$", (DEPLOY / ".env.example").read_text(), re.MULTILINE
        )

    def test_the_chart_sets_who_may_scrape_from_its_values(self) -> None:
        values = yaml.safe_load((CHART / "values.yaml").read_text())
        assert values["metrics"]["allow"] == "127.0.0.1/32,::1/128"
        helpers = (TEMPLATES / "_helpers.tpl").read_text()
        env = helpers[helpers.index('define "tasksync.env"') :]
        assert "TASKSYNC_METRICS_ALLOW" in env
        token = env[env.index("{{- if .Values.metrics.existingSecret }}") :]
        assert "name: TASKSYNC_METRICS_TOKEN" in token
        assert "key: {{ .Values.metrics.existingSecretKey }}" in token


class TestDockerfile:
    def test_image_is_multi_stage_non_root_with_a_healthcheck(self) -> None:
        text = (DEPLOY / "Dockerfile").read_text()
        assert text.count("FROM ") == 3
        assert "COPY --from=web /web/dist" in text
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

    def test_service_urls_are_built_by_ranging_over_the_services(self) -> None:
        helpers = (TEMPLATES / "_helpers.tpl").read_text()
        urls = helpers[helpers.index('define "tasksync.serviceUrls"') :]
        urls = urls[: urls.index("{{- end -}}\n\n")]
        assert "range $service, $spec := .Values.services" in urls
        assert "toJson" in urls
        assert 'TASKSYNC_SERVICE_URLS: {{ include "tasksync.serviceUrls" . | quote }}' in (
            (TEMPLATES / "configmap.yaml").read_text()
        )

    def test_no_template_names_a_service(self) -> None:
        """Services come from the values only; the Ingress alone names the gateway."""
        for path in TEMPLATES.iterdir():
            text = path.read_text()
            for name in SERVICES:
                found = re.findall(rf"\b{name}\b", text)
                if name == registry.GATEWAY.name and path.name in GATEWAY_AWARE:
                    assert found == [name], path.name
                else:
                    assert not found, (path.name, name)

    def test_every_service_but_the_gateway_admits_only_the_releases_pods(self) -> None:
        """Services trust X-Forwarded-For from whoever reaches them (finding 12 of the
        security probe): the chart must keep everyone else out."""
        policy = (TEMPLATES / "networkpolicy.yaml").read_text()
        assert "kind: NetworkPolicy" in policy
        assert 'if ne $service "gateway"' in policy
        assert "policyTypes: [Ingress]" in policy
        assert "app.kubernetes.io/instance: {{ $.Release.Name }}" in policy
        values = yaml.safe_load((CHART / "values.yaml").read_text())
        assert values["networkPolicy"] == {"enabled": True, "extraFrom": []}

    def test_templates_balance_their_blocks(self) -> None:
        for path in TEMPLATES.iterdir():
            text = path.read_text()
            opened = len(re.findall(r"{{-?\s*(if|range|with|define)\b", text))
            closed = len(re.findall(r"{{-?\s*end\s*-?}}", text))
            assert opened == closed, path.name


class TestGeneratedFromTheRegistry:
    @pytest.mark.parametrize("path", list(deploy.render_all()), ids=str)
    def test_the_committed_file_is_what_render_writes(self, path: Path) -> None:
        assert (DEPLOY / path).read_text() == deploy.render_all()[path], (
            f"run `tasksync deploy render` and commit deploy/{path}"
        )

    def test_render_check_lists_stale_files_and_render_rewrites_them(self, tmp_path: Path) -> None:
        copy = tmp_path / "deploy"
        shutil.copytree(DEPLOY, copy)
        for path, text in deploy.render_all().items():
            (copy / path).write_text(text)
        compose = copy / "docker-compose.yml"
        compose.write_text(compose.read_text().replace('command: ["users"]', "command: [x]"))
        runner = CliRunner()

        check = runner.invoke(app, ["deploy", "render", "--check", "--deploy-dir", str(copy)])
        assert check.exit_code == 1
        assert "docker-compose.yml" in check.output
        assert "values.yaml" not in check.output
        assert 'command: ["users"]' not in compose.read_text()

        done = runner.invoke(app, ["deploy", "render", "--deploy-dir", str(copy)])
        assert done.exit_code == 0, done.output
        wrote = [line.split()[-1] for line in done.output.splitlines() if "wrote" in line]
        assert wrote == [str(compose)]
        assert not deploy.stale_files(copy)
        check = runner.invoke(app, ["deploy", "render", "--check", "--deploy-dir", str(copy)])
        assert check.exit_code == 0, check.output

    def test_the_sizing_table_names_only_known_services(self) -> None:
        assert set(deploy.SIZING) <= SERVICES

    def test_a_dependency_on_an_unknown_service_is_refused(self) -> None:
        broken = ServiceSpec("labels", 8004, paths=("/api/v1/labels",), depends_on=("nope",))
        with pytest.raises(ValueError, match="nope"):
            deploy.render_compose((*registry.ALL, broken))


class TestAddingAService:
    """A new service is one registry entry plus `tasksync deploy render`."""

    NEW = ServiceSpec(
        "labels",
        8004,
        paths=("/api/v1/labels",),
        depends_on=("rooms",),
        definition="tasksync.labels.app:definition",
    )
    SPECS = (*registry.ALL, NEW)

    @staticmethod
    def _lost(before: str, after: str) -> set[str]:
        return set(before.splitlines()) - set(after.splitlines())

    def test_it_gets_a_container_that_waits_for_what_it_needs(self) -> None:
        text = deploy.render_compose(self.SPECS)
        compose = yaml.safe_load(text)
        labels = compose["services"]["labels"]
        assert labels["command"] == ["labels"]
        assert labels["build"]["dockerfile"] == "deploy/Dockerfile"
        assert set(labels["depends_on"]) == {"postgres", "redis", "rooms"}
        urls = json.loads(labels["environment"]["TASKSYNC_SERVICE_URLS"])
        assert urls == {name: f"http://{name}:8000" for name in (*SERVICES, "labels")}
        assert list(compose["services"])[-1] == "gateway"
        # Nothing else changes but the list of URLs.
        lost = self._lost(deploy.render_compose(), text)
        assert [line.split(":")[0].strip() for line in lost] == ["TASKSYNC_SERVICE_URLS"]

    def test_it_gets_a_database(self) -> None:
        text = deploy.render_init_sql(self.SPECS)
        assert "CREATE DATABASE tasksync_labels;" in text
        assert not self._lost(deploy.render_init_sql(), text)

    def test_it_gets_a_deployment_sized_by_default(self) -> None:
        text = deploy.render_values(self.SPECS)
        labels = yaml.safe_load(text)["services"]["labels"]
        assert labels == {
            "replicas": 2,
            "resources": {
                "requests": {"cpu": "100m", "memory": "96Mi"},
                "limits": {"cpu": "1", "memory": "256Mi"},
            },
            "autoscaling": {
                "enabled": True,
                "minReplicas": 2,
                "maxReplicas": 6,
                "targetCPUUtilizationPercentage": 70,
            },
        }
        assert not self._lost(deploy.render_values(), text)
