// Writes openapi.json, generated from the route table of a livelink serving both roles.
// Run with `npm run openapi`; a test fails when the committed copy differs from what this writes.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { createLivelink } from '../src/app/livelink.js';
import { loadConfig } from '../src/config/config.js';

export async function generateOpenApi(): Promise<string> {
  const dataDir = mkdtempSync(join(tmpdir(), 'livelink-openapi-'));
  try {
    const livelink = await createLivelink(loadConfig({ flags: { data: dataDir }, env: {} }), { logger: pino({ level: 'silent' }) });
    const document = livelink.openApiDocument();
    await livelink.close();
    return `${JSON.stringify(document, null, 2)}\n`;
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (process.argv[1]?.endsWith('write-openapi.ts')) {
  writeFileSync(new URL('../openapi.json', import.meta.url), await generateOpenApi());
  console.log('wrote openapi.json');
}
