/** Tests of the map model: status, filters and the incremental merge into the graph. */
import Graph from 'graphology';
import { describe, expect, it } from 'vitest';
import type { TopologyGraph, TopologyNode } from '../../services/types';
import { applyView, describePorts, filterByStatus, hashUnit, levelOfId, nodeStatus, sensorStatuses } from './model';
import type { MapEdge, MapNode } from './model';

function node(id: string, kind: string, extra: Partial<TopologyNode> = {}): TopologyNode {
  return { id, kind, label: id.split(':').at(-1) ?? id, sensor_id: 's1', host: 'web', attributes: {}, ...extra };
}

const VIEW: TopologyGraph = {
  nodes: [
    node('host:s1', 'host'),
    node('host:s2', 'host', { sensor_id: 's2', host: 'db' }),
    node('internet:outbound', 'internet', { sensor_id: null, host: null, attributes: null, label: 'The Internet (outbound)' }),
  ],
  edges: [
    { from: 'host:s1', to: 'host:s2', transport: 'tcp', port: 5432, connections: 3 },
    { from: 'host:s1', to: 'host:s2', transport: 'tcp', port: 6379, connections: 1 },
    { from: 'host:s1', to: 'internet:outbound', transport: 'tcp', port: 443, connections: 2 },
  ],
};

const statuses = sensorStatuses([
  { id: 's1', hostname: 'web', version: '0.1.0', status: 'online', registered_at: '', last_seen_at: '', visibility: 'host', collectors: [] },
  { id: 's2', hostname: 'db', version: '0.1.0', status: 'offline', registered_at: '', last_seen_at: '', visibility: 'host', collectors: [] },
]);
const statusOf = (n: TopologyNode) => nodeStatus(n, statuses);

describe('topology model', () => {
  it('derives statuses from sensors and container states', () => {
    expect(statusOf(VIEW.nodes[0])).toBe('online');
    expect(statusOf(VIEW.nodes[1])).toBe('offline');
    expect(statusOf(VIEW.nodes[2])).toBe('');
    expect(statusOf(node('container:c1', 'container', { attributes: { state: 'exited' } }))).toBe('exited');
    expect(statusOf(node('image:i1', 'image', { sensor_id: null }))).toBe('');
  });

  it('filters by status, keeping what matching nodes talk to', () => {
    const offline = filterByStatus(VIEW, 'offline', statusOf);
    expect(offline.nodes.map((n) => n.id)).toEqual(['host:s1', 'host:s2']);
    expect(offline.edges).toHaveLength(2);
    expect(filterByStatus(VIEW, 'paused', statusOf)).toEqual({ nodes: [], edges: [] });
    expect(filterByStatus(VIEW, '', statusOf)).toBe(VIEW);
  });

  it('knows the level of every id', () => {
    expect(levelOfId('host:s1')).toBe('hosts');
    expect(levelOfId('network:10.0.0.0/16')).toBe('hosts');
    expect(levelOfId('process:s1:42')).toBe('processes');
    expect(levelOfId('container:abc')).toBe('containers');
    expect(levelOfId('image:sha256:1')).toBe('images');
    expect(levelOfId('bogus')).toBeNull();
    expect(hashUnit('a')).toBe(hashUnit('a'));
    expect(hashUnit('a')).not.toBe(hashUnit('b'));
  });

  it('draws pseudo-nodes distinctly and one edge per client/server pair with all its ports', () => {
    const graph = new Graph<MapNode, MapEdge>({ type: 'directed' });
    const result = applyView(graph, VIEW, statusOf);
    expect(result).toMatchObject({ added: 3, removed: 0, edgesAdded: 2 });
    const internet = graph.getNodeAttributes('internet:outbound');
    expect(internet.type).toBe('border');
    expect(internet.pseudo).toBe(true);
    expect(graph.getNodeAttributes('host:s1').type).toBe('circle');
    // The offline host is greyed out.
    expect(graph.getNodeAttributes('host:s2').color).not.toBe(graph.getNodeAttributes('host:s1').color);
    const [edge] = graph.edges('host:s1', 'host:s2');
    const attributes = graph.getEdgeAttributes(edge);
    expect(attributes.connections).toBe(4);
    expect(describePorts(attributes.ports)).toBe('TCP 5432 (3 connections), TCP 6379');
  });

  it('merges a new view without moving nodes already placed', () => {
    const graph = new Graph<MapNode, MapEdge>({ type: 'directed' });
    applyView(graph, VIEW, statusOf);
    graph.setNodeAttribute('host:s1', 'x', 123);
    graph.setNodeAttribute('host:s1', 'y', -45);
    const next: TopologyGraph = {
      nodes: [VIEW.nodes[0], VIEW.nodes[2], node('host:s3', 'host', { sensor_id: 's3', label: 'cache' })],
      edges: [
        { from: 'host:s1', to: 'internet:outbound', transport: 'tcp', port: 443, connections: 2 },
        { from: 'host:s3', to: 'host:s1', transport: 'tcp', port: 80, connections: 1 },
      ],
    };
    const result = applyView(graph, next, statusOf);
    expect(result).toMatchObject({ added: 1, removed: 1, edgesAdded: 1, edgesRemoved: 1 }); // s1→s2 went with s2
    expect(graph.getNodeAttributes('host:s1')).toMatchObject({ x: 123, y: -45 });
    // The newcomer starts next to its neighbour, not anywhere.
    const s3 = graph.getNodeAttributes('host:s3');
    const spread = 200;
    expect(Math.hypot(s3.x - 123, s3.y + 45)).toBeLessThan(spread * 0.1);
    expect(graph.hasNode('host:s2')).toBe(false);
    // Nothing changed: nothing to do.
    expect(applyView(graph, next, statusOf)).toEqual({ added: 0, removed: 0, updated: 0, edgesAdded: 0, edgesRemoved: 0 });
  });
});
