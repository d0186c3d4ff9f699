// HostServices: everything Berth runs on the host, delivered after `pulumi up` with no manual
// step. It waits for cloud-init, renders the host files once (render/hostFiles.ts), splits them by
// what serves them (render/bundle.ts groupHostFiles) and hands each group to its own delivery:
// TLS files, the registry (files + container, driven through the Docker API over mutual TLS),
// the deploy tooling (blue/green program, switch, sudo rule, forced-command key, timers), nginx
// (files tested with `nginx -t` before any reload) and, for Let's Encrypt, certbot.
// Because each delivery sees only its own files, changing nginx settings never touches the
// registry, and neither ever touches the EC2 instance or the database.
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import * as tls from "@pulumi/tls";
import { dataVolumeScript } from "./dataVolume";
import { DeployTooling, type AppLogsInput } from "./deployTooling";
import { DockerHost } from "./dockerHost";
import type { Naming } from "../lib/naming";
import { Proxy } from "./proxy";
import { Registry, registryCredentials, type RegistryCredentials } from "./registry";
import { hostCommand, RemoteFiles, type Connection, type HostTarget } from "./remoteFiles";
import { groupHostFiles, renderAcmePreflight, renderBundle, type FileGroups } from "./render/bundle";
import { checkProvisioned, installCertbot, reloadNginxIfActive, runAsRootFromStdin } from "./render/hostCommands";
import { dataVolumeAfter, dataVolumeFiles } from "./render/dataVolume";
import { htpasswdEntry } from "./render/htpasswd";
import type { DeployConfig } from "./render/deploy";
import { hostFiles, nginxDirectories, registryContainerSpec, type HostLayerConfig, type RegistryBucket, type TlsMaterial } from "./render/hostFiles";
import type { HostFile } from "./render/paths";
import { resourceBug, resourceProblem, tiedTo } from "./resourceErrors";
import type { CertbotPlan, CertificateFiles, ServedCertificate } from "./tls";

/** The settings the host layer reads: what the host files and the deploy tooling are rendered from (Config satisfies it: see wiring/args.ts). */
export interface HostServicesSettings extends HostLayerConfig, DeployConfig {
  /** The registry (files, container, the deploy program's pulls and retention). */
  readonly registry: HostLayerConfig["registry"] & DeployConfig["registry"];
  /** nginx, and the apps the deploy program switches. */
  readonly proxy: HostLayerConfig["proxy"];
}

/** The registry's S3 bucket, as HostServices receives it: its name is known once S3 has made it. */
export interface RegistryBucketInput {
  /** Bucket name (RegistryStorage.bucketName). */
  readonly bucket: pulumi.Input<string>;
  /** AWS region of the bucket (the stack's region). */
  readonly region: string;
}

/** Names served through Cloudflare's proxy, and Cloudflare's ranges as read from Cloudflare. */
export interface RealIpInput {
  /** Served names whose DNS record Cloudflare proxies. */
  readonly names: readonly string[];
  /** Cloudflare's IPv4 and IPv6 ranges: only connections from these may set the client address. */
  readonly ranges: pulumi.Input<string[]>;
}

export interface HostServicesArgs {
  /** What runs on the host (berth:registry, berth:proxy, the TLS mode, the deploy user). */
  readonly config: HostServicesSettings;
  /** Project and stack: names the ACME preflight's marker. */
  readonly naming: Naming;
  /** SSH connection to the host as the admin user, with its dial policy (see wiring/connection.ts). */
  readonly connection: pulumi.Input<Connection>;
  /**
   * The EC2 instance id. The Elastic IP (and so every connection) survives a host replacement,
   * so this is what tells each delivery that the host underneath is new and bare.
   */
  readonly hostId: pulumi.Output<string>;
  /** OpenSSH public key of the deploy user: its key runs the deploy program only. */
  readonly deployPublicKey: pulumi.Input<string>;
  /** The host's Elastic IP (Docker API address, registry address in direct mode). */
  readonly publicIp: pulumi.Output<string>;
  /** The host's TLS-protected Docker API port (how the registry container is driven). */
  readonly dockerApiPort: number;
  /** The served certificate: files to put on the host, or certbot's plan (letsencrypt); must agree with `config.tls.mode`. */
  readonly certificate: ServedCertificate;
  /** berth:registryPassword (secret), when set; without it a password is generated (see registryCredentials). */
  readonly registryPassword?: string;
  /** The registry's bucket (storage: s3); required then. */
  readonly registryBucket?: RegistryBucketInput;
  /** Served names behind Cloudflare's proxy and Cloudflare's address ranges; unset = none proxied. */
  readonly realIp?: RealIpInput;
  /** The apps' CloudWatch Logs groups and region; unset = the apps log with Docker's local driver. */
  readonly appLogs?: AppLogsInput;
  /** The data volume (berth:host.dataVolume); unset = none. */
  readonly dataVolume?: DataVolumeInput;
  /** Must exist before certbot asks Let's Encrypt to connect (the DNS records). */
  readonly certbotDependsOn?: pulumi.Input<pulumi.Resource>[];
}

