/** What the orchestrator and the load-generator process say to each other over Node's IPC channel. */
import type { DigestKey } from './digest.js';

/** Which organizations a job's requests address: a given list, or a generated range (growth: up to 1,000,000). */
export type OrgSelector = { kind: 'list'; ids: string[] } | { kind: 'range'; prefix: string; count: number };

interface JobTiming {
  id: number;
  /** Requests (or operations) kept in flight, one connection each. */
  concurrency: number;
  /** Load before measuring: connections opened, JIT warm, a digest nonce in hand. */
  warmupMs: number;
  durationMs: number;
  /** Origins the connections take in turns (slot i: origins[i % n]), in place of `origin`: load spread over nodes. */
  origins?: readonly string[];
}

export type LoadJob = JobTiming &
  (
    | { kind: 'plain'; origin: string; path: string }
    | { kind: 'unauthenticated'; origin: string; path: string }
    | { kind: 'status-reuse'; origin: string; orgs: OrgSelector; key: DigestKey }
    | { kind: 'status-challenge'; origin: string; orgs: OrgSelector; key: DigestKey }
    | { kind: 'link-cycle'; origin: string; orgs: { orgId: string; key: DigestKey }[]; linkToken: string }
  );

export interface LoadResult {
  id: number;
  /** Operations completed inside the measured window: a request, a challenge + answer, or a POST + DELETE pair. */
  operations: number;
  /** HTTP requests those operations took. */
  requests: number;
  elapsedMs: number;
  operationsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Answers other than the scenario's expected ones, by status code or network error code. */
  unexpected: Record<string, number>;
  /** The load generator's own CPU use in the window, in % of one core: near 100 means it, not the server, was the limit. */
  loadgenCpuPercent: number;
  /** The measured window on the machine's monotonic clock (µs), which V8's .cpuprofile timestamps also use. */
  windowStartUs: number;
  windowEndUs: number;
}

export type ToWorker = { type: 'run'; job: LoadJob } | { type: 'exit' };
export type FromWorker = { type: 'ready' } | { type: 'result'; result: LoadResult } | { type: 'failed'; id: number; message: string };

export const STATUS_PATH_TEMPLATE = '/api/public/v1.0/orgs/{orgId}/liveExport/migrationLink/status';
export const LINK_PATH_TEMPLATE = '/api/public/v1.0/orgs/{orgId}/liveExport/migrationLink';

export function statusPath(orgId: string): string {
  return STATUS_PATH_TEMPLATE.replace('{orgId}', orgId);
}

export function linkPath(orgId: string): string {
  return LINK_PATH_TEMPLATE.replace('{orgId}', orgId);
}

/**
 * The i-th generated organization id: 24 hex digits like an ObjectId, increasing with i, so the seeder
 * appends to the primary-key B-tree and the load generator can name any of a million organizations
 * without being sent a million strings.
 */
export function generatedOrgId(prefix: string, index: number): string {
  return `${prefix}${index.toString(16).padStart(24 - prefix.length, '0')}`;
}

export function orgCount(orgs: OrgSelector): number {
  return orgs.kind === 'list' ? orgs.ids.length : orgs.count;
}

export function orgAt(orgs: OrgSelector, index: number): string {
  return orgs.kind === 'list' ? (orgs.ids[index] as string) : generatedOrgId(orgs.prefix, index);
}
