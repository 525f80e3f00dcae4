// The default namespace `/` beside /test: a second socket on the same engine (the client multiplexes them).
import { ROOT_NAMESPACE, logTraffic, openConnection, watchConnection } from "./connection.js";
import { wireEchoAndBroadcast } from "./messaging.js";

/** Open `/` on the page's shared engine and wire its status, its echo and broadcast forms and its log. */
export function openRootNamespace(choice, log, view, forms) {
  const socket = openConnection(choice, { namespace: ROOT_NAMESPACE });
  watchConnection(socket, view, log, choice);
  logTraffic(socket, log);
  wireEchoAndBroadcast(socket, log, forms);
  return socket;
}
