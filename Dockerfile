# Kith service image: the same code runs the HTTP server (`start`, the default) and every worker
# process (`worker --queues …`, see docker-compose.yml).
#   docker build -t kith .
#
# Stages: `deps` installs the production dependencies (better-sqlite3 is a native module: it
# downloads its prebuilt binary for this Node and glibc, and compiles with the build tools when
# none fits); `build` compiles src/ to dist/ and bundles the web view (web/ → web/dist/) with
# `npm run build` (esbuild is a production dependency); the runtime image gets node_modules, dist/ and the files Kith reads at run time,
# without compilers or package caches.
FROM node:26-trixie-slim AS deps
WORKDIR /app
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund \
 && npm cache clean --force

FROM deps AS build
COPY tsconfig.json ./
COPY bin ./bin
COPY scripts/build.mjs ./scripts/
COPY src ./src
COPY web ./web
RUN npm run build

FROM node:26-trixie-slim AS runtime
WORKDIR /app
ENV NODE_ENV=production \
    KITH_DATA_DIR=/data \
    KITH_HOST=0.0.0.0 \
    KITH_PORT=3000
# package.json says "type": "module", which dist/*.js need; bin/kith.mjs runs dist/ when its
# stamp matches src/ (paths and modification times), so src/ ships beside it, copied from the
# stage that built dist/; examples/ is the configuration used when KITH_CONFIG is unset.
COPY --from=deps /app/node_modules ./node_modules
COPY package.json tsconfig.json LICENSE ./
COPY --from=build /app/bin ./bin
COPY --from=build /app/scripts/build.mjs ./scripts/
COPY --from=build /app/src ./src
COPY --from=build /app/dist ./dist
COPY --from=build /app/web ./web
COPY examples ./examples
# Does nothing when dist/ matches src/ (COPY keeps modification times); rebuilds it otherwise,
# so `kith` never falls back to compiling the TypeScript sources at every start.
RUN node scripts/build.mjs --if-stale \
 && mkdir -p /data /notes \
 && chown node:node /data /notes
# The unprivileged `node` user (uid 1000) of the base image owns the data directory and the
# Drive export's notes folder; a new named volume mounted on either takes that ownership.
USER node
VOLUME ["/data"]
EXPOSE 3000
# GET /health answers 200 when Redis and the database are reachable, 503 otherwise. The slim
# image has no curl: Node's fetch does it. Worker containers serve no HTTP and override this
# check (docker-compose.yml).
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.KITH_PORT || 3000) + '/health', { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "bin/kith.mjs"]
CMD ["start"]
