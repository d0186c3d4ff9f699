// Apps on ECS Fargate (`runtime: ecs`): the split of berth:proxy.apps into the host's apps and the
// cluster's, and the cluster's rules (Fargate task sizes, task counts, names the ELB, ECR and SSM
// APIs limit, listener rule priorities, jobs whose schedules have an exact Scheduler form, and every
// hostname owned by exactly one runtime and served by a zone of berth:dns that holds no record of its own for it). Errors name the key in
// berth:proxy.apps as written, whatever runtime the apps around it use.
import { isReservedName } from "../../lib/apiRules";
import { calendarToCron, ECS_SCHEDULE_RULE } from "../../lib/calendarCron";
import { jobCommandProblem } from "../../lib/ecsJobs";
import { owningZone, planRecords } from "../../lib/dnsPlan";
import {
  albName,
  DEFAULT_SCALING,
  ecrRepositoryName,
  ecrRepositoryNameProblem,
  elbNameProblem,
  fargateSizeProblem,
  priorityCollisions,
  RULE_CONDITION_VALUES_MAX,
  ssmParameterName,
  ssmParameterNameProblem,
  targetGroupName,
} from "../../lib/ecsRules";
import { contains, overlaps, parseCidr, type Cidr } from "../../lib/cidr";
import { defaultTaskSubnetCidrs, subnetAddresses, taskSubnetDemand, TASK_INTERFACE_ENDPOINTS } from "../../lib/taskNetwork";
import type { ConfigProblem } from "../errors";
import type { ClusterConfig, Config, EcsApp, EcsAppConfig, HostApp, ParsedRaw, Raw } from "../schema";

type Add = (p: ConfigProblem) => void;

/** The parsed config split by runtime: the host's view, where each host app sat, and the cluster. */
export interface SplitApps {
  /** The sections with `proxy.apps` holding the host apps only. */
  readonly raw: Raw;
  /** For each host app (by its index in raw.proxy.apps), its index in berth:proxy.apps. */
  readonly hostIndex: readonly number[];
  /** The ECS apps and berth:cluster; undefined when no app uses `runtime: ecs`. */
  readonly cluster?: ClusterConfig;
}

/** Splits berth:proxy.apps by runtime; ECS apps' counts default to `desiredCount`. */
export function splitApps(parsed: ParsedRaw): SplitApps {
  const hostApps: HostApp[] = [];
  const hostIndex: number[] = [];
  const ecsApps: EcsAppConfig[] = [];
  parsed.proxy.apps.forEach((app, index) => {
    if (app.runtime === "ecs") ecsApps.push(resolveCounts(app, index));
    else {
      hostApps.push(app);
      hostIndex.push(index);
    }
  });
  const { cluster, proxy, ...rest } = parsed;
  const raw: Raw = { ...rest, proxy: { ...proxy, apps: hostApps } };
  return { raw, hostIndex, ...(ecsApps.length > 0 ? { cluster: { settings: cluster, apps: ecsApps } } : {}) };
}

function resolveCounts(app: EcsApp, index: number): EcsAppConfig {
  const { scaleOn, ...rest } = app;
  return { ...rest, index, minCount: app.minCount ?? app.desiredCount, maxCount: app.maxCount ?? app.desiredCount, scaleOn: scaleOn ?? DEFAULT_SCALING };
}

/**
 * `add` for validators that see the host's view: `berth:proxy.apps[i]` in their keys and messages
 * becomes the index the app has in berth:proxy.apps as written.
 */
export function withConfigIndexes(add: Add, hostIndex: readonly number[]): Add {
  const fix = (s: string): string => s.replace(/berth:proxy\.apps\[(\d+)\]/g, (_all, i: string) => `berth:proxy.apps[${hostIndex[Number(i)] ?? i}]`);
  return (p) => add({ ...p, key: fix(p.key), message: fix(p.message) });
}

/**
 * Every rule of the ECS apps, against each other, the host's apps and berth:dns. `cloud`: a real
 * preview or update, where reserved example names (ACM and Route53 refuse them) are refused too.
 */
