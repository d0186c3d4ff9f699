// Test apps for the deploy tests: real images built on the rehearsal's Docker Engine (FROM a base
// image holding this machine's node binary) and pushed to the rehearsal's registry with the docker
// CLI, as CI would. The app answers every request with its version and exits at once on SIGTERM,
// the hardest case for a switch (no graceful shutdown to hide a request sent to the old color).
import * as fs from "node:fs";
import * as path from "node:path";
import { dockerOk, ensureNodeImage } from "../../cli/local/docker";
import { ImageDeriver } from "./imageDeriver";
import { scratchDir } from "./procs";

/** Base image name for the test apps. */
export const NODE_BASE = "berth-test/node:20";

/**
 * The app. APP_MODE: "ok" (200 with the version), "unhealthy" (500 everywhere), "crash" (exits at
 * start). It reads request bodies fully, so POSTs are real uploads, and keeps connections alive.
 */
export const SERVER_JS = `
const http = require("http");
const version = process.env.APP_VERSION || "?";
const mode = process.env.APP_MODE || "ok";
if (mode === "crash") { console.error("crashing on purpose"); process.exit(3); }
const server = http.createServer((req, res) => {
  let bytes = 0;
  req.on("data", (c) => { bytes += c.length; });
  req.on("end", () => {
    res.statusCode = mode === "unhealthy" ? 500 : 200;
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ version, part: process.env.APP_PART || "", method: req.method, path: req.url, bytes }) + "\\n");
  });
});
server.keepAliveTimeout = 65000;
server.listen(80);
process.on("SIGTERM", () => process.exit(0));
`;

/** The file whose content makes each tag's layer unique. */
const versionFile = (version: string, part: string): string => `${part} ${version} ${"x".repeat(4096)}\n`;

/** A build context for one image: the app, a file whose content makes each tag's layer unique. */
export function appContext(version: string, part: string, mode: "ok" | "unhealthy" | "crash" = "ok"): string {
  const dir = scratchDir("app-context");
  fs.writeFileSync(path.join(dir, "server.js"), SERVER_JS);
  fs.writeFileSync(path.join(dir, "version.txt"), versionFile(version, part));
  // The release step prod's shop declares (`release: [bin/migrate]`, relative to WORKDIR): a no-op here.
  fs.mkdirSync(path.join(dir, "bin"));
  fs.writeFileSync(path.join(dir, "bin", "migrate"), '#!/usr/bin/node\nconsole.log("migrate: nothing to migrate in the test app");\n', { mode: 0o755 });
  fs.writeFileSync(
    path.join(dir, "Dockerfile"),
    [
      `FROM ${NODE_BASE}`,
      "COPY server.js /app/server.js",
      "COPY version.txt /app/version.txt",
      "COPY bin /app/bin",
      "WORKDIR /app",
      `ENV APP_VERSION=${version} APP_PART=${part} APP_MODE=${mode}`,
      'CMD ["/app/server.js"]',
      "",
    ].join("\n"),
  );
  return dir;
}

/**
 * Builds `ctx` as `ref`, pushes it with the login in `configDir`, and removes it from the engine again:
 * a deploy must pull from the registry, not find the image already there.
 */
export async function buildPushDrop(dockerHost: string, configDir: string, ref: string, ctx: string): Promise<void> {
  await dockerOk(dockerHost, ["build", "-q", "-t", ref, ctx]);
  await dockerOk(dockerHost, ["--config", configDir, "push", ref]);
  await dockerOk(dockerHost, ["rmi", ref]);
}

/** Pushes to a registry with a login kept in its own scratch DOCKER_CONFIG (never the machine's). */
export class Pusher {
  readonly configDir = scratchDir("docker-config");

  constructor(
    readonly dockerHost: string,
    readonly registry: string,
  ) {}

  async login(user: string, password: string): Promise<void> {
    await dockerOk(this.dockerHost, ["--config", this.configDir, "login", this.registry, "-u", user, "--password-stdin"], { input: password });
    this.credentials = { user, password };
  }

  private credentials: { user: string; password: string } | undefined;
  /** Per repository, the image its tags derive from. */
  readonly templates = new Map<string, { repo: string; tag: string }>();
  /** The one image built with Docker, which every repository's tags derive from. */
  private built: Promise<{ repo: string; tag: string }> | undefined;

  /**
   * Pushes `<registry>/<repo>:<tag>` of the test app like buildAndPush, but only the first image of all
   * is built with Docker (and pushed with the docker CLI, as CI would); every other one, in any
   * repository, is derived from it through the registry's API (test/helpers/imageDeriver.ts): the same
   * files, its own environment and version file in one small layer. `ca` is the registry's CA (PEM).
   */
  async push(ca: string, repo: string, tag: string, part: string, mode: "ok" | "unhealthy" | "crash" = "ok"): Promise<string> {
    let template = this.templates.get(repo);
    if (template === undefined) {
      if (this.built === undefined) {
        this.built = this.buildAndPush(repo, tag, part, mode).then(() => ({ repo, tag }));
        this.templates.set(repo, await this.built);
        return `${this.registry}/${repo}:${tag}`;
      }
      template = await this.built;
      this.templates.set(repo, template);
    }
    if (!this.credentials) throw new Error("Pusher.push: log in first");
    this.deriver ??= new ImageDeriver(this.registry, ca, this.credentials.user, this.credentials.password);
    return this.deriver.derive(template, repo, tag, {
      files: { "app/version.txt": versionFile(tag, part) },
      env: { APP_VERSION: tag, APP_PART: part, APP_MODE: mode },
    });
  }

  private deriver: ImageDeriver | undefined;

  /** Builds and pushes `<registry>/<repo>:<tag>`; returns the pushed reference. */
  async buildAndPush(repo: string, tag: string, part: string, mode: "ok" | "unhealthy" | "crash" = "ok"): Promise<string> {
    await ensureNodeImage(this.dockerHost, NODE_BASE);
    const ctx = appContext(tag, part, mode);
    const ref = `${this.registry}/${repo}:${tag}`;
    try {
      await buildPushDrop(this.dockerHost, this.configDir, ref, ctx);
    } finally {
      fs.rmSync(ctx, { recursive: true, force: true });
    }
    return ref;
  }

  dispose(): void {
    this.deriver?.close();
    fs.rmSync(this.configDir, { recursive: true, force: true });
  }
}
