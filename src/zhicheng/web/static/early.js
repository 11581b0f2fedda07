// run in <head> before paint (no flash of the phone menu); a file, not inline, for the CSP
document.documentElement.classList.add("js");
