/**
 * ForceAtlas2 iterations off the main thread. Each message carries the node matrix (and the
 * edge matrix when the graph changed); the worker iterates for `sliceMs` and sends the
 * positions back. Bundled by Vite as a separate file, so it is served by the
 * console itself (no `blob:` worker, which the Content-Security-Policy forbids).
 */
import iterate from 'graphology-layout-forceatlas2/iterate.js';
import type { LayoutReply, LayoutRequest } from './layout';


let edges = new Float32Array(0);

self.onmessage = (event: MessageEvent<LayoutRequest>) => {
  const request = event.data;
  if (request.edges) edges = new Float32Array(request.edges);
  const nodes = new Float32Array(request.nodes);
  const start = performance.now();
  let iterations = 0;
  do {
    iterate(request.settings, nodes, edges);
    iterations += 1;
  } while (performance.now() - start < request.sliceMs);
  const reply: LayoutReply = { run: request.run, nodes: nodes.buffer, iterations };
  (self as unknown as Worker).postMessage(reply, [nodes.buffer]);
};
