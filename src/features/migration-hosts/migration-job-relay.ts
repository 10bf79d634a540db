import { apiErrors, type ApiError } from '../../http/api-error.js';
import { isObjectId } from '../../shared/ids.js';
import type { WriteTransaction } from '../../persistence/write-transaction.js';
import type { ApiKey } from '../api-keys/api-key.js';
import type { AuditStore } from '../audit/audit-store.js';
import type { LinkTokenContents } from '../link-tokens/link-token-codec.js';
import type {
  HostJobAnswer,
  HostMigrationJob,
  JobReportAnswer,
  MigrationJobReport,
  MigrationReport,
  TargetMigrationJob,
} from '../migration-link/migration-job.js';
import type { MigrationLinkService } from '../migration-link/migration-link-service.js';
import type { TargetClient, TargetFailure } from '../migration-link/target-client.js';
import type { Project } from '../organizations/organization.js';
import { withCredentials } from './source-connection-string.js';

/** What the relay reads of the source's deployments: which one a job names, and how to reach it (opened from its seal). */
export interface SourceDeployments {
  findDeploymentByName(projectId: string, name: string): Promise<{ id: string } | undefined>;
  connectionStringOf(deploymentId: string): Promise<string | undefined>;
}

/**
 * The source's half of the job protocol (docs/live-migrations.md, "The relay"): a migration host asks
 * the source, the source asks the target over the organization's link with the link-token's key, there
 * and then (no job is cached: the target holds the state), and answers the host. The one thing the
 * source adds is how to reach the source deployment, which never leaves the source for the target.
 */
export class MigrationJobRelay {
  constructor(
    private readonly hosts: { isHostKey(apiKey: ApiKey, projectId: string, hostname: string): Promise<boolean> },
    private readonly links: Pick<MigrationLinkService, 'linkedTarget'>,
    private readonly deployments: SourceDeployments,
    private readonly target: TargetClient,
    private readonly transaction: WriteTransaction<{ audit: AuditStore }>,
    private readonly now: () => Date,
  ) {}

  /** The host's current job, `{job: null}` when it has none or the organization has no link. */
  async job(apiKey: ApiKey, project: Project, hostname: string): Promise<HostJobAnswer> {
    await this.#requireHostKey(apiKey, project, hostname);
    const token = await this.links.linkedTarget(project.orgId);
    if (token === undefined) return { job: null };
    const outcome = await this.target.migrationJob(token, project.orgId, project.id, hostname);
    if (outcome.kind !== 'accepted') throw this.#failureOf(outcome, undefined);
    const job = outcome.body.job;
    // A job of another project is not this host's to run, whatever the target says.
    if (job === null || job.sourceGroupId !== project.id) return { job: null };
    return { job: await this.#forHost(project, job) };
  }

  /** Relays the host's report and the target's answer to it. */
  async report(apiKey: ApiKey, project: Project, hostname: string, jobId: string, report: MigrationJobReport): Promise<JobReportAnswer> {
    await this.#requireHostKey(apiKey, project, hostname);
    // Asked after the key: a job id says nothing to a key that is not this host's.
    if (!isObjectId(jobId)) throw apiErrors.liveMigrationJobNotFound(jobId, project.orgId);
    const token: LinkTokenContents | undefined = await this.links.linkedTarget(project.orgId);
    if (token === undefined) throw apiErrors.orgLinkNotFound(project.orgId);
    const outcome = await this.target.reportMigrationJob(token, project.orgId, project.id, hostname, jobId, report);
    if (outcome.kind !== 'accepted') throw this.#failureOf(outcome, { jobId, sourceOrgId: project.orgId });
    if (report.kind === 'MIGRATION' && (report.phase === 'FAILED' || report.phase === 'COMPLETE')) {
      await this.#recordEnd(project, hostname, jobId, report);
    }
    return { cutoverRequested: outcome.body.cutoverRequested, stop: outcome.body.stop };
  }

  /**
   * The end of a migration is an event of the source organization too, as it is of the target's (the
   * target records its own). Recorded once the target took the report, and once only: a host whose
   * answer was lost sends its final report again, and the target takes it again. Final reports are rare
   * (one a migration), so looking through the organization's events for it costs little.
   */
  async #recordEnd(project: Project, hostname: string, jobId: string, report: MigrationReport): Promise<void> {
    const failed = report.phase === 'FAILED';
    const eventType = failed ? 'LIVE_MIGRATION_FAILED' : 'LIVE_MIGRATION_COMPLETED';
    await this.transaction(async ({ audit }) => {
      const recorded = (await audit.list(project.orgId)).some(
        (event) => event.eventType === eventType && event.details['liveMigrationId'] === jobId,
      );
      if (recorded) return;
      await audit.append({
        orgId: project.orgId,
        eventType,
        details: {
          liveMigrationId: jobId,
          groupId: project.id,
          migrationHost: hostname,
          documentsCopied: report.documentsCopied,
          changesApplied: report.changesApplied,
          ...(failed ? { reason: report.errorMessage } : {}),
        },
        createdAt: this.now().toISOString(),
      });
    });
  }

