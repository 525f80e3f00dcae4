'use strict';
// Proves the load generator speaks the wire protocol exactly as the official
// socket.io-client does: both talk to a scripted Engine.IO server, which
// records every frame they send; the two recordings must be identical.
// Prints {"identical": bool, "client": [...], "loadgen": [...]}; exits 1 on a difference.

const http = require('http');
const { WebSocketServer } = require('ws');
const { io } = require('socket.io-client');
const { Client } = require('./loadgen');

const SCRIPT = [
  ['my event', { data: 'hello' }],
  ['my broadcast event', { data: 'hé ✓ "quoted"' }],
];

/** A fake Engine.IO server: open, accept /test, ping once; records what the client sends. */
function recordingServer() {
  const frames = [];
  const server = http.createServer();
  const wss = new WebSocketServer({ server });
  wss.on('connection', (ws, req) => {
    frames.push(`GET ${req.url.replace(/&t=[^&]*/, '')}`);
    ws.on('message', (raw) => {
      const text = raw.toString();
      frames.push(text);
      if (text === '40/test,') {
        ws.send('40/test,{"sid":"NS-SID"}');
        ws.send('42/test,["my response",{"data":"Connected","count":0}]');
        ws.send('2');
      }
    });
    ws.send('0{"sid":"EIO-SID","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}');
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, frames, wss })));
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 300));

async function record(drive) {
  const { server, frames, wss } = await recordingServer();
  const url = `http://127.0.0.1:${server.address().port}`;
  await drive(url);
  await settle();
  for (const ws of wss.clients) ws.terminate();
  server.close();
  return frames;
}

async function main() {
  const official = await record(async (url) => {
    const socket = io(`${url}/test`, { transports: ['websocket'] });
    await new Promise((resolve) => socket.on('connect', resolve));
    for (const [name, data] of SCRIPT) socket.emit(name, data);
    await settle();
    socket.io.engine.close();
  });
  const ours = await record(async (url) => {
    const client = new Client(url, () => {});
    await client.ready;
    for (const [name, data] of SCRIPT) client.emit(name, data);
    await settle();
    client.close();
  });
  const identical = JSON.stringify(official) === JSON.stringify(ours);
  process.stdout.write(JSON.stringify({ identical, client: official, loadgen: ours }) + '\n');
  process.exit(identical ? 0 : 1);
}

main();
