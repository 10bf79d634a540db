import { DATA_OPTION, JSON_OPTION, usage, type Command } from '../command.js';
import { withLivelink } from '../management.js';
import { emit } from '../output.js';

/**
 * Key rotation without downtime: start every node with the new LIVELINK_ENCRYPTION_KEY and the old one
 * in LIVELINK_PREVIOUS_ENCRYPTION_KEYS (both open, the new one seals), run this once, then drop the old
 * key from LIVELINK_PREVIOUS_ENCRYPTION_KEYS.
 */
export const rotateKeysCommand: Command = {
  path: ['rotate-keys'],
  summary: 'Re-seal every stored secret with the current encryption key',
  usage: usage({
    synopsis: 'rotate-keys [--data DIR | --database-url URL] [--json]',
    description:
      'Re-seals the digest secrets of API keys, the stored link-tokens, the connection strings of deployments and\n' +
      'clusters and the source credentials of running live migrations that are sealed with an older key, with\n' +
      'LIVELINK_ENCRYPTION_KEY. Older keys must be listed in\n' +
      'LIVELINK_PREVIOUS_ENCRYPTION_KEYS (comma-separated) so the values can be opened. Safe while servers run: each\n' +
      'value opens with either key until it is re-sealed.',
    json: true,
    examples: ['LIVELINK_ENCRYPTION_KEY=$NEW LIVELINK_PREVIOUS_ENCRYPTION_KEYS=$OLD livelink rotate-keys --database-url $URL'],
  }),
  options: { ...DATA_OPTION, ...JSON_OPTION },
  async run({ values }, io) {
    const counts = await withLivelink(values, io, async ({ services }) => ({
      apiKeys: await services.apiKeys.resealSecrets(),
      linkTokens: await services.migrationLinks.resealSecrets(),
      connectionStrings: (await services.organizations.resealConnectionStrings()) + (await services.clusters.resealConnectionStrings()),
      liveMigrationCredentials: await services.liveMigrations.resealSecrets(),
    }));
    emit(
      io,
      values,
      counts,
      () =>
        `Re-sealed ${counts.apiKeys} API key secret(s), ${counts.linkTokens} link-token(s), ${counts.connectionStrings} connection string(s) ` +
        `and ${counts.liveMigrationCredentials} live migration source credential(s) with the current key.`,
    );
    return 0;
  },
};
