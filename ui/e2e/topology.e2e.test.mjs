/**
 * End-to-end test of the topology map and the sensors page: the real console, a real
 * `vedette sensor` process reporting this host (every second, without Docker), and Debian's
 * Chromium drawing the map with WebGL. See `harness.mjs` for the environment.
 *
 * The map is a canvas: the test finds where a node is drawn through the read-only
 * `vedetteMap` accessor of the canvas element and clicks or hovers there like a person would.
 *
 * Screenshots (`topology-*`, `sensors*`) land in `ui/test-results/`.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { hostname, release } from 'node:os';
import path from 'node:path';
import { BIN, createHarness, screenshot, setupAdmin } from './harness.mjs';

const ADMIN = { username: 'mapadmin', password: 'Amber-Forest-Beacon-31' };

const harness = createHarness('topology');
const { env, newPage } = harness;

before(harness.start);
after(harness.stop);

/** The host name the sensor reports (`/etc/hostname`, else the kernel's node name). */
function reportedHostname() {
  try {
    const name = readFileSync('/etc/hostname', 'utf8').trim();
    if (name) return name;
  } catch {
    // Fall back to the kernel's idea.
  }
  return hostname();
}

/** Starts `vedette sensor` against the console; its stderr is kept for failure messages. */
function startSensor() {
  const child = spawn(
    BIN,
    [
      'sensor',
      '--console-url',
      env.url,
      '--api-key',
      env.apiKey,
      '--console-fingerprint',
      env.fingerprintText,
      '--interval',
      '1s',
      '--visibility',
      'host',
      '--docker-socket',
      '/nonexistent/docker.sock',
      '--state-file',
      path.join(env.dataDir, 'sensor-state.json'),
    ],
    { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, RUST_LOG: process.env.RUST_LOG ?? 'info' } },
  );
  const sensor = { child, stderr: '' };
  child.stderr.on('data', (chunk) => {
    sensor.stderr += chunk.toString();
  });
  env.children.push(child);
  return sensor;
}

/** Waits for the child to exit; returns its exit code. */
function exited(child, ms) {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`process ${child.pid} still running after ${ms} ms`)), ms);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

/** Ids of the nodes on the drawn map. */
function mapNodeIds(page) {
  return page.getByTestId('topology-map').evaluate((el) => el.vedetteMap.nodeIds());
}

/** Waits until the map holds a node. */
async function waitForMapNode(page, id, timeout = 30_000) {
  await page.waitForFunction(
    (wanted) => document.querySelector('[data-testid="topology-map"]')?.vedetteMap?.nodeIds().includes(wanted) ?? false,
    id,
    { timeout },
  );
}

/** Pauses the layout (so nodes stay put), then returns a node's position on the page. */
async function nodeOnPage(page, id) {
  const pause = page.getByRole('button', { name: 'Pause layout' });
  if (await pause.isVisible()) await pause.click({ timeout: 2000 }).catch(() => undefined);
  await page.getByRole('button', { name: 'Run layout' }).waitFor();
  const map = page.getByTestId('topology-map');
  const box = await map.boundingBox();
  assert.ok(box, 'the map is on the page');
  const position = await map.evaluate((el, wanted) => el.vedetteMap.nodePosition(wanted), id);
  assert.ok(position, `node ${id} is drawn`);
  assert.ok(position.x >= 0 && position.x <= box.width && position.y >= 0 && position.y <= box.height, `node ${id} is inside the canvas: ${JSON.stringify(position)}`);
  return { x: box.x + position.x, y: box.y + position.y };
}

/**
 * Moves the pointer along the line between two nodes (a few points, a pixel or two to each
 * side, as a hand would) until the edge tooltip shows.
 */
async function hoverEdge(page, from, to, tip) {
  const length = Math.hypot(to.x - from.x, to.y - from.y);
  const normal = { x: -(to.y - from.y) / length, y: (to.x - from.x) / length };
  for (const along of [0.5, 0.4, 0.6, 0.3, 0.7]) {
    for (const side of [0, 1, -1, 2, -2]) {
      await page.mouse.move(from.x + (to.x - from.x) * along + normal.x * side, from.y + (to.y - from.y) * along + normal.y * side);
      if (await tip.isVisible()) return;
    }
  }
  await tip.waitFor({ timeout: 2000 });
}

