/**
 * From the console's topology views to what the map draws, without the renderer: node status
 * and style, the client-side status filter, and the incremental merge of a fresh view into
 * the graphology graph that sigma renders (positions of nodes already on the map are kept, so
 * a live update never makes the map jump; new nodes start next to a neighbour).
 */
import type Graph from 'graphology';
import type { Sensor, SensorStatus, TopologyEdge, TopologyGraph, TopologyLevel, TopologyNode } from '../../services/types';

/** Node attributes in the graphology graph (what sigma reads, plus our own). */
export interface MapNode {
  x: number;
  y: number;
  size: number;
  color: string;
  label: string;
  /** Sigma program: `circle`, or `border` for pseudo-nodes. */
  type: string;
  borderColor?: string;
  kind: string;
  status: string;
  pseudo: boolean;
}

/** One port behind an aggregated edge. */
export interface EdgePort {
  transport: string;
  port: number;
  connections: number;
}

/** Edge attributes: every port between the same client and server is one drawn edge. */
export interface MapEdge {
  size: number;
  color: string;
  type: string;
  ports: EdgePort[];
  connections: number;
  /** Attraction in the layout. */
  weight: number;
}

/** How each kind of node is drawn. */
export const KIND_STYLE: Record<string, { color: string; size: number; name: string }> = {
  host: { color: '#4f8cff', size: 9, name: 'Host' },
  container: { color: '#31c48d', size: 6, name: 'Container' },
  process: { color: '#a78bfa', size: 4, name: 'Process' },
  image: { color: '#e3a008', size: 6, name: 'Image' },
  internet: { color: '#f05252', size: 13, name: 'The Internet' },
  private_network: { color: '#f472b6', size: 11, name: 'Private network' },
};

const UNKNOWN_STYLE = { color: '#8c95a4', size: 5, name: 'Node' };
/** Nodes of offline, disabled or stopped things are greyed out. */
const INACTIVE_COLOR = '#4b5263';
const EDGE_COLOR = '#3d475c';
const INTERNET_EDGE_COLOR = '#8a3a44';

/** The style of a kind. */
export function kindStyle(kind: string): { color: string; size: number; name: string } {
  return KIND_STYLE[kind] ?? UNKNOWN_STYLE;
}

/** Pseudo-nodes stand for what no sensor covers: the internet and private networks. */
export function isPseudo(node: Pick<TopologyNode, 'kind'>): boolean {
  return node.kind === 'internet' || node.kind === 'private_network';
}

/** Sensor statuses by sensor id, from `GET /sensors`. */
export type SensorStatuses = ReadonlyMap<string, SensorStatus>;

/** Indexes the sensors list. */
export function sensorStatuses(sensors: readonly Sensor[] | null | undefined): SensorStatuses {
  return new Map((sensors ?? []).map((s) => [s.id, s.status]));
}

/**
 * A node's status: a container's state (`running`, `exited`, …); for hosts and processes their
 * sensor's liveness (`online`, `offline`, `disabled`); empty for images and pseudo-nodes.
 */
export function nodeStatus(node: TopologyNode, sensors: SensorStatuses): string {
  if (node.kind === 'container') {
    const state = node.attributes?.state;
    return typeof state === 'string' ? state : '';
  }
  if ((node.kind === 'host' || node.kind === 'process') && node.sensor_id) {
    return sensors.get(node.sensor_id) ?? '';
  }
  return '';
}

/** Statuses drawn as inactive. */
function inactive(status: string): boolean {
  return status === 'offline' || status === 'disabled' || status === 'exited' || status === 'dead' || status === 'created';
}

/**
 * Keeps the nodes with this status and whatever they talk to (the console's own filters work
 * the same way); an empty status keeps everything.
 */
export function filterByStatus(view: TopologyGraph, status: string, statusOf: (node: TopologyNode) => string): TopologyGraph {
  if (!status) return view;
  const keep = new Set(view.nodes.filter((n) => statusOf(n) === status).map((n) => n.id));
  const edges = view.edges.filter((e) => keep.has(e.from) || keep.has(e.to));
  const linked = new Set(edges.flatMap((e) => [e.from, e.to]));
  return { nodes: view.nodes.filter((n) => keep.has(n.id) || linked.has(n.id)), edges };
}

