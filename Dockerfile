# syntax=docker/dockerfile:1
# Baton: one image for both production processes (the compose file picks `worker` or `api`).
# Stage 1 compiles the TypeScript and builds the workflow bundle (npm run build → dist/); stage 2
# holds only the production dependencies and dist/. DATABASE_URL and TEMPORAL_ADDRESS must be
# set: without them Baton would try to start embedded servers.

FROM node:24-bookworm-slim AS build
ENV NPM_CONFIG_UPDATE_NOTIFIER=false NPM_CONFIG_FUND=false NPM_CONFIG_AUDIT=false SCARF_ANALYTICS=false
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY . .
RUN npm run build

FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production \
    NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false \
    SCARF_ANALYTICS=false
WORKDIR /app

# Dependencies first, so the layer is reused while only sources change; dev dependencies (vitest,
# typescript, drizzle-kit) stay in the build stage.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force

# The compiled code, the files it reads (migrations, console stylesheet, example scenarios) and
# the prebuilt workflow bundle, which the worker loads instead of bundling at start. Root-owned,
# read-only for the process.
COPY --from=build /app/dist ./dist

USER node

ENV BATON_API_HOST=0.0.0.0
# 8080: the API; 8081: a worker's /healthz and /metrics (BATON_WORKER_PORT).
EXPOSE 8080 8081

# Node itself is PID 1's child under compose's init (no npx/npm in between, which would not pass
# SIGTERM on), so `docker stop` reaches Baton's own handler and it shuts down once, cleanly.
CMD ["node","--enable-source-maps","dist/cli/main.js","api"]
