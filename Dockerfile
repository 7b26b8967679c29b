# One image for every service; pick the service with APP (ingest, silencer, router, aggregator,
# sender-webhook, config-sync, standalone, nmctl).
FROM node:20-bookworm-slim AS build
WORKDIR /repo
COPY package.json package-lock.json turbo.json tsconfig.base.json jest.config.base.js eslint.config.js ./
COPY packages ./packages
COPY apps ./apps
COPY e2e/package.json ./e2e/package.json
RUN npm ci --no-audit --no-fund && npx turbo run build --filter='./apps/*' && npm prune --omit=dev

FROM node:20-bookworm-slim
ARG APP=standalone
ENV APP=${APP} NODE_ENV=production
WORKDIR /repo
COPY --from=build /repo/node_modules ./node_modules
COPY --from=build /repo/packages ./packages
COPY --from=build /repo/apps ./apps
COPY --from=build /repo/package.json ./package.json
USER node
EXPOSE 19093 8080
CMD ["sh", "-c", "exec node apps/$APP/dist/main.js"]
