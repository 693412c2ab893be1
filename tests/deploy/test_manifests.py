"""deploy/: the Dockerfile, the compose file and the Kubernetes manifests, checked in CI.

No container engine runs on these machines, so no image is built here. What is checked:

- every YAML file parses; the Kubernetes manifests validate against the API schemas of their
  kinds (kubernetes-validate, offline, strict: an unknown field fails), and the compose file
  against the Compose Specification's schema (check-jsonschema's copy);
- the files agree with each other and with the app: one port everywhere, probe paths the app
  answers with 200, only environment variables the app reads, the image's user in the pods;
- the image's commands run: the build stage's dependency and collectstatic steps, and the
  image's ENTRYPOINT and CMD, the migration Job's and the CronJobs' arguments, each run
  here from the checkout (paths under the image's WORKDIR mapped to it, the venv on PATH)
  with the Dockerfile's, the ConfigMap's and the Secret's variables, on a fresh database,
  and with the checkout, the venv and the static files mounted read-only, as the pods'
  readOnlyRootFilesystem has them.

What cannot be checked without an engine: that the base images pull, that apt and pip
succeed inside the build, and the image's own filesystem (README, "Containers and Kubernetes").
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from urllib.parse import urlencode

import dockerfile
import pytest
import yaml
from django.conf import settings
from django.core.management import get_commands
from kubernetes_validate.utils import validate as validate_kubernetes

from tests.deploy.conftest import (
    PRODUCTION,
    Server,
    clean_environment,
    free_port,
    fresh_database,
    launch,
)

ROOT = Path(settings.BASE_DIR)
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
VENV_BIN = Path(sys.executable).parent
# The oldest Kubernetes the manifests are meant for (CronJob's timeZone needs 1.27), and the
# newest the validator knows: an API removed or changed in between fails one of the two.
KUBERNETES_VERSIONS = ("1.29", "1.37")
# The web pods' kind of request: a pod address, no TLS proxy, no host from ALLOWED_HOSTS.
KUBELET = {"Host": "10.1.2.3:8000", "User-Agent": "kube-probe/1.31"}
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
HASHED_CSS = re.compile(r'<link rel="stylesheet" href="(/static/app\.[0-9a-f]{12}\.css)">')
# Not the app's: read by the shell and by Python itself.
INTERPRETER_VARIABLES = {"PATH", "PYTHONDONTWRITEBYTECODE", "PYTHONUNBUFFERED"}
# Compilers and headers: the build stage's, never the final image's.
BUILD_TOOLS = re.compile(r"\b(build-essential|gcc|g\+\+|clang|make|[\w.+-]+-dev)\b")


# --- Reading the files ----------------------------------------------------------------------


def yaml_documents(path: Path) -> list[dict]:
    return [document for document in yaml.safe_load_all(path.read_text()) if document]


def kustomization() -> dict:
    return yaml_documents(K8S / "kustomization.yaml")[0]


def k8s_resources() -> list[dict]:
    """What `kubectl apply -k` applies, and the Secret it expects to find (the example)."""
    files = [*kustomization()["resources"], "secret.example.yaml"]
    return [document for name in files for document in yaml_documents(K8S / name)]


def k8s_resource(kind: str) -> dict:
    """The one resource of that kind."""
    (found,) = [resource for resource in k8s_resources() if resource["kind"] == kind]
    return found


def pod_specs() -> dict[str, dict]:
    """Every pod the manifests make, by its owner's kind and name."""
    pods = {}
    for resource in k8s_resources():
        name = f"{resource['kind']}/{resource['metadata']['name']}"
        if resource["kind"] in {"Deployment", "Job"}:
            pods[name] = resource["spec"]["template"]["spec"]
        elif resource["kind"] == "CronJob":
            pods[name] = resource["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    return pods


def web_container() -> dict:
    (container,) = k8s_resource("Deployment")["spec"]["template"]["spec"]["containers"]
    return container


def compose() -> dict:
    return yaml_documents(DEPLOY / "compose.yaml")[0]


def compose_app_services() -> dict[str, dict]:
    """The services that run the app's image (not PostgreSQL's or Redis's)."""
    return {name: service for name, service in compose()["services"].items() if "build" in service}


@dataclass
class Stage:
    name: str | None
    base: str
    commands: list[dockerfile.Command]

    def all(self, instruction: str) -> list[dockerfile.Command]:
        return [command for command in self.commands if command.cmd == instruction.upper()]

    def last(self, instruction: str) -> dockerfile.Command:
        return self.all(instruction)[-1]

    def env(self) -> dict[str, str]:
        variables = {}
        for command in self.all("ENV"):
            pairs = command.value
            for index in range(0, len(pairs), 2):
                variables[pairs[index]] = " ".join(shlex.split(pairs[index + 1]))
        return variables

    def run_lines(self) -> list[str]:
        return [command.value[0] for command in self.all("RUN")]


def dockerfile_stages() -> list[Stage]:
    """The Dockerfile's stages, read by BuildKit's own parser (the `dockerfile` package)."""
    arguments: dict[str, str] = {}
    stages: list[Stage] = []
    for command in dockerfile.parse_file(str(DEPLOY / "Dockerfile")):
        if command.cmd == "ARG" and not stages:
            name, _, default = command.value[0].partition("=")
            arguments[name] = default
        elif command.cmd == "FROM":
            base = re.sub(r"\$\{?(\w+)\}?", lambda m: arguments[m[1]], command.value[0])
            name = command.value[2] if len(command.value) == 3 else None
            stages.append(Stage(name=name, base=base, commands=[]))
        else:
            stages[-1].commands.append(command)
    return stages


def final_stage() -> Stage:
    return dockerfile_stages()[-1]


def exec_form(command: dockerfile.Command) -> list[str]:
    """An ENTRYPOINT, CMD or HEALTHCHECK's arguments; only the exec (JSON) form is allowed:
    the shell form would put a shell in front of gunicorn, and SIGTERM would stop at it."""
    assert command.json, f'{command.original!r}: use the exec form, ["..."]'
    values = list(command.value)
    return values[1:] if command.cmd == "HEALTHCHECK" else values


def outside_the_image(argument: str) -> str:
    """A path under the image's WORKDIR (/app) is the same path in the checkout."""
    workdir = final_stage().last("WORKDIR").value[0].rstrip("/")
    if argument.startswith(workdir + "/"):
        return str(ROOT / argument.removeprefix(workdir + "/"))
    return argument


def port_of(bind: str) -> int:
    return int(bind.rsplit(":", 1)[1])


def app_environment_variables() -> set[str]:
    """The variables config/ reads (settings, gunicorn's configuration, the env helpers), and
    those the README's configuration table documents."""
    reads = re.compile(
        r"""(?:environ\.get|environ\[|getenv|env_\w+)\(?\s*["']([A-Z][A-Z0-9_]+)["']"""
    )
    names = {
        name for path in (ROOT / "config").glob("*.py") for name in reads.findall(path.read_text())
    }
    readme = (ROOT / "README.md").read_text()
    table = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    for row in table.splitlines():
        if row.startswith("| `"):
            names |= set(re.findall(r"`([A-Z][A-Z0-9_]+)`", row.split("|")[1]))
    return names


# --- Every file parses and is valid for what it is -------------------------------------------


def test_every_yaml_file_in_the_repository_parses():
    files = []
    for folder, subfolders, names in os.walk(ROOT):
        # Not into the venv, git's store or generated files: only the project's own YAML.
        subfolders[:] = [
            name
            for name in subfolders
            if not name.startswith(".") and name not in {"node_modules", "staticfiles"}
        ]
        files += [Path(folder) / name for name in names if name.endswith((".yaml", ".yml"))]
    assert DEPLOY / "compose.yaml" in files
    for path in files:
        assert yaml_documents(path), f"{path} holds no document"


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_kubernetes_manifests_are_valid_for_their_kinds(version):
    resources = k8s_resources()
    assert {resource["kind"] for resource in resources} >= {
        "Deployment",
        "Service",
        "ConfigMap",
        "Secret",
        "Job",
        "CronJob",
    }
    for resource in resources:
        validate_kubernetes(resource, version, strict=True)


def test_the_kustomization_applies_every_manifest_but_the_secret_example():
    manifests = {path.name for path in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    examples = {name for name in manifests if name.endswith(".example.yaml")}
    assert examples == {"secret.example.yaml"}
    assert sorted(kustomization()["resources"]) == sorted(manifests - examples)
    # The pods read the Secret the example describes, by that name.
    secret = k8s_resource("Secret")["metadata"]["name"]
    for pod in pod_specs().values():
        for container in pod["containers"]:
            assert {"secretRef": {"name": secret}} in container["envFrom"]


def test_kubectl_renders_the_kustomization_into_valid_manifests():
    if shutil.which("kubectl") is None:
        pytest.skip("kubectl is not installed (it renders the kustomization offline)")
    rendered = subprocess.run(
        ["kubectl", "kustomize", str(K8S)], capture_output=True, text=True, timeout=60, check=True
    ).stdout
    resources = [document for document in yaml.safe_load_all(rendered) if document]

    assert len(resources) == sum(len(yaml_documents(K8S / n)) for n in kustomization()["resources"])
    (image,) = kustomization()["images"]
    for resource in resources:
        validate_kubernetes(resource, KUBERNETES_VERSIONS[-1], strict=True)
    # The image override reaches every container of every pod.
    images = re.findall(r"^\s*image: (\S+)$", rendered, re.MULTILINE)
    assert images
    assert set(images) == {f"{image['newName']}:{image['newTag']}"}


def test_the_compose_file_follows_the_compose_specification():
    result = subprocess.run(
        [
            str(VENV_BIN / "check-jsonschema"),
            "--builtin-schema",
            "vendor.compose-spec",
            str(DEPLOY / "compose.yaml"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_docker_compose_accepts_the_compose_file():
    docker = shutil.which("docker")
    if (
        docker is None
        or subprocess.run(
            [docker, "compose", "version"], capture_output=True, timeout=60, check=False
        ).returncode
    ):
        pytest.skip("no `docker compose` here (the docker client has no compose plugin)")
    result = subprocess.run(
        [docker, "compose", "-f", str(DEPLOY / "compose.yaml"), "config", "--quiet"],
        env=clean_environment(SECRET_KEY="x" * 50, POSTGRES_PASSWORD="x"),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr


# --- The files agree with each other and with the app ----------------------------------------


def test_compose_migrates_once_on_a_healthy_database_before_the_app_starts():
    services = compose()["services"]
    app, migrate, db = services["app"], services["migrate"], services["db"]

    assert app["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
    assert migrate["depends_on"]["db"] == {"condition": "service_healthy"}
    assert migrate["restart"] == "no"
    assert db["image"] == "postgres:15"
    assert "healthcheck" in db
    assert any(volume.endswith(":/var/lib/postgresql/data") for volume in db["volumes"])
    # Redis only when asked for.
    assert services["redis"]["profiles"] == ["redis"]
    assert "redis" not in app["depends_on"]


def test_every_runner_uses_one_image_and_the_entrypoints_subcommands():
    cmd = exec_form(final_stage().last("CMD"))
    services = compose_app_services()

    # The web replicas and compose's app serve as the image does by default, never migrating.
    assert exec_form(final_stage().last("ENTRYPOINT")) == ["/app/deploy/entrypoint.sh"]
    assert cmd == ["serve"]
    assert web_container()["args"] == cmd
    assert services["app"]["command"] == cmd
    # One migration, by the Job or compose's one-shot service.
    (job,) = k8s_resource("Job")["spec"]["template"]["spec"]["containers"]
    assert job["args"] == services["migrate"]["command"] == ["migrate"]
    # Scheduled commands are manage.py commands.
    for name, pod in pod_specs().items():
        if name.startswith("CronJob/"):
            (container,) = pod["containers"]
            assert container["args"][0] == "manage", name
    images = {c["image"] for pod in pod_specs().values() for c in pod["containers"]}
    assert images == {kustomization()["images"][0]["name"]}


def test_ports_agree_between_the_image_gunicorn_the_pods_and_the_service():
    final = final_stage()
    (exposed,) = [value for command in final.all("EXPOSE") for value in command.value]
    port = int(exposed.removesuffix("/tcp"))
    bind = final.env()["GUNICORN_BIND"]

    assert port == 8000
    # Every interface: a container's loopback is unreachable from outside it.
    assert bind == f"0.0.0.0:{port}"

    container = web_container()
    named = {entry["name"]: entry["containerPort"] for entry in container["ports"]}
    assert set(named.values()) == {port}

    def resolve(value: int | str) -> int:
        return named[value] if isinstance(value, str) else value

    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        assert resolve(container[probe]["httpGet"]["port"]) == port, probe
    (service_port,) = k8s_resource("Service")["spec"]["ports"]
    assert resolve(service_port["targetPort"]) == port

    # compose publishes the same port, and nothing anywhere moves gunicorn off it.
    (published,) = compose()["services"]["app"]["ports"]
    assert int(published.rsplit(":", 1)[1]) == port
    settings_sources = [
        k8s_resource("ConfigMap")["data"],
        k8s_resource("Secret")["stringData"],
        *(service["environment"] for service in compose_app_services().values()),
    ]
    for variables in settings_sources:
        if "GUNICORN_BIND" in variables:
            assert port_of(variables["GUNICORN_BIND"]) == port


def test_the_service_and_the_disruption_budget_select_the_web_pods_only():
    deployment = k8s_resource("Deployment")["spec"]
    web = deployment["template"]["metadata"]["labels"]
    selectors = {
        "Deployment": deployment["selector"]["matchLabels"],
        "Service": k8s_resource("Service")["spec"]["selector"],
        "PodDisruptionBudget": k8s_resource("PodDisruptionBudget")["spec"]["selector"][
            "matchLabels"
        ],
    }
    others = [k8s_resource("Job")["spec"]["template"]["metadata"]["labels"]] + [
        resource["spec"]["jobTemplate"]["spec"]["template"]["metadata"]["labels"]
        for resource in k8s_resources()
        if resource["kind"] == "CronJob"
    ]

    assert deployment["replicas"] == 2
    for kind, selector in selectors.items():
        assert selector.items() <= web.items(), kind
        # The migration's and the CronJobs' pods answer no requests.
        for labels in others:
            assert not selector.items() <= labels.items(), (kind, labels)


def test_every_variable_set_for_the_app_is_one_it_reads():
    known = app_environment_variables()
    assert {"DATABASE_URL", "SECRET_KEY", "GUNICORN_BIND", "REDIS_URL", "EMAIL_URL"} <= known

    set_by = {
        "Dockerfile": set(final_stage().env()) - INTERPRETER_VARIABLES,
        "ConfigMap": set(k8s_resource("ConfigMap")["data"]),
        "Secret": set(k8s_resource("Secret")["stringData"]),
    }
    for pod_name, pod in pod_specs().items():
        set_by[pod_name] = {
            entry["name"] for container in pod["containers"] for entry in container.get("env", [])
        }
    for name, service in compose_app_services().items():
        set_by[f"compose {name}"] = set(service["environment"])

    unknown = {where: sorted(names - known) for where, names in set_by.items() if names - known}
    assert unknown == {}
    # Both deployments set every variable of the README's "Production variables".
    readme = (ROOT / "README.md").read_text().split("### Production variables", 1)[1]
    block = re.search(r"```sh\n(.*?)```", readme, re.DOTALL).group(1)
    documented = {line.split("=", 1)[0] for line in block.splitlines() if "=" in line}
    assert "DATABASE_URL" in documented
    image = set(final_stage().env())
    assert documented <= image | set_by["ConfigMap"] | set_by["Secret"]
    assert documented <= image | set_by["compose app"]


def test_the_final_image_runs_as_a_numeric_non_root_user_without_build_tools():
    build, final = dockerfile_stages()[0], final_stage()
    user, _, group = final.last("USER").value[0].partition(":")

    # Numeric (runAsNonRoot cannot check a name) and not 0.
    assert re.fullmatch(r"[1-9][0-9]*", user), f"USER {user}"
    assert re.fullmatch(r"[1-9][0-9]*", group), f"USER ...:{group}"
    for name, pod in pod_specs().items():
        assert pod["securityContext"]["runAsUser"] == int(user), name
        assert pod["securityContext"]["runAsGroup"] == int(group), name
    # The compiler is in the build stage only; the final stage copies the venv and the app.
    assert any(BUILD_TOOLS.search(line) for line in build.run_lines())
    assert not [line for line in final.run_lines() if BUILD_TOOLS.search(line)]
    assert "slim" in final.base
    assert final.base == build.base
    copied = [command.value for command in final.all("COPY")]
    assert copied == [
        ("/opt/venv", "/opt/venv"),
        ("/app", "/app"),
    ]
    assert all(command.flags == (f"--from={build.name}",) for command in final.all("COPY"))


def test_every_pod_runs_as_non_root_on_a_read_only_root_with_a_scratch_tmp():
    for name, pod in pod_specs().items():
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert pod["automountServiceAccountToken"] is False, name
        scratch = {volume["name"] for volume in pod["volumes"] if "emptyDir" in volume}
        for container in pod["containers"]:
            context = container["securityContext"]
            assert context["readOnlyRootFilesystem"] is True, name
            assert context["allowPrivilegeEscalation"] is False, name
            assert context["capabilities"]["drop"] == ["ALL"], name
            mounts = {mount["mountPath"]: mount["name"] for mount in container["volumeMounts"]}
            assert mounts["/tmp"] in scratch, name
            assert {"requests", "limits"} <= set(container["resources"]), name


def test_the_dockerignore_keeps_local_state_out_but_not_the_app():
    patterns = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    # No exceptions (!) and ** only in front, so the matching below is the builder's: a
    # pattern matches a path from the context's root, or its folder and all below it; each
    # segment as a glob (Go's filepath.Match); **/ in front matches at any depth.
    assert not [pattern for pattern in patterns if pattern.startswith("!")]
    assert not [pattern for pattern in patterns if "**" in pattern.removeprefix("**/")]

    def matches(segments: tuple[str, ...], pattern: tuple[str, ...]) -> bool:
        return len(segments) == len(pattern) and all(map(fnmatchcase, segments, pattern))

    def ignored(relative: str) -> bool:
        parts = Path(relative).parts
        for pattern in patterns:
            anywhere = pattern.startswith("**/")
            glob = Path(pattern.removeprefix("**/")).parts
            for end in range(1, len(parts) + 1):
                starts = range(end) if anywhere else [0]
                if any(matches(parts[start:end], glob) for start in starts):
                    return True
        return False

    for local in (".git", ".venv", "db.sqlite3", "staticfiles", "deploy/.env", "tests/deploy"):
        assert ignored(local), local
    assert ignored("incidents/__pycache__/models.cpython-311.pyc")
    needed = [
        "manage.py",
        "pyproject.toml",
        "requirements.lock",
        "deploy/entrypoint.sh",
        "deploy/healthcheck.py",
        "templates",
        "static",
        "fixtures/demo.json",
        *(
            app.split(".")[0]
            for app in settings.INSTALLED_APPS
            if (ROOT / app.split(".")[0]).is_dir()
        ),
    ]
    assert "incidents" in needed
    for path in needed:
        assert (ROOT / path).exists(), path
        assert not ignored(path), path


# --- The image's commands, run from the checkout ----------------------------------------------


def read_only_prefix(paths: list[Path]) -> list[str] | None:
    """A command prefix that runs the rest with `paths` mounted read-only (a private mount
    namespace, as root): the container's readOnlyRootFilesystem, for the app's own files.
    None where mount namespaces are not allowed."""
    script = " && ".join(
        f"mount --bind -o ro {shlex.quote(str(path))} {shlex.quote(str(path))}" for path in paths
    )
    prefix = [
        "unshare",
        "--mount",
        "--propagation",
        "private",
        "sh",
        "-c",
        f'{script} && exec "$@"',
        "sh",
    ]
    if shutil.which("unshare") is None:
        return None
    probe = subprocess.run([*prefix, "true"], capture_output=True, timeout=30, check=False)
    return prefix if probe.returncode == 0 else None


@dataclass
class Image:
    """The image's environment and commands, outside a container."""

    env: dict[str, str]
    prefix: list[str]
    read_only: bool

    def run(self, args: list[str], timeout: int = 300, **extra: str) -> subprocess.CompletedProcess:
        entrypoint = [outside_the_image(arg) for arg in exec_form(final_stage().last("ENTRYPOINT"))]
        return subprocess.run(
            [*self.prefix, *entrypoint, *args],
            env={**self.env, **extra},
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )


def run_build_step(keyword: str, **variables: str) -> subprocess.CompletedProcess:
    """The build stage's RUN line containing `keyword`, in the checkout, with its SHELL."""
    build = dockerfile_stages()[0]
    (line,) = [line for line in build.run_lines() if keyword in line]
    shell = exec_form(build.last("SHELL")) if build.all("SHELL") else ["/bin/sh", "-c"]
    return subprocess.run(
        [*shell, line],
        cwd=ROOT,
        env=clean_environment(PATH=f"{VENV_BIN}:/usr/local/bin:/usr/bin:/bin", **variables),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def image(tmp_path_factory) -> Iterator[Image]:
    """The pods' environment on a fresh database: the Dockerfile's variables, then the
    ConfigMap's and the Secret's, with the test's database, port and folders; static files
    collected by the build stage's own step; the migration Job's arguments already run."""
    folder = tmp_path_factory.mktemp("image")
    static_root = folder / "staticfiles"
    collected = run_build_step("collectstatic", STATIC_ROOT=str(static_root))
    assert collected.returncode == 0, collected.stderr[-3000:]
    assert (static_root / "staticfiles.json").exists()

    with fresh_database(folder) as database_url:
        env = clean_environment()
        env.update(final_stage().env())
        env.update(k8s_resource("ConfigMap")["data"])
        env.update(k8s_resource("Secret")["stringData"])
        # The Secret's placeholders name no reachable host, and its key is published: the
        # test's database and key, the per-process cache; its mail server is never contacted.
        del env["REDIS_URL"]
        env.update(
            SECRET_KEY=PRODUCTION["SECRET_KEY"],
            DATABASE_URL=database_url,
            PATH=f"{VENV_BIN}:{clean_environment()['PATH']}",
            STATIC_ROOT=str(static_root),
            GUNICORN_BIND=f"127.0.0.1:{free_port()}",
            GUNICORN_WORKERS="1",
            # The pod's /tmp emptyDir; its root filesystem, HOME included, is read-only.
            TMPDIR=str(folder),
            HOME="/nonexistent",
        )
        prefix = read_only_prefix([ROOT, Path(sys.prefix).resolve(), static_root])
        image = Image(env=env, prefix=prefix or [], read_only=prefix is not None)
        (job,) = k8s_resource("Job")["spec"]["template"]["spec"]["containers"]
        migrated = image.run(job["args"])
        assert migrated.returncode == 0, migrated.stderr[-3000:]
        yield image


def start(image: Image, log_path: Path, args: list[str] | None = None, **extra: str) -> Server:
    """The image's ENTRYPOINT with its CMD (or `args`), until /healthz answers."""
    env = {**image.env, **extra}
    entrypoint = [outside_the_image(arg) for arg in exec_form(final_stage().last("ENTRYPOINT"))]
    cmd = args if args is not None else exec_form(final_stage().last("CMD"))
    return launch(
        [*image.prefix, *entrypoint, *cmd],
        env=env,
        port=port_of(env["GUNICORN_BIND"]),
        log_path=log_path,
        name="the entrypoint",
    )


@pytest.fixture(scope="module")
def served(image, tmp_path_factory) -> Iterator[Server]:
    server = start(image, tmp_path_factory.mktemp("served") / "entrypoint.log")
    yield server
    server.stop()


def site_headers() -> dict[str, str]:
    """A browser's request through the TLS proxy to the ConfigMap's host."""
    host = k8s_resource("ConfigMap")["data"]["ALLOWED_HOSTS"].split(",")[0]
    return {"Host": host}


def test_the_builds_dependency_step_installs_exactly_the_locked_versions():
    # pip without an index, as a dry run: it succeeds only if every dependency the step asks
    # for, at the lock's version, is already what the venv (installed from the lock) holds.
    result = run_build_step("pip install", PIP_NO_INDEX="1", PIP_DRY_RUN="1")

    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "Would install" not in result.stdout
    for name in ("Django", "gunicorn", "whitenoise", "psycopg"):
        assert re.search(rf"Requirement already satisfied: {name}\b", result.stdout, re.I), name
    # The dev tools stay out of the image.
    for name in ("pytest", "playwright", "locust", "ruff"):
        assert not re.search(rf"satisfied: {name}\b", result.stdout, re.I), name


def test_the_images_command_serves_the_app_with_its_static_files(served):
    ready = served.get("/readyz", behind_tls_proxy=False)
    assert (ready.status, json.loads(ready.body)["status"]) == (200, "ok")

    page = served.get("/accounts/login/", headers=site_headers())
    assert page.status == 200, page.body[:2000]
    css_url = HASHED_CSS.search(page.body.decode()).group(1)
    css = served.get(css_url, headers=site_headers())
    assert css.status == 200
    assert css.header("Content-Type").startswith("text/css")
    assert css.body == (ROOT / "static" / "app.css").read_bytes()


def probe_paths() -> dict[str, str]:
    """Every health probe the files define, by where it is defined."""
    container = web_container()
    paths = {
        f"Deployment {probe}": container[probe]["httpGet"]["path"]
        for probe in ("startupProbe", "livenessProbe", "readinessProbe")
    }
    healthcheck = exec_form(final_stage().last("HEALTHCHECK"))
    paths["Dockerfile HEALTHCHECK"] = healthcheck[-1]
    for name, service in compose_app_services().items():
        if "healthcheck" in service:
            paths[f"compose {name}"] = service["healthcheck"]["test"][-1]
    return paths


def test_every_probe_path_answers_200_to_a_kubelet(served):
    paths = probe_paths()
    assert set(paths.values()) == {"/healthz", "/readyz"}
    # Liveness must not depend on the database: a database outage would restart every replica.
    assert paths["Deployment livenessProbe"] == paths["Dockerfile HEALTHCHECK"] == "/healthz"
    assert paths["Deployment readinessProbe"] == "/readyz"

    for where, path in paths.items():
        response = served.get(path, headers=KUBELET, behind_tls_proxy=False)
        assert response.status == 200, (where, path, response.body)


def test_the_health_check_commands_pass_only_while_the_app_answers(image, served):
    checks = {"Dockerfile": exec_form(final_stage().last("HEALTHCHECK"))}
    for name, service in compose_app_services().items():
        if "healthcheck" in service:
            test = service["healthcheck"]["test"]
            assert test[0] == "CMD"
            checks[f"compose {name}"] = test[1:]

    for where, command in checks.items():
        args = [outside_the_image(arg) for arg in command]
        passing = subprocess.run(args, env=image.env, capture_output=True, timeout=30, check=False)
        assert passing.returncode == 0, (where, passing.stderr)
        nothing = {**image.env, "GUNICORN_BIND": f"0.0.0.0:{free_port()}"}
        failing = subprocess.run(args, env=nothing, capture_output=True, timeout=30, check=False)
        assert failing.returncode == 1, where


def test_a_user_logs_in_with_the_apps_files_read_only(image, served):
    if not image.read_only:
        pytest.skip("mount namespaces are not allowed here: the app ran with a writable checkout")
    # The emulation holds: nothing under the checkout can be written.
    touched = image.run(["sh", "-c", f"touch {shlex.quote(str(ROOT / 'manage.py'))}"])
    assert touched.returncode != 0
    assert "Read-only file system" in touched.stderr
    password = secrets.token_urlsafe(16)
    created = image.run(
        [
            "manage",
            "createsuperuser",
            "--no-input",
            "--username",
            "ops",
            "--email",
            "ops@example.com",
        ],
        DJANGO_SUPERUSER_PASSWORD=password,
    )
    assert created.returncode == 0, created.stderr[-2000:]

    headers = site_headers()
    login_page = served.get("/accounts/login/", headers=headers)
    cookies = login_page.cookies()
    token = CSRF_FIELD.search(login_page.body.decode()).group(1)
    login = served.request(
        "POST",
        "/accounts/login/",
        headers={
            **headers,
            "Origin": f"https://{headers['Host']}",
            "Content-Type": "application/x-www-form-urlencoded",
        },
        body=urlencode({"csrfmiddlewaretoken": token, "username": "ops", "password": password}),
        cookies=cookies,
    )
    assert login.status == 302, login.body[:2000]
    home = served.get("/", headers=headers, cookies={**cookies, **login.cookies()})
    assert home.status == 200
    assert '<span class="who">ops</span>' in home.body.decode()


def scheduled_commands() -> list[pytest.param]:
    params = []
    for name, pod in pod_specs().items():
        if name.startswith("CronJob/"):
            (container,) = pod["containers"]
            params.append(pytest.param(container, id=container["args"][1]))
    return params


@pytest.mark.parametrize("container", scheduled_commands())
def test_each_scheduled_command_runs_through_the_entrypoint(image, container, tmp_path):
    args = container["args"]
    assert args[1] in get_commands()
    # The container's own variables, with each volume it mounts (but /tmp, which the image
    # fixture provides) standing in as a fresh folder: the root file system is read-only.
    mounts = {
        mount["mountPath"]: tmp_path / mount["name"]
        for mount in container.get("volumeMounts", [])
        if mount["mountPath"] != "/tmp"
    }
    for folder in mounts.values():
        folder.mkdir()
    env = {
        variable["name"]: str(mounts.get(variable["value"], variable["value"]))
        for variable in container.get("env", [])
    }
    result = image.run(args, **env)
    assert result.returncode == 0, result.stderr[-3000:]
    for path, folder in mounts.items():
        assert any(folder.iterdir()), f"{args[1]} wrote nothing to its volume {path}"


def test_serve_migrates_first_only_when_asked(image, tmp_path):
    with fresh_database(tmp_path) as database_url:
        bind = f"127.0.0.1:{free_port()}"
        server = start(
            image,
            tmp_path / "serve-migrate.log",
            ["serve", "--migrate"],
            DATABASE_URL=database_url,
            GUNICORN_BIND=bind,
        )
        try:
            assert server.get("/readyz", behind_tls_proxy=False).status == 200
        finally:
            server.stop()

    refused = image.run(["serve", "--migrat"])
    assert refused.returncode == 64
    assert "serve takes only --migrate" in refused.stderr
