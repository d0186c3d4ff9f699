#!/usr/bin/env bash
# Build, push and deploy one app to a Berth stack: the one script both CI examples call
# (examples/github-actions/deploy.yml, examples/Jenkinsfile), and the one the rehearsal test runs.
#
#   0. check the host's known_hosts entry first: without BERTH_KNOWN_HOSTS_FILE (the stack's
#      hostKnownHosts) it stops before any login, unless told BERTH_SSH_TRUST_FIRST_KEY=1
#   1. trust the stack's CA for its registry when one is given (dev's self-signed tlsCaCertificate)
#   2. docker login with the stack's registry credentials (password on stdin, never in argv)
#   3. docker build + push <registry>/<app>-frontend:<tag> (and -backend when a context is given)
#   4. ssh deploy@host "deploy <app> <tag>" with the deploy key, checking the host key against the
#      file: the host's forced command runs the deploy program, which pulls, health-checks and
#      switches with no failed request
#
# Environment (stack outputs in brackets):
#   BERTH_REGISTRY           registry host[:port]                      [registryHost]
#   BERTH_REGISTRY_USER      registry user                             [registryUsername]
#   BERTH_REGISTRY_PASSWORD  registry password (secret)                [registryPassword]
#   BERTH_CA_FILE            optional: CA the registry's certificate chains to [tlsCaCertificate, dev]
#   BERTH_SSH_HOST           host address                              [hostPublicIp]
#   BERTH_SSH_PORT           default 22
#   BERTH_SSH_USER           deploy user                               [hostDeployUser]
#   BERTH_SSH_KEY_FILE       file holding the deploy key (mode 0600)   [hostDeployPrivateKey]
#   BERTH_KNOWN_HOSTS_FILE   known_hosts file with the host's line            [hostKnownHosts]
#   BERTH_SSH_TRUST_FIRST_KEY  1: run without BERTH_KNOWN_HOSTS_FILE and accept whatever key answers
#                            at BERTH_SSH_HOST (a stack older than hostKnownHosts; never for prod)
#   APP, TAG                 app name (berth:proxy.apps[].name) and image tag ([A-Za-z0-9_][A-Za-z0-9_.-]*)
#   FRONTEND_CONTEXT         docker build context of the front end
#   BACKEND_CONTEXT          optional: of the back end
#   FRONTEND_REPOSITORY, BACKEND_REPOSITORY   optional: default <app>-frontend / <app>-backend
set -euo pipefail

need() { [ -n "${!1:-}" ] || { echo "berth-deploy.sh: $1 is not set" >&2; exit 2; }; }
for v in BERTH_REGISTRY BERTH_REGISTRY_USER BERTH_REGISTRY_PASSWORD BERTH_SSH_HOST BERTH_SSH_USER BERTH_SSH_KEY_FILE APP TAG FRONTEND_CONTEXT; do need "$v"; done
[[ $TAG =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$ ]] || { echo "berth-deploy.sh: TAG '$TAG' is not a valid image tag" >&2; exit 2; }
[[ $APP =~ ^[a-z][a-z0-9-]{0,30}$ ]] || { echo "berth-deploy.sh: APP '$APP' is not a valid app name" >&2; exit 2; }

# The host's identity first, before any credential leaves this machine: a known_hosts file that
# lists the host (at its port), or an explicit choice to trust the first key that answers.
ssh_port="${BERTH_SSH_PORT:-22}"
ssh_opts=(-F /dev/null -p "$ssh_port" -i "$BERTH_SSH_KEY_FILE" -o IdentitiesOnly=yes -o BatchMode=yes -o ConnectTimeout=20)
if [ -n "${BERTH_KNOWN_HOSTS_FILE:-}" ]; then
  [ -s "$BERTH_KNOWN_HOSTS_FILE" ] || { echo "berth-deploy.sh: BERTH_KNOWN_HOSTS_FILE '$BERTH_KNOWN_HOSTS_FILE' is missing or empty" >&2; exit 2; }
  host_entry="$BERTH_SSH_HOST"; [ "$ssh_port" = 22 ] || host_entry="[$BERTH_SSH_HOST]:$ssh_port"
  ssh-keygen -F "$host_entry" -f "$BERTH_KNOWN_HOSTS_FILE" >/dev/null || {
    echo "berth-deploy.sh: $BERTH_KNOWN_HOSTS_FILE has no key for $host_entry (write the stack's hostKnownHosts output to it)" >&2
    exit 2
  }
  ssh_opts+=(-o StrictHostKeyChecking=yes -o "UserKnownHostsFile=$BERTH_KNOWN_HOSTS_FILE")
elif [ "${BERTH_SSH_TRUST_FIRST_KEY:-}" = 1 ]; then
  echo "berth-deploy.sh: warning: BERTH_SSH_TRUST_FIRST_KEY=1: trusting whatever host key answers at $BERTH_SSH_HOST" >&2
  ssh_opts+=(-o StrictHostKeyChecking=accept-new)
else
  echo "berth-deploy.sh: BERTH_KNOWN_HOSTS_FILE is not set: save the stack's hostKnownHosts output to a file and name it" \
    "(or set BERTH_SSH_TRUST_FIRST_KEY=1 to trust the first key that answers)" >&2
  exit 2
fi

if [ -n "${BERTH_CA_FILE:-}" ]; then
  # Docker reads registry CAs from certs.d on the machine running dockerd; no restart needed.
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo install -d -m 0755 "/etc/docker/certs.d/$BERTH_REGISTRY"
  $sudo install -m 0644 "$BERTH_CA_FILE" "/etc/docker/certs.d/$BERTH_REGISTRY/ca.crt"
fi

printf '%s' "$BERTH_REGISTRY_PASSWORD" | docker login "$BERTH_REGISTRY" -u "$BERTH_REGISTRY_USER" --password-stdin >/dev/null

build_and_push() { # build_and_push REPOSITORY CONTEXT
  local ref="$BERTH_REGISTRY/$1:$TAG"
  docker build -q -t "$ref" "$2" >/dev/null
  docker push -q "$ref" >/dev/null
  echo "berth-deploy.sh: pushed $ref"
}
build_and_push "${FRONTEND_REPOSITORY:-$APP-frontend}" "$FRONTEND_CONTEXT"
if [ -n "${BACKEND_CONTEXT:-}" ]; then build_and_push "${BACKEND_REPOSITORY:-$APP-backend}" "$BACKEND_CONTEXT"; fi

# The host's forced command reads this request and validates it; nothing here runs in a shell there.
# (APP and TAG are checked above and expand here on purpose.)
# shellcheck disable=SC2029
ssh "${ssh_opts[@]}" "$BERTH_SSH_USER@$BERTH_SSH_HOST" "deploy $APP $TAG"
