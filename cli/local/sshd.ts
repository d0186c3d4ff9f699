// The rehearsal's SSH side, as on the host: a real deploy user (unique per rehearsal, so several can
// run at once), the stack's sudoers rule (checked by visudo first), and Debian's sshd on a loopback
// port that accepts only that user's forced-command key. Everything made here is undone by
// `removeDeployAccess` (sshd stopped by pid, sudoers file and user removed).
import * as fs from "node:fs";
import * as path from "node:path";
import { spawn } from "node:child_process";
import { pidAlive, readPidFile, requireBinary, run, runOk, stopProcess, waitFor } from "./procs";
import * as net from "node:net";

/** What `startSshd` made, recorded in the rehearsal state for `down`. */
export interface SshAccess {
  readonly user: string;
  readonly home: string;
  readonly port: number;
  readonly pidFile: string;
  readonly log: string;
  /** Private key of the deploy user (the stack's deploy key in the rehearsal). */
  readonly keyFile: string;
  readonly publicKey: string;
  readonly knownHostsFile: string;
  /** /etc/sudoers.d/<name>, installed only after visudo accepted it. */
  readonly sudoersFile: string;
}

/** Makes the deploy key pair and the host key (ed25519, no passphrase) once per rehearsal dir. */
export async function ensureKeys(dir: string): Promise<{ keyFile: string; publicKey: string; hostKey: string }> {
  const keygen = requireBinary("ssh-keygen");
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const keyFile = path.join(dir, "deploy_key");
  const hostKey = path.join(dir, "host_key");
  for (const [f, comment] of [
    [keyFile, "berth-rehearsal-deploy"],
    [hostKey, "berth-rehearsal-host"],
  ] as const) {
    if (!fs.existsSync(f)) await runOk(keygen, ["-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", f]);
  }
  return { keyFile, publicKey: fs.readFileSync(`${keyFile}.pub`, "utf8").trim(), hostKey };
}

/** Creates the user with `home` (owned by it, 0755) and an unusable password (key logins only). */
export async function createDeployUser(user: string, home: string): Promise<void> {
  const exists = (await run(requireBinary("id"), ["-u", user])).code === 0;
  if (!exists) {
    // `*` (not `!`): a locked account is refused by sshd even with a valid key.
    await runOk(requireBinary("useradd"), ["-M", "-d", home, "-s", "/bin/sh", "-p", "*", user]);
  }
  fs.mkdirSync(path.join(home, ".ssh"), { recursive: true });
  const { uid, gid } = await ids(user);
  fs.chownSync(home, uid, gid);
  fs.chmodSync(home, 0o755);
  fs.chownSync(path.join(home, ".ssh"), uid, gid);
  fs.chmodSync(path.join(home, ".ssh"), 0o700);
}

async function ids(user: string): Promise<{ uid: number; gid: number }> {
  const id = requireBinary("id");
  return { uid: Number((await runOk(id, ["-u", user])).stdout.trim()), gid: Number((await runOk(id, ["-g", user])).stdout.trim()) };
}

/** Installs a sudoers drop-in only when `visudo -c` accepts it (a broken one would lock sudo). */
export async function installSudoers(text: string, target: string): Promise<void> {
  const staged = `${target}.berth-new`;
  fs.writeFileSync(staged, text, { mode: 0o440 });
  const check = await run(requireBinary("visudo"), ["-cqf", staged]);
  if (check.code !== 0) {
    fs.rmSync(staged, { force: true });
    throw new Error(`visudo rejected the sudoers rule: ${(check.stderr || check.stdout).trim()}`);
  }
  // sudo skips files whose name holds a dot, so the staged copy above was never read.
  fs.renameSync(staged, target);
}

async function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, "127.0.0.1", () => {
      s.destroy();
      resolve(true);
    });
    s.on("error", () => resolve(false));
  });
}

/** Starts sshd for `access.user` only, on 127.0.0.1:`access.port`; resolves when it accepts. */
export async function startSshd(access: SshAccess, hostKey: string): Promise<void> {
  const sshd = requireBinary("sshd");
  fs.mkdirSync("/run/sshd", { recursive: true, mode: 0o755 }); // privilege separation directory
  fs.mkdirSync(path.dirname(access.log), { recursive: true });
  const child = spawn(
    sshd,
    [
      "-f",
      "/dev/null",
      "-h",
      hostKey,
      "-p",
      String(access.port),
      "-E",
      access.log,
      "-o",
      "ListenAddress=127.0.0.1",
      "-o",
      `PidFile=${access.pidFile}`,
      "-o",
      "PasswordAuthentication=no",
      "-o",
      "KbdInteractiveAuthentication=no",
      "-o",
      "UsePAM=no",
      "-o",
      "PermitRootLogin=no",
      "-o",
      `AllowUsers=${access.user}`,
      "-o",
      "AuthorizedKeysFile=.ssh/authorized_keys",
    ],
    { stdio: "ignore" },
  );
  const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
  if (code !== 0) throw new Error(`sshd exited with ${code}; see ${access.log}`);
  const ok = await waitFor(async () => readPidFile(access.pidFile) !== undefined && (await portOpen(access.port)), 10_000);
  if (!ok) throw new Error(`sshd did not listen on 127.0.0.1:${access.port}; see ${access.log}`);
  const hostPub = fs.readFileSync(`${hostKey}.pub`, "utf8").trim().split(" ").slice(0, 2).join(" ");
  fs.writeFileSync(access.knownHostsFile, `[127.0.0.1]:${access.port} ${hostPub}\n`);
}

/** The ssh command line for the deploy user (no user config, known host pinned, key only). */
export function sshArgs(access: Pick<SshAccess, "port" | "user" | "keyFile" | "knownHostsFile">): string[] {
  return [
    "-F",
    "/dev/null",
    "-p",
    String(access.port),
    "-i",
    access.keyFile,
    "-o",
    "IdentitiesOnly=yes",
    "-o",
    "BatchMode=yes",
    "-o",
    "StrictHostKeyChecking=yes",
    "-o",
    `UserKnownHostsFile=${access.knownHostsFile}`,
    "-o",
    "ConnectTimeout=10",
    `${access.user}@127.0.0.1`,
  ];
}

/** Stops sshd (by pid), removes the sudoers drop-in and the user. Safe to call twice. */
export async function removeDeployAccess(access: SshAccess): Promise<void> {
  const pid = readPidFile(access.pidFile);
  if (pid !== undefined && pidAlive(pid)) await stopProcess(pid, "sshd");
  fs.rmSync(access.pidFile, { force: true });
  fs.rmSync(access.sudoersFile, { force: true });
  if ((await run(requireBinary("id"), ["-u", access.user])).code === 0) {
    await runOk(requireBinary("userdel"), [access.user]);
  }
}
