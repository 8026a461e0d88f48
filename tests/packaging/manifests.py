#!/usr/bin/python3
"""packaging/manifests: every file in deploy/ parses, and the fields that
matter hold: the DaemonSet's privileges (hostPID, hostNetwork, exactly the
capabilities the audit needs), its mounts (the host's / read-only and
nothing of one distribution, so it starts on k0s, k3s, RKE2 and kubeadm
nodes alike), its scheduling (Linux nodes, node-critical), the built-in
node-problem-detector ClusterRole, the node-problem-detector configs (their
condition's reasons true in every state), and the iptmode command lines,
checked against the real CLI and run for real (the --npd line within NPD's
max_output_length, the textfile clean for `promtool check metrics`).

usage: manifests.py SRC OUT"""

import json
import os
import re
import shlex
import subprocess
import sys
import tempfile

SRC, OUT = sys.argv[1], sys.argv[2]
sys.path.insert(0, os.path.join(SRC, "tests", "packaging"))
import cli_check  # noqa: E402

try:
    import yaml
except ImportError:
    if os.environ.get("CI") == "true":
        sys.exit("FAIL: python3-yaml is not installed (CI=true: a check whose tool is missing fails)")
    print("SKIP: python3-yaml is not installed")
    sys.exit(77)

DEPLOY = os.path.join(SRC, "deploy")
IPTMODE = os.path.join(OUT, "deb-root", "usr", "sbin", "iptmode")
if not os.access(IPTMODE, os.X_OK):
    sys.exit(f"FAIL: no unpacked .deb in {OUT}/deb-root (did packaging/build pass?)")
VERSION = os.environ["IPTMODE_VERSION"]  # set by packaging/packaging.cmake

errors = []


def expect(cond, msg):
    if not cond:
        errors.append(msg)
    return cond


def duration(s):
    """Go's time.ParseDuration, for the units node-problem-detector configs use."""
    m = re.fullmatch(r"((?:\d+(?:\.\d+)?(?:h|m|s|ms))+)", s)
    if not m:
        raise ValueError(f"not a duration: {s!r}")
    scale = {"h": 3600, "m": 60, "s": 1, "ms": 0.001}
    return sum(float(n) * scale[u] for n, u in re.findall(r"(\d+(?:\.\d+)?)(ms|h|m|s)", s))


# --- the DaemonSet manifest ---------------------------------------------------
docs = [d for d in yaml.safe_load_all(open(os.path.join(DEPLOY, "iptmode-audit.yaml"))) if d]
by_kind = {}
for d in docs:
    expect("apiVersion" in d and "kind" in d and "name" in d.get("metadata", {}), f"malformed object {d}")
    by_kind.setdefault(d["kind"], []).append(d)
expect(sorted(by_kind) == sorted(["Namespace", "ServiceAccount", "ClusterRoleBinding", "ConfigMap", "DaemonSet"]),
       f"objects: {sorted(by_kind)}")
ns = by_kind["Namespace"][0]["metadata"]["name"]
for d in docs:
    if d["kind"] not in ("Namespace", "ClusterRole", "ClusterRoleBinding"):
        expect(d["metadata"].get("namespace") == ns, f"{d['kind']} {d['metadata']['name']} is not in namespace {ns}")
expect(by_kind["Namespace"][0]["metadata"].get("labels", {}).get("pod-security.kubernetes.io/enforce") == "privileged",
       "the namespace does not allow the pod's host access (pod security level privileged)")

