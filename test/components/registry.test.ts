// Registry on its own (public mock API): its files in two deliveries (public config, secret
// htpasswd), the registry image and its container on the host's Docker, restarted by a digest of
// the files it reads; and registryCredentials: the password generated or given, and its stable
// htpasswd line.
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import * as bcrypt from "bcryptjs";
import { beforeEach, describe, expect, it } from "vitest";
import { Registry, registryCredentials, type RegistryArgs } from "../../components/registry";
import { filesDigest, renderBundle } from "../../components/render/bundle";
import { makeDirectory } from "../../components/render/hostCommands";
import type { RegistryContainerSpec } from "../../components/render/hostFiles";
import { htpasswdEntry } from "../../components/render/htpasswd";
import type { HostFile } from "../../components/render/paths";
import { FAKE_TARGET, failure, isSecret, mockComponents, secretOf, valueOf, type ComponentMocks } from "../helpers/componentMocks";

const target = FAKE_TARGET;
const configFile: HostFile = {
  path: "/etc/berth/registry/config.yml",
  content: "version: 0.1\nhttp:\n  addr: 127.0.0.1:5000\n",
  mode: 0o644,
  usedBy: ["registry"],
};
const htpasswd: HostFile = {
  path: "/etc/berth/registry/htpasswd",
  content: "ci:$2y$10$abcdefghijklmnopqrstuv\n",
  mode: 0o640,
  secret: true,
  usedBy: ["registry"],
};
const tlsCert: HostFile = { path: "/etc/berth/tls/server.crt", content: "-----BEGIN CERTIFICATE-----\nx\n", mode: 0o644, usedBy: ["nginx", "registry"] };
const CONFIG_MOUNT = { hostPath: "/etc/berth/registry", containerPath: "/etc/berth/registry", readOnly: true };
const DATA_DIR = "/var/lib/berth/registry";
const HTTP_SECRET = "http-secret-0123456789";

// The host network and no data directory (storage s3, behind nginx).
const s3Container: RegistryContainerSpec = {
  image: "registry:3.0.0",
  command: ["/etc/berth/registry/config.yml"],
  mounts: [CONFIG_MOUNT],
  network: "host",
  publishIp: "127.0.0.1",
  port: 5000,
};
// Docker's bridge, published on every address, images and TLS from host directories (storage filesystem, direct).
const directContainer: RegistryContainerSpec = {
  ...s3Container,
  mounts: [
    CONFIG_MOUNT,
    { hostPath: DATA_DIR, containerPath: DATA_DIR, readOnly: false },
    { hostPath: "/etc/berth/tls", containerPath: "/etc/berth/tls", readOnly: true },
  ],
  network: "bridge",
  publishIp: "0.0.0.0",
};

const REMOTE_FILES = "berth:host:RemoteFiles";
const COMMAND = "command:remote:Command";
const IMAGE = "docker:index/remoteImage:RemoteImage";
const CONTAINER = "docker:index/container:Container";
const PASSWORD = "random:index/randomPassword:RandomPassword";
const SALT_KEY = "salt-key-of-at-least-16-chars";

let m: ComponentMocks;
let provider: docker.Provider;
beforeEach(async () => {
  m = await mockComponents();
  provider = new docker.Provider("docker", { host: "tcp://203.0.113.10:2376" }, m.opts);
});

// readsFiles and dataDir are the optional members: minimal sets neither and depends on nothing.
const minimal = (): RegistryArgs => ({
  target,
  dockerProvider: provider,
  container: s3Container,
  configFiles: [configFile],
  secretFiles: [htpasswd],
  httpSecret: pulumi.secret(HTTP_SECRET),
  dependsOn: [],
});

describe("Registry, minimal args", () => {
  it("delivers config and htpasswd apart, then runs the image on the host network with the files' digest", async () => {
    const reg = new Registry("reg", minimal(), m.opts);
    const id = await valueOf(reg.containerId);
    await m.settle();

    expect(m.ofType(REMOTE_FILES).map((r) => [r.name, r.parent, r.dependsOn])).toEqual([
      ["reg-config", "reg", []],
      ["reg-secrets", "reg", []],
    ]);
    // The configuration travels in the clear (a preview shows its diff), the htpasswd as a secret.
    expect(m.one(COMMAND, "reg-config-apply").inputs.stdin).toBe(renderBundle([configFile], { mode: "install", label: "reg-config" }));
    expect(m.one(COMMAND, "reg-secrets-apply").inputs.stdin).toEqual(secretOf(renderBundle([htpasswd], { mode: "install", label: "reg-secrets" })));

    const image = m.one(IMAGE, "reg-image");
    expect(image.inputs).toEqual({ name: "registry:3.0.0", keepLocally: true });
    expect([image.parent, image.provider]).toEqual(["reg", "docker"]);

    const c = m.one(CONTAINER, "reg-container");
    expect(c.inputs).toEqual({
      name: "berth-registry",
      image: "sha256:fake-registry:3.0.0",
      restart: "always",
      command: ["/etc/berth/registry/config.yml"],
      networkMode: "host",
      volumes: [CONFIG_MOUNT],
      envs: c.inputs.envs,
      logDriver: "json-file",
      logOpts: { "max-size": "10m", "max-file": "3" },
    });
    // The upload secret is an environment variable, and a secret; the digest restarts the
    // container when a file changes, the host id when the host is new.
    expect(c.inputs.envs).toEqual(
      secretOf([`BERTH_FILES_SHA256=${filesDigest([configFile, htpasswd])}`, "BERTH_HOST=i-0host", `REGISTRY_HTTP_SECRET=${HTTP_SECRET}`]),
    );
    expect(JSON.stringify(m.one(COMMAND, "reg-config-apply").inputs)).not.toContain(HTTP_SECRET);
    // Both deliveries first; the fixed container name is free again only once the old one is gone.
    expect([c.parent, c.provider, c.dependsOn, c.deleteBeforeReplace]).toEqual(["reg", "docker", ["reg-config-apply", "reg-secrets-apply"], true]);
    expect(id).toBe("reg-container-id");
    // No data directory for image data kept in S3.
    expect(String(m.one(COMMAND, "reg-config-apply").inputs.stdin)).not.toContain(DATA_DIR);
  });
});

