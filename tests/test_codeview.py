"""The code beside every control: read from the real source at render time, only from playground/ and static/."""

import html
import os
import re
import shutil
import subprocess
import sys

import flask
import pytest

from playground import PROJECT_ROOT, codeview, create_app, socketio

DETAILS = re.compile(r'<details class="code" data-event="([^"]+)">(.*?)</details>', re.S)
PRE = re.compile(r'<pre data-file="([^"]+)" data-lines="(\d+)-(\d+)"[^>]*><code>(.*?)</code></pre>', re.S)


def code_blocks(page):
    """The page's code blocks: {data-event: [(file, first, last, text)]}, the text unescaped as the browser shows it."""
    return {
        event: [(file, int(first), int(last), html.unescape(text)) for file, first, last, text in PRE.findall(body)]
        for event, body in DETAILS.findall(page)
    }


def file_lines(root, file, first, last):
    """Lines `first` to `last` (1-based, inclusive) of `file`, with their shared indentation removed."""
    with open(os.path.join(root, file), encoding="utf-8") as source:
        lines = source.read().splitlines(keepends=True)[first - 1 : last]
    return codeview._dedent(lines)


@pytest.fixture
def pages(app):
    """The rendered playground page and compare view."""
    client = app.test_client()
    return {path: client.get(path).get_data(as_text=True) for path in ("/", "/compare")}


def test_every_code_block_on_the_page_finds_its_source_and_matches_the_file(pages):
    """Each row of the table has its card, finds a handler or function, and shows exactly its file's lines."""
    blocks = code_blocks(pages["/"])
    assert set(blocks) == set(codeview.CODE), "every row of the table has its card on the page, and no other"
    for event, shown in blocks.items():
        assert shown, f"{event}: no code"
        for file, first, last, text in shown:
            assert file.split("/")[0] in ("playground", "static"), file
            assert text == file_lines(PROJECT_ROOT, file, first, last), f"{event}: {file}:{first}-{last}"
    assert sum(len(shown) for shown in blocks.values()) >= 2 * len(blocks)


def test_each_card_shows_the_handler_and_the_page_code(pages):
    """Server first, then the page: the registered handler's decorator, and the JavaScript that emits or listens."""
    blocks = code_blocks(pages["/"])
    broadcast = blocks["my broadcast event"]
    assert broadcast[0][0] == "playground/events.py"
    assert broadcast[0][3].startswith('@socketio.on("my broadcast event", namespace=NAMESPACE)')
    assert "broadcast=True" in broadcast[0][3]
    assert any(file.startswith("static/") for file, *_ in broadcast)
    feed = "\n".join(text for *_, text in blocks["newnumber"])
    assert "with self._lock:" in feed and "start_background_task" in feed and 'emit("newnumber"' in feed
    disconnect = "\n".join(text for *_, text in blocks["disconnect request"])
    assert '@socketio.on("disconnect request"' in disconnect and '@socketio.on("disconnect"' in disconnect
    assert 'socket.on("disconnect"' in disconnect
    assert '@socketio.on("*", namespace=NAMESPACE)' in blocks["custom"][0][3]


def test_the_compare_view_has_the_compact_custom_card_and_the_contract_list(pages):
    """Each pane's template carries the compact card; the datalist names the contract's events."""
    compare = pages["/compare"]
    assert 'class="custom-form compact"' in compare
    assert '<option value="my broadcast event">' in compare and '<option value="my event">' in compare


def test_no_config_value_or_secret_reaches_the_page():
    """The code blocks show code only: the secret key and other settings' values never appear."""
    secret = "s3cr3t-" + os.urandom(8).hex()
    app = create_app({"TESTING": True, "SECRET_KEY": secret, "FEED_INTERVAL": 0, "MAX_MESSAGE_LENGTH": 987_654})
    page = app.test_client().get("/").get_data(as_text=True)
    for value in (secret, "987654", "987_654"):
        assert value not in page