/** The level a node id naturally belongs to (pseudo-nodes and hosts appear on every level). */
export function levelOfId(id: string): TopologyLevel | null {
  switch (id.split(':', 1)[0]) {
    case 'host':
    case 'internet':
    case 'network':
      return 'hosts';
    case 'container':
      return 'containers';
    case 'process':
      return 'processes';
    case 'image':
      return 'images';
    default:
      return null;
  }
}

/** A stable number in [0, 1) from a string (FNV-1a), for positions that survive reloads. */
export function hashUnit(text: string, salt = 0): number {
  let h = 0x811c9dc5 ^ salt;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) / 2 ** 32;
}

/** Edges between the same client and server, whatever the port, become one drawn edge. */
export function edgeKey(from: string, to: string): string {
  return `${from}\u0000${to}`;
}

/** Groups a view's edges by client and server. */
export function aggregateEdges(edges: readonly TopologyEdge[]): Map<string, { from: string; to: string; ports: EdgePort[] }> {
  const grouped = new Map<string, { from: string; to: string; ports: EdgePort[] }>();
  for (const edge of edges) {
    const key = edgeKey(edge.from, edge.to);
    let group = grouped.get(key);
    if (!group) {
      group = { from: edge.from, to: edge.to, ports: [] };
      grouped.set(key, group);
    }
    group.ports.push({ transport: edge.transport, port: edge.port, connections: edge.connections });
  }
  for (const group of grouped.values()) {
    group.ports.sort((a, b) => a.port - b.port || a.transport.localeCompare(b.transport));
  }
  return grouped;
}

/** `tcp/443 ×3, tcp/80` for a tooltip. */
export function describePorts(ports: readonly EdgePort[]): string {
  return ports
    .map((p) => `${p.transport.toUpperCase()} ${p.port}${p.connections > 1 ? ` (${p.connections} connections)` : ''}`)
    .join(', ');
}

function nodeAttributes(node: TopologyNode, status: string, degree: number): Omit<MapNode, 'x' | 'y'> {
  const style = kindStyle(node.kind);
  const pseudo = isPseudo(node);
  const size = style.size + Math.min(6, Math.log2(1 + degree));
  return {
    size,
    color: inactive(status) ? INACTIVE_COLOR : style.color,
    label: node.label,
    type: pseudo ? 'border' : 'circle',
    borderColor: pseudo ? '#ffffff' : undefined,
    kind: node.kind,
    status,
    pseudo,
  };
}

/** What {@link applyView} changed. */
export interface ApplyResult {
  added: number;
  removed: number;
  updated: number;
  edgesAdded: number;
  edgesRemoved: number;
}

/**
 * Makes `graph` show `view`: drops what is gone, adds what is new (next to a neighbour already
 * on the map, else at a stable spot derived from its id), and updates the attributes of the
 * rest without touching their position.
 */
