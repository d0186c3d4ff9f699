// Physical names people see in consoles: `${project}-${stack}-${role}`, built and
// length-checked in one place. Logical (Pulumi) names never carry the stack: the URN does.

/** AWS limits that matter for the names Berth builds. */
export const NAME_LIMITS = {
  /** RDS DB instance identifier. */
  rdsIdentifier: 63,
  /** Security group names, key pair names, and most tag values are far longer; 63 is our floor. */
  default: 63,
} as const;

/**
 * Builds `${project}-${stack}-${role}` in lower case. Throws when the result is
 * longer than `maxLength` or has characters AWS identifiers refuse, so a long stack
 * name fails at validation time rather than halfway through `pulumi up`.
 */
export function physicalName(project: string, stack: string, role: string, maxLength: number = NAME_LIMITS.default): string {
  const name = `${project}-${stack}-${role}`.toLowerCase();
  if (!/^[a-z][a-z0-9-]*$/.test(name) || name.includes("--") || name.endsWith("-")) {
    throw new Error(`physical name "${name}" must start with a letter and contain only letters, digits and single hyphens`);
  }
  if (name.length > maxLength) {
    throw new Error(`physical name "${name}" is ${name.length} characters; the limit for this resource is ${maxLength} (shorten the project or stack name)`);
  }
  return name;
}

/**
 * Why `stack` cannot name a Berth stack, or undefined. Physical names are lower case (RDS
 * identifiers must be), so stacks "Dev" and "dev" of one project would claim the same database,
 * subnet group, parameter group and log groups.
 */
export function stackNameProblem(stack: string): string | undefined {
  return /[A-Z]/.test(stack)
    ? `has upper-case letters, and Berth's physical names are lower case (RDS refuses capitals), so it would share them with stack "${stack.toLowerCase()}"; use a lower-case stack name`
    : undefined;
}

/** Project and stack, for building physical names. */
export interface Naming {
  readonly project: string;
  readonly stack: string;
}

/** Shorthand: the physical name of `role` in this stack. */
export function physical(n: Naming, role: string, maxLength?: number): string {
  return physicalName(n.project, n.stack, role, maxLength);
}

/**
 * The registry bucket's name prefix. Bucket names are global across all AWS accounts, so S3 (the
 * provider) appends a unique suffix to it instead of Berth picking a name someone may hold.
 */
export function registryBucketPrefix(n: Naming): string {
  return `${n.project}-${n.stack}-registry-`.toLowerCase();
}

/**
 * The CloudWatch Logs group of one app's containers: `/<project>/<stack>/apps/<app>` (beside the
 * VPC flow logs' `/<project>/<stack>/vpc-flow-logs`). The stack creates it; Docker's awslogs driver
 * only writes into it.
 */
export function appLogGroupName(n: Naming, app: string): string {
  return `/${n.project}/${n.stack}/apps/${app}`;
}
