/**
 * Benchmark of the topology map with many nodes, in Debian's Chromium against the real console.
 *
 *   cd ui && npm run build && CARGO_TARGET_DIR=… node benches/map.bench.mjs [nodes] [seconds]
 *
 * The console, sign-in, the page, the WebGL map, the layout worker and the live stream are
 * real; a real `vedette sensor` reports every second so the change stream keeps firing. Only
 * the topology view itself is synthetic (`page.route` answers `GET /api/v1/topology`): N
 * process nodes on N/100 hosts plus the internet and private-network pseudo-nodes, about 1.2
 * edges per node, and about 1 % of the nodes replaced on every fetch, like a busy fleet.
 *
 * Prints: time to the first drawn map, fetch and merge times of live updates, frames per second
 * and the longest frame while the layout runs and the camera zooms, long tasks (> 50 ms) on the
 * main thread, and the JS heap.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { BIN, createHarness, setupAdmin } from '../e2e/harness.mjs';

const NODES = Number(process.argv[2] ?? 5000);
const SECONDS = Number(process.argv[3] ?? 20);
const HOSTS = Math.max(1, Math.round(NODES / 100));

/** A deterministic pseudo-random generator, so every run draws the same map. */
function random(seed) {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

let generation = 0;
let nextPid = 0;
const live = new Map();

function processNode(host, pid) {
  return {
    id: `process:sensor-${host}:${pid}`,
    kind: 'process',
    label: `worker-${pid % 97} (${pid})`,
    sensor_id: `sensor-${host}`,
    host: `host-${host}`,
    attributes: { pid, ppid: 1, name: `worker-${pid % 97}`, cmdline: ['/usr/bin/worker', '--port', String(8000 + (pid % 50))], user: 'app', rss_bytes: 50_000_000, threads: 8 },
  };
}

/** The view after one more fetch: about 1 % of the processes replaced. */
function view() {
  const rnd = random(++generation);
  if (live.size === 0) {
    for (let i = 0; i < NODES; i++) {
      const node = processNode(i % HOSTS, ++nextPid);
      live.set(node.id, node);
    }
  } else {
    const ids = [...live.keys()];
    for (let i = 0; i < NODES / 100; i++) {
      live.delete(ids[Math.floor(rnd() * ids.length)]);
      const node = processNode(Math.floor(rnd() * HOSTS), ++nextPid);
      live.set(node.id, node);
    }
  }
  const nodes = [...live.values()];
  const edges = [];
  const shape = random(7);
  for (let i = 0; i < nodes.length; i++) {
    // Each process talks to a server on another host; some to the internet or a private network.
    const from = nodes[i].id;
    const to = nodes[Math.floor(shape() * nodes.length)].id;
    if (to !== from) edges.push({ from, to, transport: 'tcp', port: 8000 + (i % 50), connections: 1 + (i % 3) });
    if (i % 10 === 0) edges.push({ from, to: 'internet:outbound', transport: 'tcp', port: 443, connections: 1 });
    if (i % 25 === 0) edges.push({ from: 'internet:inbound', to: from, transport: 'tcp', port: 443, connections: 2 });
    if (i % 40 === 0) edges.push({ from, to: 'network:10.9.0.0/16', transport: 'udp', port: 53, connections: 1 });
  }
  const pseudo = [
    { id: 'internet:outbound', kind: 'internet', label: 'The Internet (outbound)', sensor_id: null, host: null, attributes: null },
    { id: 'internet:inbound', kind: 'internet', label: 'The Internet (inbound)', sensor_id: null, host: null, attributes: null },
    { id: 'network:10.9.0.0/16', kind: 'private_network', label: 'private network 10.9.0.0/16', sensor_id: null, host: null, attributes: null },
  ];
  return { nodes: [...nodes, ...pseudo], edges };
}

const harness = createHarness('bench');
const { env } = harness;
await harness.start();
try {
  const page = await harness.newPage();
  await setupAdmin(page, env, { username: 'bench', password: 'Amber-Forest-Beacon-31' });
  const sensor = spawn(
    BIN,
    ['sensor', '--console-url', env.url, '--api-key', env.apiKey, '--console-fingerprint', env.fingerprintText, '--interval', '1s',
      '--visibility', 'host', '--docker-socket', '/nonexistent/docker.sock', '--state-file', path.join(env.dataDir, 'sensor-state.json')],
    { stdio: 'ignore' },
  );
  env.children.push(sensor);

  let served = 0;
  await page.route(/\/api\/v1\/topology\?/, (route) => {
    served += 1;
    return route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(view()) });
  });
  await page.addInitScript(() => {
    window.__longTasks = [];
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) window.__longTasks.push(entry.duration);
    }).observe({ type: 'longtask', buffered: true });
  });

  const total = NODES + 3;
  const started = Date.now();
  await page.goto(`${env.url}/topology?level=processes`);
  await page.waitForFunction(
    (n) => (document.querySelector('[data-testid="topology-map"]')?.vedetteMap?.nodeIds().length ?? 0) >= n,
    total,
    { timeout: 120_000, polling: 50 },
  );
  const firstDraw = Date.now() - started;

  const profiling = process.env.PROFILE === '1';
  const cdp = profiling ? await page.context().newCDPSession(page) : null;
  if (cdp) {
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.start');
  }
  // Frames while the camera zooms in and out (`seconds` long), clicking the map's zoom buttons.
  const measureFrames = (seconds) => page.evaluate(async (seconds) => {
    const buttons = [...document.querySelectorAll('.map-controls button')];
    const zoomIn = buttons.find((b) => b.getAttribute('aria-label') === 'Zoom in');
    const zoomOut = buttons.find((b) => b.getAttribute('aria-label') === 'Zoom out');
    const times = [];
    const end = performance.now() + seconds * 1000;
    let flip = 0;
    await new Promise((resolve) => {
      const tick = (now) => {
        times.push(now);
        if (times.length % 30 === 0) (flip++ % 2 ? zoomOut : zoomIn)?.click();
        if (now < end) requestAnimationFrame(tick);
        else resolve(undefined);
      };
      requestAnimationFrame(tick);
    });
    const gaps = times.slice(1).map((t, i) => t - times[i]);
    return { fps: gaps.length / (seconds), longest: Math.max(...gaps) };
  }, seconds);
  // While the layout runs and live updates arrive…
  const frames = await measureFrames(SECONDS);
  // …and with the layout paused (live updates still arriving).
  // (Run, then pause: a paused layout stays paused through live updates.)
  const run = page.getByRole('button', { name: 'Run layout' });
  if (await run.isVisible()) await run.click({ timeout: 5000 }).catch(() => undefined);
  await page.getByRole('button', { name: 'Pause layout' }).click();
  await page.getByRole('button', { name: 'Run layout' }).waitFor();
  const still = await measureFrames(5);

  if (cdp) {
    // Where the main thread spent its time, by function (self time), for PROFILE=1 runs.
    const { profile } = await cdp.send('Profiler.stop');
    const self = new Map();
    const dt = profile.timeDeltas ?? [];
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    profile.samples.forEach((id, i) => {
      const f = byId.get(id).callFrame;
      const key = `${f.functionName || '(anonymous)'} ${f.url.split('/').pop()}:${f.lineNumber}`;
      self.set(key, (self.get(key) ?? 0) + (dt[i] ?? 0) / 1000);
    });
    for (const [key, t] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 15)) console.log(`  ${Math.round(t)} ms  ${key}`);
  }
  const stats = await page.evaluate(() => {
    const pick = (name) => performance.getEntriesByName(name).map((e) => e.duration);
    return {
      fetch: pick('vedette:topology-fetch'),
      apply: pick('vedette:map-apply'),
      longTasks: window.__longTasks,
      heap: performance.memory?.usedJSHeapSize ?? null,
    };
  });
  const median = (xs) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] : NaN);
  const max = (xs) => (xs.length ? Math.max(...xs) : NaN);
  const ms = (x) => `${Math.round(x)} ms`;
  const edges = view().edges.length;
  console.log(`map benchmark: ${total} nodes, ~${edges} edges, ${SECONDS} s of live updates (Chromium ${env.browser.version()})`);
  console.log(`  first map drawn after          ${ms(firstDraw)} (page load, sign-in check, fetch, merge, first render)`);
  console.log(`  views served                   ${served} (one per batched change)`);
  console.log(`  fetch + parse, median / max    ${ms(median(stats.fetch))} / ${ms(max(stats.fetch))}`);
  console.log(`  merge into the map, first      ${ms(stats.apply[0])}`);
  console.log(`  merge of a live update, median / max  ${ms(median(stats.apply.slice(1)))} / ${ms(max(stats.apply.slice(1)))}`);
  console.log(`  frames per second, layout on    ${frames.fps.toFixed(1)} (longest frame ${ms(frames.longest)})`);
  console.log(`  frames per second, layout off   ${still.fps.toFixed(1)} (longest frame ${ms(still.longest)})`);
  console.log(`  long tasks (> 50 ms)           ${stats.longTasks.length}, longest ${ms(max(stats.longTasks))}`);
  if (stats.heap) console.log(`  JS heap                        ${(stats.heap / 1048576).toFixed(0)} MiB`);
} finally {
  await harness.stop();
}
