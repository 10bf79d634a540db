/** The machine a run was made on, printed with every result: a ratio means little without it. */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import process from 'node:process';
import { canPin } from './processes.js';

export interface MachineInfo {
  nproc: number;
  cpu_model: string;
  node: string;
  os: string;
  kernel: string;
  memory_gb: number;
  /** Whether server and load generator ran on separate pinned cores (taskset present). */
  pinned: boolean;
  /** 1-minute load average when the run started: other work on a shared machine shows here. */
  loadavg_at_start: number;
  postgres?: string;
}

function osName(): string {
  try {
    return /^PRETTY_NAME="?([^"\n]+)"?/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? os.type();
  } catch {
    return os.type();
  }
}

export function machineInfo(): MachineInfo {
  return {
    // os.cpus(), not availableParallelism(): this process pins itself to one core, which the latter reports.
    nproc: os.cpus().length,
    cpu_model: os.cpus()[0]?.model.trim() ?? 'unknown',
    node: process.version,
    os: osName(),
    kernel: os.release(),
    memory_gb: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    pinned: canPin(),
    loadavg_at_start: Math.round((os.loadavg()[0] ?? 0) * 100) / 100,
  };
}
