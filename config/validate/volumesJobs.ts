// App part volumes and jobs across fields (each field alone is checked in config/schema.ts with
// lib/appVolumes.ts and lib/calendar.ts): one container path per volume of a part, a volume name once
// per part (and, shared by both parts, with one owner and mode: it is one directory), a job name once
// per app (it names the job's command and its systemd units).
import { normalContainerPath } from "../../lib/appVolumes";
import type { ConfigProblem } from "../errors";
import type { Raw } from "../schema";

/** The container path of a string volume (`SOURCE:PATH[:ro|:rw]`). */
function stringVolumePath(v: string): string {
  return normalContainerPath(v.split(":")[1] ?? "");
}

/** Checks every app's volumes and jobs against each other. */
export function validateVolumesAndJobs(raw: Raw, add: (p: ConfigProblem) => void): void {
  raw.proxy.apps.forEach((app, i) => {
    const dirs = new Map<string, { at: string; owner: string; mode: string }>();
    const jobs = new Map<string, string>();
    for (const role of ["frontend", "backend"] as const) {
      const part = app[role];
      if (!part) continue;
      const at = `berth:proxy.apps[${i}].${role}`;
      const paths = new Map<string, string>();
      const names = new Set<string>();
      part.volumes.forEach((v, vi) => {
        const key = typeof v === "string" ? `${at}.volumes[${vi}]` : `${at}.volumes[${vi}].path`;
        const p = typeof v === "string" ? stringVolumePath(v) : normalContainerPath(v.path);
        const first = paths.get(p);
        if (first !== undefined)
          add({ key, value: typeof v === "string" ? v : v.path, message: `mounts at ${p}, as ${first} does: one volume per container path` });
        else paths.set(p, key);
        if (typeof v === "string") return;
        if (names.has(v.name)) add({ key: `${at}.volumes[${vi}].name`, value: v.name, message: `is declared twice in ${at}.volumes` });
        names.add(v.name);
        const other = dirs.get(v.name);
        if (other && (other.owner !== v.owner || other.mode !== v.mode))
          add({
            key: `${at}.volumes[${vi}]`,
            value: `${v.name} ${v.owner} ${v.mode}`,
            message: `is the same directory as ${other.at} (owner ${other.owner}, mode ${other.mode}); give both the same owner and mode`,
          });
        else if (!other) dirs.set(v.name, { at: `${at}.volumes[${vi}]`, owner: v.owner, mode: v.mode });
      });
      part.jobs.forEach((j, ji) => {
        const first = jobs.get(j.name);
        if (first !== undefined) add({ key: `${at}.jobs[${ji}].name`, value: j.name, message: `is also the name of ${first}: job names are unique per app` });
        else jobs.set(j.name, `${at}.jobs[${ji}]`);
      });
    }
  });
}
