// The custom event card: any event name, any JSON arguments, and optionally an ack within a timeout.
// The same card sits on the playground and, compact, in every compare-view pane.
import { onSubmit } from "./dom.js";
import { emitIfConnected } from "./connection.js";

export const DEFAULT_TIMEOUT_MS = 5000;

/** Parse the arguments field: a JSON array, or nothing at all; returns `{args}` or `{error}`. */
export function parseArgs(text) {
  if (text.trim() === "") {
    return { args: [] };
  }
  let value;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { error: `Not valid JSON: ${error.message}` };
  }
  if (!Array.isArray(value)) {
    return { error: "The arguments are a JSON array, e.g. [{\"data\": \"hi\"}] (one argument) or [] (none)." };
  }
  return { args: value };
}

/** Emit `request.event` with `request.args`; with `request.ack`, wait up to `request.timeout` ms for the ack. */
export function emitCustom(socket, log, request) {
  if (request.ack) {
    return waitForAck(socket, log, request);
  }
  const sent = emitIfConnected(socket, log, request.event, ...request.args);
  if (sent) {
    log.onResend(log.lastSent(), () => emitCustom(socket, log, request));
  }
  return sent;
}

/**
 * Emit with an ack callback under `socket.timeout(ms)`: the ack (with the time it took) or "timed out"
 * is logged against the sent entry. While disconnected the client holds the event until it reconnects,
 * and the timeout still runs: the entry it answers is then the note that says so.
 */
export function waitForAck(socket, log, { event, args, timeout }) {
  const started = performance.now();
  const connected = socket.connected;
  let entry = null;
  socket.timeout(timeout).emit(event, ...args, (error, ...response) => {
    if (error) {
      log.noAck(entry, timeout);
    } else {
      log.ack(entry, response, Math.round(performance.now() - started));
    }
  });
  // A connected socket's emit has just logged its sent entry (synchronously, through onAnyOutgoing).
  entry = connected ? log.lastSent() : log.held(event, args);
  log.onResend(entry, () => waitForAck(socket, log, { event, args, timeout }));
  return true;
}

/** Read the card's fields into a request, or say what is wrong with them. */
function readCard(fields) {
  const event = fields.event.value.trim();
  if (event === "") {
    return { error: "Name the event to emit." };
  }
  const { args, error } = parseArgs(fields.args.value);
  if (error) {
    return { error };
  }
  const timeout = Number(fields.timeout.value) || DEFAULT_TIMEOUT_MS;
  // The compact card has no namespace field: it is /test's.
  const namespace = fields.namespace?.value ?? "/test";
  return { request: { namespace, event, args, ack: fields.ack.checked, timeout } };
}

/** Show `message` next to the fields (or hide the error line when there is none). */
function showError(form, message) {
  const line = form.querySelector(".field-error");
  line.textContent = message ?? "";
  line.hidden = !message;
  form.elements.args.toggleAttribute("aria-invalid", Boolean(message));
}

/**
 * Wire the card `form` (fields named event, args, ack, timeout and maybe namespace) to emit on the socket
 * of the chosen namespace and log in its log: `targets` maps a namespace to `{socket, log}`.
 */
export function wireCustomCard(form, targets) {
  onSubmit(form, () => {
    const { request, error } = readCard(form.elements);
    if (error) {
      showError(form, error);
      return;
    }
    const { socket, log } = targets[request.namespace];
    try {
      emitCustom(socket, log, request);
      showError(form, null);
    } catch (refused) {
      // The client itself refuses some names (connect, disconnect, ...): say so here, as the server would.
      showError(form, refused.message);
    }
  });
}
