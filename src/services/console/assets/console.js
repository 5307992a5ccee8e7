// The console works without JavaScript; this only refreshes live panels (the overview's figures
// and charts) in place.

for (const panel of document.querySelectorAll('[data-live-refresh]')) {
  const url = panel.getAttribute('data-live-refresh');
  const seconds = Number(panel.getAttribute('data-refresh-seconds') || '15');
  setInterval(async () => {
    try {
      const response = await fetch(url, { headers: { accept: 'text/html' }, credentials: 'same-origin' });
      if (!response.ok) return;
      const html = await response.text();
      // A keyboard user on one of the panel's regions (a table's scrolling container) stays on it, where it was scrolled.
      const focused = panel.contains(document.activeElement) ? document.activeElement : null;
      const label = focused && focused.getAttribute('aria-label');
      const scrolled = focused ? focused.scrollLeft : 0;
      panel.innerHTML = html;
      const again = label ? [...panel.querySelectorAll('[aria-label]')].find((e) => e.getAttribute('aria-label') === label) : null;
      if (again) {
        again.focus({ preventScroll: true });
        again.scrollLeft = scrolled;
      }
    } catch { /* keep the figures shown; the next tick tries again */ }
  }, seconds * 1000);
}
