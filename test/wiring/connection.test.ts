// The SSH connection every host-layer command dials (wiring/connection.ts): how long it keeps trying a
// booting host, and that it accepts only the host key it is given.
import { describe, expect, it } from "vitest";
import { hostConnection, SSH_DIAL_POLICY } from "../../wiring/connection";

const IP = "203.0.113.10";

describe("the SSH connection", () => {
  it("keeps dialling a booting host (30 tries of 15 s) and accepts only the host key it is given", () => {
    expect(SSH_DIAL_POLICY).toEqual({ dialErrorLimit: 30, perDialTimeout: 15 });
    expect(hostConnection({ ip: IP, user: "ubuntu", port: 22, privateKey: "KEY", hostKey: "ssh-ed25519 AAAA host" })).toEqual({
      host: IP,
      user: "ubuntu",
      port: 22,
      privateKey: "KEY",
      hostKey: "ssh-ed25519 AAAA host",
      dialErrorLimit: 30,
      perDialTimeout: 15,
    });
  });
});
