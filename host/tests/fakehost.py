"""A fake host for the deploy program's unit tests: Docker, iptables, the clock and HTTP probes
simulated in memory, files under a temporary root. No root, no Docker, no network.

The fake keeps just enough state to answer the program the way the real tools do (containers with
labels, addresses and states; nat chains and their rules) and records every call, so tests can
assert on call sequences and on outcomes.
"""
import importlib.machinery
import importlib.util
import json
import os
import re
import shutil
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
PROGRAM = os.path.join(HERE, "..", "berth-deploy")
# The apps file the TypeScript renderer writes for the dev stack (kept current by the golden tests).
GOLDEN_APPS = os.path.join(HERE, "..", "..", "test", "components", "render", "golden", "dev", "root", "etc", "berth", "deploy", "apps.json")
# The prod stack's, whose first app has a database: the source of the `databaseAdmin` section.
GOLDEN_PROD_APPS = GOLDEN_APPS.replace(os.sep + "dev" + os.sep, os.sep + "prod" + os.sep)


def load_program():
    loader = importlib.machinery.SourceFileLoader("berth_deploy", PROGRAM)
    spec = importlib.util.spec_from_loader("berth_deploy", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


bd = load_program()


def golden_apps():
    with open(GOLDEN_APPS, encoding="utf-8") as f:
        return json.load(f)


def golden_prod_apps():
    with open(GOLDEN_PROD_APPS, encoding="utf-8") as f:
        return json.load(f)


class FakeDatabase:
    """The server's side of the deploy program's password check: the fingerprint recorded as current per
    user (what pulumi up's creation step writes), and the discards it was asked to make."""

    FILLED = re.compile(r"`user` = '([a-z0-9_]+)' AND `fingerprint` = '([0-9a-f]{64})'")

    def __init__(self):
        self.recorded = {}
        self.discarded = []
        self.scripts = []

    def __call__(self, argv, sql):
        self.scripts.append((list(argv), sql))
        m = self.FILLED.search(sql or "")
        if not m:
            return bd.Result(1, "", "ERROR 1064 (42000): syntax error")
        current = self.recorded.get(m.group(1)) == m.group(2)
        if current and "DISCARD OLD PASSWORD" in sql:
            self.discarded.append(m.group(1))
        return bd.Result(0, "1\n" if current else "0\n")


class FakeClock:
    def __init__(self):
        self.t = 1000.0

    def now(self):
        return self.t

    def sleep(self, seconds):
        self.t += seconds


class FakeDocker:
    def __init__(self):
        self.containers = {}  # name -> {"labels", "state", "ip", "image", "restart", "pid"}
        self.networks = {}
        self.pullable = set()
        self.crashing = set()  # images whose containers exit at start
        self.unhealthy = set()  # images whose containers answer 500
        self.pid = 4000
        self.one_offs = []
        self.release_result = (0, "migrated\n")
        self.job_results = {}  # one-off container name -> (exit code, output) or "timeout"

    @staticmethod
    def read_env_files(args):
        """What Docker reads from the --env-file arguments when the container is created (later files win)."""
        env = {}
        for a, prev in zip(args[1:], args):
            if prev == "--env-file" and os.path.isfile(a):
                with open(a, encoding="utf-8") as f:
                    for line in f.read().splitlines():
                        if line and not line.startswith("#") and "=" in line:
                            k, v = line.split("=", 1)
                            env[k] = v
        return ["%s=%s" % kv for kv in env.items()]

    def running_at(self, ip):
        return [n for n, c in self.containers.items() if c["ip"] == ip and c["state"] == "running"]

    def __call__(self, args):
        R = bd.Result
        cmd = args[0]
        if cmd == "network":
            sub, rest = args[1], args[2:]
            if sub == "inspect":
                name = rest[-1]
                return R(0, self.networks[name] + " \n") if name in self.networks else R(1, "", "Error: No such network: %s" % name)
            if sub == "create":
                self.networks[rest[-1]] = rest[rest.index("--subnet") + 1]
                return R(0, "id\n")
            if sub == "rm":
                return R(0 if self.networks.pop(rest[-1], None) else 1)
        if cmd == "pull":
            ref = args[-1]
            return R(0, ref + "\n") if ref in self.pullable else R(1, "", "Error response from daemon: manifest for %s not found: manifest unknown" % ref)
        if cmd == "run" and "--rm" in args:  # a one-off (release step or job) container
            self.one_offs.append(args)
            result = self.job_results.get(args[args.index("--name") + 1], self.release_result)
            if result == "timeout":  # what Runner raises when the client outlives its timeout
                raise bd.Failed("docker --config run timed out after 5s")
            code, out = result
            return R(code, out, "")
        if cmd == "run":
            name = args[args.index("--name") + 1]
            labels = dict(a.split("=", 1) for a, prev in zip(args[1:], args) if prev == "--label")
            ip = args[args.index("--ip") + 1]
            image = args[-1]
            if name in self.containers:
                return R(125, "", "Conflict. The container name %s is already in use" % name)
            if self.running_at(ip):
                return R(125, "", "Address already in use")
            self.pid += 1
            state = "exited" if image in self.crashing else "running"
            self.containers[name] = {"labels": labels, "state": state, "ip": ip, "image": image, "restart": "no", "pid": self.pid,
                                     "env": self.read_env_files(args)}
            return R(0, "cid\n")
        if cmd == "inspect" and args[args.index("--format") + 1] == "{{.Name}}|{{json .Config.Env}}":
            names = args[args.index("--format") + 2:]
            if any(n not in self.containers for n in names):
                return R(1, "", "Error: No such object")
            return R(0, "".join("/%s|%s\n" % (n, json.dumps(self.containers[n].get("env", []))) for n in names))
        if cmd == "inspect":
            fmt, name = args[args.index("--format") + 1], args[-1]
            c = self.containers.get(name)
            if c is None:
                return R(1, "", "Error: No such object: %s" % name)
            if "State.Pid" in fmt:
                return R(0, "%d\n" % (c["pid"] if c["state"] == "running" else 0))
            if "State.Status" in fmt:
                return R(0, "%s %d 0\n" % (c["state"], 3 if c["image"] in self.crashing else 0))
            if fmt == "{{.Image}}":
                return R(0, "sha256:%s\n" % abs(hash(c["image"])))
            return R(0, "\n")
        if cmd == "image":
            return R(0, '["repo@sha256:abc"]\n')
        if cmd == "logs":
            name = args[-1]
            return R(0, "".join("2026-12-02T00:00:0%dZ line %d of %s\n" % (i, i, name) for i in range(3)))
        if cmd == "ps":
            app = [a for a in args if a.startswith("label=berth.app=")][0].split("=", 2)[2]
            lines = []
            for n, c in sorted(self.containers.items()):
                lb = c["labels"]
                if lb.get("berth.app") != app:
                    continue
                lines.append("|".join([n, c["state"], lb.get("berth.part", ""), lb.get("berth.color", ""), lb.get("berth.tag", ""), lb.get("berth.seq", "")]))
            return R(0, "\n".join(lines) + ("\n" if lines else ""))
        if cmd == "update":
            for n in args[3:]:
                self.containers[n]["restart"] = args[2]
            return R(0)
        if cmd == "stop":
            for n in args[3:]:
                self.containers[n]["state"] = "exited"
            return R(0)
        if cmd == "start":
            for n in args[1:]:
                c = self.containers[n]
                if self.running_at(c["ip"]):
                    return R(1, "", "Address already in use")
                c["state"] = "exited" if c["image"] in self.crashing else "running"
            return R(0)
        if cmd == "rm":
            for n in args[2:]:
                self.containers.pop(n, None)
            return R(0)
        return R(1, "", "fake docker: unknown %s" % " ".join(args))


class FakeIptables:
    def __init__(self):
        self.tables = {"nat": {"OUTPUT": [], "POSTROUTING": []}, "raw": {"PREROUTING": []}}
        self.restored = []

    def __call__(self, table, args):
        R = bd.Result
        chains = self.tables[table]
        op = args[0]
        if op == "-S":
            if len(args) == 1:
                out = ["-N %s" % c for c in chains if c not in ("OUTPUT", "POSTROUTING", "PREROUTING")]
                for c, rules in chains.items():
                    out += ["-A %s %s" % (c, r) for r in rules]
                return R(0, "\n".join(out) + "\n")
            c = args[1]
            if c not in chains:
                return R(1, "", "iptables: No chain/target/match by that name.")
            return R(0, "\n".join(["-N %s" % c] + ["-A %s %s" % (c, r) for r in chains[c]]) + "\n")
        if op == "-N":
            if args[1] in chains:
                return R(1, "", "Chain already exists.")
            chains[args[1]] = []
            return R(0)
        rule = " ".join(args[2:])
        if op == "-A":
            chains[args[1]].append(rule)
            return R(0)
        if op == "-C":
            return R(0 if rule in chains.get(args[1], []) else 1)
        if op == "-R":
            chains[args[1]][int(args[2]) - 1] = " ".join(args[3:])
            return R(0)
        if op == "-D":
            c = chains.get(args[1], [])
            if len(args) == 3 and args[2].isdigit():
                del c[int(args[2]) - 1]
                return R(0)
            if rule in c:
                c.remove(rule)
                return R(0)
            return R(1)
        if op == "-F":
            chains[args[1]] = []
            return R(0)
        if op == "-X":
            chains.pop(args[1], None)
            return R(0)
        return R(1, "", "fake iptables: %s" % args)

    def restore(self, text):
        table = None
        for line in text.splitlines():
            if line.startswith("*"):
                table = line[1:]
            elif line.startswith(":"):
                self.tables[table][line[1:].split()[0]] = []
            elif line.startswith("-A "):
                c, rule = line[3:].split(" ", 1)
                self.tables[table][c].append(rule)
        self.restored.append(text)
        return bd.Result(0)

    def selector(self, chain):
        rules = self.tables["nat"].get(chain)
        return rules[0].split("-j ")[-1] if rules else None


class FakeRunner:
    """Answers the programs the deploy program runs; records every call."""

    def __init__(self):
        self.calls = []
        self.docker = FakeDocker()
        self.iptables = FakeIptables()
        self.connections = lambda pid, port: 0  # established connections seen by nsenter+ss
        self.fail = {}  # first word(s) of a call -> Result to return instead
        self.database = FakeDatabase()

    def __call__(self, argv, input=None, timeout=600):
        self.calls.append(list(argv))
        for prefix, result in self.fail.items():
            if " ".join(argv).startswith(prefix):
                return result
        if argv[0] == "docker":
            return self.docker(argv[3:])  # after: docker --config DIR
        if argv[0] == "iptables":
            return self.iptables(argv[4], argv[5:])
        if argv[0] == "iptables-restore":
            return self.iptables.restore(input)
        if argv[0] in ("mysql", "mariadb"):
            return self.database(argv, input)
        if argv[0] in ("sysctl", "conntrack"):
            return bd.Result(0)
        if argv[0] == "nsenter":
            n = self.connections(int(argv[2]), int(argv[-1].split(":")[1].rstrip(" )")))
            return bd.Result(0, "ESTAB 0 0 a b\n" * n)
        return bd.Result(127, "", "fake: no such program %s" % argv[0])

    def docker_calls(self, verb):
        return [c[3:] for c in self.calls if c[0] == "docker" and c[3] == verb]


class Harness:
    """A temporary root with the golden apps file, a fake runner, clock and probe; makes Hosts."""

    def __init__(self, apps=None):
        self.root = tempfile.mkdtemp(prefix="berth-deploy-test-")
        self.apps = apps if apps is not None else golden_apps()
        self.apps["dockerHost"] = None
        self.cfg = bd.parse_config(self.apps)
        self.runner = FakeRunner()
        self.clock = FakeClock()
        self.out, self.err = [], []
        self.chowns = []  # (path, uid, gid): the tests run without root
        for tag in ("v1", "v2", "v3", "v4", "bad", "crash"):
            for p in self.cfg.apps[0].parts:
                self.runner.docker.pullable.add(bd.image_ref(self.cfg, p, tag))
        for p in self.cfg.apps[0].parts:
            # What pulumi up delivers: the part's env file (root only on the host).
            env = os.path.join(self.root, p.runtime.envFile.lstrip("/"))
            os.makedirs(os.path.dirname(env), exist_ok=True)
            with open(env, "w", encoding="utf-8") as f:
                f.write("PORT=%d\n" % p.containerPort)
        for p in self.cfg.apps[0].parts:
            self.runner.docker.unhealthy.add(bd.image_ref(self.cfg, p, "bad"))
            self.runner.docker.crashing.add(bd.image_ref(self.cfg, p, "crash"))

    def probe(self, url, timeout):
        ip, port = url.split("//")[1].split("/")[0].split(":")
        names = self.runner.docker.running_at(ip)
        if not names:
            return False, "Connection refused"
        c = self.runner.docker.containers[names[0]]
        return (False, "HTTP 500") if c["image"] in self.runner.docker.unhealthy else (True, "HTTP 200")

    def host(self):
        class Sink:
            def __init__(self, lines):
                self.lines = lines

            def write(self, s):
                self.lines.append(s)

            def flush(self):
                pass

        host = bd.Host(self.root, self.cfg, runner=self.runner, clock=self.clock, probe=self.probe,
                       out=Sink(self.out), err=Sink(self.err))
        host.chown = lambda path, uid, gid, follow_symlinks=True: self.chowns.append((path, uid, gid))
        return host

    def app(self):
        return self.cfg.apps[0]

    def state(self):
        p = os.path.join(self.root, self.cfg.stateDir.lstrip("/"), "apps", "web.json")
        with open(p, encoding="utf-8") as f:
            return json.load(f)

    def journal_path(self):
        return os.path.join(self.root, self.cfg.stateDir.lstrip("/"), "apps", "web.intent.json")

    def log(self):
        p = os.path.join(self.root, self.cfg.logFile.lstrip("/"))
        with open(p, encoding="utf-8") as f:
            return [json.loads(ln) for ln in f if ln.strip()]

    def switch(self):
        base = bd.chain_names(self.cfg, self.app())[0]
        target = self.runner.iptables.selector(base)
        return None if target is None else ("blue" if target.endswith("-B") else "green")

    def cleanup(self):
        shutil.rmtree(self.root, ignore_errors=True)
