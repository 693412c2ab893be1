// The report's Print button. A static file, because the Content-Security-Policy forbids inline scripts.
document.addEventListener("click", function (event) {
  if (event.target.closest("[data-print]")) {
    window.print();
  }
});
