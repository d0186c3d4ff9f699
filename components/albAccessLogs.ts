// AlbAccessLogs: the private bucket the stack's load balancer writes its access logs to
// (berth:cluster.accessLogs). Like the registry's bucket: ACLs off, public access blocked, TLS only,
// SSE-S3 (the only encryption ELB log delivery supports), and a lifecycle that expires logs after
// berth:cluster.accessLogRetentionDays. ELB writes as the region's Elastic Load Balancing account
// (`aws.elb.getServiceAccount`), under `alb/AWSLogs/` only.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { physical, type Naming } from "../lib/naming";
import { nameTag } from "../lib/tags";
import { tlsOnlyBucketPolicy } from "./registryStorage";

/** The prefix ELB writes under (`<prefix>/AWSLogs/<account>/elasticloadbalancing/...`). */
export const ALB_LOG_PREFIX = "alb";

export interface AlbAccessLogsArgs {
  /** Days S3 keeps a log object. */
  readonly retentionDays: number;
  /** Project and stack: the bucket's name prefix and Name tag. */
  readonly naming: Naming;
}

/** The bucket policy: ELB's account may put objects under the log prefix; nothing over plain HTTP. */
export function albLogBucketPolicy(bucketArn: string, elbAccountArn: string): string {
  const tls = JSON.parse(tlsOnlyBucketPolicy(bucketArn)) as { Statement: unknown[] };
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "ElbLogDelivery",
        Effect: "Allow",
        Principal: { AWS: elbAccountArn },
        Action: "s3:PutObject",
        Resource: `${bucketArn}/${ALB_LOG_PREFIX}/AWSLogs/*`,
      },
      ...tls.Statement,
    ],
  });
}

export class AlbAccessLogs extends pulumi.ComponentResource {
  /** The bucket's name, for the load balancer's `accessLogs`. */
  public readonly bucketName: pulumi.Output<string>;
  /** The bucket policy: the load balancer waits for it (ELB checks it can write when logging is switched on). */
  public readonly policy: aws.s3.BucketPolicy;

  constructor(name: string, args: AlbAccessLogsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("berth:cluster:AlbAccessLogs", name, {}, opts);
    const parent = { parent: this };
    const bucket = new aws.s3.Bucket(
      `${name}-bucket`,
      { bucketPrefix: `${physical(args.naming, "alb-logs")}-`, forceDestroy: false, tags: nameTag(physical(args.naming, "alb-logs")) },
      parent,
    );
    const bucketRef = { bucket: bucket.id };
    const ownership = new aws.s3.BucketOwnershipControls(`${name}-ownership`, { ...bucketRef, rule: { objectOwnership: "BucketOwnerEnforced" } }, parent);
    const publicAccess = new aws.s3.BucketPublicAccessBlock(
      `${name}-public-access`,
      { ...bucketRef, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
      parent,
    );
    new aws.s3.BucketServerSideEncryptionConfiguration(
      `${name}-encryption`,
      { ...bucketRef, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }] },
      parent,
    );
    new aws.s3.BucketLifecycleConfiguration(
      `${name}-lifecycle`,
      {
        ...bucketRef,
        rules: [
          { id: "expire-logs", status: "Enabled", filter: {}, expiration: { days: args.retentionDays } },
          { id: "abort-incomplete-multipart-uploads", status: "Enabled", filter: {}, abortIncompleteMultipartUpload: { daysAfterInitiation: 1 } },
        ],
      },
      parent,
    );
    const elb = aws.elb.getServiceAccountOutput({}, parent);
    this.policy = new aws.s3.BucketPolicy(
      `${name}-policy`,
      { ...bucketRef, policy: pulumi.all([bucket.arn, elb.arn]).apply(([arn, elbArn]) => albLogBucketPolicy(arn, elbArn)) },
      { parent: this, dependsOn: [publicAccess, ownership] },
    );
    this.bucketName = bucket.bucket;
    this.registerOutputs({ bucketName: this.bucketName });
  }
}
