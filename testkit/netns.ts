import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ip = (...args: string[]) => run('ip', args);

/** One simulated machine: a network namespace with its own address on a private bridge. */
export interface Host {
  readonly name: string;
  /** The namespace (`ip netns exec <netns> ...` runs a command on this host). */
  readonly netns: string;
  readonly address: string;
}

export interface Hosts {
  readonly hosts: Host[];
  /** The address of this process's side of the bridge (the test, Chromium): a third machine. */
  readonly bridgeAddress: string;
  destroy(): Promise<void>;
}

/**
 * Machines for a test that must not be one loopback: each host a network namespace with its own stack
 * and address, joined by a Linux bridge whose own address is the test's. Nothing leaves the machine (the
 * subnet has no route out). Needs CAP_NET_ADMIN (root in most containers); without it the reason is
 * returned so the test can skip and say why.
 */
export async function createHosts(names: string[]): Promise<Hosts | { unavailable: string }> {
  const tag = `${process.pid % 10000}${Math.floor(Math.random() * 100)}`;
  const bridge = `hb${tag}`;
  const subnet = await freeSubnet();
  if (!subnet) return { unavailable: 'no free 10.x.y.0/24 subnet for the test network' };
  const created: string[] = [];
  const destroy = async () => {
    for (const ns of created) await ip('netns', 'del', ns).catch(() => {});
    await ip('link', 'del', bridge).catch(() => {});
  };
  try {
    await ip('link', 'add', bridge, 'type', 'bridge');
  } catch (err) {
    return { unavailable: `cannot create a network bridge (needs CAP_NET_ADMIN): ${(err as { stderr?: string }).stderr?.trim() ?? err}` };
  }
  try {
    await ip('addr', 'add', `${subnet}.254/24`, 'dev', bridge);
    await ip('link', 'set', bridge, 'up');
    const hosts: Host[] = [];
    for (const [i, name] of names.entries()) {
      const netns = `holots-${name}-${tag}`;
      const veth = `hv${tag}${i}`;
      await ip('netns', 'add', netns);
      created.push(netns);
      await ip('link', 'add', veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', netns);
      await ip('link', 'set', veth, 'master', bridge, 'up');
      const address = `${subnet}.${i + 1}`;
      await ip('-n', netns, 'addr', 'add', `${address}/24`, 'dev', 'eth0');
      await ip('-n', netns, 'link', 'set', 'eth0', 'up');
      await ip('-n', netns, 'link', 'set', 'lo', 'up');
      hosts.push({ name, netns, address });
    }
    return { hosts, bridgeAddress: `${subnet}.254`, destroy };
  } catch (err) {
    await destroy();
    throw err;
  }
}

/**
 * A command line run on `netns` (`ip netns exec` runs the command itself, so signals reach it), or as it
 * is without one: how a test starts a process on a simulated host.
 */
export function onHost(netns: string | undefined, command: readonly string[]): string[] {
  return netns ? ['ip', 'netns', 'exec', netns, ...command] : [...command];
}

/** A 10.x.y.0/24 that no route of this machine covers yet. */
async function freeSubnet(): Promise<string | null> {
  const { stdout } = await ip('-4', 'route', 'show', 'table', 'all').catch(() => ({ stdout: '' }));
  for (let attempt = 0; attempt < 50; attempt++) {
    const subnet = `10.${200 + Math.floor(Math.random() * 50)}.${Math.floor(Math.random() * 250)}`;
    if (!stdout.includes(`${subnet}.`)) return subnet;
  }
  return null;
}