/** The data volume as the host layer sees it. */
export interface DataVolumeInput {
  /** Its id (vol-...). */
  readonly volumeId: pulumi.Output<string>;
  /** Its size as EBS reports it (GiB): a new size re-runs the step, which grows the filesystem. */
  readonly sizeGiB: pulumi.Output<number>;
  /** The attachment to this host: the step waits for it. */
  readonly attachment: pulumi.Resource;
}

/** The basic-auth login of one proxied extra host. */
export interface ExtraHostLogin {
  /** The configured basicAuthUser. */
  readonly username: string;
  /** Generated, 24 letters and digits (secret). */
  readonly password: string;
}

export class HostServices extends pulumi.ComponentResource {
  /** host:port (direct) or hostname (proxy) that `docker login` and image names use; "" when disabled. */
  public readonly registryHost: pulumi.Output<string>;
  /** The registry's login (config); "" when the registry is disabled. */
  public readonly registryUsername: string;
  /** The registry's password (secret): berth:registryPassword or generated; "" when the registry is disabled. */
  public readonly registryPassword: pulumi.Output<string>;
  /** Basic-auth logins of extra hosts, by hostname (secret). */
  public readonly extraHostLogins: pulumi.Output<Record<string, ExtraHostLogin>>;
  /** Where later host steps run (the same SSH connection and instance id). */
  public readonly target: HostTarget;
  /** The check that cloud-init finished: every later host step depends on it. */
  public readonly provisioned: pulumi.Resource;
  /** The step that mounted (and grew) the data volume at /srv/berth; undefined without one. Steps that write there depend on it. */
  public readonly dataVolumeMounted?: pulumi.Resource;

  constructor(name: string, args: HostServicesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("berth:host:HostServices", name, {}, opts);
    const parent = { parent: this };
    const { config } = args;

    const target: HostTarget = { connection: args.connection, hostId: args.hostId };
    // cloud-init installs Docker and nginx; nothing is delivered before it has finished.
    const provisioned = hostCommand(`${name}-provisioned`, target, { create: checkProvisioned() }, parent);
    this.target = target;
    this.provisioned = provisioned;
    this.dataVolumeMounted = args.dataVolume ? this.mountDataVolume(name, target, args.dataVolume, provisioned) : undefined;

    // Keys the bcrypt salts: secret, made once and kept in state, so htpasswd lines are stable.
    const saltKey = new random.RandomPassword(`${name}-htpasswd-salt-key`, { length: 32, special: false }, parent).result;
    const registryCreds = config.registry.enabled
      ? registryCredentials(`${name}-registry`, { username: config.registry.username, password: args.registryPassword, saltKey }, parent)
      : undefined;
    const auth = this.extraHostAuth(name, config, saltKey);
    this.extraHostLogins = auth.logins;

    const files = this.renderFiles(args, this.servedFiles(name, args), registryCreds, auth.htpasswdLines);
    const tlsFiles = new RemoteFiles(
      `${name}-tls`,
      {
        target,
        files: files.apply((g) => g.tls),
        secret: true,
        bundle: {
          mode: "install",
          // A renewed or rotated certificate must be served now, not at the next nginx change.
          after: [reloadNginxIfActive()],
        },
      },
      { parent: this, dependsOn: [provisioned] },
    );
    if (config.registry.enabled) this.deliverRegistry(name, args, files, provisioned, tlsFiles.command);

    // The deploy program and its switch come before nginx: nginx proxies to the live ports, which
    // only the switch's rules connect to a color.
    const deploy = new DeployTooling(
      `${name}-deploy`,
      {
        target,
        config,
        deployPublicKey: args.deployPublicKey,
        registryPassword: registryCreds?.password,
        ...(args.appLogs ? { appLogs: args.appLogs } : {}),
        // The deploy program puts app data under /srv/berth: on the data volume once it is mounted.
        dependsOn: [provisioned, ...(this.dataVolumeMounted ? [this.dataVolumeMounted] : [])],
      },
      parent,
    );
    if (config.proxy.enabled) {
      const proxy = new Proxy(
        `${name}-proxy`,
        {
          target,
          configFiles: this.publicGroup(files, (g) => g.nginx),
          secretFiles: auth.hosts > 0 ? files.apply((g) => g.nginxSecrets) : undefined,
          directories: nginxDirectories(config),
          dependsOn: [provisioned, tlsFiles.command, deploy.applied],
        },
        parent,
      );
      if (args.certificate.kind === "certbot") this.runCertbot(name, args, args.certificate.plan, [proxy.applied, ...(args.certbotDependsOn ?? [])]);
    }

    const reg = config.registry;
    this.registryHost = !reg.enabled
      ? pulumi.output("")
      : reg.expose === "direct"
        ? pulumi.interpolate`${args.publicIp}:${reg.port}`
        : pulumi.output(reg.hostname ?? "");
    this.registryUsername = reg.enabled ? reg.username : "";
    this.registryPassword = registryCreds ? registryCreds.password : pulumi.secret("");
    this.registerOutputs({ registryHost: this.registryHost });
  }

