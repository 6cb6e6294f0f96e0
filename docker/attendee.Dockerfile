# syntax=docker/dockerfile:1
# One attendee: stock ComfyUI (CPU only) on 127.0.0.1:18188, our custom node (status banner, job
# tracker), and the sidecar on :8188 in front of it, under tini. Built on the organiser's machine.

# The custom node (from extensions/) and the sidecar's one-file build (dist/sidecar/, which
# bin/comfyume.js runs: ~30 MB less RSS than its TypeScript sources through tsx) are built here,
# so the image never depends on a stale dist/.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npx vite build --logLevel warn \
 && npx vite build --logLevel warn --config cli/sidecar.vite.config.ts

FROM node:24-bookworm-slim AS sidecar
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY bin ./bin
COPY cli ./cli
COPY protocol ./protocol
COPY kit ./kit
COPY sidecar ./sidecar
# Built later than its sources' file times (COPY keeps them), so bin/sidecar-start.js runs it.
COPY --from=build /app/dist/sidecar ./dist/sidecar

FROM python:3.12-slim-bookworm
# ComfyUI has no PyPI release of the server itself: its source comes from the pinned release tag,
# its Python requirements from PyPI, and CPU-only torch wheels from PyTorch's CPU index (the
# default PyPI torch wheels pull in gigabytes of CUDA libraries an attendee never uses).
ARG COMFYUI_VERSION=v0.27.0
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
ENV PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    NODE_ENV=production \
    COMFYUI_DIR=/opt/ComfyUI \
    COMFYUI_URL=http://127.0.0.1:18188 \
    SIDECAR_LISTEN=0.0.0.0:8188 \
    COMFYUI_OUTPUT_DIR=/data/comfyui/output \
    COMFYUI_TEMP_DIR=/data/comfyui/temp \
    COMFYUI_INPUT_DIR=/data/comfyui/input \
    SIDECAR_STATE_DIR=/data/sidecar

RUN apt-get update \
 && apt-get install -y --no-install-recommends tini=0.19.* ca-certificates curl libgl1 libglib2.0-0 \
 && rm -rf /var/lib/apt/lists/*

# Node 24 for the sidecar, copied from the official image rather than a curl|bash installer.
COPY --from=node:24-bookworm-slim /usr/local/bin/node /usr/local/bin/node

WORKDIR /opt
RUN curl -fsSL "https://github.com/comfyanonymous/ComfyUI/archive/refs/tags/${COMFYUI_VERSION}.tar.gz" -o comfyui.tar.gz \
 && mkdir ComfyUI && tar -xzf comfyui.tar.gz -C ComfyUI --strip-components=1 && rm comfyui.tar.gz \
 && pip install --index-url "${TORCH_INDEX_URL}" torch torchvision torchaudio \
 && pip install -r ComfyUI/requirements.txt

COPY --from=build /app/dist/comfyume-extension /opt/ComfyUI/custom_nodes/comfyume
COPY --from=sidecar /app /app
COPY docker/attendee-start.sh /usr/local/bin/attendee-start

RUN useradd --create-home --uid 10001 comfy \
 && mkdir -p /data/comfyui/output /data/comfyui/temp /data/comfyui/input /data/sidecar \
 && chown -R comfy:comfy /data /opt/ComfyUI \
 && chmod 0755 /usr/local/bin/attendee-start
USER comfy
VOLUME ["/data"]
EXPOSE 8188
HEALTHCHECK --interval=15s --timeout=5s --start-period=120s --retries=5 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8188/system_stats').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["/usr/local/bin/attendee-start"]
