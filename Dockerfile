# One image per service: docker build --build-arg APP=<service> -t notification-manager-<service> .
# APP is a directory of apps/: ingest, silencer, router, aggregator, config-sync, sender-webhook,
# sender-email, sender-slack, sender-wechat, sender-dingtalk, sender-feishu, sender-sms,
# sender-pushover, sender-discord, sender-telegram,
# sender-teams, sender-pagerduty, sender-opsgenie, sender-googlechat,
# event-exporter, standalone, nmctl.
# The service reads its settings from the environment (docs/configuration.md); NM_SECRET_KEY has
# no default and the service refuses to start without it.
ARG NODE_IMAGE=node:20-bookworm-slim

# 1. The app and the workspace packages it depends on, nothing else (turbo prune).
FROM ${NODE_IMAGE} AS prune
ARG APP=standalone
WORKDIR /repo
COPY . .
RUN test -d "apps/${APP}" || { echo "APP=${APP}: no such app; one of: $(ls apps | tr '\n' ' ')" >&2; exit 1; } \
 && npm install --global --no-audit --no-fund "turbo@$(node -p "require('./package-lock.json').packages['node_modules/turbo'].version")" \
 && turbo prune "$(node -p "require('./apps/${APP}/package.json').name")" --docker --out-dir /out

# 2. Install from the pruned lockfile, build, then keep production dependencies only.
FROM ${NODE_IMAGE} AS build
ARG APP=standalone
WORKDIR /repo
COPY --from=prune /out/json/ ./
RUN npm ci --no-audit --no-fund
COPY --from=prune /out/full/ ./
COPY --from=prune /repo/tsconfig.base.json ./
RUN npx turbo run build --filter="$(node -p "require('./apps/${APP}/package.json').name")..." \
 && npm prune --omit=dev --no-audit --no-fund \
 && find apps packages -mindepth 2 -maxdepth 2 \( -name src -o -name test -o -name 'tsconfig*.json' -o -name 'jest.config.js' \) -exec rm -rf {} + \
 && if [ -f "apps/${APP}/dist/main.js" ]; then ln -s "apps/${APP}/dist/main.js" main.js; \
    elif [ -f "apps/${APP}/bin/${APP}.js" ]; then ln -s "apps/${APP}/bin/${APP}.js" main.js; \
    else echo "APP=${APP}: neither apps/${APP}/dist/main.js nor apps/${APP}/bin/${APP}.js was built" >&2; exit 1; fi

# 3. Runtime: node, the built app, production node_modules; runs as the unprivileged user node.
FROM ${NODE_IMAGE}
ARG APP=standalone
ENV NODE_ENV=production APP=${APP}
WORKDIR /app
COPY --from=build /repo/ ./
USER node
EXPOSE 19093 8080
# garbage collection on the service's own thread: less CPU per alert (docs/performance.md); the
# chart's nodeArgs and docker-compose pass the same, and replace this line's options when set
ENTRYPOINT ["node", "--single-threaded-gc", "/app/main.js"]
