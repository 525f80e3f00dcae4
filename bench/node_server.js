'use strict';
// The reference: a Node.js socket.io 4.x server with the benchmarked /test
// events of the playground contract (connect greeting, echo, broadcast, the
// 1 Hz feed), written the way socket.io's own examples write them.
// Usage: PORT=... node node_server.js

const http = require('http');
const { Server } = require('socket.io');

const httpServer = http.createServer((req, res) => {
  res.writeHead(req.url === '/healthz' ? 200 : 404, { 'Content-Type': 'application/json' });
  res.end('{"status":"ok"}');
});
const io = new Server(httpServer);
const test = io.of('/test');

// The feed: one timer for the process, started with the first connection.
let feed = null;

test.on('connection', (socket) => {
  let count = 0;
  if (!feed) {
    feed = setInterval(() => test.emit('newnumber', { number: Math.round(Math.random() * 10000) / 1000 }), 1000);
  }
  socket.emit('my response', { data: 'Connected', count: 0 });
  socket.on('my event', (message, ack) => {
    count += 1;
    socket.emit('my response', { data: message.data, count });
    if (typeof ack === 'function') ack({ ok: true, count });
  });
  socket.on('my broadcast event', (message, ack) => {
    count += 1;
    test.emit('my response', { data: message.data, count });
    if (typeof ack === 'function') ack({ ok: true, count });
  });
});

httpServer.listen(Number(process.env.PORT), '127.0.0.1');
