"""Unit tests of the HTTP side: the page, health, favicon, security headers, configuration."""

import logging

import pytest

from playground import config, create_app

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def test_page_has_the_tutorial_ids_and_no_inline_script(http):
    response = http.get("/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    for element_id in ["emit", "emit_data", "broadcast", "broadcast_data", "log", "numbers"]:
        assert f'id="{element_id}"' in page
    assert "<script>" not in page and "onclick=" not in page and "style=" not in page
    assert 'type="module"' in page


@pytest.mark.parametrize("path", ["/", "/compare", "/healthz", "/favicon.ico", "/no-such-page"])
def test_every_response_carries_the_security_headers(http, path):
    response = http.get(path)
    assert response.headers["Content-Security-Policy"] == CSP
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_unknown_paths_are_404(http):
    assert http.get("/no-such-page").status_code == 404


def test_favicon_is_served_so_the_console_stays_clean(http):
    response = http.get("/favicon.ico")
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    assert b"<svg" in response.data


def test_healthz_reports_clients_feed_mode_and_queue(http, connect):
    connect()
    assert http.get("/healthz").get_json() == {
        "status": "ok",
        "clients": 1,
        "clients_total": 1,
        "rooms": 0,
        "feed": False,
        "feed_leader": False,
        "async_mode": "gevent",
        "message_queue": "in-process",
    }


def test_missing_secret_key_gets_a_random_one_and_a_warning(monkeypatch, caplog):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with caplog.at_level(logging.WARNING):
        first = create_app({"FEED_INTERVAL": 0})
        second = create_app({"FEED_INTERVAL": 0})
    assert len(first.config["SECRET_KEY"]) == 64
    assert first.config["SECRET_KEY"] != second.config["SECRET_KEY"]
    assert caplog.messages.count("SECRET_KEY is not set; using a random key for this process") == 2


def test_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "from-env")
    monkeypatch.setenv("MAX_MESSAGE_LENGTH", "10")
    monkeypatch.setenv("FEED_INTERVAL", "0")
    monkeypatch.setenv("LOG_LEVEL", "warning")
    app = create_app()
    assert app.config["SECRET_KEY"] == "from-env"
    assert app.config["MAX_MESSAGE_LENGTH"] == 10
    assert app.config["LOG_LEVEL"] == "WARNING"
    assert create_app({"MAX_MESSAGE_LENGTH": 3, "FEED_INTERVAL": 0}).config["MAX_MESSAGE_LENGTH"] == 3


def test_environment_parsing():
    env = {
        "PORT": "8080",
        "FEED_INTERVAL": "0.5",
        "CORS_ALLOWED_ORIGINS": "https://a.example, https://b.example",
        "REDIS_URL": "redis://localhost:6379/0",
        "HOST": "  ",
    }
    assert config.from_environment(env) == {
        "PORT": 8080,
        "FEED_INTERVAL": 0.5,
        "CORS_ALLOWED_ORIGINS": ["https://a.example", "https://b.example"],
        "SOCKETIO_MESSAGE_QUEUE": "redis://localhost:6379/0",
    }
    assert config.from_environment({"CORS_ALLOWED_ORIGINS": "*"}) == {"CORS_ALLOWED_ORIGINS": "*"}
    assert config.from_environment({"SOCKETIO_MESSAGE_QUEUE": "redis://q", "REDIS_URL": "redis://r"}) == {
        "SOCKETIO_MESSAGE_QUEUE": "redis://q"
    }


def test_an_invalid_setting_names_itself():
    with pytest.raises(ValueError, match="PORT='eighty' is not valid"):
        config.from_environment({"PORT": "eighty"})
