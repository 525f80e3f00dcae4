// Prefill the Admin UI's connection dialog with this server's URL and the /admin namespace.
//
// A classic script, not a module: it must run before the UI's own scripts read localStorage, and
// module scripts run only after them. The UI connects on its own at start-up whenever localStorage
// holds a server URL (it saves one after every login), which would spend a login attempt and show
// "Invalid credentials" before anyone typed a password. So the URL is removed from localStorage and
// typed into the dialog's field instead, once the dialog is on the page; nothing connects until the
// user presses Connect.
(function () {
  "use strict";

  function forgetStoredServer() {
    try {
      window.localStorage.removeItem("server_url");
      window.localStorage.removeItem("session_id");
      window.localStorage.setItem("namespace", "/admin");
      window.localStorage.setItem("path", "/socket.io");
    } catch (error) {
      // Storage disabled: the UI then starts with its defaults, and the field is still filled below.
    }
  }

  function serverUrlField() {
    return document.querySelector(".v-dialog form input[type='text']");
  }

  function fillServerUrl(field) {
    if (field.value === "") {
      field.value = window.location.origin;
      // The UI's field listens for input events, as when the user types.
      field.dispatchEvent(new Event("input", { bubbles: true }));
    }
  }

  function fillWhenTheDialogAppears() {
    const observer = new MutationObserver(function () {
      const field = serverUrlField();
      if (field) {
        observer.disconnect();
        fillServerUrl(field);
      }
    });
    observer.observe(document.documentElement, { childList: true, subtree: true });
  }

  forgetStoredServer();
  fillWhenTheDialogAppears();
})();
