import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { Caller } from '../auth/api-keys.js';
import { callerOf } from '../auth/auth.guard.js';

/** The authenticated caller, with the request id that commands record as their correlation id. */
export interface RequestCaller extends Caller {
  correlationId: string;
}

export const CurrentCaller = createParamDecorator((_data: unknown, context: ExecutionContext): RequestCaller => {
  const request = context.switchToHttp().getRequest<FastifyRequest>();
  return { ...callerOf(request), correlationId: String(request.id) };
});
