// The policy pack `pulumi preview --policy-pack policy` loads (run `npm ci` in this folder
// first). It only assembles the policies: they live in ./policies.ts so the unit tests can run
// them without this constructor, which starts a gRPC server and reads ./package.json.
import { PolicyPack } from "@pulumi/policy";
import { policies } from "./policies";

new PolicyPack("berth", {
  description:
    "Berth's guardrails: admin ports and the database never open to the world, VPC endpoints for the ECS tasks only, encryption, IMDSv2, backups and deletion protection in prod, prod's data volume snapshotted, no public registry port, no proxied registry name, no plaintext secrets, a retention on every log group, logs and ECS jobs' roles scoped to the stack's own resources.",
  enforcementLevel: "mandatory",
  policies: [...policies],
});
