import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { answerSchemas } from '@compute-ledger/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkAnswer, startHarness, type ApiHarness } from './support/api-harness.js';

/**
 * The OpenAPI document as a client generator reads it: every answer of every operation has a
 * schema (success and problem details alike), no route of the service's own is listed, and a
 * real linter (Redocly CLI, its recommended rules) finds no error in it.
 */

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let api: ApiHarness;
let document: Json;

beforeAll(async () => {
  api = await startHarness('2025-10-20T12:00:00Z');
  document = (await api.get<Json>('/v1/openapi.json', null)).body;
});

afterAll(async () => {
  await api.close();
});

const operations = () =>
  Object.entries(document.paths as Record<string, Json>).flatMap(([path, methods]) => Object.entries(methods).map(([method, operation]) => ({ path, method, operation: operation as Json })));

describe('the OpenAPI document', () => {
  it('gives every answer of every operation a schema, success and problem details alike', () => {
    expect(operations().length).toBeGreaterThan(30);
    for (const { path, method, operation } of operations()) {
      for (const [status, answer] of Object.entries(operation.responses as Record<string, Json>)) {
        const where = `${method.toUpperCase()} ${path} ${status}`;
        if (status === '304') continue;
        const content = Object.entries(answer.content as Record<string, Json>);
        expect(content.length, where).toBeGreaterThan(0);
        for (const [type, media] of content) {
          expect(media.schema, `${where} ${type}`).toBeDefined();
          expect(Object.keys(media.schema), `${where} ${type}`).not.toHaveLength(0);
          if (type === 'application/json' || type === 'application/problem+json') expect(media.schema.$ref, `${where} ${type}`).toMatch(/^#\/components\/schemas\//);
          if (status.startsWith('4') || status === 'default') expect(media.schema.$ref, where).toBe('#/components/schemas/Problem');
        }
      }
      expect(operation.responses.default, `${method} ${path}`).toBeDefined();
    }
  });

  it('names each answer schema as the contracts do, generated from the same zod schemas', () => {
    expect(Object.keys(document.components.schemas).sort()).toEqual(Object.keys(answerSchemas).sort());
    const refs = new Set(JSON.stringify(document.paths).match(/#\/components\/schemas\/[A-Za-z]+/g));
    for (const ref of refs) expect(Object.keys(answerSchemas)).toContain(ref.slice('#/components/schemas/'.length));
    const lease = document.components.schemas.Lease as Json;
    expect(lease.required).toEqual(expect.arrayContaining(['leaseId', 'status', 'commitment', 'termination']));
    expect(lease.additionalProperties).toBe(false);
    expect(document.paths['/v1/credit-notes'].post.responses['201'].content['application/json'].schema.$ref).toBe('#/components/schemas/InvoiceDocument');
    expect(document.paths['/v1/usage'].post.responses['409'].content['application/problem+json'].schema.$ref).toBe('#/components/schemas/Problem');
  });

  it('is what the e2e harness checks every answer against: a shape off its contract fails the request', async () => {
    const answer = (status: number, type: string) => new Response(null, { status, headers: { 'content-type': type } });
    const health = (await api.get<Json>('/healthz', null)).body;
    expect(() => checkAnswer(document as never, 'GET', '/healthz', answer(200, 'application/json'), health, '')).not.toThrow();
    expect(() => checkAnswer(document as never, 'GET', '/healthz', answer(200, 'application/json'), { ...health, extra: 1 }, '')).toThrow(/breaks its contract/);
    expect(() => checkAnswer(document as never, 'GET', '/v1/leases/L-1', answer(200, 'application/json'), { leaseId: 'L-1' }, '')).toThrow(/\(Lease\).*breaks its contract/);
    expect(() => checkAnswer(document as never, 'GET', '/v1/leases/L-1', answer(200, 'text/plain'), 'x', '')).toThrow(/media type/);
    expect(() => checkAnswer(document as never, 'GET', '/v1/leases/L-1', answer(404, 'application/problem+json'), { status: 404 }, '')).toThrow(/\(Problem\)/);
    expect(() => checkAnswer(document as never, 'GET', '/v1/no-such-route', answer(200, 'application/json'), {}, '')).toThrow(/no such operation/);
  });

  it('lists no route of the service’s own: the docs page’s script and assets are not API', () => {
    expect(Object.keys(document.paths).filter((path) => path.startsWith('/docs/'))).toEqual([]);
    expect(document.paths['/docs']).toBeDefined();
  });

  it('passes Redocly CLI’s lint (recommended rules) with no error, offline', () => {
    const directory = mkdtempSync(join(tmpdir(), 'ledger-openapi-'));
    try {
      writeFileSync(join(directory, 'openapi.json'), JSON.stringify(document, null, 2));
      // Telemetry off in the configuration and in the environment; no update check either.
      writeFileSync(join(directory, 'redocly.yaml'), 'extends:\n  - recommended\ntelemetry: off\n');
      const cli = join(dirname(createRequire(import.meta.url).resolve('@redocly/cli/package.json')), 'bin', 'cli.js');
      const lint = spawnSync(process.execPath, [cli, 'lint', 'openapi.json', '--config', 'redocly.yaml', '--format', 'json'], {
        cwd: directory,
        encoding: 'utf8',
        timeout: 60_000,
        env: { PATH: process.env['PATH'] ?? '', HOME: directory, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', REDOCLY_SUPPRESS_NOTIFICATIONS: 'true', DO_NOT_TRACK: '1', CI: 'true' },
      });
      const report = JSON.parse(lint.stdout) as { totals: { errors: number; warnings: number }; problems: { ruleId: string; severity: string; message: string; location: { pointer: string }[] }[] };
      const errors = report.problems.filter((problem) => problem.severity === 'error').map((problem) => `${problem.ruleId} at ${problem.location[0]?.pointer}: ${problem.message}`);
      expect(errors).toEqual([]);
      expect(report.totals.errors).toBe(0);
      expect(lint.status, lint.stderr).toBe(0);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  }, 90_000);
});