export function applyView(
  graph: Graph<MapNode, MapEdge>,
  view: TopologyGraph,
  statusOf: (node: TopologyNode) => string,
): ApplyResult {
  const result: ApplyResult = { added: 0, removed: 0, updated: 0, edgesAdded: 0, edgesRemoved: 0 };
  const wanted = new Map(view.nodes.map((n) => [n.id, n]));
  const grouped = aggregateEdges(view.edges.filter((e) => wanted.has(e.from) && wanted.has(e.to)));
  const degree = new Map<string, number>();
  const neighbours = new Map<string, string[]>();
  for (const { from, to } of grouped.values()) {
    degree.set(from, (degree.get(from) ?? 0) + 1);
    degree.set(to, (degree.get(to) ?? 0) + 1);
    if (!neighbours.has(from)) neighbours.set(from, []);
    if (!neighbours.has(to)) neighbours.set(to, []);
    neighbours.get(from)?.push(to);
    neighbours.get(to)?.push(from);
  }

  const edgesBefore = graph.size;
  for (const id of graph.nodes()) {
    if (!wanted.has(id)) {
      // Its edges go with it.
      graph.dropNode(id);
      result.removed += 1;
    }
  }
  for (const key of graph.edges()) {
    if (!grouped.has(key)) graph.dropEdge(key);
  }
  result.edgesRemoved = edgesBefore - graph.size;

  // The spread of the current map, so new nodes land inside it.
  const { cx, cy, radius } = mapExtent(graph, wanted.size);
  const fresh: TopologyNode[] = [];
  for (const node of view.nodes) {
    const attributes = nodeAttributes(node, statusOf(node), degree.get(node.id) ?? 0);
    if (graph.hasNode(node.id)) {
      const current = graph.getNodeAttributes(node.id);
      if (
        current.label !== attributes.label ||
        current.color !== attributes.color ||
        current.size !== attributes.size ||
        current.status !== attributes.status
      ) {
        graph.mergeNodeAttributes(node.id, attributes);
        result.updated += 1;
      }
    } else {
      fresh.push(node);
    }
  }
  // Nodes with a neighbour on the map first, so chains of new nodes stay together.
  fresh.sort((a, b) => Number(placedNeighbour(graph, neighbours, b.id) !== null) - Number(placedNeighbour(graph, neighbours, a.id) !== null));
  for (const node of fresh) {
    const attributes = nodeAttributes(node, statusOf(node), degree.get(node.id) ?? 0);
    const anchor = placedNeighbour(graph, neighbours, node.id);
    let x: number;
    let y: number;
    if (anchor !== null) {
      const at = graph.getNodeAttributes(anchor);
      const angle = hashUnit(node.id, 1) * 2 * Math.PI;
      const distance = radius * 0.05 * (0.5 + hashUnit(node.id, 2));
      x = at.x + Math.cos(angle) * distance;
      y = at.y + Math.sin(angle) * distance;
    } else {
      const angle = hashUnit(node.id, 1) * 2 * Math.PI;
      const distance = radius * Math.sqrt(hashUnit(node.id, 2));
      x = cx + Math.cos(angle) * distance;
      y = cy + Math.sin(angle) * distance;
    }
    graph.addNode(node.id, { ...attributes, x, y });
    result.added += 1;
  }

  for (const [key, group] of grouped) {
    const connections = group.ports.reduce((sum, p) => sum + p.connections, 0);
    const internet = group.from.startsWith('internet:') || group.to.startsWith('internet:');
    const attributes: MapEdge = {
      // At least 2 px: thinner lines are hard to hover (and to pick at sigma's half resolution).
      size: 2 + Math.min(4, Math.log2(connections)),
      color: internet ? INTERNET_EDGE_COLOR : EDGE_COLOR,
      type: 'arrow',
      ports: group.ports,
      connections,
      weight: 1 + Math.log2(connections),
    };
    if (graph.hasEdge(key)) {
      const current = graph.getEdgeAttributes(key);
      if (current.connections !== connections || describePorts(current.ports) !== describePorts(group.ports)) {
        graph.replaceEdgeAttributes(key, attributes);
      }
    } else {
      graph.addDirectedEdgeWithKey(key, group.from, group.to, attributes);
      result.edgesAdded += 1;
    }
  }
  return result;
}

function placedNeighbour(graph: Graph<MapNode, MapEdge>, neighbours: Map<string, string[]>, id: string): string | null {
  for (const other of neighbours.get(id) ?? []) {
    if (graph.hasNode(other)) return other;
  }
  return null;
}

/** The centre and half the extent of the map, or a size suited to `count` nodes on an empty map. */
function mapExtent(graph: Graph<MapNode, MapEdge>, count: number): { cx: number; cy: number; radius: number } {
  if (graph.order < 2) return { cx: 0, cy: 0, radius: 10 * Math.sqrt(Math.max(1, count)) };
  let minX = Infinity;
  let maxX = -Infinity;
  let minY = Infinity;
  let maxY = -Infinity;
  graph.forEachNode((_, a) => {
    minX = Math.min(minX, a.x);
    maxX = Math.max(maxX, a.x);
    minY = Math.min(minY, a.y);
    maxY = Math.max(maxY, a.y);
  });
  return { cx: (minX + maxX) / 2, cy: (minY + maxY) / 2, radius: Math.max(1, Math.max(maxX - minX, maxY - minY) / 2) };
}
