// The echo and broadcast forms, the same on the playground and in every compare-view pane.
import { onSubmit, takeValue } from "./dom.js";
import { emitIfConnected } from "./connection.js";

/** Wire `form` so Enter or its button emits `event` with `{data: <input text>}`. */
function wireDataForm(socket, log, form, input, event) {
  onSubmit(form, () => {
    if (emitIfConnected(socket, log, event, { data: input.value })) {
      takeValue(input);
    }
  });
}

/** Wire the echo (`my event`) and broadcast (`my broadcast event`) forms of one client. */
export function wireEchoAndBroadcast(socket, log, { emitForm, emitInput, broadcastForm, broadcastInput }) {
  wireDataForm(socket, log, emitForm, emitInput, "my event");
  wireDataForm(socket, log, broadcastForm, broadcastInput, "my broadcast event");
}
