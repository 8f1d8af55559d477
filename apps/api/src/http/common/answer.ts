import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { map, type Observable } from 'rxjs';

/**
 * An answer whose status depends on what happened: 201 when a create recorded something, 200
 * when it repeated an earlier one. Nest fixes a route's status before the handler runs, so the
 * interceptor notes the status and a Fastify onSend hook (see server.ts) applies it.
 */
export class Answer<T> {
  constructor(
    readonly status: number,
    readonly body: T,
  ) {}
}

export type CommandOutcome = 'created' | 'unchanged';

export function created<T>(outcome: CommandOutcome, body: T): Answer<T> {
  return new Answer(outcome === 'created' ? 201 : 200, body);
}

const statusOverrides = new WeakMap<FastifyRequest, number>();

/** The status an Answer asked for, if any (read by the onSend hook). */
export function answerStatusOf(request: FastifyRequest): number | undefined {
  return statusOverrides.get(request);
}

@Injectable()
export class AnswerInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const http = context.switchToHttp();
    return next.handle().pipe(
      map((value: unknown) => {
        if (!(value instanceof Answer)) return value;
        statusOverrides.set(http.getRequest<FastifyRequest>(), value.status);
        void http.getResponse<FastifyReply>().status(value.status);
        return value.body;
      }),
    );
  }
}