def test_only_files_under_playground_and_static_are_ever_read(tmp_path):
    """A function from elsewhere, or a script path that leaves static/, is refused, not shown."""
    with pytest.raises(codeview.SourceNotFound, match="outside"):
        codeview.python_block(PROJECT_ROOT, flask.render_template)
    with pytest.raises(codeview.SourceNotFound, match="outside"):
        codeview.script_block(PROJECT_ROOT, "static/../app.py", "create_app")
    with pytest.raises(codeview.SourceNotFound, match="outside"):
        codeview.script_block(PROJECT_ROOT, "templates/index.html", "x")
    # A link inside static/ to a file outside it is judged by where it leads.
    (tmp_path / "static").mkdir()
    (tmp_path / "outside.js").write_text("function x() {\n}\n")
    os.symlink(tmp_path / "outside.js", tmp_path / "static" / "x.js")
    with pytest.raises(codeview.SourceNotFound, match="outside"):
        codeview.script_block(str(tmp_path), "static/x.js", "x")


def test_a_row_that_names_no_handler_fails_loudly():
    """A table row for an event nobody handles, or a function a module lacks, is an error, never an empty block."""
    with pytest.raises(codeview.SourceNotFound, match="no handler"):
        codeview.registered_handler(socketio, codeview.Handler("never registered"))
    with pytest.raises(codeview.SourceNotFound, match="no function"):
        codeview.script_block(PROJECT_ROOT, "static/js/dom.js", "noSuchFunction")


RENDER = """
from playground import create_app
app = create_app({"TESTING": True, "SECRET_KEY": "test", "FEED_INTERVAL": 0})
print(app.test_client().get("/").get_data(as_text=True))
"""


def render_copy(root):
    """Render `/` from the project copy at `root`, in a process of its own (the handlers register at import)."""
    result = subprocess.run(
        [sys.executable, "-c", RENDER], cwd=root, capture_output=True, text=True, check=True, timeout=60
    )
    return code_blocks(result.stdout)


def test_a_handler_renamed_in_a_copy_of_the_package_changes_the_rendered_code(tmp_path):
    """Render, rename and move a handler in a copy, render again: the page shows the new name at its new lines."""
    for folder in ("playground", "static", "templates"):
        shutil.copytree(os.path.join(PROJECT_ROOT, folder), tmp_path / folder)
    before = render_copy(tmp_path)["my broadcast event"][0]
    events = tmp_path / "playground" / "events.py"
    source = events.read_text()
    assert "def my_broadcast_event(message):" in source
    edited = source.replace("def my_broadcast_event(message):", "def shout_to_everyone(message):")
    edited = edited.replace("import functools\n", "import functools\n\n# one line more above every handler\n")
    events.write_text(edited)

    after = render_copy(tmp_path)["my broadcast event"][0]
    assert "def my_broadcast_event" in before[3] and "def my_broadcast_event" not in after[3]
    assert "def shout_to_everyone(message):" in after[3]
    assert (after[1], after[2]) == (before[1] + 2, before[2] + 2)
    assert after[3] == file_lines(tmp_path, after[0], after[1], after[2])


def test_a_page_module_edited_while_the_server_runs_shows_the_edit(tmp_path):
    """Script blocks are remembered only while their file is unchanged: an edit shows at the next render."""
    module = tmp_path / "static" / "page.js"
    module.parent.mkdir()
    module.write_text('/** Say hi. */\nexport function greet() {\n  return "hi";\n}\n')
    assert codeview.script_block(str(tmp_path), "static/page.js", "greet").text.endswith('return "hi";\n}')
    module.write_text('// A new first line.\n/** Say hello. */\nexport function greet() {\n  return "hello";\n}\n')
    stat = module.stat()
    os.utime(module, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    block = codeview.script_block(str(tmp_path), "static/page.js", "greet")
    assert (block.first, block.last) == (2, 5)
    assert block.text == '/** Say hello. */\nexport function greet() {\n  return "hello";\n}'
