import { HTTP_CODE_METADATA, METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import { RequestMethod, type Type } from '@nestjs/common';
import { answerSchemas } from '@compute-ledger/contracts';
import { z } from 'zod';
import { permissionMetadataKey, permissionRoles, publicMetadataKey, type Permission } from '../auth/permissions.js';
import { endpointDocKey, type EndpointDoc } from '../common/endpoint.js';
import { problemContentType } from '../common/problem.js';
import { bodySchemaKey, paramSchemaKey, querySchemaKey } from '../common/validation.js';

/**
 * The OpenAPI 3.1 document, generated from the controllers: their routes, permissions, the very
 * zod schemas their validation decorators use, and the answer schemas of
 * @compute-ledger/contracts for every answer, success and problem alike. A route cannot be
 * served without being described (but for the docs page's own assets), and a described field
 * cannot differ from the validated one.
 */

type JsonSchema = Record<string, unknown>;

const methodNames: Partial<Record<RequestMethod, string>> = {
  [RequestMethod.GET]: 'get',
  [RequestMethod.POST]: 'post',
  [RequestMethod.PUT]: 'put',
  [RequestMethod.PATCH]: 'patch',
  [RequestMethod.DELETE]: 'delete',
};

const errorAnswers: Record<number, string> = {
  400: 'malformed JSON or input that breaks the schema; `errors` names each field',
  401: 'no API key, or an unknown one',
  403: 'the key’s role may not do this',
  404: 'not found (for a tenant key: also another tenant’s resource)',
  409: 'an id reused with other content, a concurrent change that lost, a billing run out of order',
  413: 'a body over 16 MiB, or a usage batch over 10,000 records',
  422: 'a business rule refused the request; nothing was recorded',
};

/** What each tag groups, for the document's reader. */
const tagDescriptions: Record<string, string> = {
  contracts: 'Tenants and leases: what was signed',
  capacity: 'Sites, allocations and outages: what backs the leases',
  metering: 'Usage readings and their corrections',
  billing: 'Billing runs, invoices, credit notes and payments',
  reports: 'Revenue, MRR, backlog, balances and reconciliation, for (asOf or month, knownAt)',
  audit: 'The event log itself and its hash chain',
  operations: 'Health, metrics and this description',
};

/** Every other refusal of the HTTP layer (415, 414, 431, 503, ...): problem details too. */
const otherErrorsAnswer = 'any other refusal (unsupported media type 415, URI too long 414, headers too large 431, stopping 503, ...), as problem details';

/** The component name of each answer schema, to refer to it. */
const answerNames = new Map<z.ZodType, string>(Object.entries(answerSchemas).map(([name, schema]) => [schema as z.ZodType, name]));

function answerRef(schema: z.ZodType, where: string): JsonSchema {
  const name = answerNames.get(schema);
  if (name === undefined) throw new Error(`${where} answers a schema that is not one of the contracts' answerSchemas`);
  return { $ref: `#/components/schemas/${name}` };
}

const problemContent = { [problemContentType]: { schema: { $ref: '#/components/schemas/Problem' } } };

export interface OpenApiInfo {
  title: string;
  version: string;
  description: string;
}

export function buildOpenApiDocument(controllers: readonly Type[], info: OpenApiInfo): JsonSchema {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const controller of controllers) {
    const base = String(Reflect.getMetadata(PATH_METADATA, controller) ?? '');
    for (const key of Object.getOwnPropertyNames(controller.prototype)) {
      const handler = (controller.prototype as Record<string, unknown>)[key];
      if (key === 'constructor' || typeof handler !== 'function') continue;
      const methodCode = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
      const method = methodCode === undefined ? undefined : methodNames[methodCode];
      if (method === undefined) continue;
      if ((Reflect.getMetadata(endpointDocKey, handler) as EndpointDoc | undefined)?.internal === true) continue;
      const path = openApiPath(base, String(Reflect.getMetadata(PATH_METADATA, handler) ?? ''));
      paths[path] = { ...paths[path], [method]: operation(controller, key, handler, method) };
    }
  }
  const tags = [...new Set(Object.values(paths).flatMap((operations) => Object.values(operations).flatMap((operation) => (operation as { tags: string[] }).tags)))].sort();
  return {
    openapi: '3.1.0',
    info: { ...info, license: { name: 'Apache-2.0', identifier: 'Apache-2.0' } },
    servers: [{ url: '/' }],
    security: [{ bearer: [] }],
    tags: tags.map((name) => ({ name, ...(tagDescriptions[name] === undefined ? {} : { description: tagDescriptions[name] }) })),
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'An API key from LEDGER_API_KEYS (`key=role`).' } },
      schemas: Object.fromEntries(Object.entries(answerSchemas).map(([name, schema]) => [name, jsonSchema(schema, 'output')])),
    },
    paths: Object.fromEntries(Object.entries(paths).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
  };
}

