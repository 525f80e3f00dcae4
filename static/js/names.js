// Names: the `auth` `{name}` a client sends with each namespace's CONNECT, and the server's refusal of a wrong one.
import { onSubmit } from "./dom.js";

/** The `auth` for a name as typed: none for an empty field, else `{name}` exactly as typed (the server strips it). */
export function authFor(name) {
  return name === "" ? undefined : { name };
}

/**
 * The name form: submitting it reconnects every socket in `sockets` with the new `auth`. The first socket's
 * refusal (`connect_error` after which the client gives up) is shown in `refusal`, its name in `shown`.
 */
export function wireName(sockets, { form, input, refusal, shown }) {
  const [main] = sockets;
  onSubmit(form, () => {
    const auth = authFor(input.value);
    refusal.hidden = true;
    for (const socket of sockets) {
      socket.auth = auth;
      socket.disconnect();
      socket.connect();
    }
  });
  main.on("connect", () => {
    refusal.hidden = true;
    shown.textContent = main.auth?.name?.trim() || "none";
  });
  main.on("connect_error", (error) => {
    // A refusal by the server ends the attempts (the socket is no longer active); a lost server does not.
    if (!main.active) {
      refusal.textContent = `The server refused the connection: ${error.message}`;
      refusal.hidden = false;
      shown.textContent = "—";
    }
  });
}
