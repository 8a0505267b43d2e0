"""The Dockerfile and the Kubernetes base keep the promises of docs/deploy.md.

No image is built here (these machines have no container daemon and no
registry): hadolint lints the Dockerfile, kubernetes-validate checks every
manifest offline against the schemas its wheel carries, and the rest reads
both files for what the deployment relies on.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from eventsui.modelarts.projects import parse_projects

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = ROOT / "Dockerfile"
KUBERNETES = ROOT / "deploy" / "kubernetes"
# The oldest Kubernetes the base is written for, and the newest the installed
# kubernetes-validate knows, so a removed API shows up when it is upgraded.
KUBERNETES_VERSIONS = ("1.30.0", kubernetes_validate.latest_version())
UID = 10001


def _instructions(text: str) -> list[tuple[str, str]]:
    """The Dockerfile's (INSTRUCTION, arguments), continuation lines joined, comments dropped."""
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    joined = "\n".join(lines).replace("\\\n", "")
    result = []
    for line in joined.splitlines():
        if line.strip():
            keyword, _, args = line.strip().partition(" ")
            result.append((keyword.upper(), args.strip()))
    return result


def _stages(text: str) -> list[list[tuple[str, str]]]:
    stages: list[list[tuple[str, str]]] = []
    for keyword, args in _instructions(text):
        if keyword == "FROM":
            stages.append([])
        if stages:
            stages[-1].append((keyword, args))
    return stages


def _runtime_stage() -> list[tuple[str, str]]:
    return _stages(DOCKERFILE.read_text())[-1]


def _one(stage: list[tuple[str, str]], keyword: str) -> str:
    found = [args for k, args in stage if k == keyword]
    assert len(found) == 1, f"{keyword}: {found}"
    return found[0]