ds = by_kind["DaemonSet"][0]
expect(ds["apiVersion"] == "apps/v1", f"DaemonSet apiVersion {ds['apiVersion']}")
tmpl = ds["spec"]["template"]
expect(ds["spec"]["selector"]["matchLabels"].items() <= tmpl["metadata"]["labels"].items(), "the selector does not match the pod's labels")
pod = tmpl["spec"]
expect(pod.get("hostPID") is True, "hostPID is not true: the audit must see the components' /proc")
expect(pod.get("hostNetwork") is True, "hostNetwork is not true: the audit must read the node's own tables")
expect(not pod.get("hostIPC"), "hostIPC is not needed")
expect({"operator": "Exists"} in pod.get("tolerations", []), "the pod does not tolerate every taint (controllers)")
expect(pod.get("securityContext", {}).get("seccompProfile", {}).get("type") == "RuntimeDefault", "no RuntimeDefault seccomp profile")
expect(pod.get("nodeSelector") == {"kubernetes.io/os": "linux"}, f"nodeSelector {pod.get('nodeSelector')}: want kubernetes.io/os: linux only (Windows workers)")
expect(pod.get("priorityClassName") == "system-node-critical", f"priorityClassName {pod.get('priorityClassName')}, want system-node-critical")
header = open(os.path.join(DEPLOY, "iptmode-audit.yaml")).read().split("apiVersion:", 1)[0]
if "appArmorProfile" in pod.get("securityContext", {}):
    expect("Kubernetes 1.30" in header, "the manifest uses the pod-level appArmorProfile but does not say it needs Kubernetes 1.30")
expect(pod.get("automountServiceAccountToken", True) is True, "node-problem-detector needs its token")
sa = pod.get("serviceAccountName")
expect(sa == by_kind["ServiceAccount"][0]["metadata"]["name"], f"serviceAccountName {sa}")
expect(len(pod["containers"]) == 1 and not pod.get("initContainers"), "one container, no init containers")
c = pod["containers"][0]
sc = c.get("securityContext", {})
expect(sc.get("privileged") in (None, False), "the container is privileged")
expect(sc.get("allowPrivilegeEscalation") is False, "allowPrivilegeEscalation is not false")
expect(sc.get("readOnlyRootFilesystem") is True, "the root filesystem is writable")
expect(sc.get("runAsUser") == 0, "the audit needs uid 0 (it checks geteuid() == 0)")
caps = sc.get("capabilities", {})
expect(caps.get("drop") == ["ALL"], f"capabilities.drop {caps.get('drop')}, want [ALL]")
expect(sorted(caps.get("add", [])) == ["DAC_READ_SEARCH", "NET_ADMIN", "NET_RAW", "SYS_PTRACE"],
       f"capabilities.add {caps.get('add')}: want exactly NET_ADMIN, NET_RAW, SYS_PTRACE, DAC_READ_SEARCH")
expect(not c.get("ports"), "the container listens on ports (hostNetwork: the node's own)")
expect(c["image"].rsplit(":", 1)[-1] == VERSION, f"image {c['image']} is not tagged {VERSION}")
expect("limits" in c.get("resources", {}) and "memory" in c["resources"]["limits"], "no memory limit")
env = {e["name"]: e for e in c.get("env", [])}
expect(env.get("NODE_NAME", {}).get("valueFrom", {}).get("fieldRef", {}).get("fieldPath") == "spec.nodeName",
       "NODE_NAME does not come from spec.nodeName (node-problem-detector reports for that node)")

volumes = {v["name"]: v for v in pod["volumes"]}
mounts = {m["mountPath"]: m for m in c["volumeMounts"]}
host_mounts = {}
for path, m in mounts.items():
    v = volumes.get(m["name"])
    if not expect(v is not None, f"mount {path} names no volume"):
        continue
    if "hostPath" in v:
        host_mounts[v["hostPath"]["path"]] = (path, m.get("readOnly", False), v["hostPath"].get("type"))
want_ro = {"/": "/host"}
for hp, mp in want_ro.items():
    got = host_mounts.get(hp)
    if expect(got is not None, f"the host's {hp} is not mounted"):
        expect(got[0] == mp, f"the host's {hp} is mounted at {got[0]}, not {mp}")
        expect(got[1] is True, f"the host's {hp} is mounted writable")
