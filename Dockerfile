# syntax=docker/dockerfile:1
#
# One image for every command of the catalog: `serve` (default), `migrate`, `gc`.
#
# The base is pinned by tag only so that it is readable in review; production builds should
# pin it by digest as well (node:24-bookworm-slim@sha256:...), because tags are moved when
# Debian or Node publish fixes and an unpinned rebuild is then not reproducible.
# Node 24 is an LTS line; package.json asks for >= 20.

# ---- build: all dependencies, compile TypeScript to dist/ ------------------------------
FROM node:24-bookworm-slim AS build
WORKDIR /build
# Lock files first, sources after: a source-only change reuses the cached `npm ci` layer.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
RUN npm run build

# ---- prod-deps: runtime dependencies only ----------------------------------------------
# A separate stage so that no compiler, type package or npm cache reaches the final image.
FROM node:24-bookworm-slim AS prod-deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund \
    && npm cache clean --force

# ---- runtime ---------------------------------------------------------------------------
FROM node:24-bookworm-slim AS runtime

# CATALOG_HOST: the app listens on loopback by default, which is unreachable from outside a
#   container.
# CATALOG_DATA_DIR: the default ./data would be /app/data, inside the read-only application
#   tree; /data is the one place prepared for the embedded database and a file:// warehouse
#   (the Helm chart mounts an emptyDir there).
# NODE_OPTIONS: V8 sizes its heap from the host, not the container limit, and an OOM kill
#   loses the in-flight requests that a graceful shutdown would have finished. 192 MiB of
#   old space fits a 256 MiB container; raise both together (the chart sets this from values).
#   Source maps turn stack traces in the JSON logs into TypeScript file:line.
ENV NODE_ENV=production \
    CATALOG_HOST=0.0.0.0 \
    CATALOG_DATA_DIR=/data \
    NODE_OPTIONS="--max-old-space-size=192 --enable-source-maps"

WORKDIR /app
# Application files stay owned by root and are only readable by the runtime user, so a
# compromised process cannot rewrite its own code even where the root filesystem is writable.
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /build/dist ./dist
# migrations/ and openapi/ are found at run time by walking up from dist/src/..., so they
# must be siblings of dist/ here, as they are in the repository.
COPY package.json ./
COPY migrations ./migrations
COPY openapi ./openapi
RUN mkdir /data && chown node:node /data

# The official image's unprivileged `node` user, by number: Kubernetes can only enforce
# runAsNonRoot against a numeric USER, and the chart's runAsUser (1000) matches it.
USER 1000:1000

# 8181: Iceberg REST API (CATALOG_PORT). 9464: Prometheus /metrics (CATALOG_METRICS_PORT).
EXPOSE 8181 9464

# For plain Docker/Compose; Kubernetes ignores it and uses the chart's probes. Slim images
# have no curl, and node is already here. Liveness on purpose, not readiness: a database
# outage should not make Docker report the container unhealthy (restarting it would not help).
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.CATALOG_PORT||8181)+'/health/live').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]

# No tini / --init: node runs as PID 1, where the kernel applies no default action to
# SIGTERM, so an unhandled SIGTERM would be ignored until the kill after the grace period.
# `serve` installs its own SIGTERM/SIGINT handlers (drain, then close) and so does `gc` (the
# run stops after its current step); `migrate` is one transaction, which Postgres rolls back
# if the process dies. None spawns child processes, so there are no zombies to reap either.
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "dist/src/cli.js"]
CMD ["serve"]
