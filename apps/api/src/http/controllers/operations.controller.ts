import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Controller, Get, Header, Inject, NotFoundException, Param, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { HealthAnswer, OpenApiDocumentAnswer } from '@compute-ledger/contracts';
import { Public } from '../auth/permissions.js';
import { Doc } from '../common/endpoint.js';
import { Metrics, metricsContentType } from '../observability/metrics.js';
import { Ledger } from '@compute-ledger/ledger';
import { DemoMark } from '../../shared/demo-store.js';

export const openApiDocumentToken = Symbol('OpenApiDocument');

/** Files of swagger-ui-dist the docs page loads; nothing else of the package is served. */
const docsAssets: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'swagger-ui-standalone-preset.js': 'text/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
};

const docsPage = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>compute-ledger API</title>
  <link rel="stylesheet" href="/docs/swagger-ui.css">
  <link rel="icon" type="image/png" href="/docs/favicon-32x32.png">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/swagger-ui-bundle.js"></script>
  <script src="/docs/swagger-ui-standalone-preset.js"></script>
  <script src="/docs/init.js"></script>
</body>
</html>
`;

const docsInit = `window.ui = SwaggerUIBundle({
  url: '/v1/openapi.json',
  dom_id: '#swagger-ui',
  deepLinking: true,
  persistAuthorization: false,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
  layout: 'StandaloneLayout',
});
`;

/** Health, metrics and the API's description: public, with no ledger data in them. */
@Controller()
export class OperationsController {
  private readonly assetCache = new Map<string, Buffer>();

  constructor(
    @Inject(Ledger) private readonly ledger: Ledger,
    @Inject(Metrics) private readonly metrics: Metrics,
    @Inject(openApiDocumentToken) private readonly openApi: object,
    @Inject(DemoMark) private readonly demoMark: DemoMark,
  ) {}

  @Get('healthz') @Public() @Doc({ summary: 'Liveness and how far the model has read the log', answer: HealthAnswer, tags: ['operations'] })
  async health(): Promise<HealthAnswer> {
    const headPosition = await this.ledger.store.headPosition();
    return { status: 'ok', headPosition, modelPosition: this.ledger.runner.model.position, demo: await this.demoMark.isDemo() };
  }

  @Get('metrics') @Public() @Header('content-type', metricsContentType) @Doc({ summary: 'Prometheus metrics', tags: ['operations'], content: { 'text/plain': { type: 'string', description: 'Prometheus text exposition format 0.0.4' } } })
  metricsText() {
    return this.metrics.text();
  }

  @Get('v1/openapi.json') @Public() @Doc({ summary: 'This document (OpenAPI 3.1)', answer: OpenApiDocumentAnswer, tags: ['operations'] })
  openApiDocument() {
    return this.openApi;
  }

  @Get('docs') @Public() @Header('content-type', 'text/html; charset=utf-8') @Doc({ summary: 'Interactive API documentation', tags: ['operations'], content: { 'text/html': { type: 'string' } } })
  docs() {
    return docsPage;
  }

  @Get('docs/init.js') @Public() @Header('content-type', 'text/javascript; charset=utf-8') @Doc({ summary: 'Start-up script of the documentation page', tags: ['operations'], internal: true })
  docsInit() {
    return docsInit;
  }

  @Get('docs/:asset') @Public() @Doc({ summary: 'Files of the documentation page', tags: ['operations'], internal: true })
  docsAsset(@Param('asset') asset: string, @Res({ passthrough: true }) reply: FastifyReply) {
    const type = Object.hasOwn(docsAssets, asset) ? docsAssets[asset] : undefined;
    if (type === undefined) throw new NotFoundException(`no file ${asset}`);
    void reply.header('content-type', type).header('cache-control', 'public, max-age=86400');
    return this.asset(asset);
  }

  private asset(name: string): Buffer {
    const cached = this.assetCache.get(name);
    if (cached !== undefined) return cached;
    const directory = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
    const content = readFileSync(join(directory, name));
    this.assetCache.set(name, content);
    return content;
  }
}
