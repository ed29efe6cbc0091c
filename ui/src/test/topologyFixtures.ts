/** Topology and sensor answers as the console sends them, for component tests. */
import type { Sensor, TopologyGraph, TopologyNode, TopologyNodeDetail } from '../services/types';

/** A sensor of `GET /sensors`. */
export function sensor(id: string, hostname: string, status: Sensor['status'] = 'online', extra: Partial<Sensor> = {}): Sensor {
  return {
    id,
    hostname,
    version: '0.1.0',
    status,
    registered_at: '2026-11-24T04:00:00Z',
    last_seen_at: '2026-11-24T05:00:00Z',
    visibility: 'host',
    collectors: [],
    ...extra,
  };
}

/** A host node. */
export function hostNode(sensorId: string, hostname: string): TopologyNode {
  return {
    id: `host:${sensorId}`,
    kind: 'host',
    label: hostname,
    sensor_id: sensorId,
    host: hostname,
    attributes: {
      hostname,
      os_pretty_name: 'Debian GNU/Linux 12 (bookworm)',
      kernel: '6.1.0-28-amd64',
      arch: 'x86_64',
      uptime_secs: 93_784,
      cpus: 2,
      load: [0.5, 0.25, 0.1],
      memory_total_bytes: 4_294_967_296,
      memory_available_bytes: 2_147_483_648,
      interfaces: [{ name: 'eth0', mac: '02:42:ac:11:00:02', addresses: ['10.0.0.5/24'] }],
      cloud: null,
    },
  };
}

/** A process node. */
export function processNode(sensorId: string, hostname: string, pid: number, name: string, cmdline: string[] = [name]): TopologyNode {
  return {
    id: `process:${sensorId}:${pid}`,
    kind: 'process',
    label: `${name} (${pid})`,
    sensor_id: sensorId,
    host: hostname,
    attributes: { pid, ppid: 1, name, cmdline, user: 'root', exe: `/usr/bin/${name}`, started_at_ms: 1_764_000_000_000, cpu_percent: 0.5, rss_bytes: 10_485_760, threads: 4, container_id: null, netns: 4026531840 },
  };
}

/** The internet pseudo-node. */
export const INTERNET_OUT: TopologyNode = {
  id: 'internet:outbound',
  kind: 'internet',
  label: 'The Internet (outbound)',
  sensor_id: null,
  host: null,
  attributes: null,
};

/** Two hosts, web talking to db and to the internet. */
export const HOSTS_VIEW: TopologyGraph = {
  nodes: [hostNode('s1', 'web'), hostNode('s2', 'db'), INTERNET_OUT],
  edges: [
    { from: 'host:s1', to: 'host:s2', transport: 'tcp', port: 5432, connections: 3 },
    { from: 'host:s1', to: 'internet:outbound', transport: 'tcp', port: 443, connections: 1 },
  ],
};

/** The node detail of web. */
export const WEB_DETAIL: TopologyNodeDetail = {
  node: HOSTS_VIEW.nodes[0],
  edges: HOSTS_VIEW.edges,
  neighbours: [HOSTS_VIEW.nodes[1], INTERNET_OUT],
};
