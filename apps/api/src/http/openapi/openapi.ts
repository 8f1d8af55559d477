import { HTTP_CODE_METADATA, METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import { RequestMethod, type Type } from '@nestjs/common';
import { z } from 'zod';
import { permissionMetadataKey, permissionRoles, publicMetadataKey, type Permission } from '../auth/permissions.js';
import { endpointDocKey, type EndpointDoc } from '../common/endpoint.js';
import { problemContentType } from '../common/problem.js';
import { bodySchemaKey, paramSchemaKey, querySchemaKey } from '../common/validation.js';

/**
 * The OpenAPI 3.1 document, generated from the controllers: their routes, permissions and the
 * very zod schemas their validation decorators use. A route cannot be served without being
 * described, and a described field cannot differ from the validated one.
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
      const path = openApiPath(base, String(Reflect.getMetadata(PATH_METADATA, handler) ?? ''));
      paths[path] = { ...paths[path], [method]: operation(controller, key, handler, method) };
    }
  }
  return {
    openapi: '3.1.0',
    info,
    servers: [{ url: '/' }],
    security: [{ bearer: [] }],
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'An API key from LEDGER_API_KEYS (`key=role`).' } },
      schemas: { Problem: problemSchema },
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
  const content = doc.content === undefined ? { 'application/json': { schema: {} } } : Object.fromEntries(Object.entries(doc.content).map(([type, schema]) => [type, { schema }]));
  const headers = doc.headers === undefined ? {} : { headers: Object.fromEntries(Object.entries(doc.headers).map(([name, text]) => [name, { description: text, schema: { type: 'string' } }])) };
  const responses: Record<string, unknown> = { [status]: { description: 'success', ...headers, content } };
  for (const [code, text] of Object.entries(doc.alsoAnswers ?? {})) responses[code] = { description: text, ...(bodiless(Number(code)) ? {} : { content }) };
  for (const code of errorCodes(method, isPublic, body !== undefined, query !== undefined || Object.keys(params).length > 0)) {
    responses[code] = { description: errorAnswers[code], content: { [problemContentType]: { schema: { $ref: '#/components/schemas/Problem' } } } };
  }
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
  return { required: true, content: Object.fromEntries(Object.entries(byType).map(([type, schema]) => [type, { schema: jsonSchema(schema) }])) };
}

function queryParameters(query: z.ZodType | undefined): JsonSchema[] {
  if (query === undefined) return [];
  const schema = jsonSchema(query);
  const properties = (schema['properties'] ?? {}) as Record<string, JsonSchema>;
  const required = new Set((schema['required'] ?? []) as string[]);
  return Object.entries(properties).map(([name, property]) => ({ name, in: 'query', required: required.has(name), schema: property, ...(typeof property['description'] === 'string' ? { description: property['description'] } : {}) }));
}

function parameter(name: string, location: 'path' | 'query', schema: z.ZodType, required: boolean): JsonSchema {
  return { name, in: location, required, schema: jsonSchema(schema) };
}

/** The schema as a client sends it (input side: before defaults and transforms). */
function jsonSchema(schema: z.ZodType): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' }) as JsonSchema;
  return rest;
}

function openApiPath(base: string, path: string): string {
  const joined = `/${[base, path].map((part) => part.replace(/^\/+|\/+$/g, '')).filter((part) => part !== '').join('/')}`;
  return joined.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

const problemSchema = {
  type: 'object',
  description: 'RFC 9457 problem details',
  required: ['type', 'title', 'status', 'detail'],
  properties: {
    type: { type: 'string', format: 'uri' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    errors: {
      type: 'array',
      description: 'For invalid input: `{path, message}` per field. For a refused usage batch: `{index, readingId, message}` per record.',
      items: { type: 'object' },
    },
  },
};
