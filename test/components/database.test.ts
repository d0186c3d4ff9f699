// Database on its own (public mock API): RDS MySQL with utf8mb4, a generated or given password, and log exports only when asked.
import { beforeEach, describe, expect, it } from "vitest";
import { Database, type DatabaseArgs } from "../../components/database";
import { failure, isSecret, secretOf, mockComponents, valueOf, type ComponentMocks } from "../helpers/componentMocks";

const naming = { project: "berth", stack: "test" };
const minimal: DatabaseArgs = {
  subnetIds: ["subnet-a", "subnet-b"],
  securityGroupId: "sg-db",
  engineVersion: "8.4",
  engineLifecycleSupport: "open-source-rds-extended-support-disabled",
  instanceClass: "db.t3.micro",
  allocatedStorageGiB: 20,
  dbName: "app",
  username: "admin",
  port: 3306,
  backupRetentionDays: 7,
  deletionProtection: true,
  skipFinalSnapshot: false,
  multiAz: false,
  applyImmediately: false,
  logExports: [],
  logRetentionDays: 30,
  slowQuerySeconds: 2,
  naming,
};
const full: DatabaseArgs = {
  ...minimal,
  engineVersion: "8.0.39",
  instanceClass: "db.m7g.large",
  maxAllocatedStorageGiB: 100,
  password: "given-password",
  port: 3307,
  backupWindow: "03:00-04:00",
  deletionProtection: false,
  skipFinalSnapshot: true,
  multiAz: true,
  applyImmediately: true,
  logExports: ["error", "slowquery"],
  logRetentionDays: 14,
  slowQuerySeconds: 5,
};

const INSTANCE = "aws:rds/instance:Instance";
const PARAMS = "aws:rds/parameterGroup:ParameterGroup";
const LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup";

let m: ComponentMocks;
beforeEach(async () => {
  m = await mockComponents();
});

describe("Database, minimal args", () => {
  it("creates a private, encrypted MySQL instance with a generated password and no log exports", async () => {
    const db = new Database("db", minimal, m.opts);
    const [address, port, dbName, username, password, identifier, logGroups] = await Promise.all([
      valueOf(db.address),
      valueOf(db.port),
      valueOf(db.dbName),
      valueOf(db.username),
      valueOf(db.password),
      valueOf(db.identifier),
      valueOf(db.logGroups),
    ]);
    await m.settle();

    expect(m.one("random:index/randomPassword:RandomPassword").inputs).toMatchObject({
      length: 32,
      special: true,
      minLower: 2,
      minUpper: 2,
      minNumeric: 2,
      minSpecial: 1,
    });
    expect(m.one("aws:rds/subnetGroup:SubnetGroup").inputs).toMatchObject({ name: "berth-test-db-subnets", subnetIds: ["subnet-a", "subnet-b"] });
    const params = m.one(PARAMS).inputs;
    expect(params).toMatchObject({ namePrefix: "berth-test-db-params-", family: "mysql8.4" });
    // utf8mb4 only: no log parameter without log exports.
    expect((params.parameters as Array<{ name: string }>).map((p) => p.name)).toEqual([
      "character_set_server",
      "character_set_client",
      "character_set_connection",
      "character_set_database",
      "character_set_results",
      "collation_server",
      "collation_connection",
    ]);
    const i = m.one(INSTANCE).inputs;
    expect(i).toMatchObject({
      identifier: "berth-test-db",
      engine: "mysql",
      engineVersion: "8.4",
      engineLifecycleSupport: "open-source-rds-extended-support-disabled",
      instanceClass: "db.t3.micro",
      allocatedStorage: 20,
      storageType: "gp3",
      storageEncrypted: true,
      dbName: "app",
      username: "admin",
      password: secretOf("generated-db-password"),
      port: 3306,
      dbSubnetGroupName: "berth-test-db-subnets",
      parameterGroupName: "berth-test-db-params-0001",
      vpcSecurityGroupIds: ["sg-db"],
      publiclyAccessible: false,
      multiAz: false,
      backupRetentionPeriod: 7,
      deletionProtection: true,
      skipFinalSnapshot: false,
      finalSnapshotIdentifier: "berth-test-db-final",
      applyImmediately: false,
      enabledCloudwatchLogsExports: [],
    });
    expect(i.maxAllocatedStorage).toBeUndefined();
    expect(i.backupWindow).toBeUndefined();
    expect(m.ofType(LOG_GROUP)).toEqual([]);

    expect(address).toBe("berth-test-db.abcdefghijkl.us-east-1.rds.amazonaws.com");
    expect([port, dbName, username, password, identifier, logGroups]).toEqual([3306, "app", "admin", "generated-db-password", "berth-test-db", []]);
    expect(await isSecret(db.password)).toBe(true);
  });
});

describe("Database, full args", () => {
  it("uses the given password and settings, and creates a log group per exported log", async () => {
    const db = new Database("db", full, m.opts);
    const [password, logGroups] = await Promise.all([valueOf(db.password), valueOf(db.logGroups)]);
    await m.settle();

    expect(m.ofType("random:index/randomPassword:RandomPassword")).toEqual([]);
    expect(password).toBe("given-password");
    expect(await isSecret(db.password)).toBe(true);
    // The given password reaches the instance as a secret.
    expect(m.one(INSTANCE).inputs.password).toEqual(secretOf("given-password"));

    const params = m.one(PARAMS).inputs;
    expect(params.family).toBe("mysql8.0");
    expect((params.parameters as Array<{ name: string; value: string }>).slice(7)).toEqual([
      { name: "slow_query_log", value: "1", applyMethod: "immediate" },
      { name: "long_query_time", value: "5", applyMethod: "immediate" },
      { name: "log_output", value: "FILE", applyMethod: "immediate" },
    ]);
    expect(m.ofType(LOG_GROUP).map((g) => [g.name, g.inputs.name, g.inputs.retentionInDays])).toEqual([
      ["db-log-error", "/aws/rds/instance/berth-test-db/error", 14],
      ["db-log-slowquery", "/aws/rds/instance/berth-test-db/slowquery", 14],
    ]);
    expect(logGroups).toEqual(["/aws/rds/instance/berth-test-db/error", "/aws/rds/instance/berth-test-db/slowquery"]);

    const i = m.one(INSTANCE).inputs;
    expect(i).toMatchObject({
      engineVersion: "8.0.39",
      instanceClass: "db.m7g.large",
      maxAllocatedStorage: 100,
      port: 3307,
      backupWindow: "03:00-04:00",
      multiAz: true,
      deletionProtection: false,
      skipFinalSnapshot: true,
      applyImmediately: true,
      enabledCloudwatchLogsExports: ["error", "slowquery"],
    });
    // No final snapshot is asked for when it is skipped.
    expect(i.finalSnapshotIdentifier).toBeUndefined();
  });
});

describe("Database guards", () => {
  it("refuses an engine version RDS does not offer", async () => {
    const err = await failure(() => new Database("db", { ...minimal, engineVersion: "5.6" }, m.opts));
    expect(err.message).toMatch(/^RDS offers no MySQL 5\.6 \(known: /);
  });
});
