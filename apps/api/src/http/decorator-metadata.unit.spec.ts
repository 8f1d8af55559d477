import 'reflect-metadata';
import { describe, expect, it } from 'vitest';
import { issuerFromEnv } from '@compute-ledger/documents';
import { Ledger } from '@compute-ledger/ledger';
import { InvoiceDocuments } from '../shared/invoice-documents.js';
import { ApiModule, apiControllers } from './app.module.js';
import { ApiKeys } from './auth/api-keys.js';
import { AuthGuard } from './auth/auth.guard.js';
import { InvoiceDocumentsService } from './invoice-documents.service.js';
import { LedgerCommandsService } from './ledger-commands.service.js';
import { LedgerReadsService } from './ledger-reads.service.js';
import { Metrics } from './observability/metrics.js';
import { Reflector } from '@nestjs/core';

/**
 * Nest's constructor injection reads `design:paramtypes`, which only a compiler that honours
 * emitDecoratorMetadata writes. Without it injection silently yields undefined and the API fails
 * at request time, not at boot. The providers here also name their tokens with @Inject, so they
 * do not depend on it; this guard keeps the metadata present under vitest (oxc) all the same,
 * and checks that every injected parameter has a token one way or the other.
 */

const providers = [LedgerCommandsService, LedgerReadsService, InvoiceDocumentsService, AuthGuard];

describe('decorator metadata under vitest', () => {
  it('emits design:paramtypes with the real classes', () => {
    expect(Reflect.getMetadata('design:paramtypes', LedgerCommandsService)).toEqual([Ledger]);
    expect(Reflect.getMetadata('design:paramtypes', LedgerReadsService)).toEqual([Ledger]);
    expect(Reflect.getMetadata('design:paramtypes', InvoiceDocumentsService)).toEqual([LedgerReadsService, InvoiceDocuments]);
    expect(Reflect.getMetadata('design:paramtypes', AuthGuard)).toEqual([Reflector, ApiKeys]);
  });

  it('gives every constructor parameter of every controller and provider a token', () => {
    for (const type of [...apiControllers, ...providers]) {
      const paramTypes = (Reflect.getMetadata('design:paramtypes', type) ?? []) as unknown[];
      const declared = (Reflect.getMetadata('self:paramtypes', type) ?? []) as { index: number; param: unknown }[];
      expect(paramTypes.length, `${type.name} has design:paramtypes`).toBe(type.length);
      for (let index = 0; index < type.length; index += 1) {
        const token = declared.find((entry) => entry.index === index)?.param ?? paramTypes[index];
        expect(token, `${type.name} parameter ${index}`).toBeDefined();
        expect(token, `${type.name} parameter ${index}`).not.toBe(Object);
      }
    }
  });

  it('registers the module with the ledger, the keys and the metrics as providers', () => {
    const module = ApiModule.register({ ledger: {} as Ledger, apiKeys: ApiKeys.of([]), metrics: {} as Metrics, issuer: issuerFromEnv({}), version: 'test' });
    const tokens = (module.providers ?? []).map((provider) => ('provide' in provider ? provider.provide : provider));
    expect(tokens).toEqual(expect.arrayContaining([Ledger, ApiKeys, Metrics, InvoiceDocuments, LedgerCommandsService, LedgerReadsService, InvoiceDocumentsService]));
  });
});
