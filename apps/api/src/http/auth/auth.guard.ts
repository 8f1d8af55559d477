import { ForbiddenException, Inject, Injectable, UnauthorizedException, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { ApiKeys, type Caller } from './api-keys.js';
import { may, permissionMetadataKey, publicMetadataKey, type Permission } from './permissions.js';

const callers = new WeakMap<FastifyRequest, Caller>();

/** The caller the guard authenticated for this request. */
export function callerOf(request: FastifyRequest): Caller {
  const caller = callers.get(request);
  // Only reachable when a route skipped the guard, which the guard itself prevents.
  if (caller === undefined) throw new UnauthorizedException('no caller was authenticated for this request');
  return caller;
}

@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    @Inject(Reflector) private readonly reflector: Reflector,
    @Inject(ApiKeys) private readonly keys: ApiKeys,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(publicMetadataKey, targets) === true) return true;
    const permission = this.reflector.getAllAndOverride<Permission | undefined>(permissionMetadataKey, targets);
    if (permission === undefined) throw new ForbiddenException('this endpoint is not open to any role');
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const caller = this.authenticate(request.headers.authorization);
    if (!may(caller, permission)) throw new ForbiddenException(`role ${caller.role} may not do this`);
    callers.set(request, caller);
    return true;
  }

  private authenticate(header: string | undefined): Caller {
    const match = header === undefined ? null : /^Bearer[ ]+(\S+)\s*$/i.exec(header);
    if (match === null) throw new UnauthorizedException('send an API key as Authorization: Bearer <key>');
    const caller = this.keys.authenticate(match[1]!);
    if (caller === null) throw new UnauthorizedException('the API key is not known');
    return caller;
  }
}
