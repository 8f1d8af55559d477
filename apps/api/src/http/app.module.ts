import { Module, type DynamicModule, type Type } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import type { Issuer } from '@compute-ledger/documents';
import { Ledger } from '@compute-ledger/ledger';
import { InvoiceDocuments } from '../shared/invoice-documents.js';
import { ApiKeys } from './auth/api-keys.js';
import { AuthGuard } from './auth/auth.guard.js';
import { AnswerInterceptor } from './common/answer.js';
import { ProblemFilter } from './common/problem.filter.js';
import { AuditController } from './controllers/audit.controller.js';
import { BillingController } from './controllers/billing.controller.js';
import { ContractsController } from './controllers/contracts.controller.js';
import { DraftsController } from './controllers/drafts.controller.js';
import { MeteringController } from './controllers/metering.controller.js';
import { OperationsController, openApiDocumentToken } from './controllers/operations.controller.js';
import { PeriodsController } from './controllers/periods.controller.js';
import { ReportsController } from './controllers/reports.controller.js';
import { WebhooksController } from './controllers/webhooks.controller.js';
import { webhooksToken, type Webhooks } from '../webhooks/webhooks.js';
import { InvoiceDocumentsService } from './invoice-documents.service.js';
import { LedgerCommandsService } from './ledger-commands.service.js';
import { LedgerReadsService } from './ledger-reads.service.js';
import { DemoMark } from '../shared/demo-store.js';
import { Metrics } from './observability/metrics.js';
import { buildOpenApiDocument } from './openapi/openapi.js';

export const apiControllers: readonly Type[] = [ContractsController, MeteringController, BillingController, DraftsController, ReportsController, PeriodsController, AuditController, OperationsController, WebhooksController];

export interface ApiModuleOptions {
  ledger: Ledger;
  apiKeys: ApiKeys;
  metrics: Metrics;
  /** Printed on every document; read once when the process starts (config.ts readIssuer). */
  issuer: Issuer;
  version: string;
  /** Null: the webhook endpoints answer 503 (a server without a data directory for them). */
  webhooks?: Webhooks | null;
}

/** The HTTP API as one module: the ledger and the keys come in, everything else is wired here. */
@Module({})
export class ApiModule {
  static register(options: ApiModuleOptions): DynamicModule {
    const openApi = buildOpenApiDocument(apiControllers, {
      title: 'compute-ledger',
      version: options.version,
      description: 'Event-sourced contract and billing ledger for GPU clouds. Money, rates and GPU-hours are decimal strings; instants are ISO-8601 UTC.',
    });
    return {
      module: ApiModule,
      controllers: [...apiControllers],
      providers: [
        { provide: Ledger, useValue: options.ledger },
        { provide: ApiKeys, useValue: options.apiKeys },
        { provide: Metrics, useValue: options.metrics },
        { provide: webhooksToken, useValue: options.webhooks ?? null },
        { provide: openApiDocumentToken, useValue: openApi },
        { provide: InvoiceDocuments, useValue: new InvoiceDocuments(options.ledger, options.issuer) },
        { provide: DemoMark, useValue: new DemoMark(options.ledger.store) },
        LedgerCommandsService,
        LedgerReadsService,
        InvoiceDocumentsService,
        { provide: APP_GUARD, useClass: AuthGuard },
        { provide: APP_FILTER, useClass: ProblemFilter },
        { provide: APP_INTERCEPTOR, useClass: AnswerInterceptor },
      ],
    };
  }
}
