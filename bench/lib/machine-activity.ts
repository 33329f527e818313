// Whether the machine was quiet while a phase ran. The release gate is a run on a quiet machine
// (issue #6), and on a shared one the same code has measured 2-5x apart; this says how much CPU
// went to anything but this run (the bench process and every process it started), and how much
// the hypervisor took (steal), so a noisy run can be told apart from a slow build.
//
// From /proc (Linux), in clock ticks: the machine's user, nice, system, irq and softirq time, less
// the user and system time of this process tree (children already reaped count through their
// parent's cutime). Interrupt time is in: the kernel charges part of it (loopback traffic) to the
// processes it interrupted, so without it our own processes would seem to use more CPU than the
// whole machine and hide other work; with it, what it does not charge to us counts as other work,
// which errs on the side of calling a run noisy.
import { readdirSync, readFileSync } from 'node:fs';

export interface MachineSnapshot {
  /** Every tick of every CPU (idle included): the capacity the shares are of. */
  readonly totalTicks: number;
  readonly busyTicks: number;
  readonly stealTicks: number;
  /** This process and its descendants. */
  readonly ownTicks: number;
}

export interface OtherWork {
  /** CPU used by processes outside this run, % of all CPUs over the phase. */
  readonly otherCpuPct: number;
  /** CPU the hypervisor gave to other guests, % of all CPUs over the phase. */
  readonly stealPct: number;
}

/** null off Linux (no /proc): the phase's quiet is then not known. */
export function machineSnapshot(): MachineSnapshot | null {
  let stat: string;
  try {
    stat = readFileSync('/proc/stat', 'utf8');
  } catch {
    return null;
  }
  // cpu  user nice system idle iowait irq softirq steal guest guest_nice (guest time is inside user)
  const cpu = (stat.split('\n', 1)[0] ?? '').trim().split(/\s+/).slice(1, 9).map(Number);
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = cpu;
  return {
    totalTicks: user + nice + system + idle + iowait + irq + softirq + steal,
    busyTicks: user + nice + system + irq + softirq,
    stealTicks: steal,
    ownTicks: processTreeTicks(process.pid),
  };
}

export function otherWorkBetween(from: MachineSnapshot, to: MachineSnapshot): OtherWork {
  const total = to.totalTicks - from.totalTicks;
  if (total <= 0) return { otherCpuPct: 0, stealPct: 0 };
  const other = Math.max(0, to.busyTicks - from.busyTicks - (to.ownTicks - from.ownTicks));
  const pct = (ticks: number): number => Math.round((1000 * ticks) / total) / 10;
  return { otherCpuPct: pct(other), stealPct: pct(to.stealTicks - from.stealTicks) };
}

/** utime + stime + cutime + cstime of `root` and every process under it, in clock ticks. */
function processTreeTicks(root: number): number {
  const parents = new Map<number, number>();
  const ticks = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    // Fields after the command name (which may hold spaces and parentheses): state ppid ... utime(14) stime cutime cstime.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    parents.set(Number(name), Number(fields[1]));
    ticks.set(Number(name), Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]));
  }
  let sum = 0;
  for (const [pid, t] of ticks) {
    for (let p: number | undefined = pid; p !== undefined && p > 1; p = parents.get(p)) {
      if (p === root) {
        sum += t;
        break;
      }
    }
  }
  return sum;
}

/**
 * `machine.otherCpuPctMax` and `machine.stealPctMax`: the noisiest measured phase of the run, what
 * the quiet-machine targets check (a run is only as fit for the gate as its worst phase).
 */
export function addMachineQuiet(metrics: Record<string, number | null>, scenarios: readonly { extra?: Record<string, number | string | null> }[]): void {
  const most = (name: string): number | null => {
    const values = scenarios.map((s) => s.extra?.[name]).filter((v): v is number => typeof v === 'number');
    return values.length === 0 ? null : Math.max(...values);
  };
  metrics['machine.otherCpuPctMax'] = most('otherCpuPct');
  metrics['machine.stealPctMax'] = most('stealPct');
}
