/**
 * Reads a V8 .cpuprofile (what `node --cpu-prof` writes) and says where the time went: self time per
 * function, total (inclusive) time per livelink function, and self time per package, from the samples'
 * own time deltas rather than hit counts, so an uneven sampling interval does not skew the shares.
 */
import { readFileSync } from 'node:fs';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface Entry {
  name: string;
  where: string;
  ms: number;
  percent: number;
}

export interface ProfileSummary {
  /** Sampled time, idle excluded. */
  busyMs: number;
  idleMs: number;
  self: Entry[];
  /** Inclusive time of functions in livelink's own code (dist/, or src/ through tsx), each sample counted once per function. */
  livelinkTotal: Entry[];
  packages: Entry[];
}

/** Which package (or part of Node) a frame belongs to. */
export function packageOf(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:'))
    return `node:${
      url
        .slice(5)
        .replace(/^internal\//, '')
        .split('/')[0] ?? ''
    }`;
  const modules = url.lastIndexOf('/node_modules/');
  if (modules !== -1) {
    const rest = url.slice(modules + '/node_modules/'.length).split('/');
    return rest[0]?.startsWith('@') === true ? `${rest[0]}/${rest[1] ?? ''}` : (rest[0] ?? url);
  }
  const own = ownCodeAt(url);
  if (own !== -1)
    return `livelink ${url
      .slice(own)
      .replace(/^dist\//, '')
      .split('/')
      .slice(0, -1)
      .join('/')}`.trimEnd();
  return url.replace(/^file:\/\//, '');
}

/**
 * Where livelink's own path begins in a frame's URL: at `dist/` (the built server) or at `src/` (the
 * sources, as a worker run through tsx loads them); -1 for anything else.
 */
function ownCodeAt(url: string): number {
  if (url.includes('/node_modules/')) return -1;
  const dist = url.indexOf('/dist/');
  if (dist !== -1) return dist + 1;
  const src = url.indexOf('/src/');
  return src === -1 ? -1 : src + 1;
}

function where(frame: CallFrame): string {
  if (frame.url === '') return '';
  const modules = frame.url.lastIndexOf('/node_modules/');
  const own = ownCodeAt(frame.url);
  const short =
    modules !== -1
      ? frame.url.slice(modules + '/node_modules/'.length)
      : own !== -1
        ? frame.url.slice(own)
        : frame.url.replace(/^file:\/\//, '');
  // 0-based in the profile; editors count from 1.
  return `${short}:${frame.lineNumber + 1}`;
}

function label(frame: CallFrame): string {
  return frame.functionName === '' ? '(anonymous)' : frame.functionName;
}

/**
 * `window`: only samples taken between these monotonic-clock µs (the load generator's measured window),
 * so start-up, warm-up and shutdown do not dilute what the requests cost.
 */
export function summarize(file: string, top = 25, window?: { fromUs: number; toUs: number }): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const node of profile.nodes) {
    byId.set(node.id, node);
    for (const child of node.children ?? []) parent.set(child, node.id);
  }

  const self = new Map<string, { name: string; where: string; ms: number }>();
  const total = new Map<string, { name: string; where: string; ms: number }>();
  const packages = new Map<string, number>();
  let idleMs = 0;
  let busyMs = 0;
  const add = (map: Map<string, { name: string; where: string; ms: number }>, frame: CallFrame, ms: number) => {
    const key = `${label(frame)} ${where(frame)}`;
    const entry = map.get(key);
    if (entry === undefined) map.set(key, { name: label(frame), where: where(frame), ms });
    else entry.ms += ms;
  };

  let at = profile.startTime;
  for (let i = 0; i < profile.samples.length; i += 1) {
    at += profile.timeDeltas[i] ?? 0;
    if (window !== undefined && (at < window.fromUs || at > window.toUs)) continue;
    // timeDeltas[i] is the time before sample i; the time a sample stands for is the next delta.
    const ms = (profile.timeDeltas[i + 1] ?? 0) / 1000;
    const node = byId.get(profile.samples[i] as number);
    if (node === undefined) continue;
    if (node.callFrame.functionName === '(idle)') {
      idleMs += ms;
      continue;
    }
    busyMs += ms;
    add(self, node.callFrame, ms);
    const pkg = packageOf(node.callFrame.url, node.callFrame.functionName);
    packages.set(pkg, (packages.get(pkg) ?? 0) + ms);
    // Inclusive time for livelink's functions: each function once per sample, however deep it recurses.
    const seen = new Set<string>();
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const frame = byId.get(id)?.callFrame;
      if (frame === undefined || ownCodeAt(frame.url) === -1) continue;
      const key = `${label(frame)} ${where(frame)}`;
      if (seen.has(key)) continue;
      seen.add(key);
      add(total, frame, ms);
    }
  }

  const entries = (map: Map<string, { name: string; where: string; ms: number }>): Entry[] =>
    [...map.values()]
      .sort((a, b) => b.ms - a.ms)
      .slice(0, top)
      .map((e) => ({ ...e, percent: (e.ms / busyMs) * 100 }));
  return {
    busyMs,
    idleMs,
    self: entries(self),
    livelinkTotal: entries(total),
    packages: [...packages.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, ms]) => ({ name, where: '', ms, percent: (ms / busyMs) * 100 })),
  };
}

export function formatSummary(title: string, summary: ProfileSummary, top = 20): string {
  const pct = (e: Entry) => `${e.percent.toFixed(1).padStart(5)}%  ${e.ms.toFixed(0).padStart(6)} ms`;
  const lines = [
    `== ${title}: ${summary.busyMs.toFixed(0)} ms busy, ${summary.idleMs.toFixed(0)} ms idle (${((summary.busyMs / (summary.busyMs + summary.idleMs)) * 100).toFixed(0)}% busy)`,
    '-- self time by package',
    ...summary.packages.slice(0, 12).map((e) => `${pct(e)}  ${e.name}`),
    '-- self time by function',
    ...summary.self.slice(0, top).map((e) => `${pct(e)}  ${e.name}  ${e.where}`),
    "-- total (inclusive) time of livelink's functions",
    ...summary.livelinkTotal.slice(0, top).map((e) => `${pct(e)}  ${e.name}  ${e.where}`),
  ];
  return lines.join('\n');
}
