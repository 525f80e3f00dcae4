// The echo and broadcast forms, the same on the playground and in every compare-view pane.
import { onSubmit, takeValue } from "./dom.js";
import { emitIfConnected } from "./connection.js";

/** Wire `form` so Enter or its button emits `event` with `{data: <input text>, ...extra()}`. */
function wireDataForm(socket, log, form, input, event, extra = () => ({})) {
  onSubmit(form, () => {
    if (emitIfConnected(socket, log, event, { data: input.value, ...extra() })) {
      takeValue(input);
    }
  });
}

/**
 * Wire the echo (`my event`) and broadcast (`my broadcast event`) forms of one client. With an `alsoToMe`
 * checkbox the broadcast carries `include_self`: unticked, everyone but the sender gets it.
 */
export function wireEchoAndBroadcast(socket, log, { emitForm, emitInput, broadcastForm, broadcastInput, alsoToMe }) {
  wireDataForm(socket, log, emitForm, emitInput, "my event");
  const includeSelf = alsoToMe ? () => ({ include_self: alsoToMe.checked }) : undefined;
  wireDataForm(socket, log, broadcastForm, broadcastInput, "my broadcast event", includeSelf);
}
