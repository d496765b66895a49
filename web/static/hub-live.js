/* Hub stations and emergency pages: the table refreshes itself in place every few seconds (no
 * reload), so the district sees a station go offline or come back as the live link reports it, and
 * each station's progress with an emergency (received, started, finished).
 *
 * The page marks the element to refresh with data-refresh-url (the table alone, as HTML) and
 * data-refresh-s (the period). Nothing is fetched while the tab is hidden; a failed fetch keeps the
 * last table and says so under it until the next one succeeds.
 */
(function () {
  "use strict";
  var box = document.querySelector("[data-refresh-url]");
  if (!box) return;
  var url = box.getAttribute("data-refresh-url");
  var period = Math.max(2, parseInt(box.getAttribute("data-refresh-s"), 10) || 5) * 1000;
  var note = document.getElementById("refresh-note");
  var busy = false;

  function say(text) {
    if (note) note.textContent = text;
  }

  function refresh() {
    // Not while the officer types in it (the emergency page's "KHẨN CẤP" to stop one).
    if (busy || document.hidden || box.contains(document.activeElement)) return;
    busy = true;
    fetch(url, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (resp) {
        if (!resp.ok || resp.redirected) throw new Error(String(resp.status));
        return resp.text();
      })
      .then(function (html) {
        if (html !== box.innerHTML) box.innerHTML = html;
        say("Tự cập nhật lúc " + new Date().toLocaleTimeString("vi-VN") + ".");
      })
      .catch(function () {
        say("Chưa cập nhật được bảng (mất kết nối tới máy chủ huyện?); đang thử lại.");
      })
      .then(function () {
        busy = false;
      });
  }

  setInterval(refresh, period);
  document.addEventListener("visibilitychange", refresh);
})();
