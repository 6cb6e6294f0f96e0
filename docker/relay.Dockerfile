# syntax=docker/dockerfile:1
# The relay: job queue, GPU backends, event hub, admin UI. Node 24 LTS; sources run through tsx
# (a runtime dependency), so the only build step is the browser bundle (admin UI, extension).

FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build

FROM node:24-bookworm-slim
ENV NODE_ENV=production \
    RELAY_HOST=0.0.0.0 \
    RELAY_PORT=3000 \
    OUTPUT_DIR=/data/outputs
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY bin ./bin
COPY cli ./cli
COPY protocol ./protocol
COPY kit ./kit
COPY relay ./relay
COPY --from=build /app/dist ./dist
RUN mkdir -p /data/outputs /sfs && chown -R node:node /data /sfs
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=5 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:3000/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "bin/comfyume.js", "relay"]