export function validateCluster(project: string, stack: string, parsed: ParsedRaw, split: SplitApps, add: Add, cloud = false): void {
  const apps = split.cluster?.apps ?? [];
  if (apps.length === 0) return;
  if (cloud)
    for (const app of apps)
      app.hostnames.forEach((h, hi) => {
        if (isReservedName(h))
          add({
            key: `berth:proxy.apps[${app.index}].hostnames[${hi}]`,
            value: h,
            message:
              "is a reserved example name (RFC 2606/6761), which ACM and Route53 refuse; the offline plan accepts it, a real preview or update needs your own domain",
          });
      });
  const names = parsed.proxy.apps.map((a) => a.name);
  for (const app of apps) {
    const at = `berth:proxy.apps[${app.index}]`;
    if (names.indexOf(app.name) !== app.index) add({ key: `${at}.name`, value: app.name, message: "app names must be unique (across both runtimes)" });
    validateCounts(app, at, add);
    const scaleOn = parsed.proxy.apps[app.index].runtime === "ecs" ? (parsed.proxy.apps[app.index] as EcsApp).scaleOn : undefined;
    if (scaleOn && app.maxCount <= app.minCount)
      add({
        key: `${at}.scaleOn`,
        value: scaleOn,
        message: `nothing scales: maxCount (${app.maxCount}) is not above minCount (${app.minCount}); raise maxCount, or remove scaleOn`,
      });
    validateParts(project, stack, app, at, add);
    validateAppNames(project, stack, app, at, add);
    validateJobs(app, at, add);
  }
  const alb = albName(project, stack);
  const albProblem = elbNameProblem(alb);
  if (albProblem) add({ key: "(stack name)", value: stack, message: `the load balancer name "${alb}" ${albProblem}` });
  for (const [first, second] of priorityCollisions(apps.map((a) => a.name)))
    add({
      key: "berth:proxy.apps",
      value: second,
      message: `apps ${first} and ${second} hash to the same listener rule priority; rename one of them`,
    });
  validateHostnames(parsed, split.raw, apps, add);
}

function validateCounts(app: EcsAppConfig, at: string, add: Add): void {
  if (app.minCount > app.desiredCount) add({ key: `${at}.minCount`, value: app.minCount, message: `must be at most desiredCount (${app.desiredCount})` });
  if (app.maxCount < app.desiredCount) add({ key: `${at}.maxCount`, value: app.maxCount, message: `must be at least desiredCount (${app.desiredCount})` });
}

function validateParts(project: string, stack: string, app: EcsAppConfig, at: string, add: Add): void {
  for (const role of ["frontend", "backend"] as const) {
    const part = app[role];
    if (!part) continue;
    const where = `${at}.${role}`;
    const sizeProblem = fargateSizeProblem(part.cpu, part.memory);
    if (sizeProblem) add({ key: `${where}.memory`, value: { cpu: part.cpu, memory: part.memory }, message: sizeProblem });
    if (part.health.timeoutSeconds >= part.health.intervalSeconds)
      add({ key: `${where}.health.timeoutSeconds`, value: part.health.timeoutSeconds, message: "must be less than health.intervalSeconds (ELB's rule)" });
    const repo = ecrRepositoryName(stack, app.name, role);
    const repoProblem = ecrRepositoryNameProblem(repo);
    if (repoProblem) add({ key: `${at}.name`, value: app.name, message: `the ECR repository "${repo}" ${repoProblem}` });
    for (const name of [...Object.keys(part.env), ...part.secrets]) {
      const param = ssmParameterName(project, stack, app.name, role, name);
      const problem = ssmParameterNameProblem(param);
      if (problem) add({ key: `${where}.secrets`, value: name, message: `the SSM parameter "${param}" ${problem}` });
    }
  }
}

function validateAppNames(project: string, stack: string, app: EcsAppConfig, at: string, add: Add): void {
  for (const role of ["frontend", "backend"] as const) {
    const part = app[role];
    if (!part) continue;
    const tg = targetGroupName(project, stack, app.name, role, part.containerPort);
    const problem = elbNameProblem(tg);
    if (problem) add({ key: `${at}.name`, value: app.name, message: `the target group name "${tg}" ${problem}` });
  }
  // One host-header rule per app part; the back end's rule also carries its two path patterns.
  const conditionValues = app.hostnames.length + (app.backend ? 2 : 0);
  if (conditionValues > RULE_CONDITION_VALUES_MAX)
    add({
      key: `${at}.hostnames`,
      value: app.hostnames,
      message: `a listener rule takes ${RULE_CONDITION_VALUES_MAX} condition values; this app needs ${conditionValues} (hostnames${app.backend ? " + 2 back-end paths" : ""}); use fewer hostnames`,
    });
}

/** An ECS app's jobs: a name once per app (it names the schedule), a schedule Scheduler can keep exactly, a command RunTask takes. */
function validateJobs(app: EcsAppConfig, at: string, add: Add): void {
  const names = new Map<string, string>();
  for (const role of ["frontend", "backend"] as const) {
    app[role]?.jobs.forEach((job, ji) => {
      const where = `${at}.${role}.jobs[${ji}]`;
      const first = names.get(job.name);
      if (first !== undefined) add({ key: `${where}.name`, value: job.name, message: `is also the name of ${first}: job names are unique per app` });
      else names.set(job.name, where);
      const cron = calendarToCron(job.schedule);
      if (cron.problem)
        add({ key: `${where}.schedule`, value: job.schedule, message: `has no exact EventBridge Scheduler form: ${cron.problem}; ${ECS_SCHEDULE_RULE}` });
      const commandProblem = jobCommandProblem(role, job.command);
      if (commandProblem) add({ key: `${where}.command`, value: job.command, message: commandProblem });
    });
  }
}

