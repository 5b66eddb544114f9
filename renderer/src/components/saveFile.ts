/**
 * Hand a file to the user as a download (the browser's Save dialog or Downloads folder; in the
 * desktop app, Electron's download handling). The object URL is released once the click has
 * started the download.
 */
export function saveFile(name: string, data: BlobPart, mime: string): void {
  const url = URL.createObjectURL(new Blob([data], { type: mime }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.rel = 'noopener';
  document.body.appendChild(a);
  try {
    a.click();
  } finally {
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }
}
