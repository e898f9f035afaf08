import { useEffect, useState } from 'preact/hooks';

/** The screens reachable from the navigation; the hash keeps them bookmarkable and the Back button working. */
export type Route = 'codes' | 'add' | 'folders' | 'files' | 'backup' | 'settings' | 'trash';
const ROUTES: readonly Route[] = ['codes', 'add', 'folders', 'files', 'backup', 'settings', 'trash'];

export function currentRoute(hash = location.hash): Route {
  const name = hash.replace(/^#\/?/, '').split('?')[0] as Route;
  return ROUTES.includes(name) ? name : 'codes';
}

export function navigate(route: Route): void {
  location.hash = route === 'codes' ? '#/' : `#/${route}`;
}

export function useRoute(): Route {
  const [route, setRoute] = useState(currentRoute());
  useEffect(() => {
    const onChange = () => setRoute(currentRoute());
    window.addEventListener('hashchange', onChange);
    // The effect runs after the first paint: a hash set before it (a link followed while the app
    // starts) fired its event with nobody listening, so the hash is read again now.
    onChange();
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return route;
}
