// The server asks: `call me` makes the server emit `are you there` with an ack request, which this page answers.
import { clockTime } from "./dom.js";
import { emitIfConnected } from "./connection.js";

const ANSWER_REPORT = /^You answered /;

/** The Call me button; answer `are you there` with the local time while `answer` is ticked; show the outcome. */
export function wireCallMe(socket, log, { button, answer, result }) {
  button.addEventListener("click", () => {
    emitIfConnected(socket, log, "call me", (ack) => {
      result.textContent = ack?.ok ? "Asked; the server waits for the answer…" : `Not asked: ${ack?.error}`;
    });
  });
  // The last argument is the ack the server asked for: calling it sends the answer back.
  socket.on("are you there", (question, reply) => {
    if (!answer.checked) {
      result.textContent = "Asked, and not answering: wait for the server to give up.";
      return;
    }
    const now = clockTime(new Date());
    reply(now);
    log.note(`Answered "${question?.question}" with ${now}.`);
  });
  socket.on("my response", ({ data }) => {
    if (ANSWER_REPORT.test(data)) {
      result.textContent = data;
    }
  });
  socket.on("my error", ({ event, error }) => {
    if (event === "call me") {
      result.textContent = error;
    }
  });
}
