// Study timer: counts time only while this page is visible and in use, and reports it to the server.
//
// The page holds [data-study-kind] (see templates/study/_timer.html). On load it asks the
// server to make this page the person's one active study page; then, while the page is
// visible and there was input in the last few minutes, it counts seconds and sends them
// every `data-study-beat` seconds. The server credits at most the time that really passed,
// so this file decides only when to count, never how much is credited.
(function () {
  "use strict";
  var root = document.querySelector("[data-study-kind]");
  if (!root || !window.fetch || !window.JSON) {
    return;
  }
  var meta = document.querySelector('meta[name="csrf-token"]');
  var csrf = meta ? meta.getAttribute("content") : "";
  var kind = root.getAttribute("data-study-kind");
  var targetId = parseInt(root.getAttribute("data-study-id"), 10);
  var beatMs = Math.max(1, parseFloat(root.getAttribute("data-study-beat")) || 30) * 1000;
  var idleMs = Math.max(5, parseFloat(root.getAttribute("data-study-idle")) || 180) * 1000;
  var startUrl = root.getAttribute("data-study-start-url");
  var beatUrl = root.getAttribute("data-study-beat-url");
  var timeEl = root.querySelector("[data-study-time]");
  var stateEl = root.querySelector("[data-study-state]");
  var doneEl = root.querySelector("[data-study-done]");
  var endEl = document.querySelector("[data-study-end]");

  var token = null;      // this page's token while it is the active study page
  var halted = "";       // why counting stopped for good or until the person acts here again
  var countedMs = 0;     // time counted since the last heartbeat
  var lastTick = now();
  var lastInput = now();
  var reachedEnd = false;
  var endSent = root.getAttribute("data-reached-end") === "1";
  var sending = false;
  var starting = false;

  function now() {
    return window.performance && performance.now ? performance.now() : Date.now();
  }

  function visible() {
    return document.visibilityState === "visible";
  }

  function active() {
    return visible() && now() - lastInput < idleMs;
  }

  function say(text) {
    if (stateEl) {
      stateEl.textContent = text;
    }
  }

  function formatSeconds(seconds) {
    if (seconds < 60) {
      return seconds + " 秒";
    }
    var minutes = Math.floor(seconds / 60);
    var hours = Math.floor(minutes / 60);
    var rest = seconds % 60;
    if (hours) {
      return hours + " 小时 " + (minutes % 60) + " 分钟";
    }
    return minutes + " 分 " + rest + " 秒";
  }

  function show(progress) {
    if (!progress) {
      return;
    }
    root.setAttribute("data-seconds", String(progress.seconds));
    if (timeEl) {
      timeEl.textContent = "本年已计学习时间 " + formatSeconds(progress.seconds);
    }
    if (progress.completed) {
      root.setAttribute("data-completed", "1");
      if (doneEl) {
        doneEl.hidden = false;
      }
    }
    if (progress.max_seconds && progress.seconds >= progress.max_seconds) {
      say("已达到本资料的计时上限，继续阅读不再增加学习时间。");
    }
  }

  function post(url, body, keepalive) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      keepalive: !!keepalive,
      headers: {"Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrf},
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        data.httpStatus = response.status;
        return data;
      });
    });
  }

  function halt(reason, text) {
    halted = reason;
    token = null;
    countedMs = 0;
    say(text);
  }

  function handle(data) {
    if (data.httpStatus === 401) {
      halt("signed_out", "登录已失效，学习时间不再计入。请重新登录后继续学习。");
      return;
    }
    if (data.status === "forbidden" || data.httpStatus === 404) {
      halt("forbidden", "本页不计学习时间。");
      return;
    }
    if (data.status === "superseded" || data.status === "expired") {
      halt("elsewhere", "正在其他页面计时。回到本页操作即可在此继续计时。");
      return;
    }
    if (data.status === "rejected") {
      say("本次计时未被接受，已重新开始计时。");
    } else if (data.status === "ok") {
      say(active() ? "正在计时" : "已暂停计时");
    }
    show(data.progress);
  }

  function start() {
    if (starting || halted === "forbidden" || halted === "signed_out" || !visible()) {
      return;
    }
    starting = true;
    post(startUrl, {kind: kind, id: targetId}).then(function (data) {
      starting = false;
      if (data.status === "ok" && data.token) {
        token = data.token;
        halted = "";
        countedMs = 0;
        lastTick = now();
        say("正在计时");
        show(data.progress);
        if (reachedEnd && !endSent) {
          send(false);
        }
      } else {
        handle(data);
      }
    }, function () {
      starting = false;
      say("网络连接中断，恢复后继续计时。");
    });
  }

  function send(leaving) {
    if (!token || sending) {
      return;
    }
    var seconds = Math.round(countedMs / 100) / 10;
    var end = reachedEnd && !endSent;
    if (seconds <= 0 && !end) {
      return;
    }
    countedMs = 0;
    sending = true;
    post(beatUrl, {token: token, seconds: seconds, end: end}, leaving).then(function (data) {
      sending = false;
      if (end && data.status === "ok") {
        endSent = true;
      }
      handle(data);
    }, function () {
      sending = false;
      say("网络连接中断，恢复后继续计时。");
    });
  }

  function tick() {
    var t = now();
    var counting = token && !halted && active();
    if (counting) {
      countedMs += t - lastTick;
    }
    lastTick = t;
    if (counting && countedMs >= beatMs) {
      send(false);
    } else if (token && !counting && countedMs > 0) {
      // Idle or hidden: hand in what was counted, then wait.
      send(false);
      say(visible() ? "已暂停计时（较长时间没有操作）。" : "已暂停计时（页面不可见）。");
    }
  }

  function noteInput() {
    var wasIdle = now() - lastInput >= idleMs;
    lastInput = now();
    if (halted === "elsewhere" || (!token && !halted)) {
      start();
    } else if (wasIdle && token) {
      lastTick = now();
      say("正在计时");
    }
  }

  ["mousemove", "mousedown", "keydown", "wheel", "touchstart", "scroll"].forEach(function (name) {
    window.addEventListener(name, noteInput, {passive: true});
  });

  document.addEventListener("visibilitychange", function () {
    if (visible()) {
      lastInput = now();
      lastTick = now();
      // Coming back makes this page the active one again (another tab may have taken over).
      if (halted !== "forbidden" && halted !== "signed_out") {
        token = null;
        start();
      }
    } else {
      tick();
      send(true);
      say("已暂停计时（页面不可见）。");
    }
  });

  window.addEventListener("pagehide", function () {
    tick();
    send(true);
  });

  if (endEl && "IntersectionObserver" in window) {
    new IntersectionObserver(function (entries) {
      entries.forEach(function (entry) {
        if (entry.isIntersecting && !reachedEnd) {
          reachedEnd = true;
          if (!endSent) {
            send(false);
          }
        }
      });
    }).observe(endEl);
  }

  window.setInterval(tick, Math.min(1000, beatMs / 4));
  start();
}());
