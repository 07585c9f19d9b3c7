import os from 'node:os';

export interface MachineInfo {
  readonly cpuModel: string;
  readonly cores: number;
  readonly memoryMiB: number;
  readonly platform: string;
  readonly arch: string;
  readonly node: string;
  readonly loadAverage: readonly number[];
}

export function machineInfo(): MachineInfo {
  return {
    cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown',
    cores: os.availableParallelism(),
    memoryMiB: Math.round(os.totalmem() / 2 ** 20),
    platform: `${os.platform()} ${os.release()}`,
    arch: os.arch(),
    node: process.version,
    loadAverage: os.loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

export function describeMachine(info: MachineInfo): string {
  return (
    `${info.cpuModel}, ${info.cores} cores, ${info.memoryMiB} MiB, ${info.platform} ${info.arch}, ` +
    `node ${info.node}, load ${info.loadAverage.join(' ')}`
  );
}
