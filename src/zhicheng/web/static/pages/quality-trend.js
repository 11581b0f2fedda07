// the quality trend chart of a resource (ECharts): moved out of the page so that the CSP allows scripts from 'self' only
document.addEventListener("DOMContentLoaded", function () {
  var el = document.getElementById("trend-chart");
  if (!window.echarts || !el) return;
  var data = JSON.parse(document.getElementById("trend-data").textContent);
  var series = [{ name: data.labels[0], type: "line", data: data.score }];
  data.keys.forEach(function (k, i) {
    series.push({ name: data.labels[i + 1], type: "line", data: data.scores.map(function (s) { return s ? s[k] : null; }) });
  });
  var chart = echarts.init(el);
  chart.setOption({
    tooltip: { trigger: "axis" }, legend: { data: data.labels, top: 0 }, grid: { left: 48, right: 16, top: 36, bottom: 32 },
    xAxis: { type: "category", data: data.runs.map(function (v) { return "v" + v; }) },
    yAxis: { type: "value", min: function (v) { return Math.max(0, Math.floor(v.min - 5)); }, max: 100 },
    series: series
  });
  window.addEventListener("resize", function () { chart.resize(); });
});
