// RegistryStorage on its own (public mock API): a private, encrypted, TLS-only bucket (the host role that may use it is HostRole's).
import { beforeEach, describe, expect, it } from "vitest";
import {
  ABORT_INCOMPLETE_UPLOADS_DAYS,
  REGISTRY_S3_BUCKET_ACTIONS,
  REGISTRY_S3_OBJECT_ACTIONS,
  RegistryStorage,
  registryS3Policy,
  type RegistryStorageArgs,
} from "../../components/registryStorage";
import { renderRegistryConfig } from "../../components/render/registry";
import { mockComponents, valueOf, type ComponentMocks } from "../helpers/componentMocks";

// RegistryStorageArgs has one member, and it is required: minimal and full args are the same.
const args: RegistryStorageArgs = { naming: { project: "berth", stack: "test" } };
const BUCKET = "berth-test-registry-0001";
const ARN = `arn:aws:s3:::${BUCKET}`;

interface Policy {
  Statement: Array<Record<string, unknown>>;
}

let m: ComponentMocks;
beforeEach(async () => {
  m = await mockComponents();
});

describe("RegistryStorage, minimal (= full) args", () => {
  it("creates the bucket with its guards, and no role (HostRole attaches registryS3Policy)", async () => {
    const s = new RegistryStorage("rs", args, m.opts);
    const [bucketName, bucketArn] = await Promise.all([valueOf(s.bucketName), valueOf(s.bucketArn)]);
    await m.settle();

    expect(m.one("aws:s3/bucket:Bucket").inputs).toMatchObject({
      bucketPrefix: "berth-test-registry-",
      forceDestroy: false,
      tags: { Name: "berth-test-registry" },
    });
    expect(m.one("aws:s3/bucketOwnershipControls:BucketOwnershipControls").inputs).toEqual({
      bucket: BUCKET,
      rule: { objectOwnership: "BucketOwnerEnforced" },
    });
    expect(m.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").inputs).toEqual({
      bucket: BUCKET,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    expect(m.one("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration").inputs.rules).toEqual([
      { applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } },
    ]);
    expect(m.one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").inputs.rules).toEqual([
      {
        id: "abort-incomplete-multipart-uploads",
        status: "Enabled",
        filter: {},
        abortIncompleteMultipartUpload: { daysAfterInitiation: ABORT_INCOMPLETE_UPLOADS_DAYS },
      },
    ]);
    const tlsOnly = JSON.parse(m.one("aws:s3/bucketPolicy:BucketPolicy").inputs.policy as string) as Policy;
    expect(tlsOnly.Statement).toEqual([
      {
        Sid: "DenyPlainHttp",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:*",
        Resource: [ARN, `${ARN}/*`],
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      },
    ]);

    expect((JSON.parse(registryS3Policy(ARN)) as Policy).Statement).toEqual([
      { Sid: "RegistryBucket", Effect: "Allow", Action: [...REGISTRY_S3_BUCKET_ACTIONS], Resource: ARN },
      { Sid: "RegistryObjects", Effect: "Allow", Action: [...REGISTRY_S3_OBJECT_ACTIONS], Resource: `${ARN}/*` },
    ]);
    expect(m.ofType("aws:iam/role:Role")).toEqual([]);
    // No access key anywhere: the host reads the role's credentials from the metadata service.
    expect(m.ofType("aws:iam/accessKey:AccessKey")).toEqual([]);

    expect([bucketName, bucketArn]).toEqual([BUCKET, ARN]);
    expect(m.resources.filter((r) => r.custom).every((r) => r.parent === "rs")).toBe(true);
  });
});

// RegistryStorage has no guard: its only argument is the naming, validated with the config.

describe("RegistryStorage and the registry's s3 settings", () => {
  it("lets the registry set the object ACL its config sends (a PutObject with an ACL needs s3:PutObjectAcl)", () => {
    const config = renderRegistryConfig({
      listenAddress: ":5000",
      storage: { kind: "s3", bucket: BUCKET, region: "ap-northeast-2" },
      htpasswdPath: "/etc/berth/registry/htpasswd",
    });
    expect(config).toMatch(/^ {4}objectacl: bucket-owner-full-control$/m);
    expect(REGISTRY_S3_OBJECT_ACTIONS).toContain("s3:PutObjectAcl");
  });
});