textfile_dir = "/var/lib/prometheus/node-exporter"
extra = set(host_mounts) - set(want_ro) - {textfile_dir}
expect(not extra, f"more host paths than the audit needs: {sorted(extra)}")
if textfile_dir in host_mounts:
    expect(host_mounts[textfile_dir][0] == textfile_dir, "the textfile dir is mounted elsewhere")
# A hostPath of type Directory that a node lacks keeps the pod from starting
# (/var/lib/k0s on k3s, RKE2 and kubeadm nodes); DirectoryOrCreate would
# change the host. Only / (on every node) and the textfile dir (written).
for hp, (mp, ro, kind) in host_mounts.items():
    expect(hp in ("/", textfile_dir), f"hostPath {hp}: read the host through /host instead (a path of one distribution)")
    if hp == textfile_dir:
        expect(kind == "DirectoryOrCreate", f"the textfile dir's hostPath type is {kind}")
root_mount = mounts.get("/host", {})
expect(root_mount.get("recursiveReadOnly") == "IfPossible",
       "the host's / is not mounted recursiveReadOnly: IfPossible (its submounts would be writable)")

# node-problem-detector, its flags and its config from the ConfigMap
expect(c.get("command") == ["/usr/bin/node-problem-detector"], f"command {c.get('command')}")
npd_flags = {"--config.custom-plugin-monitor", "--port", "--prometheus-port", "--address", "--prometheus-address",
             "--hostname-override", "--enable-k8s-exporter", "--k8s-exporter-heartbeat-period", "--event-namespace"}
config_path = None
for a in c.get("args", []):
    name, _, value = a.partition("=")
    expect(name in npd_flags, f"node-problem-detector has no flag {name} (or this check does not know it)")
    if name == "--config.custom-plugin-monitor":
        config_path = value
expect(config_path is not None, "node-problem-detector runs without the iptmode plugin config")
cm = by_kind["ConfigMap"][0]
cm_mount = next((p for p, m in mounts.items() if volumes[m["name"]].get("configMap", {}).get("name") == cm["metadata"]["name"]), None)
expect(cm_mount is not None and config_path == f"{cm_mount}/iptmode-audit.json",
       f"--config.custom-plugin-monitor={config_path} is not the ConfigMap's file at {cm_mount}")
pod_json = json.load(open(os.path.join(DEPLOY, "node-problem-detector", "iptmode-audit-pod.json")))
expect(json.loads(cm["data"]["iptmode-audit.json"]) == pod_json,
       "the ConfigMap's iptmode-audit.json differs from deploy/node-problem-detector/iptmode-audit-pod.json")

