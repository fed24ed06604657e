// Marks the page as scripted before it is painted, so no-JS-only parts never flash.
document.documentElement.classList.add("js");
