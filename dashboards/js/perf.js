// perf.js - a frame-time probe: the time between animation frames, as the
// page's user feels it (a long task or a long redraw shows as a long
// frame), and the marks of the page's start (performance.mark). Read by
// tests/browser/perf.mjs through window.__pwPerf; cheap enough to run always.
const P = {
  frames: 0,
  max: 0,
  sum: 0,
  over50: 0,
  over100: 0,
  worst: [], // the 10 longest frames: [ms, at]
  longTasks: [],
  since: performance.now(),
  reset() {
    this.frames = 0;
    this.max = 0;
    this.sum = 0;
    this.over50 = 0;
    this.over100 = 0;
    this.worst = [];
    this.longTasks = [];
    this.since = performance.now();
  },
  summary() {
    return { frames: this.frames, seconds: (performance.now() - this.since) / 1000, max_ms: this.max,
      mean_ms: this.frames ? this.sum / this.frames : 0, over50: this.over50, over100: this.over100,
      worst: this.worst.slice(), long_tasks: this.longTasks.slice(0, 20) };
  },
  mark(name) {
    if (!performance.getEntriesByName(name, 'mark').length) performance.mark(name);
  },
  markAt(name) {
    const e = performance.getEntriesByName(name, 'mark')[0];
    return e ? e.startTime : null;
  },
};
window.__pwPerf = P;

let last = performance.now();
function tick(now) {
  const d = now - last;
  last = now;
  if (document.visibilityState === 'visible') {
    P.frames++;
    P.sum += d;
    if (d > P.max) P.max = d;
    if (d > 50) P.over50++;
    if (d > 100) P.over100++;
    if (d > 34) {
      P.worst.push([Math.round(d * 10) / 10, Math.round(now)]);
      P.worst.sort((a, b) => b[0] - a[0]);
      if (P.worst.length > 10) P.worst.length = 10;
    }
  }
  requestAnimationFrame(tick);
}
requestAnimationFrame(tick);
document.addEventListener('visibilitychange', () => (last = performance.now()));

try {
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) P.longTasks.push([Math.round(e.duration), Math.round(e.startTime)]);
  }).observe({ type: 'longtask', buffered: true });
} catch {
  /* no long task API */
}

export default P;
