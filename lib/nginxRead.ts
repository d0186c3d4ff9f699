// Just enough nginx-config reading for the tools that look at rendered files: blocks by their
// head, the directives of a block, and the routes of a site (names, paths, upstream servers).
// Pure, no imports: the tests, the plan diagram and the policy pack share it.

/** One `head { body }` block. */
export interface NginxBlock {
  /** Text before the brace, trimmed, e.g. "location /" or "server". */
  readonly head: string;
  /** Everything between the braces (nested blocks included). */
  readonly body: string;
}

function stripComments(text: string): string {
  return text
    .split("\n")
    .map((l) => l.replace(/#.*$/, ""))
    .join("\n");
}

/** Every block (at any depth) whose head matches `head`. Comments are stripped first. */
export function findBlocks(text: string, head: RegExp): NginxBlock[] {
  const src = stripComments(text);
  const out: NginxBlock[] = [];
  const stack: Array<{ head: string; start: number }> = [];
  let boundary = 0; // just after the last ; { or }: where the next head begins
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (c === "{") {
      stack.push({ head: src.slice(boundary, i).trim(), start: i + 1 });
      boundary = i + 1;
    } else if (c === "}") {
      const open = stack.pop();
      if (!open) throw new Error("unbalanced } in nginx text");
      if (head.test(open.head)) out.push({ head: open.head, body: src.slice(open.start, i) });
      boundary = i + 1;
    } else if (c === ";") boundary = i + 1;
  }
  if (stack.length > 0) throw new Error("unbalanced { in nginx text");
  return out;
}

/** Directive lines directly in a block body (nested blocks removed), whitespace-collapsed, without ";". */
export function directives(body: string): string[] {
  let flat = stripComments(body);
  // Remove innermost blocks (with their heads) until none is left.
  for (let prev = ""; prev !== flat;) {
    prev = flat;
    flat = flat.replace(/[^{};]*\{[^{}]*\}/g, ";");
  }
  return flat
    .split(";")
    .map((s) => s.replace(/\s+/g, " ").trim())
    .filter((s) => s !== "");
}

/** A location and where it sends requests. */
export interface NginxRoute {
  /** e.g. "/", "/api", "^~ /.well-known/acme-challenge/". */
  readonly path: string;
  /** proxy_pass target without the scheme: an upstream name or host:port; undefined when the location does not proxy. */
  readonly proxyPass?: string;
  /** `return` directive (redirects), when there is one. */
  readonly returns?: string;
}

/** One server block. */
export interface NginxSite {
  readonly file: string;
  /** server_name values ("_" for the catch-all). */
  readonly names: string[];
  /** listen values, e.g. "443 ssl http2". */
  readonly listen: string[];
  readonly routes: NginxRoute[];
  /** True when the server asks for basic auth (auth_basic other than off, at server or location level). */
  readonly basicAuth: boolean;
}

/** Sites and upstreams across a set of nginx files. */
export interface NginxRoutes {
  readonly sites: NginxSite[];
  /** Upstream name -> its `server` addresses. */
  readonly upstreams: Record<string, string[]>;
}

function values(dirs: string[], name: string): string[] {
  return dirs.filter((d) => d === name || d.startsWith(`${name} `)).map((d) => d.slice(name.length).trim());
}

/** Reads every server and upstream block of the given files. */
export function nginxRoutes(files: ReadonlyArray<{ readonly path: string; readonly content: string }>): NginxRoutes {
  const sites: NginxSite[] = [];
  const upstreams: Record<string, string[]> = {};
  for (const f of files) {
    if (!f.path.endsWith(".conf")) continue;
    for (const u of findBlocks(f.content, /^upstream\s+\S+$/)) {
      upstreams[u.head.split(/\s+/)[1]] = values(directives(u.body), "server").map((s) => s.split(/\s+/)[0]);
    }
    for (const s of findBlocks(f.content, /^server$/)) {
      const dirs = directives(s.body);
      const locations = findBlocks(s.body, /^location\b/);
      const routes = locations.map((l): NginxRoute => {
        const ld = directives(l.body);
        const pass = values(ld, "proxy_pass")[0];
        const ret = values(ld, "return")[0];
        return {
          path: l.head.replace(/^location\s+/, ""),
          ...(pass ? { proxyPass: pass.replace(/^[a-z]+:\/\//, "").replace(/\/$/, "") } : {}),
          ...(ret ? { returns: ret } : {}),
        };
      });
      const serverReturn = values(dirs, "return")[0];
      if (serverReturn) routes.push({ path: "(server)", returns: serverReturn });
      const authOn = (d: string[]): boolean => values(d, "auth_basic").some((v) => v !== "off");
      sites.push({
        file: f.path,
        names: values(dirs, "server_name").flatMap((v) => v.split(/\s+/)),
        listen: values(dirs, "listen"),
        routes,
        basicAuth: authOn(dirs) || locations.some((l) => authOn(directives(l.body))),
      });
    }
  }
  return { sites, upstreams };
}
