/**
 * @module The console's only client script: it draws the chart slots with ECharts. Each
 * slot carries the API's figures as strings; a number is made only to size a bar or move
 * the gauge's needle, and every label and tooltip shows the string the server formatted.
 */
export const CONSOLE_SCRIPT = `'use strict';
(function () {
  var BAND = ['#2f9e44', '#f59f00', '#e8590c', '#c92a2a'];
  function gauge(spec) {
    var stops = spec.thresholds.map(function (p, i) { return [Number(p) / 100, BAND[i] || BAND[3]]; });
    stops.push([1, BAND[Math.min(stops.length, 3)]]);
    var marks = [0, 100].concat(spec.thresholds.map(Number));
    return {
      series: [{
        type: 'gauge', min: 0, max: 100, splitNumber: 10, radius: '95%',
        axisLine: { lineStyle: { width: 18, color: stops } },
        axisTick: { show: false },
        splitLine: { length: 18, lineStyle: { width: 2, color: '#fff' } },
        axisLabel: {
          distance: 24, color: '#1f2933',
          formatter: function (v) { return marks.indexOf(v) >= 0 ? v + '%' : ''; }
        },
        pointer: { width: 5 },
        detail: { formatter: function () { return spec.label; }, fontSize: 20, offsetCenter: [0, '70%'] },
        data: [{ value: Number(spec.percent) }]
      }]
    };
  }
  function bars(spec) {
    return {
      tooltip: { trigger: 'axis', formatter: function (items) {
        return items.map(function (it) { return it.seriesName + ': ' + spec.series[it.seriesIndex].labels[it.dataIndex]; }).join('<br>');
      } },
      legend: { top: 0 },
      grid: { left: 8, right: 16, bottom: 8, top: 36, containLabel: true },
      xAxis: { type: 'category', data: spec.categories, axisLabel: { interval: 0 } },
      yAxis: { type: 'value' },
      series: spec.series.map(function (s) {
        return { name: s.name, type: 'bar', data: s.amounts.map(Number) };
      })
    };
  }
  function draw() {
    if (!window.echarts) return;
    document.querySelectorAll('[data-chart]').forEach(function (el) {
      var spec = JSON.parse(el.getAttribute('data-chart-spec'));
      var chart = window.echarts.init(el);
      chart.setOption(spec.kind === 'gauge' ? gauge(spec) : bars(spec));
      window.addEventListener('resize', function () { chart.resize(); });
    });
    document.documentElement.setAttribute('data-charts-ready', 'true');
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', draw);
  else draw();
})();
`;
