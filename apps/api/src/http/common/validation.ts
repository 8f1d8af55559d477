import { Body, Param, Query, createParamDecorator, type ArgumentMetadata, type ExecutionContext, type PipeTransform } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { parseInput, type ParseOptions } from '../../shared/parse-input.js';

/**
 * The validation pipe of the API: bodies, queries and path parameters go through `parseInput`
 * (shared/parse-input.ts) with a schema of @compute-ledger/contracts. The decorators below also
 * record the schema on the handler, so the OpenAPI document is generated from the very schemas
 * that validate.
 */

export const bodySchemaKey = 'compute-ledger:body-schema';
export const querySchemaKey = 'compute-ledger:query-schema';
export const paramSchemaKey = 'compute-ledger:param-schemas';

export class ZodValidationPipe<S extends z.ZodType> implements PipeTransform<unknown, z.output<S>> {
  constructor(
    private readonly schema: S,
    private readonly options: ParseOptions = {},
  ) {}

  transform(value: unknown, metadata: ArgumentMetadata): z.output<S> {
    const prefix = this.options.prefix ?? (metadata.type === 'param' ? metadata.data : metadata.type === 'query' ? 'query' : undefined);
    return parseInput(this.schema, value, { ...this.options, ...(prefix === undefined ? {} : { prefix }) });
  }
}

/** The body, validated by `schema`. */
export function ValidBody(schema: z.ZodType, options: ParseOptions = {}): ParameterDecorator {
  return (target, key, index) => {
    if (key !== undefined) Reflect.defineMetadata(bodySchemaKey, schema, target, key);
    Body(new ZodValidationPipe(schema, options))(target, key, index);
  };
}

/** All query parameters, validated by `schema` (unknown parameters are refused). */
export function ValidQuery(schema: z.ZodType): ParameterDecorator {
  return (target, key, index) => {
    if (key !== undefined) Reflect.defineMetadata(querySchemaKey, schema, target, key);
    Query(new ZodValidationPipe(schema))(target, key, index);
  };
}

/** One path parameter, validated by `schema`. */
export function ValidParam(name: string, schema: z.ZodType): ParameterDecorator {
  return (target, key, index) => {
    if (key !== undefined) {
      const known = (Reflect.getMetadata(paramSchemaKey, target, key) as Record<string, z.ZodType> | undefined) ?? {};
      Reflect.defineMetadata(paramSchemaKey, { ...known, [name]: schema }, target, key);
    }
    Param(name, new ZodValidationPipe(schema))(target, key, index);
  };
}

/** One way of sending an endpoint's body: the schema for its content type. */
export interface BodyEncoding {
  schema: z.ZodType;
  /** Path of the batch array in the body: over the batch limit it is 413, not 400. */
  batchAt?: string;
}

/**
 * A way of sending the body that headers announce rather than the content type (a CloudEvent in
 * binary mode): when `applies` to a request, `parse` reads and validates it.
 */
export interface HeaderEncoding {
  applies(request: FastifyRequest): boolean;
  parse(request: FastifyRequest): unknown;
}

/**
 * The body validated by the schema its content type names: one endpoint that takes the same
 * data in several encodings (POST /v1/usage as JSON, or as CloudEvents in each of their modes).
 */
export function BodyByContentType(schemas: Record<string, BodyEncoding>, fallback: string, headerEncoding?: HeaderEncoding): ParameterDecorator {
  const fallbackEntry = schemas[fallback];
  if (fallbackEntry === undefined) throw new Error(`no schema for the fallback content type ${fallback}`);
  const decorator = createParamDecorator((_data: unknown, context: ExecutionContext) => {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const contentType = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    const entry = Object.hasOwn(schemas, contentType) ? schemas[contentType] : undefined;
    // A content type of its own (a CloudEvents one) decides; under the fallback's, headers may announce another encoding.
    if ((entry === undefined || contentType === fallback) && headerEncoding?.applies(request) === true) return headerEncoding.parse(request);
    const chosen = entry ?? fallbackEntry;
    return parseInput(chosen.schema, request.body, chosen.batchAt === undefined ? {} : { batchAt: chosen.batchAt });
  });
  return (target, key, index) => {
    if (key !== undefined) Reflect.defineMetadata(bodySchemaKey, Object.fromEntries(Object.entries(schemas).map(([type, encoding]) => [type, encoding.schema])), target, key);
    decorator()(target, key, index);
  };
}
