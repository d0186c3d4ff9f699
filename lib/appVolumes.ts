// App part volumes and scheduled jobs, stated once: what a volume's name, container path, owner and
// mode may be, where its directory lives on the host, what a job may be called and how its systemd
// units are named. Config validation (config/schema.ts, config/validate/volumesJobs.ts), the deploy
// renderer (apps.json, the job units) and the plan's notes read these. Pure: no Pulumi, no I/O.

/** Where every app volume directory lives on the host: `<dir>/<app>/<name>` (berth-deploy creates them, never deletes them). */
export const APP_VOLUMES_DIR = "/srv/berth/volumes";

/** Owner of a new volume directory when none is given: Berth cannot know the image's user; 1000:1000 is the common first non-root one. */
export const DEFAULT_VOLUME_OWNER = "1000:1000";

/** Mode of a new volume directory when none is given: the owner writes, its group reads, nobody else enters. */
export const DEFAULT_VOLUME_MODE = "0750";

/** A job's `timeoutSeconds` when none is given. */
export const DEFAULT_JOB_TIMEOUT_SECONDS = 3600;

/** Names of volumes and jobs: they become directory and systemd unit names. */
export const VOLUME_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;
export const JOB_NAME = VOLUME_NAME;
const NAME_MESSAGE = "must be lower-case letters, digits or - and start with a letter or digit (63 at most): [a-z0-9][a-z0-9-]*";

/** Why `name` cannot name a volume or a job, or undefined when it can. */
export function partNameProblem(name: string): string | undefined {
  return VOLUME_NAME.test(name) ? undefined : NAME_MESSAGE;
}

/** Why `path` cannot be a container path of a volume, or undefined when it can. */
export function containerPathProblem(path: string): string | undefined {
  if (!path.startsWith("/")) return "must be an absolute path in the container like /data";
  if (!/^\/[A-Za-z0-9._/@+-]*$/.test(path)) return "must hold only letters, digits and . _ / @ + -";
  const segments = path.split("/").filter(Boolean);
  if (segments.includes("..") || segments.includes(".")) return "must not contain . or .. segments";
  if (segments.length === 0) return "must not be / (the container's whole file system)";
  return undefined;
}

/** The path as Docker compares mount points: no trailing or doubled slashes. */
export function normalContainerPath(path: string): string {
  return `/${path.split("/").filter(Boolean).join("/")}`;
}

const ID_MAX = 4294967294;

/** Why `owner` cannot own a volume directory, or undefined when it can (numeric `uid:gid`: the host has no user of the image's names). */
export function ownerProblem(owner: string): string | undefined {
  const m = /^(\d{1,10}):(\d{1,10})$/.exec(owner);
  if (!m || Number(m[1]) > ID_MAX || Number(m[2]) > ID_MAX) return `must be a numeric "uid:gid" like "${DEFAULT_VOLUME_OWNER}" (the user the image runs as)`;
  return undefined;
}

/** Why `mode` cannot be a volume directory's mode, or undefined when it can. */
export function modeProblem(mode: string): string | undefined {
  if (!/^0?[0-7]{3}$/.test(mode)) return `must be an octal mode like "${DEFAULT_VOLUME_MODE}" (no setuid, setgid or sticky bits)`;
  if ((parseInt(mode, 8) & 0o700) !== 0o700) return "must give the owner rwx (7xx): the app writes its data there";
  return undefined;
}

/** The host directory of one app volume. */
export function appVolumeDir(app: string, name: string): string {
  return `${APP_VOLUMES_DIR}/${app}/${name}`;
}

/**
 * Where an app volume's data lives, as the plan says it. The data volume (berth:host.dataVolume) is
 * built elsewhere; the caller says whether the stack has one.
 */
export function volumeLocationNote(hasDataVolume: boolean): string {
  return hasDataVolume
    ? "on the data volume mounted at /srv/berth, which outlives a replaced host"
    : "on the host's root disk, which a replaced host does not keep (berth:host.dataVolume keeps them)";
}

/** What the plan diff says about a volume that is no longer declared. */
export function removedVolumeNote(app: string, name: string): string {
  return `volume ${app}/${name} is no longer declared: its directory ${appVolumeDir(app, name)} and the data in it stay on the host (berth-deploy never deletes a volume) until an admin removes it`;
}

/** systemd unit name (without suffix) of a job: `_` separates app and job, since neither name can hold it. */
export function jobUnitName(app: string, job: string): string {
  return `berth-job-${app}_${job}`;
}

/** The pattern of every job unit file, for pruning units of jobs that are no longer declared. */
export const JOB_UNIT_GLOB = "berth-job-*_*";
