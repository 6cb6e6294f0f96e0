# syntax=docker/dockerfile:1
# A pull worker (`comfyume worker`) for a GPU box: it runs beside a stock ComfyUI listening on
# 127.0.0.1 and connects out to the relay, so the box needs no inbound port (NAT, rented pods).
# Sources run through tsx (a runtime dependency): no build step.

FROM node:24-bookworm-slim
ENV NODE_ENV=production \
    COMFYUI_URL=http://127.0.0.1:8188
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY bin ./bin
COPY cli ./cli
COPY protocol ./protocol
COPY kit ./kit
COPY worker ./worker
USER node
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=5 \
  CMD ["node", "-e", "fetch(process.env.COMFYUI_URL+'/system_stats').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "bin/comfyume.js", "worker"]
