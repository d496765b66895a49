/* Broadcaster admin web — plain JavaScript, no build step, no dependencies.
 *
 * - every state-changing fetch() from the page carries the CSRF token (header X-CSRFToken,
 *   read from <meta name="csrf-token">);
 * - forms with data-confirm ask before they are sent;
 * - #btn-preview has the render worker read the text being written (queued, then followed) and
 *   plays it in #preview-audio;
 * - #btn-spoken shows the text as the machine will read it beside the written text, with the
 *   places that look damaged marked; #btn-pron adds a pronunciation entry and reads again;
 * - #btn-render starts rendering a programme and fills #render-progress while it runs;
 * - #schedule-form checks conflicts (data-check-url) before saving and shows them;
 * - the recurrence form shows only the fields of the chosen recurrence, each error under its field;
 * - file fields show the chosen file's name next to the page's "Chọn tệp…" button;
 * - the browser's own form-check messages are replaced by Vietnamese ones.
 * Pages keep working without JavaScript: these only add to plain HTML forms.
 */
(function () {
  "use strict";

  var meta = document.querySelector('meta[name="csrf-token"]');
  var CSRF = meta ? meta.getAttribute("content") : "";
  var SAFE = /^(GET|HEAD|OPTIONS|TRACE)$/i;

  function sameOrigin(url) {
    try {
      return new URL(url, window.location.href).origin === window.location.origin;
    } catch (e) {
      return false;
    }
  }

  // ---- CSRF header on every state-changing fetch to this site ----
  if (window.fetch) {
    var origFetch = window.fetch.bind(window);
    window.fetch = function (input, init) {
      init = init || {};
      var method = (init.method || (input && input.method) || "GET").toUpperCase();
      var url = typeof input === "string" ? input : (input && input.url) || "";
      if (!SAFE.test(method) && sameOrigin(url) && CSRF) {
        var headers = new Headers(init.headers || (input && input.headers) || {});
        if (!headers.has("X-CSRFToken")) headers.set("X-CSRFToken", CSRF);
        init.headers = headers;
      }
      if (!init.credentials) init.credentials = "same-origin";
      return origFetch(input, init);
    };
  }
  window.broadcaster = { csrfToken: CSRF };

  /** Read a JSON answer; a login page or error page (HTML) becomes a Vietnamese error. */
  function readJson(resp) {
    var type = resp.headers.get("Content-Type") || "";
    if (type.indexOf("application/json") === -1) {
      if (resp.redirected && /dang-nhap|login/.test(resp.url)) {
        throw new Error("Phiên đăng nhập đã hết hạn. Hãy tải lại trang và đăng nhập lại.");
      }
      if (resp.status === 400) {
        throw new Error("Phiên làm việc đã hết hạn. Hãy tải lại trang rồi thử lại.");
      }
      if (resp.status === 403) throw new Error("Tài khoản của bạn không được dùng chức năng này.");
      throw new Error("Máy chủ trả lời không như mong đợi (mã " + resp.status + ").");
    }
    return resp.json().then(function (data) {
      return { ok: resp.ok, status: resp.status, data: data };
    });
  }

  function networkError(err) {
    if (err && err.message && !/fetch|network/i.test(err.message)) return err.message;
    return "Không kết nối được với máy chủ. Hãy kiểm tra mạng rồi thử lại.";
  }

  // ---- forms that ask before sending ----
  document.addEventListener(
    "submit",
    function (ev) {
      var form = ev.target;
      if (!(form instanceof HTMLFormElement)) return;
      var question = form.getAttribute("data-confirm");
      if (question && !window.confirm(question)) {
        ev.preventDefault();
        ev.stopImmediatePropagation();
      }
    },
    true
  );

  // The emergency notice interrupts everything on air: ask once more.
  var emergency = document.getElementById("emergency-form");
  if (emergency && !emergency.hasAttribute("data-confirm")) {
    emergency.addEventListener("submit", function (ev) {
      if (!window.confirm("Ngắt mọi thứ đang phát và phát thông báo khẩn cấp ngay bây giờ?")) {
        ev.preventDefault();
      }
    });
  }

  // ---- "Nghe thử": render the text being written and play it ----
  var btnPreview = document.getElementById("btn-preview");
  if (btnPreview) {
    var status = document.getElementById("preview-status");
    var player = document.getElementById("preview-audio");
    var say = function (text, isError) {
      if (!status) return;
      status.textContent = text;
      status.className = isError ? "bad" : "muted";
    };
    btnPreview.addEventListener("click", function () {
      var form = btnPreview.form || btnPreview.closest("form") || document;
      var bodyEl = form.querySelector('[name="body"]') || document.getElementById("f-body");
      var titleEl = form.querySelector('[name="title"]');
      var text = bodyEl ? bodyEl.value.trim() : "";
      if (!text) {
        say("Chưa có nội dung để nghe thử.", true);
        if (bodyEl) bodyEl.focus();
        return;
      }
      btnPreview.disabled = true;
      btnPreview.classList.add("busy");
      say("Đang gửi cho bộ chuyển giọng nói…", false);
      // The render worker makes the speech (never the web server): queue it, follow the job, play.
      var follow = function (url) {
        var started = Date.now();
        return new Promise(function (resolve, reject) {
          var tick = function () {
            fetch(url, { headers: { Accept: "application/json" } })
              .then(readJson)
              .then(function (r) {
                if (!r.ok) throw new Error(r.data.loi || "Không đọc được tiến độ (mã " + r.status + ").");
                if (r.data.trang_thai === "done") return resolve(r.data);
                if (r.data.loi) throw new Error(r.data.loi);
                if (Date.now() - started > 180000) {
                  throw new Error("Bộ chuyển giọng nói chưa làm xong sau 3 phút; hãy thử lại sau.");
                }
                say((r.data.nhan || "Đang chuyển thành giọng nói…"), false);
                window.setTimeout(tick, 400);
              })
              .catch(reject);
          };
          tick();
        });
      };
      fetch(btnPreview.getAttribute("data-url"), {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify({ body: text, title: titleEl ? titleEl.value : "" }),
      })
        .then(readJson)
        .then(function (r) {
          if (!r.ok || !r.data.url) {
            throw new Error(r.data.loi || "Không nghe thử được (mã " + r.status + ").");
          }
          return follow(r.data.url);
        })
        .then(function (data) {
          var secs = data.thoi_luong_ms ? Math.round(data.thoi_luong_ms / 100) / 10 : null;
          say("Đã xong" + (secs ? " — " + String(secs).replace(".", ",") + " giây" : "") + ". Đang phát…", false);
          if (player) {
            player.src = data.url;
            player.hidden = false;
            var p = player.play();
            if (p && p.catch) {
              p.catch(function () {
                say("Đã xong. Bấm ▶ trên trình phát để nghe.", false);
              });
            }
          }
        })
        .catch(function (err) {
          say(networkError(err), true);
        })
        .then(function () {
          btnPreview.disabled = false;
          btnPreview.classList.remove("busy");
        });
    });
  }

  // ---- "Đọc thử thành chữ": the spoken text beside the written one, damaged places marked ----
  var btnSpoken = document.getElementById("btn-spoken");
  if (btnSpoken) {
    var spokenBox = document.getElementById("spoken-text");
    var writtenBox = document.getElementById("written-marked");
    var warnBox = document.getElementById("speech-warning");
    var spokenStatus = document.getElementById("spoken-status");
    var bodyField = document.getElementById("f-body");
    var pronTerm = document.getElementById("pron-term");
    var pronSpoken = document.getElementById("pron-spoken");
    var pronStatus = document.getElementById("pron-status");
    var btnPron = document.getElementById("btn-pron");

    var tell = function (el, text, isError) {
      if (!el) return;
      el.textContent = text;
      el.className = isError ? "bad" : "muted";
    };
    // Built with text nodes only: the officer's text is never read as HTML.
    var showCheck = function (data) {
      if (spokenBox) {
        spokenBox.textContent = "";
        if (data.loi) {
          var bad = document.createElement("span");
          bad.className = "bad";
          bad.textContent = data.loi;
          spokenBox.appendChild(bad);
        } else {
          spokenBox.textContent = data.doc || "";
        }
      }
      if (writtenBox && data.manh) {
        writtenBox.textContent = "";
        data.manh.forEach(function (piece) {
          if (piece[1]) {
            var m = document.createElement("mark");
            m.className = "suspect";
            m.title = piece[1];
            m.textContent = piece[0];
            writtenBox.appendChild(m);
          } else {
            writtenBox.appendChild(document.createTextNode(piece[0]));
          }
        });
      }
      if (warnBox) {
        var n = data.so_cho_nghi || 0;
        warnBox.hidden = !n;
        var strong = warnBox.querySelector("strong");
        if (strong) strong.textContent = "Văn bản có chỗ nghi bị lỗi chữ (" + n + " chỗ).";
        var list = warnBox.querySelector(".places");
        if (list) {
          list.textContent = "";
          (data.cho_nghi || []).forEach(function (line) {
            var li = document.createElement("li");
            li.textContent = line;
            list.appendChild(li);
          });
        }
      }
    };
    var readAloud = function () {
      var text = bodyField ? bodyField.value : "";
      if (!text.trim()) {
        tell(spokenStatus, "Chưa có nội dung để đọc thử.", true);
        return;
      }
      btnSpoken.disabled = true;
      tell(spokenStatus, "Đang đọc thử…", false);
      fetch(btnSpoken.getAttribute("data-url"), {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify({ body: text }),
      })
        .then(readJson)
        .then(function (r) {
          if (!r.ok) throw new Error(r.data.loi || "Không đọc thử được (mã " + r.status + ").");
          showCheck(r.data);
          tell(spokenStatus, r.data.so_cho_nghi ? "Có " + r.data.so_cho_nghi + " chỗ nghi lỗi chữ." : "Đã cập nhật.", !!r.data.so_cho_nghi);
        })
        .catch(function (err) {
          tell(spokenStatus, networkError(err), true);
        })
        .then(function () {
          btnSpoken.disabled = false;
        });
    };
    btnSpoken.addEventListener("click", readAloud);

    // A word selected in the written text (the field or the marked copy) becomes the word to add.
    var takeSelection = function () {
      if (!pronTerm) return;
      var word = "";
      if (document.activeElement === bodyField && bodyField.selectionEnd > bodyField.selectionStart) {
        word = bodyField.value.slice(bodyField.selectionStart, bodyField.selectionEnd);
      } else if (window.getSelection) {
        var sel = window.getSelection();
        if (sel && writtenBox && sel.anchorNode && writtenBox.contains(sel.anchorNode)) word = String(sel);
      }
      word = word.trim();
      if (word && word.length <= 100 && word.indexOf("\n") === -1) {
        pronTerm.value = word;
        if (pronSpoken) pronSpoken.focus();
      }
    };
    if (bodyField) bodyField.addEventListener("select", takeSelection);
    if (writtenBox) writtenBox.addEventListener("mouseup", takeSelection);

    if (btnPron) {
      var pronBox = document.getElementById("add-pron");
      btnPron.addEventListener("click", function () {
        var term = pronTerm ? pronTerm.value.trim() : "";
        var said = pronSpoken ? pronSpoken.value.trim() : "";
        if (!term || !said) {
          tell(pronStatus, "Hãy nhập từ và cách đọc.", true);
          (term ? pronSpoken : pronTerm).focus();
          return;
        }
        btnPron.disabled = true;
        tell(pronStatus, "Đang lưu…", false);
        fetch(pronBox.getAttribute("data-url"), {
          method: "POST",
          headers: { "Content-Type": "application/json", Accept: "application/json" },
          body: JSON.stringify({ term: term, spoken: said, body: bodyField ? bodyField.value : "" }),
        })
          .then(readJson)
          .then(function (r) {
            if (!r.ok) throw new Error(r.data.loi || "Không lưu được (mã " + r.status + ").");
            tell(pronStatus, r.data.da_luu, false);
            if (r.data.manh) showCheck(r.data);
            pronTerm.value = "";
            pronSpoken.value = "";
          })
          .catch(function (err) {
            tell(pronStatus, networkError(err), true);
          })
          .then(function () {
            btnPron.disabled = false;
          });
      });
    }
  }

  // ---- programme rendering with a progress bar ----
  var progress = document.getElementById("render-progress");
  var btnRender = document.getElementById("btn-render");

  function showProgress(data) {
    if (!progress) return;
    var pct = Math.max(0, Math.min(100, Number(data.phan_tram) || 0));
    var fill = progress.querySelector(".fill");
    var text = progress.querySelector(".progress-text");
    var bar = progress.querySelector(".bar");
    progress.hidden = false;
    if (fill) fill.style.width = pct + "%";
    if (bar) {
      bar.setAttribute("role", "progressbar");
      bar.setAttribute("aria-valuemin", "0");
      bar.setAttribute("aria-valuemax", "100");
      bar.setAttribute("aria-valuenow", String(pct));
    }
    progress.classList.toggle("done", data.trang_thai === "done");
    progress.classList.toggle("failed", data.trang_thai === "failed");
    var line = (data.nhan || "") + " " + pct + "%";
    if (data.tong) line += " (" + (data.xong || 0) + "/" + data.tong + " mục)";
    if (data.loi) line += " — " + data.loi;
    if (text) text.textContent = line;
  }

  function pollJob(url) {
    if (!progress || !url) return;
    progress.setAttribute("data-job-url", url);
    progress.hidden = false;
    var tries = 0;
    var tick = function () {
      fetch(url, { headers: { Accept: "application/json" } })
        .then(readJson)
        .then(function (r) {
          if (!r.ok) throw new Error(r.data.loi || "Không đọc được tiến độ (mã " + r.status + ").");
          showProgress(r.data);
          if (r.data.trang_thai === "running" || r.data.trang_thai === "queued") {
            tries += 1;
            window.setTimeout(tick, tries < 20 ? 500 : 1500);
          } else if (btnRender) {
            btnRender.disabled = false;
            btnRender.classList.remove("busy");
          }
        })
        .catch(function (err) {
          showProgress({ trang_thai: "failed", nhan: "Có lỗi", phan_tram: 0, loi: networkError(err) });
          if (btnRender) btnRender.disabled = false;
        });
    };
    tick();
  }

  if (btnRender) {
    btnRender.addEventListener("click", function () {
      btnRender.disabled = true;
      btnRender.classList.add("busy");
      showProgress({ trang_thai: "running", nhan: "Đang bắt đầu…", phan_tram: 0 });
      fetch(btnRender.getAttribute("data-url"), {
        method: "POST",
        headers: { Accept: "application/json" },
      })
        .then(readJson)
        .then(function (r) {
          if (!r.ok || !r.data.url) throw new Error(r.data.loi || "Không bắt đầu được (mã " + r.status + ").");
          pollJob(r.data.url);
        })
        .catch(function (err) {
          showProgress({ trang_thai: "failed", nhan: "Có lỗi", phan_tram: 0, loi: networkError(err) });
          btnRender.disabled = false;
          btnRender.classList.remove("busy");
        });
    });
  }
  if (progress && progress.getAttribute("data-job-url")) {
    // Page reloaded (or rendered without JavaScript) while a job runs: follow it.
    if (btnRender) btnRender.disabled = true;
    pollJob(progress.getAttribute("data-job-url"));
  }

  // ---- schedule form: recurrence fields and conflicts before saving ----
  var schedForm = document.getElementById("schedule-form");
  if (schedForm) {
    var recurrence = schedForm.querySelector('[name="recurrence"]');
    var syncRecurrence = function () {
      if (!recurrence) return;
      var sections = schedForm.querySelectorAll(".rec");
      for (var i = 0; i < sections.length; i++) {
        sections[i].hidden = !sections[i].classList.contains("rec-" + recurrence.value);
      }
    };
    if (recurrence) {
      recurrence.addEventListener("change", syncRecurrence);
      syncRecurrence();
    }

    var box = document.getElementById("schedule-messages");
    var el = function (tag, cls, text) {
      var e = document.createElement(tag);
      if (cls) e.className = cls;
      if (text) e.textContent = text;
      return e;
    };
    var list = function (cls, heading, items) {
      var div = el("div", cls);
      div.setAttribute("role", "alert");
      div.appendChild(el("strong", "", heading));
      var ul = el("ul");
      items.forEach(function (t) {
        ul.appendChild(el("li", "", t));
      });
      div.appendChild(ul);
      return div;
    };
    // Each error goes under its field (data-field="…"); the box on top sums them up with links.
    var placeErrors = function (placed) {
      var old = schedForm.querySelectorAll(".field-error");
      for (var i = 0; i < old.length; i++) old[i].parentNode.removeChild(old[i]);
      var marked = schedForm.querySelectorAll(".has-error");
      for (var j = 0; j < marked.length; j++) marked[j].classList.remove("has-error");
      placed.forEach(function (p) {
        var holder = p.o ? schedForm.querySelector('[data-field="' + p.o + '"]') : null;
        if (!holder) return;
        holder.classList.add("has-error");
        var msg = el("p", "field-error", p.loi);
        msg.setAttribute("role", "alert");
        holder.appendChild(msg);
        var details = holder.closest("details");
        if (details) details.open = true;
      });
    };
    var summary = function (placed) {
      var div = el("div", "flash error error-summary");
      div.setAttribute("role", "alert");
      var n = placed.length;
      div.appendChild(
        el("strong", "", "Chưa lưu được lịch: hãy sửa " + (n === 1 ? "chỗ" : n + " chỗ") + " được đánh dấu bên dưới.")
      );
      var ul = el("ul");
      placed.forEach(function (p) {
        var li = el("li");
        if (p.id) {
          var a = el("a", "", p.ten);
          a.href = "#" + p.id;
          li.appendChild(a);
          li.appendChild(document.createTextNode(p.con_lai || ": " + p.loi));
        } else {
          li.appendChild(document.createTextNode(p.loi));
        }
        ul.appendChild(li);
      });
      div.appendChild(ul);
      return div;
    };
    var show = function (data) {
      if (!box) return;
      box.textContent = "";
      var errs = data.loi || [];
      var conflicts = data.trung_gio || [];
      var placed = data.loi_theo_o || errs.map(function (t) { return { o: "", id: "", ten: "", loi: t }; });
      placeErrors(placed);
      if (errs.length) box.appendChild(summary(placed));
      if (conflicts.length) box.appendChild(list("flash error conflicts", "Trùng giờ, chưa lưu:", conflicts));
      if (data.canh_bao) box.appendChild(el("p", "flash warning", data.canh_bao));
      if (!errs.length && !conflicts.length) {
        box.appendChild(el("p", "flash success", "Không trùng giờ với lịch nào."));
      }
      box.scrollIntoView({ block: "nearest" });
    };
    var check = function () {
      return fetch(schedForm.getAttribute("data-check-url"), {
        method: "POST",
        headers: { Accept: "application/json" },
        body: new FormData(schedForm),
      }).then(readJson);
    };
    var btnCheck = document.getElementById("btn-check");
    if (btnCheck) {
      btnCheck.addEventListener("click", function () {
        btnCheck.disabled = true;
        check()
          .then(function (r) {
            if (!r.ok) throw new Error("Không kiểm tra được (mã " + r.status + ").");
            show(r.data);
          })
          .catch(function (err) {
            if (box) {
              box.textContent = "";
              box.appendChild(el("p", "flash error", networkError(err)));
            }
          })
          .then(function () {
            btnCheck.disabled = false;
          });
      });
    }
    var checked = false;
    schedForm.addEventListener("submit", function (ev) {
      if (checked || !schedForm.getAttribute("data-check-url")) return;
      ev.preventDefault();
      var submitter = ev.submitter;
      check()
        .then(function (r) {
          if (r.ok && !(r.data.loi || []).length && !(r.data.trung_gio || []).length) {
            checked = true;
            if (submitter && schedForm.requestSubmit) schedForm.requestSubmit(submitter);
            else schedForm.submit();
          } else if (r.ok) {
            show(r.data);
          } else {
            throw new Error("bad answer");
          }
        })
        .catch(function () {
          // The server checks again when saving: let the form go.
          checked = true;
          schedForm.submit();
        });
    });
  }

  // ---- file fields: the page's own "Chọn tệp…" button shows the chosen file's name ----
  var pickers = document.querySelectorAll(".file-pick .file-input");
  for (var k = 0; k < pickers.length; k++) {
    pickers[k].addEventListener("change", function (ev) {
      var input = ev.target;
      var name = input.parentNode.querySelector(".file-name");
      if (!name) return;
      var files = input.files || [];
      name.textContent = files.length ? files[0].name : name.getAttribute("data-empty") || "";
      name.classList.toggle("muted", !files.length);
    });
  }

  // ---- the browser's own form checks speak Vietnamese, whatever its language ----
  document.addEventListener(
    "invalid",
    function (ev) {
      var f = ev.target;
      if (!f || !f.validity || !f.setCustomValidity) return;
      var v = f.validity;
      var msg = "";
      if (v.valueMissing) {
        if (f.type === "file") msg = "Hãy chọn một tệp.";
        else if (f.tagName === "SELECT") msg = "Hãy chọn một mục.";
        else if (f.type === "checkbox") msg = "Hãy đánh dấu ô này.";
        else msg = "Hãy điền ô này.";
      } else if (v.patternMismatch || v.typeMismatch) {
        msg = "Chưa đúng dạng. " + (f.getAttribute("data-format") || "");
      } else if (v.rangeUnderflow) {
        msg = "Giá trị nhỏ nhất là " + f.min + ".";
      } else if (v.rangeOverflow) {
        msg = "Giá trị lớn nhất là " + f.max + ".";
      } else if (v.stepMismatch) {
        msg = "Hãy nhập số nguyên.";
      } else if (v.badInput) {
        msg = "Hãy nhập một số.";
      } else if (v.tooLong) {
        msg = "Dài quá " + f.maxLength + " ký tự.";
      } else if (v.tooShort) {
        msg = "Cần ít nhất " + f.minLength + " ký tự.";
      }
      if (msg) f.setCustomValidity(msg);
    },
    true
  );
  var clearValidity = function (ev) {
    if (ev.target && ev.target.setCustomValidity) ev.target.setCustomValidity("");
  };
  document.addEventListener("input", clearValidity, true);
  document.addEventListener("change", clearValidity, true);

  // ---- a new access token: select it in one click for copying ----
  var token = document.getElementById("new-token");
  if (token) {
    token.addEventListener("click", function () {
      var range = document.createRange();
      range.selectNodeContents(token);
      var sel = window.getSelection();
      sel.removeAllRanges();
      sel.addRange(range);
    });
  }
})();
