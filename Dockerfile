# syntax=docker/dockerfile:1
# The UNS gateway in a container: built with Node 22 in one stage, run in a slim one as a non-root user.
#   docker build -t uns-gateway .
#   docker buildx build --platform linux/amd64,linux/arm64 -t <registry>/uns-gateway:<version> --push .
# Run it (README.md, "Install and run as a service"):
#   docker run -d --name uns-gateway -p 1883:1883 -p 9001:9001 -v uns-gateway-data:/var/lib/uns-gateway \
#     -v /srv/uns-gateway:/etc/uns-gateway:ro uns-gateway

FROM node:22-bookworm-slim AS build
# node-gyp's toolchain: better-sqlite3 compiles from source when no prebuilt binary matches the platform.
RUN apt-get update \
    && apt-get install -y --no-install-recommends python3 make g++ \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: the package's own `prepare` script (npm run build) would run here, before the sources
# are copied, and fail. It skips the dependencies' install scripts too, so the two packages with native
# code run theirs next: better-sqlite3 downloads a prebuilt binary for this platform and Node ABI, or
# builds one with node-gyp; @serialport/bindings-cpp picks one of the binaries it ships. (esbuild's
# postinstall, also skipped, serves tsx, which the build does not use.)
RUN npm ci --ignore-scripts \
    && npm rebuild better-sqlite3 @serialport/bindings-cpp
COPY tsconfig.json tsconfig.build.json ./
COPY bin ./bin
COPY src ./src
COPY connectors ./connectors
COPY shared ./shared
COPY schemas ./schemas
# Then the dev dependencies go (prune runs no script), and so do better-sqlite3's sources and objects:
# only build/Release/better_sqlite3.node is loaded.
RUN npm run build \
    && npm prune --omit=dev \
    && rm -rf node_modules/better-sqlite3/deps node_modules/better-sqlite3/src \
        node_modules/better-sqlite3/build/Release/obj node_modules/better-sqlite3/build/Release/obj.target \
        node_modules/better-sqlite3/build/Release/.deps node_modules/better-sqlite3/build/Release/sqlite3.a \
        node_modules/better-sqlite3/build/Release/test_extension.node

# No `npm ci --omit=dev` here: it would run `prepare` (tsc, a dev dependency) and need the compiler again.
# The build stage's pruned node_modules, built for the same image and platform, is copied instead.
FROM node:22-bookworm-slim
ENV NODE_ENV=production
# Its own user (uid 10001), in the group dialout for RTU serial ports passed with --device.
RUN groupadd --system --gid 10001 uns-gateway \
    && useradd --system --uid 10001 --gid uns-gateway --groups dialout --home-dir /var/lib/uns-gateway \
        --shell /usr/sbin/nologin uns-gateway \
    && mkdir -p /var/lib/uns-gateway /etc/uns-gateway \
    && chown uns-gateway:uns-gateway /var/lib/uns-gateway \
    && chmod 0750 /var/lib/uns-gateway
WORKDIR /opt/uns-gateway
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/bin ./bin
# The demo config (config/gateway.yaml, for `docker run … uns-gateway run`) and the service's config.
COPY config ./config
COPY deploy/gateway.yaml /etc/uns-gateway/gateway.yaml
USER 10001
# store.dataDir of /etc/uns-gateway/gateway.yaml: the SQLite store and the OPC UA PKI folders.
VOLUME /var/lib/uns-gateway
# MQTT over TCP and over WebSocket (/mqtt), the listeners of deploy/gateway.yaml.
EXPOSE 1883 9001
# The health endpoint listens on loopback (127.0.0.1:9180) inside the container. No curl in slim
# images: Node's fetch does it.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["node", "-e", "fetch('http://127.0.0.1:9180/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# Node runs as PID 1: the gateway handles SIGTERM (stop) and SIGHUP (reload) itself and starts no child process.
STOPSIGNAL SIGTERM
# npm start's node flags (README "Memory").
ENTRYPOINT ["node", "--max-semi-space-size=32", "/opt/uns-gateway/bin/uns-gateway.js"]
CMD ["run", "--config", "/etc/uns-gateway/gateway.yaml"]
