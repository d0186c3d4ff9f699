// RegistryStorage: the registry's image data in S3, so it outlives the host (storage: s3). A private
// bucket of the stack (ACLs off, public access blocked, encrypted at rest, TLS only, abandoned
// multipart uploads aborted), and the policy the host's role gets for it (registryS3Policy): exactly
// what the registry's s3 driver documents, on this bucket only. The role and the instance profile
// are HostRole's (components/hostRole.ts), which carries over the ones this component made before.
// Nothing here depends on the EC2 instance, so replacing the host never touches the bucket.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { physical, registryBucketPrefix, type Naming } from "../lib/naming";
import { nameTag } from "../lib/tags";

/**
 * The IAM actions the distribution registry's s3 driver needs for push, pull and delete, split by
 * the resource they apply to. Source: distribution docs, storage-drivers/s3.md, "S3 permission scopes";
 * plus s3:PutObjectAcl, because Berth sets `objectacl: bucket-owner-full-control`, so every PutObject
 * the driver sends carries an x-amz-acl header, and the S3 API reference (PutObject, Permissions) says
 * setting the object's ACL with a PutObject request needs s3:PutObjectAcl. It grants nothing more
 * here: the bucket has ACLs disabled (bucket owner enforced), where S3 accepts only that one ACL.
 */
export const REGISTRY_S3_BUCKET_ACTIONS = ["s3:ListBucket", "s3:GetBucketLocation", "s3:ListBucketMultipartUploads"] as const;
export const REGISTRY_S3_OBJECT_ACTIONS = [
  "s3:PutObject",
  "s3:PutObjectAcl",
  "s3:GetObject",
  "s3:DeleteObject",
  "s3:ListMultipartUploadParts",
  "s3:AbortMultipartUpload",
] as const;

/** Days after which S3 aborts a multipart upload that never completed (the registry purges its own uploads after 7 days too). */
export const ABORT_INCOMPLETE_UPLOADS_DAYS = 7;

/** The host role's registry-bucket policy (pure, so tests read it as the provider will; HostRole attaches it). */
export function registryS3Policy(bucketArn: string): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      { Sid: "RegistryBucket", Effect: "Allow", Action: [...REGISTRY_S3_BUCKET_ACTIONS], Resource: bucketArn },
      { Sid: "RegistryObjects", Effect: "Allow", Action: [...REGISTRY_S3_OBJECT_ACTIONS], Resource: `${bucketArn}/*` },
    ],
  });
}

/** The bucket policy: every request must use TLS (the driver does; anything else is refused). */
export function tlsOnlyBucketPolicy(bucketArn: string): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "DenyPlainHttp",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:*",
        Resource: [bucketArn, `${bucketArn}/*`],
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      },
    ],
  });
}

export interface RegistryStorageArgs {
  /** Project and stack: the bucket's name prefix and the Name tags. */
  readonly naming: Naming;
}

export class RegistryStorage extends pulumi.ComponentResource {
  /** The bucket's name (S3 appends a unique suffix to `<project>-<stack>-registry-`). */
  public readonly bucketName: pulumi.Output<string>;
  /** The bucket's ARN (arn:aws:s3:::name). */
  public readonly bucketArn: pulumi.Output<string>;
  /** Its logical name: the host role, policy and profile it made before HostRole existed were `<name>-host-*`. */
  public readonly logicalName: string;

  constructor(name: string, args: RegistryStorageArgs, opts?: pulumi.ComponentResourceOptions) {
    super("berth:registry:RegistryStorage", name, {}, opts);
    this.logicalName = name;
    const parent = { parent: this };
    const physicalName = physical(args.naming, "registry");

    const bucket = new aws.s3.Bucket(
      `${name}-bucket`,
      {
        bucketPrefix: registryBucketPrefix(args.naming),
        // A bucket holding images is never emptied by a `pulumi destroy`: S3 then refuses to delete it.
        forceDestroy: false,
        tags: nameTag(physicalName),
      },
      parent,
    );
    const bucketRef = { bucket: bucket.id };
    // ACLs off: the bucket owner owns every object, and only IAM decides who reads it.
    const ownership = new aws.s3.BucketOwnershipControls(`${name}-ownership`, { ...bucketRef, rule: { objectOwnership: "BucketOwnerEnforced" } }, parent);
    const publicAccess = new aws.s3.BucketPublicAccessBlock(
      `${name}-public-access`,
      {
        ...bucketRef,
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      },
      parent,
    );
    // SSE-S3 (AWS-managed keys): the role then needs no KMS permission (see the README's security section).
    new aws.s3.BucketServerSideEncryptionConfiguration(
      `${name}-encryption`,
      {
        ...bucketRef,
        rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }],
      },
      parent,
    );
    new aws.s3.BucketLifecycleConfiguration(
      `${name}-lifecycle`,
      {
        ...bucketRef,
        rules: [
          {
            id: "abort-incomplete-multipart-uploads",
            status: "Enabled",
            // An empty filter: the rule covers the whole bucket.
            filter: {},
            abortIncompleteMultipartUpload: { daysAfterInitiation: ABORT_INCOMPLETE_UPLOADS_DAYS },
          },
        ],
      },
      parent,
    );
    // After the public access block, so S3 checks the policy against it (a Deny is never "public" anyway).
    new aws.s3.BucketPolicy(
      `${name}-tls-only`,
      {
        ...bucketRef,
        policy: bucket.arn.apply(tlsOnlyBucketPolicy),
      },
      { parent: this, dependsOn: [publicAccess, ownership] },
    );

    this.bucketName = bucket.bucket;
    this.bucketArn = bucket.arn;
    this.registerOutputs({ bucketName: this.bucketName, bucketArn: this.bucketArn });
  }
}
