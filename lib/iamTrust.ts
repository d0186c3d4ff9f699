// Trust policies of the roles AWS services assume for the stack (VPC Flow Logs, Data Lifecycle
// Manager, EventBridge Scheduler): one statement letting the service assume the role, with the
// conditions that keep another account's resources from using it (the confused-deputy guard).
// Pure: the policy's JSON text.

/** IAM condition operators and their keys, e.g. { StringEquals: { "aws:SourceAccount": "123..." } }. */
export type IamCondition = Readonly<Record<string, Readonly<Record<string, string>>>>;

/** The trust policy letting `service` (e.g. "scheduler.amazonaws.com") assume a role, under `condition`. */
export function serviceTrustPolicy(service: string, condition: IamCondition): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole", Condition: condition }],
  });
}
