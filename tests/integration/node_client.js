// The official socket.io-client (bench/node_modules) runs issue 11's contract and prints what it saw as JSON.
// Usage: node node_client.js <url> <transport> <scenario>; tests/integration/test_node_client.py drives it.
"use strict";
const path = require("path");
const { io } = require(path.join(__dirname, "..", "..", "bench", "node_modules", "socket.io-client"));

const [url, transport, scenario] = process.argv.slice(2);

/** Open a client of `namespace` on its own engine over `transport`, with `auth`; resolve on connect. */
function open(namespace, auth) {
  const socket = io(url + namespace, { transports: [transport], forceNew: true, reconnection: false, auth });
  return socket;
}

/** Resolve with the first `event` the socket receives (all its arguments), or fail after `ms`. */
function next(socket, event, ms = 10000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${event} within ${ms} ms`)), ms);
    socket.once(event, (...args) => {
      clearTimeout(timer);
      resolve(args);
    });
  });
}

/** Connect `socket` and wait for its greeting. */
async function connected(socket) {
  const [greeting] = await next(socket, "my response");
  return greeting;
}

const scenarios = {
  /** A named client's presence and `from`, and the refusal of wrong names. */
  async names() {
    const ada = open("/test", { name: " Ada " });
    // Both arrive back to back, so both are listened for before either is awaited.
    const arrival = next(ada, "presence");
    await connected(ada);
    const [presence] = await arrival;
    const echoed = next(ada, "my response");
    const ack = await ada.emitWithAck("my event", { data: "hi" });
    const [response] = await echoed;
    const sid = ada.id;
    const refusals = [];
    for (const auth of [{ name: "" }, { name: "x".repeat(33) }, { name: "a\u0000b" }, { name: 7 }, "Ada"]) {
      const refused = open("/test", auth);
      const [error] = await next(refused, "connect_error");
      refusals.push({ message: error.message, active: refused.active });
      refused.close();
    }
    ada.close();
    return { sid, presence, ack, response, refusals };
  },

  /** `call me`, answered through the ack function the client gets, then left unanswered. */
  async callMe() {
    const socket = open("/test");
    await connected(socket);
    socket.once("are you there", (question, reply) => reply({ question, time: "12:00:00.000" }));
    const reported = next(socket, "my response");
    const ack = await socket.emitWithAck("call me");
    const [answered] = await reported;
    const asked = Date.now();
    socket.once("are you there", () => {}); // heard, not answered
    const failed = next(socket, "my error");
    const secondAck = await socket.emitWithAck("call me");
    const [error] = await failed;
    const waitedMs = Date.now() - asked;
    socket.close();
    return { ack, answered, secondAck, error, waitedMs };
  },

  /** Every byte value as an ArrayBuffer, then a Buffer of the limit; both must come back byte for byte. */
  async binary() {
    const socket = open("/test");
    await connected(socket);
    const results = [];
    const everyByte = Uint8Array.from({ length: 256 }, (_, index) => index);
    const big = Buffer.alloc(32768, 0);
    for (let index = 0; index < big.length; index += 1) {
      big[index] = (index * 7919) % 256;
    }
    for (const payload of [everyByte.buffer, big]) {
      const back = next(socket, "my binary response");
      const ack = await socket.emitWithAck("my binary event", payload);
      const [data] = await back;
      const sent = Buffer.from(payload instanceof ArrayBuffer ? new Uint8Array(payload) : payload);
      results.push({ ack, received: data.length ?? data.byteLength, equal: Buffer.compare(sent, Buffer.from(data)) === 0 });
    }
    const badAck = await socket.emitWithAck("my binary event", new ArrayBuffer(0));
    socket.close();
    return { results, badAck };
  },
};

/** Thirty echoes emitted at once: over polling they wait for the POST under way and travel together in the next. */
scenarios.burst = async function burst() {
  const socket = open("/test");
  await connected(socket);
  const responses = [];
  socket.on("my response", (response) => responses.push(response.data));
  const acks = await Promise.all(
    Array.from({ length: 30 }, (_, index) => socket.emitWithAck("my event", { data: String(index) })),
  );
  const deadline = Date.now() + 5000;
  while (responses.length < acks.length && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  socket.close();
  return { acks: acks.map((ack) => ack.count), responses };
};

scenarios[scenario]()
  .then((result) => {
    process.stdout.write(JSON.stringify(result));
    process.exit(0);
  })
  .catch((error) => {
    process.stderr.write(String(error && error.stack ? error.stack : error));
    process.exit(1);
  });
