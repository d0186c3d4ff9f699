// The exact output strings people paste into a shell (wiring/outputs.ts), from the shipped dev and
// prod configs through the mappers that feed them (wiring/args.ts).
import { describe, expect, it } from "vitest";
import { parseConfig, type Config } from "../../config";
import { toRawConfigInput } from "../../offline/stackFile";
import { configOutputs, registryLoginInput, sshCommandInput } from "../../wiring/args";
import { auditLogGroups, knownHostsLine, registryLoginCommand, registryUrl, sshCommand, sshKeyFile } from "../../wiring/outputs";
import { section, stackWith } from "../helpers/stack";

const config = (stack: string, edits: Record<string, unknown> = {}, secrets: Record<string, string> = {}): Config =>
  parseConfig(toRawConfigInput(stackWith(stack, edits, secrets)));
const dev = config("dev");
const prod = config("prod");
const IP = "203.0.113.10";

describe("outputs", () => {
  it("reads the users from config", () => {
    expect(configOutputs(dev)).toEqual({ hostSshUser: "ubuntu", hostDeployUser: "deploy" });
  });

  it("sshCommand: saves the key from the stack, then logs in; -p only off port 22", () => {
    expect(sshKeyFile({ project: "berth", stack: "dev" })).toBe("berth-dev.pem");
    expect(sshCommand({ ...sshCommandInput(dev), ip: IP })).toBe(
      "pulumi stack output hostSshPrivateKey --show-secrets -s dev > berth-dev.pem && chmod 600 berth-dev.pem && ssh -i berth-dev.pem ubuntu@203.0.113.10",
    );
    const custom = config("prod", { firewall: { ...section("prod", "firewall"), sshPort: 2222 }, host: { sshUser: "admin" } });
    expect(sshCommand({ ...sshCommandInput(custom), ip: IP })).toBe(
      "pulumi stack output hostSshPrivateKey --show-secrets -s prod > berth-prod.pem && chmod 600 berth-prod.pem && ssh -i berth-prod.pem -p 2222 admin@203.0.113.10",
    ); // Every word goes through the one shell quoting rule, so a key file with a space stays one word.
    expect(sshCommand({ stack: "dev", keyFile: "my key.pem", port: 22, user: "ubuntu", ip: IP })).toBe(
      "pulumi stack output hostSshPrivateKey --show-secrets -s dev > 'my key.pem' && chmod 600 'my key.pem' && ssh -i 'my key.pem' ubuntu@203.0.113.10",
    );
  });

  it("knownHostsLine: the address ssh looks up (bracketed with the port off 22) and the key without a comment", () => {
    const hostKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIhost\n";
    expect(knownHostsLine({ ip: IP, port: 22, hostKey })).toBe("203.0.113.10 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIhost");
    expect(knownHostsLine({ ip: IP, port: 2222, hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIhost root@ip-10-0-0-5" })).toBe(
      "[203.0.113.10]:2222 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIhost",
    );
  });

  it("registryLoginCommand and registryUrl: direct (ip:port) and proxy (hostname)", () => {
    expect(registryLoginCommand({ ...registryLoginInput(dev), host: `${IP}:5000`, username: "ci" })).toBe(
      "pulumi stack output registryPassword --show-secrets -s dev | docker login 203.0.113.10:5000 -u ci --password-stdin",
    );
    expect(registryLoginCommand({ ...registryLoginInput(prod), host: "docker.example.com", username: "ci" })).toBe(
      "pulumi stack output registryPassword --show-secrets -s prod | docker login docker.example.com -u ci --password-stdin",
    );
    expect(registryUrl("docker.example.com")).toBe("https://docker.example.com");
    expect(registryUrl(`${IP}:5000`)).toBe("https://203.0.113.10:5000");
    expect(registryUrl("")).toBe("https://");
  });

  it("auditLogGroups: the flow logs' group when there is one, then the database's", () => {
    expect(auditLogGroups("/berth/prod/flow-logs", ["/aws/rds/instance/x/error", "/aws/rds/instance/x/slowquery"])).toEqual([
      "/berth/prod/flow-logs",
      "/aws/rds/instance/x/error",
      "/aws/rds/instance/x/slowquery",
    ]);
    expect(auditLogGroups("", ["/aws/rds/instance/x/error"])).toEqual(["/aws/rds/instance/x/error"]);
    expect(auditLogGroups(undefined, [])).toEqual([]);
  });
});
