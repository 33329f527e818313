// --sut-cpus: the systems under test (each gateway, the echo baseline, redis-server) on CPUs of
// their own, and the harness (this process: the load generator and the simulated suppliers; the
// sim-provider processes it starts) on the others. On a machine where they share every core, the
// harness takes CPU from the gateway it measures: its busy threads preempt the gateway's event
// loop, and that wait lands in every latency figure (see bench/README.md, session 12).
// Linux only, through util-linux's `taskset`; a child starts pinned (its threads inherit it).
import { execFileSync, spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';

export interface CpuSplit {
  /** CPUs of the systems under test, ascending. */
  readonly sut: readonly number[];
  /** CPUs left to the harness, ascending. */
  readonly harness: readonly number[];
}

/**
 * Parses a CPU list as taskset takes it ("1", "2-3", "0,2-3") and splits the machine's CPUs
 * (0 .. cpuCount - 1) into the two sets; throws an Error saying what is wrong.
 */
export function splitCpus(list: string, cpuCount: number): CpuSplit {
  const sut = new Set<number>();
  for (const part of list.split(',')) {
    const match = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(part);
    if (match === null) throw new Error(`--sut-cpus takes a CPU list such as "1", "2-3" or "0,2-3", got "${list}"`);
    const from = Number(match[1]);
    const to = match[2] === undefined ? from : Number(match[2]);
    if (to < from) throw new Error(`--sut-cpus: the range "${part.trim()}" runs backwards`);
    for (let cpu = from; cpu <= to; cpu++) {
      if (cpu >= cpuCount) throw new Error(`--sut-cpus: CPU ${cpu} does not exist here (CPUs 0-${cpuCount - 1})`);
      sut.add(cpu);
    }
  }
  const harness = [...Array(cpuCount).keys()].filter((cpu) => !sut.has(cpu));
  if (harness.length === 0) throw new Error(`--sut-cpus "${list}" leaves no CPU for the load generator and the simulated suppliers; leave at least one of CPUs 0-${cpuCount - 1}`);
  return { sut: [...sut].sort((a, b) => a - b), harness };
}

/** The CPU list as taskset writes it: "0,2,3". */
export function cpuListText(cpus: readonly number[]): string {
  return cpus.join(',');
}

let split: CpuSplit | null = null;

/**
 * Pins this process (every thread it has, and so every thread and child it makes later) to the
 * harness CPUs, and makes `sutCommand` start the systems under test on the others.
 */
export function pinHarness(list: string): CpuSplit {
  if (process.platform !== 'linux' || spawnSync('taskset', ['--version']).status !== 0) {
    throw new Error('--sut-cpus needs Linux and taskset (util-linux; Debian: apt-get install -y util-linux)');
  }
  const chosen = splitCpus(list, availableParallelism());
  execFileSync('taskset', ['--all-tasks', '--pid', '--cpu-list', cpuListText(chosen.harness), String(process.pid)], { stdio: 'ignore' });
  split = chosen;
  return chosen;
}

/** The command and arguments that start `command args` as a system under test: pinned to its CPUs when --sut-cpus was given. */
export function sutCommand(command: string, args: readonly string[]): [string, string[]] {
  if (split === null) return [command, [...args]];
  return ['taskset', ['--cpu-list', cpuListText(split.sut), command, ...args]];
}