  /**
   * The data volume's step and boot unit, then the step itself: on a new host (its instance id), a
   * new attachment, or a new size (EBS has grown the volume in place: the step grows the filesystem,
   * with no restart).
   */
  private mountDataVolume(name: string, target: HostTarget, volume: DataVolumeInput, provisioned: pulumi.Resource): pulumi.Resource {
    const script = dataVolumeScript();
    const delivery = new RemoteFiles(
      `${name}-data-volume`,
      {
        target,
        files: volume.volumeId.apply((id) => tiedTo(this, () => dataVolumeFiles(id, script))),
        secret: false,
        bundle: { mode: "install" },
        afterLater: pulumi.all([volume.volumeId, volume.sizeGiB]).apply(([id, size]) => tiedTo(this, () => dataVolumeAfter(id, size))),
      },
      { parent: this, dependsOn: [provisioned, volume.attachment] },
    );
    return delivery.command;
  }

  /** A generated password per extra host with basic auth: the logins (an output) and their htpasswd lines by hostname. */
  private extraHostAuth(
    name: string,
    config: HostServicesSettings,
    saltKey: pulumi.Output<string>,
  ): { hosts: number; logins: pulumi.Output<Record<string, ExtraHostLogin>>; htpasswdLines: pulumi.Output<Record<string, string>> } {
    const authHosts = config.proxy.enabled ? config.proxy.extraHosts.filter((h) => h.basicAuthUser !== undefined) : [];
    const logins = authHosts.map((h) => {
      const password = new random.RandomPassword(`${name}-auth-${h.hostname.replace(/\./g, "-")}`, { length: 24, special: false }, { parent: this }).result;
      return { hostname: h.hostname, username: h.basicAuthUser!, password };
    });
    const list = pulumi.all(logins.map((l) => pulumi.all([l.hostname, l.username, l.password])));
    return {
      hosts: authHosts.length,
      logins: pulumi.secret(list.apply((entries) => Object.fromEntries(entries.map(([hostname, username, password]) => [hostname, { username, password }])))),
      htpasswdLines: pulumi
        .all([saltKey, list])
        .apply(([key, entries]) =>
          tiedTo(this, () => Object.fromEntries(entries.map(([hostname, username, password]) => [hostname, htpasswdEntry(username, password, key)]))),
        ),
    };
  }

  /** The certificate and key nginx and the registry serve first: the given files, or for letsencrypt a self-signed bootstrap pair. */
  private servedFiles(name: string, args: HostServicesArgs): Omit<CertificateFiles, "kind"> {
    const { config } = args;
    // The renderers decide by the mode whether certbot owns the served files: a certificate that
    // says otherwise is a wiring bug.
    if ((args.certificate.kind === "certbot") !== (config.tls.mode === "letsencrypt")) {
      throw resourceBug(`tls.mode ${config.tls.mode} was handed a certificate of kind ${args.certificate.kind}`, this);
    }
    if (args.certificate.kind !== "certbot") return args.certificate;
    // letsencrypt: nginx needs a certificate before certbot can prove the names over HTTP, so a
    // self-signed one is written once; certbot's deploy hook replaces it with the real one.
    const names = args.certificate.plan.names;
    const key = new tls.PrivateKey(`${name}-bootstrap-key`, { algorithm: "ECDSA", ecdsaCurve: "P256" }, { parent: this });
    const cert = new tls.SelfSignedCert(
      `${name}-bootstrap-cert`,
      {
        privateKeyPem: key.privateKeyPem,
        dnsNames: [...names],
        subject: { commonName: names[0], organization: "Berth bootstrap (replaced by Let's Encrypt)" },
        validityPeriodHours: 90 * 24,
        allowedUses: ["server_auth", "digital_signature", "key_encipherment"],
      },
      { parent: this },
    );
    return { certPem: cert.certPem, keyPem: pulumi.secret(key.privateKeyPem) };
  }

