/**
 * Runs the ForceAtlas2 layout of the map in a web worker for a bounded time.
 *
 * A first layout runs for a few seconds; after a live update it runs briefly with a strong
 * slow-down, so that nodes already placed barely move while new ones settle next to their
 * neighbours. People can also run or pause it.
 */
import type Graph from 'graphology';
import { inferSettings } from 'graphology-layout-forceatlas2';
import type { ForceAtlas2Settings } from 'graphology-layout-forceatlas2';
import { assignLayoutChanges, graphToByteArrays } from 'graphology-layout-forceatlas2/helpers.js';

/** A request to the worker. */
export interface LayoutRequest {
  run: number;
  /** How long the worker iterates before answering. */
  sliceMs: number;
  settings: Required<ForceAtlas2Settings>;
  nodes: ArrayBuffer;
  edges?: ArrayBuffer;
}

/** The worker's answer. */
export interface LayoutReply {
  run: number;
  nodes: ArrayBuffer;
  iterations: number;
}

const DEFAULTS: Required<ForceAtlas2Settings> = {
  linLogMode: false,
  outboundAttractionDistribution: false,
  adjustSizes: false,
  edgeWeightInfluence: 1,
  scalingRatio: 1,
  strongGravityMode: false,
  gravity: 1,
  slowDown: 1,
  barnesHutOptimize: false,
  barnesHutTheta: 0.5,
};

/**
 * How long the worker iterates between two position updates: every update costs the main
 * thread a pass over all nodes (sigma re-reads them), so big maps get fewer, larger steps
 * (25 ms up to 200 nodes, 125 ms at 5,000, at most 250 ms).
 */
export function sliceMs(order: number): number {
  return Math.min(250, Math.max(25, order / 40));
}

/** Settings for a graph of `order` nodes; `gentle` for updates of a laid-out map. */
export function layoutSettings(order: number, gentle: boolean): Required<ForceAtlas2Settings> {
  const inferred = inferSettings(order);
  return {
    ...DEFAULTS,
    ...inferred,
    // Hubs (the internet, busy servers) are pushed to the border rather than the centre.
    outboundAttractionDistribution: true,
    barnesHutOptimize: order > 500,
    slowDown: gentle ? 20 : Math.max(1, Math.log10(Math.max(10, order))),
  };
}

/** Controls the layout of one graph. */
export class LayoutRunner {
  private worker: Worker | null = null;
  private run = 0;
  private deadline = 0;
  private settings: Required<ForceAtlas2Settings> = DEFAULTS;
  private readonly graph: Graph;
  private readonly onRunning: (running: boolean) => void;
  /** Why the worker could not start, if it could not. */
  failure: string | null = null;
  running = false;

  constructor(graph: Graph, onRunning: (running: boolean) => void) {
    this.graph = graph;
    this.onRunning = onRunning;
  }

  private ensureWorker(): Worker | null {
    if (this.worker || this.failure) return this.worker;
    try {
      const worker = new Worker(new URL('./layout.worker.ts', import.meta.url), { type: 'module', name: 'topology-layout' });
      worker.onmessage = (event: MessageEvent<LayoutReply>) => this.receive(event.data);
      worker.onerror = (event) => {
        this.failure = event.message || 'the layout worker failed';
        this.setRunning(false);
      };
      this.worker = worker;
    } catch (error) {
      this.failure = error instanceof Error ? error.message : String(error);
    }
    return this.worker;
  }

  private setRunning(running: boolean) {
    if (this.running === running) return;
    this.running = running;
    this.onRunning(running);
  }

  /** (Re)starts the layout from the current positions for `ms` milliseconds. */
  start(ms: number, gentle = false): void {
    const worker = this.ensureWorker();
    if (!worker || this.graph.order === 0) {
      this.stop();
      return;
    }
    this.run += 1;
    this.deadline = performance.now() + ms;
    this.settings = layoutSettings(this.graph.order, gentle);
    const matrices = graphToByteArrays(this.graph, (_edge, attributes) => Number(attributes.weight) || 1);
    const request: LayoutRequest = {
      run: this.run,
      sliceMs: sliceMs(this.graph.order),
      settings: this.settings,
      nodes: matrices.nodes.buffer,
      edges: matrices.edges.buffer,
    };
    worker.postMessage(request, [matrices.nodes.buffer, matrices.edges.buffer]);
    this.setRunning(true);
  }

  private receive(reply: LayoutReply) {
    // Answers to an earlier run (the graph changed since) are dropped.
    if (reply.run !== this.run || !this.running) return;
    const nodes = new Float32Array(reply.nodes);
    if (nodes.length !== this.graph.order * 10) return;
    assignLayoutChanges(this.graph, nodes, null);
    if (performance.now() >= this.deadline) {
      this.stop();
      return;
    }
    const request: LayoutRequest = { run: this.run, sliceMs: sliceMs(this.graph.order), settings: this.settings, nodes: nodes.buffer };
    this.worker?.postMessage(request, [nodes.buffer]);
  }

  /** Stops after the iteration in progress. */
  stop(): void {
    this.run += 1;
    this.setRunning(false);
  }

  /** Ends the worker for good. */
  kill(): void {
    this.stop();
    this.worker?.terminate();
    this.worker = null;
  }
}
