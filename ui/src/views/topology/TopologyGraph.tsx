/**
 * The map: a WebGL rendering (sigma.js) of a graphology graph kept in step with the view by
 * {@link applyView}, laid out by ForceAtlas2 in a worker. Loaded on demand (it is the heaviest
 * part of the UI) by the topology page.
 *
 * - Click a node to select it (its neighbours stay lit, the rest dims); click the background to
 *   clear the selection. Hover an edge for its ports and protocol.
 * - Without WebGL the component says so and the page falls back to the table.
 */
import { createNodeBorderProgram } from '@sigma/node-border';
import Graph from 'graphology';
import { useEffect, useRef, useState } from 'react';
import type { ReactNode } from 'react';
import Sigma from 'sigma';
import type { NodeHoverDrawingFunction } from 'sigma/rendering';
import type { TopologyGraph, TopologyNode } from '../../services/types';
import { applyView, describePorts } from './model';
import type { ApplyResult, MapEdge, MapNode } from './model';
import { LayoutRunner } from './layout';

/** Props of {@link TopologyGraph}. */
export interface TopologyGraphProps {
  /** The (filtered) view to draw. */
  view: TopologyGraph;
  /** Changing it starts a fresh map (another level). */
  resetKey: string;
  /** Status of a node, for colours. */
  statusOf: (node: TopologyNode) => string;
  selected: string | null;
  /** Bumped when the page wants the camera on the selected node (search, table, links). */
  focusRequest: number;
  /** Nodes to emphasise (search results). */
  highlighted: ReadonlySet<string>;
  onSelect: (id: string | null) => void;
  /** Called once when the browser cannot draw the map. */
  onUnavailable: (reason: string) => void;
  /** Shown under the map, left of the controls (the legend). */
  children?: ReactNode;
}

/** Dark-theme hover label: the node's label on a dark box. */
const drawHover: NodeHoverDrawingFunction<MapNode, MapEdge> = (context, data, settings) => {
  const size = settings.labelSize;
  context.font = `${settings.labelWeight} ${size}px ${settings.labelFont}`;
  const label = data.label ?? '';
  const width = context.measureText(label).width;
  const padding = 4;
  context.fillStyle = '#1b1f2a';
  context.strokeStyle = '#4f8cff';
  context.lineWidth = 1;
  const x = data.x + data.size + 3;
  const y = data.y - size / 2 - padding;
  context.beginPath();
  context.rect(x - padding, y, width + 2 * padding, size + 2 * padding);
  context.fill();
  context.stroke();
  context.beginPath();
  context.arc(data.x, data.y, data.size + 2, 0, Math.PI * 2);
  context.stroke();
  context.fillStyle = '#e4e7ec';
  context.fillText(label, x, data.y + size / 3);
};

const PseudoNodeProgram = createNodeBorderProgram<MapNode, MapEdge>({
  borders: [
    { size: { value: 0.18 }, color: { attribute: 'borderColor' } },
    { size: { fill: true }, color: { attribute: 'color' } },
  ],
  drawHover,
});

const DIMMED = '#262b36';

/**
 * Whether a live update is worth a (short, damped) layout run. New nodes already start next to
 * a neighbour; on big maps every layout step redraws everything, so small churn is left as is.
 */
function needsLayout(order: number, change: ApplyResult): boolean {
  const nodes = change.added + change.removed;
  if (order < 3000) return nodes + change.edgesAdded + change.edgesRemoved > 0;
  return nodes > order * 0.02;
}

/** Read-only access to the drawn map, exposed on the canvas element as `vedetteMap`. */
export interface MapAutomation {
  /** The node's position in pixels from the canvas' top-left corner, null when not drawn. */
  nodePosition: (id: string) => { x: number; y: number } | null;
  /** Ids of the nodes on the map. */
  nodeIds: () => string[];
}

/** Animates the camera to `id` if a focus is pending and the node is on the map. */
function focusSelected(
  sigma: Sigma<MapNode, MapEdge> | null,
  graph: Graph<MapNode, MapEdge>,
  id: string | null,
  pending: { current: boolean },
) {
  if (!sigma || !id || !pending.current || !graph.hasNode(id)) return;
  // Display positions are computed by a render; a node added just now has none yet.
  if (!sigma.getNodeDisplayData(id)) sigma.refresh();
  const position = sigma.getNodeDisplayData(id);
  if (!position) return;
  pending.current = false;
  const camera = sigma.getCamera();
  void camera.animate({ x: position.x, y: position.y, ratio: Math.min(camera.ratio, 0.35) }, { duration: 400 });
}

/** The edge under the pointer. */
interface EdgeTip {
  x: number;
  y: number;
  from: string;
  to: string;
  ports: string;
}

