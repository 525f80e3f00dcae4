// The playground page: one client of /test with every event of the contract, and `/` on the same engine.
import { element, onSubmit, takeValue } from "./js/dom.js";
import { createEventLog } from "./js/event-log.js";
import { chosenTransport, emitIfConnected, logTraffic, openConnection, watchConnection } from "./js/connection.js";
import { wireEchoAndBroadcast } from "./js/messaging.js";
import { createFeedView } from "./js/feed.js";
import { wireName } from "./js/names.js";
import { wireCallMe } from "./js/asking.js";
import { wireBinary } from "./js/binary.js";
import { openRootNamespace } from "./js/root-namespace.js";

const byId = (id) => document.getElementById(id);
const ROOM_CLOSING = /^Room (.+) is closing\.$/;

const choice = chosenTransport();
const log = createEventLog(byId("log"));
const socket = openConnection(choice);
const showFeed = byId("show_feed");

/** Show the rooms this client is in, as the server's acks report them. */
function showRooms(rooms) {
  const list = byId("rooms");
  list.replaceChildren(...rooms.map((room) => element("li", "room", room)));
  byId("rooms_empty").hidden = rooms.length > 0;
}

/** Drop `room` from the shown list (it was closed, so this client is no longer in it). */
function forgetRoom(room) {
  const remaining = [...byId("rooms").children].map((item) => item.textContent).filter((name) => name !== room);
  showRooms(remaining);
}

/** Enable the connect button only while disconnected, the disconnect button only while connected. */
function showConnectButtons() {
  byId("disconnect").disabled = !socket.connected;
  byId("connect").disabled = socket.active;
}

/** Status bar: state, sid, transport, presence, and the disconnect / connect buttons. */
function wireConnection() {
  byId("transport_choice").value = choice;
  const view = { root: document.body, state: byId("status"), sid: byId("sid"), transport: byId("transport"), engine: byId("engine_id") };
  watchConnection(socket, view, log, choice);
  logTraffic(socket, log, () => showFeed.checked);
  socket.on("connect", showConnectButtons);
  socket.on("disconnect", () => {
    showConnectButtons();
    showRooms([]);
    byId("presence_count").textContent = "—";
  });
  socket.on("connect_error", showConnectButtons);
  socket.on("presence", ({ clients, event, name, sid }) => {
    byId("presence_count").textContent = String(clients);
    const who = name ?? (sid ? `sid ${sid}` : "an instance's clients");
    byId("presence_last").textContent = `${who} ${event === "connect" ? "connected" : "disconnected"}`;
  });
  byId("disconnect").addEventListener("click", () => emitIfConnected(socket, log, "disconnect request"));
  byId("connect").addEventListener("click", () => {
    socket.connect();
    showConnectButtons();
  });
}

/** Join, leave and close rooms, send to one, and show the rooms this client is in. */
function wireRooms() {
  const roomInput = byId("room_name");
  onSubmit(byId("rooms_form"), (event) => {
    const action = event.submitter?.value ?? "join";
    const room = roomInput.value;
    emitIfConnected(socket, log, action, { room }, (ack) => {
      if (ack?.ok && ack.rooms) {
        showRooms(ack.rooms);
      } else if (ack?.ok && action === "close room") {
        forgetRoom(room);
      }
    });
  });
  onSubmit(byId("room_event"), () => {
    const input = byId("room_event_data");
    if (emitIfConnected(socket, log, "my room event", { room: roomInput.value, data: input.value })) {
      takeValue(input);
    }
  });
  // Members other than the one who closed the room learn of it only from this message.
  socket.on("my response", ({ data }) => {
    const closing = ROOM_CLOSING.exec(data);
    if (closing) {
      forgetRoom(closing[1]);
    }
  });
}

/** Time the round trip of `my ping` to `my pong`. */
function wirePing() {
  let sentAt = null;
  byId("ping").addEventListener("click", () => {
    if (emitIfConnected(socket, log, "my ping")) {
      sentAt = performance.now();
    }
  });
  socket.on("my pong", () => {
    if (sentAt !== null) {
      byId("latency").textContent = `${Math.round(performance.now() - sentAt)} ms`;
      sentAt = null;
    }
  });
}

/** The `message` (socket.send) and `json` forms; JSON is parsed here, and its errors shown here. */
function wireSendAndJson() {
  onSubmit(byId("send"), () => {
    const input = byId("send_data");
    // socket.send(text) is emit("message", text).
    if (emitIfConnected(socket, log, "message", input.value)) {
      takeValue(input);
    }
  });
  const jsonInput = byId("json_data");
  const jsonError = byId("json_error");
  onSubmit(byId("json"), () => {
    let value;
    try {
      value = JSON.parse(jsonInput.value);
    } catch (error) {
      jsonError.textContent = `Not valid JSON: ${error.message}`;
      jsonError.hidden = false;
      jsonInput.setAttribute("aria-invalid", "true");
      return;
    }
    jsonError.hidden = true;
    jsonInput.removeAttribute("aria-invalid");
    emitIfConnected(socket, log, "json", value);
  });
  // In a textarea Enter submits, as in every other form here; Shift+Enter starts a new line.
  jsonInput.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      byId("json").requestSubmit();
    }
  });
}

/** Feed the rolling list and the chart from `newnumber`. */
function wireFeed() {
  const feed = createFeedView(byId("numbers"), byId("chart_line"));
  socket.on("newnumber", ({ number }) => feed.add(number));
}

/** The log's Clear button. */
function wireLogControls() {
  byId("clear_log").addEventListener("click", () => log.clear());
}

/** The `/` namespace card: its own socket on this page's engine, its forms and its log. */
function wireRootNamespace() {
  const rootView = {
    root: byId("root_heading").parentElement,
    state: byId("root_status"),
    sid: byId("root_sid"),
    transport: byId("root_transport"),
    engine: byId("root_engine_id"),
  };
  return openRootNamespace(choice, createEventLog(byId("root_log")), rootView, {
    emitForm: byId("root_emit"),
    emitInput: byId("root_emit_data"),
    broadcastForm: byId("root_broadcast"),
    broadcastInput: byId("root_broadcast_data"),
  });
}

wireConnection();
wireEchoAndBroadcast(socket, log, {
  emitForm: byId("emit"),
  emitInput: byId("emit_data"),
  broadcastForm: byId("broadcast"),
  broadcastInput: byId("broadcast_data"),
  alsoToMe: byId("broadcast_self"),
});
const rootSocket = wireRootNamespace();
wireName([socket, rootSocket], { form: byId("name_form"), input: byId("name"), refusal: byId("refusal"), shown: byId("my_name") });
wireCallMe(socket, log, { button: byId("call_me"), answer: byId("answer_questions"), result: byId("call_result") });
wireBinary(socket, log, {
  form: byId("binary_form"),
  fileInput: byId("binary_file"),
  bytesButton: byId("binary_bytes"),
  maxSize: Number(byId("binary_heading").parentElement.dataset.maxBinarySize),
  size: byId("binary_size"),
  hex: byId("binary_hex"),
  image: byId("binary_image"),
});
wireRooms();
wirePing();
wireSendAndJson();
wireFeed();
wireLogControls();
showConnectButtons();