function operation(controller: Type, key: string, handler: object, method: string): JsonSchema {
  const doc = (Reflect.getMetadata(endpointDocKey, handler) as EndpointDoc | undefined) ?? { summary: key };
  const isPublic = Reflect.getMetadata(publicMetadataKey, handler) === true;
  const permission = Reflect.getMetadata(permissionMetadataKey, handler) as Permission | undefined;
  const status = Number(Reflect.getMetadata(HTTP_CODE_METADATA, handler) ?? (method === 'post' ? 201 : 200));
  const body = Reflect.getMetadata(bodySchemaKey, controller.prototype, key) as z.ZodType | Record<string, z.ZodType> | undefined;
  const query = Reflect.getMetadata(querySchemaKey, controller.prototype, key) as z.ZodType | undefined;
  const params = (Reflect.getMetadata(paramSchemaKey, controller.prototype, key) as Record<string, z.ZodType> | undefined) ?? {};
  const roles = permission === undefined ? [] : ['admin', ...permissionRoles[permission].map((role) => (role === 'tenant' ? 'tenant:<tenantId> (its own only)' : role))];
  const description = [doc.description, isPublic ? 'No API key needed.' : `Roles: ${roles.join(', ')}.`].filter((part) => part !== undefined).join('\n\n');
  const where = `${controller.name}.${key}`;
  if ((doc.answer === undefined) === (doc.content === undefined)) throw new Error(`${where} must declare either its answer schema or its content`);
  const content = doc.answer !== undefined ? { 'application/json': { schema: answerRef(doc.answer, where) } } : Object.fromEntries(Object.entries(doc.content ?? {}).map(([type, schema]) => [type, { schema }]));
  const headers = doc.headers === undefined ? {} : { headers: Object.fromEntries(Object.entries(doc.headers).map(([name, text]) => [name, { description: text, schema: { type: 'string' } }])) };
  const responses: Record<string, unknown> = { [status]: { description: 'success', ...headers, content } };
  for (const [code, text] of Object.entries(doc.alsoAnswers ?? {})) responses[code] = { description: text, ...(bodiless(Number(code)) ? {} : { content }) };
  for (const code of errorCodes(method, isPublic, body !== undefined, query !== undefined || Object.keys(params).length > 0)) {
    responses[code] = { description: errorAnswers[code], content: problemContent };
  }
  responses['default'] = { description: otherErrorsAnswer, content: problemContent };
  return {
    operationId: `${controller.name.replace(/Controller$/, '')}_${key}`,
    summary: doc.summary,
    description,
    tags: doc.tags ?? [],
    ...(isPublic ? { security: [] } : {}),
    parameters: [
      ...Object.entries(params).map(([name, schema]) => parameter(name, 'path', schema, true)),
      ...queryParameters(query),
      ...Object.entries(doc.requestHeaders ?? {}).map(([name, text]) => ({ name, in: 'header', required: false, description: text, schema: { type: 'string' } })),
    ],
    ...(body === undefined ? {} : { requestBody: requestBody(body) }),
    responses,
  };
}

function errorCodes(method: string, isPublic: boolean, hasBody: boolean, hasInput: boolean): number[] {
  const codes: number[] = [];
  if (hasBody || hasInput) codes.push(400);
  if (!isPublic) codes.push(401, 403);
  if (hasInput || method === 'post') codes.push(404);
  if (method === 'post' || method === 'put') codes.push(409, 413);
  if (method === 'post') codes.push(422);
  return codes;
}

/** Answers that never carry a body (RFC 9110): 204 and 304. */
function bodiless(status: number): boolean {
  return status === 204 || status === 304;
}

function requestBody(body: z.ZodType | Record<string, z.ZodType>): JsonSchema {
  const byType = body instanceof z.ZodType ? { 'application/json': body } : body;
  return { required: true, content: Object.fromEntries(Object.entries(byType).map(([type, schema]) => [type, { schema: jsonSchema(schema, 'input') }])) };
}

function queryParameters(query: z.ZodType | undefined): JsonSchema[] {
  if (query === undefined) return [];
  const schema = jsonSchema(query, 'input');
  const properties = (schema['properties'] ?? {}) as Record<string, JsonSchema>;
  const required = new Set((schema['required'] ?? []) as string[]);
  return Object.entries(properties).map(([name, property]) => ({ name, in: 'query', required: required.has(name), schema: property, ...(typeof property['description'] === 'string' ? { description: property['description'] } : {}) }));
}

function parameter(name: string, location: 'path' | 'query', schema: z.ZodType, required: boolean): JsonSchema {
  return { name, in: location, required, schema: jsonSchema(schema, 'input') };
}

/** A request schema as a client sends it (`input`: before defaults and transforms); an answer schema as it is sent (`output`). */
function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as JsonSchema;
  return rest;
}

function openApiPath(base: string, path: string): string {
  const joined = `/${[base, path].map((part) => part.replace(/^\/+|\/+$/g, '')).filter((part) => part !== '').join('/')}`;
  return joined.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}