def _documents(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def _kustomization() -> dict[str, Any]:
    return _documents(KUBERNETES / "kustomization.yaml")[0]


def _manifests() -> list[Path]:
    return [KUBERNETES / name for name in _kustomization()["resources"]]


def _resource(kind: str) -> dict[str, Any]:
    found = [doc for path in _manifests() for doc in _documents(path) if doc["kind"] == kind]
    assert len(found) == 1, f"{kind}: {len(found)} found"
    return found[0]


def _pod() -> dict[str, Any]:
    return _resource("Deployment")["spec"]["template"]


def _container(name: str = "eventsui") -> dict[str, Any]:
    (container,) = [c for c in _pod()["spec"]["containers"] if c["name"] == name]
    return container


def _secret_example() -> dict[str, str]:
    (generator,) = _kustomization()["secretGenerator"]
    (env_file,) = generator["envs"]
    pairs = {}
    for line in (KUBERNETES / env_file).read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            key, _, value = line.partition("=")
            pairs[key] = value
    return pairs


# -- The Dockerfile ------------------------------------------------------------------


def test_the_dockerfile_passes_hadolint() -> None:
    hadolint = Path(sys.executable).parent / "hadolint"
    result = subprocess.run(
        [hadolint, "--no-color", "--failure-threshold", "style", DOCKERFILE.name],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr


def test_both_stages_start_from_the_same_pinned_slim_python() -> None:
    bases = [_one(stage, "FROM").split()[0] for stage in _stages(DOCKERFILE.read_text())]
    assert bases == ["python:3.11-slim-bookworm", "python:3.11-slim-bookworm"]


def test_the_image_runs_the_production_entrypoint_as_a_fixed_non_root_user() -> None:
    stage = _runtime_stage()
    assert json.loads(_one(stage, "ENTRYPOINT")) == ["scripts/serve-production"]
    assert _one(stage, "USER").split(":")[0] == str(UID)
    assert _one(stage, "WORKDIR") == "/app"
    assert _one(stage, "EXPOSE") == "8000"
    env = _one(stage, "ENV")
    for setting in ("HOST=0.0.0.0", "PORT=8000", "PATH=/opt/venv/bin:$PATH", "TMPDIR=/tmp"):
        assert setting in env.split()


def test_static_files_are_collected_at_build_with_a_secret_that_is_not_kept() -> None:
    builder, runtime = _stages(DOCKERFILE.read_text())
    runs = [args for keyword, args in builder if keyword == "RUN"]
    assert any("collectstatic" in run and "DJANGO_SECRET_KEY=" in run for run in runs)
    assert any("pip install --no-cache-dir" in run for run in runs)
    everything_set = " ".join(args for k, args in builder + runtime if k in ("ENV", "ARG"))
    assert "DJANGO_SECRET_KEY" not in everything_set


def _image_paths() -> set[str]:
    """Where the runtime stage's COPYs put things, as Docker reads `COPY src dest`."""
    paths = set()
    for keyword, args in _runtime_stage():
        if keyword == "COPY":
            *sources, dest = [a for a in args.split() if not a.startswith("--")]
            for source in sources:
                if source.endswith("/"):
                    target = dest
                elif dest.endswith("/") or dest == ".":
                    target = f"{dest.rstrip('/')}/{Path(source).name}"
                else:
                    target = dest
                paths.add(os.path.normpath(os.path.join("/app", target)))
    return paths


def test_the_image_holds_everything_the_app_reads_at_run_time() -> None:
    # Settings find templates/, static/ and staticfiles/ next to eventsui/
    # (BASE_DIR), not in the installed package.
    needed = [
        "/opt/venv",
        "manage.py",
        "eventsui",
        "templates",
        "static",
        "staticfiles",
        "deploy/gunicorn.conf.py",
        "scripts/serve-production",
    ]
    assert {os.path.join("/app", path) for path in needed} <= _image_paths()


def test_the_build_context_admits_what_the_dockerfile_copies_and_nothing_else() -> None:
    patterns = [
        line
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert patterns[0] == "*", "the context is an allowlist"
    admitted = {p[1:].rstrip("/") for p in patterns if p.startswith("!")}
    from_context = set()
    for keyword, args in _instructions(DOCKERFILE.read_text()):
        if keyword == "COPY" and not args.startswith("--from"):
            from_context.update(src.rstrip("/") for src in args.split()[:-1])
    assert from_context == admitted
    for path in admitted:
        assert (ROOT / path).exists(), path


@pytest.fixture
def health_server() -> Iterator[tuple[int, list[tuple[str, str | None]], list[int]]]:
    """A loopback server recording (path, Host) and answering with the status in `status`."""
    seen: list[tuple[str, str | None]] = []
    status = [200]

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append((self.path, self.headers["Host"]))
            self.send_response(status[0])
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], seen, status
    server.shutdown()
    server.server_close()


def _run_healthcheck(port: int, allowed_hosts: str) -> int:
    options, _, command = _one(_runtime_stage(), "HEALTHCHECK").partition("CMD ")
    assert "--interval=" in options and "--timeout=" in options
    argv = json.loads(command)
    assert argv[:2] == ["python", "-c"]
    env = {**os.environ, "PORT": str(port), "DJANGO_ALLOWED_HOSTS": allowed_hosts}
    return subprocess.run(
        [sys.executable, "-c", argv[2]], env=env, capture_output=True, timeout=30, check=False
    ).returncode


def test_the_healthcheck_asks_healthz_with_a_host_django_allows(
    health_server: tuple[int, list[tuple[str, str | None]], list[int]],
) -> None:
    port, seen, _status = health_server
    assert _run_healthcheck(port, ".example.internal,other.example") == 0
    assert _run_healthcheck(port, "*") == 0
    assert seen == [("/healthz", "example.internal"), ("/healthz", "localhost")]


def test_the_healthcheck_fails_when_healthz_does_not_answer_200(
    health_server: tuple[int, list[tuple[str, str | None]], list[int]],
) -> None:
    port, _seen, status = health_server
    status[0] = 400
    assert _run_healthcheck(port, "eventsui.example.internal") != 0


# -- The Kubernetes base --------------------------------------------------------------


def test_the_kustomization_lists_exactly_the_files_in_its_folder() -> None:
    kustomization = _kustomization()
    listed = {"kustomization.yaml", *kustomization["resources"]}
    for generator in kustomization.get("secretGenerator", []):
        listed.update(generator.get("envs", []))
    on_disk = {path.name for path in KUBERNETES.iterdir()}
    assert listed == on_disk


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize("name", _kustomization()["resources"])
def test_every_manifest_validates_against_the_kubernetes_schemas(name: str, version: str) -> None:
    documents = _documents(KUBERNETES / name)
    assert documents
    for document in documents:
        try:
            kubernetes_validate.validate(document, version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            pytest.fail(f"{name} against Kubernetes {version}: {exc.path}: {exc.message}")


def test_the_deployment_runs_two_replicas_spread_over_nodes() -> None:
    deployment = _resource("Deployment")
    assert deployment["spec"]["replicas"] == 2
    anti = _pod()["spec"]["affinity"]["podAntiAffinity"]
    (term,) = anti["preferredDuringSchedulingIgnoredDuringExecution"]
    assert term["podAffinityTerm"]["topologyKey"] == "kubernetes.io/hostname"


def test_liveness_asks_healthz_and_readiness_asks_readyz_at_most_every_ten_seconds() -> None:
    container = _container()
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    readiness = container["readinessProbe"]
    assert readiness["httpGet"]["path"] == "/readyz"
    # Each /readyz is a ModelArts call; with ModelArts failing it takes up to 16 s.
    assert readiness["periodSeconds"] >= 10
    assert readiness["timeoutSeconds"] > 16
    ports = {port["name"]: port["containerPort"] for port in container["ports"]}
    assert ports == {"http": 8000}
    assert container["livenessProbe"]["httpGet"]["port"] == "http"
    assert readiness["httpGet"]["port"] == "http"


def test_every_container_runs_as_non_root_on_a_read_only_root_filesystem() -> None:
    pod = _pod()["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == UID
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    for container in pod["initContainers"] + pod["containers"]:
        context = container["securityContext"]
        assert context["runAsNonRoot"] is True, container["name"]
        assert context["runAsUser"] == UID, container["name"]
        assert context["readOnlyRootFilesystem"] is True, container["name"]
        assert context["allowPrivilegeEscalation"] is False, container["name"]
        assert context["capabilities"] == {"drop": ["ALL"]}, container["name"]
        assert {"name": "tmp", "mountPath": "/tmp"} in container["volumeMounts"]
        assert "limits" in container["resources"] and "requests" in container["resources"]
    assert {"name": "tmp", "emptyDir": {"sizeLimit": "256Mi"}} in pod["volumes"]


def test_migrations_run_in_an_init_container_and_not_in_the_server() -> None:
    (init,) = _pod()["spec"]["initContainers"]
    assert init["command"] == ["python", "manage.py", "migrate", "--noinput"]
    assert init["image"] == _container()["image"]
    assert init["envFrom"] == _container()["envFrom"]
    env = {item["name"]: item.get("value") for item in _container()["env"]}
    assert env["EVENTSUI_MIGRATE"] == "0"
    assert "command" not in _container() and "args" not in _container()


def test_settings_come_from_the_configmap_and_credentials_from_the_secret() -> None:
    config_map = _resource("ConfigMap")
    (generator,) = _kustomization()["secretGenerator"]
    assert _container()["envFrom"] == [
        {"configMapRef": {"name": config_map["metadata"]["name"]}},
        {"secretRef": {"name": generator["name"]}},
    ]
    settings = config_map["data"]
    assert settings["CACHE_URL"].startswith("redis://")
    for name in (
        "DJANGO_ALLOWED_HOSTS",
        "EVENTSUI_AUTH",
        "EVENTSUI_UPSTREAM_RATE",
        "EVENTSUI_UPSTREAM_BURST",
        "WEB_CONCURRENCY",
        "GUNICORN_THREADS",
        "LOG_LEVEL",
    ):
        assert name in settings
    secrets = _secret_example()
    assert set(secrets) == {
        "DJANGO_SECRET_KEY",
        "DATABASE_URL",
        "EVENTSUI_PROJECTS",
        "EVENTSUI_METRICS_TOKEN",
    }
    assert not set(secrets) & set(settings)


def test_the_secret_example_is_placeholders_in_the_format_settings_read() -> None:
    secrets = _secret_example()
    for name, value in secrets.items():
        assert "REPLACE-ME" in value, name
    assert secrets["DATABASE_URL"].startswith("postgres://")
    (project,) = parse_projects(secrets["EVENTSUI_PROJECTS"])
    assert project.credentials.kind == "token"


def test_the_pods_allow_their_own_address_as_host_for_probes_and_scrapes() -> None:
    env = {item["name"]: item for item in _container()["env"]}
    assert env["POD_IP"]["valueFrom"] == {"fieldRef": {"fieldPath": "status.podIP"}}
    assert env["DJANGO_ALLOWED_HOSTS"]["value"] == "$(DJANGO_ALLOWED_HOSTS),$(POD_IP)"


def test_the_service_sends_port_80_to_the_pods_and_is_scraped_for_metrics() -> None:
    service = _resource("Service")
    assert service["spec"]["type"] == "ClusterIP"
    assert service["spec"]["selector"] == _resource("Deployment")["spec"]["selector"]["matchLabels"]
    assert service["spec"]["ports"] == [
        {"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}
    ]
    annotations = service["metadata"]["annotations"]
    assert annotations["prometheus.io/scrape"] == "true"
    assert annotations["prometheus.io/path"] == "/metrics"
    assert annotations["prometheus.io/port"] == "8000"


def test_a_disruption_budget_and_an_autoscaler_cover_the_deployment() -> None:
    deployment = _resource("Deployment")
    budget = _resource("PodDisruptionBudget")
    assert budget["spec"]["minAvailable"] == 1
    assert budget["spec"]["selector"] == deployment["spec"]["selector"]
    autoscaler = _resource("HorizontalPodAutoscaler")
    assert autoscaler["apiVersion"] == "autoscaling/v2"
    assert autoscaler["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": deployment["metadata"]["name"],
    }
    assert (autoscaler["spec"]["minReplicas"], autoscaler["spec"]["maxReplicas"]) == (2, 6)
    (metric,) = autoscaler["spec"]["metrics"]
    assert metric["resource"]["name"] == "cpu"


def test_the_kustomization_names_the_image_the_containers_use() -> None:
    (image,) = _kustomization()["images"]
    pod = _pod()["spec"]
    assert {c["image"] for c in pod["initContainers"] + pod["containers"]} == {image["name"]}
