// harta: small enhancements only; every page works without this file.
// A form sent once shows it is working and is not sent twice by a second click.
document.addEventListener('submit', function (event) {
  var form = event.target;
  if (form.dataset.sent) { event.preventDefault(); return; }
  form.dataset.sent = '1';
  var buttons = form.querySelectorAll('button[type=submit]');
  for (var i = 0; i < buttons.length; i++) { buttons[i].setAttribute('aria-disabled', 'true'); }
});
// The error summary takes focus, so a screen reader announces the problems first.
var summary = document.querySelector('.error-summary');
if (summary) { summary.focus(); }
// A print button where the page offers one (browsers print with Ctrl+P without it).
var printers = document.querySelectorAll('[data-print]');
for (var p = 0; p < printers.length; p++) {
  printers[p].hidden = false;
  printers[p].addEventListener('click', function () { window.print(); });
}
