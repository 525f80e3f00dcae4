// Event arguments as plain JSON, for the log's text and its export: binary becomes base64 with a marker.

/** The marker key of a binary value in the log's JSON: `{"$binary": "<base64>"}`. */
export const BINARY_MARKER = "$binary";

/** Base64 of the bytes of an ArrayBuffer or a typed array / DataView. */
function base64(bytes) {
  const view = bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let text = "";
  for (const byte of view) {
    text += String.fromCharCode(byte);
  }
  return btoa(text);
}

/** `value` with every binary part (ArrayBuffer, typed array, Blob) replaced by a marked, JSON-safe form. */
export function plainJson(value) {
  if (value instanceof ArrayBuffer || ArrayBuffer.isView(value)) {
    return { [BINARY_MARKER]: base64(value) };
  }
  if (typeof Blob !== "undefined" && value instanceof Blob) {
    // A Blob's bytes can only be read asynchronously; the log keeps its size.
    return { [BINARY_MARKER]: null, size: value.size };
  }
  if (Array.isArray(value)) {
    return value.map(plainJson);
  }
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, plainJson(item)]));
  }
  return value;
}

/** An event's argument list as plain JSON (see `plainJson`). */
export function plainArgs(args) {
  return args.map(plainJson);
}
