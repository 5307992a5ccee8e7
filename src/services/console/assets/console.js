// The console works without JavaScript; this refreshes live panels (the overview's figures and
// charts) in place, and keeps a table's container a tab stop only while the table scrolls.

// A table wider than the screen scrolls sideways in its container, which must then be a labelled
// region a keyboard reaches (tabindex 0) to scroll it. A table that fits needs no stop of its own:
// that would be one useless Tab press per table. The server renders every container as a tab stop,
// since without JavaScript nothing can measure the overflow and a scrolling table must never be out
// of a keyboard's reach; this script takes the stop away from each container whose table fits.
const CONTAINER = '.nhsuk-table-container';

function fitTabStop(container) {
  const label = container.dataset.regionLabel ?? container.getAttribute('aria-label');
  if (label === null) return; // not one the server made a region
  container.dataset.regionLabel = label;
  if (container.scrollWidth > container.clientWidth) {
    container.setAttribute('tabindex', '0');
    container.setAttribute('role', 'region');
    container.setAttribute('aria-label', label);
  } else if (container !== document.activeElement) {
    // The one a keyboard user is on stays a stop until they leave it (focusout, below).
    container.removeAttribute('tabindex');
    container.removeAttribute('role');
    container.removeAttribute('aria-label');
  }
}

function fitTabStops(root) {
  for (const container of root.querySelectorAll(CONTAINER)) fitTabStop(container);
}

fitTabStops(document);
window.addEventListener('resize', () => fitTabStops(document));
document.addEventListener('focusout', (event) => {
  if (event.target instanceof Element && event.target.matches(CONTAINER)) fitTabStop(event.target);
});

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
      // Focus first, on the panel as the server sent it (every container a tab stop), then fit the stops.
      const again = label ? [...panel.querySelectorAll('[aria-label]')].find((e) => e.getAttribute('aria-label') === label) : null;
      if (again) {
        again.focus({ preventScroll: true });
        again.scrollLeft = scrolled;
      }
      fitTabStops(panel);
    } catch { /* keep the figures shown; the next tick tries again */ }
  }, seconds * 1000);
}
