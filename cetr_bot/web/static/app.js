// The companion's only script: inside Telegram, hand Telegram's initData to our server,
// which checks its signature and sets the session cookie, then show the page. No other
// origin is contacted; nothing is stored in the page.
(function () {
  "use strict";
  function initData() {
    var tg = window.Telegram && window.Telegram.WebApp;
    if (tg && tg.initData) { return tg.initData; }
    var hash = window.location.hash.replace(/^#/, "");
    if (!hash) { return ""; }
    var params = new URLSearchParams(hash);
    return params.get("tgWebAppData") || "";
  }
  function show(id) {
    ["signin-working", "signin-failed", "signin-outside"].forEach(function (name) {
      var el = document.getElementById(name);
      if (el) { el.hidden = name !== id; }
    });
  }
  function signIn() {
    var box = document.getElementById("signin");
    if (!box) { return; }
    var data = initData();
    if (!data) { show("signin-outside"); return; }
    show("signin-working");
    fetch(box.getAttribute("data-auth"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ init_data: data })
    }).then(function (response) {
      if (response.ok) {
        // Drop the fragment: initData is not kept in the address or the history.
        window.location.replace(window.location.pathname + window.location.search);
      } else {
        show("signin-failed");
      }
    }, function () { show("signin-failed"); });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", signIn);
  } else {
    signIn();
  }
}());
