# The scoring service image. Build context: the repository after
#   npm ci && npm run build:service        (writes dist/service/: one esbuild bundle,
#                                           Swagger UI assets and the champion model)
# so the image needs no npm install and carries no node_modules.
#
#   docker build -t credit-risk-scoring \
#     --build-arg VERSION=$(node -p "require('./package.json').version") \
#     --build-arg REVISION=$(git rev-parse HEAD) \
#     --build-arg SOURCE=https://github.com/<owner>/<repo> \
#     --build-arg MODEL_DIGEST=<the champion's digest, from npx mlops registry show> .
#
# Releases are built by `mlops release publish`, which sets these labels itself (also on
# trees from before they existed) and checks them in the registry: the model digest label
# is how the OCI registry says which model an image serves.
# The base: Node 24 LTS on Debian bookworm, pinned by digest so a build gets exactly the
# image that was reviewed. Written out in each FROM line (not an ARG) because that is what
# Dependabot reads: its docker updates propose the new digest as a pull request. A build on
# a mirror or a local stand-in rewrites these lines in a copy (`mlops release publish
# --base-image`, the container and release tests).

# Stage 1: assemble /app and refuse to build around a model bundle whose digest does
# not verify (the service's --check loads it exactly as it would at start).
FROM node:24-bookworm-slim@sha256:6f7b03f7c2c8e2e784dcf9295400527b9b1270fd37b7e9a7285cf83b6951452d AS verify
WORKDIR /app
COPY dist/service/ /app/
ENV MODEL_PATH=/app/model/model.json.gz
RUN ["node", "/app/service.mjs", "--check"]

# Stage 2: the runtime image. Files stay owned by root and read-only to the service's
# user, so the container runs with a read-only root filesystem.
FROM node:24-bookworm-slim@sha256:6f7b03f7c2c8e2e784dcf9295400527b9b1270fd37b7e9a7285cf83b6951452d
ARG VERSION=0.0.0
ARG REVISION=unknown
ARG SOURCE=https://github.com/credit-risk-gitops/credit-risk-gitops
ARG LICENSES=MIT
ARG CREATED=1970-01-01T00:00:00Z
ARG MODEL_DIGEST=
LABEL credit-risk-gitops.model.digest="${MODEL_DIGEST}" \
      org.opencontainers.image.title="credit-risk-scoring" \
      org.opencontainers.image.description="Credit-default scoring service (Koa) with the registry's champion model" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="${LICENSES}" \
      org.opencontainers.image.created="${CREATED}"
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080 \
    MODEL_PATH=/app/model/model.json.gz \
    MLOPS_ROOT=/app \
    SERVICE_VERSION=${VERSION} \
    NODE_OPTIONS=--max-semi-space-size=2
WORKDIR /app
COPY --from=verify /app /app
# A numeric, unprivileged user: works without an /etc/passwd entry and satisfies
# Kubernetes' runAsNonRoot check.
USER 10001:10001
EXPOSE 8080
# The service drains in-flight requests on SIGTERM, then exits 0.
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 CMD ["node", "/app/healthcheck.mjs"]
ENTRYPOINT ["node", "/app/service.mjs"]