  /** Only the host's own key, for its own project and host name; every other key gets the edge's 401. */
  async #requireHostKey(apiKey: ApiKey, project: Project, hostname: string): Promise<void> {
    if (!(await this.hosts.isHostKey(apiKey, project.id, hostname))) throw apiErrors.userUnauthorized();
  }

  /** The target's job, field by field (nothing the target adds passes through), with the source's connection string. */
  async #forHost(project: Project, job: TargetMigrationJob): Promise<HostMigrationJob> {
    const { source } = job;
    return {
      id: job.id,
      kind: job.kind,
      sourceGroupId: job.sourceGroupId,
      sourceClusterName: job.sourceClusterName,
      source: {
        managedAuthentication: source.managedAuthentication,
        username: source.username,
        password: source.password,
        ssl: source.ssl,
        caCertificatePath: source.caCertificatePath,
        connectionString: await this.#sourceConnectionString(project, job),
      },
      destination: { clusterName: job.destination.clusterName, connectionString: job.destination.connectionString },
      dropDestinationData: job.dropDestinationData,
      cutoverRequested: job.cutoverRequested,
      stop: job.stop,
    };
  }

  /**
   * The stored connection string of the deployment the job names; when Automation does not manage the
   * source's authentication, with the job's username and password put into it. Null when the source has
   * no such deployment or no connection string for it: the host then fails the job saying so.
   */
  async #sourceConnectionString(project: Project, job: TargetMigrationJob): Promise<string | null> {
    const deployment = await this.deployments.findDeploymentByName(project.id, job.sourceClusterName);
    if (deployment === undefined) return null;
    const stored = await this.deployments.connectionStringOf(deployment.id);
    if (stored === undefined) return null;
    const { managedAuthentication, username, password } = job.source;
    // The Atlas CLI sends "" for a username it was not given.
    if (managedAuthentication || username === null || username === '') return stored;
    return withCredentials(stored, username, password);
  }

  #failureOf(outcome: TargetFailure, job: { jobId: string; sourceOrgId: string } | undefined): ApiError {
    const where = this.target.baseUrl;
    switch (outcome.kind) {
      case 'refused':
        // The one refusal that is about the job rather than the link: the target has no such job for this source.
        if (job !== undefined && outcome.status === 404 && outcome.errorCode === 'LIVE_MIGRATION_NOT_FOUND') {
          return apiErrors.liveMigrationJobNotFound(job.jobId, job.sourceOrgId);
        }
        return apiErrors.linkTokenRejected(outcome.status, outcome.errorCode, outcome.detail);
      case 'unreachable':
        return apiErrors.targetUnreachable(where, outcome.detail);
      case 'timeout':
        return apiErrors.targetTimeout(where);
      case 'bad-response':
        return apiErrors.targetBadResponse(where, outcome.status);
    }
  }
}