/** The map component (default export, for `React.lazy`). */
export default function TopologyGraph({
  view,
  resetKey,
  statusOf,
  selected,
  focusRequest,
  highlighted,
  onSelect,
  onUnavailable,
  children,
}: TopologyGraphProps) {
  const containerRef = useRef<HTMLDivElement>(null);
  const graphRef = useRef(new Graph<MapNode, MapEdge>({ type: 'directed', multi: false, allowSelfLoops: false }));
  const sigmaRef = useRef<Sigma<MapNode, MapEdge> | null>(null);
  const standInRef = useRef(new Graph<MapNode, MapEdge>({ type: 'directed', multi: false, allowSelfLoops: false }));
  const layoutRef = useRef<LayoutRunner | null>(null);
  const resetRef = useRef(resetKey);
  const selectedRef = useRef(selected);
  const highlightedRef = useRef(highlighted);
  const hoveredRef = useRef<string | null>(null);
  const pendingFocusRef = useRef(false);
  const onSelectRef = useRef(onSelect);
  const [failed, setFailed] = useState<string | null>(null);
  const [layoutRunning, setLayoutRunning] = useState(false);
  // A layout paused by hand stays paused through live updates.
  const pausedRef = useRef(false);
  const [tip, setTip] = useState<EdgeTip | null>(null);

  onSelectRef.current = onSelect;

  // Sigma and the layout live as long as the component.
  useEffect(() => {
    const container = containerRef.current;
    if (!container) return;
    const graph = graphRef.current;
    let sigma: Sigma<MapNode, MapEdge>;
    try {
      sigma = new Sigma<MapNode, MapEdge>(graph, container, {
        defaultEdgeType: 'arrow',
        enableEdgeEvents: true,
        renderEdgeLabels: false,
        labelColor: { color: '#e4e7ec' },
        labelFont: 'system-ui, sans-serif',
        labelSize: 12,
        labelRenderedSizeThreshold: 7,
        defaultDrawNodeHover: drawHover,
        nodeProgramClasses: { border: PseudoNodeProgram },
        zIndex: true,
        minCameraRatio: 0.01,
        maxCameraRatio: 20,
        // Room for the labels of nodes on the border.
        stagePadding: 80,
        // The page hides the map while it has no node; a resize meanwhile must not throw.
        allowInvalidContainer: true,
        nodeReducer: (node, data) => {
          const current = selectedRef.current;
          const lit = highlightedRef.current;
          const result: Partial<MapNode> & { highlighted?: boolean; zIndex?: number; forceLabel?: boolean } = { ...data };
          if (lit.has(node)) {
            result.highlighted = true;
            result.zIndex = 2;
          }
          if (current && graph.hasNode(current)) {
            if (node === current) {
              result.highlighted = true;
              result.forceLabel = true;
              result.zIndex = 3;
            } else if (graph.areNeighbors(node, current)) {
              result.forceLabel = true;
              result.zIndex = 2;
            } else {
              result.color = DIMMED;
              result.borderColor = DIMMED;
              result.label = '';
              result.zIndex = 0;
            }
          }
          if (data.pseudo) result.forceLabel = result.forceLabel ?? true;
          return result;
        },
        edgeReducer: (edge, data) => {
          const current = selectedRef.current;
          const result: Partial<MapEdge> & { hidden?: boolean; zIndex?: number } = { ...data };
          if (current && graph.hasNode(current) && graph.source(edge) !== current && graph.target(edge) !== current) {
            result.hidden = true;
          }
          if (hoveredRef.current === edge) {
            result.color = '#6b9fff';
            result.zIndex = 2;
          }
          return result;
        },
      });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      setFailed(reason);
      onUnavailable(reason);
      return;
    }
    sigmaRef.current = sigma;
    // For automation (the end-to-end test): where a node is drawn, relative to the canvas.
    const automation: MapAutomation = {
      nodePosition: (id) => {
        const data = sigma.getNodeDisplayData(id);
        return data ? sigma.framedGraphToViewport(data) : null;
      },
      nodeIds: () => graph.nodes(),
    };
    Object.defineProperty(container, 'vedetteMap', { value: automation, configurable: true });
    const layout = new LayoutRunner(graph, setLayoutRunning);
    layoutRef.current = layout;
    // Sigma follows window resizes only; the detail panel also changes the map's width.
    const resizes = new ResizeObserver(() => {
      sigma.resize();
      sigma.refresh({ skipIndexation: true });
    });
    resizes.observe(container);

    sigma.on('clickNode', ({ node }) => onSelectRef.current(node));
    sigma.on('clickStage', () => onSelectRef.current(null));
    sigma.on('enterNode', () => container.classList.add('pointing'));
    sigma.on('leaveNode', () => container.classList.remove('pointing'));
    sigma.on('enterEdge', ({ edge, event }) => {
      hoveredRef.current = edge;
      const attributes = graph.getEdgeAttributes(edge);
      setTip({
        x: event.x,
        y: event.y,
        from: graph.getNodeAttribute(graph.source(edge), 'label'),
        to: graph.getNodeAttribute(graph.target(edge), 'label'),
        ports: describePorts(attributes.ports),
      });
      sigma.refresh({ skipIndexation: true });
    });
    sigma.on('leaveEdge', () => {
      hoveredRef.current = null;
      setTip(null);
      sigma.refresh({ skipIndexation: true });
    });
    return () => {
      resizes.disconnect();
      layout.kill();
      sigma.kill();
      sigmaRef.current = null;
      layoutRef.current = null;
    };
    // Created once; the callbacks read refs.
  }, []);

  // Merge every new view into the graph; lay out what changed.
  useEffect(() => {
    const graph = graphRef.current;
    const layout = layoutRef.current;
    if (resetRef.current !== resetKey) {
      resetRef.current = resetKey;
      layout?.stop();
      pausedRef.current = false;
      graph.clear();
    }
    const wasEmpty = graph.order === 0;
    const start = performance.now();
    // Sigma re-indexes the whole graph for every node or edge dropped: with thousands of nodes a
    // live update would take seconds. It watches an empty stand-in during the merge and
    // re-indexes once when given the graph back (all within this task: nothing blank is painted).
    const sigma = sigmaRef.current;
    sigma?.setGraph(standInRef.current);
    const change = applyView(graph, view, statusOf);
    sigma?.setGraph(graph);
    // Big maps move smoothly only without their edges and labels while panning and zooming.
    const big = graph.size > 2000 || graph.order > 3000;
    if (sigma && sigma.getSetting('hideEdgesOnMove') !== big) {
      sigma.setSetting('hideEdgesOnMove', big);
      sigma.setSetting('hideLabelsOnMove', big);
    }
    performance.measure('vedette:map-apply', { start, end: performance.now() });
    if (!layout) return;
    if (wasEmpty && graph.order > 0) {
      // Big maps get longer to settle; the layout keeps going while people look around.
      layout.start(Math.min(15_000, 3000 + graph.order * 2));
      sigmaRef.current?.getCamera().setState({ x: 0.5, y: 0.5, ratio: 1, angle: 0 });
    } else if (!pausedRef.current && needsLayout(graph.order, change)) {
      layout.start(2000, true);
    }
    focusSelected(sigmaRef.current, graph, selectedRef.current, pendingFocusRef);
  }, [view, resetKey, statusOf]);

  // Selection and highlights only change how things are drawn.
  useEffect(() => {
    selectedRef.current = selected;
    highlightedRef.current = highlighted;
    sigmaRef.current?.refresh({ skipIndexation: true });
  }, [selected, highlighted]);

  // Moves the camera to the selected node when the page asks for it (once the node is drawn).
  useEffect(() => {
    if (focusRequest === 0) return;
    pendingFocusRef.current = true;
    focusSelected(sigmaRef.current, graphRef.current, selectedRef.current, pendingFocusRef);
  }, [focusRequest]);

  const zoom = (factor: number) => {
    const camera = sigmaRef.current?.getCamera();
    if (!camera) return;
    void camera.animate({ ratio: camera.ratio / factor }, { duration: 200 });
  };
  const fit = () => void sigmaRef.current?.getCamera().animatedReset({ duration: 300 });
  const toggleLayout = () => {
    const layout = layoutRef.current;
    if (!layout) return;
    pausedRef.current = layout.running;
    if (layout.running) layout.stop();
    else layout.start(10_000);
  };

  if (failed) {
    return (
      <div className="map map-failed" role="status">
        <p>This browser cannot draw the map (WebGL is not available: {failed}). The table shows the same nodes.</p>
      </div>
    );
  }

  return (
    <div className="map">
      <div
        ref={containerRef}
        className="map-canvas"
        data-testid="topology-map"
        data-nodes={view.nodes.length}
        role="img"
        aria-label={`Topology map: ${view.nodes.length} nodes and ${view.edges.length} connections. The table view lists them for keyboard use.`}
      />
      <div className="map-footer">
        {children}
        {layoutRef.current?.failure && <p className="map-note">The layout could not start: {layoutRef.current.failure}</p>}
        <div className="map-controls" role="toolbar" aria-label="Map controls">
        <button type="button" className="btn btn-small" onClick={() => zoom(1.5)} aria-label="Zoom in">
          +
        </button>
        <button type="button" className="btn btn-small" onClick={() => zoom(1 / 1.5)} aria-label="Zoom out">
          −
        </button>
        <button type="button" className="btn btn-small" onClick={fit}>
          Fit
        </button>
        <button type="button" className="btn btn-small" onClick={toggleLayout} aria-pressed={layoutRunning}>
          {layoutRunning ? 'Pause layout' : 'Run layout'}
        </button>
        </div>
      </div>
      {tip && (
        <div className="map-tip" role="tooltip" style={{ left: tip.x + 12, top: tip.y + 12 }}>
          <div>
            <strong>{tip.from}</strong> → <strong>{tip.to}</strong>
          </div>
          <div className="mono">{tip.ports}</div>
        </div>
      )}
    </div>
  );
}
