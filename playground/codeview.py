"""The code beside every control: the server's handler and the page's JavaScript for one event, read from the source.

Nothing here is pasted. Python comes from `inspect` on the handlers
Flask-SocketIO has registered (and on the page's other server-side pieces,
such as the feed's task), so renaming or editing a handler changes what the
page shows. JavaScript comes from the page's own modules under static/, cut
at a named function. Only files under `playground/` and `static/` are ever
read, and only code: no configuration value passes through here.

`CODE` is the table of what each `<details class="code" data-event=…>` shows;
a new event is one more row.
"""

import functools
import importlib
import inspect
import logging
import os
import re
from dataclasses import dataclass

from .config import NAMESPACE

log = logging.getLogger(__name__)

#: The only folders (relative to the project root) whose files may be shown.
SHOWN_FOLDERS = ("playground", "static")


@dataclass(frozen=True)
class Handler:
    """The function registered for `event` on `namespace` (the Python that answers it)."""

    event: str
    namespace: str = NAMESPACE


@dataclass(frozen=True)
class PythonObject:
    """A function or method named by its dotted path, e.g. `playground.feed.NumberFeed.tick`."""

    path: str


@dataclass(frozen=True)
class Script:
    """The function `name` in the page module `file` (relative to the project root, under static/)."""

    file: str
    name: str


_MESSAGING = "static/js/messaging.js"
_PAGE = "static/playground.js"
_CONNECTION = "static/js/connection.js"

#: data-event -> the pieces of code its card shows, server first, then the page.
CODE = {
    "my event": [Handler("my event"), Script(_MESSAGING, "wireDataForm"), Script(_MESSAGING, "wireEchoAndBroadcast")],
    "my broadcast event": [
        Handler("my broadcast event"),
        Script(_MESSAGING, "wireDataForm"),
        Script(_MESSAGING, "wireEchoAndBroadcast"),
    ],
    "message": [Handler("message"), Script(_PAGE, "wireSendAndJson")],
    "json": [Handler("json"), Script(_PAGE, "wireSendAndJson")],
    "join": [Handler("join"), Handler("leave"), Handler("close room"), Script(_PAGE, "wireRooms")],
    "my room event": [Handler("my room event"), Script(_PAGE, "wireRooms")],
    "my ping": [Handler("my ping"), Script(_PAGE, "wirePing")],
    "disconnect request": [
        Handler("disconnect request"),
        Handler("disconnect"),
        Script(_PAGE, "wireConnection"),
        Script(_CONNECTION, "watchConnection"),
    ],
    "newnumber": [
        PythonObject("playground.feed.NumberFeed.start_once"),
        PythonObject("playground.feed.NumberFeed._run"),
        PythonObject("playground.feed.NumberFeed.tick"),
        Script(_PAGE, "wireFeed"),
        Script("static/js/feed.js", "createFeedView"),
    ],
    "connect": [
        Handler("connect"),
        PythonObject("playground.names.admit"),
        Script("static/js/names.js", "authFor"),
        Script("static/js/names.js", "wireName"),
    ],
    "call me": [
        Handler("call me"),
        PythonObject("playground.asking._answered"),
        PythonObject("playground.asking._wait_for_answer"),
        Script("static/js/asking.js", "wireCallMe"),
    ],
    "my binary event": [Handler("my binary event"), Script("static/js/binary.js", "wireBinary")],
    "namespace /": [
        PythonObject("playground.root_namespace.RootNamespace"),
        Script("static/js/root-namespace.js", "openRootNamespace"),
    ],
    "custom": [
        Handler("*"),
        PythonObject("playground.events.on_handler_error"),
        Script("static/js/custom-card.js", "emitCustom"),
        Script("static/js/custom-card.js", "waitForAck"),
    ],
}


@dataclass(frozen=True)
class Block:
    """One piece of code as the page shows it: its file, its first and last line, its text, its language."""

    file: str
    first: int
    last: int
    text: str
    language: str

    @property
    def lines(self):
        """The line range as the page writes it, e.g. "118-123"."""
        return f"{self.first}-{self.last}"


class SourceNotFound(LookupError):
    """A row of `CODE` that names no registered handler, no object or no function in the file."""


#: The folder that holds playground/ and static/: the parent of this package.
PROJECT_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def blocks_for(event, socketio, root=PROJECT_ROOT):
    """Every `Block` the card of `event` shows, read now from the source."""
    return [_block(piece, socketio, root) for piece in CODE[event]]


