// Database: RDS MySQL 8 in the two private database subnets, utf8mb4 throughout, storage
// encrypted, never publicly accessible, reachable only through the firewall's database SG.
// The master password comes from berth:databasePassword (a config secret) or is generated,
// and leaves the stack only as a secret. Chosen MySQL logs (error, slow queries) are published to
// CloudWatch Logs groups Berth creates first, with a retention (RDS's own would keep them forever).
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { nameTag } from "../lib/tags";
import { NAME_LIMITS, physical, type Naming } from "../lib/naming";
import { MYSQL_MAJOR_VERSIONS, mysqlMajor, type EngineLifecycle, type RdsLogExport } from "../lib/apiRules";
import { tiedTo } from "./resourceErrors";

export interface DatabaseArgs {
  /** The two private database subnets (two AZs), for the DB subnet group. */
  readonly subnetIds: pulumi.Input<string>[];
  /** The firewall's database security group, the instance's only group. */
  readonly securityGroupId: pulumi.Input<string>;
  /** RDS for MySQL version: a major version ("8.4") or an exact one ("8.4.3"). */
  readonly engineVersion: string;
  /** What RDS does at the end of standard support (see lib/apiRules.ts). */
  readonly engineLifecycleSupport: EngineLifecycle;
  /** RDS instance class, e.g. "db.t3.micro". */
  readonly instanceClass: string;
  /** Storage allocated at creation, in GiB (gp3, encrypted). */
  readonly allocatedStorageGiB: number;
  /** Storage autoscaling ceiling in GiB; undefined = off. */
  readonly maxAllocatedStorageGiB?: number;
  /** Name of the database RDS creates in the instance. */
  readonly dbName: string;
  /** Master user name. */
  readonly username: string;
  /** Master password (kept secret). Unset: the component generates a random 32-character one. */
  readonly password?: pulumi.Input<string>;
  /** TCP port MySQL listens on. */
  readonly port: number;
  /** Days RDS keeps automated backups (0 = none). */
  readonly backupRetentionDays: number;
  /** Daily backup window, UTC "hh:mm-hh:mm"; unset = RDS picks one. */
  readonly backupWindow?: string;
  /** True: RDS refuses to delete the instance until this is turned off. */
  readonly deletionProtection: boolean;
  /** True: delete without a final snapshot. False: a final snapshot `<project>-<stack>-db-final` is taken on delete. */
  readonly skipFinalSnapshot: boolean;
  /** True: a standby in the other AZ (RDS Multi-AZ). */
  readonly multiAz: boolean;
  /** True: changes apply at once; false: in the next maintenance window. */
  readonly applyImmediately: boolean;
  /** MySQL logs published to CloudWatch Logs; [] = none. */
  readonly logExports: readonly RdsLogExport[];
  /** Days CloudWatch Logs keeps them. */
  readonly logRetentionDays: number;
  /** long_query_time, in seconds: queries slower than this go to the slow query log (when it is exported). */
  readonly slowQuerySeconds: number;
  /** Project and stack: the instance identifier, group names and Name tags. */
  readonly naming: Naming;
}

/** The log group RDS publishes one log of an instance to (RDS picks this name; Berth creates it first). */
export function rdsLogGroupName(identifier: string, log: RdsLogExport): string {
  return `/aws/rds/instance/${identifier}/${log}`;
}

/**
 * Parameters that make MySQL write the exported logs: the slow query and general logs are off by
 * default, and RDS publishes only logs written to files (log_output = FILE). All are dynamic.
 */
export function logParameters(logExports: readonly RdsLogExport[], slowQuerySeconds: number): Array<{ name: string; value: string; applyMethod: string }> {
  const p = (name: string, value: string) => ({ name, value, applyMethod: "immediate" });
  const out = [];
  if (logExports.includes("slowquery")) out.push(p("slow_query_log", "1"), p("long_query_time", String(slowQuerySeconds)));
  if (logExports.includes("general")) out.push(p("general_log", "1"));
  if (out.length > 0) out.push(p("log_output", "FILE"));
  return out;
}

/** Parameter group family for an engine version: "8.4.3" -> "mysql8.4". */
export function parameterFamily(engineVersion: string): string {
  const major = mysqlMajor(engineVersion);
  if (major === undefined) throw new Error(`RDS offers no MySQL ${engineVersion} (known: ${Object.keys(MYSQL_MAJOR_VERSIONS).join(", ")})`);
  return MYSQL_MAJOR_VERSIONS[major].parameterFamily;
}

