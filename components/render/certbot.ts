// Pure renderers for Let's Encrypt on the host: certbot's command line (webroot challenge through
// nginx) and the deploy hook that copies each issued or renewed pair to /etc/berth/tls, tests nginx
// and reloads it, or puts the previous pair back. Text in, text out; the quoting and the nginx reload
// come from render/hostCommands.ts.
import { reloadNginx, shellJoin, shellQuote } from "./hostCommands";
import { HOST_PATHS } from "./paths";

// ---------------------------------------------------------------------------------------------
// Let's Encrypt (certbot on the host, nginx webroot challenge)

/** Directory nginx serves `/.well-known/acme-challenge/` from on port 80. */
export const ACME_WEBROOT = HOST_PATHS.acmeWebroot;
/** Deploy hook certbot runs after each issuance and renewal. */
export const CERTBOT_DEPLOY_HOOK_PATH = "/etc/letsencrypt/renewal-hooks/berth-reload-nginx.sh";

export interface LetsEncryptPlan {
  /** Certificate lineage name = the first served name; certbot keeps files under live/<certName>/. */
  readonly certName: string;
  readonly names: readonly string[];
  readonly email: string;
  readonly staging: boolean;
  readonly webroot: string;
  /** certbot's full chain (its lineage; the deploy hook copies it to servedCertPath). */
  readonly certPath: string;
  /** certbot's private key (never leaves the host). */
  readonly keyPath: string;
  /** What nginx serves: the same path in every TLS mode. */
  readonly servedCertPath: string;
  readonly servedKeyPath: string;
  readonly deployHookPath: string;
}

/** Where certbot will put the certificate for these names, and how it is asked for. */
export function letsEncryptPlan(names: readonly string[], email: string, staging: boolean): LetsEncryptPlan {
  if (names.length === 0) throw new Error("letsencrypt needs at least one served name");
  const certName = names[0];
  return {
    certName,
    names: [...names],
    email,
    staging,
    webroot: ACME_WEBROOT,
    certPath: `/etc/letsencrypt/live/${certName}/fullchain.pem`,
    keyPath: `/etc/letsencrypt/live/${certName}/privkey.pem`,
    servedCertPath: HOST_PATHS.tlsCertificate,
    servedKeyPath: HOST_PATHS.tlsPrivateKey,
    deployHookPath: CERTBOT_DEPLOY_HOOK_PATH,
  };
}

/**
 * The certbot command that obtains (or, on later runs, keeps or expands) the certificate.
 * `--cert-name` pins the lineage directory so the paths above never gain a "-0001" suffix;
 * `--deploy-hook` is stored in the renewal config, so the systemd timer's `certbot renew`
 * reloads nginx after every renewal too.
 */
export function renderCertbotCommand(plan: LetsEncryptPlan): string {
  const args = [
    "certbot",
    "certonly",
    "--webroot",
    "-w",
    plan.webroot,
    "--cert-name",
    plan.certName,
    ...plan.names.flatMap((n) => ["-d", n]),
    "--email",
    plan.email,
    "--agree-tos",
    "--no-eff-email",
    "--non-interactive",
    "--keep-until-expiring",
    "--expand",
    "--deploy-hook",
    plan.deployHookPath,
    ...(plan.staging ? ["--staging"] : []),
  ];
  return shellJoin(args);
}

/**
 * The deploy hook certbot runs after every issuance and renewal ($RENEWED_LINEAGE is the live
 * directory). nginx serves one fixed pair in every TLS mode, so the hook copies the new pair
 * there, tests nginx, and reloads; if the test fails the previous pair is put back, keeps
 * serving, and the hook fails (certbot reports it). Paths are arguments so tests can re-root them.
 */
export function renderDeployHook(
  targets: { readonly certPath: string; readonly keyPath: string } = { certPath: HOST_PATHS.tlsCertificate, keyPath: HOST_PATHS.tlsPrivateKey },
): string {
  const crt = shellQuote(targets.certPath);
  const key = shellQuote(targets.keyPath);
  return `#!/bin/sh
# Installed by Berth. certbot runs this after it obtains or renews a certificate.
set -eu
src=\${RENEWED_LINEAGE:?certbot sets RENEWED_LINEAGE}
crt=${crt}
key=${key}
backup=$(mktemp -d)
trap 'rm -rf "$backup"' EXIT
[ ! -f "$crt" ] || cp -p "$crt" "$backup/crt"
[ ! -f "$key" ] || cp -p "$key" "$backup/key"
mkdir -p "$(dirname "$crt")" "$(dirname "$key")"
install -m 0644 "$src/fullchain.pem" "$crt.berth-new" && mv -f "$crt.berth-new" "$crt"
install -m 0600 "$src/privkey.pem" "$key.berth-new" && mv -f "$key.berth-new" "$key"
if ! nginx -t -q; then
  [ ! -f "$backup/crt" ] || cp -p "$backup/crt" "$crt"
  [ ! -f "$backup/key" ] || cp -p "$backup/key" "$key"
  echo 'berth: nginx rejected the new certificate; the previous one is back and still serving' >&2
  exit 1
fi
${reloadNginx()}
`;
}
