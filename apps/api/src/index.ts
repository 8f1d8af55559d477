/**
 * The API application's public surface: the HTTP server and the `ledger` command, for the
 * process entry points and for the end-to-end tests that start them.
 */
export { openLedgerAt, openStore, type LedgerAtOptions } from './composition/open-store.js';
export { createApiApp, startApiServer, type ApiServer, type ApiServerOptions } from './http/server.js';
export { ApiModule, apiControllers } from './http/app.module.js';
export { ApiKeys, loadOrCreateAdminKey, adminKeyFile, staffRoles, type Caller, type Role } from './http/auth/api-keys.js';
export { permissionRoles, permissionMetadataKey, publicMetadataKey, type Permission } from './http/auth/permissions.js';
export { createLogger } from './http/observability/logger.js';
export { connectionLimits, requestBodyBytesMax, type ConnectionLimits } from './http/limits.js';
export { LedgerCommandsService } from './http/ledger-commands.service.js';
export { LedgerReadsService } from './http/ledger-reads.service.js';
export { reportByName, reportNames, monthReports, type ReportName } from './shared/report-names.js';
export { readConfig, ConfigError, type LedgerConfig } from './config.js';
export { runCli, ledgerVersion } from './cli/main.js';
export { seedDemo, demoHorizon, demoStoryBegins, DemoStoreNotEmptyError, type DemoSummary } from './cli/demo/seed.js';
export { StoryClock, type StoryClockHand } from './cli/demo/story-clock.js';
export { exitOk, exitRefused, exitMisuse, exitInvariant } from './cli/errors.js';
export { Webhooks, defaultWebhookLimits, webhookTypeOf, type WebhookLimits, type WebhooksOptions } from './webhooks/webhooks.js';
export { WebhookUrlPolicy, parseWebhookAllowList, isPublicAddress, WebhookUrlRefusedError, type Resolve } from './webhooks/url-policy.js';