export class Database extends pulumi.ComponentResource {
  /** The instance's DNS name (endpoint without the port), resolvable inside the VPC. */
  public readonly address: pulumi.Output<string>;
  /** TCP port MySQL listens on. */
  public readonly port: pulumi.Output<number>;
  /** Name of the database created in the instance. */
  public readonly dbName: pulumi.Output<string>;
  /** Master user name. */
  public readonly username: pulumi.Output<string>;
  /** Master password (secret): the given one or the generated one. */
  public readonly password: pulumi.Output<string>;
  /** The RDS instance identifier, `<project>-<stack>-db`. */
  public readonly identifier: pulumi.Output<string>;
  /** CloudWatch Logs groups of the exported logs. */
  public readonly logGroups: pulumi.Output<string[]>;

  constructor(name: string, args: DatabaseArgs, opts?: pulumi.ComponentResourceOptions) {
    super("berth:database:Database", name, {}, opts);
    const parent = { parent: this };

    const password =
      args.password !== undefined
        ? pulumi.secret(args.password)
        : new random.RandomPassword(
            `${name}-password`,
            {
              length: 32,
              special: true,
              overrideSpecial: "!#$%^&*()-_=+[]{}<>?",
              minLower: 2,
              minUpper: 2,
              minNumeric: 2,
              minSpecial: 1,
            },
            parent,
          ).result;

    const subnetGroup = new aws.rds.SubnetGroup(
      `${name}-subnets`,
      {
        name: physical(args.naming, "db-subnets"),
        description: "Berth database: the two private database subnets",
        subnetIds: args.subnetIds,
        tags: nameTag(physical(args.naming, "db-subnets")),
      },
      parent,
    );

    const utf8mb4 = ["character_set_server", "character_set_client", "character_set_connection", "character_set_database", "character_set_results"].map(
      (n) => ({ name: n, value: "utf8mb4", applyMethod: "immediate" }),
    );
    const params = new aws.rds.ParameterGroup(
      `${name}-params`,
      {
        // A prefix: a new engine family replaces the group create-before-delete under a new name.
        namePrefix: `${physical(args.naming, "db-params")}-`,
        family: tiedTo(this, () => parameterFamily(args.engineVersion)),
        description: "Berth database: utf8mb4 everywhere",
        parameters: [
          ...utf8mb4,
          { name: "collation_server", value: "utf8mb4_0900_ai_ci", applyMethod: "immediate" },
          { name: "collation_connection", value: "utf8mb4_0900_ai_ci", applyMethod: "immediate" },
          ...logParameters(args.logExports, args.slowQuerySeconds),
        ],
        tags: nameTag(physical(args.naming, "db-params")),
      },
      parent,
    );

    const identifier = physical(args.naming, "db", NAME_LIMITS.rdsIdentifier);
    const logGroups = args.logExports.map(
      (log) =>
        new aws.cloudwatch.LogGroup(
          `${name}-log-${log}`,
          {
            name: rdsLogGroupName(identifier, log),
            retentionInDays: args.logRetentionDays,
            tags: nameTag(physical(args.naming, `db-log-${log}`)),
          },
          parent,
        ),
    );
    const db = new aws.rds.Instance(
      `${name}-instance`,
      {
        identifier,
        engine: "mysql",
        engineVersion: args.engineVersion,
        // Explicit: RDS's own default enrolls the instance in paid Extended Support.
        engineLifecycleSupport: args.engineLifecycleSupport,
        instanceClass: args.instanceClass,
        allocatedStorage: args.allocatedStorageGiB,
        maxAllocatedStorage: args.maxAllocatedStorageGiB,
        storageType: "gp3",
        storageEncrypted: true,
        dbName: args.dbName,
        username: args.username,
        password,
        port: args.port,
        dbSubnetGroupName: subnetGroup.name,
        parameterGroupName: params.name,
        vpcSecurityGroupIds: [args.securityGroupId],
        publiclyAccessible: false,
        multiAz: args.multiAz,
        backupRetentionPeriod: args.backupRetentionDays,
        backupWindow: args.backupWindow,
        copyTagsToSnapshot: true,
        deletionProtection: args.deletionProtection,
        skipFinalSnapshot: args.skipFinalSnapshot,
        finalSnapshotIdentifier: args.skipFinalSnapshot ? undefined : physical(args.naming, "db-final"),
        autoMinorVersionUpgrade: true,
        allowMajorVersionUpgrade: false,
        applyImmediately: args.applyImmediately,
        // Updated in place (ModifyDBInstance); never a reason to replace the database.
        enabledCloudwatchLogsExports: [...args.logExports],
        tags: nameTag(identifier),
      },
      { parent: this, dependsOn: logGroups },
    );

    this.address = db.address;
    this.port = db.port;
    this.dbName = pulumi.output(args.dbName);
    this.username = pulumi.output(args.username);
    this.password = pulumi.secret(password);
    this.identifier = db.identifier;
    this.logGroups = pulumi.all(logGroups.map((g) => g.name));
    this.registerOutputs({ address: this.address, port: this.port });
  }
}
