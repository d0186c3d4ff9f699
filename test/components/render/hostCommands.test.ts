// The host commands (components/render/hostCommands.ts) as exact strings, the way Kamal's
// test/commands/app_test.rb pins its commands: a changed character here is a changed resource input
// (and a re-run step) on the host. Then the quoting rule: edge cases, a pure POSIX splitter and real bash
// reading quoted strings back (fast-check), and a guard that keeps command text and quoting helpers out of the other components.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  addDockerAptRepository,
  aptInstall,
  aptUpdate,
  checkProvisioned,
  enableAndStartNoBlock,
  enableUnits,
  failWith,
  installCertbot,
  installSudoersChecked,
  makeDirectories,
  makeDirectory,
  pruneJobUnits,
  reloadNginx,
  reloadNginxIfActive,
  reloadSystemd,
  removeFromGroup,
  requireDocker,
  restartUnit,
  runAsRootAfterCloudInit,
  runAsRootFromStdin,
  shellJoin,
  shellQuote,
  singleQuote,
  waitForCloudInit,
  waitForDocker,
} from "../../../components/render/hostCommands";

describe("host commands (exact strings)", () => {
  it("cloud-init, provisioning and stdin scripts", () => {
    expect(waitForCloudInit()).toBe("cloud-init status --wait >/dev/null 2>&1 || true");
    expect(runAsRootFromStdin()).toBe("sudo bash -s");
    expect(runAsRootAfterCloudInit()).toBe("cloud-init status --wait >/dev/null 2>&1 || true; sudo bash -s");
    expect(checkProvisioned()).toBe(
      "cloud-init status --wait >/dev/null 2>&1 || true; command -v docker >/dev/null && test -x /usr/sbin/nginx || { echo 'berth: the host is not provisioned (see /var/log/cloud-init-output.log)' >&2; exit 1; }",
    );
    expect(failWith("berth: it's broken")).toBe("{ echo 'berth: it'\\''s broken' >&2; exit 1; }");
  });

  it("Docker", () => {
    expect(requireDocker()).toBe(
      "command -v dockerd >/dev/null || { echo 'berth: Docker is not installed (did cloud-init fail? see /var/log/cloud-init-output.log)' >&2; exit 1; }",
    );
    expect(waitForDocker()).toBe("for _ in $(seq 1 30); do docker info >/dev/null 2>&1 && break; sleep 1; done; docker info >/dev/null");
    expect(waitForDocker(5)).toBe("for _ in $(seq 1 5); do docker info >/dev/null 2>&1 && break; sleep 1; done; docker info >/dev/null");
  });

  it("systemd", () => {
    expect(reloadSystemd()).toBe("systemctl daemon-reload");
    expect(restartUnit("docker")).toBe("systemctl restart docker");
    expect(restartUnit("ssh.socket")).toBe("systemctl restart ssh.socket");
    expect(enableUnits(["docker", "nginx", "unattended-upgrades"], { now: true })).toBe("systemctl enable --now docker nginx unattended-upgrades");
    expect(enableUnits(["berth-switch.service"], { quiet: true })).toBe("systemctl enable berth-switch.service >/dev/null 2>&1");
    expect(enableAndStartNoBlock(["berth-data-volume.service"])).toBe("systemctl enable --now --no-block berth-data-volume.service");
    expect(enableUnits(["berth-registry-retention.timer"], { now: true, quiet: true })).toBe(
      "systemctl enable --now berth-registry-retention.timer >/dev/null 2>&1",
    );
  });

  it("job units: the timers not kept are disabled and their files removed, the kept ones and other units stay", () => {
    expect(pruneJobUnits("/etc/systemd/system", "berth-job-*_*", [])).toBe(
      `for t in /etc/systemd/system/berth-job-*_*.timer; do [ -e "$t" ] || continue; u=$(basename "$t"); case "$u" in '') continue;; esac; systemctl disable --now "$u" >/dev/null 2>&1 || true; rm -f "$t" "\${t%.timer}.service"; done`,
    );
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "berth-prune-"));
    try {
      for (const f of ["berth-job-web_a.timer", "berth-job-web_a.service", "berth-job-web_b.timer", "berth-job-web_b.service", "berth-switch.service"])
        fs.writeFileSync(path.join(dir, f), "");
      fs.mkdirSync(path.join(dir, "bin"));
      fs.writeFileSync(path.join(dir, "bin", "systemctl"), `#!/bin/sh\necho "$@" >> ${dir}/systemctl.log\n`, { mode: 0o755 });
      const r = spawnSync("bash", ["-c", pruneJobUnits(dir, "berth-job-*_*", ["berth-job-web_a.timer"])], {
        encoding: "utf8",
        env: { PATH: `${dir}/bin:/usr/bin:/bin` },
      });
      expect(r.status, r.stderr).toBe(0);
      expect(fs.readdirSync(dir).sort()).toEqual(["berth-job-web_a.service", "berth-job-web_a.timer", "berth-switch.service", "bin", "systemctl.log"]);
      expect(fs.readFileSync(path.join(dir, "systemctl.log"), "utf8")).toBe("disable --now berth-job-web_b.timer\n");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("nginx", () => {
    expect(reloadNginxIfActive()).toBe("if systemctl is-active --quiet nginx; then nginx -t -q && systemctl reload nginx; fi");
    expect(reloadNginx()).toBe(
      "if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet nginx; then\n  systemctl reload nginx\nelse\n  nginx -s reload\nfi",
    );
  });

  it("packages", () => {
    expect(aptUpdate()).toBe("apt-get -o DPkg::Lock::Timeout=600 update");
    expect(aptInstall(["docker-ce", "docker-ce-cli", "containerd.io", "docker-buildx-plugin"])).toBe(
      "DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y docker-ce docker-ce-cli containerd.io docker-buildx-plugin",
    );
    expect(installCertbot()).toBe(
      "command -v certbot >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -q certbot >/dev/null",
    );
    expect(addDockerAptRepository()).toEqual([
      "install -m 0755 -d /etc/apt/keyrings",
      "curl -fsSL https://download.docker.com/linux/ubuntu/gpg -o /etc/apt/keyrings/docker.asc",
      "chmod a+r /etc/apt/keyrings/docker.asc",
      'echo "deb [arch=$(dpkg --print-architecture) signed-by=/etc/apt/keyrings/docker.asc] https://download.docker.com/linux/ubuntu $(. /etc/os-release && echo $VERSION_CODENAME) stable" > /etc/apt/sources.list.d/docker.list',
    ]);
  });

  it("directories, sudoers, groups", () => {
    expect(makeDirectories("0755", ["/var/lib/berth/deploy", "/var/lib/berth/deploy/maintenance"])).toBe(
      "install -d -m 0755 /var/lib/berth/deploy /var/lib/berth/deploy/maintenance",
    );
    expect(makeDirectories("0750", ["/var/log/berth", "/srv/my data"])).toBe("install -d -m 0750 /var/log/berth '/srv/my data'");
    expect(makeDirectory("0750", "/var/lib/berth/registry")).toBe("install -d -m 0750 '/var/lib/berth/registry'");
    expect(installSudoersChecked("/etc/berth/deploy/sudoers", "/etc/sudoers.d/berth-deploy")).toEqual([
      "visudo -cqf /etc/berth/deploy/sudoers || { echo 'berth: the rendered sudoers rule failed visudo; /etc/sudoers.d is unchanged' >&2; exit 1; }",
      "install -m 0440 -o root -g root /etc/berth/deploy/sudoers /etc/sudoers.d/berth-deploy",
    ]);
    expect(removeFromGroup("deploy", "docker")).toBe("if id -nG deploy | tr ' ' '\\n' | grep -qx docker; then gpasswd -d deploy docker >/dev/null; fi");
  });
});

describe("quoting", () => {
  it.each<[string, string]>([
    ["", "''"],
    ["plain", "plain"],
    ["/etc/letsencrypt/live/a.example.com/fullchain.pem", "/etc/letsencrypt/live/a.example.com/fullchain.pem"],
    ["ops@example.com", "ops@example.com"],
    ["--cert-name=a,b+c%d:e", "--cert-name=a,b+c%d:e"],
    ["two words", "'two words'"],
    ["it's", "'it'\\''s'"],
    ["'", "''\\'''"],
    ["$HOME", "'$HOME'"],
    ["`id`", "'`id`'"],
    ["$(id)", "'$(id)'"],
    ["a\nb", "'a\nb'"],
    ["tab\there", "'tab\there'"],
    ["*", "'*'"],
    ["~root", "'~root'"],
    ["a;b", "'a;b'"],
    ["back\\slash", "'back\\slash'"],
    ["!", "'!'"],
    ["ünïcødé", "'ünïcødé'"],
    ["日本", "'日本'"],
  ])("shellQuote(%j) is %s", (word, quoted) => {
    expect(shellQuote(word)).toBe(quoted);
  });

  it("singleQuote always quotes; shellJoin quotes each word", () => {
    expect(singleQuote("plain")).toBe("'plain'");
    expect(singleQuote("")).toBe("''");
    expect(singleQuote("it's")).toBe("'it'\\''s'");
    expect(shellJoin(["certbot", "certonly", "-d", "a.example.com", "--email", "o'neil@example.com"])).toBe(
      "certbot certonly -d a.example.com --email 'o'\\''neil@example.com'",
    );
    expect(shellJoin([])).toBe("");
  });

  // A tiny POSIX word splitter for what the rule emits: blanks separate words, '...' is literal,
  // \x outside quotes is x, and any other character a shell treats specially is an error (it
  // would mean the rule let one through bare).
  const splitWords = (line: string): string[] => {
    const words: string[] = [];
    let word: string | undefined;
    for (let i = 0; i < line.length; i++) {
      const c = line[i];
      if (c === " ") {
        if (word !== undefined) words.push(word);
        word = undefined;
      } else if (c === "'") {
        const end = line.indexOf("'", i + 1);
        if (end < 0) throw new Error(`unterminated quote in ${JSON.stringify(line)}`);
        word = (word ?? "") + line.slice(i + 1, end);
        i = end;
      } else if (c === "\\" && i + 1 < line.length) {
        word = (word ?? "") + line[++i];
      } else if (/[A-Za-z0-9_@%+=:,./-]/.test(c)) {
        word = (word ?? "") + c;
      } else {
        throw new Error(`bare special character ${JSON.stringify(c)} in ${JSON.stringify(line)}`);
      }
    }
    if (word !== undefined) words.push(word);
    return words;
  };

  it("the test's POSIX splitter reads quoting as a shell does", () => {
    expect(splitWords("a 'b c' 'd'\\''e'")).toEqual(["a", "b c", "d'e"]);
    expect(splitWords("'' x")).toEqual(["", "x"]);
    expect(() => splitWords("a $b")).toThrow(/bare special/);
    expect(() => splitWords("'open")).toThrow(/unterminated/);
  });

  // Safe and special characters weighted in among arbitrary code points, so short all-safe words
  // (left bare) and words with one special character (quoted) both come up often.
  const anyText = fc.string({
    unit: fc.oneof(
      fc.constantFrom(..."aZ09_@%+=:,./-"),
      fc.constantFrom(..."'\"\\$`\n\t !*?~#;&|<>(){}[]"),
      fc.string({ unit: "binary", minLength: 1, maxLength: 1 }),
    ),
    maxLength: 12,
  });

  it("shellQuote, singleQuote and shellJoin round-trip through a POSIX splitter (pure, any string)", () => {
    fc.assert(
      fc.property(anyText, (s) => {
        expect(splitWords(shellQuote(s))).toEqual([s]);
        expect(splitWords(singleQuote(s))).toEqual([s]);
      }),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(fc.array(anyText, { maxLength: 6 }), (words) => {
        expect(splitWords(shellJoin(words))).toEqual(words);
      }),
      { numRuns: 500 },
    );
  });

  // Shell-special characters weighted in among arbitrary code points (NUL cannot be in an argument).
  const special = fc.constantFrom(
    "'",
    '"',
    "\\",
    "$",
    "`",
    "\n",
    "\t",
    " ",
    "!",
    "*",
    "?",
    "~",
    "#",
    ";",
    "&",
    "|",
    "<",
    ">",
    "(",
    ")",
    "{",
    "}",
    "[",
    "]",
    "=",
    "%",
    "-",
  );
  const text = fc
    .string({ unit: fc.oneof(special, fc.constantFrom("a", "é", "日", "😀"), fc.string({ unit: "binary", minLength: 1, maxLength: 1 })), maxLength: 24 })
    .filter((s) => !s.includes("\0"));
  const echoed = (quoted: string): string => spawnSync("bash", ["-c", `printf %s ${quoted}`], { encoding: "utf8" }).stdout;

  it("bash reads every quoted string back as it was (shellQuote and singleQuote)", () => {
    fc.assert(
      fc.property(text, (s) => echoed(shellQuote(s)) === s && echoed(singleQuote(s)) === s),
      { numRuns: 60 },
    );
  });

  it("bash splits a shellJoin line into the original words", () => {
    // One bash per run: printf prints each word followed by a NUL, so words may hold newlines.
    fc.assert(
      fc.property(fc.array(text, { maxLength: 4 }), (words) => {
        const out = spawnSync("bash", ["-c", `for w in ${shellJoin(words)}; do printf '%s\\0' "$w"; done`], { encoding: "utf8" }).stdout;
        return out === words.map((w) => `${w}\0`).join("");
      }),
      { numRuns: 40 },
    );
  });
});

describe("no host command outside hostCommands.ts", () => {
  const root = path.resolve(__dirname, "../../../components");
  const files = (dir: string): string[] =>
    fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
      const p = path.join(dir, e.name);
      return e.isDirectory() ? files(p) : e.name.endsWith(".ts") ? [p] : [];
    });
  // Comments may name a command; code may not hold one.
  const code = (file: string): string =>
    fs
      .readFileSync(file, "utf8")
      .split("\n")
      .filter((l) => !/^\s*(\/\/|\/\*|\*)/.test(l))
      .join("\n");
  const forbidden: [string, RegExp][] = [
    ["a quoting helper", /replace\(\/'\/g/],
    ["an inline single-quoted interpolation", /'\$\{/],
    ["the cloud-init wait", /cloud-init status/],
    ["sudo bash -s", /sudo bash -s/],
    ["an nginx reload", /systemctl reload/],
    ["systemctl daemon-reload", /systemctl daemon-reload/],
    ["apt-get", /apt-get /],
  ];

  it("finds the components", () => {
    expect(files(root).length).toBeGreaterThan(10);
  });

  it.each(forbidden)("no component but render/hostCommands.ts holds %s", (_what, pattern) => {
    const offenders = files(root)
      .filter((f) => path.relative(root, f) !== path.join("render", "hostCommands.ts"))
      .filter((f) => pattern.test(code(f)))
      .map((f) => path.relative(root, f));
    expect(offenders).toEqual([]);
  });
});
