import type { AdminRouteModule } from './plugin.js';

/** Placeholder: filled in by the admin work of issue #4. */
export const authRoutes: AdminRouteModule = () => undefined;
