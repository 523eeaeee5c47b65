// What the disk monitor's failure suites share: a reporting runtime whose engine binary fails on
// demand, a busybox container spec with a disk limit, and a measure that is the real du counting
// the measurements of each container (the positive signal those suites wait for).
import { measureWithDu } from '../../../packages/agent/src/disk/disk-monitor.js';
import type { MeasureOptions } from '../../../packages/agent/src/disk/disk-monitor.js';
import type {
  ContainerPlacement,
  ContainerSpec,
} from '../../../packages/agent/src/runtime/types.js';
import type { Test } from 'tap';
import { BUSYBOX_IMAGE } from '../../helpers/engine.js';
import { reportingRuntime, type ReportingRuntime } from './disk-fixture.js';
import { failingEngine, type FailingEngine } from './fault-binaries.js';

export const WRITE_5_MB = 'dd if=/dev/zero of=/root/small bs=1M count=5 2>/dev/null; sleep 3600';
export const WRITE_80_MB = 'dd if=/dev/zero of=/root/big bs=1M count=80 2>/dev/null; sleep 3600';

export function boxSpec(id: string, diskMb: number, script: string): ContainerSpec {
  return {
    containerId: id,
    userId: `usr_${'f'.repeat(32)}`,
    image: BUSYBOX_IMAGE,
    cpuMillicores: 500,
    memoryMb: 64,
    pidsLimit: 50,
    diskMb,
    command: ['sh', '-c', script],
  };
}

/** A reporting runtime on a wrapper of the real engine that fails the subcommands named. */
export async function failingRuntime(
  t: Test,
): Promise<ReportingRuntime & { faults: FailingEngine }> {
  let faults: FailingEngine | undefined;
  const reporting = await reportingRuntime(t, async (kind) => {
    faults = await failingEngine(t, kind);
    return faults.binary;
  });
  if (faults === undefined) throw new Error('unreachable: the binary was asked for');
  return { ...reporting, faults };
}

/** The real du, counting each container's measurements into `counts`. */
export function countingMeasure(counts: Map<string, number>) {
  return async (placement: ContainerPlacement, options: MeasureOptions): Promise<number> => {
    const bytes = await measureWithDu(placement, options);
    counts.set(placement.containerId, (counts.get(placement.containerId) ?? 0) + 1);
    return bytes;
  };
}
