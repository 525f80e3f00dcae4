// One Socket.IO client of a namespace (/test unless told): how it is opened, and how its state is shown and logged.
import { io } from "../vendor/socket.io/socket.io.esm.min.js";

export const NAMESPACE = "/test";
export const ROOT_NAMESPACE = "/";

// "auto" starts on long-polling and upgrades to WebSocket, the client's default.
const TRANSPORTS = {
  auto: ["polling", "websocket"],
  websocket: ["websocket"],
  polling: ["polling"],
};

/** The transport choice in the page's `?transport=` query parameter, "auto" when absent or unknown. */
export function chosenTransport(search = window.location.search) {
  const choice = new URLSearchParams(search).get("transport");
  return Object.hasOwn(TRANSPORTS, choice ?? "") ? choice : "auto";
}

/**
 * Open a connection to `namespace` (/test by default). Without `independent` every namespace of the page
 * shares one engine (the client multiplexes them); `independent` gives it its own, as a second browser
 * would have. `auth` is what the server gets with the namespace's CONNECT (here, `{name}`).
 */
export function openConnection(choice, { independent = false, auth = undefined, namespace = NAMESPACE } = {}) {
  return io(namespace, {
    transports: TRANSPORTS[choice],
    forceNew: independent,
    multiplex: !independent,
    auth,
  });
}

/** Emit only while connected: the client would otherwise buffer the event and send it after a reconnect. */
export function emitIfConnected(socket, log, event, ...args) {
  if (!socket.connected) {
    log.note(`Not connected: "${event}" was not sent.`, "error");
    return false;
  }
  socket.emit(event, ...args);
  return true;
}

/** Log every event the socket sends and receives; `showFeed()` decides whether `newnumber` is logged too. */
export function logTraffic(socket, log, showFeed = () => true) {
  socket.onAnyOutgoing((event, ...args) => log.sent(event, args.filter((arg) => typeof arg !== "function")));
  socket.onAny((event, ...args) => {
    if (event !== "newnumber" || showFeed()) {
      // A function last is the ack the server asked for (`are you there`): not data, so not logged as such.
      log.received(event, args.filter((arg) => typeof arg !== "function"));
    }
  });
}

/** The transport the engine is on right now, "websocket" or "polling". */
function currentTransport(socket) {
  return socket.io.engine?.transport?.name ?? "—";
}

/**
 * Keep `view` ({root, state, sid, transport, engine?}) in step with the socket: connection state, sid,
 * transport (it changes on upgrade) and reconnection attempts; note each change in `log`.
 */
export function watchConnection(socket, view, log, choice) {
  const manager = socket.io;

  /** Show the connection state as text, and as a data attribute the stylesheet colours. */
  function showState(state, text) {
    view.root.dataset.connection = state;
    view.state.textContent = text;
  }

  /** Show the transport the engine is on; "(forced)" when the page was told which one to use. */
  function showTransport() {
    const name = currentTransport(socket);
    view.transport.textContent = choice === "auto" ? name : `${name} (forced)`;
    view.transport.dataset.transport = name;
  }

  manager.on("open", () => {
    showTransport();
    manager.engine.on("upgrade", () => {
      showTransport();
      log.note(`Transport upgraded to ${currentTransport(socket)}.`);
    });
  });
  manager.on("reconnect_attempt", (attempt) => showState("reconnecting", `Reconnecting (attempt ${attempt})…`));
  manager.on("reconnect", (attempt) => log.note(`Reconnected after ${attempt} attempt(s).`));

  socket.on("connect", () => {
    showState("connected", "Connected");
    view.sid.textContent = socket.id;
    if (view.engine) {
      view.engine.textContent = manager.engine?.id ?? "—";
    }
    showTransport();
    log.note(`Connected as ${socket.id} over ${currentTransport(socket)}.`);
  });
  socket.on("disconnect", (reason) => {
    view.sid.textContent = "—";
    view.transport.textContent = "—";
    if (view.engine) {
      view.engine.textContent = "—";
    }
    if (socket.active) {
      // The client reconnects by itself after a lost connection (server restart, network).
      showState("reconnecting", "Connection lost, reconnecting…");
    } else {
      showState("disconnected", "Disconnected");
    }
    log.note(`Disconnected (${reason}).`, "warning");
  });
  socket.on("connect_error", (error) => {
    if (!socket.active) {
      showState("disconnected", "Connection refused");
    }
    log.note(`Connection error: ${error.message}`, "error");
  });
  showState("connecting", "Connecting…");
}
