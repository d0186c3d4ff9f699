// Private subnets for apps on ECS Fargate (`berth:cluster.taskSubnets: private`): what tasks in
// subnets without any internet route need in order to start and run, the S3 gateway endpoint's
// policy, and where the subnets go when config names no blocks. Pure: no Pulumi, no I/O.
//
// What a Fargate task (platform 1.4.0 and later) reaches from its own network interface, and so
// through the VPC when there is no internet route (Amazon ECS Developer Guide, "Amazon ECS interface
// VPC endpoints"; Amazon ECR User Guide, "Amazon ECR interface VPC endpoints"):
//   ecr.api    the registry's API: the authorization token and the image manifest
//   ecr.dkr    the Docker registry endpoint the image is pulled from
//   S3         the image layers live in ECR's S3 bucket: a gateway endpoint, free, on the route table
//   logs       the awslogs driver writes the container's output to CloudWatch Logs
//   ssm        the secrets and database values are SSM SecureString parameters read by ARN
// Not needed: `ecs`, `ecs-agent` and `ecs-telemetry` (Fargate tasks "don't require the interface VPC
// endpoints for Amazon ECS"), `secretsmanager` (Berth keeps no value in Secrets Manager), and `kms`:
// the task never calls KMS itself. Parameter Store decrypts a SecureString on the caller's behalf
// (that is what the kms:ViaService condition key names), and ECR's KMS-encrypted layers are read
// from S3 with server-side decryption; the execution role's kms:Decrypt grant is all either needs.
import { blockSize, formatCidr, overlaps, parseCidr, subnet } from "./cidr";

/** The interface endpoints of the task subnets, by the service's short name, each with the reason it is there. */
export const TASK_INTERFACE_ENDPOINTS: ReadonlyArray<{ readonly service: string; readonly why: string }> = [
  { service: "ecr.api", why: "ECR's API: the authorization token and image manifests" },
  { service: "ecr.dkr", why: "ECR's registry endpoint images are pulled from" },
  { service: "logs", why: "CloudWatch Logs for the awslogs driver" },
  { service: "ssm", why: "SSM Parameter Store: the tasks' secrets and database values" },
];

/** Addresses AWS keeps in every subnet (network, router, DNS, future use, broadcast). Source: Amazon VPC User Guide, "Subnet CIDR blocks". */
export const SUBNET_RESERVED_ADDRESSES = 5;

/** Usable addresses of a subnet with this prefix. */
export function subnetAddresses(prefix: number): number {
  return blockSize(prefix) - SUBNET_RESERVED_ADDRESSES;
}

/** The AWS partition a region belongs to: `aws-cn` for China, `aws-us-gov` for GovCloud, else `aws`. */
export function partitionOf(region: string): string {
  if (region.startsWith("cn-")) return "aws-cn";
  if (region.startsWith("us-gov-")) return "aws-us-gov";
  return "aws";
}

/**
 * ECR's bucket of image layers in a region, `prod-<region>-starport-layer-bucket`. Source: Amazon ECR
 * User Guide, "Minimum Amazon S3 bucket permissions for Amazon ECR".
 */
export function ecrLayerBucketArn(region: string): string {
  return `arn:${partitionOf(region)}:s3:::prod-${region}-starport-layer-bucket`;
}

/**
 * The S3 gateway endpoint's policy: reading objects of ECR's layer bucket, nothing else. The tasks
 * have no other way out, so nothing can copy data to any other bucket through these subnets; an app
 * that needs S3 of its own needs this policy widened.
 */
export function s3GatewayPolicy(region: string): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "EcrImageLayers",
        Effect: "Allow",
        Principal: "*",
        Action: "s3:GetObject",
        Resource: `${ecrLayerBucketArn(region)}/*`,
      },
    ],
  });
}

/**
 * The task subnets when config names none: the first two /(vpc+4) blocks of the VPC that overlap
 * none of `taken` (the public and database subnets), so the default never collides with custom
 * blocks; undefined when the VPC has fewer than two such blocks left.
 */
export function defaultTaskSubnetCidrs(vpcCidr: string, taken: readonly string[]): [string, string] | undefined {
  const vpc = parseCidr(vpcCidr);
  if (!vpc) return undefined;
  const prefix = Math.min(vpc.prefix + 4, 28);
  const used = taken.map(parseCidr).filter((c) => c !== undefined);
  const free: string[] = [];
  const count = 2 ** (prefix - vpc.prefix);
  for (let i = 0; i < count && free.length < 2; i++) {
    const block = subnet(vpc, prefix, i);
    if (!used.some((u) => overlaps(u, block))) free.push(formatCidr(block));
  }
  return free.length === 2 ? [free[0], free[1]] : undefined;
}

/**
 * Addresses one task subnet needs at most: every ECS part at its largest count during a deploy
 * (ECS starts up to 200 %, each task one network interface), spread over two subnets, plus one
 * interface per endpoint.
 */
export function taskSubnetDemand(maxCounts: readonly number[], deploymentMaximumPercent = 200): number {
  const tasks = maxCounts.reduce((sum, n) => sum + Math.ceil((n * deploymentMaximumPercent) / 100), 0);
  return Math.ceil(tasks / 2) + TASK_INTERFACE_ENDPOINTS.length;
}
