/** Hash routes: the app is one static page, so deep links and reloads work on any static host. */
export const ROUTES = ['camera', 'upload', 'draw', 'model'] as const;
export type Route = (typeof ROUTES)[number];

export function routeFromHash(hash: string): Route {
  const name = hash.replace(/^#\/?/, '').split(/[?/]/)[0];
  return (ROUTES as readonly string[]).includes(name) ? (name as Route) : 'camera';
}

export class Router {
  route = $state<Route>('camera');

  /** Follows location.hash; returns the listener's remover. */
  attach(win: Window): () => void {
    const sync = () => {
      this.route = routeFromHash(win.location.hash);
    };
    sync();
    win.addEventListener('hashchange', sync);
    return () => win.removeEventListener('hashchange', sync);
  }
}
