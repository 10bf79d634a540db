import { STATUS_CODES } from 'node:http';

/**
 * The one error type every layer throws. It carries what the Ops Manager error body needs;
 * `serializeError` in wire-format.ts is the only place that turns it into bytes.
 *
 * `parameters` mirrors Ops Manager: the values interpolated into `detail`, as strings.
 */
export class ApiError extends Error {
  readonly status: number;
  readonly errorCode: string;
  readonly detail: string;
  readonly parameters: readonly string[];
  /** Extra response headers that belong to this error (Retry-After, WWW-Authenticate). */
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    status: number,
    errorCode: string,
    detail: string,
    parameters: readonly string[] = [],
    options: { headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    // A 4xx is an answer, not a fault: nobody reads its stack, and capturing one is a large share of the
    // cost of every digest challenge. Faults (5xx) keep theirs for the log.
    const stackTraceLimit = Error.stackTraceLimit;
    if (status < 500) Error.stackTraceLimit = 0;
    super(`${errorCode}: ${detail}`, options.cause === undefined ? undefined : { cause: options.cause });
    Error.stackTraceLimit = stackTraceLimit;
    this.name = 'ApiError';
    this.status = status;
    this.errorCode = errorCode;
    this.detail = detail;
    this.parameters = parameters;
    this.headers = options.headers ?? {};
  }

  get reason(): string {
    return STATUS_CODES[this.status] ?? 'Unknown';
  }
}

/**
 * The error catalogue. Codes and detail texts follow the Ops Manager "API Error Codes" page where it
 * has one; codes marked "livelink" have no public Ops Manager equivalent and are documented in the README.
 */
