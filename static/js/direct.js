// "Send to client N" in the compare view: every client is in a room named after its sid, so a room event
// addressed to that sid reaches that one client.
import { onSubmit, takeValue } from "./dom.js";
import { emitIfConnected } from "./connection.js";

/** The panes that can be addressed, and each pane's "send to" form kept in step with who is there. */
export function createDirectory() {
  const panes = new Map();

  /** Offer every other connected pane in each pane's list, keeping the choice when it is still there. */
  function refresh() {
    for (const [number, pane] of panes) {
      const previous = pane.target.value;
      const others = [...panes].filter(([other, { socket }]) => other !== number && socket.connected);
      pane.target.replaceChildren(...others.map(([other]) => new Option(`client ${other}`, String(other))));
      if (others.some(([other]) => String(other) === previous)) {
        pane.target.value = previous;
      }
      pane.form.querySelector("button").textContent = pane.target.value ? `Send to client ${pane.target.value}` : "Send";
      pane.form.querySelector("button").disabled = others.length === 0;
    }
  }

  /** Add pane `number` ({socket, log, form, target, input}) and wire its form. */
  function add(number, pane) {
    panes.set(number, pane);
    pane.target.addEventListener("change", refresh);
    pane.socket.on("connect", refresh);
    pane.socket.on("disconnect", refresh);
    onSubmit(pane.form, () => {
      const recipient = panes.get(Number(pane.target.value));
      if (!recipient?.socket.connected) {
        pane.log.note("Choose a connected client first.", "error");
        return;
      }
      // The recipient's sid in /test is the name of a room only it is in.
      if (emitIfConnected(pane.socket, pane.log, "my room event", { room: recipient.socket.id, data: pane.input.value })) {
        takeValue(pane.input);
      }
    });
    refresh();
  }

  /** Forget pane `number` (removed from the page). */
  function remove(number) {
    panes.delete(number);
    refresh();
  }

  return { add, remove };
}
