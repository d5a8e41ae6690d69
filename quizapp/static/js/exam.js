// The exam page: every answer saved at once (JSON + CSRF header + per-question sequence numbers),
// kept in localStorage while offline and sent when the connection returns, a countdown from the
// server's deadline and clock, a navigator, and submission (by the cadre or when time runs out).
// Without this file the page's plain form still works, one page of questions at a time.
(function () {
  "use strict";
  var app = document.getElementById("exam-app");
  if (!app || !window.fetch || !window.localStorage || !window.JSON) {
    return;
  }
  var form = document.getElementById("exam-form");
  var root = document.getElementById("exam-js");
  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var csrf = csrfMeta ? csrfMeta.getAttribute("content") : "";
  var storeKey = "quizapp.exam." + app.getAttribute("data-attempt");
  var STATE_TEXT = { saved: "已保存", saving: "保存中", pending: "离线待发送", blank: "未作答",
                     refused: "未被接受" };
  var LETTERS = "ABCDEFGH";

  var urls = null, items = [], byPos = {}, current = 1, offset = 0, deadline = 0;
  var flushing = false, finished = false, online = navigator.onLine !== false, blocked = "";
  var local = load();
  var ui = {};

  function load() {
    try {
      var data = JSON.parse(window.localStorage.getItem(storeKey));
      if (data && data.answers) { data.leaves = data.leaves || 0; data.refused = data.refused || {}; return data; }
    } catch (e) { /* unreadable: start clean */ }
    return { answers: {}, leaves: 0, refused: {} };
  }

  function persist() {
    try { window.localStorage.setItem(storeKey, JSON.stringify(local)); } catch (e) { /* storage full or blocked */ }
  }

  function request(method, url, body, keepalive) {
    var options = { method: method, credentials: "same-origin", cache: "no-store",
                    headers: { "Accept": "application/json" } };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.headers["X-CSRFToken"] = csrf;
      options.body = JSON.stringify(body);
    }
    if (keepalive) { options.keepalive = true; }
    return fetch(url, options).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        return { status: response.status, data: data, redirected: response.redirected,
                 retryAfter: Number(response.headers.get("Retry-After")) || 0 };
      });
    });
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }

  // ------------------------------------------------------------ start

  // The page carries its state (one request, not two); the server's clock is read at the midpoint of the
  // page's own request, as navigation timing reports it. Without either, the state is fetched.
  var embedded = document.getElementById("exam-state");
  var navigation = window.performance && performance.getEntriesByType &&
                   performance.getEntriesByType("navigation")[0];
  var started = false;
  if (embedded && navigation && navigation.responseStart > 0) {
    try {
      var data = JSON.parse(embedded.textContent);
      started = true;
      init(data, performance.timeOrigin + (navigation.requestStart + navigation.responseStart) / 2);
    } catch (e) { started = false; }
  }
  if (!started) {
    var sentAt = Date.now();
    request("GET", app.getAttribute("data-state-url")).then(function (res) {
      if (res.status !== 200 || !res.data.attempt) { return; }
      init(res.data, (sentAt + Date.now()) / 2);
    }).catch(function () { /* offline at load: the plain form stays */ });
  }

  function init(data, midpoint) {
    urls = data.urls;
    if (data.attempt.status !== "open") {
      if (!pendingAnswers().filter(function (a) {
        return data.items.some(function (i) { return i.position === a.position && a.seq > i.seq; });
      }).length && !Object.keys(local.refused).length) {
        window.localStorage.removeItem(storeKey);
        window.location.href = urls.result;
        return;
      }
      // Answers this browser holds that the server never stored: keep them and say so (never discard).
      var storedSeq = {};
      data.items.forEach(function (item) { storedSeq[item.position] = item.seq; });
      pendingAnswers().forEach(function (a) {
        if (a.seq > (storedSeq[a.position] || 0)) { refuse(a, "本场考试已交卷，答案不能再修改。"); }
        else { delete local.answers[a.position]; }
      });
      persist();
    }
    offset = Date.parse(data.attempt.server_now) - midpoint;
    deadline = Date.parse(data.attempt.deadline);
    items = data.items;
    finished = data.attempt.status !== "open";
    items.forEach(function (item) {
      byPos[item.position] = item;
      var mine = local.answers[item.position];
      if (mine && mine.seq > item.seq) {
        item.response = mine.response;
        item.marked = mine.marked;
        item.state = "pending";
      } else {
        delete local.answers[item.position];
        item.state = item.response ? "saved" : "blank";
      }
    });
    persist();
    build(data.attempt);
    form.hidden = true;
    root.hidden = false;
    var hint = app.querySelector(".nojs-remaining");
    if (hint) { hint.hidden = true; }
    var firstBlank = items.filter(function (i) { return !i.response; })[0];
    show(firstBlank ? firstBlank.position : 1);
    tick();
    window.setInterval(tick, 1000);
    window.setInterval(flush, 5000);
    window.addEventListener("online", function () { setOnline(true); reconnected(); flush(); sendLeaves(); });
    window.addEventListener("offline", function () { setOnline(false); });
    document.addEventListener("visibilitychange", onVisibility);
    window.addEventListener("beforeunload", function (event) {
      if (!finished && pendingAnswers().length) { event.preventDefault(); event.returnValue = ""; }
    });
    flush();
    sendLeaves();
    showRefused();
    if (finished) {
      lockInputs();
      say("本场考试已交卷。下列答案未被接受，已保留在本机。");
      offerResult(urls.result);
    }
  }

  // ------------------------------------------------------------ the page

  function build(attempt) {
    ui.bar = el("div", "exam-bar");
    ui.timer = el("span", "timer", "剩余时间 --:--");
    ui.timer.setAttribute("role", "timer");
    ui.net = el("span", "net");
    ui.progress = el("span", "exam-progress");
    ui.bar.appendChild(ui.timer);
    ui.bar.appendChild(ui.net);
    ui.bar.appendChild(ui.progress);
    root.appendChild(ui.bar);

    ui.message = el("div", "flash flash-warning exam-message");
    ui.message.setAttribute("role", "alert");
    ui.message.hidden = true;
    root.appendChild(ui.message);
    ui.refused = el("div", "flash flash-error exam-refused");
    ui.refused.setAttribute("role", "alert");
    ui.refused.hidden = true;
    root.appendChild(ui.refused);

    ui.card = el("article", "card js-question");
    ui.head = el("div", "question-head");
    ui.number = el("h2", "question-number");
    ui.saveState = el("span", "save-state");
    ui.saveState.setAttribute("aria-live", "polite");
    ui.head.appendChild(ui.number);
    ui.head.appendChild(ui.saveState);
    ui.card.appendChild(ui.head);
    ui.caseText = el("div", "case-text");
    ui.caseText.hidden = true;
    ui.card.appendChild(ui.caseText);
    ui.stem = el("p", "stem");
    ui.card.appendChild(ui.stem);
    ui.options = el("div", "options");
    ui.card.appendChild(ui.options);
    var markLabel = el("label", "exam-mark");
    ui.mark = el("input");
    ui.mark.type = "checkbox";
    ui.mark.addEventListener("change", function () {
      var item = byPos[current];
      answer(item.position, item.response, ui.mark.checked);
    });
    markLabel.appendChild(ui.mark);
    markLabel.appendChild(document.createTextNode(" 标记此题，稍后检查"));
    ui.card.appendChild(markLabel);
    root.appendChild(ui.card);

    var buttons = el("div", "exam-buttons");
    ui.prev = el("button", "btn", "上一题");
    ui.next = el("button", "btn primary", "下一题");
    ui.submit = el("button", "btn", "交卷");
    [ui.prev, ui.next, ui.submit].forEach(function (b) { b.type = "button"; buttons.appendChild(b); });
    ui.prev.addEventListener("click", function () { show(current - 1); });
    ui.next.addEventListener("click", function () { show(current + 1); });
    ui.submit.addEventListener("click", openSubmitDialog);
    root.appendChild(buttons);

    var card = el("section", "card answer-card");
    card.appendChild(el("h2", "", "答题卡"));
    var legend = el("p", "legend small");
    legend.appendChild(el("span", "cell answered", "已作答"));
    legend.appendChild(el("span", "cell", "未作答"));
    legend.appendChild(el("span", "cell marked", "标记"));
    legend.appendChild(el("span", "cell pending", "待发送"));
    card.appendChild(legend);
    ui.cells = el("div", "cells");
    items.forEach(function (item) {
      var cell = el("button", "cell", String(item.position));
      cell.type = "button";
      cell.setAttribute("aria-label", "第 " + item.position + " 题");
      cell.addEventListener("click", function () { show(item.position); });
      item.cell = cell;
      ui.cells.appendChild(cell);
    });
    card.appendChild(ui.cells);
    root.appendChild(card);

    ui.dialog = el("div", "card exam-dialog");
    ui.dialog.setAttribute("role", "dialog");
    ui.dialog.setAttribute("aria-modal", "true");
    ui.dialog.hidden = true;
    root.appendChild(ui.dialog);
    setOnline(online);
    refresh();
  }

  function show(position) {
    if (position < 1 || position > items.length) { return; }
    current = position;
    var item = byPos[position];
    ui.number.textContent = "第 " + position + " 题 / 共 " + items.length + " 题 · " + item.type_label + " · " +
      formatPoints(item.points) + " 分";
    // 案例分析: every sub-question shows its case material above the stem (one question per screen).
    ui.caseText.textContent = item.case_text || "";
    ui.caseText.hidden = !item.case_text;
    ui.stem.textContent = item.stem;
    ui.options.textContent = "";
    var several = !!item.several;
    item.options.forEach(function (text, index) {
      var letter = LETTERS.charAt(index);
      var label = el("label", "option");
      var input = el("input");
      input.type = several ? "checkbox" : "radio";
      input.name = "js-q" + position;
      input.value = letter;
      input.checked = (item.response || "").indexOf(letter) >= 0;
      input.disabled = finished;
      input.addEventListener("change", function () { answer(position, chosen(), item.marked); });
      label.appendChild(input);
      label.appendChild(document.createTextNode(" "));
      label.appendChild(el("b", "", letter + "."));
      label.appendChild(document.createTextNode(" " + text));
      ui.options.appendChild(label);
    });
    ui.mark.checked = !!item.marked;
    ui.mark.disabled = finished;
    ui.prev.disabled = position === 1;
    ui.next.disabled = position === items.length;
    refresh();
    if (ui.card.scrollIntoView && window.scrollY > ui.card.offsetTop) { ui.card.scrollIntoView(); }
  }

  function chosen() {
    var letters = "";
    ui.options.querySelectorAll("input").forEach(function (input) { if (input.checked) { letters += input.value; } });
    return letters.split("").sort().join("");
  }

  function formatPoints(value) {
    return String(Math.round(value * 100) / 100);
  }

  function refresh() {
    var answered = 0;
    items.forEach(function (item) {
      if (item.response) { answered += 1; }
      var cls = "cell";
      if (item.response) { cls += " answered"; }
      if (item.marked) { cls += " marked"; }
      if (item.state === "pending" || item.state === "saving") { cls += " pending"; }
      if (item.position === current) { cls += " current"; }
      item.cell.className = cls;
      item.cell.title = STATE_TEXT[item.state] || "";
    });
    ui.progress.textContent = "已答 " + answered + "/" + items.length;
    var item = byPos[current];
    if (item) {
      ui.saveState.textContent = STATE_TEXT[item.state] || "";
      ui.saveState.className = "save-state " + item.state;
    }
  }

  function setOnline(value) {
    online = value;
    ui.net.textContent = value ? "网络正常" : "网络已断开：答案保存在本机，联网后自动发送";
    ui.net.className = "net" + (value ? "" : " offline");
  }

  function say(text) {
    ui.message.textContent = text;
    ui.message.hidden = !text;
  }

  // ------------------------------------------------------------ saving

  function answer(position, response, marked) {
    if (finished) { return; }
    var item = byPos[position];
    var previous = local.answers[position];
    var seq = Math.max(item.seq, previous ? previous.seq : 0) + 1;
    item.response = response;
    item.marked = !!marked;
    local.answers[position] = { response: response, marked: item.marked, seq: seq, at: serverTime() };
    persist();
    item.state = online ? "saving" : "pending";
    refresh();
    flush();
  }

  function pendingAnswers() {
    return Object.keys(local.answers).map(function (position) {
      var a = local.answers[position];
      return { position: Number(position), response: a.response, seq: a.seq, marked: a.marked, at: a.at };
    });
  }

  function flush() {
    // Once a submission is under way it carries the pending answers itself: a save racing it could reach the
    // server second-to-last and be refused as "closed" while the submission stores the same answer.
    if (flushing || !urls || blocked || submitting !== null || Date.now() < retryAt) {
      return Promise.resolve(false);
    }
    var batch = pendingAnswers();
    if (!batch.length) { return Promise.resolve(true); }
    flushing = true;
    batch.forEach(function (a) { byPos[a.position].state = "saving"; });
    refresh();
    return request("POST", urls.answers, { answers: batch }).then(function (res) {
      flushing = false;
      if (res.status === 200 && res.data.saved) {
        setOnline(true);
        calm();
        var stale = false;
        res.data.saved.forEach(function (r) {
          if (settle(r)) { stale = true; }
        });
        persist();
        refresh();
        showRefused();
        if (stale) { reloadState(); }
        if (pendingAnswers().length) { return flush(); }
        return true;
      }
      return failed(res);
    }).catch(function () {
      flushing = false;
      setOnline(false);
      backOff(null);
      pendingAnswers().forEach(function (a) { byPos[a.position].state = "pending"; });
      refresh();
      return false;
    });
  }

  function failed(res) {
    pendingAnswers().forEach(function (a) { byPos[a.position].state = "pending"; });
    refresh();
    if (res.status === 409 && res.data.closed) {
      (res.data.saved || []).forEach(settle);
      pendingAnswers().forEach(function (a) { refuse(a, res.data.error || "考试已结束。"); });
      persist();
      finish(res.data.error || "考试已结束。", res.data.result_url);
    } else if (res.redirected || res.status === 401 || res.status === 403) {
      blocked = "login";
      say("登录已失效。您的答案已保存在本机，请在本页重新登录后回到考试页面，答案会自动发送。");
    } else if (res.status === 400 && /过期|刷新/.test(res.data.error || "")) {
      blocked = "csrf";
      say("页面已过期，请刷新页面。您的答案已保存在本机，刷新后会自动发送。");
    } else if (res.status >= 500 || res.status === 429) {
      say("服务器繁忙，答案已保存在本机，稍后自动重试。");
      backOff(res);
    } else if (res.data && res.data.error) {
      say(res.data.error);
    }
    return false;
  }

  function reloadState() {
    request("GET", urls.state).then(function (res) {
      if (res.status !== 200 || !res.data.items) { return; }
      res.data.items.forEach(function (fresh) {
        var item = byPos[fresh.position];
        if (!local.answers[fresh.position] && fresh.seq >= item.seq) {
          item.response = fresh.response;
          item.marked = fresh.marked;
          item.seq = fresh.seq;
          item.state = fresh.response ? "saved" : "blank";
        }
      });
      show(current);
    }).catch(function () { /* next flush will try again */ });
  }

  // ------------------------------------------------------------ leaving the page (information only)

  function onVisibility() {
    if (document.visibilityState === "hidden" && !finished) {
      local.leaves += 1;
      persist();
      sendLeaves(true);
    } else if (document.visibilityState === "visible") {
      flush();
    }
  }

  function sendLeaves(keepalive) {
    if (!urls || !local.leaves || finished) { return; }
    var count = local.leaves;
    request("POST", urls.leave, { count: count }, keepalive).then(function (res) {
      if (res.status === 200) {
        local.leaves = Math.max(0, local.leaves - count);
        persist();
      }
    }).catch(function () { /* kept in localStorage for later */ });
  }

  // ------------------------------------------------------------ time and submission

  function tick() {
    var left = Math.max(0, deadline - (Date.now() + offset));
    var seconds = Math.floor(left / 1000);
    var h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
    var text = (h ? h + ":" + pad(m) : pad(m)) + ":" + pad(s);
    ui.timer.textContent = "剩余时间 " + text;
    ui.timer.className = "timer" + (seconds <= 300 ? " warn" : "");
    if (left <= 0 && !finished) {
      finished = true;
      lockInputs();
      say("考试时间到，系统正在自动收卷……");
      submitNow(true);
    }
  }

  function pad(n) { return n < 10 ? "0" + n : String(n); }

  function lockInputs() {
    root.querySelectorAll("input, .exam-buttons button").forEach(function (node) { node.disabled = true; });
    ui.dialog.hidden = true;
  }

  function openSubmitDialog() {
    var blank = items.filter(function (i) { return !i.response; }).map(function (i) { return i.position; });
    var marked = items.filter(function (i) { return i.marked; }).map(function (i) { return i.position; });
    ui.dialog.textContent = "";
    ui.dialog.appendChild(el("h2", "", "交卷确认"));
    ui.dialog.appendChild(el("p", "", "共 " + items.length + " 题，已作答 " + (items.length - blank.length) + " 题。"));
    if (blank.length) {
      ui.dialog.appendChild(el("p", "bad", "还有 " + blank.length + " 题未作答：" + blank.join("、")));
    }
    if (marked.length) {
      ui.dialog.appendChild(el("p", "", "标记待检查：" + marked.join("、")));
    }
    ui.dialog.appendChild(el("p", "", "交卷后不能再修改答案。确定交卷吗？"));
    var confirm = el("button", "btn primary", "确认交卷");
    var back = el("button", "btn", "返回继续答题");
    confirm.type = back.type = "button";
    confirm.addEventListener("click", function () {
      confirm.disabled = true;
      finished = true;
      lockInputs();
      say("正在交卷……");
      submitNow(false);
    });
    back.addEventListener("click", function () { ui.dialog.hidden = true; });
    ui.dialog.appendChild(confirm);
    ui.dialog.appendChild(document.createTextNode(" "));
    ui.dialog.appendChild(back);
    ui.dialog.hidden = false;
    confirm.focus();
  }

  function submitNow(timeout) {
    submitting = timeout;
    submitDue = 0;
    request("POST", urls.submit, { answers: pendingAnswers(), timeout: timeout }).then(function (res) {
      if (res.status === 200 && res.data.result_url) {
        calm();
        (res.data.saved || []).forEach(settle);
        // Whatever the reply did not confirm stays in this browser, listed with the reason.
        pendingAnswers().forEach(function (a) { refuse(a, "服务器未确认保存。"); });
        persist();
        if (!Object.keys(local.refused).length) {
          window.localStorage.removeItem(storeKey);
          window.location.href = res.data.result_url;
          return;
        }
        showRefused();
        say((res.data.submitted ? "已交卷。" : "本场考试此前已交卷。") + "下列答案未被接受，已保留在本机。");
        offerResult(res.data.result_url);
      } else if (res.redirected || res.status === 401 || res.status === 403 || res.status === 400) {
        failed(res);
      } else {
        if (res.status >= 500 || res.status === 429) { backOff(res); }
        say("服务器繁忙，正在重试交卷。答案已保存在本机。");
        retrySubmit(timeout);
      }
    }).catch(function () {
      setOnline(false);
      backOff(null);
      say(timeout ? "考试时间到。网络中断，恢复联网后将自动交卷；截止前作答的答案都会计分。"
                  : "网络中断，恢复联网后将自动交卷。答案已保存在本机。");
      retrySubmit(timeout);
    });
  }

  function retrySubmit(timeout) {
    var due = Date.now() + Math.max(retryDelay, retryAt - Date.now(), 5000);
    submitDue = due;
    window.setTimeout(function () { if (submitDue === due) { submitNow(timeout); } }, due - Date.now());
  }

  function finish(message, resultUrl) {
    finished = true;
    lockInputs();
    showRefused();
    if (Object.keys(local.refused).length) {
      say(message + " 下列答案未被接受，已保留在本机。");
      offerResult(resultUrl);
      return;
    }
    say(message + " 正在打开成绩页……");
    window.localStorage.removeItem(storeKey);
    window.setTimeout(function () { window.location.href = resultUrl || urls.result; }, 2500);
  }

  // ------------------------------------------------------------ trust: confirmed answers, refusals, back-off
  // (issue 11) An answer leaves this browser's copy only when the server says it is stored (or a newer one
  // is); a refused one is kept and listed with the server's reason. Busy or unreachable servers are retried
  // with growing pauses, honouring Retry-After.

  var retryDelay = 0, retryAt = 0, submitting = null, submitDue = 0;

  // The connection is back: forget the pauses earned while offline and send at once (a waiting submission too).
  function reconnected() {
    calm();
    if (submitting !== null && submitDue) {
      submitDue = 0;
      submitNow(submitting);
    }
  }

  function serverTime() {
    return new Date(Date.now() + offset).toISOString();
  }

  // Apply one per-answer result of a save or submit reply; true when a newer answer is stored elsewhere.
  function settle(r) {
    var item = byPos[r.position];
    var mine = local.answers[r.position];
    if (!item) { return false; }
    if (r.status === "stored" || r.status === "superseded" || (r.status === undefined && r.accepted !== undefined)) {
      item.seq = Math.max(item.seq, r.seq);
      if (mine && mine.seq <= r.seq) {
        delete local.answers[r.position];
        item.state = item.response ? "saved" : "blank";
      }
      var refused = local.refused[r.position];
      if (r.status === "stored" && refused && refused.seq <= r.seq) {
        delete local.refused[r.position];  // refused by one reply, stored by a later one: the server has it
        item.state = "saved";
      }
      return r.status === "superseded" || r.accepted === false;
    }
    if (mine && mine.seq <= r.seq) { refuse(mine, r.reason || "未被接受。", r.position); }
    return false;
  }

  function refuse(answer, reason, position) {
    var at = position || answer.position;
    local.refused[at] = { response: answer.response, seq: answer.seq, at: answer.at, reason: reason };
    delete local.answers[at];
    if (byPos[at]) { byPos[at].state = "refused"; }
  }

  function showRefused() {
    if (!ui.refused) { return; }
    var positions = Object.keys(local.refused).map(Number).sort(function (a, b) { return a - b; });
    ui.refused.textContent = "";
    ui.refused.hidden = !positions.length;
    if (!positions.length) { return; }
    ui.refused.appendChild(el("p", "", "以下答案未被服务器接受（已保留在本机，供核对和申诉）："));
    var list = el("ul");
    positions.forEach(function (position) {
      var r = local.refused[position];
      list.appendChild(el("li", "", "第 " + position + " 题：" + (r.response || "（空）") + " — " + r.reason));
    });
    ui.refused.appendChild(list);
  }

  function offerResult(resultUrl) {
    var link = el("a", "btn", "查看成绩");
    link.href = resultUrl || urls.result;
    ui.refused.appendChild(link);
  }

  function backOff(res) {
    var hinted = res && res.retryAfter ? res.retryAfter * 1000 : 0;
    retryDelay = Math.min(60000, Math.max(hinted, retryDelay ? retryDelay * 2 : 2000));
    retryDelay += Math.floor(Math.random() * 1000);  // spread 200 cadres' retries apart
    retryAt = Date.now() + retryDelay;
    window.setTimeout(flush, retryDelay + 50);
  }

  function calm() {
    retryDelay = 0;
    retryAt = 0;
  }
}());
