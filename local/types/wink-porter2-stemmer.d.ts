// wink-porter2-stemmer ships no types; it exports one function.
declare module "wink-porter2-stemmer" {
  /** The English Porter2 (Snowball) stem of a lowercase word. */
  function stem(word: string): string;
  export = stem;
}
