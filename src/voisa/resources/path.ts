/** Encodes one path segment (an id); an id of only dots cannot walk up the path. */
export function seg(id: string): string {
  if (typeof id !== 'string' || id === '') throw new TypeError('An id must be a non-empty string');
  const encoded = encodeURIComponent(id);
  return /^\.+$/.test(encoded) ? encoded.replace(/\./g, '%2E') : encoded;
}
