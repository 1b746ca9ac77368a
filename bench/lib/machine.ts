import os from 'node:os';

export interface MachineInfo {
  node: string;
  v8: string;
  platform: string;
  arch: string;
  cpu: string;
  cores: number;
  memoryGiB: number;
}

/** What the figures were measured on; every results file and table carries it. */
export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    node: process.version,
    v8: process.versions.v8,
    platform: `${os.type()} ${os.release()}`,
    arch: process.arch,
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
  };
}

export function describeMachine(m: MachineInfo = machineInfo()): string {
  return `Node ${m.node} (V8 ${m.v8}), ${m.platform} ${m.arch}, ${m.cpu} x ${m.cores} cores, ${m.memoryGiB} GiB`;
}
