// The timestamped log of every event in both directions, one list item per event.
import { clockTime, element } from "./dom.js";

// Bound the log so a long session (the feed ticks every second) cannot grow the page forever.
const DEFAULT_LIMIT = 300;
const DIRECTION_LABELS = { sent: "sent", received: "received", note: "note" };

/** Who sent the event behind a `my response`: its name, else its sid; "" when the server spoke on its own. */
function sender(from) {
  if (!from || typeof from !== "object") {
    return "";
  }
  return ` · from ${from.name ?? from.sid}`;
}

/** Whether `value` is binary data as the Socket.IO client hands it over (ArrayBuffer, a view, a Blob). */
function isBinary(value) {
  return value instanceof ArrayBuffer || ArrayBuffer.isView(value) || (typeof Blob !== "undefined" && value instanceof Blob);
}

/** One line of human-readable detail for an event's arguments. */
export function describe(event, args) {
  const [first] = args;
  if (args.length === 0) {
    return "";
  }
  if (args.length === 1 && isBinary(first)) {
    return `binary, ${first.byteLength ?? first.size} bytes`;
  }
  if (event === "my response" && first && typeof first.data === "string") {
    return `${first.data} · count ${first.count}${sender(first.from)}`;
  }
  if (event === "my error" && first && typeof first.error === "string") {
    return `${first.event}: ${first.error}`;
  }
  if (event === "presence" && first && typeof first.clients === "number") {
    const name = first.name ? ` (${first.name})` : "";
    return `${first.event} sid=${first.sid}${name} · ${first.clients} connected`;
  }
  if (args.length === 1 && typeof first === "string") {
    return first;
  }
  return JSON.stringify(args.length === 1 ? first : args);
}

/** Whether the list is scrolled to (or near) its end. */
function isAtEnd(list) {
  return list.scrollTop + list.clientHeight >= list.scrollHeight - 8;
}

/** Wrap the list element `list` as an event log; returns `{sent, received, note, clear}`. */
export function createEventLog(list, { limit = DEFAULT_LIMIT } = {}) {
  // Follow new entries unless the reader scrolled up to read older ones. Tracked on scroll rather
  // than measured on append, because a pane that gets narrower grows its entries without scrolling.
  let followEnd = true;
  list.addEventListener("scroll", () => {
    followEnd = isAtEnd(list);
  });

  /** Append one entry: time, direction, event name and detail, all as text. */
  function add(direction, event, detail, kind) {
    const now = new Date();
    const entry = element("li", `entry entry-${direction}${kind ? ` entry-${kind}` : ""}`);
    entry.dataset.direction = direction;
    entry.dataset.event = event;
    const time = element("time", "entry-time", clockTime(now));
    time.dateTime = now.toISOString();
    entry.append(time, element("span", "entry-direction", DIRECTION_LABELS[direction]));
    if (event) {
      entry.append(element("span", "entry-event", event));
    }
    entry.append(element("span", "entry-detail", detail));
    list.append(entry);
    while (list.childElementCount > limit) {
      list.firstElementChild.remove();
    }
    if (followEnd) {
      list.scrollTop = list.scrollHeight;
    }
    return entry;
  }

  return {
    sent: (event, args) => add("sent", event, describe(event, args), ""),
    received: (event, args) => add("received", event, describe(event, args), event === "my error" ? "error" : ""),
    note: (text, kind = "info") => add("note", "", text, kind),
    clear: () => list.replaceChildren(),
  };
}