def _block(piece, socketio, root):
    """Read one row's piece: a registered handler, a dotted Python object, or a function of a page module."""
    if isinstance(piece, Script):
        return script_block(root, piece.file, piece.name)
    target = registered_handler(socketio, piece) if isinstance(piece, Handler) else _resolve(piece.path)
    return python_block(root, target)


def registered_handler(socketio, handler):
    """The function registered for `handler.event` on its namespace, as written (decorators unwrapped)."""
    for event, function, namespace in socketio.handlers:
        if event == handler.event and namespace == handler.namespace:
            return inspect.unwrap(function)
    raise SourceNotFound(f"no handler registered for {handler.event!r} on {handler.namespace}")


def _resolve(path):
    """Import the module of a dotted path and walk its attributes, e.g. `playground.feed.NumberFeed.tick`."""
    parts = path.split(".")
    for split in range(len(parts) - 1, 0, -1):
        try:
            target = importlib.import_module(".".join(parts[:split]))
        except ImportError:
            continue
        for name in parts[split:]:
            target = getattr(target, name)
        return target
    raise SourceNotFound(f"cannot import {path}")


def python_block(root, function):
    """The source of `function` with its decorators, and where it is, refusing files outside the shown folders."""
    path = inspect.getsourcefile(function)
    file = _shown_path(root, path)
    return _python_block(file, function, os.stat(path).st_mtime_ns)


# Cutting a function out of its file costs about a millisecond (inspect tokenizes it), and a page shows
# some forty: remembered until the file changes, so rendering a page costs no more than a stat per block.
@functools.lru_cache(maxsize=256)
def _python_block(file, function, mtime):
    """`python_block` for the file as it was at `mtime`."""
    lines, first = inspect.getsourcelines(function)
    return Block(file, first, first + len(lines) - 1, _dedent(lines), "python")


def script_block(root, file, name):
    """The function `name` of the page module `file`, with the doc comment above it, cut where its body ends.

    The page's modules are formatted one way: a function's closing brace
    sits at the start of a line indented like its `function` keyword.
    """
    path = os.path.join(root, file)
    _shown_path(root, path)
    return _script_block(path, file, name, os.stat(path).st_mtime_ns)


@functools.lru_cache(maxsize=256)
def _script_block(path, file, name, mtime):
    """`script_block` for the file as it was at `mtime`."""
    with open(path, encoding="utf-8") as source:
        lines = source.read().splitlines()
    start = _function_start(lines, name, file)
    indent = lines[start][: len(lines[start]) - len(lines[start].lstrip())]
    end = next((index for index in range(start + 1, len(lines)) if lines[index] == indent + "}"), None)
    if end is None:
        raise SourceNotFound(f"function {name} in {file} has no closing brace at its indentation")
    first = _doc_comment_start(lines, start)
    return Block(file, first + 1, end + 1, _dedent(line + "\n" for line in lines[first : end + 1]), "javascript")


def _function_start(lines, name, file):
    """The index of the line that declares `function name(`."""
    declaration = re.compile(rf"^\s*(export\s+)?(async\s+)?function\s+{re.escape(name)}\s*\(")
    for index, line in enumerate(lines):
        if declaration.match(line):
            return index
    raise SourceNotFound(f"no function {name} in {file}")


def _doc_comment_start(lines, start):
    """The index of the `/**` line of the comment right above `start`, or `start` when there is none."""
    above = start - 1
    if above < 0 or not lines[above].strip().endswith("*/"):
        return start
    while above >= 0 and not lines[above].lstrip().startswith("/**"):
        above -= 1
    return above if above >= 0 else start


def _shown_path(root, path):
    """`path` relative to `root`, if it is a file inside one of the shown folders; otherwise `SourceNotFound`."""
    relative = os.path.relpath(os.path.realpath(path), os.path.realpath(root))
    if relative.split(os.sep, 1)[0] not in SHOWN_FOLDERS:
        raise SourceNotFound(f"{relative} is outside {', '.join(SHOWN_FOLDERS)}")
    return relative.replace(os.sep, "/")


def _dedent(lines):
    """The lines as one text, with the indentation they all share removed (a method out of its class)."""
    lines = list(lines)
    widths = [len(line) - len(line.lstrip()) for line in lines if line.strip()]
    cut = min(widths, default=0)
    return "".join(line[cut:] if line.strip() else line.lstrip(" ") for line in lines).rstrip("\n")
