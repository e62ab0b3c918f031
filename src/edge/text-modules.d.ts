/** Files wrangler bundles as text modules (`[[rules]] type = "Text"` in wrangler.toml). */
declare module '*/browser/standalone.js' {
  const text: string;
  export default text;
}