# Kubernetes' bootstrap policy has the role node-problem-detector needs (get
# nodes, patch nodes/status, events): bound, not copied.
binding = by_kind["ClusterRoleBinding"][0]
expect(binding["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "system:node-problem-detector"},
       f"the binding's roleRef {binding['roleRef']} is not the built-in ClusterRole system:node-problem-detector")
expect(binding["subjects"] == [{"kind": "ServiceAccount", "name": sa, "namespace": ns}], f"binding subjects {binding['subjects']}")


# --- the monitor's DaemonSet (deploy/iptmode-monitor-daemonset.yaml) ---------
mdocs = [d for d in yaml.safe_load_all(open(os.path.join(DEPLOY, "iptmode-monitor-daemonset.yaml"))) if d]
mkinds = {d["kind"]: d for d in mdocs}
expect(sorted(mkinds) == ["DaemonSet", "Namespace", "ServiceAccount"], f"monitor manifest objects: {sorted(mkinds)}")
mds = mkinds["DaemonSet"]
expect(mds["apiVersion"] == "apps/v1", f"monitor DaemonSet apiVersion {mds['apiVersion']}")
expect(mds["metadata"].get("namespace") == ns and mkinds["Namespace"]["metadata"]["name"] == ns,
       "the monitor is not in the audit's namespace")
mpod = mds["spec"]["template"]["spec"]
expect(mds["spec"]["selector"]["matchLabels"].items() <= mds["spec"]["template"]["metadata"]["labels"].items(),
       "the monitor's selector does not match its pod's labels")
expect(mpod.get("hostPID") is True and mpod.get("hostNetwork") is True, "the monitor needs hostPID and hostNetwork")
expect(mpod.get("automountServiceAccountToken") is False, "the monitor talks to no API server: no token")
expect(mpod.get("serviceAccountName") == mkinds["ServiceAccount"]["metadata"]["name"], "the monitor's service account")
expect(len(mpod["containers"]) == 1, "the monitor runs one container")
mc = mpod["containers"][0]
msc = mc.get("securityContext", {})
expect(msc.get("privileged") in (None, False) and msc.get("allowPrivilegeEscalation") is False
       and msc.get("readOnlyRootFilesystem") is True and msc.get("runAsUser") == 0, "the monitor's securityContext")
mcaps = msc.get("capabilities", {})
expect(mcaps.get("drop") == ["ALL"] and sorted(mcaps.get("add", [])) ==
       ["DAC_READ_SEARCH", "NET_ADMIN", "NET_RAW", "SYS_ADMIN", "SYS_PTRACE"],
       f"monitor capabilities {mcaps}: want exactly the audit's and SYS_ADMIN (fanotify)")
expect(mc["image"].rsplit(":", 1)[-1] == VERSION, f"monitor image {mc['image']} is not tagged {VERSION}")
expect("memory" in mc.get("resources", {}).get("limits", {}), "the monitor has no memory limit")
expect(mc.get("command") == ["/usr/sbin/iptmode"], f"monitor command {mc.get('command')}")
margs = mc.get("args", [])
for e in cli_check.check(IPTMODE, margs):
    errors.append(f"monitor DaemonSet: {e}")
expect(margs[:1] == ["monitor"], f"monitor args {margs}")
mvol = {v["name"]: v for v in mpod["volumes"]}
mhost = {}
for m in mc["volumeMounts"]:
    v = mvol.get(m["name"])
    if expect(v is not None, f"monitor mount {m['mountPath']} names no volume") and "hostPath" in v:
        mhost[v["hostPath"]["path"]] = (m["mountPath"], m.get("readOnly", False), v["hostPath"].get("type"))
for hp, mp in {**want_ro, "/run/xtables.lock": "/run/xtables.lock"}.items():
    got = mhost.get(hp)
    if expect(got is not None, f"the monitor does not mount the host's {hp}"):
        expect(got[0] == mp and got[1] is True, f"the monitor mounts the host's {hp} at {got[0]}, writable {not got[1]}")
expect(set(mhost) - set(want_ro) - {"/run/xtables.lock", textfile_dir} == set(), f"monitor host paths {sorted(mhost)}")
expect(margs[margs.index("--host-root") + 1] == "/host" if "--host-root" in margs else False, "monitor --host-root is not /host")
mprom = margs[margs.index("--prometheus") + 1] if "--prometheus" in margs else ""
expect(os.path.dirname(mprom) == textfile_dir, f"the monitor writes {mprom!r}, not into the textfile dir")

# --- node-problem-detector configs -----------------------------------------
# NPD (pkg/custompluginmonitor): exit 0 sets the condition False and exit 1
# True with the rule's reason; any other exit Unknown, and then, as on False,
# the reason is the default condition's. So that reason must be true of a
# healthy node and of an audit that could not run: it names who reports, not
# a verdict. NPD cuts the output at max_output_length bytes (default 80).
NPD_LINE_MAX = int(re.search(r"kNpdLineMax = (\d+)", open(os.path.join(SRC, "audit", "report.h")).read()).group(1))


def check_npd(fname, host_root):
    cfg = json.load(open(os.path.join(DEPLOY, "node-problem-detector", fname)))
    where = f"node-problem-detector/{fname}"
    expect(cfg.get("plugin") == "custom", f"{where}: plugin {cfg.get('plugin')}")
    g = cfg["pluginConfig"]
    gtimeout = duration(g["timeout"])
    duration(g["invoke_interval"])
    conds = {x["type"]: x for x in cfg["conditions"]}
    expect(list(conds) == ["IptablesBackendInconsistent"], f"{where}: conditions {list(conds)}")
    expect(conds.get("IptablesBackendInconsistent", {}).get("reason") == "IptmodeAudit",
           f"{where}: the default reason (False and Unknown) is not IptmodeAudit")
    expect(g.get("max_output_length", 80) >= NPD_LINE_MAX,
           f"{where}: max_output_length {g.get('max_output_length', 80)} cuts the --npd line (up to {NPD_LINE_MAX} bytes)")
    expect(len(cfg["rules"]) == 1, f"{where}: one rule")
    rule = cfg["rules"][0]
    expect(rule["type"] == "permanent" and rule["condition"] in conds, f"{where}: the rule does not drive the condition")
    expect(rule.get("reason") == "IptablesErrorFinding", f"{where}: the True reason is {rule.get('reason')}, not IptablesErrorFinding")
    expect(duration(rule["timeout"]) <= gtimeout, f"{where}: the rule's timeout exceeds the global one (NPD refuses it)")
    expect(rule["path"] == "/usr/sbin/iptmode", f"{where}: path {rule['path']} is not where the package installs iptmode")
    args = rule["args"]
    for e in cli_check.check(IPTMODE, args):
        errors.append(f"{where}: {e}")
    expect(args[:2] == ["audit", "--npd"], f"{where}: args {args}")
    hr = args[args.index("--host-root") + 1] if "--host-root" in args else None
    expect(hr == host_root, f"{where}: --host-root {hr}, want {host_root}")
    expect("--bin-dir" not in args, f"{where}: --bin-dir is the audit's to find per distribution (docs/audit.md)")
    return cfg, rule


host_cfg, host_rule = check_npd("iptmode-audit.json", None)
pod_cfg, pod_rule = check_npd("iptmode-audit-pod.json", "/host")
prom = pod_rule["args"][pod_rule["args"].index("--prometheus") + 1] if "--prometheus" in pod_rule["args"] else ""
expect(os.path.dirname(prom) == textfile_dir and textfile_dir in mounts,
       f"the pod's audit writes {prom!r}, not into the mounted textfile dir {textfile_dir}")
expect(set(pod_cfg) == set(host_cfg) and pod_cfg["conditions"] == host_cfg["conditions"],
       "the host and pod configs differ in more than the command line")


# --- the plugin command lines, run for real ----------------------------------
metrics_text = ""
if os.geteuid() == 0:
    for cfg, rule, name in ((host_cfg, host_rule, "host"), (pod_cfg, pod_rule, "pod")):
        with tempfile.TemporaryDirectory() as tmp:
            argv = [IPTMODE if a == rule["path"] else a for a in [rule["path"], *rule["args"]]]
            argv = [tmp if a == "/host" else a for a in argv]
            textfile = os.path.join(tmp, "iptmode.prom")
            argv = [textfile if a.startswith(textfile_dir + "/") else a for a in argv]
            p = subprocess.run(argv, capture_output=True, text=True, timeout=duration(rule["timeout"]))
            where = f"the {name} plugin command `{shlex.join(argv)}`"
            expect(p.returncode in (0, 1), f"{where} exits {p.returncode} (NPD Unknown): {p.stderr.strip()}")
            lines = p.stdout.splitlines()
            expect(len(lines) == 1, f"{where} prints {len(lines)} lines, NPD shows one")
            expect(len(p.stdout.strip().encode()) <= cfg["pluginConfig"].get("max_output_length", 80),
                   f"{where}: its line is longer than max_output_length (NPD cuts it)")
            if "--prometheus" in rule["args"]:
                if expect(os.path.exists(textfile), f"{where} wrote no textfile"):
                    metrics_text = open(textfile).read()
                    expect("iptmode_last_run_success 1" in metrics_text.splitlines(), f"{where}: last_run_success is not 1")
                    if os.access("/usr/bin/promtool", os.X_OK):
                        lint = subprocess.run(["/usr/bin/promtool", "check", "metrics"], input=metrics_text,
                                              capture_output=True, text=True, timeout=60)
                        expect(lint.returncode == 0, f"{where}: promtool check metrics: {lint.stdout}{lint.stderr}")
                    else:
                        expect(os.environ.get("CI") != "true", "promtool is not installed (CI=true)")
elif os.environ.get("CI") == "true":
    errors.append("not root: the plugin commands were not run (CI runs as root)")
else:
    print("note: not root, the plugin commands are checked but not run")


# --- Prometheus rules: parse, and name only what the audit writes -----------
rules_doc = yaml.safe_load(open(os.path.join(DEPLOY, "prometheus", "iptmode-alerts.yaml")))
tests_doc = yaml.safe_load(open(os.path.join(DEPLOY, "prometheus", "iptmode-alerts.test.yaml")))
alerts = [r for g in rules_doc["groups"] for r in g["rules"]]
expect(all("alert" in r and "expr" in r and r.get("labels", {}).get("severity") in ("warning", "critical") for r in alerts),
       "every rule is an alert with a severity")
tested = {t["alertname"] for case in tests_doc["tests"] for t in case["alert_rule_test"]}
expect(tested == {r["alert"] for r in alerts}, f"alerts without a promtool test: {sorted({r['alert'] for r in alerts} - tested)}")
src_prom = open(os.path.join(SRC, "audit", "report_prom.cpp")).read()
written = set(re.findall(r'"(iptmode_[a-z_]+)"', src_prom))
for r in alerts:
    for metric in set(re.findall(r"\b(iptmode_[a-z_]+)\b", r["expr"])):
        expect(metric in written, f"alert {r['alert']} uses {metric}, which the audit does not write")
if metrics_text:
    for r in alerts:
        for label in re.findall(r'\b(code|level|severity|component|backend|mode|mount_ns|rule)\s*(?:=|!=|=~)', r["expr"]):
            expect(re.search(rf'\b{label}="', metrics_text) or label in ("component", "mount_ns"),
                   f"alert {r['alert']} matches on label {label}, absent from a real textfile")

# --- the Containerfile builds what the DaemonSet runs -----------------------
cf = open(os.path.join(DEPLOY, "Containerfile")).read()
expect("packaging/build-packages.sh" in cf, "the Containerfile does not build the .deb the packaging way")
expect(re.search(r"COPY --from=npd /node-problem-detector /usr/bin/node-problem-detector", cf),
       "the Containerfile does not put node-problem-detector where the DaemonSet runs it")
expect(re.search(r'ENTRYPOINT \["/usr/bin/node-problem-detector"\]', cf), "the image's entrypoint is not node-problem-detector")
for arg, image in re.findall(r"^ARG (\w+)=(\S+)$", cf, re.M):
    ref = image.split("@", 1)[0]
    tag = ref.rsplit(":", 1)[1] if ":" in ref.rsplit("/", 1)[-1] else ""
    expect(re.fullmatch(r"v?\d+\.\d+(\.\d+)?(-[a-z]+)?", tag or ""),
           f"Containerfile ARG {arg}={image}: not pinned to a version (a tag such as 12.8 or v0.8.21)")
expect("deploy/node-problem-detector/iptmode-audit-pod.json /etc/iptmode/npd/iptmode-audit.json" in cf,
       "the image's default plugin config is not the pod config at the DaemonSet's path")

for e in errors:
    print("FAIL:", e)
if errors:
    sys.exit(1)
print("packaging/manifests: ok")
