// The console works without JavaScript; this only refreshes live panels (the overview's figures
// and charts) in place.

for (const panel of document.querySelectorAll('[data-live-refresh]')) {
  const url = panel.getAttribute('data-live-refresh');
  const seconds = Number(panel.getAttribute('data-refresh-seconds') || '15');
  setInterval(async () => {
    try {
      const response = await fetch(url, { headers: { accept: 'text/html' }, credentials: 'same-origin' });
      if (response.ok) panel.innerHTML = await response.text();
    } catch { /* keep the figures shown; the next tick tries again */ }
  }, seconds * 1000);
}
