// Report pages: charts drawn from the JSON data block, print buttons, pickers that submit themselves.
// Every figure is also in the page's tables, so the pages read the same without this file.
(function () {
  "use strict";

  var RED = "#b71c1c", BLUE = "#1c4f9c", GREEN = "#2e7d32", ORANGE = "#b26a00";

  function data() {
    var block = document.getElementById("report-charts");
    if (!block) { return null; }
    try { return JSON.parse(block.textContent); } catch (e) { return null; }
  }

  function percentAxis() {
    return { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } };
  }

  function base(extra) {
    var option = {
      animation: false,
      grid: { left: 48, right: 16, top: 36, bottom: 56, containLabel: true },
      tooltip: { trigger: "axis", confine: true },
      legend: { top: 0 }
    };
    for (var key in extra) { option[key] = extra[key]; }
    return option;
  }

  var builders = {
    units: function (d) {
      return base({
        xAxis: { type: "category", data: d.labels, axisLabel: { interval: 0, rotate: d.labels.length > 4 ? 30 : 0 } },
        yAxis: percentAxis(),
        series: [
          { name: "完成率", type: "bar", data: d.completion, itemStyle: { color: RED } },
          { name: "合格率", type: "bar", data: d.pass, itemStyle: { color: BLUE } }
        ]
      });
    },
    trend: function (d) {
      return base({
        xAxis: { type: "category", data: d.labels },
        yAxis: [percentAxis(), { type: "value", name: "学时", position: "right" }],
        series: [
          { name: "参考率", type: "line", data: d.participation, connectNulls: false, itemStyle: { color: BLUE } },
          { name: "合格率", type: "line", data: d.pass, connectNulls: false, itemStyle: { color: GREEN } },
          { name: "平均分", type: "line", data: d.average, connectNulls: false, itemStyle: { color: RED } },
          { name: "人均学时", type: "line", yAxisIndex: 1, data: d.hours, itemStyle: { color: ORANGE } }
        ]
      });
    },
    distribution: function (d) {
      return base({
        legend: { show: false },
        xAxis: { type: "category", data: d.labels },
        yAxis: { type: "value", name: "人次", minInterval: 1 },
        series: [{ name: "人次", type: "bar", barCategoryGap: "2%", data: d.counts, itemStyle: { color: RED } }]
      });
    }
  };

  function drawCharts() {
    var charts = document.querySelectorAll("[data-chart]");
    var payload = data();
    if (!charts.length || !payload || !window.echarts) { return; }
    document.documentElement.classList.add("has-charts");
    var drawn = [];
    Array.prototype.forEach.call(charts, function (el) {
      var kind = el.getAttribute("data-chart");
      if (!builders[kind] || !payload[kind]) { return; }
      var chart = window.echarts.init(el, null, { renderer: "canvas" });
      chart.setOption(builders[kind](payload[kind]));
      el.setAttribute("data-drawn", "1");
      drawn.push(chart);
    });
    window.addEventListener("resize", function () {
      drawn.forEach(function (chart) { chart.resize(); });
    });
  }

  function wireButtons() {
    Array.prototype.forEach.call(document.querySelectorAll("select[data-autosubmit]"), function (select) {
      select.addEventListener("change", function () {
        if (select.form) { select.form.submit(); }
      });
    });
  }

  function start() {
    document.documentElement.classList.add("reports-js");
    wireButtons();
    drawCharts();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
