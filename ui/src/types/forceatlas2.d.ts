/**
 * Types of the internal modules of graphology-layout-forceatlas2 used by our own layout worker
 * (the package's worker supervisor starts its worker from a `blob:` URL, which the console's
 * Content-Security-Policy forbids, so we bundle a worker of our own).
 */
declare module 'graphology-layout-forceatlas2/iterate.js' {
  import type { ForceAtlas2Settings } from 'graphology-layout-forceatlas2';
  /** One iteration over the node matrix (positions updated in place). */
  export default function iterate(settings: Required<ForceAtlas2Settings>, nodes: Float32Array, edges: Float32Array): void;
}

declare module 'graphology-layout-forceatlas2/helpers.js' {
  import type Graph from 'graphology';
  /** Node and edge matrices of a graph. */
  export function graphToByteArrays(
    graph: Graph,
    getEdgeWeight: (edge: string, attributes: Record<string, unknown>) => number,
  ): { nodes: Float32Array<ArrayBuffer>; edges: Float32Array<ArrayBuffer> };
  /** Writes the matrix positions back into the graph's `x`/`y`. */
  export function assignLayoutChanges(graph: Graph, nodes: Float32Array, outputReducer: null): void;
}
