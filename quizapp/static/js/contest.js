// 知识竞赛: the projector and the phones poll the server's state about once a second (see contest_views.py
// for why polling). Every page also works without this file (it reloads itself every three seconds).
(function () {
  "use strict";
  var POLL_MS = 1000;

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function poll(url, render) {
    var busy = false;
    function tick() {
      if (busy) return;
      busy = true;
      fetch(url, {headers: {"Accept": "application/json"}, credentials: "same-origin", cache: "no-store"})
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (state) { if (state) render(state); })
        .catch(function () {})
        .then(function () { busy = false; });
    }
    tick();
    setInterval(tick, POLL_MS);
  }

  // ------------------------------------------------------------ the projector
  var screen = document.getElementById("screen");
  if (screen) {
    var q = function (sel) { return screen.querySelector(sel); };
    poll(screen.getAttribute("data-state-url"), function (s) {
      q("[data-players]").textContent = s.players;
      q("[data-countdown]").textContent = s.open ? s.seconds_left : "";
      screen.querySelectorAll("[data-expected]").forEach(function (input) { input.value = s.current; });
      var next = q("[data-next]");
      if (next) next.textContent = s.current < 0 ? "开始竞赛" : "下一题";
      q("[data-progress]").textContent = s.question ? "第 " + (s.current + 1) + " / " + s.total + " 题"
        : "共 " + s.total + " 题，等待开始";
      q("[data-stem]").textContent = s.question ? s.question.stem
        : (s.status === "finished" ? "竞赛结束" : "请用手机加入竞赛");
      var options = q("[data-options]");
      options.textContent = "";
      var total = 0, counts = s.distribution || {};
      Object.keys(counts).forEach(function (k) { total += counts[k]; });
      (s.question ? s.question.options : []).forEach(function (pair) {
        var li = el("li", s.key && s.key.indexOf(pair[0]) >= 0 ? "is-key" : "");
        li.setAttribute("data-letter", pair[0]);
        li.appendChild(el("b", "", pair[0] + ". "));
        li.appendChild(document.createTextNode(pair[1]));
        if (s.distribution) {
          var n = 0;
          Object.keys(counts).forEach(function (k) { if (k.indexOf(pair[0]) >= 0) n += counts[k]; });
          var bar = el("span", "bar"), fill = el("span", "fill");
          fill.style.width = (total ? Math.round(100 * n / total) : 0) + "%";
          bar.appendChild(fill);
          li.insertBefore(el("span", "count", n + " 人"), li.firstChild);
          li.appendChild(bar);
        }
        options.appendChild(li);
      });
      q("[data-answered]").textContent = s.question ? "已作答 " + s.answered + " / " + s.players + " 人" : "";
      var board = q("[data-leaderboard]");
      board.textContent = "";
      s.leaderboard.forEach(function (row) {
        var li = el("li");
        li.appendChild(el("b", "", row.name));
        li.appendChild(el("span", "", " " + row.unit + " "));
        li.appendChild(el("em", "", row.correct + " 题"));
        board.appendChild(li);
      });
      var units = q("[data-units]");
      units.textContent = "";
      s.units.forEach(function (row) {
        var li = el("li");
        li.appendChild(el("b", "", row.unit));
        li.appendChild(el("em", "", " 人均 " + row.average + " 题"));
        units.appendChild(li);
      });
    });
  }

  // ------------------------------------------------------------ a phone
  var play = document.getElementById("play");
  if (play) {
    var p = function (sel) { return play.querySelector(sel); };
    var form = p("[data-form]");
    var shown = null;  // "current:open" of what the options show, so a poll never wipes a choice being made
    var sent = {};
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var data = new FormData(form);
      if (!data.getAll("response").length) { p("[data-verdict]").textContent = "请选择答案。"; return; }
      var position = data.get("seq");
      sent[position] = true;
      p("[data-submit]").hidden = true;
      p("[data-verdict]").textContent = "正在提交……";
      function send(tries) {
        fetch(play.getAttribute("data-answer-url"), {method: "POST", body: data, credentials: "same-origin",
                                                     headers: {"Accept": "application/json"}})
          .then(function (r) { return r.json(); })
          .then(function (body) {
            p("[data-verdict]").textContent = body.stored ? "已提交，等待公布答案" : body.message;
            if (!body.stored) sent[position] = false;
          })
          .catch(function () {
            if (tries > 0) setTimeout(function () { send(tries - 1); }, 500);
            else { sent[position] = false; p("[data-verdict]").textContent = "网络不稳定，请重新提交。"; }
          });
      }
      send(3);
      form.querySelectorAll("input[name=response]").forEach(function (i) { i.disabled = true; });
    });
    poll(play.getAttribute("data-state-url"), function (s) {
      p("[data-countdown]").textContent = s.open ? s.seconds_left : "";
      p("[data-progress]").textContent = s.question ? "第 " + (s.current + 1) + " / " + s.total + " 题"
        : (s.status === "finished" ? "竞赛已结束" : "已加入，请等待主持人开始");
      p("[data-seq]").value = s.current;
      var key = s.current + ":" + s.open + ":" + (s.mine || "");
      if (key !== shown) {
        shown = key;
        p("[data-stem]").textContent = s.question ? s.question.stem : "";
        var options = p("[data-options]");
        options.textContent = "";
        (s.question ? s.question.options : []).forEach(function (pair) {
          var label = el("label", "option" + (s.key && s.key.indexOf(pair[0]) >= 0 ? " is-key" : ""));
          var input = el("input");
          input.type = s.question.several ? "checkbox" : "radio";
          input.name = "response";
          input.value = pair[0];
          input.checked = !!(s.mine && s.mine.indexOf(pair[0]) >= 0);
          input.disabled = !s.open || !!s.mine || !!sent[s.current];
          label.appendChild(input);
          label.appendChild(el("b", "", " " + pair[0] + ". "));
          label.appendChild(document.createTextNode(pair[1]));
          options.appendChild(label);
        });
      }
      p("[data-submit]").hidden = !s.open || !!s.mine || !!sent[s.current] || !s.question;
      var verdict = p("[data-verdict]");
      if (s.correct === true) verdict.textContent = "回答正确";
      else if (s.correct === false) verdict.textContent = "回答错误";
      else if (s.mine) verdict.textContent = "已提交，等待公布答案";
      else if (s.question && !s.open) verdict.textContent = "本题未作答";
      else if (!sent[s.current]) verdict.textContent = "";
      p("[data-score]").textContent = s.rank ? "已答对 " + s.score + " 题，当前第 " + s.rank + " 名" : "";
    });
  }
})();
