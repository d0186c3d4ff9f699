// Puts rendered host files on disk: directly (registry and TLS files in the rehearsal) or through
// the same staged delivery the real host uses for nginx (host/apply-nginx.sh: install, `nginx -t`,
// reload, roll back on failure).
import * as fs from "node:fs";
import * as path from "node:path";
import { renderBundle } from "../../components/render/bundle";
import type { HostFile } from "../../components/render/paths";
import { requireBinary, run } from "./procs";

/** host/apply-nginx.sh in this checkout. */
export const APPLY_NGINX_SCRIPT = path.resolve(__dirname, "..", "..", "host", "apply-nginx.sh");

/** Writes files in place (mode set, parents created); create-only files are kept when present. */
export function writeHostFiles(files: readonly HostFile[]): void {
  for (const f of files) {
    if (f.createOnly && fs.existsSync(f.path)) continue;
    fs.mkdirSync(path.dirname(f.path), { recursive: true });
    const tmp = `${f.path}.berth-new`;
    fs.writeFileSync(tmp, f.content, { mode: f.mode });
    fs.chmodSync(tmp, f.mode);
    fs.renameSync(tmp, f.path);
  }
}

/** How to call nginx for a given set of files. */
export interface NginxInvocation {
  /** Options for every nginx call (-p/-c/-e in the rehearsal; none on a standard host). */
  readonly args: readonly string[];
  /** nginx's pid file, to tell reload from start. */
  readonly pidFile: string;
}

/**
 * Delivers nginx files exactly the way the host does: the same bundle script Pulumi sends over
 * SSH (components/render/bundle.ts), run with bash. Throws with nginx's own message when the
 * configuration is rejected; the previous files then stay in place and serving.
 */
export async function applyNginxFiles(files: readonly HostFile[], ownedDirs: readonly string[], nginx: NginxInvocation): Promise<string> {
  const script = renderBundle(files, {
    label: "nginx",
    mode: "nginx",
    applyScript: fs.readFileSync(APPLY_NGINX_SCRIPT, "utf8"),
    nginxOptions: nginx.args,
    ownedDirs,
  });
  const env = { ...process.env, BERTH_NGINX: requireBinary("nginx"), BERTH_NGINX_PID: nginx.pidFile };
  const r = await run(requireBinary("bash"), ["-s"], { env, input: script });
  if (r.code !== 0) throw new Error(r.stderr.trim() || `nginx delivery failed with exit ${r.code}`);
  return r.stdout.trim();
}
