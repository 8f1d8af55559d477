import { Controller, Get, HttpCode, Inject, Post, Put } from '@nestjs/common';
import {
  AllocationAnswer,
  LeaseAnswer,
  OutageAnswer,
  SiteAnswer,
  TenantAnswer,
  TenantRegistrationAnswer,
  AllocateCapacityBody,
  AmendLeaseBody,
  CommissionSiteBody,
  Identifier,
  RecordOutageBody,
  RegisterTenantBody,
  ReleaseCapacityBody,
  SignLeaseBody,
  TerminateLeaseBody,
  UpdateTenantBillingDetailsBody,
} from '@compute-ledger/contracts';
import { Allow } from '../auth/permissions.js';
import { CurrentCaller, type RequestCaller } from '../common/caller.decorator.js';
import { Doc, repeatAnswers } from '../common/endpoint.js';
import type { Answer } from '../common/answer.js';
import { ValidBody, ValidParam, ValidQuery } from '../common/validation.js';
import { LedgerCommandsService } from '../ledger-commands.service.js';
import { LedgerReadsService } from '../ledger-reads.service.js';
import { KnownAtQuery } from '../queries.js';

/** Tenants, sites, leases and capacity: the contracts and what backs them. */
@Controller('v1')
export class ContractsController {
  constructor(
    @Inject(LedgerCommandsService) private readonly commands: LedgerCommandsService,
    @Inject(LedgerReadsService) private readonly reads: LedgerReadsService,
  ) {}

  @Post('tenants') @HttpCode(201) @Allow('contracts.write') @Doc({ summary: 'Register a tenant', answer: TenantRegistrationAnswer, tags: ['contracts'], alsoAnswers: repeatAnswers })
  registerTenant(@ValidBody(RegisterTenantBody) body: RegisterTenantBody, @CurrentCaller() caller: RequestCaller): Promise<Answer<TenantRegistrationAnswer>> {
    return this.commands.registerTenant(body, caller);
  }

  @Get('tenants/:tenantId') @Allow('tenants.read') @Doc({ summary: 'A tenant with its billing details as they stand', answer: TenantAnswer, tags: ['contracts'] })
  tenant(@ValidParam('tenantId', Identifier) tenantId: string, @CurrentCaller() caller: RequestCaller): Promise<TenantAnswer> {
    return this.reads.tenant(tenantId, caller);
  }

  @Put('tenants/:tenantId/billing-details') @HttpCode(200) @Allow('contracts.write') @Doc({ summary: 'Replace the billing details invoices print for a tenant', answer: TenantAnswer, description: 'The details as a whole: a field left out is cleared. The same details again record nothing.', tags: ['contracts'] })
  updateTenantBillingDetails(@ValidParam('tenantId', Identifier) tenantId: string, @ValidBody(UpdateTenantBillingDetailsBody) body: UpdateTenantBillingDetailsBody, @CurrentCaller() caller: RequestCaller): Promise<TenantAnswer> {
    return this.commands.updateTenantBillingDetails(tenantId, body, caller);
  }

  @Post('sites') @HttpCode(201) @Allow('capacity.write') @Doc({ summary: 'Commission a site', answer: SiteAnswer, tags: ['capacity'], alsoAnswers: repeatAnswers })
  commissionSite(@ValidBody(CommissionSiteBody) body: CommissionSiteBody, @CurrentCaller() caller: RequestCaller): Promise<Answer<SiteAnswer>> {
    return this.commands.commissionSite(body, caller);
  }

  @Post('leases') @HttpCode(201) @Allow('contracts.write') @Doc({ summary: 'Sign a lease', answer: LeaseAnswer, tags: ['contracts'], alsoAnswers: repeatAnswers })
  signLease(@ValidBody(SignLeaseBody) body: SignLeaseBody, @CurrentCaller() caller: RequestCaller): Promise<Answer<LeaseAnswer>> {
    return this.commands.signLease(body, caller);
  }

  @Get('leases/:leaseId') @Allow('leases.read') @Doc({ summary: 'A lease as it stands: schedule, term, status, amendments', answer: LeaseAnswer, tags: ['contracts'] })
  lease(@ValidParam('leaseId', Identifier) leaseId: string, @ValidQuery(KnownAtQuery) query: KnownAtQuery, @CurrentCaller() caller: RequestCaller): Promise<LeaseAnswer> {
    return this.reads.lease(leaseId, query, caller);
  }

  @Post('leases/:leaseId/amendments') @HttpCode(201) @Allow('contracts.write') @Doc({ summary: 'Amend a lease', answer: LeaseAnswer, tags: ['contracts'], alsoAnswers: repeatAnswers })
  amendLease(@ValidParam('leaseId', Identifier) leaseId: string, @ValidBody(AmendLeaseBody) body: AmendLeaseBody, @CurrentCaller() caller: RequestCaller): Promise<Answer<LeaseAnswer>> {
    return this.commands.amendLease(leaseId, body, caller);
  }

  @Post('leases/:leaseId/termination') @HttpCode(201) @Allow('contracts.write') @Doc({ summary: 'Terminate a lease', answer: LeaseAnswer, tags: ['contracts'], alsoAnswers: repeatAnswers })
  terminateLease(@ValidParam('leaseId', Identifier) leaseId: string, @ValidBody(TerminateLeaseBody) body: TerminateLeaseBody, @CurrentCaller() caller: RequestCaller): Promise<Answer<LeaseAnswer>> {
    return this.commands.terminateLease(leaseId, body, caller);
  }

  @Post('allocations') @HttpCode(201) @Allow('capacity.write') @Doc({ summary: 'Allocate GPUs of a site to a lease', answer: AllocationAnswer, tags: ['capacity'], alsoAnswers: repeatAnswers })
  allocateCapacity(@ValidBody(AllocateCapacityBody) body: AllocateCapacityBody, @CurrentCaller() caller: RequestCaller): Promise<Answer<AllocationAnswer>> {
    return this.commands.allocateCapacity(body, caller);
  }

  @Post('allocations/:allocationId/release') @HttpCode(201) @Allow('capacity.write') @Doc({ summary: 'Release an allocation', answer: AllocationAnswer, tags: ['capacity'], alsoAnswers: repeatAnswers })
  releaseCapacity(@ValidParam('allocationId', Identifier) allocationId: string, @ValidBody(ReleaseCapacityBody) body: ReleaseCapacityBody, @CurrentCaller() caller: RequestCaller): Promise<Answer<AllocationAnswer>> {
    return this.commands.releaseCapacity(allocationId, body, caller);
  }

  @Post('outages') @HttpCode(201) @Allow('capacity.write') @Doc({ summary: 'Record an outage', answer: OutageAnswer, tags: ['capacity'], alsoAnswers: repeatAnswers })
  recordOutage(@ValidBody(RecordOutageBody) body: RecordOutageBody, @CurrentCaller() caller: RequestCaller): Promise<Answer<OutageAnswer>> {
    return this.commands.recordOutage(body, caller);
  }
}
