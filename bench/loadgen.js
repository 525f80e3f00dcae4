'use strict';
// Load generator: speaks Engine.IO 4 / Socket.IO 5 directly over `ws`, so the
// generator costs a fraction of what the official client would and never
// becomes the bottleneck. check_frames.js proves its frames are the client's.
//
// Usage: node loadgen.js '<json>' where json is {"scenario": ..., "url": ...}.
// Prints one JSON object per line: progress lines ({"phase": ...}) and a
// final {"result": {...}}. The connect scenario waits for "close" on stdin.

const WebSocket = require('ws');

const NS = '/test';
const EVENT_PREFIX = `42${NS},`;
const CONNECT_PREFIX = `40${NS},`;
const ERROR_PREFIX = `44${NS},`;

const now = () => Number(process.hrtime.bigint()) / 1e6; // milliseconds
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const say = (obj) => process.stdout.write(JSON.stringify(obj) + '\n');

/** Percentile (0..100) of an array of numbers, nearest rank. */
function percentile(values, p) {
  if (values.length === 0) return null;
  const sorted = Float64Array.from(values).sort();
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

/** The wire form of `socket.emit(name, data)` on the /test namespace. */
function eventFrame(name, data) {
  return EVENT_PREFIX + JSON.stringify(data === undefined ? [name] : [name, data]);
}

/** One websocket-only Socket.IO client of the /test namespace. */
class Client {
  constructor(url, onEvent) {
    this.onEvent = onEvent;
    this.connected = false;
    this.closed = false;
    this.ws = new WebSocket(`${url.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`, {
      perMessageDeflate: false,
    });
    this.ready = new Promise((resolve, reject) => {
      this.ws.on('message', (raw) => this.receive(raw.toString(), resolve, reject));
      this.ws.on('error', reject);
      this.ws.on('close', () => {
        this.closed = true;
        reject(new Error('closed before connecting'));
      });
    });
  }

  receive(text, resolve, reject) {
    if (text.startsWith(EVENT_PREFIX)) {
      const [name, ...args] = JSON.parse(text.slice(EVENT_PREFIX.length));
      this.onEvent(this, name, args);
    } else if (text === '2') {
      this.ws.send('3'); // Engine.IO ping from the server: answer pong
    } else if (text[0] === '0') {
      this.ws.send(CONNECT_PREFIX); // Engine.IO open: join the namespace
    } else if (text.startsWith(CONNECT_PREFIX)) {
      this.connected = true;
      resolve(this);
    } else if (text.startsWith(ERROR_PREFIX)) {
      reject(new Error(`connect refused: ${text}`));
    }
  }

  emit(name, data) {
    this.ws.send(eventFrame(name, data));
  }

  close() {
    this.ws.close();
  }
}

/**
 * Connect `count` clients, `concurrency` at a time, starting none after `deadlineMs`;
 * returns {clients, times, failures, elapsed} (clients that never connected are left out).
 */
async function connectMany(url, count, concurrency, onEvent, deadlineMs = Infinity) {
  const clients = new Array(count);
  const times = [];
  let failures = 0;
  let next = 0;
  const started = now();
  async function worker() {
    while (next < count && now() - started < deadlineMs) {
      const index = next++;
      if (index % 1000 === 999) process.stderr.write(`  ${index + 1} connected after ${((now() - started) / 1000).toFixed(1)} s\n`);
      for (let attempt = 0; attempt < 3; attempt++) {
        const t0 = now();
        const client = new Client(url, onEvent);
        client.index = index;
        try {
          await client.ready;
          times.push(now() - t0);
          clients[index] = client;
          break;
        } catch (err) {
          failures++;
          client.ws.terminate();
          await sleep(50);
        }
      }
      if (!clients[index]) throw new Error(`client ${index} could not connect`);
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return { clients: clients.filter(Boolean), times, failures, elapsed: now() - started };
}

/** Wait until no event has arrived for `quietMs` (bounded by `maxMs`): lets connect chatter settle. */
async function settle(lastEvent, quietMs, maxMs) {
  const deadline = now() + maxMs;
  while (now() < deadline && now() - lastEvent.at < quietMs) await sleep(50);
}

function closeAll(clients) {
  for (const client of clients) if (client) client.close();
}

/** Echo: each client sends `my event`, waits for its `my response`, and sends the next. */
async function echo({ url, clients: count, duration, warmup }) {
  const rtts = [];
  let mismatched = 0;
  let measuring = false;
  let stopping = false;
  let inFlight = 0;
  const lastEvent = { at: now() };
  const { clients } = await connectMany(url, count, 50, (client, name, args) => {
    lastEvent.at = now();
    if (name !== 'my response' || client.expected === undefined) return;
    if (args[0].data !== client.expected) {
      if (args[0].data !== 'Connected') mismatched++;
      return;
    }
    const rtt = now() - client.sentAt;
    if (measuring) rtts.push(rtt);
    inFlight--;
    client.expected = undefined;
    if (!stopping) send(client);
  });
  function send(client) {
    client.seq = (client.seq || 0) + 1;
    client.expected = `e${client.index}:${client.seq}`;
    client.sentAt = now();
    inFlight++;
    client.emit('my event', { data: client.expected });
  }
  await settle(lastEvent, 300, 5000);
  clients.forEach(send);
  await sleep(warmup * 1000);
  measuring = true;
  say({ phase: 'measuring' });
  const t0 = now();
  await sleep(duration * 1000);
  const elapsed = now() - t0;
  measuring = false;
  say({ phase: 'measured' });
  stopping = true;
  const count_ = rtts.length;
  const deadline = now() + 5000;
  while (inFlight > 0 && now() < deadline) await sleep(20);
  closeAll(clients);
  return {
    clients: count,
    round_trips: count_,
    per_second: (count_ * 1000) / elapsed,
    p50_ms: percentile(rtts, 50),
    p99_ms: percentile(rtts, 99),
    mismatched,
    lost: inFlight,
  };
}

/**
 * Broadcast fan-out: client 0 sends `my broadcast event`s, keeping `window` of
 * them in flight; every client (the sender too) must get each exactly once.
 * With `window` 1 it is the fan-out one at a time: the next broadcast leaves
 * only once every receiver has the last one, and each is timed from its send
 * to its last receipt (`complete_*`; those sent in the first `warmup` seconds
 * are left out of them).
 */
async function broadcast({ url, receivers, duration, window, warmup = 0 }) {
  const sentAt = [];
  const receipts = []; // receipts[seq] = Uint16Array of per-client counts
  const complete = []; // how many distinct clients got seq
  const latencies = [];
  const completions = []; // send to last receipt, per broadcast sent after the warm-up
  let warmUntil = 0;
  let deliveries = 0;
  let firstSend = 0;
  let lastDelivery = 0;
  let sent = 0;
  let stopping = false;
  let done = 0;
  const lastEvent = { at: now() };
  const { clients } = await connectMany(url, receivers, 50, (client, name, args) => {
    lastEvent.at = now();
    if (name !== 'my response' || typeof args[0].data !== 'string' || !args[0].data.startsWith('b:')) return;
    const seq = Number(args[0].data.slice(2));
    const t = now();
    deliveries++;
    lastDelivery = t;
    latencies.push(t - sentAt[seq]);
    const counts = receipts[seq];
    if (counts[client.index]++ === 0 && ++complete[seq] === receivers) {
      done++;
      if (sentAt[seq] >= warmUntil) completions.push(t - sentAt[seq]);
      if (!stopping) sendNext();
    }
  });
  const sender = clients[0];
  function sendNext() {
    const seq = sent++;
    receipts[seq] = new Uint16Array(receivers);
    complete[seq] = 0;
    sentAt[seq] = now();
    sender.emit('my broadcast event', { data: `b:${seq}` });
  }
  await settle(lastEvent, 500, 30000);
  say({ phase: 'measuring' });
  firstSend = now();
  warmUntil = firstSend + warmup * 1000;
  for (let i = 0; i < window; i++) sendNext();
  await sleep(duration * 1000);
  stopping = true;
  const deadline = now() + 10000;
  while (done < sent && now() < deadline) await sleep(20);
  say({ phase: 'measured' });
  let lost = 0;
  let duplicated = 0;
  for (const counts of receipts) {
    for (const c of counts) {
      if (c === 0) lost++;
      else duplicated += c - 1;
    }
  }
  closeAll(clients);
  return {
    receivers,
    messages: sent,
    deliveries,
    expected: sent * receivers,
    per_second: (deliveries * 1000) / (lastDelivery - firstSend),
    p50_ms: percentile(latencies, 50),
    p99_ms: percentile(latencies, 99),
    lost,
    duplicated,
    complete_p50_ms: percentile(completions, 50),
    complete_p99_ms: percentile(completions, 99),
    // Receivers over the mean time from a send to its last receipt: what one broadcast at a time delivers.
    complete_per_second: completions.length
      ? (receivers * completions.length * 1000) / completions.reduce((a, b) => a + b, 0)
      : null,
  };
}

/** Connections: connect `clients`, report the times, hold them idle until "close" on stdin. */
async function connections({ url, clients: count, concurrency, hold }) {
  const { clients, times, failures, elapsed } = await connectMany(url, count, concurrency, () => {});
  const stats = {
    clients: count,
    p50_ms: percentile(times, 50),
    p99_ms: percentile(times, 99),
    total_s: elapsed / 1000,
    retries: failures,
  };
  say({ phase: 'connected', ...stats });
  await waitForStdin('close', hold * 1000);
  const alive = clients.filter((c) => c.connected && !c.closed).length;
  closeAll(clients);
  return { ...stats, alive_at_end: alive };
}

/**
 * A few clients connect, get their greeting and leave, then "warmed" is said: the runner
 * reads the server's memory after this, so lazy imports and first-use caches are not
 * charged to the connections measured next.
 */
async function warmUp(url, count) {
  if (count > 0) {
    const { clients } = await connectMany(url, count, Math.min(count, 10), () => {});
    await sleep(300);
    closeAll(clients);
    await sleep(1500);
  }
  say({ phase: 'warmed', clients: count });
}

/** Counts each client's greeting and feed ticks; `fed(ticks)` says whether every one has both. */
function feedCounter() {
  const greeted = new Set();
  const ticks = new Map();
  return {
    onEvent(client, name, args) {
      if (name === 'my response' && args[0] && args[0].data === 'Connected') greeted.add(client);
      else if (name === 'newnumber') ticks.set(client, (ticks.get(client) || 0) + 1);
    },
    fed(clients, wanted) {
      return clients.every((c) => greeted.has(c) && (ticks.get(c) || 0) >= wanted);
    },
  };
}

/**
 * Memory on a fresh process: warm up, then connect `clients` websocket clients and
 * say "fed" once each has its greeting and at least `ticks` feed ticks (the runner
 * reads the server's memory then); hold them until "close" on stdin.
 */
async function memory({ url, clients: count, concurrency, warmup, ticks, hold }) {
  await warmUp(url, warmup);
  const counter = feedCounter();
  const { clients, times, elapsed } = await connectMany(url, count, concurrency, counter.onEvent);
  const deadline = now() + (ticks + 10) * 1000;
  while (!counter.fed(clients, ticks) && now() < deadline) await sleep(50);
  const stats = { clients: clients.length, fed: counter.fed(clients, ticks), total_s: elapsed / 1000, p50_ms: percentile(times, 50) };
  say({ phase: 'fed', ...stats });
  await waitForStdin('close', hold * 1000);
  const alive = clients.filter((c) => c.connected && !c.closed).length;
  closeAll(clients);
  return { ...stats, alive_at_end: alive };
}

function waitForStdin(word, timeoutMs) {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    process.stdin.on('data', (chunk) => {
      if (chunk.toString().includes(word)) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
}

/**
 * Capacity: hold `clients` connections, time how long each feed tick takes
 * from its first to its last receipt, and how many clients get it; then one
 * broadcast from a client, timed from the send to the last receipt.
 */
async function capacity({ url, clients: wanted, concurrency, ticks, settleMax, connectMax, warmup = 0 }) {
  const tickList = []; // {number, first, last, count}
  const probes = []; // {tag, sentAt, last, count}
  const lastEvent = { at: now() };
  let recording = false;
  await warmUp(url, warmup);
  const counter = feedCounter();
  const { clients, times, failures, elapsed } = await connectMany(url, wanted, concurrency, (client, name, args) => {
    const t = now();
    counter.onEvent(client, name, args);
    if (name === 'newnumber') {
      if (!recording) return;
      const number = args[0].number;
      let tick = tickList.find((k) => k.number === number && t - k.first < 10000);
      if (!tick) {
        tick = { number, first: t, last: t, count: 0 };
        tickList.push(tick);
      }
      tick.last = t;
      tick.count++;
      return;
    }
    lastEvent.at = t;
    const probe = name === 'my response' && probes.find((p) => p.tag === args[0].data);
    if (probe) {
      probe.count++;
      probe.last = t;
    }
  }, connectMax * 1000);
  const count = clients.length; // fewer than wanted if the server could not take them all in time
  say({ phase: 'connected', clients: count, total_s: elapsed / 1000, p50_ms: percentile(times, 50) });
  await settle(lastEvent, 1000, settleMax * 1000);
  recording = true;
  const t0 = now();
  while (tickList.filter((k) => k.count === count).length < ticks && now() - t0 < (ticks + 3) * 1000) await sleep(50);
  // Every client has had its greeting and `ticks` ticks by now: the runner reads the memory.
  say({ phase: 'fed', clients: count, fed: counter.fed(clients, ticks) });
  // Three broadcasts to all, each timed from its send to the last receipt: an upper bound for a
  // tick, whose emit time the clients cannot see. Each is sent as soon as a tick has reached
  // everyone, so that it measures one broadcast rather than one queued behind a tick.
  const completeTicks = () => tickList.filter((k) => k.count === count).length;
  for (let i = 0; i < 3; i++) {
    const before = completeTicks();
    const waitFrom = now();
    while (completeTicks() === before && now() - waitFrom < 3000) await sleep(2);
    const probe = { tag: `cap-probe-${i}`, sentAt: now(), last: 0, count: 0 };
    probes.push(probe);
    clients[0].emit('my broadcast event', { data: probe.tag });
    while (probe.count < count && now() < probe.sentAt + 15000) await sleep(2);
  }
  await sleep(1000); // let the last tick finish arriving
  recording = false;
  const full = tickList.filter((k) => k.count === count);
  const probeTimes = probes.map((p) => (p.count === count ? p.last - p.sentAt : Infinity));
  const alive = clients.filter((c) => c.connected && !c.closed).length;
  closeAll(clients);
  const spreads = full.map((k) => k.last - k.first);
  return {
    clients_wanted: wanted,
    clients: count,
    connect_total_s: elapsed / 1000,
    connect_retries: failures,
    alive,
    ticks_seen: tickList.length,
    ticks_complete: full.length,
    tick_spread_ms: percentile(spreads, 50),
    tick_spread_max_ms: spreads.length ? Math.max(...spreads) : null,
    broadcast_all_ms: probeTimes.every(Number.isFinite) ? percentile(probeTimes, 50) : null,
    broadcast_all_max_ms: probeTimes.every(Number.isFinite) ? Math.max(...probeTimes) : null,
    broadcast_received: Math.min(...probes.map((p) => p.count)),
  };
}

const SCENARIOS = { echo, broadcast, connections, capacity, memory };

async function main() {
  const config = JSON.parse(process.argv[2]);
  const result = await SCENARIOS[config.scenario](config);
  say({ result });
  process.exit(0);
}

if (require.main === module) {
  main().catch((err) => {
    say({ error: String(err && err.stack ? err.stack : err) });
    process.exit(1);
  });
}

module.exports = { Client, eventFrame, CONNECT_PREFIX };