export const apiErrors = {
  /** The body of the digest 401. Atlas sends the same detail text. */
  notAuthenticated: (challenge: string) =>
    new ApiError(401, 'USER_UNAUTHORIZED', 'You are not authorized for this resource.', [], {
      headers: { 'www-authenticate': challenge },
    }),
  userUnauthorized: () => new ApiError(401, 'USER_UNAUTHORIZED', 'Current user is not authorized to perform this action.'),
  ipNotOnAccessList: (ip: string) =>
    new ApiError(403, 'IP_ADDRESS_NOT_ON_ACCESS_LIST', `IP address ${ip} is not allowed to access this resource.`, [ip]),
  orgRequiresAccessList: (ip: string) =>
    new ApiError(403, 'ORG_REQUIRES_ACCESS_LIST', 'This organization requires access through an access list of ip ranges.', [ip]),
  invalidOrgId: (id: string) => new ApiError(400, 'INVALID_ORG_ID', `An invalid organization ID ${id} was specified.`, [id]),
  invalidGroupId: (id: string) => new ApiError(400, 'INVALID_GROUP_ID', `An invalid group ID ${id} was specified.`, [id]),
  orgNotFound: (id: string) => new ApiError(404, 'ORG_NOT_FOUND', `No organization with ID ${id} exists.`, [id]),
  groupNotFound: (id: string) => new ApiError(404, 'GROUP_NOT_FOUND', `No group with ID ${id} exists.`, [id]),
  resourceNotFound: (path: string) => new ApiError(404, 'RESOURCE_NOT_FOUND', `Cannot find resource ${path}.`, [path]),
  methodNotAllowed: (method: string, path: string) =>
    new ApiError(405, 'METHOD_NOT_ALLOWED', `Method ${method} is not allowed on resource ${path}.`, [method, path]),
  invalidJson: () => new ApiError(400, 'INVALID_JSON', 'Received JSON does not match expected format.'),
  missingAttribute: (attribute: string) =>
    new ApiError(400, 'MISSING_ATTRIBUTE', `The required attribute ${attribute} was not specified.`, [attribute]),
  invalidAttribute: (attribute: string, why?: string) =>
    new ApiError(
      400,
      'INVALID_ATTRIBUTE',
      why === undefined ? `Invalid attribute ${attribute} specified.` : `Invalid attribute ${attribute} specified: ${why}`,
      [attribute],
    ),
  invalidQueryParameter: (name: string) =>
    new ApiError(400, 'INVALID_QUERY_PARAMETER', `Invalid query parameter ${name} specified.`, [name]),
  /** livelink: Ops Manager answers an oversized body at its proxy; we answer in the error format. */
  payloadTooLarge: (limitBytes: number) =>
    new ApiError(413, 'PAYLOAD_TOO_LARGE', `The request body is larger than ${limitBytes} bytes.`, [String(limitBytes)]),
  unsupportedMediaType: (mediaType: string) =>
    new ApiError(415, 'UNSUPPORTED_MEDIA_TYPE', `The media type ${mediaType} is not supported.`, [mediaType]),
  rateLimited: (resource: string, limit: number, minutes: number, retryAfterSeconds: number) =>
    new ApiError(
      429,
      'RATE_LIMITED',
      `Resource ${resource} is limited to ${limit} requests every ${minutes} minutes.`,
      [resource, String(limit), String(minutes)],
      { headers: { 'retry-after': String(retryAfterSeconds) } },
    ),
  tooManyFailedAttempts: (retryAfterSeconds: number) =>
    new ApiError(
      429,
      'RATE_LIMITED',
      `Too many failed authentication attempts with this API key from this address. Try again in ${retryAfterSeconds} seconds.`,
      [String(retryAfterSeconds)],
      { headers: { 'retry-after': String(retryAfterSeconds) } },
    ),
  unexpected: () => new ApiError(500, 'UNEXPECTED_ERROR', 'Unexpected error.'),

  // The edge's own answers to requests that are not what HTTP or digest expect.
  /** livelink: the digest answer is for another request target, a malformed request rather than bad credentials (D-09). */
  digestUriMismatch: () => new ApiError(400, 'INVALID_REQUEST', 'The uri of the Authorization header is not the request target.'),
  /** livelink: a 4xx the framework gave for its own reasons (a method it does not route, a bad header). */
  invalidRequest: (status: number) => new ApiError(status, 'INVALID_REQUEST', 'The request is not valid.'),
  /** livelink: the HTTP parser refused the request line or headers. */
  invalidHttp: () => new ApiError(400, 'INVALID_REQUEST', 'The request is not valid HTTP.'),
  /** livelink: a URL the router cannot decode (a broken percent-encoding). */
  invalidUrl: () => new ApiError(400, 'INVALID_URL', 'The request URL is not valid.'),
  /** livelink */
  requestHeadersTooLarge: () =>
    new ApiError(431, 'REQUEST_HEADER_FIELDS_TOO_LARGE', 'The request headers are larger than the server accepts.'),
  /** livelink: the client did not send its whole request within the server's request timeout. */
  requestTimeout: () => new ApiError(408, 'REQUEST_TIMEOUT', 'The request was not received in time.'),
  /** livelink: /metrics is served to loopback clients only unless livelink runs with --metrics public (metrics-endpoint.ts). */
  metricsNotAllowed: (ip: string) =>
    new ApiError(
      403,
      'IP_ADDRESS_NOT_ON_ACCESS_LIST',
      `IP address ${ip} is not allowed to read the metrics: they are served to this machine only unless livelink runs with --metrics public.`,
      [ip],
    ),
  /** livelink, the web pages: a state-changing form from elsewhere, or from a session that has ended. */
  invalidCsrfToken: () =>
    new ApiError(403, 'INVALID_CSRF_TOKEN', 'This form has expired or did not come from livelink. Reload the page and try again.'),
  /** The web pages' sign-in throttle, worded like the digest one. */
  tooManyFailedSignIns: (retryAfterSeconds: number) =>
    new ApiError(
      429,
      'RATE_LIMITED',
      `Too many failed sign-in attempts for this username from this address. Try again in ${retryAfterSeconds} seconds.`,
      [String(retryAfterSeconds)],
      { headers: { 'retry-after': String(retryAfterSeconds) } },
    ),

  // The rehearsal control API (features/control): its own admin token, never an organization's API key.
  /** livelink: no or a wrong `Authorization: Bearer` token; a Bearer challenge (RFC 6750), never a digest one. */
  controlUnauthorized: () =>
    new ApiError(401, 'CONTROL_UNAUTHORIZED', 'The control API needs Authorization: Bearer <control token> (--control-token).', [], {
      headers: { 'www-authenticate': 'Bearer realm="livelink control"' },
    }),
  /** livelink: no control token is configured, and then only a caller on the server's own machine may use the control API. */
  controlLoopbackOnly: (ip: string) =>
    new ApiError(
      403,
      'CONTROL_LOOPBACK_ONLY',
      `The control API has no token configured (--control-token or LIVELINK_CONTROL_TOKEN), so it answers only calls from this machine, not from ${ip}.`,
      [ip],
    ),

  // The services' own answers: the link (source side), link-tokens (target side), the platform data
  // and the users of the web pages.
  /** livelink */
  orgLinkAlreadyExists: (orgId: string) =>
    new ApiError(
      409,
      'ORG_LINK_ALREADY_EXISTS',
      `Organization ${orgId} is already connected to an Atlas organization with another link-token. Remove the connection first.`,
      [orgId],
    ),
  /** livelink */
  orgLinkNotFound: (orgId: string) =>
    new ApiError(404, 'ORG_LINK_NOT_FOUND', `Organization ${orgId} is not connected to an Atlas organization.`, [orgId]),
  /** livelink: another POST for the organization holds the claim. */
  orgLinkInProgress: (orgId: string) =>
    new ApiError(409, 'ORG_LINK_IN_PROGRESS', `Organization ${orgId} is being connected by another request; try again in a moment.`, [
      orgId,
    ]),
  /** livelink: the target answered 401/403/404 to the token's key; its own code and words, when it gave them, follow. */
  linkTokenRejected: (status: number, targetErrorCode: string | undefined, targetDetail: string | undefined) =>
    new ApiError(
      400,
      'LINK_TOKEN_REJECTED',
      "The Atlas organization refused the link-token: its API key is unknown or revoked, or this server's address is not on the token's access list." +
        (targetErrorCode === undefined ? '' : ` It answered ${status} ${targetErrorCode}${targetDetail ? `: ${targetDetail}` : ''}`),
    ),
  /** livelink */
  targetUnreachable: (where: string, why: string) =>
    new ApiError(503, 'TARGET_UNREACHABLE', `The Atlas API at ${where} could not be reached: ${why}.`, [where]),
  /** livelink */
  targetTimeout: (where: string) => new ApiError(504, 'TARGET_TIMEOUT', `The Atlas API at ${where} did not answer in time.`, [where]),
  /** livelink */
  targetBadResponse: (where: string, status: number) =>
    new ApiError(502, 'TARGET_BAD_RESPONSE', `The Atlas API at ${where} gave an unexpected answer (HTTP ${status}).`, [where]),
  /** What Atlas answers a DELETE of link-tokens when there are none (recorded traffic, 2026). */
  externalOrgLinkNotFound: () => new ApiError(404, 'UNEXPECTED_ERROR', 'Could not find the requested external organization link.'),
  duplicateGroupName: (name: string) => new ApiError(409, 'DUPLICATE_GROUP_NAME', `Project name ${name} is already in use.`, [name]),
  duplicateClusterName: (name: string) =>
    new ApiError(409, 'DUPLICATE_CLUSTER_NAME', `A deployment named ${name} already exists in this project.`, [name]),
  clusterNotFound: (id: string) => new ApiError(404, 'CLUSTER_NOT_FOUND', `No cluster with ID ${id} exists.`, [id]),
  /** A destination cluster on the target, in Atlas's words. */
  clusterNotFoundInGroup: (name: string, groupId: string) =>
    new ApiError(404, 'CLUSTER_NOT_FOUND', `No cluster named ${name} exists in group ${groupId}.`, [name, groupId]),
  duplicateClusterNameInGroup: (name: string, groupId: string) =>
    new ApiError(409, 'DUPLICATE_CLUSTER_NAME', `A cluster named ${name} already exists in group ${groupId}.`, [name, groupId]),
  // An organization's programmatic API keys and their access lists (features/api-keys).
  /** Ops Manager's code and words; its error-code page gives it status 400, not 404. */
  apiKeyNotFound: (id: string) => new ApiError(400, 'API_KEY_NOT_FOUND', `No API Key with ID ${id} exists.`, [id]),
  /** Ops Manager's code; the words are its error-code page's. */
  apiKeyAccessListEntryNotFound: (entry: string) =>
    new ApiError(404, 'API_KEY_ACCESS_LIST_NOT_FOUND', `The specified IP address ${entry} does not exist in the API key access list.`, [
      entry,
    ]),
  /**
   * livelink: the key behind a link-token or a migration host's key is changed only through what made it,
   * so that a link or a host never holds a key that is no longer what it was made to be.
   */
  cannotModifyLiveMigrationApiKey: (publicKey: string, howInstead: string) =>
    new ApiError(
      409,
      'CANNOT_MODIFY_LIVE_MIGRATION_API_KEY',
      `API key ${publicKey} is managed by livelink for a live migration and cannot be changed through this resource: ${howInstead}`,
      [publicKey],
    ),
  /** livelink: the pages and the CLI only. */
  userAlreadyExists: (username: string) =>
    new ApiError(409, 'USER_ALREADY_EXISTS', `A user with username ${username} already exists.`, [username]),
  /** livelink: the pages and the CLI only. */
  userNotFound: (id: string) => new ApiError(404, 'USER_NOT_FOUND', `No user with ID ${id} exists.`, [id]),

  // Atlas v2's resource versions (media-type.ts).
  /** livelink: an Accept header naming only dates before every version of the resource (both lists comma-separated). */
  invalidVersionDate: (requested: string, served: string) =>
    new ApiError(
      406,
      'INVALID_VERSION_DATE',
      `This resource has no version at or before ${requested}: it serves ${served}. ` +
        'Ask for one of them in the Accept header as application/vnd.atlas.YYYY-MM-DD+json.',
      [requested],
    ),

  // Push live migrations on the target (features/live-migrations).
  /** The detail Atlas's specification gives for this code (its conflict example). */
  cannotDeleteOrgLinkWithActiveMigration: (...projectIds: string[]) =>
    new ApiError(
      409,
      'CANNOT_DELETE_ORG_ACTIVE_LIVE_MIGRATION_ATLAS_ORG_LINK',
      `Cannot delete organization link while there is active migration in following project ids: ${projectIds.join(', ')}`,
      projectIds,
    ),
  /** livelink: a migration id unknown in any project (the rehearsal controls find a migration by its id alone). */
  liveMigrationIdNotFound: (id: string) => new ApiError(404, 'LIVE_MIGRATION_NOT_FOUND', `No live migration with ID ${id} exists.`, [id]),
  /** livelink */
  liveMigrationNotFound: (id: string, groupId: string) =>
    new ApiError(404, 'LIVE_MIGRATION_NOT_FOUND', `No live migration with ID ${id} exists in group ${groupId}.`, [id, groupId]),
  /** livelink: the relay's target end, a job id not of this source organization. */
  liveMigrationJobNotFound: (id: string, sourceOrgId: string) =>
    new ApiError(
      404,
      'LIVE_MIGRATION_NOT_FOUND',
      `No live migration or validation with ID ${id} exists for source organization ${sourceOrgId}.`,
      [id, sourceOrgId],
    ),
  /** livelink */
  liveMigrationValidationNotFound: (id: string, groupId: string) =>
    new ApiError(404, 'LIVE_MIGRATION_VALIDATION_NOT_FOUND', `No live migration validation with ID ${id} exists in group ${groupId}.`, [
      id,
      groupId,
    ]),
  /** livelink: source.groupId names no project a source organization linked to this organization pushed. */
  liveMigrationSourceProjectNotFound: (sourceGroupId: string, orgId: string) =>
    new ApiError(
      404,
      'LIVE_MIGRATION_SOURCE_PROJECT_NOT_FOUND',
      `No source organization linked to organization ${orgId} has pushed a project with ID ${sourceGroupId} (source.groupId): ` +
        'link the source organization with a link-token first, or check the id in availableProjects.',
      [sourceGroupId, orgId],
    ),
  /** livelink */
  liveMigrationSourceClusterNotFound: (clusterName: string, sourceGroupId: string) =>
    new ApiError(
      404,
      'LIVE_MIGRATION_SOURCE_CLUSTER_NOT_FOUND',
      `Source project ${sourceGroupId} has no deployment named ${clusterName} (source.clusterName).`,
      [clusterName, sourceGroupId],
    ),
  /** livelink */
  liveMigrationHostNotFound: (hostname: string, sourceGroupId: string) =>
    new ApiError(
      404,
      'LIVE_MIGRATION_HOST_NOT_FOUND',
      `Source project ${sourceGroupId} has no migration host ${hostname} (migrationHosts).`,
      [hostname, sourceGroupId],
    ),
  /** livelink: one active migration at a time per source organization (Atlas's "one at a time"). */
  sourceOrgLiveMigrationInProgress: (sourceOrgId: string, activeId: string) =>
    new ApiError(
      409,
      'LIVE_MIGRATION_IN_PROGRESS',
      `Source organization ${sourceOrgId} already has an active live migration, ${activeId}: migrate its deployments one at a time.`,
      [sourceOrgId, activeId],
    ),
  /** livelink: one active migration at a time into a destination cluster. */
  destinationClusterLiveMigrationInProgress: (clusterName: string, activeId: string) =>
    new ApiError(
      409,
      'LIVE_MIGRATION_IN_PROGRESS',
      `Destination cluster ${clusterName} already receives an active live migration, ${activeId}: one migration at a time per cluster.`,
      [clusterName, activeId],
    ),
  /** livelink */
  liveMigrationNotReadyForCutover: (id: string, status: string) =>
    new ApiError(
      400,
      'LIVE_MIGRATION_NOT_READY_FOR_CUTOVER',
      `Live migration ${id} is not ready for cutover (status ${status}): wait until readyForCutover is true.`,
      [id, status],
    ),
  /**
   * livelink: a migration that is COMPLETE, FAILED or EXPIRED has nothing left to cut over (`consequence`
   * says what else it cannot take, such as a rehearsal fault).
   */
  liveMigrationNotActive: (id: string, status: string, why: string | null, consequence = 'there is nothing to cut over') =>
    new ApiError(
      409,
      'LIVE_MIGRATION_NOT_ACTIVE',
      `Live migration ${id} is ${status}${why === null ? '' : ` (${why})`}: ${consequence}; start a new migration if needed.`,
      [id, status],
    ),

  // The rehearsal controls' clock and snapshots (features/clock, features/snapshots).
  /** livelink: a reset or a restore names a snapshot nobody took (`init` is taken by livelink init, start and serve --fixtures). */
  snapshotNotFound: (name: string) => new ApiError(404, 'SNAPSHOT_NOT_FOUND', `No snapshot named ${name} exists.`, [name]),
  /** livelink: the snapshot was taken before a schema migration, and its rows no longer fit the tables. */
  snapshotSchemaMismatch: (name: string, takenWith: string, current: string) =>
    new ApiError(
      409,
      'SNAPSHOT_SCHEMA_MISMATCH',
      `Snapshot ${name} was taken with the database schema at ${takenWith}, and the schema is now at ${current}: take it again.`,
      [name, takenWith, current],
    ),
} as const;
