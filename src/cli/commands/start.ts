import { createLivelink } from '../../app/livelink.js';
import { UsageError, usage, type Command } from '../command.js';
import { optionalString } from '../flags.js';
import { DEMO_SOURCE_ORG_NAME, DEMO_TARGET_ORG_NAME, demoUserLines, ensureDemo, type DemoSetup } from './init.js';
import { listeningLine, SERVER_HELP, SERVER_OPTIONS, serveUntilStopped, serverConfig } from './serve.js';

export const startCommand: Command = {
  path: ['start'],
  summary: 'Set up the demo and serve both roles (what npm start runs)',
  usage: usage({
    synopsis:
      'start [--host H] [--port P] [--data DIR] [--target-url URL] [--sync-interval SECONDS] [--log-level L]\n' +
      '[--log-requests] [--trusted-proxy CIDR ...]',
    description:
      'What `npm start` runs: `livelink init` on the data folder, then `livelink serve --role both`, then a banner\n' +
      "with the demo keys and ready-to-paste curl commands for the whole link flow, and the web pages' URL and demo\n" +
      'users. --role, if given, must be both.',
    options: SERVER_HELP,
  }),
  options: SERVER_OPTIONS,
  async run({ values }, io) {
    const role = optionalString(values, 'role');
    if (role !== undefined && role !== 'both')
      throw new UsageError('--role must be both with start (use `livelink serve --role ...` for one role)');
    const config = serverConfig(values, io.env, 'both');
    const livelink = await createLivelink(config);
    let setup: DemoSetup;
    try {
      setup = await ensureDemo(livelink);
    } catch (error) {
      await livelink.close();
      throw error;
    }
    return serveUntilStopped(livelink, io, (url) => {
      io.stdout.write(`${listeningLine(url, config)}\n\n${banner(url, setup)}`);
    });
  },
};

/** The demo keys and the link flow, step by step, with every value filled in. */
export function banner(url: string, setup: DemoSetup): string {
  const { source, target } = setup.credentials;
  const sourceUser = `${source.publicKey}:${source.privateKey}`;
  const targetUser = `${target.publicKey}:${target.privateKey}`;
  const json = `-H 'Content-Type: application/json' -H 'Accept: application/json'`;
  const sourceLink = `${url}/api/public/v1.0/orgs/${source.orgId}/liveExport/migrationLink`;
  const width = Math.max(DEMO_SOURCE_ORG_NAME.length, DEMO_TARGET_ORG_NAME.length);
  const lines = [
    `Demo organizations (keys saved in ${setup.file}):`,
    `  source  ${DEMO_SOURCE_ORG_NAME.padEnd(width)}  ${source.orgId}  key ${sourceUser}`,
    `  target  ${DEMO_TARGET_ORG_NAME.padEnd(width)}  ${target.orgId}  key ${targetUser}`,
    '',
    '1. Create a link-token on the target (Atlas):',
    `   curl --digest --user "${targetUser}" ${json} -X POST --data '{"accessListIps":[]}' "${url}/api/atlas/v2/orgs/${target.orgId}/liveMigrations/linkTokens"`,
    '2. Link the source (Ops Manager) with it:',
    `   curl --digest --user "${sourceUser}" ${json} -X POST --data '{"linkToken":"<paste the linkToken here>"}' "${sourceLink}"`,
    '3. Check the link status:',
    `   curl --digest --user "${sourceUser}" "${sourceLink}/status?pretty=true"`,
    "4. See the source's projects on the target:",
    `   curl --digest --user "${targetUser}" -H 'Accept: application/json' "${url}/api/atlas/v2/orgs/${target.orgId}/liveMigrations/availableProjects?pretty=true"`,
    '5. Delete the link:',
    `   curl --digest --user "${sourceUser}" -H 'Accept: application/json' -X DELETE "${sourceLink}"`,
    '',
    `Or click instead: sign in at ${url}/login with a demo user:`,
    ...demoUserLines(setup.credentials),
    '',
    'Stop with Ctrl-C.',
  ];
  return `${lines.join('\n')}\n`;
}
