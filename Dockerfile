# syntax=docker/dockerfile:1
# Baton: one image for both production processes (the compose file picks `worker` or `api`).
# TypeScript runs through tsx (a regular dependency), so there is no build step. DATABASE_URL and
# TEMPORAL_ADDRESS must be set: without them Baton would try to start embedded servers.
FROM node:24-bookworm-slim

ENV NODE_ENV=production \
    NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false \
    SCARF_ANALYTICS=false

WORKDIR /app

# Dependencies first, so the layer is reused while only sources change. Everything Baton runs,
# tsx included, is in `dependencies`; dev dependencies (vitest, typescript, drizzle-kit) are
# needed only for tests and for generating migrations.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force

# Sources stay root-owned and read-only for the process; it writes only to /tmp (tsx cache).
COPY . .

USER node

ENV BATON_API_HOST=0.0.0.0
EXPOSE 8080

# Node itself is PID 1 (no npx/npm in between, which would not pass SIGTERM on), so `docker stop`
# reaches Baton's own handler and it shuts down once, cleanly.
CMD ["node","--import","tsx","cli/main.ts","api"]
