import { Catch, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { loggedProblemOf, problemContentType } from './problem.js';

/**
 * The one exception filter: every error, from a handler, a guard, a pipe, the body parser or
 * the router, leaves as problem details. A server fault is logged with its stack under the
 * request id (a broken invariant at the fatal level); the client gets the id, never the stack.
 */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    const request = http.getRequest<FastifyRequest>();
    const problem = loggedProblemOf(error, request.log);
    if (reply.sent) return;
    if (problem.status === 401) void reply.header('www-authenticate', 'Bearer');
    void reply.status(problem.status).header('content-type', problemContentType).send(problem);
  }
}
