/// <reference types="svelte" />
/// <reference types="vite/client" />
/// <reference types="vite-plugin-pwa/client" />

declare module 'virtual:digitlens-model' {
  /** The bundled model: its files live under `path` (model/<hash>/). */
  export const MODEL: { hash: string; path: string; name: string };
}