  /** Every host file, rendered once and grouped by the delivery that serves it (secret as a whole). */
  private renderFiles(
    args: HostServicesArgs,
    certificate: Omit<CertificateFiles, "kind">,
    registryCreds: RegistryCredentials | undefined,
    authLines: pulumi.Output<Record<string, string>>,
  ): pulumi.Output<FileGroups> {
    const { config } = args;
    if (config.registry.enabled && config.registry.storage === "s3" && !args.registryBucket) {
      throw resourceProblem("registry storage is s3 but no bucket was given", this);
    }
    const bucket = args.registryBucket
      ? pulumi.output(args.registryBucket.bucket).apply((b): RegistryBucket => ({ bucket: b, region: args.registryBucket!.region }))
      : undefined;
    const realIpRanges = args.realIp ? pulumi.output(args.realIp.ranges) : undefined;
    return pulumi
      .all([certificate.certPem, certificate.keyPem, certificate.caPem, registryCreds?.htpasswdLine, authLines, bucket, realIpRanges])
      .apply(([certPem, keyPem, caPem, htpasswdLine, extraHostAuth, registryBucket, ranges]) => {
        const material: TlsMaterial | undefined = certPem && keyPem ? { certPem, keyPem, ...(caPem ? { caPem } : {}) } : undefined;
        return tiedTo(this, () =>
          groupHostFiles(
            hostFiles({
              config,
              tls: material,
              registry: registryCreds && htpasswdLine ? { username: registryCreds.username, htpasswdLine } : undefined,
              extraHostAuth,
              ...(registryBucket ? { registryBucket } : {}),
              ...(args.realIp && ranges ? { realIp: { names: args.realIp.names, ranges } } : {}),
            }),
          ),
        );
      });
  }

  /**
   * One public group of files. `files` is secret as a whole (it is computed from keys and password
   * hashes). The public groups hold none of them (groupHostFiles splits by `secret`), so they are
   * unsecreted: a preview then shows the nginx and registry configuration diffs that reviewers need to see.
   */
  private publicGroup(files: pulumi.Output<FileGroups>, pick: (g: FileGroups) => HostFile[]): pulumi.Output<HostFile[]> {
    return pulumi.unsecret(
      files.apply((g) => {
        const list = pick(g);
        // A Berth bug if it ever happens: keep the stack for the report.
        if (list.some((f) => f.secret)) throw resourceBug("a secret file in a public delivery", this);
        return list;
      }),
    );
  }

  /** The Docker API with mutual TLS, then the registry's files and container through it. */
  private deliverRegistry(
    name: string,
    args: HostServicesArgs,
    files: pulumi.Output<FileGroups>,
    provisioned: pulumi.Resource,
    tlsFiles: pulumi.Resource,
  ): void {
    const { config } = args;
    const target: HostTarget = { connection: args.connection, hostId: args.hostId };
    const dockerHost = new DockerHost(
      `${name}-docker`,
      {
        target,
        publicIp: args.publicIp,
        apiPort: args.dockerApiPort,
      },
      { parent: this, dependsOn: [provisioned] },
    );
    new Registry(
      `${name}-registry`,
      {
        target,
        dockerProvider: dockerHost.provider,
        container: registryContainerSpec(config),
        configFiles: this.publicGroup(files, (g) => g.registryConfig),
        secretFiles: files.apply((g) => g.registrySecrets),
        // Direct mode serves TLS itself: a new certificate must restart it.
        readsFiles: config.registry.expose === "direct" ? files.apply((g) => g.tls) : [],
        ...(config.registry.storage === "filesystem" ? { dataDir: config.registry.dataDir } : {}),
        // Made once and kept in state: a restart keeps uploads in progress valid.
        httpSecret: new random.RandomPassword(`${name}-registry-http-secret`, { length: 48, special: false }, { parent: this }).result,
        dependsOn: [dockerHost.ready, tlsFiles],
      },
      { parent: this },
    );
  }

  /** letsencrypt: certbot's deploy hook, then the preflight over HTTP and certbot itself, once nginx serves the names. */
  private runCertbot(name: string, args: HostServicesArgs, certbot: CertbotPlan, dependsOn: pulumi.Input<pulumi.Resource>[]): void {
    const script = tiedTo(this, () =>
      renderBundle([{ path: certbot.hookPath, mode: 0o755, content: certbot.deployHook, usedBy: [] }], {
        label: `${name}-certbot`,
        mode: "install",
        after: [installCertbot(), ...renderAcmePreflight(certbot.names, `${args.naming.project}-${args.naming.stack}`), certbot.command],
      }),
    );
    hostCommand(
      `${name}-certbot`,
      { connection: args.connection, hostId: args.hostId },
      { create: runAsRootFromStdin(), stdin: script },
      { parent: this, dependsOn },
    );
  }
}
