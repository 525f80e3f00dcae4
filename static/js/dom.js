// Small DOM helpers shared by the playground and the compare view.
// User text only ever reaches the page through textContent.

/** Create an element with an optional class list and text content. */
export function element(tag, className = "", text = "") {
  const node = document.createElement(tag);
  if (className) {
    node.className = className;
  }
  if (text !== "") {
    node.textContent = text;
  }
  return node;
}

/** Wall-clock time with milliseconds, e.g. "17:04:09.123", for log entries. */
export function clockTime(date) {
  const pad = (value, width = 2) => String(value).padStart(width, "0");
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}

/** Run `handler(event)` when `form` is submitted (button or Enter), instead of navigating. */
export function onSubmit(form, handler) {
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    handler(event);
  });
}

/** Return the input's value and empty it, ready for the next message. */
export function takeValue(input) {
  const value = input.value;
  input.value = "";
  return value;
}

/** Let the browser save `text` as the file `name` (a download, not a navigation). */
export function download(name, text, type) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = element("a");
  link.href = url;
  link.download = name;
  link.click();
  // The click has handed the file over; the URL is not needed after this task.
  setTimeout(() => URL.revokeObjectURL(url), 0);
}