/** Each ECS hostname: in a zone of berth:dns, with no record there, served by no host app, extra host or the registry. */
function validateHostnames(parsed: ParsedRaw, raw: Raw, apps: readonly EcsAppConfig[], add: Add): void {
  const records = new Map(planRecords(parsed.dns.zones).map((r) => [r.fqdn, r]));
  const hostClaims = new Map<string, string>();
  raw.proxy.apps.forEach((a) => a.hostnames.forEach((h) => hostClaims.set(h, `host app ${a.name}`)));
  parsed.proxy.extraHosts.forEach((h, i) => hostClaims.set(h.hostname, `berth:proxy.extraHosts[${i}]`));
  if (parsed.registry.hostname) hostClaims.set(parsed.registry.hostname, "berth:registry.hostname");
  const seen = new Map<string, string>();
  for (const app of apps) {
    app.hostnames.forEach((h, hi) => {
      const key = `berth:proxy.apps[${app.index}].hostnames[${hi}]`;
      const other = hostClaims.get(h) ?? seen.get(h);
      if (other) add({ key, value: h, message: `${h} is already served by ${other}` });
      seen.set(h, `ECS app ${app.name}`);
      if (!owningZone(parsed.dns.zones, h))
        add({
          key,
          value: h,
          message: `is in no zone of berth:dns; an ECS app's names get their records (and certificate validation records) in one: add the zone`,
        });
      if (records.has(h))
        add({
          key,
          value: h,
          message: `berth:dns also has a record for ${h}; an ECS app's names point at the load balancer from the app itself: remove that record`,
        });
    });
  }
}

/**
 * berth:cluster.taskSubnets and taskSubnetCidrs against the network: with `private`, two blocks
 * (given, or the first two free /(vpc+4) blocks) inside the VPC, at least /28, apart from the public
 * and database subnets and from each other, each large enough for the ECS apps at their largest
 * during a deploy plus the endpoints' interfaces. Returns those blocks, or undefined with `public`.
 */
export function validateTaskSubnets(parsed: ParsedRaw, network: Config["network"], add: Add): [string, string] | undefined {
  const settings = parsed.cluster;
  const key = "berth:cluster.taskSubnetCidrs";
  if (settings.taskSubnets === "public") {
    if (settings.taskSubnetCidrs)
      add({
        key,
        value: settings.taskSubnetCidrs,
        message: "is used only with berth:cluster.taskSubnets: private (allowed: public, private); set that, or remove this key",
      });
    return undefined;
  }
  const vpc = parseCidr(network.vpcCidr);
  // A VPC validateCloud refuses has no blocks to check against; its own error says why.
  if (!vpc || vpc.prefix < 16 || vpc.prefix > 24) return undefined;
  const others: Array<[string, string]> = [
    ...network.publicSubnetCidrs.map((c, i): [string, string] => [`berth:network.publicSubnetCidrs[${i}]`, c]),
    ...network.databaseSubnetCidrs.map((c, i): [string, string] => [`berth:network.databaseSubnetCidrs[${i}]`, c]),
  ];
  const given = settings.taskSubnetCidrs as [string, string] | undefined;
  const cidrs =
    given ??
    defaultTaskSubnetCidrs(
      network.vpcCidr,
      others.map(([, c]) => c),
    );
  if (!cidrs) {
    add({
      key,
      value: undefined,
      message: `the VPC ${network.vpcCidr} has no two /${Math.min(vpc.prefix + 4, 28)} blocks left beside the public and database subnets; give two free blocks`,
    });
    return undefined;
  }
  const demand = taskSubnetDemand(parsed.proxy.apps.filter((a): a is EcsApp => a.runtime === "ecs").flatMap(partMaxCounts));
  cidrs.forEach((text, i) => {
    const at = `${key}[${i}]`;
    const value = given ? text : `${text} (the default)`;
    const c = parseCidr(text) as Cidr;
    if (!contains(vpc, c)) return add({ key: at, value, message: `must lie inside the VPC ${network.vpcCidr}` });
    if (c.prefix > 28) return add({ key: at, value, message: "subnets must be /28 or larger (AWS minimum)" });
    for (const [otherKey, other] of [...others, ...(i === 1 ? [[`${key}[0]`, cidrs[0]] as [string, string]] : [])])
      if (overlaps(c, parseCidr(other) as Cidr)) add({ key: at, value, message: `overlaps ${otherKey} (${other}); every subnet needs its own block` });
    if (subnetAddresses(c.prefix) < demand)
      add({
        key: at,
        value,
        message: `has ${subnetAddresses(c.prefix)} usable addresses; one AZ may need ${demand} (half of every ECS part at maxCount, doubled while a deploy starts new tasks, plus ${TASK_INTERFACE_ENDPOINTS.length} endpoint interfaces): give a larger block`,
      });
  });
  return cidrs;
}

/** The most tasks each part of an ECS app may run (maxCount, else desiredCount), once per part. */
function partMaxCounts(app: EcsApp): number[] {
  const most = app.maxCount ?? app.desiredCount;
  return [app.frontend, app.backend].filter((p) => p !== undefined).map(() => most);
}
