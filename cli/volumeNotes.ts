// What the plan and the plan diff say about app volumes, read from the apps file the deploy tooling's
// bundle delivers (the one place that lists them as the host will see them): where each volume's
// directory lives (on the data volume or the root disk), and that a volume no longer declared keeps
// its data on the host. Pure: text in, lines out.
import { removedVolumeNote, volumeLocationNote } from "../lib/appVolumes";
import { bundleFiles, isBundle } from "../lib/hostBundle";

/** One app volume as the apps file declares it. */
export interface DeclaredVolume {
  readonly app: string;
  readonly part: string;
  readonly name: string;
  readonly path: string;
  readonly hostDir: string;
}

/** Where the deploy program's apps file sits on the host (components/render/paths.ts HOST_PATHS.deployApps). */
export const APPS_FILE_PATH = "/etc/berth/deploy/apps.json";

interface AppsFile {
  readonly apps?: ReadonlyArray<{
    name: string;
    parts: ReadonlyArray<{ role: string; appVolumes?: ReadonlyArray<{ name: string; path: string; hostDir: string }> }>;
  }>;
}

/** The volumes an apps file declares, in its order; none for text that is not one. */
export function volumesOfAppsFile(text: string): DeclaredVolume[] {
  let file: AppsFile;
  try {
    file = JSON.parse(text) as AppsFile;
  } catch {
    return [];
  }
  return (file.apps ?? []).flatMap((a) =>
    a.parts.flatMap((p) => (p.appVolumes ?? []).map((v) => ({ app: a.name, part: p.role, name: v.name, path: v.path, hostDir: v.hostDir }))),
  );
}

/** The apps file inside any of these scripts (bundle scripts of the plan's commands), if one delivers it. */
export function appsFileIn(scripts: Iterable<unknown>): string | undefined {
  for (const s of scripts) {
    if (typeof s !== "string" || !isBundle(s)) continue;
    const f = bundleFiles(s).find((b) => b.path === APPS_FILE_PATH);
    if (f) return f.content;
  }
  return undefined;
}

/** The plan's "App volumes" lines (none when no app declares one). */
export function planVolumeLines(appsFile: string | undefined, hasDataVolume: boolean): string[] {
  const vols = appsFile === undefined ? [] : volumesOfAppsFile(appsFile);
  if (vols.length === 0) return [];
  return [
    "",
    `App volumes, ${volumeLocationNote(hasDataVolume)}. berth-deploy makes each before the first container that mounts it and never deletes one:`,
    ...vols.map((v) => `  ${v.app} ${v.part} ${v.name}: ${v.hostDir} -> ${v.path}`),
  ];
}

/** One note per volume the old apps file declared and the new one does not. */
export function removedVolumeNotes(before: string, after: string): string[] {
  const kept = new Set(volumesOfAppsFile(after).map((v) => `${v.app}/${v.name}`));
  const gone = new Set(
    volumesOfAppsFile(before)
      .filter((v) => !kept.has(`${v.app}/${v.name}`))
      .map((v) => `${v.app}/${v.name}`),
  );
  return [...gone].map((k) => removedVolumeNote(k.split("/")[0], k.split("/")[1]));
}
