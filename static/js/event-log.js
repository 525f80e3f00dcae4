// The timestamped log of every event in both directions, one list item per event.
// Entries are built at once but added to the page once per frame, so a fast feed costs one layout per frame.
import { clockTime, element } from "./dom.js";
import { plainArgs } from "./plain-json.js";

// Bound the log so a long session cannot grow the page forever; the page's `data-limit` says how many it keeps.
const DEFAULT_LIMIT = 500;
const DIRECTION_LABELS = { sent: "sent", received: "received", note: "note" };
// A frame may never come in a hidden tab; the entries are added by then anyway.
const FLUSH_FALLBACK_MS = 250;

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
  const plain = plainArgs(args);
  return JSON.stringify(plain.length === 1 ? plain[0] : plain);
}

/** Whether the list is scrolled to (or near) its end. */
function isAtEnd(list) {
  return list.scrollTop + list.clientHeight >= list.scrollHeight - 8;
}

/** Whether an entry of `event` passes the filter text `filter` (a part of the event name, any case). */
function passes(filter, event) {
  return filter === "" || event.toLowerCase().includes(filter);
}

/**
 * Wrap the list element `list` as an event log; returns
 * `{sent, held, noAck, received, ack, note, clear, filter, lastSent, onResend, resendThrough, exportJson}`.
 * A sent entry's "Send again" button calls what `resendThrough` was given; until then there is no button.
 */
export function createEventLog(list, { limit = Number(list.dataset.limit) || DEFAULT_LIMIT, namespace = "/test" } = {}) {
  // What each entry holds, for "Send again" and the export; entries leave it when they leave the page.
  const records = new WeakMap();
  let pending = [];
  let flushScheduled = false;
  let filterText = "";
  let lastSentEntry = null;
  let nextId = 1;
  let resend = null;
  // Follow new entries unless the reader scrolled up to read older ones. Tracked on scroll rather
  // than measured on append, because a pane that gets narrower grows its entries without scrolling.
  let followEnd = true;
  // The scroll that `flush` itself makes needs no measuring (it ends at the end), and measuring it
  // would force a layout in the next frame, after the feed has changed the page again.
  let ownScroll = false;
  list.addEventListener("scroll", () => {
    if (ownScroll) {
      ownScroll = false;
    } else {
      followEnd = isAtEnd(list);
    }
  });

  /** Add the entries built since the last frame, drop the oldest beyond the limit, and follow the end. */
  function flush() {
    flushScheduled = false;
    if (pending.length === 0) {
      return;
    }
    list.append(...pending.slice(-limit));
    pending = [];
    while (list.childElementCount > limit) {
      list.firstElementChild.remove();
    }
    if (followEnd) {
      // The one layout of this frame: measured after every change, never between two.
      const end = list.scrollHeight - list.clientHeight;
      // A scroll that moves nothing fires no event, so only a real move is marked as this log's own.
      if (Math.abs(list.scrollTop - end) >= 1) {
        ownScroll = true;
        list.scrollTop = end;
      }
    }
  }

  /** Add `entry` at the next frame (or soon, in a tab that draws no frames). */
  function schedule(entry) {
    pending.push(entry);
    if (!flushScheduled) {
      flushScheduled = true;
      requestAnimationFrame(flush);
      setTimeout(flush, FLUSH_FALLBACK_MS);
    }
  }

  /** The "Send again" button of a sent entry: it repeats what the entry's record says. */
  function resendButton(entry) {
    const button = element("button", "secondary small entry-resend", "Send again");
    button.type = "button";
    button.addEventListener("click", () => {
      const record = records.get(entry);
      (record.resend ?? resend)(record);
    });
    return button;
  }

  /** Build one entry (time, direction, event name, detail, all as text) and its record; add it soon. */
  function add(direction, event, args, detail, kind = "") {
    const now = new Date();
    const entry = element("li", `entry entry-${direction}${kind ? ` entry-${kind}` : ""}`);
    entry.dataset.direction = direction;
    entry.dataset.event = event;
    entry.dataset.entry = String(nextId);
    nextId += 1;
    const time = element("time", "entry-time", clockTime(now));
    time.dateTime = now.toISOString();
    entry.append(time, element("span", "entry-direction", DIRECTION_LABELS[direction]));
    if (event) {
      entry.append(element("span", "entry-event", event));
    }
    entry.append(element("span", "entry-detail", detail));
    entry.hidden = !passes(filterText, event);
    records.set(entry, { time: now.toISOString(), direction, namespace, event, args });
    schedule(entry);
    return entry;
  }

  /** Number an entry that something may answer later, and give it a "Send again" button. */
  function answerable(entry) {
    // Inside the direction's cell ("sent #12"), so the grid keeps its three columns.
    entry.querySelector(".entry-direction").append(" ", element("span", "entry-id", `#${entry.dataset.entry}`));
    if (resend) {
      entry.append(resendButton(entry));
    }
    return entry;
  }

  /** Tie an answer entry to the entry `to` it answers, in the page and in the export. */
  function tie(entry, to) {
    entry.dataset.answers = to.dataset.entry;
    records.get(entry).answers = Number(to.dataset.entry);
    return entry;
  }

  /** Log the answer to the entry `sent`: an ack with `args` after `ms`, named after what it answers. */
  function ack(sent, args, ms) {
    const detail = `ack of #${sent.dataset.entry} · ${ms} ms${args.length ? ` · ${describe("", args)}` : ""}`;
    return tie(add("received", sent.dataset.event, args, detail, args[0]?.ok === false ? "error" : "ack"), sent);
  }

  /** Log that no ack of the entry `sent` came within `timeout` ms. */
  function noAck(sent, timeout) {
    return tie(add("note", sent.dataset.event, [], `No ack of #${sent.dataset.entry} within ${timeout} ms: timed out.`, "error"), sent);
  }

  /** Show only the entries whose event name contains `text` (any case); an empty text shows them all. */
  function filter(text) {
    filterText = text.trim().toLowerCase();
    for (const entry of [...list.children, ...pending]) {
      entry.hidden = !passes(filterText, entry.dataset.event);
    }
  }

  /** The kept entries as JSON: `[{time, direction, namespace, event, args}]`, binary as base64 with a marker. */
  function exportJson() {
    flush();
    const kept = [...list.children].map((entry) => records.get(entry)).filter(Boolean);
    return JSON.stringify(
      kept.map(({ resend: _resend, args, ...record }) => ({ ...record, args: plainArgs(args) })),
      null,
      2,
    );
  }

  return {
    sent: (event, args) => {
      lastSentEntry = answerable(add("sent", event, args, describe(event, args)));
      return lastSentEntry;
    },
    // An event emitted with an ack while disconnected: the client holds it until it reconnects.
    held: (event, args) =>
      answerable(add("note", event, args, "Not connected: held until the connection is back, or until its ack times out.", "warning")),
    noAck,
    received: (event, args) => add("received", event, args, describe(event, args), event === "my error" ? "error" : ""),
    ack,
    note: (text, kind = "info", event = "") => add("note", event, [], text, kind),
    clear: () => {
      pending = [];
      list.replaceChildren();
    },
    filter,
    // The entry the last emit logged: emit logs synchronously, so right after an emit it is that emit's.
    lastSent: () => lastSentEntry,
    // Make `entry`'s "Send again" do `again()` instead of a plain emit (an emit with an ack, say).
    onResend: (entry, again) => {
      records.get(entry).resend = again;
    },
    exportJson,
    // `again(record)` emits a record's event with its arguments once more: the "Send again" buttons.
    resendThrough: (again) => {
      resend = again;
    },
  };
}