test('live topology map and sensors in the browser', { timeout: 300_000 }, async (t) => {
  const page = await newPage();
  const host = reportedHostname();
  /** @type {{ child: import('node:child_process').ChildProcess, stderr: string } | null} */
  let sensor = null;
  let sensorId = '';
  const consolePort = Number(new URL(env.url).port);

  await setupAdmin(page, env, ADMIN);

  await t.test('without a sensor, the sensors page shows the command to start one', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Sensors' }).click();
    await page.getByRole('heading', { name: 'No sensor reports to this console yet' }).waitFor();
    const command = (await page.getByLabel('Sensor command', { exact: true }).textContent()) ?? '';
    assert.ok(command.includes('sensor') && command.includes(env.url.replace(/^https:\/\//, '')), `sensor command shown: ${command}`);
    assert.ok(!command.includes(env.apiKey), 'the key is masked in the displayed command');
    await screenshot(page, 'sensors-empty');
  });

  await t.test('the topology page shows the host as soon as a sensor reports, without a reload', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Topology' }).click();
    await page.getByTestId('no-sensor').waitFor();
    await page.getByTestId('live-status').filter({ hasText: /^Live$/ }).waitFor();
    sensor = startSensor();
    await page.getByTestId('topology-map').waitFor({ timeout: 60_000 }).catch((error) => {
      throw new Error(`${error.message}\nsensor output:\n${sensor?.stderr}`);
    });
    sensorId = await page.evaluate(async () => {
      const response = await fetch('/api/v1/sensors');
      const page = await response.json();
      return page.items[0]?.id ?? '';
    });
    assert.ok(sensorId, 'the sensor is registered');
    await waitForMapNode(page, `host:${sensorId}`);
    await screenshot(page, 'topology-hosts');
  });

  await t.test('clicking the host node opens its details, Escape closes them', async () => {
    const at = await nodeOnPage(page, `host:${sensorId}`);
    await page.mouse.click(at.x, at.y);
    const panel = page.getByTestId('node-detail');
    await panel.getByRole('heading', { name: host, exact: true }).waitFor();
    // Every attribute, e.g. the kernel release, and where it came from.
    await panel.getByText(release(), { exact: true }).waitFor();
    await panel.getByText(`host:${sensorId}`, { exact: true }).waitFor();
    assert.equal(new URL(page.url()).searchParams.get('node'), `host:${sensorId}`);
    // Keyboard users land in the panel.
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'node-detail-title');
    await screenshot(page, 'topology-host-detail');
    await page.keyboard.press('Escape');
    await panel.waitFor({ state: 'detached' });
  });

  await t.test('the processes level shows the processes and their connections', async () => {
    const child = sensor?.child;
    assert.ok(child?.pid, 'sensor running');
    await page.getByRole('group', { name: 'Level' }).getByRole('button', { name: 'Processes' }).click();
    const sensorProcess = `process:${sensorId}:${child.pid}`;
    const consoleProcess = `process:${sensorId}:${env.console?.pid}`;
    await waitForMapNode(page, sensorProcess);
    await waitForMapNode(page, consoleProcess);
    const ids = await mapNodeIds(page);
    assert.ok(ids.filter((id) => id.startsWith('process:')).length >= 3, `several processes: ${ids.length} nodes`);
    await screenshot(page, 'topology-processes');

    // Narrowed to the vedette processes, with the sensor selected (its edges alone stay drawn),
    // hovering its edge to the console names the port and protocol.
    await page.getByLabel('Name').fill('vedette');
    await page.waitForFunction(() => new URL(location.href).searchParams.get('name') === 'vedette');
    await waitForMapNode(page, sensorProcess);
    await waitForMapNode(page, consoleProcess);
    const sensorAt = await nodeOnPage(page, sensorProcess);
    await page.mouse.click(sensorAt.x, sensorAt.y);
    await page.getByTestId('node-detail').getByRole('heading', { name: `vedette (${child.pid})` }).waitFor();
    const from = await nodeOnPage(page, sensorProcess);
    const to = await nodeOnPage(page, consoleProcess);
    const tip = page.getByRole('tooltip');
    await hoverEdge(page, from, to, tip);
    assert.match((await tip.textContent()) ?? '', new RegExp(`TCP ${consolePort}\\b`));
    await screenshot(page, 'topology-edge-hover');
    await page.mouse.move(5, 5);
    await page.getByRole('button', { name: 'Close details' }).click();
  });

  await t.test('the table view pages, sorts and filters the same nodes; a row opens the details', async () => {
    const child = sensor?.child;
    assert.ok(child?.pid);
    await page.getByRole('group', { name: 'Show as' }).getByRole('button', { name: 'Table' }).click();
    const table = page.getByTestId('topology-table');
    await table.locator('tbody tr[data-node]').first().waitFor();
    const row = table.locator(`tr[data-node="process:${sensorId}:${child.pid}"]`);
    await row.waitFor();
    // The console keeps the matching nodes and what they talk to.
    const names = await table.locator('tbody tr[data-node] td:first-child').allTextContents();
    assert.ok(names.filter((n) => n.startsWith('vedette (')).length >= 2, `the vedette processes: ${names.join(', ')}`);
    assert.equal(new URL(page.url()).searchParams.get('name'), 'vedette');
    await table.getByRole('button', { name: /^Connections/ }).click();
    await table.getByRole('columnheader', { name: /Connections ↑/ }).waitFor();
    await row.getByRole('button', { name: `vedette (${child.pid})` }).click();
    const panel = page.getByTestId('node-detail');
    await panel.getByRole('heading', { name: `vedette (${child.pid})` }).waitFor();
    // Its command line, and its connection to the console.
    await panel.getByText('--docker-socket', { exact: false }).first().waitFor();
    await panel.getByTestId('node-connections').getByText(`TCP ${consolePort}`).waitFor();
    // The sensor's command line carries the API key: the page masks it.
    const shown = (await panel.textContent()) ?? '';
    assert.ok(shown.includes('--api-key ••••••') && !shown.includes(env.apiKey), 'the API key is masked in the command line');
    await screenshot(page, 'topology-table');
    await page.getByRole('button', { name: 'Close details' }).click();
    await page.getByRole('button', { name: 'Clear filters' }).first().click();
  });

  await t.test('search finds the host by name and opens it on the hosts level', async () => {
    await page.getByRole('searchbox', { name: 'Search the topology' }).fill(host);
    await page.getByRole('search').getByRole('button', { name: 'Search' }).click();
    const results = page.getByTestId('search-results');
    await results.getByRole('button', { name: host, exact: true }).click();
    await page.getByTestId('node-detail').getByRole('heading', { name: host, exact: true }).waitFor();
    assert.equal(new URL(page.url()).searchParams.get('level'), 'hosts');
    await page.getByRole('button', { name: 'Clear search' }).click();
  });

  await t.test('the sensors page lists the sensor online and links to its host', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Sensors' }).click();
    const row = page.locator(`tr[data-sensor="${sensorId}"]`);
    await row.waitFor();
    assert.equal(await row.getAttribute('data-status'), 'online');
    await row.getByText('Online', { exact: true }).waitFor();
    await row.getByText('Whole host', { exact: true }).waitFor();
    await row.getByRole('link', { name: host, exact: true }).waitFor();
    await screenshot(page, 'sensors');
    await row.getByRole('link', { name: host, exact: true }).click();
    await page.waitForURL(/\/topology\?/);
    await page.getByTestId('node-detail').getByRole('heading', { name: host, exact: true }).waitFor();
    assert.equal(new URL(page.url()).searchParams.get('node'), `host:${sensorId}`);
  });

  await t.test('an admin disables the sensor after confirming; it stops, then is enabled and removed', async () => {
    const child = sensor?.child;
    assert.ok(child);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Sensors' }).click();
    const row = page.locator(`tr[data-sensor="${sensorId}"]`);
    await row.getByRole('button', { name: 'Disable' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
    assert.equal(await row.getAttribute('data-status'), 'online', 'cancel changes nothing');
    await row.getByRole('button', { name: 'Disable' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Disable sensor' }).click();
    await row.getByText('Disabled', { exact: true }).waitFor();
    // The sensor learns it at its next request and stops, saying why.
    await exited(child, 60_000);
    assert.match(sensor?.stderr ?? '', /disabled/i);

    await row.getByRole('button', { name: 'Enable' }).click();
    await row.getByRole('button', { name: 'Disable' }).waitFor();
    await row.getByRole('button', { name: 'Remove' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Remove sensor' }).click();
    await row.waitFor({ state: 'detached' });
    await page.getByRole('heading', { name: 'No sensor reports to this console yet' }).waitFor();
  });

  assert.deepEqual(env.pageErrors, [], 'no uncaught errors in the pages');
});
