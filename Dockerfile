# Kith service image: the same code runs the HTTP server and every worker process.
FROM node:20-bookworm-slim
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY bin ./bin
COPY src ./src
COPY examples ./examples
COPY tsconfig.json ./
COPY scripts/build.mjs ./scripts/
RUN node scripts/build.mjs
ENV NODE_ENV=production KITH_DATA_DIR=/data KITH_HOST=0.0.0.0
USER node
ENTRYPOINT ["node", "bin/kith.mjs"]
CMD ["start"]
