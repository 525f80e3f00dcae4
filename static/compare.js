// The compare view: several independent clients of /test side by side, each with its own connection.
import { createEventLog } from "./js/event-log.js";
import { chosenTransport, logTraffic, openConnection, watchConnection } from "./js/connection.js";
import { wireEchoAndBroadcast } from "./js/messaging.js";
import { createDirectory } from "./js/direct.js";

const INITIAL_CLIENTS = 2;
// Enough to compare; each pane is a real connection to the server.
const MAX_CLIENTS = 6;

const choice = chosenTransport();
const container = document.getElementById("clients");
const template = document.getElementById("client_template");
const addButton = document.getElementById("add_client");
let clientsCreated = 0;
const directory = createDirectory();

/** Say how many panes there are and allow adding only below the limit. */
function showClientTotal() {
  const total = container.childElementCount;
  document.getElementById("client_total").textContent = `${total} client${total === 1 ? "" : "s"} on this page.`;
  addButton.disabled = total >= MAX_CLIENTS;
}

/** Give the pane's inputs ids so their labels point at them. */
function labelPane(pane, number) {
  for (const kind of ["emit", "broadcast", "direct"]) {
    const input = pane.querySelector(`.${kind}-data`);
    input.id = `client${number}_${kind}_data`;
    pane.querySelector(`.${kind}-label`).htmlFor = input.id;
  }
  pane.querySelector(".client-log").setAttribute("aria-label", `Client ${number} log`);
}

/** Add one pane with its own connection (its own engine, not multiplexed with the others). */
function addClient() {
  clientsCreated += 1;
  const number = clientsCreated;
  const pane = template.content.firstElementChild.cloneNode(true);
  const find = (selector) => pane.querySelector(selector);
  pane.dataset.client = String(number);
  find(".client-name").textContent = `Client ${number}`;
  labelPane(pane, number);
  container.append(pane);

  const log = createEventLog(find(".client-log"));
  // Each pane connects with a name, so `from` in every message says which pane sent it.
  const socket = openConnection(choice, { independent: true, auth: { name: `Client ${number}` } });
  watchConnection(socket, { root: pane, state: find(".status"), sid: find(".sid"), transport: find(".transport") }, log, choice);
  // The feed would drown the conversation this view is about, so it is not logged here.
  logTraffic(socket, log, () => false);
  wireEchoAndBroadcast(socket, log, {
    emitForm: find(".emit-form"),
    emitInput: find(".emit-data"),
    broadcastForm: find(".broadcast-form"),
    broadcastInput: find(".broadcast-data"),
  });
  directory.add(number, { socket, log, form: find(".direct-form"), target: find(".direct-target"), input: find(".direct-data") });
  find(".remove-client").addEventListener("click", () => {
    socket.disconnect();
    pane.remove();
    directory.remove(number);
    showClientTotal();
    addButton.focus();
  });
  showClientTotal();
  return pane;
}

document.getElementById("transport_choice").value = choice;
addButton.addEventListener("click", () => addClient().querySelector(".emit-data").focus());
for (let index = 0; index < INITIAL_CLIENTS; index += 1) {
  addClient();
}