describe("Registry, full args", () => {
  it("publishes the port, makes the data directory first, and restarts for the files it reads elsewhere", async () => {
    const ready = new pulumi.ComponentResource("test:index:Ready", "ready", {}, m.opts);
    new Registry("reg", { ...minimal(), container: directContainer, readsFiles: [tlsCert], dataDir: DATA_DIR, dependsOn: [ready] }, m.opts);
    await m.settle();

    expect(m.ofType(REMOTE_FILES).map((r) => [r.name, r.dependsOn])).toEqual([
      ["reg-config", ["ready"]],
      ["reg-secrets", ["ready"]],
    ]);
    expect(m.one(COMMAND, "reg-config-apply").inputs.stdin).toBe(
      renderBundle([configFile], { mode: "install", after: [makeDirectory("0750", DATA_DIR)], label: "reg-config" }),
    );
    // The file read elsewhere is not delivered here.
    expect(String((m.one(COMMAND, "reg-secrets-apply").inputs.stdin as { value: string }).value)).not.toContain(tlsCert.path);

    const c = m.one(CONTAINER).inputs;
    expect(c.networkMode).toBeUndefined();
    expect(c.ports).toEqual([{ internal: 5000, external: 5000, ip: "0.0.0.0" }]);
    expect(c.volumes).toEqual(directContainer.mounts);
    const digest = filesDigest([configFile, htpasswd, tlsCert]);
    expect(digest).not.toBe(filesDigest([configFile, htpasswd]));
    expect((c.envs as { value: string[] }).value[0]).toBe(`BERTH_FILES_SHA256=${digest}`);
  });

  it("binds the port to loopback behind nginx on Docker's bridge", async () => {
    new Registry("reg", { ...minimal(), container: { ...s3Container, network: "bridge", port: 5050 } }, m.opts);
    await m.settle();
    expect(m.one(CONTAINER).inputs.ports).toEqual([{ internal: 5050, external: 5050, ip: "127.0.0.1" }]);
  });
});

describe("registryCredentials", () => {
  it("generates a password of letters and digits when none is given, with a matching htpasswd line", async () => {
    const owner = new pulumi.ComponentResource("test:index:Owner", "owner", {}, m.opts);
    const creds = registryCredentials("reg", { username: "ci", saltKey: pulumi.secret(SALT_KEY) }, { parent: owner });
    const [password, line] = await Promise.all([valueOf(creds.password), valueOf(creds.htpasswdLine)]);
    await m.settle();

    const generated = m.one(PASSWORD, "reg-password");
    expect(generated.inputs).toEqual({ length: 32, special: false, minLower: 4, minUpper: 4, minNumeric: 4 });
    expect(generated.parent).toBe("owner");
    expect(creds.username).toBe("ci");
    expect(password).toBe("generated-reg-password");
    expect(await isSecret(creds.password)).toBe(true);
    expect(await isSecret(creds.htpasswdLine)).toBe(true);
    expect(line).toBe(htpasswdEntry("ci", password, SALT_KEY));
    expect(line).toMatch(/^ci:\$2y\$10\$[./A-Za-z0-9]{53}$/);
    expect(bcrypt.compareSync(password, line.slice("ci:".length).replace(/^\$2y\$/, "$2b$"))).toBe(true);
  });

  it("takes the given password, makes none, and gives the same line on every run", async () => {
    const given = "Given0Password0Of0Config";
    const first = registryCredentials("reg", { username: "ci", password: given, saltKey: SALT_KEY });
    const second = registryCredentials("reg", { username: "ci", password: pulumi.secret(given), saltKey: SALT_KEY });
    const otherKey = registryCredentials("reg", { username: "ci", password: given, saltKey: `${SALT_KEY}-other` });
    const [password, a, b, c] = await Promise.all([
      valueOf(first.password),
      valueOf(first.htpasswdLine),
      valueOf(second.htpasswdLine),
      valueOf(otherKey.htpasswdLine),
    ]);
    await m.settle();

    expect(m.ofType(PASSWORD)).toEqual([]);
    expect(password).toBe(given);
    // A plain password given is made a secret.
    expect(await isSecret(first.password)).toBe(true);
    expect(a).toBe(b);
    expect(a).not.toBe(c);
    expect(bcrypt.compareSync(given, a.slice("ci:".length).replace(/^\$2y\$/, "$2b$"))).toBe(true);
  });

  it("refuses a user name that cannot be in an htpasswd file, tied to the owner", async () => {
    const owner = new pulumi.ComponentResource("test:index:Owner", "owner", {}, m.opts);
    const err = await failure(() =>
      registryCredentials("reg", { username: "c:i", password: "Given0Password0Of0Config", saltKey: SALT_KEY }, { parent: owner }),
    );
    expect(err.message).toContain('htpasswd user name "c:i" must be non-empty');
    expect(err.resource).toBe(owner);
  });
});

// Registry has no guard of its own: the files' paths are RemoteFiles' (remoteFiles.test.ts), and
// config/ validates the image, port and directories before the component exists.
