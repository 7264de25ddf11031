// Finding canned responses while typing: "/" and a shortcut at the caret.

// cannedTrigger finds "/word" that ends at the caret and starts the text or
// follows a space; it returns where it is and the word, or null.
export function cannedTrigger(text, caret) {
  const before = text.slice(0, caret);
  const m = /(^|\s)\/([A-Za-z0-9_-]*)$/.exec(before);
  if (!m) return null;
  return { start: caret - m[2].length - 1, end: caret, query: m[2].toLowerCase() };
}

// cannedMatches lists the responses whose shortcut starts with the query,
// then those whose title contains it, keeping the server's order (the
// operator's own before the account's).
export function cannedMatches(items, query, limit = 8) {
  const q = query.toLowerCase();
  const byShortcut = items.filter((c) => c.shortcut.startsWith(q));
  const byTitle = q ? items.filter((c) => !c.shortcut.startsWith(q) && (c.title || '').toLowerCase().includes(q)) : [];
  return [...byShortcut, ...byTitle].slice(0, limit);
}
